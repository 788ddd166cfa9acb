"""The ICT head: the ICT Face Model (USC ICT, MIT) as a ``Head``, painted and rigged.

The compact asset ``assets/ict_head.npz`` (built by ``scripts/build_ict_asset.py`` from the
upstream ICT-FaceKit arrays) holds the neutral mesh, 53 sparse expression shapes and the first
identity shapes. This module turns it into drawable parts:

- ``skin``: face, back of head, neck, eye sockets and mouth socket, with procedural paint
  (skin, lips, eyebrows, a short hair cap, a dark mouth socket), tinted by the skin tone;
- ``mouth``: gums, tongue and teeth, darker the further back (a cheap stand-in for occlusion);
- ``eyeLeft`` / ``eyeRight``: sclera (its corneal cap removed so the iris shows) and the iris
  ball (painted white / iris / dark pupil), turned rigidly about the eyeball centre for gaze;
the renderer shades each eyeball under its upper lid (``MeshPart.lid``: the lid margin's
vertices) and the skin in its creases (``MeshPart.crease``, faded out around the eyes).
The eye effect meshes (lacrimal fluid, eye blend, eye occlusion) are not in the asset; the
eyelash cards (meant for alpha-textured strands) would draw as black bands and are left out.

Channel mapping (ICT's 53 shapes -> the 52 ``BLENDSHAPES``): ``X_L`` / ``X_R`` -> ``XLeft`` /
``XRight`` (subject's left = +x, as MediaPipe); ``browInnerUp`` = ``browInnerUp_L`` +
``browInnerUp_R``; ``cheekPuff`` = ``cheekPuff_L`` + ``cheekPuff_R``; ``jaw*``, ``mouthClose``,
``mouthFunnel``, ``mouthPucker``, ``mouthLeft/Right``, ``mouthRoll*``, ``mouthShrug*`` keep their
names; ``_neutral`` has no shape (zero). There is no ``tongueOut`` in either set. (The asset's
README mentions ``cheekRaiser`` and ``PupilDilate``; the repacked arrays do not contain them.)
The upstream ``eyeLook*`` shapes move only the lids; the eyeballs turn by ``GAZE_DEG`` on top.

Per-channel gains and response exponents (``ict_calibration.json``) and the MediaPipe landmark
correspondence (``ict_landmarks.json``) are produced by ``python -m emo3d_lib.face.ict_fit``.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import Head, MeshPart
from emo3d_lib.face.identity import DEFAULT_SKIN
from emo3d_lib.schema import BLENDSHAPES

ASSET = "assets/ict_head.npz"
CALIBRATION_FILE = "ict_calibration.json"
LANDMARKS_FILE = "ict_landmarks.json"
CREDIT = ("ICT head: ICT Face Model (ICT-FaceKit, USC Institute for Creative Technologies, "
          "MIT license; Li et al., CVPR 2020), painted and rigged by emo3d_lib")
#: gaze angles (degrees) at weight 1; ARKit's eyeLook range is roughly +-25-30 deg
GAZE_DEG = {"Up": 25.0, "Down": 25.0, "In": 30.0, "Out": 30.0}
IRIS_DEG = 27.0  # iris half-angle seen from the eyeball centre
PUPIL_DEG = 10.0
CORNEA_DEG = 30.0  # sclera triangles nearer the gaze axis than this are the clear cornea
EYE_BACK_DEG = 110.0  # sclera triangles further than this from the gaze axis are never seen
# Vertex ranges of the upstream mesh (source indices), from the ICT-FaceKit README.
FACE_END, HEAD_END, MOUTH_SOCKET_END, EYE_SOCKET_END = 9409, 11248, 13294, 14062
TEETH_START, TEETH_END = 17039, 21451
#: Multi-PIE 68-point landmark vertices (upstream README), 0-based source indices
MULTIPIE68 = (
    1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088,
    3443, 268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140,
    2075, 1147, 4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725,
    3732, 5708, 5695, 2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533,
    6216, 6207, 6470, 5517, 5966)
#: how far (cm) the painted brows sit below the Multi-PIE brow landmarks (on the brows' top
#: edge); placed so that FaceLandmarker reads the neutral face's brows as at rest
BROW_DROP = 0.8
SKIN = np.asarray(DEFAULT_SKIN, np.float32)
LIP = np.array([0.72, 0.40, 0.38], np.float32)
BROW = np.array([0.20, 0.14, 0.10], np.float32)
LASH = np.array([0.10, 0.07, 0.06], np.float32)
LASH_CM = 0.2  # lid skin within this of the eyeball surface is the lash line
EYE_RADIUS = 1.75  # eyeball radius (cm) around the fitted centre, corneal bulge included
HAIR = np.array([0.16, 0.12, 0.09], np.float32)
SOCKET = np.array([0.30, 0.10, 0.10], np.float32)
#: the skin's crease shadow (``MeshPart.crease``): the light the deepest fold loses, and how far
#: (cm) beyond the eyeball it fades in. Chosen on the rig check's calibration vectors (seed
#: 12345, 300): a fold term up to 0.5 lifted browDown and mouthStretch by ~0.01-0.04 r; on the
#: lids it cost eyeWide as much (0.44-0.48 at 0.7 without the fade, 0.51-0.55 with it)
CREASE, CREASE_EYE_CM = 0.5, 0.6
BROW_MIX = 0.85  # how far the painted brows go to BROW (0.95 read the same on the rig check)
MSAA = 0  # multisampling off: the dense scan is slow to draw with it


def channel_of(ict_name: str) -> str:
    """The ``BLENDSHAPES`` channel an ICT expression shape drives."""
    if ict_name in ("browInnerUp_L", "browInnerUp_R", "cheekPuff_L", "cheekPuff_R"):
        return ict_name[:-2]
    if ict_name.endswith("_L"):
        return ict_name[:-2] + "Left"
    if ict_name.endswith("_R"):
        return ict_name[:-2] + "Right"
    return ict_name


def load_asset() -> dict[str, np.ndarray]:
    """The compact asset's arrays (see ``scripts/build_ict_asset.py``)."""
    ref = resources.files("emo3d_lib.face").joinpath(ASSET)
    try:
        with ref.open("rb") as fh, np.load(fh) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError as err:
        raise Emo3DError(f"ICT head asset missing: {ref} (run scripts/build_ict_asset.py)"
                         ) from err


