"""KL, normalization and the Emo3D squashing against hand computations (section 4.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.divergence import (
    emo3d_score,
    kl_divergence,
    normalize_emotions,
    reference_code_kl,
)
from emo3d_lib.metric.retrieval import mean_topk_distribution


def onehot(i: int, value: float = 1.0) -> np.ndarray:
    v = np.zeros(8)
    v[i] = value
    return v


def test_normalize_sums_to_one_and_keeps_proportions():
    row = np.array([0.2, 0, 0, 0.9, 0, 0, 0, 0.1])  # the release's example row
    p = normalize_emotions(row)
    assert p.sum() == pytest.approx(1.0)
    assert p[3] == pytest.approx(0.9 / 1.2)
    assert p[0] == pytest.approx(0.2 / 1.2)
    q = normalize_emotions(row, norm_eps=0.1)
    assert q[1] == pytest.approx(0.1 / (1.2 + 0.8))


def test_normalize_refuses_all_zero_and_negative_rows_naming_the_row():
    with pytest.raises(Emo3DError, match="row 1 is all zeros"):
        normalize_emotions(np.stack([onehot(0), np.zeros(8)]))
    with pytest.raises(Emo3DError, match="row 0 has a negative"):
        normalize_emotions(np.stack([onehot(0, -0.5)]))
    with pytest.raises(Emo3DError, match="NaN"):
        normalize_emotions(np.full((1, 8), np.nan))


def test_kl_matches_hand_computation_with_eps_on_second_argument_only():
    phi = np.array([0.5, 0.5, 0, 0, 0, 0, 0, 0])
    psi = np.array([0.25, 0.75, 0, 0, 0, 0, 0, 0])
    expected = 0.5 * math.log(0.5 / 0.26) + 0.5 * math.log(0.5 / 0.76)
    assert kl_divergence(phi, psi) == pytest.approx(expected, abs=1e-12)
    # eps = 0 gives the textbook KL
    assert kl_divergence(phi, psi, eps=0.0) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75), abs=1e-12
    )


def test_zero_log_zero_is_zero_and_psi_zero_where_phi_zero_is_fine():
    phi = onehot(2)
    psi = np.array([0.5, 0, 0.5, 0, 0, 0, 0, 0])
    # only the phi(2) = 1 term counts: log(1 / 0.51)
    assert kl_divergence(phi, psi) == pytest.approx(math.log(1 / 0.51), abs=1e-12)
    with pytest.raises(Emo3DError, match="infinite"):
        kl_divergence(phi, onehot(0), eps=0.0)


def test_identical_distributions_give_the_eps_floor_and_row_wise_shapes():
    phi = normalize_emotions(np.array([[0.2, 0, 0, 0.9, 0, 0, 0, 0.1], [1, 1, 1, 1, 1, 1, 1, 1]]))
    kl = kl_divergence(phi, phi)
    assert kl.shape == (2,)
    # sum_i p_i log(p_i / (p_i + eps)) < 0: with eps a perfect match is slightly negative
    hand = sum(p * math.log(p / (p + 0.01)) for p in phi[0] if p > 0)
    assert kl[0] == pytest.approx(hand, abs=1e-12)
    assert kl[0] < 0 and kl[1] < 0
    # the uniform distribution reaches the lower bound -log(1 + 8 eps) exactly
    assert kl[1] == pytest.approx(-math.log(1 + 8 * 0.01), abs=1e-12)
    assert kl[0] > kl[1]


def test_emo3d_is_the_sigmoid_of_mean_kl_over_alpha():
    assert emo3d_score(0.0) == 0.5
    assert emo3d_score(1.0) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert emo3d_score(1.0, alpha=2.0) == pytest.approx(1 / (1 + math.exp(-0.5)))
    # the paper's card: Emo3D 0.796 corresponds to a mean KL of about log(0.796 / 0.204)
    assert emo3d_score(math.log(0.796 / 0.204)) == pytest.approx(0.796)
    with pytest.raises(Emo3DError, match="alpha"):
        emo3d_score(1.0, alpha=0.0)


def test_psi_bar_is_the_mean_of_the_k_rows_not_the_reference_codes_joint_normalization():
    raw = np.stack([onehot(0), onehot(1), onehot(1, 0.5) + onehot(2, 0.5)])
    dist = normalize_emotions(raw)
    psi_bar = mean_topk_distribution(dist, np.array([[0, 1]]))[0]
    np.testing.assert_allclose(psi_bar[:3], [0.5, 0.5, 0.0])
    phi = normalize_emotions(onehot(0) + onehot(1))  # [0.5, 0.5, 0, ...]
    ours = float(kl_divergence(phi, psi_bar))
    assert ours == pytest.approx(math.log(0.5 / 0.51), abs=1e-12)
    # the authors' metric.py: rows / (sum of both rows) -> [[.5, 0], [0, .5]], + eps, and the
    # KL summed over the two rows: 2 * (0.5 log(0.5/0.51) + 0.5 log(0.5/0.01))
    flawed = reference_code_kl(phi, raw[[0, 1]])
    assert flawed == pytest.approx(math.log(0.5 / 0.51) + math.log(0.5 / 0.01), abs=1e-12)
    assert flawed > 3.8 > ours
    # with K = 1 and a single row the two agree (the flaw needs K > 1)
    assert reference_code_kl(phi, raw[[0]]) == pytest.approx(
        float(kl_divergence(phi, dist[0])), abs=1e-12
    )


def test_psi_bar_averages_normalized_rows_not_raw_intensities():
    raw = np.stack([onehot(0, 1.0), onehot(1, 0.1)])  # very different total intensities
    psi_bar = mean_topk_distribution(normalize_emotions(raw), np.array([[0, 1]]))[0]
    np.testing.assert_allclose(psi_bar[:2], [0.5, 0.5])  # raw-sum-then-normalize gives 10/11, 1/11
