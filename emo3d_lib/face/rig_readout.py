"""Could a calibration that mixes channels close the rig check's gap? A read-out yardstick.

``emo3d rig-check`` correlates each channel's input weight with MediaPipe's score for that same
channel. Part of the shortfall is cross-talk: a channel the rig moves shows up in *other*
scores (the ICT head's mouthClose reads as mouthShrugLower / mouthShrugUpper, not as
mouthClose). A yardstick for what a calibration that mixes channels could undo is a linear
read-out of all 52 scores: a ridge regression from the scores (plus a constant) back to the
input weights, fitted on the calibration vectors (``ict_fit.CALIBRATION_SEED``, never the rig
check's seed) and scored on the rig check's vectors, over the same live channels.

A read-out is not a rig: it may subtract one score from another, which no posed face can do,
so its figure is a generous yardstick, not a result a calibrated head would reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emo3d_lib.face.head import Head
from emo3d_lib.face.heads import load_head
from emo3d_lib.face.ict_fit import CALIBRATION_SEED
from emo3d_lib.face.identity import Identity
from emo3d_lib.face.rig_check import (
    GOAL_MEAN_R,
    STRICT,
    STRICT_R,
    ceiling_scores,
    dead_channels,
    image_round_trip,
    pearson,
    sparse_weights,
)
from emo3d_lib.schema import BLENDSHAPES

RIDGE = 1e-2  # small: 52 scores against >= 1,000 fit vectors need little shrinkage


def _with_constant(scores: np.ndarray) -> np.ndarray:
    return np.c_[scores, np.ones(len(scores))]


def ridge_readout(scores: np.ndarray, weights: np.ndarray, lam: float = RIDGE) -> np.ndarray:
    """(53, 52) coefficients mapping [scores, 1] to the weights (least squares with a ridge)."""
    x = _with_constant(scores)
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ weights)


def read_out(coef: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The weights the read-out ``coef`` recovers from scores (N, 52)."""
    return _with_constant(scores) @ coef


@dataclass
class Readout:
    """``channels``: per live channel, r of its own score and of the read-out; the means are
    over those channels (the first is rig-check's mean r on the same vectors)."""

    channels: pd.DataFrame
    fit_samples: int
    detected: int
    samples: int

    @property
    def own_mean(self) -> float:
        return float(self.channels["own score r"].mean())

    @property
    def readout_mean(self) -> float:
        return float(self.channels["read-out r"].mean())

    def strict_met(self, column: str) -> int:
        """How many of the bar's strict channels reach ``STRICT_R`` in ``column``."""
        strict = self.channels[self.channels["channel"].isin(STRICT)]
        return int((strict[column] >= STRICT_R).sum())


def _live(head: Head, weights: np.ndarray, scores: np.ndarray, size: int) -> list[int]:
    """rig-check's live channels for this head alone (its dead rule over this head's images and,
    where the head has a landmark correspondence, its ceiling inputs)."""
    seen = scores.max(0)
    if head.landmark_refs is not None:
        idents = [Identity.default()] * len(weights)
        seen = np.maximum(seen, ceiling_scores(head, weights, idents, size).max(0))
    dead = dead_channels(seen)
    return [k for k, n in enumerate(BLENDSHAPES) if n != "_neutral" and n not in dead]


def readout_check(head: str | Head = "ict", samples: int = 300, seed: int = 0,
                  fit_samples: int = 1200, size: int = 256, live: list[int] | None = None,
                  progress: bool = True) -> Readout:
    """Render the calibration vectors and the rig check's, fit the read-out on the first and
    score it on the second. ``live``: the rig check's live channels (default: this head's)."""
    h = load_head(head) if isinstance(head, str) else head
    runs = []
    for name, n, s in (("read-out fit", fit_samples, CALIBRATION_SEED),
                       ("read-out check", samples, seed)):
        w = sparse_weights(n, s)
        scores, found = image_round_trip(h, w, [Identity.default()] * n, size, name, progress)
        runs.append((w[found], scores[found]))
    (fw, fs), (cw, cs) = runs
    live = _live(h, cw, cs, size) if live is None else live
    own = pearson(cw, cs)[live]
    recovered = pearson(cw, read_out(ridge_readout(fs, fw), cs))[live]
    table = pd.DataFrame({"channel": [BLENDSHAPES[k] for k in live], "own score r": own,
                          "read-out r": recovered})
    return Readout(table, len(fw), len(cw), samples)


def readout_verdict(res: Readout, goal: float = GOAL_MEAN_R) -> str:
    """The sentence the book prints: where the yardstick lands against the goals."""
    n_strict = int(res.channels["channel"].isin(STRICT).sum())
    margin = res.readout_mean - goal
    reach = (f"this generous yardstick reaches the {goal} goal by {margin:.3f}" if margin >= 0
             else f"even this generous yardstick stays {-margin:.3f} below the {goal} goal")
    return (f"The read-out recovers the weights at mean r **{res.readout_mean:.3f}** against "
            f"{res.own_mean:.3f} from each channel's own score: {reach}. It brings "
            f"{res.strict_met('read-out r')} of {n_strict} strict channels to {STRICT_R} "
            f"(own scores: {res.strict_met('own score r')}).")
