"""Calibrate the built-in rig's per-channel gains against MediaPipe (writes rig_gains.json).

Amplitude is the biggest lever on how well MediaPipe reads a channel, and it is per channel:
too little reads as 0, too much saturates or breaks the landmark fit. For a set of gain
multipliers we render the same random sparse vectors with *all* gains scaled, read them back,
and keep for each channel the multiplier with the best Pearson r (a coordinate-wise search that
needs one pass per multiplier, not per channel). The calibration seed differs from rig-check's.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from emo3d_lib import atomic
from emo3d_lib.face.builtin_head import GAINS_FILE, build_builtin_head, load_gains
from emo3d_lib.face.head import Head
from emo3d_lib.face.identity import Identity
from emo3d_lib.face.rig_check import ceiling_scores, image_round_trip, pearson, sparse_weights
from emo3d_lib.schema import BLENDSHAPES

CALIBRATION_SEED = 12345


def scaled_head(head: Head, multipliers: np.ndarray) -> Head:
    """The head with every part's morph target k scaled by ``multipliers[k]``."""
    parts = tuple(dataclasses.replace(p, morph_targets=None if p.morph_targets is None
                                      else p.morph_targets * multipliers[:, None, None])
                  for p in head.parts)
    return dataclasses.replace(head, parts=parts)


def channel_r(head: Head, weights: np.ndarray, path: str, size: int = 256) -> np.ndarray:
    idents = [Identity.default()] * len(weights)
    if path == "ceiling":
        return pearson(weights, ceiling_scores(head, weights, idents, size))
    scores, found = image_round_trip(head, weights, idents, size, "calibrate")
    return pearson(weights[found], scores[found])


def calibrate(samples: int = 300, seed: int = CALIBRATION_SEED, path: str = "image",
              multipliers: tuple[float, ...] = (0.6, 0.8, 1.0, 1.3, 1.7, 2.2),
              start: dict[str, float] | None = None) -> tuple[dict[str, float], dict]:
    """New gains (relative to the raw fields) and a report {channel: {multiplier: r}}."""
    gains = dict(load_gains() if start is None else start)
    base = build_builtin_head({n: 1.0 for n in BLENDSHAPES})
    g0 = np.array([gains.get(n, 1.0) for n in BLENDSHAPES], np.float32)
    weights = sparse_weights(samples, seed)
    table = np.stack([channel_r(scaled_head(base, g0 * m), weights, path) for m in multipliers])
    best = table.argmax(0)
    new = {n: float(round(g0[k] * multipliers[best[k]], 4)) for k, n in enumerate(BLENDSHAPES)
           if n != "_neutral"}
    report = {n: {str(m): float(table[i, k]) for i, m in enumerate(multipliers)}
              for k, n in enumerate(BLENDSHAPES) if n != "_neutral"}
    return new, report


def write_gains(gains: dict[str, float], meta: dict, path: str | Path | None = None) -> Path:
    """Store gains in the package data file (small JSON, committed)."""
    target = Path(path) if path else Path(__file__).with_name(GAINS_FILE)
    atomic.write_text(target, json.dumps({"gains": gains, "meta": meta}, indent=1,
                                         sort_keys=True) + "\n")
    return target
