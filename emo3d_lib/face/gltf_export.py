"""A ``Head`` with one face's weights as a glTF 2.0 binary (``.glb``) for Blender, three.js...

Each part becomes a node with one mesh; rigged parts carry the 52 blendshapes as morph targets
named in ``mesh.extras.targetNames`` (the convention Blender and three.js read) in
``schema.BLENDSHAPES`` order, with ``mesh.weights`` set to the face's morph influences
(``Head.effective_weights``: what our renderer plays). Targets are stored as sparse accessors
(only the vertices a blendshape moves), so a large head stays a small file. The head's credit
goes to ``asset.copyright``. Only the public ``Head``/``MeshPart`` contract is used.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib import atomic
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import Head, MeshPart, check_weights
from emo3d_lib.face.scene import vertex_normals
from emo3d_lib.schema import BLENDSHAPES

FLOAT, UINT32 = 5126, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
PLAIN_SKIN = (0.878, 0.675, 0.561)  # the viewer's skin colour for a part with no albedo
#: a vertex counts as moved by a blendshape when its delta exceeds this (head units)
MOVE_EPS = 1e-6


def unit_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The renderer's area-weighted normals (``scene.vertex_normals``), with +z for vertices no
    triangle uses: glTF requires every NORMAL to be unit length."""
    n = vertex_normals(np.asarray(vertices, np.float64), faces)
    n[~np.any(n, axis=1)] = (0.0, 0.0, 1.0)
    return n.astype(np.float32)


