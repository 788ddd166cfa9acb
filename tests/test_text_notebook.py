"""Papermill run of notebooks/02_linguistic_analysis.ipynb on a small text-only dataset."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from emo3d_lib import schema
from emo3d_lib.paths import REPO_ROOT
from emo3d_lib.text.generator import generate_text_samples

NOTEBOOK = REPO_ROOT / "notebooks" / "02_linguistic_analysis.ipynb"


def _text_dataset(root: Path, n: int) -> None:
    """A text-only dataset in the release layout, split 8/1/1 within each dominant class."""
    df = generate_text_samples(0, 0, n)
    for col in (*schema.IMAGE_COLUMNS, *schema.SCORE_COLUMNS):
        df[col] = None
    rank = df.groupby(schema.dominant_emotion(df)).cumcount().to_numpy()
    df["split"] = np.where(rank % 10 == 8, "val", np.where(rank % 10 == 9, "test", "train"))
    schema.save_dataset(df, root)


def test_notebook_metadata_and_parameters() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    meta = nb.metadata["emo3d"]
    assert meta["depends_on"] == ["01_dataset_generation"]
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for name in ("data_dir", "runs_dir", "profile", "top_n", *meta["smoke"]):
        assert f"{name} = " in params.source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_notebook_runs_on_smoke_parameters(tmp_path: Path) -> None:
    import papermill

    data, runs = tmp_path / "data", tmp_path / "runs"
    _text_dataset(data, 150)
    smoke = nbformat.read(NOTEBOOK, as_version=4).metadata["emo3d"]["smoke"]
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
        parameters={"data_dir": str(data), "runs_dir": str(runs), "profile": "smoke", **smoke},
    )
    executed = nbformat.read(out, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "Table 3." in text and "EmoLex vs offline generator" in text
    assert "identical to this corpus" in text and "NO: the dataset" not in text
    report = json.loads((runs / "02_linguistic_analysis" / "emolex_agreement.json").read_text())
    assert report["n"] == smoke["agreement_samples"]
    assert 0.3 < report["dominant_agreement"] <= 1.0
    assert (runs / "02_linguistic_analysis" / "table5_6_frequent_synsets.csv").is_file()
    n_images = text.count("image/png")
    assert n_images >= 4  # Figures 8, 9, 10 and the confusion matrix
