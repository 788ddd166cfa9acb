"""A 3D face a reader can turn and deform: pythreejs head + 52 blendshape sliders.

The book's viewer is now ``face3d`` (a current three.js in an anywidget, all 52 channels at
once); this module keeps what serves elsewhere: the slider groups, weight checks, the
offscreen images (``render_faces``, ``static_png``) and the pythreejs viewer for code that
wants a pythreejs scene. Each part of a ``Head`` becomes a pythreejs mesh whose morph targets
are the 52 blendshapes in ``schema.BLENDSHAPES`` order; ``BlendshapePanel`` draws the sliders
and its ``weights`` list is ``jsdlink``-ed to every mesh's ``morphTargetInfluences``. Note
three.js r97 (bundled with pythreejs) blends at most 8 morph targets at once: the 8 largest
weights win, so this viewer misrepresents faces with more active channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emo3d_lib.book import book_extra_missing
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import check_weights
from emo3d_lib.face.scene import vertex_normals
from emo3d_lib.schema import BLENDSHAPES, N_BLENDSHAPES

try:
    import anywidget
    import ipywidgets
    import pythreejs as p3
    import traitlets
except ModuleNotFoundError as _err:  # the library installs without the [book] extra
    raise book_extra_missing(_err) from None

#: Slider groups, in the order a reader scans a face (top to bottom). ``_neutral`` moves nothing.
GROUP_PREFIXES: tuple[tuple[str, str], ...] = (
    ("neutral", "_neutral"),
    ("brows", "brow"),
    ("eyes", "eye"),
    ("cheeks", "cheek"),
    ("jaw", "jaw"),
    ("mouth", "mouth"),
    ("nose", "nose"),
)
SKIN_COLOR = "#e0ac8f"
_ESM = """
function render({ model, el }) {
  const names = model.get("names");
  const root = document.createElement("div");
  root.className = "emo3d-panel";
  const inputs = [];
  for (const [group, indices] of model.get("groups")) {
    const box = document.createElement("details");
    box.open = group !== "neutral";
    const title = document.createElement("summary");
    title.textContent = group + " (" + indices.length + ")";
    box.appendChild(title);
    for (const i of indices) {
      const row = document.createElement("label");
      const name = document.createElement("span");
      name.textContent = names[i];
      const input = document.createElement("input");
      input.type = "range"; input.min = 0; input.max = 1; input.step = 0.01;
      input.dataset.blendshape = names[i];
      const shown = document.createElement("output");
      input.addEventListener("input", () => {
        const w = model.get("weights").slice();
        w[i] = parseFloat(input.value);
        model.set("weights", w);
        try { model.save_changes(); } catch (e) { /* static page: no kernel to sync */ }
      });
      inputs[i] = [input, shown];
      row.append(name, input, shown);
      box.appendChild(row);
    }
    root.appendChild(box);
  }
  const sync = () => {
    const w = model.get("weights");
    inputs.forEach(([input, shown], i) => {
      input.value = w[i];
      shown.textContent = Number(w[i]).toFixed(2);
    });
  };
  model.on("change:weights", sync);
  sync();
  el.appendChild(root);
}
export default { render };
"""
_CSS = """
.emo3d-panel { font: 12px sans-serif; max-height: 380px; overflow-y: auto; width: 270px; }
.emo3d-panel summary { font-weight: bold; cursor: pointer; margin-top: 4px; }
.emo3d-panel label { display: grid; grid-template-columns: 128px 1fr 32px; align-items: center; }
.emo3d-panel input[type=range] { width: 100%; margin: 0; }
"""


def blendshape_groups(names: Sequence[str] = BLENDSHAPES) -> list[list[Any]]:
    """``[[group, [indices]], ...]`` covering every name exactly once (first matching prefix)."""
    groups: dict[str, list[int]] = {g: [] for g, _ in GROUP_PREFIXES}
    for i, name in enumerate(names):
        group = next((g for g, prefix in GROUP_PREFIXES if name.startswith(prefix)), None)
        if group is None:
            raise Emo3DError(f"blendshape {name!r} (index {i}) matches no slider group")
        groups[group].append(i)
    return [[g, idx] for g, idx in groups.items() if idx]


class BlendshapePanel(anywidget.AnyWidget):
    """52 sliders in groups; ``weights`` (52 floats in BLENDSHAPES order) is what they set."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    groups = traitlets.List().tag(sync=True)
    weights = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, weights: Sequence[float] | None = None, **kwargs: Any) -> None:
        w = clipped_weights(np.zeros(N_BLENDSHAPES) if weights is None else weights)
        super().__init__(names=list(BLENDSHAPES), groups=blendshape_groups(),
                         weights=[float(x) for x in w], **kwargs)


