"""Which ``emo3d_lib`` modules a module imports, read from its source (function bodies too).

Static, so it sees imports done lazily inside functions or in worker processes a kernel never
ran. Two readers: the book pipeline (:func:`import_closure`, a conservative closure deciding
whether a notebook's library changed) and the import-graph test (exact edges, no cycles).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from pathlib import Path

from emo3d_lib.paths import REPO_ROOT

Import = tuple[str, tuple[str, ...]]  # (module named, names taken from it; () for `import x`)


def import_statements(path: Path, module: str) -> list[Import]:
    """Every import in ``path`` (the source of ``module``), relative ones made absolute."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((base, tuple(a.name for a in node.names)))
    return found


def is_module(module: str, root: Path = REPO_ROOT) -> bool:
    rel = root / Path(*module.split("."))
    return (rel / "__init__.py").is_file() or rel.with_suffix(".py").is_file()


def source_files(module: str, root: Path = REPO_ROOT) -> list[Path]:
    """The ``.py`` file(s) of a module: ``x.py`` or ``x/__init__.py``."""
    rel = root / Path(*module.split("."))
    return [p for p in (rel / "__init__.py", rel.with_suffix(".py")) if p.is_file()]


def _imported_by(module: str) -> set[str]:
    sources = source_files(module)
    return set(_parse(module, tuple((str(p), p.stat().st_mtime_ns) for p in sources)))


@functools.lru_cache(maxsize=4096)
def _parse(module: str, sources: tuple[tuple[str, int], ...]) -> frozenset[str]:
    """Cached per file version (path, mtime): a skip-everything run parses each file once."""
    found: set[str] = set()
    for name, _ in sources:
        for base, names in import_statements(Path(name), module):
            found.update([base, *(f"{base}.{n}" for n in names)])
    return frozenset(m for m in found if (m == "emo3d_lib" or m.startswith("emo3d_lib."))
                     and is_module(m))


def import_closure(modules: Iterable[str]) -> set[str]:
    """The modules plus everything they import from ``emo3d_lib``, transitively.

    Conservative: ``from emo3d_lib.x import y`` counts the package ``emo3d_lib.x`` as well.
    """
    todo, seen = list(modules), set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(_imported_by(module) - seen)
    return seen
