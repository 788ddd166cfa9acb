"""Checkpoint files: tensors only on load, and the files of one checkpoint tied together.

Why: ``torch.load`` of a full pickle runs whatever code the file names, so a shared or downloaded
``.pt`` could execute anything. Every loader here uses ``weights_only=True`` (tensors, numbers,
strings and containers; nothing else is ever constructed) and turns every read fault into one
``Emo3DError`` line. A checkpoint of several files (weights + JSON config) records in the config
the model family, backbone, every tensor's shape and the weights file's SHA-256, so weights of
one model copied beside another's config are refused by name instead of loading silently.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from emo3d_lib.atomic import atomic_path
from emo3d_lib.errors import Emo3DError

#: Key of the binding record inside a checkpoint's JSON config.
BINDING_KEY = "weights_binding"


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_tensors(path: str | os.PathLike[str], state: dict[str, Any]) -> str:
    """Write ``state`` (tensors, numbers, strings, containers) atomically; return its SHA-256."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(state, tmp)
        digest = file_sha256(tmp)
    return digest


def load_tensors(path: str | os.PathLike[str], what: str = "checkpoint") -> Any:
    """``torch.load(path, weights_only=True)`` with each failure named in one line.

    A file that needs anything beyond tensors and plain containers (a pickled class or
    function, i.e. possibly code) is refused before any of it is constructed.
    """
    import pickle

    import torch

    p = Path(path)
    if not p.is_file():
        raise Emo3DError(f"{what} {p} does not exist" if not p.exists()
                         else f"{what} {p} is not a file")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        if found:
            raise Emo3DError(f"{what} {p}: refused, it names {found[1]!r}, which is not a "
                             "tensor (loading it could run code); nothing in it was run") from None
        raise Emo3DError(f"{what} {p}: refused, not a tensors-only checkpoint (corrupt, or "
                         "pickled objects the safe loader does not accept); nothing in it was "
                         "run") from None
    except (RuntimeError, EOFError, OSError, ValueError, AttributeError, TypeError,
            KeyError, IndexError, UnicodeDecodeError) as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise Emo3DError(f"{what} {p}: not a readable tensors-only checkpoint "
                         f"(corrupt or truncated: {msg[:160]})") from None


def shapes_of(state: Any, prefix: str = "") -> dict[str, list[int]]:
    """Every tensor's shape in a nested state, keyed by its dotted path."""
    import torch

    out: dict[str, list[int]] = {}
    if isinstance(state, torch.Tensor):
        out[prefix or "."] = list(state.shape)
    elif isinstance(state, dict):
        for k, v in state.items():
            out.update(shapes_of(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(state, list | tuple):
        for i, v in enumerate(state):
            out.update(shapes_of(v, f"{prefix}.{i}" if prefix else str(i)))
    return out


def binding(weights_file: str | os.PathLike[str], state: Any, **identity: str) -> dict[str, Any]:
    """The record that ties a weights file to its config: identity (model family, backbone...),
    tensor shapes and the file's SHA-256."""
    return {"file": Path(weights_file).name, "sha256": file_sha256(weights_file),
            "shapes": shapes_of(state), **{k: str(v) for k, v in identity.items()}}


def check_binding(config: dict[str, Any], weights_file: str | os.PathLike[str], state: Any,
                  what: str, **identity: str) -> None:
    """Refuse weights that are not the ones ``config`` was written with.

    ``identity`` holds what the config says elsewhere (e.g. ``model="lm-mlp"``); each must match
    the binding. Configs written before bindings existed carry none and are checked by shapes
    only when the model is built (``load_state_dict`` is strict).
    """
    rec = config.get(BINDING_KEY)
    if rec is None:
        return
    if not isinstance(rec, dict):
        raise Emo3DError(f"{what}: {BINDING_KEY} in the config is not an object")
    for key, want in identity.items():
        if str(rec.get(key)) != str(want):
            raise Emo3DError(f"{what}: config says {key} {want!r} but its weights were written "
                             f"for {key} {rec.get(key)!r}; the checkpoint's files are mixed")
    name = Path(weights_file).name
    if rec.get("file") not in (None, name):
        raise Emo3DError(f"{what}: config is bound to {rec.get('file')!r}, not {name!r}")
    digest = file_sha256(weights_file)
    if rec.get("sha256") != digest:
        raise Emo3DError(f"{what}: {name} is not the weights file this config was written with "
                         f"(SHA-256 {digest[:12]}... != {str(rec.get('sha256'))[:12]}...); the "
                         "checkpoint's files are mixed or the weights were modified")
    shapes = shapes_of(state)
    want_shapes = rec.get("shapes", {})
    if isinstance(want_shapes, dict) and want_shapes and shapes != want_shapes:
        diff = sorted(k for k in set(shapes) | set(want_shapes)
                      if shapes.get(k) != want_shapes.get(k))
        raise Emo3DError(f"{what}: tensor shapes differ from the config's record at {diff[:3]}")


def load_state_strict(module: Any, state: Any, what: str) -> None:
    """``module.load_state_dict(state)`` with a mismatch named in one line (no traceback)."""
    if not isinstance(state, dict):
        raise Emo3DError(f"{what}: expected a mapping of tensors, got {type(state).__name__}")
    try:
        module.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        detail = "; ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else "")
        raise Emo3DError(f"{what}: weights do not fit this model ({detail[:240]})") from None
