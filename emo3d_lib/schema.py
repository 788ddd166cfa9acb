"""Names and order of the Emo3D release: 8 emotions, 52 MediaPipe blendshapes, column names.

Everything that indexes an emotion or blendshape vector uses these tuples, so the order of the
released dataset (``llm-lab/Emo3D``) is defined in exactly one place. The second half reads,
writes and validates the release files (parquet + split CSVs) for every other stage.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib.errors import Emo3DError
from emo3d_lib.visible_text import is_blank

EMOTIONS: tuple[str, ...] = (
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
)

BLENDSHAPES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
N_BLENDSHAPES = len(BLENDSHAPES)  # 52, as released and as MediaPipe outputs
N_EMOTIONS = len(EMOTIONS)

#: The reference notebooks train on 51 outputs (``_neutral`` dropped; MediaPipe keeps it at 0).
#: ``output_blendshapes(include_neutral)`` is the one place that choice is made.
ARKIT_BLENDSHAPES: tuple[str, ...] = BLENDSHAPES[1:]


def output_blendshapes(include_neutral: bool) -> tuple[str, ...]:
    """Names of a model's outputs: 52 with ``_neutral`` (paper text) or 51 (reference code)."""
    return BLENDSHAPES if include_neutral else ARKIT_BLENDSHAPES


def _mirror_name(name: str) -> str:
    for a, b in (("Left", "Right"), ("Right", "Left")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return name


#: name -> its left/right mirror (``mouthLeft`` <-> ``mouthRight``, ``jawLeft`` <-> ``jawRight``).
MIRROR_NAME: dict[str, str] = {n: _mirror_name(n) for n in BLENDSHAPES}
#: index permutation: ``mirrored = vec[..., MIRROR_INDEX]`` swaps every left/right pair.
MIRROR_INDEX: tuple[int, ...] = tuple(BLENDSHAPES.index(MIRROR_NAME[n]) for n in BLENDSHAPES)
MIRROR_WORDS: dict[str, str] = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}

# Columns of the released parquet / CSV files (21 columns, in release order).
TEXT_COLUMNS: tuple[str, ...] = ("text_1", "text_2", "text_3")
MAX_IMAGES = 4
IMAGE_COLUMNS: tuple[str, ...] = tuple(f"img_{i}" for i in range(1, MAX_IMAGES + 1))
SCORE_COLUMNS: tuple[str, ...] = tuple(f"blenshape_score_{i}" for i in range(1, MAX_IMAGES + 1))
RELEASE_COLUMNS: tuple[str, ...] = (
    ("sample_id", "prompt_type", *TEXT_COLUMNS, *EMOTIONS, *IMAGE_COLUMNS, *SCORE_COLUMNS)
)
SPLITS: tuple[str, ...] = ("train", "val", "test")

# --------------------------------------------------------------------------------------------
# Reading, writing and validating the release format.
# --------------------------------------------------------------------------------------------
PARQUET_NAME = "emo3d_data.parquet"
#: What identifies a row. Our ids are unique on their own; the release's image folders
#: (``prompt1_images_0_1000``) suggest ids may restart per prompt type, so the pair is the key.
SAMPLE_KEY: tuple[str, str] = ("sample_id", "prompt_type")
SPLIT_CSV: dict[str, str] = {s: f"{s}_data.csv" for s in SPLITS}
IMAGE_SUFFIXES: tuple[str, ...] = (".jpeg", ".jpg", ".png")
BLENDSHAPE_DECIMALS = 3
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf", re.IGNORECASE)


