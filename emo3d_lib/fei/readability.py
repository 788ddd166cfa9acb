"""Readable emotion: do a head's prototype faces read as their emotion to the independent FER2013
classifier (:mod:`emo3d_lib.fei.fer2013`, trained on real photographs, not our judge)?

The bar (issue 11): at intensity 1.0, on each of ``N`` seeded identities, FER2013 must name
happiness, sadness, anger, surprise and fear right, and disgust as disgust or anger (FER2013's
disgust class is weak). Neutral and contempt are rendered and reported but carry no bar (FER2013
has no contempt class). Each face is the expression prior's noise-free prototype
(``ExpressionPrior().mean_activations``), the same pose the primitive-emotion set uses.

Who is shown: identities come from ``face.identity.sample_identities`` (shape, skin tone,
lighting, camera distance and framing, background all vary as in the dataset). With
``pose="frontal"`` (default) the head's yaw, pitch and roll are zeroed, so the check is about the
expression, not the angle; ``pose="sampled"`` keeps the dataset's head pose (within +-18 deg).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.fer2013 import FER_CLASSES, mediapipe_box, read_faces
from emo3d_lib.schema import EMOTIONS
from emo3d_lib.seeding import derive_seed

if TYPE_CHECKING:
    from emo3d_lib.face.head import Head

#: Intended emotion -> FER2013 labels that count as right (the issue-11 bar).
BAR: dict[str, tuple[str, ...]] = {
    "happiness": ("happy",), "sadness": ("sad",), "anger": ("angry",),
    "surprise": ("surprise",), "fear": ("fear",), "disgust": ("disgust", "angry"),
}
#: Our emotion name -> FER2013's name for it (contempt has none).
FER_NAME: dict[str, str] = {"neutral": "neutral", "happiness": "happy", "surprise": "surprise",
                            "sadness": "sad", "anger": "angry", "disgust": "disgust",
                            "fear": "fear"}
POSES = ("frontal", "sampled")
NO_FACE = "no face"


def readability_identities(n: int, seed: int, pose: str = "frontal") -> list:
    """``n`` seeded identities for the check (see the module docstring for what varies)."""
    from emo3d_lib.face.identity import sample_identities

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise Emo3DError(f"parameter identities={n!r} must be a positive integer")
    if pose not in POSES:
        raise Emo3DError(f"parameter pose={pose!r} must be one of {POSES}")
    people = sample_identities(derive_seed(seed, "fer2013-readability"), n)
    if pose == "frontal":
        people = [dataclasses.replace(p, yaw=0.0, pitch=0.0, roll=0.0) for p in people]
    return people


def prototype_weights(intensity: float = 1.0) -> np.ndarray:
    """(8, 52) noise-free prototype faces, ``EMOTIONS`` order, primary emotion at ``intensity``."""
    from emo3d_lib.face.expression_prior import ExpressionPrior

    if not 0.0 < intensity <= 1.0:
        raise Emo3DError(f"parameter intensity={intensity!r} must be in (0, 1]")
    return ExpressionPrior().mean_activations(np.eye(len(EMOTIONS)) * intensity)


def render_prototypes(head: str | Head = "builtin", identities: int = 5, seed: int = 0,
                      size: int = 256, pose: str = "frontal", intensity: float = 1.0
                      ) -> tuple[np.ndarray, pd.DataFrame]:
    """uint8 images (identities * 8, size, size, 3) and their (identity, emotion) rows."""
    from emo3d_lib.face.render import FaceRenderer

    people = readability_identities(identities, seed, pose)
    weights = prototype_weights(intensity)
    rows = pd.DataFrame([{"identity": i, "emotion": e} for i in range(identities)
                         for e in EMOTIONS])
    with FaceRenderer(head, size=size) as renderer:
        images = np.concatenate([renderer.render(weights, [p] * len(EMOTIONS)) for p in people])
    return images, rows


def read_prototypes(head: str | Head = "builtin", identities: int = 5, seed: int = 0,
                    size: int = 256, pose: str = "frontal", jitters: int = 5,
                    intensity: float = 1.0) -> pd.DataFrame:
    """One row per rendered face: head, identity, emotion, box source ("haar" or "fallback"),
    FER label, the 7 probabilities."""
    images, rows = render_prototypes(head, identities, seed, size, pose, intensity)
    reading = read_faces(images, jitters=jitters, seed=derive_seed(seed, "fer2013-jitter"),
                         fallback=mediapipe_box)
    rows.insert(0, "head", head if isinstance(head, str) else head.name)
    rows["box"] = reading.sources
    rows["fer_label"] = [NO_FACE if lab is None else lab for lab in reading.labels]
    for k, name in enumerate(FER_CLASSES):
        rows[name] = reading.probs[:, k]
    return rows


def confusion_table(readings: pd.DataFrame) -> pd.DataFrame:
    """Rows (head, intended emotion); columns: count of faces per FER label, "no face", how many
    boxes came from fer's Haar cascade (the rest: the MediaPipe fallback), the mean probability
    FER gave the intended class, and the bar verdict ("pass"/"fail"/"-" unbarred)."""
    out = []
    for (head, emotion), part in readings.groupby(["head", "emotion"], sort=False):
        counts = part["fer_label"].value_counts()
        row: dict[str, Any] = {"head": head, "emotion": emotion}
        row.update({c: int(counts.get(c, 0)) for c in (*FER_CLASSES, NO_FACE)})
        row["haar"] = int((part["box"] == "haar").sum())
        own = FER_NAME.get(emotion)
        row["p_intended"] = float(part[own].mean()) if own else float("nan")
        ok = BAR.get(emotion)
        row["bar"] = "-" if ok is None else (
            "pass" if part["fer_label"].isin(ok).all() else "fail")
        out.append(row)
    return pd.DataFrame(out).set_index(["head", "emotion"])


def bar_met(table: pd.DataFrame) -> dict[str, bool]:
    """Per head: every barred emotion passes on every identity."""
    barred = table[table["bar"] != "-"]
    return {str(h): bool((part["bar"] == "pass").all())
            for h, part in barred.groupby(level="head", sort=False)}


def readability_table(heads: Sequence[str | Head] = ("builtin",), identities: int = 5,
                      seed: int = 0, size: int = 256, pose: str = "frontal", jitters: int = 5
                      ) -> pd.DataFrame:
    """The confusion table of :func:`confusion_table` for several heads (the rig-fidelity
    chapter's call): ``readability_table(["ict", "builtin", load_head("facecap", path)])``;
    a head is a ``load_head`` name or a loaded ``Head``."""
    if isinstance(heads, str):
        heads = [heads]
    readings = pd.concat([read_prototypes(h, identities, seed, size, pose, jitters)
                          for h in heads], ignore_index=True)
    return confusion_table(readings)
