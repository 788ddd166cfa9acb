"""Rig check (issue 11): could undoing MediaPipe's cross-talk reach the bar?

``emo3d rig-check`` correlates each channel's input weight with MediaPipe's score for that same
channel. Part of the shortfall is cross-talk: a channel the rig moves shows up in *other*
scores (the ICT head's mouthClose reads as mouthShrugLower / mouthShrugUpper, not as
mouthClose). A yardstick for what a calibration that mixes channels could undo is a linear
read-out of all 52 scores. This benchmark measures that read-out: a ridge regression from the
52 scores (plus a constant) back to the 52 input weights, fitted on the calibration vectors
(``ict_fit.CALIBRATION_SEED``, never the benchmark's seed) and scored on the rig check's
vectors, per channel and as the mean r over the same live channels ``rig-check`` uses.

A read-out is not a rig: it may subtract one score from another, which no posed face can do,
so its figure is a generous yardstick for what cross-channel calibration of the head could reach.

Run: ``.venv/bin/python benchmarks/bench_rig_readout.py [--head ict] [--fit-samples 1200]``
(1,500 renders: 48 s on the quiet 2-core machine). Prints the figures; asserts nothing.

Measured (ICT head, defaults): mean r 0.523 from each channel's own score (``rig-check``'s
figure, reproduced), 0.603 from the read-out, against the 0.60 goal. The read-out lifts
mouthClose from -0.170 to 0.776 and mouthShrugUpper from 0.189 to 0.562, but leaves the strict
channels short: jawOpen 0.760, browDown L/R 0.539 / 0.727, eyeWide L/R 0.578 / 0.544.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from emo3d_lib.face.heads import load_head
from emo3d_lib.face.ict_fit import CALIBRATION_SEED
from emo3d_lib.face.identity import Identity
from emo3d_lib.face.rig_check import (
    DEAD_MAX,
    ceiling_scores,
    image_round_trip,
    pearson,
    sparse_weights,
)
from emo3d_lib.schema import BLENDSHAPES

RIDGE = 1e-2


def ridge_readout(scores: np.ndarray, weights: np.ndarray, lam: float = RIDGE) -> np.ndarray:
    """(53, 52) coefficients mapping [scores, 1] to weights, least squares with a ridge."""
    x = np.c_[scores, np.ones(len(scores))]
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", default="ict")
    parser.add_argument("--samples", type=int, default=300, help="rig-check vectors (seed --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fit-samples", type=int, default=1200)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    head = load_head(args.head)
    t0 = time.perf_counter()
    runs = {}
    for name, n, seed in (("fit", args.fit_samples, CALIBRATION_SEED),
                          ("check", args.samples, args.seed)):
        w = sparse_weights(n, seed)
        s, found = image_round_trip(head, w, [Identity.default()] * n, args.size, name)
        runs[name] = (w[found], s[found])
    seconds = time.perf_counter() - t0
    (fw, fs), (cw, cs) = runs["fit"], runs["check"]
    seen = cs.max(0)
    if head.landmark_refs is not None:  # rig-check's dead rule also counts the ceiling inputs
        seen = np.maximum(seen, ceiling_scores(head, cw, [Identity.default()] * len(cw),
                                               args.size).max(0))
    live = [k for k, n in enumerate(BLENDSHAPES) if n != "_neutral" and seen[k] >= DEAD_MAX]
    raw = pearson(cw, cs)
    decoded = pearson(cw, np.c_[cs, np.ones(len(cs))] @ ridge_readout(fs, fw))
    print(f"head={args.head}: {len(fw)} fit vectors (seed {CALIBRATION_SEED}), {len(cw)} "
          f"checked (seed {args.seed}), {seconds:.0f} s of renders")
    print(f"{'channel':<20}{'score r':>9}{'read-out r':>12}")
    for k in live:
        print(f"{BLENDSHAPES[k]:<20}{raw[k]:9.3f}{decoded[k]:12.3f}")
    print(f"live channels: {len(live)}; mean r of the channel's own score = "
          f"{raw[live].mean():.3f}; of the linear read-out of all 52 = {decoded[live].mean():.3f}")


if __name__ == "__main__":
    main()
