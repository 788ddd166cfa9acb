"""Benchmark: 60,000 text-only descriptions (the paper's text count) through `emo3d generate`.

Bar (issue 2): under 60 s on the project's 2-core machine. Prints samples/s and the verdict.
Run: ``.venv/bin/python benchmarks/bench_generate_text.py [--samples N] [--workers W]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from emo3d_lib.data.generate import GenerationConfig, generate_dataset

BAR_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=2_500)
    args = parser.parse_args()
    config = GenerationConfig(samples=args.samples, seed=0, images_per_sample=0,
                              shard_size=args.shard_size)
    with tempfile.TemporaryDirectory(prefix="emo3d-bench-text-") as tmp:
        t0 = time.perf_counter()
        manifest = generate_dataset(config, tmp, workers=args.workers, progress=True)
        seconds = time.perf_counter() - t0
    rate = args.samples / seconds
    print(f"text-only generation: {args.samples} samples ({manifest['counts']['texts']} "
          f"paraphrases) in {seconds:.1f} s with {args.workers} workers -> {rate:.0f} samples/s")
    estimate = 60_000 / rate
    verdict = "PASS" if estimate < BAR_SECONDS else "FAIL"
    print(f"60,000 descriptions: {estimate:.1f} s (bar < {BAR_SECONDS:.0f} s) {verdict}")


if __name__ == "__main__":
    main()
