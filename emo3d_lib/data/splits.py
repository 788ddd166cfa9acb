"""Train/val/test splits stratified by dominant emotion (the class the paper counts in Figure 9).

Stratifying keeps every emotion's share equal across splits, so a rare class (contempt) is not
missing from validation. Each class is shuffled with its own derived seed, so the split of one
class does not depend on how many rows the other classes have.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, N_EMOTIONS, SPLITS
from emo3d_lib.seeding import rng_for

DEFAULT_FRACTIONS: tuple[float, float, float] = (0.8, 0.1, 0.1)


def check_fractions(fractions: tuple[float, float, float]) -> tuple[float, float, float]:
    """Validate (train, val, test) fractions: three non-negative numbers summing to 1."""
    fr = tuple(float(f) for f in fractions)
    if len(fr) != len(SPLITS) or any(not np.isfinite(f) or f < 0 for f in fr):
        raise Emo3DError(f"split fractions must be three non-negative numbers, got {fractions}")
    if abs(sum(fr) - 1.0) > 1e-6:
        raise Emo3DError(f"split fractions must sum to 1, got {fractions} (sum {sum(fr)})")
    return fr  # type: ignore[return-value]


def assign_splits(
    emotions: np.ndarray, seed: int, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
) -> np.ndarray:
    """Split name per row ((N,) object array) for emotions (N, 8), stratified by dominant emotion.

    Within each class of n rows: round(n * train) rows go to train, round(n * val) to val, the
    rest to test (largest-remainder per class; a class of n >= 1 rows reaches test, n >= 2
    train too, n >= 3 all three).
    """
    fr = check_fractions(fractions)
    em = np.asarray(emotions, dtype=np.float64)
    if em.ndim != 2 or em.shape[1] != N_EMOTIONS:
        raise Emo3DError(f"emotions must have shape (N, {N_EMOTIONS}), got {em.shape}")
    dominant = em.argmax(axis=1) if len(em) else np.zeros(0, dtype=np.int64)
    out = np.empty(len(em), dtype=object)
    for c, emotion in enumerate(EMOTIONS):
        rows = np.flatnonzero(dominant == c)
        if rows.size == 0:
            continue
        rows = rows[rng_for(seed, "split", emotion).permutation(rows.size)]
        counts = _class_counts(rows.size, fr)
        bounds = np.cumsum(counts)
        for s, name in enumerate(SPLITS):
            lo = 0 if s == 0 else bounds[s - 1]
            out[rows[lo:bounds[s]]] = name
    return out


#: Which splits a small class fills first: test (every class must be scored), then train.
_SMALL_CLASS_ORDER = (2, 0, 1)


def _class_counts(n: int, fr: tuple[float, ...]) -> np.ndarray:
    """Integer counts summing to n, each as close as possible to n * fraction, except that
    every split with a positive fraction gets at least one row while rows last (test first,
    then train, then val), taken from the split with the most rows."""
    exact = np.array(fr) * n
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    wanted = [s for s in _SMALL_CLASS_ORDER if fr[s] > 0][:n]
    for s in wanted:
        if counts[s] == 0:
            donors = [d for d in range(len(counts)) if d not in wanted or counts[d] > 1]
            donor = max(donors, key=lambda d: counts[d])
            counts[donor] -= 1
            counts[s] += 1
    return counts
