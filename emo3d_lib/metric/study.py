"""The MSE-vs-Emo3D study of notebook 05: tables, rank correlations, disagreements, K/n sweeps.

Everything here works on ``Emo3DResult`` objects scored on one evaluator (same prompts, backbone
and renderer), so models and anchors are compared on identical terms.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emo3d_lib import paper
from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.bootstrap import LEVEL, N_BOOT, bootstrap_indices, paired_difference_ci
from emo3d_lib.metric.divergence import reference_code_kl
from emo3d_lib.metric.emo3d import Emo3DEvaluator, Emo3DResult

PAPER_FIGURES = paper.BASELINE_FIGURES  # keys: our models standing in for the paper's


@dataclass
class Scored:
    """One source (model or anchor) scored on the evaluator, with what is needed to re-score."""

    name: str
    kind: str                 # "model" or "anchor"
    blendshapes: np.ndarray   # (n, 52)
    image_emb: np.ndarray     # (n, d)
    result: Emo3DResult


def score_sources(evaluator: Emo3DEvaluator, sources: dict[str, tuple[str, np.ndarray]],
                  progress: bool = True) -> dict[str, Scored]:
    """Render, embed and score every source once (embeddings are kept for the K/n sweeps)."""
    return score_towers({"only": evaluator}, sources, progress)["only"]


def with_backbone(evaluator: Emo3DEvaluator, clip: Any) -> Emo3DEvaluator:
    """The same prompts, renderer, K, alpha and eps judged by another CLIP (image tower)."""
    return Emo3DEvaluator(evaluator.prompts, clip, evaluator.render, k=evaluator.k,
                          alpha=evaluator.alpha, eps=evaluator.eps,
                          batch_size=evaluator.batch_size, progress=evaluator.progress,
                          renderer_name=evaluator.renderer_name, pool=evaluator.pool)


def score_towers(evaluators: dict[str, Emo3DEvaluator],
                 sources: dict[str, tuple[str, np.ndarray]], progress: bool = True
                 ) -> dict[str, dict[str, Scored]]:
    """Every source scored by every evaluator (one per image tower, same prompts and renderer):
    each batch of faces is rendered once and shown to every tower."""
    first = next(iter(evaluators.values()))
    out: dict[str, dict[str, Scored]] = {name: {} for name in evaluators}
    for src, (kind, faces) in tqdm(sources.items(), desc="score sources", leave=False,
                                   disable=not progress):
        emb = first.embed_faces(faces, clips=[ev.clip for ev in evaluators.values()])
        for (name, ev), e in zip(evaluators.items(), emb, strict=True):
            out[name][src] = Scored(src, kind, np.asarray(faces, np.float32), e,
                                    ev.score_embeddings(e, faces))
    return out


def summary_table(scored: dict[str, Scored], n_boot: int = N_BOOT, seed: int = 0
                  ) -> pd.DataFrame:
    """One row per source: MSE, mean KL, Emo3D, exact-match@K, each with its 95% interval."""
    rows = []
    for s in scored.values():
        summ = s.result.summary(n_boot=n_boot, seed=seed)
        ci = summ["intervals"]
        row = {"source": s.name, "kind": s.kind,
               "mse": summ["mse"], "mse_lo": ci["mse"][0] if ci["mse"] else None,
               "mse_hi": ci["mse"][1] if ci["mse"] else None,
               "mean_kl": summ["mean_kl"], "kl_lo": ci["mean_kl"][0], "kl_hi": ci["mean_kl"][1],
               "emo3d": summ["emo3d"], "emo3d_lo": ci["emo3d"][0], "emo3d_hi": ci["emo3d"][1],
               "exact_match": summ["exact_match"], "exact_lo": ci["exact_match"][0],
               "exact_hi": ci["exact_match"][1]}
        row.update(PAPER_FIGURES.get(s.name, {}))
        rows.append(row)
    return pd.DataFrame(rows)


def sanity_checks(scored: dict[str, Scored], n_boot: int = N_BOOT, seed: int = 0
                  ) -> pd.DataFrame:
    """Ground truth vs each other anchor: interval overlap and the paired difference in KL."""
    if "ground-truth" not in scored:
        raise Emo3DError("sanity checks need the ground-truth anchor")
    gt = scored["ground-truth"].result
    gt_ci = gt.summary(n_boot=n_boot, seed=seed)["intervals"]["mean_kl"]
    rows = []
    for name, s in scored.items():
        if s.kind != "anchor" or name == "ground-truth":
            continue
        ci = s.result.summary(n_boot=n_boot, seed=seed)["intervals"]["mean_kl"]
        lo, hi = paired_difference_ci(s.result.kl, gt.kl, n_boot=n_boot, seed=seed)
        rows.append({"anchor": name, "gt_mean_kl": gt.mean_kl, "gt_kl_hi": gt_ci[1],
                     "anchor_mean_kl": s.result.mean_kl, "anchor_kl_lo": ci[0],
                     "kl_difference": s.result.mean_kl - gt.mean_kl, "difference_lo": lo,
                     "difference_hi": hi, "intervals_overlap": bool(gt_ci[1] >= ci[0]),
                     "ground_truth_better": bool(gt_ci[1] < ci[0])})
    return pd.DataFrame(rows)


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """Spearman rho and p, or (None, None) when either side is constant (rho undefined)."""
    from scipy.stats import spearmanr

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    rho, p = spearmanr(x, y)
    return float(rho), float(p)


def rank_correlations(scored: dict[str, Scored]) -> dict[str, Any]:
    """Spearman/Kendall between MSE and mean KL across models, and per-prompt within each.

    A correlation is ``None`` where it is undefined (fewer than 3 models, or a constant side:
    e.g. a CLIP whose image embeddings do not change with the face gives every model the same
    KL).
    """
    from scipy.stats import kendalltau

    models = [s for s in scored.values() if s.kind == "model" and s.result.mse is not None]
    out: dict[str, Any] = {"n_models": len(models), "across_models_spearman": None,
                           "across_models_spearman_p": None, "across_models_kendall": None,
                           "across_models_kendall_p": None, "pooled_samples_spearman": None,
                           "pooled_samples_p": None}
    if len(models) >= 3:
        mse = np.array([float(s.result.mse.mean()) for s in models])
        kl = np.array([s.result.mean_kl for s in models])
        rho, p = _spearman(mse, kl)
        if rho is not None:
            tau, p_tau = kendalltau(mse, kl)
            out.update({"across_models_spearman": rho, "across_models_spearman_p": p,
                        "across_models_kendall": float(tau), "across_models_kendall_p":
                        float(p_tau)})
    per = []
    for s in scored.values():
        if s.result.mse is None:
            continue
        rho, p = _spearman(s.result.mse, s.result.kl)
        per.append({"source": s.name, "kind": s.kind, "spearman": rho, "p": p,
                    "n": s.result.n})
    out["across_samples"] = pd.DataFrame(per, columns=["source", "kind", "spearman", "p", "n"])
    if models:
        rho, p = _spearman(np.concatenate([s.result.mse for s in models]),
                           np.concatenate([s.result.kl for s in models]))
        out.update({"pooled_samples_spearman": rho, "pooled_samples_p": p})
    return out


def _rank_rows(x: np.ndarray) -> np.ndarray:
    """Average ranks along axis 0 (models), for every column (bootstrap draw) at once."""
    from scipy.stats import rankdata

    return rankdata(x, axis=0)


def spearman_interval(scored: dict[str, Scored], n_boot: int = N_BOOT, seed: int = 0,
                      level: float = LEVEL) -> dict[str, Any]:
    """Spearman(MSE, mean KL) across models with a percentile-bootstrap interval over prompts.

    Each draw resamples the n prompts (the same draw for every model), recomputes every model's
    mean MSE and mean KL, and ranks the models on both. ``share_identical`` is the share of draws
    in which the two rankings are the same (rho = 1). Undefined (None) with fewer than 3 models;
    a draw where one side is constant across models counts as rho = 0.
    """
    models = [s for s in scored.values() if s.kind == "model" and s.result.mse is not None]
    out: dict[str, Any] = {"spearman": None, "lo": None, "hi": None, "share_identical": None,
                           "n_models": len(models), "n_boot": n_boot, "level": level}
    if len(models) < 3:
        return out
    mse = np.stack([s.result.mse for s in models])   # (m, n)
    kl = np.stack([s.result.kl for s in models])
    idx = bootstrap_indices(mse.shape[1], n_boot, seed, "spearman-models")
    rm = _rank_rows(mse[:, idx].mean(axis=2))       # (m, n_boot)
    rk = _rank_rows(kl[:, idx].mean(axis=2))
    rm, rk = rm - rm.mean(0), rk - rk.mean(0)
    denom = np.sqrt((rm ** 2).sum(0) * (rk ** 2).sum(0))
    rho = np.where(denom > 0, (rm * rk).sum(0) / np.where(denom > 0, denom, 1.0), 0.0)
    point, _ = _spearman(mse.mean(1), kl.mean(1))
    lo, hi = np.quantile(rho, [(1 - level) / 2, (1 + level) / 2])
    out.update({"spearman": point, "lo": float(lo), "hi": float(hi),
                "share_identical": float(np.mean(rho > 1 - 1e-9))})
    return out


def spearman_record(scored: dict[str, Scored], n_boot: int = N_BOOT, seed: int = 0
                    ) -> dict[str, Any]:
    """:func:`spearman_interval` under the keys ``table2.json`` and the summary page read."""
    ci = spearman_interval(scored, n_boot=n_boot, seed=seed)
    return {"spearman_lo": ci["lo"], "spearman_hi": ci["hi"],
            "spearman_share_identical": ci["share_identical"], "spearman_n_boot": n_boot}


def tower_record(scored: dict[str, Scored], checks: pd.DataFrame, corr: dict[str, Any],
                 n_boot: int = N_BOOT, seed: int = 0) -> dict[str, Any]:
    """What ``table2.json`` keeps of one image tower's study (JSON-ready)."""
    return {
        "sources": {name: s.result.summary(n_boot=n_boot, seed=seed) | {"kind": s.kind}
                    for name, s in scored.items()},
        "sanity": checks.to_dict(orient="records"),
        "rank_correlations": {key: v for key, v in corr.items() if key != "across_samples"},
    }


