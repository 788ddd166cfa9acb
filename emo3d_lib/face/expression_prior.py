"""Expression prior: emotion intensities (8) -> 52 blendshape activations through FACS prototypes.

The paper drew a face for each description with DALL-E; we pose a rigged head instead, so we
need a principled way from an emotion mixture to muscle activations. We use the EMFACS emotion
prototypes (Ekman & Friesen, *Facial Action Coding System*, 1978; EMFACS, Friesen & Ekman 1983,
as tabulated by Matsumoto & Ekman): each emotion is a set of action units (AUs), and each AU
maps to one or two ARKit channels. Contempt is one-sided (R12A + R14A: the subject's right lip
corner raised and dimpled). The mapping, the gains and the noise are all explicit here and
printed as a table in the book (:func:`prototype_table`).

Combining emotions: each emotion e with intensity i_e activates AU weight w with probability-like
strength ``s = gain * w * i_e ** gamma``; channels combine as a soft OR, ``1 - prod(1 - s)``,
which stays in [0, 1] and lets mixtures (fear + surprise) share channels without saturating.
The ``neutral`` intensity damps the whole expression (a calm face shows less).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS, N_BLENDSHAPES, N_EMOTIONS
from emo3d_lib.seeding import rng_for

FACS_CITATION = (
    "Ekman, P. & Friesen, W. V. (1978). Facial Action Coding System. Consulting Psychologists "
    "Press; EMFACS emotion prototypes (Friesen & Ekman, 1983), as tabulated in Matsumoto & "
    "Ekman (2008), 'Facial expression analysis', Scholarpedia 3(5):4237."
)

#: FACS action units used by the prototypes: AU -> (name, ARKit channels it drives). Contempt's
#: unilateral AUs (EMFACS "R12A+R14A") are separate entries that drive the right side only.
ACTION_UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AU1": ("inner brow raiser", ("browInnerUp",)),
    "AU2": ("outer brow raiser", ("browOuterUpLeft", "browOuterUpRight")),
    "AU4": ("brow lowerer", ("browDownLeft", "browDownRight")),
    "AU5": ("upper lid raiser", ("eyeWideLeft", "eyeWideRight")),
    "AU6": ("cheek raiser", ("cheekSquintLeft", "cheekSquintRight")),
    "AU7": ("lid tightener", ("eyeSquintLeft", "eyeSquintRight")),
    "AU9": ("nose wrinkler", ("noseSneerLeft", "noseSneerRight")),
    "AU10": ("upper lip raiser", ("mouthUpperUpLeft", "mouthUpperUpRight")),
    "AU12": ("lip corner puller", ("mouthSmileLeft", "mouthSmileRight")),
    "R12": ("lip corner puller, right only", ("mouthSmileRight",)),
    "R14": ("dimpler, right only", ("mouthDimpleRight",)),
    "AU15": ("lip corner depressor", ("mouthFrownLeft", "mouthFrownRight")),
    "AU16": ("lower lip depressor", ("mouthLowerDownLeft", "mouthLowerDownRight")),
    "AU17": ("chin raiser", ("mouthShrugLower",)),
    "AU20": ("lip stretcher", ("mouthStretchLeft", "mouthStretchRight")),
    "AU23": ("lip tightener", ("mouthPressLeft", "mouthPressRight")),
    "AU24": ("lip pressor", ("mouthClose",)),
    "AU25": ("lips part", ("mouthLowerDownLeft", "mouthLowerDownRight")),
    "AU26": ("jaw drop", ("jawOpen",)),
    "AU64": ("eyes down (FACS eye position code)", ("eyeLookDownLeft", "eyeLookDownRight")),
}

#: EMFACS prototypes: emotion -> {AU: weight in [0, 1]} (weight ~ typical AU intensity A..E).
#: Neutral has no prototype: it damps the others (see :class:`ExpressionPrior`).
#: Where EMFACS lists several prototypes for an emotion we take the one real photographs of it
#: show most (checked with the FER2013 classifier, ``benchmarks/bench_readability.py``):
#: anger is EMFACS's open-mouthed 4+5+7+10+23+25+26 (the closed 4+5+7+23+24 was read as angry
#: on 1 of 5 ICT faces and 0 of 5 built-in ones, mostly as *neutral*); fear is 1+2+4+5+20+25+26
#: (AU7 is in no EMFACS fear prototype, and with AU4 it made fear read as sadness; AU20 at full
#: strength read as a grin, at 0.7 as surprise on 1 of 15 ICT faces, at 0.85 (D) neither);
#: surprise is its 1+2+5+26 at apex intensity (at 0.7-0.9 it was read as fear on 2 of 5 ICT
#: faces) with the jaw fully dropped (AU26 0.9: neutral or fear on 2 of 15 ICT faces, seeds 0-2;
#: 1.0: fear on 1); sadness is 1+4+15+17 with EMFACS's
#: optional eyes-down (AU64: "1+4+15B+17 +-54+64"), which lifted it on held-out identities;
#: disgust is 9+10+15+16 (+4) with the lip corners down (AU15 C-D) more than the upper lip up:
#: an upper lip raised to the gums reads as a grin.
PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happiness": {"AU6": 0.7, "AU12": 1.0, "AU25": 0.25},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 0.9, "AU26": 1.0},
    "sadness": {"AU1": 0.9, "AU4": 0.5, "AU15": 0.9, "AU17": 0.4, "AU64": 0.6},
    "anger": {"AU4": 1.0, "AU5": 0.4, "AU7": 0.7, "AU10": 0.6, "AU23": 0.5, "AU25": 0.5,
              "AU26": 0.3},
    "disgust": {"AU9": 0.9, "AU10": 0.6, "AU15": 0.7, "AU16": 0.4, "AU4": 0.3},
    "fear": {"AU1": 0.9, "AU2": 0.7, "AU4": 0.3, "AU5": 1.0, "AU20": 0.85, "AU25": 0.5,
             "AU26": 0.6},
    "contempt": {"R12": 0.7, "R14": 0.8},
}


def _prototype_matrix() -> np.ndarray:
    """(8, 52) matrix: row e = per-channel weight of emotion e's prototype at full intensity."""
    mat = np.zeros((N_EMOTIONS, N_BLENDSHAPES), dtype=np.float64)
    for e, emotion in enumerate(EMOTIONS):
        for au, weight in PROTOTYPES[emotion].items():
            for channel in ACTION_UNITS[au][1]:
                j = BLENDSHAPES.index(channel)
                mat[e, j] = max(mat[e, j], weight)
    return mat


