"""Names and order of the Emo3D release: 8 emotions, 52 MediaPipe blendshapes, column names.

Everything that indexes an emotion or blendshape vector uses these tuples, so the order of the
released dataset (``llm-lab/Emo3D``) is defined in exactly one place.
"""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = (
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
)

BLENDSHAPES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
N_BLENDSHAPES = len(BLENDSHAPES)  # 52, as released and as MediaPipe outputs
N_EMOTIONS = len(EMOTIONS)

#: The reference notebooks train on 51 outputs (``_neutral`` dropped; MediaPipe keeps it at 0).
#: ``output_blendshapes(include_neutral)`` is the one place that choice is made.
ARKIT_BLENDSHAPES: tuple[str, ...] = BLENDSHAPES[1:]


def output_blendshapes(include_neutral: bool) -> tuple[str, ...]:
    """Names of a model's outputs: 52 with ``_neutral`` (paper text) or 51 (reference code)."""
    return BLENDSHAPES if include_neutral else ARKIT_BLENDSHAPES


def _mirror_name(name: str) -> str:
    for a, b in (("Left", "Right"), ("Right", "Left")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return name


#: name -> its left/right mirror (``mouthLeft`` <-> ``mouthRight``, ``jawLeft`` <-> ``jawRight``).
MIRROR_NAME: dict[str, str] = {n: _mirror_name(n) for n in BLENDSHAPES}
#: index permutation: ``mirrored = vec[..., MIRROR_INDEX]`` swaps every left/right pair.
MIRROR_INDEX: tuple[int, ...] = tuple(BLENDSHAPES.index(MIRROR_NAME[n]) for n in BLENDSHAPES)
MIRROR_WORDS: dict[str, str] = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}

# Columns of the released parquet / CSV files (21 columns, in release order).
TEXT_COLUMNS: tuple[str, ...] = ("text_1", "text_2", "text_3")
MAX_IMAGES = 4
IMAGE_COLUMNS: tuple[str, ...] = tuple(f"img_{i}" for i in range(1, MAX_IMAGES + 1))
SCORE_COLUMNS: tuple[str, ...] = tuple(f"blenshape_score_{i}" for i in range(1, MAX_IMAGES + 1))
RELEASE_COLUMNS: tuple[str, ...] = (
    ("sample_id", "prompt_type", *TEXT_COLUMNS, *EMOTIONS, *IMAGE_COLUMNS, *SCORE_COLUMNS)
)
SPLITS: tuple[str, ...] = ("train", "val", "test")
