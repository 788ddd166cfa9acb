"""Where generated things live. All of it is under ``data/`` (git-ignored) unless overridden.

``EMO3D_DATA`` moves the whole tree (useful for CI scratch space or a bigger disk).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Root of generated data; ``$EMO3D_DATA`` or ``<repo>/data``."""
    return Path(os.environ.get("EMO3D_DATA", REPO_ROOT / "data"))


def cache_dir() -> Path:
    """Downloaded or extracted assets (MediaPipe task, optional heads, CLIP checkpoints)."""
    path = data_root() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    return data_root() / "datasets"


def runs_dir() -> Path:
    """Trained checkpoints, metrics and evaluation outputs."""
    return data_root() / "runs"
