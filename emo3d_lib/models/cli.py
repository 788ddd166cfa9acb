"""``emo3d train``, ``emo3d train-clip`` and ``emo3d predict``."""

from __future__ import annotations

import argparse
import json
import sys

from emo3d_lib.cli import add_quiet, hidden_alias, int_at_least, positive_float
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.registry import list_models


def register(subparsers: argparse._SubParsersAction) -> None:
    """A command's description is its handler's docstring (one home for what it does)."""
    p = subparsers.add_parser("train", help="train one of the registered models")
    p.add_argument("--model", required=True, choices=list_models(), help="model to train")
    _training_flags(p)
    p.add_argument("--clip-checkpoint", default=None,
                   help="CLIP for clip-mlp/vae-clip: Emo3D-CLIP dir or OpenAI checkpoint file "
                        "(default: OpenAI if on disk, else train Emo3D-CLIP into OUT/clip)")
    hidden_alias(p, "--clip", "clip_checkpoint")
    p.add_argument("--offline-backbone", action="store_true",
                   help="use the offline default backbone even if a hub model is cached")
    add_quiet(p)
    p.set_defaults(func=_train)

    c = subparsers.add_parser(
        "train-clip", help="train Emo3D-CLIP, the stand-in CLIP of the metric and the CLIP models",
        description=_train_clip.__doc__)
    _training_flags(c)
    c.add_argument("--config", default="emo3d-clip",
                   help="Emo3D-CLIP config: emo3d-clip (pixel tower) | emo3d-clip-mediapipe")
    c.add_argument("--train-images-per-sample", type=int, default=None,
                   help="train on each sample's first K images (default: all)")
    c.add_argument("--eval-images-per-sample", type=int, default=None,
                   help="validation/test galleries hold each sample's first K images "
                        "(default: all)")
    c.set_defaults(func=_train_clip)

    q = subparsers.add_parser("predict", help="text -> 52 blendshape scores as JSON",
                              description=_predict.__doc__)
    q.add_argument("--checkpoint", required=True, help="directory written by `emo3d train`")
    q.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: auto)")
    q.add_argument("--out", default=None, help="JSON file to write (else JSON on stdout)")
    q.add_argument("texts", nargs="+", help="emotion descriptions (empty text is refused)")
    q.set_defaults(func=_predict)


def _training_flags(p: argparse.ArgumentParser) -> None:
    """The flags ``train`` and ``train-clip`` share: what to read, where to write, the run."""
    p.add_argument("--data", required=True, help="dataset root (release layout)")
    p.add_argument("--out", required=True, help="checkpoint directory to write")
    p.add_argument("--epochs", type=int_at_least(1), help="default: the model's config")
    p.add_argument("--batch-size", type=int_at_least(1), help="default: the model's config")
    p.add_argument("--lr", type=positive_float, help="learning rate (default: the model's config)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="every random step derives from it")


def _summary(metrics: dict) -> dict:
    keys = ("model", "backbone", "device", "test_mse", "mean_predictor_test_mse",
            "nn_baseline_test_mse", "best_epoch", "wall_time_s")
    return {k: metrics[k] for k in keys if k in metrics}


def _train(args: argparse.Namespace) -> int:
    from emo3d_lib.device import pick_device
    from emo3d_lib.models.checkpoint import CONFIG_FILE, METRICS_FILE, MODEL_FILE
    from emo3d_lib.models.train import train
    from emo3d_lib.outputs import check_output_dir

    if args.seed < 0:
        raise Emo3DError(f"parameter --seed={args.seed} must be >= 0")
    check_output_dir(args.out, (CONFIG_FILE, MODEL_FILE, METRICS_FILE, "clip"))
    pick_device(args.device)
    if not args.quiet:  # the library's first step (backbone features) shows no bar of its own
        print(f"train {args.model}: loading the backbone and embedding the texts (cached after "
              "the first run), then the epochs", file=sys.stderr)
    metrics = train(args.data, args.model, args.out, epochs=args.epochs,
                    batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                    clip_checkpoint=args.clip_checkpoint, prefer_hub=not args.offline_backbone)
    print(json.dumps(_summary(metrics), indent=2))
    return 0


def _train_clip(args: argparse.Namespace) -> int:
    """Contrastive training on the training split's (rendered image, description) pairs:
    locked MiniLM text tower, pixel image tower (or MediaPipe's scores); writes a checkpoint
    folder usable as --clip-checkpoint."""
    from emo3d_lib.device import pick_device
    from emo3d_lib.models.clip import CONFIG_FILE, WEIGHTS_FILE
    from emo3d_lib.models.train_clip import train_clip
    from emo3d_lib.outputs import check_output_dir

    if args.seed < 0:
        raise Emo3DError(f"parameter --seed={args.seed} must be >= 0")
    check_output_dir(args.out, (CONFIG_FILE, WEIGHTS_FILE, "metrics.json"))
    m = train_clip(args.data, args.out, epochs=args.epochs, batch_size=args.batch_size,
                   lr=args.lr, seed=args.seed, device=pick_device(args.device),
                   config=args.config, train_images_per_sample=args.train_images_per_sample,
                   eval_images_per_sample=args.eval_images_per_sample)
    print(json.dumps({"backbone": m["backbone"], "test": m["test"],
                      "wall_time_s": m["wall_time_s"]}, indent=2))
    return 0


def _predict(args: argparse.Namespace) -> int:
    """JSON on stdout (a list, one record per text), which `emo3d render --blendshapes - --out
    face.png` reads."""
    from emo3d_lib.models.predict import load_predictor
    from emo3d_lib.validate import check_texts

    check_texts(args.texts)
    predictor = load_predictor(args.checkpoint, args.device)
    rows = predictor.predict_named(list(args.texts))
    out = [{"text": t, "model": predictor.name, "backbone": predictor.backbone, "blendshapes": r}
           for t, r in zip(args.texts, rows, strict=True)]
    if args.out:
        from emo3d_lib.atomic import write_json

        write_json(args.out, out)
        print(args.out)
    else:
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0
