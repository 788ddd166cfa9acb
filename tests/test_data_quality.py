"""The image half carries the text's emotion: readback well above the majority baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from emo3d_lib import schema
from emo3d_lib.data.quality import emotion_readback, image_rows
from emo3d_lib.errors import Emo3DError


def test_readback_beats_majority_baseline(image_dataset: Path) -> None:
    df = schema.load_dataset(image_dataset)
    x, y, split = image_rows(df)
    assert x.shape == (160, 52) and len(y) == len(split) == 160
    result = emotion_readback(df)
    assert result["n_test_images"] >= 10
    assert result["accuracy"] > result["majority_baseline"] + 0.15


def test_readback_refuses_text_only(text_dataset: Path) -> None:
    with pytest.raises(Emo3DError, match="too few images"):
        emotion_readback(schema.load_dataset(text_dataset))