def _is_missing(value: Any) -> bool:
    """None, NaN and pandas NA all mean "no image / no face" in the release files."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_blendshapes(vec: Iterable[float]) -> str:
    """52 scores -> the release's numpy-printed string (3 decimals, 75-char lines).

    The release stored ``str(np.round(scores, 3))``; fixing every print option here makes the
    string independent of the caller's ``np.set_printoptions``.
    """
    arr = np.asarray(vec, dtype=np.float64).reshape(-1)
    if arr.shape[0] != N_BLENDSHAPES:
        raise Emo3DError(f"blendshape vector has {arr.shape[0]} values, expected {N_BLENDSHAPES}")
    if not np.all(np.isfinite(arr)):
        raise Emo3DError("blendshape vector contains NaN or infinite values")
    arr = np.round(arr, BLENDSHAPE_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    return np.array2string(
        arr, max_line_width=75, precision=8, separator=" ", floatmode="maxprec",
        suppress_small=False, threshold=1000, sign="-",
    )


def parse_blendshapes(s: str, where: str = "blendshape string") -> np.ndarray:
    """Release string (``"[0.    0.271 ...]"``, possibly wrapped) -> float32 array (52,)."""
    if _is_missing(s) or not isinstance(s, str):
        raise Emo3DError(f"{where}: expected a string of {N_BLENDSHAPES} numbers, got {s!r}")
    if "..." in s:
        raise Emo3DError(f"{where}: numpy summarised the vector ('...'); values are missing")
    body = s.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    tokens = [t for t in re.split(r"[\s,]+", body) if t]
    if any(not _NUMBER.fullmatch(t) for t in tokens):
        bad = next(t for t in tokens if not _NUMBER.fullmatch(t))
        raise Emo3DError(f"{where}: {bad!r} is not a number")
    values = np.array([float(t) for t in tokens], dtype=np.float32)
    if values.shape[0] != N_BLENDSHAPES:
        raise Emo3DError(f"{where}: has {values.shape[0]} values, expected {N_BLENDSHAPES}")
    if not np.all(np.isfinite(values)):
        raise Emo3DError(f"{where}: contains NaN or infinite values")
    return values


def _where(df: pd.DataFrame, pos: int, column: str) -> str:
    sid = df["sample_id"].iloc[pos] if "sample_id" in df.columns else pos
    return f"row sample_id={sid}, column {column!r}"


def validate_frame(
    df: pd.DataFrame, root: str | os.PathLike[str] | None = None, *, require_split: bool = False
) -> None:
    """Raise ``Emo3DError`` naming row (sample_id) and column for the first bad value.

    Checks: all release columns present; unique integer sample ids; non-empty texts; 8
    intensities in [0, 1] without NaN; image paths relative, with an image suffix and (when
    ``root`` is given) an existing file; blendshape strings of 52 finite numbers in [0, 1], only
    where an image exists; ``split`` in train/val/test when present or required.
    """
    missing = [c for c in RELEASE_COLUMNS if c not in df.columns]
    if missing:
        raise Emo3DError(f"dataset lacks release column(s) {missing}")
    if require_split and "split" not in df.columns:
        raise Emo3DError("dataset lacks the 'split' column (train/val/test)")
    ids = df["sample_id"]
    if ids.isna().any():
        pos = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise Emo3DError(f"row {pos}, column 'sample_id': missing sample id")
    if not pd.api.types.is_integer_dtype(ids):
        try:
            as_int = ids.astype(np.int64)
        except (TypeError, ValueError) as err:
            raise Emo3DError(f"column 'sample_id' must hold integers: {err}") from None
        if not np.array_equal(as_int.to_numpy(), ids.to_numpy(dtype=np.float64)):
            raise Emo3DError("column 'sample_id' must hold integers")
    dup = df.duplicated(list(SAMPLE_KEY))
    if dup.any():
        raise Emo3DError(f"row sample_id={ids[dup].iloc[0]}, column 'sample_id': duplicate id "
                         f"(within prompt_type {df['prompt_type'][dup].iloc[0]!r})")
    for col in TEXT_COLUMNS:
        for pos, text in enumerate(df[col].to_numpy()):
            if _is_missing(text) or is_blank(text):
                raise Emo3DError(f"{_where(df, pos, col)}: empty or missing text (nothing "
                                 "visible after removing invisible characters)")
    for col in EMOTIONS:
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0.0) | (values > 1.0))
        if bad.size:
            pos = int(bad[0])
            raise Emo3DError(
                f"{_where(df, pos, col)}: intensity {df[col].iloc[pos]!r} is not in [0, 1]"
            )
    root_path = Path(root) if root is not None else None
    for img_col, score_col in zip(IMAGE_COLUMNS, SCORE_COLUMNS, strict=True):
        images, scores = df[img_col].to_numpy(), df[score_col].to_numpy()
        for pos, (img, score) in enumerate(zip(images, scores, strict=True)):
            if _is_missing(img):
                if not _is_missing(score):
                    raise Emo3DError(
                        f"{_where(df, pos, score_col)}: blendshape scores without an image"
                    )
                continue
            problem = _image_path_problem(img, root_path)
            if problem:
                raise Emo3DError(f"{_where(df, pos, img_col)}: {problem}")
        parsed = _parse_column(scores, lambda pos, c=score_col: _where(df, pos, c))
        bad = np.flatnonzero(np.any((parsed < 0.0) | (parsed > 1.0), axis=1))
        if bad.size:
            where = _where(df, int(bad[0]), score_col)
            raise Emo3DError(f"{where}: blendshape scores outside [0, 1]")
    if "split" in df.columns:
        bad_split = ~df["split"].isin(SPLITS)
        if bad_split.any():
            pos = int(np.flatnonzero(bad_split.to_numpy())[0])
            raise Emo3DError(
                f"{_where(df, pos, 'split')}: {df['split'].iloc[pos]!r} is not one of {SPLITS}"
            )


def _image_path_problem(img: Any, root: Path | None) -> str | None:
    """What is wrong with one ``img_k`` value, or None (cheap: runs on every image)."""
    if not isinstance(img, str) or not img.strip():
        return f"image path {img!r} is not a non-empty string"
    path = PurePosixPath(img.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return f"image path {img!r} must be relative to the dataset root"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"image path {img!r} has no image suffix {IMAGE_SUFFIXES}"
    if root is not None and not (root / path).is_file():
        return (f"image file {root / path} does not exist (extract the image zips under the "
                "dataset root, or load with check_images=False)")
    return None


def _data_dir(root: Path) -> Path:
    """``ROOT/data`` as the release lays it out; a folder holding the files directly also works."""
    if (root / "data" / PARQUET_NAME).is_file() or (root / "data" / SPLIT_CSV["train"]).is_file():
        return root / "data"
    return root


def _normalise(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Release columns with stable dtypes: int64 ids, float64 intensities, str-or-None elsewhere."""
    df = df.loc[:, [c for c in df.columns if not str(c).startswith("Unnamed")]]
    missing = [c for c in RELEASE_COLUMNS if c not in df.columns]
    if missing:
        raise Emo3DError(f"{source}: lacks release column(s) {missing}")
    out = df.loc[:, list(RELEASE_COLUMNS) + (["split"] if "split" in df.columns else [])].copy()
    try:
        out["sample_id"] = out["sample_id"].astype(np.int64)
    except (TypeError, ValueError) as err:
        raise Emo3DError(f"{source}: column 'sample_id' must hold integers ({err})") from None
    for col in EMOTIONS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
    for col in ("prompt_type", *TEXT_COLUMNS, *IMAGE_COLUMNS, *SCORE_COLUMNS):
        out[col] = [None if _is_missing(v) else str(v) for v in out[col]]
        out[col] = out[col].astype(object)
    return out.reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"prompt_type": str})
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise Emo3DError(f"{path}: not a readable CSV ({err})") from None


