"""The second judge: read the emotion back from every model's generated faces.

For each model's (n, 52) blendshapes on the metric's n test prompts: render the face (the same
fixed-camera renderer the Emo3D metric uses), read it as the FEI model was trained to (2D: the
image; 3D: MediaPipe's 52 scores of that image), predict with the best fusion, and compare with
the prompt: agreement of the read dominant emotion with the prompt's, macro F1, and
KL(prompt distribution || read distribution) with the metric's conventions. Then rank the models
by the judge's KL and by the metric's mean KL / Emo3D and report Spearman's rank correlation.

Unlike the metric, the judge never looks at the other prompts: it asks "which emotion does this
face show?", not "which texts does CLIP retrieve for it?", so agreement between the two rankings
is evidence that both measure the emotion conveyed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.measures import classification_measures, judge_kl
from emo3d_lib.fei.model import FEIModel
from emo3d_lib.schema import EMOTIONS, N_BLENDSHAPES, N_EMOTIONS

RenderFn = Callable[[np.ndarray], np.ndarray]          # (B, 52) -> uint8 (B, H, W, 3)
ExtractFn = Callable[[np.ndarray], np.ndarray]         # uint8 (B, H, W, 3) -> (B, 52), NaN = none


@dataclass
class JudgeResult:
    """Per-model summary table and per-prompt values (for intervals and plots)."""

    table: pd.DataFrame
    per_prompt: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    fusion: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"fusion": self.fusion,
                "table": self.table.reset_index().to_dict(orient="records")}


def read_faces(model: FEIModel, blendshapes: np.ndarray, render: RenderFn,
               extract: ExtractFn, *, batch_size: int = 64, fusion: str | None = None,
               desc: str = "judge") -> dict[str, np.ndarray]:
    """Render (B, 52) faces in batches and read them: probabilities, intensities, face found."""
    bs = np.asarray(blendshapes, dtype=np.float32)
    if bs.ndim != 2 or bs.shape[1] != N_BLENDSHAPES:
        raise Emo3DError(f"{desc}: blendshapes must be (n, {N_BLENDSHAPES}), got {bs.shape}")
    if not np.all(np.isfinite(bs)):
        raise Emo3DError(f"{desc}: blendshapes of row {int(np.argwhere(~np.isfinite(bs))[0][0])} "
                         "hold NaN or inf")
    probs, dist, found = [], [], []
    for i in tqdm(range(0, len(bs), batch_size), desc=f"{desc}: render + read",
                  leave=False):
        images = np.asarray(render(np.clip(bs[i:i + batch_size], 0.0, 1.0)))
        scores = np.asarray(extract(images), dtype=np.float32)
        p, d = model.predict(images, scores, fusion)
        probs.append(p)
        dist.append(d)
        found.append(~np.isnan(scores).any(axis=1))
    return {"probs": np.concatenate(probs), "dist": np.concatenate(dist),
            "face_found": np.concatenate(found)}


def judge_models(
    model: FEIModel, prompt_emotions: np.ndarray, predictions: Mapping[str, np.ndarray],
    render: RenderFn, extract: ExtractFn, *, fusion: str | None = None, batch_size: int = 64,
    n_boot: int = 1000, seed: int = 0,
) -> JudgeResult:
    """Judge every model's faces for the same prompts (row i of each array answers prompt i)."""
    from emo3d_lib.metric.bootstrap import bootstrap_ci

    phi = np.asarray(prompt_emotions, dtype=np.float64)
    if phi.ndim != 2 or phi.shape[1] != N_EMOTIONS:
        raise Emo3DError(f"prompt emotions must be (n, {N_EMOTIONS}), got {phi.shape}")
    if not predictions:
        raise Emo3DError("judge: no model predictions given")
    fusion = fusion or model.best_fusion or model.fusions[0]
    target = phi.argmax(axis=1)
    rows, per_prompt = [], {}
    for name, bs in predictions.items():
        if np.shape(bs)[0] != phi.shape[0]:
            raise Emo3DError(f"judge: model {name!r} has {np.shape(bs)[0]} rows for "
                             f"{phi.shape[0]} prompts")
        read = read_faces(model, bs, render, extract, batch_size=batch_size, fusion=fusion,
                          desc=name)
        pred = read["probs"].argmax(axis=1)
        agree = (pred == target).astype(np.float64)
        kl = judge_kl(phi, read["dist"])
        m = classification_measures(target, pred)
        a_lo, a_hi = bootstrap_ci(agree, n_boot=n_boot, seed=seed)
        k_lo, k_hi = bootstrap_ci(kl, n_boot=n_boot, seed=seed)
        rows.append({"model": name, "n": int(phi.shape[0]), "agreement": float(agree.mean()),
                     "agreement_lo": a_lo, "agreement_hi": a_hi,
                     "f1_macro": m["f1_macro"], "f1_weighted": m["f1_weighted"],
                     "judge_kl": float(kl.mean()), "judge_kl_lo": k_lo, "judge_kl_hi": k_hi,
                     "face_found": float(read["face_found"].mean()),
                     "read_as": ", ".join(f"{EMOTIONS[e]} {c}" for e, c in
                                          _top_counts(pred, 3))})
        per_prompt[name] = {"agreement": agree, "kl": kl, "pred": pred, **read}
    table = pd.DataFrame(rows).set_index("model")
    table["judge_rank"] = table["judge_kl"].rank(method="min").astype(int)
    return JudgeResult(table, per_prompt, fusion)


