"""Speed and breadth of the offline description generator (issue 2 bars).

Generates the paper's 60,000 descriptions-worth of samples, prints samples/s, and the number of
unique words per emotion class (bar: >= 800 per class; the paper's Table 3 has 958-2,220).
Run: ``.venv/bin/python benchmarks/bench_text_generation.py [--samples N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import time

from tqdm import tqdm

from emo3d_lib.text.generator import generate_text_samples
from emo3d_lib.text.linguistics import PAPER_TABLE3, dataset_statistics

SPEED_BAR_SECONDS = 60.0
UNIQUE_WORDS_BAR = 800


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=5_000)
    args = parser.parse_args()

    parts = []
    cpu_start = time.process_time()
    start = time.perf_counter()
    for lo in tqdm(range(0, args.samples, args.chunk), desc="generate", unit="chunk"):
        parts.append(generate_text_samples(args.seed, lo, min(args.chunk, args.samples - lo)))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    import pandas as pd

    df = pd.concat(parts, ignore_index=True)
    rate = len(df) / elapsed
    print(f"generated {len(df):,} samples ({3 * len(df):,} descriptions) in {elapsed:.2f} s: "
          f"{rate:,.0f} samples/s (bar: {args.samples:,} in < {SPEED_BAR_SECONDS:.0f} s -> "
          f"{'PASS' if elapsed < SPEED_BAR_SECONDS else 'FAIL'})")
    print(f"CPU time {cpu:.2f} s: {len(df) / cpu:,.0f} samples per CPU-second "
          "(wall-clock rate drops when other processes share the cores)")
    stats = dataset_statistics(df)
    table = stats[["descriptions", "number_of_words", "unique_words"]].copy()
    table["paper_unique_words"] = PAPER_TABLE3["unique_words"]
    print(table.to_string())
    low = int(stats["unique_words"].min())
    print(f"min unique words per class: {low} (bar >= {UNIQUE_WORDS_BAR}: "
          f"{'PASS' if low >= UNIQUE_WORDS_BAR else 'FAIL'})")


if __name__ == "__main__":
    main()
