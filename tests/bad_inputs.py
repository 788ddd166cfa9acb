"""Bad inputs a hostile or careless user hands ``emo3d``: the workspace they live in and the cases.

Shared by ``tests/test_bad_inputs_cli.py`` (in-process, ``emo3d_lib.cli.main``) and
``scripts/probe_bad_inputs.py`` (subprocesses against any source tree, counting tracebacks,
silent acceptance and damage). A case is an argv with ``{ws}`` for the workspace root and the
text its one error line must contain (what it names). Every case must end with exit code 2,
one ``emo3d CMD: error:`` line, no traceback, and the workspace byte-identical afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RELEASE = Path(__file__).resolve().parent / "data" / "emo3d_release"
#: The file a pickle payload creates if it ever runs.
PWNED = "PWNED"


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    expect: str                     # substring of the error line (case-insensitive)
    env: dict[str, str] = field(default_factory=dict)
    hold_lock: str | None = None    # path (with {ws}) whose generation lock is held meanwhile

    def args(self, ws: Path) -> list[str]:
        return [a.replace("{ws}", str(ws)) for a in self.argv]


def tree_digest(root: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every file (and '<dir>' for every folder) under ``root``."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for d in dirnames:
            out[(base / d).relative_to(root).as_posix()] = "<dir>"
        for f in filenames:
            p = base / f
            out[p.relative_to(root).as_posix()] = (
                "<link>" if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest())
    return out


# ----------------------------------------------------------------------------------------------
# The workspace
# ----------------------------------------------------------------------------------------------
def _payload_pickle(target: Path, protocol: int = 2) -> bytes:
    """A torch-style pickle whose loading (with weights_only=False) creates ``target``."""
    import io

    class Payload:
        def __reduce__(self):  # noqa: ANN204 - the attack
            return (exec, (f"open({str(target)!r}, 'w').close()",))

    import torch

    buf = io.BytesIO()
    torch.save({"head": Payload()}, buf, pickle_protocol=protocol)
    return buf.getvalue()


def _huge_png(width: int, height: int) -> bytes:
    """A valid PNG header (+ a tiny IDAT) claiming ``width`` x ``height``: a decompression bomb
    for any reader that trusts the header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _tiny_fei():
    """A valid FEI model on the 3D branch only (small untrained heads)."""
    from emo3d_lib.fei.model import FEIConfig, FEIModel, Standardizer
    from emo3d_lib.fei.networks import MLPHead

    rng = np.random.default_rng(0)
    heads = {"cls_3d": MLPHead(52, "classify", 8), "reg_3d": MLPHead(52, "regress", 8)}
    return FEIModel(config=FEIConfig(head_hidden=8), fusions=["3d"],
                    scalers={"3d": Standardizer.fit(rng.random((20, 52)).astype(np.float32))},
                    heads=heads, weights={}, best_fusion="3d",
                    history={"cls_3d": [{"epoch": 1, "val_score": np.float64(0.5)}]})


def _predictions(ws: Path, name: str, mutate) -> None:
    from emo3d_lib.schema import BLENDSHAPES

    ids = [0, 1, 2, 3, 4]
    df = {"sample_id": ids, **{b: [0.1] * len(ids) for b in BLENDSHAPES}}
    import pandas as pd

    frame = pd.DataFrame(df)
    frame = mutate(frame)
    frame.to_csv(ws / "pred" / name, index=False)


