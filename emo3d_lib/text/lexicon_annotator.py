"""A second, independent emotion annotator: the NRC Emotion Lexicon (EmoLex), read directly.

The paper checked GPT-3.5's emotion distributions against two human reviewers (81% agreement,
Cohen's kappa 0.88 between the reviewers). Our distributions come from the generator itself, so
the analogous check is an annotator that never sees them: EmoLex word associations, from the JSON
inside PyPI ``nrclex`` (its own API tokenises through TextBlob/NLTK downloads, so it is not used).

Mapping to the 8 Emo3D emotions, per word (each word's unit of evidence is split over its labels):
- joy -> happiness; surprise, sadness, anger, disgust, fear keep their names; EmoLex's trust,
  anticipation and the positive/negative polarity do not vote, except as below.
- contempt (absent from EmoLex): (a) Plutchik's dyad contempt = anger + disgust: a word labelled
  both, without fear, sadness or joy, gives half its unit to contempt and a quarter to each of
  anger and disgust; (b) a word labelled only ``negative`` (a negative evaluation with no basic
  emotion: "smug", "condescending", "smirk") gives ``NEGATIVE_ONLY_WEIGHT`` to contempt.
- neutral (absent from EmoLex): a constant pseudo-count ``NEUTRAL_PRIOR`` (half a word), so a
  text with no emotional word is neutral and any clear emotional word outweighs it.
A word preceded within two tokens by a negation ("no", "not", "without", ...) is skipped.
Inflections are reduced by a few suffix rules (``terrified`` -> ``terrify``). The result is
scaled so the strongest emotion is 1 (intensities in [0, 1], not summing to 1, like the release).
Ties go to the earlier emotion in ``EMOTIONS``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.paper import KL_EPS  # as the reference metric.py: eps added before normalising
from emo3d_lib.schema import EMOTIONS, TEXT_COLUMNS, emotion_matrix
from emo3d_lib.text.linguistics import tokenize

EMOLEX_TO_EMO3D: dict[str, str] = {
    "joy": "happiness", "surprise": "surprise", "sadness": "sadness", "anger": "anger",
    "disgust": "disgust", "fear": "fear",
}
NEUTRAL_PRIOR = 0.5
NEGATIVE_ONLY_WEIGHT = 0.5
NEGATIONS: frozenset[str] = frozenset({"no", "not", "never", "without", "nor", "neither",
                                       "nothing", "hardly"})
_INDEX = {e: i for i, e in enumerate(EMOTIONS)}


@lru_cache(maxsize=1)
def emolex() -> dict[str, tuple[str, ...]]:
    """word -> EmoLex labels, from ``nrclex/data/nrc_en.json``."""
    try:
        path = resources.files("nrclex") / "data" / "nrc_en.json"
        return {w: tuple(tags) for w, tags in json.loads(path.read_text("utf-8")).items()}
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise Emo3DError(f"NRC EmoLex not found (install nrclex==4.1.0): {err}") from None


def _candidates(word: str) -> list[str]:
    """The word and a few base-form guesses, most specific first."""
    out = [word]
    rules = (("ies", "y"), ("ied", "y"), ("ily", "y"), ("iness", "y"), ("ness", ""),
             ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""), ("s", ""),
             ("ly", ""), ("ful", ""), ("er", ""), ("est", ""))
    for suffix, repl in rules:
        min_stem = 5 if suffix == "ly" else 3  # "gently" is not "gent"
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            stem = word[: -len(suffix)] + repl
            out.append(stem)
            if repl == "" and len(stem) > 3 and stem[-1] == stem[-2]:
                out.append(stem[:-1])  # "stunned" -> "stun"
    return out


@lru_cache(maxsize=100_000)
def word_vote(word: str) -> tuple[float, ...]:
    """The 8-vector one word contributes (zeros when EmoLex does not know it)."""
    lex = emolex()
    parts = [word] if "-" not in word else [word, *word.split("-")]
    for part in parts:
        for cand in _candidates(part):
            tags = lex.get(cand)
            if tags:
                return _vote_from_tags(tags)
    return (0.0,) * len(EMOTIONS)


def _vote_from_tags(tags: Sequence[str]) -> tuple[float, ...]:
    vote = np.zeros(len(EMOTIONS))
    basic = [EMOLEX_TO_EMO3D[t] for t in tags if t in EMOLEX_TO_EMO3D]
    if basic:
        dyad = {"anger", "disgust"} <= set(basic) and not {"fear", "sadness", "happiness"} & set(
            basic)
        if dyad:
            vote[_INDEX["contempt"]] += 0.5
            vote[_INDEX["anger"]] += 0.25
            vote[_INDEX["disgust"]] += 0.25
        else:
            for emotion in basic:
                vote[_INDEX[emotion]] += 1.0 / len(basic)
    elif "negative" in tags and "positive" not in tags:
        vote[_INDEX["contempt"]] += NEGATIVE_ONLY_WEIGHT
    return tuple(float(v) for v in vote)


def annotate_text(text: str) -> np.ndarray:
    """One text -> float32 (8,) intensities, the strongest emotion scaled to 1."""
    if not isinstance(text, str) or not text.strip():
        raise Emo3DError(f"cannot annotate an empty text: {text!r}")
    tokens = tokenize(text)
    score = np.zeros(len(EMOTIONS))
    score[_INDEX["neutral"]] = NEUTRAL_PRIOR
    for i, word in enumerate(tokens):
        if NEGATIONS & set(tokens[max(0, i - 2): i]):
            continue
        score += word_vote(word)
    return (score / score.max()).astype(np.float32)


def annotate(texts: Iterable[str]) -> np.ndarray:
    """Texts -> float32 (N, 8) intensities in ``EMOTIONS`` order."""
    rows = []
    for i, text in enumerate(texts):
        try:
            rows.append(annotate_text(text))
        except Emo3DError as err:
            raise Emo3DError(f"text {i}: {err}") from None
    if not rows:
        return np.zeros((0, len(EMOTIONS)), dtype=np.float32)
    return np.stack(rows)


def sample_texts(df: pd.DataFrame) -> list[str]:
    """A sample's three paraphrases joined: the distribution describes all three."""
    return [" ".join(str(t) for t in row) for row in df[list(TEXT_COLUMNS)].itertuples(index=False)]


