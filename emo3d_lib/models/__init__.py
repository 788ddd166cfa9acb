"""Backbones, the paper's five baselines, training, prediction and Emo3D-CLIP.

Public entry points (heavy imports happen inside them):
``create_backbone(name_or_config)``, ``load_clip(checkpoint_dir)``, ``load_predictor(dir)``,
``train(data, model_name, out_dir)``, ``train_clip(data, out_dir)``.
"""

from __future__ import annotations

from typing import Any

from emo3d_lib.models.registry import get_config, list_backbones, list_models

__all__ = ["create_backbone", "list_backbones", "list_models", "load_clip", "load_predictor",
           "train", "train_clip"]


def create_backbone(name_or_config: str | dict[str, Any], prefer_hub: bool = True) -> Any:
    """A text backbone by config, or for a CLIP config the CLIP :func:`load_clip` resolves."""
    cfg = get_config("backbones", name_or_config) if isinstance(name_or_config, str) else dict(
        name_or_config)
    if cfg.get("kind") in ("clip", "emo3d-clip"):
        return load_clip(None)
    from emo3d_lib.models.backbones import create_backbone as _create

    return _create(cfg, prefer_hub)


def load_clip(checkpoint: str | None = None, device: str = "cpu", *,
              runs_dir: str | None = None) -> Any:
    """The CLIP ``emo3d_lib.models.clip.resolve_clip`` picks (the one rule for every caller)."""
    from emo3d_lib.models.clip import load_clip as _load

    return _load(checkpoint, device, runs_dir=runs_dir)


def load_predictor(checkpoint_dir: str, device: str | None = None) -> Any:
    from emo3d_lib.models.predict import load_predictor as _load

    return _load(checkpoint_dir, device)


def train(*args: Any, **kwargs: Any) -> dict[str, Any]:
    from emo3d_lib.models.train import train as _train

    return _train(*args, **kwargs)


def train_clip(*args: Any, **kwargs: Any) -> dict[str, Any]:
    from emo3d_lib.models.train_clip import train_clip as _train

    return _train(*args, **kwargs)
