"""VAE-CLIP: blendshapes -> CLIP-space latent -> blendshapes; text -> face decodes the text."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from emo3d_lib.models.clip_features import ClipFamily
from emo3d_lib.models.family import Run
from emo3d_lib.models.heads import VAEClip, vae_clip_loss


class VaeClipFamily(ClipFamily):
    """Loss: MSE(recon) + text / image cosine terms pulling the latent to CLIP's embeddings."""

    name = "vae-clip"

    def build(self, cfg: dict[str, Any], in_dim: int) -> nn.Module:
        return VAEClip(in_dim, int(cfg["hidden"]), int(cfg["outputs"]),
                       float(cfg.get("dropout", 0.2)))

    def training_set(self, run: Run, targets: np.ndarray) -> None:
        super().training_set(run, targets)
        run.aux["image"] = torch.from_numpy(run.features.extra["image"][run.train.image_idx])

    def loss(self, run: Run, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
             sel: torch.Tensor) -> torch.Tensor:
        recon, mu, logvar, z = model(y, run.batches)
        cfg = run.cfg
        return vae_clip_loss(recon, y, mu, logvar, z, x, run.aux["image"][sel].to(run.device),
                             float(cfg["lambda_text"]), float(cfg["lambda_image"]),
                             float(cfg.get("kl_weight", 0.0)))

    def end_epoch(self, run: Run, model: nn.Module) -> None:
        """Fit the modality-gap shift used to decode text (see ``VAEClip.fit_text_shift``)."""
        assert run.inputs is not None and run.targets is not None
        model.eval()
        model.fit_text_shift(run.targets.to(run.device), run.inputs.to(run.device))

    def predict(self, model: nn.Module, emb: torch.Tensor) -> torch.Tensor:
        return model.decode_text(emb)


FAMILY = VaeClipFamily()
