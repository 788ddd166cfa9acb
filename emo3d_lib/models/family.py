"""What a model family is: the object that owns features, model, loss, training step, prediction.

A model config (``configs/models/*.json``) names its family in ``"family"``; the family object
(one module in :mod:`emo3d_lib.models.families`, found by ``registry.get_family``) turns that
config into embeddings, a torch module, batches, a loss and predictions. The generic loop in
:mod:`emo3d_lib.models.train` only calls these methods, so a new family is a new module plus a
config, and nothing else changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from emo3d_lib.models.data import SplitTriples, TrainingData


@dataclass
class Features:
    """Embeddings a family trains on, and the backbone that made them (as recorded)."""

    text: np.ndarray  # (n_texts, D): one row per TrainingData.texts
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # image / mirrored embeddings
    backbone_info: dict[str, Any] = field(default_factory=dict)
    backbone: Any = None  # the text backbone object (fine-tuned ones are trained too)
    clip_training_s: float = 0.0  # seconds spent training a CLIP for this run


@dataclass
class FeatureSources:
    """Where a family's features come from: the caller's choices for this run."""

    out_dir: Path
    seed: int
    device: str
    cache_dir: str | Path | None = None
    clip_checkpoint: str | None = None  # CLIP families: given, else resolved (clip_features)
    prefer_hub: bool = True  # text families: a cached hub model before the offline default


@dataclass
class Run:
    """One training run's state shared by the generic loop and the family's hooks."""

    cfg: dict[str, Any]
    data: TrainingData
    train: SplitTriples
    features: Features
    device: str
    seed: int
    batches: torch.Generator  # batch order (and any per-epoch draws of the family)
    teacher_forcing: torch.Generator
    inputs: torch.Tensor | None = None  # training inputs, set by ModelFamily.training_set
    targets: torch.Tensor | None = None
    draws: Any = None  # per-epoch random draws of the family (e.g. which samples are mirrored)
    aux: dict[str, torch.Tensor] = field(default_factory=dict)  # per-train-triple extras

    @property
    def finetune(self) -> bool:
        return bool(self.cfg.get("finetune", False))

    @property
    def n_train(self) -> int:
        assert self.targets is not None
        return int(self.targets.shape[-2])

    def embed_texts(self, idx: np.ndarray) -> np.ndarray:
        """Text embeddings for evaluation (recomputed when the backbone is fine-tuned)."""
        if not self.finetune:
            return self.features.text[idx]
        self.features.backbone.model.eval()
        return self.features.backbone.encode([self.data.texts[i] for i in idx],
                                             device=self.device)


class ModelFamily(ABC):
    """Base family: one text embedding in, MSE on the blendshapes out (LM + MLP). A family
    module subclasses it and supplies its features, module and encoder (the abstract three)."""

    name = ""

    @abstractmethod
    def features(self, src: FeatureSources, cfg: dict[str, Any], td: TrainingData) -> Features:
        """Embeddings of ``td``'s texts (and images) with the config's backbone."""

    @abstractmethod
    def build(self, cfg: dict[str, Any], in_dim: int) -> nn.Module:
        """The trainable module for ``in_dim``-wide embeddings."""

    def trainable_parameters(self, run: Run, model: nn.Module) -> list[nn.Parameter]:
        return list(model.parameters())

    def training_set(self, run: Run, targets: np.ndarray) -> None:
        """Set ``run.inputs`` / ``run.targets`` (targets: the train triples' model outputs)."""
        run.inputs = torch.from_numpy(run.features.text[run.train.text_idx])
        run.targets = torch.from_numpy(targets)

    def begin_epoch(self, run: Run, model: nn.Module) -> torch.Tensor:
        """Put modules in training mode; return this epoch's sample order."""
        model.train()
        return torch.randperm(run.n_train, generator=run.batches)

    def batch(self, run: Run, sel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        assert run.inputs is not None and run.targets is not None
        return run.inputs[sel], run.targets[sel]

    def loss(self, run: Run, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
             sel: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(model(x), y)

    def end_epoch(self, run: Run, model: nn.Module) -> None:
        """Anything fitted once per epoch after the gradient steps (default: nothing)."""
        return None

    def predict(self, model: nn.Module, emb: torch.Tensor) -> torch.Tensor:
        """Model outputs (N, 51|52) from text embeddings."""
        return model(emb)

    def best_state(self, run: Run, model: nn.Module) -> dict[str, Any]:
        return {"head": detached_state(model)}

    def load_best(self, run: Run, model: nn.Module, state: dict[str, Any]) -> None:
        model.load_state_dict(state["head"])

    @abstractmethod
    def load_encoder(self, info: dict[str, Any], ckpt: Path, state: dict[str, Any],
                     device: str) -> Any:
        """The text encoder recorded in a checkpoint's ``backbone`` entry, ready to embed."""


def detached_state(module: nn.Module) -> dict[str, Any]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def predict_numpy(family: ModelFamily, model: nn.Module, emb: np.ndarray, device: str = "cpu",
                  batch_size: int = 4096) -> np.ndarray:
    """``family.predict`` over numpy embeddings in batches, without gradients."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(emb), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(emb[i : i + batch_size])).to(device)
            out.append(family.predict(model, x).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, getattr(model, "outputs", 52)), np.float32)
