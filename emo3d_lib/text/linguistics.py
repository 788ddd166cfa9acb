"""Linguistic analysis of the descriptions per emotion class (the paper's appendix A.2).

A sample's class is the argmax of its emotion distribution (the paper's Figure 9 rule). Each
function returns a DataFrame the notebook shows and ``emo3d analyze`` writes as CSV:
Table 3 (words, unique words, average word / sentence length), Table 4 (most frequent words
without stop words), Tables 5-6 (most frequent WordNet 3.0 synsets), Figure 8 (words per
description), Figure 9 (prompts per class) and Figure 10 (mean/std of every emotion per class).
The paper's own numbers (``emo3d_lib.paper``) are named here ``PAPER_*`` so the book can set
them beside ours.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from emo3d_lib import paper
from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, TEXT_COLUMNS, dominant_emotion, emotion_matrix

_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")

# The paper's numbers (appendix A.2) for side-by-side display; their home is emo3d_lib.paper.
PAPER_TABLE3, PAPER_TABLE4, PAPER_TABLE6 = paper.TABLE3, paper.TABLE4, paper.TABLE6
PAPER_HUMAN_AGREEMENT = paper.HUMAN_AGREEMENT


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; hyphenated words stay whole, a possessive ``'s`` is dropped."""
    words = _WORD.findall(text.lower())
    return [w[:-2] if w.endswith("'s") else w for w in words]


def sentences(text: str) -> list[str]:
    """Sentences split at ``.``, ``!`` or ``?`` followed by space or the end."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def stop_words() -> frozenset[str]:
    """scikit-learn's English stop list (offline; NLTK's list needs a download)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def texts_by_class(df: pd.DataFrame) -> pd.DataFrame:
    """One row per description (``text_1..3`` of each sample) with its sample's class."""
    if len(df) == 0:
        raise Emo3DError("dataset is empty: nothing to analyse")
    cls = dominant_emotion(df).to_numpy()
    parts = [pd.DataFrame({"sample_id": df["sample_id"].to_numpy(), "emotion": cls,
                           "text_index": j, "text": df[col].to_numpy()})
             for j, col in enumerate(TEXT_COLUMNS, start=1)]
    out = pd.concat(parts, ignore_index=True)
    bad = out["text"].map(lambda t: not isinstance(t, str) or not t.strip())
    if bad.any():
        row = out[bad].iloc[0]
        raise Emo3DError(
            f"row sample_id={row.sample_id}, column 'text_{row.text_index}': empty or missing text"
        )
    return out


def _classes(present: Iterable[str]) -> list[str]:
    present = set(present)
    return [e for e in EMOTIONS if e in present]


def dataset_statistics(df: pd.DataFrame) -> pd.DataFrame:
    """Table 3: per class, words, unique words, average word length (characters) and average
    sentence length (words per sentence), over all three paraphrases.

    ``avg_content_word_length`` (stop words removed) is an extra column: the paper does not say
    how it measured word length, and its values (6.2-7.3) are closer to content words' lengths.
    """
    texts = texts_by_class(df)
    stops = stop_words()
    rows = {}
    for emotion in _classes(texts["emotion"]):
        sub = texts.loc[texts["emotion"] == emotion, "text"]
        tokens = [w for t in sub for w in tokenize(t)]
        n_sent = sum(len(sentences(t)) for t in sub)
        content = [len(w) for w in tokens if w not in stops]
        rows[emotion] = {
            "descriptions": len(sub),
            "number_of_words": len(tokens),
            "unique_words": len(set(tokens)),
            "avg_word_length": float(np.mean([len(w) for w in tokens])) if tokens else 0.0,
            "avg_sentence_length": len(tokens) / max(n_sent, 1),
            "avg_content_word_length": float(np.mean(content)) if content else 0.0,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "emotion"
    return out


def word_counts_by_class(df: pd.DataFrame, drop_stop_words: bool = True) -> dict[str, Counter]:
    texts = texts_by_class(df)
    stops = stop_words() if drop_stop_words else frozenset()
    out: dict[str, Counter] = {}
    for emotion in _classes(texts["emotion"]):
        counter: Counter = Counter()
        for t in texts.loc[texts["emotion"] == emotion, "text"]:
            counter.update(w for w in tokenize(t) if w not in stops and len(w) > 1)
        out[emotion] = counter
    return out


def _top_table(counters: dict[str, Counter], top_n: int) -> pd.DataFrame:
    if top_n < 1:
        raise Emo3DError(f"parameter top_n={top_n} must be >= 1")
    cols = {}
    for emotion, counter in counters.items():
        top = [w for w, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]
        cols[emotion] = top + [""] * (top_n - len(top))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, top_n + 1, name="rank"))


