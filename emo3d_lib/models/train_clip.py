"""Train Emo3D-CLIP: contrastive (image, description) learning with the text tower locked (LiT).

Default image tower (``pixels-cnn``): a small convolutional encoder on a central crop of the
rendered face, first trained to read the emotions off the face (``image_tower.init =
"expression"``: dominant-emotion cross-entropy + intensity MSE, the recipe of chapter 6's 2D
expression network) and then contrastively; ``init = "scratch"`` skips that first stage.
Alternatives: ``mediapipe-blendshapes`` (MediaPipe's 52 scores + an MLP: the metric then never
looks at pixels) and ``pixels-vit`` (open_clip's ViT from scratch, which stayed at chance on a
1,600-sample dataset: test text->image R@10 0.038, chance 0.062). The text projection, the
image tower, the text pooling and the temperature learn; the locked MiniLM's outputs (mean-pooled
features or token states) are computed once and cached on disk, and so are the tower-framed
training images.

Text tower (``text_pooling``): MiniLM stays locked; what learns on top of it is ours. Default
``{"type": "attention", "heads": 8}``: 8 learned scores per token over MiniLM's cached last-layer
token states (:func:`emo3d_lib.models.backbones.minilm_token_states`), softmax over the text's
tokens, the 8 weighted sums concatenated and projected; ``{"type": "mean"}`` is the cached
mean-pooled vector + a linear projection (the tower before). A mean weighs "a woman in the
kitchen" as much as "slightly sad"; the learned weights let the words that carry the emotions
and their levels dominate.

Measured on the book's full dataset (4,000 samples, 8,000 renders, generated anew by this
session's code; test: 400 texts, 800 images; seed 0; recall@10 text->image / image->text,
chance 0.025 / 0.025; the kept checkpoint is the best on validation, the choice made on
validation only): pixel tower with mean pooling (best validation 0.207) 0.180 / 0.206; with
attention pooling, 4 heads (validation 0.302) 0.273 / 0.264, 8 heads (validation 0.314)
0.302 / 0.269 (the default); MediaPipe-score tower with mean pooling (validation 0.222)
0.180 / 0.196, attention with 4 heads (validation 0.264) 0.247 / 0.251 (its default), 8 heads
(validation 0.257) 0.237 / 0.215. Both towers default to attention pooling, each with the head
count best on validation, so chapter 5 compares image towers behind the same kind of text tower.
Pooling was compared on a cheaper text-side probe (image side = the sample's true 8 emotion
intensities through an MLP, one image per sample, 30 epochs; validation R@10): mean 0.406,
mean + MLP 0.439, concatenated mean-pooled layers 3-6 0.534 / 0-6 0.581, attention 1 head
0.514, 4 heads 0.574, 8 heads 0.599, 16 heads 0.606 (test 0.403 for the mean, 0.552 for 4
heads, 0.573 for 8): the text side alone caps this probe near 0.6; 16 heads are untried with
pixels. Earlier figures (an earlier generation of the same dataset): pixel tower with the
expression stage 0.188 / 0.184, from scratch 0.198 / 0.195, MediaPipe-score tower
0.215 / 0.204. How high any tower pair could go on the test split, by construction, is
:mod:`emo3d_lib.models.retrieval_ceiling` (both-sides oracle 0.996 text->image).
More renders per training text (``train_images_per_sample``; the same 4,000 samples generated
with 4 images each, whose images 1-2 are byte for byte the book's; test gallery images 1-2
only, 400 x 800, chance 0.025; test text->image / image->text R@10, validation in brackets):
2 images per sample, seeds 0 / 1 / 2 (0.309 / 0.287 / 0.302) 0.315 / 0.292 / 0.282 text->image
(seed 0 is the book's figure, reproduced), 0.310 / 0.289 / 0.295 image->text; 4 images
(0.359 / 0.367 / 0.379) 0.352 / 0.352 / 0.350, 0.347 / 0.336 / 0.333; 4 images at the 2-image
run's step count (8 contrastive + 3 expression epochs, seed 0; 0.267) 0.328 / 0.314.
MediaPipe-score tower, seed 0: 2 images (0.284) 0.258 / 0.250, 4 images (0.297) 0.265 / 0.271.
Twice the renders lift the pixel tower by 0.055 text->image (seed means 0.351 vs 0.296; paired
over the test queries +0.058, SE 0.017) at twice the training time, and not beyond noise at
the same time: 1.32x the MediaPipe tower, far from 2x.
Pairs come from the training split; the checkpoint kept is the best on validation
text->image recall@10; recall@1/5/10 in both directions is reported on the test split with the
chance level beside it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.atomic import write_json
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import cache
from emo3d_lib.models.backbones import minilm_features, minilm_token_states
from emo3d_lib.models.checkpoint import METRICS_FILE
from emo3d_lib.models.clip import (
    Emo3DClipModel,
    _reads_blendshapes,
    build_emo3d_clip,
    fit_images,
    image_tower_type,
    save_emo3d_clip,
    text_pooling,
    tower_crop,
)
from emo3d_lib.models.data import SplitTriples, TrainingData, load_training_data
from emo3d_lib.models.registry import get_config
from emo3d_lib.models.runtime import apply_thread_setting
from emo3d_lib.schema import EMOTIONS
from emo3d_lib.seeding import derive_seed, seed_everything

KS = (1, 5, 10)


def text_tower_features(model: Any, tokenizer: Any, texts: list[str], batch_size: int = 128,
                        device: str = "cpu") -> np.ndarray:
    """Pooled outputs of the locked text transformer (before the trainable projection)."""
    import torch
    from tqdm.auto import tqdm

    text = model.text
    text.eval()
    out = []
    steps = range(0, len(texts), batch_size)
    with torch.no_grad():
        for i in tqdm(steps, desc="text tower", disable=len(steps) < 4, leave=False):
            x = tokenizer(texts[i : i + batch_size]).to(device)
            mask = (x != text.config.pad_token_id).long()
            hidden = text.transformer(input_ids=x, attention_mask=mask)
            out.append(text.pooler(hidden, mask).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, text.config.hidden_size), np.float32)


def chance_recall(n_gallery: int, n_positive: np.ndarray, k: int) -> float:
    """Expected recall@k of a random ranking: 1 - C(N-m, k) / C(N, k), averaged over queries."""
    vals = []
    for m in np.asarray(n_positive):
        if k >= n_gallery or n_gallery - m < k:
            vals.append(1.0)
        else:
            vals.append(1.0 - math.comb(n_gallery - int(m), k) / math.comb(n_gallery, k))
    return float(np.mean(vals))


def recall_at_k(
    sim: np.ndarray, positive: np.ndarray, ks: tuple[int, ...] = KS
) -> dict[str, float]:
    """Fraction of queries (rows) with a positive gallery item (column) among their top k."""
    order = np.argsort(-sim, axis=1, kind="stable")
    hits = np.take_along_axis(positive, order, axis=1)
    return {f"R@{k}": float(hits[:, :k].any(axis=1).mean()) for k in ks}


def retrieval_sets(split: SplitTriples) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One query text per sample (its first) and the split's images, each with its sample id."""
    first, img_first = split.retrieval_rows()
    return (split.text_idx[first], split.sample_id[first], split.image_idx[img_first],
            split.sample_id[img_first])


