"""Checks on a generated dataset: does the image half still carry the text's emotion?

The paper notes MediaPipe introduces inaccuracies in its blendshape scores. With rendered faces we
can ask how much of the emotion survives text -> prior -> face -> MediaPipe: a linear classifier
fitted on the train split's 52 scores predicts each test image's dominant emotion, beside the
majority-class baseline. A readback far above the baseline means the scores are learnable targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError


def image_rows(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores (M, 52), dominant-emotion index (M,), split (M,)) over every image with a face."""
    if "split" not in df.columns:
        raise Emo3DError("dataset lacks the 'split' column; load it with schema.load_dataset")
    dominant = schema.emotion_matrix(df).argmax(axis=1)
    xs, ys, ss = [], [], []
    for k in range(1, schema.MAX_IMAGES + 1):
        scores = schema.score_matrix(df, k)
        face = ~np.isnan(scores).any(axis=1)
        xs.append(scores[face])
        ys.append(dominant[face])
        ss.append(df["split"].to_numpy()[face])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def emotion_readback(df: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Test accuracy of a logistic regression (train split) from 52 scores to dominant emotion.

    Each image is one example (the K faces of a sample share its emotion but not its person).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, split = image_rows(df)
    train, test = split == "train", split == "test"
    if train.sum() < 20 or test.sum() < 5 or len(np.unique(y[train])) < 2:
        raise Emo3DError(f"too few images with faces for a readback (train {int(train.sum())}, "
                         f"test {int(test.sum())}); generate more samples")
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=seed))
    model.fit(x[train], y[train])
    pred = model.predict(x[test])
    majority = np.bincount(y[train], minlength=schema.N_EMOTIONS).argmax()
    per_class = {schema.EMOTIONS[c]: float((pred[y[test] == c] == c).mean())
                 for c in np.unique(y[test])}
    return {"accuracy": float((pred == y[test]).mean()),
            "majority_baseline": float((y[test] == majority).mean()),
            "n_train_images": int(train.sum()), "n_test_images": int(test.sum()),
            "recall_per_class": per_class}
