"""Valence/arousal from an emotion distribution, through Russell's (1980) circumplex of affect.

Russell, J. A. (1980). A circumplex model of affect. *Journal of Personality and Social
Psychology*, 39(6), 1161-1178. His model places affect on a circle whose reference axes are
pleasure (0 deg), excitement (45), arousal (90), distress (135), displeasure (180), depression
(225), sleepiness (270) and relaxation (315). We put each of the eight Emo3D emotions at an angle
on that circle (unit radius), so valence = cos(angle) and arousal = sin(angle):

- happiness, surprise, anger, fear and sadness sit near Russell's words *happy*, *astonished*,
  *angry*, *afraid* and *sad*; the angles are our approximate placements rounded to 5 degrees,
  not values copied from his tables;
- disgust and contempt are not among Russell's 28 affect words: we place them between distress
  and displeasure (unpleasant, moderately / mildly aroused);
- neutral is the origin (no valence, no arousal).

A distribution (intensities in [0, 1] that need not sum to 1) is normalised to sum 1, and its
valence/arousal is the weighted mean of the emotions' points, so weight on neutral pulls the
point towards the origin. The mapping is a documented convention for comparing distributions
on two interpretable axes; it is not a measurement of valence or arousal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, N_EMOTIONS

#: Angle on the circumplex in degrees (None = origin), and the word it was placed near.
CIRCUMPLEX_ANGLES: dict[str, tuple[float | None, str]] = {
    "neutral": (None, "origin (no affect)"),
    "happiness": (10.0, "happy (near pleasure, 0 deg)"),
    "surprise": (70.0, "astonished (between excitement 45 and arousal 90)"),
    "sadness": (210.0, "sad (between displeasure 180 and depression 225)"),
    "anger": (100.0, "angry (just past arousal 90)"),
    "disgust": (145.0, "our placement (past distress 135)"),
    "fear": (115.0, "afraid (between arousal 90 and distress 135)"),
    "contempt": (165.0, "our placement (near displeasure 180)"),
}


def _coordinates() -> np.ndarray:
    coords = np.zeros((N_EMOTIONS, 2), dtype=np.float64)
    for i, name in enumerate(EMOTIONS):
        angle, _ = CIRCUMPLEX_ANGLES[name]
        if angle is not None:
            rad = np.deg2rad(angle)
            coords[i] = (np.cos(rad), np.sin(rad))
    return coords


#: ``(8, 2)`` valence, arousal of each emotion in ``EMOTIONS`` order.
CIRCUMPLEX_VA: np.ndarray = _coordinates()


def circumplex_table() -> pd.DataFrame:
    """The per-emotion coordinates as a table for the book."""
    rows = []
    for i, name in enumerate(EMOTIONS):
        angle, near = CIRCUMPLEX_ANGLES[name]
        rows.append({"emotion": name, "angle_deg": angle, "placed near": near,
                     "valence": round(float(CIRCUMPLEX_VA[i, 0]), 3),
                     "arousal": round(float(CIRCUMPLEX_VA[i, 1]), 3)})
    return pd.DataFrame(rows).set_index("emotion")


def valence_arousal(distributions: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """``(N, 8)`` emotion intensities -> ``(N, 2)`` valence, arousal in [-1, 1]."""
    dist = np.asarray(distributions, dtype=np.float64)
    if dist.ndim != 2 or dist.shape[1] != N_EMOTIONS:
        raise Emo3DError(f"valence_arousal: distributions must be (N, {N_EMOTIONS}), "
                         f"got shape {dist.shape}")
    if np.any(dist < 0) or not np.all(np.isfinite(dist)):
        raise Emo3DError("valence_arousal: distributions must be finite and non-negative")
    weights = dist / (dist.sum(axis=1, keepdims=True) + eps)
    return weights @ CIRCUMPLEX_VA
