"""How much of the rig-fidelity gap is the rig's shapes? Fit one channel to what MediaPipe reads.

rig-check measures how well FaceLandmarker reads each channel back from rendered faces. This
study asks whether better shapes would close the gap: for one channel it adds a correction field
(a few groups of control landmarks, each with one 3D offset, spread over the skin like the rig's
own fields) and searches the offsets that maximise the channel's Pearson r on rendered faces,
minus a penalty when the channel leaks into another one. ``bound`` caps every offset (cm on the
canonical face, ~18 cm tall) so the face stays plausible; without a bound and without the leak
penalty the search is free to exploit the readout.
The fits are then checked together by rig-check on its own vectors, which no fit has seen. The
shipped rig does not use the fitted offsets: bounded fits gain little on held-out faces (and cost
other channels); unbounded ones gain little more while leaks are charged, and without that
charge they win their r with torn faces MediaPipe also reads as other channels (the book's
rig chapter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face import landmarks as lm
from emo3d_lib.face.builtin_head import build_builtin_head, skin_context
from emo3d_lib.face.head import Head
from emo3d_lib.face.heads import load_head
from emo3d_lib.face.rig import RigContext
from emo3d_lib.face.rig_check import RigCheck, pearson, run_rig_check, sparse_weights
from emo3d_lib.schema import BLENDSHAPES

_CORNER = (291, 308, 375, 409, 415, 324)
_MOUTH_PINS = (61, 78, 0, 17, lm.NOSE_TIP, 6)
_INNER_BROW = (336, 296, 285, 295)
#: channel (Left side or central) -> (control landmark groups, pinned landmarks, spread radius).
#: A Right channel uses the mirror of its Left twin's groups.
CONTROL_GROUPS: dict[str, tuple[tuple[tuple[int, ...], ...], tuple[int, ...], float]] = {
    "browDownLeft": ((_INNER_BROW, (334, 282), (300, 293, 276, 283)),
                     lm.LEFT_EYE_LOWER + (lm.FOREHEAD,), 1.6),
    "browInnerUp": ((_INNER_BROW, (107, 66, 55, 65), (9, 151)),
                    lm.LEFT_EYE_LOWER + lm.RIGHT_EYE_LOWER + (300, 70, 6), 1.5),
    "eyeSquintLeft": ((lm.LEFT_EYE_LOWER[1:-1], (346, 347, 348, 330), lm.LEFT_EYE_UPPER[1:-1]),
                      lm.LEFT_BROW_LOWER, 0.7),
    "eyeWideLeft": ((lm.LEFT_EYE_UPPER[1:5], lm.LEFT_EYE_UPPER[5:-1], lm.LEFT_EYE_LOWER[1:-1]),
                    lm.LEFT_BROW_UPPER, 0.7),
    "mouthFrownLeft": ((_CORNER, (321, 405, 314), (269, 270)), _MOUTH_PINS, 1.2),
    "mouthSmileLeft": ((_CORNER, (321, 405, 314, 402, 317), (269, 270, 267, 311, 312)),
                       _MOUTH_PINS, 1.4),
    "mouthStretchLeft": ((_CORNER, (321, 405, 314, 402, 317), (269, 270, 267, 311, 312)),
                         _MOUTH_PINS, 1.4),
    "mouthUpperUpLeft": (((267, 269, 270, 409), (312, 311, 310, 415), (0, 13)),
                         (61, 78, 291, 308, lm.NOSE_TIP) + lm.LIPS_LOWER_INNER, 0.8),
}
FIT_SEED = 4242  # probe vectors; the held-out check uses rig-check's (seed 0)
#: a leak (r of this channel's weight with another channel's score) below this costs nothing
LEAK_FREE = 0.35


def fittable() -> list[str]:
    """Channels with control groups (both sides of each Left entry)."""
    out = []
    for name in CONTROL_GROUPS:
        out.append(name)
        if name.endswith("Left"):
            out.append(name[: -len("Left")] + "Right")
    return sorted(out)


def control_groups(channel: str) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], float,
                                          bool]:
    """(groups, pins, radius, mirrored) of a fittable channel; an error names the others."""
    key = channel if channel in CONTROL_GROUPS else channel.replace("Right", "Left")
    if key not in CONTROL_GROUPS or channel not in BLENDSHAPES:
        raise Emo3DError(f"no control groups for channel {channel!r}; fittable: "
                         f"{', '.join(fittable())}")
    return (*CONTROL_GROUPS[key], channel != key)


def correction_basis(ctx: RigContext, channel: str) -> np.ndarray:
    """(3 x groups, V, 3): the field of a unit offset of each group along x, y and z."""
    groups, pins, radius, right = control_groups(channel)
    basis = []
    for g in range(len(groups)):
        for axis in range(3):
            anchors = {i: np.zeros(3) for i in pins}
            for h, ids in enumerate(groups):  # every group present: zero offsets pin it
                anchors.update({i: np.eye(3)[axis] if h == g else np.zeros(3) for i in ids})
            f = ctx.field(anchors, radius)
            basis.append(ctx.mirrored(f) if right else f)
    return np.stack(basis).astype(np.float32)


def probe_weights(channel: str, samples: int, seed: int) -> np.ndarray:
    """Sparse background vectors; the channel is on (U(0.1, 1)) in half of them, off in half."""
    k = BLENDSHAPES.index(channel)
    w = sparse_weights(samples, seed)
    w[:, k] = 0.0
    half = samples // 2
    w[:half, k] = np.random.default_rng(seed).uniform(0.1, 1.0, half)
    return w


@dataclass
class ChannelFit:
    """One channel's fit: offsets per basis field and r on the probe set before and after."""

    channel: str
    bound: float | None
    penalize_leaks: bool
    seed: int
    params: np.ndarray
    r_probe_before: float
    r_probe_after: float
    leak_after: float  # the largest r of this channel's weight with another channel's score
    evals: int
    top_reads: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"channel": self.channel, "bound_cm": self.bound,
                "penalize_leaks": self.penalize_leaks, "seed": self.seed,
                "params_cm": [round(float(p), 4) for p in self.params],
                "r_probe_before": self.r_probe_before, "r_probe_after": self.r_probe_after,
                "leak_after": self.leak_after, "evals": self.evals,
                "top_reads_at_weight_1": self.top_reads}