def load_dataset(
    root: str | os.PathLike[str], *, check_images: bool = True, validate: bool = True
) -> pd.DataFrame:
    """Read a dataset in the release layout (ours or the real ``llm-lab/Emo3D`` files).

    ``ROOT/data/emo3d_data.parquet`` holds every row; ``ROOT/data/{train,val,test}_data.csv``
    assign the ``split``. Either half alone also works (parquet without CSVs only if it carries a
    ``split`` column; CSVs without parquet are concatenated). ``check_images`` verifies that every
    ``img_k`` file exists under ``ROOT`` (turn it off if the image zips are not extracted).
    """
    root = Path(root)
    if not root.is_dir():
        raise Emo3DError(f"dataset root {root} is not a directory")
    data_dir = _data_dir(root)
    parquet = data_dir / PARQUET_NAME
    csvs = {s: data_dir / name for s, name in SPLIT_CSV.items()}
    present = {s: p for s, p in csvs.items() if p.is_file()}
    split_parts: list[pd.DataFrame] = []
    for split, path in present.items():
        part = _normalise(_read_csv(path), str(path))
        part["split"] = split
        split_parts.append(part)
    if parquet.is_file():
        try:
            df = _normalise(pd.read_parquet(parquet), str(parquet))
        except (OSError, ValueError) as err:
            if isinstance(err, Emo3DError):
                raise
            raise Emo3DError(f"{parquet}: not a readable parquet file ({err})") from None
        if split_parts:
            splits = pd.concat([p[[*SAMPLE_KEY, "split"]] for p in split_parts],
                               ignore_index=True)
            dup = splits.duplicated(list(SAMPLE_KEY))
            if dup.any():
                raise Emo3DError(
                    f"row sample_id={splits['sample_id'][dup].iloc[0]}: listed in two split CSVs"
                )
            df = df.drop(columns=["split"], errors="ignore")
            df = df.merge(splits, on=list(SAMPLE_KEY), how="left")
            unassigned = df["split"].isna()
            if unassigned.any():
                raise Emo3DError(
                    f"row sample_id={df['sample_id'][unassigned].iloc[0]}: in {parquet.name} but "
                    f"in none of {sorted(SPLIT_CSV.values())}"
                )
        elif "split" not in df.columns:
            raise Emo3DError(f"{data_dir}: found {PARQUET_NAME} but none of the split CSVs")
    elif split_parts:
        df = pd.concat(split_parts, ignore_index=True)
    else:
        raise Emo3DError(
            f"{root}: no Emo3D dataset found (expected data/{PARQUET_NAME} and/or "
            f"data/{{train,val,test}}_data.csv)"
        )
    df = df.sort_values(list(SAMPLE_KEY), kind="stable").reset_index(drop=True)
    if validate:
        validate_frame(df, root if check_images else None, require_split=True)
    return df