def disagreements(scored: dict[str, Scored], top: int = 3) -> pd.DataFrame:
    """Prompts where MSE and KL prefer different models, strongest first (Figure 6 analog).

    For every pair of models (A, B) and prompt i: MSE prefers A when mse_A < mse_B, KL prefers B
    when kl_B < kl_A. Strength = the smaller of the two differences, each in units of its
    standard deviation over all prompts and pairs, so neither metric's scale dominates.
    """
    models = [s for s in scored.values() if s.kind == "model" and s.result.mse is not None]
    rows = []
    for a, b in itertools.permutations(models, 2):
        d_mse = b.result.mse - a.result.mse   # > 0: MSE prefers A
        d_kl = a.result.kl - b.result.kl      # > 0: KL prefers B
        for i in np.flatnonzero((d_mse > 0) & (d_kl > 0)):
            rows.append({"prompt": int(i), "mse_prefers": a.name, "kl_prefers": b.name,
                         "d_mse": float(d_mse[i]), "d_kl": float(d_kl[i])})
    if not rows:
        return pd.DataFrame(columns=["prompt", "mse_prefers", "kl_prefers", "d_mse", "d_kl",
                                     "strength"])
    df = pd.DataFrame(rows)
    df["strength"] = np.minimum(df["d_mse"] / df["d_mse"].std(ddof=0),
                                df["d_kl"] / df["d_kl"].std(ddof=0))
    df = df.sort_values(["strength", "prompt"], ascending=[False, True], kind="stable")
    return df.drop_duplicates("prompt").head(top).reset_index(drop=True)


