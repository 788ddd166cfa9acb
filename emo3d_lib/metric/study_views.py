"""Tables of chapter 5 (the MSE-vs-Emo3D study), one image tower per column group.

Pure formatting of what :mod:`emo3d_lib.metric.study` computed, so the notebook stays narrative.
Every table reads in one direction: lower MSE, lower mean KL and lower Emo3D are better.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from emo3d_lib.metric.anchors import ANCHORS
from emo3d_lib.metric.divergence import DIRECTION
from emo3d_lib.metric.emo3d import Emo3DEvaluator
from emo3d_lib.metric.study import image_tower_kind


def fmt_ci(mean: Any, lo: Any, hi: Any, digits: int = 4) -> str:
    """``mean [lo, hi]``, or a dash where the value is missing."""
    if mean is None or pd.isna(mean):
        return "—"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def setup_table(towers: dict[str, Emo3DEvaluator], n_used: int, n_asked: int, available: int,
                split: str, n_boot: int, seed: int) -> pd.DataFrame:
    """What was fixed for every number on the page: backbones, renderer, prompts, K, bootstrap."""
    first = next(iter(towers.values()))
    rows: dict[str, Any] = {}
    for name, ev in towers.items():
        rows[f"CLIP ({name} tower)"] = ev.backbone
        rows[f"checkpoint ({name} tower)"] = getattr(ev.clip, "source", "") or "(default)"
        rows[f"image tower ({name})"] = image_tower_kind(ev.clip)
    rows.update({"renderer": first.renderer_name, "split": split,
                 "prompts n": f"{n_used} (asked {n_asked}; {available} available)",
                 "top-K": first.k, "alpha": first.alpha, "KL eps": first.eps,
                 "bootstrap": f"{n_boot} resamples, seed {seed}",
                 "direction": DIRECTION})
    return pd.DataFrame({"value": rows})


def _test_recall(clip: Any) -> dict[str, Any] | None:
    """The test retrieval block of an Emo3D-CLIP's ``metrics.json`` (None: no record)."""
    path = Path(str(getattr(clip, "source", "") or "")) / "metrics.json"
    return json.loads(path.read_text(encoding="utf-8"))["test"] if path.is_file() else None


def retrieval_table(clips: dict[str, Any]) -> pd.DataFrame:
    """Each Emo3D-CLIP's test retrieval (recall@1/5/10 both ways) from its ``metrics.json``,
    chance beside it; a CLIP without a training record (OpenAI) says so."""
    rows = []
    for name, clip in clips.items():
        row: dict[str, Any] = {"tower": name, "backbone": clip.name}
        test = _test_recall(clip)
        if test is not None:
            for way in ("text_to_image", "image_to_text"):
                for k, v in test[way].items():
                    row[f"{way} {k}"] = v
                    row[f"{way} {k} chance"] = test[f"{way}_chance"][k]
            row["test texts / images"] = f"{test['n_texts']} / {test['n_images']}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("tower")


