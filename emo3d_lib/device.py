"""One place that picks the compute device: CUDA when present, else CPU."""

from __future__ import annotations


def pick_device(requested: str | None = None) -> str:
    """``requested`` wins ('cpu', 'cuda', 'cuda:1'); ``None``/'auto' -> cuda if available."""
    import torch

    if requested in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} requested but CUDA is not available")
    return requested
