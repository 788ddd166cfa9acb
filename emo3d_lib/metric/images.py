"""The Emo3D metric of a folder of face images, as the authors' metric script scores one.

``emo3d evaluate --images DIR --prompts FILE``: image i answers prompt i. The prompts file
(CSV, parquet or JSON records) has a ``text`` column (or ``text_1``), the 8 emotion columns
(``schema.EMOTIONS``: intensities, normalized here) and optionally ``image``, the file name of
each prompt's image in DIR; without it DIR's images (.png/.jpg/.jpeg) sorted by name are matched
row by row. Images are resized to a common square size before CLIP, in batches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.emo3d import score_from_embeddings
from emo3d_lib.schema import EMOTIONS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_prompt_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The prompts file as a frame with ``text``, the 8 emotions and (maybe) ``image``."""
    p = Path(path)
    if not p.is_file():
        raise Emo3DError(f"prompts file not found: {p}")
    readers = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".json": pd.read_json}
    if p.suffix.lower() not in readers:
        raise Emo3DError(f"{p}: prompts must be .csv, .parquet or .json, got {p.suffix!r}")
    try:
        df = readers[p.suffix.lower()](p)
    except (ValueError, OSError) as err:
        raise Emo3DError(f"{p}: cannot read prompts ({err})") from err
    if "text" not in df.columns and "text_1" in df.columns:
        df = df.rename(columns={"text_1": "text"})
    missing = [c for c in ("text", *EMOTIONS) if c not in df.columns]
    if missing:
        raise Emo3DError(f"{p}: missing column(s) {missing} (need text + {list(EMOTIONS)})")
    for col in EMOTIONS:
        bad = pd.to_numeric(df[col], errors="coerce").isna()
        if bad.any():
            raise Emo3DError(f"{p}: row {int(np.argmax(bad))}, column {col!r}: not a number")
    return df


def image_files(folder: str | os.PathLike[str], names: list[str] | None, n: int) -> list[Path]:
    """One image path per prompt: by the ``image`` column, else DIR's images sorted by name."""
    root = Path(folder)
    if not root.is_dir():
        raise Emo3DError(f"image folder not found: {root}")
    if names is not None:
        files = [root / str(name) for name in names]
        absent = [f.name for f in files if not f.is_file()]
        if absent:
            raise Emo3DError(f"{root}: {len(absent)} image(s) named in the prompts file are "
                             f"missing, e.g. {absent[0]}")
        return files
    files = sorted(f for f in root.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if len(files) != n:
        raise Emo3DError(f"{root}: {len(files)} images for {n} prompts; the metric needs one "
                         "image per prompt (or an 'image' column naming them)")
    return files


def load_images(files: list[Path], size: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(files), size, size, 3), np.uint8)
    for i, f in enumerate(files):
        try:
            with Image.open(f) as img:
                out[i] = np.asarray(img.convert("RGB").resize((size, size), Image.BICUBIC))
        except (UnidentifiedImageError, OSError) as err:
            raise Emo3DError(f"{f}: not a readable image ({err})") from err
    return out


def score_image_folder(
    images: str | os.PathLike[str], prompts: str | os.PathLike[str], *,
    k: int = 10, alpha: float = 1.0, n_boot: int = 1000, seed: int = 0,
    clip_checkpoint: str | None = None, device: str | None = None, size: int = 256,
    batch_size: int = 64, progress: bool = True,
) -> dict[str, Any]:
    """Embed each image and prompt with CLIP and score them with the Emo3D metric (JSON)."""
    from emo3d_lib.device import pick_device
    from emo3d_lib.models import load_clip

    table = read_prompt_table(prompts)
    n = len(table)
    if not 1 <= k <= n:
        raise Emo3DError(f"parameter --k={k} must be in [1, {n}] (the number of prompts)")
    files = image_files(images, table["image"].tolist() if "image" in table else None, n)
    clip = load_clip(clip_checkpoint, pick_device(device))
    texts = [str(t) for t in table["text"]]
    parts_img, parts_txt = [], []
    for i in tqdm(range(0, n, batch_size), desc="embed images + prompts", disable=not progress):
        parts_img.append(np.asarray(clip.encode_images(load_images(files[i:i + batch_size], size)),
                                    np.float32))
        parts_txt.append(np.asarray(clip.encode_text(texts[i:i + batch_size]), np.float32))
    emotions = table[list(EMOTIONS)].to_numpy(np.float64)
    result = score_from_embeddings(np.concatenate(parts_img), np.concatenate(parts_txt),
                                   emotions, k=k, alpha=alpha)
    result.meta = {"backbone": str(getattr(clip, "name", type(clip).__name__)),
                   "renderer": "none (images scored as given)"}
    summary = result.summary(n_boot=n_boot, seed=seed)
    summary.update({"images": str(images), "prompts": str(prompts), "image_size": size})
    return summary
