"""The loaders and writers under the commands: tensors-only checkpoints, faithful images,
umask-honouring atomic writes, ownership of generated folders, validation, redaction."""

from __future__ import annotations

import http.server
import json
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from tests.bad_inputs import _payload_pickle, _tiny_fei, tree_digest


# ---- checkpoints: tensors only ---------------------------------------------------------------
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_payload_is_refused_and_never_runs(tmp_path: Path, protocol: int) -> None:
    from emo3d_lib.checkpoint import load_tensors

    target = tmp_path / "PWNED"
    bad = tmp_path / "model.pt"
    bad.write_bytes(_payload_pickle(target, protocol))
    with pytest.raises(Emo3DError, match="refused.*nothing in it was run"):
        load_tensors(bad, "checkpoint")
    assert not target.exists()


def test_fei_checkpoint_payload_is_refused(tmp_path: Path) -> None:
    from emo3d_lib.fei.model import FEIModel

    target = tmp_path / "PWNED"
    bad = tmp_path / "fei_model.pt"
    bad.write_bytes(_payload_pickle(target))
    with pytest.raises(Emo3DError, match="FEI checkpoint .*refused"):
        FEIModel.load(bad)
    assert not target.exists()


def test_clip_checkpoint_payload_is_refused(tmp_path: Path) -> None:
    from emo3d_lib.models.clip import CONFIG_FILE, WEIGHTS_FILE, load_emo3d_clip

    target = tmp_path / "PWNED"
    (tmp_path / CONFIG_FILE).write_text("{}")
    (tmp_path / WEIGHTS_FILE).write_bytes(_payload_pickle(target))
    with pytest.raises(Emo3DError, match="CLIP checkpoint .*refused"):
        load_emo3d_clip(tmp_path)
    assert not target.exists()


def test_fei_model_round_trips_through_a_tensors_only_file(tmp_path: Path) -> None:
    import torch

    from emo3d_lib.fei.model import FEIModel

    model = _tiny_fei()
    model.heads["cls_3d"] = type(model.heads["cls_3d"])(52, "classify", 8)
    for h in model.heads.values():
        h.eval()
    model.save(tmp_path / "fei.pt")
    torch.load(tmp_path / "fei.pt", weights_only=True)  # loadable without any pickled class
    again = FEIModel.load(tmp_path / "fei.pt")
    bs = np.random.default_rng(1).random((4, 52)).astype(np.float32)
    for a, b in zip(model.predict(None, bs), again.predict(None, bs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert again.history["cls_3d"][0]["val_score"] == 0.5


def test_binding_names_the_mismatch(tmp_path: Path) -> None:
    import torch

    from emo3d_lib.checkpoint import binding, check_binding

    state = {"w": torch.zeros(3, 2)}
    torch.save(state, tmp_path / "model.pt")
    cfg = {"weights_binding": binding(tmp_path / "model.pt", state, model="lm-mlp")}
    check_binding(cfg, tmp_path / "model.pt", state, "ckpt", model="lm-mlp")
    with pytest.raises(Emo3DError, match="model 'vae-clip'.*'lm-mlp'"):
        check_binding(cfg, tmp_path / "model.pt", state, "ckpt", model="vae-clip")
    torch.save({"w": torch.ones(3, 2)}, tmp_path / "model.pt")
    with pytest.raises(Emo3DError, match="SHA-256"):
        check_binding(cfg, tmp_path / "model.pt", state, "ckpt", model="lm-mlp")


def test_state_that_does_not_fit_is_one_line(tmp_path: Path) -> None:
    import torch

    from emo3d_lib.checkpoint import load_state_strict

    with pytest.raises(Emo3DError, match="head: weights do not fit"):
        load_state_strict(torch.nn.Linear(3, 2), {"weight": torch.zeros(5, 5)}, "head")


# ---- images -------------------------------------------------------------------------------
def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    from PIL import Image

    from emo3d_lib.images import read_image

    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "grey16.png")
    rgb = read_image(tmp_path / "grey16.png")
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    np.testing.assert_allclose(rgb[..., 0], ramp / 257.0, atol=1.0)
    assert (rgb == 255).mean() < 0.01  # the old decode made ~99% of it white


def test_palette_image_keeps_its_colours_and_transparency(tmp_path: Path) -> None:
    from PIL import Image

    from emo3d_lib.images import read_image

    pal = Image.new("P", (8, 8), 1)
    pal.putpalette([0, 0, 0, 200, 30, 40, 10, 250, 90] + [0] * (256 * 3 - 9))
    pal.putpixel((0, 0), 2)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "pal.png", transparency=0)
    rgb = read_image(tmp_path / "pal.png")
    assert tuple(rgb[1, 1]) == (200, 30, 40) and tuple(rgb[0, 0]) == (10, 250, 90)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    from emo3d_lib.images import read_image
    from tests.bad_inputs import _huge_png

    (tmp_path / "bomb.png").write_bytes(_huge_png(30000, 30000))
    with pytest.raises(Emo3DError, match="bomb.png.*decompression bomb"):
        read_image(tmp_path / "bomb.png")


