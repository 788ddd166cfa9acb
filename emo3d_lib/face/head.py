"""The head contract: mesh parts with 52 morph targets, shared by renderers and viewers.

A ``Head`` is plain arrays (glTF conventions: +y up, +z towards the viewer, uv (0, 0) at the
texture's top-left, morph targets as per-vertex deltas in ``BLENDSHAPES`` order), so the
moderngl renderer, the numpy rasterizer and the three.js viewer (``book.face3d``) all draw the
same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.validate import blendshape_matrix

#: heads ``emo3d_lib.face.heads.load_head`` builds; the first is the default everywhere
HEAD_NAMES: tuple[str, ...] = ("ict", "builtin", "facecap")
DEFAULT_HEAD = HEAD_NAMES[0]  # the ICT Face Model: scan-based, full head, MIT
T = TypeVar("T")


def weighted_sum(coeffs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """sum_i coeffs[i] * targets[i] over the non-zero coeffs, in float32, in a fixed order.

    Why not ``np.tensordot``: BLAS splits the sum across its threads and rounds differently with
    the thread count, and a dataset's bytes must not depend on where it was rendered (a dask
    worker runs one thread, a process-pool worker several). ``np.einsum`` without ``optimize``
    never calls BLAS: its own single-threaded loop adds the products target by target, the same
    bytes as :func:`weighted_sum_reference` (a test holds the two equal). It runs when every
    coefficient is non-zero (a person's identity); a few active channels are added in place,
    without copying the selected targets out.
    """
    c = np.asarray(coeffs, np.float32)
    nz = np.flatnonzero(c)
    if len(nz) == len(c):
        return np.einsum("k,k...->...", c, targets, optimize=False)
    out = np.zeros(targets.shape[1:], np.float32)
    tmp = np.empty_like(out)
    for i in nz:
        out += np.multiply(targets[i], c[i], out=tmp)
    return out


_ROW_RUNS: dict = {}
RUN_GAP = 256  # zero rows a run may bridge: fewer, longer slices beat many short ones


def cached_for(store: dict, obj: object, compute: Callable[[], T], *extra: object) -> T:
    """``compute()`` cached in ``store`` for a persistent array ``obj`` (keyed by its id and
    ``extra``; the ``is`` check stops a dead array's reused id from hitting). The store is
    emptied past 64 entries: heads are few, so this only bounds a long-lived process."""
    key = (id(obj), *extra)
    hit = store.get(key)
    if hit is None or hit[0] is not obj:
        if len(store) > 64:
            store.clear()
        hit = store[key] = (obj, compute())
    return hit[1]


def row_runs(targets: np.ndarray) -> list[list[tuple[int, int]]]:
    """Per target, the [start, end) row ranges that hold all its non-zero rows, cached by the
    (persistent) array: an expression moves a region, so most rows of most targets are zero."""

    def compute() -> list[list[tuple[int, int]]]:
        out = []
        for t in targets:
            rows = np.flatnonzero(np.abs(t).reshape(len(t), -1).max(1) > 0)
            cut = np.flatnonzero(np.diff(rows) > RUN_GAP)
            starts = np.r_[rows[:1], rows[cut + 1]]
            ends = np.r_[rows[cut] + 1, rows[-1:] + 1]
            out.append([(int(a), int(e)) for a, e in zip(starts, ends, strict=True)])
        return out

    return cached_for(_ROW_RUNS, targets, compute)


def sparse_weighted_sum(coeffs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """:func:`weighted_sum` touching only each target's non-zero row runs. The same bytes:
    the rows skipped would only have had zeros added to them."""
    c = np.asarray(coeffs, np.float32)
    runs = row_runs(targets)
    out = np.zeros(targets.shape[1:], np.float32)
    tmp = np.empty_like(out)
    for i in np.flatnonzero(c):
        for a, e in runs[i]:
            out[a:e] += np.multiply(targets[i, a:e], c[i], out=tmp[a:e])
    return out


def weighted_sum_reference(coeffs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The elementwise-loop definition :func:`weighted_sum` must match byte for byte."""
    nz = np.flatnonzero(coeffs)
    coeffs, targets = np.asarray(coeffs)[nz], targets[nz]
    out = np.zeros(targets.shape[1:], np.float32)
    for c, t in zip(coeffs, targets, strict=True):
        out += np.float32(c) * t
    return out


def rotate_rows(points: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """``points @ rot.T`` for (N, 3) points and a 3x3 matrix, thread-count independent (see
    :func:`weighted_sum`)."""
    p = np.asarray(points, np.float32)
    r = np.asarray(rot, np.float32)
    return p[:, 0:1] * r[:, 0] + p[:, 1:2] * r[:, 1] + p[:, 2:3] * r[:, 2]


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
    #: faces wound counter-clockwise seen from outside and never seen from behind: a renderer
    #: may skip back faces (a large speed-up for a dense scan on a software rasterizer)
    cull_back: bool = False
    #: (K, V, 3) identity shape deltas (a morphable head's principal components), or None
    identity_targets: np.ndarray | None = None
    #: a rigid eyeball: centre (3,) it turns about and (52, 2) yaw (towards +x) / pitch (towards
    #: +y) degrees per channel at weight 1. ``morph_targets`` then also hold the linearised turn
    #: for viewers that only morph linearly; ``morphed`` turns the part rigidly instead.
    pivot: np.ndarray | None = None
    gaze: np.ndarray | None = None
    #: an eyeball's upper lid: (K,) vertex ids in the head's first part (the skin) along the
    #: lid margin over it, ordered by x; the renderer darkens the eyeball in the lid's shadow
    lid: np.ndarray | None = None
    #: contact shadow in concave creases (0 = none): how much light the deepest fold loses
    crease: float | np.ndarray = 0.0  # or (V,) per vertex

    def shaped(self, identity: tuple[float, ...] | np.ndarray = ()) -> np.ndarray:
        """Neutral vertices of the person with these identity coefficients (extra ones ignored)."""
        if self.identity_targets is None or len(identity) == 0:
            return self.vertices
        c = np.asarray(identity, np.float32)[:len(self.identity_targets)]
        if not c.any():
            return self.vertices
        return self.vertices + weighted_sum(c, self.identity_targets[:len(c)])

    def morphed(self, weights: np.ndarray, identity: tuple[float, ...] | np.ndarray = ()
                ) -> np.ndarray:
        """Vertices for one 52-vector of blendshape weights (linear morph over the non-zero
        channels; a gaze part is turned rigidly) on the person ``identity``."""
        base = self.shaped(identity)
        if self.morph_targets is None:
            return base
        w = np.asarray(weights, np.float32)
        if self.gaze is not None:
            turn = w @ self.gaze
            w = np.where(np.abs(self.gaze).sum(1) > 0, 0.0, w)
        out = base + sparse_weighted_sum(w, self.morph_targets) if w.any() else base
        if self.gaze is not None and np.any(turn):
            pivot = self.pivot + (base - self.vertices).mean(0)
            yaw, pitch = np.radians(turn)
            ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0],
                           [-np.sin(yaw), 0, np.cos(yaw)]], np.float32)
            rx = np.array([[1, 0, 0], [0, np.cos(pitch), np.sin(pitch)],
                           [0, -np.sin(pitch), np.cos(pitch)]], np.float32)
            out = rotate_rows(out - pivot, ry @ rx) + pivot
        return out


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
    #: multisample anti-aliasing the GL renderer draws this head with. A dense scan's triangles
    #: are about a pixel at 256 px, and on a software rasterizer 4x MSAA doubles its frame time.
    msaa: int = 4

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

    def landmarks(self, weights: np.ndarray, identity: tuple[float, ...] | np.ndarray = ()
                  ) -> np.ndarray:
        """(478, 3) landmark positions in head space for one weight vector and person."""
        if self.landmark_refs is None:
            raise Emo3DError(f"head {self.name!r} has no MediaPipe landmark correspondence")
        out = np.empty((len(self.landmark_refs), 3), np.float32)
        eff = self.effective_weights(weights)
        for pi, part in enumerate(self.parts):
            sel = self.landmark_refs[:, 0] == pi
            if sel.any():
                out[sel] = part.morphed(eff, identity)[self.landmark_refs[sel, 1]]
        return out


def check_weights(weights: np.ndarray | list, what: str = "weights") -> np.ndarray:
    """Validate blendshape vectors: (N, 52) or (52,), finite, in [0, 1]. Returns float32 (N, 52).

    Delegates to :func:`emo3d_lib.validate.blendshape_matrix`, the one check every entry uses.
    """
    return blendshape_matrix(weights, what)

