"""Families on a CLIP (CLIP + MLP, VAE-CLIP): which CLIP, and its cached text/image embeddings.

The CLIP is the one :func:`emo3d_lib.models.clip.resolve_clip` picks (given, else OpenAI
ViT-B/32 on disk), else an Emo3D-CLIP trained now into ``out/clip`` (:func:`clip_for_training`).
Text and image embeddings are cached on disk keyed by the CLIP's name and a fingerprint of its
weights; mirrored ones are computed when the config asks for mirror augmentation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.models import cache
from emo3d_lib.models.backbones import minilm_features
from emo3d_lib.models.clip import load_clip, resolve_clip
from emo3d_lib.models.data import TrainingData, load_images
from emo3d_lib.models.family import Features, FeatureSources, ModelFamily
from emo3d_lib.models.mirror import mirror_blendshapes, mirror_images, mirror_text


def clip_cache_key(clip: Any) -> str:
    """Cache key of a CLIP's embeddings: its weights' fingerprint (name + hash), or its name
    alone when its weights have no file."""
    return clip.fingerprint or f"{clip.name}:nosrc"


def clip_for_training(clip_checkpoint: str | None, td: TrainingData, out_dir: Path, seed: int,
                      device: str, cache_dir: str | Path | None) -> tuple[Any, str, float]:
    """The CLIP to train on: the one rule's pick without its default-folder search, else an
    Emo3D-CLIP trained now into ``out/clip``.

    Returns (clip, how it is recorded in model_config.json, seconds spent training it).
    """
    choice = resolve_clip(clip_checkpoint, search_default=False)
    if choice is not None:
        record = str(Path(choice.location).resolve()) if choice.reason == "given" \
            else choice.location
        return load_clip(choice.location, device), record, 0.0
    from emo3d_lib.models.train_clip import train_clip

    t0 = time.perf_counter()
    train_clip(td, out_dir / "clip", seed=seed, device=device, cache_dir=cache_dir)
    return load_clip(str(out_dir / "clip"), device), "clip", time.perf_counter() - t0


def clip_text_embeddings(clip: Any, texts: list[str],
                         cache_dir: str | Path | None = None) -> np.ndarray:
    """CLIP text embeddings, cached; Emo3D-CLIP reuses the shared MiniLM feature cache."""
    if getattr(clip, "pooling", None) == "mean":
        return clip.project_text_features(minilm_features(texts, cache_dir))
    emb, _ = cache.cached(f"{clip_cache_key(clip)}:text", texts,
                          lambda: clip.encode_text(texts), cache_dir)
    return emb


def _mirrored_text(clip: Any, texts: list[str], plain: np.ndarray,
                   cache_dir: str | Path | None) -> np.ndarray:
    """Embeddings of the mirrored descriptions (only those mentioning left/right change)."""
    mirrored = [mirror_text(t) for t in texts]
    changed = [i for i, (a, b) in enumerate(zip(texts, mirrored, strict=True)) if a != b]
    out = plain.copy()
    if changed:
        out[changed] = clip_text_embeddings(clip, [mirrored[i] for i in changed], cache_dir)
    return out


def _image_features(clip: Any, td: TrainingData, mirror: bool,
                    cache_dir: str | Path | None) -> dict[str, np.ndarray]:
    if getattr(clip, "reads_blendshapes", False):
        # Emo3D-CLIP reads an image through MediaPipe's 52 scores: the dataset holds them for
        # every image (a flipped face reads as the mirrored scores), so no image is re-read.
        feats = {"image": clip.encode_blendshapes(td.image_blendshapes)}
        if mirror:
            feats["image_mirror"] = clip.encode_blendshapes(
                mirror_blendshapes(td.image_blendshapes))
        return feats
    key = clip_cache_key(clip)
    img_keys = [str(p) for p in td.image_paths()]

    def pixels() -> np.ndarray:
        arr, _ = cache.cached(f"images-rgb{clip.image_size}", img_keys,
                              lambda: load_images(td.image_paths(), clip.image_size), cache_dir,
                              np.uint8)
        return arr

    feats = {"image": cache.cached(f"{key}:image", img_keys,
                                   lambda: clip.encode_images(pixels()), cache_dir)[0]}
    if mirror:
        feats["image_mirror"], _ = cache.cached(
            f"{key}:image-mirror", img_keys, lambda: clip.encode_images(mirror_images(pixels())),
            cache_dir)
    return feats


def clip_features(clip: Any, td: TrainingData, mirror: bool,
                  cache_dir: str | Path | None) -> dict[str, np.ndarray]:
    """``text``, ``image`` (and with ``mirror`` ``text_mirror``, ``image_mirror``) embeddings."""
    feats = {"text": clip_text_embeddings(clip, td.texts, cache_dir)}
    if mirror:
        feats["text_mirror"] = _mirrored_text(clip, td.texts, feats["text"], cache_dir)
    return feats | _image_features(clip, td, mirror, cache_dir)


class ClipFamily(ModelFamily):
    """Embeddings of a CLIP's text (and image) towers; the CLIP is recorded by checkpoint."""

    def features(self, src: FeatureSources, cfg: dict[str, Any], td: TrainingData) -> Features:
        clip, record, train_s = clip_for_training(src.clip_checkpoint, td, src.out_dir, src.seed,
                                             src.device, src.cache_dir)
        feats = clip_features(clip, td, bool(cfg.get("mirror_augmentation")), src.cache_dir)
        info = {"config": "clip", "name": clip.name, "checkpoint": record}
        return Features(feats["text"], feats, info, None, train_s)

    def load_encoder(self, info: dict[str, Any], ckpt: Path, state: dict[str, Any],
                     device: str) -> Any:
        rec = info["checkpoint"]
        return load_clip(rec if Path(rec).is_absolute() else str(ckpt / rec), device)
