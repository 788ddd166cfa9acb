"""The dataset's retrieval ceiling (oracles on both sides) and issue #12's recall bar verdict."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.data import load_training_data
from emo3d_lib.models.retrieval_ceiling import (
    dataset_activations,
    learned_activation_ceiling,
    recall_bar,
    retrieval_ceilings,
    tied_recall,
    true_activations,
)
from emo3d_lib.models.train_clip import chance_recall


def test_tied_recall_is_the_expectation_over_random_tie_breaks() -> None:
    pos = np.zeros((1, 12), bool)
    pos[0, 3] = True
    flat = np.zeros((1, 12))
    assert math.isclose(tied_recall(flat, pos, 5), chance_recall(12, pos.sum(1), 5))
    assert tied_recall(pos.astype(float), pos, 1) == 1.0
    score = np.array([[1.0, 1.0, 1.0, 2.0]])
    first = np.array([[True, False, False, False]])
    assert tied_recall(score, first, 1) == 0.0  # a negative ranks above every positive
    assert math.isclose(tied_recall(score, first, 3), 1 - math.comb(2, 2) / math.comb(3, 2))
    rng = np.random.default_rng(0)  # brute force: average over random tie-breaks
    s = rng.integers(0, 3, (40, 30)).astype(float)
    p = rng.random((40, 30)) < 0.1
    p[:, 0] = True
    def one_draw() -> float:
        order = np.argsort(-(s + 1e-6 * rng.random(s.shape)), axis=1)[:, :5]
        return float(np.take_along_axis(p, order, 1).any(1).mean())

    est = np.mean([one_draw() for _ in range(400)])
    assert abs(tied_recall(s, p, 5) - est) < 0.01


@pytest.mark.parametrize(("candidate", "baseline", "ceiling", "learned", "verdict"), [
    (0.45, 0.2, 0.9, None, "met"),
    (0.45, 0.2, 0.9, 0.35, "met"),
    (0.30, 0.2, 0.9, None, "not met"),
    (0.30, 0.2, 0.9, 0.45, "not met"),
    (0.30, 0.2, 0.9, 0.35, "beyond the text side"),
    (0.30, 0.2, 0.39, 0.35, "unreachable"),
    (None, 0.2, 0.9, 0.35, "undetermined"),
])
def test_recall_bar_verdict_follows_from_its_numbers(candidate: float | None, baseline: float,
                                                     ceiling: float, learned: float | None,
                                                     verdict: str) -> None:
    got = recall_bar(candidate, baseline, 0.025, ceiling, learned=learned)
    assert got["verdict"] == verdict
    if candidate is not None:
        assert got["bar"] == pytest.approx(0.4)
        assert f"{ceiling:.3f}" in got["sentence"] and f"{candidate:.3f}" in got["sentence"]
    if verdict == "beyond the text side":
        assert f"{learned:.3f}" in got["sentence"]
    assert recall_bar(0.5, 0.01, 0.025, 0.9)["bar"] == pytest.approx(0.125)  # 5 x chance rules


def test_ceilings_of_a_generated_dataset(image_dataset: Path) -> None:
    out = retrieval_ceilings(load_training_data(image_dataset), "test")
    oracles, chance = out["oracles"], out["text_to_image_chance"]["R@10"]
    assert set(oracles) == {"emotions|emotions", "words|emotions", "emotions|blendshapes"}
    for rec in oracles.values():
        for way in ("text_to_image", "image_to_text"):
            r = rec[way]
            assert 0 <= r["R@1"] <= r["R@5"] <= r["R@10"] <= 1
    bayes = oracles["emotions|emotions"]["text_to_image"]["R@10"]
    # the levels words can say are coarser than the true intensities: never a higher ceiling
    assert oracles["words|emotions"]["text_to_image"]["R@10"] <= bayes + 1e-12
    assert bayes > chance
    assert out["distinct_mixtures"] <= out["n_texts"]


def test_learned_probe_reads_the_true_activations_and_keeps_nothing(
        image_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    td = load_training_data(image_dataset)
    acts = dataset_activations(td)
    test = td.split("test")
    assert np.array_equal(acts[test.image_idx], true_activations(td, test, np.arange(len(test))))
    assert not np.allclose(acts, td.image_blendshapes)  # not MediaPipe's reading
    made = []
    real = tempfile.TemporaryDirectory

    def spy(*args, **kwargs):  # the probe trains in a scratch dir under tmp_path
        made.append(real(*args, dir=tmp_path, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    got = learned_activation_ceiling(td, epochs=1)
    assert len(made) == 1
    r = got["test"]["text_to_image"]
    assert 0 <= r["R@1"] <= r["R@5"] <= r["R@10"] <= 1
    assert list(tmp_path.iterdir()) == []  # the probe's weights are not kept


def test_blendshape_oracle_needs_the_generation_manifest(tiny_model_dataset: Path) -> None:
    with pytest.raises(Emo3DError, match="generation seed"):
        retrieval_ceilings(load_training_data(tiny_model_dataset), "test")


def test_levels_read_float32_intensities_as_the_generator_does() -> None:
    from emo3d_lib.models.retrieval_ceiling import _levels

    got = _levels(np.array([[0.0, 0.4, 0.5, 0.7, 0.8, 1.0, 0.1, 0.0]], np.float32))
    assert got.tolist() == [[0, 1, 2, 2, 3, 3, 1, 0]]
