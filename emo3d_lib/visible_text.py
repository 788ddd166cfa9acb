"""What a text shows a reader: a description of only zero-width or control characters is empty.

Kept apart from :mod:`emo3d_lib.validate` so the release-format reader (``schema``) can use it
without an import cycle.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: Unicode categories that print nothing: format (zero-width space/joiner, BOM, bidi marks),
#: control, separators, private-use and unassigned code points.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn"})


def visible(text: str) -> str:
    """``text`` without the characters that print nothing."""
    return "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)


def is_blank(text: Any) -> bool:
    """True for a non-string, or a string with nothing visible in it."""
    return not isinstance(text, str) or not visible(text)
