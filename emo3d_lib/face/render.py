"""Blendshape vectors -> images of a head: offscreen OpenGL (EGL, moderngl) or pure numpy.

EGL runs on Mesa llvmpipe without a display or GPU (and on a GPU when there is one). A GL
context belongs to one process, so a ``FaceRenderer`` creates its context lazily on first use:
build one per worker process (the dataset's process pool does) and never pass it to another.
The numpy z-buffer backend draws the same scene, slower, where EGL is missing.
"""

from __future__ import annotations

import os

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face import scene
from emo3d_lib.face.head import DEFAULT_HEAD, Head, cached_for, check_weights
from emo3d_lib.face.heads import load_head
from emo3d_lib.face.identity import DEFAULT_SKIN, Identity

BACKENDS = ("auto", "egl", "numpy")
#: pid of the process that created an EGL context. Mesa's EGL hangs in a *forked* child of a
#: process that already made one, so such a child gets a clear error instead of a deadlock.
_GL_PID: int | None = None

#: the upper lid's shadow on the eyeball (``MeshPart.lid``): darkest at the lid margin
#: (``LID_DARK``: the light that still reaches it) fading to none ``LID_BAND`` head units
#: (cm on the ICT head) below it; up to ``MAX_LID`` margin points per eye. On the rig check's
#: calibration vectors (seed 12345, 300) 0.6 / 0.3 read as no shadow did (mean r 0.548 both);
#: darker and wider (0.8 / 0.5) cost eyeBlink and eyeWide ~0.01-0.02
LID_DARK, LID_BAND, MAX_LID = 0.6, 0.3, 32

_VERT = """
#version 330
uniform mat4 mvp;
in vec3 in_pos; in vec3 in_normal; in vec3 in_color; in vec2 in_uv;
out vec3 v_pos; out vec3 v_normal; out vec3 v_color; out vec2 v_uv;
void main() {
    v_pos = in_pos; v_normal = in_normal; v_color = in_color; v_uv = in_uv;
    gl_Position = mvp * vec4(in_pos, 1.0);
}
"""
_FRAG = """
#version 330
uniform sampler2D tex; uniform bool use_tex; uniform vec3 tint;
uniform vec3 light_dir; uniform float light; uniform float ambient; uniform float shininess;
uniform vec3 eye;
uniform int n_lid; uniform vec2 lid[MAX_LID]; uniform float lid_band; uniform float lid_dark;
in vec3 v_pos; in vec3 v_normal; in vec3 v_color; in vec2 v_uv;
out vec4 f_color;
// an eyeball under its upper lid (a polyline in the image plane, ordered by x): the lid and
// lashes shade the eyeball just below their edge, fading over lid_band
float lid_shade() {
    if (n_lid < 2) return 1.0;
    float best = 1e9; bool above = false;
    for (int i = 0; i < n_lid - 1; ++i) {
        vec2 a = lid[i], ab = lid[i + 1] - lid[i], p = v_pos.xy - a;
        float t = clamp(dot(p, ab) / max(dot(ab, ab), 1e-12), 0.0, 1.0);
        float d = length(p - t * ab);
        if (d < best) { best = d; above = ab.x * p.y - ab.y * p.x > 0.0; }
    }
    if (above) best = 0.0;
    return 1.0 - lid_dark * (1.0 - smoothstep(0.0, lid_band, best));
}
void main() {
    vec3 albedo = v_color * tint;
    if (use_tex) albedo *= texture(tex, v_uv).rgb;
    vec3 n = normalize(v_normal);
    vec3 l = normalize(light_dir);
    float diff = max(dot(n, l), 0.0);
    vec3 h = normalize(l + normalize(eye - v_pos));
    float spec = shininess * pow(max(dot(n, h), 0.0), 40.0);
    f_color = vec4((albedo * (ambient + light * diff) + vec3(spec)) * lid_shade(), 1.0);
}
""".replace("MAX_LID", str(MAX_LID))


