"""Images -> MediaPipe FaceLandmarker's 52 blendshape scores, as the paper built its dataset.

One landmarker per extractor (open it once per worker process, it takes ~0.1 s). A face that
is not found is returned as ``None`` and counted in ``no_face``; it never raises.

Reading the result: MediaPipe's Python wrapper turns every detection into 478 landmark and 52
category objects (~1 ms of Python per image, 5-10% of the call). ``fast=True`` (the default)
makes the same C call (``MpFaceLandmarkerDetectImage``) and copies the scores and landmarks
straight out of the C result into numpy: the same float32 values (a test holds the two paths
equal). It leans on the wrapper's private ctypes handles, so when a MediaPipe release lacks them
the extractor falls back to the public ``detect``.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.assets import face_landmarker_task
from emo3d_lib.schema import BLENDSHAPES

_INDEX = {name: i for i, name in enumerate(BLENDSHAPES)}


class BlendshapeExtractor:
    """``with BlendshapeExtractor() as ex: scores = ex.extract(images)``."""

    def __init__(self, min_detection_confidence: float = 0.5, *, fast: bool = True) -> None:
        self.min_detection_confidence = min_detection_confidence
        self.fast = fast
        self._landmarker = None
        self._raw: _RawReader | None = None
        self.n_images = 0
        self.no_face = 0

    def __enter__(self) -> BlendshapeExtractor:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        if self._landmarker is not None:
            return
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        opts = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=face_landmarker_task().read_bytes()),
            num_faces=1, output_face_blendshapes=True,
            min_face_detection_confidence=self.min_detection_confidence)
        self._landmarker = vision.FaceLandmarker.create_from_options(opts)
        self._raw = _RawReader.wrap(self._landmarker) if self.fast else None

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
            self._raw = None

    def _detect(self, image: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(52 scores, (478, 3) landmarks) of the first face, or (None, None)."""
        import mediapipe as mp

        img = np.asarray(image)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise Emo3DError(f"image must be uint8 (H, W, 3) RGB, got {img.dtype} {img.shape}")
        self.open()
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(img))
        if self._raw is not None:
            return self._raw.detect(mp_image)
        res = self._landmarker.detect(mp_image)
        if not res.face_blendshapes:
            return None, None
        vec = np.zeros(len(BLENDSHAPES), np.float32)
        for cat in res.face_blendshapes[0]:
            if cat.category_name in _INDEX:
                vec[_INDEX[cat.category_name]] = cat.score
        return vec, np.array([(p.x, p.y, p.z) for p in res.face_landmarks[0]], np.float32)

    def extract(self, images: Iterable[np.ndarray] | np.ndarray, landmarks: bool = False
                ) -> list[np.ndarray | None] | tuple[list[np.ndarray | None],
                                                     list[np.ndarray | None]]:
        """52 float32 scores per image in ``BLENDSHAPES`` order, ``None`` where no face.

        With ``landmarks=True`` also returns the (478, 3) normalised landmarks (x, y in [0, 1]
        of the image, z relative depth) per image, ``None`` where no face.
        """
        scores: list[np.ndarray | None] = []
        points: list[np.ndarray | None] = []
        for img in images:
            vec, pts = self._detect(img)
            self.n_images += 1
            self.no_face += vec is None
            scores.append(vec)
            points.append(pts)
        return (scores, points) if landmarks else scores

    def extract_files(self, paths: Sequence[str | Path], landmarks: bool = False):
        """Like ``extract`` for image files; a missing or unreadable file raises Emo3DError."""
        return self.extract((read_image(p) for p in paths), landmarks=landmarks)


class _RawReader:
    """The landmarker's C detection call with its result copied into numpy (see the module
    docstring); :meth:`wrap` returns None when this MediaPipe lacks the handles it needs or
    lays its landmark structs out otherwise than as x, y, z floats first."""

    def __init__(self, call, close, handle, result_type, stride: int) -> None:
        self._call, self._close, self._handle = call, close, handle
        self._result_type, self._stride = result_type, stride
        self._names: dict[bytes, int] = {n.encode(): i for n, i in _INDEX.items()}

    @classmethod
    def wrap(cls, landmarker) -> _RawReader | None:
        try:
            from mediapipe.tasks.python.vision import face_landmarker as fl

            result = fl.MpFaceLandmarkerResultC
            faces = dict(result._fields_)["face_landmarks"]._type_  # pointer -> landmark list
            mark = dict(faces._fields_)["landmarks"]._type_  # pointer -> landmark struct
            lib = landmarker._lib
            call, close = lib.MpFaceLandmarkerDetectImage, lib.MpFaceLandmarkerCloseResult
            handle = landmarker._handle
        except (AttributeError, ImportError, KeyError, TypeError):
            return None
        stride = ctypes.sizeof(mark)
        if stride % 4 or (mark.x.offset, mark.y.offset, mark.z.offset) != (0, 4, 8) or any(
                dict(mark._fields_)[k] is not ctypes.c_float for k in "xyz"):
            return None
        return cls(call, close, handle, result, stride // 4)

    def detect(self, mp_image) -> tuple[np.ndarray | None, np.ndarray | None]:
        result = self._result_type()
        self._call(self._handle, mp_image._image_ptr, None, ctypes.byref(result))
        try:
            if not result.face_blendshapes_count:
                return None, None
            cats = result.face_blendshapes[0]
            vec = np.zeros(len(BLENDSHAPES), np.float32)
            for j in range(cats.categories_count):
                cat = cats.categories[j]
                i = self._names.get(cat.category_name)
                if i is not None:
                    vec[i] = cat.score
            marks = result.face_landmarks[0]
            # x, y, z are the first three floats of each struct (checked in ``wrap``); the
            # struct also holds a name pointer numpy cannot view, so read it as raw floats
            floats = ctypes.cast(marks.landmarks, ctypes.POINTER(ctypes.c_float))
            flat = np.ctypeslib.as_array(floats, shape=(marks.landmarks_count * self._stride,))
            return vec, flat.reshape(-1, self._stride)[:, :3].copy()
        finally:
            self._close(ctypes.byref(result))


@functools.cache
def shared_extractor() -> BlendshapeExtractor:
    """One open FaceLandmarker per process, for callers that read faces again and again.

    Creating a landmarker costs ~80 ms and prints native log banners; a model that embeds
    faces batch after batch (Emo3D-CLIP's image tower) reuses this one.
    """
    extractor = BlendshapeExtractor()
    extractor.open()
    return extractor


def read_image(path: str | Path) -> np.ndarray:
    """uint8 RGB array of an image file, with an error naming the file when it is bad."""
    from emo3d_lib.images import read_image as decode

    return decode(path)


def format_scores(vec: np.ndarray | None) -> str | None:
    """The release's numpy-printed score string (3 decimals), or None for no face."""
    if vec is None:
        return None
    return np.array2string(np.round(np.asarray(vec, np.float64), 3), precision=3,
                           max_line_width=10**6, floatmode="fixed", suppress_small=True)
