"""Primitive emotion faces: EmoLex words x 2 identities x 3 intensity levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emo3d_lib import schema
from emo3d_lib.data.primitives import (
    generate_primitives,
    load_emolex,
    load_primitives,
    select_words,
    word_distribution,
)
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.expression_prior import PROTOTYPE_MATRIX


def test_words_cover_every_emotion_with_emolex_distributions() -> None:
    lexicon = load_emolex()
    words = select_words(lexicon, 3, seed=0)
    assert len(words) == 24
    assert {e for _, e in words} == set(schema.EMOTIONS)
    assert ("anger", "anger") in words and ("contempt", "contempt") in words
    assert words == select_words(lexicon, 3, seed=0)
    dist = word_distribution("disdain", "contempt", lexicon)
    assert dist[schema.EMOTIONS.index("contempt")] == 1.0
    assert dist[schema.EMOTIONS.index("anger")] > 0  # EmoLex: disdain -> anger, disgust
    assert dist[schema.EMOTIONS.index("happiness")] == 0
    with pytest.raises(Emo3DError, match="words_per_emotion"):
        select_words(lexicon, 10_000)


def test_generate_primitives_small(tmp_path: Path) -> None:
    summary = generate_primitives(tmp_path, words_per_emotion=1, progress=False)
    df = load_primitives(tmp_path)
    assert summary["rows"] == len(df) == 8 * 2 * 3
    assert summary["detection_rate"] >= 0.95
    assert all((tmp_path / p).is_file() for p in df["img"])
    anger = df[df["word"] == "anger"]
    assert list(anger["intensity_level"]) == ["low", "medium", "high"] * 2
    assert np.allclose(anger["anger"], [1 / 3, 2 / 3, 1.0] * 2, atol=1e-3)
    # more anger -> more of anger's prototype channels, as MediaPipe reads them (both people)
    channels = PROTOTYPE_MATRIX[schema.EMOTIONS.index("anger")] > 0
    level = anger["intensity_level"].to_numpy()
    read = np.stack([schema.parse_blendshapes(s) for s in anger["blenshape_score"]])
    assert read[level == "high"][:, channels].sum() > read[level == "low"][:, channels].sum()
    stamp = (tmp_path / df["img"].iloc[0]).stat().st_mtime_ns
    again = generate_primitives(tmp_path, words_per_emotion=1, progress=False)
    assert again == summary  # same parameters: kept, not re-rendered
    assert (tmp_path / df["img"].iloc[0]).stat().st_mtime_ns == stamp


@pytest.mark.parametrize(("argv", "message"), [
    (["--words-per-emotion", "0"], "words_per_emotion"),
    (["--head", "blender"], "head"),
])
def test_primitives_cli_refuses_invalid_parameters(tmp_path: Path, argv: list[str],
                                                   message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from emo3d_lib import cli as emo3d_cli

    assert emo3d_cli.main(["primitives", "--out", str(tmp_path), "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err


def test_emolex_neighbours_of_surprise() -> None:
    from emo3d_lib.data.primitives import emolex_neighbours

    near = emolex_neighbours("surprise", 10)
    assert len(near) == 10 and "surprise" not in set(near["word"])
    assert near["cosine"].is_monotonic_decreasing and near["cosine"].iloc[0] <= 1.0
    assert all("surprise" in e for e in near["emotions"])
    with pytest.raises(Emo3DError, match="not in EmoLex"):
        emolex_neighbours("qwertyuiop")
