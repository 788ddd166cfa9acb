"""Sphinx extension: the "Open in Colab" button opens the notebook in ``notebooks/``.

sphinx-book-theme builds the button from the page's path, ``book/executed/NN_name[-run]``: an
executed copy that is generated, never committed. This rewrites each launch link to the source
notebook ``notebooks/NN_name.ipynb`` (whose first cell installs the book when run in Colab).
It runs after the theme's handler (priority 501).
"""

from __future__ import annotations

import re
from typing import Any

EXECUTED = re.compile(r"/book/executed/(\d\d_[A-Za-z0-9_]+?)(?:-[^/]*)?\.ipynb$")


def source_notebook_url(url: str) -> str:
    """``.../book/executed/03_training-lm_mlp.ipynb`` -> ``.../notebooks/03_training.ipynb``."""
    return EXECUTED.sub(r"/notebooks/\1.ipynb", url)


def _rewrite(buttons: list[dict[str, Any]]) -> None:
    for button in buttons:
        if isinstance(button.get("buttons"), list):
            _rewrite(button["buttons"])
        if isinstance(button.get("url"), str):
            button["url"] = source_notebook_url(button["url"])


def rewrite_launch_links(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                         doctree: Any) -> None:
    _rewrite(context.get("header_buttons", []))


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", rewrite_launch_links, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
