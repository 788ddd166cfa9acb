"""``emo3d evaluate``: score a model's checkpoint, a predictions file or a sanity anchor."""

from __future__ import annotations

import argparse
import json
import sys

from emo3d_lib.cli import add_quiet, hidden_alias, int_at_least, positive_float
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES
from emo3d_lib.metric.anchors import ANCHORS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="Emo3D metric (+ MSE) of a model, a predictions file, an anchor or a "
                         "folder of face images",
        description="Render each test prompt's face with a fixed camera, embed it with CLIP, "
                    "retrieve the top-K prompts among the n, and report KL(phi || psi_bar), "
                    "Emo3D = sigmoid(mean KL / alpha), exact-match@K and MSE, with bootstrap "
                    "95% intervals. With --images DIR --prompts FILE it scores a folder of face "
                    "images instead (one per prompt), as the authors' metric script does. JSON "
                    "on stdout unless --out is given.",
    )
    p.add_argument("--data", default=None, help="dataset root (release layout)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--checkpoint", help="model directory written by `emo3d train`")
    src.add_argument("--predictions",
                     help="parquet/CSV with sample_id + the 52 blendshape columns by name")
    src.add_argument("--anchor", choices=ANCHORS, help="a sanity anchor instead of a model")
    src.add_argument("--images", metavar="DIR",
                     help="folder of face images, one per prompt of --prompts (no --data)")
    p.add_argument("--prompts", metavar="FILE",
                   help="with --images: CSV/parquet/JSON with text + the 8 emotion columns "
                        "(+ optional image file name)")
    p.add_argument("--k", type=int_at_least(1), default=10, help="top-K prompts")
    p.add_argument("--n", type=int_at_least(2), default=1000,
                   help="emotion-balanced test prompts")
    p.add_argument("--out", default=None,
                   help="JSON file to write (a brief summary then goes to stdout)")
    p.add_argument("--clip-checkpoint", default=None,
                   help="CLIP: an Emo3D-CLIP dir (pixel tower, or emo3d-clip-mediapipe), an "
                        "OpenAI ViT-B/32 open_clip file, or open_clip tags ViT-B-32/openai "
                        "(online). Default: models.clip.resolve_clip (OpenAI if on disk, else "
                        "runs/emo3d-clip under the data root)")
    hidden_alias(p, "--clip", "clip_checkpoint")
    p.add_argument("--split", default="test", choices=("train", "val", "test"),
                   help="split the prompts come from")
    p.add_argument("--seed", type=int, default=0,
                   help="prompt selection, shuffled/random anchors and bootstrap")
    p.add_argument("--alpha", type=positive_float, default=1.0,
                   help="Emo3D = sigmoid(mean KL / alpha) (paper: 1)")
    p.add_argument("--n-boot", type=int_at_least(1), default=1000, help="bootstrap resamples")
    hidden_alias(p, "--boot", "n_boot", type=int_at_least(1))
    p.add_argument("--batch-size", type=int_at_least(1), default=64,
                   help="faces rendered and embedded at a time")
    p.add_argument("--render-workers", type=int_at_least(0), default=None,
                   help="processes rendering faces in parallel (default: one per core for 64 "
                        "faces or more; 0: render in this process)")
    p.add_argument("--head", default=DEFAULT_HEAD, choices=HEAD_NAMES,
                   help="head to render (facecap: its .glb from $EMO3D_FACECAP)")
    p.add_argument("--size", type=int_at_least(16), default=256,
                   help="image side in px (rendered faces; --images are resized to it)")
    p.add_argument("--text-column", default="text_1", choices=("text_1", "text_2", "text_3"),
                   help="which description of each sample is the prompt")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: auto)")
    add_quiet(p)
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from emo3d_lib.atomic import write_json
    from emo3d_lib.device import pick_device
    from emo3d_lib.outputs import check_output_file

    if args.out is not None:
        check_output_file(args.out, "--out", (".json",))
    if args.device is not None:
        pick_device(args.device)
    if args.images is not None:
        if args.prompts is None or args.data is not None:
            raise Emo3DError("--images DIR needs --prompts FILE (and no --data)")
        from emo3d_lib.metric.images import score_image_folder

        summary = score_image_folder(
            args.images, args.prompts, k=args.k, alpha=args.alpha, n_boot=args.n_boot,
            seed=args.seed, clip_checkpoint=args.clip_checkpoint, device=args.device,
            size=args.size, batch_size=args.batch_size, progress=not args.quiet)
    else:
        if args.data is None or not (args.checkpoint or args.predictions or args.anchor):
            raise Emo3DError("give --data with one of --checkpoint, --predictions, --anchor "
                             "(or --images DIR --prompts FILE)")
        if args.prompts is not None:
            raise Emo3DError("--prompts goes with --images; with --data the prompts are the "
                             "dataset's")
        from emo3d_lib.metric.evaluate import evaluate

        summary = evaluate(
            args.data, checkpoint=args.checkpoint, predictions=args.predictions,
            anchor=args.anchor, n_boot=args.n_boot, n=args.n, k=args.k, split=args.split,
            seed=args.seed, clip_checkpoint=args.clip_checkpoint, head=args.head,
            size=args.size, alpha=args.alpha, batch_size=args.batch_size,
            text_column=args.text_column, device=args.device, progress=not args.quiet,
            render_workers=args.render_workers,
        )
    if args.out is None:
        json.dump(summary, sys.stdout, indent=2)
        print()
        return 0
    write_json(args.out, summary)
    brief = {k: summary.get(k) for k in ("backbone", "n", "k", "mean_kl", "emo3d",
                                         "exact_match", "mse")}
    brief["intervals"] = {k: v for k, v in summary["intervals"].items() if k != "level"}
    json.dump(brief, sys.stdout, indent=2)
    print()
    return 0
