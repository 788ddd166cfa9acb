"""FEI model: training each branch, fusion, selection on val, persistence, evaluation tables.

Uses a small synthetic FEIData where the 2D and 3D views each carry the dominant emotion for
an independent 70% of items, so fusion has something real to gain over either view alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.data import FEIData, prepare_images
from emo3d_lib.fei.evaluate import evaluate_fei, fusion_table, regression_table
from emo3d_lib.fei.fusion import FUSIONS
from emo3d_lib.fei.model import FEIConfig, FEIModel, branches_for, fit_fei

TINY = FEIConfig(image_size=32, crop=1.0, cnn_width=8, cnn_embed_dim=32, cnn_epochs=4,
                 head_epochs=25, head_hidden=64, seed=3)


def synthetic_fei(n: int = 600, size: int = 32, seed: int = 0) -> FEIData:
    rng = np.random.default_rng(seed)
    emo = rng.dirichlet(np.full(8, 0.3), n).astype(np.float32)
    lab = emo.argmax(1)
    bs = np.clip(rng.normal(0.1, 0.05, (n, 52)), 0, 1).astype(np.float32)
    show_3d = rng.random(n) < 0.7
    bs[show_3d, 1 + lab[show_3d]] = 0.9
    imgs = rng.integers(0, 60, (n, size, size, 3)).astype(np.uint8)
    for i in np.flatnonzero(rng.random(n) < 0.7):   # a bright patch whose place is the emotion
        r, c = divmod(int(lab[i]), 4)
        imgs[i, r * 16:r * 16 + 16, c * 8:c * 8 + 8] = 230
    split = np.array(["train"] * (n * 6 // 10) + ["val"] * (n * 2 // 10)
                     + ["test"] * (n - n * 8 // 10))
    return FEIData(imgs, bs, emo, split, np.arange(n), np.array([f"{i}.jpeg" for i in range(n)]))


@pytest.fixture(scope="module")
def data() -> FEIData:
    return synthetic_fei()


@pytest.fixture(scope="module")
def model(data: FEIData) -> FEIModel:
    return fit_fei(data, FUSIONS, TINY)


def test_branches_for_fusions() -> None:
    assert branches_for(["late-max"]) == ["2d", "3d"]
    assert branches_for(["intermediate", "3d"]) == ["3d", "intermediate"]
    with pytest.raises(Emo3DError, match="fusion"):
        branches_for(["early"])


def test_every_system_learns_and_fusion_helps(model: FEIModel, data: FEIData) -> None:
    test = data.part("test")
    acc = {f: float((model.predict(test.images, test.blendshapes, f)[0].argmax(1)
                     == test.labels).mean()) for f in FUSIONS}
    assert all(a > 0.45 for a in acc.values()), acc          # chance is ~0.125
    assert max(acc[f] for f in FUSIONS[2:]) > max(acc["2d"], acc["3d"]) + 0.05, acc
    assert model.best_fusion in FUSIONS[2:]
    assert 0.0 <= model.weights["cls"] <= 1.0 and 0.0 <= model.weights["reg"] <= 1.0
    probs, dist = model.predict(test.images, test.blendshapes)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert dist.min() >= 0 and dist.max() <= 1


def test_training_is_seeded(data: FEIData, model: FEIModel) -> None:
    small = [f for f in FUSIONS if f in ("3d", "intermediate")]
    a = fit_fei(data, small, TINY)
    b = fit_fei(data, small, TINY)
    test = data.part("test")
    np.testing.assert_array_equal(a.predict(test.images, test.blendshapes, "intermediate")[0],
                                  b.predict(test.images, test.blendshapes, "intermediate")[0])


def test_save_load_roundtrip_and_no_face_fallback(model: FEIModel, data: FEIData,
                                                  tmp_path) -> None:
    test = data.part("test")
    model.save(tmp_path / "fei.pt")
    loaded = FEIModel.load(tmp_path / "fei.pt")
    assert loaded.best_fusion == model.best_fusion and loaded.weights == model.weights
    for f in FUSIONS:
        np.testing.assert_allclose(loaded.predict(test.images, test.blendshapes, f)[0],
                                   model.predict(test.images, test.blendshapes, f)[0], atol=1e-6)
    bs = test.blendshapes.copy()
    bs[:5] = np.nan
    probs, _ = model.predict(test.images, bs, "late-mean")
    np.testing.assert_allclose(probs[:5], model.predict(test.images[:5], test.blendshapes[:5],
                                                        "2d")[0], atol=1e-6)
    # images at another size are resized to the model's input size
    big = np.repeat(np.repeat(test.images[:4], 2, axis=1), 2, axis=2)
    assert model.predict(big, test.blendshapes[:4])[0].shape == (4, 8)
    with pytest.raises(Emo3DError, match="does not exist"):
        FEIModel.load(tmp_path / "missing.pt")


def test_3d_only_model_needs_no_images(data: FEIData) -> None:
    m = fit_fei(data, ["3d"], TINY)
    assert m.cnn is None and m.trained_branches == ["3d"]
    test = data.part("test")
    probs, _ = m.predict(None, test.blendshapes)
    assert (probs.argmax(1) == test.labels).mean() > 0.45
    with pytest.raises(Emo3DError, match="not trained"):
        m.predict(None, test.blendshapes, "late-max")


def test_evaluation_tables(model: FEIModel, data: FEIData) -> None:
    report = evaluate_fei(model, data, n_boot=100, seed=0)
    t = report.table
    assert list(t.index) == list(FUSIONS)
    for key in ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_weighted"):
        assert ((t[f"{key}_lo"] <= t[key]) & (t[key] <= t[f"{key}_hi"])).all(), key
    for f in FUSIONS:
        assert report.confusion[f].sum() == len(data.part("test"))
        assert np.trace(report.confusion[f]) / report.confusion[f].sum() == pytest.approx(
            t.loc[f, "accuracy"])
    assert (t["va_ccc"] > 0).all() and (t["dist_mse"] < 0.1).all()
    cmp = report.comparison
    assert cmp["available"] and cmp["difference_lo"] <= cmp["test_f1_macro_difference"] \
        <= cmp["difference_hi"]
    assert fusion_table(report).shape == (6, 7)
    assert list(regression_table(report).columns) == ["MSE", "MAE", "RMSE", "CCC"]


def test_bad_inputs() -> None:
    with pytest.raises(Emo3DError, match="uint8"):
        prepare_images(np.zeros((2, 8, 8, 3), np.float32), 16)
    with pytest.raises(Emo3DError, match="features_2d"):
        FEIConfig(features_2d="vgg").check()
    with pytest.raises(Emo3DError, match="clip_ckpt"):
        FEIConfig(features_2d="clip").check()
    d = synthetic_fei(20)
    with pytest.raises(Emo3DError, match="rows"):
        FEIData(d.images[:3], d.blendshapes, d.emotions, d.split, d.sample_id, d.image_path)
