"""Optional Face Cap head: decoded from meshopt/KTX2, names mapped, renders as a face."""

from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.facecap import arkit_name, find_facecap, load_facecap
from emo3d_lib.schema import BLENDSHAPES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "assets" / "facecap.glb"
needs_facecap = pytest.mark.skipif(not SHARED.is_file(), reason="facecap.glb not present")


def test_name_mapping():
    assert arkit_name("mouthSmile_L") == "mouthSmileLeft"
    assert arkit_name("browDown_R") == "browDownRight"
    assert arkit_name("jawLeft") == "jawLeft"
    assert arkit_name("browInnerUp") == "browInnerUp"


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(Emo3DError, match="not found"):
        find_facecap(str(tmp_path / "nope.glb"))


@needs_facecap
def test_facecap_decodes_and_renders():
    head = load_facecap(str(SHARED))
    skin = head.part("skin")
    assert skin.vertices.shape == (2694, 3) and skin.faces.shape == (5032, 3)
    assert skin.morph_targets.shape == (52, 2694, 3)
    moving = np.abs(skin.morph_targets).max(axis=(1, 2)) > 1e-4
    # every MediaPipe channel but _neutral has a Face Cap morph (tongueOut is dropped)
    assert [n for n, m in zip(BLENDSHAPES, moving, strict=True) if not m] == ["_neutral"]
    assert skin.texture.shape == (1024, 1024, 3)
    assert "Face Cap" in head.credit
    assert {p.name for p in head.parts} >= {"skin", "eyeLeft", "eyeRight", "teeth"}
    # smile raises the subject's left mouth corner on the +x side
    d = skin.morph_targets[BLENDSHAPES.index("mouthSmileLeft")]
    moved = np.linalg.norm(d, axis=1) > 0.2 * np.linalg.norm(d, axis=1).max()
    assert skin.vertices[moved, 0].mean() > 0

    from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor
    from emo3d_lib.face.render import FaceRenderer

    w = np.zeros((2, 52), np.float32)
    w[1, BLENDSHAPES.index("jawOpen")] = 1
    with FaceRenderer(head, size=256) as r:
        imgs = r.render(w)
    with BlendshapeExtractor() as ex:
        s = ex.extract(imgs)
    assert s[0] is not None and s[1] is not None
    assert s[1][BLENDSHAPES.index("jawOpen")] > s[0][BLENDSHAPES.index("jawOpen")] + 0.3
