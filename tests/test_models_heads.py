"""Heads, teacher forcing, mirror augmentation, the 51/52 conversion, baselines, retrieval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import baselines
from emo3d_lib.models.factory import create_model, family_of, model_config
from emo3d_lib.models.heads import (
    EmotionXLM,
    VAEClip,
    teacher_forcing,
    to_blendshapes,
    vae_clip_loss,
)
from emo3d_lib.models.mirror import mirror_blendshapes, mirror_images, mirror_text
from emo3d_lib.models.registry import list_backbones, list_models
from emo3d_lib.models.train_clip import chance_recall, recall_at_k

MODELS = ["lm-mlp", "multilingual-mlp", "emotion-xlm", "clip-mlp", "vae-clip"]


def test_registry_lists_the_five_models_and_three_backbones() -> None:
    assert set(MODELS) <= set(list_models())
    assert {"english-lm", "multilingual-lm", "clip", "emo3d-clip"} <= set(list_backbones())
    with pytest.raises(Emo3DError, match="unknown model 'nope'"):
        model_config("nope")
    with pytest.raises(Emo3DError, match="unknown config key 'hiddden'"):
        model_config("lm-mlp", {"hiddden": [3]})


@pytest.mark.parametrize("name", MODELS)
def test_forward_backward_on_tiny_data(name: str) -> None:
    torch.manual_seed(0)
    cfg = model_config(name)
    model = create_model(cfg, in_dim=24)
    emb = torch.randn(6, 24)
    target = torch.rand(6, cfg["outputs"])
    if name == "emotion-xlm":
        pred, v, _ = model(emb, torch.rand(6, 8), 0.5, torch.Generator().manual_seed(0))
        loss = torch.nn.functional.mse_loss(pred, target) + torch.nn.functional.mse_loss(
            v, torch.rand(6, 8))
    elif name == "vae-clip":
        recon, mu, logvar, z = model(target)
        loss = vae_clip_loss(recon, target, mu, logvar, z, emb, torch.randn(6, 24), 0.004, 0.002)
    else:
        pred = model(emb)
        loss = torch.nn.functional.mse_loss(pred, target)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    with torch.no_grad():
        out = family_of(cfg).predict(model.eval(), emb)
    assert out.shape == (6, cfg["outputs"])
    assert float(out.min()) >= 0 and float(out.max()) <= 1  # sigmoid outputs


def test_clip_mlp_has_the_paper_shape() -> None:
    model = create_model(model_config("clip-mlp"), in_dim=512)
    widths = [(m.in_features, m.out_features) for m in model.modules()
              if isinstance(m, torch.nn.Linear)]
    assert widths == [(512, 256), (256, 128), (128, 51)]


def test_teacher_forcing_ratio_is_honoured() -> None:
    pred, truth = torch.zeros(20000, 8), torch.ones(20000, 8)
    gen = torch.Generator().manual_seed(1)
    for ratio in (0.0, 0.5, 1.0, 0.2):
        mixed, forced = teacher_forcing(pred, truth, ratio, gen)
        assert abs(float(forced.float().mean()) - ratio) < 0.015
        assert torch.equal(mixed[forced], truth[forced])
        assert torch.equal(mixed[~forced], pred[~forced])
    with pytest.raises(Emo3DError, match="teacher_forcing_ratio"):
        teacher_forcing(pred, truth, 1.5, gen)


def test_emotion_xlm_uses_truth_only_when_forced() -> None:
    torch.manual_seed(0)
    model = EmotionXLM(16, [8], [8], 52).eval()
    emb, truth = torch.randn(400, 16), torch.eye(8)[torch.arange(400) % 8]
    _, _, forced = model(emb, truth, 0.0)
    assert not forced.any()
    full, _, forced = model(emb, truth, 1.0, torch.Generator().manual_seed(0))
    assert forced.all()
    plain, _, _ = model(emb)
    half, _, forced = model(emb, truth, 0.5, torch.Generator().manual_seed(0))
    assert torch.allclose(half[forced], full[forced]) and torch.allclose(half[~forced],
                                                                          plain[~forced])
    assert 0.4 < float(forced.float().mean()) < 0.6


def test_vae_clip_decodes_by_direction() -> None:
    torch.manual_seed(0)
    vae = VAEClip(12, 16, 51).eval()
    z = torch.randn(3, 12)
    assert torch.allclose(vae.decode(z), vae.decode(5 * z), atol=1e-6)


def test_mirror_blendshapes_swaps_pairs_and_twice_is_identity() -> None:
    rng = np.random.default_rng(0)
    vec = rng.random((5, 52)).astype(np.float32)
    once = mirror_blendshapes(vec)
    left, right = (schema.BLENDSHAPES.index(n) for n in ("mouthSmileLeft", "mouthSmileRight"))
    assert np.array_equal(once[:, left], vec[:, right])
    jl, jr = schema.BLENDSHAPES.index("jawLeft"), schema.BLENDSHAPES.index("jawRight")
    assert np.array_equal(once[:, jl], vec[:, jr])
    for name in ("_neutral", "jawOpen", "browInnerUp", "cheekPuff"):
        i = schema.BLENDSHAPES.index(name)
        assert np.array_equal(once[:, i], vec[:, i])
    assert not np.array_equal(once, vec)
    assert np.array_equal(mirror_blendshapes(once), vec)
    v51 = vec[:, 1:]
    assert np.array_equal(mirror_blendshapes(v51), once[:, 1:])
    assert np.array_equal(mirror_blendshapes(mirror_blendshapes(v51)), v51)


def test_mirror_text_and_images() -> None:
    text = "Left brow raised, right eye shut; leftover Rightward left."
    assert mirror_text(text) == "Right brow raised, left eye shut; leftover Rightward right."
    assert mirror_text(mirror_text(text)) == text
    img = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    assert np.array_equal(mirror_images(img)[:, :, 0], img[:, :, -1])
    assert np.array_equal(mirror_images(mirror_images(img)), img)


def test_to_blendshapes_is_the_one_51_to_52_conversion() -> None:
    pred = np.arange(2 * 51, dtype=np.float32).reshape(2, 51) / 200
    full = to_blendshapes(pred)
    assert full.shape == (2, 52) and full.dtype == np.float32
    assert np.all(full[:, 0] == 0)
    assert np.array_equal(full[:, 1:], pred)
    assert to_blendshapes(full) is not None and np.array_equal(to_blendshapes(full), full)
    with pytest.raises(Emo3DError, match="expected \\(N, 51\\) or \\(N, 52\\)"):
        to_blendshapes(np.zeros((2, 50)))


def test_baselines() -> None:
    train = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    assert np.allclose(baselines.mean_predictor(train), [0.5, 0.5])
    assert baselines.mse(np.zeros((2, 2)), np.ones((2, 2))) == 1.0
    texts, targets = baselines.per_text_targets(np.array([3, 3, 1]),
                                                np.array([[0.0], [1.0], [4.0]], np.float32))
    assert texts.tolist() == [1, 3] and targets[:, 0].tolist() == [4.0, 0.5]
    nn = baselines.nearest_neighbour_predict(np.array([[1.0, 0.1], [0.1, -2.0]]),
                                             np.array([[2.0, 0.0], [0.0, -1.0]]),
                                             np.array([[7.0], [9.0]]))
    assert nn[:, 0].tolist() == [7.0, 9.0]


def test_recall_at_k_and_chance() -> None:
    sim = np.array([[0.9, 0.1, 0.5], [0.4, 0.3, 0.1], [0.0, 0.1, 0.2]])
    pos = np.eye(3, dtype=bool)
    r = recall_at_k(sim, pos, (1, 2, 3))
    assert r == {"R@1": 2 / 3, "R@2": 1.0, "R@3": 1.0}
    assert chance_recall(10, np.array([1]), 1) == pytest.approx(0.1)
    assert chance_recall(10, np.array([2]), 3) == pytest.approx(1 - 56 / 120)
    assert chance_recall(3, np.array([1]), 10) == 1.0