class _Builder:
    """Accumulates the binary chunk and the JSON arrays that point into it."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []

    def view(self, data: bytes, target: int | None = None) -> int:
        self.blob.extend(b"\0" * (-len(self.blob) % 4))
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.blob.extend(data)
        self.views.append(view)
        return len(self.views) - 1

    def accessor(self, array: np.ndarray, kind: str, target: int | None,
                 bounds: bool = False) -> int:
        array = np.ascontiguousarray(array)
        ctype = UINT32 if array.dtype == np.uint32 else FLOAT
        acc: dict[str, Any] = {"bufferView": self.view(array.tobytes(), target),
                               "componentType": ctype, "count": int(len(array)), "type": kind}
        if bounds:
            acc["min"] = [float(x) for x in array.reshape(len(array), -1).min(0)]
            acc["max"] = [float(x) for x in array.reshape(len(array), -1).max(0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def sparse_target(self, delta: np.ndarray) -> int:
        """A VEC3 accessor of per-vertex deltas, zero except where the vertex moves."""
        moved = np.flatnonzero(np.abs(delta).max(axis=1) > MOVE_EPS).astype(np.uint32)
        full = np.zeros_like(delta)
        full[moved] = delta[moved]
        acc: dict[str, Any] = {"componentType": FLOAT, "count": int(len(delta)), "type": "VEC3",
                               "min": [float(x) for x in full.min(0)],
                               "max": [float(x) for x in full.max(0)]}
        if len(moved):
            acc["sparse"] = {
                "count": int(len(moved)),
                "indices": {"bufferView": self.view(moved.tobytes()), "componentType": UINT32},
                "values": {"bufferView": self.view(
                    np.ascontiguousarray(full[moved], np.float32).tobytes())},
            }
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _png(texture: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(texture, np.uint8)).convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def _check_part(part: MeshPart) -> tuple[np.ndarray, np.ndarray]:
    vertices = np.asarray(part.vertices, np.float32)
    faces = np.asarray(part.faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        raise Emo3DError(f"head part {part.name!r}: vertices (V, 3) and faces (F, 3) expected, "
                         f"got {vertices.shape} and {faces.shape}")
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise Emo3DError(f"head part {part.name!r}: face index out of range 0..{len(vertices) - 1}")
    return vertices, faces.astype(np.uint32)


def head_gltf(head: Head, weights: np.ndarray | list[float]) -> tuple[dict[str, Any], bytes]:
    """(glTF JSON, binary chunk) of ``head`` showing ``weights`` (52, BLENDSHAPES order)."""
    raw = check_weights(weights, "weights")[0]
    influences = head.effective_weights(raw)
    b = _Builder()
    meshes, nodes, materials, textures, images = [], [], [], [], []
    for part in head.parts:
        vertices, faces = _check_part(part)
        attributes = {
            "POSITION": b.accessor(vertices, "VEC3", ARRAY_BUFFER, bounds=True),
            "NORMAL": b.accessor(unit_normals(vertices, faces), "VEC3", ARRAY_BUFFER),
        }
        pbr: dict[str, Any] = {"metallicFactor": 0.0, "roughnessFactor": 0.75}
        if part.texture is not None and part.uv is not None:
            attributes["TEXCOORD_0"] = b.accessor(np.asarray(part.uv, np.float32), "VEC2",
                                                  ARRAY_BUFFER)
            images.append({"bufferView": b.view(_png(part.texture)), "mimeType": "image/png"})
            textures.append({"sampler": 0, "source": len(images) - 1})
            pbr["baseColorTexture"] = {"index": len(textures) - 1}
        elif part.colors is not None and np.shape(part.colors) == vertices.shape:
            colors = np.asarray(part.colors, np.float32)
            attributes["COLOR_0"] = b.accessor(np.clip(colors / 255.0 if colors.max() > 1 else
                                                       colors, 0, 1), "VEC3", ARRAY_BUFFER)
        else:
            pbr["baseColorFactor"] = [*PLAIN_SKIN, 1.0]
        materials.append({"name": part.name, "pbrMetallicRoughness": pbr, "doubleSided": True})
        primitive: dict[str, Any] = {
            "attributes": attributes, "material": len(materials) - 1, "mode": 4,
            "indices": b.accessor(faces.reshape(-1), "SCALAR", ELEMENT_ARRAY_BUFFER)}
        mesh: dict[str, Any] = {"name": part.name, "primitives": [primitive]}
        if part.morph_targets is not None:
            targets = np.asarray(part.morph_targets, np.float32)
            if targets.shape != (len(BLENDSHAPES), *vertices.shape):
                raise Emo3DError(f"head part {part.name!r}: morph_targets must be "
                                 f"({len(BLENDSHAPES)}, {len(vertices)}, 3), got {targets.shape}")
            primitive["targets"] = [{"POSITION": b.sparse_target(t)} for t in targets]
            mesh["weights"] = [float(x) for x in influences]
            mesh["extras"] = {"targetNames": list(BLENDSHAPES)}
        meshes.append(mesh)
        nodes.append({"name": part.name, "mesh": len(meshes) - 1})
    if not any("weights" in m for m in meshes):
        raise Emo3DError(f"head {head.name!r} has no part with morph_targets")
    gltf: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "emo3d_lib.face.gltf_export",
                  "copyright": head.credit},
        "scene": 0, "scenes": [{"name": head.name, "nodes": list(range(len(nodes)))}],
        "nodes": nodes, "meshes": meshes, "materials": materials,
        "accessors": b.accessors, "bufferViews": b.views,
        "buffers": [{"byteLength": len(b.blob) + (-len(b.blob) % 4)}],
        "extras": {"blendshapes": dict(zip(BLENDSHAPES, map(float, raw), strict=True))},
    }
    if images:
        gltf.update(images=images, textures=textures,
                    samplers=[{"magFilter": 9729, "minFilter": 9729}])
    return gltf, bytes(b.blob)


def glb_bytes(gltf: dict[str, Any], blob: bytes) -> bytes:
    """The GLB container: 12-byte header, JSON chunk (space-padded), BIN chunk (zero-padded)."""
    text = json.dumps(gltf, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(text), b"JSON")
            + text + struct.pack("<I4s", len(blob), b"BIN\0") + blob)


def export_glb(head: Head, weights: np.ndarray | list[float], out: str | Path) -> Path:
    """Write ``head`` with ``weights`` to ``out`` (.glb) atomically; returns the path."""
    out = Path(out)
    if out.suffix.lower() != ".glb":
        raise Emo3DError(f"--out {out}: a glTF binary needs the .glb extension")
    data = glb_bytes(*head_gltf(head, weights))
    atomic.write_bytes(out, data)
    return out
