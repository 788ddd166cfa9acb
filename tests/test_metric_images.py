"""``emo3d evaluate --images DIR --prompts FILE``: the metric of a folder of face images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emo3d_lib import schema
from emo3d_lib.cli import main
from emo3d_lib.metric.emo3d import score_from_embeddings
from emo3d_lib.metric.images import load_images
from emo3d_lib.models import load_clip

N, K, SIZE = 12, 3, 64


@pytest.fixture(scope="module")
def folder(tiny_model_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """N test faces copied to a flat folder (named so that sorting keeps the prompt order)."""
    df = schema.load_dataset(tiny_model_dataset).head(N)
    out = tmp_path_factory.mktemp("faces")
    for i, rel in enumerate(df["img_1"]):
        shutil.copy(tiny_model_dataset / rel, out / f"face_{i:03d}.jpeg")
    table = df[["text_1", *schema.EMOTIONS]].rename(columns={"text_1": "text"})
    table.to_csv(out / "prompts.csv", index=False)
    return out


def test_scores_a_folder_like_the_metric_of_its_embeddings(folder, tiny_clip_checkpoint, capsys):
    code = main(["evaluate", "--images", str(folder), "--prompts", str(folder / "prompts.csv"),
                 "--clip-checkpoint", str(tiny_clip_checkpoint), "--k", str(K), "--size",
                 str(SIZE), "--n-boot", "50", "--quiet"])
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    # the same numbers from the embeddings computed here, image i answering prompt i
    clip = load_clip(str(tiny_clip_checkpoint))
    table = pd.read_csv(folder / "prompts.csv")
    files = sorted(folder.glob("*.jpeg"))
    want = score_from_embeddings(clip.encode_images(load_images(files, SIZE)),
                                 clip.encode_text(list(table["text"])),
                                 table[list(schema.EMOTIONS)].to_numpy(np.float64), k=K)
    assert got["n"] == N and got["k"] == K
    assert got["mean_kl"] == pytest.approx(want.mean_kl, abs=1e-6)
    assert got["exact_match"] == pytest.approx(float(want.exact.mean()))
    assert got["mse"] is None and got["backbone"] == clip.name


def test_names_the_problem_in_one_line(folder, tiny_clip_checkpoint, tmp_path, capsys):
    (tmp_path / "only.jpeg").write_bytes((folder / "face_000.jpeg").read_bytes())
    code = main(["evaluate", "--images", str(tmp_path), "--prompts", str(folder / "prompts.csv"),
                 "--clip-checkpoint", str(tiny_clip_checkpoint), "--k", "2", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"1 images for {N} prompts" in err[0]
    pd.read_csv(folder / "prompts.csv").drop(columns=["anger"]).to_csv(tmp_path / "p.csv")
    assert main(["evaluate", "--images", str(folder), "--prompts", str(tmp_path / "p.csv"),
                 "--quiet"]) == 2
    assert "missing column(s) ['anger']" in capsys.readouterr().err
    assert main(["evaluate", "--images", str(folder), "--quiet"]) == 2
    assert "--images DIR needs --prompts FILE" in capsys.readouterr().err
