"""The built-in head: MediaPipe's canonical mesh, rigged, with eyes, mouth and painted skin.

Everything is generated from the Apache-2.0 mesh inside ``face_landmarker.task``, so the default
head needs no third-party art. Per-channel gains calibrated against MediaPipe's blendshape model
(``rig_gains.json``, written by ``emo3d_lib.face.calibrate``) scale the raw displacement fields.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from emo3d_lib.face import landmarks as lm
from emo3d_lib.face.canonical_mesh import canonical_mesh
from emo3d_lib.face.head import Head, MeshPart
from emo3d_lib.face.rig import (
    RigContext,
    build_skin_targets,
    cut_openings,
    geodesic,
    jaw_displacement,
    jaw_weights,
    mirror_map,
)
from emo3d_lib.schema import BLENDSHAPES

GAINS_FILE = "rig_gains.json"
CREDIT = ("Built-in head: MediaPipe canonical face mesh (Apache-2.0, Google), rigged and "
          "painted procedurally by emo3d_lib")
EYE_RADIUS = 1.2
#: a real iris (~11.7 mm) is taller than the lid opening, so the lids hide its top: FaceLandmarker
#: reads eyeWide from the sclera that appears above it (27 deg gave a half-size readout)
IRIS_ANGLE = np.radians(32.0)
PUPIL_ANGLE = np.radians(13.0)
GAZE_DEG = {"Up": 22.0, "Down": 22.0, "In": 28.0, "Out": 28.0}
TEX = 512
LOWER_LID = ((90, 60, 50), 4)  # colour and width (texels) of the lower lash line
SOCKET_SHADE = 0.85  # albedo factor in the eye sockets (1 = no shading)
#: neutral corrections of the canonical mesh (cm): lid opening, iris height, inner brow drop
NEUTRAL = {"lid_up": 0.15, "lid_down": 0.05, "iris_up": 0.1, "brow_in": 0.0, "lip_close": 0.37}


def _load_calibration() -> dict:
    try:
        text = resources.files("emo3d_lib.face").joinpath(GAINS_FILE).read_text()
    except FileNotFoundError:
        return {}
    return json.loads(text)


def load_gains() -> dict[str, float]:
    """Calibrated per-channel gains shipped with the package (1.0 where absent)."""
    return {k: float(v) for k, v in _load_calibration().get("gains", {}).items()}


def load_curves() -> dict[str, float]:
    """Calibrated per-channel response exponents (1.0 = linear where absent)."""
    return {k: float(v) for k, v in _load_calibration().get("curves", {}).items()}


def _neutral_correction(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Close the canonical mesh's half-open mouth and open its narrow eyes a little."""
    dist = geodesic(v, faces, list(range(len(v))))
    ctx = RigContext(v, faces, dist, mirror_map(v), np.zeros(len(v)))
    half = NEUTRAL["lip_close"] / 2
    a = {i: np.array([0.0, -half, 0.0]) for i in lm.LIPS_UPPER_INNER[1:-1]}
    a.update({i: np.array([0.0, half, 0.0]) for i in lm.LIPS_LOWER_INNER[1:-1]})
    a.update({i: np.zeros(3) for i in (lm.NOSE_TIP, 200)})
    delta = ctx.field(a, 0.45)
    for upper, lower in ((lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER),
                         (lm.RIGHT_EYE_UPPER, lm.RIGHT_EYE_LOWER)):
        e = {i: np.array([0.0, NEUTRAL["lid_up"], 0.05]) for i in upper[1:-1]}
        e.update({i: np.array([0.0, -NEUTRAL["lid_down"], 0.0]) for i in lower[1:-1]})
        e.update({i: np.zeros(3) for i in lm.LEFT_BROW_UPPER + lm.RIGHT_BROW_UPPER})
        delta += ctx.field(e, 0.5)
    inner = (107, 66, 55, 65, 336, 296, 285, 295)
    b = {i: np.array([0.0, -NEUTRAL["brow_in"], 0.0]) for i in inner}
    b.update({i: np.zeros(3) for i in (70, 46, 300, 276, 151, 6) + lm.LEFT_EYE_UPPER
              + lm.RIGHT_EYE_UPPER})
    delta += ctx.field(b, 1.2)
    return (v + delta).astype(np.float32)


