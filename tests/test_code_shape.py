"""Shape of ``emo3d_lib`` checked by parsing it: no import cycle, stages import only earlier
stages, no function longer than 80 lines.

The import graph includes function-local imports (they hide cycles, not remove them). An import
of ``a.b.c`` counts as an edge to the deepest module of ``emo3d_lib`` it names; ``from a import b``
to the submodule ``a.b`` when there is one. Importing a submodule implicitly runs its package's
``__init__``; that implicit edge is not counted (packages here keep ``__init__`` import-free).
"""

from __future__ import annotations

import ast
from pathlib import Path

from emo3d_lib.book.imports import import_statements

LIB = Path(__file__).resolve().parent.parent / "emo3d_lib"
# face before data: dataset generation (data.generate, data.primitives) renders faces and reads
# them back with MediaPipe, while the face stage never reads a dataset. (Issue 16 sketched
# text -> data -> face; the code's one-way flow is text -> face -> data.)
STAGES = ("text", "face", "data", "models", "metric", "fei", "book")
SHARED = {"schema", "paths", "atomic", "seeding", "device", "errors", "cli", "paper",
          "validate", "visible_text", "checkpoint", "files", "images", "outputs"}
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    out = {}
    for path in LIB.rglob("*.py"):
        parts = path.relative_to(LIB.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _target(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the ``emo3d_lib`` modules it imports anywhere in its body."""
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for mod, path in known.items():
        for base, names in import_statements(path, mod):
            if not base.startswith("emo3d_lib"):
                continue
            for name in [f"{base}.{n}" for n in names] or [base]:
                target = _target(name, known)
                if target and target != mod:
                    graph[mod].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_no_import_cycle() -> None:
    assert find_cycles(import_graph()) == []


def stage_violation(module: str, target: str) -> str | None:
    """Why ``module`` may not import ``target``, or None when it may."""
    here, there = stage(module), stage(target)
    if there is None:  # the package root or a top-level module
        top = target.split(".")[1] if target.count(".") else ""
        return None if target == "emo3d_lib" or top in SHARED else "not a shared module"
    if here is None:
        return "a shared top-level module imports a stage"
    if STAGES.index(there) > STAGES.index(here):
        return "a later stage"
    return None


def test_stages_import_only_earlier_stages() -> None:
    found = [f"{mod} -> {target} ({why})" for mod, targets in import_graph().items()
             for target in targets if (why := stage_violation(mod, target))]
    assert found == []


def long_functions(limit: int = MAX_FUNCTION_LINES) -> list[tuple[int, str]]:
    found = []
    for mod, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append((length, f"{mod}.{node.name}"))
    return sorted(found, reverse=True)


def test_no_function_longer_than_80_lines() -> None:
    assert long_functions() == []


def test_the_checks_see_a_cycle_and_a_long_function() -> None:
    """The checks above can fail: a made-up cycle, a local import and long functions are seen."""
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "emo3d_lib.models.checkpoint" in import_graph()["emo3d_lib.models.predict"]
    assert "emo3d_lib.fei.judge_run" in import_graph()["emo3d_lib.fei.cli"]  # a local import
    assert stage_violation("emo3d_lib.fei.judge_run", "emo3d_lib.book.inspection")
    assert stage_violation("emo3d_lib.data.generate", "emo3d_lib.face.render") is None
    assert stage_violation("emo3d_lib.schema", "emo3d_lib.models.train")
    assert any(name.endswith(".train") for _, name in long_functions(40))