def _package_json(name: str) -> dict:
    try:
        return json.loads(resources.files("emo3d_lib.face").joinpath(name).read_text())
    except FileNotFoundError:
        return {}


def dense_expressions(a: dict[str, np.ndarray], gains: dict[str, float]) -> np.ndarray:
    """(52, V, 3) float32 morph targets in ``BLENDSHAPES`` order, channel gains applied."""
    out = np.zeros((len(BLENDSHAPES), len(a["vertices"]), 3), np.float32)
    ends = np.cumsum(a["expression_count"])
    for k, name in enumerate(a["expression_names"]):
        ch = channel_of(str(name))
        sl = slice(ends[k] - a["expression_count"][k], ends[k])
        out[BLENDSHAPES.index(ch), a["expression_index"][sl]] += (
            a["expression_delta"][sl].astype(np.float32) * gains.get(ch, 1.0))
    return out


def _rot(yaw: float, pitch: float) -> np.ndarray:
    """Rotation turning +z towards +x by ``yaw`` and towards +y by ``pitch`` (degrees)."""
    y, p = np.radians(yaw), np.radians(pitch)
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    return ry @ rx


def gaze_table(side: str) -> np.ndarray:
    """(52, 2) yaw/pitch degrees per channel for one eye (``side`` = "Left" / "Right")."""
    g = np.zeros((len(BLENDSHAPES), 2), np.float32)
    out_sign = 1.0 if side == "Left" else -1.0  # the subject's left eye looks out towards +x
    g[BLENDSHAPES.index(f"eyeLookOut{side}"), 0] = out_sign * GAZE_DEG["Out"]
    g[BLENDSHAPES.index(f"eyeLookIn{side}"), 0] = -out_sign * GAZE_DEG["In"]
    g[BLENDSHAPES.index(f"eyeLookUp{side}"), 1] = GAZE_DEG["Up"]
    g[BLENDSHAPES.index(f"eyeLookDown{side}"), 1] = -GAZE_DEG["Down"]
    return g


