"""Auto-exposure in identity sampling: a dark-skinned face in dim light is photographed as a
camera would (exposed for the face), not near-black; skin tone still shows."""

import cv2
import numpy as np
import pytest

from emo3d_lib.face.identity import LUMA, sample_identities
from emo3d_lib.face.render import FaceRenderer

#: a real photo's face is well off black: FER2013's classifier read near-black dark-skinned
#: renders (face grey ~59/255 before auto-exposure) as neutral
MIN_FACE_GREY = 80.0


def _face_grey(renderer: FaceRenderer, people) -> np.ndarray:
    """Mean grey (0-255, fer's RGB -> grey) inside the hull of each face's true landmarks."""
    w = np.zeros((len(people), 52), np.float32)
    images, points = renderer.render(w, people), renderer.landmarks(w, people)
    out = []
    for img, pts in zip(images, points, strict=True):
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillConvexPoly(mask, cv2.convexHull(pts[:, :2].astype(np.int32)), 1)
        out.append(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[mask > 0].mean())
    return np.array(out)


@pytest.fixture(scope="module")
def extremes():
    """The 6 darkest- and 6 lightest-skinned of 300 sampled identities, frontal."""
    people = sample_identities(0, 300)
    order = np.argsort([float(np.asarray(p.skin_tone) @ LUMA) for p in people])
    with FaceRenderer("ict", size=128) as r:
        return (_face_grey(r, [people[i] for i in order[:6]]),
                _face_grey(r, [people[i] for i in order[-6:]]))


def test_darkest_skin_is_exposed_for(extremes):
    dark, _ = extremes
    assert dark.min() > MIN_FACE_GREY, dark.round(1)


def test_skin_tone_still_shows(extremes):
    dark, light = extremes
    assert light.mean() > 1.3 * dark.mean(), (dark.round(1), light.round(1))
    assert light.max() < 200  # lighter skin is not blown out either
