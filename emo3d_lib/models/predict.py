"""Text -> 52 blendshapes from a trained checkpoint (``emo3d predict``, metric, book).

Documented behaviour for inputs that break a text model:

- empty or whitespace-only text: refused with ``Emo3DError`` naming the text's position;
- text longer than the backbone's token limit: truncated to the limit, with a ``UserWarning``
  (the limit is the tokenizer's; 256 word pieces for MiniLM, 512 for e5, 77 for OpenAI CLIP);
- non-English text: accepted. The multilingual backbones (multilingual-mlp, emotion-xlm) are
  built for it; English-only backbones (MiniLM/BERT, CLIP) see unfamiliar word pieces and their
  output is unreliable, so a ``UserWarning`` is raised when most letters are outside ASCII.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib import schema
from emo3d_lib.checkpoint import check_binding, load_state_strict, load_tensors
from emo3d_lib.device import pick_device
from emo3d_lib.errors import Emo3DError
from emo3d_lib.files import read_json_object
from emo3d_lib.models.backbones import check_texts
from emo3d_lib.models.checkpoint import CONFIG_FILE, MODEL_FILE, checkpoint_identity
from emo3d_lib.models.factory import family_of
from emo3d_lib.models.family import ModelFamily, predict_numpy
from emo3d_lib.models.heads import to_blendshapes

MULTILINGUAL = ("multilingual-lm",)


def looks_non_english(text: str) -> bool:
    """True when most letters are outside ASCII (a non-Latin script, for example)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) < 0.5 * len(letters)


@dataclass
class Predictor:
    """A trained baseline: ``predict(texts) -> float32 (N, 52)`` in BLENDSHAPES order."""

    name: str
    backbone: str
    model: Any = field(repr=False)
    encoder: Any = field(repr=False)
    backbone_config: str
    family: ModelFamily = field(repr=False)
    device: str = "cpu"

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode_text(texts) if hasattr(self.encoder, "encode_text")
                          else self.encoder.encode(texts, device=self.device), np.float32)

    def predict(self, texts: list[str]) -> np.ndarray:
        texts = check_texts(texts)
        if self.backbone_config not in MULTILINGUAL:
            odd = [i for i, t in enumerate(texts) if looks_non_english(t)]
            if odd:
                warnings.warn(f"text(s) {odd} look non-English; {self.backbone} is an English "
                              "backbone, so these predictions are unreliable", stacklevel=2)
        if not texts:
            return np.zeros((0, schema.N_BLENDSHAPES), np.float32)
        emb = self.embed(texts)
        return to_blendshapes(predict_numpy(self.family, self.model, emb, self.device))

    def predict_named(self, texts: list[str]) -> list[dict[str, float]]:
        return [dict(zip(schema.BLENDSHAPES, map(float, row), strict=True))
                for row in self.predict(texts)]


def load_predictor(checkpoint_dir: str | Path, device: str | None = None) -> Predictor:
    """Rebuild a checkpoint written by :func:`emo3d_lib.models.train.train`."""
    ckpt = Path(checkpoint_dir)
    if not (ckpt / CONFIG_FILE).is_file() or not (ckpt / MODEL_FILE).is_file():
        raise Emo3DError(f"checkpoint {ckpt}: expected {CONFIG_FILE} and {MODEL_FILE} "
                         "(written by `emo3d train`)")
    device = pick_device(device)
    what = f"checkpoint {ckpt}"
    config = read_json_object(ckpt / CONFIG_FILE, f"{what}: config")
    state = load_tensors(ckpt / MODEL_FILE, f"{what}: weights")
    try:
        info, model_cfg, in_dim = config["backbone"], config["model"], int(config["in_dim"])
        if not all(isinstance(d.get(k), str) for d, k in
                   ((model_cfg, "name"), (info, "config"), (info, "name"))):
            raise KeyError("model.name / backbone.config / backbone.name")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Emo3DError(f"{what}: {CONFIG_FILE} lacks or garbles {err} (not written by "
                         "`emo3d train`)") from None
    if not isinstance(state, dict) or "head" not in state:
        raise Emo3DError(f"{what}: {MODEL_FILE} holds no 'head' weights")
    check_binding(config, ckpt / MODEL_FILE, state, what, **checkpoint_identity(config))
    family = family_of(model_cfg)
    encoder = family.load_encoder(info, ckpt, state, device)
    model = family.build(model_cfg, in_dim)
    load_state_strict(model, state["head"], f"{what}: head")
    model.to(device).eval()
    return Predictor(config["model"]["name"], encoder.name, model, encoder, info["config"],
                     family, device)
