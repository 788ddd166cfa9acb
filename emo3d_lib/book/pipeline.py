"""Run every notebook through papermill in dependency order, then build the book.

Each ``notebooks/NN_name.ipynb`` declares in its metadata ``emo3d``: ``depends_on`` (other
notebook stems), ``smoke`` (parameter overrides for the smoke profile) and optionally ``runs``
(a list of parameter overrides, one executed copy each, e.g. one ``03_training`` per model).
Executed copies go to ``book/executed/``; the book is built with Jupyter Book v1 from a table of
contents resolved against what exists (:mod:`emo3d_lib.book.toc`).

What the existing tools do is left to them: papermill injects parameters and executes, Jupyter
Book renders (``execute_notebooks: off``), ``graphlib`` orders the notebooks, ``make book`` is
the entry point. What is kept here, and why no tool does it:

- *Runs and profiles* (:func:`plan`): one notebook, several executed copies with different
  parameters (one per model). Jupyter Book v1 executes each page once with the values in its
  cells (parametrised pages are an open request, jupyter-book issue #424); papermill runs one
  notebook with one parameter set and knows no set of runs.
- *Skip unchanged* (stamps, :func:`input_key`, :func:`library_hash`): a copy re-runs when its
  notebook, its parameters, an upstream copy, or the ``emo3d_lib`` source it used changed.
  jupyter-cache (``execute_notebooks: cache``) hashes only the code cells and kernelspec
  (``_hash_notebook``), so a library edit or a new parameter would serve a stale page; make
  compares mtimes (a fresh checkout re-runs hours of training) and would need each notebook's
  library dependencies written out -- which is what the module probe records.
- *Module probe* (a last cell listing the ``emo3d_lib`` modules the kernel imported, removed
  from the output) plus the static import closure (:mod:`emo3d_lib.book.imports`): the
  notebook's library dependencies, like ``gcc -MD`` for C files.
- *Dependencies and failures*: a failing notebook blocks only its dependents and leaves
  ``NAME.failed.ipynb``; copies are written atomically (papermill writes its output as it goes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from emo3d_lib import atomic
from emo3d_lib.book import book_extra_missing
from emo3d_lib.errors import Emo3DError
from emo3d_lib.paths import REPO_ROOT, data_root

try:
    import nbformat
    import yaml
except ModuleNotFoundError as _err:  # the library installs without the [book] extra
    raise book_extra_missing(_err) from None

from emo3d_lib.book.imports import import_closure  # noqa: E402 (after the [book] check)
from emo3d_lib.book.toc import EXECUTED, resolve_toc, retitle_run  # noqa: E402

PROFILES: tuple[str, ...] = ("full", "smoke")
BUILD_DIR = Path("book")  # jupyter-book --path-output: the HTML lands in book/_build/html
#: Library modules that only orchestrate the book: editing them does not change any result.
_NOT_RESULT_SOURCES = {"book/pipeline.py", "book/cli.py", "book/vendor_js.py",
                       "book/sphinx_ext.py", "book/quiet_kernel.py",
                       "book/static/css/emo3d.css"}
_STEM = re.compile(r"^\d\d_[A-Za-z0-9_]+$")
_DATA_SUFFIXES = {".json", ".txt", ".csv", ".js", ".css"}
_PROBE = "EMO3D_MODULES="
_PROBE_TAG = "emo3d-module-probe"
#: The kernel leaves fd-level output (C++ log lines) on the terminal instead of the page and
#: sends progress bars there too (:mod:`emo3d_lib.book.quiet_kernel`).
KERNEL_ARGUMENTS = ("--IPKernelApp.capture_fd_output=False",
                    f"--IPKernelApp.exec_files={Path(__file__).with_name('quiet_kernel.py')}")
#: Log levels for the kernel's C++ libraries: errors only (a caller's own setting wins).
KERNEL_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}


@dataclass(frozen=True)
class Execution:
    """One executed copy of one notebook with its final parameters."""

    notebook: str  # stem, e.g. "03_training"
    name: str  # executed copy stem, e.g. "03_training-bert_mlp"
    parameters: dict[str, Any]
    depends_on: tuple[str, ...]
    data_root: str = ""  # $EMO3D_DATA of the kernel: where data_dir / runs_dir live


def book_data_root(root: Path) -> Path:
    """The repository's book honours ``$EMO3D_DATA`` (``paths.data_root``); a copied book
    keeps its data in its own ``data/``."""
    base = data_root() if root.resolve() == REPO_ROOT.resolve() else root / "data"
    return base.resolve()


@dataclass
class Report:
    """What a pipeline run did, for the CLI and the tests."""

    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    html_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked


def read_metadata(path: Path) -> dict[str, Any]:
    """The ``emo3d`` metadata of one notebook, validated (unknown keys are an error)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat raises several types for a broken file
        raise Emo3DError(f"{path}: not a readable notebook ({err})") from err
    meta = dict(nb.metadata.get("emo3d", {}))
    unknown = set(meta) - {"depends_on", "smoke", "runs"}
    if unknown:
        raise Emo3DError(f"{path}: metadata 'emo3d' has unknown keys {sorted(unknown)}")
    deps = meta.get("depends_on", [])
    smoke = meta.get("smoke", {})
    runs = meta.get("runs") or [{}]
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise Emo3DError(f"{path}: metadata emo3d.depends_on must be a list of notebook names")
    if not isinstance(smoke, dict):
        raise Emo3DError(f"{path}: metadata emo3d.smoke must be a mapping of parameters")
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise Emo3DError(f"{path}: metadata emo3d.runs must be a list of parameter mappings")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise Emo3DError(f"{path}: no cell tagged 'parameters'")
    return {"depends_on": deps, "smoke": smoke, "runs": runs}


