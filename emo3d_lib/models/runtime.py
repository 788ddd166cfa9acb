"""CPU thread count for training: ``$EMO3D_TORCH_THREADS`` wins over torch's default.

On a small shared machine, two OpenMP threads fighting other processes for two cores can be
10x slower than one thread (measured: ViT image-tower step 1.06 s vs 0.09 s under load 8).
"""

from __future__ import annotations

import os

from emo3d_lib.errors import Emo3DError


def apply_thread_setting() -> int:
    """Apply ``$EMO3D_TORCH_THREADS`` if set; return the thread count torch uses."""
    import torch

    raw = os.environ.get("EMO3D_TORCH_THREADS")
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise Emo3DError(f"$EMO3D_TORCH_THREADS={raw!r} is not an integer") from None
        if n < 1:
            raise Emo3DError(f"$EMO3D_TORCH_THREADS={n} must be >= 1")
        torch.set_num_threads(n)
    return torch.get_num_threads()
