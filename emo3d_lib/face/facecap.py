"""The optional Face Cap head (``facecap.glb``, the three.js / Emo3D web-demo model).

The file uses EXT_meshopt_compression, KHR_mesh_quantization and a KTX2 (Basis) texture; PyPI
``meshopt`` and ``alktx2`` decode them, so no JavaScript or network is needed. The project never
commits the file: it is found at a user path, ``$EMO3D_FACECAP``, or ``paths.cache_dir()``, or
downloaded from its upstream URL when online. Morph names ``mouthSmile_L`` map to
``mouthSmileLeft``; every weight is set explicitly because the file stores non-zero defaults.
"""

from __future__ import annotations

import io
import json
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np

from emo3d_lib import atomic, paths
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import Head, MeshPart
from emo3d_lib.schema import BLENDSHAPES

FACECAP_URL = ("https://raw.githubusercontent.com/mrdoob/three.js/dev/examples/models/gltf/"
               "facecap.glb")
FACECAP_SHA256 = "6bfce6d0fcbb5839f5102b79733007859fef7c5df6d9eb49e2264542810b5f64"
CREDIT = "Face Cap head by Bannaflak (https://www.bannaflak.com/face-cap), used with credit"
_COMPONENT = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32,
              5126: np.float32}
_NCOMP = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def arkit_name(name: str) -> str:
    """Face Cap / three.js morph name -> MediaPipe name (``mouthSmile_L`` -> ``mouthSmileLeft``)."""
    if name.endswith("_L"):
        return name[:-2] + "Left"
    if name.endswith("_R"):
        return name[:-2] + "Right"
    return name


