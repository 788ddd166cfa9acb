"""MediaPipe images/s, detection rate across identities, and the full-scale estimate.

    .venv/bin/python benchmarks/bench_mediapipe.py [--images 300] [--size 256] [--workers 2]

Renders sparse random expressions on sampled identities (pose, shape, light, camera, skin),
times FaceLandmarker per image, counts faces found, and extrapolates render + extract to the
paper's 90,000 images on ``--workers`` processes (texts are generated separately).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from emo3d_lib.face.identity import sample_identities
from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor
from emo3d_lib.face.render import FaceRenderer
from emo3d_lib.face.rig_check import sparse_weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--full-images", type=int, default=90_000)
    a = ap.parse_args()
    w = sparse_weights(a.images, a.seed)
    ids = sample_identities(a.seed, a.images)
    import os

    r = FaceRenderer("builtin", size=a.size)
    r.render(w[:1], ids[:1])
    t, c = time.perf_counter(), time.process_time()
    imgs = np.concatenate([r.render(w[i:i + 1], ids[i:i + 1]) for i in range(a.images)])
    t_render, c_render = time.perf_counter() - t, time.process_time() - c
    with BlendshapeExtractor() as ex:
        ex.extract(imgs[:1])
        t, c = time.perf_counter(), time.process_time()
        scores = ex.extract(imgs)
        t_mp, c_mp = time.perf_counter() - t, time.process_time() - c
        # the C-result reader against MediaPipe's public result objects, interleaved twice
        cpu = {True: [], False: []}
        with BlendshapeExtractor(fast=False) as public:
            public.extract(imgs[:1])
            for _ in range(2):
                for fast, e in ((True, ex), (False, public)):
                    c = time.process_time()
                    e.extract(imgs, landmarks=True)
                    cpu[fast].append(1000 * (time.process_time() - c) / a.images)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"result reading: C result -> numpy {min(cpu[True]):.2f} CPU ms/image, public "
          f"detect() objects {min(cpu[False]):.2f} (best of 2, same values: see "
          "tests/test_face_mediapipe.py)")
    found = sum(s is not None for s in scores)
    per_img = (t_render + t_mp) / a.images
    print(f"mediapipe {a.size}px: {a.images / t_mp:.1f} images/s wall "
          f"({1000 * t_mp / a.images:.1f} ms), {1000 * c_mp / a.images:.1f} CPU ms/image")
    print(f"render {a.size}px (varied identities): {a.images / t_render:.1f} frames/s wall, "
          f"{1000 * c_render / a.images:.1f} CPU ms/frame")
    print(f"faces detected: {found}/{a.images} = {100 * found / a.images:.2f}% "
          f"(sampled identities, seed {a.seed})")
    est = a.full_images * per_img / a.workers / 60
    cpu_img = (c_render + c_mp) / a.images
    est_cpu = a.full_images * cpu_img / a.workers / 60
    print(f"full-scale image half: {a.full_images} images x {1000 * per_img:.1f} wall ms / "
          f"{a.workers} workers = {est:.1f} min at this load; from CPU time "
          f"({1000 * cpu_img:.1f} ms/image): {est_cpu:.1f} min on {a.workers} idle cores "
          "(render + extract, excl. JPEG writes)")


if __name__ == "__main__":
    main()