def _shade_params(part, ident: Identity, wv: np.ndarray, wn: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(per-vertex base colour, crease shadow included, and tint) for a posed part under an
    identity."""
    colors = part.colors if part.colors is not None else np.ones((len(part.vertices), 3),
                                                                  np.float32)
    tint = (np.asarray(ident.skin_tone, np.float32) / np.asarray(DEFAULT_SKIN, np.float32)
            if part.tinted else np.ones(3, np.float32))
    crease = crease_light(part, wv, wn)
    return (colors if crease is None else colors * crease).astype(np.float32), tint


#: creases (``MeshPart.crease``): mean curvature (1/world unit, concave > 0) of a fold that
#: starts to shade and of one fully shaded; smoothed over two rings of neighbours. Costs ~3 ms
#: a frame on the ICT skin (sparse products on the CPU; measured on a loaded machine)
CREASE_FROM, CREASE_FULL = 0.1, 0.8
_NEIGHBOURS: dict = {}


def crease_light(part, wv: np.ndarray, wn: np.ndarray) -> np.ndarray | None:
    """(V, 1) light factor of a part's vertices in concave folds (nasolabial fold, eye socket,
    lip corners, under the brow), from the posed mesh's mean curvature, or None (no creases).
    A cavity term: the light a real fold's walls keep from its floor, which moves with it."""
    if not np.any(part.crease):
        return None

    def compute():
        from scipy.sparse import csr_matrix

        f = part.faces
        rows, cols = f.reshape(-1), f[:, [1, 2, 0]].reshape(-1)  # each triangle's edges
        m = csr_matrix((np.ones(2 * len(rows), np.float32), (np.r_[rows, cols], np.r_[cols, rows])),
                       shape=(len(wv), len(wv)))
        m.data[:] = 1.0
        return csr_matrix(m.multiply(1.0 / np.maximum(np.asarray(m.sum(1)), 1.0)))

    a = cached_for(_NEIGHBOURS, part.faces, compute, len(wv))
    mean = a @ wv
    h = ((mean - wv) * wn).sum(1)
    spread = np.maximum(a @ (wv * wv).sum(1) - 2 * (wv * mean).sum(1) + (wv * wv).sum(1), 1e-9)
    k = a @ (a @ (h / spread))
    x = np.clip((k - CREASE_FROM) / (CREASE_FULL - CREASE_FROM), 0, 1)
    return (1.0 - np.asarray(part.crease, np.float32) * x)[:, None].astype(np.float32)


def _lid_line(part, posed) -> np.ndarray:
    """(K, 2) world x/y of the upper lid margin over an eyeball ``part`` (empty if none)."""
    if part.lid is None:
        return np.zeros((0, 2), np.float32)
    line = posed[0][1][part.lid[:MAX_LID], :2]
    return line[np.argsort(line[:, 0])]


