"""Tiny Sphinx extension: serve the vendored widget and MathJax JS from the built book.

The folder is appended to ``html_static_path`` at ``config-inited`` rather than placed under the
book's ``_static``: Jupyter Book v1 injects every ``.js`` found in ``_static`` into every page,
which would load MBs of MathJax sub-modules and widget bundles twice. Files appended here are
copied to ``_build/html/_static/`` but only loaded where ``_config.yml`` asks for them
(``mathjax_path``, ``nb_ipywidgets_js``).

It adds the book's stylesheet (``static/css/emo3d.css``: tables scroll inside their own box
with the header in view, figures fit the text width).

It also tidies each page's scripts: Sphinx 7.4 emits the inline config scripts that extensions
add during the build (sphinx-thebe's ``const THEBE_JS_URL``, togglebutton's selector) twice,
and the second ``const`` is a SyntaxError in the browser. Duplicates are dropped, and so is
sphinx-thebe's loader when the book turns thebe off (it would fetch thebe from unpkg).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from emo3d_lib.book import vendor_js

#: The book's own styles (tables scroll in their box, figures fit the text width).
STYLE_DIR = Path(__file__).with_name("static") / "css"
STYLE = "emo3d.css"
#: a page's reference to an exported text model (``textface.export_text_model``)
_TEXTFACE_REF = re.compile(r"textface/([0-9a-f]{16})/")


def add_vendored_static(app: Any, config: Any) -> None:
    """Vendor the JS if needed (fast when done); add its folder and the book's styles to
    ``html_static_path``."""
    folder = vendor_js.vendor()
    paths = list(config.html_static_path)
    for extra in (str(folder), str(STYLE_DIR)):
        if extra not in paths:
            paths.append(extra)
    config.html_static_path = paths


def _thebe_enabled(config: Any) -> bool:
    buttons = (getattr(config, "html_theme_options", None) or {}).get("launch_buttons", {})
    return bool(buttons.get("thebe"))


def _is_thebe(script: Any) -> bool:
    return ("sphinx-thebe" in str(script.filename or "")
            or "THEBE_JS_URL" in script.attributes.get("body", ""))


def tidy_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                 doctree: Any) -> None:
    """Drop repeated scripts (same file, priority and attributes) and, with thebe off, thebe's."""
    drop_thebe = not _thebe_enabled(app.config)
    seen: set[tuple[str, int, tuple[tuple[str, str], ...]]] = set()
    kept = []
    for script in context.get("script_files", []):
        key = (str(script.filename), script.priority, tuple(sorted(script.attributes.items())))
        if key in seen or (drop_thebe and _is_thebe(script)):
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def drop_unused_text_models(app: Any, exception: Exception | None) -> None:
    """Ship only the text models the pages use: the vendored folder keeps every export made
    (other books, older checkpoints: ~90 MB each), the built book needs only its own."""
    folder = Path(app.outdir) / "_static" / "textface"
    if exception is not None or not folder.is_dir():
        return
    used = {m for page in Path(app.outdir).rglob("*.html")
            for m in _TEXTFACE_REF.findall(page.read_text(encoding="utf-8", errors="ignore"))}
    for export in folder.iterdir():
        if export.name not in used:
            shutil.rmtree(export, ignore_errors=True)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", add_vendored_static)
    app.add_css_file(STYLE)
    app.connect("html-page-context", tidy_scripts)
    app.connect("build-finished", drop_unused_text_models)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
