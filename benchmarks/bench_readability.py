"""Readable emotion (issue 11): do a head's prototype faces read as their emotion to the
independent FER2013 classifier (``emo3d_lib.fei.fer2013``, fer's mini-Xception in torch)?

Run: ``.venv/bin/python benchmarks/bench_readability.py --head builtin --identities 5 --seed 0``
(``--head facecap`` needs ``$EMO3D_FACECAP``; any name ``load_head`` knows works). Prints the
confusion table (rows: intended emotion at intensity 1.0; columns: FER2013's labels, counted over
the identities), the per-face readings, the bar verdict, and writes them as JSON (``--out``;
default ``runs_dir()/readability/<head>-<pose>-id<N>-seed<S>.json``). Exit code 0 either way: the
verdict is printed, not asserted.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from emo3d_lib import atomic
from emo3d_lib.fei.readability import BAR, POSES, bar_met, confusion_table, read_prototypes
from emo3d_lib.paths import runs_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", default="builtin")
    parser.add_argument("--identities", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--pose", choices=POSES, default="frontal")
    parser.add_argument("--jitters", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    t0 = time.perf_counter()
    readings = read_prototypes(args.head, args.identities, args.seed, args.size, args.pose,
                               args.jitters)
    seconds = time.perf_counter() - t0
    table = confusion_table(readings)
    verdict = bar_met(table)[args.head]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(readings.round(3).to_string(index=False))
        print(f"\nFER2013 reading of {args.head} prototypes at intensity 1.0 "
              f"({args.identities} identities, seed {args.seed}, pose {args.pose}, "
              f"{args.jitters} crop jitters):")
        print(table.round(3).to_string())
    bars = ", ".join(f"{e} as {'/'.join(ok)}" for e, ok in BAR.items())
    print(f"\nbar ({bars}, on every identity): {'MET' if verdict else 'NOT MET'}")
    print(f"{len(readings)} faces in {seconds:.1f} s (render + read, loaded machine)")
    out = args.out or (runs_dir() / "readability" /
                       f"{args.head}-{args.pose}-id{args.identities}-seed{args.seed}.json")
    atomic.write_json(out, {
        "head": args.head, "identities": args.identities, "seed": args.seed, "size": args.size,
        "pose": args.pose, "jitters": args.jitters, "bar_met": verdict,
        "confusion": table.reset_index().to_dict(orient="records"),
        "readings": readings.to_dict(orient="records"),
    })
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