def lid_shade(pos: np.ndarray, line: np.ndarray, band: float) -> np.ndarray:
    """(N,) light factor of points ``pos`` (N, >=2) on an eyeball under the lid ``line``
    (K, 2): the fragment shader's ``lid_shade`` in numpy."""
    if len(line) < 2:
        return np.ones(len(pos), np.float32)
    a, ab = line[:-1], np.diff(line, axis=0)
    p = pos[:, None, :2] - a[None]
    t = np.clip((p * ab).sum(2) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
    d = np.linalg.norm(p - t[..., None] * ab, axis=2)
    k = d.argmin(1)
    pk, abk = p[np.arange(len(pos)), k], ab[k]
    best = np.where(abk[:, 0] * pk[:, 1] - abk[:, 1] * pk[:, 0] > 0, 0.0,
                    d[np.arange(len(pos)), k])
    x = np.clip(best / band, 0, 1)
    return (1.0 - LID_DARK * (1.0 - x * x * (3 - 2 * x))).astype(np.float32)


def _load_torchvision_before_egl() -> None:
    """Import torchvision (if installed) before Mesa's EGL driver loads.

    Importing torchvision (or ``torch._inductor``, which ``torch.use_deterministic_algorithms``
    pulls in) *after* an llvmpipe EGL context exists segfaults the process: their native
    libraries clash with the LLVM that Mesa loaded. Loading them first is safe, and model code
    imports them after rendering (kernels that show faces, then train), so the renderer pays once.
    """
    import importlib.util

    if importlib.util.find_spec("torchvision") is not None:
        import torchvision  # noqa: F401


class _Stream:
    """A vertex buffer of ``width`` floats per vertex, filled from column blocks through one
    reused float32 array (no per-frame concatenation or ``tobytes`` copy)."""

    def __init__(self, ctx, n_vertices: int, width: int) -> None:
        self.array = np.zeros((n_vertices, width), np.float32)
        self.buffer = ctx.buffer(self.array, dynamic=True)
        self._fresh = False

    def write(self, *blocks: np.ndarray, only_if_changed: bool = False) -> None:
        edges = np.cumsum([0] + [b.shape[1] for b in blocks])
        views = [self.array[:, a:e] for a, e in zip(edges[:-1], edges[1:], strict=True)]
        if only_if_changed and self._fresh and all(
                np.array_equal(v, b) for v, b in zip(views, blocks, strict=True)):
            return
        for v, b in zip(views, blocks, strict=True):
            v[:] = b
        self.buffer.write(self.array)
        self._fresh = True


class _GLBackend:
    """moderngl standalone EGL context with a 4x multisampled framebuffer."""

    def __init__(self, head: Head, size: int, preload_torch: bool = True) -> None:
        import moderngl

        if preload_torch:
            _load_torchvision_before_egl()
        global _GL_PID
        if _GL_PID is not None and os.getpid() != _GL_PID:
            raise Emo3DError(
                f"an EGL context was created in parent process {_GL_PID} before this process "
                "was forked; EGL would hang here. Start workers with the 'spawn' method (or "
                "render nothing in the parent before forking).")
        try:
            self.ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as err:  # no libEGL / no driver
            raise Emo3DError(f"EGL context failed ({err}); use backend='numpy'") from err
        _GL_PID = os.getpid()
        self.size = size
        self.face_height = head.face_height
        ctx = self.ctx
        self.prog = ctx.program(vertex_shader=_VERT, fragment_shader=_FRAG)
        samples = min(head.msaa, ctx.max_samples)
        self.fbo = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer((size, size), 4, samples=samples)],
            depth_attachment=ctx.depth_renderbuffer((size, size), samples=samples))
        self.resolve = ctx.framebuffer(color_attachments=[ctx.renderbuffer((size, size), 4)])
        self.parts = []
        for part in head.parts:
            nv = len(part.vertices)
            # per frame only positions and normals change: they stream through one buffer,
            # packed in place; colours and uv sit in buffers rewritten only when they change
            vbo = _Stream(ctx, nv, 6)
            colors = _Stream(ctx, nv, 3)
            uv = part.uv if part.uv is not None else np.zeros((nv, 2), np.float32)
            uv_buf = ctx.buffer(np.ascontiguousarray(uv, np.float32))
            ibo = ctx.buffer(part.faces.astype(np.int32).tobytes())
            vao = ctx.vertex_array(self.prog, [(vbo.buffer, "3f 3f", "in_pos", "in_normal"),
                                               (colors.buffer, "3f", "in_color"),
                                               (uv_buf, "2f", "in_uv")], index_buffer=ibo)
            tex = None
            if part.texture is not None:
                t = np.ascontiguousarray(part.texture)
                tex = ctx.texture((t.shape[1], t.shape[0]), 3, t.tobytes())
                tex.build_mipmaps()
                tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
            self.parts.append((vbo, colors, vao, tex))

    def draw(self, posed, ident: Identity, mvp: np.ndarray, dist: float) -> np.ndarray:
        ctx, prog = self.ctx, self.prog
        self.fbo.use()
        ctx.enable(ctx.DEPTH_TEST)
        self.fbo.clear(*ident.background, 1.0, depth=1.0)
        prog["mvp"].write(np.ascontiguousarray(mvp.T).astype("f4").tobytes())
        prog["light_dir"].value = tuple(ident.light_dir)
        prog["light"].value = ident.light
        prog["ambient"].value = ident.ambient
        prog["eye"].value = (0.0, 0.0, dist)
        band = LID_BAND * scene.CANON_HEIGHT / self.face_height
        for (part, wv, wn), (vbo, color_buf, vao, tex) in zip(posed, self.parts, strict=True):
            colors, tint = _shade_params(part, ident, wv, wn)
            lid = _lid_line(part, posed)
            prog["n_lid"].value = len(lid)
            if len(lid):
                pts = np.zeros((MAX_LID, 2), np.float32)
                pts[:len(lid)] = lid
                prog["lid"].write(pts.tobytes())
                prog["lid_band"].value = band
                prog["lid_dark"].value = LID_DARK
            vbo.write(wv, wn)
            color_buf.write(colors, only_if_changed=True)
            if part.cull_back:
                ctx.enable(ctx.CULL_FACE)
            else:
                ctx.disable(ctx.CULL_FACE)
            prog["tint"].value = tuple(tint)
            prog["shininess"].value = part.shininess
            prog["use_tex"].value = tex is not None
            if tex is not None:
                tex.use(0)
                prog["tex"].value = 0
            vao.render()
        ctx.copy_framebuffer(self.resolve, self.fbo)
        raw = self.resolve.read(components=3, alignment=1)
        img = np.frombuffer(raw, np.uint8).reshape(self.size, self.size, 3)
        return img[::-1].copy()  # GL rows run bottom-up


