"""The FEI model: 2D features (small CNN trained here, or the Emo3D-CLIP image tower), the 3D
representation (52 MediaPipe blendshapes), and classifier + regressor heads for each branch
(2D only, 3D only, intermediate fusion) from which every late fusion is composed.

One trained ``FEIModel`` holds all heads that its requested fusions need, so a single
``predict(images, blendshapes, fusion)`` serves every row of the poster's tables, and the judge
uses ``best_fusion`` (chosen by validation macro F1, never on the test split).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from emo3d_lib.checkpoint import load_state_strict, load_tensors, save_tensors
from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.data import FEIData, prepare_images
from emo3d_lib.fei.fusion import FUSIONS, check_fusion, late_fuse, learn_weight
from emo3d_lib.fei.measures import classification_measures
from emo3d_lib.fei.networks import MLPHead, SmallCNN, batched, fit_network, torch_threads
from emo3d_lib.schema import N_BLENDSHAPES
from emo3d_lib.seeding import seed_everything

BRANCHES: tuple[str, ...] = ("2d", "3d", "intermediate")
#: Marks a tensors-only FEI file (``save``); earlier files were full pickles and are refused.
FEI_FORMAT = "emo3d-fei/2"


@dataclass
class FEIConfig:
    """Everything that decides a trained FEI model; defaults are the book's full profile."""

    features_2d: str = "cnn"          # "cnn" (trained here) or "clip" (Emo3D-CLIP image tower)
    clip_ckpt: str | None = None      # checkpoint for features_2d="clip"
    image_size: int = 48              # 48 px: ~half the CPU of 64 px for 0.02 less 2D macro F1
    crop: float = 0.6                 # central square kept before resizing (face fills it)
    cnn_width: int = 16
    cnn_embed_dim: int = 64
    cnn_epochs: int = 10
    cnn_lr: float = 2e-3
    head_hidden: int = 128
    head_epochs: int = 80
    head_lr: float = 2e-3
    batch_size: int = 128
    regress_weight: float = 4.0       # MSE weight beside cross-entropy when training the CNN
    threads: int = 1                  # torch intra-op threads (see networks.torch_threads)
    seed: int = 0

    def check(self) -> FEIConfig:
        if self.features_2d not in ("cnn", "clip"):
            raise Emo3DError(f"parameter features_2d={self.features_2d!r} must be 'cnn' or 'clip'")
        if self.features_2d == "clip" and not self.clip_ckpt:
            raise Emo3DError("parameter clip_ckpt is required when features_2d='clip'")
        for name in ("image_size", "cnn_epochs", "head_epochs", "batch_size", "head_hidden"):
            if int(getattr(self, name)) < 1:
                raise Emo3DError(f"parameter {name}={getattr(self, name)!r} must be >= 1")
        if self.image_size < 16:
            raise Emo3DError(f"parameter image_size={self.image_size} must be >= 16")
        return self


def branches_for(fusions: list[str] | tuple[str, ...]) -> list[str]:
    """Which trained branches the requested fusions need (late fusions need 2D and 3D)."""
    need: list[str] = []
    for f in fusions:
        check_fusion(f)
        for b in (("2d", "3d") if f.startswith("late-") else (f,)):
            if b not in need:
                need.append(b)
    return [b for b in BRANCHES if b in need]


