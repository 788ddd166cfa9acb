"""Every ``emo3d`` command against bad input: one named error line, exit 2, nothing changed.

The cases live in ``tests/bad_inputs.py`` (shared with ``scripts/probe_bad_inputs.py``). Each
runs in-process through ``emo3d_lib.cli.main``; the whole workspace (every input, the foreign
folders, the would-be outputs) is hashed before and after, so a refused command that wrote,
deleted or half-wrote anything fails here, and so does a checkpoint payload that ran.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import pytest

from emo3d_lib import cli as emo3d_cli
from tests.bad_inputs import CASES, PWNED, Case, build_workspace, tree_digest


@pytest.fixture(scope="module")
def workspace(tiny_lm_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("bad_inputs") / "ws", tiny_lm_checkpoint)


@contextlib.contextmanager
def _held_lock(root: Path):
    """Another run's generation lock on ``root`` (a second open file description)."""
    from emo3d_lib.data.generate import LOCK_NAME, MARKER_NAME, MARKER_TEXT

    root.mkdir(exist_ok=True)
    (root / MARKER_NAME).write_text(MARKER_TEXT)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def run_case(case: Case, ws: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for key in ("EMO3D_LLM_BASE_URL", "EMO3D_LLM_MODEL", "EMO3D_LLM_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, val in case.env.items():
        monkeypatch.setenv(key, val)
    capsys.readouterr()
    lock = (_held_lock(Path(case.hold_lock.replace("{ws}", str(ws)))) if case.hold_lock
            else contextlib.nullcontext())
    with lock:
        before = tree_digest(ws)
        try:
            code = emo3d_cli.main(case.args(ws))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        after = tree_digest(ws)
    err = capsys.readouterr().err
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"{case.id}: files changed: {changed[:5]}"
    return int(code), err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_named_line_exit_2_nothing_changed(
        case: Case, workspace: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = run_case(case, workspace, capsys, monkeypatch)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("emo3d")]
    assert code == 2, f"{case.id}: exit {code}, stderr: {err[-600:]}"
    assert "Traceback" not in err, err[-1500:]
    assert len(errors) == 1 and ": error: " in errors[0], err[-600:]
    assert case.expect.lower() in errors[0].lower(), errors[0]
    assert "SECRETKEY" not in err
    assert not (workspace / PWNED).exists(), "a checkpoint's pickle payload ran"


def test_generate_into_someone_elses_folder_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bar: a folder with someone else's files (even ones named like ours, and a hidden
    .tmp) is refused, with and without --restart, and is byte-identical afterwards."""
    theirs = tmp_path / "theirs"
    (theirs / "data").mkdir(parents=True)
    (theirs / "data" / "emo3d_data.parquet").write_bytes(b"their table")
    (theirs / "shards").mkdir()
    (theirs / "shards" / "shard_00000.parquet").write_bytes(b"their shard")
    (theirs / "prompt1_images_0_1000").mkdir()
    (theirs / "prompt1_images_0_1000" / "0_1.jpeg").write_bytes(b"their photo")
    (theirs / ".report.docx.tmp").write_bytes(b"their editor's autosave")
    (theirs / "generation_manifest.json").write_text("{}")
    before = tree_digest(tmp_path)
    for extra in ([], ["--restart"]):
        code = emo3d_cli.main(["generate", "--out", str(theirs), "--samples", "4",
                               "--images-per-sample", "0", "--workers", "1", "--no-progress",
                               *extra])
        assert code == 2
        assert "not empty and was not created by `emo3d generate`" in capsys.readouterr().err
        assert tree_digest(tmp_path) == before
