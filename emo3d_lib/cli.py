"""``emo3d`` command line: one sub-command per pipeline step, each registered by its stage.

Every stage module listed in ``COMMAND_MODULES`` defines ``register(subparsers)``, which adds its
sub-commands with ``set_defaults(func=handler)``; handlers take the parsed namespace and return
an exit code. Stage modules import heavy dependencies inside handlers, so ``emo3d --help`` is fast.

One vocabulary across commands (tests/test_cli_help.py checks it): ``--quiet`` (no progress
bars), ``--seed``, ``--n-boot``, ``--size`` (image side, px), ``--head``/``--head-path``,
``--clip-checkpoint``, ``--device``, ``--out`` (file or folder written; where a command returns
data and ``--out`` is not given, JSON goes to stdout). Older spellings stay as hidden aliases.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Callable

from emo3d_lib import __version__
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


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` for options with a real default (not None/False, not required)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default is None or action.default is False or action.required
                or action.default == argparse.SUPPRESS or "default" in text
                or not action.option_strings):
            return text
        return super()._get_help_string(action)


def hidden_alias(parser: argparse.ArgumentParser, old: str, dest: str, **kwargs) -> None:
    """An old flag spelling that still works but is not shown in ``--help``."""
    parser.add_argument(old, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS,
                        **kwargs)


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bars (every tqdm bar, via ``TQDM_DISABLE``)."""
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    hidden_alias(parser, "--no-progress", "quiet", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emo3d", description="Emo3D Book: text emotion -> 52 blendshapes -> 3D face.",
        formatter_class=DefaultsFormatter,
    )
    parser.add_argument("--version", action="version", version=f"emo3d {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, command in sub.choices.items():
        command.formatter_class = DefaultsFormatter
        command.description = command.description or helps.get(name)
        if not any("--quiet" in a.option_strings for a in command._actions):
            add_quiet(command)
    return parser


#: OS errors a user causes (a path that is missing, protected, a directory, on a full or
#: read-only disk): reported in one line with exit code 2, like ``Emo3DError``.
USER_OS_ERRORS: tuple[type[OSError], ...] = (
    FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError,
)
_USER_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ENAMETOOLONG)


def _os_error_line(err: OSError) -> str:
    where = " -> ".join(str(f) for f in (err.filename, err.filename2) if f is not None)
    return f"{err.strerror or err}{': ' + where if where else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # --quiet also silences the bars of library code that takes no flag (tqdm reads TQDM_* when
    # first imported, which in a command happens inside the handler); restored afterwards
    before = os.environ.get("TQDM_DISABLE")
    if args.quiet:
        os.environ["TQDM_DISABLE"] = "1"
    try:
        return int(args.func(args) or 0)
    except Emo3DError as err:
        message = " ".join(str(err).split("\n"))
    except OSError as err:
        if not isinstance(err, USER_OS_ERRORS) and err.errno not in _USER_ERRNOS:
            raise
        message = _os_error_line(err)
    finally:
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before
    print(f"emo3d {args.command}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
