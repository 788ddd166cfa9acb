"""The poster's evaluation measures, with percentile-bootstrap intervals.

Discrete inference: accuracy, F1, precision and recall, each with weighted and macro averages
(the classes are unbalanced, so the poster reports both), and the confusion matrix.
Continuous inference: MSE, MAE, RMSE and the concordance correlation coefficient (CCC).
Bootstrap (``emo3d_lib.metric.bootstrap``): resample test items with replacement (seeded); a
paired bootstrap resamples the same items for two systems so the interval of their difference
accounts for shared test noise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.bootstrap import LEVEL, N_BOOT, resampled_intervals
from emo3d_lib.schema import N_EMOTIONS

CLASSIFICATION_KEYS: tuple[str, ...] = (
    "accuracy", "f1_weighted", "precision_weighted", "recall_weighted",
    "f1_macro", "precision_macro", "recall_macro",
)
REGRESSION_KEYS: tuple[str, ...] = ("mse", "mae", "rmse", "ccc")


def _labels_check(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise Emo3DError(f"labels: y_true {y_true.shape} and y_pred {y_pred.shape} must be "
                         "non-empty and of equal length")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.min() < 0 or y.max() >= N_EMOTIONS:
            raise Emo3DError(f"labels: {name} holds a class outside 0..{N_EMOTIONS - 1}")
    return y_true, y_pred


def _measures_from_confusion(cm: np.ndarray) -> dict[str, float]:
    """Accuracy and weighted/macro P, R, F1 from a confusion matrix (sklearn's conventions:
    zero_division=0; macro over classes present in y_true or y_pred; weighted by support)."""
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0,
                      2 * precision * recall / (precision + recall), 0.0)
    present = (support + predicted) > 0
    total = support.sum()
    out = {"accuracy": float(tp.sum() / total)}
    for name, values in (("f1", f1), ("precision", precision), ("recall", recall)):
        out[f"{name}_weighted"] = float((values * support).sum() / total)
        out[f"{name}_macro"] = float(values[present].mean())
    return out


def classification_measures(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and weighted/macro F1, precision, recall over the 8 emotion classes.

    Macro averages run over the classes present in ``y_true`` or ``y_pred`` (sklearn's
    convention), so a class absent from a small test set does not count as a zero.
    """
    return _measures_from_confusion(emotion_confusion(y_true, y_pred))


def emotion_confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(8, 8)`` counts, rows = true emotion, columns = predicted, in ``EMOTIONS`` order."""
    y_true, y_pred = _labels_check(y_true, y_pred)
    flat = np.bincount(y_true * N_EMOTIONS + y_pred, minlength=N_EMOTIONS**2)
    return flat.reshape(N_EMOTIONS, N_EMOTIONS)


def ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation coefficient of two flattened arrays."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(), y.var()
    cov = np.mean((x - mx) * (y - my))
    denom = vx + vy + (mx - my) ** 2
    return float(2 * cov / denom) if denom > 0 else float("nan")


def regression_measures(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MSE, MAE, RMSE and CCC over all entries (every sample and every output dimension)."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.size == 0:
        raise Emo3DError(f"regression: y_true {t.shape} and y_pred {p.shape} must match")
    err = p - t
    mse = float(np.mean(err**2))
    return {"mse": mse, "mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(mse)),
            "ccc": ccc(t, p)}


def judge_kl(phi: np.ndarray, psi: np.ndarray, norm_eps: float = 1e-6) -> np.ndarray:
    """Per-row KL(prompt distribution || distribution read from the face), with the Emo3D
    metric's conventions (``emo3d_lib.metric.divergence``: both normalised to sum 1, eps = 0.01
    on the second argument, 0 log 0 = 0) so the judge's KL and the metric's KL read alike.
    ``norm_eps`` keeps a predicted all-zero row from being refused."""
    from emo3d_lib.metric.divergence import kl_divergence, normalize_emotions

    return kl_divergence(normalize_emotions(phi), normalize_emotions(psi, norm_eps=norm_eps))


def bootstrap_interval(
    stat: Callable[[np.ndarray], float], n_items: int, *, n_boot: int = N_BOOT,
    seed: int = 0, level: float = LEVEL, purpose: str = "bootstrap",
) -> tuple[float, float]:
    """Percentile interval of ``stat(indices)`` over ``n_boot`` resamples of ``n_items`` items.

    ``stat`` receives an index array, so several systems can be scored on the same resample
    (a paired bootstrap): pass a function that computes a difference of two systems.
    """
    if n_items < 2:
        raise Emo3DError(f"bootstrap: need at least 2 items, got {n_items}")
    if n_boot < 10:
        raise Emo3DError(f"bootstrap: n_boot must be >= 10, got {n_boot}")
    return resampled_intervals(lambda idx: {"stat": stat(idx)}, n_items, n_boot=n_boot,
                               seed=seed, level=level, purpose=purpose)["stat"]


def classification_intervals(
    y_true: np.ndarray, y_pred: np.ndarray, *, n_boot: int = N_BOOT, seed: int = 0,
    keys: tuple[str, ...] = CLASSIFICATION_KEYS, level: float = LEVEL,
) -> dict[str, tuple[float, float]]:
    """Bootstrap interval of every classification measure (same resamples for all keys)."""
    y_true, y_pred = _labels_check(y_true, y_pred)

    def stat(idx: np.ndarray) -> dict[str, float]:
        flat = np.bincount(y_true[idx] * N_EMOTIONS + y_pred[idx], minlength=N_EMOTIONS**2)
        measures = _measures_from_confusion(flat.reshape(N_EMOTIONS, N_EMOTIONS))
        return {k: measures[k] for k in keys}

    return resampled_intervals(stat, y_true.size, n_boot=n_boot, seed=seed, level=level,
                               purpose="classification-bootstrap")


def regression_intervals(
    y_true: np.ndarray, y_pred: np.ndarray, *, n_boot: int = N_BOOT, seed: int = 0,
    level: float = LEVEL,
) -> dict[str, tuple[float, float]]:
    """Bootstrap interval of MSE, MAE, RMSE and CCC, resampling rows (samples)."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    return resampled_intervals(lambda idx: regression_measures(t[idx], p[idx]), t.shape[0],
                               n_boot=n_boot, seed=seed, level=level,
                               purpose="regression-bootstrap")