def _clipped(weights: Any) -> np.ndarray:
    """(N, 52) weights clipped into [0, 1] (a model's raw output may overshoot a little), then
    validated as the face stage does (``face.head.check_weights``: shape, numbers, finite)."""
    try:
        raw = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        return check_weights(weights)  # names what is not a number
    if not np.isfinite(raw).all():
        return check_weights(raw)  # names the non-finite value
    return check_weights(np.clip(raw, 0.0, 1.0))


def clipped_weights(weights: Any) -> np.ndarray:
    """One face's 52 weights clipped into the sliders' [0, 1] (see ``_clipped``)."""
    w = _clipped(weights)
    if len(w) != 1:
        raise Emo3DError(f"weights: expected one face ({N_BLENDSHAPES} values), got {len(w)} rows")
    return np.clip(w[0], 0.0, 1.0)


def _part_arrays(part: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Validated (vertices, faces, colors, absolute morph positions) of one MeshPart."""
    name = getattr(part, "name", "?")
    vertices = np.asarray(part.vertices, dtype=np.float32)
    faces = np.asarray(part.faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise Emo3DError(f"head part {name!r}: vertices must be (V, 3), got {vertices.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise Emo3DError(f"head part {name!r}: faces must be (F, 3), got {faces.shape}")
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise Emo3DError(f"head part {name!r}: face index out of range 0..{len(vertices) - 1}")
    colors = getattr(part, "colors", None)
    if colors is not None:
        colors = np.asarray(colors, dtype=np.float32)
        if colors.shape != vertices.shape:  # per-vertex RGB only; anything else -> plain skin
            colors = None
        elif colors.max() > 1.0:
            colors = colors / 255.0
    targets = getattr(part, "morph_targets", None)
    if targets is not None:
        targets = np.asarray(targets, dtype=np.float32)
        if targets.shape != (N_BLENDSHAPES, *vertices.shape):
            raise Emo3DError(f"head part {name!r}: morph_targets must be "
                             f"({N_BLENDSHAPES}, {len(vertices)}, 3), got {targets.shape}")
        targets = vertices[None] + targets  # MeshPart stores offsets; three r97 wants positions
    return vertices, faces.astype(np.uint32), colors, targets


def _texture(part: Any, max_size: int) -> p3.DataTexture | None:
    """The part's albedo as a small RGBA DataTexture (the page embeds it, so keep it small)."""
    texture, uv = getattr(part, "texture", None), getattr(part, "uv", None)
    if texture is None or uv is None:
        return None
    from PIL import Image

    image = Image.fromarray(np.asarray(texture, dtype=np.uint8)).convert("RGBA")
    scale = max_size / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.BILINEAR)
    # glTF uv: (0, 0) is the image's top-left = row 0 of an unflipped DataTexture.
    return p3.DataTexture(data=np.ascontiguousarray(np.asarray(image)), format="RGBAFormat",
                          type="UnsignedByteType", flipY=False, magFilter="LinearFilter",
                          minFilter="LinearFilter")


def part_mesh(part: Any, weights: np.ndarray, texture_size: int = 256) -> p3.Mesh:
    """One pythreejs mesh for a head part, morph targets in BLENDSHAPES order.

    Targets that do not move this part (all-zero deltas, e.g. mouth shapes on an eye) share one
    attribute with the rest pose, so the page stores them once.
    """
    vertices, faces, colors, targets = _part_arrays(part)
    rest = p3.BufferAttribute(vertices, normalized=False)
    attributes = {
        "position": rest,
        "normal": p3.BufferAttribute(
            vertex_normals(vertices.astype(np.float64), faces).astype(np.float32),
            normalized=False),
        "index": p3.BufferAttribute(faces.reshape(-1), normalized=False),
    }
    if colors is not None:
        attributes["color"] = p3.BufferAttribute(colors, normalized=False)
    texture = _texture(part, texture_size)
    if texture is not None:
        attributes["uv"] = p3.BufferAttribute(np.asarray(part.uv, np.float32), normalized=False)
    morph: dict[str, Any] = {}
    if targets is not None:
        moved = np.abs(targets - vertices[None]).max(axis=(1, 2)) > 1e-7
        morph = {"position": [p3.BufferAttribute(t, normalized=False) if m else rest
                              for t, m in zip(targets, moved, strict=True)]}
    geometry = p3.BufferGeometry(attributes=attributes, morphAttributes=morph)
    plain = colors is None and texture is None
    material = p3.MeshStandardMaterial(
        color=SKIN_COLOR if plain else "#ffffff",
        vertexColors="VertexColors" if colors is not None else "NoColors",
        morphTargets=targets is not None, roughness=0.75, metalness=0.0, side="DoubleSide",
        **({"map": texture} if texture is not None else {}),
    )
    mesh = p3.Mesh(geometry=geometry, material=material, name=str(getattr(part, "name", "")))
    if targets is not None:
        mesh.morphTargetInfluences = [float(x) for x in weights]
    return mesh


