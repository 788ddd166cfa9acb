"""Training arrays from a dataset directory: the paper's (text, image, blendshapes) triples.

Texts and images are stored once (unique) and each triple points at them by index, so frozen
embeddings are computed once per text / image, not once per triple.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError


@dataclass
class SplitTriples:
    """Triples of one split: indices into ``TrainingData.texts`` / ``.images`` and targets."""

    text_idx: np.ndarray  # int64 (n,)
    image_idx: np.ndarray  # int64 (n,)
    sample_id: np.ndarray  # int64 (n,)
    emotions: np.ndarray  # float32 (n, 8)
    blendshapes: np.ndarray  # float32 (n, 52), BLENDSHAPES order
    image_k: np.ndarray  # int64 (n,): which of its sample's images (1..4) the triple's image is

    def __len__(self) -> int:
        return int(self.text_idx.size)

    def retrieval_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(query text rows, gallery image rows) of a retrieval test on this split: one text
        per sample (its first triple) and each image once. Emo3D-CLIP's recall and the
        retrieval ceiling both read this, so they score the same queries and gallery."""
        _, text_rows = np.unique(self.sample_id, return_index=True)
        _, image_rows = np.unique(self.image_idx, return_index=True)
        return text_rows, image_rows

    def first_images(self, k: int | None) -> SplitTriples:
        """The triples whose image is one of its sample's first ``k`` (all when ``k`` is None):
        a model can train on more renders per sample than the gallery it is tested on holds."""
        if k is None:
            return self
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise Emo3DError(f"parameter images per sample={k!r} must be an integer >= 1")
        keep = self.image_k <= k
        return SplitTriples(*(getattr(self, f.name)[keep] for f in fields(self)))


@dataclass
class TrainingData:
    root: Path
    texts: list[str]
    images: list[str]  # paths relative to root
    splits: dict[str, SplitTriples]
    image_blendshapes: np.ndarray  # float32 (n_images, 52): MediaPipe's scores of each image

    def split(self, name: str) -> SplitTriples:
        if name not in self.splits or len(self.splits[name]) == 0:
            raise Emo3DError(f"dataset {self.root}: split {name!r} has no (text, image) triples")
        return self.splits[name]

    def image_paths(self, idx: np.ndarray | None = None) -> list[Path]:
        chosen = self.images if idx is None else [self.images[i] for i in idx]
        return [self.root / p for p in chosen]


def from_frame(df: pd.DataFrame, root: str | Path) -> TrainingData:
    """Build :class:`TrainingData` from a validated release frame (with ``split``)."""
    tri = schema.triples(df)
    if tri.empty:
        raise Emo3DError(f"dataset {root}: no row has an image with blendshape scores")
    texts = list(dict.fromkeys(tri["text"].astype(str)))
    images = list(dict.fromkeys(tri["img"].astype(str)))
    t_index = {t: i for i, t in enumerate(texts)}
    i_index = {p: i for i, p in enumerate(images)}
    image_bs = np.zeros((len(images), schema.N_BLENDSHAPES), np.float32)
    image_bs[tri["img"].map(i_index).to_numpy(np.int64)] = tri[list(schema.BLENDSHAPES)].to_numpy(
        np.float32)
    splits = {}
    for name in schema.SPLITS:
        part = tri[tri["split"] == name]
        splits[name] = SplitTriples(
            text_idx=part["text"].map(t_index).to_numpy(np.int64),
            image_idx=part["img"].map(i_index).to_numpy(np.int64),
            sample_id=part["sample_id"].to_numpy(np.int64),
            emotions=part[list(schema.EMOTIONS)].to_numpy(np.float32),
            blendshapes=part[list(schema.BLENDSHAPES)].to_numpy(np.float32),
            image_k=part["image_index"].to_numpy(np.int64),
        )
    return TrainingData(Path(root), texts, images, splits, image_bs)


def load_training_data(root: str | Path) -> TrainingData:
    """Read ``root`` with :func:`emo3d_lib.schema.load_dataset` and index its triples."""
    return from_frame(schema.load_dataset(root), root)


def load_images(paths: list[Path], size: int) -> np.ndarray:
    """JPEGs as ``uint8 (N, size, size, 3)`` RGB (bilinear resize), with a progress bar."""
    from PIL import Image
    from tqdm.auto import tqdm

    from emo3d_lib.images import open_rgb

    out = np.empty((len(paths), size, size, 3), np.uint8)
    for i, p in enumerate(tqdm(paths, desc="load images", disable=len(paths) < 500, leave=False)):
        out[i] = np.asarray(open_rgb(p).resize((size, size), Image.BILINEAR))
    return out
