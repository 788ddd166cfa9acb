"""Named configs as data (in the spirit of open_clip's ``model_configs``): one JSON file each.

``configs/backbones/*.json`` describe text/CLIP backbones (hub model first, offline default
second); ``configs/models/*.json`` describe the five baselines and their hyperparameters, each
naming its ``family``: a module of :mod:`emo3d_lib.models.families` defining ``FAMILY``.
Adding a model or a backbone means adding a file; ``add_config`` registers one from elsewhere;
a new family is a module there plus a config.
"""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

from emo3d_lib.errors import Emo3DError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
FAMILIES_PACKAGE = "emo3d_lib.models.families"
_REGISTRY: dict[str, dict[str, dict[str, Any]]] = {"backbones": {}, "models": {}}
_FAMILIES: dict[str, Any] = {}


def _scan() -> None:
    for kind in _REGISTRY:
        for path in sorted((CONFIG_DIR / kind).glob("*.json")):
            add_config(kind, path)


def add_config(kind: str, path: str | Path) -> str:
    """Register the JSON config at ``path`` under ``kind`` ('backbones' or 'models')."""
    if kind not in _REGISTRY:
        raise Emo3DError(f"config kind {kind!r} unknown; expected one of {sorted(_REGISTRY)}")
    try:
        cfg = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise Emo3DError(f"config file {path}: cannot read JSON ({err})") from err
    if "name" not in cfg:
        raise Emo3DError(f"config file {path}: missing key 'name'")
    _REGISTRY[kind][cfg["name"]] = cfg
    return cfg["name"]


def list_backbones() -> list[str]:
    return sorted(_REGISTRY["backbones"])


def list_models() -> list[str]:
    return sorted(_REGISTRY["models"])


def get_config(kind: str, name: str) -> dict[str, Any]:
    """A deep copy of the named config (callers may override fields freely)."""
    table = _REGISTRY.get(kind, {})
    if name not in table:
        raise Emo3DError(f"unknown {kind[:-1]} {name!r}; known: {', '.join(sorted(table))}")
    return copy.deepcopy(table[name])


def _scan_families() -> None:
    """Import every module of the families package once; each contributes its ``FAMILY``."""
    package = importlib.import_module(FAMILIES_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        family = getattr(importlib.import_module(f"{FAMILIES_PACKAGE}.{info.name}"), "FAMILY",
                         None)
        if family is not None:
            _FAMILIES[family.name] = family


def list_families() -> list[str]:
    if not _FAMILIES:
        _scan_families()
    return sorted(_FAMILIES)


def get_family(name: str) -> Any:
    """The :class:`emo3d_lib.models.family.ModelFamily` a model config names in ``family``."""
    if name not in list_families():
        raise Emo3DError(f"unknown model family {name!r}; known: {', '.join(list_families())} "
                         f"(a family is a module of {FAMILIES_PACKAGE} defining FAMILY)")
    return _FAMILIES[name]


_scan()
