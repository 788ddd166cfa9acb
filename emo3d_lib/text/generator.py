"""Offline emotion-description generator: the embedded default for the paper's GPT-3.5 step.

For each sample it draws an emotion mixture (1-3 of the 8 emotions with intensities in [0, 1],
rounded to one decimal like GPT's answers, not summing to 1), a subject (age, gender, wording),
and writes three paraphrases (``text_1..3``) from :mod:`emo3d_lib.text.vocabulary`. The sampled
intensities are the sample's emotion columns: the distribution is known by construction, where the
paper had GPT-3.5 annotate its own texts.

Row ``i`` depends only on ``(seed, i)`` (its own ``random.Random`` from ``derive_seed``), never on
``start``/``count``, so any sharding of the index range reproduces the same rows.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, TEXT_COLUMNS
from emo3d_lib.seeding import derive_seed
from emo3d_lib.text import vocabulary as V

#: Share of samples per dominant emotion. Approximates the class shares implied by the paper's
#: Table 3 word counts (sadness/surprise/happiness large, contempt small); a design choice, not a
#: measurement of the release.
DOMINANT_WEIGHTS: dict[str, float] = {
    "neutral": 0.09, "happiness": 0.18, "surprise": 0.19, "sadness": 0.19,
    "anger": 0.09, "disgust": 0.12, "fear": 0.09, "contempt": 0.05,
}
#: Which emotions co-occur with a dominant one (the paper's Figure 10 notes disgust<->contempt and
#: fear with surprise/sadness); weights for picking secondary emotions.
AFFINITY: dict[str, dict[str, float]] = {
    "neutral": {"surprise": 0.3, "sadness": 0.2, "happiness": 0.2, "contempt": 0.1,
                "fear": 0.1, "anger": 0.1},
    "happiness": {"surprise": 0.45, "neutral": 0.35, "contempt": 0.1, "sadness": 0.1},
    "surprise": {"happiness": 0.3, "fear": 0.3, "neutral": 0.2, "sadness": 0.1, "disgust": 0.1},
    "sadness": {"neutral": 0.25, "fear": 0.25, "anger": 0.2, "contempt": 0.1, "surprise": 0.1,
                "disgust": 0.1},
    "anger": {"disgust": 0.35, "contempt": 0.3, "sadness": 0.15, "fear": 0.1, "surprise": 0.1},
    "disgust": {"contempt": 0.45, "anger": 0.3, "fear": 0.1, "surprise": 0.1, "sadness": 0.05},
    "fear": {"surprise": 0.4, "sadness": 0.35, "disgust": 0.1, "anger": 0.1, "neutral": 0.05},
    "contempt": {"disgust": 0.45, "anger": 0.3, "neutral": 0.15, "happiness": 0.1},
}
#: Number of extra emotions beside the dominant one (0, 1, 2): mixtures of 1-3 emotions.
EXTRA_COUNT_WEIGHTS: tuple[float, float, float] = (0.35, 0.40, 0.25)
PRIMARY_LEVELS: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PRIMARY_WEIGHTS: tuple[float, ...] = (0.06, 0.10, 0.14, 0.18, 0.22, 0.18, 0.12)
NAMED_SUBJECT_RATE = 0.3
COLUMNS: tuple[str, ...] = ("sample_id", "prompt_type", *TEXT_COLUMNS, *EMOTIONS)

_DETERMINERS = ("This", "The", "A", "That", "One")
_AGES = tuple(V.AGE_WEIGHTS)
_GENDERS = tuple(V.GENDER_WEIGHTS)
_DOMINANTS = tuple(DOMINANT_WEIGHTS)
_PROMPTS = tuple(V.PROMPT_TYPE_WEIGHTS)
_CUM = {  # cumulative weights: rng.choices(..., cum_weights=...) skips re-summing every call
    "dominant": tuple(itertools.accumulate(DOMINANT_WEIGHTS.values())),
    "primary": tuple(itertools.accumulate(PRIMARY_WEIGHTS)),
    "extra": tuple(itertools.accumulate(EXTRA_COUNT_WEIGHTS)),
    "prompt": tuple(itertools.accumulate(V.PROMPT_TYPE_WEIGHTS.values())),
    "age": tuple(itertools.accumulate(V.AGE_WEIGHTS.values())),
    "gender": tuple(itertools.accumulate(V.GENDER_WEIGHTS.values())),
}
ROLE_RATE = 0.25
# Word pools with the extra breadth merged in (built once at import).
_NAMES = {g: V.NAMES[g] + V.MORE_NAMES.get(g, ()) for g in V.NAMES}
_SETTINGS = V.SETTINGS + V.MORE_SETTINGS
_CUES = {e: V.FACIAL_CUES[e] + V.MORE_CUES.get(e, ()) for e in EMOTIONS}
_CONTEXTS = {e: V.CONTEXTS[e] + V.MORE_CONTEXTS.get(e, ()) for e in EMOTIONS}


def level_of(intensity: float) -> str:
    """Intensity -> vocabulary level: <= 0.4 low, <= 0.7 medium, else high."""
    if intensity <= 0.4 + 1e-9:
        return "low"
    return "medium" if intensity <= 0.7 + 1e-9 else "high"


def sample_mixture(rng: random.Random) -> dict[str, float]:
    """An emotion mixture: a dominant emotion and 0-2 weaker ones, intensities on a 0.1 grid."""
    dominant = rng.choices(_DOMINANTS, cum_weights=_CUM["dominant"])[0]
    primary = rng.choices(PRIMARY_LEVELS, cum_weights=_CUM["primary"])[0]
    mixture = {dominant: primary}
    n_extra = rng.choices((0, 1, 2), cum_weights=_CUM["extra"])[0]
    options = dict(AFFINITY[dominant])
    for _ in range(n_extra):
        if not options:
            break
        other = rng.choices(tuple(options), weights=tuple(options.values()))[0]
        del options[other]
        top = round(primary * 10) - 1  # strictly below the dominant intensity
        tenths = rng.randint(1, max(1, min(top, 5)))
        mixture[other] = tenths / 10
    return mixture


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


class _Subject:
    """One referent (age, gender, maybe a name) that each paraphrase words differently."""

    def __init__(self, rng: random.Random) -> None:
        self.age = rng.choices(_AGES, cum_weights=_CUM["age"])[0]
        self.gender = rng.choices(_GENDERS, cum_weights=_CUM["gender"])[0]
        self.name = (rng.choice(_NAMES[self.gender]) if rng.random() < NAMED_SUBJECT_RATE
                     else None)
        phrases = V.SUBJECTS[(self.age, self.gender)]
        if self.age in V.ADULT_AGES and rng.random() < ROLE_RATE:
            role = rng.choice(V.ROLES)  # "the female nurse" beside "the woman in her thirties"
            phrases = phrases + tuple(
                f"{g} {role}".strip() for g in V.GENDER_ADJECTIVES[self.gender]
            )
        self.phrases = phrases

    def noun_phrase(self, rng: random.Random, initial: bool) -> str:
        phrase = rng.choice(self.phrases)
        if self.name and rng.random() < 0.5:
            return f"{self.name}, {_article(phrase)} {phrase}," if initial else self.name
        det = rng.choice(_DETERMINERS)
        if det == "A":
            det = _article(phrase).capitalize()
        return f"{det} {phrase}" if initial else f"{det.lower()} {phrase}"


def _feeling(rng: random.Random, emotion: str, intensity: float) -> dict[str, str]:
    """Words for one emotion at the level its intensity falls in."""
    level = level_of(intensity)
    adverb = rng.choice(V.INTENSIFIERS[level])
    adj = rng.choice(V.ADJECTIVES[emotion][level])
    noun = rng.choice(V.NOUNS[emotion][level])
    quants = V.NOUN_QUANTIFIERS[level]
    return {
        "adj": f"{adverb} {adj}" if adverb else adj,
        "noun": f"{rng.choice(quants)} {noun}",
        "bare_noun": noun,
        "quant": rng.choice(quants),
        "emotion": V.EMOTION_NAMES[emotion],
    }


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Fields(dict):
    """Template fields drawn lazily, in the order the template names them.

    ``str.format_map`` asks for each field as it meets it, so only the words a template uses are
    drawn; the order is fixed by the template, which keeps every row deterministic.
    """

    _FEELING = frozenset({"adj", "noun", "bare_noun", "quant", "emotion"})
    _SECOND = frozenset({"adj2", "noun2", "bare_noun2", "cue3"})

    def __init__(self, rng: random.Random, subject: _Subject,
                 mixture: Sequence[tuple[str, float]], possessive_subject: bool) -> None:
        pro, pos, pro_is, _, pro_has, _ = V.PRONOUNS[subject.gender]
        super().__init__(pro=pro, pos=pos, pro_is=pro_is, pro_has=pro_has)
        self.rng, self.subject, self.mixture = rng, subject, mixture
        self.possessive_subject = possessive_subject

    def __missing__(self, key: str) -> str:
        rng, (dominant, primary), pos = self.rng, self.mixture[0], self["pos"]
        if key in ("Cue", "Ctx", "Setting"):
            value = _cap(self[key.lower()])
        elif key == "S":
            value = self.subject.noun_phrase(rng, initial=True)
            if self.possessive_subject and value.endswith(","):
                value = value.split(",")[0]  # "Maria's face", not "Maria, a woman,'s face"
        elif key == "s":
            value = self.subject.noun_phrase(rng, initial=False)
        elif key in ("cue", "cue2"):
            first, second = rng.sample(_CUES[dominant], 2)
            self["cue"], self["cue2"] = first.replace("{pos}", pos), second.replace("{pos}", pos)
            return self[key]
        elif key in self._FEELING:
            self.update(_feeling(rng, dominant, primary))
            return self[key]
        elif key in self._SECOND:
            if len(self.mixture) < 2:
                raise Emo3DError(f"template field {key!r} needs a secondary emotion")
            second, value_2 = self.mixture[1 + rng.randrange(len(self.mixture) - 1)]
            extra = _feeling(rng, second, value_2)
            self.update(adj2=extra["adj"], noun2=extra["noun"], bare_noun2=extra["bare_noun"],
                        cue3=rng.choice(_CUES[second]).replace("{pos}", pos))
            return self[key]
        elif key in _SIMPLE_POOLS:
            value = rng.choice(_SIMPLE_POOLS[key](dominant)).replace("{pos}", pos)
        else:
            raise Emo3DError(f"unknown template field {key!r}")
        self[key] = value
        return value


_SIMPLE_POOLS = {
    "ctx": lambda e: _CONTEXTS[e],
    "setting": lambda e: _SETTINGS,
    "gesture": lambda e: V.GESTURES[e],
    "show": lambda e: V.SHOW_VERBS,
    "appear": lambda e: V.APPEAR_VERBS,
    "feature": lambda e: V.FEATURES,
}


def _render(template: str, rng: random.Random, subject: _Subject,
            mixture: Sequence[tuple[str, float]]) -> str:
    """Fill one template; the sentence-initial subject slot gets a capitalised noun phrase."""
    fields = _Fields(rng, subject, mixture, possessive_subject=template.startswith("{S}'s"))
    text = template.format_map(fields)
    return _cap(text.replace(",,", ",").replace(", .", ".").replace(",.", ".").replace(",:", ":"))


def generate_sample(seed: int, index: int) -> dict[str, object]:
    """Sample ``index`` of the dataset drawn with ``seed``: prompt type, 3 texts, 8 intensities."""
    rng = random.Random(derive_seed(seed, "text-sample", index))
    mixture = sample_mixture(rng)
    prompt_type = rng.choices(_PROMPTS, cum_weights=_CUM["prompt"])[0]
    subject = _Subject(rng)
    ordered = list(mixture.items())
    pools = V.TEMPLATES[prompt_type]
    # Mixed samples mention the weaker emotion in two of three paraphrases.
    kinds = ["single"] * 3 if len(ordered) == 1 else ["mixed", "mixed", "single"]
    texts: list[str] = []
    used: set[str] = set()
    for kind in kinds:
        # From a random template onwards: the first unused one that yields a new text wins.
        pool = pools[kind]
        first = rng.randrange(len(pool))
        for template in pool[first:] + pool[:first]:
            if template in used:
                continue
            text = _render(template, rng, subject, ordered)
            if text not in texts:
                used.add(template)
                texts.append(text)
                break
        else:
            raise Emo3DError(f"sample {index}: could not write three different paraphrases")
    row: dict[str, object] = {"sample_id": index, "prompt_type": prompt_type}
    row.update(zip(TEXT_COLUMNS, texts, strict=True))
    row.update({e: float(mixture.get(e, 0.0)) for e in EMOTIONS})
    return row


def generate_text_samples(seed: int, start: int, count: int) -> pd.DataFrame:
    """Rows ``start .. start+count-1``: sample_id, prompt_type, text_1..3 and the 8 emotions."""
    for name, value in (("seed", seed), ("start", start), ("count", count)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise Emo3DError(f"parameter {name} must be an integer, got {value!r}")
    if start < 0 or count < 0:
        raise Emo3DError(f"parameters start={start} and count={count} must be >= 0")
    rows = [generate_sample(int(seed), i) for i in range(int(start), int(start) + int(count))]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["sample_id"] = df["sample_id"].astype(np.int64)
    for e in EMOTIONS:
        df[e] = df[e].astype(np.float64)
    return df
