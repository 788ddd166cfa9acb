"""``emo3d train-fei`` and ``emo3d judge``: facial expression inference and the second judge."""

from __future__ import annotations

import argparse
from pathlib import Path

from emo3d_lib.cli import hidden_alias
from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.fusion import FUSIONS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Each command's description is its handler's docstring (one home for what it does)."""
    p = subparsers.add_parser(
        "train-fei", help="train 2D / 3D / fused facial expression inference and evaluate it",
        description=_train_fei.__doc__)
    p.add_argument("--data", required=True, help="dataset root (release layout)")
    p.add_argument("--fusion", nargs="+", default=["all"], choices=[*FUSIONS, "all"],
                   help="systems to train (default: all six)")
    p.add_argument("--out", required=True, help="output folder (fei_model.pt, fei_results.json)")
    p.add_argument("--features-2d", default="cnn", choices=["cnn", "clip"],
                   help="2D features: a small CNN trained here, or the Emo3D-CLIP image tower")
    p.add_argument("--clip-checkpoint", default=None,
                   help="Emo3D-CLIP checkpoint for --features-2d clip")
    hidden_alias(p, "--clip-ckpt", "clip_checkpoint")
    p.add_argument("--size", type=int, default=48,
                   help="2D input side in px (use CLIP's input size with --features-2d clip)")
    hidden_alias(p, "--image-size", "size", type=int)
    p.add_argument("--crop", type=float, default=0.6,
                   help="central square kept before resizing, as a share of the image side")
    p.add_argument("--cnn-epochs", type=int, default=10, help="epochs of the 2D CNN")
    p.add_argument("--head-epochs", type=int, default=80, help="epochs of each classifier head")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for intervals")
    p.add_argument("--seed", type=int, default=0, help="every random step derives from it")
    p.set_defaults(func=_train_fei)

    j = subparsers.add_parser(
        "judge", help="read the emotion of every model's generated faces with the FEI model",
        description=_judge.__doc__)
    j.add_argument("--fei", required=True, help="fei_model.pt written by train-fei")
    j.add_argument("--data", required=True, help="dataset root (the test prompts come from it)")
    j.add_argument("--checkpoints", nargs="*", default=[], metavar="NAME=DIR",
                   help="model folders written by `emo3d train`")
    j.add_argument("--runs", default=None,
                   help="folder searched for `emo3d train` model folders (name = sub-path)")
    j.add_argument("--predictions", nargs="*", default=[], metavar="NAME=FILE",
                   help="predictions files (sample_id + 52 blendshape columns)")
    j.add_argument("--anchors", nargs="*", default=["ground-truth", "shuffled"],
                   help="metric anchors judged beside the models")
    j.add_argument("--metric-results", default=None,
                   help="Emo3D metric JSON file or folder, for the rank correlation")
    j.add_argument("--n-prompts", type=int, default=None,
                   help="balanced test prompts (default: as in the metric results, else 1000)")
    j.add_argument("--fusion", default=None, choices=FUSIONS,
                   help="FEI system to judge with (default: the model's best fusion)")
    j.add_argument("--out", required=True, help="output folder (judge_results.json)")
    j.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for intervals")
    j.add_argument("--seed", type=int, default=0, help="prompt selection and bootstrap")
    j.set_defaults(func=_judge)


def _train_fei(args: argparse.Namespace) -> int:
    """Train emotion classifiers and regressors on the dataset's faces from 2D image features,
    the 52 MediaPipe blendshapes, or their fusion (Ig3D), evaluate them on the test split and
    save the model."""
    from emo3d_lib.fei.evaluate import fusion_table
    from emo3d_lib.fei.model import FEIConfig
    from emo3d_lib.fei.pipeline import OUTPUT_NAMES, RESULTS_NAME, train_and_evaluate
    from emo3d_lib.outputs import check_output_dir

    check_output_dir(args.out, OUTPUT_NAMES)

    fusions = list(FUSIONS) if "all" in args.fusion else list(dict.fromkeys(args.fusion))
    cfg = FEIConfig(features_2d=args.features_2d, clip_ckpt=args.clip_checkpoint,
                    image_size=args.size, crop=args.crop, cnn_epochs=args.cnn_epochs,
                    head_epochs=args.head_epochs, seed=args.seed).check()
    if args.n_boot < 1:
        raise Emo3DError(f"parameter --n-boot={args.n_boot} must be >= 1")
    model, report, results = train_and_evaluate(args.data, args.out, fusions, cfg,
                                                n_boot=args.n_boot)
    print(fusion_table(report).to_string())
    cmp = report.comparison
    if cmp.get("available"):
        print(f"best fusion {cmp['best_fusion']} vs best single {cmp['best_single']}: "
              f"macro F1 difference {cmp['test_f1_macro_difference']:+.4f} "
              f"[{cmp['difference_lo']:+.4f}, {cmp['difference_hi']:+.4f}] ({cmp['verdict']})")
    print(f"wrote {Path(args.out) / RESULTS_NAME} ({results['seconds']['total']} s)")
    return 0


def _judge(args: argparse.Namespace) -> int:
    """Render each model's blendshapes for the metric's test prompts, read the emotion back
    with the best fusion FEI model, and compare the judge's model ranking with the Emo3D
    metric's."""
    from emo3d_lib.fei.judge_run import judge_command
    from emo3d_lib.fei.pipeline import OUTPUT_NAMES
    from emo3d_lib.outputs import check_output_dir

    check_output_dir(args.out, OUTPUT_NAMES)
    if args.n_boot < 1:
        raise Emo3DError(f"parameter --n-boot={args.n_boot} must be >= 1")
    if args.n_prompts is not None and args.n_prompts < 2:
        raise Emo3DError(f"parameter --n-prompts={args.n_prompts} must be >= 2")
    return judge_command(args)
