"""The built book, smoke profile: offline pages, a drawn 3D viewer whose sliders move the face.

The module builds the book once (``run_book`` on a copy of the book sources under
``data/book-test``, so the published ``book/executed`` is never touched; a second session skips
unchanged notebooks). Headless Debian Chromium, driven by Playwright, opens every page over
``http://127.0.0.1`` from a local ``http.server``. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib import paths
from emo3d_lib.book import pipeline
from tests.browser_support import (
    ARTIFACTS,
    LocalServer,
    canvas_pixels,
    chromium_context,
    png_pixels,
    record_errors,
    record_external,
    require_chromium,
)
from tests.head_check import HeadShape, background_colour, figure_panels, measure_head

SOURCES = ("_config.yml", "_toc.yml", "book/*.md", "book/*.bib", "book/*.svg",
           "notebooks/*.ipynb")
pytestmark = [pytest.mark.slow]


def sync_sources(src: Path, dst: Path) -> None:
    """Copy the book's sources, rewriting only changed files (keeps the incremental build)."""
    wanted: set[Path] = set()
    for pattern in SOURCES:
        for f in src.glob(pattern):
            target = dst / f.relative_to(src)
            wanted.add(target)
            if not target.is_file() or target.read_bytes() != f.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)
    for pattern in SOURCES:
        for stale in dst.glob(pattern):
            if stale not in wanted:
                stale.unlink()


@pytest.fixture(scope="module")
def smoke_book() -> Iterator[tuple[Path, pipeline.Report, pipeline.Report, float, bool]]:
    """(html dir, first report, second report, seconds of the second run, library unchanged)."""
    root = paths.data_root() / "book-test"
    sync_sources(paths.REPO_ROOT, root)
    first = pipeline.run_book(root, profile="smoke")
    unchanged = all(  # nobody edited a module these notebooks import since they ran
        s["library"] == pipeline.library_hash(s["modules"])
        for f in (root / pipeline.EXECUTED / ".stamps").glob("*.json")
        for s in [json.loads(f.read_text())])
    start = time.perf_counter()
    second = pipeline.run_book(root, profile="smoke")
    seconds = time.perf_counter() - start
    assert first.html_dir is not None
    yield first.html_dir, first, second, seconds, unchanged


def test_every_notebook_ran(smoke_book) -> None:
    first = smoke_book[1]
    assert first.ok, f"failed: {first.failed}; blocked: {first.blocked}"
    assert "04_face_inspection" in first.executed + first.skipped


def test_a_second_run_with_nothing_changed_skips(smoke_book) -> None:
    _, first, second, seconds, unchanged = smoke_book
    if not unchanged:
        pytest.skip("emo3d_lib changed during the run (someone is editing): skipping is void")
    # only what failed (or was blocked) the first time may run again
    assert set(second.executed) <= set(first.failed) | set(first.blocked)
    assert sorted(second.skipped) == sorted(first.executed + first.skipped)
    assert seconds < 120, f"second run with nothing changed took {seconds:.0f} s"