def _paint_skin(uv: np.ndarray) -> np.ndarray:
    """Albedo in UV space: skin, brows, lips, lash lines, nostrils (default skin tone)."""
    skin = (224, 172, 140)
    img = Image.new("RGB", (TEX, TEX), skin)
    d = ImageDraw.Draw(img)

    def poly(ids):
        return [(float(uv[i, 0] * TEX), float(uv[i, 1] * TEX)) for i in ids]

    if SOCKET_SHADE < 1.0:  # soft shadow of the eye sockets: lids read against it
        mask = Image.new("L", (TEX, TEX), 0)
        md = ImageDraw.Draw(mask)
        for brow, upper, lower in ((lm.LEFT_BROW_LOWER, lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER),
                                   (lm.RIGHT_BROW_LOWER, lm.RIGHT_EYE_UPPER,
                                    lm.RIGHT_EYE_LOWER)):
            md.polygon(poly(brow + tuple(reversed(upper))), fill=255)
            md.line(poly(lower), fill=160, width=9)
        m = np.asarray(mask.filter(ImageFilter.GaussianBlur(7)), np.float32)[..., None] / 255
        base = np.asarray(img, np.float32) * (1 - (1 - SOCKET_SHADE) * m)
        img = Image.fromarray(base.astype(np.uint8))
        d = ImageDraw.Draw(img)
    lips = (196, 104, 100)
    d.polygon(poly(lm.LIPS_UPPER_OUTER + tuple(reversed(lm.LIPS_UPPER_INNER))), fill=lips)
    d.polygon(poly(lm.LIPS_LOWER_OUTER + tuple(reversed(lm.LIPS_LOWER_INNER))), fill=lips)
    for up, lo in ((lm.LEFT_BROW_UPPER, lm.LEFT_BROW_LOWER),
                   (lm.RIGHT_BROW_UPPER, lm.RIGHT_BROW_LOWER)):
        d.polygon(poly(up + tuple(reversed(lo))), fill=(70, 48, 36))
    for lid in (lm.LEFT_EYE_UPPER, lm.RIGHT_EYE_UPPER):
        d.line(poly(lid), fill=(40, 28, 24), width=5)
    for lid in (lm.LEFT_EYE_LOWER, lm.RIGHT_EYE_LOWER):
        d.line(poly(lid), fill=LOWER_LID[0], width=LOWER_LID[1])
    for nostril in ((98, 97, 2, 326, 327), ):  # a soft shadow under the nose tip
        d.line(poly(nostril), fill=(150, 100, 85), width=3)
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    return np.asarray(img, np.uint8).copy()


def _eye_texture() -> np.ndarray:
    """Equirectangular eyeball texture: rows = angle from the gaze axis (0 at the top)."""
    h, w = 256, 128
    theta = (np.arange(h) + 0.5) / h * np.pi
    phi = (np.arange(w) + 0.5) / w * 2 * np.pi
    t, p = np.meshgrid(theta, phi, indexing="ij")
    sclera = np.array([235, 230, 222], float)
    iris = np.array([92, 64, 40], float) * (0.8 + 0.25 * np.cos(p * 23))[..., None]
    img = np.where((t < IRIS_ANGLE)[..., None], iris, sclera)
    ring = (t > IRIS_ANGLE - 0.05) & (t < IRIS_ANGLE)
    img[ring] = (40, 30, 24)
    img[t < PUPIL_ANGLE] = (12, 10, 10)
    return np.clip(img, 0, 255).astype(np.uint8)


