"""The 52-channel face viewer (face3d): grouped sliders, clipped weights, all 52 in-browser."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from emo3d_lib.book import viewer
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.scene import vertex_normals
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS, N_BLENDSHAPES
from tests.browser_support import (  # noqa: F401  (fixtures: site, chromium)
    canvas_pixels,
    chromium_fixture,
    open_widget_page,
    site_fixture,
)


@dataclass(frozen=True)
class Part:
    name: str
    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray | None = None
    uv: np.ndarray | None = None
    texture: np.ndarray | None = None
    morph_targets: np.ndarray | None = None


@dataclass(frozen=True)
class Head:
    parts: tuple[Part, ...]


def small_head(moving: tuple[int, ...] = (BLENDSHAPES.index("jawOpen"),)) -> Head:
    """A 4x4 grid 'face' whose listed blendshapes push the middle up; an unrigged second part."""
    u, v = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 4))
    verts = np.stack([u.ravel(), v.ravel(), np.zeros(16)], 1).astype(np.float32)
    faces = np.array([[i * 4 + j, i * 4 + j + 1, i * 4 + j + 4]
                      for i in range(3) for j in range(3)])
    deltas = np.zeros((N_BLENDSHAPES, 16, 3), np.float32)
    for k in moving:
        deltas[k, 5, 2] = 0.5 + 0.01 * k
    uv = (verts[:, :2] + 1) / 2
    texture = np.full((8, 8, 3), 200, np.uint8)
    skin = Part("skin", verts, faces, uv=uv, texture=texture, morph_targets=deltas)
    tooth = Part("teeth", verts[:3] * 0.1, np.array([[0, 1, 2]]),
                 colors=np.ones((3, 3), np.float32))
    return Head((skin, tooth))


def test_groups_cover_every_blendshape_once_in_face_regions() -> None:
    groups = viewer.blendshape_groups()
    indices = [i for _, idx in groups for i in idx]
    assert sorted(indices) == list(range(N_BLENDSHAPES))
    names = [g for g, _ in groups]
    assert names == ["neutral", "brows", "eyes", "cheeks", "jaw", "mouth", "nose"]
    by_group = dict((g, [BLENDSHAPES[i] for i in idx]) for g, idx in groups)
    assert "jawOpen" in by_group["jaw"] and "mouthSmileLeft" in by_group["mouth"]
    assert by_group["nose"] == ["noseSneerLeft", "noseSneerRight"]
    with pytest.raises(Emo3DError, match="tongueOut"):
        viewer.blendshape_groups(("jawOpen", "tongueOut"))


def test_clipped_weights_name_the_problem() -> None:
    with pytest.raises(Emo3DError, match="expected shape \\(N, 52\\)"):
        viewer.clipped_weights(np.zeros(51))
    bad = np.zeros(N_BLENDSHAPES)
    bad[3] = np.nan
    with pytest.raises(Emo3DError, match="browInnerUp"):
        viewer.clipped_weights(bad)
    with pytest.raises(Emo3DError, match="one face"):
        viewer.clipped_weights(np.zeros((2, N_BLENDSHAPES)))
    assert viewer.clipped_weights(np.full(N_BLENDSHAPES, 2.0)).tolist() == [1.0] * N_BLENDSHAPES


def test_vertex_normals_point_out_of_a_flat_grid() -> None:
    head = small_head()
    normals = vertex_normals(head.parts[0].vertices, head.parts[0].faces)
    used = np.unique(head.parts[0].faces)
    assert np.allclose(np.abs(normals[used, 2]), 1.0)


def test_builtin_head_renders_clipped_weights() -> None:
    from emo3d_lib.face.heads import load_head

    head = load_head("builtin")
    smile = np.zeros(N_BLENDSHAPES, np.float32)
    smile[[BLENDSHAPES.index("mouthSmileLeft"), BLENDSHAPES.index("mouthSmileRight")]] = 1.0
    a, b, over = viewer.render_clipped_faces(
        np.stack([np.zeros(N_BLENDSHAPES), smile, 3 * smile]), head, size=96).astype(np.int16)
    assert a.shape == (96, 96, 3)
    assert a.std() > 10  # a face, not a blank frame
    assert np.abs(a - b).max() > 30  # the smile changes the mouth
    assert np.array_equal(b, over)  # weights above 1 are clipped as the sliders clip them


# ---- the 52-channel viewer (face3d) in headless Chromium, on standalone pages -----------------
# The page embeds the widget exactly as the static book does (vendored require.js +
# html-manager, widget state in the page, no kernel), served over http://127.0.0.1.


def set_sliders(page, weights: np.ndarray) -> None:
    for name, value in zip(BLENDSHAPES, weights, strict=True):
        page.locator(f'input[type=range][data-blendshape="{name}"]').fill(f"{value:.2f}")


@pytest.mark.browser
def test_all_52_sliders_render_like_the_same_face_baked_on_the_cpu(site, chromium) -> None:
    """GPU morphing of all 52 channels (sliders) == the CPU-morphed mesh drawn with no targets."""
    from emo3d_lib.book.face3d import face_widget
    from emo3d_lib.face.heads import load_head
    from tests.browser_support import ARTIFACTS

    head = load_head()
    weights = np.round(np.random.default_rng(0).uniform(0.0, 0.6, N_BLENDSHAPES), 2)
    page, external, errors = open_widget_page(chromium, site, "live", face_widget(head))
    set_sliders(page, weights)
    assert page.evaluate("document.querySelectorAll('input[data-blendshape]').length") == 52
    live = canvas_pixels(page)
    ref_page, ref_external, ref_errors = open_widget_page(
        chromium, site, "baked", face_widget(head, weights, bake=True))
    ref = canvas_pixels(ref_page)
    neutral_page, *_ = open_widget_page(chromium, site, "neutral", face_widget(head))
    neutral = canvas_pixels(neutral_page)
    ARTIFACTS.mkdir(exist_ok=True)
    from PIL import Image

    for img, name in ((live, "live"), (ref, "baked"), (neutral, "neutral")):
        Image.fromarray(img.astype(np.uint8)).save(ARTIFACTS / f"face3d_52_{name}.png")
    diff = np.abs(live - ref).max(axis=2)
    moved = np.abs(neutral - ref).max(axis=2)
    print(f"52 sliders vs baked: mean |diff| {diff.mean():.3f}, pixels > 16: "
          f"{(diff > 16).mean():.4%}; the face itself moves {(moved > 16).mean():.2%} of pixels")
    assert (moved > 16).mean() > 0.02  # the weights change the face...
    assert diff.mean() < 0.5 and (diff > 16).mean() < 0.002  # ...and both paths agree
    assert not external + ref_external and not errors + ref_errors
    for p in (page, ref_page, neutral_page):
        p.close()


@pytest.mark.browser
def test_channels_9_to_52_still_move_the_face_with_8_channels_at_full(site, chromium) -> None:
    """three r97 (as once bundled with pythreejs) drops every morph target beyond the 8 strongest;
    this viewer not."""
    from emo3d_lib.book.face3d import face_widget
    from emo3d_lib.face.heads import load_head

    head = load_head()
    reach = np.zeros(N_BLENDSHAPES)  # how far each channel moves any vertex (head units)
    for part in head.parts:
        if part.morph_targets is not None:
            reach = np.maximum(reach, np.abs(part.morph_targets).max(axis=(1, 2)))
    weights = np.zeros(N_BLENDSHAPES)
    weights[1:9] = 1.0  # 8 channels at full: r97 would already be saturated
    page, external, errors = open_widget_page(chromium, site, "ninth", face_widget(head, weights))
    before = canvas_pixels(page)
    silent = []
    for k in range(9, N_BLENDSHAPES):
        slider = page.locator(f'input[type=range][data-blendshape="{BLENDSHAPES[k]}"]')
        slider.fill("1")
        changed = int((np.abs(canvas_pixels(page) - before).max(axis=2) > 16).sum())
        slider.fill("0")
        if changed < 20:
            silent.append((BLENDSHAPES[k], changed, float(reach[k])))
    # a channel may only stay silent if the head's rig does not move it visibly (< 1 % of the
    # face height), i.e. the head, not the viewer, is why no pixel changes
    print(f"channels 10..52 with under 20 changed pixels: {silent}")
    visible = [s for s in silent if s[2] > 0.01 * head.face_height]
    assert not visible, visible
    assert len(silent) <= 8, silent
    assert not external and not errors, (external, errors)
    page.close()


def test_a_large_head_encodes_compactly_and_round_trips() -> None:
    """26,000 vertices, each blendshape a smooth bump over ~4,000 of them: the page stores only
    the vertices (and normals) a blendshape moves, and decoding gives the deltas back."""
    import json

    from emo3d_lib.book.face3d import _dense, encode_head
    from emo3d_lib.face.head import Head as RealHead
    from emo3d_lib.face.head import MeshPart

    side = 161
    u, v = np.meshgrid(np.linspace(-9, 9, side), np.linspace(-9, 9, side))
    verts = np.stack([u.ravel(), v.ravel(), np.zeros(side * side)], 1).astype(np.float32)
    tris = [(i * side + j, i * side + j + 1, (i + 1) * side + j)
            for i in range(side - 1) for j in range(side - 1)]
    rng = np.random.default_rng(0)
    targets = np.zeros((N_BLENDSHAPES, len(verts), 3), np.float32)
    for k in range(1, N_BLENDSHAPES):
        d = np.linalg.norm(verts[:, :2] - rng.uniform(-5, 5, 2), axis=1) / 4.0
        targets[k, :, 2] = np.where(d < 1, 0.5 * (1 - d**2) ** 2, 0.0)
    head = RealHead("grid", (MeshPart("skin", verts, np.array(tris, np.int32),
                                      morph_targets=targets),), credit="test", face_height=18.0)
    mesh = encode_head(head)
    morph = mesh[0]["morph"]
    moved = sum(morph["position"]["counts"]) + sum(morph["normal"]["counts"])
    assert np.median(morph["position"]["counts"]) < 5000  # only the bump, not all 25,921
    # base64 of: 8 bytes per stored delta (uint16 index + 3 float16), 18 per vertex (float32
    # position + float16 normal), 6 per triangle (uint16 indices)
    needed = 4 / 3 * (8 * moved + 18 * len(verts) + 6 * len(tris))
    size = len(json.dumps(mesh))
    dense = 2 * 4 / 3 * targets.nbytes  # float32 position + normal targets in base64
    print(f"large head: {size / 1e6:.2f} MB in the page (dense: {dense / 1e6:.1f} MB)")
    assert size < 1.02 * needed and size < 0.2 * dense
    got = _dense(morph["position"], len(verts), np.uint16)
    from emo3d_lib.book.face3d import MOVE_SHARE

    dropped = MOVE_SHARE * head.face_height  # deltas below this are not stored
    assert np.abs(got - targets).max() < dropped + 2.5e-4  # + float16 rounding up to 0.5


def test_face_widget_answers_the_browser_in_a_live_kernel(monkeypatch) -> None:
    """The kernel sends three.js when asked, and answers the text box with its model."""
    from emo3d_lib.book.face3d import face_widget

    def predict(text: str):
        w = np.zeros(N_BLENDSHAPES, np.float32)
        w[BLENDSHAPES.index("jawOpen")] = 0.5 if "open" in text else 0.0
        return w, np.full(8, 0.125, np.float32)

    widget = face_widget(small_head_as_head(), predict=predict)
    assert widget.kernel_text and len(widget.weights) == N_BLENDSHAPES
    presets = dict(widget.presets)
    assert [e for e, _ in widget.presets] == list(EMOTIONS)  # buttons in EMOTIONS order
    assert presets["happiness"][BLENDSHAPES.index("mouthSmileLeft")] > 0.5
    sent = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    widget._answer(widget, {"kind": "text", "text": "mouth open"}, [])
    assert sent[-1]["kind"] == "text"
    assert sent[-1]["weights"][BLENDSHAPES.index("jawOpen")] == 0.5
    widget._answer(widget, {"kind": "three"}, [])
    assert sent[-1]["kind"] == "three" and "'./three.core.js'" in sent[-1]["module"]
    widget.set_weights(np.full(N_BLENDSHAPES, 3.0))
    assert widget.weights == [1.0] * N_BLENDSHAPES


def small_head_as_head():
    """``small_head`` as a real ``Head`` (the widget reads credit, face framing and curve)."""
    from emo3d_lib.face.head import Head as RealHead
    from emo3d_lib.face.head import MeshPart

    parts = tuple(MeshPart(p.name, p.vertices, p.faces, colors=p.colors, uv=p.uv,
                           texture=p.texture, morph_targets=p.morph_targets)
                  for p in small_head().parts)
    return RealHead("small", parts, credit="test head", face_height=2.0)


@pytest.mark.browser
def test_presets_orbit_reset_and_png_snapshot(site, chromium) -> None:
    from PIL import Image

    from emo3d_lib.book.face3d import emotion_presets, face_widget
    from emo3d_lib.face.heads import load_head

    page, external, errors = open_widget_page(chromium, site, "buttons",
                                              face_widget(load_head()))
    start = canvas_pixels(page)

    def slider_values() -> np.ndarray:
        return np.array([float(page.locator(f'input[data-blendshape="{n}"]').input_value())
                         for n in BLENDSHAPES])

    page.locator('button[data-preset="happiness"]').click()
    happy = emotion_presets()[EMOTIONS.index("happiness")]
    assert np.abs(slider_values() - happy).max() <= 0.005  # the sliders' 0.01 step
    assert (np.abs(canvas_pixels(page) - start).max(axis=2) > 16).sum() > 100

    box = page.locator("canvas.emo3d-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy, steps=5)
    page.mouse.up()
    turned = canvas_pixels(page)
    page.locator('button[data-action="reset"]').click()
    assert slider_values().max() == 0.0
    back = canvas_pixels(page)
    assert (np.abs(turned - back).max(axis=2) > 16).mean() > 0.05  # the drag turned the head
    assert np.abs(back - start).max() <= 2  # reset: the starting face and view again

    with page.expect_download() as info:
        page.locator('button[data-action="snapshot"]').click()
    png = Image.open(info.value.path())
    assert png.format == "PNG" and png.size == (360, 360)
    assert not external and not errors, (external, errors)
    page.close()