def _top_counts(pred: np.ndarray, k: int) -> list[tuple[int, int]]:
    counts = np.bincount(pred, minlength=N_EMOTIONS)
    order = np.argsort(-counts, kind="stable")[:k]
    return [(int(e), int(counts[e])) for e in order if counts[e] > 0]


def read_metric_results(source: str | os.PathLike[str] | Mapping[str, Any]) -> pd.DataFrame:
    """Emo3D metric summaries -> table indexed by model (``mean_kl``, ``emo3d``, ``mse``).

    ``source`` is a JSON file (one summary, a list of them, or ``{model: summary}``), a folder
    searched recursively for such files, or an already-loaded mapping. A summary is a dict with
    ``mean_kl`` and ``emo3d`` (``emo3d_lib.metric`` writes them); its model name is its ``model``
    (or ``name``) key, else its mapping key, else the file's stem.
    """
    records: list[dict[str, Any]] = []

    def add(obj: Any, default_name: str, where: str) -> None:
        if isinstance(obj, Mapping) and "mean_kl" in obj and "emo3d" in obj:
            name = str(obj.get("model") or obj.get("name") or default_name)
            records.append({"model": name, "mean_kl": float(obj["mean_kl"]),
                            "emo3d": float(obj["emo3d"]),
                            "mse": None if obj.get("mse") is None else float(obj["mse"]),
                            "kind": obj.get("kind") or obj.get("source"), "file": where})
        elif isinstance(obj, Mapping):
            for k, v in obj.items():
                if isinstance(v, Mapping | list):
                    add(v, str(k), where)
        elif isinstance(obj, list):
            for v in obj:
                add(v, default_name, where)

    if isinstance(source, Mapping):
        add(source, "model", "<mapping>")
    else:
        path = Path(source)
        if not path.exists():
            raise Emo3DError(f"metric results {path} do not exist")
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for f in files:
            try:
                add(json.loads(f.read_text(encoding="utf-8")), f.stem, str(f))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise Emo3DError(f"metric results file {f}: not valid JSON ({err})") from None
    if not records:
        raise Emo3DError(f"no Emo3D metric summary (a JSON with 'mean_kl' and 'emo3d') in "
                         f"{source}")
    df = pd.DataFrame(records).drop_duplicates("model", keep="last").set_index("model")
    return df


def rank_correlation(judge: pd.DataFrame, metric: pd.DataFrame) -> dict[str, Any]:
    """Spearman's rho between the judge's and the metric's rankings of the shared models.

    Both ``judge_kl`` and the metric's ``mean_kl`` are lower-is-better, so rho = +1 means the
    two judges order the models identically; agreement (higher is better) is correlated with
    the metric's negative mean KL for the same reading.
    """
    from scipy.stats import spearmanr

    shared = [m for m in judge.index if m in metric.index]
    out: dict[str, Any] = {"models": shared, "n_models": len(shared)}
    if len(shared) < 3:
        out.update({"spearman_kl": None, "p_kl": None, "spearman_agreement": None,
                    "p_agreement": None,
                    "note": f"only {len(shared)} model(s) scored by both judges; need >= 3"})
        return out
    j, m = judge.loc[shared], metric.loc[shared]
    rho, p = spearmanr(j["judge_kl"], m["mean_kl"])
    rho_a, p_a = spearmanr(j["agreement"], -m["mean_kl"])
    out.update({"spearman_kl": float(rho), "p_kl": float(p),
                "spearman_agreement": float(rho_a), "p_agreement": float(p_a),
                "judge_order": list(j["judge_kl"].sort_values().index),
                "metric_order": list(m["mean_kl"].sort_values().index)})
    return out
