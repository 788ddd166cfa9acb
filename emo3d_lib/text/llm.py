"""Optional LLM path: any OpenAI-compatible chat endpoint writes and/or annotates descriptions.

The paper used GPT-3.5 twice: to write emotion descriptions focused on the eight emotions, and
to derive each text's emotion distribution "through carefully crafted prompts" (the prompts are
not published; ours below are modeled on that description). The endpoint is configured only
through the environment, never through notebook parameters (keys would be written into
executed notebooks):

- ``EMO3D_LLM_BASE_URL`` e.g. ``http://127.0.0.1:8000/v1`` (``/chat/completions`` is appended)
- ``EMO3D_LLM_MODEL`` e.g. ``gpt-3.5-turbo``
- ``EMO3D_LLM_API_KEY`` optional bearer token

Only the standard library is used (``urllib``), so the offline default needs nothing extra.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import EMOTIONS, TEXT_COLUMNS
from emo3d_lib.seeding import derive_seed

ENV_BASE_URL = "EMO3D_LLM_BASE_URL"
ENV_MODEL = "EMO3D_LLM_MODEL"
ENV_API_KEY = "EMO3D_LLM_API_KEY"

GENERATION_SYSTEM = (
    "You write short, vivid descriptions of a human face expressing emotions, for a dataset "
    "that pairs text with 3D facial expressions. Focus on the eight primary emotions: "
    "neutral, happiness, surprise, sadness, anger, disgust, fear and contempt."
)
GENERATION_PROMPT = (
    "Describe one person (state age and gender, e.g. 'This elderly female ...') whose face "
    "shows {mixture}. Mention visible facial cues (brows, eyes, mouth, lips, nose). Write "
    "three different paraphrases of the same description, one sentence each, 8 to 25 words. "
    'Reply with JSON only: {{"texts": ["...", "...", "..."]}}'
)
ANNOTATION_SYSTEM = (
    "You are an expert annotator of emotions in text. You rate how strongly each emotion is "
    "expressed in a description of a face."
)
ANNOTATION_PROMPT = (
    "Description: \"{text}\"\n"
    "Rate the intensity of each of these eight emotions in the description on a scale from 0 "
    "to 1 with one decimal (the values need not sum to 1): neutral, happiness, surprise, "
    "sadness, anger, disgust, fear, contempt. Reply with JSON only, e.g. "
    '{{"neutral": 0.2, "happiness": 0.0, "surprise": 0.0, "sadness": 0.9, "anger": 0.0, '
    '"disgust": 0.0, "fear": 0.0, "contempt": 0.1}}'
)


@dataclass(frozen=True)
class LLMConfig:
    """Where the chat endpoint is; ``api_key`` may be empty for local servers."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)

    def __repr__(self) -> str:  # logged and shown in notebooks: never the key
        return f"LLMConfig(base_url={redact_url(self.base_url)!r}, model={self.model!r})"

    @classmethod
    def from_env(cls) -> LLMConfig:
        base_url = os.environ.get(ENV_BASE_URL, "").strip()
        model = os.environ.get(ENV_MODEL, "").strip()
        missing = [n for n, v in ((ENV_BASE_URL, base_url), (ENV_MODEL, model)) if not v]
        if missing:
            raise Emo3DError(f"LLM path not configured: set environment variable(s) {missing}")
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise Emo3DError(f"{ENV_BASE_URL}={redact_url(base_url)!r} is not an http(s) URL")
        return cls(base_url.rstrip("/"), model, os.environ.get(ENV_API_KEY, "").strip())


#: Query parameters whose values are secrets (``?api-key=``, ``&token=``, ``sig=`` ...).
_SECRET_PARAM = re.compile(r"(key|token|secret|pass|sig|auth|credential)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` safe to print: the password of ``user:pass@host`` and secret-looking query values
    become ``***`` (error messages and reports are logged and shared; keys must not be)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
        query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v)
                           for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                          safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "<unparseable URL>"


def llm_configured() -> bool:
    """True when the environment names an endpoint and a model."""
    return bool(os.environ.get(ENV_BASE_URL, "").strip() and os.environ.get(ENV_MODEL, "").strip())