class _Refs(HTMLParser):
    """Collects what a page loads: script src, link href (with rel), inline style urls."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.loads.append(("script", a["src"]))
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "")
            if any(r in rel for r in ("stylesheet", "preload", "icon", "modulepreload")):
                self.loads.append((f"link {rel}", a["href"]))
        elif tag == "img" and a.get("src"):
            self.loads.append(("img", a["src"]))


EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.I)


def built_pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(html).parts))


def test_no_page_references_an_external_script_style_or_font(smoke_book) -> None:
    html = smoke_book[0]
    pages = built_pages(html)
    assert len(pages) >= 4
    bad = []
    for page in pages:
        refs = _Refs()
        text = page.read_text(encoding="utf-8")
        refs.feed(text)
        bad += [(page.name, kind, url) for kind, url in refs.loads if EXTERNAL.match(url)]
        bad += [(page.name, "css url", url) for url in CSS_URL.findall(text)]
    for css in (html / "_static").rglob("*.css"):
        bad += [(css.name, "css url", url) for url in CSS_URL.findall(css.read_text("utf-8"))]
    assert not bad, bad
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]+src="[./]*_static/mathjax/tex-mml-chtml\.js', intro)
    viewer_page = next(p for p in pages if p.stem.startswith("04_"))
    text = viewer_page.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in text  # widget state is embedded
    assert re.search(r'src="[./]*_static/widgets/html-manager/embed-amd\.js(\?[^"]*)?"', text)


@pytest.fixture(scope="module")
def browser(smoke_book) -> Iterator[tuple[object, str]]:
    require_chromium()
    server = LocalServer(smoke_book[0])
    try:
        with chromium_context() as context:
            yield context, server.base
    finally:
        server.close()


def open_page(context, url: str, base: str):
    """Open ``url``; returns (page, external requests, failed requests and console errors)."""
    page = context.new_page()
    external = record_external(page, base)
    # a failed load is reported below with its URL; the console's copy of it has none, and the
    # browser's own /favicon.ico probe (no page asked for it) only shows up there
    failed = record_errors(page, ignore=("Failed to load resource",))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: failed.append(f"{r.url} ({r.status})") if r.status >= 400
            else None)
    page.goto(url, wait_until="networkidle", timeout=60_000)
    return page, external, failed


@pytest.mark.browser
def test_every_page_loads_offline_with_no_failed_request(smoke_book, browser) -> None:
    html = smoke_book[0]
    context, base = browser
    problems = []
    for path in built_pages(html):
        rel = path.relative_to(html).as_posix()
        page, external, failed = open_page(context, base + rel, base)
        if rel.endswith("intro.html"):  # the math is typeset by the vendored MathJax
            page.wait_for_selector("mjx-container", timeout=30_000)
        if page.locator(".jupyter-widgets").count() or "widget-state" in page.content():
            page.wait_for_timeout(1500)  # widget JS requests its modules after load
        page.close()
        problems += [(rel, "external", u) for u in external]
        problems += [(rel, "failed", u) for u in failed]
    assert not problems, problems


def viewer_page(smoke_book, browser):
    """The chapter-4 page opened, its 52-channel viewer drawn; (page, external, failed)."""
    html = smoke_book[0]
    context, base = browser
    page_path = next(p for p in built_pages(html) if p.stem.startswith("04_"))
    page, external, failed = open_page(context, base + page_path.relative_to(html).as_posix(),
                                       base)
    page.wait_for_selector("canvas[data-ready='1']", state="attached", timeout=60_000)
    page.locator("canvas.emo3d-canvas").scroll_into_view_if_needed()
    page.evaluate("document.querySelectorAll('.emo3d-panel details').forEach(d => d.open = true)")
    return page, external, failed


@pytest.mark.browser
def test_viewer_canvas_is_drawn_and_a_slider_moves_the_face(smoke_book, browser) -> None:
    page, external, failed = viewer_page(smoke_book, browser)
    before_png = page.locator("canvas.emo3d-canvas").screenshot()
    before = png_pixels(before_png)
    background = before[2, 2]
    drawn = (np.abs(before - background).sum(axis=2) > 40).mean()
    assert drawn > 0.05, f"canvas looks blank: {drawn:.3f} of pixels differ from the corner"
    assert "head:" in page.locator(".emo3d-credit").inner_text()  # the head is credited

    sliders = page.locator("input[type=range][data-blendshape]")
    assert sliders.count() == 52
    jaw = page.locator('input[type=range][data-blendshape="jawOpen"]')
    new_value = "1" if float(jaw.input_value()) < 0.5 else "0"
    jaw.fill(new_value)
    page.wait_for_timeout(500)
    after_png = page.locator("canvas.emo3d-canvas").screenshot()
    after = png_pixels(after_png)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "viewer_before.png").write_bytes(before_png)
    (ARTIFACTS / "viewer_after_jawOpen.png").write_bytes(after_png)
    changed = (np.abs(after - before).sum(axis=2) > 30).sum()
    assert changed > 200, f"moving jawOpen to {new_value} changed only {changed} pixels"
    assert not external and not failed, (external, failed)
    page.close()


def _head_report(shapes: dict[str, HeadShape]) -> dict[str, list[str]]:
    """Print each picture's measures; return the problems of those that are not a whole head."""
    for name, shape in shapes.items():
        skull = "no face" if shape.skull is None else f"{shape.skull:.2f}"
        print(f"{name}: head {shape.share:.0%} of the picture, box {shape.box[0]:.2f} x "
              f"{shape.box[1]:.2f}, holes {shape.holes:.2%}, skull {skull} eye widths")
    return {name: found for name, shape in shapes.items() if (found := shape.problems())}


