"""One evaluation from a dataset directory: prompts, backbone, renderer, the faces to score.

``build_evaluator`` loads the n test prompts, the CLIP backbone and the fixed-camera renderer;
``source_blendshapes`` turns a checkpoint, a predictions file or an anchor name into the (n, 52)
faces; ``evaluate`` does both and returns the JSON-ready summary that ``emo3d evaluate`` writes.
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD
from emo3d_lib.metric.anchors import ANCHORS, anchor_blendshapes
from emo3d_lib.metric.bootstrap import N_BOOT
from emo3d_lib.metric.divergence import KL_EPS
from emo3d_lib.metric.emo3d import Emo3DEvaluator, FaceImages
from emo3d_lib.metric.predictions import predictions_for
from emo3d_lib.metric.prompts import MetricPrompts, ground_truth_faces, load_metric_prompts
from emo3d_lib.metric.render_pool import RenderPool, default_workers
from emo3d_lib.schema import load_dataset

#: The dataset's image size (``emo3d generate``): the metric renders what CLIP was trained on.
RENDER_SIZE = 256


def fixed_camera_renderer(head: str = DEFAULT_HEAD, size: int = RENDER_SIZE,
                          backend: str = "auto", pool: RenderPool | None = None
                          ) -> tuple[FaceImages, str]:
    """A renderer with ``Identity.default()`` (fixed frontal camera) for all faces, and its name.

    With a ``pool`` (which renders the batched path) this in-process renderer, the naive
    loop's, is made on first use only: the process then needs no GL context of its own."""
    from emo3d_lib.face.render import FaceRenderer

    @functools.cache
    def renderer() -> FaceRenderer:
        return FaceRenderer(head, size=size, backend=backend)

    def render(weights: np.ndarray) -> np.ndarray:
        return renderer().render(weights)  # identities default to Identity.default()

    used = renderer().backend if pool is None else pool.backend
    return render, f"{head} head, {size}px, fixed frontal camera ({used})"


def build_evaluator(
    data_dir: str | os.PathLike[str],
    *,
    n: int = 1000,
    k: int = 10,
    split: str = "test",
    seed: int = 0,
    clip: Any = None,
    clip_checkpoint: str | None = None,
    head: str = DEFAULT_HEAD,
    size: int = RENDER_SIZE,
    alpha: float = 1.0,
    eps: float = KL_EPS,
    batch_size: int = 64,
    text_column: str = "text_1",
    device: str | None = None,
    progress: bool = True,
    prompts: MetricPrompts | None = None,
    render_workers: int | None = None,
) -> Emo3DEvaluator:
    """Everything fixed for one metric run; ``clip`` (a loaded backbone) wins over the path.

    ``render_workers``: processes rendering the batched path's faces (None: one per core for
    64 faces or more, ``render_pool.default_workers``; 0: in this process). They start first,
    so their start-up overlaps CLIP's loading."""
    if prompts is None:
        prompts = load_metric_prompts(data_dir, n=n, split=split, seed=seed,
                                      text_column=text_column)
    workers = default_workers(len(prompts)) if render_workers is None else int(render_workers)
    if workers < 0:
        raise Emo3DError(f"render_workers must be >= 0, got {workers}")
    pool = RenderPool(head, size, workers) if workers > 0 else None
    try:
        if clip is None:
            from emo3d_lib.device import pick_device
            from emo3d_lib.models import load_clip

            clip = load_clip(clip_checkpoint, pick_device(device))  # before any GL context here
        render, name = fixed_camera_renderer(head, size, pool=pool)
    except BaseException as err:
        if pool is not None:
            pool.close()
        if not isinstance(err, BrokenProcessPool):
            raise
        # a worker could not start: render here (the in-process renderer names any bad input)
        warnings.warn("render workers failed to start; rendering in this process", stacklevel=2)
        pool = None
        render, name = fixed_camera_renderer(head, size)
    return Emo3DEvaluator(prompts, clip, render, k=k, alpha=alpha, eps=eps,
                          batch_size=batch_size, progress=progress, renderer_name=name,
                          pool=pool)


def training_faces(data_dir: str | os.PathLike[str]) -> np.ndarray:
    """(m, 52) every training-split face (the mean-face anchor averages them)."""
    df = load_dataset(data_dir, check_images=False)
    faces = ground_truth_faces(df[df["split"] == "train"].reset_index(drop=True))
    stacked = [f for f in faces if len(f)]
    if not stacked:
        raise Emo3DError(f"{data_dir}: the train split has no faces for the mean-face anchor")
    return np.concatenate(stacked)


def source_blendshapes(
    prompts: MetricPrompts,
    *,
    checkpoint: str | None = None,
    predictions: str | None = None,
    anchor: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    device: str | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """(n, 52) faces for the evaluator's prompts from exactly one source, and a description."""
    given = [s for s in (checkpoint, predictions, anchor) if s is not None]
    if len(given) != 1:
        raise Emo3DError("give exactly one of checkpoint, predictions or anchor")
    if checkpoint is not None:
        from emo3d_lib.models import load_predictor

        predictor = load_predictor(checkpoint, device)
        weights = np.asarray(predictor.predict(list(prompts.texts)), dtype=np.float32)
        return weights, {"source": "checkpoint", "checkpoint": str(checkpoint),
                         "model": predictor.name, "model_backbone": predictor.backbone}
    if predictions is not None:
        weights = predictions_for(predictions, prompts.sample_ids)
        return weights, {"source": "predictions", "predictions": str(predictions)}
    assert anchor is not None
    if anchor not in ANCHORS:
        raise Emo3DError(f"unknown anchor {anchor!r}; choose one of {ANCHORS}")
    train = training_faces(data_dir) if anchor == "mean-face" and data_dir is not None else None
    weights = anchor_blendshapes(anchor, prompts, seed=seed, train_faces=train)
    return weights, {"source": "anchor", "anchor": anchor}


def evaluate(
    data_dir: str | os.PathLike[str],
    *,
    checkpoint: str | None = None,
    predictions: str | None = None,
    anchor: str | None = None,
    n_boot: int = N_BOOT,
    evaluator: Emo3DEvaluator | None = None,
    **build: Any,
) -> dict[str, Any]:
    """The summary ``emo3d evaluate`` writes (see ``Emo3DResult.summary`` for the keys)."""
    start = time.perf_counter()
    seed = int(build.get("seed", 0))
    if evaluator is None:  # prompts and faces first: a bad file fails before CLIP is loaded
        build["prompts"] = load_metric_prompts(
            data_dir, n=build.get("n", 1000), split=build.get("split", "test"), seed=seed,
            text_column=build.get("text_column", "text_1"))
    prompts = evaluator.prompts if evaluator is not None else build["prompts"]
    weights, source = source_blendshapes(prompts, checkpoint=checkpoint, predictions=predictions,
                                         anchor=anchor, data_dir=data_dir, seed=seed,
                                         device=build.get("device"))
    ev = evaluator or build_evaluator(data_dir, **build)
    try:
        result = ev.score(weights)
    finally:
        if evaluator is None:  # our own render workers end here
            ev.close()
    summary = result.summary(n_boot=n_boot, seed=seed)
    summary.update(source)
    summary.update({
        "data": str(Path(data_dir)),
        "split": build.get("split", "test"),
        "selection_seed": seed,
        "text_column": build.get("text_column", "text_1"),
        "sample_ids": [int(s) for s in ev.prompts.sample_ids],
        "seconds": round(time.perf_counter() - start, 3),
    })
    return summary
