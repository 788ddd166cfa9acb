"""Late fusion of the 2D and 3D branches' outputs, as the Ig3D poster compares them.

``max``: element-wise maximum of the two outputs; ``mean``: their average; ``weighted``:
``w * out_2d + (1 - w) * out_3d`` with one weight ``w`` learned on the validation split (the
value on a 0.01 grid that minimises the validation loss: negative log-likelihood of the dominant
emotion for classifiers, MSE of the intensities for regressors). For classifiers the fused
scores are renormalised to probabilities. Intermediate fusion (concatenated features) is a
trained head, not a rule, and lives with the model.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError

FUSIONS: tuple[str, ...] = ("2d", "3d", "intermediate", "late-max", "late-mean", "late-weighted")
SINGLE_MODALITIES: tuple[str, ...] = ("2d", "3d")
LATE_RULES: tuple[str, ...] = ("max", "mean", "weighted")
WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 101), 2)


def check_fusion(name: str) -> str:
    if name not in FUSIONS:
        raise Emo3DError(f"parameter fusion={name!r} must be one of {FUSIONS}")
    return name


def late_fuse(out_2d: np.ndarray, out_3d: np.ndarray, rule: str, weight: float = 0.5,
              probabilities: bool = True) -> np.ndarray:
    """Combine two ``(N, 8)`` outputs by ``rule``; ``weight`` is the 2D share for 'weighted'."""
    a = np.asarray(out_2d, dtype=np.float64)
    b = np.asarray(out_3d, dtype=np.float64)
    if a.shape != b.shape:
        raise Emo3DError(f"late fusion: 2D output {a.shape} and 3D output {b.shape} differ")
    if rule == "max":
        fused = np.maximum(a, b)
    elif rule == "mean":
        fused = 0.5 * (a + b)
    elif rule == "weighted":
        if not 0.0 <= weight <= 1.0:
            raise Emo3DError(f"late fusion: weight={weight} must lie in [0, 1]")
        fused = weight * a + (1.0 - weight) * b
    else:
        raise Emo3DError(f"late fusion: rule={rule!r} must be one of {LATE_RULES}")
    if probabilities:
        fused = fused / fused.sum(axis=1, keepdims=True)
    return fused.astype(np.float32)


def learn_weight(out_2d: np.ndarray, out_3d: np.ndarray, *, labels: np.ndarray | None = None,
                 targets: np.ndarray | None = None) -> float:
    """The 2D weight minimising validation NLL (``labels``) or MSE (``targets``)."""
    if (labels is None) == (targets is None):
        raise Emo3DError("learn_weight: pass exactly one of labels (classifier) or targets")
    losses = []
    for w in WEIGHT_GRID:
        if labels is not None:
            p = late_fuse(out_2d, out_3d, "weighted", float(w), probabilities=True)
            chosen = p[np.arange(len(labels)), np.asarray(labels, dtype=int)]
            losses.append(-np.mean(np.log(np.clip(chosen, 1e-12, None))))
        else:
            p = late_fuse(out_2d, out_3d, "weighted", float(w), probabilities=False)
            losses.append(np.mean((p - targets) ** 2))
    return float(WEIGHT_GRID[int(np.argmin(losses))])
