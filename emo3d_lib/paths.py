"""Where generated things live: one rule for every command and notebook.

The **data root** is ``$EMO3D_DATA`` when set; otherwise ``data/`` under the repository when the
library runs from a clone (``pip install -e .``, ``PYTHONPATH``, or ``pip install .`` run from
the clone's root), else ``data/`` under the current working directory (a plain ``pip install``,
Colab's ``/content``). Nothing is ever written beside an installed package in site-packages.

Under it: ``datasets/`` (generated datasets), ``runs/`` (checkpoints, metrics), ``cache/``
(extracted assets, embeddings). Commands take explicit paths relative to the working directory
as any command does; their *defaults* live under the data root. Notebook parameters ``data_dir``
and ``runs_dir`` are relative to the data root (``datasets/book-full``), because a notebook's
working directory depends on who runs it (Jupyter: ``notebooks/``; papermill: the shell's).
"""

from __future__ import annotations

import os
from pathlib import Path

# The folder holding the ``emo3d_lib`` package: the clone's root in a source checkout, else
# site-packages. The notebook pipeline hashes library sources under it; data never goes there.
REPO_ROOT = Path(__file__).resolve().parent.parent


def clone_root() -> Path | None:
    """The source checkout the library runs from (or whose root is the working directory)."""
    for root in (REPO_ROOT, Path.cwd()):
        if (root / "pyproject.toml").is_file() and (root / "emo3d_lib").is_dir():
            return root.resolve()
    return None


def data_root() -> Path:
    """Root of generated data: ``$EMO3D_DATA``, else ``<clone>/data``, else ``./data``."""
    if os.environ.get("EMO3D_DATA"):
        return Path(os.environ["EMO3D_DATA"]).expanduser()
    return (clone_root() or Path.cwd()) / "data"


def resolve_data_path(path: str | os.PathLike[str]) -> Path:
    """A notebook's ``data_dir``/``runs_dir`` parameter as an absolute path (relative = under
    the data root; absolute or ``~`` paths as given)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (data_root() / p).resolve()


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
