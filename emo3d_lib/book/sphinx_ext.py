"""Tiny Sphinx extension: serve the vendored widget and MathJax JS from the built book.

The folder is appended to ``html_static_path`` at ``config-inited`` rather than placed under the
book's ``_static``: Jupyter Book v1 injects every ``.js`` found in ``_static`` into every page,
which would load MBs of MathJax sub-modules and widget bundles twice. Files appended here are
copied to ``_build/html/_static/`` but only loaded where ``_config.yml`` asks for them
(``mathjax_path``, ``nb_ipywidgets_js``).
"""

from __future__ import annotations

from typing import Any

from emo3d_lib.book import vendor_js


def add_vendored_static(app: Any, config: Any) -> None:
    """Vendor the JS if needed (fast when done) and add its folder to ``html_static_path``."""
    folder = vendor_js.vendor()
    paths = list(config.html_static_path)
    if str(folder) not in paths:
        paths.append(str(folder))
    config.html_static_path = paths


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", add_vendored_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
