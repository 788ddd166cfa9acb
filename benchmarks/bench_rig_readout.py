"""Rig check (issue 11): could undoing MediaPipe's cross-talk reach the bar?

Runs :func:`emo3d_lib.face.rig_readout.readout_check` (see that module for the method: a linear
read-out of all 52 MediaPipe scores, fitted on the calibration vectors, scored on the rig
check's) and prints each live channel's r from its own score and from the read-out.

Run: ``.venv/bin/python benchmarks/bench_rig_readout.py [--head ict] [--fit-samples 1200]``
(1,500 renders: 48 s on the quiet 2-core machine). Prints the figures; asserts nothing.

Measured (ICT head, defaults): mean r 0.523 from each channel's own score (``rig-check``'s
figure, reproduced), 0.603 from the read-out, against the 0.60 goal. The read-out lifts
mouthClose from -0.170 to 0.776 and mouthShrugUpper from 0.189 to 0.562, but leaves strict
channels short: jawOpen 0.760, browDown L/R 0.539 / 0.727, eyeWide L/R 0.578 / 0.544.
"""

from __future__ import annotations

import argparse
import time

from emo3d_lib.face.rig_readout import readout_check, readout_verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", default="ict")
    parser.add_argument("--samples", type=int, default=300, help="rig-check vectors (seed --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fit-samples", type=int, default=1200)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    t0 = time.perf_counter()
    res = readout_check(args.head, args.samples, args.seed, args.fit_samples, args.size)
    print(f"head={args.head}: {res.fit_samples} fit vectors, {res.detected}/{res.samples} "
          f"checked (seed {args.seed}), {time.perf_counter() - t0:.0f} s")
    print(res.channels.round(3).to_string(index=False))
    print(f"live channels: {len(res.channels)}; mean r of the channel's own score = "
          f"{res.own_mean:.3f}; of the linear read-out of all 52 = {res.readout_mean:.3f}")
    print(readout_verdict(res).replace("**", ""))


if __name__ == "__main__":
    main()