def _slug(run: dict[str, Any]) -> str:
    text = "-".join(str(v) for v in run.values())
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower() or "run"


def _dependency_order(graph: dict[str, list[str]]) -> list[str]:
    """Topological order; among notebooks ready at once, the smallest name first."""
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as err:
        raise Emo3DError(f"notebook dependency cycle among {sorted(err.args[1])}") from None
    order: list[str] = []
    ready: list[str] = []
    while sorter.is_active():
        ready = sorted({*ready, *sorter.get_ready()})
        order.append(ready.pop(0))
        sorter.done(order[-1])
    return order


def plan(root: Path = REPO_ROOT, profile: str = "full",
         only: Sequence[str] | None = None) -> list[Execution]:
    """Executions in dependency order (ties by name) for the notebooks under ``root``."""
    if profile not in PROFILES:
        raise Emo3DError(f"profile must be one of {PROFILES}, got {profile!r}")
    paths = sorted((root / "notebooks").glob("*.ipynb"))
    metas = {p.stem: read_metadata(p) for p in paths if _STEM.match(p.stem)}
    for stem, meta in metas.items():
        missing = [d for d in meta["depends_on"] if d not in metas]
        if missing:  # a notebook not written yet: run with what exists, say so
            warnings.warn(f"notebooks/{stem}.ipynb depends on {missing}, not in notebooks/; "
                          "running it without them", stacklevel=2)
            meta["depends_on"] = [d for d in meta["depends_on"] if d in metas]
    order = _dependency_order({s: m["depends_on"] for s, m in metas.items()})
    if only:
        unknown = [o for o in only if o not in metas]
        if unknown:
            raise Emo3DError(f"--only {unknown}: no such notebook (have: {sorted(metas)})")
        order = [s for s in order if s in only]
    # paths relative to the data root (the kernel gets it as $EMO3D_DATA): pages show no
    # machine path, and a notebook resolves them by the one rule (book.params)
    folder = str(book_data_root(root))
    out: list[Execution] = []
    for stem in order:
        meta = metas[stem]
        base = {"data_dir": f"datasets/book-{profile}", "runs_dir": f"runs/book-{profile}",
                "profile": profile}
        if profile == "smoke":
            base.update(meta["smoke"])
        runs = meta["runs"]
        for run in runs:
            name = stem if len(runs) == 1 else f"{stem}-{_slug(run)}"
            out.append(Execution(stem, name, {**base, **run}, tuple(meta["depends_on"]),
                                 folder))
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise Emo3DError(f"two runs of one notebook share an executed name: {names}")
    return out


def _module_files(module: str) -> list[Path]:
    """Source files of one imported ``emo3d_lib`` module; a package adds its data files."""
    rel = Path(*module.split("."))
    init = REPO_ROOT / rel / "__init__.py"
    if init.is_file():  # a package: its __init__ and its data files (configs, word lists...)
        data = [f for f in (REPO_ROOT / rel).rglob("*")
                if f.is_file() and f.suffix in _DATA_SUFFIXES and "__pycache__" not in f.parts]
        return [init, *sorted(data)]
    single = (REPO_ROOT / rel).with_suffix(".py")
    return [single] if single.is_file() else []