class _NumpyBackend:
    """Per-pixel z-buffer rasterizer with the same shading (Phong, textures), no GL needed."""

    def __init__(self, head: Head, size: int) -> None:
        self.size = size
        self.face_height = head.face_height

    def draw(self, posed, ident: Identity, mvp: np.ndarray, dist: float) -> np.ndarray:
        s = self.size
        img = np.empty((s, s, 3), np.float32)
        img[:] = ident.background
        zbuf = np.full((s, s), np.inf, np.float32)
        light = np.asarray(ident.light_dir, np.float32)
        light = light / np.linalg.norm(light)
        eye = np.array([0.0, 0.0, dist], np.float32)
        band = LID_BAND * scene.CANON_HEIGHT / self.face_height
        for part, wv, wn in posed:
            colors, tint = _shade_params(part, ident, wv, wn)
            lid = _lid_line(part, posed)
            scr = scene.project(wv, mvp, s)
            uv = part.uv if part.uv is not None else np.zeros((len(wv), 2), np.float32)
            tex = part.texture
            for f in part.faces:
                p = scr[f]
                x0 = int(max(np.floor(p[:, 0].min()), 0))
                x1 = int(min(np.ceil(p[:, 0].max()), s - 1))
                y0 = int(max(np.floor(p[:, 1].min()), 0))
                y1 = int(min(np.ceil(p[:, 1].max()), s - 1))
                if x1 < x0 or y1 < y0:
                    continue
                den = (p[1, 1] - p[2, 1]) * (p[0, 0] - p[2, 0]) + (p[2, 0] - p[1, 0]) * (
                    p[0, 1] - p[2, 1])
                if abs(den) < 1e-9:
                    continue
                xs, ys = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
                dx, dy = xs - p[2, 0], ys - p[2, 1]
                a = ((p[1, 1] - p[2, 1]) * dx + (p[2, 0] - p[1, 0]) * dy) / den
                b = ((p[2, 1] - p[0, 1]) * dx + (p[0, 0] - p[2, 0]) * dy) / den
                c = 1 - a - b
                inside = (a >= 0) & (b >= 0) & (c >= 0)
                if not inside.any():
                    continue
                bary = np.stack([a[inside], b[inside], c[inside]], 1)
                z = bary @ p[:, 2]
                yy = (ys[inside] - 0.5).astype(int)
                xx = (xs[inside] - 0.5).astype(int)
                front = z < zbuf[yy, xx]
                if not front.any():
                    continue
                bary, z, yy, xx = bary[front], z[front], yy[front], xx[front]
                zbuf[yy, xx] = z
                albedo = (bary @ colors[f]) * tint
                if tex is not None:
                    t_uv = bary @ uv[f]
                    ty = np.clip((t_uv[:, 1] * tex.shape[0]).astype(int), 0, tex.shape[0] - 1)
                    tx = np.clip((t_uv[:, 0] * tex.shape[1]).astype(int), 0, tex.shape[1] - 1)
                    albedo = albedo * tex[ty, tx] / 255.0
                n = bary @ wn[f]
                n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
                pos = bary @ wv[f]
                hvec = light + (eye - pos) / np.linalg.norm(eye - pos, axis=1, keepdims=True)
                hvec /= np.linalg.norm(hvec, axis=1, keepdims=True)
                diff = np.clip(n @ light, 0, None)[:, None]
                spec = part.shininess * np.clip((n * hvec).sum(1), 0, None)[:, None] ** 40
                img[yy, xx] = (albedo * (ident.ambient + ident.light * diff) + spec) * \
                    lid_shade(pos, lid, band)[:, None]
        return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