#: Chapter 1's sections with rendered faces (MyST section ids) -> whether every figure in the
#: section is made of faces (sample triples: one figure per sample) or only some (primitives:
#: the face grid, then a word chart).
CHAPTER_1_FACES = {"sample-triples": True, "primitive-emotion-faces": False}


@pytest.mark.browser
def test_viewer_and_chapter_1_faces_show_a_full_head(smoke_book, browser) -> None:
    """Issue 11: screenshots of the chapter-4 viewer and of chapter 1's rendered faces show a
    whole head (one blob of the expected size, no background through it, a skull above the
    face: ``tests.head_check``), not the old floating mask."""
    page, external, failed = viewer_page(smoke_book, browser)
    shot = page.locator("canvas.emo3d-canvas").screenshot()
    page.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "viewer_head.png").write_bytes(shot)
    shapes = {"viewer": measure_head(png_pixels(shot)[3:-3, 3:-3])}  # inside the canvas border

    html = smoke_book[0]
    context, base = browser
    chapter = next(p for p in built_pages(html) if p.stem.startswith("01_"))
    page, ch_external, ch_failed = open_page(context, base + chapter.relative_to(html).as_posix(),
                                             base)
    # a figure widened to its own resolution runs under the page's sticky "on this page" column,
    # which then covers some faces in the screenshot depending on the scroll position
    page.add_style_tag(content=".bd-sidebar-secondary { display: none !important; }")
    for section, every in CHAPTER_1_FACES.items():
        figures = page.locator(f"section#{section} img")
        found = 0
        for i in range(figures.count()):
            figure = figures.nth(i)
            # at the figure's own resolution: the page shows the 24-face grid ~70 px a face
            figure.evaluate("img => { img.style.maxWidth = 'none'; "
                            "img.style.width = img.naturalWidth + 'px'; }")
            figure.scroll_into_view_if_needed()
            shot = figure.screenshot()
            panels = figure_panels(png_pixels(shot))
            assert panels or not every, f"#{section} figure {i}: no face panel found"
            (ARTIFACTS / f"chapter1_{section}_{i}.png").write_bytes(shot)
            shapes |= {f"{section} {i}.{k}": measure_head(p) for k, p in enumerate(panels)}
            found += len(panels)
        assert found >= 2, f"chapter 1 #{section}: {found} face panels"
    page.close()
    assert len(shapes) >= 4, sorted(shapes)
    assert not _head_report(shapes)
    assert not external + ch_external and not failed + ch_failed


@pytest.mark.browser
def test_text_box_changes_the_face_and_the_emotion_bars(smoke_book, browser) -> None:
    """In the built page, no kernel: the exported model runs in onnxruntime-web."""
    page, external, failed = viewer_page(smoke_book, browser)
    if page.locator("input.emo3d-input").is_disabled():
        note = page.locator(".emo3d-note").inner_text()
        page.close()
        pytest.fail(f"the text box has no model in the built page: {note}")
    bars = page.locator(".emo3d-bar output")
    bars_before = bars.all_inner_texts()
    before = png_pixels(page.locator("canvas.emo3d-canvas").screenshot())
    page.locator("input.emo3d-input").fill("She is furious, absolutely enraged at them.")
    page.locator("button[data-action=text]").click()
    page.wait_for_selector(".emo3d-note[data-state=done]", state="attached", timeout=120_000)
    page.wait_for_timeout(500)
    after = png_pixels(page.locator("canvas.emo3d-canvas").screenshot())
    assert int((np.abs(after - before).max(axis=2) > 16).sum()) > 100
    assert bars.all_inner_texts() != bars_before
    assert not external and not failed, (external, failed)
    page.close()


