"""Chapter 3's overview reads each model's metrics.json (one source) and rounds consistently."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

from emo3d_lib.book.training_overview import comparison_figure, styled, training_runs

matplotlib.use("Agg")


def test_overview_reads_the_runs_and_rounds(tmp_path: Path) -> None:
    assert training_runs(tmp_path).empty
    for name, mse in (("lm-mlp", 0.012345), ("vae-clip", 0.0301)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({
            "backbone": "b", "test_mse": mse, "mean_predictor_test_mse": 0.02,
            "nn_baseline_test_mse": 0.025, "best_epoch": 3, "epochs": 5,
            "wall_time_s": 12.3456}))
    runs = training_runs(tmp_path)
    assert list(runs.index) == ["lm-mlp", "vae-clip"]  # the paper's order, untrained left out
    html = styled(runs).to_html()
    assert "0.0123" in html and "0.012345" not in html  # MSE to 4 decimals
    assert ">12<" in html and "12.3456" not in html  # seconds whole
    assert "+38%" in html  # 1 - 0.012345 / 0.02
    assert "0.03<" in html  # the paper's BERT MSE beside ours
    fig = comparison_figure(runs)
    assert len(fig.axes[0].patches) == 2
