"""LM + MLP (the paper's BERT / Glot500 baselines): text embedding -> MLP -> 52 blendshapes."""

from __future__ import annotations

from typing import Any

from torch import nn

from emo3d_lib.models.heads import Regressor
from emo3d_lib.models.text_features import TextBackboneFamily


def build_regressor(cfg: dict[str, Any], in_dim: int) -> nn.Module:
    return Regressor(in_dim, list(cfg["hidden"]), int(cfg["outputs"]),
                     float(cfg.get("dropout", 0.0)), bool(cfg.get("sigmoid", True)))


class LmMlp(TextBackboneFamily):
    """MSE of an MLP on the (frozen or fine-tuned) text embedding."""

    name = "lm-mlp"

    def build(self, cfg: dict[str, Any], in_dim: int) -> nn.Module:
        return build_regressor(cfg, in_dim)


FAMILY = LmMlp()
