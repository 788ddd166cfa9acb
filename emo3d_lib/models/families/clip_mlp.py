"""CLIP + MLP: text AND image embeddings of each triple ("doubling"), with mirror augmentation.

Each epoch draws, per sample, whether it is seen plain or mirrored (flipped image, swapped
left/right words and blendshapes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from emo3d_lib.models.clip_features import ClipFamily
from emo3d_lib.models.families.lm_mlp import build_regressor
from emo3d_lib.models.family import Run
from emo3d_lib.models.mirror import mirror_blendshapes


class ClipMlp(ClipFamily):
    name = "clip-mlp"

    def build(self, cfg: dict[str, Any], in_dim: int) -> nn.Module:
        return build_regressor(cfg, in_dim)

    def training_set(self, run: Run, targets: np.ndarray) -> None:
        """Inputs (2, n, D) and targets (2, n, outputs): [plain, mirrored]."""
        feats, tr = run.features.extra, run.train
        x = np.concatenate([feats["text"][tr.text_idx], feats["image"][tr.image_idx]])
        y = np.concatenate([targets, targets])
        if run.cfg.get("mirror_augmentation"):
            xm = np.concatenate([feats["text_mirror"][tr.text_idx],
                                 feats["image_mirror"][tr.image_idx]])
            ym = mirror_blendshapes(y)
        else:
            xm, ym = x, y
        run.inputs = torch.from_numpy(np.stack([x, xm]))
        run.targets = torch.from_numpy(np.stack([y, ym]))

    def begin_epoch(self, run: Run, model: nn.Module) -> torch.Tensor:
        order = super().begin_epoch(run, model)
        run.draws = (torch.rand(run.n_train, generator=run.batches) < 0.5).long()
        return order

    def batch(self, run: Run, sel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        assert run.inputs is not None and run.targets is not None
        flip = run.draws[sel]
        return run.inputs[flip, sel], run.targets[flip, sel]


FAMILY = ClipMlp()
