"""Renderer backends, identities and input checks."""

import os

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.identity import Identity, sample_identities
from emo3d_lib.face.render import FaceRenderer, render_faces
from emo3d_lib.schema import BLENDSHAPES


@pytest.fixture(scope="module")
def renderer():
    r = FaceRenderer("builtin", size=96)
    yield r
    r.close()


def _jaw(value: float) -> np.ndarray:
    w = np.zeros((1, 52), np.float32)
    w[0, BLENDSHAPES.index("jawOpen")] = value
    return w


def test_batch_shape_and_expression_changes_mouth(renderer):
    imgs = renderer.render(np.concatenate([_jaw(0), _jaw(1)]))
    assert imgs.shape == (2, 96, 96, 3) and imgs.dtype == np.uint8
    diff = np.abs(imgs[0].astype(int) - imgs[1].astype(int)).sum(-1)
    ys, xs = np.nonzero(diff > 30)
    assert len(ys) > 20
    assert ys.mean() > 96 * 0.55  # the change is in the lower face
    bg = np.asarray(Identity.default().background) * 255
    assert np.abs(imgs[0, 0, 0] - bg).max() <= 2  # corners show the background


def test_numpy_backend_matches_egl(renderer):
    if renderer.backend != "egl":
        pytest.skip("EGL not available")
    w = _jaw(0.5)
    gl = renderer.render(w)[0].astype(float)
    cpu = FaceRenderer("builtin", size=96, backend="numpy").render(w)[0].astype(float)
    face = np.abs(gl - cpu).sum(-1)
    assert np.median(face) < 6  # same scene; only antialiasing and filtering differ
    assert (face > 60).mean() < 0.05


def test_identities_are_seeded_and_vary_the_image(renderer):
    a, b = sample_identities(7, 3), sample_identities(7, 3)
    assert a == b and a != sample_identities(8, 3)
    assert sample_identities(7, 2, start=1) == a[1:]
    w = np.repeat(_jaw(0), 3, axis=0)
    imgs = renderer.render(w, a)
    assert not np.array_equal(imgs[0], imgs[1])


def test_bad_input_raises(renderer):
    with pytest.raises(Emo3DError, match="52"):
        renderer.render(np.zeros((1, 51), np.float32))
    w = _jaw(0.2)
    w[0, 3] = np.inf
    with pytest.raises(Emo3DError, match="non-finite"):
        renderer.render(w)
    with pytest.raises(Emo3DError, match="identities"):
        renderer.render(_jaw(0), [Identity.default()] * 2)
    with pytest.raises(Emo3DError, match="backend"):
        FaceRenderer(backend="vulkan")


def test_forked_worker_gets_its_own_context(renderer):
    renderer.render(_jaw(0))  # context made in this process
    pid = os.fork()
    if pid == 0:  # child: must build a fresh context, not reuse the parent's
        try:
            ok = renderer.render(_jaw(1)).shape == (1, 96, 96, 3)
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_render_faces_convenience():
    img = render_faces(_jaw(0.3), size=64)
    assert img.shape == (1, 64, 64, 3)
