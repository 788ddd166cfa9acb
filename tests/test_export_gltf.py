"""``emo3d export``: a glTF 2.0 head with 52 ARKit morph targets, valid under Khronos' validator."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.book import vendor_js
from emo3d_lib.cli import main
from emo3d_lib.face.gltf_export import export_glb
from emo3d_lib.face.head import Head, MeshPart
from emo3d_lib.face.heads import load_head
from emo3d_lib.schema import BLENDSHAPES, N_BLENDSHAPES
from tests.browser_support import (  # noqa: F401  (fixtures: site, chromium)
    chromium_fixture,
    record_errors,
    record_external,
    site_fixture,
)

VALIDATE_JS = """
const fs = require("fs");
// node -e: argv[1], argv[2] are the validator folder and the .glb
const validator = require(process.argv[1]);
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])), {maxIssues: 100})
  .then(r => console.log(JSON.stringify(r)))
  .catch(e => { console.error(String(e)); process.exit(1); });
"""


def validate(glb: Path) -> dict:
    """The Khronos glTF validator's report (npm gltf-validator, run by node)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian package nodejs)")
    tool = vendor_js.vendor_tools() / "gltf-validator"
    proc = subprocess.run([node, "-e", VALIDATE_JS, str(tool), str(glb)], capture_output=True,
                          text=True, check=True, timeout=120)
    return json.loads(proc.stdout)