class ChatClient:
    """Minimal OpenAI-compatible ``/chat/completions`` client with retries on 429/5xx."""

    def __init__(self, config: LLMConfig | None = None, timeout: float = 60.0,
                 retries: int = 2) -> None:
        self.config = config or LLMConfig.from_env()
        self.timeout = timeout
        self.retries = retries

    @property
    def url(self) -> str:
        """``base_url`` + ``/chat/completions``, before any query (``?api-version=...``)."""
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.config.base_url)
        path = parts.path.rstrip("/") + "/chat/completions"
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    @property
    def shown_url(self) -> str:
        """:attr:`url` with credentials redacted, for messages."""
        return redact_url(self.url)

    def chat(self, messages: Sequence[dict[str, str]], *, temperature: float = 0.7,
             seed: int | None = None) -> str:
        """Send messages, return the first choice's content."""
        body: dict[str, object] = {"model": self.config.model, "messages": list(messages),
                                   "temperature": temperature}
        if seed is not None:
            body["seed"] = int(seed % 2**31)
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        data = json.dumps(body).encode()
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            shown = self.shown_url
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = json.loads(response.read().decode("utf-8"))
                break
            except urllib.error.HTTPError as err:
                if err.code in (429, 500, 502, 503, 504) and attempt < self.retries:
                    time.sleep(0.5 * 2**attempt)
                    continue
                raise Emo3DError(f"LLM endpoint {shown} answered HTTP {err.code}") from None
            except http.client.IncompleteRead as err:
                raise Emo3DError(f"LLM endpoint {shown}: reply cut short after "
                                 f"{len(err.partial)} bytes (truncated HTTP body)") from None
            except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException,
                    ValueError) as err:
                if isinstance(err, json.JSONDecodeError | UnicodeDecodeError):
                    raise Emo3DError(f"LLM endpoint {shown} returned non-JSON or non-UTF-8 "
                                     "text") from None
                reason = getattr(err, "reason", err)
                raise Emo3DError(f"LLM endpoint {shown} unreachable: "
                                 f"{redact_text(str(reason), self.config)}") from None
        try:
            return str(payload["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            raise Emo3DError(f"LLM endpoint {shown}: no choices[0].message.content") from None


def redact_text(text: str, config: LLMConfig) -> str:
    """``text`` with the configured key and URL credentials replaced (library messages may
    quote the URL they were given)."""
    text = text.replace(config.base_url, redact_url(config.base_url))
    return text.replace(config.api_key, "***") if config.api_key else text


def _json_object(reply: str, where: str) -> dict:
    """The first ``{...}`` in a reply (models sometimes wrap JSON in prose or code fences)."""
    match = re.search(r"\{.*\}", reply, flags=re.DOTALL)
    if not match:
        raise Emo3DError(f"{where}: reply has no JSON object: {reply[:120]!r}")
    try:
        obj = json.loads(match.group(0))
    except json.JSONDecodeError as err:
        raise Emo3DError(f"{where}: reply is not valid JSON ({err}): {reply[:120]!r}") from None
    if not isinstance(obj, dict):
        raise Emo3DError(f"{where}: reply JSON is not an object")
    return obj


def describe_mixture(mixture: dict[str, float]) -> str:
    """``{'sadness': 0.9, 'neutral': 0.2}`` -> "sadness (intensity 0.9) and neutral (0.2)"."""
    parts = [f"{e} (intensity {v:.1f})" for e, v in sorted(mixture.items(), key=lambda kv: -kv[1])]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def parse_scores(reply: str, where: str = "LLM annotation") -> np.ndarray:
    """An annotation reply -> float32 (8,) in ``EMOTIONS`` order; every emotion must be present."""
    obj = {str(k).lower(): v for k, v in _json_object(reply, where).items()}
    out = np.zeros(len(EMOTIONS), dtype=np.float32)
    for i, emotion in enumerate(EMOTIONS):
        if emotion not in obj:
            raise Emo3DError(f"{where}: emotion {emotion!r} missing from the reply")
        try:
            value = float(obj[emotion])
        except (TypeError, ValueError):
            raise Emo3DError(f"{where}: {emotion}={obj[emotion]!r} is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise Emo3DError(f"{where}: {emotion}={value} is not in [0, 1]")
        out[i] = value
    return out


def annotate_llm(texts: Iterable[str], client: ChatClient | None = None) -> np.ndarray:
    """Ask the LLM for each text's 8 emotion intensities: float32 (N, 8)."""
    client = client or ChatClient()
    texts = list(texts)
    rows = []
    progress = tqdm(texts, desc="LLM annotate", unit="text", disable=len(texts) < 20)
    for i, text in enumerate(progress):
        reply = client.chat([
            {"role": "system", "content": ANNOTATION_SYSTEM},
            {"role": "user", "content": ANNOTATION_PROMPT.format(text=text)},
        ], temperature=0.0)
        rows.append(parse_scores(reply, f"LLM annotation of text {i}"))
    return np.stack(rows) if rows else np.zeros((0, len(EMOTIONS)), dtype=np.float32)


def generate_llm_samples(seed: int, start: int, count: int, client: ChatClient | None = None,
                         *, annotate: bool = True) -> pd.DataFrame:
    """LLM-written rows with the same columns as ``generator.generate_text_samples``.

    Each row asks for the emotion mixture the offline generator samples for ``(seed, i)``, so the
    two paths describe the same targets. With ``annotate`` (the paper's procedure) the emotion
    columns come from a second LLM call on the three texts; otherwise they are the targets.
    """
    import random

    from emo3d_lib.text.generator import generate_sample, sample_mixture

    client = client or ChatClient()
    rows = []
    for i in tqdm(range(start, start + count), desc="LLM generate", unit="sample",
                  disable=count < 20):
        mixture = sample_mixture(random.Random(derive_seed(seed, "text-sample", i)))
        where = f"LLM generation of sample {i}"
        prompt = GENERATION_PROMPT.format(mixture=describe_mixture(mixture))
        reply = client.chat([
            {"role": "system", "content": GENERATION_SYSTEM},
            {"role": "user", "content": prompt},
        ], seed=derive_seed(seed, "llm-generate", i))
        texts = _json_object(reply, where).get("texts")
        if (not isinstance(texts, list) or len(texts) < 3
                or not all(isinstance(t, str) and t.strip() for t in texts[:3])):
            raise Emo3DError(f"{where}: expected 'texts' with three non-empty strings")
        row: dict[str, object] = {"sample_id": i,
                                  "prompt_type": generate_sample(seed, i)["prompt_type"]}
        row.update(zip(TEXT_COLUMNS, (t.strip() for t in texts[:3]), strict=True))
        if annotate:
            scores = annotate_llm([" ".join(texts[:3])], client)[0]
            row.update({e: round(float(scores[k]), 3) for k, e in enumerate(EMOTIONS)})
        else:
            row.update({e: float(mixture.get(e, 0.0)) for e in EMOTIONS})
        rows.append(row)
    df = pd.DataFrame(rows, columns=["sample_id", "prompt_type", *TEXT_COLUMNS, *EMOTIONS])
    df["sample_id"] = df["sample_id"].astype(np.int64)
    return df
