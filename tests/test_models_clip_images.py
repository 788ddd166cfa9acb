"""Emo3D-CLIP trained on more (or fewer) renders per sample than its test gallery holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.data import load_training_data


def test_first_images_keeps_each_samples_first_k(tiny_model_dataset: Path) -> None:
    train = load_training_data(tiny_model_dataset).split("train")
    assert set(train.image_k.tolist()) == {1, 2}
    one = train.first_images(1)
    assert set(one.image_k.tolist()) == {1}
    assert len(one) == int((train.image_k == 1).sum())
    assert set(one.sample_id.tolist()) == set(train.sample_id.tolist())  # no sample lost
    keep = train.image_k == 1
    assert np.array_equal(one.image_idx, train.image_idx[keep])
    assert np.array_equal(one.blendshapes, train.blendshapes[keep])
    assert train.first_images(None) is train
    assert len(train.first_images(4)) == len(train)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(Emo3DError, match="images per sample"):
            train.first_images(bad)


def test_train_clip_caps_training_images_and_gallery_apart(tiny_model_dataset: Path,
                                                           model_cache_dir: Path,
                                                           tmp_path: Path) -> None:
    from emo3d_lib.models.train_clip import train_clip

    td = load_training_data(tiny_model_dataset)
    n_train = len(np.unique(td.split("train").sample_id))
    n_test = len(np.unique(td.split("test").sample_id))
    m = train_clip(td, tmp_path / "a", epochs=1, batch_size=64, seed=0,
                   cache_dir=model_cache_dir, train_images_per_sample=2,
                   eval_images_per_sample=1)
    assert m["n_train_images"] == 2 * n_train
    assert m["test"]["n_images"] == n_test and m["test"]["n_texts"] == n_test
    assert m["images_per_sample"] == {"train": 2, "eval": 1}
    m = train_clip(td, tmp_path / "b", epochs=1, batch_size=64, seed=0,
                   cache_dir=model_cache_dir, train_images_per_sample=1)
    assert m["n_train_images"] == n_train and m["test"]["n_images"] == 2 * n_test
