"""Sanity anchors for the metric: faces whose ranking is known before any model is trained.

- ``ground-truth``: each prompt's own faces (mean of its images' MediaPipe scores): the best a
  model trained on this data can hope for.
- ``shuffled``: the same faces given to other prompts (a seeded derangement: no prompt keeps its
  own), so the marginal distribution of faces is right but the pairing is lost.
- ``mean-face``: the mean training face for every prompt (what an MSE-optimal constant outputs).
- ``random``: uniform [0, 1] on the 51 ARKit channels, ``_neutral`` 0 as MediaPipe always gives.
A sound metric scores ground truth clearly better (lower KL) than shuffled and random.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.prompts import MetricPrompts
from emo3d_lib.schema import BLENDSHAPES, N_BLENDSHAPES
from emo3d_lib.seeding import rng_for

ANCHORS: tuple[str, ...] = ("ground-truth", "shuffled", "mean-face", "random")


def derangement(n: int, seed: int) -> np.ndarray:
    """A seeded permutation with no fixed point: walk a random cycle through all n items."""
    if n < 2:
        raise Emo3DError(f"a shuffle without fixed points needs n >= 2, got {n}")
    cycle = rng_for(seed, "anchor-shuffle", n).permutation(n)
    perm = np.empty(n, dtype=np.int64)
    perm[cycle] = np.roll(cycle, -1)
    return perm


def anchor_blendshapes(
    name: str, prompts: MetricPrompts, seed: int = 0, train_faces: np.ndarray | None = None
) -> np.ndarray:
    """(n, 52) float32 faces of anchor ``name`` for these prompts."""
    n = len(prompts)
    if name == "ground-truth":
        return prompts.ground_truth
    if name == "shuffled":
        return prompts.ground_truth[derangement(n, seed)]
    if name == "mean-face":
        if train_faces is None or np.ndim(train_faces) != 2 or len(train_faces) == 0:
            raise Emo3DError("the mean-face anchor needs the training faces (m, 52), m >= 1")
        if np.shape(train_faces)[1] != N_BLENDSHAPES:
            raise Emo3DError(f"training faces must have {N_BLENDSHAPES} columns")
        mean = np.asarray(train_faces, dtype=np.float64).mean(axis=0)
        return np.repeat(mean[None, :], n, axis=0).astype(np.float32)
    if name == "random":
        out = rng_for(seed, "anchor-random", n).uniform(0.0, 1.0, size=(n, N_BLENDSHAPES))
        out[:, BLENDSHAPES.index("_neutral")] = 0.0
        return out.astype(np.float32)
    raise Emo3DError(f"unknown anchor {name!r}; choose one of {ANCHORS}")