def library_hash(modules: Iterable[str]) -> str:
    """Hash of the library source a notebook used: the modules its kernel imported (recorded
    when it last ran) and their static import closure."""
    digest = hashlib.sha256()
    for module in sorted(import_closure(modules)):
        for path in _module_files(module):
            rel = path.relative_to(REPO_ROOT).as_posix()
            if rel.removeprefix("emo3d_lib/") in _NOT_RESULT_SOURCES:
                continue
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_key(execution: Execution, root: Path, upstream: dict[str, str]) -> str:
    """Notebook, parameters and upstream stamps; the library is checked by ``library_hash``."""
    payload = {
        "notebook": _sha(root / "notebooks" / f"{execution.notebook}.ipynb"),
        "parameters": execution.parameters,
        "data_root": execution.data_root,
        "upstream": upstream,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _stamp_path(root: Path, name: str) -> Path:
    return root / EXECUTED / ".stamps" / f"{name}.json"


def read_stamp(root: Path, name: str) -> dict[str, Any] | None:
    path = _stamp_path(root, name)
    if not path.is_file() or not (root / EXECUTED / f"{name}.ipynb").is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def _with_module_probe(src: Path) -> Any:
    """The notebook plus a last cell that reports which emo3d_lib modules the kernel imported."""
    nb = nbformat.read(src, as_version=4)
    probe = nbformat.v4.new_code_cell(
        "import sys as _s, json as _j\n"
        f"print({_PROBE!r} + _j.dumps(sorted(m for m in _s.modules "
        "if m == 'emo3d_lib' or m.startswith('emo3d_lib.'))))")
    probe.metadata["tags"] = [_PROBE_TAG]
    nb.cells.append(probe)
    return nb


def _pop_module_probe(nb: Any) -> list[str]:
    """Remove the probe cell from the executed notebook; return the modules it printed."""
    modules: list[str] = []
    kept = []
    for cell in nb.cells:
        if _PROBE_TAG not in cell.get("metadata", {}).get("tags", []):
            kept.append(cell)
            continue
        for out in cell.get("outputs", []):
            for line in str(out.get("text", "")).splitlines():
                if line.startswith(_PROBE):
                    modules = json.loads(line[len(_PROBE):])
    nb.cells = kept
    return modules


def machine_prefixes(root: Path) -> list[str]:
    """Absolute folders a page must not show, longest first: the data root, the book root and
    the repository (a path under them is printed relative to them)."""
    folders = {str(Path(p).resolve()) for p in (book_data_root(root), root, REPO_ROOT)}
    return sorted((f + os.sep for f in folders), key=len, reverse=True)


def _relative(text: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        text = text.replace(prefix, "")
    return text


def clean_outputs(nb: Any, name: str, prefixes: Sequence[str]) -> None:
    """Pages show results only: stderr streams (warnings, text progress bars, library log lines
    that bypass the terminal) go to the build's terminal instead, and machine paths in outputs
    become relative to the data root / repository."""
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                sys.__stderr__.write(f"[{name}] {out.get('text', '')}")
                continue
            if "text" in out:
                out["text"] = _relative(str(out["text"]), prefixes)
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    out["data"][mime] = _relative(value, prefixes)
            kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept


@contextmanager
def _kernel_env(data_folder: str) -> Iterator[None]:
    """The kernel inherits this process's environment: its data root, and quiet C++ loggers
    (glog/absl in MediaPipe, TensorFlow Lite; a caller's own level wins); restored after."""
    wanted = {k: v for k, v in KERNEL_ENV.items() if k not in os.environ}
    if data_folder:
        wanted["EMO3D_DATA"] = data_folder
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(execution: Execution, root: Path, key: str) -> float:
    """Run one notebook with papermill into ``book/executed/NAME.ipynb`` (atomically)."""
    import papermill

    src = root / "notebooks" / f"{execution.notebook}.ipynb"
    target = root / EXECUTED / f"{execution.name}.ipynb"
    failed = target.with_suffix(".failed.ipynb")
    start = time.perf_counter()
    tmp = target.with_name(f".{execution.name}.running.ipynb")  # papermill wants .ipynb
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _kernel_env(execution.data_root):
            papermill.execute_notebook(
                _with_module_probe(src), str(tmp), parameters=execution.parameters,
                kernel_name="python3", cwd=str(src.parent), progress_bar=False,
                log_output=False, extra_arguments=list(KERNEL_ARGUMENTS),
            )
        nb = nbformat.read(tmp, as_version=4)
        modules = _pop_module_probe(nb)
        clean_outputs(nb, execution.name, machine_prefixes(root))
        retitle_run(nb)
        nbformat.write(nb, tmp)
        os.replace(tmp, target)  # atomic: a reader never sees a half-written copy
    except Exception as err:
        if tmp.exists():
            os.replace(tmp, failed)
        raise Emo3DError(f"notebooks/{execution.notebook}.ipynb (copy {execution.name}) "
                         f"failed: {str(err).strip()[-1500:]} (see {failed})") from err
    finally:
        tmp.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    atomic.write_json(_stamp_path(root, execution.name), {
        "key": key, "executed_sha": _sha(target), "parameters": execution.parameters,
        "modules": modules, "library": library_hash(modules),
        "seconds": round(seconds, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                time.gmtime()),
    })
    return seconds


def is_fresh(stamp: dict[str, Any] | None, key: str, target: Path) -> bool:
    """Same inputs, same library modules as last time, executed copy untouched."""
    return bool(stamp and stamp.get("key") == key and target.is_file()
                and stamp.get("executed_sha") == _sha(target)
                and "modules" in stamp and stamp.get("library") == library_hash(stamp["modules"]))


def run_notebooks(root: Path = REPO_ROOT, profile: str = "full",
                  only: Sequence[str] | None = None, force: bool = False,
                  keep_going: bool = True) -> Report:
    """Execute what is stale, in dependency order; a failure blocks its dependents only."""
    executions = plan(root, profile, only)
    report = Report()
    by_notebook: dict[str, list[str]] = {}
    for e in plan(root, profile):
        by_notebook.setdefault(e.notebook, []).append(e.name)
    if not only:  # drop executed copies of notebooks (or runs) that no longer exist
        wanted = {n for names in by_notebook.values() for n in names}
        for old in (root / EXECUTED).glob("*.ipynb"):
            if old.name.startswith(".") or old.name.split(".")[0] not in wanted:
                old.unlink()
    bad: set[str] = set()
    for execution in tqdm(executions, desc=f"notebooks ({profile})", unit="nb"):
        if any(d in bad for d in execution.depends_on):
            report.blocked.append(execution.name)
            bad.add(execution.notebook)
            continue
        upstream: dict[str, str] = {}
        for dep in execution.depends_on:
            for name in by_notebook[dep]:
                stamp = read_stamp(root, name)
                upstream[name] = f"{stamp['key']}:{stamp['executed_sha']}" if stamp else "missing"
        key = input_key(execution, root, upstream)
        target = root / EXECUTED / f"{execution.name}.ipynb"
        if not force and is_fresh(read_stamp(root, execution.name), key, target):
            report.skipped.append(execution.name)
            continue
        try:
            report.seconds[execution.name] = execute(execution, root, key)
            report.executed.append(execution.name)
        except Emo3DError as err:
            report.failed[execution.name] = str(err)
            target.unlink(missing_ok=True)  # never publish a stale copy of a failing notebook
            _stamp_path(root, execution.name).unlink(missing_ok=True)
            bad.add(execution.notebook)
            if not keep_going:
                break
    return report


def build_book(root: Path = REPO_ROOT, rebuild_all: bool = False) -> Path:
    """Jupyter Book v1 build of ``root`` into ``book/_build/html`` using the resolved toc."""
    root = Path(root).resolve()  # jupyter-book runs with cwd=root: relative paths would break
    present = {p.stem for p in (root / EXECUTED).glob("*.ipynb")
               if not p.name.endswith(".failed.ipynb") and not p.name.startswith(".")}
    with warnings.catch_warnings():  # missing dependencies were reported when executing
        warnings.simplefilter("ignore")
        order = [e.name for e in plan(root)]  # runs of a notebook in their metadata order
    executed = [n for n in order if n in present] + sorted(present - set(order))
    toc_path = root / EXECUTED / "_toc.yml"
    text = yaml.safe_dump(resolve_toc(root, executed), sort_keys=False)
    if not toc_path.is_file() or toc_path.read_text() != text:  # keep mtime: incremental build
        atomic.write_text(toc_path, text)
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", str(root), "--path-output", str(root / BUILD_DIR), "--toc", str(toc_path)]
    if rebuild_all:
        cmd.append("--all")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=root)
    log = root / BUILD_DIR / "_build" / "jupyter-book.log"
    atomic.write_text(log, proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    html = root / BUILD_DIR / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").is_file():
        raise Emo3DError(f"jupyter-book build failed (exit {proc.returncode}); log: {log}\n"
                         + (proc.stderr or proc.stdout)[-2000:])
    return html


def run_book(root: Path = REPO_ROOT, profile: str = "full", only: Sequence[str] | None = None,
             build: bool = True, force: bool = False) -> Report:
    """``emo3d book``: stale notebooks, then the HTML (built even if some notebooks failed)."""
    report = run_notebooks(root, profile, only, force=force)
    if build:
        report.html_dir = build_book(root, rebuild_all=force)
    return report
