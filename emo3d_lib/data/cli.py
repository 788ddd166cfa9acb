"""``emo3d generate`` and ``emo3d primitives``: the dataset half of the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any

from emo3d_lib.cli import add_quiet, hidden_alias
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES

_HEAD_HELP = ("head to render: " + " | ".join(HEAD_NAMES)
              + " (facecap: its .glb from $EMO3D_FACECAP)")


def _split_fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--split {text!r}: expected three numbers like "
                                         "0.8,0.1,0.1") from None
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"--split {text!r}: expected three numbers (train,val,"
                                         "test)")
    return parts  # type: ignore[return-value]


def register(subparsers: Any) -> None:
    gen = subparsers.add_parser(
        "generate", help="generate an Emo3D-format dataset (texts, rendered faces, MediaPipe "
        "scores)", description="Sharded and resumable: rerun the same command after a kill.")
    gen.add_argument("--out", required=True, help="dataset root (ROOT/data/*.parquet|csv)")
    gen.add_argument("--samples", type=int, required=True, help="number of samples (rows)")
    gen.add_argument("--seed", type=int, default=0, help="every random step derives from it")
    gen.add_argument("--images-per-sample", type=int, default=2,
                     help="K rendered faces per sample, 0..4 (0 = text-only)")
    gen.add_argument("--workers", type=int, default=2, help="local processes (1 = in-process)")
    gen.add_argument("--scheduler", default=None,
                     help="dask.distributed scheduler address; overrides --workers")
    gen.add_argument("--shard-size", type=int, default=250, help="samples per shard")
    gen.add_argument("--head", default=DEFAULT_HEAD,
                     help=_HEAD_HELP)
    gen.add_argument("--size", type=int, default=256, help="rendered image side, px")
    hidden_alias(gen, "--image-size", "size", type=int)
    gen.add_argument("--split", type=_split_fractions, default=(0.8, 0.1, 0.1),
                     help="train,val,test fractions (default: 0.8,0.1,0.1)")
    gen.add_argument("--restart", action="store_true",
                     help="regenerate from scratch if --out was made with another config or code")
    add_quiet(gen)
    gen.set_defaults(func=_generate)

    prim = subparsers.add_parser(
        "primitives", help="primitive emotion faces: EmoLex words x 2 identities x 3 intensities")
    prim.add_argument("--out", required=True, help="output folder")
    prim.add_argument("--seed", type=int, default=0, help="word choice and identities")
    prim.add_argument("--words-per-emotion", type=int, default=10,
                      help="EmoLex words per emotion")
    prim.add_argument("--head", default=DEFAULT_HEAD,
                      help=_HEAD_HELP)
    prim.add_argument("--size", type=int, default=256, help="rendered image side, px")
    hidden_alias(prim, "--image-size", "size", type=int)
    add_quiet(prim)
    prim.set_defaults(func=_primitives)


def _generate(args: argparse.Namespace) -> int:
    from emo3d_lib.data.generate import GenerationConfig, generate_dataset

    config = GenerationConfig(
        samples=args.samples, seed=args.seed, images_per_sample=args.images_per_sample,
        shard_size=args.shard_size, head=args.head, image_size=args.size,
        split_fractions=args.split,
    )
    if args.scheduler is not None and not args.scheduler.strip():
        raise Emo3DError("parameter --scheduler is empty; give an address like tcp://host:8786")
    manifest = generate_dataset(config, args.out, workers=args.workers, scheduler=args.scheduler,
                                progress=not args.quiet, restart=args.restart)
    print(json.dumps({"out": str(args.out), "counts": manifest["counts"],
                      "detection_rate": manifest["detection_rate"],
                      "seconds_total": round(manifest["run"]["seconds_total"], 2)}, indent=2))
    return 0


def _primitives(args: argparse.Namespace) -> int:
    from emo3d_lib.data.primitives import PRIMITIVES_MANIFEST, generate_primitives
    from emo3d_lib.outputs import check_output_dir
    from emo3d_lib.schema import EMOTIONS

    check_output_dir(args.out, (PRIMITIVES_MANIFEST, *(f"{e}_images" for e in EMOTIONS)))
    summary = generate_primitives(args.out, seed=args.seed,
                                  words_per_emotion=args.words_per_emotion, head=args.head,
                                  image_size=args.size, progress=not args.quiet)
    print(json.dumps(summary, indent=2))
    return 0
