"""What the book's face viewer and face images share: slider groups, weight clipping, renders.

The viewer itself is ``face3d`` (a current three.js in an anywidget, all 52 channels at once);
its sliders are grouped by ``blendshape_groups`` and clip weights as ``clipped_weights`` does.
``render_clipped_faces`` draws the same clipped weights offscreen for a page's plain images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import check_weights
from emo3d_lib.schema import BLENDSHAPES, N_BLENDSHAPES

#: Slider groups, in the order a reader scans a face (top to bottom). ``_neutral`` moves nothing.
GROUP_PREFIXES: tuple[tuple[str, str], ...] = (
    ("neutral", "_neutral"),
    ("brows", "brow"),
    ("eyes", "eye"),
    ("cheeks", "cheek"),
    ("jaw", "jaw"),
    ("mouth", "mouth"),
    ("nose", "nose"),
)


def blendshape_groups(names: Sequence[str] = BLENDSHAPES) -> list[list[Any]]:
    """``[[group, [indices]], ...]`` covering every name exactly once (first matching prefix)."""
    groups: dict[str, list[int]] = {g: [] for g, _ in GROUP_PREFIXES}
    for i, name in enumerate(names):
        group = next((g for g, prefix in GROUP_PREFIXES if name.startswith(prefix)), None)
        if group is None:
            raise Emo3DError(f"blendshape {name!r} (index {i}) matches no slider group")
        groups[group].append(i)
    return [[g, idx] for g, idx in groups.items() if idx]


def _clipped(weights: Any) -> np.ndarray:
    """(N, 52) weights clipped into [0, 1] (a model's raw output may overshoot a little), then
    validated as the face stage does (``face.head.check_weights``: shape, numbers, finite)."""
    try:
        raw = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        return check_weights(weights)  # names what is not a number
    if not np.isfinite(raw).all():
        return check_weights(raw)  # names the non-finite value
    return check_weights(np.clip(raw, 0.0, 1.0))


def clipped_weights(weights: Any) -> np.ndarray:
    """One face's 52 weights clipped into the sliders' [0, 1] (see ``_clipped``)."""
    w = _clipped(weights)
    if len(w) != 1:
        raise Emo3DError(f"weights: expected one face ({N_BLENDSHAPES} values), got {len(w)} rows")
    return np.clip(w[0], 0.0, 1.0)


_RENDERERS: dict[tuple[int, int], Any] = {}


def render_clipped_faces(weights: np.ndarray, head: Any, size: int = 256) -> np.ndarray:
    """uint8 (N, size, size, 3) images of ``head`` with each weight row clipped into [0, 1],
    default identity.

    Unlike ``face.render.render_faces`` (a new renderer per call, weights as given), this keeps
    one offscreen renderer per head and size, so a notebook rendering many faces pays the GL
    context once, and it clips as the viewer's sliders do.
    """
    from emo3d_lib.face.identity import Identity
    from emo3d_lib.face.render import FaceRenderer

    rows = _clipped(weights)
    key = (id(head), size)
    if key not in _RENDERERS:
        _RENDERERS[key] = FaceRenderer(head, size)
    images = _RENDERERS[key].render(rows, [Identity.default()] * len(rows))
    return np.asarray(images, dtype=np.uint8)
