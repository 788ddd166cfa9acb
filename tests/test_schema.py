"""Release-format I/O: the hand-written fixture, round trips, determinism and malformed rows."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emo3d_lib import schema as S
from emo3d_lib.errors import Emo3DError
from emo3d_lib.text.generator import generate_text_samples

FIXTURE = Path(__file__).parent / "data" / "emo3d_release"


def _text_only(seed: int, n: int) -> pd.DataFrame:
    df = generate_text_samples(seed, 0, n)
    for col in (*S.IMAGE_COLUMNS, *S.SCORE_COLUMNS):
        df[col] = None
    df["split"] = np.array(S.SPLITS)[np.arange(n) % 3]
    return df


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_fixture_loads_with_one_call() -> None:
    df = S.load_dataset(FIXTURE)
    assert list(df.columns) == [*S.RELEASE_COLUMNS, "split"]
    assert df["sample_id"].tolist() == [0, 1, 2, 3, 4]
    assert df.set_index("sample_id")["split"].to_dict() == {
        0: "train", 1: "train", 2: "val", 3: "test", 4: "train"}
    row = df.iloc[0]
    assert row["text_1"] == "This elderly female is showing intense despair in her face."
    assert row["text_2"] == "This woman in her old age looks disheartened."
    emo = S.emotion_matrix(df)
    assert emo.dtype == np.float32 and emo.shape == (5, 8)
    np.testing.assert_allclose(emo[0], [0.2, 0, 0, 0.9, 0, 0, 0, 0.1], atol=1e-6)
    scores = S.score_matrix(df, 1)
    assert scores.shape == (5, 52) and scores.dtype == np.float32
    assert scores[0, S.BLENDSHAPES.index("browDownLeft")] == pytest.approx(0.271)
    assert scores[0, S.BLENDSHAPES.index("eyeSquintLeft")] == pytest.approx(0.578)
    assert scores[0, S.BLENDSHAPES.index("mouthPucker")] == pytest.approx(0.672)
    assert np.isnan(scores[4]).all()  # text-only row: no face
    assert np.isnan(S.score_matrix(df, 2)[1]).all()  # image without a detected face
    assert df.loc[4, "img_1"] is None


def test_loader_accepts_csv_only_and_index_columns(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "rel")
    data = tmp_path / "rel" / "data"
    (data / S.PARQUET_NAME).unlink()
    train = pd.read_csv(data / "train_data.csv")
    train.to_csv(data / "train_data.csv")  # pandas default: an extra unnamed index column
    df = S.load_dataset(tmp_path / "rel")
    assert df["sample_id"].tolist() == [0, 1, 2, 3, 4]
    assert df.loc[df.sample_id == 3, "split"].item() == "test"


def test_triples_one_row_per_text_and_face() -> None:
    t = S.triples(S.load_dataset(FIXTURE))
    # faces: sample 0 -> images 1, 2; sample 1 -> 1, 3; samples 2, 3 -> 1; sample 4 none.
    assert len(t) == 3 * (2 + 2 + 1 + 1)
    assert set(t["sample_id"]) == {0, 1, 2, 3}
    first = t[(t.sample_id == 0) & (t.text_index == 2) & (t.image_index == 1)].iloc[0]
    assert first["text"] == "This woman in her old age looks disheartened."
    assert first["img"] == "prompt1_images_0_1000/0_1.jpeg"
    assert first["mouthPucker"] == pytest.approx(0.672)
    assert set(t.loc[t.sample_id == 1, "image_index"]) == {1, 3}
    assert list(t.columns[-52:]) == list(S.BLENDSHAPES)


def test_blendshape_string_round_trip() -> None:
    rng = np.random.default_rng(0)
    vec = np.round(rng.random(52), 3)
    vec[0] = 0.0
    s = S.format_blendshapes(vec)
    assert s.startswith("[0.    ") and "\n" in s  # numpy-printed, wrapped like the release
    assert s == str(np.round(vec, 3))
    np.testing.assert_allclose(S.parse_blendshapes(s), vec, atol=1e-6)
    np.testing.assert_allclose(S.parse_blendshapes(s.replace("\n", "")), vec, atol=1e-6)
    with np.printoptions(precision=2, linewidth=200):
        assert S.format_blendshapes(vec) == s  # independent of global print options


@pytest.mark.parametrize("text, message", [
    ("[0.1 0.2]", "has 2 values, expected 52"),
    ("[" + " ".join(["0.1"] * 51) + " nan]", "NaN"),
    ("[" + " ".join(["0.1"] * 51) + " abc]", "'abc' is not a number"),
    ("[0. 0. ... 0.]", "summarised"),
])
def test_parse_blendshapes_rejects_bad_strings(text: str, message: str) -> None:
    with pytest.raises(Emo3DError, match=message):
        S.parse_blendshapes(text)


def test_round_trip_and_byte_identical_parquet(tmp_path: Path) -> None:
    df = _text_only(3, 30)
    df.loc[2, "img_1"] = "prompt1_images_0_1000/2_1.jpeg"
    df.loc[2, "blenshape_score_1"] = S.format_blendshapes(np.linspace(0, 1, 52))
    S.save_dataset(df, tmp_path / "a")
    S.save_dataset(df.sample(frac=1.0, random_state=1), tmp_path / "b")  # order must not matter
    pa, pb = (tmp_path / x / "data" / S.PARQUET_NAME for x in "ab")
    assert _sha(pa) == _sha(pb)
    back = S.load_dataset(tmp_path / "a", check_images=False)
    assert back["text_1"].tolist() == df["text_1"].tolist()
    np.testing.assert_array_equal(S.emotion_matrix(back), S.emotion_matrix(df))
    assert back["split"].tolist() == df["split"].tolist()
    assert back.loc[2, "img_1"] == "prompt1_images_0_1000/2_1.jpeg"
    assert back.loc[3, "img_1"] is None
    np.testing.assert_allclose(S.score_matrix(back, 1)[2], np.round(np.linspace(0, 1, 52), 3),
                               atol=1e-6)
    for split in S.SPLITS:
        part = pd.read_csv(tmp_path / "a" / "data" / S.SPLIT_CSV[split])
        assert len(part) == int((df["split"] == split).sum())
    # the image does not exist on disk: the default loader says which row and file
    with pytest.raises(Emo3DError, match=r"sample_id=2, column 'img_1'.*does not exist"):
        S.load_dataset(tmp_path / "a")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        S.save_dataset(_text_only(seed, 40), tmp_path / name)
    sha = {n: _sha(tmp_path / n / "data" / S.PARQUET_NAME) for n in "abc"}
    assert sha["a"] == sha["b"]
    assert sha["a"] != sha["c"]


def _fixture_frame() -> pd.DataFrame:
    return S.load_dataset(FIXTURE)


@pytest.mark.parametrize("column, value, message", [
    ("blenshape_score_1", "[0.1 0.2 0.3]", r"sample_id=1, column 'blenshape_score_1'.*3 values"),
    ("blenshape_score_1", "[" + " ".join(["0.5"] * 51) + " nan]",
     r"sample_id=1, column 'blenshape_score_1'.*NaN"),
    ("blenshape_score_1", "[" + " ".join(["0.5"] * 51) + " 1.5]",
     r"sample_id=1, column 'blenshape_score_1'.*outside \[0, 1\]"),
    ("sadness", float("nan"), r"sample_id=1, column 'sadness'.*not in \[0, 1\]"),
    ("anger", 1.4, r"sample_id=1, column 'anger'.*not in \[0, 1\]"),
    ("text_2", "   ", r"sample_id=1, column 'text_2'.*empty"),
    ("text_3", None, r"sample_id=1, column 'text_3'.*empty"),
    ("img_1", "/abs/1_1.jpeg", r"sample_id=1, column 'img_1'.*relative"),
    ("img_1", "prompt1_images_0_1000/1_1.txt", r"sample_id=1, column 'img_1'.*suffix"),
    ("img_1", "prompt1_images_0_1000/missing.jpeg", r"sample_id=1, column 'img_1'.*not exist"),
    ("img_2", None, r"sample_id=1, column 'blenshape_score_2'.*without an image"),
    ("split", "dev", r"sample_id=1, column 'split'"),
])
def test_validate_frame_names_row_and_column(column: str, value: object, message: str) -> None:
    df = _fixture_frame()
    if column == "img_2":  # scores without an image: give image 2 a score, drop the image
        df.loc[1, "blenshape_score_2"] = df.loc[1, "blenshape_score_1"]
    df[column] = df[column].astype(object)
    df.loc[1, column] = value
    with pytest.raises(Emo3DError, match=message):
        S.validate_frame(df, FIXTURE)


def test_bad_rows_in_files_are_reported(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "rel")
    data = tmp_path / "rel" / "data"
    (data / S.PARQUET_NAME).unlink()
    val = pd.read_csv(data / "val_data.csv")
    val.loc[0, "blenshape_score_1"] = "[0.2 0.3]"
    val.to_csv(data / "val_data.csv", index=False)
    with pytest.raises(Emo3DError, match=r"sample_id=2, column 'blenshape_score_1'"):
        S.load_dataset(tmp_path / "rel")
    val.drop(columns=["fear"]).to_csv(data / "val_data.csv", index=False)
    with pytest.raises(Emo3DError, match=r"val_data.csv.*\['fear'\]"):
        S.load_dataset(tmp_path / "rel")


def test_missing_dataset_and_missing_split_rows(tmp_path: Path) -> None:
    with pytest.raises(Emo3DError, match="no Emo3D dataset found"):
        S.load_dataset(tmp_path)
    shutil.copytree(FIXTURE, tmp_path / "rel")
    (tmp_path / "rel" / "data" / "test_data.csv").unlink()
    with pytest.raises(Emo3DError, match=r"sample_id=3: in emo3d_data.parquet but in none"):
        S.load_dataset(tmp_path / "rel")


def test_score_matrix_parameter_check() -> None:
    with pytest.raises(Emo3DError, match="k=5"):
        S.score_matrix(_fixture_frame(), 5)


def test_ids_may_restart_per_prompt_type(tmp_path: Path) -> None:
    """(sample_id, prompt_type) is the key: the release may number each prompt type from 0."""
    shutil.copytree(FIXTURE, tmp_path / "rel")
    data = tmp_path / "rel" / "data"
    full = pd.read_parquet(data / S.PARQUET_NAME)
    full.loc[full.sample_id == 3, "sample_id"] = 0  # prompt2 sample 0 beside prompt1 sample 0
    full.to_parquet(data / S.PARQUET_NAME)
    test = pd.read_csv(data / "test_data.csv")
    test["sample_id"] = 0
    test.to_csv(data / "test_data.csv", index=False)
    df = S.load_dataset(tmp_path / "rel")
    zeros = df[df.sample_id == 0].set_index("prompt_type")["split"].to_dict()
    assert zeros == {"prompt1": "train", "prompt2": "test"}
    dup = df.copy()
    dup.loc[dup.prompt_type == "prompt2", "sample_id"] = 2  # (2, prompt2) twice
    with pytest.raises(Emo3DError, match=r"sample_id=2, column 'sample_id': duplicate"):
        S.validate_frame(dup)
