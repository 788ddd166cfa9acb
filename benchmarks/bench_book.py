"""Book pipeline speed: vendoring, a run with nothing changed (bar: <= 2 min), stamp timings.

Run on demand: ``python benchmarks/bench_book.py [--profile smoke|full] [--root DIR]``.
It runs ``emo3d_lib.book.pipeline.run_book`` twice on ``--root`` (default: the repository, so the
first call executes whatever is stale and the second must skip everything) and prints wall
times, then the per-notebook execution times recorded in the stamps.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from emo3d_lib.book import pipeline, vendor_js
from emo3d_lib.paths import REPO_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=pipeline.PROFILES, default="smoke")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args()

    start = time.perf_counter()
    vendor_js.vendor()
    print(f"vendor_js (stamp check or npm pack): {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    first = pipeline.run_book(args.root, profile=args.profile)
    t_first = time.perf_counter() - start
    print(f"run 1 ({args.profile}): {t_first:.1f} s; executed {len(first.executed)}, "
          f"skipped {len(first.skipped)}, failed {sorted(first.failed)}")

    start = time.perf_counter()
    second = pipeline.run_book(args.root, profile=args.profile)
    t_second = time.perf_counter() - start
    verdict = "PASS" if t_second <= 120 and not second.executed else "FAIL"
    print(f"run 2, nothing changed: {t_second:.1f} s; executed {second.executed} "
          f"[bar <= 120 s with nothing re-executed: {verdict}]")

    print("\nper-notebook execution time (last run of each, from the stamps):")
    total = 0.0
    for stamp in sorted((args.root / pipeline.EXECUTED / ".stamps").glob("*.json")):
        rec = json.loads(stamp.read_text())
        total += rec["seconds"]
        print(f"  {stamp.stem:40s} {rec['seconds']:8.1f} s  ({rec['finished']})")
    print(f"  {'sum':40s} {total:8.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
