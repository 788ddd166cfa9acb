"""Splits: stratified by dominant emotion, seeded, 80/10/10 by default."""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.data.splits import assign_splits
from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import SPLITS


def _emotions(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    em = rng.random((n, 8)) * 0.3
    em[np.arange(n), rng.choice(8, size=n, p=[.3, .2, .1, .1, .1, .1, .07, .03])] = 0.9
    return em


def test_every_class_is_split_80_10_10() -> None:
    em = _emotions(3000)
    split = assign_splits(em, 1)
    dominant = em.argmax(axis=1)
    for c in range(8):
        rows = split[dominant == c]
        n = rows.size
        for name, frac in zip(SPLITS, (0.8, 0.1, 0.1), strict=True):
            assert abs((rows == name).sum() - frac * n) <= 1, (c, name)


def test_seeded_and_seed_dependent() -> None:
    em = _emotions(500)
    assert np.array_equal(assign_splits(em, 3), assign_splits(em, 3))
    assert not np.array_equal(assign_splits(em, 3), assign_splits(em, 4))


def test_custom_fractions_and_errors() -> None:
    em = _emotions(400)
    split = assign_splits(em, 0, (0.5, 0.25, 0.25))
    assert abs((split == "train").mean() - 0.5) < 0.02
    with pytest.raises(Emo3DError, match="sum to 1"):
        assign_splits(em, 0, (0.5, 0.2, 0.2))
    with pytest.raises(Emo3DError, match="shape"):
        assign_splits(np.ones((3, 5)), 0)
