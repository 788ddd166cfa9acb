"""The read-out yardstick: it undoes linear cross-talk, and its own-score column is rig-check's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emo3d_lib.face.rig_check import pearson, run_rig_check, sparse_weights
from emo3d_lib.face.rig_readout import (
    Readout,
    read_out,
    readout_check,
    readout_verdict,
    ridge_readout,
)
from emo3d_lib.schema import BLENDSHAPES


def test_readout_undoes_linear_crosstalk_that_own_scores_keep():
    rng = np.random.default_rng(0)
    weights = sparse_weights(2000, 7)
    mix = np.eye(52) + 0.8 * np.roll(np.eye(52), 1, axis=1)  # each channel leaks into the next
    scores = weights @ mix + rng.normal(0, 0.01, size=weights.shape)
    fit, check = slice(0, 1500), slice(1500, None)
    coef = ridge_readout(scores[fit], weights[fit])
    own = pearson(weights[check], scores[check])[1:]
    back = pearson(weights[check], read_out(coef, scores[check]))[1:]
    assert own.mean() < 0.8 and back.mean() > 0.99


def _readout(own: float, back: float) -> Readout:
    table = pd.DataFrame({"channel": ["jawOpen", "mouthClose"], "own score r": [own, own],
                          "read-out r": [back, back]})
    return Readout(table, 100, 30, 30)


def test_verdict_follows_the_numbers_both_ways():
    below = readout_verdict(_readout(0.5, 0.55))
    assert "stays 0.050 below the 0.6 goal" in below and "0 of 1 strict" in below
    above = readout_verdict(_readout(0.5, 0.85))
    assert "reaches the 0.6 goal by 0.250" in above and "1 of 1 strict" in above
    assert "(own scores: 0)" in above


def test_readout_check_on_the_ict_head_matches_rig_check():
    res = readout_check("ict", samples=20, seed=2, fit_samples=60, size=128, progress=False)
    # the same vectors, head and dead rule (ceiling + this head's images): rig-check's figures
    rig = run_rig_check("ict", samples=20, seed=2, size=128, facecap=False, progress=False,
                        compare_builtin=False)
    assert res.detected == rig.detected and res.fit_samples > 50
    assert res.channels["channel"].tolist() == [BLENDSHAPES[k] for k in rig.live]
    assert np.allclose(res.channels["own score r"], rig.r_image[rig.live], atol=1e-9)
    assert np.isclose(res.own_mean, rig.mean_r)