def anchor_view(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The four sanity anchors of one tower: mean KL, Emo3D, exact-match and MSE with intervals."""
    part = table.set_index("source").loc[[a for a in ANCHORS if a in set(table["source"])]]
    return pd.DataFrame({
        "mean KL [95% CI]": [fmt_ci(r.mean_kl, r.kl_lo, r.kl_hi) for r in part.itertuples()],
        "Emo3D [95% CI]": [fmt_ci(r.emo3d, r.emo3d_lo, r.emo3d_hi) for r in part.itertuples()],
        f"exact-match@{k}": [fmt_ci(r.exact_match, r.exact_lo, r.exact_hi, 3)
                             for r in part.itertuples()],
        "MSE [95% CI]": [fmt_ci(r.mse, r.mse_lo, r.mse_hi) for r in part.itertuples()],
    }, index=part.index)


def table2_view(tables: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """The Table 2 analogue: per model MSE, then mean KL / Emo3D / exact-match per tower, then
    the paper's benchmark-card figures (labelled as the paper's)."""
    first = next(iter(tables.values()))
    models = first[first["kind"] == "model"]
    if models.empty:
        return pd.DataFrame()
    view = pd.DataFrame({"MSE [95% CI]": [fmt_ci(r.mse, r.mse_lo, r.mse_hi)
                                          for r in models.itertuples()]},
                        index=models["source"])
    for tower, table in tables.items():
        t = table.set_index("source").loc[models["source"]]
        view[f"{tower}: mean KL [95% CI]"] = [fmt_ci(r.mean_kl, r.kl_lo, r.kl_hi)
                                              for r in t.itertuples()]
        view[f"{tower}: Emo3D"] = t["emo3d"].round(4).to_numpy()
        view[f"{tower}: exact-match@{k}"] = t["exact_match"].round(3).to_numpy()
    for col, name in (("paper_model", "paper model"), ("paper_mse", "paper MSE"),
                      ("paper_emo3d", "paper Emo3D")):
        view[name] = models[col].to_numpy() if col in models else None
    return view


def correlation_view(corr: dict[str, dict[str, Any]], names: dict[str, str]) -> pd.DataFrame:
    """Per tower: Spearman(MSE, KL) across models with its bootstrap interval, the share of
    resampled test sets with identical rankings, Kendall tau, and the pooled per-prompt rho."""
    def num(x: Any, digits: int = 2) -> str:
        return "n/a" if x is None else f"{x:.{digits}f}"

    rows = []
    for tower, c in corr.items():
        rows.append({
            "tower": tower, "backbone": names[tower], "models": c["n_models"],
            "Spearman rho [95% CI]": f"{num(c['across_models_spearman'])} "
                                     f"[{num(c.get('spearman_lo'))}, {num(c.get('spearman_hi'))}]",
            "share of draws ranked identically": num(c.get("spearman_share_identical"), 3),
            "Kendall tau": num(c["across_models_kendall"]),
            "per-prompt rho (pooled)": num(c["pooled_samples_spearman"], 3),
        })
    return pd.DataFrame(rows).set_index("tower")


def gap_table(sens: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """shuffled - ground-truth mean KL for every K and n, one column per tower (> 0: the metric
    still prefers the right faces)."""
    cols = {}
    for tower, table in sens.items():
        part = table[table["source"].isin(["ground-truth", "shuffled"])]
        piv = part.pivot_table(index=["vary", "k", "n"], columns="source", values="mean_kl")
        if {"ground-truth", "shuffled"} <= set(piv.columns):
            cols[tower] = piv["shuffled"] - piv["ground-truth"]
    return pd.DataFrame(cols)


def _disagreement(rec: dict[str, Any], summary: Any) -> tuple[str, str]:
    row = summary.disagreement_row(rec)
    if row is None:
        return "n/a", summary.disagreement_verdict({})
    return row["ours"], row["agreement"]


def claims_view(results: dict[str, Any], summary: Any) -> pd.DataFrame:
    """The paper's claims judged per tower by the summary page's own verdict functions."""
    towers = {"pixels": results, **results.get("alternatives", {})}
    rows = []
    for tower, rec in towers.items():
        sources = rec.get("sources", {})
        best = summary.best_model_verdict(sources)
        sanity = summary.sanity_verdict(sources)
        claims = [
            ("CLIP + regression unit best on Emo3D", best[0] if best else "no models",
             best[1] if best else f"{summary.UNDETERMINED}: no models scored"),
            ("MSE and Emo3D do not consistently align", *_disagreement(rec, summary)),
            ("the metric prefers the right face", sanity[0] if sanity else "n/a",
             sanity[1] if sanity else f"{summary.UNDETERMINED}: anchors missing"),
        ]
        for claim, ours, verdict in claims:
            rows.append({"tower": tower, "backbone": rec.get("backbone", ""), "claim": claim,
                         "ours": ours, "verdict": verdict})
    table = pd.DataFrame(rows).set_index(["claim", "tower"])
    return table.sort_index(level=0, sort_remaining=False)


ORACLE_NAMES = {
    "emotions|emotions": "oracle: true emotions on both sides (Bayes ceiling)",
    "words|emotions": "oracle: emotion levels the words can say | true emotions",
    "emotions|blendshapes": "oracle: true emotions | true 52 activations of the face",
}


LEARNED_CEILING_NAME = "MediaPipe-score tower's recipe handed the true 52 activations (learned)"


def ceiling_table(clips: dict[str, Any], ceilings: dict[str, Any], k: int = 10,
                  learned: dict[str, Any] | None = None) -> pd.DataFrame:
    """Recall@k both ways of each tower (its training record), the learned activation probe
    (:func:`emo3d_lib.models.retrieval_ceiling.learned_activation_ceiling`, if given), each
    oracle of :func:`emo3d_lib.models.retrieval_ceiling.retrieval_ceilings` and chance."""
    key = f"R@{k}"
    rows = []
    tests = {f"{name} tower ({clip.name})": _test_recall(clip) for name, clip in clips.items()}
    if learned is not None:
        tests[LEARNED_CEILING_NAME] = learned["test"]
    for label, test in tests.items():
        rows.append({"retrieval": label,
                     "text -> image": test["text_to_image"][key] if test else None,
                     "image -> text": test["image_to_text"][key] if test else None})
    for name, rec in ceilings["oracles"].items():
        rows.append({"retrieval": ORACLE_NAMES[name], "text -> image": rec["text_to_image"][key],
                     "image -> text": rec["image_to_text"][key]})
    rows.append({"retrieval": "chance", "text -> image": ceilings["text_to_image_chance"][key],
                 "image -> text": ceilings["image_to_text_chance"][key]})
    return pd.DataFrame(rows).set_index("retrieval")


def recall_bar_view(clips: dict[str, Any], ceilings: dict[str, Any], k: int = 10,
                    learned: dict[str, Any] | None = None) -> dict[str, Any]:
    """Issue #12's recall bar judged from the towers' records, the Bayes ceiling and (if
    given) the learned activation probe."""
    from emo3d_lib.models.retrieval_ceiling import recall_bar

    got = {name: _test_recall(clip) for name, clip in clips.items()}
    t2i = {name: rec["text_to_image"][f"R@{k}"] if rec else None for name, rec in got.items()}
    return recall_bar(t2i.get("pixels"), t2i.get("mediapipe"),
                      ceilings["text_to_image_chance"][f"R@{k}"],
                      ceilings["oracles"]["emotions|emotions"]["text_to_image"][f"R@{k}"],
                      learned=learned["test"]["text_to_image"][f"R@{k}"] if learned else None)
