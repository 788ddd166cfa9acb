"""Fit the ICT head to MediaPipe: landmark correspondence and per-channel response.

1. ``bind_landmarks``: FaceLandmarker's 478 landmarks, detected on the neutral frontal render,
   each bound to the visible surface vertex under it (the nearest projected vertex among those
   at the front of the local depth), iris points 468-477 to the eyeball parts. This gives the
   head's ``landmark_refs`` and with it the ceiling path of the rig check.
2. ``calibrate``: per-channel gain on the ICT deltas and response exponent, chosen on the cheap
   ceiling path (true projected landmarks -> ``face_blendshapes.tflite``), then checked on
   images with ``emo3d rig-check``. Gains are capped (``MAX_GAIN``): the shapes are scans of real
   faces at weight 1, so more than that would paint movements no face makes.
3. ``symmetrize``: each left/right pair takes the larger of its two gains. The ICT shapes of a
   pair are mirror images and a bilateral action unit moves both sides alike, but the per-channel
   choice is noisy: it left pairs lopsided (a frown 2.0 on one side, 0.7 on the other), and on
   the held-out rig check the side with the larger gain read better in 6 of 7 such pairs.

4. ``descend``: coordinate descent on the *image* path (render -> FaceLandmarker) from the
   symmetrized calibration: one channel (a pair together) at a time tries a larger/smaller gain
   and a flatter/steeper response exponent, and keeps a step only if the mean r over all live
   channels rises on the calibration vectors (``CALIBRATION_SEED``, never rig-check's seed 0).
   Re-rendering only the vectors with that channel on makes each try cheap, and judging on
   the mean over every channel counts the crosstalk a stronger channel causes in the others.
   (Stepping every channel at once and choosing per channel, as ``calibrate`` does, chased
   noise here: the combined choice read worse than where it started.) ``--strict`` also counts
   the bar's strict channels' shortfall below 0.8. The descent sees only MediaPipe, so the
   FER2013 readability benchmark (``benchmarks/bench_readability.py``) guards it: a move that
   makes a prototype face read worse is reverted by hand, recorded in the JSON's
   ``readability_reverts`` (one record per revert).

Run ``python -m emo3d_lib.face.ict_fit landmarks``, ``... calibrate``, ``... symmetrize``, then
``... descend``; each rewrites a small JSON file beside this module (with how it was produced).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from emo3d_lib import atomic
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face import landmarks as lm
from emo3d_lib.face import scene
from emo3d_lib.face.head import Head
from emo3d_lib.face.ict_head import CALIBRATION_FILE, LANDMARKS_FILE, build_ict_head
from emo3d_lib.face.identity import Identity
from emo3d_lib.face.landmarks import N_LANDMARKS
from emo3d_lib.schema import BLENDSHAPES, MIRROR_INDEX, MIRROR_NAME

BIND_SIZE = 512
IRIS = range(468, 478)
OPEN_JAW = 0.35  # jawOpen of the render the inner lip contours are bound on
CALIBRATION_SEED = 12345  # not rig-check's seed 0: the benchmark stays held out
MAX_GAIN = 2.0
#: lower caps, checked on renders at weight 1 (whatever MediaPipe makes of more): mouthClose is
#: ICT's corrective for an open jaw, above 1 on its own it drives the lips through each other;
#: a dimple above 1 cuts a gash into the cheek; eyeWide above 1.4 rings the whole iris in white;
#: eyeBlink at 1 leaves a slit of white, at 1.25 the lids just meet, further (1.56) the upper lid
#: runs over the lower one
GAIN_CAPS = {"mouthClose": 1.0, "mouthDimpleLeft": 1.0, "mouthDimpleRight": 1.0,
             "eyeWideLeft": 1.4, "eyeWideRight": 1.4, "eyeBlinkLeft": 1.25, "eyeBlinkRight": 1.25}
GAINS = (0.7, 1.0, 1.3, 1.6, 2.0)
CURVES = (0.6, 0.8, 1.0)
IMAGE_GAINS = (0.7, 1.0, 1.4, 2.0)
#: --refine: (gain, exponent) multipliers of the shipped calibration. The readout has a dead zone
#: (weights below ~0.3 read as 0 on many channels): an exponent < 1 lifts small weights out of it
REFINE = ((1.0, 1.0), (1.0, 0.7), (1.0, 0.5), (1.4, 0.7), (1.4, 1.0), (0.8, 1.0))
#: --descend: (gain, exponent) multipliers of the current setting each channel tries in turn
#: on the image path (the first is staying put); a left/right pair moves together
STEPS = ((1.0, 1.0), (1.25, 1.0), (0.8, 1.0), (1.0, 0.75), (1.0, 1.33))
CURVE_RANGE = (0.35, 1.6)  # response exponents stay within this
MIN_GAIN_R = 0.001  # a step must raise the mean r by this much (selection noise)


def detected_landmarks(head: Head, weights: np.ndarray, size: int = BIND_SIZE) -> np.ndarray:
    """(478, 2) pixel positions FaceLandmarker finds on the frontal render of ``weights``."""
    from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor
    from emo3d_lib.face.render import FaceRenderer

    img = FaceRenderer(head, size=size).render(weights[None])
    with BlendshapeExtractor() as ex:
        _, points = ex.extract(img, landmarks=True)
    if points[0] is None:
        raise Emo3DError(f"head {head.name!r}: FaceLandmarker found no face on the bind render")
    return points[0][:, :2] * size


def _bind(head: Head, weights: np.ndarray, which: list[int], refs: np.ndarray, size: int,
          depth_cm: float) -> None:
    """Bind landmarks ``which`` on the frontal render of ``weights`` (writes into ``refs``)."""
    target = detected_landmarks(head, weights, size)
    ident = Identity.default()
    mvp, _ = scene.camera(ident, size)
    eff = head.effective_weights(weights)
    eyes = tuple(i for i, p in enumerate(head.parts) if p.gaze is not None)
    skin = tuple(i for i, p in enumerate(head.parts) if p.tinted)
    cand = {}
    for group in (skin, eyes):
        pid, vid, pts = [], [], []
        for pi in group:
            world = scene.to_world(head, head.parts[pi].morphed(eff), ident)
            pts.append(np.concatenate([scene.project(world, mvp, size)[:, :2], world[:, 2:]], 1))
            pid.append(np.full(len(world), pi))
            vid.append(np.arange(len(world)))
        cand[group] = (np.concatenate(pid), np.concatenate(vid), np.concatenate(pts))
    for k in which:
        pid, vid, pts = cand[eyes if k in IRIS else skin]
        d = np.linalg.norm(pts[:, :2] - target[k], axis=1)
        near = d < max(3.0, float(np.sort(d)[8]))
        front = near & (pts[:, 2] > pts[near, 2].max() - depth_cm)
        j = np.flatnonzero(front)[d[front].argmin()]
        refs[k] = (pid[j], vid[j])


def bind_landmarks(head: Head, size: int = BIND_SIZE, depth_cm: float = 0.6) -> np.ndarray:
    """(478, 2) (part index, vertex index) of the visible vertex under each detected landmark.

    Everything is bound on the neutral face except the inner lip contours: with the lips
    closed the upper and lower inner contour meet, so they are bound on a half-open mouth."""
    refs = np.zeros((N_LANDMARKS, 2), np.int32)
    zero = np.zeros(len(BLENDSHAPES), np.float32)
    _bind(head, zero, list(range(N_LANDMARKS)), refs, size, depth_cm)
    open_mouth = zero.copy()
    open_mouth[BLENDSHAPES.index("jawOpen")] = OPEN_JAW
    inner = sorted(set(lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER))
    _bind(head, open_mouth, inner, refs, size, depth_cm)
    return refs


def write_landmarks(refs: np.ndarray, path: Path | None = None) -> Path:
    target = path or Path(__file__).with_name(LANDMARKS_FILE)
    atomic.write_text(target, json.dumps({
        "made_by": "python -m emo3d_lib.face.ict_fit landmarks",
        "how": f"FaceLandmarker on the neutral frontal render ({BIND_SIZE} px; inner lips at "
               f"jawOpen {OPEN_JAW}), each landmark bound to the front-most vertex under it",
        "landmark_refs": refs.tolist()}) + "\n")
    return target


def channel_r(head: Head, weights: np.ndarray, path: str, size: int = 256) -> np.ndarray:
    """Per-channel Pearson r of the weights against MediaPipe's reading (ceiling or image)."""
    from emo3d_lib.face.rig_check import ceiling_scores, image_round_trip, pearson

    idents = [Identity.default()] * len(weights)
    if path == "ceiling":
        return pearson(weights, ceiling_scores(head, weights, idents, size))
    scores, found = image_round_trip(head, weights, idents, size, "calibrate", progress=False)
    return pearson(weights[found], scores[found])


