"""ARKit blendshapes as displacement fields on MediaPipe's canonical face mesh.

Each channel is a few anchor landmarks with target displacements, spread over the skin by a
Gaussian of the *geodesic* distance on the mesh after the mouth and eyes are cut open: upper and
lower lips (or lids) are then far apart although they touch in space, so moving one does not
drag the other. Jaw channels move a jaw-weighted region rigidly about a hinge. The result is a
linear morph-target rig (52 targets, ``_neutral`` = 0) that any glTF/three.js viewer can play.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from emo3d_lib.face import landmarks as lm
from emo3d_lib.schema import BLENDSHAPES

JAW_PIVOT = np.array([0.0, 0.8, -3.0], np.float32)


def mirror_map(vertices: np.ndarray) -> np.ndarray:
    """Index of each vertex's left/right mirror (the canonical mesh is exactly symmetric)."""
    flipped = vertices * np.array([-1.0, 1.0, 1.0], np.float32)
    d = ((vertices[None, :, :] - flipped[:, None, :]) ** 2).sum(-1)
    return d.argmin(1).astype(np.int32)


def inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd test of 2D points against a closed polygon (no matplotlib needed)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), bool)
    px, py = polygon[:, 0], polygon[:, 1]
    for i in range(len(polygon)):
        j = i - 1
        cond = (py[i] > y) != (py[j] > y)
        xint = (px[j] - px[i]) * (y - py[i]) / (py[j] - py[i] + 1e-12) + px[i]
        inside ^= cond & (x < xint)
    return inside


def hole_polygons() -> list[tuple[int, ...]]:
    """Closed contours cut out of the mesh: the inner lips and both eye openings."""
    return [
        lm.LIPS_UPPER_INNER + tuple(reversed(lm.LIPS_LOWER_INNER[1:-1])),
        lm.RIGHT_EYE_UPPER + tuple(reversed(lm.RIGHT_EYE_LOWER[1:-1])),
        lm.LEFT_EYE_UPPER + tuple(reversed(lm.LEFT_EYE_LOWER[1:-1])),
    ]


