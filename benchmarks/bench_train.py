"""Benchmark: train Emo3D-CLIP and the five baselines on one dataset; print time and test MSE.

Bar (issue 4): each model trains on the default dataset (4,000 samples x 2 images) in <= 10 min on
2 CPU cores and beats the mean predictor's test MSE; Emo3D-CLIP recall@10 far above chance.

    .venv/bin/python benchmarks/bench_train.py [--data data/datasets/book-full] [--out DIR]

Each model's time is its whole ``train()`` call (embedding the texts from scratch, i.e. with an
empty embedding cache, plus training and evaluation). Emo3D-CLIP is trained once, first, and
reused by clip-mlp and vae-clip (its time is reported on its own line). Models run in the order
given, so the first one using MiniLM (lm-mlp) pays for embedding the texts and Emo3D-CLIP,
clip-mlp and vae-clip reuse the cached MiniLM features; each line reports its embedding time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emo3d_lib.models.registry import list_models  # noqa: E402  (after the sys.path line)

MODELS = tuple(list_models())


def train_emo3d_clip(data: str, clip_dir: Path, seed: int, cache_dir: Path) -> tuple[dict, float]:
    from emo3d_lib.models.train_clip import train_clip

    t0 = time.perf_counter()
    clip = train_clip(data, clip_dir, seed=seed, cache_dir=cache_dir)
    clip_s = time.perf_counter() - t0
    t2i, chance = clip["test"]["text_to_image"], clip["test"]["text_to_image_chance"]
    i2t, chance_i = clip["test"]["image_to_text"], clip["test"]["image_to_text_chance"]
    print(f"Emo3D-CLIP: {clip_s:7.1f} s  text->image R@1/5/10 "
          f"{t2i['R@1']:.3f}/{t2i['R@5']:.3f}/{t2i['R@10']:.3f} "
          f"(chance {chance['R@1']:.3f}/{chance['R@5']:.3f}/{chance['R@10']:.3f}); image->text "
          f"{i2t['R@1']:.3f}/{i2t['R@5']:.3f}/{i2t['R@10']:.3f} "
          f"(chance {chance_i['R@1']:.3f}/{chance_i['R@5']:.3f}/{chance_i['R@10']:.3f}); "
          f"{clip['test']['n_texts']} texts x {clip['test']['n_images']} images")
    return clip, clip_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "datasets" / "book-full"))
    parser.add_argument("--out", default=str(ROOT / "data" / "runs" / "bench-train"))
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-cache", action="store_true",
                        help="reuse cached embeddings (default: start from an empty cache)")
    args = parser.parse_args()

    from emo3d_lib.models.train import train
    out = Path(args.out)
    cache_dir = out / "embedding-cache"
    if cache_dir.exists() and not args.keep_cache:
        shutil.rmtree(cache_dir)
    rows = []
    print(f"data: {args.data}  torch threads: {os.environ.get('EMO3D_TORCH_THREADS', 'default')}"
          f"  cores: {os.cpu_count()}")
    clip_dir = out / "emo3d-clip"
    clip, clip_s = None, 0.0
    for name in args.models:
        if name in ("clip-mlp", "vae-clip") and clip is None:
            clip, clip_s = train_emo3d_clip(args.data, clip_dir, args.seed, cache_dir)
        t0 = time.perf_counter()
        m = train(args.data, name, out / name, seed=args.seed, clip_checkpoint=str(clip_dir),
                  cache_dir=cache_dir)
        secs = time.perf_counter() - t0
        rows.append({"model": name, "seconds": secs, **{k: m[k] for k in (
            "backbone", "test_mse", "mean_predictor_test_mse", "nn_baseline_test_mse",
            "best_epoch", "epochs", "device", "embedding_time_s", "training_time_s")}})
        r = rows[-1]
        verdict = "beats mean" if r["test_mse"] < r["mean_predictor_test_mse"] else "MISSES mean"
        print(f"{name:17s} {secs:7.1f} s  test MSE {r['test_mse']:.5f}  "
              f"mean {r['mean_predictor_test_mse']:.5f}  NN {r['nn_baseline_test_mse']:.5f}  "
              f"[{verdict}; <=600 s: {secs <= 600}]  embed {r['embedding_time_s']:.0f} s  "
              f"backbone {r['backbone']}")
    summary = {"data": args.data, "clip_seconds": clip_s, "clip_test": clip and clip["test"],
               "models": rows}
    (out / "bench_train.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {out / 'bench_train.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
