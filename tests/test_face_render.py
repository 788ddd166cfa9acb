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


def _worker_render(value: float) -> tuple[int, float]:
    """Runs in a spawned worker: one renderer per process, created there."""
    img = FaceRenderer("builtin", size=64).render(_jaw(value))
    return os.getpid(), float(img.mean())


def test_renderer_per_spawned_worker(renderer):
    import concurrent.futures as cf
    import multiprocessing as mp

    local = float(FaceRenderer("builtin", size=64).render(_jaw(0.7)).mean())
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        pid, remote = pool.submit(_worker_render, 0.7).result(timeout=120)
    assert pid != os.getpid()
    assert abs(remote - local) < 0.01  # same image in a fresh process (deterministic)


def test_render_faces_convenience():
    img = render_faces(_jaw(0.3), size=64)
    assert img.shape == (1, 64, 64, 3)


def test_fork_after_parent_context_fails_fast(renderer):
    renderer.render(_jaw(0))  # this process now owns an EGL context
    pid = os.fork()
    if pid == 0:  # child: must refuse with Emo3DError instead of hanging in Mesa
        try:
            FaceRenderer("builtin", size=32, backend="egl").render(_jaw(0))
            os._exit(3)
        except Emo3DError as err:
            os._exit(0 if "spawn" in str(err) else 4)
        except BaseException:
            os._exit(5)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_model_imports_after_rendering_do_not_crash() -> None:
    """Rendering first and importing open_clip/torchvision later once segfaulted (exit 139)."""
    import subprocess
    import sys

    code = ("import numpy as np\n"
            "from emo3d_lib.face.render import FaceRenderer\n"
            "FaceRenderer('builtin', size=32).render(np.zeros((1, 52), np.float32))\n"
            "import open_clip\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]


def test_lid_shade_darkens_a_band_just_below_the_lid():
    from emo3d_lib.face.render import LID_DARK, lid_shade

    line = np.array([[-1.0, 0.0], [0.0, 0.1], [1.0, 0.0]], np.float32)
    pts = np.array([[0.0, 0.3], [0.0, 0.09], [0.0, -0.2], [0.0, -2.0]], np.float32)
    shade = lid_shade(pts, line, band=0.5)
    assert shade[0] == pytest.approx(1 - LID_DARK) and shade[1] < 1 - 0.9 * LID_DARK
    assert shade[1] < shade[2] < shade[3] == pytest.approx(1.0)
    assert np.all(lid_shade(pts, line[:1], band=0.5) == 1.0)  # no lid, no shadow


def test_crease_light_shades_the_floor_of_a_fold_not_a_plane():
    from emo3d_lib.face.head import MeshPart
    from emo3d_lib.face.render import crease_light
    from emo3d_lib.face.scene import vertex_normals

    xs, ys = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))
    q = np.arange(41 * 41).reshape(41, 41)
    faces = np.concatenate([np.stack([q[:-1, :-1], q[:-1, 1:], q[1:, 1:]], -1).reshape(-1, 3),
                            np.stack([q[:-1, :-1], q[1:, 1:], q[1:, :-1]], -1).reshape(-1, 3)])
    for depth, shaded in ((0.0, False), (1.5, True)):
        v = np.stack([xs, ys, -depth * np.exp(-(xs / 0.3) ** 2)], -1).reshape(-1, 3)
        v = v.astype(np.float32)
        n = vertex_normals(v, faces)
        n *= np.sign(n[:, 2:3].mean())  # facing +z, as the camera sees it
        part = MeshPart("fold", v, faces.astype(np.int32), crease=0.5)
        light = crease_light(part, v, n)[:, 0].reshape(41, 41)
        assert (light[20, 20] < 0.9) == shaded and light[20, 2] == pytest.approx(1.0)
    assert crease_light(MeshPart("flat", v, faces.astype(np.int32)), v, n) is None
