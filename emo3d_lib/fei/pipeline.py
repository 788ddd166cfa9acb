"""End-to-end FEI steps shared by the CLI and the notebook: train + evaluate + save, judge."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from emo3d_lib.atomic import write_json
from emo3d_lib.fei.data import FEIData, load_fei_data
from emo3d_lib.fei.evaluate import FEIReport, evaluate_fei
from emo3d_lib.fei.fusion import FUSIONS
from emo3d_lib.fei.model import FEIConfig, FEIModel, fit_fei

MODEL_NAME = "fei_model.pt"
RESULTS_NAME = "fei_results.json"
JUDGE_NAME = "judge_results.json"
#: What train-fei and judge write into their --out folder (a folder holding one is theirs).
OUTPUT_NAMES = (MODEL_NAME, RESULTS_NAME, JUDGE_NAME)


def train_and_evaluate(
    data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None,
    fusions: Sequence[str] = FUSIONS, config: FEIConfig | None = None, *, n_boot: int = 1000,
    data: FEIData | None = None,
) -> tuple[FEIModel, FEIReport, dict[str, Any]]:
    """Train the FEI systems for ``fusions``, evaluate them on test, write model + results.

    Returns the model, the report and the JSON written to ``out_dir/fei_results.json``
    (``out_dir=None`` writes nothing).
    """
    cfg = config or FEIConfig()
    t0 = time.perf_counter()
    needs_images = any(f != "3d" for f in fusions)
    if data is None:
        data = load_fei_data(data_dir, image_size=cfg.image_size, crop=cfg.crop,
                             with_images=needs_images)
    t_load = time.perf_counter() - t0
    model = fit_fei(data, list(fusions), cfg)
    t_fit = time.perf_counter() - t0 - t_load
    report = evaluate_fei(model, data, n_boot=n_boot, seed=cfg.seed)
    t_all = time.perf_counter() - t0
    split_counts = {s: int((data.split == s).sum()) for s in ("train", "val", "test")}
    results = {
        "data_dir": str(data_dir), "config": asdict(cfg), "fusions": list(fusions),
        "best_fusion": model.best_fusion, "learned_weights": model.weights,
        "data": {**data.info, "items": len(data), "per_split": split_counts},
        "seconds": {"load": round(t_load, 2), "fit": round(t_fit, 2), "total": round(t_all, 2)},
        "n_boot": n_boot, **report.to_json(),
    }
    if out_dir is not None:
        out = Path(out_dir)
        model.save(out / MODEL_NAME)
        write_json(out / RESULTS_NAME, results)
    return model, report, results
