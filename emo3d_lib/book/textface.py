"""Text -> face with no kernel: a trained text checkpoint exported for the browser.

The exported graph is the whole Python path after the tokenizer: the Hugging Face encoder
(MiniLM by default), mean pooling over the attention mask, the trained head, the 51 -> 52
conversion and the emotion readout, as one ONNX file that onnxruntime-web runs in the page.
The tokenizer is BERT WordPiece (uncased) in JS (``static/face3d.js``), fed by the checkpoint's
own ``vocab.txt``. Files go to the book's static folder under a digest of the checkpoint, so
they are produced at build time from the trained checkpoint and never committed.

Needs the ``onnx`` package (PyPI) for ``torch.onnx.export``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib import atomic
from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import BLENDSHAPES, EMOTIONS, N_BLENDSHAPES

FOLDER = "textface"
FILES = ("textface.onnx", "vocab.txt", "textface.json")
#: bump when the exported graph changes, so stale exports are not reused
EXPORT_VERSION = "1"
OPSET = 17


def emotion_readout(weights: Any) -> Any:
    """(N, 8) from (N, 52) torch weights: the share of each emotion's preset face in the face,
    ``clip(w . P_e / |P_e|^2, 0, 1)``; neutral (whose preset is the rest face) = 1 - the largest.

    A reading of the face, not a second model: it tells which presets the prediction resembles.
    """
    import torch

    from emo3d_lib.book.face3d import emotion_presets

    presets = torch.as_tensor(emotion_presets()[1:], dtype=weights.dtype)  # (7, 52)
    shares = torch.clamp(weights @ presets.T / (presets * presets).sum(1), 0.0, 1.0)
    neutral = 1.0 - shares.max(dim=1, keepdim=True).values
    return torch.cat([neutral, shares], dim=1)


def face_emotions(weights: np.ndarray) -> np.ndarray:
    """:func:`emotion_readout` on numpy (N, 52) -> float32 (N, 8) in EMOTIONS order."""
    import torch

    w = torch.as_tensor(np.atleast_2d(np.asarray(weights, np.float32)))
    return emotion_readout(w).numpy().astype(np.float32)


def _text_graph(predictor: Any) -> Any:
    """The torch module exported: (input_ids, attention_mask) -> (blendshapes, emotions)."""
    import torch
    from torch import nn

    from emo3d_lib.models.heads import output_columns

    outputs = int(getattr(predictor.model, "outputs", N_BLENDSHAPES))
    scatter = torch.zeros(outputs, N_BLENDSHAPES)
    scatter[torch.arange(outputs), torch.as_tensor(output_columns(outputs))] = 1.0

    class TextFace(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = predictor.encoder.model, predictor.model
            self.family = predictor.family  # its predict: outputs from embeddings
            self.register_buffer("scatter", scatter)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            emb = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            weights = self.family.predict(self.head, emb) @ self.scatter
            return weights, emotion_readout(weights)

    return TextFace().eval()


def _check_exportable(predictor: Any, checkpoint: Path) -> None:
    encoder = predictor.encoder
    tok = getattr(encoder, "tokenizer", None)
    if getattr(encoder, "model", None) is None or tok is None:
        raise Emo3DError(f"checkpoint {checkpoint}: backbone {predictor.backbone!r} is not a "
                         "Hugging Face encoder; only those export to the browser")
    if not (getattr(tok, "do_lower_case", False) and "[CLS]" in tok.get_vocab()):
        raise Emo3DError(f"checkpoint {checkpoint}: the browser tokenizer is uncased BERT "
                         f"WordPiece; {predictor.backbone!r} uses {type(tok).__name__}")


def checkpoint_digest(checkpoint: Path) -> str:
    from emo3d_lib.models.checkpoint import CONFIG_FILE, MODEL_FILE

    h = hashlib.sha256(EXPORT_VERSION.encode())
    for name in (CONFIG_FILE, MODEL_FILE):
        h.update((checkpoint / name).read_bytes())
    return h.hexdigest()[:16]


def export_text_model(checkpoint: str | Path, static_dir: str | Path | None = None) -> str:
    """Export ``checkpoint`` for the page; returns its folder relative to the static dir
    (``textface/<digest>/``), the widget's ``textface``. Reuses an export of the same files."""
    from emo3d_lib.models.predict import load_predictor

    checkpoint = Path(checkpoint)
    if static_dir is None:
        from emo3d_lib.book.vendor_js import vendor

        static_dir = vendor()
    rel = f"{FOLDER}/{checkpoint_digest(checkpoint)}/"
    dest = Path(static_dir) / rel
    if all((dest / f).is_file() for f in FILES):
        return rel
    predictor = load_predictor(checkpoint, "cpu")
    _check_exportable(predictor, checkpoint)
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
    except ImportError as err:
        raise Emo3DError("exporting the text model needs the 'onnx' package "
                         "(pip install onnx)") from err
    graph = _text_graph(predictor)
    ids = predictor.encoder.tokenizer(["a calm face"], return_tensors="pt")
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes: the book page shows no log lines
        torch.onnx.export(
            graph, (ids["input_ids"], ids["attention_mask"]), str(staging / FILES[0]),
            input_names=["input_ids", "attention_mask"], output_names=["blendshapes", "emotions"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                          "attention_mask": {0: "batch", 1: "tokens"},
                          "blendshapes": {0: "batch"}, "emotions": {0: "batch"}},
            opset_version=OPSET, dynamo=False)
    vocab = predictor.encoder.tokenizer.get_vocab()
    words = [""] * len(vocab)
    for word, i in vocab.items():
        words[i] = word
    atomic.write_text(staging / FILES[1], "\n".join(words))
    atomic.write_json(staging / FILES[2], {
        "model": predictor.name, "backbone": predictor.backbone,
        "max_tokens": int(predictor.encoder.max_tokens), "blendshapes": list(BLENDSHAPES),
        "emotions": list(EMOTIONS), "checkpoint": checkpoint.name})
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return rel


def python_reference(predictor: Any, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The Python model's (weights (N, 52), emotions (N, 8)), one text at a time (the page
    runs batches of one: no padding)."""
    weights = np.concatenate([predictor.predict([t]) for t in texts])
    return weights, face_emotions(weights)


def kernel_predict(predictor: Any) -> Any:
    """``predict(text) -> (weights, emotions)`` for a live kernel's text box."""

    def predict(text: str) -> tuple[np.ndarray, np.ndarray]:
        weights, emotions = python_reference(predictor, [text])
        return weights[0], emotions[0]

    return predict


def describe(checkpoint: str | Path) -> str:
    """One line naming the model the text box runs (for the widget's note)."""
    from emo3d_lib.models.checkpoint import CONFIG_FILE

    cfg = json.loads((Path(checkpoint) / CONFIG_FILE).read_text(encoding="utf-8"))
    return f"{cfg['model']['name']} on {cfg['backbone']['name']}"


def pick_text_checkpoint(checkpoints: dict[str, Path]) -> Path | None:
    """The first checkpoint on the English Hugging Face backbone (MiniLM offline): the one the
    page's text box can run. None when no such model was trained."""
    from emo3d_lib.models.checkpoint import CONFIG_FILE

    for path in checkpoints.values():
        cfg = json.loads((Path(path) / CONFIG_FILE).read_text(encoding="utf-8"))
        if cfg["backbone"]["config"] == "english-lm":
            return Path(path)
    return None
