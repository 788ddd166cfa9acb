"""Speed of the FEI stage: load, train (all six systems), evaluate, and judge throughput.

Run: ``.venv/bin/python benchmarks/bench_fei.py [DATASET_ROOT]`` (default: the book's full
profile dataset, ``data/datasets/book-full``). Prints wall and CPU seconds per step.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from emo3d_lib.fei.data import load_fei_data
from emo3d_lib.fei.evaluate import evaluate_fei
from emo3d_lib.fei.model import FEIConfig, fit_fei
from emo3d_lib.paths import datasets_dir


def timed(label: str, fn, *args, **kwargs):  # noqa: ANN001, ANN201 - tiny helper
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"{label:<28} wall {wall:7.1f} s   cpu {cpu:7.1f} s", flush=True)
    return out


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else datasets_dir() / "book-full"
    cfg = FEIConfig()
    data = timed("load images + scores", load_fei_data, root, image_size=cfg.image_size,
                 crop=cfg.crop)
    print(f"items {len(data)}  ({data.info})")
    model = timed("fit all six systems", fit_fei, data, config=cfg)
    report = timed("evaluate (1000 bootstrap)", evaluate_fei, model, data, n_boot=1000)
    print(report.table[["accuracy", "f1_macro", "f1_weighted", "va_ccc"]].round(4).to_string())
    print("comparison:", report.comparison)
    test = data.part("test")
    timed("predict test (best fusion)", model.predict, test.images, test.blendshapes,
          prepared=True)


if __name__ == "__main__":
    main()
