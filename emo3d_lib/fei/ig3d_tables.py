"""Counterparts of the Ig3D poster's AffectNet Tables 2 and 4 on our data.

*Table 2* (3D representation alone, short vs full parameter set): the poster classifies
emotions from EMOCA's / SMIRK's 50 expression parameters ("short") and from their full regressed
vector (shape, pose, detail... "full"). Our 3D representation is MediaPipe's 52 blendshape scores,
which hold no shape or pose, so "full" is all 52 and the principled "short" set is the
expression-bearing core: the ARKit channels of the FACS action units that make up the EMFACS
emotion prototypes (:data:`emo3d_lib.face.expression_prior.PROTOTYPES`). It leaves out gaze
(``eyeLook*``, but for sadness's eyes-down, AU64), blinks, lateral jaw/mouth shifts, cheek
puff, lip roll/funnel/pucker and ``_neutral``: channels no prototype uses. Caveat the book
states: our faces are *posed* through those same prototypes, so the short set is also the set
the generator drives; what it tests here is how much the other channels (MediaPipe's
cross-talk and the mixed expressions) add.

*Table 4* (fusion variants): accuracy and weighted F1, precision, recall (the poster's columns)
of every system the FEI model trained, read from the same :class:`~emo3d_lib.fei.evaluate.FEIReport`
the chapter's Table 5 counterpart uses (one source for each number).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from emo3d_lib.atomic import write_json
from emo3d_lib.face.expression_prior import ACTION_UNITS, PROTOTYPES
from emo3d_lib.fei.data import FEIData
from emo3d_lib.fei.evaluate import FEIReport
from emo3d_lib.fei.measures import classification_intervals, classification_measures
from emo3d_lib.fei.model import FEIConfig, Standardizer, _train_head
from emo3d_lib.fei.networks import torch_threads
from emo3d_lib.schema import BLENDSHAPES
from emo3d_lib.seeding import derive_seed, seed_everything

#: The poster's four columns (weighted averages; weighted recall equals accuracy).
POSTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Accuracy", "accuracy"), ("F1", "f1_weighted"), ("Precision", "precision_weighted"),
    ("Recall", "recall_weighted"))


def short_blendshapes() -> tuple[str, ...]:
    """The ARKit channels of every action unit an EMFACS prototype uses, in BLENDSHAPES order."""
    used = {ch for proto in PROTOTYPES.values() for au in proto for ch in ACTION_UNITS[au][1]}
    return tuple(b for b in BLENDSHAPES if b in used)


def parameter_sets() -> dict[str, tuple[str, ...]]:
    """``{"short": EMFACS channels, "full": all 52}``."""
    return {"short": short_blendshapes(), "full": tuple(BLENDSHAPES)}


def _columns(names: tuple[str, ...]) -> np.ndarray:
    return np.array([BLENDSHAPES.index(n) for n in names])


def representation_rows(data: FEIData, config: FEIConfig, *, n_boot: int = 1000
                        ) -> list[dict[str, Any]]:
    """Train the 3D classifier (the model's ``cls_3d`` head, same config) on each parameter
    set; test accuracy / weighted F1 / P / R with 95% bootstrap intervals, one row per set."""
    train, val, test = data.part("train"), data.part("val"), data.part("test")
    rows = []
    with torch_threads(config.threads):
        for name, channels in parameter_sets().items():
            cols = _columns(channels)
            scale = Standardizer.fit(train.blendshapes[:, cols])
            cfg = replace(config, seed=derive_seed(config.seed, "ig3d-table2", len(cols)))
            seed_everything(cfg.seed)  # the head's initial weights come from torch's RNG
            head, _ = _train_head("classify", scale(train.blendshapes[:, cols]), train,
                                  scale(val.blendshapes[:, cols]), val, cfg, f"fei-3d-{name}")
            head.eval()
            with torch.no_grad():
                pred = head(torch.as_tensor(scale(test.blendshapes[:, cols]))).numpy().argmax(1)
            row: dict[str, Any] = {"set": name, "n_parameters": len(cols), "n_test": len(test)}
            row.update(classification_measures(test.labels, pred))
            for k, (lo, hi) in classification_intervals(test.labels, pred, n_boot=n_boot,
                                                        seed=config.seed).items():
                row[f"{k}_lo"], row[f"{k}_hi"] = lo, hi
            rows.append(row)
    return rows


def poster_layout(rows: pd.DataFrame, labels: list[str], digits: int = 3) -> pd.DataFrame:
    """The poster's four columns, each 'value [lo, hi]' (plain value when no interval)."""
    out = pd.DataFrame(index=labels)
    for label, key in POSTER_COLUMNS:
        if f"{key}_lo" in rows:
            out[label] = [f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]" for v, lo, hi
                          in zip(rows[key], rows[f"{key}_lo"], rows[f"{key}_hi"], strict=True)]
        else:
            out[label] = [f"{v:.{digits}f}" for v in rows[key]]
    return out


def table2(rows: list[dict[str, Any]], digits: int = 3) -> pd.DataFrame:
    """Our Table 2: CLS_3D on the short and the full parameter set."""
    t = pd.DataFrame(rows)
    labels = [f"CLS_3D-{r['set']} ({r['n_parameters']} blendshapes)" for r in rows]
    return poster_layout(t, labels, digits)


def table4(rows: list[dict[str, Any]], digits: int = 3) -> pd.DataFrame:
    """Our Table 4: every fusion variant of the trained FEI model, the poster's columns."""
    t = pd.DataFrame(rows)
    return poster_layout(t, list(t["system"]), digits)


#: Written by :func:`ig3d_tables` beside ``fei_results.json``; the summary reads it.
IG3D_NAME = "ig3d_tables.json"


def ig3d_tables(data: FEIData, config: FEIConfig, report: FEIReport,
                out_dir: str | os.PathLike[str] | None, *, n_boot: int = 1000
                ) -> dict[str, Any]:
    """Tables 2 and 4 as one JSON (raw figures with intervals), written to ``out_dir``."""
    keys = [k for _, key in POSTER_COLUMNS for k in (key, f"{key}_lo", f"{key}_hi")]
    t = report.table
    result = {
        "short_set": list(short_blendshapes()),
        "table2": representation_rows(data, config, n_boot=n_boot),
        "table4": [{"fusion": f, "system": t.at[f, "system"], "n_test": int(t.at[f, "n_test"]),
                    **{k: float(t.at[f, k]) for k in keys}} for f in t.index],
    }
    if out_dir is not None:
        write_json(Path(out_dir) / IG3D_NAME, result)
    return result
