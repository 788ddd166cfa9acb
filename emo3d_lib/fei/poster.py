"""Figures *reported* in the Ig3D poster (Dong, Wang, Setlur, Govindaraju, Nwogu, ECCV 2024
workshop poster "Ig3D: Integrating 3D Face Representations in Facial Expression Inference"),
transcribed so the book can print them beside ours. They are the poster's numbers on RAF-DB and
AffectNet with DDAMFN / CAGE 2D networks and EMOCA / SMIRK 3D parameters, not measured here.
"""

from __future__ import annotations

import pandas as pd

Row = tuple[float, ...]

#: The eight fusion systems of Tables 4 and 5, in the poster's row order (after the 2D baseline).
FUSION_SYSTEMS = (
    "Intermediate: F_2D + F_Smirk3D", "Intermediate: F_2D + F_Emoca3D",
    "Late max with CLS_Smirk3D", "Late max with CLS_Emoca3D",
    "Late mean with CLS_Smirk3D", "Late mean with CLS_Emoca3D",
    "Late weighted with CLS_Smirk3D", "Late weighted with CLS_Emoca3D",
)


def _fusion_rows(baseline: str, rows: tuple[Row, ...]) -> dict[str, Row]:
    """A fusion table: the 2D baseline's row, then one row per :data:`FUSION_SYSTEMS`."""
    return dict(zip((baseline, *FUSION_SYSTEMS), rows, strict=True))


#: Column headers: Tables 3 and 5 (RAF-DB); Tables 2 and 4 (AffectNet); Table 7 (AffectNet VA).
_T5_COLUMNS = ("Acc", "Weighted F1", "Weighted P", "Weighted R", "Macro F1", "Macro P", "Macro R")
_T24_COLUMNS = ("Accuracy", "F1", "Precision", "Recall")
_T7_COLUMNS = ("MSE", "MAE", "RMSE", "CCC")

#: Table 5: fusion architectures on RAF-DB (weighted and macro averages).
POSTER_RAFDB_FUSION: dict[str, Row] = _fusion_rows("DDAMFN (2D only, reproduced)", (
    (0.9016, 0.9013, 0.9022, 0.9016, 0.8554, 0.8686, 0.8451),
    (0.9006, 0.9007, 0.9018, 0.9006, 0.8489, 0.8561, 0.8435),
    (0.8996, 0.8990, 0.8989, 0.8996, 0.8501, 0.8559, 0.8453),
    (0.8989, 0.8984, 0.8989, 0.8989, 0.8527, 0.8656, 0.8426),
    (0.8941, 0.8944, 0.9021, 0.8941, 0.8462, 0.8643, 0.8485),
    (0.9030, 0.9024, 0.9041, 0.9030, 0.8561, 0.8829, 0.8361),
    (0.9130, 0.9135, 0.9178, 0.9130, 0.8413, 0.8414, 0.8521),
    (0.9106, 0.9099, 0.9110, 0.9106, 0.8689, 0.8914, 0.8516),
    (0.9400, 0.9393, 0.9397, 0.9400, 0.8958, 0.9090, 0.8860),
))
#: Table 3: 3D representation only (no fusion) on RAF-DB.
POSTER_RAFDB_3D_ONLY: dict[str, Row] = {
    "CLS_Smirk3D-full": (0.7557, 0.7584, 0.7631, 0.7557, 0.6585, 0.6568, 0.6627),
    "CLS_Emoca3D-full": (0.7927, 0.7946, 0.7985, 0.7927, 0.7073, 0.7043, 0.7118),
}
#: Table 2: 3D representation only (no fusion) on AffectNet, short vs full parameter sets.
POSTER_AFFECTNET_3D_ONLY: dict[str, Row] = {
    "CLS_Smirk3D-short": (0.5461, 0.5459, 0.5477, 0.5461),
    "CLS_Smirk3D-full": (0.5546, 0.5547, 0.5569, 0.5546),
    "CLS_Emoca3D-short": (0.5723, 0.5726, 0.5758, 0.5723),
    "CLS_Emoca3D-full": (0.5703, 0.5704, 0.5768, 0.5703),
}
#: Table 4: fusion architectures on AffectNet (classification).
POSTER_AFFECTNET_FUSION: dict[str, Row] = _fusion_rows("DDAMFN (2D only, their reproduction)", (
    (0.6324, 0.6323, 0.6353, 0.6324),
    (0.6117, 0.6098, 0.6128, 0.6117),
    (0.6234, 0.6232, 0.6276, 0.6234),
    (0.6267, 0.6260, 0.6273, 0.6267),
    (0.6294, 0.6292, 0.6306, 0.6294),
    (0.6262, 0.6266, 0.6315, 0.6262),
    (0.6289, 0.6295, 0.6338, 0.6289),
    (0.6364, 0.6367, 0.6408, 0.6364),
    (0.6379, 0.6381, 0.6379, 0.6379),
))
#: Table 7: continuous valence-arousal on AffectNet (CAGE 2D network, EMOCA 3D regressor).
POSTER_AFFECTNET_VA: dict[str, Row] = {
    "CAGE_va (2D only, their reproduction)": (0.1044, 0.2377, 0.3230, 0.7814),
    "Regressor_Emoca3D (3D only)": (0.1061, 0.2483, 0.3257, 0.7637),
    "Feature fusion F_2D + F_Emoca3D": (0.1061, 0.2398, 0.3257, 0.7749),
    "Late max with Regressor_Emoca3D": (0.1052, 0.2419, 0.3243, 0.7727),
    "Late min with Regressor_Emoca3D": (0.1053, 0.2441, 0.3245, 0.7726),
    "Late mean with Regressor_Emoca3D": (0.0956, 0.2325, 0.3092, 0.7891),
    "Late weighted with Regressor_Emoca3D": (0.0958, 0.2316, 0.3095, 0.7901),
}


def _poster_frame(dataset: str, columns: tuple[str, ...], *tables: dict[str, Row]
                  ) -> pd.DataFrame:
    """``tables``' rows in order, each labelled as the poster's (``[poster, dataset] system``)."""
    rows = {f"[poster, {dataset}] {k}": v for table in tables for k, v in table.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(columns))


def poster_fusion_table() -> pd.DataFrame:
    """Poster Tables 3 + 5 (RAF-DB), one row per system, labelled as the poster's."""
    return _poster_frame("RAF-DB", _T5_COLUMNS, POSTER_RAFDB_3D_ONLY, POSTER_RAFDB_FUSION)


def poster_va_table() -> pd.DataFrame:
    """Poster Table 7 (AffectNet valence-arousal), labelled as the poster's."""
    return _poster_frame("AffectNet", _T7_COLUMNS, POSTER_AFFECTNET_VA)


def poster_table2() -> pd.DataFrame:
    """Poster Table 2 (AffectNet, 3D representation alone, short vs full), labelled as theirs."""
    return _poster_frame("AffectNet", _T24_COLUMNS, POSTER_AFFECTNET_3D_ONLY)


def poster_table4() -> pd.DataFrame:
    """Poster Table 4 (AffectNet, fusion variants), labelled as the poster's."""
    return _poster_frame("AffectNet", _T24_COLUMNS, POSTER_AFFECTNET_FUSION)
