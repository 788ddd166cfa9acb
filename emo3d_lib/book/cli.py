"""``emo3d book``: run the notebooks (papermill, dependency order, skip unchanged), build HTML."""

from __future__ import annotations

import argparse
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "book", help="run the notebooks and build book/_build/html",
        description="Execute notebooks/*.ipynb with papermill into book/executed/ (skipping "
                    "copies whose inputs are unchanged), then build the book with Jupyter Book.",
    )
    p.add_argument("--profile", choices=("full", "smoke"), default="full",
                   help="full: publishing sizes; smoke: tiny sizes for tests (default: full)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this notebook (stem, e.g. 04_face_inspection); repeatable")
    p.add_argument("--no-build", action="store_true", help="execute notebooks, skip the HTML")
    p.add_argument("--force", action="store_true",
                   help="re-execute every notebook and rebuild every page")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from emo3d_lib.book.pipeline import run_book
    from emo3d_lib.errors import Emo3DError
    from emo3d_lib.paths import clone_root

    root = clone_root()  # also after a plain `pip install .`, run from the clone's root
    if root is None:
        raise Emo3DError("emo3d book runs in a clone of the book (its notebooks/ and "
                         "_config.yml): cd into it first")
    start = time.perf_counter()
    report = run_book(root=root, profile=args.profile, only=args.only,
                      build=not args.no_build, force=args.force)
    for name in report.executed:
        print(f"executed {name} ({report.seconds[name]:.1f} s)")
    for name in report.skipped:
        print(f"skipped  {name} (inputs unchanged)")
    for name, err in report.failed.items():
        print(f"FAILED   {name}: {err}")
    for name in report.blocked:
        print(f"blocked  {name} (an upstream notebook failed)")
    if report.html_dir:
        print(f"book: {report.html_dir / 'index.html'}")
    print(f"emo3d book --profile {args.profile}: {time.perf_counter() - start:.1f} s")
    return 0 if report.ok else 1
