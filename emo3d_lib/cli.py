"""``emo3d`` command line: one sub-command per pipeline step, each registered by its stage.

Every stage module listed in ``COMMAND_MODULES`` defines ``register(subparsers)``, which adds its
sub-commands with ``set_defaults(func=handler)``; handlers take the parsed namespace and return
an exit code. Stage modules import heavy dependencies inside handlers, so ``emo3d --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from emo3d_lib.errors import Emo3DError

COMMAND_MODULES: tuple[str, ...] = (
    "emo3d_lib.data.cli",      # generate
    "emo3d_lib.text.cli",      # annotate, analyze
    "emo3d_lib.face.cli",      # render, extract, rig-check
    "emo3d_lib.models.cli",    # train, predict, train-clip
    "emo3d_lib.metric.cli",    # evaluate
    "emo3d_lib.fei.cli",       # train-fei, judge
    "emo3d_lib.book.cli",      # book
    "emo3d_lib.book.export_cli",  # export
)


def int_at_least(low: int) -> Callable[[str], int]:
    """argparse type: an integer >= ``low`` (the message names the bad value)."""

    def parse(text: str) -> int:
        try:
            val = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if val < low:
            raise argparse.ArgumentTypeError(f"{val} must be >= {low}")
        return val

    return parse


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        val = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not val > 0:
        raise argparse.ArgumentTypeError(f"{val} must be > 0")
    return val


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emo3d", description="Emo3D Book: text emotion -> 52 blendshapes -> 3D face."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Emo3DError as err:
        print(f"emo3d {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
