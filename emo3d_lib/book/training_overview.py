"""Chapter 3's overview page: every trained baseline side by side, read from the
``metrics.json`` each training page wrote (the per-model pages print the same numbers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from emo3d_lib import paper
from emo3d_lib.book.summary import MODEL_NAMES
from emo3d_lib.models.checkpoint import METRICS_FILE

#: Rounding of the overview (and the style the chapter pages follow): MSE to 4 decimals,
#: percentages to whole numbers, seconds to whole seconds.
MSE_DIGITS = 4


def training_runs(runs_dir: str | Path) -> pd.DataFrame:
    """One row per trained baseline (in the paper's order); models not trained are left out."""
    rows: list[dict[str, Any]] = []
    paper_mse = paper.baseline_mse()  # {model: (paper's model, MSE)}, from the benchmark card
    for name, paper_name in MODEL_NAMES.items():
        path = Path(runs_dir) / name / METRICS_FILE
        if not path.is_file():
            continue
        m = json.loads(path.read_text(encoding="utf-8"))
        rows.append({
            "model": name, "paper's model": paper_name, "backbone (stand-in)": m.get("backbone"),
            "test MSE": m["test_mse"], "mean face MSE": m["mean_predictor_test_mse"],
            "nearest neighbour MSE": m["nn_baseline_test_mse"],
            "vs mean face": 1.0 - m["test_mse"] / m["mean_predictor_test_mse"],
            "best epoch": f"{m['best_epoch']} / {m['epochs']}",
            "train time (s)": m.get("wall_time_s"),
            "paper MSE (its data)": paper_mse[name][1] if name in paper_mse else float("nan"),
        })
    return pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()


def styled(runs: pd.DataFrame) -> Any:
    """The table with the book's rounding."""
    mse = f"{{:.{MSE_DIGITS}f}}"
    return runs.style.format({"test MSE": mse, "mean face MSE": mse,
                              "nearest neighbour MSE": mse, "vs mean face": "{:+.0%}",
                              "train time (s)": "{:.0f}", "paper MSE (its data)": "{:.2f}"},
                             na_rep="-")


def comparison_figure(runs: pd.DataFrame) -> Any:
    """Test MSE of every model beside its two reference predictors (lower is better)."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(runs) + 1.4))
    y = np.arange(len(runs))[::-1]
    ax.barh(y, runs["test MSE"], height=0.55, color="tab:blue", label="model (test)")
    ax.scatter(runs["mean face MSE"], y, marker="|", s=300, color="k", zorder=3,
               label="mean face")
    ax.scatter(runs["nearest neighbour MSE"], y, marker="x", s=50, color="tab:red", zorder=3,
               label="nearest neighbour")
    ax.set_yticks(y, [f"{m}\n({p})" for m, p in zip(runs.index, runs["paper's model"],
                                                     strict=True)], fontsize=10)
    ax.set_xlabel("test MSE over the 52 blendshapes (lower is better)", fontsize=10)
    ax.tick_params(axis="x", labelsize=9)
    ax.legend(fontsize=9, loc="lower right", framealpha=0.9)
    ax.set_title("The five baselines on the test split", fontsize=11)
    fig.tight_layout()
    return fig
