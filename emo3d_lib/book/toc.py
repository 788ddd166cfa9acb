"""The book's table of contents resolved against the executed notebooks that exist.

Jupyter Book v1 reads a static ``_toc.yml``; one notebook here becomes several pages (one
executed copy per model) and a chapter not run yet has no page. ``resolve_toc`` expands the
tracked toc's ``book/executed/X`` entries into the copies that exist (written to
``book/executed/_toc.yml`` for the build); ``run_title`` names each copy after its run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emo3d_lib.book import book_extra_missing

try:
    import nbformat
    import yaml
except ModuleNotFoundError as _err:  # the library installs without the [book] extra
    raise book_extra_missing(_err) from None

EXECUTED = Path("book") / "executed"


def run_title(root: Path, name: str) -> dict[str, str]:
    """``{"title": "<page title>: <run values>"}`` for one executed copy of a notebook with
    ``runs`` (so six training pages do not share one title in the navigation), else ``{}``."""
    try:
        nb = nbformat.read(root / EXECUTED / f"{name}.ipynb", as_version=4)
    except (OSError, ValueError):
        return {}
    runs = nb.metadata.get("emo3d", {}).get("runs") or []
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    keys = list(dict.fromkeys(k for run in runs for k in run))
    heading = next((line[2:].strip() for cell in nb.cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if line.startswith("# ")), None)
    if not keys or heading is None or not all(k in params for k in keys):
        return {}
    return {"title": f"{heading}: {', '.join(str(params[k]) for k in keys)}"}


def _expander(root: Path, names: list[str], used: set[str]) -> Any:
    """``expand(items)``: toc items with each executed entry replaced by its copies."""
    prefix = EXECUTED.as_posix() + "/"

    def copies_of(entry: str) -> list[str]:
        stem = entry[len(prefix):]
        exact = [n for n in names if n == stem or n.startswith(stem + "-")]
        hits = exact or [n for n in names if n[:3] == stem[:3]]
        return [n for n in hits if n not in used]

    def expand(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            file = str(item.get("file", ""))
            if file.startswith(prefix):
                hits = copies_of(file)
                used.update(hits)
                if hits:  # several runs of one notebook: one chapter, the others its sections
                    extra = [{"file": prefix + n, **run_title(root, n)} for n in hits[1:]]
                    sections = extra + expand(item.get("sections", []))
                    out.append({**item, "file": prefix + hits[0],
                                **({"sections": sections} if sections else {})})
                continue
            if "sections" in item:
                item = {**item, "sections": expand(item["sections"])}
            out.append(item)
        return out

    return expand


def resolve_toc(root: Path, executed_names: Iterable[str]) -> dict[str, Any]:
    """The tracked ``_toc.yml`` with each ``book/executed/X`` entry expanded to its copies
    (one chapter per notebook; further executed copies of it become its sections).

    An entry matches the copies of the notebook whose stem is ``X`` or shares its ``NN_`` prefix,
    so the toc survives a renamed notebook; entries with no executed copy are dropped and
    executed copies no entry names are appended to the first part that lists notebooks.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = list(dict.fromkeys(executed_names))  # keep the given (execution) order
    used: set[str] = set()
    prefix = EXECUTED.as_posix() + "/"
    expand = _expander(root, names, used)
    holder: list[dict[str, Any]] | None = None  # the first part that lists notebooks
    for part in toc.get("parts", []):
        declared = any(str(c.get("file", "")).startswith(prefix) for c in part.get("chapters", []))
        part["chapters"] = expand(part.get("chapters", []))
        if declared and holder is None:
            holder = part["chapters"]
    if "chapters" in toc:
        toc["chapters"] = expand(toc["chapters"])
        holder = holder or toc["chapters"]
    extra = [{"file": prefix + n} for n in names if n not in used]
    if extra:
        if holder is None:
            toc.setdefault("chapters", [])
            holder = toc["chapters"]
        holder.extend(extra)
    if "parts" in toc:  # a part whose notebooks have not run yet would break the build
        toc["parts"] = [p for p in toc["parts"] if p["chapters"]]
    return toc