class FaceRenderer:
    """Render batches of 52-d blendshape vectors for one head at ``size`` x ``size`` px.

    ``backend``: "auto" (EGL, else numpy), "egl" or "numpy". The GL context is created on the
    first ``render`` call, in the calling process. ``$EMO3D_RENDER_BACKEND`` overrides "auto".
    ``preload_torch=False`` skips importing torchvision before the context (~3 s of CPU): only
    for a process that will never import model code, such as a dataset pool worker.
    """

    def __init__(self, head: Head | str = DEFAULT_HEAD, size: int = 256,
                 backend: str = "auto", *, preload_torch: bool = True) -> None:
        if backend not in BACKENDS:
            raise Emo3DError(f"backend {backend!r} is not one of {BACKENDS}")
        if not isinstance(size, int) or not 16 <= size <= 4096:
            raise Emo3DError(f"size must be an int in 16..4096, got {size!r}")
        self.head = load_head(head) if isinstance(head, str) else head
        self.size = size
        self.requested = os.environ.get("EMO3D_RENDER_BACKEND", backend) if backend == "auto" \
            else backend
        self.preload_torch = preload_torch
        self._impl: _GLBackend | _NumpyBackend | None = None
        self._pid: int | None = None

    @property
    def backend(self) -> str:
        """The backend in use ("egl" or "numpy"), creating it if needed."""
        return "egl" if isinstance(self._ensure(), _GLBackend) else "numpy"

    def _ensure(self) -> _GLBackend | _NumpyBackend:
        if self._impl is None or self._pid != os.getpid():  # a forked copy needs its own context
            if self.requested in ("auto", "egl"):
                try:
                    self._impl = _GLBackend(self.head, self.size, self.preload_torch)
                except Emo3DError as err:
                    if self.requested == "egl" or "forked" in str(err):
                        raise
                    self._impl = _NumpyBackend(self.head, self.size)
            else:
                self._impl = _NumpyBackend(self.head, self.size)
            self._pid = os.getpid()
        return self._impl

    def render(self, weights: np.ndarray, identities: list[Identity] | None = None
               ) -> np.ndarray:
        """uint8 (N, size, size, 3) images; ``identities`` default to ``Identity.default()``."""
        w = check_weights(weights)
        if identities is None:
            identities = [Identity.default()] * len(w)
        if len(identities) != len(w):
            raise Emo3DError(f"identities: got {len(identities)} for {len(w)} weight vectors")
        impl = self._ensure()
        out = np.empty((len(w), self.size, self.size, 3), np.uint8)
        for i, (wi, ident) in enumerate(zip(w, identities, strict=True)):
            mvp, dist = scene.camera(ident, self.size)
            out[i] = impl.draw(scene.posed_parts(self.head, wi, ident), ident, mvp, dist)
        return out

    def close(self) -> None:
        """Release the GL context (a new one is made if ``render`` is called again)."""
        if isinstance(self._impl, _GLBackend):
            self._impl.ctx.release()
        self._impl = None

    def __enter__(self) -> FaceRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def landmarks(self, weights: np.ndarray, identities: list[Identity] | None = None
                  ) -> np.ndarray:
        """(N, 478, 2) pixel positions of the true landmarks in the images ``render`` makes."""
        w = check_weights(weights)
        identities = identities or [Identity.default()] * len(w)
        return np.stack([scene.landmarks_px(self.head, wi, ident, self.size)
                         for wi, ident in zip(w, identities, strict=True)])


def render_faces(weights: np.ndarray, head: str | Head = DEFAULT_HEAD, size: int = 256,
                 identities: list[Identity] | None = None, backend: str = "auto") -> np.ndarray:
    """One-shot convenience: uint8 (N, size, size, 3) images of ``weights`` (N, 52)."""
    return FaceRenderer(head, size=size, backend=backend).render(weights, identities)
