"""A notebook's parameters, settled the same way however it is run.

Every notebook's parameters cell ends with ``notebook_parameters(globals(), "NN_name")``. It

* turns ``data_dir`` and ``runs_dir`` into absolute paths by the one rule of
  :mod:`emo3d_lib.paths` (relative = under the data root), so the notebook finds its data from
  Jupyter (working directory ``notebooks/``), papermill (the shell's) or Colab alike;
* with ``profile = "smoke"``, replaces every parameter still at its full-profile default by the
  smoke value in the notebook's metadata ``emo3d.smoke`` (a value given explicitly stays), and
  default paths ``.../book-full`` by ``.../book-smoke`` (as ``emo3d book --profile smoke``), so
  a smoke run never overwrites the full-size data.

papermill injects its parameters in a cell *after* the parameters cell, so the settling runs
once now and again right after that injected cell (an IPython ``post_run_cell`` hook that
removes itself after the next cell).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from emo3d_lib.errors import Emo3DError
from emo3d_lib.paths import clone_root, resolve_data_path

PROFILES = ("full", "smoke")
PATH_PARAMETERS = ("data_dir", "runs_dir")


def smoke_values(notebook: str) -> dict[str, Any] | None:
    """``emo3d.smoke`` of ``notebooks/<notebook>.ipynb`` (None if the file is not at hand)."""
    places = [Path.cwd() / f"{notebook}.ipynb"]
    root = clone_root()
    if root is not None:
        places.insert(0, root / "notebooks" / f"{notebook}.ipynb")
    for path in places:
        if path.is_file():
            return json.loads(path.read_text())["metadata"].get("emo3d", {}).get("smoke", {})
    return None


def settle(namespace: dict[str, Any], notebook: str, defaults: dict[str, Any]) -> None:
    """Resolve the path parameters and apply the profile in ``namespace`` (idempotent)."""
    profile = namespace.get("profile", "full")
    if profile not in PROFILES:
        raise Emo3DError(f"parameter profile={profile!r} must be one of {PROFILES}")
    for name in PATH_PARAMETERS:
        if not namespace.get(name):
            continue
        default = defaults.get(name)  # as written, or as the first settling resolved it
        if profile == "smoke" and default and namespace[name] in (
                default, str(resolve_data_path(default))):
            namespace[name] = str(namespace[name]).replace("book-full", "book-smoke")
        namespace[name] = str(resolve_data_path(namespace[name]))
    if profile != "smoke":
        return
    smoke = smoke_values(notebook)
    if smoke is None:
        raise Emo3DError(f"profile 'smoke': notebooks/{notebook}.ipynb (its metadata holds the "
                         "smoke sizes) not found; run from a clone or set the sizes yourself")
    for name, value in smoke.items():
        if name in defaults and namespace.get(name) == defaults[name]:
            namespace[name] = copy.deepcopy(value)


def _is_injected(cell: str) -> bool:
    lines = cell.lstrip().splitlines()
    return bool(lines) and lines[0].strip() == "# Parameters"  # papermill's injected cell


def notebook_parameters(namespace: dict[str, Any], notebook: str) -> None:
    """Settle the parameters now and again after papermill's injected cell, if one follows."""
    smoke = smoke_values(notebook) or {}
    defaults = {k: copy.deepcopy(namespace[k]) for k in (*smoke, *PATH_PARAMETERS)
                if k in namespace}
    settle(namespace, notebook, defaults)
    try:
        from IPython import get_ipython
    except ModuleNotFoundError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def after_cell(result: Any) -> None:
        cell = getattr(getattr(result, "info", None), "raw_cell", "") or ""
        if "notebook_parameters(" in cell:  # the parameters cell itself
            return
        shell.events.unregister("post_run_cell", after_cell)
        if _is_injected(cell):
            settle(namespace, notebook, defaults)

    shell.events.register("post_run_cell", after_cell)