def calibrate(samples: int = 300, seed: int = CALIBRATION_SEED, path: str = "ceiling",
              refine: bool = False, pool_twins: bool = False) -> tuple[dict, dict, dict]:
    """(gains, curves, report): per channel the (gain, exponent) with the best r on ``path``.

    One pass per candidate with *every* channel at that candidate (the sparse vectors switch
    on ~5 channels at a time, so channels barely interact). The image path is slower (a render
    and a detection per vector), so it tries gains at a linear response only."""
    from emo3d_lib.face.rig_check import sparse_weights

    weights = sparse_weights(samples, seed)
    names = [n for n in BLENDSHAPES if n != "_neutral"]
    if refine:  # multipliers of the shipped gains and exponents
        cal = _shipped()
        g0 = {n: float(cal.get("gains", {}).get(n, 1.0)) for n in names}
        c0 = {n: float(cal.get("curves", {}).get(n, 1.0)) for n in names}
        cands = list(REFINE)
    else:
        g0, c0 = dict.fromkeys(names, 1.0), dict.fromkeys(names, 1.0)
        cands = ([(g, c) for g in GAINS for c in CURVES] if path == "ceiling"
                 else [(g, 1.0) for g in IMAGE_GAINS])
    table = []
    for g, c in cands:
        head = build_ict_head({n: min(g0[n] * g, MAX_GAIN) for n in names},
                              {n: c0[n] * c for n in names})
        table.append(channel_r(head, weights, path))
        print(f"gain {g} curve {c}: mean {path} r {np.mean(table[-1][1:]):.3f}", flush=True)
    table = np.stack(table)
    for name, cap in GAIN_CAPS.items():
        over = [i for i, (g, _) in enumerate(cands) if g0[name] * g > cap + 1e-9]
        table[over, BLENDSHAPES.index(name)] = -1
    # pooling a left/right pair's r halves the selection noise (one setting per pair)
    best = (((table + table[:, list(MIRROR_INDEX)]) / 2) if pool_twins else table).argmax(0)
    gains = {n: round(min(g0[n] * cands[best[k]][0], MAX_GAIN), 4)
             for k, n in enumerate(BLENDSHAPES) if n in names}
    curves = {n: round(c0[n] * cands[best[k]][1], 4)
              for k, n in enumerate(BLENDSHAPES) if n in names}
    report = {n: {f"{g}x^{c}": round(float(table[i, k]), 4) for i, (g, c) in enumerate(cands)}
              for k, n in enumerate(BLENDSHAPES) if n in names}
    return gains, curves, report


