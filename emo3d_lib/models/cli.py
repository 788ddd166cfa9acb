"""``emo3d train``, ``emo3d train-clip`` and ``emo3d predict``."""

from __future__ import annotations

import argparse
import json
import sys

from emo3d_lib.cli import int_at_least, positive_float
from emo3d_lib.errors import Emo3DError

MODELS = ("lm-mlp", "multilingual-mlp", "emotion-xlm", "clip-mlp", "vae-clip")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train one of the five baselines")
    p.add_argument("--data", required=True, help="dataset root (release layout)")
    p.add_argument("--model", required=True, choices=MODELS)
    p.add_argument("--out", required=True, help="checkpoint directory to write")
    p.add_argument("--epochs", type=int_at_least(1))
    p.add_argument("--batch-size", type=int_at_least(1))
    p.add_argument("--lr", type=positive_float)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: auto)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clip", default=None,
                   help="CLIP for clip-mlp/vae-clip: Emo3D-CLIP dir or OpenAI checkpoint file "
                        "(default: OpenAI if on disk, else train Emo3D-CLIP into OUT/clip)")
    p.add_argument("--offline-backbone", action="store_true",
                   help="use the offline default backbone even if a hub model is cached")
    p.set_defaults(func=_train)

    c = subparsers.add_parser("train-clip", help="train Emo3D-CLIP (locked MiniLM text tower)")
    c.add_argument("--data", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--epochs", type=int_at_least(1))
    c.add_argument("--batch-size", type=int_at_least(1))
    c.add_argument("--lr", type=positive_float)
    c.add_argument("--device", default=None)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--config", default="emo3d-clip",
                   help="Emo3D-CLIP config: emo3d-clip (pixel tower) | emo3d-clip-mediapipe")
    c.set_defaults(func=_train_clip)

    q = subparsers.add_parser("predict", help="text -> 52 blendshape scores as JSON")
    q.add_argument("--checkpoint", required=True, help="directory written by `emo3d train`")
    q.add_argument("--device", default=None)
    q.add_argument("texts", nargs="+", help="emotion descriptions (empty text is refused)")
    q.set_defaults(func=_predict)


def _summary(metrics: dict) -> dict:
    keys = ("model", "backbone", "device", "test_mse", "mean_predictor_test_mse",
            "nn_baseline_test_mse", "best_epoch", "wall_time_s")
    return {k: metrics[k] for k in keys if k in metrics}


def _train(args: argparse.Namespace) -> int:
    from emo3d_lib.models.train import train

    if args.seed < 0:
        raise Emo3DError(f"parameter --seed={args.seed} must be >= 0")
    metrics = train(args.data, args.model, args.out, epochs=args.epochs,
                    batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                    clip_checkpoint=args.clip, prefer_hub=not args.offline_backbone)
    print(json.dumps(_summary(metrics), indent=2))
    return 0


def _train_clip(args: argparse.Namespace) -> int:
    from emo3d_lib.device import pick_device
    from emo3d_lib.models.train_clip import train_clip

    if args.seed < 0:
        raise Emo3DError(f"parameter --seed={args.seed} must be >= 0")
    m = train_clip(args.data, args.out, epochs=args.epochs, batch_size=args.batch_size,
                   lr=args.lr, seed=args.seed, device=pick_device(args.device),
                   config=args.config)
    print(json.dumps({"backbone": m["backbone"], "test": m["test"],
                      "wall_time_s": m["wall_time_s"]}, indent=2))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from emo3d_lib.models.predict import load_predictor

    predictor = load_predictor(args.checkpoint, args.device)
    rows = predictor.predict_named(list(args.texts))
    out = [{"text": t, "model": predictor.name, "backbone": predictor.backbone, "blendshapes": r}
           for t, r in zip(args.texts, rows, strict=True)]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
