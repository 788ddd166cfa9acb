"""Emotion-XLM: an emotion extractor feeds the regression unit; teacher forcing in training."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from emo3d_lib.models.family import Run
from emo3d_lib.models.heads import EmotionXLM
from emo3d_lib.models.text_features import TextBackboneFamily


class EmotionXlmFamily(TextBackboneFamily):
    """Loss: lambda_blendshape MSE(blendshapes) + lambda_emotion MSE(extracted emotions)."""

    name = "emotion-xlm"

    def build(self, cfg: dict[str, Any], in_dim: int) -> nn.Module:
        return EmotionXLM(in_dim, list(cfg["extractor_hidden"]), list(cfg["hidden"]),
                          int(cfg["outputs"]), float(cfg.get("dropout", 0.0)),
                          bool(cfg.get("sigmoid", True)))

    def training_set(self, run: Run, targets: np.ndarray) -> None:
        super().training_set(run, targets)
        run.aux["emotions"] = torch.from_numpy(run.train.emotions)

    def loss(self, run: Run, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
             sel: torch.Tensor) -> torch.Tensor:
        emotions = run.aux["emotions"][sel].to(run.device)
        pred, v, _ = model(x, emotions, float(run.cfg["teacher_forcing_ratio"]),
                           run.teacher_forcing)
        return (float(run.cfg["lambda_blendshape"]) * F.mse_loss(pred, y)
                + float(run.cfg["lambda_emotion"]) * F.mse_loss(v, emotions))

    def predict(self, model: nn.Module, emb: torch.Tensor) -> torch.Tensor:
        return model(emb)[0]


FAMILY = EmotionXlmFamily()