def sensitivity(evaluator: Emo3DEvaluator, scored: dict[str, Scored], ks: list[int],
                ns: list[int]) -> pd.DataFrame:
    """Mean KL, Emo3D and exact-match for each source over K (all n) and over n (the default K).

    The first n prompts of the balanced order are a balanced test set of size n, so the same
    renders serve every n; K > n is skipped.
    """
    n_all = len(evaluator.prompts)
    rows = []
    for s in scored.values():
        for k in ks:
            if k <= n_all:
                r = evaluator.score_embeddings(s.image_emb, k=k)
                rows.append({"source": s.name, "kind": s.kind, "vary": "K", "k": k, "n": n_all,
                             "mean_kl": r.mean_kl, "emo3d": r.emo3d,
                             "exact_match": float(r.exact.mean())})
        for n in ns:
            if evaluator.k <= n <= n_all:
                r = evaluator.score_embeddings(s.image_emb, n=n)
                rows.append({"source": s.name, "kind": s.kind, "vary": "n", "k": evaluator.k,
                             "n": n, "mean_kl": r.mean_kl, "emo3d": r.emo3d,
                             "exact_match": float(r.exact.mean())})
    return pd.DataFrame(rows)


def reference_flaw_effect(evaluator: Emo3DEvaluator, scored: dict[str, Scored]) -> pd.DataFrame:
    """Mean KL per source as the paper defines it vs as the authors' ``metric.py`` computes it."""
    emotions = np.asarray(evaluator.prompts.emotions)
    rows = []
    for s in scored.values():
        r = s.result
        flawed = np.array([reference_code_kl(emotions[i], emotions[r.topk[i]], evaluator.eps)
                           for i in range(r.n)])
        rows.append({"source": s.name, "mean_kl_paper_definition": r.mean_kl,
                     "mean_kl_reference_code": float(flawed.mean()),
                     "emo3d_paper_definition": r.emo3d,
                     "emo3d_reference_code": float(1 / (1 + np.exp(-flawed.mean() / r.alpha)))})
    return pd.DataFrame(rows)