def cut_openings(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Drop the triangles that span the mouth and eye openings (all corners on a contour)."""
    keep = np.ones(len(faces), bool)
    centroids = vertices[faces].mean(1)[:, :2]
    for ring in hole_polygons():
        on_ring = np.isin(faces, ring).all(1)
        inside = inside_polygon(centroids, vertices[list(ring)][:, :2])
        keep &= ~(on_ring & inside)
    return faces[keep]


def geodesic(vertices: np.ndarray, faces: np.ndarray, sources: list[int]) -> np.ndarray:
    """Edge-graph distances (sources x V) over the cut mesh."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    w = np.linalg.norm(vertices[e[:, 0]] - vertices[e[:, 1]], axis=1)
    n = len(vertices)
    g = coo_matrix((np.r_[w, w], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), (n, n))
    return dijkstra(g.tocsr(), indices=sources)


@dataclass
class RigContext:
    """What channel builders need: the (neutral-corrected) mesh, distances and mirror map."""

    vertices: np.ndarray
    faces: np.ndarray
    dist: np.ndarray  # (V, V) geodesic distance on the cut mesh
    mirror: np.ndarray
    jaw_weight: np.ndarray  # (V,) 1 = moves with the jaw

    def field(self, anchors: dict[int, np.ndarray], radius: float) -> np.ndarray:
        """Shepard-normalised Gaussian spread of anchor displacements (zero vectors pin)."""
        ids = list(anchors)
        w = np.exp(-(self.dist[ids] / radius) ** 2)  # (A, V)
        d = np.stack([np.asarray(anchors[i], np.float64) for i in ids])  # (A, 3)
        total = w.sum(0)
        return (w.T @ d) / np.maximum(total, 1.0)[:, None]

    def mirrored(self, field: np.ndarray) -> np.ndarray:
        """The left/right mirror of a displacement field (for Right channels)."""
        out = field[self.mirror].copy()
        out[:, 0] *= -1
        return out

    def jaw_motion(self, rot_deg: float = 0.0, shift=(0.0, 0.0, 0.0)) -> np.ndarray:
        """Rigid jaw motion (rotation about the hinge, then a shift), weighted per vertex."""
        return jaw_displacement(self.vertices, self.jaw_weight, rot_deg, shift)


def jaw_displacement(points: np.ndarray, weight: np.ndarray, rot_deg: float,
                     shift=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Displacement of ``points`` when the jaw turns ``rot_deg`` down and shifts by ``shift``."""
    t = np.radians(rot_deg)
    c, s = np.cos(t), np.sin(t)
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    p = points - JAW_PIVOT
    moved = p @ rot.T + np.asarray(shift)
    return (moved - p) * weight[:, None]


def _lid_target(upper: tuple[int, ...], lower: tuple[int, ...], v: np.ndarray,
                frac: float) -> dict[int, np.ndarray]:
    """Move each upper-lid point ``frac`` of the way to the lower lid (linear in x)."""
    lo = v[list(lower)]
    order = np.argsort(lo[:, 0])
    out = {}
    for i in upper[1:-1]:
        y = np.interp(v[i, 0], lo[order, 0], lo[order, 1])
        z = np.interp(v[i, 0], lo[order, 0], lo[order, 2])
        out[i] = frac * (np.array([v[i, 0], y, z]) - v[i])
    return out


def _const(ids, vec) -> dict[int, np.ndarray]:
    return {i: np.asarray(vec, np.float64) for i in ids}


def _pins(ids) -> dict[int, np.ndarray]:
    return _const(ids, (0.0, 0.0, 0.0))


def _half(ids: tuple[int, ...], v: np.ndarray, side: float) -> tuple[int, ...]:
    """Points of a contour on one side (+1 = subject's left, x >= 0)."""
    return tuple(i for i in ids if v[i, 0] * side >= -1e-6)


# ---- channel builders (Left side; Right = mirror). Units: canonical cm. ----

def _brow_down(c: RigContext) -> np.ndarray:
    brow = lm.LEFT_BROW_UPPER + lm.LEFT_BROW_LOWER
    a = {i: np.array([-0.25 * (c.vertices[i, 0] > 2.5) - 0.2, -0.55, -0.05]) for i in brow}
    a.update(_pins(lm.LEFT_EYE_LOWER + (lm.FOREHEAD,)))
    return c.field(a, 1.6)


def _brow_inner_up(c: RigContext) -> np.ndarray:
    inner = (336, 296, 285, 295, 107, 66, 55, 65, 9, 151)
    a = _const(inner, (0.0, 0.65, 0.05))
    a.update(_pins(lm.LEFT_EYE_LOWER + lm.RIGHT_EYE_LOWER + (300, 70, 6)))
    return c.field(a, 1.5)


def _brow_outer_up(c: RigContext) -> np.ndarray:
    a = _const((300, 293, 276, 283, 334), (0.0, 0.65, 0.0))
    a.update(_pins(lm.LEFT_EYE_LOWER + (336, 285, 9)))
    return c.field(a, 1.5)


def _eye_blink(c: RigContext) -> np.ndarray:
    v = c.vertices
    a = _lid_target(lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER, v, 0.97)
    a.update(_pins(lm.LEFT_EYE_LOWER + lm.LEFT_BROW_LOWER))
    return c.field(a, 0.55)


def _eye_wide(c: RigContext) -> np.ndarray:
    a = _const(lm.LEFT_EYE_UPPER[1:-1], (0.0, 0.35, 0.05))
    a.update(_const(lm.LEFT_EYE_LOWER[1:-1], (0.0, -0.08, 0.0)))
    a.update(_pins(lm.LEFT_BROW_UPPER))
    return c.field(a, 0.7)


def _eye_squint(c: RigContext) -> np.ndarray:
    a = _const(lm.LEFT_EYE_LOWER[1:-1], (0.0, 0.22, 0.03))
    a.update(_const((346, 347, 348, 330), (0.0, 0.12, 0.0)))
    a.update(_const(lm.LEFT_EYE_UPPER[1:-1], (0.0, -0.06, 0.0)))
    a.update(_pins(lm.LEFT_BROW_LOWER))
    return c.field(a, 0.7)


def _eye_look(dy: float, dx: float) -> Callable[[RigContext], np.ndarray]:
    """Lids follow the gaze a little (the iris itself turns in the eye part)."""
    def build(c: RigContext) -> np.ndarray:
        a = _const(lm.LEFT_EYE_UPPER[1:-1], (dx * 0.5, dy, 0.0))
        a.update(_const(lm.LEFT_EYE_LOWER[1:-1], (dx * 0.5, dy * 0.4, 0.0)))
        a.update(_pins(lm.LEFT_BROW_LOWER + (lm.NOSE_TIP,)))
        return c.field(a, 0.6)
    return build


def _cheek_puff(c: RigContext) -> np.ndarray:
    v = c.vertices
    f = np.zeros_like(v, dtype=np.float64)
    for side in (1.0, -1.0):
        cheek = (425, 411, 280, 427, 436, 432)
        ids = cheek if side > 0 else tuple(c.mirror[list(cheek)])
        a = {i: np.array([0.5 * side, 0.0, 0.25]) for i in ids}
        a.update(_pins(lm.LIPS_UPPER_OUTER + lm.LIPS_LOWER_OUTER + (lm.NOSE_TIP,)))
        f += c.field(a, 1.6)
    return f


def _cheek_squint(c: RigContext) -> np.ndarray:
    a = _const(LEFT_CHEEK_UP, (0.0, 0.35, 0.1))
    a.update(_pins(lm.LEFT_EYE_UPPER + lm.LIPS_UPPER_OUTER))
    return c.field(a, 1.2)


LEFT_CHEEK_UP = (330, 346, 347, 280, 425)


def _jaw(rot: float = 0.0, shift=(0.0, 0.0, 0.0)) -> Callable[[RigContext], np.ndarray]:
    return lambda c: c.jaw_motion(rot, shift)


def _mouth_close(c: RigContext) -> np.ndarray:
    """Lips meet while the jaw is open: undo jawOpen on the lips only."""
    open_ = c.jaw_motion(14.0)
    a = {i: -open_[i] * 0.55 for i in lm.LIPS_LOWER_INNER + lm.LIPS_LOWER_OUTER}
    a.update({i: 0.45 * open_[14] * np.array([0, 1, 1])
              for i in lm.LIPS_UPPER_INNER[1:-1] + lm.LIPS_UPPER_OUTER[1:-1]})
    a.update(_pins((lm.NOSE_TIP, 18, 200, 2)))
    return c.field(a, 0.6)


def _corner(vec, radius: float = 1.1) -> Callable[[RigContext], np.ndarray]:
    """Left mouth corner pulled by ``vec``; the opposite corner and nose stay."""
    def build(c: RigContext) -> np.ndarray:
        a = _const((291, 308, 375, 409, 415, 324), vec)
        a.update(_pins((61, 78, 0, 17, lm.NOSE_TIP, 6)))
        return c.field(a, radius)
    return build


def _mouth_shift(c: RigContext) -> np.ndarray:
    lips = lm.LIPS_UPPER_OUTER + lm.LIPS_LOWER_OUTER + lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER
    a = _const(lips, (0.7, 0.0, 0.0))
    a.update(_pins((lm.NOSE_TIP, 2, 200, 199, 132, 361)))
    return c.field(a, 1.2)


def _funnel(c: RigContext) -> np.ndarray:
    v = c.vertices
    a = {}
    for i in lm.LIPS_UPPER_OUTER + lm.LIPS_UPPER_INNER:
        a[i] = np.array([-0.2 * v[i, 0] / 2.5, 0.45, 0.35])
    for i in lm.LIPS_LOWER_OUTER + lm.LIPS_LOWER_INNER:
        a[i] = np.array([-0.2 * v[i, 0] / 2.5, -0.6, 0.35])
    a.update(_pins((lm.NOSE_TIP, 199, 132, 361)))
    return c.field(a, 1.0)


def _pucker(c: RigContext) -> np.ndarray:
    v = c.vertices
    lips = lm.LIPS_UPPER_OUTER + lm.LIPS_LOWER_OUTER + lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER
    a = {i: np.array([-0.45 * v[i, 0] / 2.5, 0.0, 0.55]) for i in lips}
    a.update(_pins((lm.NOSE_TIP, 199, 132, 361)))
    return c.field(a, 1.0)


def _lower_down(c: RigContext) -> np.ndarray:
    v = c.vertices
    ids = _half(lm.LIPS_LOWER_OUTER[1:-1] + lm.LIPS_LOWER_INNER[1:-1], v, 1.0)
    a = _const(ids, (0.0, -0.45, 0.05))
    a.update(_pins((61, 78, 291, 308, 199) + lm.LIPS_UPPER_INNER))
    return c.field(a, 0.8)


def _upper_up(c: RigContext) -> np.ndarray:
    v = c.vertices
    ids = _half(lm.LIPS_UPPER_OUTER[1:-1] + lm.LIPS_UPPER_INNER[1:-1], v, 1.0)
    a = _const(ids, (0.0, 0.4, 0.05))
    a.update(_pins((61, 78, 291, 308, lm.NOSE_TIP) + lm.LIPS_LOWER_INNER))
    return c.field(a, 0.8)


def _press(c: RigContext) -> np.ndarray:
    v = c.vertices
    up = _half(lm.LIPS_UPPER_OUTER[1:-1], v, 1.0)
    lo = _half(lm.LIPS_LOWER_OUTER[1:-1], v, 1.0)
    a = _const(up, (0.0, -0.18, -0.05))
    a.update(_const(lo, (0.0, 0.18, -0.05)))
    a.update(_const((291, 308), (0.15, 0.0, -0.05)))
    a.update(_pins((61, 78, lm.NOSE_TIP, 199)))
    return c.field(a, 0.7)


def _roll(upper: bool) -> Callable[[RigContext], np.ndarray]:
    def build(c: RigContext) -> np.ndarray:
        outer = lm.LIPS_UPPER_OUTER if upper else lm.LIPS_LOWER_OUTER
        inner = lm.LIPS_UPPER_INNER if upper else lm.LIPS_LOWER_INNER
        sign = -1.0 if upper else 1.0
        a = _const(outer[1:-1], (0.0, sign * 0.45, -0.45))
        a.update(_const(inner[1:-1], (0.0, sign * 0.1, -0.35)))
        a.update(_pins((lm.NOSE_TIP, 199, 61, 291)))
        return c.field(a, 0.7)
    return build


def _shrug(upper: bool) -> Callable[[RigContext], np.ndarray]:
    def build(c: RigContext) -> np.ndarray:
        if upper:
            a = _const(lm.LIPS_UPPER_OUTER[1:-1] + lm.LIPS_UPPER_INNER[1:-1], (0, 0.3, 0.15))
            a.update(_pins((lm.NOSE_TIP, 61, 291) + lm.LIPS_LOWER_INNER))
            return c.field(a, 0.9)
        a = _const(lm.LIPS_LOWER_OUTER[1:-1] + lm.LIPS_LOWER_INNER[1:-1] + (18, 200),
                   (0, 0.4, 0.2))
        a.update(_const((199, 175), (0, 0.25, 0.15)))
        a.update(_pins((61, 291, lm.CHIN, 132, 361) + lm.LIPS_UPPER_INNER))
        return c.field(a, 1.0)
    return build


def _sneer(c: RigContext) -> np.ndarray:
    a = _const(lm.LEFT_NOSE_WING, (0.0, 0.3, 0.05))
    a.update(_const((409, 270, 267), (0.0, 0.15, 0.0)))
    a.update(_pins((lm.NOSE_TIP, 6, 129, 98)))
    return c.field(a, 0.8)


#: name of a Left (or central) channel -> builder. Right channels are mirrors of Left ones.
BUILDERS: dict[str, Callable[[RigContext], np.ndarray]] = {
    "browDownLeft": _brow_down,
    "browInnerUp": _brow_inner_up,
    "browOuterUpLeft": _brow_outer_up,
    "cheekPuff": _cheek_puff,
    "cheekSquintLeft": _cheek_squint,
    "eyeBlinkLeft": _eye_blink,
    "eyeLookDownLeft": _eye_look(-0.15, 0.0),
    "eyeLookInLeft": _eye_look(0.0, -0.1),
    "eyeLookOutLeft": _eye_look(0.0, 0.1),
    "eyeLookUpLeft": _eye_look(0.35, 0.0),  # lids lift with the gaze: iris stays seen
    "eyeSquintLeft": _eye_squint,
    "eyeWideLeft": _eye_wide,
    "jawForward": _jaw(shift=(0.0, 0.0, 0.7)),
    "jawLeft": _jaw(shift=(0.8, 0.0, 0.0)),
    "jawOpen": _jaw(rot=14.0),
    "mouthClose": _mouth_close,
    "mouthDimpleLeft": _corner((0.2, -0.05, -0.35)),
    "mouthFrownLeft": _corner((0.1, -0.55, -0.05)),
    "mouthFunnel": _funnel,
    "mouthLeft": _mouth_shift,
    "mouthLowerDownLeft": _lower_down,
    "mouthPressLeft": _press,
    "mouthPucker": _pucker,
    "mouthRollLower": _roll(upper=False),
    "mouthRollUpper": _roll(upper=True),
    "mouthShrugLower": _shrug(upper=False),
    "mouthShrugUpper": _shrug(upper=True),
    "mouthSmileLeft": _corner((0.45, 0.55, -0.3), radius=1.4),
    "mouthStretchLeft": _corner((0.6, -0.2, -0.1), radius=1.4),
    "mouthUpperUpLeft": _upper_up,
    "noseSneerLeft": _sneer,
}


def _right_of(name: str) -> str | None:
    if name.endswith("Right"):
        return name[: -len("Right")] + "Left"
    return {"jawRight": "jawLeft", "mouthRight": "mouthLeft"}.get(name)


def build_skin_targets(ctx: RigContext) -> np.ndarray:
    """(52, V, 3) float32 morph targets in ``BLENDSHAPES`` order (``_neutral`` all zero)."""
    out = np.zeros((len(BLENDSHAPES), len(ctx.vertices), 3), np.float64)
    for k, name in enumerate(BLENDSHAPES):
        if name == "_neutral":
            continue
        if name in BUILDERS:
            out[k] = BUILDERS[name](ctx)
            continue
        left = _right_of(name)
        if left is None or left not in BUILDERS:
            raise KeyError(f"rig has no builder for {name}")
        out[k] = ctx.mirrored(BUILDERS[left](ctx))
    return out.astype(np.float32)


def jaw_weights(vertices: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """1 on the lower lip and chin, 0 on the upper lip and above, smooth in between."""
    ones = lm.LIPS_LOWER_INNER[1:-1] + lm.LIPS_LOWER_OUTER[1:-1] + lm.JAW_LINE[3:-3] + (
        18, 200, 199, 175)
    zeros = lm.LIPS_UPPER_INNER + lm.LIPS_UPPER_OUTER + (2, 164, 132, 361, 93, 323, 234, 454)
    ids = list(ones) + list(zeros)
    val = np.r_[np.ones(len(ones)), np.zeros(len(zeros))]
    w = np.exp(-(dist[ids] / 1.3) ** 2)
    jw = (w.T @ val) / np.maximum(w.sum(0), 1e-9)
    far = w.sum(0) < 1e-3  # nowhere near an anchor: above the mouth -> 0, below the chin -> 1
    jw[far] = (vertices[far, 1] < -5.5).astype(float)
    return jw