# ---- atomic writes --------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_honour_the_umask(tmp_path: Path, umask: int) -> None:
    from emo3d_lib import atomic

    old = os.umask(umask)
    try:
        atomic.write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_only_exited_writers_temporaries_are_stale(tmp_path: Path) -> None:
    import subprocess
    import sys

    from emo3d_lib import atomic
    from emo3d_lib.data.generate import remove_stale_temporaries

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    mine = atomic.writer_prefix()
    names = {
        "dead": f".a.parquet.{mine.rsplit('-', 1)[0]}-{dead}.abc123.tmp",
        "live": f".b.parquet.{mine.rsplit('-', 1)[0]}-{os.getppid()}.abc123.tmp",
        "mine": f".c.parquet.{mine}.abc123.tmp",
        "foreign": ".draft.tmp",
        "other_host": ".d.parquet.emo3d-otherhost-1.abc123.tmp",
    }
    for n in names.values():
        (tmp_path / n).write_text("x")
    assert remove_stale_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        n for k, n in names.items() if k != "dead")


def test_atomic_temporaries_carry_the_writer_prefix(tmp_path: Path) -> None:
    from emo3d_lib import atomic

    with atomic.atomic_path(tmp_path / "x.json") as tmp:
        assert atomic.writer_prefix() in tmp.name
        tmp.write_text("{}")


# ---- generate: ownership, restart, lock --------------------------------------------------------
def _config(samples: int = 6, seed: int = 0):
    from emo3d_lib.data.generate import GenerationConfig

    return GenerationConfig(samples=samples, seed=seed, images_per_sample=0, shard_size=3)


def test_restart_deletes_only_its_own_files(tmp_path: Path) -> None:
    from emo3d_lib.data.generate import generate_dataset

    root = tmp_path / "ds"
    generate_dataset(_config(), root, workers=1, progress=False)
    theirs = {root / "data" / "my_notes.csv": b"mine", root / "README.md": b"my readme",
              root / "shards" / "keep.txt": b"keep",
              root / "prompt1_images_0_1000" / "holiday.jpeg": b"photo",
              root / "prompt1_images_0_1000" / "5000_1.jpeg": b"outside the folder's ids"}
    for path, data in theirs.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    generate_dataset(_config(samples=4, seed=1), root, workers=1, progress=False, restart=True)
    for path, data in theirs.items():
        assert path.read_bytes() == data, path
    import pandas as pd

    assert len(pd.read_parquet(root / "data" / "emo3d_data.parquet")) == 4


def test_second_run_on_a_locked_root_is_refused(tmp_path: Path) -> None:
    from emo3d_lib.data.generate import claim_root, generate_dataset, root_lock

    root = claim_root(tmp_path / "ds")
    with root_lock(root):
        before = tree_digest(tmp_path)
        with pytest.raises(Emo3DError, match="another `emo3d generate`"):
            generate_dataset(_config(), root, workers=1, progress=False)
        assert tree_digest(tmp_path) == before


def test_root_from_an_earlier_version_is_adopted(tmp_path: Path) -> None:
    from emo3d_lib.data.generate import MARKER_NAME, generate_dataset

    root = tmp_path / "ds"
    generate_dataset(_config(), root, workers=1, progress=False)
    (root / MARKER_NAME).unlink()  # as written before the marker existed
    manifest = generate_dataset(_config(), root, workers=1, progress=False)
    assert manifest["run"]["shards_generated"] == 0 and (root / MARKER_NAME).is_file()


# ---- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("values, match", [
    (np.full(52, 1.5), "outside"), (np.full(52, -0.1), "outside"),
    (np.full(52, np.nan), "non-finite"), (np.full(52, np.inf), "non-finite"),
    (np.zeros(51), r"\(N, 52\)"), (np.zeros((2, 3, 52)), r"\(N, 52\)"),
    (np.array(["0.5"] * 52, dtype=object), "not a number"),
    (np.array([True] * 52), "expected numbers"), (np.array(["a"] * 52), "expected numbers"),
    ([None] * 52, "not a number"),
])
def test_blendshape_vectors_are_validated(values, match: str) -> None:
    from emo3d_lib.face.head import check_weights
    from emo3d_lib.validate import blendshape_matrix

    with pytest.raises(Emo3DError, match=match):
        blendshape_matrix(values)
    with pytest.raises(Emo3DError, match=match):
        check_weights(values)  # the face stage's name for the same check


def test_valid_vectors_pass_unchanged() -> None:
    from emo3d_lib.validate import blendshape_matrix, emotion_matrix

    w = blendshape_matrix([0, 1] * 26)
    assert w.dtype == np.float32 and w.shape == (1, 52)
    assert emotion_matrix(np.eye(8)).shape == (8, 8)


