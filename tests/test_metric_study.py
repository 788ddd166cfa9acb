"""The study helpers of notebook 05 on hand-made results (no rendering)."""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.metric import study
from emo3d_lib.metric.emo3d import Emo3DResult


def result(kl, mse) -> Emo3DResult:
    n = len(kl)
    phi = np.full((n, 8), 1 / 8)
    return Emo3DResult(k=1, alpha=1.0, eps=0.01, kl=np.asarray(kl, float),
                       exact=np.zeros(n), topk=np.zeros((n, 1), int), psi_bar=phi, phi=phi,
                       mse=np.asarray(mse, float))


def scored(name, kind, kl, mse) -> study.Scored:
    return study.Scored(name, kind, np.zeros((len(kl), 52)), np.zeros((len(kl), 4)),
                        result(kl, mse))


def test_disagreements_find_prompts_ordered_oppositely_by_mse_and_kl():
    a = scored("a", "model", kl=[0.5, 0.1, 0.2], mse=[0.01, 0.05, 0.02])
    b = scored("b", "model", kl=[0.1, 0.3, 0.2], mse=[0.03, 0.01, 0.02])
    dis = study.disagreements({"a": a, "b": b}, top=5)
    # prompt 0: MSE prefers a (0.01 < 0.03), KL prefers b (0.1 < 0.5)
    # prompt 1: MSE prefers b (0.01 < 0.05), KL prefers a (0.1 < 0.3); prompt 2: a tie
    assert sorted(dis["prompt"]) == [0, 1]
    row0 = dis.set_index("prompt").loc[0]
    assert (row0.mse_prefers, row0.kl_prefers) == ("a", "b")
    assert row0.d_mse == pytest.approx(0.02) and row0.d_kl == pytest.approx(0.4)


def test_sanity_checks_and_rank_correlations():
    rng = np.random.default_rng(0)
    gt = scored("ground-truth", "anchor", rng.normal(0.1, 0.05, 300), rng.uniform(0, .01, 300))
    sh = scored("shuffled", "anchor", rng.normal(0.5, 0.05, 300), rng.uniform(0, .03, 300))
    near = scored("random", "anchor", gt.result.kl + 0.001, rng.uniform(0, .1, 300))
    checks = study.sanity_checks({s.name: s for s in (gt, sh, near)}, n_boot=200)
    by = checks.set_index("anchor")
    assert by.loc["shuffled", "ground_truth_better"] and not by.loc["shuffled",
                                                                  "intervals_overlap"]
    assert not by.loc["random", "ground_truth_better"]  # KL only 0.001 higher: overlapping
    # paired difference sees the constant 0.001 offset exactly
    assert by.loc["random", "difference_lo"] == pytest.approx(0.001)
    models = {f"m{i}": scored(f"m{i}", "model", np.full(5, 0.1 * i) + np.arange(5) * 0.01,
                              np.full(5, 0.01 * i) + np.arange(5) * 0.001) for i in range(4)}
    corr = study.rank_correlations(models)
    assert corr["n_models"] == 4 and corr["across_models_spearman"] == pytest.approx(1.0)
    np.testing.assert_allclose(corr["across_samples"]["spearman"], 1.0)
    table = study.summary_table(models, n_boot=50)
    assert list(table["source"]) == ["m0", "m1", "m2", "m3"]
    assert (table["kl_lo"] <= table["mean_kl"]).all() and (table["mean_kl"] <= table["kl_hi"]).all()
