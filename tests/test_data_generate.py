"""Text-only generation (issue 2 item 5): release schema, splits, determinism, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from emo3d_lib import cli as emo3d_cli
from emo3d_lib import schema
from emo3d_lib.data.generate import (
    CONFIG_NAME,
    SHARD_DIR,
    GenerationConfig,
    code_fingerprint,
    generate_dataset,
    load_manifest,
    shard_table_path,
)
from emo3d_lib.errors import Emo3DError


def _bytes(root: Path) -> dict[str, bytes]:
    names = [schema.PARQUET_NAME, *schema.SPLIT_CSV.values()]
    return {n: (root / "data" / n).read_bytes() for n in names}


def test_text_dataset_is_in_release_format(text_dataset: Path) -> None:
    df = schema.load_dataset(text_dataset)
    assert len(df) == 200 and list(df.columns[:21]) == list(schema.RELEASE_COLUMNS)
    assert df[list(schema.IMAGE_COLUMNS + schema.SCORE_COLUMNS)].isna().all().all()
    counts = df["split"].value_counts()
    assert counts["train"] == pytest.approx(160, abs=8) and counts["test"] >= 15
    manifest = load_manifest(text_dataset)
    assert manifest["counts"]["texts"] == 600 and manifest["counts"]["images"] == 0
    assert manifest["detection_rate"] is None


def test_same_seed_is_byte_identical_other_seed_differs(tmp_path: Path,
                                                        text_dataset: Path) -> None:
    # same seed, different shard size and worker count: still the same bytes
    config = GenerationConfig(samples=200, seed=0, images_per_sample=0, shard_size=64)
    generate_dataset(config, tmp_path / "again", workers=2, progress=False)
    assert _bytes(tmp_path / "again") == _bytes(text_dataset)
    other = GenerationConfig(samples=200, seed=1, images_per_sample=0, shard_size=100)
    generate_dataset(other, tmp_path / "other", workers=1, progress=False)
    a, b = _bytes(tmp_path / "other"), _bytes(text_dataset)
    assert all(a[n] != b[n] for n in a)


def test_rerun_skips_done_shards_and_refuses_other_config(tmp_path: Path) -> None:
    config = GenerationConfig(samples=30, seed=2, images_per_sample=0, shard_size=10)
    generate_dataset(config, tmp_path, workers=1, progress=False)
    before = _bytes(tmp_path)
    shard_table_path(tmp_path, 1).unlink()  # as if killed before shard 1 finished
    manifest = generate_dataset(config, tmp_path, workers=1, progress=False)
    assert manifest["run"]["shards_generated"] == 1
    assert _bytes(tmp_path) == before
    with pytest.raises(Emo3DError, match="different config"):
        generate_dataset(GenerationConfig(samples=31, seed=2, images_per_sample=0,
                                          shard_size=10), tmp_path, workers=1, progress=False)


def test_other_code_is_refused_unless_restart(tmp_path: Path) -> None:
    config = GenerationConfig(samples=20, seed=4, images_per_sample=0, shard_size=10)
    generate_dataset(config, tmp_path, workers=1, progress=False)
    before = _bytes(tmp_path)
    pinned = tmp_path / SHARD_DIR / CONFIG_NAME
    stale = json.loads(pinned.read_text())
    assert stale["code_fingerprint"] == code_fingerprint(config)
    stale["code_fingerprint"] = "0" * 16  # as if the generator changed since
    pinned.write_text(json.dumps(stale))
    with pytest.raises(Emo3DError, match="code_fingerprint"):
        generate_dataset(config, tmp_path, workers=1, progress=False)
    manifest = generate_dataset(config, tmp_path, workers=1, progress=False, restart=True)
    assert manifest["run"]["shards_generated"] == config.n_shards  # all regenerated
    assert json.loads(pinned.read_text())["code_fingerprint"] == code_fingerprint(config)
    assert _bytes(tmp_path) == before


@pytest.mark.parametrize(("field", "value"), [
    ("samples", 0), ("images_per_sample", 5), ("head", "nope"), ("shard_size", 0),
    ("image_size", 10), ("seed", -1), ("samples", 2.5),
])
def test_invalid_config_names_the_parameter(field: str, value: object) -> None:
    kwargs = {"samples": 10, field: value}
    with pytest.raises(Emo3DError, match=field):
        GenerationConfig(**kwargs)  # type: ignore[arg-type]


def test_cli_generates_text_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = emo3d_cli.main(["generate", "--out", str(tmp_path), "--samples", "20", "--seed", "3",
                          "--images-per-sample", "0", "--workers", "1", "--no-progress"])
    assert code == 0
    assert '"samples": 20' in capsys.readouterr().out
    df = pd.read_parquet(tmp_path / "data" / schema.PARQUET_NAME)
    assert df["sample_id"].tolist() == list(range(20))


@pytest.mark.parametrize(("argv", "message"), [
    (["--samples", "0"], "samples"),
    (["--samples", "5", "--images-per-sample", "9"], "images_per_sample"),
    (["--samples", "5", "--head", "blender"], "head"),
    (["--samples", "5", "--workers", "0"], "workers"),
    (["--samples", "5", "--split", "0.9,0.9,0.1"], "sum to 1"),
    (["--samples", "5", "--scheduler", " "], "scheduler"),
    (["--samples", "5", "--scheduler", "bogus://host:1"], "cannot reach dask scheduler"),
])
def test_cli_refuses_invalid_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        argv: list[str], message: str) -> None:
    code = emo3d_cli.main(["generate", "--out", str(tmp_path), "--no-progress", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_unknown_options(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        emo3d_cli.main(["generate", "--out", str(tmp_path), "--samples", "5", "--colour", "red"])
    assert exc.value.code == 2
