"""Can pip resolve the project's dependencies, with constraints.txt, on Python 3.11/3.12/3.13?

Run on demand (not a test: it asks the package registry about every dependency, so it depends
on the network and on what the registry holds today), e.g. before changing constraints.txt:

    .venv/bin/python benchmarks/check_resolvable.py                 # 3.11.7 3.12 3.13
    .venv/bin/python benchmarks/check_resolvable.py --python /usr/bin/python3   # Debian 12
    .venv/bin/python benchmarks/check_resolvable.py --python 3.13 --extras book

For each version pip's resolver runs with ``--dry-run --ignore-installed --only-binary=:all:
--python-version X`` (or, given an interpreter's path, that interpreter's pip, which also
evaluates ``python_full_version`` markers in constraints.txt for it) on the requirements of
``pyproject.toml`` (core + the extras asked for), constrained by ``constraints.txt``. Wheels
only, so a pin with no wheel for that Python fails here instead of compiling on a reader's
machine. Prints one line per version and the wall time;
exit code 1 if any version does not resolve.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELF = re.compile(r"^emo3d-lib\b")


def requirements(extras: list[str]) -> list[str]:
    """Core dependencies plus those of ``extras``; self-references (``emo3d-lib[...]``) expanded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    reqs, todo, seen = list(project["dependencies"]), list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in optional[extra]:
            if SELF.match(req):
                todo.extend(x.strip() for x in req[req.index("[") + 1:req.index("]")].split(","))
            else:
                reqs.append(req)
    return reqs


def platform_tags(glibc: tuple[int, int], arch: str) -> list[str]:
    """Every manylinux tag a Linux machine with this glibc accepts (``--platform`` is exact)."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc[1], 4, -1)]
    return tags + [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


def resolve(python: str, reqs: list[str], platforms: list[str],
            constraints: Path | None) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        req_file = Path(tmp) / "requirements.txt"
        req_file.write_text("\n".join(reqs) + "\n")
        if Path(python).is_file():  # that interpreter's own pip: markers evaluated for it
            target = [python, "-m", "pip", "install"]
        else:  # this pip, for another version (markers still see *this* interpreter)
            target = [sys.executable, "-m", "pip", "install", "--python-version", python,
                      *(a for tag in platforms for a in ("--platform", tag))]
        cmd = [*target, "--dry-run", "--ignore-installed", "--only-binary=:all:", "--quiet",
               "--disable-pip-version-check", "--report", str(Path(tmp) / "r.json"),
               *(["-c", str(constraints)] if constraints else []), "-r", str(req_file)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    # the lines that name the conflict (pip's advice and location warnings left out)
    why = [line.strip() for line in proc.stderr.splitlines()
           if ("depends on" in line or "requested" in line or "No matching" in line
               or "Could not find" in line)]
    return proc.returncode == 0, "; ".join(dict.fromkeys(why))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--python", nargs="+", default=["3.11.7", "3.12", "3.13"],
                        help="versions (X.Y.Z where a pin needs a patch release) or "
                             "interpreters (a path: resolved by its own pip, e.g. Debian "
                             "12's /usr/bin/python3)")
    parser.add_argument("--extras", nargs="*", default=["dev"],
                        help="extras resolved with the core (dev = book, facecap, scale + tools)")
    parser.add_argument("--glibc", default="2.36",
                        help="glibc of the target Linux (2.36: Debian 12; Colab's Ubuntu 22.04: "
                             "2.35); wheels for it and older manylinux tags are accepted")
    parser.add_argument("--arch", default="x86_64")
    parser.add_argument("--no-constraints", action="store_true",
                        help="resolve pyproject's ranges alone, as a plain `pip install .` "
                             "(e.g. in Colab) does")
    args = parser.parse_args()
    reqs = requirements(args.extras)
    ok_all = True
    for python in args.python:
        start = time.perf_counter()
        major, minor = (int(x) for x in args.glibc.split("."))
        ok, last = resolve(python, reqs, platform_tags((major, minor), args.arch),
                           None if args.no_constraints else ROOT / "constraints.txt")
        ok_all &= ok
        print(f"Python {python}: {'resolves' if ok else 'FAILS'} "
              f"({time.perf_counter() - start:.0f} s, {len(reqs)} requirements, extras "
              f"{args.extras or 'none'}"
              f"{', no constraints' if args.no_constraints else ''}){'' if ok else ': ' + last}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