def _sphere_centre(p: np.ndarray) -> np.ndarray:
    """Least-squares sphere centre of points ``p`` (N, 3)."""
    a = np.concatenate([2 * p, np.ones((len(p), 1))], 1)
    sol, *_ = np.linalg.lstsq(a, (p**2).sum(1), rcond=None)
    return sol[:3]


def _inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd test: which 2D ``points`` lie inside the closed ``polygon``."""
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = ((y0 > y) != (y1 > y)) & (x < x0 + (y - y0) * (x1 - x0) / (y1 - y0 + 1e-12))
    return crosses.sum(1) % 2 == 1


def _skin_colors(v: np.ndarray, src: np.ndarray, eye_centres: list[np.ndarray]
                 ) -> np.ndarray:
    """Per-vertex albedo of the skin part (relative to ``DEFAULT_SKIN``, which tint scales)."""
    lm68 = v[np.searchsorted(src, MULTIPIE68)]
    col = np.tile(SKIN, (len(v), 1))
    face = src < FACE_END
    brow_y = (lm68[19, 1] + lm68[24, 1]) / 2
    # lips: inside the outer lip contour (landmarks 48-59), on the front of the face
    lips = _inside(v[:, :2], lm68[48:60, :2])
    lips &= face & (v[:, 2] > lm68[48:60, 2].min() - 1.0)
    col[lips] = LIP
    # eyebrows: a band above each Multi-PIE brow polyline (17-21 right, 22-26 left), tapered
    for brow in (lm68[17:22], lm68[22:27]):
        inner_first = brow if abs(brow[0, 0]) < abs(brow[-1, 0]) else brow[::-1]
        pts = np.linspace(0, 1, 40)
        t = np.linspace(0, 1, len(brow))
        line = np.stack([np.interp(pts, t, inner_first[:, j]) for j in range(3)], 1)
        line[:, 1] -= BROW_DROP
        d = np.linalg.norm(v[:, None, :2] - line[None, :, :2], axis=2)
        near = d.argmin(1)
        dist = d[np.arange(len(v)), near]
        half = np.where(pts[near] > 0.75, 0.55 - (pts[near] - 0.75) * 1.4, 0.55)
        strength = np.clip((half - dist) / 0.25, 0, 1)
        strength *= face & (np.abs(v[:, 2] - line[near, 2]) < 1.5)
        strength *= (v[:, 1] > line[near, 1] - 0.7)
        col = col * (1 - strength[:, None] * BROW_MIX) + BROW * (strength[:, None] * BROW_MIX)
    # hair cap: above a hairline ~5 cm over the brows at the front, dropping towards the nape
    z_front = float(lm68[27, 2])  # nose bridge depth
    back = np.clip((z_front - 2.0 - v[:, 2]) / 10.0, 0, 1)  # 0 at the forehead, 1 at the nape
    line = brow_y + 4.8 - 9.0 * back
    ears = (np.abs(v[:, 0]) > 6.8) & (v[:, 1] < brow_y + 1.0) & (v[:, 2] > -4.0)
    soft = np.clip((v[:, 1] - line) / 0.9, 0, 1) * ~ears * (src < HEAD_END)
    col = col * (1 - soft[:, None]) + HAIR * soft[:, None]
    # lash lines: face vertices resting on the eyeball (the lid margins) are painted dark,
    # strongly on the upper lid, lightly on the lower one
    for centre in eye_centres:
        r = np.linalg.norm(v - centre, axis=1)
        margin = face & (v[:, 2] > centre[2]) & (r < EYE_RADIUS + LASH_CM)
        k = np.clip((EYE_RADIUS + LASH_CM - r) / LASH_CM, 0, 1) * margin
        k *= np.where(v[:, 1] > centre[1], 0.9, 0.4)
        col = col * (1 - k[:, None]) + LASH * k[:, None]
    # mouth socket dark red; eye sockets a little darker than the skin
    sock = (src >= HEAD_END) & (src < MOUTH_SOCKET_END)
    col[sock] = SOCKET
    col[(src >= MOUTH_SOCKET_END) & (src < EYE_SOCKET_END)] *= 0.7
    return col.astype(np.float32)


def _away_from_eyes(v: np.ndarray, eye_centres: list[np.ndarray]) -> np.ndarray:
    """(V,) 0 on the lids around the eyeballs, 1 from ``CREASE_EYE_CM`` further out."""
    d = np.min([np.linalg.norm(v - c, axis=1) for c in eye_centres], axis=0)
    return np.clip((d - EYE_RADIUS) / CREASE_EYE_CM, 0, 1).astype(np.float32)


def _eye_colors(v: np.ndarray, centre: np.ndarray, axis: np.ndarray, iris_ball: np.ndarray
                ) -> np.ndarray:
    """White sclera, brown/blue-grey iris with a darker limbal ring, black pupil."""
    d = v - centre
    ang = np.degrees(np.arccos(np.clip(d @ axis / np.linalg.norm(d, axis=1), -1, 1)))
    col = np.tile(np.array([0.93, 0.90, 0.86], np.float32), (len(v), 1))
    iris = iris_ball & (ang < IRIS_DEG)
    t = np.clip((ang - PUPIL_DEG) / (IRIS_DEG - PUPIL_DEG), 0, 1)[:, None]
    iris_col = np.array([0.42, 0.30, 0.20]) * (1 - 0.55 * t**3)
    col[iris] = iris_col[iris]
    # the pupil, and the inside back of the eyeball seen through the iris mesh's pupil hole
    col[(iris_ball & (ang < PUPIL_DEG)) | (ang > 120.0)] = (0.03, 0.03, 0.03)
    return col


def _eye_frame(sclera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre, unit gaze axis) of an eyeball from its sclera vertices: a sphere fitted to the
    back 60 %, the axis towards the corneal bulge (the points furthest from that centre)."""
    centre = _sphere_centre(sclera[sclera[:, 2] < np.percentile(sclera[:, 2], 60)])
    apex = sclera[np.argsort(-np.linalg.norm(sclera - centre, axis=1))[:20]].mean(0)
    return centre, (apex - centre) / np.linalg.norm(apex - centre)