def corrected_head(fits: list[ChannelFit]) -> Head:
    """A fresh built-in head with every fit's correction added to its channel's morph target."""
    head = build_builtin_head()
    ctx = skin_context()
    for fit in fits:
        k = BLENDSHAPES.index(fit.channel)
        head.parts[0].morph_targets[k] += np.tensordot(
            fit.params, correction_basis(ctx, fit.channel), 1).astype(np.float32)
    return head


class _Probe:
    """Renders vectors on a head whose one morph target can be swapped, reads them back."""

    def __init__(self, channel: str, size: int) -> None:
        from emo3d_lib.face.mediapipe_extract import shared_extractor
        from emo3d_lib.face.render import FaceRenderer

        self.k = BLENDSHAPES.index(channel)
        self.head = build_builtin_head()
        self.skin = self.head.parts[0]
        self.base = self.skin.morph_targets[self.k].copy()
        self.renderer = FaceRenderer(self.head, size=size)
        self.extractor = shared_extractor()

    def use(self, correction: np.ndarray) -> None:
        self.skin.morph_targets[self.k] = self.base + correction  # the renderer morphs on the CPU

    def scores(self, weights: np.ndarray) -> np.ndarray:
        found = self.extractor.extract(self.renderer.render(weights))
        return np.stack([np.zeros(len(BLENDSHAPES), np.float32) if s is None else s
                         for s in found])

    def objective(self, weights: np.ndarray, leak_free: float | None = LEAK_FREE
                  ) -> tuple[float, float, float]:
        """(score to maximise, r of the channel, largest leak into another channel); leaks above
        ``leak_free`` are subtracted from r (``None``: leaks cost nothing)."""
        s = self.scores(weights)
        r = float(pearson(weights[:, [self.k]], s[:, [self.k]])[0])
        leaks = pearson(np.repeat(weights[:, [self.k]], len(BLENDSHAPES), 1), s)
        leaks[[0, self.k]] = 0.0
        leak = float(leaks.max())
        return r - (0.0 if leak_free is None else max(0.0, leak - leak_free)), r, leak

    def top_reads(self) -> list[tuple[str, float]]:
        w = np.zeros((1, len(BLENDSHAPES)), np.float32)
        w[0, self.k] = 1.0
        s = self.scores(w)[0]
        return [(BLENDSHAPES[j], round(float(s[j]), 3)) for j in np.argsort(-s)[:4]]


