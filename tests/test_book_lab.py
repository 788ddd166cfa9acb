"""The 3D viewer works live in JupyterLab 4: a real server, kernel and headless Chromium.

The static book is checked by test_book_browser.py; this checks the other place a reader meets
the viewer: a notebook run in JupyterLab, with the lab extensions that setup installs.

It waits for the kernel itself, not the notebook toolbar's execution indicator: JupyterLab draws
that indicator ``data-status="idle"`` the moment the notebook opens, before it has a session or a
kernel, and a Shift+Enter pressed then is dropped without a word (``CodeCell.execute`` returns when
``sessionContext.session.kernel`` is null): the prompt stays ``[ ]`` and no canvas ever comes.
Waiting on that indicator made this test fail about 2 runs in 5. The status bar reads
``<kernel> | Idle`` only once the kernel is connected and idle (``kernelDisplayStatus``).
The server log and browser console go to ``test-artifacts/`` (with a screenshot on failure).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from tests.browser_support import (
    ARTIFACTS,
    chromium_context,
    png_pixels,
    record_errors,
    record_external,
    require_chromium,
)

#: The status bar's kernel item once a real kernel is connected and idle (not "No Kernel | Idle",
#: not "... | Initializing/Connecting/Unknown/Busy").
KERNEL_IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")
#: The chapter-4 viewer (notebook 04) with the kernel's model answering its text box.
CELL = """import numpy as np
from emo3d_lib.book.face3d import face_widget
from emo3d_lib.book.textface import kernel_predict
from emo3d_lib.face.heads import load_head
from emo3d_lib.models import load_predictor
face_widget(load_head(), np.zeros(52, np.float32),
            predict=kernel_predict(load_predictor({checkpoint!r}, "cpu")))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tiny_lm_checkpoint: Path) -> Iterator[str]:
    require_chromium()
    root = Path(tempfile.mkdtemp(prefix="emo3d-lab-"))
    cell = CELL.format(checkpoint=str(tiny_lm_checkpoint))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / "live.ipynb")
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
           f"--port={port}", "--ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter")}
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "lab_server.log").open("w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/api/status", timeout=5)  # noqa: S310 (loopback)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start") from None
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _shot_until(canvas: Any, ok: Callable[[np.ndarray, np.ndarray | None], bool],
                timeout_s: float = 60.0) -> tuple[bytes, np.ndarray]:
    """Screenshot ``canvas`` until ``ok(pixels, previous pixels)`` or ``timeout_s``; the last."""
    deadline = time.monotonic() + timeout_s
    previous = None
    while True:
        png = canvas.screenshot()
        pixels = png_pixels(png)
        if ok(pixels, previous) or time.monotonic() > deadline:
            return png, pixels
        previous = pixels
        canvas.page.wait_for_timeout(250)


def _drawn(pixels: np.ndarray) -> float:
    """Share of pixels that differ from the corner (the scene background)."""
    return float((np.abs(pixels - pixels[2, 2]).sum(axis=2) > 40).mean())


def _changed(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a - b).sum(axis=2) > 30).sum())


@pytest.mark.live_lab
@pytest.mark.browser
def test_viewer_runs_live_in_jupyterlab(lab_url: str) -> None:
    from playwright.sync_api import expect

    console: list[str] = []
    with chromium_context() as context:
        page = context.new_page()
        external = record_external(page, lab_url, lab_url.replace("http", "ws", 1))
        errors = record_errors(page)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))  # the whole log
        try:
            page.goto(lab_url + "/lab/tree/live.ipynb", timeout=120_000)
            page.locator(".jp-StatusBar-TextItem").filter(has_text=KERNEL_IDLE).first.wait_for(
                state="visible", timeout=180_000)
            page.click(".jp-Cell .jp-InputArea-editor")
            page.keyboard.press("Shift+Enter")
            prompt = page.locator(".jp-Cell").first.locator(".jp-InputPrompt")
            expect(prompt, "the cell did not run").to_have_text(re.compile(r"\[1\]"),
                                                                 timeout=180_000)
            canvas = page.locator(".jp-OutputArea canvas").first
            canvas.wait_for(state="visible", timeout=60_000)
            # drawn, and two screenshots in a row agree: the first frame is complete
            before_png, before = _shot_until(
                canvas, lambda px, prev: _drawn(px) > 0.05 and prev is not None
                and _changed(px, prev) == 0)
            drawn = _drawn(before)
            assert drawn > 0.05, f"live canvas looks blank: {drawn:.3f} of pixels drawn"

            sliders = page.locator(".jp-OutputArea input[type=range][data-blendshape]")
            assert sliders.count() == 52
            jaw = page.locator('.jp-OutputArea input[type=range][data-blendshape="jawOpen"]')
            jaw.scroll_into_view_if_needed()
            jaw.fill("1")
            canvas.scroll_into_view_if_needed()
            after_png, after = _shot_until(canvas, lambda px, _: _changed(px, before) > 200)
            (ARTIFACTS / "lab_viewer_before.png").write_bytes(before_png)
            (ARTIFACTS / "lab_viewer_after_jawOpen.png").write_bytes(after_png)
            changed = _changed(after, before)
            assert changed > 200, f"moving jawOpen changed only {changed} pixels"

            # the text box, answered by the kernel's model: the face and the bars follow
            bars = page.locator(".jp-OutputArea .emo3d-bar output")
            bars_before = bars.all_inner_texts()
            page.locator(".jp-OutputArea input.emo3d-input").fill("She is absolutely furious.")
            page.locator(".jp-OutputArea button[data-action=text]").click()
            page.locator(".jp-OutputArea .emo3d-note[data-state=done]").wait_for(
                state="attached", timeout=120_000)
            _, typed = _shot_until(canvas, lambda px, _: _changed(px, after) > 200)
            assert _changed(typed, after) > 200, "the typed description did not move the face"
            assert bars.all_inner_texts() != bars_before
        except BaseException:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "lab_failure.png"))
            raise
        finally:
            (ARTIFACTS / "lab_console.log").write_text(
                "\n".join([*console, "--- errors ---", *errors]) + "\n")
    assert not external, external
    assert not errors, errors
