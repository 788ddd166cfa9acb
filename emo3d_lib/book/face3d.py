"""The 52-channel face viewer: an anywidget drawing a ``Head`` with a current three.js.

three.js r97 (what pythreejs bundles) blends at most 8 morph targets; this widget's browser code
(``static/face3d.js``) uses the vendored three.js r187, which blends all 52 through a morph
texture. The head travels compactly in the widget state (so in the static page): rest positions
float32, normals and uv float16, and per blendshape only the vertices it moves or turns (index +
float16 position and normal deltas; uint16 indices below 65,536 vertices): a 26,719-vertex scan
head (ICT) takes 5.0 MB, against 44 MB for dense float32 targets in base64. The same widget
works in a live kernel (three.js comes over the widget's message channel, the text box asks the
kernel's model) and in the static book (three.js, onnxruntime-web and the exported text model
are the book's static files: see ``textface``).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from emo3d_lib.book.viewer import blendshape_groups, clipped_weights
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.scene import vertex_normals
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS, N_BLENDSHAPES

ESM_FILE = Path(__file__).with_name("static") / "face3d.js"
#: a blendshape "moves" a vertex when its delta exceeds this share of the face height
#: (1e-4 x face height is about 1/30 of a pixel at the viewer's framing)
MOVE_SHARE = 1e-4
#: a blendshape turns a vertex normal when the unit normal changes by more than this (~1 deg)
NORMAL_EPS = 0.02
_CSS = """
.emo3d-face { display: flex; flex-wrap: wrap; gap: 10px; font: 12px sans-serif; }
.emo3d-stage { position: relative; }
.emo3d-canvas { display: block; border: 1px solid #ddd; cursor: grab; touch-action: none; }
.emo3d-status { position: absolute; top: 8px; left: 8px; color: #555; }
.emo3d-credit { max-width: 360px; color: #555; font-size: 11px; margin-top: 2px; }
.emo3d-side { width: 240px; }
.emo3d-buttons { display: flex; flex-wrap: wrap; gap: 3px; margin-bottom: 6px; }
.emo3d-buttons button, .emo3d-text button { font-size: 11px; padding: 1px 5px; }
.emo3d-panel { max-height: 330px; overflow-y: auto; }
.emo3d-panel summary { font-weight: bold; cursor: pointer; margin-top: 4px; }
.emo3d-panel label { display: grid; grid-template-columns: 118px 1fr 30px; align-items: center; }
.emo3d-panel input[type=range] { width: 100%; margin: 0; }
.emo3d-text { flex-basis: 100%; max-width: 610px; }
.emo3d-row { display: flex; gap: 6px; }
.emo3d-input { flex: 1; font-size: 13px; padding: 2px 4px; }
.emo3d-note { color: #555; margin: 3px 0 6px; font-size: 11px; }
.emo3d-bars-title { font-weight: bold; margin-bottom: 2px; }
.emo3d-bar { display: grid; grid-template-columns: 80px 1fr 36px; align-items: center; gap: 4px; }
.emo3d-track { background: #eee; height: 10px; display: block; }
.emo3d-fill { background: #5b7fb5; height: 10px; display: block; width: 0; }
"""
EMOTION_TITLE = ("The face read against the eight emotion presets (share of each preset in the "
                 "face; neutral = what is left)")


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _texture_png(texture: np.ndarray, max_size: int) -> str:
    from PIL import Image

    image = Image.fromarray(np.asarray(texture, np.uint8)).convert("RGB")
    scale = max_size / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.BILINEAR)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _sparse(deltas: np.ndarray, eps: float, index_type: type) -> dict[str, Any]:
    """Per target, the vertices whose delta exceeds ``eps``: counts, indices, float16 deltas."""
    moved = [np.flatnonzero(np.abs(d).max(axis=1) > eps) for d in deltas]
    return {"counts": [int(len(m)) for m in moved],
            "index": _b64(np.concatenate(moved).astype(index_type)),
            "delta": _b64(np.concatenate([d[m] for d, m in zip(deltas, moved, strict=True)])
                          .astype(np.float16))}


def _dense(sparse: dict[str, Any], n: int, index_type: type) -> np.ndarray:
    """(52, n, 3) float32 deltas back from :func:`_sparse` (what the browser rebuilds)."""
    index = np.frombuffer(base64.b64decode(sparse["index"]), index_type)
    delta = np.frombuffer(base64.b64decode(sparse["delta"]), np.float16).reshape(-1, 3)
    out = np.zeros((len(sparse["counts"]), n, 3), np.float32)
    start = 0
    for k, count in enumerate(sparse["counts"]):
        out[k, index[start:start + count]] = delta[start:start + count]
        start += count
    return out


def encode_head(head: Any, texture_size: int = 512,
                bake: np.ndarray | None = None) -> list[dict[str, Any]]:
    """The parts of ``head`` as the widget's compact JSON.

    Each blendshape carries position deltas and normal deltas (the normal of the fully morphed
    mesh minus the rest normal), so shading follows the deformation as the renderer's does.
    ``bake`` (52 weights) puts that face into the rest positions and normals (blended from the
    same stored deltas) and drops the morph targets: the reference a test compares the
    browser's morphing against.
    """
    eps = MOVE_SHARE * float(getattr(head, "face_height", 1.0) or 1.0)
    influences = None if bake is None else head.effective_weights(clipped_weights(bake))
    parts = []
    for part in head.parts:
        vertices = np.asarray(part.vertices, np.float32)
        faces = np.asarray(part.faces)
        index_type = np.uint16 if len(vertices) < 65536 else np.uint32  # face + morph indices
        normals = vertex_normals(vertices, faces).astype(np.float16).astype(np.float32)
        out: dict[str, Any] = {"name": part.name, "faces": _b64(faces.astype(index_type))}
        if part.texture is not None and part.uv is not None:
            out["uv"] = _b64(np.asarray(part.uv, np.float16))
            out["texture"] = _texture_png(part.texture, texture_size)
        elif part.colors is not None and np.shape(part.colors) == vertices.shape:
            colors = np.asarray(part.colors, np.float32)
            colors = colors / 255.0 if colors.max() > 1 else colors
            out["colors"] = _b64(np.round(np.clip(colors, 0, 1) * 255).astype(np.uint8))
        if part.morph_targets is not None:
            targets = np.asarray(part.morph_targets, np.float32)
            turned = np.stack([vertex_normals(vertices + t, faces) for t in targets]) - normals
            morph = {"position": _sparse(targets, eps, index_type),
                     "normal": _sparse(turned, NORMAL_EPS, index_type)}
            if influences is None:
                out["morph"] = morph
            else:
                vertices = part.morphed(influences).astype(np.float32)
                normals = normals + np.tensordot(
                    influences, _dense(morph["normal"], len(vertices), index_type), axes=(0, 0))
        out["normals"] = _b64(normals.astype(np.float16))
        out["vertices"] = _b64(vertices)
        parts.append(out)
    if bake is None and not any("morph" in p for p in parts):
        raise Emo3DError(f"head {getattr(head, 'name', '?')!r} has no part with morph_targets")
    return parts


def camera_for(head: Any) -> dict[str, Any]:
    """Frame the face (not the skull): target, distance, clip planes and a light."""
    allv = np.concatenate([np.asarray(p.vertices, np.float32) for p in head.parts])
    center = (allv.min(0) + allv.max(0)) / 2
    radius = float(np.linalg.norm(allv.max(0) - allv.min(0))) / 2 or 1.0
    if getattr(head, "face_center", None) is not None and getattr(head, "face_height", None):
        center = np.asarray(head.face_center, np.float32)
        radius = 0.6 * float(head.face_height)
    c = [float(x) for x in center]
    return {"target": c, "distance": 3.0 * radius, "fov": 40, "near": 0.05 * radius,
            "far": 20 * radius, "light": [c[0] + radius, c[1] + radius, c[2] + 2 * radius]}


def emotion_presets() -> np.ndarray:
    """(8, 52): each emotion's expected face at full intensity (the expression prior's mean;
    neutral is the rest face)."""
    from emo3d_lib.face.expression_prior import ExpressionPrior

    return ExpressionPrior().mean_activations(np.eye(len(EMOTIONS), dtype=np.float32))


def three_sources() -> dict[str, str]:
    """three.js (core + WebGL module) as text, for a live kernel's widget."""
    from emo3d_lib.book.vendor_js import vendor

    folder = vendor() / "three"
    return {"core": (folder / "three.core.js").read_text("utf-8"),
            "module": (folder / "three.module.js").read_text("utf-8")}


Predict = Callable[[str], tuple[np.ndarray, np.ndarray]]


class FaceWidget(anywidget.AnyWidget):
    """The viewer. ``weights``: 52 floats in BLENDSHAPES order; ``emotion_scores``: 8 floats."""

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    groups = traitlets.List().tag(sync=True)
    weights = traitlets.List(traitlets.Float()).tag(sync=True)
    presets = traitlets.List().tag(sync=True)  # [[emotion, 52 weights], ...] in EMOTIONS order
    mesh = traitlets.List().tag(sync=True)
    curve = traitlets.Any(None).tag(sync=True)
    camera = traitlets.Dict().tag(sync=True)
    size = traitlets.List(traitlets.Int()).tag(sync=True)
    credit = traitlets.Unicode().tag(sync=True)
    emotions = traitlets.List(traitlets.Unicode()).tag(sync=True)
    emotion_scores = traitlets.List(traitlets.Float()).tag(sync=True)
    emotion_title = traitlets.Unicode(EMOTION_TITLE).tag(sync=True)
    textface = traitlets.Unicode("").tag(sync=True)  # static-book folder of the text model
    kernel_text = traitlets.Bool(False).tag(sync=True)
    model_note = traitlets.Unicode("").tag(sync=True)

    def __init__(self, predict: Predict | None = None, **kwargs: Any) -> None:
        super().__init__(_esm=ESM_FILE.read_text("utf-8"), kernel_text=predict is not None,
                         **kwargs)
        self._predict = predict
        self.on_msg(self._answer)

    def _answer(self, _: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        """Replies to the browser: three.js source (live kernel) and text -> face."""
        if content.get("kind") == "three":
            self.send({"kind": "three", **three_sources()})
        elif content.get("kind") == "text" and self._predict is not None:
            weights, emotions = self._predict(str(content.get("text", "")))
            self.send({"kind": "text", "weights": [float(x) for x in weights],
                       "emotions": [float(x) for x in emotions]})

    def set_weights(self, weights: Sequence[float] | np.ndarray) -> None:
        """Show another face without rebuilding the scene."""
        self.weights = [float(x) for x in clipped_weights(weights)]


def face_widget(head: Any, weights: Sequence[float] | np.ndarray | None = None, *,
                predict: Predict | None = None, textface: str = "", model_note: str = "",
                size: tuple[int, int] = (360, 360), bake: bool = False) -> FaceWidget:
    """A 52-channel viewer of ``head`` starting at ``weights``.

    ``predict(text) -> (52 weights, 8 emotion scores)`` answers the text box in a live kernel;
    ``textface`` names the exported browser model's folder under the book's ``_static/``
    (``textface.export_text_model``). ``bake=True`` draws ``weights`` with no morph targets.
    """
    w = clipped_weights(np.zeros(N_BLENDSHAPES) if weights is None else weights)
    presets = emotion_presets()
    curve = getattr(head, "curve", None)
    return FaceWidget(
        predict=predict, names=list(BLENDSHAPES), groups=blendshape_groups(),
        weights=[float(x) for x in w],
        presets=[[e, [round(float(x), 4) for x in row]]
                 for e, row in zip(EMOTIONS, presets, strict=True)],
        mesh=encode_head(head, bake=w if bake else None),
        curve=None if curve is None or bake else [float(x) for x in curve],
        camera=camera_for(head), size=list(size), credit=str(head.credit),
        emotions=list(EMOTIONS), emotion_scores=[0.0] * len(EMOTIONS),
        textface=textface, model_note=model_note)


def widget_page(widgets: Sequence[Any], static_prefix: str = "_static/",
                title: str = "Emo3D face") -> str:
    """A standalone HTML page embedding ``widgets`` exactly as the static book does (vendored
    require.js + html-manager under ``static_prefix``; serve ``vendor_js.VENDOR_DIR`` there)."""
    from ipywidgets.embed import embed_data

    data = embed_data(views=list(widgets), drop_defaults=False)
    state = json.dumps(data["manager_state"]).replace("</", "<\\/")
    views = "\n".join(
        '<script type="application/vnd.jupyter.widget-view+json">'
        + json.dumps(v).replace("</", "<\\/") + "</script>" for v in data["view_specs"])
    p = html.escape(static_prefix)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<script src="{p}widgets/require.js"></script>
<script src="{p}widgets/config.js"></script>
<script src="{p}widgets/html-manager/embed-amd.js" data-jupyter-widgets-cdn="widgets/no-cdn/">
</script>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
</head><body>
{views}
</body></html>
"""
