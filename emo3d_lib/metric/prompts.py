"""The n test prompts of the metric: emotion-balanced selection from a dataset split.

A prompt is one sample's ``text_1`` (configurable) with its 8 intensities. Its ground truth is
the set of MediaPipe scores of the sample's images with a detected face (the paper's triples
pair each text with each of them); samples without any face are not eligible, so MSE is
defined for every prompt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.divergence import normalize_emotions
from emo3d_lib.metric.selection import select_balanced
from emo3d_lib.schema import (
    MAX_IMAGES,
    N_BLENDSHAPES,
    N_EMOTIONS,
    SPLITS,
    TEXT_COLUMNS,
    emotion_matrix,
    load_dataset,
    score_matrix,
)


@dataclass(frozen=True)
class MetricPrompts:
    """The n test prompts: ids, texts, raw emotion intensities and (optional) ground-truth faces.

    ``ground_truth_faces`` is a list of (m_i, 52) arrays, one per prompt: the MediaPipe scores of
    each of the sample's images with a detected face. MSE is averaged over them (the paper's
    triples); the ground-truth *anchor* renders their mean.
    """

    sample_ids: np.ndarray
    texts: tuple[str, ...]
    emotions: np.ndarray
    ground_truth_faces: tuple[np.ndarray, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.texts)
        if n < 2:
            raise Emo3DError(f"the metric needs at least 2 prompts, got {n}")
        if np.shape(self.emotions) != (n, N_EMOTIONS):
            raise Emo3DError(
                f"emotions must be ({n}, {N_EMOTIONS}) for {n} prompts, "
                f"got {np.shape(self.emotions)}"
            )
        if len(self.sample_ids) != n:
            raise Emo3DError(f"{len(self.sample_ids)} sample ids for {n} prompts")
        for i, t in enumerate(self.texts):
            if not isinstance(t, str) or not t.strip():
                raise Emo3DError(f"prompt {i} (sample_id={self.sample_ids[i]}): empty text")
        if self.ground_truth_faces is not None:
            if len(self.ground_truth_faces) != n:
                raise Emo3DError(f"{len(self.ground_truth_faces)} ground truths for {n} prompts")
            for i, g in enumerate(self.ground_truth_faces):
                if g.ndim != 2 or g.shape[1] != N_BLENDSHAPES or g.shape[0] < 1:
                    raise Emo3DError(
                        f"prompt {i} (sample_id={self.sample_ids[i]}): ground truth must be "
                        f"(m >= 1, {N_BLENDSHAPES}), got {g.shape}"
                    )

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def distributions(self) -> np.ndarray:
        """phi for every prompt: intensities normalized to sum 1."""
        return normalize_emotions(self.emotions)

    @property
    def ground_truth(self) -> np.ndarray:
        """(n, 52) per-prompt mean of its faces' scores (the ground-truth anchor)."""
        if self.ground_truth_faces is None:
            raise Emo3DError("these prompts carry no ground-truth blendshapes")
        return np.stack([g.mean(axis=0) for g in self.ground_truth_faces]).astype(np.float32)

    def subset(self, index: np.ndarray) -> MetricPrompts:
        idx = np.asarray(index)
        gt = None
        if self.ground_truth_faces is not None:
            gt = tuple(self.ground_truth_faces[i] for i in idx)
        return MetricPrompts(
            sample_ids=np.asarray(self.sample_ids)[idx],
            texts=tuple(self.texts[i] for i in idx),
            emotions=np.asarray(self.emotions)[idx],
            ground_truth_faces=gt,
        )


def ground_truth_faces(df: pd.DataFrame) -> list[np.ndarray]:
    """Per row, the (m, 52) scores of its images with a face (m may be 0)."""
    scores = np.stack([score_matrix(df, k) for k in range(1, MAX_IMAGES + 1)], axis=1)
    return [s[~np.isnan(s).any(axis=1)] for s in scores]


def prompts_from_frame(
    df: pd.DataFrame, n: int, seed: int = 0, text_column: str = "text_1",
    require_ground_truth: bool = True,
) -> MetricPrompts:
    """Select n balanced prompts from ``df`` (rows in balanced order, see ``selection``)."""
    if text_column not in TEXT_COLUMNS:
        raise Emo3DError(f"text_column must be one of {TEXT_COLUMNS}, got {text_column!r}")
    emotions = emotion_matrix(df)
    faces = ground_truth_faces(df)
    has_face = np.array([f.shape[0] > 0 for f in faces])
    if require_ground_truth and not has_face.any():
        raise Emo3DError(
            "no row has a blendshape score (blenshape_score_1..4 all empty): the metric needs "
            "ground-truth faces; generate the dataset with --images-per-sample >= 1"
        )
    idx = select_balanced(emotions, n, seed=seed, eligible=has_face if require_ground_truth
                          else None)
    return MetricPrompts(
        sample_ids=df["sample_id"].to_numpy()[idx],
        texts=tuple(str(t) for t in df[text_column].to_numpy()[idx]),
        emotions=emotions[idx].astype(np.float64),
        ground_truth_faces=tuple(faces[i] for i in idx) if require_ground_truth else None,
    )


def load_metric_prompts(
    data_dir: str | os.PathLike[str], n: int = 1000, split: str = "test", seed: int = 0,
    text_column: str = "text_1",
) -> MetricPrompts:
    """The metric's test set: n emotion-balanced prompts of ``split`` with ground-truth faces."""
    if split not in SPLITS:
        raise Emo3DError(f"split must be one of {SPLITS}, got {split!r}")
    df = load_dataset(data_dir, check_images=False)
    part = df[df["split"] == split].reset_index(drop=True)
    if part.empty:
        raise Emo3DError(f"{data_dir}: the {split!r} split is empty")
    return prompts_from_frame(part, n, seed=seed, text_column=text_column)


def available_prompts(data_dir: str | os.PathLike[str], split: str = "test") -> int:
    """How many prompts of ``split`` the metric can use (non-zero emotions, at least one face)."""
    if split not in SPLITS:
        raise Emo3DError(f"split must be one of {SPLITS}, got {split!r}")
    df = load_dataset(data_dir, check_images=False)
    part = df[df["split"] == split].reset_index(drop=True)
    has_face = np.array([len(f) > 0 for f in ground_truth_faces(part)], dtype=bool)
    return int(((emotion_matrix(part).sum(axis=1) > 0) & has_face).sum())
