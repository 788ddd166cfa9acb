"""Reproduction summary: measured cells come from the chapters' files, missing ones say so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from emo3d_lib.book import summary


def test_missing_outputs_are_marked_not_run(tmp_path: Path) -> None:
    results = summary.collect(tmp_path / "no-data", tmp_path / "no-runs")
    assert results["dataset"] is None and results["models"] == {}
    table = summary.summary_table(results)
    assert (table["ours"] == summary.NOT_RUN).sum() == 3 + 1 + len(summary.MODEL_NAMES)
    assert table["paper"].str.contains("150,000").any()


def test_measured_values_are_read_from_the_chapters_files(
        tiny_model_dataset: Path, tiny_lm_checkpoint: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(tiny_lm_checkpoint, runs / "lm-mlp")
    metrics = json.loads((runs / "lm-mlp" / "metrics.json").read_text())
    (runs / "metric").mkdir()
    table2 = {"sources": {
        "lm-mlp": {"mse": 0.02, "emo3d": 0.81, "mean_kl": 1.5,
                   "intervals": {"emo3d": [0.7, 0.9]}},
        "clip-mlp": {"mse": 0.03, "emo3d": 0.75, "mean_kl": 1.1,
                     "intervals": {"emo3d": [0.6, 0.8]}},
        "ground-truth": {"mse": 0.0, "emo3d": 0.5, "mean_kl": 0.1}},
        "rank_correlations": {"across_models_spearman": -1.0, "pooled_samples_spearman": 0.1}}
    (runs / "metric" / "table2.json").write_text(json.dumps(table2))
    (runs / "02_linguistic_analysis").mkdir()
    (runs / "02_linguistic_analysis" / "emolex_agreement.json").write_text(
        json.dumps({"dominant_agreement": 0.64, "cohen_kappa": 0.58}))

    table = summary.summary_table(summary.collect(tiny_model_dataset, runs)).set_index(
        "paper item")
    texts = table.loc["dataset size: texts (Table 1 / section 3)", "ours"]
    assert texts == f"{3 * 96:,}"  # the fixture has 96 samples, three paraphrases each
    bert = table.loc["Table 2: BERT + MLP", "ours"]
    assert f"test MSE {metrics['test_mse']:.4f}" in bert and "Emo3D 0.810 [0.700, 0.900]" in bert
    assert table.loc["Table 2: VAE-CLIP", "ours"] == summary.NOT_RUN
    # the best model is chosen among models only (the ground-truth anchor is not a model)
    best = table.loc["best model on Emo3D (section 5)"]
    assert best["ours"].startswith("CLIP + regression unit") and best["agreement"] == "agrees"
    assert table.loc["MSE vs Emo3D ranking (section 5)", "agreement"].startswith("agrees")
    table2["sources"]["lm-mlp"]["mean_kl"] = 1.1  # a tie is not a winner
    (runs / "metric" / "table2.json").write_text(json.dumps(table2))
    tied = summary.summary_table(summary.collect(tiny_model_dataset, runs)).set_index(
        "paper item").loc["best model on Emo3D (section 5)"]
    assert tied["ours"].startswith("tie:") and tied["agreement"].startswith("undetermined")
    assert "64%" in table.loc["check of the emotion distributions (appendix A.1)", "ours"]


def test_chapters_table_reads_the_later_chapters_saved_figures(tmp_path) -> None:
    import json as _json

    from emo3d_lib.book.summary import NOT_RUN, chapters_table, collect_chapters

    empty = chapters_table(collect_chapters(tmp_path))
    assert list(empty["chapter"].str[:2]) == ["3:", "6:", "6:", "8:"]
    assert (empty["ours"].iloc[:3] == NOT_RUN).all()

    def put(rel: str, data: dict) -> None:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(_json.dumps(data))

    put("emotion-xlm/metrics.json", {"test_mse": 0.0123, "backbone": "b"})
    put("multilingual-mlp/metrics.json", {"test_mse": 0.0101})
    put("fei/fei_results.json", {"comparison": {
        "available": True, "best_fusion": "late-weighted", "best_single": "3d",
        "test_f1_macro_difference": 0.02, "difference_lo": 0.01, "difference_hi": 0.03,
        "verdict": "fusion better"}})
    row = {"accuracy": 0.5, "accuracy_lo": 0.4, "accuracy_hi": 0.6}
    put("fei/ig3d_tables.json", {"table2": [{**row, "set": "short", "n_parameters": 27},
                                            {**row, "accuracy": 0.9, "accuracy_lo": 0.85,
                                             "accuracy_hi": 0.95, "set": "full",
                                             "n_parameters": 52}]})
    t = chapters_table(collect_chapters(tmp_path)).set_index("chapter")
    xlm = t.loc["3: Emotion-XLM's emotion extractor"]
    assert "0.0123" in xlm["ours"] and "0.0101" in xlm["ours"] and "does not help" in xlm["verdict"]
    fusion = t.loc["6: Ig3D, fusion of 2D and 3D views"]
    assert "+0.020 [+0.010, +0.030]" in fusion["ours"] and fusion["verdict"] == "fusion better"
    short = t.loc["6: Ig3D Table 2, short vs full 3D parameters"]
    assert "27 EMFACS channels" in short["ours"] and short["verdict"].startswith("differs")


def test_dataset_sizes_come_from_chapter_1s_manifest(tmp_path: Path) -> None:
    """One source: the summary prints the counts chapter 1 printed (texts + images = triples)."""
    from emo3d_lib.data.generate import MANIFEST_NAME

    counts = {"samples": 8, "texts": 24, "images": 16, "faces_detected": 15, "triples": 40}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"counts": counts}))
    table = summary.summary_table(summary.collect(tmp_path, tmp_path / "runs")).set_index(
        "paper item")
    assert table.loc["dataset size: triples (Table 1 / section 3)", "ours"] == "40"
    assert table.loc["dataset size: images (Table 1 / section 3)", "ours"] == "16"
