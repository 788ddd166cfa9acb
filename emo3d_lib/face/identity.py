"""Who is rendered and how: face shape, head pose, lighting, camera, skin tone, background.

The dataset varies these per image for diversity (the paper's DALL-E photos show many people);
the Emo3D metric renders every face with ``Identity.default()`` so only the expression differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emo3d_lib.seeding import rng_for

#: Skin tones from light to dark (sRGB 0-1), interpolated when sampling.
SKIN_TONES = np.array([
    (0.96, 0.80, 0.69), (0.90, 0.70, 0.58), (0.80, 0.60, 0.46), (0.66, 0.46, 0.33),
    (0.50, 0.34, 0.24), (0.36, 0.24, 0.17),
], np.float32)
DEFAULT_SKIN = (0.88, 0.675, 0.55)
#: identity coefficients sampled per person (the ICT asset ships this many identity shapes)
N_IDENTITY_COEFFS = 30
#: Rec.601 luma weights (what OpenCV's and fer's RGB -> grey conversion uses).
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
#: Auto-exposure: a camera meters the face and scales the exposure so that a mid skin tone
#: (luma ``EXPOSURE_MID_SKIN``) comes out at a mean face grey drawn from ``EXPOSURE_TARGET``
#: (0-1, pixel values; a metered mid-grey lands near 0.46 in sRGB). Darker and lighter skin is
#: only partly compensated: their face grey moves by (skin luma / mid)^``SKIN_CONTRAST_KEPT``, so
#: a dark-skinned face is still photographed darker than a light one, but not near-black.
EXPOSURE_TARGET = (0.42, 0.54)
EXPOSURE_MID_SKIN = 0.5
SKIN_CONTRAST_KEPT = 0.5


@dataclass(frozen=True)
class Identity:
    """One person and shot. Angles in degrees; ``zoom`` = face height / image height."""

    shape: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # width,height,depth,jaw,chin,brow
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    light_dir: tuple[float, float, float] = (0.0, 0.35, 1.0)  # frontal: symmetric face
    light: float = 0.75
    ambient: float = 0.35
    fov_deg: float = 25.0
    zoom: float = 0.62
    offset: tuple[float, float] = (0.0, 0.0)  # image fractions
    skin_tone: tuple[float, float, float] = DEFAULT_SKIN
    background: tuple[float, float, float] = (0.62, 0.66, 0.70)
    #: a morphable head's identity coefficients (ICT: principal components, N(0, 1) each);
    #: empty = the mean face. Heads without identity shapes ignore them.
    identity_coeffs: tuple[float, ...] = ()

    @classmethod
    def default(cls) -> Identity:
        """The fixed frontal shot used by the Emo3D metric and ``emo3d render``."""
        return cls()


def _facing_grid(n: int = 48) -> np.ndarray:
    """Unit normals of a camera-facing hemisphere on an n x n grid of the image disc: each
    normal stands for the same image area (how a face's pixels sample its surface)."""
    x, y = np.meshgrid((np.arange(n) + 0.5) / n * 2 - 1, (np.arange(n) + 0.5) / n * 2 - 1)
    inside = x**2 + y**2 < 1
    x, y = x[inside], y[inside]
    return np.stack([x, y, np.sqrt(1 - x**2 - y**2)], 1)


_FACING = _facing_grid()


def face_irradiance(light_dir, light: float, ambient: float) -> float:
    """Expected mean shading factor (ambient + light * max(n.l, 0)) over a camera-facing face,
    the renderer's Lambert term averaged over image area (a hemisphere stands in for the face)."""
    d = np.asarray(light_dir, np.float64)
    d = d / np.linalg.norm(d)
    return float(ambient + light * np.clip(_FACING @ d, 0, None).mean())


def exposure_gain(skin_tone, light_dir, light: float, ambient: float, target: float) -> float:
    """The factor a face-metering camera puts on the light so the face's mean grey is
    ``target`` x (skin luma / mid)^``SKIN_CONTRAST_KEPT`` (see ``EXPOSURE_TARGET``)."""
    skin = float(np.asarray(skin_tone, np.float32) @ LUMA)
    want = target * (skin / EXPOSURE_MID_SKIN) ** SKIN_CONTRAST_KEPT
    return want / (skin * face_irradiance(light_dir, light, ambient))


def sample_identity(seed: int, index: int) -> Identity:
    """Identity ``index`` of the stream ``seed`` (independent of batch size or worker).

    ``light`` and ``ambient`` include the camera's auto-exposure (``exposure_gain``), so their
    level says how the shot was exposed, not how bright the room was."""
    rng = rng_for(seed, "identity", index)
    t = rng.uniform(0, len(SKIN_TONES) - 1)
    k = min(int(t), len(SKIN_TONES) - 2)
    tone = SKIN_TONES[k] * (1 - (t - k)) + SKIN_TONES[k + 1] * (t - k)
    tone = np.clip(tone * rng.uniform(0.95, 1.05, 3), 0, 1)
    light = rng.normal(size=3) * np.array([0.5, 0.4, 0.2]) + np.array([0.0, 0.3, 1.0])
    # the key light comes from above or level (sun, ceiling, window), as in photographs: a
    # draw from below is mirrored up (under-lighting inverts the brow and cheek shading cues)
    light[1] = abs(light[1])
    bg = rng.uniform(0.25, 0.9) * (1 + rng.uniform(-0.12, 0.12, 3))
    # drawn in this order before auto-exposure existed; kept so the other fields stay the same
    head = dict(shape=tuple(float(x) for x in rng.uniform(-1, 1, 6)),
                yaw=float(rng.uniform(-18, 18)), pitch=float(rng.uniform(-10, 10)),
                roll=float(rng.uniform(-7, 7)))
    key, ambient = float(rng.uniform(0.6, 0.9)), float(rng.uniform(0.25, 0.45))
    # auto-exposure (own stream): the light's direction and key/ambient ratio vary as sampled,
    # its overall level is what the camera makes of it (a dim room is not a black photo)
    target = rng_for(seed, "identity-exposure", index).uniform(*EXPOSURE_TARGET)
    gain = exposure_gain(tone, light, key, ambient, float(target))
    return Identity(
        **head, light_dir=tuple(float(x) for x in light), light=key * gain,
        ambient=ambient * gain, fov_deg=float(rng.uniform(18, 35)),
        zoom=float(rng.uniform(0.5, 0.7)),
        offset=tuple(float(x) for x in rng.uniform(-0.06, 0.06, 2)),
        skin_tone=tuple(float(x) for x in tone),
        background=tuple(float(x) for x in np.clip(bg, 0, 1)),
        # own stream, so the fields above stay what they were before identity shapes existed
        identity_coeffs=tuple(float(x) for x in rng_for(seed, "identity-coeffs", index)
                              .standard_normal(N_IDENTITY_COEFFS)),
    )


def sample_identities(seed: int, n: int, start: int = 0) -> list[Identity]:
    """``n`` identities ``start .. start+n-1`` of the stream ``seed``."""
    return [sample_identity(seed, start + i) for i in range(n)]
