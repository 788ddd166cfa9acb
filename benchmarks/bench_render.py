"""Renderer throughput: frames/s at 256 px for the EGL and numpy backends (run on demand).

    .venv/bin/python benchmarks/bench_render.py [--frames 200] [--size 256] [--numpy-frames 5]
"""

from __future__ import annotations

import argparse
import time

from emo3d_lib.face.identity import sample_identities
from emo3d_lib.face.render import FaceRenderer
from emo3d_lib.face.rig_check import sparse_weights


def fps(backend: str, frames: int, size: int, head: str) -> float:
    w = sparse_weights(frames, seed=1)
    ids = sample_identities(1, frames)
    r = FaceRenderer(head, size=size, backend=backend)
    r.render(w[:1], ids[:1])  # context + upload outside the timing
    t = time.perf_counter()
    for i in range(frames):
        r.render(w[i:i + 1], ids[i:i + 1])
    dt = time.perf_counter() - t
    r.close()
    return frames / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--numpy-frames", type=int, default=5)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--head", default="builtin")
    a = ap.parse_args()
    egl = fps("egl", a.frames, a.size, a.head)
    print(f"render {a.head} {a.size}px egl:   {egl:7.1f} frames/s ({1000 / egl:.1f} ms/frame, "
          f"{a.frames} frames, one process)")
    cpu = fps("numpy", a.numpy_frames, a.size, a.head)
    print(f"render {a.head} {a.size}px numpy: {cpu:7.2f} frames/s ({1000 / cpu:.0f} ms/frame)")


if __name__ == "__main__":
    main()
