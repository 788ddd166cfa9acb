"""One validation for what users hand in: blendshape vectors, emotion vectors and texts.

Every entry point (render, evaluate, predict, the judge, the dataset loader, predictions files)
calls these, so a value refused in one place is refused in all of them. Why strict: a weight of
1e30 renders a black frame and a weight of -3 a mangled mesh, both scored as if meaningful; a
JSON ``"0.5"`` or ``true`` is a typo, not a number, and converting it silently hides the typo.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS
from emo3d_lib.visible_text import is_blank, visible

__all__ = ["blendshape_matrix", "blendshapes_from_json", "check_texts", "emotion_matrix",
           "emotions_from_json", "is_blank", "visible"]

def _unit_matrix(values: Any, names: tuple[str, ...], where: str) -> np.ndarray:
    """float32 (N, len(names)) with every value a finite number in [0, 1]; else Emo3DError."""
    arr = np.asarray(values)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        if arr.dtype == object:
            flat = arr.reshape(-1)
            for idx, v in enumerate(flat):
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise Emo3DError(f"{where}: value {idx} is {v!r}, not a number")
        else:
            raise Emo3DError(f"{where}: expected numbers, got {arr.dtype} values")
    arr = arr.astype(np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise Emo3DError(f"{where}: expected shape (N, {len(names)}) or ({len(names)},), got "
                         f"{tuple(np.shape(values))}")
    bad = ~np.isfinite(arr)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise Emo3DError(f"{where}: row {r}, {names[c]}: non-finite value {arr[r, c]!r}")
    out = (arr < 0.0) | (arr > 1.0)
    if out.any():
        r, c = (int(v) for v in np.argwhere(out)[0])
        raise Emo3DError(f"{where}: row {r}, {names[c]}: {arr[r, c]:g} is outside [0, 1]")
    return arr.astype(np.float32)


def blendshape_matrix(values: Any, where: str = "blendshapes") -> np.ndarray:
    """(N, 52) or (52,) numbers in BLENDSHAPES order -> float32 (N, 52), finite and in [0, 1]."""
    return _unit_matrix(values, BLENDSHAPES, where)


def emotion_matrix(values: Any, where: str = "emotions") -> np.ndarray:
    """(N, 8) or (8,) numbers in EMOTIONS order -> float32 (N, 8), finite and in [0, 1]."""
    return _unit_matrix(values, EMOTIONS, where)


def _number(value: Any, where: str) -> float:
    """A JSON number; strings ("0.5"), booleans and null are refused, not converted."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Emo3DError(f"{where}: {value!r} is not a number")
    return float(value)


def _vector_from_json(obj: Any, names: tuple[str, ...], where: str,
                      alias: Any = None) -> np.ndarray:
    if isinstance(obj, Mapping):
        vec = np.zeros(len(names), np.float64)
        for key, val in obj.items():
            name = alias(key) if alias is not None else key
            if name not in names:
                raise Emo3DError(f"{where}: unknown name {key!r} (expected one of "
                                 f"{names[0]}, {names[1]}, ...)")
            vec[names.index(name)] = _number(val, f"{where}: {key!r}")
        return vec
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        if len(obj) != len(names):
            raise Emo3DError(f"{where}: expected {len(names)} values in order, got {len(obj)}")
        return np.array([_number(v, f"{where}: value {i} ({names[i]})")
                         for i, v in enumerate(obj)], np.float64)
    raise Emo3DError(f"{where}: expected a list of {len(names)} numbers or a "
                     "{name: value} object")


def blendshapes_from_json(obj: Any, where: str = "blendshapes") -> np.ndarray:
    """A parsed JSON list of 52 numbers, or a {name: weight} object (missing names = 0; Face
    Cap's ``X_L`` spelling accepted) -> float32 (52,), each a real number in [0, 1]."""
    def alias(key: str) -> str:
        key = str(key)
        return key[:-2] + "Left" if key.endswith("_L") else (
            key[:-2] + "Right" if key.endswith("_R") else key)

    return blendshape_matrix(_vector_from_json(obj, BLENDSHAPES, where, alias), where)[0]


def emotions_from_json(obj: Any, where: str = "emotions") -> np.ndarray:
    """A parsed JSON list of 8 numbers or an {emotion: intensity} object -> float32 (8,)."""
    return emotion_matrix(_vector_from_json(obj, EMOTIONS, where), where)[0]


def check_texts(texts: Iterable[str], what: str = "text") -> list[str]:
    """A list of descriptions, each with something visible; the first bad one is named."""
    if isinstance(texts, str | bytes):
        raise Emo3DError("texts must be a list of strings, not one string")
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise Emo3DError(f"{what} {i}: expected a string, got {type(t).__name__}")
        if not visible(t):
            raise Emo3DError(f"{what} {i}: empty description after removing invisible "
                             f"characters ({t!r}); nothing to map to a face")
        out.append(t)
    return out