@pytest.mark.parametrize("obj, match", [
    ({"anger": 1.2}, "outside"), ({"rage": 0.5}, "rage"), ({"anger": "0.5"}, "not a number"),
    ({"anger": False}, "not a number"), ([0.1] * 7, "expected 8"), ("anger", "expected a list"),
])
def test_emotion_vectors_are_validated(obj, match: str) -> None:
    from emo3d_lib.validate import emotions_from_json

    with pytest.raises(Emo3DError, match=match):
        emotions_from_json(obj)


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u200b", "\u200c\u200d", "\u2060",
                                  "\ufeff", "\u00a0", "\u3000", "\x00", "\u202e\u202c",
                                  "\u200b \u200b"])
def test_texts_empty_after_removing_invisible_characters_are_refused(text: str) -> None:
    from emo3d_lib.validate import check_texts

    with pytest.raises(Emo3DError, match="text 1: empty"):
        check_texts(["a calm face", text])


def test_texts_with_visible_characters_pass() -> None:
    from emo3d_lib.validate import check_texts

    assert check_texts(["\u200bsad", "😢", "怒り"]) == ["\u200bsad", "😢", "怒り"]


# ---- files, devices, splits ------------------------------------------------------------------
def test_json_reader_names_non_utf8_and_tolerates_a_bom(tmp_path: Path) -> None:
    from emo3d_lib.files import read_json

    (tmp_path / "a.json").write_bytes(b'{"x": "\xff"}')
    with pytest.raises(Emo3DError, match="a.json: not UTF-8"):
        read_json(tmp_path / "a.json")
    (tmp_path / "b.json").write_bytes(b'\xef\xbb\xbf{"x": 1}')
    assert read_json(tmp_path / "b.json") == {"x": 1}


@pytest.mark.parametrize("device", ["tpu", "cuda:99", "gpu", "cpu:0:1", "CPU "])
def test_unknown_or_absent_devices_are_named(device: str) -> None:
    from emo3d_lib.device import pick_device

    with pytest.raises(Emo3DError, match="device"):
        pick_device(device)


@pytest.mark.parametrize("n", range(1, 9))
def test_small_classes_reach_the_test_split(n: int) -> None:
    from emo3d_lib.data.splits import assign_splits

    emotions = np.zeros((n, 8))
    emotions[:, 7] = 1.0  # all contempt, the rarest class
    split = assign_splits(emotions, seed=0)
    assert (split == "test").sum() >= 1
    assert (split == "train").sum() >= (1 if n >= 2 else 0)
    assert (split == "val").sum() >= (1 if n >= 3 else 0)


# ---- secrets in URLs -------------------------------------------------------------------------
@pytest.mark.parametrize("url, shown", [
    ("https://user:KEY@host/v1", "https://user:***@host/v1"),
    ("https://KEY@host/v1", "https://***@host/v1"),
    ("https://host/v1?api-key=KEY&model=x", "https://host/v1?api-key=***&model=x"),
    ("https://host/v1?token=KEY", "https://host/v1?token=***"),
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
])
def test_credentials_in_urls_are_redacted(url: str, shown: str) -> None:
    from emo3d_lib.text.llm import redact_url

    assert redact_url(url) == shown


def test_truncated_http_body_is_one_line_with_the_url_redacted() -> None:
    from emo3d_lib.text.llm import ChatClient, LLMConfig

    class Short(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [')
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Short)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/v1?api-key=SECRETKEY"
    client = ChatClient(LLMConfig(url, "m", "SECRETKEY"), timeout=10, retries=0)
    try:
        with pytest.raises(Emo3DError) as info:
            client.chat([{"role": "user", "content": "hi"}])
    finally:
        thread.join(10)
        server.server_close()
    msg = str(info.value)
    assert "truncated" in msg and "api-key=***" in msg and "SECRETKEY" not in msg
    assert "\n" not in msg
    assert "SECRETKEY" not in repr(client.config)


def test_annotation_report_never_holds_the_key(tmp_path: Path, monkeypatch) -> None:
    from emo3d_lib import cli as emo3d_cli
    from emo3d_lib.text import llm

    monkeypatch.setenv("EMO3D_LLM_BASE_URL", "https://user:SECRETKEY@host/v1?api-key=SECRETKEY")
    monkeypatch.setenv("EMO3D_LLM_MODEL", "m")
    reply = json.dumps({e: 0.1 for e in llm.EMOTIONS})
    monkeypatch.setattr(llm.ChatClient, "chat", lambda self, *a, **k: reply)
    release = Path(__file__).parent / "data" / "emo3d_release"
    out = tmp_path / "report.json"
    assert emo3d_cli.main(["annotate", "--data", str(release), "--annotator", "llm",
                           "--out", str(out)]) == 0
    text = out.read_text()
    assert "SECRETKEY" not in text and "user:***@host" in text