def _sphere(n_theta: int = 24, n_phi: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit sphere around +z (theta from +z), with uv = (phi / 2pi, theta / pi)."""
    verts, uvs = [], []
    for i in range(n_theta + 1):
        t = np.pi * i / n_theta
        for j in range(n_phi + 1):
            p = 2 * np.pi * j / n_phi
            verts.append((np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)))
            uvs.append((j / n_phi, i / n_theta))
    faces = []
    row = n_phi + 1
    for i in range(n_theta):
        for j in range(n_phi):
            a, b = i * row + j, i * row + j + 1
            c, d = a + row, b + row
            faces += [(a, c, b), (b, c, d)]
    return np.array(verts, np.float32), np.array(faces, np.int32), np.array(uvs, np.float32)


def _rotation(axis: str, deg: float) -> np.ndarray:
    t = np.radians(deg)
    c, s = np.cos(t), np.sin(t)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _eye_part(side: str, skin: np.ndarray, gains: dict[str, float]) -> MeshPart:
    """Eyeball behind one eye opening; eyeLook* channels turn it (iris landmarks ride on it)."""
    upper, lower = ((lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER) if side == "Left"
                    else (lm.RIGHT_EYE_UPPER, lm.RIGHT_EYE_LOWER))
    ring = skin[list(upper + lower)]
    center = ring.mean(0)
    center[1] += NEUTRAL["iris_up"]
    center[2] = ring[:, 2].max() - EYE_RADIUS + 0.05
    unit, faces, uv = _sphere()
    # iris landmarks: centre, then four points on the iris rim (+x, +y, -x, -y)
    st = np.sin(IRIS_ANGLE)
    extra = np.array([(0, 0, 1), (st, 0, np.cos(IRIS_ANGLE)), (0, st, np.cos(IRIS_ANGLE)),
                      (-st, 0, np.cos(IRIS_ANGLE)), (0, -st, np.cos(IRIS_ANGLE))], np.float32)
    local = np.concatenate([unit, extra]) * EYE_RADIUS
    uv = np.concatenate([uv, np.zeros((5, 2), np.float32)])
    verts = local + center
    targets = np.zeros((len(BLENDSHAPES), len(verts), 3), np.float32)
    sign = 1.0 if side == "Left" else -1.0  # subject's left eye looks "out" towards +x
    for direction, deg in GAZE_DEG.items():
        name = f"eyeLook{direction}{side}"
        if direction in ("Up", "Down"):
            rot = _rotation("x", -deg if direction == "Up" else deg)
        else:
            yaw = deg * (sign if direction == "Out" else -sign)
            rot = _rotation("y", yaw)
        targets[BLENDSHAPES.index(name)] = (local @ rot.T - local) * gains.get(name, 1.0)
    return MeshPart(name=f"eye{side}", vertices=verts.astype(np.float32), faces=faces,
                    uv=uv, texture=_eye_texture(), morph_targets=targets, shininess=0.6)


def _mouth_parts(skin: np.ndarray, gains: dict[str, float]) -> tuple[MeshPart, MeshPart]:
    """Dark mouth cavity and two rows of teeth; the lower half follows the jaw channels."""
    inner = skin[list(lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER)]
    cx, cy = 0.0, float(inner[:, 1].mean())
    zc = float(inner[:, 2].min())
    # cavity: an ellipsoidal cup opening towards the viewer
    unit, cfaces, _ = _sphere(12, 24)
    back = unit[:, 2] <= 0.15
    cav = unit * np.array([2.4, 1.9, 1.6]) + np.array([cx, cy - 0.5, zc - 0.2])
    keep_faces = cfaces[back[cfaces].all(1)]
    # teeth: curved strips following the inner lip arc, set back from the lips
    xs = np.linspace(-1.9, 1.9, 17)
    arc_x = skin[list(lm.LIPS_UPPER_INNER), 0]
    arc_z = skin[list(lm.LIPS_UPPER_INNER), 2]
    order = np.argsort(arc_x)
    zs = np.interp(xs, arc_x[order], arc_z[order]) - 0.45
    y_up = float(skin[list(lm.LIPS_UPPER_INNER), 1].mean())
    y_lo = float(skin[list(lm.LIPS_LOWER_INNER), 1].mean())
    teeth_v, teeth_f, teeth_c, lower_flag = [], [], [], []
    for top, bottom, is_lower in ((y_up + 0.35, y_up - 0.45, 0.0), (y_lo + 0.3, y_lo - 0.5, 1.0)):
        base = len(teeth_v)
        for k, (x, z) in enumerate(zip(xs, zs, strict=True)):
            shade = 0.88 if k % 2 else 0.95
            for y in (top, bottom):
                teeth_v.append((x, y, z))
                teeth_c.append((shade, shade * 0.97, shade * 0.9))
                lower_flag.append(is_lower)
        for k in range(len(xs) - 1):
            a = base + 2 * k
            teeth_f += [(a, a + 1, a + 2), (a + 2, a + 1, a + 3)]
    teeth_v = np.array(teeth_v, np.float32)
    lower = np.array(lower_flag)
    cav_w = np.clip((cy - cav[:, 1]) / 1.5 + 0.5, 0.0, 1.0)

    def jaw_targets(points: np.ndarray, weight: np.ndarray) -> np.ndarray:
        t = np.zeros((len(BLENDSHAPES), len(points), 3), np.float32)
        for name, rot, shift in (("jawOpen", 14.0, (0, 0, 0)), ("jawLeft", 0.0, (0.8, 0, 0)),
                                 ("jawRight", 0.0, (-0.8, 0, 0)),
                                 ("jawForward", 0.0, (0, 0, 0.7))):
            t[BLENDSHAPES.index(name)] = jaw_displacement(points, weight, rot, shift) * gains.get(
                name, 1.0)
        return t

    cavity = MeshPart("mouthCavity", cav.astype(np.float32), keep_faces,
                      colors=np.tile(np.array([[0.22, 0.06, 0.07]], np.float32), (len(cav), 1)),
                      morph_targets=jaw_targets(cav, cav_w))
    teeth = MeshPart("teeth", teeth_v, np.array(teeth_f, np.int32),
                     colors=np.array(teeth_c, np.float32),
                     morph_targets=jaw_targets(teeth_v, lower.astype(float)), shininess=0.3)
    return cavity, teeth


def skin_context() -> RigContext:
    """The rig's view of the skin: the neutral-corrected canonical mesh, cut open at the mouth
    and eyes, with its geodesic distances (what every displacement field is spread over)."""
    mesh = canonical_mesh()
    faces = cut_openings(mesh.vertices, mesh.faces)
    v = _neutral_correction(mesh.vertices, faces)
    dist = geodesic(v, faces, list(range(len(v))))
    return RigContext(v, faces, dist, mirror_map(v), jaw_weights(v, dist))


def build_builtin_head(gains: dict[str, float] | None = None,
                       curves: dict[str, float] | None = None) -> Head:
    """Assemble the built-in head; ``gains``/``curves`` override the calibrated ones."""
    mesh = canonical_mesh()
    gains = load_gains() if gains is None else gains
    curves = load_curves() if curves is None else curves
    ctx = skin_context()
    v, faces = ctx.vertices, ctx.faces
    targets = build_skin_targets(ctx)
    scale = np.array([gains.get(n, 1.0) for n in BLENDSHAPES], np.float32)
    targets *= scale[:, None, None]
    skin = MeshPart("skin", v, faces, uv=mesh.uv, texture=_paint_skin(mesh.uv),
                    morph_targets=targets, tinted=True, shininess=0.08)
    eye_l, eye_r = _eye_part("Left", v, gains), _eye_part("Right", v, gains)
    cavity, teeth = _mouth_parts(v, gains)
    parts = (skin, eye_l, eye_r, cavity, teeth)
    refs = np.zeros((lm.N_LANDMARKS, 2), np.int32)
    refs[:468, 1] = np.arange(468)
    n_eye = len(eye_r.vertices) - 5
    refs[468:473] = [(2, n_eye + k) for k in range(5)]  # right iris on eyeRight (part 2)
    refs[473:478] = [(1, n_eye + k) for k in range(5)]  # left iris on eyeLeft (part 1)
    lo, hi = v.min(0), v.max(0)
    curve = np.array([curves.get(n, 1.0) for n in BLENDSHAPES], np.float32)
    return Head(name="builtin", parts=parts, credit=CREDIT, landmark_refs=refs, curve=curve,
                face_center=((lo + hi) / 2).astype(np.float32), face_height=float(hi[1] - lo[1]))