def frequent_words(df: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """Table 4: the ``top_n`` most frequent words per class, stop words removed."""
    return _top_table(word_counts_by_class(df), top_n)


def _wordnet():
    from nltk.corpus import wordnet as wn

    try:
        wn.ensure_loaded()
    except LookupError as err:
        raise Emo3DError(
            "WordNet 3.0 is not installed for NLTK; run `python -m emo3d_lib.text.wordnet_data` "
            f"(needs Debian wordnet-base + wordnet-sense-index): {err}"
        ) from None
    return wn


@lru_cache(maxsize=200_000)
def word_synsets(word: str, mode: str = "hypernym") -> tuple[str, ...]:
    """Synset names a word contributes to Tables 5-6.

    ``mode="hypernym"``: the direct hypernyms of every noun sense of the word (or its WordNet
    base form). The paper's synsets are hypernyms of its frequent words (``dislike.n.02`` is the
    hypernym of ``disgust.n.01``, ``hair.n.01`` of ``eyebrow.n.01``, ``feature.n.02`` of
    ``lip.n.01``), so this is our reading of its method. ``mode="sense"``: the word's most
    frequent noun sense (first synset) only.
    """
    wn = _wordnet()
    if mode not in ("hypernym", "sense"):
        raise Emo3DError(f"parameter mode={mode!r} must be 'hypernym' or 'sense'")
    senses = wn.synsets(word.replace("-", "_"), pos=wn.NOUN)
    if not senses:
        return ()
    if mode == "sense":
        return (senses[0].name(),)
    names: list[str] = []
    for sense in senses:
        names.extend(h.name() for h in sense.hypernyms() + sense.instance_hypernyms())
    return tuple(names)


def synset_counts_by_class(df: pd.DataFrame, mode: str = "hypernym") -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for emotion, words in word_counts_by_class(df).items():
        counter: Counter = Counter()
        for word, n in words.items():
            for name in word_synsets(word, mode):
                counter[name] += n
        out[emotion] = counter
    return out


def frequent_synsets(df: pd.DataFrame, top_n: int = 10, mode: str = "hypernym") -> pd.DataFrame:
    """Tables 5-6: the ``top_n`` most frequent WordNet synsets per class."""
    return _top_table(synset_counts_by_class(df, mode), top_n)


def word_count_distribution(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 8: how many descriptions have each number of words."""
    texts = texts_by_class(df)
    n_words = texts["text"].map(lambda t: len(tokenize(t)))
    counts = n_words.value_counts().sort_index()
    return pd.DataFrame({"words": counts.index.to_numpy(), "descriptions": counts.to_numpy()})


def prompts_per_class(df: pd.DataFrame) -> pd.Series:
    """Figure 9: samples per class (a sample counts for the emotion with the highest share)."""
    counts = dominant_emotion(df).value_counts()
    return counts.reindex(list(EMOTIONS), fill_value=0).rename("prompts").rename_axis("emotion")


def emotion_mean_std(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figure 10: mean and standard deviation of every emotion within each class (class x 8)."""
    emo = pd.DataFrame(emotion_matrix(df).astype(np.float64), columns=list(EMOTIONS))
    emo["class"] = dominant_emotion(df).to_numpy()
    grouped = emo.groupby("class")
    order = _classes(emo["class"])
    mean = grouped.mean().reindex(order)
    std = grouped.std(ddof=0).reindex(order)
    mean.index.name = std.index.name = "class"
    return mean, std


#: The CSV tables ``write_tables`` writes (``<name>.csv``), in order.
TABLE_NAMES: tuple[str, ...] = (
    "table3_statistics", "table4_frequent_words", "figure8_word_counts",
    "figure9_prompts_per_class", "figure10_emotion_mean", "figure10_emotion_std",
    "table5_6_frequent_synsets",
)


def write_tables(df: pd.DataFrame, out_dir: str | os.PathLike[str], top_n: int = 10,
                 synsets: bool = True) -> dict[str, Path]:
    """Write every table as CSV under ``out_dir`` (atomically); returns name -> path."""
    from emo3d_lib.atomic import write_text

    out = Path(out_dir)
    mean, std = emotion_mean_std(df)
    tables: dict[str, pd.DataFrame] = {
        "table3_statistics": dataset_statistics(df),
        "table4_frequent_words": frequent_words(df, top_n),
        "figure8_word_counts": word_count_distribution(df),
        "figure9_prompts_per_class": prompts_per_class(df).to_frame(),
        "figure10_emotion_mean": mean,
        "figure10_emotion_std": std,
    }
    if synsets:
        tables["table5_6_frequent_synsets"] = frequent_synsets(df, top_n)
    paths = {}
    for name, table in tables.items():
        path = out / f"{name}.csv"
        write_text(path, table.to_csv(lineterminator="\n"))
        paths[name] = path
    return paths
