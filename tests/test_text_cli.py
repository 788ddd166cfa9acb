"""``emo3d annotate`` and ``emo3d analyze`` on the hand-written release fixture."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.text import cli

FIXTURE = Path(__file__).parent / "data" / "emo3d_release"


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="emo3d")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_annotate_writes_report(tmp_path: Path) -> None:
    out = tmp_path / "agreement.json"
    assert _run(["annotate", "--data", str(FIXTURE), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 5
    assert 0.0 <= report["dominant_agreement"] <= 1.0
    assert report["paper_human_check"]["system_vs_human_agreement"] == 0.81
    assert set(report["per_class"]) <= {"happiness", "sadness", "anger", "fear", "contempt"}


def test_analyze_writes_tables(tmp_path: Path) -> None:
    assert _run(["analyze", "--data", str(FIXTURE), "--out", str(tmp_path / "t"),
                 "--top-n", "3", "--no-synsets"]) == 0
    t3 = pd.read_csv(tmp_path / "t" / "table3_statistics.csv", index_col=0)
    assert list(t3.index) == ["happiness", "sadness", "anger", "fear", "contempt"]
    assert (t3["descriptions"] == 3).all()
    t4 = pd.read_csv(tmp_path / "t" / "table4_frequent_words.csv", index_col=0)
    assert len(t4) == 3


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Emo3DError, match="no Emo3D dataset found"):
        _run(["annotate", "--data", str(tmp_path)])


def test_emo3d_entry_point_runs_annotate(tmp_path: Path) -> None:
    """Through the real ``emo3d`` parser (every stage registers its commands)."""
    from emo3d_lib.cli import main

    out = tmp_path / "a.json"
    assert main(["annotate", "--data", str(FIXTURE), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["n"] == 5
    assert main(["annotate", "--data", str(tmp_path / "missing")]) == 2  # Emo3DError -> exit 2
