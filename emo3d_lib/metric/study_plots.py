"""Figures of chapter 5: MSE vs KL per source, the disagreement gallery, the K / n sweeps.

Axis labels carry the direction (lower = better) and every title names the CLIP backbone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emo3d_lib.metric.emo3d import Emo3DEvaluator
from emo3d_lib.metric.study import Scored
from emo3d_lib.schema import EMOTIONS


def mse_vs_kl(tables: dict[str, pd.DataFrame], names: dict[str, str], k: int) -> None:
    """One panel per image tower: each source's MSE against its mean KL, with 95% intervals."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6.5 * len(tables), 4.5), squeeze=False)
    for ax, (tower, table) in zip(axes[0], tables.items(), strict=True):
        for r in table.itertuples():
            model = r.kind == "model"
            ax.errorbar(r.mse, r.mean_kl, xerr=[[r.mse - r.mse_lo], [r.mse_hi - r.mse]],
                        yerr=[[r.mean_kl - r.kl_lo], [r.kl_hi - r.mean_kl]],
                        fmt="o" if model else "s", capsize=3, color="C0" if model else "C3")
            ax.annotate(r.source, (r.mse, r.mean_kl), textcoords="offset points", xytext=(5, 4),
                        fontsize=8)
        ax.set_xlabel("MSE vs ground-truth blendshapes (lower = better)")
        ax.set_ylabel(f"mean KL(phi || psi_bar), K={k} (lower = better)")
        ax.set_title(f"{tower} tower: {names[tower]}", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("MSE vs Emo3D KL per source (circles: models, squares: anchors); rendered "
                 "faces, Emo3D-CLIP stands in for OpenAI ViT-B/32", fontsize=9)
    fig.tight_layout()
    plt.show()


def _wrap(text: str, width: int = 38, lines: int = 3) -> str:
    return "\n".join(text[j:j + width] for j in range(0, min(len(text), width * lines), width))


def disagreement_gallery(dis: pd.DataFrame, scored: dict[str, Scored],
                         evaluator: Emo3DEvaluator, backbone: str) -> None:
    """Per prompt: its text and emotions, the ground-truth face, the face MSE prefers and the
    face the KL prefers, as the metric renders them (fixed camera)."""
    prompts = evaluator.prompts
    fig, axes = plt.subplots(len(dis), 3, figsize=(8, 3.0 * len(dis)), squeeze=False)
    for row, r in enumerate(dis.itertuples()):
        i = r.prompt
        names = ["ground-truth", r.mse_prefers, r.kl_prefers]
        faces = np.stack([scored[nm].blendshapes[i] for nm in names])
        images = evaluator.render(np.clip(faces, 0, 1))  # the images CLIP was shown
        labels = ["ground truth", "MSE prefers", "Emo3D (KL) prefers"]
        for col, (nm, img, label) in enumerate(zip(names, images, labels, strict=True)):
            res = scored[nm].result
            ax = axes[row, col]
            ax.imshow(img)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label}: {nm}\nMSE {res.mse[i]:.4f} · KL {res.kl[i]:.3f}",
                         fontsize=8)
        emo = ", ".join(f"{e} {v:.1f}" for e, v in zip(EMOTIONS, prompts.emotions[i],
                                                        strict=True) if v >= 0.1)
        axes[row, 0].set_ylabel(_wrap(prompts.texts[i]) + f"\n[{emo}]", fontsize=7, rotation=0,
                                ha="right", va="center")
    fig.suptitle(f"Rendered faces ({evaluator.renderer_name}) — stand-in for the paper's "
                 f"Figure 6; CLIP backbone: {backbone}", fontsize=9)
    fig.tight_layout()
    plt.show()


def sensitivity(sens: dict[str, pd.DataFrame], names: dict[str, str], n_used: int,
                k: int) -> None:
    """Mean KL against K (all n prompts) and against n (the default K), one row per tower."""
    fig, axes = plt.subplots(len(sens), 2, figsize=(10, 3.8 * len(sens)), squeeze=False)
    for row, (tower, table) in enumerate(sens.items()):
        for (name, kind), part in table.groupby(["source", "kind"], sort=False):
            style = dict(marker="o" if kind == "model" else "s",
                         linestyle="-" if kind == "model" else "--")
            pk, pn = part[part.vary == "K"], part[part.vary == "n"]
            axes[row, 0].plot(pk.k, pk.mean_kl, label=name, **style)
            axes[row, 1].plot(pn.n, pn.mean_kl, label=name, **style)
        axes[row, 0].set_xscale("log")
        axes[row, 0].set_xlabel(f"K (n = {n_used})")
        axes[row, 1].set_xlabel(f"n (K = {k})")
        for ax in axes[row]:
            ax.set_ylabel("mean KL (lower = better)")
            ax.set_title(f"{tower} tower: {names[tower]}", fontsize=9)
            ax.grid(alpha=0.3)
        axes[row, 1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.suptitle("Sensitivity of the metric to K and n", fontsize=9)
    fig.tight_layout()
    plt.show()
