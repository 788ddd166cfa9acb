"""Families on a text backbone (LM + MLP, Emotion-XLM): frozen embeddings cached, or fine-tuning.

A frozen backbone's embeddings are computed once per text and cached on disk
(:mod:`emo3d_lib.models.cache`); with ``finetune`` in the config the backbone is trained with the
head, so each batch is embedded afresh and the best state holds the backbone's weights too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from emo3d_lib.checkpoint import load_state_strict
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import cache
from emo3d_lib.models.backbones import create_backbone
from emo3d_lib.models.data import TrainingData
from emo3d_lib.models.family import (
    Features,
    FeatureSources,
    ModelFamily,
    Run,
    detached_state,
)
from emo3d_lib.models.registry import get_config


class TextBackboneFamily(ModelFamily):
    """Embeddings of the config's ``backbone`` (english-lm, multilingual-lm)."""

    def features(self, src: FeatureSources, cfg: dict[str, Any], td: TrainingData) -> Features:
        backbone = create_backbone(cfg["backbone"], prefer_hub=src.prefer_hub)
        finetune = bool(cfg.get("finetune", False))
        if finetune and not getattr(backbone, "trainable", False):
            raise Emo3DError(f"backbone {backbone.name} is frozen; finetune=True is not possible")
        info = {"config": cfg["backbone"], "name": backbone.name, "source": str(backbone.source),
                "finetuned": finetune}
        emb, _ = cache.cached(backbone.cache_key, td.texts, lambda: backbone.encode(td.texts),
                              src.cache_dir)
        return Features(emb, {}, info, backbone)

    def trainable_parameters(self, run: Run, model: nn.Module) -> list[nn.Parameter]:
        params = list(model.parameters())
        if run.finetune:
            backbone = run.features.backbone.model
            backbone.to(run.device)
            backbone.requires_grad_(True)
            params += list(backbone.parameters())
        return params

    def begin_epoch(self, run: Run, model: nn.Module) -> torch.Tensor:
        order = super().begin_epoch(run, model)
        if run.finetune:
            run.features.backbone.model.train()
        return order

    def batch(self, run: Run, sel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not run.finetune:
            return super().batch(run, sel)
        assert run.targets is not None
        texts = [run.data.texts[i] for i in run.train.text_idx[sel.numpy()]]
        return run.features.backbone.embed(texts, run.device), run.targets[sel]

    def best_state(self, run: Run, model: nn.Module) -> dict[str, Any]:
        state = super().best_state(run, model)
        if run.finetune:
            state["backbone"] = detached_state(run.features.backbone.model)
        return state

    def load_best(self, run: Run, model: nn.Module, state: dict[str, Any]) -> None:
        super().load_best(run, model, state)
        if run.finetune:
            run.features.backbone.model.load_state_dict(state["backbone"])

    def load_encoder(self, info: dict[str, Any], ckpt: Path, state: dict[str, Any],
                     device: str) -> Any:
        offline = get_config("backbones", info["config"])["offline_default"]["id"]
        encoder = create_backbone(info["config"], prefer_hub=info["name"] != offline)
        if encoder.name != info["name"]:
            raise Emo3DError(f"checkpoint {ckpt}: trained on backbone {info['name']!r} but "
                             f"{encoder.name!r} is what is available here")
        if "backbone" in state:
            load_state_strict(encoder.model, state["backbone"], f"checkpoint {ckpt}: backbone")
        if hasattr(encoder, "model"):
            encoder.model.to(device).eval()
        return encoder
