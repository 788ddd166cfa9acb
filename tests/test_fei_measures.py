"""Evaluation measures, circumplex mapping and late-fusion rules of the FEI stage."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.circumplex import CIRCUMPLEX_VA, circumplex_table, valence_arousal
from emo3d_lib.fei.fusion import late_fuse, learn_weight
from emo3d_lib.fei.measures import (
    bootstrap_interval,
    ccc,
    classification_intervals,
    classification_measures,
    emotion_confusion,
    judge_kl,
    regression_measures,
)
from emo3d_lib.schema import EMOTIONS


@pytest.mark.parametrize("seed", range(20))
def test_classification_measures_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    y_true = rng.integers(0, int(rng.integers(1, 9)), n)   # some classes absent
    y_pred = rng.integers(0, 8, n)
    m = classification_measures(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(np.mean(y_true == y_pred))
    for avg in ("weighted", "macro"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=avg,
                                                     zero_division=0)
        assert m[f"precision_{avg}"] == pytest.approx(p)
        assert m[f"recall_{avg}"] == pytest.approx(r)
        assert m[f"f1_{avg}"] == pytest.approx(f)
    np.testing.assert_array_equal(emotion_confusion(y_true, y_pred),
                                  confusion_matrix(y_true, y_pred, labels=list(range(8))))


def test_classification_measures_reject_bad_labels() -> None:
    with pytest.raises(Emo3DError, match="outside"):
        classification_measures(np.array([0, 8]), np.array([0, 1]))
    with pytest.raises(Emo3DError, match="equal length"):
        classification_measures(np.array([0, 1]), np.array([0]))


def test_regression_measures_and_ccc() -> None:
    t = np.array([[0.0, 1.0], [0.5, 0.5]])
    m = regression_measures(t, t)
    assert m["mse"] == 0 and m["mae"] == 0 and m["ccc"] == pytest.approx(1.0)
    p = t + 0.1
    m = regression_measures(t, p)
    assert m["mse"] == pytest.approx(0.01) and m["rmse"] == pytest.approx(0.1)
    assert m["mae"] == pytest.approx(0.1)
    # CCC penalises a shift that Pearson's r ignores
    assert ccc(t, p) < 1.0 and np.corrcoef(t.ravel(), p.ravel())[0, 1] == pytest.approx(1.0)
    assert ccc(t, -t) < 0


def test_bootstrap_interval_contains_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 8, 300)
    pred = np.where(rng.random(300) < 0.6, y, rng.integers(0, 8, 300))
    ci = classification_intervals(y, pred, n_boot=300, seed=1)
    acc = classification_measures(y, pred)["accuracy"]
    assert ci["accuracy"][0] < acc < ci["accuracy"][1]
    assert ci == classification_intervals(y, pred, n_boot=300, seed=1)
    assert ci != classification_intervals(y, pred, n_boot=300, seed=2)
    lo, hi = bootstrap_interval(lambda idx: float(np.mean(y[idx] == pred[idx])), 300,
                                n_boot=300, seed=1)
    assert lo < acc < hi and hi - lo < 0.2
    narrow = classification_intervals(y, pred, n_boot=300, seed=1, level=0.5)["accuracy"]
    assert ci["accuracy"][0] < narrow[0] < narrow[1] < ci["accuracy"][1]  # level is honoured


def test_judge_kl_zero_for_same_distribution_and_positive_otherwise() -> None:
    phi = np.array([[0.2, 0, 0, 0.9, 0, 0, 0, 0.1]])
    # eps on the second argument makes KL(phi||phi) slightly negative, as in the metric
    assert judge_kl(phi, phi)[0] == pytest.approx(0.0, abs=0.08)
    other = np.array([[0, 1.0, 0, 0, 0, 0, 0, 0]])
    assert judge_kl(phi, other)[0] > 1.0


def test_circumplex_coordinates_and_mapping() -> None:
    assert CIRCUMPLEX_VA.shape == (8, 2)
    assert np.allclose(CIRCUMPLEX_VA[EMOTIONS.index("neutral")], 0)
    hap, sad = CIRCUMPLEX_VA[EMOTIONS.index("happiness")], CIRCUMPLEX_VA[EMOTIONS.index("sadness")]
    ang = CIRCUMPLEX_VA[EMOTIONS.index("anger")]
    assert hap[0] > 0.9 and sad[0] < -0.5 and sad[1] < 0 and ang[1] > 0.9
    for e in ("sadness", "anger", "disgust", "fear", "contempt"):
        assert CIRCUMPLEX_VA[EMOTIONS.index(e), 0] < 0, e
    assert list(circumplex_table().index) == list(EMOTIONS)
    one_hot = np.eye(8)
    np.testing.assert_allclose(valence_arousal(one_hot), CIRCUMPLEX_VA, atol=1e-6)
    # neutral weight pulls towards the origin; scale of intensities does not matter
    half = valence_arousal(np.array([[1.0, 1.0, 0, 0, 0, 0, 0, 0]]))[0]
    np.testing.assert_allclose(half, hap / 2, atol=1e-6)
    np.testing.assert_allclose(valence_arousal(np.array([[0, 0.3, 0, 0, 0, 0, 0, 0]]))[0], hap,
                               atol=1e-6)
    with pytest.raises(Emo3DError, match="shape"):
        valence_arousal(np.ones((2, 7)))


def test_late_fusion_rules() -> None:
    a = np.array([[0.7, 0.3], [0.2, 0.8]])
    b = np.array([[0.4, 0.6], [0.5, 0.5]])
    np.testing.assert_allclose(late_fuse(a, b, "mean"), (a + b) / 2)
    mx = late_fuse(a, b, "max")
    np.testing.assert_allclose(mx, np.maximum(a, b) / np.maximum(a, b).sum(1, keepdims=True))
    np.testing.assert_allclose(late_fuse(a, b, "weighted", 1.0), a)
    np.testing.assert_allclose(late_fuse(a, b, "weighted", 0.0, probabilities=False), b)
    with pytest.raises(Emo3DError, match="rule"):
        late_fuse(a, b, "median")
    with pytest.raises(Emo3DError, match="weight"):
        late_fuse(a, b, "weighted", 1.5)


def test_learned_weight_prefers_the_informative_branch() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 8, 400)
    good = np.full((400, 8), 0.02)
    good[np.arange(400), y] = 0.86
    noise = rng.dirichlet(np.ones(8), 400)
    assert learn_weight(good, noise, labels=y) > 0.7
    assert learn_weight(noise, good, labels=y) < 0.3
    target = good.copy()
    assert learn_weight(noise, good, targets=target) == 0.0
