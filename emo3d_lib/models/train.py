"""Train one model on a dataset directory; keep the best-on-validation weights.

``train(data, "lm-mlp", out_dir)`` writes ``out_dir/{model.pt, model_config.json, metrics.json}``.
One generic loop for every family: the config's family object (:mod:`emo3d_lib.models.family`)
supplies the embeddings, the module, the batches and the loss. All models are measured the same
way: text -> the 52 blendshapes of each (text, image) triple of a split, MSE over samples and
blendshapes. The mean-face predictor and the nearest neighbour in the model's own text-embedding
space are measured beside them on the same test triples.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.atomic import write_json
from emo3d_lib.device import pick_device
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import baselines
from emo3d_lib.models.checkpoint import METRICS_FILE, save_checkpoint
from emo3d_lib.models.data import SplitTriples, TrainingData, load_training_data
from emo3d_lib.models.factory import family_of, model_config
from emo3d_lib.models.family import FeatureSources, ModelFamily, Run, predict_numpy
from emo3d_lib.models.heads import output_columns, to_blendshapes
from emo3d_lib.models.runtime import apply_thread_setting
from emo3d_lib.seeding import derive_seed, seed_everything

Best = tuple[float, int, dict[str, Any]]  # (validation MSE, epoch, state)


def run_config(model_name: str, overrides: dict[str, Any] | None, epochs: int | None,
               batch_size: int | None, lr: float | None) -> dict[str, Any]:
    """The named config with overrides and the explicit epochs / batch size / learning rate."""
    cfg = model_config(model_name, overrides)
    for key, val in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr)):
        if val is not None:
            cfg[key] = val
    if int(cfg["epochs"]) < 1 or int(cfg["batch_size"]) < 1 or float(cfg["lr"]) <= 0:
        raise Emo3DError(f"parameters epochs={cfg['epochs']}, batch_size={cfg['batch_size']}, "
                         f"lr={cfg['lr']}: need epochs >= 1, batch_size >= 1, lr > 0")
    return cfg


def split_mse(family: ModelFamily, run: Run, model: Any, split: SplitTriples) -> float:
    pred = to_blendshapes(predict_numpy(family, model, run.embed_texts(split.text_idx),
                                        run.device))
    return baselines.mse(pred, split.blendshapes)


def _epoch(family: ModelFamily, run: Run, model: Any, opt: Any) -> float:
    """One pass over the training samples; returns the mean training loss."""
    order = family.begin_epoch(run, model)
    running, seen, bs = 0.0, 0, int(run.cfg["batch_size"])
    for b in range(0, run.n_train, bs):
        sel = order[b : b + bs]
        x, y = family.batch(run, sel)
        loss = family.loss(run, model, x.to(run.device), y.to(run.device), sel)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += float(loss.detach()) * len(sel)
        seen += len(sel)
    family.end_epoch(run, model)
    return running / seen


def fit(family: ModelFamily, run: Run, model: Any,
        desc: str) -> tuple[list[dict[str, float]], Best]:
    """Train for the configured epochs; returns the history and the best-on-validation state."""
    import torch
    from tqdm.auto import tqdm

    opt = torch.optim.Adam(family.trainable_parameters(run, model), lr=float(run.cfg["lr"]),
                           weight_decay=float(run.cfg["weight_decay"]))
    val = run.data.split("val")
    history: list[dict[str, float]] = []
    best: Best | None = None
    for epoch in tqdm(range(int(run.cfg["epochs"])), desc=desc, leave=False):
        train_loss = _epoch(family, run, model, opt)
        val_mse = split_mse(family, run, model, val)
        train_mse = train_loss if run.finetune else split_mse(family, run, model, run.train)
        history.append({"epoch": epoch + 1, "train_loss": train_loss,
                        "train_mse": train_mse, "val_mse": val_mse})
        if best is None or val_mse < best[0]:
            best = (val_mse, epoch + 1, family.best_state(run, model))
    assert best is not None
    return history, best


def reference_mses(run: Run, test: SplitTriples) -> tuple[float, float]:
    """Test MSE of the mean face and of the nearest training text (model's embedding space)."""
    tr = run.train
    mean_vec = baselines.mean_predictor(tr.blendshapes)
    mean_mse = baselines.mse(np.broadcast_to(mean_vec, test.blendshapes.shape), test.blendshapes)
    tr_texts, tr_targets = baselines.per_text_targets(tr.text_idx, tr.blendshapes)
    nn_pred = baselines.nearest_neighbour_predict(
        run.embed_texts(test.text_idx), run.embed_texts(tr_texts), tr_targets)
    return mean_mse, baselines.mse(nn_pred, test.blendshapes)


def test_metrics(family: ModelFamily, run: Run, model: Any, history: list[dict[str, float]],
                 best: Best) -> dict[str, Any]:
    """metrics.json's measured part: the run's settings, its history and the test figures."""
    info, cfg, data = run.features.backbone_info, run.cfg, run.data
    test = data.split("test")
    mean_mse, nn_mse = reference_mses(run, test)
    return {
        "epochs": int(cfg["epochs"]),
        "batch_size": int(cfg["batch_size"]),
        "lr": float(cfg["lr"]),
        "history": history,
        "train_mse": [h["train_mse"] for h in history],
        "val_mse": [h["val_mse"] for h in history],
        "best_epoch": best[1],
        "best_val_mse": best[0],
        "test_mse": split_mse(family, run, model, test),
        "mean_predictor_test_mse": mean_mse,
        "nn_baseline_test_mse": nn_mse,
        "nn_baseline_space": f"{info['name']} text embeddings (cosine)",
        "n_triples": {s: len(data.split(s)) for s in ("train", "val", "test")},
        "n_train_samples": run.n_train,
    }


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

    t0 = time.perf_counter()
    cfg = run_config(model_name, overrides, epochs, batch_size, lr)
    device = pick_device(device)
    seed_everything(seed)
    threads = apply_thread_setting()
    out = Path(out_dir)
    td = data if isinstance(data, TrainingData) else load_training_data(data)
    tr = td.split("train")
    for name in ("val", "test"):  # refuse an empty split before any work
        td.split(name)
    family = family_of(cfg)

    t_embed = time.perf_counter()
    feats = family.features(FeatureSources(out, seed, device, cache_dir, clip_checkpoint,
                                           prefer_hub), cfg, td)
    embed_s = time.perf_counter() - t_embed - feats.clip_training_s
    run = Run(cfg, td, tr, feats, device, seed,
              torch.Generator().manual_seed(derive_seed(seed, model_name, "batches")),
              torch.Generator().manual_seed(derive_seed(seed, model_name, "teacher-forcing")))
    family.training_set(run, tr.blendshapes[:, output_columns(int(cfg["outputs"]))])
    in_dim = int(feats.text.shape[1])
    torch.manual_seed(derive_seed(seed, model_name, "init"))
    model = family.build(cfg, in_dim).to(device)
    history, best = fit(family, run, model, f"train {model_name}")
    family.load_best(run, model, best[2])
    train_s = time.perf_counter() - t0 - embed_s - feats.clip_training_s

    save_checkpoint(out, best[2], {"model": cfg, "in_dim": in_dim,
                                   "backbone": feats.backbone_info, "seed": seed,
                                   "data": str(td.root)})
    metrics = {"model": model_name, "paper": cfg.get("paper"),
               "backbone": feats.backbone_info["name"], "backbone_info": feats.backbone_info,
               "device": device, "torch_threads": threads, "seed": seed,
               **test_metrics(family, run, model, history, best)}
    metrics.update({"wall_time_s": time.perf_counter() - t0, "embedding_time_s": embed_s,
                    "clip_training_time_s": feats.clip_training_s, "training_time_s": train_s})
    write_json(out / METRICS_FILE, metrics)
    return metrics
