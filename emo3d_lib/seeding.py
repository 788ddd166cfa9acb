"""Seeding helpers: every random step derives its generator from (seed, purpose, index)."""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(seed: int, *keys: object) -> int:
    """A stable 63-bit seed for a sub-task; independent of process, order and Python hash salt."""
    text = ":".join([str(seed), *map(str, keys)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    return np.random.default_rng(derive_seed(seed, *keys))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (if imported) for a training run."""
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # torch-free stages (text generation) do not need it
        return
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
