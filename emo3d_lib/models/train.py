"""Train one of the five baselines on a dataset directory; keep the best-on-validation weights.

``train(data, "lm-mlp", out_dir)`` writes ``out_dir/{model.pt, model_config.json, metrics.json}``.
All five are measured the same way: text -> the 52 blendshapes of each (text, image) triple of a
split, MSE over samples and blendshapes. The mean-face predictor and the nearest neighbour in the
model's own text-embedding space are measured beside them on the same test triples.
Frozen backbones' embeddings are cached on disk (``emo3d_lib.models.cache``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.atomic import atomic_path, write_json
from emo3d_lib.device import pick_device
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import baselines, cache
from emo3d_lib.models.data import TrainingData, load_images, load_training_data
from emo3d_lib.models.factory import create_model, model_config, predict_numpy
from emo3d_lib.models.heads import output_columns, to_blendshapes, vae_clip_loss
from emo3d_lib.models.mirror import mirror_blendshapes, mirror_images, mirror_text
from emo3d_lib.models.runtime import apply_thread_setting
from emo3d_lib.seeding import derive_seed, seed_everything

MODEL_FILE = "model.pt"
CONFIG_FILE = "model_config.json"
METRICS_FILE = "metrics.json"


def clip_cache_key(clip: Any) -> str:
    """Cache key of a CLIP: its name + a fingerprint of its weights on disk."""
    import hashlib

    src = Path(clip.source) if clip.source else None
    weights = src / "weights.pt" if src is not None and src.is_dir() else src
    digest = "nosrc"
    if weights is not None and weights.is_file():
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    return f"{clip.name}:{digest}"


def resolve_clip(clip_checkpoint: str | None, td: TrainingData, out_dir: Path, seed: int,
                 device: str, cache_dir: str | Path | None) -> tuple[Any, str, float]:
    """The CLIP to train on: given, OpenAI on disk, or Emo3D-CLIP trained now into ``out/clip``.

    Returns (clip, how it is recorded in model_config.json, seconds spent training it).
    """
    from emo3d_lib.models.clip import load_clip, resolve_clip

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
    from emo3d_lib.models.backbones import minilm_features

    if hasattr(clip, "project_text_features"):
        return clip.project_text_features(minilm_features(texts, cache_dir))
    emb, _ = cache.cached(f"{clip_cache_key(clip)}:text", texts,
                          lambda: clip.encode_text(texts), cache_dir)
    return emb


def _clip_features(clip: Any, td: TrainingData, mirror: bool,
                   cache_dir: str | Path | None) -> dict[str, np.ndarray]:
    key = clip_cache_key(clip)
    feats: dict[str, np.ndarray] = {}
    feats["text"] = clip_text_embeddings(clip, td.texts, cache_dir)
    img_keys = [str(p) for p in td.image_paths()]

    def pixels() -> np.ndarray:
        arr, _ = cache.cached(f"images-rgb{clip.image_size}", img_keys,
                              lambda: load_images(td.image_paths(), clip.image_size), cache_dir,
                              np.uint8)
        return arr

    if mirror:  # mirrored descriptions (only those mentioning left/right change)
        mirrored = [mirror_text(t) for t in td.texts]
        changed = [i for i, (a, b) in enumerate(zip(td.texts, mirrored, strict=True)) if a != b]
        feats["text_mirror"] = feats["text"].copy()
        if changed:
            feats["text_mirror"][changed] = clip_text_embeddings(
                clip, [mirrored[i] for i in changed], cache_dir)
    if getattr(clip, "reads_blendshapes", False):
        # Emo3D-CLIP reads an image through MediaPipe's 52 scores: the dataset holds them for
        # every image (a flipped face reads as the mirrored scores), so no image is re-read.
        feats["image"] = clip.encode_blendshapes(td.image_blendshapes)
        if mirror:
            feats["image_mirror"] = clip.encode_blendshapes(
                mirror_blendshapes(td.image_blendshapes))
        return feats
    feats["image"], _ = cache.cached(f"{key}:image", img_keys,
                                     lambda: clip.encode_images(pixels()), cache_dir)
    if mirror:
        feats["image_mirror"], _ = cache.cached(
            f"{key}:image-mirror", img_keys, lambda: clip.encode_images(mirror_images(pixels())),
            cache_dir)
    return feats


def _lm_features(backbone: Any, td: TrainingData, cache_dir: str | Path | None) -> np.ndarray:
    emb, _ = cache.cached(backbone.cache_key, td.texts, lambda: backbone.encode(td.texts),
                          cache_dir)
    return emb


def _state(model: Any) -> dict[str, Any]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def save_checkpoint(out_dir: str | Path, state: dict[str, Any], config: dict[str, Any]) -> None:
    """Weights (tensors only, loadable with weights_only=True) and their config, atomically."""
    import torch

    out = Path(out_dir)
    with atomic_path(out / MODEL_FILE) as tmp:
        torch.save(state, tmp)
    write_json(out / CONFIG_FILE, config)


def train(
    data: str | Path | TrainingData,
    model_name: str,
    out_dir: str | Path,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    device: str | None = None,
    clip_checkpoint: str | None = None,
    cache_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    prefer_hub: bool = True,
) -> dict[str, Any]:
    """Train ``model_name`` on ``data``; write checkpoint + metrics.json to ``out_dir``."""
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    from emo3d_lib.models.backbones import create_backbone

    t0 = time.perf_counter()
    cfg = model_config(model_name, overrides)
    for key, val in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr)):
        if val is not None:
            cfg[key] = val
    if int(cfg["epochs"]) < 1 or int(cfg["batch_size"]) < 1 or float(cfg["lr"]) <= 0:
        raise Emo3DError(f"parameters epochs={cfg['epochs']}, batch_size={cfg['batch_size']}, "
                         f"lr={cfg['lr']}: need epochs >= 1, batch_size >= 1, lr > 0")
    device = pick_device(device)
    seed_everything(seed)
    threads = apply_thread_setting()
    out = Path(out_dir)
    td = data if isinstance(data, TrainingData) else load_training_data(data)
    tr, va, te = td.split("train"), td.split("val"), td.split("test")
    family = cfg["family"]
    finetune = bool(cfg.get("finetune", False))

    # ---- embeddings of the backbone -------------------------------------------------------
    t_embed = time.perf_counter()
    clip_record, clip_train_s, backbone = None, 0.0, None
    if family in ("clip-mlp", "vae-clip"):
        clip, clip_record, clip_train_s = resolve_clip(clip_checkpoint, td, out, seed, device,
                                                       cache_dir)
        feats = _clip_features(clip, td, bool(cfg.get("mirror_augmentation")), cache_dir)
        backbone_info = {"config": "clip", "name": clip.name, "checkpoint": clip_record}
        text_emb = feats["text"]
    else:
        backbone = create_backbone(cfg["backbone"], prefer_hub=prefer_hub)
        if finetune and not getattr(backbone, "trainable", False):
            raise Emo3DError(f"backbone {backbone.name} is frozen; finetune=True is not possible")
        backbone_info = {"config": cfg["backbone"], "name": backbone.name,
                         "source": str(backbone.source), "finetuned": finetune}
        text_emb = _lm_features(backbone, td, cache_dir)
        feats = {"text": text_emb}
    embed_s = time.perf_counter() - t_embed - clip_train_s

    # ---- training samples ------------------------------------------------------------------
    y_tr = tr.blendshapes[:, output_columns(int(cfg["outputs"]))]
    if family == "clip-mlp":  # text AND image embeddings of each triple ("doubling")
        x_tr = np.concatenate([feats["text"][tr.text_idx], feats["image"][tr.image_idx]])
        y_all = np.concatenate([y_tr, y_tr])
        if cfg.get("mirror_augmentation"):
            xm = np.concatenate([feats["text_mirror"][tr.text_idx],
                                 feats["image_mirror"][tr.image_idx]])
            ym = mirror_blendshapes(y_all)
        else:
            xm, ym = x_tr, y_all
        train_x = torch.from_numpy(np.stack([x_tr, xm]))  # (2, n, D): plain / mirrored
        train_y = torch.from_numpy(np.stack([y_all, ym]))
    else:
        train_x = torch.from_numpy(text_emb[tr.text_idx])
        train_y = torch.from_numpy(y_tr)
    n_train = train_y.shape[-2]
    emo_tr = torch.from_numpy(tr.emotions)
    img_tr = torch.from_numpy(feats["image"][tr.image_idx]) if family == "vae-clip" else None

    in_dim = text_emb.shape[1]
    torch.manual_seed(derive_seed(seed, model_name, "init"))
    model = create_model(cfg, in_dim).to(device)
    params = list(model.parameters())
    if finetune:
        backbone.model.to(device)
        backbone.model.requires_grad_(True)
        params += list(backbone.model.parameters())
    opt = torch.optim.Adam(params, lr=float(cfg["lr"]), weight_decay=float(cfg["weight_decay"]))
    gen = torch.Generator().manual_seed(derive_seed(seed, model_name, "batches"))
    tf_gen = torch.Generator().manual_seed(derive_seed(seed, model_name, "teacher-forcing"))

    def embed_texts(idx: np.ndarray) -> np.ndarray:
        """Text embeddings for evaluation (recomputed when the backbone is fine-tuned)."""
        if not finetune:
            return text_emb[idx]
        backbone.model.eval()
        return backbone.encode([td.texts[i] for i in idx], device=device)

    def split_mse(split: Any) -> float:
        pred = to_blendshapes(predict_numpy(model, embed_texts(split.text_idx), device))
        return baselines.mse(pred, split.blendshapes)

    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, Any]] | None = None
    bs = int(cfg["batch_size"])
    for epoch in tqdm(range(int(cfg["epochs"])), desc=f"train {model_name}", leave=False):
        model.train()
        if finetune:
            backbone.model.train()
        order = torch.randperm(n_train, generator=gen)
        if family == "clip-mlp":
            flip = (torch.rand(n_train, generator=gen) < 0.5).long()
        running, seen = 0.0, 0
        for b in range(0, n_train, bs):
            sel = order[b : b + bs]
            if family == "clip-mlp":
                x, y = train_x[flip[sel], sel], train_y[flip[sel], sel]
            elif finetune:
                x = backbone.embed([td.texts[i] for i in tr.text_idx[sel.numpy()]], device)
                y = train_y[sel]
            else:
                x, y = train_x[sel], train_y[sel]
            x, y = x.to(device), y.to(device)
            if family == "emotion-xlm":
                pred, v, _ = model(x, emo_tr[sel].to(device), float(cfg["teacher_forcing_ratio"]),
                                   tf_gen)
                loss = (float(cfg["lambda_blendshape"]) * F.mse_loss(pred, y)
                        + float(cfg["lambda_emotion"]) * F.mse_loss(v, emo_tr[sel].to(device)))
            elif family == "vae-clip":
                recon, mu, logvar, z = model(y, gen)
                loss = vae_clip_loss(recon, y, mu, logvar, z, x, img_tr[sel].to(device),
                                     float(cfg["lambda_text"]), float(cfg["lambda_image"]),
                                     float(cfg.get("kl_weight", 0.0)))
            else:
                pred = model(x)
                loss = F.mse_loss(pred, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += float(loss.detach()) * len(sel)
            seen += len(sel)
        if family == "vae-clip":
            model.eval()
            model.fit_text_shift(train_y.to(device), train_x.to(device))
        val_mse = split_mse(va)
        train_mse = split_mse(tr) if not finetune else running / seen
        history.append({"epoch": epoch + 1, "train_loss": running / seen,
                        "train_mse": train_mse, "val_mse": val_mse})
        if best is None or val_mse < best[0]:
            state = {"head": _state(model)}
            if finetune:
                state["backbone"] = _state(backbone.model)
            best = (val_mse, epoch + 1, state)
    assert best is not None
    model.load_state_dict(best[2]["head"])
    if finetune:
        backbone.model.load_state_dict(best[2]["backbone"])
    train_s = time.perf_counter() - t0 - embed_s - clip_train_s

    # ---- test and baselines ----------------------------------------------------------------
    test_mse = split_mse(te)
    mean_vec = baselines.mean_predictor(tr.blendshapes)
    mean_mse = baselines.mse(np.broadcast_to(mean_vec, te.blendshapes.shape), te.blendshapes)
    tr_texts, tr_targets = baselines.per_text_targets(tr.text_idx, tr.blendshapes)
    nn_pred = baselines.nearest_neighbour_predict(
        embed_texts(te.text_idx), embed_texts(tr_texts), tr_targets)
    nn_mse = baselines.mse(nn_pred, te.blendshapes)

    config = {"model": cfg, "in_dim": int(in_dim), "backbone": backbone_info, "seed": seed,
              "data": str(td.root)}
    save_checkpoint(out, best[2], config)
    metrics = {
        "model": model_name,
        "paper": cfg.get("paper"),
        "backbone": backbone_info["name"],
        "backbone_info": backbone_info,
        "device": device,
        "torch_threads": threads,
        "seed": seed,
        "epochs": int(cfg["epochs"]),
        "batch_size": bs,
        "lr": float(cfg["lr"]),
        "history": history,
        "train_mse": [h["train_mse"] for h in history],
        "val_mse": [h["val_mse"] for h in history],
        "best_epoch": best[1],
        "best_val_mse": best[0],
        "test_mse": test_mse,
        "mean_predictor_test_mse": mean_mse,
        "nn_baseline_test_mse": nn_mse,
        "nn_baseline_space": f"{backbone_info['name']} text embeddings (cosine)",
        "n_triples": {"train": len(tr), "val": len(va), "test": len(te)},
        "n_train_samples": int(n_train),
        "wall_time_s": time.perf_counter() - t0,
        "embedding_time_s": embed_s,
        "clip_training_time_s": clip_train_s,
        "training_time_s": train_s,
    }
    write_json(out / METRICS_FILE, metrics)
    return metrics
