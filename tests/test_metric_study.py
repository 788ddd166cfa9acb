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


def test_spearman_interval_brackets_the_point_and_counts_identical_rankings():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.0, 0.05, 200)
    same = {f"m{i}": scored(f"m{i}", "model", 0.2 * i + 20 * base, 0.01 * i + base)
            for i in range(4)}
    ci = study.spearman_interval(same, n_boot=200, seed=0)
    assert ci["spearman"] == pytest.approx(1.0) and ci["lo"] == pytest.approx(1.0)
    assert ci["share_identical"] == pytest.approx(1.0)
    # two models whose KL order flips from draw to draw: the interval must widen below 1
    noisy = dict(same)
    kl0 = same["m0"].result.kl
    flip = kl0.mean() + 0.002 + rng.normal(0, 0.3, 200)
    noisy["m1"] = scored("m1", "model", flip - flip.mean() + kl0.mean() + 0.002, 0.01 + base)
    ci = study.spearman_interval(noisy, n_boot=200, seed=0)
    assert ci["lo"] < 1.0 and ci["hi"] == pytest.approx(1.0)
    assert 0.0 < ci["share_identical"] < 1.0
    assert study.spearman_interval(dict(list(same.items())[:2]))["spearman"] is None
    rec = study.spearman_record(same, n_boot=50)
    assert set(rec) >= {"spearman_lo", "spearman_hi", "spearman_share_identical"}


def test_claims_view_uses_the_summary_page_verdicts():
    from emo3d_lib.book import summary
    from emo3d_lib.metric import study_views

    def src(kl, half=0.01):
        return {"mean_kl": kl, "intervals": {"mean_kl": [kl - half, kl + half]}}

    rec = {"backbone": "pix", "sources": {
        "lm-mlp": src(0.5), "clip-mlp": src(0.3), "ground-truth": src(0.1),
        "shuffled": src(0.6), "random": src(0.7), "mean-face": src(0.8)},
        "rank_correlations": {"across_models_spearman": 1.0, "spearman_hi": 1.0,
                              "n_models": 3}}
    view = study_views.claims_view(rec | {"alternatives": {"mediapipe": rec}}, summary)
    verdicts = view["verdict"].map(summary.verdict_word)
    assert verdicts.loc[("CLIP + regression unit best on Emo3D", "pixels")] == "holds"
    assert verdicts.loc[("MSE and Emo3D do not consistently align", "mediapipe")] == \
        "does not hold"
    assert verdicts.loc[("the metric prefers the right face", "pixels")] == "holds"


def test_score_towers_renders_each_batch_once_for_every_tower():
    """Two image towers judge the very same renders; each batch is rendered once."""
    from emo3d_lib.metric.emo3d import Emo3DEvaluator
    from emo3d_lib.metric.prompts import MetricPrompts

    rng = np.random.default_rng(0)
    n = 10
    emotions = rng.uniform(0.05, 1, (n, 8))
    prompts = MetricPrompts(sample_ids=np.arange(n), texts=tuple(f"t{i}" for i in range(n)),
                            emotions=emotions)
    calls = []

    def render(w):
        calls.append(len(w))
        return (np.asarray(w)[:, :3, None, None].transpose(0, 2, 3, 1) * 255).astype(
            np.uint8).repeat(4, 1).repeat(4, 2)

    class Tower:
        def __init__(self, name, sign):
            self.name, self.sign = name, sign

        def encode_text(self, texts):
            return np.eye(3)[[int(t[1:]) % 3 for t in texts]] + 0.1

        def encode_images(self, images):
            return self.sign * images[:, 0, 0, :].astype(float) + 1.0

    ev = Emo3DEvaluator(prompts, Tower("a", 1), render, k=2, batch_size=4, progress=False)
    towers = {"a": ev, "b": study.with_backbone(ev, Tower("b", -1))}
    faces = rng.uniform(0, 1, (n, 52)).astype(np.float32)
    out = study.score_towers(towers, {"m": ("model", faces)}, progress=False)
    assert calls == [4, 4, 2]  # 10 faces, batches of 4, rendered once for both towers
    assert out["a"]["m"].result.meta["backbone"] == "a"
    assert out["b"]["m"].result.meta["backbone"] == "b"
    np.testing.assert_allclose(out["a"]["m"].image_emb, ev.embed_faces(faces))
    assert not np.allclose(out["a"]["m"].image_emb, out["b"]["m"].image_emb)


def _label_boxes(fig, ax):
    """Display-pixel boxes of the axes' labels (their text, not leader lines), after a draw."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return {t.get_text(): Text.get_window_extent(t, renderer) for t in ax.texts}


def _collisions(fig, ax):
    """(pairs of labels whose text overlaps, labels not wholly inside the axes)."""
    boxes = _label_boxes(fig, ax)
    names = sorted(boxes)
    frame = ax.get_window_extent()
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
             if boxes[a].overlaps(boxes[b])]
    outside = [n for n, b in boxes.items() if not (frame.x0 <= b.x0 and b.x1 <= frame.x1
                                                   and frame.y0 <= b.y0 and b.y1 <= frame.y1)]
    return pairs, outside


#: Chapter 5's crowd: five models within 1 % of each other, anchors around, "random" at the far
#: right (where a fixed right-hand offset pushed its label out of the axes).
CROWD = {"lm-mlp": (0.0091, 0.410), "clip-mlp": (0.0093, 0.420), "bert-mlp": (0.0092, 0.415),
         "emotion-xlm": (0.0094, 0.430), "lm-linear": (0.0095, 0.425),
         "mean-face": (0.011, 0.50), "neutral": (0.0125, 0.70), "random": (0.045, 0.90),
         "ground-truth": (0.0, 0.30)}


def test_scatter_labels_neither_overlap_nor_leave_the_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emo3d_lib.metric.study_plots import place_labels

    xy = np.array(list(CROWD.values()))
    fig, (naive, placed) = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax in (naive, placed):
        ax.plot(xy[:, 0], xy[:, 1], "o")
    fig.tight_layout()
    for name, (x, y) in CROWD.items():  # the old way: one fixed offset up-right
        naive.annotate(name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    pairs, outside = _collisions(fig, naive)
    assert pairs and outside == ["random"]  # the data are a real test: the old way collides
    place_labels(placed, xy, list(CROWD))
    assert _collisions(fig, placed) == ([], [])
    plt.close(fig)
    with pytest.raises(ValueError, match="2 points but 1 labels"):
        place_labels(placed, xy[:2], ["a"])


def test_mse_vs_kl_figure_labels_every_source_legibly():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from emo3d_lib.metric.study_plots import mse_vs_kl_figure

    mse, kl = np.array(list(CROWD.values())).T
    table = pd.DataFrame({"source": list(CROWD), "kind": ["model"] * 5 + ["anchor"] * 4,
                          "mse": mse, "mse_lo": mse * 0.95, "mse_hi": mse * 1.05,
                          "mean_kl": kl, "kl_lo": kl - 0.02, "kl_hi": kl + 0.02})
    fig = mse_vs_kl_figure({"pixel": table, "clip": table}, {"pixel": "a", "clip": "b"}, 3)
    for ax in fig.axes:
        assert sorted(t.get_text() for t in ax.texts) == sorted(CROWD)
        assert _collisions(fig, ax) == ([], [])
    plt.close(fig)
