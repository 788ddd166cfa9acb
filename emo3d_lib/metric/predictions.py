"""Reading a predictions file: ``sample_id`` + the 52 blendshape columns by name (parquet/CSV).

Columns are matched by name, never by position, so any tool can write the file. A file without
``_neutral`` is accepted (that channel is 0 in every MediaPipe output and 51-output models drop
it); every other missing column, a duplicated id, or a non-numeric/NaN value is refused with the
row and column named.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from emo3d_lib.atomic import atomic_path
from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import BLENDSHAPES
from emo3d_lib.validate import blendshape_matrix

SUFFIXES = (".parquet", ".csv")


def read_predictions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The file as a frame indexed by ``sample_id`` with the 52 columns in ``BLENDSHAPES`` order."""
    path = Path(path)
    if not path.is_file():
        raise Emo3DError(f"predictions file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix == ".csv":
            df = pd.read_csv(path)
        else:
            raise Emo3DError(f"predictions file {path}: suffix must be one of {SUFFIXES}")
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        if isinstance(err, Emo3DError):
            raise
        raise Emo3DError(f"predictions file {path}: not readable as {suffix[1:]} ({err})") from None
    if "sample_id" not in df.columns:
        raise Emo3DError(f"predictions file {path}: no 'sample_id' column")
    df = df.copy()
    if "_neutral" not in df.columns:
        df["_neutral"] = 0.0
    missing = [c for c in BLENDSHAPES if c not in df.columns]
    if missing:
        raise Emo3DError(
            f"predictions file {path}: missing blendshape column(s) {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''} ({len(missing)} of {len(BLENDSHAPES)})"
        )
    ids = pd.to_numeric(df["sample_id"], errors="coerce")
    if ids.isna().any() or not np.all(ids == np.round(ids)):
        pos = int(np.flatnonzero(ids.isna() | (ids != np.round(ids)))[0])
        raise Emo3DError(f"predictions file {path}: row {pos}, column 'sample_id': "
                         f"{df['sample_id'].iloc[pos]!r} is not an integer id")
    ids = ids.astype(np.int64)
    dup = ids.duplicated()
    if dup.any():
        raise Emo3DError(f"predictions file {path}: sample_id {int(ids[dup].iloc[0])} "
                         "appears more than once")
    flags = [c for c in BLENDSHAPES if pd.api.types.is_bool_dtype(df[c])]
    if flags:
        raise Emo3DError(f"predictions file {path}: column {flags[0]!r} holds true/false, "
                         "not numbers in [0, 1]")
    values = df.loc[:, list(BLENDSHAPES)].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise Emo3DError(
            f"predictions file {path}: row {r} (sample_id={int(ids.iloc[r])}), column "
            f"{BLENDSHAPES[c]!r}: {df[BLENDSHAPES[c]].iloc[r]!r} is not a finite number"
        )
    out = (values < 0.0) | (values > 1.0)
    if out.to_numpy().any():
        r, c = (int(v) for v in np.argwhere(out.to_numpy())[0])
        raise Emo3DError(
            f"predictions file {path}: row {r} (sample_id={int(ids.iloc[r])}), column "
            f"{BLENDSHAPES[c]!r}: {values.iat[r, c]:g} is outside [0, 1]"
        )
    values.index = pd.Index(ids.to_numpy(), name="sample_id")
    return values.astype(np.float32)


def predictions_for(
    path: str | os.PathLike[str], sample_ids: np.ndarray
) -> np.ndarray:
    """(n, 52) rows of the file for ``sample_ids`` in that order; all ids must be present."""
    table = read_predictions(path)
    wanted = pd.Index(np.asarray(sample_ids, dtype=np.int64))
    absent = wanted.difference(table.index)
    if len(absent):
        raise Emo3DError(
            f"predictions file {path}: no row for {len(absent)} of the {len(wanted)} selected "
            f"test prompts, e.g. sample_id {list(map(int, absent[:5]))}"
        )
    return table.loc[wanted].to_numpy(dtype=np.float32)


def write_predictions(
    path: str | os.PathLike[str], sample_ids: np.ndarray, blendshapes: np.ndarray
) -> None:
    """Write the format ``read_predictions`` takes (parquet or CSV by suffix), atomically."""
    path = Path(path)
    arr = blendshape_matrix(blendshapes, f"predictions for {path}")
    if arr.shape[0] != len(sample_ids):
        raise Emo3DError(f"blendshapes must be ({len(sample_ids)}, {len(BLENDSHAPES)}), "
                         f"got {arr.shape}")
    df = pd.DataFrame(arr, columns=list(BLENDSHAPES))
    df.insert(0, "sample_id", np.asarray(sample_ids, dtype=np.int64))
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".parquet":
            df.to_parquet(tmp, index=False)
        elif path.suffix.lower() == ".csv":
            df.to_csv(tmp, index=False, lineterminator="\n")
        else:
            raise Emo3DError(f"predictions file {path}: suffix must be one of {SUFFIXES}")