def evaluate_retrieval(text_emb: np.ndarray, image_emb: np.ndarray, split: SplitTriples,
                       ks: tuple[int, ...] = KS) -> dict[str, Any]:
    """Text->image and image->text recall@k on ``split``, with chance beside each."""
    t_idx, t_sid, i_idx, i_sid = retrieval_sets(split)
    sim = text_emb[t_idx] @ image_emb[i_idx].T
    pos = t_sid[:, None] == i_sid[None, :]
    t2i = recall_at_k(sim, pos, ks)
    i2t = recall_at_k(sim.T, pos.T, ks)
    return {
        "text_to_image": t2i,
        "image_to_text": i2t,
        "text_to_image_chance": {f"R@{k}": chance_recall(len(i_idx), pos.sum(1), k) for k in ks},
        "image_to_text_chance": {f"R@{k}": chance_recall(len(t_idx), pos.sum(0), k) for k in ks},
        "n_texts": int(len(t_idx)),
        "n_images": int(len(i_idx)),
    }


def _image_to_texts(split: SplitTriples) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    images, first = np.unique(split.image_idx, return_index=True)
    texts = [np.unique(split.text_idx[split.image_idx == i]) for i in images]
    return images, texts, split.sample_id[first]


def tower_images(td: TrainingData, size: int, crop: float,
                 cache_dir: str | Path | None = None) -> np.ndarray:
    """Every dataset image framed as the pixel tower sees it (uint8 (N, size, size, 3)), cached.

    Framing goes through :func:`emo3d_lib.models.clip.fit_images`, the function the metric's
    renders go through, so training and scoring crop and resample alike.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    paths = td.image_paths()

    def compute() -> np.ndarray:
        out = np.empty((len(paths), size, size, 3), np.uint8)
        chunk = 256
        for i in tqdm(range(0, len(paths), chunk), desc="frame images", leave=False,
                      disable=len(paths) < 2 * chunk):
            batch = []
            for p in paths[i:i + chunk]:
                try:
                    with Image.open(p) as im:
                        batch.append(np.asarray(im.convert("RGB")))
                except OSError as err:
                    raise Emo3DError(f"image file {p}: cannot read ({err})") from None
            x = fit_images(np.stack(batch), size, crop)
            out[i:i + len(batch)] = (x * 255.0).round().clamp(0, 255).byte().permute(
                0, 2, 3, 1).numpy()
        return out

    arr, _ = cache.cached(f"tower-rgb{size}-crop{crop:g}", [str(p) for p in paths], compute,
                          cache_dir, np.uint8)
    return arr


def expression_targets(split: SplitTriples, images: np.ndarray) -> np.ndarray:
    """float32 (len(images), 8 + 52): each image's sample emotions (the FEI regression target)
    and MediaPipe's blendshape scores of that image (what the face shows, channel by channel)."""
    row = [{int(i): k for k, i in enumerate(split.image_idx)}[int(i)] for i in images]
    return np.concatenate([split.emotions[row], split.blendshapes[row]], axis=1)


