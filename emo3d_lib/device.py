"""One place that picks the compute device: CUDA when present, else CPU.

An unknown or unavailable device is a user error named before any work starts (``Emo3DError``,
a ``ValueError``), not a torch traceback at the first tensor move an hour later.
"""

from __future__ import annotations

import re

from emo3d_lib.errors import Emo3DError

_DEVICE = re.compile(r"^(cpu|mps|cuda(?::(\d+))?)$")


def pick_device(requested: str | None = None) -> str:
    """``requested`` wins ('cpu', 'cuda', 'cuda:1', 'mps'); ``None``/'auto' -> cuda if available."""
    import torch

    if requested in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    m = _DEVICE.match(str(requested))
    if not m:
        raise Emo3DError(f"device {requested!r} is unknown: use cpu, cuda, cuda:N, mps or auto")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise Emo3DError(f"device {requested!r} requested but CUDA is not available")
        if m.group(2) is not None and int(m.group(2)) >= torch.cuda.device_count():
            raise Emo3DError(f"device {requested!r}: only {torch.cuda.device_count()} CUDA "
                             "device(s) present")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise Emo3DError("device 'mps' requested but Apple MPS is not available")
    return requested
