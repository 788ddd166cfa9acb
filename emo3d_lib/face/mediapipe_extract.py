"""Images -> MediaPipe FaceLandmarker's 52 blendshape scores, as the paper built its dataset.

One landmarker per extractor (open it once per worker process, it takes ~0.1 s). A face that
is not found is returned as ``None`` and counted in ``no_face``; it never raises.
"""

from __future__ import annotations

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

    def __init__(self, min_detection_confidence: float = 0.5) -> None:
        self.min_detection_confidence = min_detection_confidence
        self._landmarker = None
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

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def _detect(self, image: np.ndarray):
        import mediapipe as mp

        img = np.asarray(image)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise Emo3DError(f"image must be uint8 (H, W, 3) RGB, got {img.dtype} {img.shape}")
        self.open()
        return self._landmarker.detect(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(img)))

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
            res = self._detect(img)
            self.n_images += 1
            if not res.face_blendshapes:
                self.no_face += 1
                scores.append(None)
                points.append(None)
                continue
            vec = np.zeros(len(BLENDSHAPES), np.float32)
            for cat in res.face_blendshapes[0]:
                if cat.category_name in _INDEX:
                    vec[_INDEX[cat.category_name]] = cat.score
            scores.append(vec)
            points.append(np.array([(p.x, p.y, p.z) for p in res.face_landmarks[0]],
                                   np.float32))
        return (scores, points) if landmarks else scores

    def extract_files(self, paths: Sequence[str | Path], landmarks: bool = False):
        """Like ``extract`` for image files; a missing or unreadable file raises Emo3DError."""
        return self.extract((read_image(p) for p in paths), landmarks=landmarks)


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
