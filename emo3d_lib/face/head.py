"""The head contract: mesh parts with 52 morph targets, shared by renderers and viewers.

A ``Head`` is plain arrays (glTF conventions: +y up, +z towards the viewer, uv (0, 0) at the
texture's top-left, morph targets as per-vertex deltas in ``BLENDSHAPES`` order), so the
moderngl renderer, the numpy rasterizer and the pythreejs viewer all draw the same thing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.validate import blendshape_matrix

HEAD_NAMES = ("builtin", "facecap")


@dataclass(frozen=True)
class MeshPart:
    """One drawable piece (skin, an eye, teeth...). ``morph_targets``: (52, V, 3) deltas."""

    name: str
    vertices: np.ndarray  # float32 (V, 3)
    faces: np.ndarray  # int32 (F, 3)
    colors: np.ndarray | None = None  # float32 (V, 3) in [0, 1]
    uv: np.ndarray | None = None  # float32 (V, 2), glTF convention (v down the image)
    texture: np.ndarray | None = None  # uint8 (H, W, 3)
    morph_targets: np.ndarray | None = None  # float32 (52, V, 3) in BLENDSHAPES order
    tinted: bool = False  # albedo scaled by the identity's skin tone (skin, lips, brows)
    shininess: float = 0.0  # specular strength: wet eyes and teeth shine, skin a little

    def morphed(self, weights: np.ndarray) -> np.ndarray:
        """Vertices for one 52-vector of blendshape weights (linear morph)."""
        if self.morph_targets is None:
            return self.vertices
        return self.vertices + np.tensordot(weights, self.morph_targets, axes=(0, 0))


@dataclass(frozen=True)
class Head:
    """A rigged head. ``landmark_refs`` (478, 2) = (part index, vertex index) of each
    FaceLandmarker landmark when the head is built on MediaPipe's topology, else None."""

    name: str
    parts: tuple[MeshPart, ...]
    credit: str
    landmark_refs: np.ndarray | None = None
    #: centre (3,) and size of the face in head units; the camera frames this box.
    face_center: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    face_height: float = 18.0
    #: per-channel response exponents (52,): a morph plays ``w ** curve`` (None = linear).
    #: Calibrated against MediaPipe, whose readout has a dead zone for small deformations.
    curve: np.ndarray | None = None

    def effective_weights(self, weights: np.ndarray) -> np.ndarray:
        """Morph influences for blendshape weights (apply before driving morph targets)."""
        w = np.asarray(weights, np.float32)
        if self.curve is None:
            return w
        return (np.sign(w) * np.abs(w) ** self.curve).astype(np.float32)

    def part(self, name: str) -> MeshPart:
        for p in self.parts:
            if p.name == name:
                return p
        raise Emo3DError(f"head {self.name!r} has no part {name!r}")

    def landmarks(self, weights: np.ndarray) -> np.ndarray:
        """(478, 3) landmark positions in head space for one weight vector."""
        if self.landmark_refs is None:
            raise Emo3DError(f"head {self.name!r} has no MediaPipe landmark correspondence")
        out = np.empty((len(self.landmark_refs), 3), np.float32)
        eff = self.effective_weights(weights)
        for pi, part in enumerate(self.parts):
            sel = self.landmark_refs[:, 0] == pi
            if sel.any():
                out[sel] = part.morphed(eff)[self.landmark_refs[sel, 1]]
        return out


def check_weights(weights: np.ndarray | list, what: str = "weights") -> np.ndarray:
    """Validate blendshape vectors: (N, 52) or (52,), finite, in [0, 1]. Returns float32 (N, 52).

    Delegates to :func:`emo3d_lib.validate.blendshape_matrix`, the one check every entry uses.
    """
    return blendshape_matrix(weights, what)


@functools.cache
def _load_cached(name: str, path: str | None) -> Head:
    if name == "builtin":
        from emo3d_lib.face.builtin_head import build_builtin_head

        return build_builtin_head()
    if name == "facecap":
        from emo3d_lib.face.facecap import load_facecap

        return load_facecap(path)
    raise Emo3DError(f"unknown head {name!r}; choose one of {', '.join(HEAD_NAMES)}")


def load_head(name: str = "builtin", path: str | None = None) -> Head:
    """The named head (cached per process). ``path`` points at a Face Cap ``.glb`` copy."""
    return _load_cached(name, None if path is None else str(path))
