"""One factory for the five baselines: a model config + embedding width -> a torch module."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.heads import EmotionXLM, Regressor, VAEClip
from emo3d_lib.models.registry import get_config, list_models

FAMILIES = ("lm-mlp", "emotion-xlm", "clip-mlp", "vae-clip")


def model_config(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = get_config("models", name)
    for key, val in (overrides or {}).items():
        if key not in cfg:
            raise Emo3DError(f"model {name!r}: unknown config key {key!r} (known: {sorted(cfg)})")
        cfg[key] = val
    return cfg


def create_model(cfg: dict[str, Any], in_dim: int) -> nn.Module:
    """Build the head named by ``cfg['family']`` for ``in_dim``-wide embeddings."""
    family = cfg.get("family")
    outputs = int(cfg["outputs"])
    if family in ("lm-mlp", "clip-mlp"):
        return Regressor(in_dim, list(cfg["hidden"]), outputs, float(cfg.get("dropout", 0.0)),
                         bool(cfg.get("sigmoid", True)))
    if family == "emotion-xlm":
        return EmotionXLM(in_dim, list(cfg["extractor_hidden"]), list(cfg["hidden"]), outputs,
                          float(cfg.get("dropout", 0.0)), bool(cfg.get("sigmoid", True)))
    if family == "vae-clip":
        return VAEClip(in_dim, int(cfg["hidden"]), outputs, float(cfg.get("dropout", 0.2)))
    raise Emo3DError(f"model config {cfg.get('name')!r}: family {family!r} not in {FAMILIES}; "
                     f"known models: {list_models()}")


def predict_outputs(model: nn.Module, emb: torch.Tensor) -> torch.Tensor:
    """Inference from text embeddings: each family's own path (VAE-CLIP decodes the text)."""
    if isinstance(model, EmotionXLM):
        return model(emb)[0]
    if isinstance(model, VAEClip):
        return model.decode_text(emb)
    return model(emb)


def predict_numpy(model: nn.Module, emb: np.ndarray, device: str = "cpu",
                  batch_size: int = 4096) -> np.ndarray:
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(emb), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(emb[i : i + batch_size])).to(device)
            out.append(predict_outputs(model, x).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, getattr(model, "outputs", 52)), np.float32)
