"""Face inspection (notebook 04, the paper's Figure 6): ground truth beside each baseline.

For a few test samples we show the dataset's image, the face its MediaPipe blendshapes give on
our head (the ground truth a model is trained to reproduce) and the face each trained baseline
predicts from the sample's text. Everything is also given as plain PNGs for readers without
WebGL; one live viewer per page keeps the page light.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models.checkpoint import find_checkpoints  # noqa: F401  (notebooks 05, 06)
from emo3d_lib.seeding import rng_for


def ground_truth(df: pd.DataFrame) -> np.ndarray:
    """(N, 52): the first image's MediaPipe blendshapes of each row that has a face (else NaN)."""
    out = np.full((len(df), schema.N_BLENDSHAPES), np.nan, np.float32)
    for k in range(1, schema.MAX_IMAGES + 1):
        col = f"blenshape_score_{k}"
        if col not in df.columns:
            break
        scores = schema.score_matrix(df, k)
        fill = np.isnan(out[:, 0]) & ~np.isnan(scores[:, 0])
        out[fill] = scores[fill]
    return out


def first_image(df: pd.DataFrame, root: str | Path) -> list[Path | None]:
    """Path of the first image with a face in each row, or None."""
    out: list[Path | None] = []
    for _, row in df.iterrows():
        hit = None
        for k in range(1, schema.MAX_IMAGES + 1):
            img, score = row.get(f"img_{k}"), row.get(f"blenshape_score_{k}")
            if isinstance(img, str) and isinstance(score, str):
                hit = Path(root) / img
                break
        out.append(hit)
    return out


def pick_test_samples(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` test rows with a detected face, spread over dominant emotions (seeded)."""
    if n < 1:
        raise Emo3DError(f"parameter n_samples={n} must be >= 1")
    if "split" not in df.columns:
        raise Emo3DError("dataset has no 'split' column: load it with schema.load_dataset")
    test = df[(df["split"] == "test")].copy()
    test = test[~np.isnan(ground_truth(test)[:, 0])]
    if test.empty:
        raise Emo3DError("no test sample with a detected face in the dataset")
    test["emotion"] = schema.dominant_emotion(test)
    rng = rng_for(seed, "face_inspection")
    order = rng.permutation(len(test))
    picked: list[int] = []
    seen: set[str] = set()
    for pass_ in range(2):  # first one per emotion, then fill up
        for i in order:
            emo = test["emotion"].iloc[i]
            if len(picked) < n and i not in picked and (pass_ or emo not in seen):
                picked.append(int(i))
                seen.add(emo)
    return test.iloc[picked].drop(columns="emotion").reset_index(drop=True)


def predict_all(checkpoints: dict[str, Path], texts: Sequence[str]) -> dict[str, np.ndarray]:
    """``{model: (N, 52) predicted blendshapes}`` for ``texts`` from every checkpoint."""
    from emo3d_lib.models import load_predictor

    out: dict[str, np.ndarray] = {}
    for name, folder in checkpoints.items():
        pred = np.asarray(load_predictor(str(folder), "cpu").predict(list(texts)), np.float32)
        if pred.shape != (len(texts), schema.N_BLENDSHAPES):
            raise Emo3DError(f"checkpoint {folder}: predict() gave shape {pred.shape}, "
                             f"expected ({len(texts)}, {schema.N_BLENDSHAPES})")
        out[name] = pred
    return out


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_gallery(images: Sequence[np.ndarray], captions: Sequence[str], width: int = 160) -> str:
    """HTML of inline PNGs with captions: the no-WebGL fallback (works with scripts disabled)."""
    if len(images) != len(captions):
        raise Emo3DError(f"png_gallery: {len(images)} images but {len(captions)} captions")
    cells = []
    for image, caption in zip(images, captions, strict=True):
        data = base64.b64encode(png_bytes(image)).decode()
        cells.append(
            f'<figure style="display:inline-block;margin:4px;text-align:center;width:{width}px">'
            f'<img src="data:image/png;base64,{data}" width="{width}" alt="{html.escape(caption)}">'
            f'<figcaption style="font-size:11px">{html.escape(caption)}</figcaption></figure>')
    return "<div>" + "".join(cells) + "</div>"


def figure6(rows: Sequence[str], columns: Sequence[str], images: np.ndarray,
            title: str) -> Any:
    """Matplotlib grid ``images[row, col]`` (uint8 RGB) like the paper's Figure 6."""
    import matplotlib.pyplot as plt

    n_r, n_c = len(rows), len(columns)
    if images.shape[:2] != (n_r, n_c):
        raise Emo3DError(f"figure6: images grid {images.shape[:2]} != ({n_r}, {n_c})")
    fig, axes = plt.subplots(n_r, n_c, figsize=(max(2.1 * n_c, 6.0), 2.5 * n_r), squeeze=False)
    for r in range(n_r):
        for c in range(n_c):
            ax = axes[r, c]
            ax.imshow(images[r, c])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(wrap(columns[c], 16), fontsize=9)
        axes[r, 0].set_ylabel(rows[r], fontsize=8, rotation=0, ha="right", va="center",
                              labelpad=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
