"""Figures of chapter 5: MSE vs KL per source, the disagreement gallery, the K / n sweeps.

Axis labels carry the direction (lower = better) and every title names the CLIP backbone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text

from emo3d_lib.metric.emo3d import Emo3DEvaluator
from emo3d_lib.metric.study import Scored
from emo3d_lib.schema import EMOTIONS


def mse_vs_kl(tables: dict[str, pd.DataFrame], names: dict[str, str], k: int) -> None:
    """Show ``mse_vs_kl_figure`` (chapter 5)."""
    mse_vs_kl_figure(tables, names, k)
    plt.show()


def mse_vs_kl_figure(tables: dict[str, pd.DataFrame], names: dict[str, str],
                     k: int) -> Figure:
    """One panel per image tower: each source's MSE against its mean KL, with 95% intervals;
    each point labelled by ``place_labels`` (sources often sit close together)."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6.5 * len(tables), 4.5), squeeze=False)
    for ax, (tower, table) in zip(axes[0], tables.items(), strict=True):
        for r in table.itertuples():
            model = r.kind == "model"
            ax.errorbar(r.mse, r.mean_kl, xerr=[[r.mse - r.mse_lo], [r.mse_hi - r.mse]],
                        yerr=[[r.mean_kl - r.kl_lo], [r.kl_hi - r.mean_kl]],
                        fmt="o" if model else "s", capsize=3, color="C0" if model else "C3")
        ax.set_xlabel("MSE vs ground-truth blendshapes (lower = better)")
        ax.set_ylabel(f"mean KL(phi || psi_bar), K={k} (lower = better)")
        ax.set_title(f"{tower} tower: {names[tower]}", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("MSE vs Emo3D KL per source (circles: models, squares: anchors); rendered "
                 "faces, Emo3D-CLIP stands in for OpenAI ViT-B/32", fontsize=9)
    fig.tight_layout()  # before the labels: they stay inside the axes, so the layout holds
    for ax, table in zip(axes[0], tables.values(), strict=True):
        place_labels(ax, table[["mse", "mean_kl"]].to_numpy(float), list(table["source"]))
    return fig


#: Directions a label may take from its point, in order of preference (up-right first).
_DIRECTIONS = ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
_ALIGN = {1: ("left", "bottom"), -1: ("right", "top"), 0: ("center", "center")}


def place_labels(ax: Axes, xy: np.ndarray, labels: list[str], fontsize: float = 8,
                 step: float = 6.0, rings: int = 12) -> list[Annotation]:
    """Label each point so that no two labels overlap, no label covers a point, and every
    label lies inside the axes (so none is clipped).

    A fixed offset (the usual ``annotate``) stacks the labels of close points on each other and
    pushes the label of the rightmost point out of the axes. Here each label, in turn, tries
    spots around its point, nearest ring first (``step`` points apart, ``rings`` rings); the
    first spot clear of the labels placed so far, of every point's marker and of the axes edge
    wins (failing that: inside the axes with the least overlap); a spot beyond the first ring
    gets a thin leader line. Deterministic, no dependency beyond matplotlib. Call it after the
    figure's layout is final (``tight_layout``): it measures in display pixels.
    """
    xy = np.asarray(xy, float).reshape(-1, 2)
    if len(xy) != len(labels):
        raise ValueError(f"place_labels: {len(xy)} points but {len(labels)} labels")
    renderer = ax.figure.canvas.get_renderer()
    px = ax.figure.dpi / 72.0  # display pixels per point
    frame = ax.get_window_extent(renderer)
    marker = 4.0 * px  # half the side of the square each point's marker keeps clear
    taken = [(x - marker, y - marker, x + marker, y + marker)
             for x, y in ax.transData.transform(xy)]
    placed = []
    for (x, y), label in zip(xy, labels, strict=True):
        probe = ax.annotate(label, (x, y), textcoords="offset points", xytext=(0, 0),
                            fontsize=fontsize, annotation_clip=False)
        best: tuple | None = None
        for ring in range(1, rings + 1):
            for dx, dy in _DIRECTIONS:
                probe.xyann = (dx * ring * step, dy * ring * step)
                probe.set_ha(_ALIGN[dx][0])
                probe.set_va(_ALIGN[dy][1])
                box = _text_box(probe, renderer)
                outside = not (box[0] >= frame.x0 and box[1] >= frame.y0
                               and box[2] <= frame.x1 and box[3] <= frame.y1)
                cost = (outside, sum(_overlap(box, other) for other in taken), ring)
                if best is None or cost < best[0]:
                    best = (cost, probe.xyann, probe.get_ha(), probe.get_va(), box)
            if best is not None and best[0][:2] == (False, 0):
                break
        probe.remove()
        assert best is not None
        (_, _, ring), offset, ha, va, box = best
        # away from its point: a thin leader line from the label's near corner to the point
        corner = ({"left": 0, "right": 1}.get(ha, 0.5), {"bottom": 0, "top": 1}.get(va, 0.5))
        leader = {"arrowstyle": "-", "lw": 0.5, "color": "0.45", "shrinkA": 1, "shrinkB": 3,
                  "relpos": corner}
        placed.append(ax.annotate(label, (x, y), textcoords="offset points", xytext=offset,
                                  ha=ha, va=va, fontsize=fontsize, annotation_clip=False,
                                  arrowprops=leader if ring > 1 else None))
        taken.append(box)
    return placed


def _text_box(ann: Annotation, renderer) -> tuple[float, float, float, float]:
    """The label's text (not its leader line) in display pixels, padded by 2 px."""
    ann.update_positions(renderer)  # else the first measure ignores the offset
    box = Text.get_window_extent(ann, renderer)
    return box.x0 - 2, box.y0 - 2, box.x1 + 2, box.y1 + 2


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area two boxes share (0 when they only touch or are apart)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


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
