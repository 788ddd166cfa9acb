"""The pythreejs viewer: morph targets in BLENDSHAPES order, grouped sliders linked in-browser."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets
import numpy as np
import pytest

from emo3d_lib.book import viewer
from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import BLENDSHAPES, N_BLENDSHAPES


@dataclass(frozen=True)
class Part:
    name: str
    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray | None = None
    uv: np.ndarray | None = None
    texture: np.ndarray | None = None
    morph_targets: np.ndarray | None = None


@dataclass(frozen=True)
class Head:
    parts: tuple[Part, ...]


def small_head(moving: tuple[int, ...] = (BLENDSHAPES.index("jawOpen"),)) -> Head:
    """A 4x4 grid 'face' whose listed blendshapes push the middle up; an unrigged second part."""
    u, v = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 4))
    verts = np.stack([u.ravel(), v.ravel(), np.zeros(16)], 1).astype(np.float32)
    faces = np.array([[i * 4 + j, i * 4 + j + 1, i * 4 + j + 4]
                      for i in range(3) for j in range(3)])
    deltas = np.zeros((N_BLENDSHAPES, 16, 3), np.float32)
    for k in moving:
        deltas[k, 5, 2] = 0.5 + 0.01 * k
    uv = (verts[:, :2] + 1) / 2
    texture = np.full((8, 8, 3), 200, np.uint8)
    skin = Part("skin", verts, faces, uv=uv, texture=texture, morph_targets=deltas)
    tooth = Part("teeth", verts[:3] * 0.1, np.array([[0, 1, 2]]),
                 colors=np.ones((3, 3), np.float32))
    return Head((skin, tooth))


def test_groups_cover_every_blendshape_once_in_face_regions() -> None:
    groups = viewer.blendshape_groups()
    indices = [i for _, idx in groups for i in idx]
    assert sorted(indices) == list(range(N_BLENDSHAPES))
    names = [g for g, _ in groups]
    assert names == ["neutral", "brows", "eyes", "cheeks", "jaw", "mouth", "nose"]
    by_group = dict((g, [BLENDSHAPES[i] for i in idx]) for g, idx in groups)
    assert "jawOpen" in by_group["jaw"] and "mouthSmileLeft" in by_group["mouth"]
    assert by_group["nose"] == ["noseSneerLeft", "noseSneerRight"]
    with pytest.raises(Emo3DError, match="tongueOut"):
        viewer.blendshape_groups(("jawOpen", "tongueOut"))


def test_viewer_has_52_morph_targets_linked_to_the_slider_panel() -> None:
    weights = np.zeros(N_BLENDSHAPES)
    jaw = BLENDSHAPES.index("jawOpen")
    weights[jaw] = 0.7
    view = viewer.face_viewer(weights, small_head())
    assert isinstance(view, ipywidgets.HBox)
    skin, teeth = view.meshes
    morph = skin.geometry.morphAttributes["position"]
    assert len(morph) == N_BLENDSHAPES
    # three r97 wants absolute positions: rest + delta for jawOpen, the rest pose elsewhere
    rest = np.asarray(skin.geometry.attributes["position"].array)
    jaw_pos = np.asarray(morph[jaw].array)
    assert jaw_pos[5, 2] == pytest.approx(rest[5, 2] + 0.5 + 0.01 * jaw)
    assert morph[0] is skin.geometry.attributes["position"]  # unmoved target shares the rest pose
    assert skin.morphTargetInfluences == pytest.approx(list(weights))
    assert skin.material.morphTargets and not teeth.material.morphTargets
    assert skin.material.map is not None  # texture + uv carried over
    assert view.panel.weights == pytest.approx(list(weights))
    assert [(link.source, link.target) for link in view.links] == [
        ((view.panel, "weights"), (skin, "morphTargetInfluences"))]
    view.set_weights(np.full(N_BLENDSHAPES, 2.0))  # clipped to [0, 1]
    assert view.panel.weights == pytest.approx([1.0] * N_BLENDSHAPES)


def test_bad_input_names_the_problem() -> None:
    with pytest.raises(Emo3DError, match="expected 52"):
        viewer.face_viewer(np.zeros(51), small_head())
    bad = np.zeros(N_BLENDSHAPES)
    bad[3] = np.nan
    with pytest.raises(Emo3DError, match="browInnerUp"):
        viewer.check_weights(bad)
    head = small_head()
    wrong = Part("skin", head.parts[0].vertices, head.parts[0].faces,
                 morph_targets=np.zeros((51, 16, 3), np.float32))
    with pytest.raises(Emo3DError, match="skin.*morph_targets"):
        viewer.face_viewer(None, Head((wrong,)))
    with pytest.raises(Emo3DError, match="no part with morph_targets"):
        viewer.face_viewer(None, Head((head.parts[1],)))
    out_of_range = Part("skin", head.parts[0].vertices, np.array([[0, 1, 99]]))
    with pytest.raises(Emo3DError, match="face index out of range"):
        viewer.face_viewer(None, Head((out_of_range,)))


def test_vertex_normals_point_out_of_a_flat_grid() -> None:
    head = small_head()
    normals = viewer.vertex_normals(head.parts[0].vertices, head.parts[0].faces)
    used = np.unique(head.parts[0].faces)
    assert np.allclose(np.abs(normals[used, 2]), 1.0)


def test_builtin_head_viewer_and_static_png() -> None:
    from PIL import Image

    from emo3d_lib.face.heads import load_head

    head = load_head("builtin")
    smile = np.zeros(N_BLENDSHAPES, np.float32)
    smile[[BLENDSHAPES.index("mouthSmileLeft"), BLENDSHAPES.index("mouthSmileRight")]] = 1.0
    view = viewer.face_viewer(smile, head)
    assert len(view.meshes) == len(head.parts)
    png_neutral = viewer.static_png(np.zeros(N_BLENDSHAPES), head, size=96)
    png_smile = viewer.static_png(smile, head, size=96)
    import io

    a = np.asarray(Image.open(io.BytesIO(png_neutral)).convert("RGB"), np.int16)
    b = np.asarray(Image.open(io.BytesIO(png_smile)).convert("RGB"), np.int16)
    assert a.shape == (96, 96, 3)
    assert a.std() > 10  # a face, not a blank frame
    assert np.abs(a - b).max() > 30  # the smile changes the mouth
