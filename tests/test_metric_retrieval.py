"""Top-K retrieval, exact-match@K, bootstrap intervals and the balanced selection."""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.bootstrap import bootstrap_ci, paired_difference_ci
from emo3d_lib.metric.retrieval import (
    cosine_similarity,
    exact_match,
    mean_topk_distribution,
    top_k_prompts,
)
from emo3d_lib.metric.selection import balanced_order, select_balanced
from emo3d_lib.schema import EMOTIONS


def test_top_k_orders_by_cosine_and_breaks_ties_by_index():
    text = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 2.0], [-1.0, 0.0]])
    image = np.array([[3.0, 0.1], [0.0, 5.0]])
    # image 0: cos with t0 ~ .9994, t2 = t3 ~ .7306, t1 ~ .0333, t4 ~ -.9994
    np.testing.assert_array_equal(top_k_prompts(image, text, 4)[0], [0, 2, 3, 1])
    # image 1: t1 = 1, t2 = t3 = .7071 (tie -> lower index first), t0 = 0
    np.testing.assert_array_equal(top_k_prompts(image, text, 3)[1], [1, 2, 3])
    sim = cosine_similarity(image, text)
    assert sim[1, 2] == pytest.approx(np.sqrt(0.5))


def test_top_k_is_scale_invariant_and_checks_k():
    rng = np.random.default_rng(0)
    img, txt = rng.normal(size=(6, 5)), rng.normal(size=(9, 5))
    np.testing.assert_array_equal(top_k_prompts(img, txt, 4), top_k_prompts(img * 7, txt * 0.1, 4))
    with pytest.raises(Emo3DError, match="k must be in"):
        top_k_prompts(img, txt, 10)
    with pytest.raises(Emo3DError, match="dim"):
        top_k_prompts(img, txt[:, :3], 2)


def test_exact_match_and_mean_of_rows():
    topk = np.array([[0, 2], [0, 2], [1, 2]])
    np.testing.assert_array_equal(exact_match(topk), [1.0, 0.0, 1.0])
    dist = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(mean_topk_distribution(dist, topk),
                               [[0.75, 0.25], [0.75, 0.25], [0.25, 0.75]])


def test_bootstrap_is_seeded_and_covers_the_mean():
    values = np.random.default_rng(1).normal(2.0, 1.0, size=400)
    a = bootstrap_ci(values, n_boot=500, seed=3)
    assert a == bootstrap_ci(values, n_boot=500, seed=3)
    assert a != bootstrap_ci(values, n_boot=500, seed=4)
    assert a[0] < values.mean() < a[1]
    # width ~ 2 * 1.96 * sd / sqrt(n) = 0.196
    assert 0.15 < a[1] - a[0] < 0.25
    lo, hi = paired_difference_ci(values + 1.0, values, n_boot=200, seed=0)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    with pytest.raises(Emo3DError, match="NaN"):
        bootstrap_ci(np.array([1.0, np.nan]))


def _emotions_with_dominant(counts: dict[int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = []
    for e, c in counts.items():
        for _ in range(c):
            v = rng.uniform(0, 0.3, size=8)
            v[e] = 0.9
            rows.append(v)
    return np.array(rows)


def test_balanced_selection_is_balanced_nested_seeded_and_skips_ineligible():
    emo = _emotions_with_dominant({e: 20 for e in range(8)} | {3: 5})
    emo = np.vstack([emo, np.zeros((1, 8))])  # an all-zero row is never selected
    sel = select_balanced(emo, 40, seed=0)
    counts = np.bincount(emo[sel].argmax(1), minlength=8)
    assert counts[3] == 5 and sorted(counts)[1:] == [5] * 7  # 40 = 8 x 5 here, class 3 has 5
    assert len(set(sel.tolist())) == 40 and emo.shape[0] - 1 not in sel
    np.testing.assert_array_equal(sel[:16], select_balanced(emo, 16, seed=0))
    assert not np.array_equal(sel, select_balanced(emo, 40, seed=1))
    # class 3 exhausted after 5 rounds: the others keep filling
    big = select_balanced(emo, 145, seed=0)
    assert np.bincount(emo[big].argmax(1), minlength=8)[3] == 5
    eligible = np.ones(emo.shape[0], bool)
    eligible[:20] = False  # no neutral-dominant rows eligible
    order = balanced_order(emo, seed=0, eligible=eligible)
    assert EMOTIONS[0] == "neutral" and not (emo[order].argmax(1) == 0).any()
    with pytest.raises(Emo3DError, match="only 145 eligible"):
        select_balanced(emo, 146)
