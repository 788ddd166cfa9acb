"""The poster's tables for our data: every system (2D only, 3D only, each fusion) on the test
split, with weighted and macro figures, 95% bootstrap intervals, confusion matrices, regression
figures for the intensities and for valence/arousal (circumplex), and the bar's check: does the
best fusion beat the better single modality on macro F1 (paired bootstrap of the difference)?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib.fei.circumplex import valence_arousal
from emo3d_lib.fei.data import FEIData
from emo3d_lib.fei.measures import (
    bootstrap_interval,
    classification_intervals,
    classification_measures,
    emotion_confusion,
    regression_intervals,
    regression_measures,
)
from emo3d_lib.fei.model import FEIModel, validation_scores

#: How each system is named in the book's tables, in the poster's order.
SYSTEM_LABELS: dict[str, str] = {
    "2d": "2D only (F_2D classifier)",
    "3d": "3D only (CLS_3D on 52 blendshapes)",
    "intermediate": "Intermediate fusion (F_2D + F_3D)",
    "late-max": "Late fusion: max",
    "late-mean": "Late fusion: mean",
    "late-weighted": "Late fusion: learned weight",
}


@dataclass
class FEIReport:
    """Test-split results; ``table`` has one row per fusion, interval columns ``<key>_lo/_hi``."""

    table: pd.DataFrame
    confusion: dict[str, np.ndarray]
    predictions: dict[str, tuple[np.ndarray, np.ndarray]]
    comparison: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table.reset_index().to_dict(orient="records"),
                "confusion": {k: v.tolist() for k, v in self.confusion.items()},
                "comparison": self.comparison}


def evaluate_fei(model: FEIModel, data: FEIData, *, n_boot: int = 1000,
                 seed: int = 0) -> FEIReport:
    """Score every fusion of ``model`` on the test split of ``data``."""
    test = data.part("test")
    outs = model.branch_outputs(test.images, test.blendshapes, prepared=True)
    va_true = valence_arousal(test.emotions)
    rows, confusion, preds = [], {}, {}
    for f in model.fusions:
        probs, dist = model.fuse(outs, f)
        preds[f] = (probs, dist)
        pred = probs.argmax(axis=1)
        confusion[f] = emotion_confusion(test.labels, pred)
        row: dict[str, Any] = {"fusion": f, "system": SYSTEM_LABELS[f], "n_test": len(test)}
        row.update(classification_measures(test.labels, pred))
        for k, (lo, hi) in classification_intervals(test.labels, pred, n_boot=n_boot,
                                                    seed=seed).items():
            row[f"{k}_lo"], row[f"{k}_hi"] = lo, hi
        va_pred = valence_arousal(dist)
        for prefix, (t, p) in {"dist": (test.emotions, dist), "va": (va_true, va_pred),
                               "valence": (va_true[:, 0], va_pred[:, 0]),
                               "arousal": (va_true[:, 1], va_pred[:, 1])}.items():
            t2, p2 = np.asarray(t).reshape(len(test), -1), np.asarray(p).reshape(len(test), -1)
            for k, v in regression_measures(t2, p2).items():
                row[f"{prefix}_{k}"] = v
            if prefix in ("dist", "va"):
                for k, (lo, hi) in regression_intervals(t2, p2, n_boot=n_boot,
                                                        seed=seed).items():
                    row[f"{prefix}_{k}_lo"], row[f"{prefix}_{k}_hi"] = lo, hi
        rows.append(row)
    table = pd.DataFrame(rows).set_index("fusion")
    report = FEIReport(table, confusion, preds)
    report.comparison = compare_fusion_to_single(model, data, report, n_boot=n_boot, seed=seed)
    return report


def compare_fusion_to_single(model: FEIModel, data: FEIData, report: FEIReport, *,
                             n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Test macro F1 of the best fusion minus the better single modality, both chosen on val,
    with a paired bootstrap interval (same resampled test items for both systems)."""
    singles = [f for f in ("2d", "3d") if f in model.fusions]
    fused = [f for f in model.fusions if f not in ("2d", "3d")]
    if not singles or not fused:
        return {"available": False,
                "reason": "needs at least one single modality and one fusion in the model"}
    val_scores = model.history.get("val_f1_macro") or validation_scores(model, data.part("val"))
    best_single = max(singles, key=lambda f: val_scores[f])
    best_fused = model.best_fusion if model.best_fusion in fused else max(
        fused, key=lambda f: val_scores[f])
    test = data.part("test")
    y = test.labels
    a = report.predictions[best_fused][0].argmax(axis=1)
    b = report.predictions[best_single][0].argmax(axis=1)

    def diff(idx: np.ndarray) -> float:
        return (classification_measures(y[idx], a[idx])["f1_macro"]
                - classification_measures(y[idx], b[idx])["f1_macro"])

    delta = diff(np.arange(y.size))
    lo, hi = bootstrap_interval(diff, y.size, n_boot=n_boot, seed=seed, purpose="fusion-vs-single")
    verdict = ("fusion better" if lo > 0 else "single modality better" if hi < 0
               else "no difference resolved at 95%")
    return {"available": True, "best_fusion": best_fused, "best_single": best_single,
            "val_f1_macro": val_scores, "test_f1_macro_difference": delta,
            "difference_lo": lo, "difference_hi": hi, "verdict": verdict,
            "fusion_beats_single": bool(delta > 0)}


def fusion_table(report: FEIReport, digits: int = 4) -> pd.DataFrame:
    """The poster's Table 5 layout for our data: accuracy, weighted and macro F1/P/R, each as
    'value [lo, hi]'."""
    cols = [("Acc", "accuracy"), ("Weighted F1", "f1_weighted"),
            ("Weighted P", "precision_weighted"), ("Weighted R", "recall_weighted"),
            ("Macro F1", "f1_macro"), ("Macro P", "precision_macro"), ("Macro R", "recall_macro")]
    t = report.table
    out = pd.DataFrame(index=t["system"].to_numpy())
    for label, key in cols:
        out[label] = [f"{v:.{digits}f} [{lo:.{digits - 1}f}, {hi:.{digits - 1}f}]"
                      for v, lo, hi in zip(t[key], t[f"{key}_lo"], t[f"{key}_hi"], strict=True)]
    return out


def regression_table(report: FEIReport, prefix: str = "va", digits: int = 4) -> pd.DataFrame:
    """The poster's Table 7 layout (MSE, MAE, RMSE, CCC) for ``prefix`` 'va' or 'dist'."""
    t = report.table
    out = pd.DataFrame(index=t["system"].to_numpy())
    for label, key in (("MSE", "mse"), ("MAE", "mae"), ("RMSE", "rmse"), ("CCC", "ccc")):
        col = f"{prefix}_{key}"
        if f"{col}_lo" in t:
            out[label] = [f"{v:.{digits}f} [{lo:.{digits - 1}f}, {hi:.{digits - 1}f}]"
                          for v, lo, hi in zip(t[col], t[f"{col}_lo"], t[f"{col}_hi"],
                                               strict=True)]
        else:
            out[label] = t[col].round(digits).to_numpy()
    return out
