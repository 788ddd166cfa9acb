"""Seeded percentile-bootstrap 95% intervals: the one home of resampling in the project.

``bootstrap_ci`` (a mean) and ``resampled_intervals`` (any statistics of the resampled item
indices, all on the same resamples: a paired bootstrap) share ``bootstrap_indices``.
Over prompts, the interval resamples prompts with replacement and keeps each prompt's
retrieval as computed on the full pool of n prompts: it measures how much the mean would move
with another draw of test prompts of the same kind, not the noise of the retrieval pool itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.seeding import rng_for

N_BOOT = 1000
LEVEL = 0.95


def bootstrap_indices(n: int, n_boot: int, seed: int, purpose: str = "bootstrap") -> np.ndarray:
    """(n_boot, n) resampling indices; the same (n, n_boot, seed, purpose) -> the same draws."""
    if n < 1:
        raise Emo3DError("bootstrap needs at least one value")
    if n_boot < 1:
        raise Emo3DError(f"n_boot must be >= 1, got {n_boot}")
    return rng_for(seed, purpose, n, n_boot).integers(0, n, size=(n_boot, n))


def _percentiles(draws: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def resampled_intervals(
    stat: Callable[[np.ndarray], Mapping[str, float]],
    n_items: int,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
    purpose: str = "bootstrap",
) -> dict[str, tuple[float, float]]:
    """Percentile interval of every value ``stat(indices)`` returns, over ``n_boot`` resamples
    of ``n_items`` items; every value sees the same resample, so a difference of two systems
    computed inside ``stat`` is a paired bootstrap. Non-finite draws are dropped (a measure
    undefined on some resample); none left gives (nan, nan)."""
    if not 0 < level < 1:
        raise Emo3DError(f"level must be in (0, 1), got {level}")
    draws: dict[str, list[float]] = {}
    for idx in bootstrap_indices(n_items, n_boot, seed, purpose):
        for key, value in stat(idx).items():
            draws.setdefault(key, []).append(float(value))
    out = {}
    for key, values in draws.items():
        arr = np.asarray(values, dtype=np.float64)
        arr = arr[np.isfinite(arr)]
        out[key] = _percentiles(arr, level) if arr.size else (float("nan"), float("nan"))
    return out


def bootstrap_ci(
    values: np.ndarray,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[float, float]:
    """Percentile interval of ``transform(mean(resample))``; NaN values are refused."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise Emo3DError(f"bootstrap values must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise Emo3DError("bootstrap values hold NaN or inf")
    if not 0 < level < 1:
        raise Emo3DError(f"level must be in (0, 1), got {level}")
    means = arr[bootstrap_indices(arr.size, n_boot, seed)].mean(axis=1)
    if transform is not None:
        means = np.asarray(transform(means), dtype=np.float64)
    return _percentiles(means, level)


def paired_difference_ci(
    a: np.ndarray, b: np.ndarray, n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL
) -> tuple[float, float]:
    """Interval of mean(a - b) over the same resampled prompts (a paired comparison)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise Emo3DError(f"paired bootstrap needs equal shapes, got {a.shape} and {b.shape}")
    return bootstrap_ci(a - b, n_boot=n_boot, seed=seed, level=level)
