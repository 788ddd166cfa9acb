"""Linguistic tables (Table 3, 4, 5-6; Figures 8-10) on hand-made and generated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS
from emo3d_lib.text import linguistics as L
from emo3d_lib.text import wordnet_data
from emo3d_lib.text.generator import generate_text_samples


def _frame(rows: list[tuple[str, str, str, dict[str, float]]]) -> pd.DataFrame:
    out = []
    for i, (t1, t2, t3, emo) in enumerate(rows):
        out.append({"sample_id": i, "text_1": t1, "text_2": t2, "text_3": t3,
                    **{e: emo.get(e, 0.0) for e in EMOTIONS}})
    return pd.DataFrame(out)


TOY = _frame([
    ("She smiles.", "A happy girl smiles widely.", "Joy! Pure joy.", {"happiness": 0.9}),
    ("He is sad.", "The man's eyes are sad.", "Sorrow.", {"sadness": 0.8, "neutral": 0.2}),
    ("Eyes wide.", "Wide eyes, open mouth.", "Shock.", {"surprise": 0.7, "fear": 0.3}),
])


def test_tokenize_and_sentences() -> None:
    assert L.tokenize("The man's wide-eyed, GLEEFUL look!") == ["the", "man", "wide-eyed",
                                                                "gleeful", "look"]
    assert L.sentences("Joy! Pure joy.") == ["Joy", "Pure joy"]


def test_table3_by_hand() -> None:
    t3 = L.dataset_statistics(TOY)
    assert list(t3.index) == ["happiness", "surprise", "sadness"]  # EMOTIONS order
    hap = t3.loc["happiness"]
    # she smiles | a happy girl smiles widely | joy pure joy -> 2 + 5 + 3 words, 4 sentences
    assert hap["number_of_words"] == 10
    assert hap["unique_words"] == 8
    assert hap["avg_sentence_length"] == pytest.approx(10 / 4)
    lengths = [3, 6, 1, 5, 4, 6, 6, 3, 4, 3]
    assert hap["avg_word_length"] == pytest.approx(np.mean(lengths))
    # without stop words ("she", "a"): smiles happy girl smiles widely joy pure joy
    assert hap["avg_content_word_length"] == pytest.approx(37 / 8)
    assert t3.loc["sadness", "number_of_words"] == 3 + 5 + 1  # "man's" -> "man"


def test_table4_drops_stop_words() -> None:
    t4 = L.frequent_words(TOY, top_n=3)
    assert list(t4.columns) == ["happiness", "surprise", "sadness"]
    assert t4["happiness"].tolist()[:2] == ["joy", "smiles"]
    assert "the" not in set(t4.to_numpy().ravel()) and "she" not in set(t4.to_numpy().ravel())
    assert t4["sadness"].iloc[0] == "sad"
    with pytest.raises(Emo3DError, match="top_n=0"):
        L.frequent_words(TOY, top_n=0)


def test_figures_8_to_10() -> None:
    counts = L.word_count_distribution(TOY)
    assert counts["descriptions"].sum() == 9
    assert dict(zip(counts["words"], counts["descriptions"], strict=True))[1] == 2
    per_class = L.prompts_per_class(TOY)
    assert list(per_class.index) == list(EMOTIONS) and per_class.sum() == 3
    assert per_class["contempt"] == 0
    mean, std = L.emotion_mean_std(generate_text_samples(3, 0, 400))
    assert mean.shape == (8, 8) and std.shape == (8, 8)
    assert np.all(np.diag(mean.to_numpy()) > 0.4)  # each class's own emotion dominates
    assert mean.loc["disgust", "contempt"] > mean.loc["disgust", "happiness"]
    assert (std.to_numpy() >= 0).all()


def test_wordnet_install_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "wordnet"
    first = wordnet_data.install_wordnet(target=target)
    assert "data.noun" in first and "lexnames" in first
    assert wordnet_data.install_wordnet(target=target) == []
    lines = (target / "lexnames").read_text().splitlines()
    assert len(lines) == 45 and lines[0] == "00\tadj.all\t3" and lines[44] == "44\tadj.ppl\t3"
    with pytest.raises(Emo3DError, match="wordnet-base"):
        wordnet_data.install_wordnet(source=tmp_path / "nowhere", target=tmp_path / "x")


def test_synsets_follow_the_papers_hypernyms() -> None:
    wordnet_data.install_wordnet()  # idempotent; what scripts/setup.sh does
    assert "dislike.n.02" in L.word_synsets("disgust")
    assert "hair.n.01" in L.word_synsets("eyebrows")
    assert L.word_synsets("disgust", mode="sense") == ("disgust.n.01",)
    t56 = L.frequent_synsets(TOY, top_n=5)
    assert list(t56.columns) == ["happiness", "surprise", "sadness"]
    assert all(name.count(".") >= 2 for name in t56.to_numpy().ravel() if name)


def test_write_tables(tmp_path: Path) -> None:
    paths = L.write_tables(TOY, tmp_path / "tables", top_n=4, synsets=False)
    assert set(paths) >= {"table3_statistics", "table4_frequent_words", "figure8_word_counts",
                          "figure9_prompts_per_class", "figure10_emotion_mean"}
    back = pd.read_csv(paths["table3_statistics"], index_col=0)
    assert back.loc["happiness", "number_of_words"] == 10


def test_empty_dataset_is_an_error() -> None:
    with pytest.raises(Emo3DError, match="empty"):
        L.dataset_statistics(TOY.iloc[:0])
