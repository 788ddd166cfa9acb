"""Primitive emotion faces: single emotion words x two identities x three intensity levels.

The paper built, for intrinsic evaluation, faces for single emotion words (male and female, three
intensities) with the words' emotion distributions taken from EmoLex (Mohammad, 2018). We do the
same with the NRC Emotion Lexicon shipped in ``nrclex`` (read as JSON: its own API needs online
NLTK corpora).

EmoLex is binary (word -> set of associated emotions) and has neither contempt nor neutral, so:

* distribution: the word's primary class at 1 and its other EmoLex emotions among our 8 at
  ``SECONDARY_SHARE`` (``joy`` -> happiness; ``anticipation`` and ``trust`` have no counterpart
  and are dropped); EmoLex is binary, so "associated but not the word's class" gets half;
* contempt: words from a short list of contempt terms that EmoLex knows (``contempt``,
  ``disdain``, ``scorn`` ...) get contempt as their primary emotion, shared with their EmoLex
  emotions (mostly anger and disgust);
* neutral: words of calm or blank composure (``calm``, ``composed`` ...) that carry no EmoLex
  emotion get neutral 1.0.

Intensity level ``l`` (low/medium/high = 1/3, 2/3, 1) scales the distribution so the primary
emotion reaches ``l``; the face is posed with the expression prior's noise-free mean, so the three
levels of a word differ only in intensity, and the two identities only in the person.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib import atomic, schema
from emo3d_lib.data.generate import HEADS, decode_jpeg, encode_jpeg
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD
from emo3d_lib.files import read_json_object
from emo3d_lib.seeding import derive_seed, rng_for

EMOLEX_TO_EMOTION: dict[str, str] = {
    "joy": "happiness", "surprise": "surprise", "sadness": "sadness", "anger": "anger",
    "disgust": "disgust", "fear": "fear",
}
CONTEMPT_TERMS: tuple[str, ...] = (
    "contempt", "disdain", "scorn", "sneer", "derision", "mockery", "condescension", "ridicule",
    "disrespect", "insult", "arrogance", "snob", "haughty", "smug", "jeer", "belittle",
)
NEUTRAL_TERMS: tuple[str, ...] = (
    "calm", "neutral", "composed", "impassive", "expressionless", "still", "quiet", "blank",
    "steady", "placid", "serene", "tranquil", "idle", "plain", "indifferent", "detached",
)
SECONDARY_SHARE = 0.5
INTENSITY_LEVELS: dict[str, float] = {"low": 1 / 3, "medium": 2 / 3, "high": 1.0}
PRIMITIVES_CSV = "primitive_emotions.csv"
PRIMITIVES_MANIFEST = "primitives_manifest.json"
PRIMITIVE_COLUMNS: tuple[str, ...] = (
    "word", "emotion", "identity", "intensity_level", "intensity", *schema.EMOTIONS, "img",
    "blenshape_score",
)


def load_emolex() -> dict[str, list[str]]:
    """NRC EmoLex as shipped by ``nrclex``: word -> list of associated emotions/sentiments."""
    import nrclex

    path = Path(nrclex.__file__).parent / "data" / "nrc_en.json"
    if not path.is_file():
        raise Emo3DError(f"EmoLex file {path} not found (is nrclex installed?)")
    return json.loads(path.read_text(encoding="utf-8"))


def word_distribution(word: str, emotion: str, lexicon: dict[str, list[str]]) -> np.ndarray:
    """8-vector (EMOTIONS order, max 1) of a primitive word whose primary class is ``emotion``."""
    vec = np.zeros(schema.N_EMOTIONS, dtype=np.float64)
    if emotion == "neutral":
        vec[schema.EMOTIONS.index("neutral")] = 1.0
        return vec
    for tag in lexicon.get(word, []):
        if tag in EMOLEX_TO_EMOTION:
            vec[schema.EMOTIONS.index(EMOLEX_TO_EMOTION[tag])] = SECONDARY_SHARE
    vec[schema.EMOTIONS.index(emotion)] = 1.0
    return vec


def select_words(lexicon: dict[str, list[str]], words_per_emotion: int,
                 seed: int = 0) -> list[tuple[str, str]]:
    """(word, emotion) pairs, ``words_per_emotion`` for each of the 8 classes.

    Six classes: the class's own name first (``anger``; ``joy`` for happiness), then a seeded draw
    among the purest EmoLex words (tagged with that emotion only, alphabetic, >= 4 letters).
    Contempt and neutral come from the term lists above, in order.
    """
    _check_positive("words_per_emotion", words_per_emotion)
    chosen: list[tuple[str, str]] = []
    for emotion in schema.EMOTIONS:
        if emotion == "neutral":
            pool = [w for w in NEUTRAL_TERMS
                    if not any(t in EMOLEX_TO_EMOTION for t in lexicon.get(w, []))]
        elif emotion == "contempt":
            pool = [w for w in CONTEMPT_TERMS if w in lexicon]
        else:
            tag = next(k for k, v in EMOLEX_TO_EMOTION.items() if v == emotion)
            heads = [w for w in dict.fromkeys((emotion, tag)) if tag in lexicon.get(w, [])]
            pure = sorted(w for w, tags in lexicon.items()
                          if w not in heads and w.isalpha() and len(w) >= 4
                          and [t for t in tags if t in EMOLEX_TO_EMOTION] == [tag])
            order = rng_for(seed, "primitive-words", emotion).permutation(len(pure))
            pool = heads + [pure[i] for i in order]
        if len(pool) < words_per_emotion:
            raise Emo3DError(f"parameter words_per_emotion={words_per_emotion}: only {len(pool)}"
                             f" EmoLex words available for {emotion!r}")
        chosen += [(w, emotion) for w in pool[:words_per_emotion]]
    return chosen


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Emo3DError(f"parameter {name}={value!r} must be a positive integer")


def primitive_table(words_per_emotion: int = 10, seed: int = 0) -> pd.DataFrame:
    """Rows of the primitive set without images: word x identity x intensity level."""
    lexicon = load_emolex()
    rows = []
    for word, emotion in select_words(lexicon, words_per_emotion, seed):
        dist = word_distribution(word, emotion, lexicon)
        for identity in ("identity_a", "identity_b"):
            for level, scale in INTENSITY_LEVELS.items():
                row: dict[str, Any] = {"word": word, "emotion": emotion, "identity": identity,
                                       "intensity_level": level, "intensity": round(scale, 4)}
                row.update({e: round(float(v * scale), 4) for e, v in zip(schema.EMOTIONS, dist,
                                                                          strict=True)})
                rows.append(row)
    return pd.DataFrame(rows)


def generate_primitives(out: str | Path, *, seed: int = 0, words_per_emotion: int = 10,
                        head: str = DEFAULT_HEAD, image_size: int = 256, jpeg_quality: int = 92,
                        progress: bool = True, overwrite: bool = False) -> dict[str, Any]:
    """Render and score the primitive set into ``out``; write ``out/data/primitive_emotions.csv``.

    A set already generated there with the same parameters is kept (``overwrite`` redoes it).

    The two identities (the paper's male and female faces) are drawn once from ``seed``; every
    word uses the same two people, so differences between words are expression only.
    """
    from tqdm import tqdm

    from emo3d_lib.data.generate import worker_face_tools
    from emo3d_lib.face.expression_prior import ExpressionPrior
    from emo3d_lib.face.identity import sample_identities

    if head not in HEADS:
        raise Emo3DError(f"parameter head={head!r} must be one of {HEADS}")
    out = Path(out)
    request = {"seed": seed, "words_per_emotion": words_per_emotion, "head": head,
               "image_size": image_size, "jpeg_quality": jpeg_quality,
               "code_fingerprint": _code_fingerprint()}
    done = out / PRIMITIVES_MANIFEST
    if not overwrite and done.is_file() and (out / "data" / PRIMITIVES_CSV).is_file():
        previous = read_json_object(done, "primitives manifest")
        if {k: previous.get(k) for k in request} == request:
            return previous  # already generated with these parameters
    t0 = time.perf_counter()
    table = primitive_table(words_per_emotion, seed)
    people = dict(zip(("identity_a", "identity_b"),
                      sample_identities(derive_seed(seed, "primitive-identities"), 2),
                      strict=True))
    weights = ExpressionPrior().mean_activations(schema.emotion_matrix(table))
    renderer, extractor = worker_face_tools(head, image_size)
    imgs: list[str] = []
    scores: list[str | None] = []
    batch = 32
    for start in tqdm(range(0, len(table), batch), desc="primitives", unit="batch",
                      disable=not progress):
        part = table.iloc[start:start + batch]
        images = renderer.render(weights[start:start + batch],
                                 [people[i] for i in part["identity"]])
        jpegs = [encode_jpeg(im, jpeg_quality) for im in images]
        found = extractor.extract(np.stack([decode_jpeg(j) for j in jpegs]))
        for (_, row), jpeg, score in zip(part.iterrows(), jpegs, found, strict=True):
            rel = (f"{row['emotion']}_images/{row['word']}_{row['identity']}_"
                   f"{row['intensity_level']}.jpeg")
            atomic.write_bytes(out / rel, jpeg)
            imgs.append(rel)
            scores.append(None if score is None else schema.format_blendshapes(score))
    table["img"] = imgs
    table["blenshape_score"] = scores
    table = table.loc[:, list(PRIMITIVE_COLUMNS)]
    with atomic.atomic_path(out / "data" / PRIMITIVES_CSV) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
    detected = int(table["blenshape_score"].notna().sum())
    summary = {"rows": len(table), "words": int(table["word"].nunique()), "detected": detected,
               "detection_rate": detected / len(table), **request,
               "seconds": time.perf_counter() - t0}
    atomic.write_json(done, summary)
    return summary


def _code_fingerprint() -> str:
    """The dataset's face-code fingerprint plus this module: a change re-renders the set."""
    import hashlib

    from emo3d_lib.data.generate import GenerationConfig, code_fingerprint

    face = code_fingerprint(GenerationConfig(samples=1, images_per_sample=1))
    return hashlib.sha256(face.encode() + Path(__file__).read_bytes()).hexdigest()[:16]


def load_primitives(out: str | Path) -> pd.DataFrame:
    path = Path(out) / "data" / PRIMITIVES_CSV
    if not path.is_file():
        raise Emo3DError(f"{path} does not exist; run `emo3d primitives --out {out}` first")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


EMOLEX_EMOTIONS: tuple[str, ...] = (
    "anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust",
)


def emolex_neighbours(word: str, top_n: int = 20) -> pd.DataFrame:
    """EmoLex words closest to ``word`` by cosine similarity of their emotion vectors.

    The paper's Figure 2 is a word cloud of the words closest to "surprise" this way; ties are
    broken alphabetically so the list is fixed.
    """
    _check_positive("top_n", top_n)
    lexicon = load_emolex()
    if word not in lexicon:
        raise Emo3DError(f"word {word!r} is not in EmoLex")
    words = sorted(w for w, tags in lexicon.items()
                   if w != word and any(t in EMOLEX_EMOTIONS for t in tags))
    mat = np.array([[t in lexicon[w] for t in EMOLEX_EMOTIONS] for w in words], dtype=np.float64)
    query = np.array([t in lexicon[word] for t in EMOLEX_EMOTIONS], dtype=np.float64)
    if not query.any():
        raise Emo3DError(f"word {word!r} has no EmoLex emotion, so no neighbours")
    sim = mat @ query / (np.linalg.norm(mat, axis=1) * np.linalg.norm(query))
    order = np.lexsort((np.array(words), -sim))[:top_n]
    return pd.DataFrame({"word": [words[i] for i in order], "cosine": sim[order],
                         "emotions": [", ".join(t for t in lexicon[words[i]]
                                                if t in EMOLEX_EMOTIONS) for i in order]})
