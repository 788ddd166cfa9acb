"""The batched metric end to end: equals the naive per-image loop, deterministic, anchors, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emo3d_lib.cli import main
from emo3d_lib.errors import Emo3DError
from emo3d_lib.metric.anchors import anchor_blendshapes, derangement
from emo3d_lib.metric.divergence import emo3d_score
from emo3d_lib.metric.evaluate import build_evaluator, evaluate
from emo3d_lib.metric.predictions import read_predictions, write_predictions
from emo3d_lib.metric.prompts import load_metric_prompts
from emo3d_lib.schema import BLENDSHAPES

N, K = 12, 3
BUILD = dict(n=N, k=K, split="train", seed=0, progress=False, batch_size=5)


@pytest.fixture(scope="module")
def clip(tiny_clip_checkpoint):
    from emo3d_lib.models import load_clip

    return load_clip(str(tiny_clip_checkpoint))


@pytest.fixture(scope="module")
def evaluator(clip, image_dataset):
    return build_evaluator(image_dataset, clip=clip, size=128, **BUILD)


@pytest.fixture(scope="module")
def pooled(clip, image_dataset):
    """The same evaluator rendering its batched path in two worker processes."""
    ev = build_evaluator(image_dataset, clip=clip, size=128, render_workers=2, **BUILD)
    yield ev
    ev.close()


def test_prompts_are_balanced_and_carry_ground_truth(image_dataset):
    prompts = load_metric_prompts(image_dataset, n=N, split="train", seed=0)
    assert len(prompts) == N and len(set(prompts.sample_ids.tolist())) == N
    counts = np.bincount(prompts.emotions.argmax(1), minlength=8)
    assert counts.max() - counts[counts > 0].min() <= 1 or counts.max() <= 2
    assert prompts.ground_truth.shape == (N, 52)
    assert all(1 <= len(g) <= 2 for g in prompts.ground_truth_faces)


def test_text_only_dataset_is_refused_with_a_reason(text_dataset):
    with pytest.raises(Emo3DError, match="no row has a blendshape score"):
        load_metric_prompts(text_dataset, n=10, split="train")


@pytest.mark.parametrize("rendering", ["in process", "in worker processes"])
def test_batched_path_equals_the_naive_per_image_loop(rendering, evaluator, pooled):
    faces = anchor_blendshapes("ground-truth", evaluator.prompts)
    batched = pooled if rendering == "in worker processes" else evaluator
    assert (batched.pool is None) == (rendering == "in process")
    if batched.pool is not None:  # workers draw exactly what one in-process renderer draws
        np.testing.assert_array_equal(batched.pool(faces), evaluator.render(faces))
    fast = batched.score(faces)
    slow = evaluator.score_naive(faces)
    np.testing.assert_array_equal(fast.topk, slow.topk)
    np.testing.assert_allclose(fast.kl, slow.kl, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.psi_bar, slow.psi_bar, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fast.exact, slow.exact)
    np.testing.assert_array_equal(fast.mse, slow.mse)
    assert fast.emo3d == pytest.approx(emo3d_score(float(np.mean(slow.kl))), abs=1e-12)
    # the image embeddings of one batch of 5 and of single images agree closely
    one = evaluator.clip.encode_images(evaluator.render(faces[:1]))
    np.testing.assert_allclose(evaluator.embed_faces(faces)[:1], one, atol=1e-5)


def test_workers_that_cannot_start_leave_the_error_to_the_in_process_renderer(clip,
                                                                             image_dataset):
    with pytest.warns(UserWarning, match="render workers failed"), \
            pytest.raises(Emo3DError, match="unknown head 'no-such-head'"):
        build_evaluator(image_dataset, clip=clip, head="no-such-head", render_workers=1, **BUILD)


def test_identical_faces_are_rendered_and_embedded_once(evaluator):
    """A mean-face anchor is one face n times: one render, and the same values as n renders."""
    from emo3d_lib.metric.emo3d import Emo3DEvaluator

    calls = []

    def render(w):
        calls.append(len(w))
        return evaluator.render(w)

    ev = Emo3DEvaluator(evaluator.prompts, evaluator.clip, render, k=K, batch_size=5,
                        progress=False)
    faces = np.random.default_rng(0).uniform(0, 1, (N, 52)).astype(np.float32)
    faces[1::2] = faces[0]  # half the rows are one face
    emb = ev.embed_faces(faces)
    assert sum(calls) == N // 2
    np.testing.assert_allclose(emb, evaluator.embed_faces(faces), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(emb[1::2], np.broadcast_to(emb[0], emb[1::2].shape))
    calls.clear()
    same = np.repeat(faces[:1], N, axis=0)
    slow = ev.score_naive(same)
    np.testing.assert_allclose(ev.score(same).kl, slow.kl, rtol=0, atol=1e-12)
    assert sum(calls) == 1 + N  # the batched path's one face, the naive loop's N


def test_same_inputs_give_identical_values_in_a_fresh_evaluator(clip, evaluator, image_dataset):
    faces = anchor_blendshapes("random", evaluator.prompts, seed=3)
    a = evaluator.score(faces).summary(n_boot=200, seed=0)
    fresh = build_evaluator(image_dataset, clip=clip, size=128, **BUILD)
    b = fresh.score(faces).summary(n_boot=200, seed=0)
    assert a == b
    assert a["intervals"]["mean_kl"][0] <= a["mean_kl"] <= a["intervals"]["mean_kl"][1]
    assert sum(v["count"] for v in a["per_emotion"].values()) == N


def test_k_and_n_can_vary_without_re_rendering(evaluator):
    faces = anchor_blendshapes("ground-truth", evaluator.prompts)
    emb = evaluator.embed_faces(faces)
    full = evaluator.score_embeddings(emb, faces, k=N)
    # K = n: every image retrieves all prompts, psi_bar is the same for all and exact-match is 1
    assert full.exact.mean() == 1.0
    np.testing.assert_allclose(full.psi_bar, np.broadcast_to(full.phi.mean(0), full.psi_bar.shape))
    sub = evaluator.score_embeddings(emb, faces, n=8, k=2)
    assert sub.n == 8 and sub.topk.max() < 8


def test_anchors():
    perm = derangement(50, seed=1)
    assert sorted(perm.tolist()) == list(range(50)) and not np.any(perm == np.arange(50))
    np.testing.assert_array_equal(perm, derangement(50, seed=1))


def test_cli_scores_an_anchor_and_an_equivalent_predictions_file(
    tmp_path, image_dataset, tiny_clip_checkpoint, evaluator, capsys
):
    common = ["--data", str(image_dataset), "--clip", str(tiny_clip_checkpoint), "--n", str(N),
              "--k", str(K), "--split", "train", "--size", "128", "--boot", "100", "--quiet"]
    assert main(["evaluate", "--anchor", "ground-truth", "--out", str(tmp_path / "gt.json"),
                 *common]) == 0
    gt = json.loads((tmp_path / "gt.json").read_text())
    for key in ("mean_kl", "emo3d", "exact_match", "mse", "k", "n", "backbone", "intervals"):
        assert key in gt
    assert gt["n"] == N and gt["k"] == K and gt["backbone"] == evaluator.backbone
    assert gt["emo3d"] == pytest.approx(emo3d_score(gt["mean_kl"]))
    assert gt["mse"] > 0  # the mean face differs from each of the sample's 1-2 faces
    # the same faces through a CSV file of named columns, written in shuffled column order
    faces = anchor_blendshapes("ground-truth", evaluator.prompts)
    csv = tmp_path / "pred.csv"
    write_predictions(csv, evaluator.prompts.sample_ids, faces)
    df = pd.read_csv(csv)
    df[["sample_id", *BLENDSHAPES[::-1]]].to_csv(csv, index=False)
    assert main(["evaluate", "--predictions", str(csv), "--out", str(tmp_path / "p.json"),
                 *common]) == 0
    pred = json.loads((tmp_path / "p.json").read_text())
    for key in ("mean_kl", "emo3d", "exact_match", "intervals", "per_emotion"):
        assert pred[key] == gt[key]
    assert pred["mse"] == pytest.approx(gt["mse"], abs=1e-6)  # CSV keeps ~7 digits
    capsys.readouterr()


def test_cli_refuses_malformed_predictions_naming_the_problem(
    tmp_path, image_dataset, tiny_clip_checkpoint, evaluator, capsys
):
    ids = evaluator.prompts.sample_ids
    faces = np.full((N, 52), 0.2, np.float32)
    good = tmp_path / "good.parquet"
    write_predictions(good, ids, faces)
    assert read_predictions(good).shape == (N, 52)
    df = pd.read_parquet(good)
    cases = {
        "missing.csv": (df.drop(columns=["jawOpen"]), "missing blendshape column.*jawOpen"),
        "nan.csv": (df.assign(mouthSmileLeft=[np.nan] + [0.1] * (N - 1)),
                    "row 0 .*'mouthSmileLeft'.*not a finite number"),
        "noid.csv": (df.drop(columns=["sample_id"]), "no 'sample_id' column"),
        "dup.csv": (pd.concat([df, df.iloc[:1]]), f"sample_id {ids[0]} appears more than once"),
        "few.csv": (df.iloc[1:], f"no row for 1 of the {N} .*{ids[0]}"),
        "text.csv": (df.assign(jawOpen=["wide"] * N), "'jawOpen': 'wide' is not a finite"),
    }
    for name, (frame, message) in cases.items():
        frame.to_csv(tmp_path / name, index=False)
        code = main(["evaluate", "--data", str(image_dataset), "--clip", str(tiny_clip_checkpoint),
                     "--predictions", str(tmp_path / name), "--out", str(tmp_path / "x.json"),
                     "--n", str(N), "--k", str(K), "--split", "train", "--quiet"])
        err = capsys.readouterr().err
        assert code == 2, name
        assert pytest.importorskip("re").search(message, err), (name, err)
    (tmp_path / "bad.txt").write_text("x")
    with pytest.raises(Emo3DError, match="suffix"):
        read_predictions(tmp_path / "bad.txt")
    # a file without _neutral is accepted (51-output models), filled with 0
    df.drop(columns=["_neutral"]).to_csv(tmp_path / "no_neutral.csv", index=False)
    assert (read_predictions(tmp_path / "no_neutral.csv")["_neutral"] == 0).all()
    assert not (tmp_path / "x.json").exists()


def test_evaluate_function_reports_the_source(image_dataset, evaluator):
    out = evaluate(image_dataset, anchor="mean-face", evaluator=evaluator, n_boot=50, **BUILD)
    assert out["anchor"] == "mean-face" and out["source"] == "anchor"
    assert len(out["sample_ids"]) == N
