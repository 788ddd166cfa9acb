"""Which CLIP the metric (and every other caller) gets: the one rule in models.clip.resolve_clip,
and the pixel tower's framing of a face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.errors import Emo3DError
from emo3d_lib.models import clip as clipmod


@pytest.fixture
def no_openai(monkeypatch, tmp_path):
    monkeypatch.delenv("EMO3D_CLIP_CHECKPOINT", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("EMO3D_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(clipmod, "openai_checkpoint", lambda: None)


def _fake_emo3d_clip(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / clipmod.CONFIG_FILE).write_text("{}")
    return folder


def test_resolution_order(no_openai, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    assert clipmod.resolve_clip(None, runs_dir=runs) is None
    default = _fake_emo3d_clip(clipmod.default_clip_dir())
    got = clipmod.resolve_clip(None, runs_dir=runs)
    assert (got.location, got.reason) == (str(default), "default location")
    assert clipmod.resolve_clip(None, search_default=False) is None  # training trains one
    in_runs = _fake_emo3d_clip(runs / clipmod.RUNS_SUBDIR)
    assert clipmod.resolve_clip(None, runs_dir=runs).location == str(in_runs)
    weights = tmp_path / "vit.bin"
    weights.write_bytes(b"x")
    monkeypatch.setattr(clipmod, "openai_checkpoint", lambda: str(weights))
    got = clipmod.resolve_clip(None, runs_dir=runs)
    assert (got.kind, got.location) == ("openai", str(weights))  # the paper's CLIP comes first
    given = clipmod.resolve_clip(str(in_runs), runs_dir=runs)
    assert (given.kind, given.reason) == ("emo3d-clip", "given")
    tags = clipmod.resolve_clip("ViT-B-32/openai")  # open_clip's own naming (online path)
    assert (tags.kind, tags.location) == ("openai", "ViT-B-32/openai")
    with pytest.raises(Emo3DError, match="does not exist"):
        clipmod.resolve_clip(str(tmp_path / "nowhere"))


def test_openai_weights_are_found_by_open_clip_naming(monkeypatch, tmp_path):
    cand = clipmod.openai_candidates()[0]
    assert (cand["open_clip_model"], cand["open_clip_pretrained"]) == ("ViT-B-32", "openai")
    repo, files = clipmod._hub_files(cand)
    assert repo == "timm/vit_base_patch32_clip_224.openai" and files
    monkeypatch.setenv(cand["env"], str(tmp_path / "missing.bin"))
    with pytest.raises(Emo3DError, match=cand["env"]):
        clipmod.openai_checkpoint()


def test_fit_images_crops_the_centre_then_resizes():
    img = np.zeros((1, 100, 100, 3), np.uint8)
    img[:, 30:70, 30:70] = 255            # a white square filling the central 40%
    x = clipmod.fit_images(img, 16, crop=0.4).numpy()
    assert x.shape == (1, 3, 16, 16) and x.min() > 0.99   # the crop is all square
    full = clipmod.fit_images(img, 20, crop=1.0).numpy()
    assert full[0, 0, 0, 0] == 0.0 and full[0, 0, 10, 10] == 1.0
    with pytest.raises(Emo3DError, match="crop"):
        clipmod.fit_images(img, 16, crop=0.1)
    with pytest.raises(Emo3DError, match="uint8"):
        clipmod.fit_images(img.astype(np.float32), 16)


def test_unknown_image_tower_is_refused():
    with pytest.raises(Emo3DError, match="image_tower type"):
        clipmod.image_tower_type({"image_tower": {"type": "sonar"}})
    assert clipmod.image_tower_type({}) == "pixels-vit"   # configs from before the key
    assert clipmod.image_tower_type({"image_tower": {"type": "pixels"}}) == "pixels-vit"


def test_mediapipe_score_tower_reads_faces_not_pixels(tiny_model_dataset, model_cache_dir,
                                                      image_dataset, tmp_path):
    """The named alternative: MediaPipe's 52 scores + MLP. A rendered dataset face embeds like
    the dataset's stored scores of it; an image with no face embeds as the all-zero score
    vector, with a warning."""
    from emo3d_lib.models import load_clip
    from emo3d_lib.models.data import load_images, load_training_data
    from emo3d_lib.models.train_clip import ensure_clip

    out = ensure_clip(tiny_model_dataset, tmp_path / "mp", "emo3d-clip-mediapipe", epochs=2,
                      batch_size=32, seed=0, cache_dir=model_cache_dir)
    assert ensure_clip(tiny_model_dataset, out, "emo3d-clip-mediapipe") == out  # not retrained
    clip = load_clip(str(out))
    assert clip.reads_blendshapes and clip.name == "Emo3D-CLIP (MediaPipe scores)"
    noise = np.random.default_rng(0).integers(0, 255, (2, 80, 70, 3), dtype=np.uint8)
    with pytest.warns(UserWarning, match="no face"):
        i = clip.encode_images(noise, batch_size=1)
    assert np.allclose(i[0], clip.encode_blendshapes(np.zeros((1, 52), np.float32))[0], atol=1e-6)
    td = load_training_data(image_dataset)
    pixels = load_images(td.image_paths(np.arange(3)), 256)
    from_scores = clip.encode_blendshapes(td.image_blendshapes[:3])
    assert np.all(np.sum(clip.encode_images(pixels) * from_scores, axis=1) > 0.95)