def fit_channel(channel: str, *, bound: float | None = 0.4, budget: int = 90, samples: int = 64,
                seed: int | None = None, size: int = 256, step: float = 0.3,
                penalize_leaks: bool = True, progress: bool = True) -> ChannelFit:
    """Pattern search over the offsets (deterministic: fixed vectors, fixed order of moves).

    ``bound=None`` lets offsets grow without limit; ``penalize_leaks=False`` also stops charging
    for a shape MediaPipe reads as other channels: together, the search is free to exploit.
    """
    if budget < 1 or samples < 8:
        raise Emo3DError(f"budget must be >= 1 and samples >= 8, got {budget} and {samples}")
    if bound is not None and not bound > 0:
        raise Emo3DError(f"bound must be > 0 cm (or None for a free fit), got {bound}")
    seed = FIT_SEED if seed is None else seed
    basis = correction_basis(skin_context(), channel)
    probe = _Probe(channel, size)
    weights = probe_weights(channel, samples, seed)
    params = np.zeros(len(basis))
    leak_free = LEAK_FREE if penalize_leaks else None
    best = probe.objective(weights, leak_free)
    start, evals = best, 1
    bar = tqdm(total=budget, desc=f"rig-fit {channel}", disable=not progress, leave=False)
    while evals < budget and step > 0.04:
        improved = False
        for j in range(len(params)):
            for sign in (1.0, -1.0):
                trial = params.copy()
                trial[j] += sign * step
                if (bound is not None and abs(trial[j]) > bound) or evals >= budget:
                    continue
                probe.use(np.tensordot(trial, basis, 1))
                val = probe.objective(weights, leak_free)
                evals += 1
                bar.update(1)
                if val[0] > best[0] + 1e-4:
                    params, best, improved = trial, val, True
                    break
        if not improved:
            step /= 2
    bar.close()
    fit = ChannelFit(channel=channel, bound=bound, penalize_leaks=penalize_leaks, seed=seed,
                     params=params,
                     r_probe_before=start[1], r_probe_after=best[1], leak_after=best[2],
                     evals=evals)
    probe.use(np.zeros_like(probe.base))
    fit.top_reads["before"] = probe.top_reads()
    probe.use(np.tensordot(params, basis, 1))
    fit.top_reads["after"] = probe.top_reads()
    return fit


def heldout_check(fits: list[ChannelFit], samples: int = 300, seed: int = 0, size: int = 256,
                  progress: bool = True, before: RigCheck | None = None
                  ) -> tuple[RigCheck, RigCheck]:
    """rig-check of the shipped rig (``before`` if given: same samples, seed and size) and of
    the rig with every fit applied, on the same vectors (rig-check's own: never seen by a fit).
    Compare on the first one's live channels."""
    if before is None:
        before = run_rig_check(head="builtin", samples=samples, seed=seed, size=size,
                               facecap=False, progress=progress)
    elif (before.samples, before.seed) != (samples, seed):
        raise Emo3DError(f"before: a rig-check of {before.samples} vectors, seed {before.seed}; "
                         f"this check uses {samples}, seed {seed}")
    after = run_rig_check(head="builtin", samples=samples, seed=seed, size=size, facecap=False,
                          progress=progress, builtin=corrected_head(fits))
    after.dead = before.dead
    return before, after


def preview(fit: ChannelFit, size: int = 256) -> np.ndarray:
    """uint8 image: weight 0, 0.5, 1 of the channel; top row as shipped, bottom row fitted."""
    from emo3d_lib.face.render import FaceRenderer

    k = BLENDSHAPES.index(fit.channel)
    w = np.zeros((3, len(BLENDSHAPES)), np.float32)
    w[1:, k] = (0.5, 1.0)
    rows = [FaceRenderer(head, size=size).render(w)
            for head in (load_head("builtin"), corrected_head([fit]))]
    return np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)


def study_settings(bound: float) -> dict[str, tuple[float | None, bool]]:
    """The book's settings, name -> (bound in cm or None, are leaks charged?): bounded and
    leak-charged; unbounded; unbounded with leaks free (free to exploit the readout)."""
    return {f"bounded {bound} cm": (bound, True), "no bound": (None, True),
            "no bound, leaks free": (None, False)}


@dataclass
class StudyRow:
    """One channel fitted under one setting, with its held-out r before and after."""

    setting: str
    fit: ChannelFit
    r_heldout_before: float
    r_heldout_after: float


def run_study(channels: list[str], settings: dict[str, tuple[float | None, bool]],
              budget: int = 60, samples: int = 48, heldout: int = 300, size: int = 256
              ) -> tuple[list[StudyRow], dict[str, tuple[float, float]]]:
    """Fit every channel under every setting; per setting, one held-out rig-check with all its
    fits applied. Returns the rows and, per setting, (mean r shipped, mean r fitted)."""
    rows: list[StudyRow] = []
    means: dict[str, tuple[float, float]] = {}
    shipped: RigCheck | None = None
    for label, (bound, penalize) in settings.items():
        fits = [fit_channel(c, bound=bound, budget=budget, samples=samples, size=size,
                            penalize_leaks=penalize, progress=False) for c in channels]
        shipped, after = heldout_check(fits, samples=heldout, size=size, progress=False,
                                       before=shipped)
        means[label] = (shipped.mean_r, after.mean_r)
        for fit in fits:
            k = BLENDSHAPES.index(fit.channel)
            rows.append(StudyRow(label, fit, float(shipped.r_image[k]), float(after.r_image[k])))
    return rows, means
