"""Wiring of the judge to the rest of the book: the metric's prompts and renderer, MediaPipe,
model checkpoints / predictions files / anchors, and the metric's result files."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.atomic import write_json
from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.judge import (
    ExtractFn,
    JudgeResult,
    RenderFn,
    judge_models,
    rank_correlation,
    read_metric_results,
)
from emo3d_lib.fei.model import FEIModel

#: JPEG quality of ``emo3d generate``: judged renders take the same round trip as training faces.
JPEG_QUALITY = 92


def judge_face_tools(head: str = "builtin", size: int = 256, jpeg_quality: int | None = JPEG_QUALITY
               ) -> tuple[RenderFn, ExtractFn, str]:
    """The metric's fixed-camera renderer and MediaPipe as (render, extract, description).

    ``extract`` JPEG-encodes each render first (as the dataset's faces were stored before
    MediaPipe read them) and returns (B, 52) scores with NaN rows where no face was found.
    """
    from emo3d_lib.face.mediapipe_extract import shared_extractor
    from emo3d_lib.metric.evaluate import fixed_camera_renderer

    render, name = fixed_camera_renderer(head, size)
    extractor = shared_extractor()

    def extract(images: np.ndarray) -> np.ndarray:
        if jpeg_quality is not None:
            from emo3d_lib.data.generate import decode_jpeg, encode_jpeg

            images = np.stack([decode_jpeg(encode_jpeg(im, jpeg_quality)) for im in images])
        scores = extractor.extract(images)
        return np.stack([np.full(52, np.nan, np.float32) if s is None else s for s in scores])

    extract.close = extractor.close  # type: ignore[attr-defined]  # run_judge releases it
    return render, extract, name


def prompt_settings(metric_source: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The n / split / seed / text column of the metric runs, so both judges see one test set."""
    defaults = {"n": 1000, "split": "test", "seed": 0, "text_column": "text_1"}
    if metric_source is None:
        return defaults
    path = Path(metric_source)
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for f in files:
        try:
            obj = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue
        # one `emo3d evaluate` summary, or notebook 05's table2.json ({"n", "sources": ...})
        if isinstance(obj, dict) and "n" in obj and ("mean_kl" in obj or "sources" in obj):
            return {"n": int(obj["n"]), "split": obj.get("split", "test"),
                    "seed": int(obj.get("selection_seed", obj.get("seed", 0))),
                    "text_column": obj.get("text_column", "text_1")}
    return defaults


def run_judge(
    fei: FEIModel | str | os.PathLike[str], data_dir: str | os.PathLike[str], *,
    checkpoints: Mapping[str, str | os.PathLike[str]] | None = None,
    predictions: Mapping[str, str | os.PathLike[str]] | None = None,
    anchors: Sequence[str] = ("ground-truth", "shuffled"),
    metric_results: str | os.PathLike[str] | None = None,
    n_prompts: int | None = None, fusion: str | None = None, n_boot: int = 1000, seed: int = 0,
    out_dir: str | os.PathLike[str] | None = None,
    tools: tuple[RenderFn, ExtractFn, str] | None = None,
) -> tuple[JudgeResult, dict[str, Any]]:
    """Judge checkpoints, predictions files and anchors on the metric's test prompts.

    Returns the judge result and the JSON-ready summary (also written to
    ``out_dir/judge_results.json``), with the rank correlation to the metric when
    ``metric_results`` is given.
    """
    from emo3d_lib.metric.evaluate import source_blendshapes
    from emo3d_lib.metric.prompts import available_prompts, load_metric_prompts

    model = fei if isinstance(fei, FEIModel) else FEIModel.load(fei)
    for what, path in [*(("--checkpoints", p) for p in (checkpoints or {}).values()),
                       *(("--predictions", p) for p in (predictions or {}).values()),
                       *([("--metric-results", metric_results)] if metric_results else [])]:
        if not Path(path).exists():  # named now, not after every face is rendered
            raise Emo3DError(f"{what} {path} does not exist")
    metric = read_metric_results(metric_results) if metric_results is not None else None
    settings = prompt_settings(metric_results)
    if n_prompts is not None:
        settings["n"] = int(n_prompts)
    # a small dataset is judged on all its eligible prompts instead of failing on n = 1000
    settings["n"] = min(settings["n"], available_prompts(data_dir, settings["split"]))
    prompts = load_metric_prompts(data_dir, n=settings["n"], split=settings["split"],
                                  seed=settings["seed"], text_column=settings["text_column"])
    faces: dict[str, np.ndarray] = {}
    for name, ckpt in (checkpoints or {}).items():
        faces[name], _ = source_blendshapes(prompts, checkpoint=str(ckpt))
    for name, path in (predictions or {}).items():
        faces[name], _ = source_blendshapes(prompts, predictions=str(path))
    for name in anchors:
        faces[name], _ = source_blendshapes(prompts, anchor=name, data_dir=data_dir, seed=seed)
    if not faces:
        raise Emo3DError("judge: give at least one checkpoint, predictions file or anchor")
    render, extract, renderer_name = tools or judge_face_tools()
    try:
        result = judge_models(model, prompts.emotions, faces, render, extract, fusion=fusion,
                              n_boot=n_boot, seed=seed)
    finally:
        if tools is None:
            extract.close()  # type: ignore[attr-defined]
    summary: dict[str, Any] = {**result.to_json(), "renderer": renderer_name,
                               "prompts": {**settings, "n": len(prompts)},
                               "sources": {"checkpoints": {k: str(v) for k, v in
                                                           (checkpoints or {}).items()},
                                           "predictions": {k: str(v) for k, v in
                                                           (predictions or {}).items()},
                                           "anchors": list(anchors)}}
    if metric is not None:
        summary["metric"] = metric.reset_index().to_dict(orient="records")
        summary["rank_correlation"] = rank_correlation(result.table, metric)
        baselines = [m for m in result.table.index if m not in anchors]
        summary["rank_correlation_baselines"] = rank_correlation(
            result.table.loc[baselines], metric)
    if out_dir is not None:
        write_json(Path(out_dir) / "judge_results.json", summary)
    return result, summary


def _named(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).stem, item
        if not name or not path:
            raise Emo3DError(f"--{what} {item!r}: expected NAME=PATH")
        out[name] = path
    return out


def judge_command(args: argparse.Namespace) -> int:
    """``emo3d judge``: see ``emo3d judge --help``."""
    from emo3d_lib.models.checkpoint import find_checkpoints

    checkpoints = _named(args.checkpoints, "checkpoints")
    if args.runs:
        checkpoints = {**find_checkpoints(args.runs), **checkpoints}
    result, summary = run_judge(
        args.fei, args.data, checkpoints=checkpoints,
        predictions=_named(args.predictions, "predictions"), anchors=args.anchors,
        metric_results=args.metric_results, n_prompts=args.n_prompts, fusion=args.fusion,
        n_boot=args.n_boot, seed=args.seed, out_dir=args.out)
    print(result.table.drop(columns=["read_as"]).round(4).to_string())
    rc = summary.get("rank_correlation")
    if rc:
        print(f"Spearman rho (judge KL vs metric mean KL) over {rc['n_models']} models: "
              f"{rc['spearman_kl']}")
    print(f"wrote {Path(args.out) / 'judge_results.json'}")
    return 0
