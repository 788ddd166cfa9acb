"""Faces to look at: the eight emotion prototypes per head and identity, and heads side by side.

The rig-fidelity chapter and the independent expression-classifier check both render the same
prototype faces (``expression_prior.PROTOTYPE_MATRIX`` at a given intensity) for a head and a few
seeded identities; this is their one home.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.face.expression_prior import PROTOTYPE_MATRIX
from emo3d_lib.face.head import Head
from emo3d_lib.face.identity import Identity, sample_identity
from emo3d_lib.schema import EMOTIONS


def prototype_faces(head: str | Head, n_identities: int = 5, seed: int = 0, size: int = 256,
                    intensity: float = 1.0, default_identity: bool = False
                    ) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """(images uint8 (n_identities * 8, size, size, 3), [(emotion, identity index)]): every
    emotion's prototype at ``intensity`` on identities ``0..n_identities-1`` of ``seed``'s
    stream (``default_identity``: the metric's fixed frontal mean face instead, once)."""
    from emo3d_lib.face.render import FaceRenderer

    idents = ([Identity.default()] if default_identity
              else [sample_identity(seed, i) for i in range(n_identities)])
    weights = np.concatenate([PROTOTYPE_MATRIX * intensity] * len(idents)).astype(np.float32)
    people = [ident for ident in idents for _ in EMOTIONS]
    labels = [(e, i) for i in range(len(idents)) for e in EMOTIONS]
    with FaceRenderer(head, size=size) as r:
        return r.render(np.clip(weights, 0, 1), people), labels


def head_grid(weights: np.ndarray, heads: list[Head], size: int = 160) -> np.ndarray:
    """uint8 image: one row per head, one column per weight vector, default frontal shot."""
    from emo3d_lib.face.render import FaceRenderer

    rows = []
    for head in heads:
        with FaceRenderer(head, size=size) as r:
            rows.append(np.concatenate(list(r.render(weights)), 1))
    return np.concatenate(rows, 0)