def _arrow_schema() -> Any:
    import pyarrow as pa

    fields = [pa.field("sample_id", pa.int64()), pa.field("prompt_type", pa.string())]
    fields += [pa.field(c, pa.string()) for c in TEXT_COLUMNS]
    fields += [pa.field(c, pa.float64()) for c in EMOTIONS]
    fields += [pa.field(c, pa.string()) for c in (*IMAGE_COLUMNS, *SCORE_COLUMNS)]
    return pa.schema(fields)


def save_dataset(df: pd.DataFrame, root: str | os.PathLike[str], *, validate: bool = True) -> None:
    """Write ``df`` (release columns + ``split``) as ``ROOT/data/`` parquet + split CSVs.

    Rows are sorted by ``sample_id`` and the arrow schema is fixed, so identical input gives a
    byte-identical parquet. Each file is written atomically.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from emo3d_lib.atomic import atomic_path

    if "split" not in df.columns:
        raise Emo3DError("save_dataset needs a 'split' column (train/val/test) to write the CSVs")
    out = _normalise(df, "save_dataset input")
    out["split"] = df["split"].to_numpy()
    if validate:
        validate_frame(out, None, require_split=True)
    out = out.sort_values(list(SAMPLE_KEY), kind="stable").reset_index(drop=True)
    data_dir = Path(root) / "data"
    table = pa.Table.from_pandas(out[list(RELEASE_COLUMNS)], schema=_arrow_schema(),
                                 preserve_index=False)
    table = table.replace_schema_metadata(None)  # no pandas/pyarrow version stamps in the bytes
    with atomic_path(data_dir / PARQUET_NAME) as tmp:
        pq.write_table(table, tmp, compression="snappy", write_statistics=False)
    for split, name in SPLIT_CSV.items():
        part = out.loc[out["split"] == split, list(RELEASE_COLUMNS)]
        with atomic_path(data_dir / name) as tmp:
            part.to_csv(tmp, index=False, lineterminator="\n")


def emotion_matrix(df: pd.DataFrame) -> np.ndarray:
    """The 8 intensities as ``float32 (N, 8)`` in ``EMOTIONS`` order."""
    missing = [c for c in EMOTIONS if c not in df.columns]
    if missing:
        raise Emo3DError(f"dataset lacks emotion column(s) {missing}")
    return df.loc[:, list(EMOTIONS)].to_numpy(dtype=np.float32)


def dominant_emotion(df: pd.DataFrame) -> pd.Series:
    """Each row's class as the paper counts it (Figure 9): the emotion with the highest share."""
    names = np.array(EMOTIONS)
    return pd.Series(names[emotion_matrix(df).argmax(axis=1)], index=df.index, name="emotion")


