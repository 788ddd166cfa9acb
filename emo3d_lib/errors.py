"""The library's one error type for bad input: its message names the problem and where it is."""

from __future__ import annotations


class Emo3DError(ValueError):
    """Bad input or state a user can fix (empty text, wrong vector length, malformed row...)."""