def read_glb(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    magic, version, total = struct.unpack_from("<4sII", data)
    assert (magic, version, total) == (b"glTF", 2, len(data))
    jlen, jtype = struct.unpack_from("<I4s", data, 12)
    assert jtype == b"JSON"
    gltf = json.loads(data[20:20 + jlen])
    blen, btype = struct.unpack_from("<I4s", data, 20 + jlen)
    assert btype == b"BIN\0"
    return gltf, data[28 + jlen:28 + jlen + blen]


def read_accessor(gltf: dict, blob: bytes, index: int) -> np.ndarray:
    """Dense float32 (count, 3) values of a VEC3 accessor, sparse or not."""
    acc = gltf["accessors"][index]
    out = np.zeros((acc["count"], 3), np.float32)
    if "bufferView" in acc:
        view = gltf["bufferViews"][acc["bufferView"]]
        out[:] = np.frombuffer(blob, np.float32, acc["count"] * 3,
                               view["byteOffset"]).reshape(-1, 3)
    if "sparse" in acc:
        sp = acc["sparse"]
        iv = gltf["bufferViews"][sp["indices"]["bufferView"]]
        vv = gltf["bufferViews"][sp["values"]["bufferView"]]
        idx = np.frombuffer(blob, np.uint32, sp["count"], iv["byteOffset"])
        out[idx] = np.frombuffer(blob, np.float32, sp["count"] * 3, vv["byteOffset"]).reshape(-1, 3)
    return out


def textured_head() -> Head:
    """A small head with a textured rigged part and a vertex-coloured unrigged one."""
    u, v = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    verts = np.stack([u.ravel(), v.ravel(), np.zeros(25)], 1).astype(np.float32)
    faces = np.array([[i * 5 + j, i * 5 + j + 5, i * 5 + j + 1]
                      for i in range(4) for j in range(4)], np.int32)
    deltas = np.zeros((N_BLENDSHAPES, 25, 3), np.float32)
    deltas[BLENDSHAPES.index("jawOpen"), 12] = [0, -0.3, 0.1]
    skin = MeshPart("skin", verts, faces, uv=(verts[:, :2] + 1) / 2,
                    texture=np.full((8, 8, 3), 180, np.uint8), morph_targets=deltas)
    eye = MeshPart("eye", verts[:3] * 0.1, np.array([[0, 1, 2]], np.int32),
                   colors=np.ones((3, 3), np.float32))
    return Head("tiny", (skin, eye), credit="test head (CC0)")


@pytest.mark.parametrize("which", ["default", "textured"])
def test_export_is_valid_gltf_with_52_named_targets_and_weights(tmp_path: Path, which) -> None:
    head = load_head() if which == "default" else textured_head()
    weights = np.zeros(N_BLENDSHAPES, np.float32)
    weights[BLENDSHAPES.index("jawOpen")] = 0.8
    weights[BLENDSHAPES.index("mouthSmileLeft")] = 0.5
    out = export_glb(head, weights, tmp_path / "face.glb")
    report = validate(out)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"][:10]

    gltf, blob = read_glb(out)
    assert gltf["asset"]["version"] == "2.0" and gltf["asset"]["copyright"] == head.credit
    rigged = [(m, p) for m, p in zip(gltf["meshes"], head.parts, strict=True)
              if p.morph_targets is not None]
    assert rigged
    for mesh, part in rigged:
        assert mesh["extras"]["targetNames"] == list(BLENDSHAPES)
        assert mesh["weights"] == pytest.approx(list(head.effective_weights(weights)))
        targets = mesh["primitives"][0]["targets"]
        assert len(targets) == N_BLENDSHAPES
        for k in (BLENDSHAPES.index("jawOpen"), BLENDSHAPES.index("eyeBlinkLeft")):
            got = read_accessor(gltf, blob, targets[k]["POSITION"])
            want = np.asarray(part.morph_targets[k], np.float32)
            assert np.abs(got - want).max() <= 1e-6  # sparse storage drops only sub-1e-6 deltas


def test_cli_text_and_blendshapes(tmp_path: Path, tiny_lm_checkpoint: Path, capsys) -> None:
    out = tmp_path / "text.glb"
    assert main(["export", "--text", "A joyful face, clearly happiness.", "--checkpoint",
                 str(tiny_lm_checkpoint), "--out", str(out), "--head", "builtin"]) == 0
    assert validate(out)["issues"]["numErrors"] == 0
    from emo3d_lib.models.predict import load_predictor

    want = load_predictor(tiny_lm_checkpoint, "cpu").predict(["A joyful face, clearly happiness."])
    gltf, _ = read_glb(out)
    got = [gltf["extras"]["blendshapes"][n] for n in BLENDSHAPES]
    assert np.abs(np.asarray(got) - want[0]).max() < 1e-6

    bs = tmp_path / "bs.json"
    bs.write_text(json.dumps({"jawOpen": 1.0}))
    assert main(["export", "--blendshapes", str(bs), "--out", str(tmp_path / "b.glb"),
                 "--head", "builtin"]) == 0
    gltf, _ = read_glb(tmp_path / "b.glb")
    assert gltf["extras"]["blendshapes"]["jawOpen"] == 1.0


def test_cli_bad_input_names_the_problem(tmp_path: Path, capsys) -> None:
    bs = tmp_path / "bs.json"
    bs.write_text(json.dumps({"jawOpen": 1.0}))
    assert main(["export", "--blendshapes", str(bs), "--out", str(tmp_path / "x.gltf"),
                 "--head", "builtin"]) == 2
    assert ".glb" in capsys.readouterr().err and not (tmp_path / "x.gltf").exists()
    assert main(["export", "--text", "a face", "--out", str(tmp_path / "x.glb")]) == 2
    assert "--checkpoint" in capsys.readouterr().err
    bs.write_text(json.dumps({"jawOpne": 1.0}))
    assert main(["export", "--blendshapes", str(bs), "--out", str(tmp_path / "x.glb")]) == 2
    assert "jawOpne" in capsys.readouterr().err


GLTF_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{"imports": {"three": "./_static/three/three.module.js"}}</script>
<script type="module">
import { GLTFLoader } from "./_static/three/addons/GLTFLoader.js";
new GLTFLoader().load("face.glb", (gltf) => {
  const meshes = [];
  gltf.scene.traverse((o) => { if (o.isMesh) meshes.push({
    name: o.name, targets: o.morphTargetDictionary || null,
    influences: o.morphTargetInfluences ? Array.from(o.morphTargetInfluences) : null,
    vertices: o.geometry.attributes.position.count,
    morphs: (o.geometry.morphAttributes.position || []).length }); });
  window.loaded = { meshes, copyright: gltf.asset.copyright };
}, undefined, (e) => { window.loaded = { error: String(e) }; });
</script></head><body></body></html>"""


@pytest.mark.browser
def test_three_js_gltfloader_imports_the_export(site, chromium) -> None:
    """three.js r187's GLTFLoader reads the 52 named targets and the weights (sparse accessors)."""
    root, base = site
    head = load_head()
    weights = np.zeros(N_BLENDSHAPES, np.float32)
    weights[BLENDSHAPES.index("jawOpen")] = 0.8
    export_glb(head, weights, root / "face.glb")
    (root / "gltf.html").write_text(GLTF_PAGE, encoding="utf-8")
    page = chromium.new_page()
    external, errors = record_external(page, base), record_errors(page)
    page.goto(base + "gltf.html", wait_until="networkidle")
    page.wait_for_function("window.loaded !== undefined", timeout=60_000)
    loaded = page.evaluate("window.loaded")
    assert "error" not in loaded, loaded
    assert loaded["copyright"] == head.credit
    rigged = [m for m in loaded["meshes"] if m["targets"]]
    assert len(loaded["meshes"]) == len(head.parts) and rigged
    want = head.effective_weights(weights)
    for mesh in rigged:
        assert mesh["morphs"] == N_BLENDSHAPES
        assert sorted(mesh["targets"], key=mesh["targets"].get) == list(BLENDSHAPES)
        assert mesh["influences"] == pytest.approx(list(want), abs=1e-6)
    assert not external and not errors, (external, errors)
    page.close()
