"""Embeddings of frozen backbones cached on disk, keyed by backbone name + a hash of the inputs.

Frozen encoders dominate training time on a CPU; a second run over the same texts (or images)
with the same backbone reads the ``.npy`` instead of recomputing it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from emo3d_lib import paths
from emo3d_lib.atomic import atomic_path


def inputs_hash(items: Sequence[str]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def cache_file(backbone: str, items: Sequence[str], cache_dir: str | Path | None = None) -> Path:
    base = Path(cache_dir) if cache_dir is not None else paths.cache_dir() / "embeddings"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", backbone).strip("_")[:80]
    return base / f"{safe}-{inputs_hash([backbone, *items])}.npy"


def cached(
    backbone: str,
    items: Sequence[str],
    compute: Callable[[], np.ndarray],
    cache_dir: str | Path | None = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, bool]:
    """``compute()`` once per (backbone, items); returns (array, was_cached)."""
    path = cache_file(backbone, items, cache_dir)
    if path.is_file():
        arr = np.load(path)
        if arr.shape[0] == len(items):
            return arr, True
    arr = np.ascontiguousarray(compute(), dtype=dtype)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, arr)
    return arr, False
