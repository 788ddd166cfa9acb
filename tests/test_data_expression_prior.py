"""Expression prior: FACS prototypes -> 52 activations, seeded, contempt one-sided."""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.expression_prior import (
    ACTION_UNITS,
    PROTOTYPES,
    ExpressionPrior,
    prototype_table,
    sample_activations,
)
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS


def _onehot(emotion: str, value: float = 1.0) -> np.ndarray:
    v = np.zeros((1, 8), dtype=np.float32)
    v[0, EMOTIONS.index(emotion)] = value
    return v


def test_prototypes_drive_the_expected_channels() -> None:
    prior = ExpressionPrior()
    happy = prior.mean_activations(_onehot("happiness"))[0]
    assert happy[BLENDSHAPES.index("mouthSmileLeft")] > 0.9
    assert happy[BLENDSHAPES.index("browDownLeft")] == 0
    surprise = prior.mean_activations(_onehot("surprise"))[0]
    assert surprise[BLENDSHAPES.index("jawOpen")] > 0.5
    assert surprise[BLENDSHAPES.index("browInnerUp")] > 0.5
    assert prior.mean_activations(_onehot("neutral")).max() == 0
    # EMFACS's open-mouthed anger (4+5+7+10+23+25+26): brows down, upper lip up, lips apart
    anger = prior.mean_activations(_onehot("anger"))[0]
    for channel in ("browDownLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "jawOpen"):
        assert anger[BLENDSHAPES.index(channel)] > 0.2, channel
    sad = prior.mean_activations(_onehot("sadness"))[0]
    assert sad[BLENDSHAPES.index("eyeLookDownLeft")] > 0.3  # AU64, eyes down


def test_contempt_is_one_sided() -> None:
    act = ExpressionPrior().mean_activations(_onehot("contempt"))[0]
    right, left = (act[BLENDSHAPES.index(f"mouthSmile{s}")] for s in ("Right", "Left"))
    assert right > 0.5 and left == 0
    assert act[BLENDSHAPES.index("mouthDimpleRight")] > act[BLENDSHAPES.index("mouthDimpleLeft")]


def test_intensity_scales_activation_and_neutral_damps() -> None:
    prior = ExpressionPrior()
    j = BLENDSHAPES.index("browDownLeft")
    levels = [prior.mean_activations(_onehot("anger", v))[0, j] for v in (0.2, 0.5, 1.0)]
    assert levels[0] < levels[1] < levels[2]
    calm_anger = _onehot("anger")
    calm_anger[0, 0] = 1.0
    assert prior.mean_activations(calm_anger)[0, j] < levels[2]


def test_sample_is_seeded_bounded_and_varies_between_people() -> None:
    em = np.random.default_rng(0).random((50, 8)).astype(np.float32)
    a = sample_activations(em, 7, "x")
    assert a.shape == (50, 52) and a.dtype == np.float32
    assert np.array_equal(a, sample_activations(em, 7, "x"))
    assert not np.array_equal(a, sample_activations(em, 8, "x"))
    assert a.min() >= 0 and a.max() <= 1 and np.all(a[:, 0] == 0)
    same_emotion = np.repeat(_onehot("fear"), 20, axis=0)
    people = sample_activations(same_emotion, 0, "people")
    assert people.std(axis=0).max() > 0.02  # person-to-person variation


@pytest.mark.parametrize("bad", [np.ones((2, 7)), np.full((1, 8), 1.5), np.full((1, 8), np.nan)])
def test_bad_emotions_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(Emo3DError, match="emotions"):
        ExpressionPrior().mean_activations(bad)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(Emo3DError, match="noise_sd"):
        ExpressionPrior(noise_sd=-1)


def test_prototype_table_lists_every_au_channel() -> None:
    table = prototype_table()
    assert list(table.columns) == ["emotion", "action_unit", "au_name", "arkit_channel", "weight"]
    assert "Ekman" in table.attrs["citation"]
    assert set(table["arkit_channel"]) <= set(BLENDSHAPES)
    n_rows = sum(len(ACTION_UNITS[au][1]) for p in PROTOTYPES.values() for au in p)
    assert len(table) == n_rows
    assert set(table["emotion"]) == set(EMOTIONS) - {"neutral"}