def find_facecap(path: str | None = None, download: bool = True) -> Path | None:
    """The first of: ``path``, ``$EMO3D_FACECAP``, the cache, a download (None if none works)."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise Emo3DError(f"Face Cap file not found: {p}")
        return p
    env = os.environ.get("EMO3D_FACECAP")
    if env:
        if not Path(env).is_file():
            raise Emo3DError(f"EMO3D_FACECAP points at a missing file: {env}")
        return Path(env)
    cached = paths.cache_dir() / "facecap.glb"
    if cached.is_file():
        return cached
    if download:
        try:
            with urllib.request.urlopen(FACECAP_URL, timeout=5) as resp:  # noqa: S310
                data = resp.read()
        except Exception:  # offline: the head is optional
            return None
        import hashlib

        if hashlib.sha256(data).hexdigest() == FACECAP_SHA256:
            atomic.write_bytes(cached, data)
            return cached
    return None


class _Glb:
    """Minimal glTF-binary reader: JSON, meshopt-decoded buffer views, accessors, nodes."""

    def __init__(self, data: bytes, source: str) -> None:
        if data[:4] != b"glTF":
            raise Emo3DError(f"{source}: not a binary glTF file")
        self.source = source
        pos, self.bin = 12, b""
        while pos < len(data):
            length, kind = struct.unpack("<II", data[pos:pos + 8])
            chunk = data[pos + 8:pos + 8 + length]
            if kind == 0x4E4F534A:
                self.json = json.loads(chunk)
            elif kind == 0x004E4942:
                self.bin = chunk
            pos += 8 + length
        self._views: dict[int, bytes] = {}

    def view(self, idx: int) -> bytes:
        if idx not in self._views:
            bv = self.json["bufferViews"][idx]
            ext = bv.get("extensions", {}).get("EXT_meshopt_compression")
            if ext is None:
                off = bv.get("byteOffset", 0)
                self._views[idx] = self.bin[off:off + bv["byteLength"]]
            else:
                import meshopt

                src = self.bin[ext.get("byteOffset", 0):ext.get("byteOffset", 0)
                               + ext["byteLength"]]
                out = meshopt.decode_gltf_buffer(src, ext["count"], ext["byteStride"],
                                                 ext["mode"], ext.get("filter", "NONE"))
                self._views[idx] = np.ascontiguousarray(out).tobytes()
        return self._views[idx]

    def accessor(self, idx: int) -> np.ndarray:
        acc = self.json["accessors"][idx]
        dtype = np.dtype(_COMPONENT[acc["componentType"]])
        ncomp = _NCOMP[acc["type"]]
        bv = self.json["bufferViews"][acc["bufferView"]]
        raw = self.view(acc["bufferView"])
        stride = bv.get("byteStride", ncomp * dtype.itemsize)
        off = acc.get("byteOffset", 0)
        rows = np.frombuffer(raw, np.uint8, count=acc["count"] * stride - (stride - ncomp *
                             dtype.itemsize), offset=off)
        rows = np.lib.stride_tricks.as_strided(rows, (acc["count"], ncomp * dtype.itemsize),
                                               (stride, 1))
        arr = np.ascontiguousarray(rows).view(dtype).reshape(acc["count"], ncomp)
        arr = arr.astype(np.float64)
        if acc.get("normalized"):
            arr = np.maximum(arr / np.iinfo(dtype).max, -1.0)
        return arr

    def world_matrices(self) -> dict[int, np.ndarray]:
        """node index -> 4x4 world matrix (glTF TRS order)."""
        nodes = self.json["nodes"]
        out: dict[int, np.ndarray] = {}

        def local(n: dict) -> np.ndarray:
            if "matrix" in n:
                return np.array(n["matrix"], float).reshape(4, 4).T
            t = np.eye(4)
            t[:3, 3] = n.get("translation", (0, 0, 0))
            x, y, z, w = n.get("rotation", (0, 0, 0, 1))
            r = np.eye(4)
            r[:3, :3] = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                         [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                         [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
            s = np.diag([*n.get("scale", (1, 1, 1)), 1.0])
            return t @ r @ s

        def walk(i: int, parent: np.ndarray) -> None:
            out[i] = parent @ local(nodes[i])
            for c in nodes[i].get("children", []):
                walk(c, out[i])

        for root in self.json["scenes"][self.json.get("scene", 0)]["nodes"]:
            walk(root, np.eye(4))
        return out

    def texture(self) -> np.ndarray | None:
        from PIL import Image

        images = self.json.get("images") or []
        if not images:
            return None
        import alktx2

        raw = self.view(images[0]["bufferView"])
        png, _ = alktx2.decode_ktx2_to_bytes(raw, format="png", lossless=True)
        with Image.open(io.BytesIO(png)) as im:
            return np.asarray(im.convert("RGB"), np.uint8).copy()


def load_facecap(path: str | None = None) -> Head:
    """Decode ``facecap.glb`` into a ``Head`` (head, eyes, teeth parts, 52 morph targets)."""
    p = find_facecap(path)
    if p is None:
        raise Emo3DError("facecap.glb not found: pass a path, set EMO3D_FACECAP, or place it at "
                         f"{paths.cache_dir() / 'facecap.glb'} (upstream: {FACECAP_URL})")
    glb = _Glb(p.read_bytes(), str(p))
    world = glb.world_matrices()
    tex = glb.texture()
    mat = glb.json["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]
    tt = mat.get("extensions", {}).get("KHR_texture_transform", {})
    uv_scale, uv_off = np.array(tt.get("scale", (1, 1))), np.array(tt.get("offset", (0, 0)))
    parts: list[MeshPart] = []
    names = {0: "eyeLeft", 1: "eyeRight", 2: "skin", 3: "teeth"}
    for ni, node in enumerate(glb.json["nodes"]):
        if "mesh" not in node:
            continue
        mesh = glb.json["meshes"][node["mesh"]]
        prim = mesh["primitives"][0]
        m = world[ni]
        pos = glb.accessor(prim["attributes"]["POSITION"])
        verts = pos @ m[:3, :3].T + m[:3, 3]
        faces = glb.accessor(prim["indices"]).reshape(-1, 3).astype(np.int32)
        uv = glb.accessor(prim["attributes"]["TEXCOORD_0"]) * uv_scale + uv_off
        targets = None
        if prim.get("targets"):
            targets = np.zeros((len(BLENDSHAPES), len(verts), 3), np.float32)
            tnames = mesh.get("extras", {}).get("targetNames", [])
            for k, tgt in enumerate(prim["targets"]):
                name = arkit_name(tnames[k]) if k < len(tnames) else ""
                if name in BLENDSHAPES:
                    targets[BLENDSHAPES.index(name)] = glb.accessor(tgt["POSITION"]) @ m[:3, :3].T
        parts.append(MeshPart(name=names.get(node["mesh"], f"mesh{node['mesh']}"),
                              vertices=verts.astype(np.float32), faces=faces,
                              uv=uv.astype(np.float32), texture=tex, morph_targets=targets,
                              tinted=node["mesh"] == 2,
                              shininess=0.5 if node["mesh"] in (0, 1) else 0.05))
    skin = next(pp for pp in parts if pp.name == "skin")
    lo, hi = skin.vertices.min(0), skin.vertices.max(0)
    height = float(hi[1] - lo[1])
    # the scan runs from the crown to the neck: frame the face (brow to chin) like the builtin
    center = np.array([(lo[0] + hi[0]) / 2, hi[1] - 0.5 * height, hi[2]], np.float32)
    return Head(name="facecap", parts=tuple(parts), credit=CREDIT, landmark_refs=None,
                face_center=center, face_height=0.66 * height)
