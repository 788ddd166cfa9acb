"""Emo3D-CLIP's trainable attention pooling over the locked MiniLM, and its token-state cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import load_clip
from emo3d_lib.models.registry import get_config

TEXTS = ["a joyful face", "The old man's face is twisted with anger and disgust.", "calm"]


def attention_config(heads: int = 2) -> dict:
    return {**get_config("backbones", "emo3d-clip"), "name": "emo3d-clip-attn",
            "text_pooling": {"type": "attention", "heads": heads}}


def test_attention_pooler_shape_mask_and_seed() -> None:
    import torch

    from emo3d_lib.models.clip import attention_pooler

    torch.manual_seed(0)
    pool = attention_pooler(8, 3)
    x = torch.randn(2, 5, 8)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = pool.pool(x, mask)
    assert out.shape == (2, 24)
    y = x.clone()
    y[0, 3:] = 100.0  # what sits under the padding does not matter
    assert torch.equal(pool.pool(y, mask)[0], out[0])
    assert not torch.equal(out[0], pool.pool(x, torch.ones_like(mask))[0])
    torch.manual_seed(0)
    assert torch.equal(attention_pooler(8, 3).pool(x, mask), out)  # same seed, same pooler


@pytest.mark.parametrize("pool", [{"type": "max"}, {"type": "attention", "heads": 0},
                                  {"type": "attention", "heads": True}])
def test_bad_text_pooling_is_refused(pool: dict) -> None:
    from emo3d_lib.models.clip import text_pooling

    with pytest.raises(Emo3DError, match="text_pooling"):
        text_pooling({"text_pooling": pool})


def test_token_states_cache_matches_mean_features(tmp_path: Path) -> None:
    from emo3d_lib.models.backbones import minilm_features, minilm_token_states

    states, counts = minilm_token_states(TEXTS, tmp_path)
    assert states.dtype == np.float16 and states.shape[0] == 3 and states.shape[2] == 384
    assert counts.tolist()[2] < counts.tolist()[1] == states.shape[1]
    assert not states[2, counts[2]:].any()  # right-padded with zeros
    mean = np.stack([states[i, :c].astype(np.float32).mean(0) for i, c in enumerate(counts)])
    assert np.allclose(mean, minilm_features(TEXTS, tmp_path), atol=2e-3)
    again, counts2 = minilm_token_states(TEXTS, tmp_path)
    assert np.array_equal(again, states) and np.array_equal(counts2, counts)


def test_attention_tower_trains_saves_and_loads(tiny_model_dataset: Path, model_cache_dir: Path,
                                                tmp_path: Path) -> None:
    import torch

    from emo3d_lib.models.backbones import minilm_token_states
    from emo3d_lib.models.clip import CONFIG_FILE, WEIGHTS_FILE
    from emo3d_lib.models.train_clip import train_clip

    cfg = attention_config()
    cfg["image_tower"] = {**cfg["image_tower"], "init": "scratch"}
    runs = [train_clip(tiny_model_dataset, tmp_path / f"c{i}", epochs=1, batch_size=32, seed=0,
                       config=cfg, cache_dir=model_cache_dir) for i in (0, 1)]
    assert runs[0]["test"] == runs[1]["test"]  # one seed, one result
    assert runs[0]["text_pooling"] == {"type": "attention", "heads": 2}
    state = torch.load(tmp_path / "c0" / WEIGHTS_FILE, weights_only=True)
    assert state["text.pooler.score.weight"].shape == (2, 384)
    assert state["text.proj.weight"].shape == (cfg["embed_dim"], 2 * 384)
    clip = load_clip(str(tmp_path / "c0"))
    assert clip.pooling == "attention"
    t = clip.encode_text(TEXTS)
    assert t.shape == (3, cfg["embed_dim"]) and np.allclose(np.linalg.norm(t, axis=1), 1)
    # encoding a new text pools like training on the cached token states did
    states, counts = minilm_token_states(TEXTS, model_cache_dir)
    with torch.no_grad():
        x = torch.from_numpy(states.astype(np.float32))
        mask = torch.arange(states.shape[1])[None] < torch.from_numpy(counts)[:, None]
        cached = clip.model.text.proj(clip.model.text.pooler.pool(x, mask))
    cached = torch.nn.functional.normalize(cached, dim=-1).numpy()
    assert np.allclose(cached, t, atol=2e-3)
    with pytest.raises(Emo3DError, match="encode_text"):
        clip.project_text_features(np.zeros((1, 384), np.float32))
    # the weights are bound to their config: a config asking for another pooling does not load
    config = json.loads((tmp_path / "c0" / CONFIG_FILE).read_text())
    config["text_pooling"]["heads"] = 3
    (tmp_path / "c0" / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(Emo3DError, match="CLIP checkpoint"):
        load_clip(str(tmp_path / "c0"))
