"""Rig calibration helpers and the shipped calibration file (no MediaPipe passes here)."""

import json

import numpy as np

from emo3d_lib.face.builtin_head import build_builtin_head, load_curves, load_gains
from emo3d_lib.face.calibrate import tuned_head, write_calibration
from emo3d_lib.face.rig_check import pearson, sparse_weights
from emo3d_lib.schema import BLENDSHAPES


def test_shipped_calibration_covers_every_channel():
    gains, curves = load_gains(), load_curves()
    assert set(gains) == set(BLENDSHAPES[1:]) == set(curves)
    assert all(0.1 < g < 10 for g in gains.values())
    assert all(0.2 < c <= 2 for c in curves.values())


def test_tuned_head_scales_targets_and_curve():
    base = build_builtin_head({}, {})
    g = np.ones(52, np.float32)
    g[BLENDSHAPES.index("jawOpen")] = 2.0
    c = np.ones(52, np.float32)
    c[BLENDSHAPES.index("mouthSmileLeft")] = 0.5
    head = tuned_head(base, g, c)
    k = BLENDSHAPES.index("jawOpen")
    np.testing.assert_allclose(head.parts[0].morph_targets[k], 2 * base.parts[0].morph_targets[k])
    w = np.zeros(52, np.float32)
    w[BLENDSHAPES.index("mouthSmileLeft")] = 0.25
    assert head.effective_weights(w)[BLENDSHAPES.index("mouthSmileLeft")] == 0.5


def test_write_calibration_round_trip(tmp_path):
    path = write_calibration({"jawOpen": 1.5}, {"jawOpen": 1.0}, {"seed": 1}, tmp_path / "g.json")
    assert json.loads(path.read_text())["gains"]["jawOpen"] == 1.5


def test_sparse_weights_and_pearson():
    w = sparse_weights(200, 3)
    assert w.shape == (200, 52) and not w[:, 0].any()
    assert 3 < (w > 0).sum(1).mean() < 7.5
    np.testing.assert_array_equal(w, sparse_weights(200, 3))
    r = pearson(w, w * 2 + 1)
    assert np.allclose(r[1:], 1.0) and r[0] == 0.0
