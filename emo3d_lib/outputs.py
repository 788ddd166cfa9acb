"""Checking where a command will write, before it starts long work.

Why: a training run that finds its ``--out`` unwritable after an hour loses the hour, and a
command pointed at someone else's folder must not mix its files in. Each check names the
parameter and the path in one line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from emo3d_lib.errors import Emo3DError


def check_writable(path: str | os.PathLike[str], param: str = "--out") -> None:
    """Refuse ``path`` when its nearest existing folder cannot take a new file.

    Tried, not guessed: ``os.access`` says yes to root on a read-only or virtual file system,
    so a uniquely named probe file is created there and removed at once.
    """
    path = Path(path)
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise Emo3DError(f"{param} {path}: {probe} is a file, not a directory")
    try:
        fd, name = tempfile.mkstemp(prefix=".emo3d-write-probe-", dir=probe)
    except OSError as err:
        raise Emo3DError(f"{param} {path}: {probe} is not writable "
                         f"({err.strerror or err})") from None
    os.close(fd)
    os.unlink(name)


def check_output_file(path: str | os.PathLike[str], param: str = "--out",
                      suffixes: Iterable[str] | None = None) -> Path:
    """A file the user named: its folder must be writable, and it must not be a directory."""
    p = Path(path)
    if not str(path).strip():
        raise Emo3DError(f"{param} is empty")
    if p.is_dir():
        raise Emo3DError(f"{param} {p} is a directory, expected a file name")
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if p.suffix.lower() not in allowed:
            raise Emo3DError(f"{param} {p}: must end in {' or '.join(allowed)}")
    if p.exists() and not os.access(p, os.W_OK):
        raise Emo3DError(f"{param} {p} exists and is not writable")
    check_writable(p.parent, param)
    return p


def check_output_dir(path: str | os.PathLike[str], ours: Iterable[str],
                     param: str = "--out") -> Path:
    """A folder a command fills: new, empty, or already holding one of its own ``ours`` files.

    A non-empty folder with none of them belongs to someone else and is refused unchanged.
    """
    p = Path(path)
    if not str(path).strip():
        raise Emo3DError(f"{param} is empty")
    if p.exists() and not p.is_dir():
        raise Emo3DError(f"{param} {p} is a file, expected a directory")
    if p.is_dir():
        try:
            present = sorted(c.name for c in p.iterdir())
        except OSError as err:
            raise Emo3DError(f"{param} {p}: cannot be listed ({err.strerror})") from None
        names = set(ours)
        if present and not names.intersection(present):
            shown = ", ".join(present[:3]) + (" ..." if len(present) > 3 else "")
            raise Emo3DError(f"{param} {p} is not empty and holds no output of this command "
                             f"({shown}); nothing was changed: choose a new or empty directory")
    check_writable(p, param)
    return p
