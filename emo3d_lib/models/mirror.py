"""Left/right mirror augmentation (CLIP + MLP): swap Left/Right blendshapes and the words.

A face flipped horizontally shows the subject's left expression on the right; its description's
"left"/"right" swap with it. Mirroring twice gives the input back.
"""

from __future__ import annotations

import re

import numpy as np

from emo3d_lib import schema

_WORD = re.compile(r"\b(" + "|".join(map(re.escape, schema.MIRROR_WORDS)) + r")\b")
_INDEX = np.asarray(schema.MIRROR_INDEX, dtype=np.int64)


def mirror_blendshapes(vec: np.ndarray) -> np.ndarray:
    """Swap every Left/Right pair of a ``(..., 52)`` array (51-wide arrays: without _neutral)."""
    arr = np.asarray(vec)
    if arr.shape[-1] == schema.N_BLENDSHAPES:
        return arr[..., _INDEX]
    if arr.shape[-1] == schema.N_BLENDSHAPES - 1:
        return arr[..., _INDEX[1:] - 1]
    raise ValueError(f"mirror_blendshapes: last axis must be 51 or 52, got {arr.shape}")


def mirror_text(text: str) -> str:
    """Swap the words left/right (and Left/Right) in a description."""
    return _WORD.sub(lambda m: schema.MIRROR_WORDS[m.group(0)], text)


def mirror_images(images: np.ndarray) -> np.ndarray:
    """Flip ``(N, H, W, 3)`` images horizontally."""
    return np.ascontiguousarray(np.asarray(images)[:, :, ::-1])
