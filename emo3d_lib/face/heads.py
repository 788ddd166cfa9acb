"""How each named head is built: ``load_head(name)`` (names: ``head.HEAD_NAMES``).

``head.py`` is the pure contract (``Head``, ``MeshPart``); the builders import it, and this
registry imports the builders, so the import graph stays acyclic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.builtin_head import build_builtin_head
from emo3d_lib.face.facecap import load_facecap
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES, Head
from emo3d_lib.face.ict_head import build_ict_head

_BUILDERS: dict[str, Callable[[str | None], Head]] = {
    "ict": lambda path: build_ict_head(),
    "builtin": lambda path: build_builtin_head(),
    "facecap": load_facecap,
}
assert tuple(_BUILDERS) == HEAD_NAMES, "head.HEAD_NAMES and the builders disagree"


@functools.cache
def _load_cached(name: str, path: str | None) -> Head:
    if name not in _BUILDERS:
        raise Emo3DError(f"unknown head {name!r}; choose one of {', '.join(HEAD_NAMES)}")
    return _BUILDERS[name](path)


def load_head(name: str = DEFAULT_HEAD, path: str | None = None) -> Head:
    """The named head (cached per process). ``path`` points at a Face Cap ``.glb`` copy."""
    return _load_cached(name, None if path is None else str(path))
