"""What ``emo3d train`` leaves in a run folder: file names, writing a checkpoint, finding them.

A checkpoint folder holds ``model.pt`` (tensors only, loadable with ``weights_only=True``),
``model_config.json`` (the model config, embedding width, backbone record) and ``metrics.json``.
``METRICS_FILE`` is also the name Emo3D-CLIP's training gives its metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emo3d_lib.atomic import write_json
from emo3d_lib.errors import Emo3DError

MODEL_FILE = "model.pt"
CONFIG_FILE = "model_config.json"
METRICS_FILE = "metrics.json"


def save_checkpoint(out_dir: str | Path, state: dict[str, Any], config: dict[str, Any]) -> None:
    """Weights (tensors only, loadable with weights_only=True) and their config, atomically.

    The config records the weights' model, family, backbone, shapes and SHA-256
    (:mod:`emo3d_lib.checkpoint`), so mixed checkpoint files are refused when loading.
    """
    from emo3d_lib.checkpoint import BINDING_KEY, binding, save_tensors

    out = Path(out_dir)
    save_tensors(out / MODEL_FILE, state)
    bound = binding(out / MODEL_FILE, state, **checkpoint_identity(config))
    write_json(out / CONFIG_FILE, {**config, BINDING_KEY: bound})


def checkpoint_identity(config: dict[str, Any]) -> dict[str, str]:
    """What a checkpoint's weights were trained as: model name, family and backbone."""
    model, backbone = config.get("model", {}), config.get("backbone", {})
    return {"model": str(model.get("name")), "family": str(model.get("family")),
            "backbone": str(backbone.get("name"))}


def find_checkpoints(runs_dir: str | Path, max_depth: int = 3) -> dict[str, Path]:
    """Trained models under ``runs_dir``: ``{model name: checkpoint dir}``, sorted by path.

    A checkpoint is a folder written by ``emo3d train`` (``model_config.json`` + ``model.pt``);
    CLIP checkpoints and other run outputs are not predictors and are left out.
    """
    root = Path(runs_dir)
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    for config in sorted(root.rglob(CONFIG_FILE)):
        folder = config.parent
        if len(folder.relative_to(root).parts) > max_depth or not (folder / MODEL_FILE).is_file():
            continue
        try:
            name = str(json.loads(config.read_text(encoding="utf-8"))["model"]["name"])
        except (ValueError, KeyError, TypeError) as err:
            raise Emo3DError(f"{config}: not a model config ({err})") from err
        found[name if name not in found else f"{name} ({folder.name})"] = folder
    return found
