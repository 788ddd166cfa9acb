"""scripts/setup.sh as a user without root: it names what is missing and carries on.

Runs the real script as ``nobody`` on a copy of the repository that user owns. To stay fast the
pip step is skipped (``--skip-pip``) with a small venv made here (the library modules setup.sh
runs need only the standard library); npm and Chromium are hidden from the script's PATH so the
"missing system package" path runs for real, while WordNet (present here) is copied for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from emo3d_lib.paths import REPO_ROOT

pytestmark = pytest.mark.slow

HIDDEN = {"npm", "npx", "chromium", "chromium-browser", "sudo"}


def _usable() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run the script as another user"
    for tool in ("runuser", "git"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if not Path("/usr/bin/python3").exists():
        return "needs a system python3 that 'nobody' can run"
    return None


@pytest.fixture(scope="module")
def repo_copy() -> Iterator[Path]:
    reason = _usable()
    if reason:
        pytest.skip(reason)
    top = Path(tempfile.mkdtemp(prefix="emo3d-setup-test-"))
    try:
        copy = top / "repo"
        files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True,
                               capture_output=True).stdout.decode().split("\0")
        for rel in filter(None, files):
            src = REPO_ROOT / rel
            if src.is_file():
                (copy / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, copy / rel)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(top / "venv")],
                       check=True)
        bin_dir = top / "bin"  # PATH without npm, Chromium and sudo
        bin_dir.mkdir()
        for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
            for exe in Path(folder).iterdir():
                target = bin_dir / exe.name
                if exe.name not in HIDDEN and not target.exists():
                    target.symlink_to(exe)
        (top / "home").mkdir()
        subprocess.run(["chown", "-R", "nobody:", str(top)], check=True)
        top.chmod(0o755)
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _run_as_nobody(top: Path, *args: str, venv: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(top / "bin"), "HOME": str(top / "home"), "LANG": "C.UTF-8",
           "EMO3D_VENV": str(venv or top / "venv"), "EMO3D_DATA": str(top / "data")}
    return subprocess.run(["runuser", "-u", "nobody", "--", "/usr/bin/env", "-i",
                           *(f"{k}={v}" for k, v in env.items()),
                           "bash", str(top / "repo" / "scripts" / "setup.sh"), *args],
                          capture_output=True, text=True, timeout=300)


def test_setup_as_nobody_names_missing_packages_and_completes(repo_copy: Path) -> None:
    proc = _run_as_nobody(repo_copy, "--for", "test", "--skip-pip")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    missing = [line for line in proc.stdout.splitlines()
               if line.startswith("setup: missing system package")]
    assert len(missing) == 2, out  # one line each, naming the package and what it is for
    assert any("(npm)" in line and "vendoring" in line for line in missing), out
    assert any("(chromium)" in line and "browser tests" in line for line in missing), out
    assert "skipped vendoring" in out
    assert (repo_copy / "venv" / "nltk_data" / "corpora" / "wordnet" / "lexnames").is_file()
    assert proc.stdout.strip().splitlines()[-1].startswith("setup: done with 2 system package")


def test_setup_for_book_does_not_ask_for_chromium(repo_copy: Path) -> None:
    proc = _run_as_nobody(repo_copy, "--for", "book", "--skip-pip")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "chromium" not in proc.stdout.lower()
    assert "(npm)" in proc.stdout


def test_setup_stops_with_one_line_without_a_venv(repo_copy: Path) -> None:
    proc = _run_as_nobody(repo_copy, "--skip-pip", venv=repo_copy / "no-such-venv")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"setup: --skip-pip needs an existing venv at {repo_copy / 'no-such-venv'} "
        "(set EMO3D_VENV)"]
