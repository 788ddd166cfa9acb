"""Text -> face in the static page: the exported ONNX model + JS WordPiece match the Python model.

The checkpoint is the tiny ``lm-mlp`` fixture (MiniLM encoder, the book's default text model).
Browser checks run in headless Chromium on a standalone page that embeds the viewer exactly as
the static book does (no kernel; onnxruntime-web's wasm build served from ``_static/ort``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.book import textface
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS, N_BLENDSHAPES
from tests.browser_support import (  # noqa: F401  (fixtures: site, chromium)
    ARTIFACTS,
    canvas_pixels,
    chromium_fixture,
    open_widget_page,
    site_fixture,
)

#: The fixed sentences of the parity check: plain, accents, punctuation, case, a long word,
#: digits, an apostrophe, CJK and an emoji (WordPiece corner cases).
SENTENCES = (
    "The person looks joyful today.",
    "She is FURIOUS -- absolutely furious!!! (really)",
    "Héllo, naïve café owner; he's terrified of the dark...",
    "A face of pure disgust, lip curled, nose wrinkled at 3am.",
    "pneumonoultramicroscopicsilicovolcanoconiosis makes him sorrowful",
    "他很高兴 but also astonished 😮",
)
#: Largest accepted |browser - Python| per channel: onnxruntime-web (wasm, float32) and torch
#: run the same float32 graph in a different order of operations; 1e-4 is far below the 0.01
#: step of a slider and the rounding of the dataset's blendshape scores (3 decimals).
TOLERANCE = 1e-4


def test_emotion_readout_reads_each_preset_as_itself() -> None:
    from emo3d_lib.book.face3d import emotion_presets

    presets = emotion_presets()
    read = textface.face_emotions(presets)
    assert read.shape == (len(EMOTIONS), len(EMOTIONS))
    assert read[0] == pytest.approx([1.0] + [0.0] * 7)  # the rest face is neutral
    for e in range(1, len(EMOTIONS)):
        assert read[e, e] == pytest.approx(1.0, abs=1e-6)
        assert read[e, 0] == pytest.approx(0.0, abs=1e-6)
    assert np.all((read >= 0) & (read <= 1))


@pytest.fixture(scope="module")
def exported(tiny_lm_checkpoint: Path, site) -> tuple[Path, str]:
    """(checkpoint, folder under _static) of the exported browser model."""
    pytest.importorskip("onnx")
    root, _ = site
    return tiny_lm_checkpoint, textface.export_text_model(tiny_lm_checkpoint, root / "_static")


@pytest.fixture(scope="module")
def reference(exported) -> tuple[np.ndarray, np.ndarray, object]:
    from emo3d_lib.models.predict import load_predictor

    predictor = load_predictor(exported[0], "cpu")
    weights, emotions = textface.python_reference(predictor, list(SENTENCES))
    return weights, emotions, predictor


def test_export_is_reused_and_matches_torch_in_onnxruntime(exported, reference, site) -> None:
    ort = pytest.importorskip("onnxruntime")
    ckpt, rel = exported
    folder = site[0] / "_static" / rel
    stamp = (folder / "textface.onnx").stat().st_mtime_ns
    assert textface.export_text_model(ckpt, site[0] / "_static") == rel  # same files: reused
    assert (folder / "textface.onnx").stat().st_mtime_ns == stamp
    meta = json.loads((folder / "textface.json").read_text())
    assert meta["blendshapes"] == list(BLENDSHAPES) and meta["emotions"] == list(EMOTIONS)
    weights, emotions, predictor = reference
    session = ort.InferenceSession(str(folder / "textface.onnx"))
    for i, text in enumerate(SENTENCES):
        ids = predictor.encoder.tokenizer([text], return_tensors="np")
        got_w, got_e = session.run(None, {k: ids[k].astype(np.int64)
                                          for k in ("input_ids", "attention_mask")})
        assert np.abs(got_w[0] - weights[i]).max() < 1e-5
        assert np.abs(got_e[0] - emotions[i]).max() < 1e-5


def test_non_hf_backbone_is_refused(tmp_path: Path) -> None:
    from emo3d_lib.errors import Emo3DError

    class Fake:
        name, backbone = "clip-mlp", "emo3d-clip"
        encoder = object()

    with pytest.raises(Emo3DError, match="not a Hugging Face encoder"):
        textface._check_exportable(Fake(), tmp_path)


@pytest.mark.browser
def test_js_wordpiece_matches_the_python_tokenizer(exported, reference, site, chromium) -> None:
    root, base = site
    shutil.copyfile(Path(textface.__file__).with_name("static") / "face3d.js",
                    root / "face3d.js")
    (root / "tok.html").write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,">'
                                   '<script type="module">import { wordpiece } from '
                                   '"./face3d.js"; window.wordpiece = wordpiece;</script>'
                                   "</head><body></body></html>")
    page = chromium.new_page()
    page.goto(base + "tok.html", wait_until="networkidle")
    page.wait_for_function("window.wordpiece !== undefined")
    got = page.evaluate("""async ([url, texts]) => {
        const words = (await (await fetch(url)).text()).split("\\n");
        const vocab = new Map(); words.forEach((w, i) => { if (!vocab.has(w)) vocab.set(w, i); });
        return texts.map((t) => window.wordpiece(t, vocab, 256));
    }""", [f"_static/{exported[1]}vocab.txt", list(SENTENCES)])
    tok = reference[2].encoder.tokenizer
    for text, ids in zip(SENTENCES, got, strict=True):
        assert ids == tok([text])["input_ids"][0], text
    page.close()


@pytest.mark.browser
def test_text_box_predicts_like_python_and_moves_face_and_bars(exported, reference, site,
                                                               chromium) -> None:
    from emo3d_lib.book.face3d import face_widget
    from emo3d_lib.face.heads import load_head

    head = load_head()
    widget = face_widget(head, textface=exported[1], model_note="test model")
    page, external, errors = open_widget_page(chromium, site, "textface", widget)
    bars_before = [float(x) for x in page.locator(".emo3d-bar output").all_inner_texts()]
    before = canvas_pixels(page)
    weights, emotions, _ = reference
    worst_w = np.zeros(N_BLENDSHAPES)
    worst_e = np.zeros(len(EMOTIONS))
    for i, text in enumerate(SENTENCES):
        page.locator("input.emo3d-input").fill(text)
        page.locator("button[data-action=text]").click()
        page.wait_for_function(
            "(t) => { const r = document.querySelector('.emo3d-face').dataset.prediction;"
            " return r && document.querySelector('.emo3d-input').value === t"
            " && document.querySelector('.emo3d-note').dataset.state === 'done'; }",
            arg=text, timeout=120_000)
        got = json.loads(page.locator(".emo3d-face").get_attribute("data-prediction"))
        worst_w = np.maximum(worst_w, np.abs(np.asarray(got["weights"]) - weights[i]))
        worst_e = np.maximum(worst_e, np.abs(np.asarray(got["emotions"]) - emotions[i]))
        if i == 0:
            after = canvas_pixels(page)
            bars_after = [float(x) for x in page.locator(".emo3d-bar output").all_inner_texts()]
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(".emo3d-face").screenshot(path=str(ARTIFACTS / "textface_page.png"))
    print(f"browser vs Python over {len(SENTENCES)} sentences: max |diff| blendshapes "
          f"{worst_w.max():.2e} (channel {BLENDSHAPES[int(worst_w.argmax())]}), "
          f"emotions {worst_e.max():.2e}")
    assert worst_w.max() < TOLERANCE and worst_e.max() < TOLERANCE
    assert int((np.abs(after - before).max(axis=2) > 16).sum()) > 100  # the face moved
    assert bars_after != bars_before and max(bars_after) > 0  # the bars moved
    assert not external and not errors, (external, errors)
    page.close()
