"""Atomic file writes: a reader (or a resumed run) never sees a half-written file.

The temporary file sits beside its target as ``.<name>.emo3d-<host>-<pid>.<random>.tmp``: the
writer's own prefix, so a cleanup removes only temporaries of writers that are gone
(:func:`is_stale_temporary`), never another program's file or a live writer's in-flight one.
The finished file gets the mode a plain ``open()`` would give (0666 minus the umask), not
``mkstemp``'s private 0600, so a class's other accounts can read shared datasets.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEMP_MARK = "emo3d-"
_TEMP_RE = re.compile(r"^\..+\.emo3d-(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:40] or "host"


def writer_prefix() -> str:
    """This process's part of a temporary's name (host and pid)."""
    return f"{TEMP_MARK}{_host()}-{os.getpid()}"


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_stale_temporary(path: Path) -> bool:
    """True for an ``atomic_path`` temporary whose writer (this host, that pid) has exited."""
    m = _TEMP_RE.match(path.name)
    if not m or m["host"] != _host():
        return False
    pid = int(m["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{writer_prefix()}.", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
