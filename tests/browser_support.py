"""Headless Debian Chromium for the browser tests (the built book and live JupyterLab).

One place for how Chromium is found and launched (Playwright, a throwaway profile, no network
side channels), how a page's requests to anything but the server under test and its console
errors are caught, and how a screenshot becomes pixels to compare.
"""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
VIEWPORT = {"width": 1200, "height": 900}
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run")
#: Never external: inline data, object URLs, blank pages.
ALWAYS_LOCAL = ("data:", "blob:", "about:")


def require_chromium() -> None:
    """Skip the calling test unless Debian chromium is installed."""
    if not CHROMIUM.is_file():
        pytest.skip("Debian chromium is not installed (scripts/setup.sh installs it)")


@contextmanager
def chromium_context() -> Iterator[Any]:
    """A Playwright ``BrowserContext`` in headless Debian Chromium with a temporary profile."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="emo3d-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, viewport=VIEWPORT,
                args=list(LAUNCH_ARGS))
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def record_external(page: Any, *local: str) -> list[str]:
    """The list ``page`` appends every request to that starts with none of ``local`` (nor
    ``data:``/``blob:``/``about:``); pass the served base URL(s) as ``local``."""
    allowed = ALWAYS_LOCAL + local
    external: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(allowed) else external.append(r.url))
    return external


def record_errors(page: Any, ignore: tuple[str, ...] = ()) -> list[str]:
    """The list ``page`` appends its console errors (unless their text starts with one of
    ``ignore``) and uncaught page errors to."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console error: {m.text}")
            if m.type == "error" and not m.text.startswith(ignore) else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors


def png_pixels(data: bytes) -> np.ndarray:
    """A PNG screenshot as an int16 (H, W, 3) RGB array (int16 so differences do not wrap)."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.int16)


class LocalServer:
    """``http.server`` on 127.0.0.1, a free port, in a thread; stopped by ``close``."""

    def __init__(self, directory: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# ---- standalone widget pages (the face3d viewer as the static book embeds it) ----------------


@pytest.fixture(scope="module", name="site")
def site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(site root, base URL): ``_static/`` links the vendored JS folders (exports such as the
    text model go in the real ``_static/`` folder, not into ``vendor/``)."""
    from emo3d_lib.book.vendor_js import vendor

    root = tmp_path_factory.mktemp("widget_site")
    (root / "_static").mkdir()
    for child in vendor().iterdir():
        (root / "_static" / child.name).symlink_to(child)
    server = LocalServer(root)
    try:
        yield root, server.base
    finally:
        server.close()


@pytest.fixture(scope="module", name="chromium")
def chromium_fixture() -> Iterator[Any]:
    with chromium_context() as context:
        yield context


def open_widget_page(context: Any, site: tuple[Path, str], name: str,
                     widget: Any) -> tuple[Any, list[str], list[str]]:
    """Write ``widget`` as ``name``.html, open it and wait until the face is drawn; returns
    (page, external requests, console errors and failed requests)."""
    from emo3d_lib.book.face3d import widget_page

    root, base = site
    (root / f"{name}.html").write_text(widget_page([widget]), encoding="utf-8")
    page = context.new_page()
    external = record_external(page, base)
    errors = record_errors(page)
    page.on("requestfailed", lambda r: errors.append(f"failed request {r.url}"))
    page.goto(base + f"{name}.html", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector("canvas[data-ready='1']", state="attached", timeout=60_000)
    page.evaluate("document.querySelectorAll('.emo3d-panel details').forEach(d => d.open = true)")
    return page, external, errors


def canvas_pixels(page: Any) -> np.ndarray:
    """The viewer canvas's own pixels (its drawing buffer, so the size never depends on where
    the page lays it out), after a moment for the last draw."""
    import base64

    page.wait_for_timeout(200)
    url = page.evaluate("document.querySelector('canvas.emo3d-canvas').toDataURL('image/png')")
    return png_pixels(base64.b64decode(url.split(",", 1)[1]))
