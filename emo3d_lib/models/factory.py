"""One factory for the model families: a model config (+ overrides) -> its family and module."""

from __future__ import annotations

from typing import Any

from torch import nn

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.family import ModelFamily
from emo3d_lib.models.registry import get_config, get_family


def model_config(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = get_config("models", name)
    for key, val in (overrides or {}).items():
        if key not in cfg:
            raise Emo3DError(f"model {name!r}: unknown config key {key!r} (known: {sorted(cfg)})")
        cfg[key] = val
    return cfg


def family_of(cfg: dict[str, Any]) -> ModelFamily:
    """The family object a model config names."""
    if "family" not in cfg:
        raise Emo3DError(f"model config {cfg.get('name')!r}: missing key 'family'")
    return get_family(str(cfg["family"]))


def create_model(cfg: dict[str, Any], in_dim: int) -> nn.Module:
    """Build the config's module for ``in_dim``-wide embeddings (its family decides how)."""
    return family_of(cfg).build(cfg, in_dim)
