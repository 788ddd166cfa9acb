"""Emotion-balanced selection of the n test prompts ("diverse emotion prompts uniformly selected").

Prompts are grouped by their dominant emotion (argmax of the 8 intensities); each group is
shuffled with its own seeded generator and the groups are interleaved round-robin in
``EMOTIONS`` order. Any prefix of the result is therefore as balanced as the data allow, so a
smaller n is the first n of a larger selection (this makes the n-sensitivity study nested).
When a group runs out, the others keep filling.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS
from emo3d_lib.seeding import rng_for


def dominant_emotion_index(emotions: np.ndarray) -> np.ndarray:
    """Index of the strongest emotion per row (first one on ties, as ``np.argmax``)."""
    return np.asarray(emotions).argmax(axis=1)


def balanced_order(
    emotions: np.ndarray, seed: int = 0, eligible: np.ndarray | None = None
) -> np.ndarray:
    """All eligible row indices in balanced round-robin order (see module doc)."""
    emo = np.asarray(emotions, dtype=np.float64)
    if emo.ndim != 2 or emo.shape[1] != len(EMOTIONS):
        raise Emo3DError(f"emotions must be (N, {len(EMOTIONS)}), got shape {emo.shape}")
    ok = emo.sum(axis=1) > 0  # an all-zero row has no distribution
    if eligible is not None:
        ok &= np.asarray(eligible, dtype=bool)
    dom = dominant_emotion_index(emo)
    groups = []
    for e, name in enumerate(EMOTIONS):
        rows = np.flatnonzero(ok & (dom == e))
        groups.append(rows[rng_for(seed, "balanced-selection", name).permutation(rows.size)])
    order: list[int] = []
    depth = max((g.size for g in groups), default=0)
    for i in range(depth):
        order.extend(int(g[i]) for g in groups if i < g.size)
    return np.asarray(order, dtype=np.int64)


def select_balanced(
    emotions: np.ndarray, n: int, seed: int = 0, eligible: np.ndarray | None = None
) -> np.ndarray:
    """The first ``n`` rows of ``balanced_order``; refuses n larger than the eligible rows."""
    if n < 2:
        raise Emo3DError(f"n must be >= 2 prompts, got {n}")
    order = balanced_order(emotions, seed=seed, eligible=eligible)
    if n > order.size:
        raise Emo3DError(
            f"n = {n} prompts requested but only {order.size} eligible rows "
            "(non-zero emotions and a ground-truth face) are available"
        )
    return order[:n]
