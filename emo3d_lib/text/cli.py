"""``emo3d annotate`` (EmoLex agreement report) and ``emo3d analyze`` (linguistic tables)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "annotate", help="EmoLex annotator vs the dataset's emotion distributions (JSON report)"
    )
    p.add_argument("--data", required=True, type=Path, help="dataset root (ROOT/data/...)")
    p.add_argument("--out", type=Path, default=None, help="write the JSON here (else stdout)")
    p.add_argument("--annotator", choices=("emolex", "llm"), default="emolex",
                   help="emolex (offline, default) or llm (endpoint from EMO3D_LLM_* env vars)")
    p.add_argument("--limit", type=int, default=0, help="annotate only the first N samples")
    p.set_defaults(func=_annotate)

    p = subparsers.add_parser("analyze", help="linguistic tables per emotion class as CSV")
    p.add_argument("--data", required=True, type=Path, help="dataset root (ROOT/data/...)")
    p.add_argument("--out", required=True, type=Path, help="folder for the CSV tables")
    p.add_argument("--top-n", type=int, default=10, help="rows of Tables 4-6 (default 10)")
    p.add_argument("--no-synsets", action="store_true", help="skip WordNet Tables 5-6")
    p.set_defaults(func=_analyze)


def _annotate(args: argparse.Namespace) -> int:
    from emo3d_lib.atomic import write_json
    from emo3d_lib.errors import Emo3DError
    from emo3d_lib.outputs import check_output_file
    from emo3d_lib.schema import emotion_matrix, load_dataset
    from emo3d_lib.text.lexicon_annotator import agreement, annotate_dataset, sample_texts
    from emo3d_lib.text.linguistics import PAPER_HUMAN_AGREEMENT

    if args.limit < 0:
        raise Emo3DError(f"parameter --limit={args.limit} must be >= 0")
    if args.out:
        check_output_file(args.out, "--out")
    df = load_dataset(args.data, check_images=False)
    if args.limit:
        df = df.iloc[: args.limit]
    if args.annotator == "llm":
        from emo3d_lib.text.llm import ChatClient, annotate_llm, redact_url

        client = ChatClient()
        annotated = annotate_llm(sample_texts(df), client)
        name = f"LLM {client.config.model} at {redact_url(client.config.base_url)}"
    else:
        annotated, name = annotate_dataset(df), "NRC EmoLex (nrclex JSON)"
    report = {"dataset": str(args.data), "annotator": name,
              **agreement(emotion_matrix(df), annotated),
              "paper_human_check": PAPER_HUMAN_AGREEMENT}
    if args.out:
        write_json(args.out, report)
        print(f"annotate: dominant-emotion agreement {report['dominant_agreement']:.3f}, "
              f"mean KL {report['mean_kl']:.3f} over {report['n']} samples -> {args.out}")
    else:
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        print()
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from emo3d_lib.errors import Emo3DError
    from emo3d_lib.outputs import check_output_dir
    from emo3d_lib.schema import load_dataset
    from emo3d_lib.text.linguistics import TABLE_NAMES, write_tables

    if args.top_n < 1:
        raise Emo3DError(f"parameter --top-n={args.top_n} must be >= 1")
    check_output_dir(args.out, [f"{n}.csv" for n in TABLE_NAMES])
    df = load_dataset(args.data, check_images=False)
    paths = write_tables(df, args.out, top_n=args.top_n, synsets=not args.no_synsets)
    for name, path in paths.items():
        print(f"analyze: {name} -> {path}")
    return 0
