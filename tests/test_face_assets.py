"""MediaPipe task asset and the canonical mesh read out of it."""

import hashlib

import numpy as np

from emo3d_lib.face import assets
from emo3d_lib.face.canonical_mesh import canonical_mesh, parse_fields


def test_task_is_verified_and_cached():
    path = assets.face_landmarker_task()
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == assets.TASK_SHA256
    assert assets.task_member("face_blendshapes.tflite")[:8]  # non-empty member


def test_canonical_mesh_shape_and_symmetry():
    m = canonical_mesh()
    assert m.vertices.shape == (468, 3) and m.faces.shape == (898, 3)
    assert m.faces.min() == 0 and m.faces.max() == 467
    assert ((m.uv >= 0) & (m.uv <= 1)).all()
    assert len(m.procrustes_ids) == len(m.procrustes_weights) > 0
    # landmark 33 (right eye outer corner) mirrors 263 (left eye outer corner)
    np.testing.assert_allclose(m.vertices[33] * [-1, 1, 1], m.vertices[263], atol=1e-5)
    assert m.vertices[263, 0] > 0  # subject's left is +x


def test_wire_reader_handles_varints_and_packed_floats():
    # field 1 varint 300, field 3 length-delimited two floats
    payload = np.array([1.5, -2.0], "<f4").tobytes()
    buf = bytes([0x08, 0xAC, 0x02, 0x1A, len(payload)]) + payload
    fields = parse_fields(buf)
    assert fields[0] == (1, 0, 300)
    assert np.frombuffer(fields[1][2], "<f4").tolist() == [1.5, -2.0]