@dataclass
class Standardizer:
    """Feature-wise (x - mean) / std with train statistics; constant features get std 1."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardizer:
        std = x.std(axis=0)
        return cls(x.mean(axis=0).astype(np.float32),
                   np.where(std > 1e-6, std, 1.0).astype(np.float32))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)


@dataclass
class FEIModel:
    config: FEIConfig
    fusions: list[str]
    cnn: SmallCNN | None = None
    scalers: dict[str, Standardizer] = field(default_factory=dict)
    heads: dict[str, MLPHead] = field(default_factory=dict)   # "cls_2d", "reg_3d", ...
    weights: dict[str, float] = field(default_factory=dict)   # "cls"/"reg" -> 2D share
    best_fusion: str | None = None
    history: dict[str, Any] = field(default_factory=dict)
    _clip: Any = None

    # ---- features -------------------------------------------------------------------------
    def features_2d(self, images: np.ndarray, prepared: bool = False) -> np.ndarray:
        """F_2D of uint8 images: raw renders (cropped and resized here), or ``prepared`` ones
        (already at ``config.image_size`` and crop, as ``load_fei_data`` stores them)."""
        cfg = self.config
        imgs = np.asarray(images) if prepared else prepare_images(images, cfg.image_size, cfg.crop)
        if self.config.features_2d == "clip":
            if self._clip is None:
                from emo3d_lib.models import load_clip

                self._clip = load_clip(self.config.clip_ckpt)
            return np.asarray(self._clip.encode_images(imgs), dtype=np.float32)
        if self.cnn is None:
            raise Emo3DError("this FEI model has no 2D branch (trained for fusion '3d' only)")
        self.cnn.eval()
        return batched(lambda x: self.cnn.embed(SmallCNN.to_input(x)), imgs, 256)

    def branch_inputs(self, f2d: np.ndarray | None, f3d: np.ndarray) -> dict[str, np.ndarray]:
        out = {"3d": self.scalers["3d"](f3d)} if "3d" in self.scalers else {}
        if f2d is not None and "2d" in self.scalers:
            out["2d"] = self.scalers["2d"](f2d)
            out["intermediate"] = np.concatenate([out["2d"], self.scalers["3d"](f3d)], axis=1) \
                if "3d" in self.scalers else None
        return {k: v for k, v in out.items() if v is not None}

    # ---- prediction -----------------------------------------------------------------------
    def branch_outputs(self, images: np.ndarray | None, blendshapes: np.ndarray,
                       prepared: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """branch -> (class probabilities (N, 8), intensities (N, 8)) for every trained branch."""
        with torch_threads(self.config.threads):
            return self._branch_outputs(images, blendshapes, prepared)

    def _branch_outputs(self, images: np.ndarray | None, blendshapes: np.ndarray,
                        prepared: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        bs = np.asarray(blendshapes, dtype=np.float32)
        if bs.ndim != 2 or bs.shape[1] != N_BLENDSHAPES:
            raise Emo3DError(f"blendshapes must be (N, {N_BLENDSHAPES}), got {bs.shape}")
        need_2d = any(b in ("2d", "intermediate") for b in self.trained_branches)
        if need_2d and images is None:
            raise Emo3DError("images are required: this model has a 2D branch")
        f2d = self.features_2d(images, prepared) if need_2d else None
        inputs = self.branch_inputs(f2d, np.nan_to_num(bs, nan=0.0))
        outs = {}
        for b in self.trained_branches:
            probs = batched(lambda x, b=b: torch.softmax(self.heads[f"cls_{b}"](x), dim=1),
                            inputs[b])
            dist = batched(self.heads[f"reg_{b}"], inputs[b])
            outs[b] = (probs, dist)
        return outs

    @property
    def trained_branches(self) -> list[str]:
        return [b for b in BRANCHES if f"cls_{b}" in self.heads]

    def fuse(self, outs: dict[str, tuple[np.ndarray, np.ndarray]], fusion: str
             ) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, intensities) of one fusion from the branch outputs."""
        check_fusion(fusion)
        if fusion in outs:
            return outs[fusion]
        if not fusion.startswith("late-") or "2d" not in outs or "3d" not in outs:
            raise Emo3DError(f"fusion {fusion!r} was not trained in this model "
                             f"(trained: {self.fusions})")
        rule = fusion.removeprefix("late-")
        p = late_fuse(outs["2d"][0], outs["3d"][0], rule, self.weights.get("cls", 0.5), True)
        d = late_fuse(outs["2d"][1], outs["3d"][1], rule, self.weights.get("reg", 0.5), False)
        return p, d

    def predict(self, images: np.ndarray | None, blendshapes: np.ndarray,
                fusion: str | None = None, prepared: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
        """Emotion read from faces: (class probabilities (N, 8), intensities (N, 8)).

        Rows whose blendshapes are NaN (MediaPipe found no face) fall back to the 2D branch,
        which needs no 3D input; without a 2D branch such rows are an error.
        """
        fusion = fusion or self.best_fusion or self.fusions[0]
        bs = np.asarray(blendshapes, dtype=np.float32)
        no_face = np.isnan(bs).any(axis=1) if bs.ndim == 2 else np.zeros(0, bool)
        outs = self.branch_outputs(images, bs, prepared)
        probs, dist = self.fuse(outs, fusion)
        if no_face.any():
            if "2d" not in outs:
                raise Emo3DError(f"rows {np.flatnonzero(no_face)[:5].tolist()}: no face "
                                 "(NaN blendshapes) and this model has no 2D branch")
            probs, dist = probs.copy(), dist.copy()
            probs[no_face], dist[no_face] = outs["2d"][0][no_face], outs["2d"][1][no_face]
        return probs, dist

    # ---- persistence ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Tensors (CNN, heads, scalers) plus a JSON string of everything else: loadable with
        ``torch.load(weights_only=True)``, so loading never constructs arbitrary objects."""
        meta = {
            "config": asdict(self.config), "fusions": list(self.fusions),
            "heads": {k: [h.task, int(h.net[0].in_features)] for k, h in self.heads.items()},
            "weights": {k: float(v) for k, v in self.weights.items()},
            "best_fusion": self.best_fusion, "history": self.history,
        }
        state = {
            "format": FEI_FORMAT, "meta_json": json.dumps(meta, default=_json_scalar),
            "cnn": None if self.cnn is None else self.cnn.state_dict(),
            "scalers": {k: {"mean": torch.as_tensor(v.mean), "std": torch.as_tensor(v.std)}
                        for k, v in self.scalers.items()},
            "heads": {k: h.state_dict() for k, h in self.heads.items()},
        }
        save_tensors(path, state)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FEIModel:
        path = Path(path)
        what = f"FEI checkpoint {path}"
        state = load_tensors(path, "FEI checkpoint")
        if not isinstance(state, dict) or state.get("format") != FEI_FORMAT:
            raise Emo3DError(f"{what}: not an {FEI_FORMAT} file written by `emo3d train-fei` "
                             "(older FEI files held pickled objects: retrain to refresh it)")
        try:
            meta = json.loads(state["meta_json"])
            config = FEIConfig(**meta["config"]).check()
            cnn = None
            if state["cnn"] is not None:
                cnn = SmallCNN(config.cnn_width, config.cnn_embed_dim)
                load_state_strict(cnn, state["cnn"], f"{what}: cnn")
                cnn.eval()
            heads = {}
            for k, (task, in_dim) in meta["heads"].items():
                heads[k] = MLPHead(int(in_dim), task, config.head_hidden)
                load_state_strict(heads[k], state["heads"][k], f"{what}: head {k}")
                heads[k].eval()
            scalers = {k: Standardizer(v["mean"].numpy().astype(np.float32),
                                       v["std"].numpy().astype(np.float32))
                       for k, v in state["scalers"].items()}
            fusions = [check_fusion(f) for f in meta["fusions"]]
        except (KeyError, TypeError, ValueError, AttributeError, json.JSONDecodeError) as err:
            raise Emo3DError(f"{what}: malformed ({type(err).__name__}: {err})") from None
        return cls(config=config, fusions=fusions, cnn=cnn, scalers=scalers, heads=heads,
                   weights=meta["weights"], best_fusion=meta["best_fusion"],
                   history=meta["history"])


def _json_scalar(value: Any) -> Any:
    """numpy numbers/arrays in the training history -> plain JSON values."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


# ---- training -----------------------------------------------------------------------------
def _train_cnn(train: FEIData, val: FEIData, cfg: FEIConfig) -> tuple[SmallCNN, list]:
    cnn = SmallCNN(cfg.cnn_width, cfg.cnn_embed_dim)
    x_train = SmallCNN.to_input(train.images)
    y_train = torch.as_tensor(train.labels)
    d_train = torch.as_tensor(train.emotions)
    x_val = SmallCNN.to_input(val.images)

    def loss(model: SmallCNN, idx: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        xb = x_train[idx]
        flip = torch.as_tensor(rng.random(idx.size) < 0.5)   # a mirrored face, same emotion
        xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
        logits, dist = model(xb)
        return (F.cross_entropy(logits, y_train[idx])
                + cfg.regress_weight * F.mse_loss(dist, d_train[idx]))

    def score(model: SmallCNN) -> float:
        pred = batched(lambda x: model(x)[0], x_val, 256).argmax(axis=1)
        return classification_measures(val.labels, pred)["f1_macro"]

    return fit_network(cnn, len(train), loss, score, epochs=cfg.cnn_epochs,
                       batch_size=cfg.batch_size, lr=cfg.cnn_lr, seed=cfg.seed, desc="fei-cnn")


def _train_head(task: str, x: np.ndarray, train: FEIData, xv: np.ndarray, val: FEIData,
                cfg: FEIConfig, name: str) -> tuple[MLPHead, list]:
    head = MLPHead(x.shape[1], task, cfg.head_hidden)
    xt, xvt = torch.as_tensor(x), torch.as_tensor(xv)
    y, d = torch.as_tensor(train.labels), torch.as_tensor(train.emotions)

    def loss(model: MLPHead, idx: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        out = model(xt[idx])
        return F.cross_entropy(out, y[idx]) if task == "classify" else F.mse_loss(out, d[idx])

    def score(model: MLPHead) -> float:
        out = model(xvt).numpy()
        if task == "classify":
            return classification_measures(val.labels, out.argmax(axis=1))["f1_macro"]
        return -float(np.mean((out - val.emotions) ** 2))

    return fit_network(head, len(train), loss, score, epochs=cfg.head_epochs,
                       batch_size=cfg.batch_size, lr=cfg.head_lr, seed=cfg.seed, desc=name)


def fit_fei(data: FEIData, fusions: list[str] | tuple[str, ...] = FUSIONS,
            config: FEIConfig | None = None) -> FEIModel:
    """Train every branch the requested fusions need on ``train``, select on ``val``."""
    cfg = (config or FEIConfig()).check()
    with torch_threads(cfg.threads):
        return _fit_fei(data, fusions, cfg)


def _fit_fei(data: FEIData, fusions: list[str] | tuple[str, ...], cfg: FEIConfig) -> FEIModel:
    fusions = [check_fusion(f) for f in fusions]
    if not fusions:
        raise Emo3DError("parameter fusions is empty")
    for key in ("image_size", "crop"):
        if key in data.info and data.info[key] != getattr(cfg, key):
            raise Emo3DError(f"data images were prepared with {key}={data.info[key]}, but the "
                             f"config asks for {key}={getattr(cfg, key)}: reload the data")
    seed_everything(cfg.seed)
    train, val = data.part("train"), data.part("val")
    need = branches_for(fusions)
    model = FEIModel(config=cfg, fusions=fusions)
    f3d = {"train": train.blendshapes, "val": val.blendshapes}
    f2d: dict[str, np.ndarray] = {}
    if any(b in ("2d", "intermediate") for b in need):
        if cfg.features_2d == "cnn":
            if train.images.ndim != 4 or train.images.shape[1] == 0:
                raise Emo3DError("the 2D branch needs images: load the data with_images=True")
            model.cnn, model.history["cnn"] = _train_cnn(train, val, cfg)
        f2d = {"train": model.features_2d(train.images, prepared=True),
               "val": model.features_2d(val.images, prepared=True)}
        model.scalers["2d"] = Standardizer.fit(f2d["train"])
    model.scalers["3d"] = Standardizer.fit(f3d["train"])
    inputs = {s: model.branch_inputs(f2d.get(s), f3d[s]) for s in ("train", "val")}
    for b in need:
        for task, prefix in (("classify", "cls"), ("regress", "reg")):
            key = f"{prefix}_{b}"
            model.heads[key], model.history[key] = _train_head(
                task, inputs["train"][b], train, inputs["val"][b], val, cfg, f"fei-{key}")
    if "2d" in need and "3d" in need:
        outs = model.branch_outputs(val.images, val.blendshapes, prepared=True)
        model.weights = {
            "cls": learn_weight(outs["2d"][0], outs["3d"][0], labels=val.labels),
            "reg": learn_weight(outs["2d"][1], outs["3d"][1], targets=val.emotions),
        }
    model.best_fusion = select_best_fusion(model, val)
    return model


def validation_scores(model: FEIModel, val: FEIData) -> dict[str, float]:
    """Validation macro F1 of every fusion the model serves."""
    outs = model.branch_outputs(val.images, val.blendshapes, prepared=True)
    return {f: classification_measures(val.labels, model.fuse(outs, f)[0].argmax(axis=1))
            ["f1_macro"] for f in model.fusions}


def select_best_fusion(model: FEIModel, val: FEIData) -> str:
    """The fusion (not a single modality, if any fusion was trained) with the best val macro F1."""
    scores = validation_scores(model, val)
    model.history["val_f1_macro"] = scores
    fused = {f: s for f, s in scores.items() if f not in ("2d", "3d")} or scores
    return max(fused, key=lambda f: (fused[f], -FUSIONS.index(f)))