@pytest.mark.browser
def test_52_sliders_in_the_built_page_render_like_a_baked_reference(smoke_book, browser) -> None:
    """All 52 sliders of the chapter-4 viewer set to known values: the canvas equals the same
    face morphed on the CPU and drawn with no morph targets (a page written beside the book)."""
    from emo3d_lib.book.face3d import face_widget, widget_page
    from emo3d_lib.face.heads import load_head
    from emo3d_lib.schema import BLENDSHAPES

    page, external, failed = viewer_page(smoke_book, browser)
    credit = page.locator(".emo3d-credit").inner_text()
    head = next(h for h in (load_head(), load_head("builtin")) if h.credit in credit)
    weights = np.round(np.random.default_rng(1).uniform(0.0, 0.6, len(BLENDSHAPES)), 2)
    for name, value in zip(BLENDSHAPES, weights, strict=True):
        page.locator(f'input[type=range][data-blendshape="{name}"]').fill(f"{value:.2f}")
    live = canvas_pixels(page)
    page.close()

    reference = smoke_book[0] / "_static" / "emo3d-test" / "baked.html"
    reference.parent.mkdir(exist_ok=True)
    reference.write_text(widget_page([face_widget(head, weights, bake=True)], "../"), "utf-8")
    context, base = browser
    ref_page, ref_external, ref_failed = open_page(
        context, base + "_static/emo3d-test/baked.html", base)
    ref_page.wait_for_selector("canvas[data-ready='1']", state="attached", timeout=60_000)
    ref = canvas_pixels(ref_page)
    ref_page.close()
    diff = np.abs(live - ref).max(axis=2)
    print(f"built page, 52 sliders vs baked reference: mean |diff| {diff.mean():.3f}, "
          f"pixels > 16: {(diff > 16).mean():.4%}")
    assert diff.mean() < 0.5 and (diff > 16).mean() < 0.002
    assert not external + ref_external and not failed + ref_failed


#: What a reader must never see in a page: log lines (glog/absl ``W0000 00:00:...``, Python
#: ``logging``'s ``WARNING:``), tracebacks, Python warnings, the kernel's own messages.
LOG_LINE = re.compile(r"\b[IWEF]\d{4} \d\d:\d\d:\d\d|\bWARNING:|\bINFO:|\bERROR:|Traceback"
                      r"|\b[A-Z][A-Za-z]*Warning: |\[IPKernelApp\]")
#: A text progress bar (tqdm: ``42%|####      | 4/10``).
TEXT_BAR = re.compile(r"\d+%\|.{0,40}\|\s*\d+/\d+")
#: An absolute path on a Unix machine (not a URL: no ``:``, ``/`` or word before the slash).
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~%-])/(?:work|home|root|tmp|usr|opt|var|mnt|srv|Users)/")
#: The ipywidgets models tqdm's notebook bar is made of, in a page's embedded widget state.
PROGRESS_WIDGET = re.compile(r'"model_name":\s*"(?:Float|Int)ProgressModel"')


class _VisibleText(HTMLParser):
    """The text a reader sees in a page's article (no scripts, styles or embedded state)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def page_problems(text: str, machine_paths: list[str]) -> list[str]:
    """What in one page's HTML breaks a clean page (empty: a clean page)."""
    visible = _VisibleText()
    visible.feed(text)
    seen = "".join(visible.chunks)
    problems = [f"log/stderr line: {m.group(0)!r} in "
                f"{seen[max(0, m.start() - 60):m.end() + 60]!r}" for m in LOG_LINE.finditer(seen)]
    problems += [f"text progress bar: {m.group(0)!r}" for m in TEXT_BAR.finditer(seen)]
    problems += [f"absolute path: {seen[m.start():m.start() + 80]!r}"
                 for m in ABSOLUTE_PATH.finditer(seen)]
    problems += [f"machine path {p!r} in the page source" for p in machine_paths if p in text]
    if 'class="output stderr"' in text:
        problems.append("a stderr output block")
    if PROGRESS_WIDGET.search(text):
        problems.append("a progress-bar widget in the embedded widget state")
    return problems


def test_page_scan_catches_what_it_looks_for() -> None:
    """The scan itself: each kind of dirt in a page is found, a clean page passes."""
    clean = "<p>MSE 0.0091, wrote runs/book-smoke/metric/table2.json, see https://x.org/a/b</p>"
    assert page_problems(clean, ["/srv/emo3d/"]) == []
    dirty = [
        "<pre>W0000 00:00:1795802950.328233 29866 face_landmarker_graph.cc:181] Sets</pre>",
        "<pre>WARNING: Logging before InitGoogle() is written to STDERR</pre>",
        "<pre>Traceback (most recent call last):</pre>",
        "<pre>judge.py:181: ConstantInputWarning: An input array is constant</pre>",
        "<pre>generate: 100%|##########| 2/2 [00:00&lt;?, ?shard/s]</pre>",
        "<p>wrote /work/wt/x/data/runs/table2.json</p>",
        '<div class="output stderr"><pre>x</pre></div>',
        '<script>{"model_name": "FloatProgressModel"}</script>',
    ]
    for html in dirty:
        assert page_problems(html, []), html
    assert page_problems("<p>at /srv/emo3d/data</p>", ["/srv/emo3d/"])


