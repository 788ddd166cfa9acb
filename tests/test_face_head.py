"""The built-in head's rig: all channels present, sided correctly, landmarks aligned."""

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.canonical_mesh import canonical_mesh
from emo3d_lib.face.head import (
    check_weights,
    sparse_weighted_sum,
    weighted_sum,
    weighted_sum_reference,
)
from emo3d_lib.face.heads import load_head
from emo3d_lib.face.rig import cut_openings
from emo3d_lib.schema import BLENDSHAPES

B = BLENDSHAPES.index


@pytest.fixture(scope="module")
def head():
    return load_head("builtin")


def test_parts_follow_contract(head):
    assert head.part("skin").vertices.shape == (468, 3)
    for p in head.parts:
        assert p.vertices.dtype == np.float32 and p.faces.dtype == np.int32
        assert p.faces.max() < len(p.vertices)
        assert p.morph_targets.shape == (52, len(p.vertices), 3)
        assert not p.morph_targets[0].any()  # _neutral never moves anything
        if p.texture is not None:
            assert p.texture.dtype == np.uint8 and p.uv.shape == (len(p.vertices), 2)
    assert "MediaPipe" in head.credit
    assert load_head("builtin") is head  # cached per process


def test_every_arkit_channel_moves_something(head):
    motion = sum(np.abs(p.morph_targets).max(axis=(1, 2)) for p in head.parts)
    still = [n for n, m in zip(BLENDSHAPES[1:], motion[1:], strict=True) if m < 0.05]
    assert still == []


def test_left_channels_move_the_subjects_left(head):
    skin = head.part("skin")
    x = skin.vertices[:, 0]
    for name in ("eyeBlinkLeft", "mouthSmileLeft", "browDownLeft", "mouthFrownLeft"):
        d = np.linalg.norm(skin.morph_targets[B(name)], axis=1)
        assert d[x > 0.5].sum() > 5 * d[x < -0.5].sum(), name
        right = np.linalg.norm(skin.morph_targets[B(name.replace("Left", "Right"))], axis=1)
        assert right[x < -0.5].sum() > 5 * right[x > 0.5].sum(), name


def test_mouth_and_eyes_are_cut_open():
    m = canonical_mesh()
    faces = cut_openings(m.vertices, m.faces)
    assert len(m.faces) - len(faces) == 18 + 14 + 14  # inner-lip and two eye openings


def test_landmarks_follow_the_rig(head):
    w = np.zeros(52, np.float32)
    neutral = head.landmarks(w)
    w[B("jawOpen")] = 1
    opened = head.landmarks(w)
    assert neutral.shape == (478, 3)
    assert opened[14, 1] < neutral[14, 1] - 0.5  # lower inner lip drops
    assert abs(opened[13, 1] - neutral[13, 1]) < 0.2  # upper inner lip stays
    w[:] = 0
    w[B("eyeLookOutLeft")] = 1
    assert head.landmarks(w)[473, 0] > neutral[473, 0] + 0.2  # left iris turns to +x


def test_check_weights_rejects_bad_vectors():
    with pytest.raises(Emo3DError, match="52"):
        check_weights(np.zeros(51))
    bad = np.zeros((2, 52))
    bad[1, 6] = np.nan
    with pytest.raises(Emo3DError, match="row 1.*cheekPuff"):
        check_weights(bad)
    with pytest.raises(Emo3DError, match="unknown head"):
        load_head("nope")


@pytest.mark.parametrize("active", [30, 3, 1, 0])
def test_weighted_sum_matches_the_elementwise_loop_byte_for_byte(active):
    """The einsum / in-place paths must write the bytes of the plain loop (datasets rendered
    before the speed-up stay reproducible, whatever the thread count)."""
    rng = np.random.default_rng(active)
    targets = rng.standard_normal((30, 500, 3)).astype(np.float32)
    coeffs = np.zeros(30, np.float32)
    coeffs[rng.permutation(30)[:active]] = rng.standard_normal(active)
    fast, ref = weighted_sum(coeffs, targets), weighted_sum_reference(coeffs, targets)
    assert fast.dtype == np.float32 and fast.shape == (500, 3)
    assert fast.tobytes() == ref.tobytes()


def test_sparse_weighted_sum_matches_the_loop_on_regional_targets():
    """Targets that move a few regions (zero rows elsewhere), every channel active as in
    MediaPipe's readings: the run-skipping sum writes the bytes of the plain loop."""
    rng = np.random.default_rng(1)
    targets = np.zeros((52, 3000, 3), np.float32)
    for t in targets:
        for _ in range(3):
            a = rng.integers(0, 2900)
            t[a:a + rng.integers(1, 600)] = rng.standard_normal((1, 3))
    targets[:, rng.integers(0, 3000, 50)] = 0.0  # holes inside runs
    coeffs = rng.uniform(0, 1, 52).astype(np.float32)
    coeffs[[3, 7]] = 0.0
    fast = sparse_weighted_sum(coeffs, targets)
    assert fast.tobytes() == weighted_sum_reference(coeffs, targets).tobytes()