def pretrain_expression(model: Any, batch: Any, images: np.ndarray, targets: np.ndarray, *,
                        epochs: int, batch_size: int, lr: float, seed: int, device: str
                        ) -> list[dict[str, float]]:
    """Train the pixel tower to read the expression off the face before the contrastive stage:
    cross-entropy on the dominant emotion + MSE on the 8 intensities (chapter 6's recipe) + MSE
    on the image's 52 MediaPipe scores (so the trunk learns every channel the face shows)."""
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    tower = model.visual
    opt = torch.optim.AdamW(tower.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(derive_seed(seed, "emo3d-clip", "expression"))
    y = torch.from_numpy(targets).to(device)
    n_emo = len(EMOTIONS)
    cls = y[:, :n_emo].argmax(1)
    history = []
    for epoch in tqdm(range(epochs), desc="Emo3D-CLIP tower: expression", leave=False):
        tower.train()
        order = torch.randperm(len(images), generator=gen).numpy()
        total = correct = 0.0
        for b in range(0, len(order), batch_size):
            sel = order[b:b + batch_size]
            out = tower.expression(tower.dropout(tower.trunk(batch(images[sel]))))
            logits, rest = out[:, :n_emo], torch.sigmoid(out[:, n_emo:])
            t = torch.from_numpy(sel).to(device)
            loss = F.cross_entropy(logits, cls[t]) + 4.0 * F.mse_loss(rest[:, :n_emo],
                                                                      y[t, :n_emo]) \
                + 4.0 * F.mse_loss(rest[:, n_emo:], y[t, n_emo:])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(sel)
            correct += float((logits.argmax(1) == cls[t]).sum())
        history.append({"epoch": epoch + 1, "loss": total / len(order),
                        "train_accuracy": correct / len(order)})
    return history


def _settings(cfg: dict[str, Any], epochs: int | None, batch_size: int | None,
              lr: float | None) -> tuple[int, int, float]:
    train_cfg = dict(cfg.get("train", {}))
    epochs = int(epochs if epochs is not None else train_cfg.get("epochs", 15))
    batch_size = int(batch_size if batch_size is not None else train_cfg.get("batch_size", 128))
    lr = float(lr if lr is not None else train_cfg.get("lr", 2e-3))
    for name, val in (("epochs", epochs), ("batch_size", batch_size)):
        if val < 1:
            raise Emo3DError(f"parameter {name}={val} must be >= 1")
    if int(cfg["context_length"]) != 256:
        raise Emo3DError(f"Emo3D-CLIP config: context_length={cfg['context_length']}; the "
                         "shared MiniLM feature cache assumes 256 (the english-lm limit)")
    return epochs, batch_size, lr


def contrastive_loss(model: Any, img: Any, txt: Any, sids: np.ndarray) -> Any:
    """Symmetric InfoNCE where images of one sample share its captions (soft targets)."""
    import torch
    import torch.nn.functional as F

    logits = model.logit_scale.exp() * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
    same = torch.from_numpy(sids[:, None] == sids[None, :]).to(img.device).float()
    target = same / same.sum(1, keepdim=True)
    return 0.5 * (torch.sum(-target * F.log_softmax(logits, 1), 1).mean()
                  + torch.sum(-target.T * F.log_softmax(logits.T, 1), 1).mean())


def _tower_record(cfg: dict[str, Any]) -> dict[str, Any]:
    kind = image_tower_type(cfg)
    names = {"pixels-cnn": "convolutional encoder on the rendered face's pixels",
             "mediapipe-blendshapes": "MediaPipe FaceLandmarker blendshapes (locked) + MLP",
             "pixels-vit": "open_clip ViT on pixels, from scratch"}
    extra = cfg["vision_cfg"] if kind == "pixels-vit" else cfg.get("image_tower", {})
    return {**extra, "type": kind, "description": names[kind]}


@dataclass
class _TextFeed:
    """What the text side trains on: the locked MiniLM's output computed once and cached
    (mean-pooled features, or token states + counts for the trainable attention pooling),
    then the trainable pooler and projection of ``model.text``."""

    model: Any
    pooled: Any = None  # float tensor (N, 384): the mean-pooling tower's input
    states: np.ndarray | None = None  # float16 (N, L, 384): the attention pooling's input
    counts: np.ndarray | None = None  # int64 (N,): tokens per text

    def __call__(self, idx: np.ndarray) -> Any:
        """Projected (not normalized) text embeddings of texts ``idx``."""
        import torch

        text = self.model.text
        if self.states is None:
            return text.proj(self.pooled[torch.from_numpy(np.asarray(idx))])
        device = next(text.proj.parameters()).device
        counts = self.counts[idx]
        longest = int(counts.max())
        x = torch.from_numpy(self.states[idx, :longest].astype(np.float32)).to(device)
        mask = torch.arange(longest, device=device)[None] < torch.from_numpy(counts).to(
            device)[:, None]
        return text.proj(text.pooler.pool(x, mask))

    def every(self, chunk: int = 1024) -> Any:
        """Projected embeddings of all texts (token states in chunks, to bound memory)."""
        import torch

        if self.states is None:
            return self.model.text.proj(self.pooled)
        n = len(self.states)
        return torch.cat([self(np.arange(j, min(j + chunk, n))) for j in range(0, n, chunk)])


def _text_feed(cfg: dict[str, Any], model: Any, texts: list[str], device: str,
               cache_dir: str | Path | None) -> _TextFeed:
    import torch

    if text_pooling(cfg)["type"] == "mean":
        return _TextFeed(model, pooled=torch.from_numpy(minilm_features(texts, cache_dir)).to(
            device))
    states, counts = minilm_token_states(texts, cache_dir)
    return _TextFeed(model, states=states, counts=counts)


@dataclass
class _ImageFeed:
    """What the image tower reads while training: the framed pixels (normalized, with a small
    random shift when augmenting) or, for the MediaPipe tower, the dataset's blendshape scores.

    ``gen`` is also the generator of the epochs' shuffles: one stream for both keeps a seed's
    draw order (and so its results) what it always was.
    """

    clip: Emo3DClipModel
    inputs: np.ndarray
    gen: Any

    def batch(self, idx: np.ndarray, augment: bool = True) -> Any:
        import torch

        x = torch.from_numpy(self.inputs[idx]).to(self.clip.device)
        if self.clip.reads_blendshapes:
            return x
        x = self.clip.normalize(x.permute(0, 3, 1, 2).float() / 255.0)
        if not augment:
            return x
        shift = torch.randint(-4, 5, (2,), generator=self.gen).tolist()
        return torch.roll(x, shifts=shift, dims=(2, 3))  # small translation augmentation

    def embed_all(self, text: _TextFeed, split: SplitTriples | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Text and image embeddings; with ``split``, only that split's images are embedded
        (the other rows stay 0: the per-epoch validation does not pay for the training set)."""
        import torch
        import torch.nn.functional as F

        model = self.clip.model
        model.eval()
        which = np.arange(len(self.inputs)) if split is None else np.unique(split.image_idx)
        out = np.zeros((len(self.inputs), self.clip.dim), np.float32)
        with torch.no_grad():
            t = F.normalize(text.every(), dim=-1).cpu().numpy()
            if self.clip.reads_blendshapes:
                out[which] = self.clip.encode_blendshapes(self.inputs[which])
                return t, out
            for j in range(0, len(which), 512):
                sel = which[j:j + 512]
                out[sel] = F.normalize(model.visual(self.batch(sel, False)),
                                       dim=-1).cpu().numpy()
        return t, out


def _image_feed(cfg: dict[str, Any], td: TrainingData, model: Any, tokenizer: Any, *,
                seed: int, device: str, cache_dir: str | Path | None) -> _ImageFeed:
    """The CLIP wrapper around ``model`` and what its image tower reads (cached framed pixels,
    or the dataset's MediaPipe scores, which are MediaPipe's reading of these very images)."""
    import torch

    size = int(cfg["vision_cfg"]["image_size"])
    reads_bs = _reads_blendshapes(cfg)
    clip = Emo3DClipModel("Emo3D-CLIP", model, tokenizer, size, int(cfg["embed_dim"]), device,
                          crop=tower_crop(cfg), reads_blendshapes=reads_bs)
    inputs = td.image_blendshapes if reads_bs else tower_images(td, size, tower_crop(cfg),
                                                                cache_dir)
    gen = torch.Generator().manual_seed(derive_seed(seed, "emo3d-clip", "batches"))
    return _ImageFeed(clip, inputs, gen)


def _contrastive_stage(feed: _ImageFeed, text: _TextFeed, train: SplitTriples, val: SplitTriples,
                       cfg: dict[str, Any], *, epochs: int, batch_size: int, lr: float,
                       seed: int) -> tuple[list[dict[str, float]], float]:
    """Contrastive epochs on ``train`` (one random caption per image and step); the model ends
    holding the weights of the epoch best on validation text->image R@10, which is returned."""
    import torch
    from tqdm.auto import tqdm

    model = feed.clip.model
    images, texts_of, sids = _image_to_texts(train)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr,
                            weight_decay=float(cfg.get("train", {}).get("weight_decay", 0.05)))
    steps_per_epoch = max(1, math.ceil(len(images) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr,
                                                total_steps=epochs * steps_per_epoch)
    rng = np.random.default_rng(derive_seed(seed, "emo3d-clip", "captions"))
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, Any]] | None = None
    for epoch in tqdm(range(epochs), desc="train Emo3D-CLIP"):
        model.train()
        model.text.eval()  # locked tower: keep its dropout off
        order = torch.randperm(len(images), generator=feed.gen).numpy()
        total = 0.0
        for b in range(steps_per_epoch):
            sel = order[b * batch_size : (b + 1) * batch_size]
            if len(sel) < 2:
                continue
            cap = np.array([texts_of[i][rng.integers(len(texts_of[i]))] for i in sel])
            loss = contrastive_loss(model, model.visual(feed.batch(images[sel])),
                                    text(cap),
                                    sids[sel])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            total += float(loss.detach()) * len(sel)
        val_r = evaluate_retrieval(*feed.embed_all(text, val), val)["text_to_image"]
        history.append({"epoch": epoch + 1, "train_loss": total / len(images),
                        "val_text_to_image_R@10": val_r["R@10"]})
        if best is None or val_r["R@10"] > best[0]:
            best = (val_r["R@10"], {k: v.detach().clone() for k, v in model.state_dict().items()})
    assert best is not None
    model.load_state_dict(best[1])
    return history, best[0]


def train_clip(
    data: str | Path | TrainingData,
    out_dir: str | Path,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    device: str = "cpu",
    config: dict[str, Any] | str | None = None,
    cache_dir: str | Path | None = None,
    train_images_per_sample: int | None = None,
    eval_images_per_sample: int | None = None,
) -> dict[str, Any]:
    """Train Emo3D-CLIP on ``data``'s training split; write the checkpoint + metrics.json.

    ``config``: a config dict or a registered backbone name (default ``emo3d-clip``, the pixel
    tower; ``emo3d-clip-mediapipe`` is the MediaPipe-score tower). ``train_images_per_sample``
    / ``eval_images_per_sample``: use only each sample's first k images for training / in the
    validation and test galleries (None: all the dataset has).
    """
    import torch

    t0 = time.perf_counter()
    cfg = get_config("backbones", config or "emo3d-clip") if not isinstance(config, dict) \
        else config
    epochs, batch_size, lr = _settings(cfg, epochs, batch_size, lr)
    tower = dict(cfg.get("image_tower", {}))
    seed_everything(seed)
    threads = apply_thread_setting()
    td = data if isinstance(data, TrainingData) else load_training_data(data)
    train, val, test = (td.split(name).first_images(k) for name, k in (
        ("train", train_images_per_sample), ("val", eval_images_per_sample),
        ("test", eval_images_per_sample)))

    torch.manual_seed(derive_seed(seed, "emo3d-clip", "init"))
    model, tokenizer = build_emo3d_clip(cfg)
    model.to(device)
    text = _text_feed(cfg, model, td.texts, device, cache_dir)
    feed = _image_feed(cfg, td, model, tokenizer, seed=seed, device=device, cache_dir=cache_dir)

    images = _image_to_texts(train)[0]
    pre_history: list[dict[str, float]] = []
    if image_tower_type(cfg) == "pixels-cnn" and tower.get("init", "scratch") == "expression":
        pre_history = pretrain_expression(
            model, feed.batch, images, expression_targets(train, images),
            epochs=int(tower.get("expression_epochs", 5)), batch_size=batch_size, lr=lr,
            seed=seed, device=device)
    history, best_val = _contrastive_stage(feed, text, train, val, cfg, epochs=epochs,
                                           batch_size=batch_size, lr=lr, seed=seed)
    t_emb, i_emb = feed.embed_all(text)
    out = Path(out_dir)
    save_cfg = {**cfg, "display_name": cfg.get("display_name", "Emo3D-CLIP"),
                "train": {**cfg.get("train", {}), "epochs": epochs, "batch_size": batch_size,
                          "lr": lr, "seed": seed}}
    save_emo3d_clip(model, save_cfg, out)
    metrics = {
        "backbone": save_cfg["display_name"],
        "config": cfg.get("name", "emo3d-clip"),
        "text_tower": "sentence-transformers/all-MiniLM-L6-v2 (locked) + "
                      + {"mean": "mean pooling", "attention": "trained attention pooling"}[
                          text_pooling(cfg)["type"]] + " + linear projection",
        "text_pooling": text_pooling(cfg),
        "image_tower": _tower_record(cfg),
        "data": str(td.root),
        "n_train_images": int(len(images)),
        "images_per_sample": {"train": train_images_per_sample, "eval": eval_images_per_sample},
        "expression_history": pre_history,
        "history": history,
        "best_val_text_to_image_R@10": best_val,
        "test": evaluate_retrieval(t_emb, i_emb, test),
        "seed": seed,
        "device": device,
        "torch_threads": threads,
        "wall_time_s": time.perf_counter() - t0,
    }
    write_json(out / METRICS_FILE, metrics)
    return metrics


def ensure_clip(data: str | Path, out_dir: str | Path, config: str = "emo3d-clip",
                **train: Any) -> Path:
    """``out_dir`` if it already holds an Emo3D-CLIP, else train one there first (e.g. chapter
    5's MediaPipe-score tower beside chapter 3's pixel tower)."""
    from emo3d_lib.models.clip import CONFIG_FILE

    out = Path(out_dir)
    if not (out / CONFIG_FILE).is_file():
        train_clip(data, out, config=config, **train)
    return out