def build_workspace(ws: Path, lm_checkpoint: Path) -> Path:
    """Write every bad (and the few good) inputs the cases point at under ``ws``."""
    import torch

    from emo3d_lib.schema import BLENDSHAPES

    ws.mkdir(parents=True, exist_ok=True)
    shutil.copytree(RELEASE, ws / "release")
    (ws / "afile.txt").write_text("a file, not a directory\n")

    # someone else's folders: a notes folder, and one that looks like a release
    foreign = ws / "foreign"
    (foreign / "data").mkdir(parents=True)
    (foreign / "notes.txt").write_text("my thesis notes\n")
    (foreign / "data" / "emo3d_data.parquet").write_bytes(b"not ours")
    (foreign / "prompt1_images_0_1000").mkdir()
    (foreign / "prompt1_images_0_1000" / "0_1.jpeg").write_bytes(b"someone's photo")
    (foreign / ".draft.tmp").write_text("another program's temp file\n")
    (ws / "marker_forged").mkdir()
    (ws / "marker_forged" / ".emo3d-dataset").write_text("not our marker\n")
    (ws / "marker_forged" / "thesis.tex").write_text("\\documentclass{article}\n")

    # blendshape JSON files
    bs = ws / "bs"
    bs.mkdir()
    zeros = [0.0] * 52

    def put(name: str, obj: object) -> None:
        (bs / name).write_text(json.dumps(obj))

    put("above_one.json", [2.0] + zeros[1:])
    put("negative.json", zeros[:5] + [-0.5] + zeros[6:])
    put("huge.json", [1e30] * 52)
    put("strings.json", ["0.5"] * 52)
    put("bools.json", [True] * 52)
    put("nulls.json", [None] * 52)
    put("short.json", zeros[:51])
    put("long.json", zeros + [0.0])
    put("nested.json", [zeros])
    put("unknown_name.json", {"smile": 1.0})
    put("name_string.json", {"jawOpen": "0.5"})
    put("name_bool.json", {"jawOpen": True})
    put("name_range.json", {"jawOpen": 1.5})
    put("scalar.json", 0.5)
    (bs / "nan.json").write_text("[" + ", ".join(["NaN"] + ["0"] * 51) + "]")
    (bs / "infinity.json").write_text("[" + ", ".join(["Infinity"] + ["0"] * 51) + "]")
    (bs / "not_json.json").write_text("[0.1, 0.2,")
    (bs / "empty.json").write_text("")
    (bs / "latin1.json").write_bytes(b'{"jawOpen": 0.5, "caf\xe9": 1}')
    (bs / "a_directory.json").mkdir()

    # checkpoints
    ck = ws / "ckpt"
    shutil.copytree(lm_checkpoint, ck / "good")
    cfg = (ck / "good" / "model_config.json").read_text()
    weights = (ck / "good" / "model.pt").read_bytes()

    def ckpt(name: str, model: bytes | None, config: bytes | str | None) -> Path:
        d = ck / name
        d.mkdir()
        if model is not None:
            (d / "model.pt").write_bytes(model)
        if config is not None:
            (d / "model_config.json").write_bytes(config.encode() if isinstance(config, str)
                                                  else config)
        return d

    ckpt("corrupt", b"\x00garbage" * 50, cfg)
    ckpt("truncated", weights[: len(weights) // 2], cfg)
    ckpt("payload", _payload_pickle(ws / PWNED), cfg)
    ckpt("empty_weights", b"", cfg)
    state = torch.load(ck / "good" / "model.pt", weights_only=True)
    state["head"] = {k: v + 1.0 for k, v in state["head"].items()}  # another model's weights
    other = ck / "other.pt"
    torch.save(state, other)
    ckpt("mixed", other.read_bytes(), cfg)
    other.unlink()
    relabel = json.loads(cfg)
    relabel["model"]["name"] = "multilingual-mlp"  # config relabelled under another model
    ckpt("relabelled", weights, json.dumps(relabel))
    ckpt("config_latin1", weights, b'{"model": "caf\xe9"}')
    ckpt("config_not_json", weights, "{model: lm-mlp")
    ckpt("config_list", weights, "[1, 2, 3]")
    ckpt("config_missing_keys", weights, json.dumps({"model": {"name": "lm-mlp"}}))
    ckpt("no_config", weights, None)
    (ck / "tensor_list.pt").write_bytes(b"")
    # FEI checkpoints
    fei = ws / "fei"
    fei.mkdir()
    (fei / "payload.pt").write_bytes(_payload_pickle(ws / PWNED, pickle.HIGHEST_PROTOCOL))
    (fei / "corrupt.pt").write_bytes(b"PK\x03\x04 truncated zip")
    (fei / "empty.pt").write_bytes(b"")
    torch.save({"config": {}, "scalers": {"3d": (np.zeros(52), np.ones(52))}}, fei / "legacy.pt")
    torch.save({"format": "emo3d-fei/2", "meta_json": "{not json"}, fei / "bad_meta.pt")
    _tiny_fei().save(fei / "ok.pt")

    # images
    im = ws / "img"
    im.mkdir()
    from PIL import Image

    Image.new("RGB", (64, 64), (120, 90, 80)).save(im / "ok.png")
    (im / "bomb.png").write_bytes(_huge_png(20000, 10000))   # 200 megapixels
    (im / "big.png").write_bytes(_huge_png(8000, 6000))      # 48 MP: above the 40 MP limit
    (im / "text.png").write_text("this is not an image\n")
    full = (im / "ok.png").read_bytes()
    buf = Image.new("RGB", (256, 256), (10, 200, 30))
    buf.save(im / "whole.jpeg", quality=90)
    (im / "truncated.jpeg").write_bytes((im / "whole.jpeg").read_bytes()[:300])
    (im / "whole.jpeg").unlink()
    (im / "empty.png").write_bytes(b"")
    del full

    # predictions files for evaluate
    (ws / "pred").mkdir()
    _predictions(ws, "above_one.csv", lambda f: f.assign(jawOpen=[0.1, 1.7, 0.1, 0.1, 0.1]))
    _predictions(ws, "negative.csv", lambda f: f.assign(mouthClose=[-0.2] * 5))
    _predictions(ws, "nan.csv", lambda f: f.assign(jawOpen=[np.nan] * 5))
    _predictions(ws, "words.csv", lambda f: f.assign(jawOpen=["open"] * 5))
    _predictions(ws, "bools.csv", lambda f: f.assign(jawOpen=[True, False, True, True, False]))
    _predictions(ws, "missing_col.csv", lambda f: f.drop(columns=["jawOpen"]))
    _predictions(ws, "dup_ids.csv", lambda f: f.assign(sample_id=[0, 0, 1, 2, 3]))
    _predictions(ws, "ok.csv", lambda f: f)
    (ws / "pred" / "latin1.csv").write_bytes(
        ("sample_id," + ",".join(BLENDSHAPES) + "\n").encode() + b"0,\xe9" + b",0" * 51 + b"\n")
    (ws / "pred" / "preds.txt").write_text("sample_id\n0\n")

    # datasets a loader must refuse
    def dataset(name: str, edit) -> None:
        import pandas as pd

        from emo3d_lib import schema

        root = ws / "datasets" / name
        shutil.copytree(RELEASE, root)
        df = schema.load_dataset(root, check_images=False)
        df = edit(df)
        parquet = root / "data" / schema.PARQUET_NAME
        parquet.unlink()
        for s in schema.SPLITS:
            df[df["split"] == s].drop(columns=["split"]).to_csv(
                root / "data" / schema.SPLIT_CSV[s], index=False)
        del pd

    def invisible_text(df):
        df.loc[0, "text_1"] = "\u200b\u200d\ufeff \u2060"
        return df

    def score_above_one(df):
        df.loc[1, "blenshape_score_1"] = "[" + " ".join(["1.5"] * 52) + "]"
        return df

    def emotion_negative(df):
        df.loc[2, "anger"] = -0.3
        return df

    dataset("invisible_text", invisible_text)
    dataset("score_above_one", score_above_one)
    dataset("emotion_negative", emotion_negative)
    latin = ws / "datasets" / "latin1_csv"
    shutil.copytree(RELEASE, latin)
    (latin / "data" / "emo3d_data.parquet").unlink()
    (latin / "data" / "train_data.csv").write_bytes(b"sample_id,text_1\n0,caf\xe9\n")
    return ws


# ----------------------------------------------------------------------------------------------
# The cases: (id, argv, what the error line must name)
# ----------------------------------------------------------------------------------------------
def _c(cid: str, argv: str, expect: str, **kw) -> Case:
    return Case(cid, tuple(argv.split()), expect, **kw)


GEN = "generate --no-progress --workers 1 --images-per-sample 0 --samples 4"
EVAL = "evaluate --data {ws}/release --split train --n 2 --boot 10 --quiet"
PRED = "predict --device cpu --checkpoint"
FEI_OUT = "--out {ws}/new_fei"
JUDGE = "judge --data {ws}/release --anchors shuffled --out {ws}/new_judge --fei"

CASES: tuple[Case, ...] = (
    # ---- generate: ownership of --out, parameters -----------------------------------------
    _c("gen-foreign-dir", f"{GEN} --out {{ws}}/foreign", "not empty and was not created"),
    _c("gen-foreign-restart", f"{GEN} --restart --out {{ws}}/foreign",
       "not empty and was not created"),
    _c("gen-release-dir", f"{GEN} --out {{ws}}/release", "not empty and was not created"),
    _c("gen-forged-marker", f"{GEN} --out {{ws}}/marker_forged", "not this project's"),
    _c("gen-out-file", f"{GEN} --out {{ws}}/afile.txt", "is a file"),
    _c("gen-out-under-file", f"{GEN} --out {{ws}}/afile.txt/ds", "is a file"),
    _c("gen-out-unwritable", f"{GEN} --out /proc/emo3d-ds", "not writable"),
    _c("gen-samples-0", "generate --no-progress --samples 0 --out {ws}/new_ds", "samples"),
    _c("gen-samples-neg", "generate --no-progress --samples -3 --out {ws}/new_ds", "samples"),
    _c("gen-seed-neg", f"{GEN} --seed -1 --out {{ws}}/new_ds", "seed"),
    _c("gen-images-9", "generate --samples 4 --images-per-sample 9 --out {ws}/new_ds",
       "images_per_sample"),
    _c("gen-shard-0", f"{GEN} --shard-size 0 --out {{ws}}/new_ds", "shard_size"),
    _c("gen-head", f"{GEN} --head clay --out {{ws}}/new_ds", "head"),
    _c("gen-image-size", "generate --samples 4 --image-size 8 --out {ws}/new_ds", "image_size"),
    _c("gen-split-two", f"{GEN} --split 0.5,0.5 --out {{ws}}/new_ds", "--split"),
    _c("gen-split-sum", f"{GEN} --split 0.9,0.9,-0.8 --out {{ws}}/new_ds", "split fractions"),
    _c("gen-split-nan", f"{GEN} --split nan,0.5,0.5 --out {{ws}}/new_ds", "split fractions"),
    _c("gen-workers-0", "generate --samples 4 --workers 0 --out {ws}/new_ds", "workers"),
    Case("gen-scheduler-empty", (*GEN.split(), "--scheduler", " ", "--out", "{ws}/new_ds"),
         "scheduler"),
    _c("gen-unknown-option", f"{GEN} --colour red --out {{ws}}/new_ds", "unrecognized"),
    _c("gen-locked", f"{GEN} --out {{ws}}/locked_ds", "another `emo3d generate`",
       hold_lock="{ws}/locked_ds"),
    # ---- primitives -----------------------------------------------------------------------
    _c("prim-words-0", "primitives --words-per-emotion 0 --out {ws}/new_prim", "words_per_emotion"),
    _c("prim-head", "primitives --head clay --out {ws}/new_prim", "head"),
    _c("prim-out-file", "primitives --out {ws}/afile.txt", "is a file"),
    _c("prim-foreign", "primitives --out {ws}/foreign", "not empty"),
    # ---- annotate / analyze -----------------------------------------------------------------
    _c("annotate-no-data", "annotate --data {ws}/missing", "missing"),
    _c("annotate-data-file", "annotate --data {ws}/afile.txt", "afile.txt"),
    _c("annotate-latin1", "annotate --data {ws}/datasets/latin1_csv", "train_data.csv"),
    _c("annotate-invisible", "annotate --data {ws}/datasets/invisible_text", "text_1"),
    _c("annotate-emotion-neg", "annotate --data {ws}/datasets/emotion_negative", "anger"),
    _c("annotate-limit", "annotate --data {ws}/release --limit -1", "--limit"),
    _c("annotate-out-dir", "annotate --data {ws}/release --out {ws}/bs", "is a directory"),
    _c("annotate-out-unwritable", "annotate --data {ws}/release --out /proc/x/r.json",
       "not writable"),
    _c("annotate-llm-unset", "annotate --data {ws}/release --annotator llm", "EMO3D_LLM"),
    _c("annotate-llm-userinfo", "annotate --data {ws}/release --annotator llm", "user:***@",
       env={"EMO3D_LLM_BASE_URL": "http://user:SECRETKEY@127.0.0.1:9/v1",
            "EMO3D_LLM_MODEL": "m"}),
    _c("annotate-llm-query-key", "annotate --data {ws}/release --annotator llm", "api-key=***",
       env={"EMO3D_LLM_BASE_URL": "http://127.0.0.1:9/v1?api-key=SECRETKEY",
            "EMO3D_LLM_MODEL": "m"}),
    _c("annotate-llm-scheme", "annotate --data {ws}/release --annotator llm", "http(s)",
       env={"EMO3D_LLM_BASE_URL": "ftp://u:SECRETKEY@host/v1", "EMO3D_LLM_MODEL": "m"}),
    _c("analyze-no-data", "analyze --data {ws}/missing --out {ws}/new_tables", "missing"),
    _c("analyze-out-file", "analyze --data {ws}/release --out {ws}/afile.txt", "is a file"),
    _c("analyze-foreign", "analyze --data {ws}/release --out {ws}/foreign", "not empty"),
    _c("analyze-top-n", "analyze --data {ws}/release --out {ws}/new_t --top-n 0", "--top-n"),
    _c("analyze-score", "analyze --data {ws}/datasets/score_above_one --out {ws}/new_t",
       "blenshape_score_1"),
    # ---- render: the blendshape JSON and --out --------------------------------------------
    *(_c(f"render-{name}", f"render --blendshapes {{ws}}/bs/{name}.json --out {{ws}}/o.png",
         expect) for name, expect in (
        ("above_one", "outside [0, 1]"), ("negative", "outside [0, 1]"),
        ("huge", "outside [0, 1]"), ("strings", "not a number"), ("bools", "not a number"),
        ("nulls", "not a number"), ("short", "expected 52"), ("long", "expected 52"),
        ("nested", "expected 52"), ("unknown_name", "smile"), ("name_string", "jawOpen"),
        ("name_bool", "jawOpen"), ("name_range", "outside [0, 1]"), ("scalar", "expected a list"),
        ("nan", "non-finite"), ("infinity", "non-finite"), ("not_json", "not valid JSON"),
        ("empty", "not valid JSON"), ("latin1", "not UTF-8"), ("a_directory", "is a directory"),
        ("missing", "does not exist"))),
    _c("render-out-gif", "render --blendshapes {ws}/bs/short.json --out {ws}/o.gif", ".png"),
    _c("render-out-dir", "render --blendshapes {ws}/bs/short.json --out {ws}/bs", "directory"),
    _c("render-out-under-file", "render --blendshapes {ws}/bs/short.json --out "
       "{ws}/afile.txt/o.png", "is a file"),
    _c("render-out-unwritable", "render --blendshapes {ws}/bs/short.json --out /proc/x/o.png",
       "not writable"),
    _c("render-head", "render --blendshapes {ws}/bs/short.json --out {ws}/o.png --head clay",
       "invalid choice"),
    # ---- extract: images --------------------------------------------------------------------
    _c("extract-missing", "extract {ws}/img/missing.png", "does not exist"),
    _c("extract-text", "extract {ws}/img/text.png", "not an image"),
    _c("extract-empty", "extract {ws}/img/empty.png", "empty.png"),
    _c("extract-truncated", "extract {ws}/img/truncated.jpeg", "truncated.jpeg"),
    _c("extract-bomb", "extract {ws}/img/bomb.png", "decompression bomb"),
    _c("extract-big", "extract {ws}/img/big.png", "megapixels"),
    _c("extract-dir", "extract {ws}/img", "not a file"),
    # ---- rig-check / rig-fit ------------------------------------------------------------------
    _c("rigcheck-json-dir", "rig-check --samples 8 --no-facecap --json {ws}/bs", "directory"),
    _c("rigcheck-json-unwritable", "rig-check --samples 8 --no-facecap --json /proc/x/r.json",
       "not writable"),
    _c("rigcheck-head", "rig-check --head clay", "invalid choice"),
    _c("rigfit-channel", "rig-fit smile --heldout 0", "smile"),
    _c("rigfit-budget", "rig-fit jawOpen --budget 0", "--budget"),
    _c("rigfit-json-dir", "rig-fit jawOpen --json {ws}/bs", "directory"),
    # ---- train / train-clip -----------------------------------------------------------------
    _c("train-no-data", "train --data {ws}/missing --model lm-mlp --out {ws}/new_run", "missing"),
    _c("train-out-file", "train --data {ws}/release --model lm-mlp --out {ws}/afile.txt",
       "is a file"),
    _c("train-out-foreign", "train --data {ws}/release --model lm-mlp --out {ws}/foreign",
       "not empty"),
    _c("train-device-tpu", "train --data {ws}/release --model lm-mlp --out {ws}/new_run "
       "--device tpu", "tpu"),
    _c("train-device-cuda", "train --data {ws}/release --model lm-mlp --out {ws}/new_run "
       "--device cuda:7", "cuda:7"),
    _c("train-epochs-0", "train --data {ws}/release --model lm-mlp --out {ws}/new_run "
       "--epochs 0", "--epochs"),
    _c("train-lr-neg", "train --data {ws}/release --model lm-mlp --out {ws}/new_run --lr -1",
       "--lr"),
    _c("train-model", "train --data {ws}/release --model gpt5 --out {ws}/new_run",
       "invalid choice"),
    _c("train-seed-neg", "train --data {ws}/release --model lm-mlp --out {ws}/new_run "
       "--seed -4", "--seed"),
    _c("train-score", "train --data {ws}/datasets/score_above_one --model lm-mlp "
       "--out {ws}/new_run --device cpu", "blenshape_score_1"),
    _c("trainclip-no-data", "train-clip --data {ws}/missing --out {ws}/new_clip", "missing"),
    _c("trainclip-foreign", "train-clip --data {ws}/release --out {ws}/foreign", "not empty"),
    _c("trainclip-device", "train-clip --data {ws}/release --out {ws}/new_clip --device npu",
       "npu"),
    # ---- predict: texts and checkpoints -----------------------------------------------------
    Case("predict-empty-text", (*PRED.split(), "{ws}/ckpt/good", "happy", ""), "text 1"),
    Case("predict-invisible-text", (*PRED.split(), "{ws}/ckpt/good", "\u200b\u2060\ufeff"),
         "text 0"),
    Case("predict-blank-text", (*PRED.split(), "{ws}/ckpt/good", " \t\n"), "text 0"),
    _c("predict-corrupt", f"{PRED} {{ws}}/ckpt/corrupt happy", "not a tensors-only"),
    _c("predict-truncated", f"{PRED} {{ws}}/ckpt/truncated happy", "model.pt"),
    _c("predict-payload", f"{PRED} {{ws}}/ckpt/payload happy", "refused"),
    _c("predict-empty-weights", f"{PRED} {{ws}}/ckpt/empty_weights happy", "model.pt"),
    _c("predict-mixed", f"{PRED} {{ws}}/ckpt/mixed happy", "SHA-256"),
    _c("predict-relabelled", f"{PRED} {{ws}}/ckpt/relabelled happy", "multilingual-mlp"),
    _c("predict-config-latin1", f"{PRED} {{ws}}/ckpt/config_latin1 happy", "not UTF-8"),
    _c("predict-config-not-json", f"{PRED} {{ws}}/ckpt/config_not_json happy", "not valid JSON"),
    _c("predict-config-list", f"{PRED} {{ws}}/ckpt/config_list happy", "JSON object"),
    _c("predict-config-keys", f"{PRED} {{ws}}/ckpt/config_missing_keys happy", "model_config"),
    _c("predict-no-config", f"{PRED} {{ws}}/ckpt/no_config happy", "model_config.json"),
    _c("predict-missing", f"{PRED} {{ws}}/ckpt/nothing happy", "nothing"),
    _c("predict-device", "predict --device quantum --checkpoint {ws}/ckpt/good happy",
       "quantum"),
    # ---- evaluate: predictions files, --out, device -----------------------------------------
    *(_c(f"evaluate-{name}", f"{EVAL} --out {{ws}}/new_eval.json --predictions "
         f"{{ws}}/pred/{name}", expect) for name, expect in (
        ("above_one.csv", "outside [0, 1]"), ("negative.csv", "outside [0, 1]"),
        ("nan.csv", "not a finite number"), ("words.csv", "'open'"),
        ("bools.csv", "true/false"), ("missing_col.csv", "jawOpen"),
        ("dup_ids.csv", "more than once"), ("latin1.csv", "latin1.csv"),
        ("preds.txt", "suffix"), ("missing.csv", "does not exist"))),
    _c("evaluate-out-dir", f"{EVAL} --out {{ws}}/bs --predictions {{ws}}/pred/ok.csv",
       "directory"),
    _c("evaluate-out-suffix", f"{EVAL} --out {{ws}}/r.txt --predictions {{ws}}/pred/ok.csv",
       ".json"),
    _c("evaluate-out-unwritable", f"{EVAL} --out /proc/x/r.json --predictions "
       "{ws}/pred/ok.csv", "not writable"),
    _c("evaluate-device", f"{EVAL} --out {{ws}}/new_eval.json --predictions {{ws}}/pred/ok.csv "
       "--device tpu:0", "tpu:0"),
    _c("evaluate-payload", f"{EVAL} --out {{ws}}/new_eval.json --checkpoint "
       "{ws}/ckpt/payload", "refused"),
    _c("evaluate-no-data", "evaluate --data {ws}/missing --anchor shuffled --out "
       "{ws}/new_eval.json", "missing"),
    _c("evaluate-k-0", f"{EVAL} --out {{ws}}/new_eval.json --anchor shuffled --k 0", "--k"),
    # ---- train-fei / judge --------------------------------------------------------------------
    _c("trainfei-crop", f"train-fei --data {{ws}}/release {FEI_OUT} --crop 0.01", "crop"),
    _c("trainfei-image-size", f"train-fei --data {{ws}}/release {FEI_OUT} --image-size 4",
       "image_size"),
    _c("trainfei-clip-no-ckpt", f"train-fei --data {{ws}}/release {FEI_OUT} --features-2d clip",
       "clip_ckpt"),
    _c("trainfei-n-boot", f"train-fei --data {{ws}}/release {FEI_OUT} --n-boot 0", "--n-boot"),
    _c("trainfei-foreign", "train-fei --data {ws}/release --out {ws}/foreign", "not empty"),
    _c("trainfei-no-data", f"train-fei --data {{ws}}/missing {FEI_OUT}", "missing"),
    _c("judge-payload", f"{JUDGE} {{ws}}/fei/payload.pt", "refused"),
    _c("judge-corrupt", f"{JUDGE} {{ws}}/fei/corrupt.pt", "corrupt.pt"),
    _c("judge-empty", f"{JUDGE} {{ws}}/fei/empty.pt", "empty.pt"),
    _c("judge-legacy", f"{JUDGE} {{ws}}/fei/legacy.pt", "legacy.pt"),
    _c("judge-bad-meta", f"{JUDGE} {{ws}}/fei/bad_meta.pt", "malformed"),
    _c("judge-missing", f"{JUDGE} {{ws}}/fei/missing.pt", "does not exist"),
    _c("judge-lm-as-fei", f"{JUDGE} {{ws}}/ckpt/good/model.pt", "train-fei"),
    _c("judge-foreign", "judge --data {ws}/release --fei {ws}/fei/payload.pt --out "
       "{ws}/foreign", "not empty"),
    _c("judge-n-boot", "judge --data {ws}/release --out {ws}/new_judge --n-boot 0 --fei "
       "{ws}/fei/corrupt.pt", "--n-boot"),
    # ---- book ------------------------------------------------------------------------------
    _c("judge-n-prompts", "judge --data {ws}/release --out {ws}/new_judge --n-prompts 1 --fei "
       "{ws}/fei/ok.pt", "--n-prompts"),
    _c("judge-metric-latin1", "judge --data {ws}/release --out {ws}/new_judge --fei "
       "{ws}/fei/ok.pt --metric-results {ws}/bs/latin1.json", "latin1.json"),
    _c("judge-metric-missing", "judge --data {ws}/release --out {ws}/new_judge --fei "
       "{ws}/fei/ok.pt --metric-results {ws}/nothing.json", "nothing.json"),
    _c("book-profile", "book --profile huge", "invalid choice"),
    _c("book-only", "book --only 99_nothing --no-build", "99_nothing"),
    _c("no-command", "", "required"),
)
