"""Where the rig check's image path loses what its ceiling keeps, face region by face region.

The rig check's ceiling feeds the head's true projected landmarks to MediaPipe's blendshape
model; the image path feeds the landmarks FaceLandmarker detects on the render. Their gap is
lost in detection. To place it, each region's detected landmarks are replaced by the detected
*neutral* positions plus the region's *true motion* (its true landmarks minus the true neutral
ones), the other landmarks stay as detected, and the blendshape model scores the mix. The rise
of the mean r over the rig check's live channels is what that region's detection costs. Moving
only the motion, not the positions, keeps each region where the detector put the neutral face,
so a swap does not also correct the small offset between where a landmark is bound on the mesh
and where the detector sees it.

Per region it also reports how far the detected landmarks follow the true motion (tracking
gain: the least-squares factor from true to detected displacement; 1 = follows fully) and the
rms detection error of that motion in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face import landmarks as lm
from emo3d_lib.face.head import Head
from emo3d_lib.face.heads import load_head
from emo3d_lib.face.identity import Identity
from emo3d_lib.face.rig_check import detect_round_trip, pearson, sparse_weights
from emo3d_lib.schema import BLENDSHAPES

#: The regions swapped one at a time (MediaPipe landmark ids, each once: the contours share their
#: corner points): "lips" are the 40 lip contour points, outer and inner.
REGIONS: dict[str, tuple[int, ...]] = {name: tuple(sorted(set(ids))) for name, ids in {
    "lips": lm.LIPS_UPPER_OUTER + lm.LIPS_LOWER_OUTER + lm.LIPS_UPPER_INNER
    + lm.LIPS_LOWER_INNER,
    "iris": lm.RIGHT_IRIS + lm.LEFT_IRIS,
    "eyelids": lm.RIGHT_EYE_UPPER + lm.RIGHT_EYE_LOWER + lm.LEFT_EYE_UPPER + lm.LEFT_EYE_LOWER,
    "brows": lm.RIGHT_BROW_UPPER + lm.RIGHT_BROW_LOWER + lm.LEFT_BROW_UPPER + lm.LEFT_BROW_LOWER,
    "jaw line": lm.JAW_LINE,
}.items()}


@dataclass
class RegionAttribution:
    """``regions``: one row per swap (the detected landmarks, each region, all regions, every
    landmark); ``channels``: per live channel, r with the detected landmarks, with each region
    swapped, and the ceiling. ``premise``: the largest difference between the task's own scores
    and the blendshape model's on the detected landmarks (the method assumes it is ~0)."""

    regions: pd.DataFrame
    channels: pd.DataFrame
    samples: int
    seed: int
    detected: int
    premise: float


def _swap(detected: np.ndarray, true: np.ndarray, ids: list[int]) -> np.ndarray:
    """Detected landmarks with ``ids`` moved to detected neutral + true motion (row 0 = neutral)."""
    out = detected.copy()
    out[:, ids] = detected[0, ids] + (true[:, ids] - true[0, ids])
    return out


def _tracking(detected: np.ndarray, true: np.ndarray, ids: list[int]) -> tuple[float, ...]:
    """(tracking gain, rms error px, rms true motion px) of the landmarks ``ids``."""
    d_true = true[1:, ids] - true[0, ids]
    d_det = detected[1:, ids] - detected[0, ids]
    denom = float((d_true**2).sum())
    gain = float((d_det * d_true).sum()) / denom if denom > 0 else float("nan")
    err = float(np.sqrt(((d_det - d_true) ** 2).sum(-1).mean()))
    return gain, err, float(np.sqrt((d_true**2).sum(-1).mean()))


def region_attribution(head: str | Head = "ict", samples: int = 300, seed: int = 0,
                       size: int = 256, live: list[int] | None = None,
                       progress: bool = True) -> RegionAttribution:
    """Render the rig check's vectors (``samples``, ``seed``; frontal default shot) plus the
    neutral face, detect, and score each region swap. ``live``: the rig check's live channel
    indices (default: every channel but ``_neutral``), so the means match its table."""
    from emo3d_lib.face import scene
    from emo3d_lib.face.ceiling import BlendshapeModel

    h = load_head(head) if isinstance(head, str) else head
    if h.landmark_refs is None:
        raise Emo3DError(f"head {h.name!r} has no landmark correspondence: no true landmarks")
    weights = np.concatenate([np.zeros((1, len(BLENDSHAPES)), np.float32),
                              sparse_weights(samples, seed)])
    ident = Identity.default()
    task, found, detected = detect_round_trip(h, weights, [ident] * len(weights), size,
                                           "rig regions", progress)
    if not found[0]:
        raise Emo3DError(f"head {h.name!r}: no face detected on the neutral render")
    true = np.stack([scene.landmarks_px(h, w, ident, size) for w in weights])
    keep = np.flatnonzero(found)  # row 0 (neutral) is among them
    detected, true, w_in, task = detected[keep], true[keep], weights[keep][1:], task[keep]
    live = list(range(1, len(BLENDSHAPES))) if live is None else list(live)
    model = BlendshapeModel()

    def r_of(points: np.ndarray) -> np.ndarray:
        return pearson(w_in, model(points)[1:])

    every = list(range(detected.shape[1]))
    swaps = {"none (detected)": [], **{k: list(v) for k, v in REGIONS.items()},
             "all five regions": sorted({i for v in REGIONS.values() for i in v}),
             "every landmark": every}
    rows, cols = [], {"detected": r_of(detected)}
    for name, ids in swaps.items():
        r = r_of(_swap(detected, true, ids)) if ids else cols["detected"]
        gain, err, motion = _tracking(detected, true, ids) if ids else (np.nan,) * 3
        rows.append({"true motion swapped in": name, "landmarks": len(ids),
                     "mean r": float(r[live].mean()), "tracking gain": gain,
                     "rms error px": err, "rms motion px": motion})
        if name in REGIONS:
            cols[name] = r
    cols["ceiling"] = r_of(true)
    rows.append({"true motion swapped in": "ceiling (true positions)", "landmarks": len(every),
                 "mean r": float(cols["ceiling"][live].mean()), "tracking gain": np.nan,
                 "rms error px": np.nan, "rms motion px": np.nan})
    regions = pd.DataFrame(rows)
    regions["gain over detected"] = regions["mean r"] - regions["mean r"].iloc[0]
    channels = pd.DataFrame({"channel": [BLENDSHAPES[k] for k in live],
                             **{c: v[live] for c, v in cols.items()}})
    premise = float(np.abs(model(detected) - task).max())
    return RegionAttribution(regions=regions, channels=channels, samples=samples, seed=seed,
                             detected=int(found[1:].sum()), premise=premise)


def largest_loss(regions: pd.DataFrame) -> tuple[str, float]:
    """The one region whose true motion, swapped in, lifts the mean r most, and that mean r."""
    one = regions.set_index("true motion swapped in").loc[list(REGIONS), "mean r"]
    return str(one.idxmax()), float(one.max())


def detector_verdict(head: pd.DataFrame, other: pd.DataFrame) -> str:
    """Two heads' region tables -> whether their largest loss is the same region: then two
    meshes and paint jobs share only the detector, and that loss is the detector's."""
    a, b = largest_loss(head)[0], largest_loss(other)[0]
    if a == b:
        return (f"Both heads lose the most in the {a}: two different meshes and paint jobs, one "
                f"detector, so that loss is FaceLandmarker's reading of rendered {a}, not one "
                "head's.")
    return (f"The two heads lose the most in different regions ({a}, {b}), so neither loss can "
            "be put down to the detector alone.")
