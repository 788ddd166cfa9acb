"""``emo3d render``, ``emo3d extract`` and ``emo3d rig-check`` end to end (small sizes)."""

import json
import re

import numpy as np
from PIL import Image

from emo3d_lib.face.cli import read_blendshapes_json
from emo3d_lib.schema import BLENDSHAPES


def _main(argv):
    import argparse

    from emo3d_lib.face import cli

    parser = argparse.ArgumentParser(prog="emo3d")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_render_then_extract(tmp_path, capsys):
    spec = tmp_path / "smile.json"
    spec.write_text(json.dumps({"mouthSmile_L": 1.0, "mouthSmileRight": 1.0, "jawOpen": 0.2}))
    out = tmp_path / "face.png"
    assert _main(["render", "--blendshapes", str(spec), "--out", str(out), "--size", "192"]) == 0
    assert Image.open(out).size == (192, 192)
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(blank)
    capsys.readouterr()
    assert _main(["extract", str(out), str(blank), "--compact"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result[str(blank)] is None
    scores = result[str(out)]
    assert list(scores) == list(BLENDSHAPES)
    assert scores["mouthSmileLeft"] > 0.2


def test_blendshape_json_errors_name_the_problem(tmp_path):
    import pytest

    from emo3d_lib.errors import Emo3DError

    p = tmp_path / "b.json"
    p.write_text(json.dumps({"smile": 1}))
    with pytest.raises(Emo3DError, match="smile"):
        read_blendshapes_json(p)
    p.write_text(json.dumps([0.1] * 51))
    with pytest.raises(Emo3DError, match="52"):
        read_blendshapes_json(p)
    p.write_text(json.dumps([0.0] * 52))
    assert read_blendshapes_json(p).shape == (52,)


def test_rig_check_prints_table_and_mean(capsys, tmp_path):
    out = tmp_path / "rc.json"
    capsys.readouterr()
    assert _main(["rig-check", "--samples", "24", "--seed", "1", "--json", str(out),
                  "--no-facecap"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"mean r = -?\d\.\d{3}", lines[-1])
    assert any(line.startswith("dead (") for line in lines)
    assert any(line.startswith("jawOpen ") for line in lines)
    assert "mean built-in r = " in lines[-2]  # the default (ICT) head beside the built-in one
    data = json.loads(out.read_text())
    assert data["samples"] == 24 and len(data["r_image"]) == 52
    assert f"{data['mean_r']:.3f}" == lines[-1].split("= ")[1]


def test_rig_check_regions_places_the_gap(capsys, tmp_path):
    out = tmp_path / "rc.json"
    capsys.readouterr()
    assert _main(["rig-check", "--head", "builtin", "--samples", "12", "--size", "128",
                  "--regions", "--out", str(out), "--no-facecap", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "where the gap to the ceiling is lost" in text and "every landmark" in text
    regions = {r["true motion swapped in"]: r for r in json.loads(out.read_text())["regions"]}
    assert regions["lips"]["landmarks"] == 40
    assert regions["none (detected)"]["tracking gain"] is None  # NaN is written as null


def test_rig_check_regions_needs_the_frontal_shot(tmp_path):
    import pytest

    from emo3d_lib.errors import Emo3DError

    with pytest.raises(Emo3DError, match="--regions works on the fixed frontal shot"):
        _main(["rig-check", "--regions", "--vary-identity", "--samples", "12", "--no-facecap"])


def test_rig_check_regions_needs_true_landmarks(monkeypatch):
    import dataclasses

    import pytest

    from emo3d_lib.errors import Emo3DError
    from emo3d_lib.face import heads

    bare = dataclasses.replace(heads.load_head("builtin"), landmark_refs=None)
    monkeypatch.setattr(heads, "load_head", lambda name, path=None: bare)
    with pytest.raises(Emo3DError, match="--regions needs true landmarks"):
        _main(["rig-check", "--regions", "--head", "builtin", "--samples", "12", "--no-facecap"])
