"""``emo3d evaluate``: score a model's checkpoint, a predictions file or a sanity anchor."""

from __future__ import annotations

import argparse
import json
import sys

from emo3d_lib.cli import int_at_least, positive_float
from emo3d_lib.metric.anchors import ANCHORS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="Emo3D metric (+ MSE) of a model, a predictions file or an anchor",
        description="Render each test prompt's face with a fixed camera, embed it with CLIP, "
                    "retrieve the top-K prompts among the n, and report KL(phi || psi_bar), "
                    "Emo3D = sigmoid(mean KL / alpha), exact-match@K and MSE, with bootstrap "
                    "95%% intervals. Lower KL = better; Emo3D maps KL >= 0 to [0.5, 1), so "
                    "lower Emo3D is better too.",
    )
    p.add_argument("--data", required=True, help="dataset root (release layout)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="model directory written by `emo3d train`")
    src.add_argument("--predictions",
                     help="parquet/CSV with sample_id + the 52 blendshape columns by name")
    src.add_argument("--anchor", choices=ANCHORS, help="a sanity anchor instead of a model")
    p.add_argument("--k", type=int_at_least(1), default=10, help="top-K prompts (default 10)")
    p.add_argument("--n", type=int_at_least(2), default=1000,
                   help="emotion-balanced test prompts (default 1000)")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--clip", default=None,
                   help="CLIP: an Emo3D-CLIP dir (pixel tower, or emo3d-clip-mediapipe), an "
                        "OpenAI ViT-B/32 open_clip file, or open_clip tags ViT-B-32/openai "
                        "(online). Default: models.clip.resolve_clip (OpenAI if on disk, else "
                        "data/runs/emo3d-clip)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--seed", type=int, default=0,
                   help="prompt selection, shuffled/random anchors and bootstrap")
    p.add_argument("--alpha", type=positive_float, default=1.0,
                   help="Emo3D = sigmoid(mean KL / alpha) (paper: 1)")
    p.add_argument("--boot", type=int_at_least(1), default=1000, help="bootstrap resamples")
    p.add_argument("--batch-size", type=int_at_least(1), default=64)
    p.add_argument("--head", default="builtin", help="head to render (builtin|facecap)")
    p.add_argument("--size", type=int_at_least(16), default=256, help="render size in px")
    p.add_argument("--text-column", default="text_1", choices=("text_1", "text_2", "text_3"))
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: auto)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from emo3d_lib.atomic import write_json
    from emo3d_lib.metric.evaluate import evaluate

    summary = evaluate(
        args.data, checkpoint=args.checkpoint, predictions=args.predictions, anchor=args.anchor,
        n_boot=args.boot, n=args.n, k=args.k, split=args.split, seed=args.seed,
        clip_checkpoint=args.clip, head=args.head, size=args.size, alpha=args.alpha,
        batch_size=args.batch_size, text_column=args.text_column, device=args.device,
        progress=not args.quiet,
    )
    write_json(args.out, summary)
    brief = {k: summary[k] for k in ("backbone", "n", "k", "mean_kl", "emo3d", "exact_match",
                                     "mse")}
    brief["intervals"] = {k: v for k, v in summary["intervals"].items() if k != "level"}
    json.dump(brief, sys.stdout, indent=2)
    print()
    return 0