PROTOTYPE_MATRIX = _prototype_matrix()


def prototype_table() -> pd.DataFrame:
    """The prototypes as a long table (emotion, AU, AU name, ARKit channel, weight) for the book."""
    rows = []
    for emotion in EMOTIONS:
        for au, weight in PROTOTYPES[emotion].items():
            name, channels = ACTION_UNITS[au]
            for channel in channels:
                rows.append({"emotion": emotion, "action_unit": au, "au_name": name,
                             "arkit_channel": channel, "weight": weight})
    table = pd.DataFrame(rows, columns=["emotion", "action_unit", "au_name", "arkit_channel",
                                        "weight"])
    table.attrs["citation"] = FACS_CITATION
    return table


@dataclass(frozen=True)
class ExpressionPrior:
    """Maps emotion intensities to blendshape activations; all randomness comes from ``rng``.

    ``gamma`` shapes intensity (<1 lifts weak emotions so they stay visible), ``person_sd`` is the
    log-normal spread of a person's per-channel expressiveness, ``noise_sd`` the per-image jitter,
    ``spontaneous`` the rate of small unrelated activations (blinks, glances) so faces are not
    perfectly stereotyped, ``neutral_damping`` how much a fully neutral reading flattens the rest.
    """

    gamma: float = 0.8
    gain: float = 1.0
    person_sd: float = 0.25
    noise_sd: float = 0.04
    spontaneous: float = 0.08
    neutral_damping: float = 0.5

    def __post_init__(self) -> None:
        for name in ("gamma", "gain"):
            if not getattr(self, name) > 0:
                raise Emo3DError(f"ExpressionPrior: {name} must be > 0, got {getattr(self, name)}")
        for name in ("person_sd", "noise_sd", "spontaneous", "neutral_damping"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise Emo3DError(f"ExpressionPrior: {name} must be in [0, 1], got {value}")

    def mean_activations(self, emotions: np.ndarray) -> np.ndarray:
        """Noise-free activations (N, 52) for emotions (N, 8): the prior's expected face."""
        em = _check_emotions(emotions)
        strength = self.gain * np.power(em[:, :, None], self.gamma) * PROTOTYPE_MATRIX[None]
        out = 1.0 - np.prod(1.0 - np.clip(strength, 0.0, 1.0), axis=1)
        out *= 1.0 - self.neutral_damping * em[:, :1]
        return out.astype(np.float32)

    def sample(self, emotions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Activations (N, 52) with person-to-person variation and noise, drawn from ``rng``."""
        em = _check_emotions(emotions)
        n = em.shape[0]
        expressiveness = rng.lognormal(0.0, self.person_sd, size=(n, N_BLENDSHAPES))
        strength = (self.gain * np.power(em[:, :, None], self.gamma)
                    * PROTOTYPE_MATRIX[None] * expressiveness[:, None, :])
        out = 1.0 - np.prod(1.0 - np.clip(strength, 0.0, 1.0), axis=1)
        out *= 1.0 - self.neutral_damping * em[:, :1]
        out += rng.normal(0.0, self.noise_sd, size=out.shape) * (out > 0)
        spont = rng.random(size=out.shape) < self.spontaneous
        out = np.where(spont, np.maximum(out, rng.uniform(0.0, 0.3, size=out.shape)), out)
        out[:, 0] = 0.0  # `_neutral` is not a muscle; MediaPipe keeps it at 0
        return np.clip(out, 0.0, 1.0).astype(np.float32)


def sample_activations(emotions: np.ndarray, seed: int, *keys: object,
                       prior: ExpressionPrior | None = None) -> np.ndarray:
    """Seeded :meth:`ExpressionPrior.sample`: the generator comes from ``(seed, *keys)``."""
    return (prior or ExpressionPrior()).sample(emotions, rng_for(seed, "expression", *keys))


def _check_emotions(emotions: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    em = np.asarray(emotions, dtype=np.float64)
    if em.ndim == 1:
        em = em[None]
    if em.ndim != 2 or em.shape[1] != N_EMOTIONS:
        raise Emo3DError(f"emotions must have shape (N, {N_EMOTIONS}) in EMOTIONS order, "
                         f"got {em.shape}")
    bad = ~np.isfinite(em) | (em < 0) | (em > 1)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise Emo3DError(f"emotions row {row} column {EMOTIONS[col]!r}: value {em[row, col]} "
                         "is not in [0, 1]")
    return em
