"""Where the rig check loses against its ceiling: the region swap and its premise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emo3d_lib.face.rig_regions import (
    REGIONS,
    _swap,
    _tracking,
    detector_verdict,
    largest_loss,
    region_attribution,
)


def test_swap_moves_only_the_region_by_its_true_motion():
    rng = np.random.default_rng(0)
    detected, true = rng.normal(size=(4, 478, 2)), rng.normal(size=(4, 478, 2))
    ids = list(REGIONS["lips"])
    out = _swap(detected, true, ids)
    rest = np.setdiff1d(np.arange(478), ids)
    assert np.array_equal(out[:, rest], detected[:, rest])
    assert np.allclose(out[:, ids] - out[0, ids], true[:, ids] - true[0, ids])
    assert np.array_equal(out[0, ids], detected[0, ids])


def test_tracking_gain_is_the_share_of_true_motion_followed():
    rng = np.random.default_rng(1)
    true = rng.normal(size=(5, 478, 2))
    detected = true[0] + 0.5 * (true - true[0]) + 3.0  # follows half, offset does not matter
    gain, err, motion = _tracking(detected, true, list(REGIONS["iris"]))
    assert np.isclose(gain, 0.5) and np.isclose(err, 0.5 * motion)


def test_region_attribution_on_the_ict_head():
    ra = region_attribution("ict", samples=12, seed=2, size=128, progress=False)
    # the method's premise: the blendshape model on the detected landmarks is the task's readout
    assert ra.premise < 1e-3
    rows = ra.regions.set_index("true motion swapped in")
    assert {"none (detected)", "every landmark", "ceiling (true positions)", *REGIONS} <= set(
        rows.index)
    assert rows.loc["none (detected)", "gain over detected"] == 0.0
    assert rows.loc["lips", "landmarks"] == 40
    assert ra.detected >= 11 and len(ra.channels) == 51
    assert np.isfinite(ra.channels.drop(columns="channel").to_numpy()).all()


def _table(best: str) -> pd.DataFrame:
    names = ["none (detected)", *REGIONS, "all five regions"]
    return pd.DataFrame({"true motion swapped in": names,
                         "mean r": [0.5 + (0.1 if n == best else 0.01 * i) for i, n in
                                    enumerate(names[:-1])] + [0.9]})


def test_detector_verdict_follows_the_largest_losses():
    assert largest_loss(_table("iris")) == ("iris", 0.6)
    assert detector_verdict(_table("lips"), _table("lips")).startswith("Both heads lose the most "
                                                                      "in the lips")
    assert "different regions (lips, brows)" in detector_verdict(_table("lips"), _table("brows"))