def find_clip_checkpoint(runs_dir: str | Path | None = None) -> str | None:
    """Where the book's metric CLIP is, by the one rule (``models.clip.resolve_clip``)."""
    from emo3d_lib.models.clip import resolve_clip

    choice = resolve_clip(None, runs_dir=runs_dir)
    return None if choice is None else choice.location


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block: MediaPipe's C++ logs (one banner per
    FaceLandmarker it creates) would otherwise fill a notebook cell. Python exceptions still
    propagate; only native log lines are dropped."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def image_tower_kind(clip: Any) -> str:
    """A short description of a CLIP's image tower for captions (pixels, MediaPipe, ...)."""
    import json

    from emo3d_lib.models.clip import CONFIG_FILE, image_tower_type

    source = Path(str(getattr(clip, "source", "") or ""))
    if (source / CONFIG_FILE).is_file():
        kind = image_tower_type(json.loads((source / CONFIG_FILE).read_text(encoding="utf-8")))
        return {"pixels-cnn": "convolutional encoder on the rendered face's pixels (trained here)",
                "pixels-vit": "small ViT on pixels (trained here)",
                "mediapipe-blendshapes": "MediaPipe blendshapes read off the image + MLP "
                                         "(trained here; never sees pixels)"}[kind]
    return "ViT-B/32 (pretrained)" if "ViT" in str(getattr(clip, "name", "")) else "unknown"