def annotate_dataset(df: pd.DataFrame) -> np.ndarray:
    """EmoLex intensities for every sample (its three texts together), float32 (N, 8)."""
    return annotate(sample_texts(df))


def _distributions(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64) + KL_EPS
    return x / x.sum(axis=1, keepdims=True)


def smoothed_kl_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise KL(p || q) of raw intensity vectors, both smoothed (+eps) and normalised to 1.

    Not the metric's ``metric.divergence.kl_divergence`` (inputs already distributions, eps on
    ``psi`` only, 0 log 0 = 0): the annotator compares unnormalised intensities, zeros included.
    """
    p, q = _distributions(p), _distributions(q)
    return np.sum(p * np.log(p / q), axis=1)


def agreement(generated: np.ndarray, annotated: np.ndarray) -> dict[str, object]:
    """How far the annotator agrees with the generator's distributions.

    ``dominant_agreement``: share of samples whose argmax emotion matches (the analogue of the
    paper's 81%); ``cohen_kappa`` on the argmax labels; ``chance_agreement`` expected from the
    label marginals; ``mean_kl``: mean KL(generated || annotated); ``per_class``: agreement within
    each generated class.
    """
    from sklearn.metrics import cohen_kappa_score

    g = np.asarray(generated, dtype=np.float64)
    a = np.asarray(annotated, dtype=np.float64)
    if g.ndim != 2 or g.shape[1] != len(EMOTIONS) or g.shape != a.shape:
        raise Emo3DError(
            f"generated {g.shape} and annotated {a.shape} must both be (N, {len(EMOTIONS)})"
        )
    if len(g) == 0:
        raise Emo3DError("agreement needs at least one sample")
    gl, al = g.argmax(axis=1), a.argmax(axis=1)
    pg = np.bincount(gl, minlength=len(EMOTIONS)) / len(gl)
    pa = np.bincount(al, minlength=len(EMOTIONS)) / len(al)
    per_class = {EMOTIONS[k]: float(np.mean(al[gl == k] == k))
                 for k in range(len(EMOTIONS)) if np.any(gl == k)}
    kappa = float(cohen_kappa_score(gl, al)) if len(set(gl) | set(al)) > 1 else 1.0
    return {
        "n": int(len(g)),
        "dominant_agreement": float(np.mean(gl == al)),
        "cohen_kappa": kappa,
        "chance_agreement": float(np.dot(pg, pa)),
        "mean_kl": float(smoothed_kl_divergence(g, a).mean()),
        "per_class": per_class,
    }


def confusion(generated: np.ndarray, annotated: np.ndarray) -> pd.DataFrame:
    """Counts of (generated class, annotated class) pairs, 8 x 8."""
    gl = np.asarray(generated).argmax(axis=1)
    al = np.asarray(annotated).argmax(axis=1)
    table = np.zeros((len(EMOTIONS), len(EMOTIONS)), dtype=np.int64)
    np.add.at(table, (gl, al), 1)
    return pd.DataFrame(table, index=pd.Index(EMOTIONS, name="generated"),
                        columns=pd.Index(EMOTIONS, name="annotated"))


def dataset_agreement(df: pd.DataFrame) -> dict[str, object]:
    """Annotate every sample and compare with its emotion columns."""
    return agreement(emotion_matrix(df), annotate_dataset(df))
