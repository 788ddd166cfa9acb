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


def sample_identity(seed: int, index: int) -> Identity:
    """Identity ``index`` of the stream ``seed`` (independent of batch size or worker)."""
    rng = rng_for(seed, "identity", index)
    t = rng.uniform(0, len(SKIN_TONES) - 1)
    k = min(int(t), len(SKIN_TONES) - 2)
    tone = SKIN_TONES[k] * (1 - (t - k)) + SKIN_TONES[k + 1] * (t - k)
    tone = np.clip(tone * rng.uniform(0.95, 1.05, 3), 0, 1)
    light = rng.normal(size=3) * np.array([0.5, 0.4, 0.2]) + np.array([0.0, 0.3, 1.0])
    bg = rng.uniform(0.25, 0.9) * (1 + rng.uniform(-0.12, 0.12, 3))
    return Identity(
        shape=tuple(float(x) for x in rng.uniform(-1, 1, 6)),
        yaw=float(rng.uniform(-18, 18)), pitch=float(rng.uniform(-10, 10)),
        roll=float(rng.uniform(-7, 7)),
        light_dir=tuple(float(x) for x in light), light=float(rng.uniform(0.6, 0.9)),
        ambient=float(rng.uniform(0.25, 0.45)), fov_deg=float(rng.uniform(18, 35)),
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
