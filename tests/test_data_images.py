"""Image half of generation (issue 3 item 7): faces, MediaPipe scores, resume, dask."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib import schema
from emo3d_lib.data.generate import (
    SHARD_DIR,
    GenerationConfig,
    generate_dataset,
    load_manifest,
    pending_shards,
)
from emo3d_lib.paths import REPO_ROOT

IMAGE_PATH = re.compile(r"^(prompt\w*)_images_(\d+)_(\d+)/(\d+)_([1-4])\.jpeg$")


def _files(root: Path) -> dict[str, bytes]:
    """Every file that makes the dataset (tables + images), by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(SHARD_DIR) and not rel.endswith(".json"):
            out[rel] = path.read_bytes()
    return out


def test_image_dataset_paths_scores_and_detection(image_dataset: Path) -> None:
    df = schema.load_dataset(image_dataset)  # validates paths exist and scores parse
    assert len(df) == 80
    for k in (1, 2):
        for sid, rel in zip(df["sample_id"], df[f"img_{k}"], strict=True):
            m = IMAGE_PATH.match(rel)
            assert m, rel
            lo, hi = int(m.group(2)), int(m.group(3))
            assert int(m.group(4)) == sid and int(m.group(5)) == k and lo <= sid < hi
    assert df[["img_3", "img_4"]].isna().all().all()
    manifest = load_manifest(image_dataset)
    assert manifest["counts"]["images"] == 160
    assert manifest["detection_rate"] >= 0.99
    scores = schema.score_matrix(df, 1)
    assert np.nanmax(scores) > 0.3  # real expressions, not a blank face
    assert not np.array_equal(scores[0], scores[1])
    # image 1 and image 2 of a sample are different people: different pixels
    a = (image_dataset / df["img_1"].iloc[0]).read_bytes()
    assert a != (image_dataset / df["img_2"].iloc[0]).read_bytes()


def _cli(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "emo3d_lib.cli", "generate", "--out", str(out),
            "--samples", "24", "--seed", "5", "--images-per-sample", "1", "--shard-size", "4",
            "--image-size", "192", "--no-progress", *extra]


def test_kill_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    config = GenerationConfig(samples=24, seed=5, images_per_sample=1, shard_size=4,
                              image_size=192)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli(killed, "--workers", "1"), cwd=REPO_ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    try:
        while len(pending_shards(config, killed)) > config.n_shards - 2:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "generation did not start"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = len(pending_shards(config, killed))
    assert 0 < left < config.n_shards  # killed mid-way
    assert not (killed / "data" / schema.PARQUET_NAME).exists()
    resumed = generate_dataset(config, killed, workers=1, progress=False)
    assert resumed["run"]["shards_generated"] == left
    clean = tmp_path / "clean"
    generate_dataset(config, clean, workers=1, progress=False)
    assert _files(killed) == _files(clean)
    assert not list(killed.rglob(".*.tmp"))


@pytest.mark.slow
def test_dask_local_cluster_equals_process_pool(tmp_path: Path) -> None:
    from distributed import LocalCluster

    config = GenerationConfig(samples=12, seed=9, images_per_sample=1, shard_size=4,
                              image_size=192)
    generate_dataset(config, tmp_path / "pool", workers=2, progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        manifest = generate_dataset(config, tmp_path / "dask",
                                    scheduler=cluster.scheduler_address, progress=False)
    assert manifest["run"]["scheduler"] == cluster.scheduler_address
    assert manifest["run"]["shards_generated"] == config.n_shards
    assert _files(tmp_path / "dask") == _files(tmp_path / "pool")
