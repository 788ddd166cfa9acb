"""Reading text and JSON files a user points at: every fault is one ``Emo3DError`` line.

A missing file, a directory, an unreadable file, bytes that are not UTF-8 and malformed JSON are
user errors, so they name the file and the problem instead of escaping as tracebacks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from emo3d_lib.errors import Emo3DError


def read_text(path: str | os.PathLike[str], what: str = "file") -> str:
    """The UTF-8 text of ``path``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise Emo3DError(f"{what} {p} does not exist") from None
    except IsADirectoryError:
        raise Emo3DError(f"{what} {p} is a directory, expected a file") from None
    except OSError as err:
        raise Emo3DError(f"{what} {p}: cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Emo3DError(f"{what} {p}: not UTF-8 text (byte {err.start})") from None


def read_json(path: str | os.PathLike[str], what: str = "JSON file") -> Any:
    """The parsed JSON of ``path`` (UTF-8; a leading BOM is tolerated)."""
    text = read_text(path, what).removeprefix("\ufeff")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise Emo3DError(f"{what} {path}: not valid JSON ({err})") from None


def read_json_object(path: str | os.PathLike[str], what: str = "JSON file") -> dict[str, Any]:
    """Like :func:`read_json`, but the top level must be an object."""
    obj = read_json(path, what)
    if not isinstance(obj, dict):
        raise Emo3DError(f"{what} {path}: expected a JSON object, got {type(obj).__name__}")
    return obj
