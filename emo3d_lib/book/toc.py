"""The book's table of contents resolved against the executed notebooks that exist.

Jupyter Book v1 reads a static ``_toc.yml``; one notebook here becomes several pages (one
executed copy per model) and a chapter not run yet has no page. ``resolve_toc`` expands the
tracked toc's ``book/executed/X`` entries into the copies that exist, as sibling pages (written
to ``book/executed/_toc.yml`` for the build); ``retitle_run`` names each copy after its run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emo3d_lib.book import book_extra_missing

try:
    import yaml
except ModuleNotFoundError as _err:  # the library installs without the [book] extra
    raise book_extra_missing(_err) from None

EXECUTED = Path("book") / "executed"


def _heading(nb: Any) -> tuple[Any, int] | None:
    """(cell, line index) of the notebook's first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for i, line in enumerate(cell.source.splitlines()):
                if line.startswith("# "):
                    return cell, i
    return None


def title_by_run(nb: Any) -> str | None:
    """``"<first # heading>: <run values>"`` for an executed copy of a notebook with several
    ``runs`` (six training pages must not share one title), else None."""
    runs = nb.metadata.get("emo3d", {}).get("runs") or []
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    keys = list(dict.fromkeys(k for run in runs for k in run))
    found = _heading(nb)
    if len(runs) < 2 or not keys or not all(k in params for k in keys) or found is None:
        return None
    heading = found[0].source.splitlines()[found[1]][2:].strip()
    suffix = ": " + ", ".join(str(params[k]) for k in keys)
    return heading if heading.endswith(suffix) else heading + suffix


def retitle_run(nb: Any) -> None:
    """Write :func:`title_by_run` into the copy's first heading (in place, idempotent): the
    page and the navigation then say the same."""
    title = title_by_run(nb)
    if title is not None:
        cell, i = _heading(nb)
        lines = cell.source.splitlines()
        lines[i] = f"# {title}"
        cell.source = "\n".join(lines)


def _expander(names: list[str], used: set[str]) -> Any:
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
                if hits:  # several runs of one notebook: sibling pages, each titled by its run
                    sections = expand(item.get("sections", []))
                    entry = {k: v for k, v in item.items() if k != "sections"}
                    out.append({**entry, "file": prefix + hits[0],
                                **({"sections": sections} if sections else {})})
                    out.extend({"file": prefix + n} for n in hits[1:])
                continue
            if "sections" in item:
                item = {**item, "sections": expand(item["sections"])}
            out.append(item)
        return out

    return expand


def resolve_toc(root: Path, executed_names: Iterable[str]) -> dict[str, Any]:
    """The tracked ``_toc.yml`` with each ``book/executed/X`` entry expanded to its copies
    (several executed copies of one notebook become sibling entries at the entry's level).

    An entry matches the copies of the notebook whose stem is ``X`` or shares its ``NN_`` prefix,
    so the toc survives a renamed notebook; entries with no executed copy are dropped and
    executed copies no entry names are appended to the first part that lists notebooks.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = list(dict.fromkeys(executed_names))  # keep the given (execution) order
    used: set[str] = set()
    prefix = EXECUTED.as_posix() + "/"
    expand = _expander(names, used)
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
