"""EmoLex annotator: word votes, contempt/neutral treatment, agreement and KL figures."""

from __future__ import annotations

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, emotion_matrix
from emo3d_lib.text import lexicon_annotator as A
from emo3d_lib.text.generator import generate_text_samples


def _top(text: str) -> str:
    return EMOTIONS[int(A.annotate_text(text).argmax())]


@pytest.mark.parametrize("text, emotion", [
    ("She is furious, trembling with rage and anger.", "anger"),
    ("A joyful girl with a happy smile.", "happiness"),
    ("The old man waits at the bus stop.", "neutral"),
    ("He looks at them with derision and a sneer.", "contempt"),
    ("A smug, condescending smirk.", "contempt"),
    ("Grief and sorrow fill his face.", "sadness"),
    ("She is terrified, in a panic.", "fear"),
])
def test_obvious_texts(text: str, emotion: str) -> None:
    assert _top(text) == emotion


def test_negation_and_scaling() -> None:
    assert _top("There is no smile on her face.") == "neutral"
    vec = A.annotate_text("A joyful girl with a happy smile.")
    assert vec.dtype == np.float32 and vec.shape == (8,)
    assert vec.max() == pytest.approx(1.0) and vec.min() >= 0.0
    # inflections reach EmoLex base forms: "annoyed" -> "annoy", "smiles" -> "smile"
    assert A.word_vote("annoyed") == A.word_vote("annoy") != (0.0,) * 8
    assert A.word_vote("smiles") == A.word_vote("smile") != (0.0,) * 8
    assert A.word_vote("qwertyx") == (0.0,) * 8


def test_contempt_dyad_rule() -> None:
    vote = dict(zip(EMOTIONS, A.word_vote("derision"), strict=True))  # anger + disgust in EmoLex
    assert vote["contempt"] == 0.5 and vote["anger"] == 0.25 and vote["disgust"] == 0.25
    vote = dict(zip(EMOTIONS, A.word_vote("revulsion"), strict=True))  # + fear: no dyad
    assert vote["contempt"] == 0.0 and vote["fear"] == pytest.approx(1 / 3)


def test_annotate_rejects_empty_text() -> None:
    with pytest.raises(Emo3DError, match="text 1"):
        A.annotate(["fine text", "  "])


def test_agreement_by_hand() -> None:
    g = np.zeros((4, 8))
    a = np.zeros((4, 8))
    g[[0, 1, 2, 3], [1, 1, 3, 4]] = 1.0  # happiness, happiness, sadness, anger
    a[[0, 1, 2, 3], [1, 3, 3, 4]] = 1.0  # happiness, sadness,  sadness, anger
    rep = A.agreement(g, a)
    assert rep["n"] == 4
    assert rep["dominant_agreement"] == pytest.approx(0.75)
    assert rep["per_class"] == {"happiness": 0.5, "sadness": 1.0, "anger": 1.0}
    # KL of the eps-smoothed distributions: zero for the 3 matches, positive for the miss
    p = (g[1] + 0.01) / (g[1] + 0.01).sum()
    q = (a[1] + 0.01) / (a[1] + 0.01).sum()
    assert rep["mean_kl"] == pytest.approx(np.sum(p * np.log(p / q)) / 4)
    same = A.agreement(g, g)
    assert same["dominant_agreement"] == 1.0 and same["mean_kl"] == pytest.approx(0.0)
    assert same["cohen_kappa"] == pytest.approx(1.0)
    with pytest.raises(Emo3DError, match=r"must both be \(N, 8\)"):
        A.agreement(g, a[:, :7])


def test_agreement_figure_on_generated_data() -> None:
    """The annotator is independent of the generator, yet agrees far above chance."""
    df = generate_text_samples(11, 0, 600)
    rep = A.agreement(emotion_matrix(df), A.annotate_dataset(df))
    assert 0.45 < rep["dominant_agreement"] < 0.95
    assert rep["dominant_agreement"] > 2.5 * rep["chance_agreement"]
    assert rep["cohen_kappa"] > 0.35
    assert 0.1 < rep["mean_kl"] < 2.0
    assert rep["per_class"]["happiness"] > rep["per_class"]["contempt"]
    table = A.confusion(emotion_matrix(df), A.annotate_dataset(df))
    assert int(table.to_numpy().sum()) == 600
    assert np.trace(table.to_numpy()) == round(rep["dominant_agreement"] * 600)
