"""One facial-expression-inference item per dataset image: (image, 52 MediaPipe scores, emotions).

The 2D view of an item is its image (resized once, kept in memory as uint8); the 3D view is the
52 blendshape scores MediaPipe read from that image (``blenshape_score_k``), the analogue of the
poster's EMOCA/SMIRK expression parameters. Its labels are the sample's 8 emotion intensities
(regression target) and their argmax, the dominant emotion (classification target). Images
without a face (no scores) are left out, because every system is compared on the same items.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import MAX_IMAGES, N_BLENDSHAPES, N_EMOTIONS, emotion_matrix, score_matrix


@dataclass
class FEIData:
    """Aligned arrays, one row per image with a face."""

    images: np.ndarray          # uint8 (N, S, S, 3)
    blendshapes: np.ndarray     # float32 (N, 52)
    emotions: np.ndarray        # float32 (N, 8)
    split: np.ndarray           # str (N,)
    sample_id: np.ndarray       # int64 (N,)
    image_path: np.ndarray      # str (N,)
    info: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.blendshapes.shape[0]
        for name in ("images", "emotions", "split", "sample_id", "image_path"):
            if getattr(self, name).shape[0] != n:
                raise Emo3DError(f"FEIData: {name} has {getattr(self, name).shape[0]} rows, "
                                 f"blendshapes has {n}")
        if self.blendshapes.ndim != 2 or self.blendshapes.shape[1] != N_BLENDSHAPES:
            raise Emo3DError(f"FEIData: blendshapes must be (N, {N_BLENDSHAPES})")
        if self.emotions.ndim != 2 or self.emotions.shape[1] != N_EMOTIONS:
            raise Emo3DError(f"FEIData: emotions must be (N, {N_EMOTIONS})")

    def __len__(self) -> int:
        return int(self.blendshapes.shape[0])

    @property
    def labels(self) -> np.ndarray:
        """Dominant emotion index (argmax of the intensities; ties -> first in EMOTIONS)."""
        return self.emotions.argmax(axis=1)

    def subset(self, mask: np.ndarray) -> FEIData:
        return FEIData(self.images[mask], self.blendshapes[mask], self.emotions[mask],
                       self.split[mask], self.sample_id[mask], self.image_path[mask],
                       dict(self.info))

    def part(self, split: str) -> FEIData:
        part = self.subset(self.split == split)
        if len(part) == 0:
            raise Emo3DError(f"FEIData: split {split!r} has no images with a face")
        return part


def _crop_resize(img, size: int, crop: float):  # PIL image in, PIL image out
    """Central square of side ``crop`` x the shorter side (the face fills the middle of our
    renders), resized to ``size``; the same for training images and judged renders."""
    from PIL import Image

    if not 0.2 <= crop <= 1.0:
        raise Emo3DError(f"parameter crop={crop} must lie in [0.2, 1]")
    w, h = img.size
    side = crop * min(w, h)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    return img.resize((size, size), Image.BILINEAR, box=box)


def prepare_images(images: np.ndarray, size: int, crop: float = 1.0) -> np.ndarray:
    """uint8 (N, H, W, 3) RGB -> uint8 (N, size, size, 3), the 2D branch's input."""
    from PIL import Image

    arr = np.asarray(images)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise Emo3DError(f"images must be uint8 (N, H, W, 3), got {arr.dtype} {arr.shape}")
    if arr.shape[1:3] == (size, size) and crop == 1.0:
        return arr.copy()
    out = np.empty((arr.shape[0], size, size, 3), dtype=np.uint8)
    for i, img in enumerate(arr):
        out[i] = np.asarray(_crop_resize(Image.fromarray(img), size, crop))
    return out


def read_prepared_image(path: Path, size: int, crop: float = 1.0) -> np.ndarray:
    """One JPEG/PNG from disk (decoded by ``emo3d_lib.images``) -> uint8 (size, size, 3) RGB,
    cropped and resized as ``prepare_images``."""
    from emo3d_lib.images import open_rgb

    return np.asarray(_crop_resize(open_rgb(path), size, crop))


def load_fei_data(
    data_dir: str | os.PathLike[str], *, image_size: int = 64, crop: float = 1.0,
    with_images: bool = True, limit: int | None = None,
) -> FEIData:
    """Read a dataset directory (release layout) into one FEI item per image with a face.

    Images are stored already cropped and resized (``crop``, ``image_size``), so the model
    takes them with ``prepared=True``. ``with_images=False`` skips decoding (3D-only systems
    need no pixels); ``limit`` keeps the first ``limit`` samples (quick looks).
    """
    from emo3d_lib.schema import load_dataset

    root = Path(data_dir)
    df = load_dataset(root, check_images=with_images)
    if limit is not None:
        df = df.iloc[: int(limit)]
    emotions = emotion_matrix(df)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("scores", "emotions", "split", "sid", "path")}
    n_images = n_no_face = 0
    for k in range(1, MAX_IMAGES + 1):
        paths = df[f"img_{k}"].to_numpy()
        has_image = np.array([p is not None for p in paths])
        if not has_image.any():
            continue
        scores = score_matrix(df, k)
        face = has_image & ~np.isnan(scores).any(axis=1)
        n_images += int(has_image.sum())
        n_no_face += int((has_image & ~face).sum())
        rows = np.flatnonzero(face)
        parts["scores"].append(scores[rows])
        parts["emotions"].append(emotions[rows])
        parts["split"].append(df["split"].to_numpy()[rows].astype(str))
        parts["sid"].append(df["sample_id"].to_numpy()[rows].astype(np.int64))
        parts["path"].append(paths[rows].astype(str))
    if not parts["scores"]:
        raise Emo3DError(f"{root}: no image with MediaPipe scores (img_k + blenshape_score_k)")
    paths = np.concatenate(parts["path"])
    if with_images:
        images = np.stack([read_prepared_image(root / p, image_size, crop)
                           for p in tqdm(paths, desc="fei: reading images", leave=False)])
    else:
        images = np.zeros((paths.size, 0, 0, 3), dtype=np.uint8)
    return FEIData(
        images=images,
        blendshapes=np.concatenate(parts["scores"]).astype(np.float32),
        emotions=np.concatenate(parts["emotions"]).astype(np.float32),
        split=np.concatenate(parts["split"]),
        sample_id=np.concatenate(parts["sid"]),
        image_path=paths,
        info={"samples": len(df), "images": n_images, "images_without_face": n_no_face,
              **({"image_size": image_size, "crop": crop} if with_images else {})},
    )
