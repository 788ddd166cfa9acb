"""Emo3D-CLIP checkpoints load without open_clip into the very model training built.

The metric's start-up skips importing open_clip (~0.3 CPU-s) by loading the CNN and MediaPipe-score
towers into ``models.dual_encoder.DualEncoder``; that is only honest if the keys and every
embedding are those of open_clip's ``CustomTextCLIP`` that training builds and saves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emo3d_lib.models import clip as clipmod
from emo3d_lib.models.registry import get_config

REPO = Path(__file__).resolve().parent.parent
TEXTS = ["a slightly sad man at the bus stop", "she is furious, and a little disgusted"]


@pytest.mark.parametrize("config", ["emo3d-clip", "emo3d-clip-mediapipe"])
def test_checkpoint_loads_into_the_same_model_without_open_clip(config, tmp_path):
    import torch

    cfg = get_config("backbones", config)
    torch.manual_seed(0)
    trained, tokenizer = clipmod.build_emo3d_clip(cfg)  # as train_clip builds it
    assert type(trained).__name__ == "CustomTextCLIP"
    clipmod.save_emo3d_clip(trained, cfg, tmp_path)
    loaded = clipmod.load_emo3d_clip(tmp_path)
    assert type(loaded.model).__name__ == "DualEncoder"
    shapes = {k: tuple(v.shape) for k, v in trained.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in loaded.model.state_dict().items()}
    trained.eval()
    tokens = tokenizer(TEXTS)
    if clipmod.image_tower_type(cfg) == "pixels-cnn":
        size = int(cfg["vision_cfg"]["image_size"])
        x = torch.rand(3, 3, size, size, generator=torch.Generator().manual_seed(1))
    else:
        x = torch.rand(3, 52, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        # the light model starts from other random weights: equal outputs mean all were loaded
        np.testing.assert_allclose(loaded.model.encode_text(tokens).numpy(),
                                   trained.encode_text(tokens).numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(loaded.model.encode_image(x).numpy(),
                                   trained.encode_image(x).numpy(), rtol=0, atol=1e-6)
    # a fresh process loads it and embeds a text without ever importing open_clip
    code = ("import sys; from emo3d_lib.models.clip import load_emo3d_clip; "
            f"m = load_emo3d_clip({str(tmp_path)!r}); m.encode_text(['calm']); "
            "sys.exit('open_clip' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assert subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO).returncode == 0
