"""Reference points that show what learning adds: the mean face and the nearest neighbour.

Both are measured on the same test triples as the models (text -> the image's 52 blendshapes).
"""

from __future__ import annotations

import numpy as np


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over all samples and all 52 blendshapes."""
    return float(np.mean((np.asarray(pred, np.float64) - np.asarray(target, np.float64)) ** 2))


def mean_predictor(train_blendshapes: np.ndarray) -> np.ndarray:
    """The training set's mean blendshape vector (52,), predicted for every text."""
    return np.asarray(train_blendshapes, np.float32).mean(axis=0)


def per_text_targets(
    text_idx: np.ndarray, blendshapes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Unique texts of a split and the mean blendshapes of their triples."""
    texts, inverse = np.unique(text_idx, return_inverse=True)
    sums = np.zeros((texts.size, blendshapes.shape[1]), np.float64)
    np.add.at(sums, inverse, blendshapes)
    counts = np.bincount(inverse, minlength=texts.size)[:, None]
    return texts, (sums / counts).astype(np.float32)


def nearest_neighbour_predict(
    query_emb: np.ndarray, train_emb: np.ndarray, train_targets: np.ndarray, batch: int = 2048
) -> np.ndarray:
    """For each query, the targets of the most cosine-similar training embedding."""
    def unit(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, np.float32)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    q, t = unit(query_emb), unit(train_emb)
    best = np.empty(len(q), np.int64)
    for i in range(0, len(q), batch):
        best[i : i + batch] = np.argmax(q[i : i + batch] @ t.T, axis=1)
    return np.asarray(train_targets)[best]