def test_head_check_fails_a_mask_and_a_hole() -> None:
    """The full-head check can fail: the built-in head (a floating mask) and the default head
    with a background-coloured patch in its skull are both rejected; the default head passes."""
    from emo3d_lib.face.heads import load_head
    from emo3d_lib.face.identity import Identity, sample_identity
    from emo3d_lib.face.render import FaceRenderer
    from emo3d_lib.schema import N_BLENDSHAPES

    people = [Identity.default(), sample_identity(0, 1), sample_identity(0, 2)]
    zeros = np.zeros((len(people), N_BLENDSHAPES))
    heads = FaceRenderer(load_head("ict"), size=192).render(zeros, people)
    masks = FaceRenderer(load_head("builtin"), size=192).render(zeros, people)
    for head, mask in zip(heads, masks, strict=True):
        assert measure_head(head).problems() == []
        assert any("no skull" in p for p in measure_head(mask).problems())
    holed = heads[0].copy()
    yy, xx = np.mgrid[:192, :192]
    holed[(yy - 52) ** 2 + (xx - 96) ** 2 < 14**2] = background_colour(holed)  # skull hole
    assert any("shows through" in p for p in measure_head(holed).problems())
    blank = np.full_like(heads[0], 128)
    assert measure_head(blank).problems() == ["nothing but background"]
    # the figure cutter finds image tiles in a figure, not its text or plots
    figure = np.full((240, 520, 3), 255, np.uint8)
    figure[20:212, 10:202], figure[20:212, 250:442] = heads[0], masks[0]
    figure[100:102, 460:515] = 0  # a plot line
    tiles = figure_panels(figure)
    assert [t.shape for t in tiles] == [(184, 184, 3)] * 2
    assert measure_head(tiles[0]).problems() == [] and measure_head(tiles[1]).problems()


def test_no_page_shows_logs_progress_bars_or_machine_paths(smoke_book) -> None:
    html = smoke_book[0]
    root = html.parents[2]  # <book root>/book/_build/html
    machine = sorted({str(p.resolve()) + "/" for p in (root, paths.REPO_ROOT, paths.data_root())})
    problems = {}
    for page in built_pages(html):
        found = page_problems(page.read_text(encoding="utf-8"), machine)
        if found:
            problems[page.relative_to(html).as_posix()] = found[:5]
    assert not problems, json.dumps(problems, indent=1)


#: Per table in the article: its width against the article's text width (a table may be its
#: own scroll box, which is never wider than the text; its content may be).
_TABLE_WIDTHS = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const limit = article.getBoundingClientRect().right + 1;
  const doc = document.documentElement;
  return {page: [doc.scrollWidth, doc.clientWidth],
          tables: [...article.querySelectorAll('table')].map((t, i) => {
    const r = t.getBoundingClientRect();
    const head = (t.querySelector('th') || t).innerText.slice(0, 30);
    return [i, head, Math.round(r.right), Math.round(limit), r.right <= limit];
  })};
}"""


@pytest.mark.browser
def test_no_table_is_wider_than_the_text(smoke_book, browser) -> None:
    html = smoke_book[0]
    context, base = browser
    too_wide, tables = [], 0
    for path in built_pages(html):
        text = path.read_text(encoding="utf-8")
        if path.name in ("search.html", "genindex.html") or 'http-equiv="Refresh"' in text:
            continue  # no article: the index, the search page (it re-navigates), a redirect
        rel = path.relative_to(html).as_posix()
        page = context.new_page()
        page.goto(base + rel, wait_until="load", timeout=60_000)
        found = page.evaluate(_TABLE_WIDTHS)
        page.close()
        tables += len(found["tables"])
        too_wide += [(rel, *t[:4]) for t in found["tables"] if not t[4]]
        scroll, client = found["page"]
        if scroll > client + 1:
            too_wide.append((rel, "the page scrolls sideways", scroll, client))
    assert tables >= 10  # the scan saw the book's tables
    assert not too_wide, too_wide