def upper_lid(v: np.ndarray, src: np.ndarray, skin_faces: np.ndarray, centre: np.ndarray
              ) -> np.ndarray:
    """Source vertex ids of the upper lid margin over the eyeball at ``centre``, ordered by x:
    the face vertices sharing a triangle with the eye socket (the lid's inner edge), above the
    eyeball centre and within 3 cm of it."""
    face = src < FACE_END
    socket = (src >= MOUTH_SOCKET_END) & (src < EYE_SOCKET_END)
    edge = skin_faces[face[skin_faces].any(1) & socket[skin_faces].any(1)]
    rim = np.unique(edge[face[edge]])
    rim = rim[(np.linalg.norm(v[rim] - centre, axis=1) < 3.0) & (v[rim, 1] > centre[1])]
    return rim[np.argsort(v[rim, 0])]


def _subset(verts_idx: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vertex ids used by ``faces``, faces renumbered into that list)."""
    used = np.unique(faces)
    remap = np.full(int(faces.max()) + 1, -1, np.int64)
    remap[used] = np.arange(len(used))
    return used, remap[faces].astype(np.int32)


def _mouth_colors(pv: np.ndarray, psrc: np.ndarray, _faces: np.ndarray) -> np.ndarray:
    """Teeth off-white, gums and tongue red; front teeth bright, molars dark."""
    teeth = (psrc >= TEETH_START) & (psrc < TEETH_END)
    col = np.where(teeth[:, None], [0.90, 0.87, 0.80], [0.62, 0.26, 0.26])
    depth = np.clip((pv[:, 2] - 5.0) / 5.0, 0.15, 1.0)
    return col * depth[:, None]


def build_ict_head(gains: dict[str, float] | None = None,
                   curves: dict[str, float] | None = None,
                   n_identities: int | None = None) -> Head:
    """Assemble the ICT head; ``gains``/``curves`` override the calibrated ones."""
    a = load_asset()
    cal = _package_json(CALIBRATION_FILE)
    gains = {k: float(x) for k, x in cal.get("gains", {}).items()} if gains is None else gains
    curves = {k: float(x) for k, x in cal.get("curves", {}).items()} if curves is None else curves
    v, src, faces = a["vertices"], a["source_index"], a["faces"]
    mats = [str(m) for m in a["material_names"]]
    fmat = a["face_material"]
    targets = dense_expressions(a, gains)
    ident = a["identities"].astype(np.float32)
    if n_identities is not None:
        ident = ident[:n_identities]

    def part(name: str, materials: tuple[str, ...], colors, **kw) -> MeshPart:
        sel = faces[np.isin(fmat, [mats.index(m) for m in materials])]
        used, f = _subset(np.arange(len(v)), sel)
        c = (colors(v[used], src[used], f) if callable(colors)
             else np.tile(np.float32(colors), (len(used), 1)))
        if callable(kw.get("crease")):
            kw["crease"] = kw["crease"](v[used])
        return MeshPart(name, v[used].copy(), f, colors=c.astype(np.float32),
                        morph_targets=targets[:, used].copy(),
                        identity_targets=ident[:, used].copy(), cull_back=True, **kw)

    frames = {side: _eye_frame(v[np.unique(faces[fmat == mats.index(f"M_Sclera{side}")])])
              for side in ("Left", "Right")}
    skin = part("skin", ("M_Face", "M_BackHead"),
                lambda pv, psrc, _f: _skin_colors(pv, psrc, [c for c, _ in frames.values()]),
                tinted=True, shininess=0.06,
                crease=lambda pv: CREASE * _away_from_eyes(pv, [c for c, _ in frames.values()]))

    skin_faces = faces[np.isin(fmat, [mats.index("M_Face"), mats.index("M_BackHead")])]
    skin_used = np.unique(skin_faces)  # the skin part's vertices, as ``part`` numbers them
    mouth = part("mouth", ("M_GumsTongue", "M_Teeth"), _mouth_colors, shininess=0.25)
    eyes = []
    for side, sclera, iris in (("Left", "M_ScleraLeft", "M_IrisLeft"),
                               ("Right", "M_ScleraRight", "M_IrisRight")):
        centre, axis = frames[side]
        # drop the clear cornea (sclera triangles around the gaze axis) so the iris shows
        sf = faces[fmat == mats.index(sclera)]
        cdir = v[sf].mean(1) - centre
        cang = np.degrees(np.arccos(np.clip(cdir @ axis / np.linalg.norm(cdir, axis=1), -1, 1)))
        # the back of the sclera is inside the skull from every angle: not drawn (the iris ball
        # stays whole: its back, painted dark, is what its pupil hole looks onto)
        keep = np.concatenate([sf[(cang > CORNEA_DEG) & (cang < EYE_BACK_DEG)],
                               faces[fmat == mats.index(iris)]])
        used, f = _subset(np.arange(len(v)), keep)
        is_iris = np.isin(used, faces[fmat == mats.index(iris)])
        gaze = gaze_table(side)
        eye_t = targets[:, used].copy()
        local = v[used] - centre
        for k in np.flatnonzero(np.abs(gaze).sum(1)):  # linearised turn, for linear viewers
            eye_t[k] += local @ _rot(*gaze[k]).T - local
        eyes.append(MeshPart(
            f"eye{side}", v[used].copy(), f,
            colors=_eye_colors(v[used], centre, axis, is_iris), morph_targets=eye_t,
            identity_targets=ident[:, used].copy(), shininess=0.5,
            pivot=centre.astype(np.float32), gaze=gaze,
            lid=np.searchsorted(skin_used, upper_lid(v, src, skin_faces, centre)).astype(
                np.int32)))
    # the eyelash cards are meant for alpha-textured strands: drawn opaque they read as thick
    # black bands around the eyes, so they are left out (the lid margin is painted instead)
    parts = (skin, mouth, eyes[0], eyes[1])
    lm68 = v[list(MULTIPIE68)]
    chin_y, brow_y = float(lm68[8, 1]), float((lm68[19, 1] + lm68[24, 1]) / 2)
    height = (brow_y - chin_y) + 5.0  # chin to hairline, as the canonical mesh's face height
    centre = np.array([0.0, chin_y + height / 2, 7.0], np.float32)
    refs = _package_json(LANDMARKS_FILE).get("landmark_refs")
    curve = np.array([curves.get(n, 1.0) for n in BLENDSHAPES], np.float32)
    return Head(name="ict", parts=parts, credit=CREDIT,
                landmark_refs=None if refs is None else np.asarray(refs, np.int32),
                face_center=centre, face_height=height, curve=curve, msaa=MSAA)
