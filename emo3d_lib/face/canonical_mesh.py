"""MediaPipe's canonical face mesh, read out of ``face_landmarker.task`` with no protobuf package.

``geometry_pipeline_metadata_landmarks.binarypb`` is a tiny protobuf:
GeometryPipelineMetadata{1: Mesh3d, 2: repeated WeightedLandmarkRef, 3: input_source};
Mesh3d{1: vertex_type, 2: primitive_type, 3: repeated float vertex_buffer (x,y,z,u,v per vertex),
4: repeated uint32 index_buffer}. Vertex i is FaceLandmarker's landmark i, which is why deforming
this mesh moves exactly the points MediaPipe reads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from emo3d_lib.errors import Emo3DError

MEMBER = "geometry_pipeline_metadata_landmarks.binarypb"


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise Emo3DError(f"{MEMBER}: truncated varint at byte {pos}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def parse_fields(buf: bytes) -> list[tuple[int, int, bytes | int]]:
    """Top-level (field, wire type, payload) triples of one protobuf message."""
    out: list[tuple[int, int, bytes | int]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
            out.append((field, wire, val))
        elif wire == 1:
            out.append((field, wire, buf[pos:pos + 8]))
            pos += 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            out.append((field, wire, buf[pos:pos + n]))
            pos += n
        elif wire == 5:
            out.append((field, wire, buf[pos:pos + 4]))
            pos += 4
        else:
            raise Emo3DError(f"{MEMBER}: unsupported wire type {wire} at byte {pos}")
    return out


def _packed_varints(data: bytes) -> list[int]:
    vals, pos = [], 0
    while pos < len(data):
        v, pos = _varint(data, pos)
        vals.append(v)
    return vals


@dataclass(frozen=True)
class CanonicalMesh:
    """468 vertices in MediaPipe's metric head space (cm, +y up, +z towards the viewer)."""

    vertices: np.ndarray  # float32 (468, 3)
    uv: np.ndarray        # float32 (468, 2)
    faces: np.ndarray     # int32 (898, 3)
    procrustes_ids: np.ndarray      # int32 (33,)
    procrustes_weights: np.ndarray  # float32 (33,)


@functools.cache
def canonical_mesh() -> CanonicalMesh:
    """Parse the mesh from the verified task bundle (cached per process)."""
    from emo3d_lib.face.assets import task_member

    top = parse_fields(task_member(MEMBER))
    mesh_msgs = [p for f, w, p in top if f == 1 and w == 2]
    if not mesh_msgs:
        raise Emo3DError(f"{MEMBER}: no Mesh3d field")
    floats: list[np.ndarray] = []
    indices: list[int] = []
    for f, w, p in parse_fields(mesh_msgs[0]):  # type: ignore[arg-type]
        if f == 3 and w == 2 or f == 3 and w == 5:
            floats.append(np.frombuffer(p, "<f4"))  # type: ignore[arg-type]
        elif f == 4 and w == 2:
            indices.extend(_packed_varints(p))  # type: ignore[arg-type]
        elif f == 4 and w == 0:
            indices.append(p)  # type: ignore[arg-type]
    vb = np.concatenate(floats).astype(np.float32).reshape(-1, 5)
    faces = np.asarray(indices, np.int32).reshape(-1, 3)
    ids, weights = [], []
    for f, w, p in top:
        if f == 2 and w == 2:
            ref = {ff: pp for ff, ww, pp in parse_fields(p)}  # type: ignore[arg-type]
            ids.append(int(ref.get(1, 0)))  # type: ignore[arg-type]
            wb = ref.get(2, b"\0\0\0\0")
            weights.append(float(np.frombuffer(wb, "<f4")[0]))  # type: ignore[arg-type]
    if vb.shape[0] != 468 or faces.max() >= 468:
        raise Emo3DError(f"{MEMBER}: expected 468 vertices, got {vb.shape[0]}")
    return CanonicalMesh(vertices=vb[:, :3].copy(), uv=vb[:, 3:].copy(), faces=faces,
                         procrustes_ids=np.asarray(ids, np.int32),
                         procrustes_weights=np.asarray(weights, np.float32))
