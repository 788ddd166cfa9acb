"""The Emo3D paper's figures and its reference code's constants: one home, with their source.

Source: Dehghani et al., "Emo3D: Metric and Benchmarking Dataset for 3D Facial Expression
Generation from Emotion Description", NAACL Findings 2025 -- full text, its benchmark card, and
the authors' public ``metric.py`` (as summarised in ``/work/shared/notes/emo3d-reference.md``).
Its Table 2 body is not in the text we have: the baseline figures are the benchmark card's.
Everything here is quoted, never measured; the book sets our measurements beside these.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from emo3d_lib.schema import EMOTIONS

# ---- Dataset (section 3) ----------------------------------------------------------------------
DATASET_SIZE = {"triples": 150_000, "texts": 60_000, "images": 90_000}

# ---- Baselines (benchmark card; Table 2 in the paper) ------------------------------------------
#: Our model standing in for the paper's -> the paper's model, test MSE and Emo3D.
BASELINE_FIGURES: dict[str, dict[str, Any]] = {
    "lm-mlp": {"paper_model": "BERT", "paper_mse": 0.03, "paper_emo3d": 0.796},
    "multilingual-mlp": {"paper_model": "XLM-RoBERTa", "paper_mse": 0.04, "paper_emo3d": 0.789},
}
#: What the paper says about the others (no number in the text we have).
BASELINE_CLAIMS = {
    "emotion-xlm": "not in the text",
    "clip-mlp": "best Emo3D of all baselines (value not in the text)",
    "vae-clip": "not in the text",
    "metrics_disagree": "MSE and Emo3D 'do not consistently align'",
}

# ---- Emo3D metric (section 4.2 and the reference metric.py) ------------------------------------
KL_EPS = 0.01  # metric.py: eps added to the second KL argument (and before normalising)

# ---- Human check (appendix A.1) -----------------------------------------------------------------
HUMAN_AGREEMENT = {"system_vs_human_agreement": 0.81, "reviewer_cohen_kappa": 0.88,
                   "texts": 100}

# ---- Linguistic analysis (appendix A.2), as printed ---------------------------------------------
#: Table 3: class -> (words, unique words, avg word length, avg sentence length).
TABLE3 = pd.DataFrame(
    [(14805, 1684, 7.277609, 13.555218), (31405, 1519, 6.687916, 12.375832),
     (33690, 1559, 6.576492, 12.152983), (32878, 2220, 6.816656, 12.633311),
     (16097, 1288, 6.419271, 11.838541), (19917, 1306, 6.766280, 12.532560),
     (15120, 1245, 6.161111, 11.322222), (7535, 958, 6.982349, 12.964698)],
    index=pd.Index(EMOTIONS, name="emotion"),
    columns=["number_of_words", "unique_words", "avg_word_length", "avg_sentence_length"],
)
#: Table 4 (top 10 words per class; "10 _y" is verbatim from the paper).
TABLE4 = pd.DataFrame({
    "neutral": ["emotion", "expression", "confusion", "person", "furrowed", "one", "eyes",
                "hint", "random", "look"],
    "happiness": ["happiness", "eyes", "smile", "10 _y", "wide", "expression", "bright",
                  "expressing", "emotion", "person"],
    "surprise": ["surprise", "eyes", "wide", "mouth", "emotion", "open", "eyebrows", "raised",
                 "shock", "slightly"],
    "sadness": ["sadness", "eyes", "expression", "downturned", "emotion", "mouth", "deep",
                "person", "lips", "sorrow"],
    "anger": ["anger", "eyes", "furrowed", "expression", "lips", "brow", "rage", "narrowed",
              "eyebrows", "brows"],
    "disgust": ["contempt", "expression", "disgust", "look", "lips", "eyes", "mouth",
                "furrowed", "nose", "disdain"],
    "fear": ["fear", "eyes", "wide", "mouth", "expression", "furrowed", "lips", "pale", "open",
             "look"],
    "contempt": ["contempt", "expression", "eyes", "lips", "disdain", "look", "emotion", "mouth",
                 "feeling", "sneer"],
}, index=pd.RangeIndex(1, 11, name="rank"))
#: Table 6 (Table 5, for the other four classes, is missing from the paper's text).
TABLE6 = pd.DataFrame({
    "anger": ["feature.n.02", "anger.n.01", "communication.n.02", "sagacity.n.01",
              "countenance.n.01", "demonstration.n.05", "communication.n.01", "hair.n.01",
              "rejoinder.n.01", "feeling.n.01"],
    "disgust": ["dislike.n.02", "demonstration.n.05", "area.n.01", "facial_expression.n.01",
                "communication.n.02", "region.n.01", "rejoinder.n.01", "countenance.n.01",
                "communication.n.01", "disrespect.n.01"],
    "fear": ["fear.n.01", "feature.n.02", "emotion.n.01", "sagacity.n.01", "anxiety.n.02",
             "countenance.n.01", "communication.n.01", "rejoinder.n.01", "hair.n.01",
             "appearance.n.01"],
    "contempt": ["dislike.n.02", "demonstration.n.05", "area.n.01", "hair.n.01",
                 "communication.n.02", "region.n.01", "disrespect.n.01", "countenance.n.01",
                 "communication.n.01", "rejoinder.n.01"],
}, index=pd.RangeIndex(1, 11, name="rank"))


def baseline_mse() -> dict[str, tuple[str, float]]:
    """``{our model: (paper's model, paper's test MSE)}`` for the baselines with a figure."""
    return {m: (f["paper_model"], f["paper_mse"]) for m, f in BASELINE_FIGURES.items()}