def score_matrix(df: pd.DataFrame, k: int) -> np.ndarray:
    """Blendshapes of image ``k`` (1..4) as ``float32 (N, 52)``; NaN rows where no face."""
    if not 1 <= int(k) <= MAX_IMAGES:
        raise Emo3DError(f"parameter k={k!r} must be in 1..{MAX_IMAGES}")
    col = f"blenshape_score_{int(k)}"
    if col not in df.columns:
        raise Emo3DError(f"dataset lacks column {col!r}")
    return _parse_column(df[col].to_numpy(), lambda pos: _where(df, pos, col))


def _parse_column(values: np.ndarray, where: Any) -> np.ndarray:
    """Many release strings -> float32 (N, 52), NaN rows where missing.

    Fast path: split every string and let numpy convert all tokens at once (a 60k-row release
    parses in about a second). Any irregularity falls back to ``parse_blendshapes`` row by row,
    whose error names the row (``where(pos)``) and the problem.
    """
    out = np.full((len(values), N_BLENDSHAPES), np.nan, dtype=np.float32)
    present = [pos for pos, v in enumerate(values) if not _is_missing(v)]
    if not present:
        return out
    try:
        texts = [values[pos].replace("[", " ").replace("]", " ") for pos in present]
        if all(len(t.split()) == N_BLENDSHAPES for t in texts):
            joined = " ".join(texts)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # bad token: stops early
                arr = np.fromstring(joined, dtype=np.float64, sep=" ")
            if arr.size == N_BLENDSHAPES * len(texts) and np.all(np.isfinite(arr)):
                out[present] = arr.reshape(len(texts), N_BLENDSHAPES)
                return out
    except (AttributeError, TypeError, ValueError):
        pass  # the slow path below names the offending row
    for pos in present:
        out[pos] = parse_blendshapes(values[pos], where(pos))
    return out


def triples(df: pd.DataFrame) -> pd.DataFrame:
    """One training row per (text_j, img_k) with a face: the paper's (text, image, blendshapes).

    Columns: sample_id, split, text, text_index (1..3), img, image_index (1..4), the 8 emotion
    intensities and the 52 blendshape values (named as ``BLENDSHAPES``).
    """
    parts = []
    split = df["split"].to_numpy() if "split" in df.columns else np.full(len(df), None)
    for k in range(1, MAX_IMAGES + 1):
        scores = score_matrix(df, k)
        has_face = ~np.isnan(scores).any(axis=1)
        if not has_face.any():
            continue
        rows = np.flatnonzero(has_face)
        for j, text_col in enumerate(TEXT_COLUMNS, start=1):
            part = pd.DataFrame({
                "sample_id": df["sample_id"].to_numpy()[rows],
                "split": split[rows],
                "text": df[text_col].to_numpy()[rows],
                "text_index": np.full(rows.size, j, dtype=np.int64),
                "img": df[f"img_{k}"].to_numpy()[rows],
                "image_index": np.full(rows.size, k, dtype=np.int64),
            })
            emo = emotion_matrix(df.iloc[rows])
            part = pd.concat(
                [part, pd.DataFrame(emo, columns=list(EMOTIONS)),
                 pd.DataFrame(scores[rows], columns=list(BLENDSHAPES))], axis=1
            )
            parts.append(part)
    columns = ["sample_id", "split", "text", "text_index", "img", "image_index",
               *EMOTIONS, *BLENDSHAPES]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["sample_id", "text_index", "image_index"], kind="stable").reset_index(
        drop=True
    )[columns]
