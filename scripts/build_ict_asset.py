"""Build the committed ICT head asset from the upstream arrays (ICT-FaceKit, MIT).

Reads the lossless repack ``ict_face_model.npz`` (see its README) and writes
``emo3d_lib/face/assets/ict_head.npz`` (a few MB) holding only what the renderer draws:

- the neutral mesh without the eye effect meshes (lacrimal fluid, eye blend, eye occlusion:
  vertices 24591-25350, meant for Unreal's eye shaders), quads split into triangles;
- each of the 53 expression shapes as sparse (vertex index, float16 delta) pairs, keeping only
  vertices that move more than ``MIN_DELTA_CM``;
- the first ``N_IDENTITIES`` identity shapes (principal components, sampled N(0, 1)) as float16;
- per-vertex uv (the first uv corner of each vertex) and the material of each triangle.

The output is byte-for-byte deterministic (fixed zip timestamps, sorted members), so rerunning
the script on the same input reproduces the committed file. Run:
``python scripts/build_ict_asset.py [--src PATH] [--out PATH] [--identities N]``.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np

SRC = Path("/work/shared/assets/ict-face-model/ict_face_model.npz")
OUT = Path(__file__).resolve().parents[1] / "emo3d_lib" / "face" / "assets" / "ict_head.npz"
N_IDENTITIES = 30
MIN_DELTA_CM = 2e-3  # 0.02 mm: below a pixel at any size the book renders
DROP_MATERIALS = ("M_LacrimalFluid", "M_EyeBlend", "M_EyeOcclusion")


def compact(src: dict[str, np.ndarray], n_identities: int = N_IDENTITIES) -> dict[str, np.ndarray]:
    """The arrays of the compact asset from the upstream arrays."""
    names = [str(n) for n in src["material_names"]]
    faces, mat = src["faces"], src["face_material"].astype(np.int64)
    keep_face = ~np.isin(mat, [names.index(n) for n in DROP_MATERIALS if n in names])
    faces, mat = faces[keep_face], mat[keep_face]
    used = np.unique(faces[faces >= 0])
    remap = np.full(len(src["neutral"]), -1, np.int64)
    remap[used] = np.arange(len(used))
    # quads (a, b, c, d) -> (a, b, c), (a, c, d); triangles carry -1 in column 3
    quad = faces[:, 3] >= 0
    tris = np.concatenate([faces[:, :3], faces[quad][:, [0, 2, 3]]])
    tri_mat = np.concatenate([mat, mat[quad]])
    order = np.argsort(tri_mat, kind="stable")  # grouped by material, stable within
    tris, tri_mat = remap[tris[order]], tri_mat[order]
    # per-vertex uv: the uv of the first polygon corner that names the vertex
    corner_v = src["faces"].reshape(-1)
    corner_uv = src["face_uv"].reshape(-1)
    ok = corner_v >= 0
    first = np.full(len(src["neutral"]), -1, np.int64)
    first[corner_v[ok][::-1]] = corner_uv[ok][::-1]  # later writes win: reversed = first wins
    uv = src["uv"][np.maximum(first[used], 0)]
    out: dict[str, np.ndarray] = {
        "vertices": src["neutral"][used].astype(np.float32),
        "source_index": used.astype(np.int32),
        "faces": tris.astype(np.int32),
        "face_material": tri_mat.astype(np.int8),
        "material_names": np.array(names),
        "uv": uv.astype(np.float32),
        "expression_names": np.array([str(n) for n in src["expression_names"]]),
    }
    idx, delta, count = [], [], []
    for e in src["expressions"]:
        e = e[used]
        moving = np.flatnonzero(np.abs(e).max(1) > MIN_DELTA_CM)
        idx.append(moving.astype(np.int32))
        delta.append(e[moving].astype(np.float16))
        count.append(len(moving))
    out["expression_index"] = np.concatenate(idx)
    out["expression_delta"] = np.concatenate(delta)
    out["expression_count"] = np.array(count, np.int32)
    out["identities"] = src["identities"][:n_identities][:, used].astype(np.float16)
    return out


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A deflated .npz with fixed member timestamps (np.savez stamps the current time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.save(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=SRC)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--identities", type=int, default=N_IDENTITIES)
    args = ap.parse_args(argv)
    with np.load(args.src) as z:
        src = {k: z[k] for k in z.files}
    write_npz(args.out, compact(src, args.identities))
    print(f"{args.out} ({args.out.stat().st_size:,} B)")


if __name__ == "__main__":
    main()
