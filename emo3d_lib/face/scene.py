"""Geometry shared by every backend: morph, identity warp, head pose, camera, projection.

Both renderers and the rig check's ceiling path go through these functions, so the landmarks
fed to the blendshape model are exactly the projected vertices the images show.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.face.head import Head, MeshPart, cached_for
from emo3d_lib.face.identity import Identity

CANON_HEIGHT = 17.67  # face height of the canonical mesh; identity warps are in these units


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Head rotation (degrees): yaw about y, pitch about x (+ = chin down), roll about z."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return (rz @ ry @ rx).astype(np.float32)


def to_world(head: Head, points: np.ndarray, ident: Identity) -> np.ndarray:
    """Head-space points -> world (canonical units, face centred at the origin).

    Worked on contiguous x / y / z columns: the arithmetic of the (N, 3) form (scale, identity
    warp, then :func:`emo3d_lib.face.head.rotate_rows`) operation for operation, so the same
    bytes, in fewer and cheaper passes.
    """
    p = np.asarray(points, np.float32)
    k = CANON_HEIGHT / head.face_height
    c = np.asarray(head.face_center, np.float32)
    x, y, z = ((p[:, j] - c[j]) * k for j in range(3))
    w, h, d, jaw, chin, brow = (0.07 * np.asarray(ident.shape, np.float32))
    lower = np.clip(-y / 8.0, 0, 1)
    upper = np.clip(y / 8.0, 0, 1)
    x = x * (1 + w + jaw * lower)
    y = y * (1 + h + chin * lower + brow * upper)
    z = z * (1 + d)
    r = rotation(ident.yaw, ident.pitch, ident.roll)
    out = np.empty((len(p), 3), np.float32)
    for j in range(3):
        np.add(x * r[j, 0] + y * r[j, 1], z * r[j, 2], out=out[:, j])
    return out


def camera(ident: Identity, size: int) -> tuple[np.ndarray, float]:
    """(4x4 projection*view matrix, camera distance) for a square image of ``size`` px."""
    f = 1.0 / np.tan(np.radians(ident.fov_deg) / 2)
    dist = f * CANON_HEIGHT / (2 * ident.zoom)
    near, far = dist * 0.5, dist * 2.0
    proj = np.array([[f, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                     [0, 0, -1, 0]], np.float64)
    view = np.eye(4)
    span = 2 * dist / f  # visible height at the face, in world units
    view[:3, 3] = (ident.offset[0] * span, -ident.offset[1] * span, -dist)
    return (proj @ view).astype(np.float32), dist


def project(world: np.ndarray, mvp: np.ndarray, size: int) -> np.ndarray:
    """(V, 3) world -> (V, 3) pixel x, pixel y (down), NDC depth."""
    # [world, 1] @ mvp.T written out: thread-count independent (see head.weighted_sum)
    w = np.asarray(world, np.float32)
    m = np.asarray(mvp, np.float32)
    h = w[:, 0:1] * m[:, 0] + w[:, 1:2] * m[:, 1] + w[:, 2:3] * m[:, 2] + m[:, 3]

    ndc = h[:, :3] / h[:, 3:4]
    return np.stack([(ndc[:, 0] * 0.5 + 0.5) * size, (0.5 - ndc[:, 1] * 0.5) * size,
                     ndc[:, 2]], 1)


_INCIDENCE: dict = {}


def _incidence(faces: np.ndarray, n_vertices: int) -> tuple:
    """(corner index columns, sparse (V, F) vertex-face incidence) of a persistent faces array,
    cached by identity: summing the face normals around each vertex is one sparse product."""

    def compute() -> tuple:
        from scipy.sparse import csr_matrix

        rows = np.asarray(faces).reshape(-1)
        cols = np.repeat(np.arange(len(faces)), 3)
        mat = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                         shape=(n_vertices, len(faces)))
        return tuple(np.ascontiguousarray(faces[:, k]) for k in range(3)), mat

    return cached_for(_INCIDENCE, faces, compute, n_vertices)


def vertex_normals(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (unit length).

    Worked on contiguous x / y / z rows (corners gathered with one ``take`` each, the face
    normals summed per vertex one coordinate at a time): the same elementwise arithmetic and
    summation order as on (F, 3) rows, so the same bytes, at about half the time.
    """
    (i0, i1, i2), mat = _incidence(faces, len(v))
    vt = np.ascontiguousarray(np.asarray(v).T)
    a = np.take(vt, i0, axis=1)
    e1, e2 = np.take(vt, i1, axis=1) - a, np.take(vt, i2, axis=1) - a
    fn = np.empty_like(e1)
    np.subtract(e1[1] * e2[2], e1[2] * e2[1], out=fn[0])
    np.subtract(e1[2] * e2[0], e1[0] * e2[2], out=fn[1])
    np.subtract(e1[0] * e2[1], e1[1] * e2[0], out=fn[2])
    n = np.empty((len(vt[0]), 3), fn.dtype)
    for k in range(3):
        n[:, k] = mat @ fn[k]
    return n / np.maximum(np.sqrt(np.einsum("ij,ij->i", n, n))[:, None], 1e-9)


def posed_parts(head: Head, weights: np.ndarray, ident: Identity
                ) -> list[tuple[MeshPart, np.ndarray, np.ndarray]]:
    """(part, world vertices, world normals) for one weight vector and identity."""
    out = []
    eff = head.effective_weights(weights)
    for part in head.parts:
        wv = to_world(head, part.morphed(eff, ident.identity_coeffs), ident)
        out.append((part, wv, vertex_normals(wv, part.faces).astype(np.float32, copy=False)))
    return out


def landmarks_px(head: Head, weights: np.ndarray, ident: Identity, size: int) -> np.ndarray:
    """(478, 2) pixel coordinates of the head's true FaceLandmarker landmarks."""
    mvp, _ = camera(ident, size)
    world = to_world(head, head.landmarks(weights, ident.identity_coeffs), ident)
    return project(world, mvp, size)[:, :2]
