"""Face inspection helpers of notebook 04 (paper Figure 6) on the shared tiny fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib import schema
from emo3d_lib.book import inspection
from emo3d_lib.errors import Emo3DError


def test_pick_test_samples_spreads_emotions_and_is_seeded(tiny_model_dataset: Path) -> None:
    df = schema.load_dataset(tiny_model_dataset)
    picked = inspection.pick_test_samples(df, 4, seed=0)
    assert len(picked) == 4 and set(picked["split"]) == {"test"}
    assert picked["sample_id"].is_unique
    n_classes = schema.dominant_emotion(df[df["split"] == "test"]).nunique()
    assert schema.dominant_emotion(picked).nunique() == min(4, n_classes)
    again = inspection.pick_test_samples(df, 4, seed=0)
    assert again["sample_id"].tolist() == picked["sample_id"].tolist()
    gt = inspection.ground_truth(picked)
    assert gt.shape == (4, schema.N_BLENDSHAPES) and not np.isnan(gt).any()
    assert np.allclose(gt, schema.score_matrix(picked, 1))
    images = inspection.first_image(picked, tiny_model_dataset)
    assert all(p is not None and p.is_file() for p in images)
    with pytest.raises(Emo3DError, match="n_samples"):
        inspection.pick_test_samples(df, 0, seed=0)


def test_find_checkpoints_and_predict_all(tiny_lm_checkpoint: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(tiny_lm_checkpoint, runs / "lm-mlp")
    (runs / "clip").mkdir()
    (runs / "clip" / "clip_config.json").write_text("{}")  # not a predictor: left out
    found = inspection.find_checkpoints(runs)
    assert found == {"lm-mlp": runs / "lm-mlp"}
    assert inspection.find_checkpoints(tmp_path / "missing") == {}
    texts = ["She is furious.", "He looks joyful and calm."]
    preds = inspection.predict_all(found, texts)
    assert preds["lm-mlp"].shape == (2, schema.N_BLENDSHAPES)
    assert np.isfinite(preds["lm-mlp"]).all()


def test_gallery_and_figure6() -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (16, 16, 3), dtype=np.uint8) for _ in range(3)]
    html = inspection.png_gallery(images, ["a", "b <c>", "d"])
    assert html.count("data:image/png;base64,") == 3 and "b &lt;c&gt;" in html
    with pytest.raises(Emo3DError, match="captions"):
        inspection.png_gallery(images, ["a"])
    grid = np.stack([np.stack(images[:2])] * 2)  # 2 rows x 2 columns
    fig = inspection.figure6(["text one", "text two"], ["ground truth", "lm-mlp"], grid, "t")
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "lm-mlp"
    with pytest.raises(Emo3DError, match="grid"):
        inspection.figure6(["one"], ["a", "b", "c"], grid, "t")

