"""KL divergence between emotion distributions and the Emo3D squashing, as in section 4.2.

Conventions follow the authors' ``metric.py`` so numbers are comparable: each emotion vector is
normalized to sum 1 (optionally after adding ``norm_eps``), the KL adds ``eps`` (default 0.01) to
the *second* argument only, and terms with ``phi(i) = 0`` contribute 0 (0 log 0 = 0). Because
``psi + eps`` is not renormalized, a KL can dip slightly below 0 (at least ``-log(1 + 8 eps)``,
about -0.077 with 8 emotions and eps = 0.01).

Direction and scale, stated once here and used by every table: **lower KL = better** (the face
was retrieved next to prompts with the same emotions). Emo3D = sigmoid(mean KL / alpha) maps
KL >= 0 to [0.5, 1), so **lower Emo3D is better too**; 0.5 is a perfect match (the eps dip above
can take it to about 0.48). See :data:`DIRECTION`.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.paper import KL_EPS  # the reference metric.py's eps

#: KL smoothing on the second argument, as in the reference ``metric.py``.
#: How to read every KL and Emo3D figure (captions and the summary page quote this).
DIRECTION = "lower mean KL (and so lower Emo3D) = better; Emo3D = sigmoid(KL) is in [0.5, 1) " \
    "for KL >= 0"


def normalize_emotions(emotions: np.ndarray, norm_eps: float = 0.0) -> np.ndarray:
    """Rows -> distributions summing to 1; an all-zero row cannot be one, so it is refused."""
    arr = np.asarray(emotions, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
        squeeze = True
    else:
        squeeze = False
    if arr.ndim != 2:
        raise Emo3DError(f"emotion vectors must be 1-D or 2-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        row = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise Emo3DError(f"emotion vector in row {row} holds NaN or inf")
    if np.any(arr < 0):
        row = int(np.argwhere(arr < 0)[0][0])
        raise Emo3DError(f"emotion vector in row {row} has a negative intensity")
    shifted = arr + norm_eps
    total = shifted.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        row = int(np.flatnonzero(total[:, 0] <= 0)[0])
        raise Emo3DError(
            f"emotion vector in row {row} is all zeros: it has no distribution "
            "(select prompts with at least one non-zero emotion, or pass norm_eps > 0)"
        )
    out = shifted / total
    return out[0] if squeeze else out


def kl_divergence(phi: np.ndarray, psi: np.ndarray, eps: float = KL_EPS) -> np.ndarray:
    """Row-wise KL(phi || psi + eps) with 0 log 0 = 0; both already normalized."""
    p = np.asarray(phi, dtype=np.float64)
    q = np.asarray(psi, dtype=np.float64) + eps
    if p.shape != q.shape:
        raise Emo3DError(f"KL needs equal shapes, got phi {p.shape} and psi {q.shape}")
    if np.any(q <= 0) and np.any((q <= 0) & (p > 0)):
        raise Emo3DError("KL is infinite: psi is 0 where phi is not (use eps > 0)")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / q), 0.0)
    return terms.sum(axis=-1)


def emo3d_score(mean_kl: float | np.ndarray, alpha: float = 1.0) -> float | np.ndarray:
    """Emo3D = 1 / (1 + exp(-mean_kl / alpha)): the paper's eq. 6 (alpha = 1) or the code's.

    Monotone in the KL: lower is better (see the module docstring for the scale)."""
    if not alpha > 0:
        raise Emo3DError(f"alpha must be > 0, got {alpha}")
    value = 1.0 / (1.0 + np.exp(-np.asarray(mean_kl, dtype=np.float64) / alpha))
    return float(value) if np.ndim(value) == 0 else value


def reference_code_kl(
    phi: np.ndarray, topk_emotions: np.ndarray, eps: float = KL_EPS
) -> float:
    """What the authors' ``metric.py`` computes for one prompt (kept to document its flaw).

    It passes the K retrieved rows to the single-row helper, which divides them by their joint
    sum (each row then sums to about 1/K), and the KL broadcasts phi against all K rows and sums
    the K terms. The result is not KL(phi || mean of the K distributions); see
    ``mean_topk_distribution`` for the quantity the paper describes.
    """
    p = normalize_emotions(phi)
    rows = np.asarray(topk_emotions, dtype=np.float64)
    b = rows / rows.sum() + eps
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p != 0, p * np.log(np.where(p != 0, p, 1.0) / b), 0.0)
    return float(terms.sum())
