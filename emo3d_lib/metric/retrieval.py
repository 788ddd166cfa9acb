"""Top-K prompt retrieval by cosine similarity, and psi_bar = mean of the K distributions."""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError


def _unit_rows(x: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise Emo3DError(f"{what} embeddings must be 2-D (N, d), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise Emo3DError(f"{what} embeddings hold NaN or inf")
    norm = np.linalg.norm(arr, axis=1, keepdims=True)
    if np.any(norm == 0):
        raise Emo3DError(f"{what} embedding in row {int(np.flatnonzero(norm[:, 0] == 0)[0])} is 0")
    return arr / norm


def cosine_similarity(image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
    """(N, M) cosine similarities in float64 (so batch size cannot change the ranking)."""
    img = _unit_rows(image_emb, "image")
    txt = _unit_rows(text_emb, "text")
    if img.shape[1] != txt.shape[1]:
        raise Emo3DError(f"image dim {img.shape[1]} != text dim {txt.shape[1]}")
    return img @ txt.T


def top_k_prompts(image_emb: np.ndarray, text_emb: np.ndarray, k: int) -> np.ndarray:
    """(N, k) indices of each image's k most similar prompts, best first, ties -> lower index.

    The reference ranks by softmax(100 * cosine); softmax is monotone, so the order is the same.
    """
    n_text = np.asarray(text_emb).shape[0]
    if not 1 <= k <= n_text:
        raise Emo3DError(f"k must be in [1, {n_text}] (the number of prompts), got {k}")
    sim = cosine_similarity(image_emb, text_emb)
    # stable sort on -sim: equal similarities keep index order, so results are reproducible
    return np.argsort(-sim, axis=1, kind="stable")[:, :k]


def mean_topk_distribution(distributions: np.ndarray, topk: np.ndarray) -> np.ndarray:
    """psi_bar: for each image, the MEAN of its K retrieved prompts' normalized distributions."""
    dist = np.asarray(distributions, dtype=np.float64)
    idx = np.asarray(topk)
    if idx.ndim != 2:
        raise Emo3DError(f"top-k indices must be (N, k), got shape {idx.shape}")
    return dist[idx].mean(axis=1)


def exact_match(topk: np.ndarray, prompt_index: np.ndarray | None = None) -> np.ndarray:
    """Per image: 1.0 if its own prompt is among its top-K (image i belongs to prompt i)."""
    idx = np.asarray(topk)
    own = np.arange(idx.shape[0]) if prompt_index is None else np.asarray(prompt_index)
    return (idx == own[:, None]).any(axis=1).astype(np.float64)