def _capped(name: str, gain: float) -> float:
    return min(gain, GAIN_CAPS.get(name, MAX_GAIN), MAX_GAIN)


def _image_scores(gains: dict, curves: dict, weights: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(scores, detected) of ``weights`` on the ICT head at ``gains``/``curves``."""
    from emo3d_lib.face.rig_check import image_round_trip

    head = build_ict_head(gains, curves)
    return image_round_trip(head, weights, [Identity.default()] * len(weights), 256,
                            "calibrate", progress=False)


def _mean_live_r(weights: np.ndarray, scores: np.ndarray, found: np.ndarray,
                 live: list[int], strict: bool = False) -> float:
    """Mean r over ``live`` channels; ``strict``: less the mean shortfall of the bar's strict
    channels below ``STRICT_R`` (the bar has both parts: a channel the mean can spare may be
    one the strict list cannot)."""
    from emo3d_lib.face.rig_check import STRICT, STRICT_R, pearson

    r = pearson(weights[found], scores[found])
    short = [max(0.0, STRICT_R - r[BLENDSHAPES.index(n)]) for n in STRICT] if strict else [0.0]
    return float(np.mean(r[live]) - np.mean(short))


def descend(sweeps: int = 1, samples: int = 500, seed: int = CALIBRATION_SEED,
            strict: bool = False) -> tuple[dict, dict, list[dict]]:
    """(gains, curves, moves): coordinate descent on the *image* path from the shipped setting.

    One channel (a left/right pair together) at a time tries each step in ``STEPS``; only the
    vectors with that channel on are re-rendered (nothing else changes), and the step is kept
    if it raises the mean r over all live channels (crosstalk included) on ``samples`` vectors
    of ``seed`` by ``MIN_GAIN_R`` (``strict``: that mean less the strict channels' mean
    shortfall below the bar, see ``_mean_live_r``). Gains stay within ``MAX_GAIN``/
    ``GAIN_CAPS``, exponents within ``CURVE_RANGE``."""
    from emo3d_lib.face.rig_check import DEAD_MAX, sparse_weights

    weights = sparse_weights(samples, seed)
    names = [n for n in BLENDSHAPES if n != "_neutral"]
    cal = _shipped()
    gains = {n: _capped(n, float(cal.get("gains", {}).get(n, 1.0))) for n in names}
    curves = {n: float(cal.get("curves", {}).get(n, 1.0)) for n in names}
    scores, found = _image_scores(gains, curves, weights)
    live = [k for k in (BLENDSHAPES.index(n) for n in names) if scores[:, k].max() >= DEAD_MAX]
    best = _mean_live_r(weights, scores, found, live, strict)
    print(f"start: objective {best:.4f} ({len(live)} live channels)", flush=True)
    groups = [g for g in dict.fromkeys(tuple(sorted({n, MIRROR_NAME[n]})) for n in names)
              if BLENDSHAPES.index(g[0]) in live]
    moves = []
    for sweep in range(sweeps):
        for group in groups:
            rows = np.flatnonzero((weights[:, [BLENDSHAPES.index(n) for n in group]] > 0).any(1))
            for g, c in STEPS[1:]:
                tg = dict(gains, **{n: _capped(n, gains[n] * g) for n in group})
                tc = dict(curves, **{n: float(np.clip(curves[n] * c, *CURVE_RANGE))
                                     for n in group})
                if all((tg[n], tc[n]) == (gains[n], curves[n]) for n in group):
                    continue
                s_new, f_new = scores.copy(), found.copy()
                s_new[rows], f_new[rows] = _image_scores(tg, tc, weights[rows])
                r = _mean_live_r(weights, s_new, f_new, live, strict)
                if r > best + MIN_GAIN_R:
                    moves.append({"sweep": sweep, "channels": list(group),
                                  "from": [gains[group[0]], curves[group[0]]],
                                  "to": [round(tg[group[0]], 4), round(tc[group[0]], 4)],
                                  "mean_r": [round(best, 4), round(r, 4)]})
                    print(f"{'/'.join(group)}: gain {gains[group[0]]:.3f}->{tg[group[0]]:.3f} "
                          f"curve {curves[group[0]]:.3f}->{tc[group[0]]:.3f}: mean r "
                          f"{best:.4f}->{r:.4f}", flush=True)
                    gains, curves, scores, found, best = tg, tc, s_new, f_new, r
    return ({n: round(g, 4) for n, g in gains.items()},
            {n: round(c, 4) for n, c in curves.items()}, moves)


def write_descent(target: Path, sweeps: int, samples: int, seed: int, strict: bool) -> Path:
    """Run ``descend`` from the shipped calibration and write its result over it."""
    cal = _shipped()
    gains, curves, moves = descend(sweeps, samples, seed, strict)
    run = {"path": "image (render -> FaceLandmarker), one channel or pair at a time, "
                   "objective: mean r over live channels"
                   + (" less the strict channels' mean shortfall below the bar" if strict else ""),
           "samples": samples, "seed": seed, "steps": STEPS, "strict": strict,
           "curve_range": CURVE_RANGE, "min_gain_r": MIN_GAIN_R, "moves": moves}
    cal.update(gains=gains, curves=curves, descents=cal.get("descents", []) + [run],
               made_by=cal.get("made_by", "?") + f"; python -m emo3d_lib.face.ict_fit descend "
               f"--sweeps {sweeps} --samples {samples} --seed {seed}"
               + (" --strict" if strict else ""))
    atomic.write_text(target, json.dumps(cal, indent=1, sort_keys=True) + "\n")
    return target


def twin_max(gains: dict[str, float]) -> dict[str, float]:
    """Each left/right pair at the larger of its two gains (within ``GAIN_CAPS``/``MAX_GAIN``)."""
    return {n: min(max(g, gains.get(MIRROR_NAME[n], g)), GAIN_CAPS.get(n, MAX_GAIN))
            for n, g in gains.items()}


def _shipped() -> dict:
    from importlib import resources

    try:
        return json.loads(resources.files("emo3d_lib.face").joinpath(CALIBRATION_FILE).read_text())
    except FileNotFoundError:
        return {}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("landmarks", "calibrate", "symmetrize", "descend"))
    ap.add_argument("--sweeps", type=int, default=1, help="descend: passes over the channels")
    ap.add_argument("--strict", action="store_true",
                    help="descend: objective less the strict channels' shortfall below the bar")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    ap.add_argument("--path", default="ceiling", choices=("ceiling", "image"))
    ap.add_argument("--pool-twins", action="store_true",
                    help="choose one setting per left/right pair from their mean r")
    ap.add_argument("--refine", action="store_true",
                    help="search multipliers of the shipped calibration (REFINE)")
    args = ap.parse_args(argv)
    if args.step == "landmarks":
        print(write_landmarks(bind_landmarks(build_ict_head({}, {}))))
        return
    target = Path(__file__).with_name(CALIBRATION_FILE)
    if args.step == "descend":
        print(write_descent(target, args.sweeps, args.samples, args.seed, args.strict))
        return
    if args.step == "symmetrize":
        cal = _shipped()
        if not cal.get("gains"):
            raise Emo3DError(f"{target}: no gains to symmetrize (run the calibrate step first)")
        gains = twin_max(cal["gains"])
        cal.update(gains=gains, symmetrized={n: [g, gains[n]] for n, g in cal["gains"].items()
                                              if gains[n] != g},
                   made_by=cal.get("made_by", "?") + "; python -m emo3d_lib.face.ict_fit "
                   "symmetrize")
        atomic.write_text(target, json.dumps(cal, indent=1, sort_keys=True) + "\n")
        print(target)
        return
    previous = _shipped().get("made_by")
    gains, curves, report = calibrate(args.samples, args.seed, args.path, args.refine,
                                      args.pool_twins)
    for n, row in report.items():
        print(f"{n:<20} best {max(row.values()):.3f} at gain {gains[n]} curve {curves[n]}")
    atomic.write_text(target, json.dumps({
        "made_by": f"python -m emo3d_lib.face.ict_fit calibrate --samples {args.samples} "
                   f"--seed {args.seed} --path {args.path}" + (" --refine" if args.refine else "")
                   + (" --pool-twins" if args.pool_twins else ""),
        "refined_from": previous if args.refine else None,
        "path": {"ceiling": "ceiling (true projected landmarks -> face_blendshapes.tflite)",
                 "image": "image (render -> FaceLandmarker)"}[args.path],
        "candidates": ({"multipliers": REFINE} if args.refine
                       else {"gain": GAINS, "curve": CURVES} if args.path == "ceiling"
                       else {"gain": IMAGE_GAINS, "curve": [1.0]}), "max_gain": MAX_GAIN,
        "gain_caps": GAIN_CAPS,
        "gains": gains, "curves": curves,
        "best_r": {n: max(row.values()) for n, row in report.items()}},
        indent=1, sort_keys=True) + "\n")
    print(target)


if __name__ == "__main__":
    main()
