"""Same seed, same metrics.json for every model family as before families became objects.

The expected values were recorded by the pre-refactor code (``tests/fixtures/family_metrics.py``
says how). Tolerance: 1e-6 absolute, not bit-exact, because the last digits of a float32 training
depend on torch's thread count (measured: 1 vs 2 threads moves a test MSE by ~1e-9); a change of
the training itself (another batch order, loss or init) moves every figure by far more than 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.family_metrics import FIXTURE, run_all

TOLERANCE = 1e-6


def _diff(want: Any, got: Any, where: str) -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        if set(want) != set(got):
            return [f"{where}: keys {sorted(set(want) ^ set(got))} differ"]
        return [d for k in want for d in _diff(want[k], got[k], f"{where}.{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{where}: length {len(got)} != {len(want)}"]
        return [d for i, (a, b) in enumerate(zip(want, got, strict=True))
                for d in _diff(a, b, f"{where}[{i}]")]
    if isinstance(want, float) and isinstance(got, (int, float)):
        return [] if abs(want - got) <= TOLERANCE else [f"{where}: {got} != {want}"]
    return [] if want == got else [f"{where}: {got!r} != {want!r}"]


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory,
             monkeypatch_module: None) -> dict[str, Any]:
    return run_all(tmp_path_factory.mktemp("families"))


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    mp = pytest.MonkeyPatch()
    mp.setenv("EMO3D_TORCH_THREADS", "1")  # as recorded
    yield None
    mp.undo()


def test_tiny_clip_is_the_recorded_one(produced: dict[str, Any]) -> None:
    """The CLIP families stand on this CLIP: if it changed, their figures cannot match."""
    want = json.loads(Path(FIXTURE).read_text(encoding="utf-8"))["clip"]
    assert _diff(want, produced["clip"], "clip") == [], (
        "the tiny Emo3D-CLIP differs from the recorded one (models/train_clip.py changed), so "
        "clip-mlp / vae-clip cannot match either: if the CLIP change is intended, re-record with "
        "`EMO3D_TORCH_THREADS=1 python -m tests.fixtures.family_metrics --record`")


@pytest.mark.parametrize("run", sorted(json.loads(Path(FIXTURE).read_text())["runs"]))
def test_family_metrics_match_the_recorded_values(run: str, produced: dict[str, Any]) -> None:
    want = json.loads(Path(FIXTURE).read_text(encoding="utf-8"))["runs"][run]
    assert _diff(want, produced["runs"][run], run) == []