def _light_shadow(radius: float) -> Any:
    """An explicit shadow for the head light: left ``Uninitialized``, pythreejs creates it in the
    browser and JupyterLab's widget manager then fails the echoed update ("Error setting state:
    t.on is not a function"). The viewer casts no shadows; this only keeps the console clean."""
    r = 2.0 * radius
    return p3.DirectionalLightShadow(camera=p3.OrthographicCamera(-r, r, r, -r, 0.05 * r, 20 * r))


class FaceViewer(ipywidgets.HBox):
    """The viewer widget: a pythreejs renderer (orbit controls) beside the slider panel."""

    def __init__(self, renderer: p3.Renderer, panel: BlendshapePanel,
                 meshes: list[p3.Mesh], links: list[Any]) -> None:
        super().__init__([renderer, panel])
        self.renderer, self.panel, self.meshes = renderer, panel, meshes
        self.links = links  # browser-side panel.weights -> mesh.morphTargetInfluences

    def set_weights(self, weights: Sequence[float]) -> None:
        """Show another face (e.g. a new prediction) without rebuilding the scene."""
        self.panel.weights = [float(x) for x in clipped_weights(weights)]


def face_viewer(weights: Sequence[float] | np.ndarray | None, head: Any,
                width: int = 360, height: int = 380) -> FaceViewer:
    """A live/static 3D viewer of ``head`` showing ``weights`` (52, BLENDSHAPES order)."""
    w = clipped_weights(np.zeros(N_BLENDSHAPES) if weights is None else weights)
    parts = list(getattr(head, "parts", []))
    if not parts:
        raise Emo3DError("head has no parts to show")
    meshes = [part_mesh(part, w) for part in parts]
    if not any(m.material.morphTargets for m in meshes):
        raise Emo3DError("head has no part with morph_targets: nothing for the sliders to move")
    allv = np.concatenate([np.asarray(p.vertices, dtype=np.float32) for p in parts])
    center = (allv.min(0) + allv.max(0)) / 2
    radius = float(np.linalg.norm(allv.max(0) - allv.min(0))) / 2 or 1.0
    if getattr(head, "face_center", None) is not None and getattr(head, "face_height", None):
        center = np.asarray(head.face_center, dtype=np.float32)  # frame the face, not the skull
        radius = 0.6 * float(head.face_height)
    camera = p3.PerspectiveCamera(
        position=[float(center[0]), float(center[1]), float(center[2] + 2.6 * radius)],
        fov=40, aspect=width / height, near=radius * 0.05, far=radius * 20,
        children=[p3.DirectionalLight(color="white", intensity=0.75,
                                      position=[radius, radius, 2 * radius],
                                      shadow=_light_shadow(radius))],
    )
    scene = p3.Scene(children=[*meshes, camera, p3.AmbientLight(color="white", intensity=0.45)],
                     background="#f4f4f4")
    controls = p3.OrbitControls(controlling=camera, target=[float(c) for c in center])
    camera.lookAt([float(c) for c in center])
    renderer = p3.Renderer(camera=camera, scene=scene, controls=[controls],
                           width=width, height=height, antialias=True)
    panel = BlendshapePanel(w)
    links = [ipywidgets.jsdlink((panel, "weights"), (mesh, "morphTargetInfluences"))
             for mesh in meshes if mesh.material.morphTargets]
    return FaceViewer(renderer, panel, meshes, links)


_RENDERERS: dict[tuple[int, int], Any] = {}


def render_clipped_faces(weights: np.ndarray, head: Any, size: int = 256) -> np.ndarray:
    """uint8 (N, size, size, 3) images of ``head`` with each weight row clipped into [0, 1],
    default identity.

    Unlike ``face.render.render_faces`` (a new renderer per call, weights as given), this keeps
    one offscreen renderer per head and size, so a notebook rendering many faces pays the GL
    context once, and it clips as the viewer's sliders do.
    """
    from emo3d_lib.face.identity import Identity
    from emo3d_lib.face.render import FaceRenderer

    rows = _clipped(weights)
    key = (id(head), size)
    if key not in _RENDERERS:
        _RENDERERS[key] = FaceRenderer(head, size)
    images = _RENDERERS[key].render(rows, [Identity.default()] * len(rows))
    return np.asarray(images, dtype=np.uint8)


def static_png(weights: Sequence[float] | np.ndarray, head: Any, size: int = 256) -> bytes:
    """PNG bytes of the face for readers without WebGL (same renderer as the dataset)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    image = render_clipped_faces(np.asarray(weights)[None], head, size)[0]
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()
