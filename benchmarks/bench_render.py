"""Renderer throughput: frames/s at 256 px per head, EGL and numpy backends (run on demand).

    .venv/bin/python benchmarks/bench_render.py [--frames 200] [--size 256] [--numpy-frames 5]
        [--heads ict,builtin]

Bar (issue 11): the default head at 256 px >= 50 frames/s on the 2-core machine (EGL). Each
frame is a sampled identity (identity shapes, pose, light) and a sparse expression vector.

``--numpy-frames 0`` skips the slow numpy backend. A 1024 px frame holds 16 tiles of 256 px:
its time over 16 is what a tiled batch renderer would pay per face in rasterisation.
"""

from __future__ import annotations

import argparse
import time

from emo3d_lib.face.identity import sample_identities
from emo3d_lib.face.render import FaceRenderer
from emo3d_lib.face.rig_check import sparse_weights


def fps(backend: str, frames: int, size: int, head: str) -> tuple[float, float]:
    w = sparse_weights(frames, seed=1)
    ids = sample_identities(1, frames)
    r = FaceRenderer(head, size=size, backend=backend)
    r.render(w[:1], ids[:1])  # context + upload outside the timing
    t, c = time.perf_counter(), time.process_time()
    for i in range(frames):
        r.render(w[i:i + 1], ids[i:i + 1])
    dt, dc = time.perf_counter() - t, time.process_time() - c
    r.close()
    return frames / dt, 1000 * dc / frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--numpy-frames", type=int, default=5)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--heads", default="ict,builtin",
                    help="comma-separated head names (facecap needs its .glb)")
    a = ap.parse_args()
    import os

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall figures "
          "inflate under load; CPU ms is this process's own time, all its threads)")
    for head in a.heads.split(","):
        egl, c = fps("egl", a.frames, a.size, head)
        print(f"render {head} {a.size}px egl:   {egl:7.1f} frames/s wall ({1000 / egl:.1f} ms), "
              f"{c:.1f} CPU ms/frame, {a.frames} frames, one process")
        if a.numpy_frames < 1:
            continue
        cpu, c = fps("numpy", a.numpy_frames, a.size, head)
        print(f"render {head} {a.size}px numpy: {cpu:7.2f} frames/s wall ({1000 / cpu:.0f} ms), "
              f"{c:.0f} CPU ms/frame")


if __name__ == "__main__":
    main()
