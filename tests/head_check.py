"""Is a picture of a face a whole head? The check behind the browser test's screenshots.

Issue 11 replaced a floating face mask (no skull, ears, neck or hair) with a full scan head; a
page could still show a mask (a wrong default head, a viewer that drops parts) or a head with
the background showing through (missing triangles, back faces culled). On one picture with a
plain background:

``measure_head(image).problems()`` lists what fails (empty: a whole head):

- the head is one connected blob (specks under 0.5 % of it aside) of a plausible share of the
  picture and a plausible bounding box, not the whole picture;
- no background-coloured patch enclosed by the silhouette beyond 1 % of the head (thin dark
  lines -- brows, lid creases, the hairline on a dark background -- are not patches);
- a skull above the face: the silhouette reaches at least ``SKULL_HEIGHT`` eye widths (outer
  eye corner to outer eye corner) above the top of the face as MediaPipe FaceLandmarker (the
  project's own reader) finds it (landmark 10, the upper forehead). Measured on 48 seeded
  identities x expressions at 192 px: the ICT head 0.34-0.84 (median 0.54), the built-in mask
  0.03-0.27 (median 0.12).

``figure_panels`` cuts the image panels (``imshow`` tiles) out of a matplotlib figure, so the
chapter pages' figures can be checked face by face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Silhouette above the face's top landmark, in eye widths: a full head >= 0.34, a mask <= 0.27.
SKULL_HEIGHT = 0.3
#: MediaPipe FaceMesh indices: the outer eye corners and the top of the face (upper forehead).
OUTER_EYE_CORNERS = (33, 263)
FACE_TOP = 10


def background_colour(image: np.ndarray, ring: int = 3) -> np.ndarray:
    """The picture's background: the median of its top rows and the upper half of its sides
    (a head may run off the bottom edge, its neck cut by the frame, never off the top)."""
    h = image.shape[0]
    edge = np.concatenate([image[:ring].reshape(-1, 3), image[: h // 2, :ring].reshape(-1, 3),
                           image[: h // 2, -ring:].reshape(-1, 3)])
    return np.median(edge, axis=0)


def landmarks(image: np.ndarray) -> np.ndarray | None:
    """MediaPipe's 478 landmarks in pixels ((478, 2): x, y), ``None`` where it finds no face."""
    from emo3d_lib.face.mediapipe_extract import shared_extractor

    img = np.ascontiguousarray(np.asarray(image, np.uint8))
    _, points = shared_extractor().extract([img], landmarks=True)
    if points[0] is None:
        return None
    return points[0][:, :2] * np.array([img.shape[1], img.shape[0]])


@dataclass(frozen=True)
class HeadShape:
    """What ``measure_head`` finds in one picture (shares of the picture or of the head)."""

    pieces: int  # connected foreground pieces
    stray: float  # foreground outside the largest piece, as a share of it
    share: float  # the largest piece (the head) as a share of the picture
    box: tuple[float, float]  # its bounding box: width, height as shares of the picture's
    centre_x: float  # its box's centre, as a share of the picture's width
    holes: float  # enclosed background patches, as a share of the head
    skull: float | None  # silhouette above landmark 10 in eye widths; None: no face found

    def problems(self, share: tuple[float, float] = (0.1, 0.85)) -> list[str]:
        """What keeps the picture from showing one whole head; empty: a head."""
        found = []
        if self.share == 0:
            return ["nothing but background"]
        if self.stray > 0.005:
            found.append(f"not one blob: {self.pieces} pieces, {self.stray:.1%} outside the head")
        if not share[0] <= self.share <= share[1]:
            found.append(f"head covers {self.share:.1%} of the picture, not "
                         f"{share[0]:.0%}-{share[1]:.0%}")
        if self.box[0] < 0.3 or self.box[1] < 0.45:
            found.append(f"head box {self.box[0]:.2f} x {self.box[1]:.2f} of the picture: small")
        if not 0.2 <= self.centre_x <= 0.8:
            found.append(f"head centred at {self.centre_x:.2f} of the width")
        if self.holes > 0.01:
            found.append(f"background shows through the head: {self.holes:.1%} of it enclosed")
        if self.skull is None:
            found.append("MediaPipe finds no face")
        elif self.skull < SKULL_HEIGHT:
            found.append(f"no skull above the face: the head reaches {self.skull:.2f} eye widths "
                         f"above the forehead (a full head >= {SKULL_HEIGHT})")
        return found


def measure_head(image: np.ndarray, tol: float = 20.0) -> HeadShape:
    """Measure the head in ``image`` (uint8-range (H, W, 3), plain background): the foreground
    is every pixel more than ``tol`` from the background colour in some channel."""
    from scipy.ndimage import binary_fill_holes, binary_opening, label

    img = np.asarray(image, np.float64)[..., :3]
    h, w = img.shape[:2]
    square = np.ones((3, 3), bool)
    mask = np.abs(img - background_colour(img)).max(axis=2) > tol
    parts, n = label(mask, structure=square)
    if n == 0:
        return HeadShape(0, 0.0, 0.0, (0.0, 0.0), 0.5, 0.0, None)
    sizes = np.bincount(parts.ravel())[1:]
    blob = parts == 1 + int(np.argmax(sizes))
    area = int(blob.sum())
    rows, cols = np.flatnonzero(blob.any(axis=1)), np.flatnonzero(blob.any(axis=0))
    # enclosed background wider than a line (an opening with a 3x3 square keeps only patches)
    holes = int(binary_opening(binary_fill_holes(blob) & ~blob, square).sum())
    points = landmarks(np.clip(img, 0, 255).astype(np.uint8))
    skull = None
    if points is not None:
        corners = points[list(OUTER_EYE_CORNERS)]
        eye_width = max(float(np.linalg.norm(corners[0] - corners[1])), 1.0)
        skull = float(points[FACE_TOP, 1] - rows[0]) / eye_width
    return HeadShape(
        pieces=n, stray=float(sizes.sum() - area) / area, share=area / (h * w),
        box=(float(cols[-1] - cols[0] + 1) / w, float(rows[-1] - rows[0] + 1) / h),
        centre_x=float(cols[0] + cols[-1]) / 2 / w, holes=holes / area, skull=skull)


def figure_panels(image: np.ndarray, min_side: int = 60, inset: int = 4) -> list[np.ndarray]:
    """The image tiles of a matplotlib figure on white, left to right then top to bottom: solid
    non-white rectangles at least ``min_side`` px (plots and text are not solid), each trimmed
    by ``inset`` px (the axes frame, resampled edges)."""
    from scipy.ndimage import find_objects, label

    img = np.asarray(image)[..., :3]
    parts, _ = label((img < 245).any(axis=2))
    panels = []
    for index, box in enumerate(find_objects(parts), start=1):
        tile = parts[box] == index
        if min(tile.shape) >= min_side and tile.mean() > 0.97:
            ys, xs = box
            panels.append((ys.start, xs.start, img[ys.start + inset:ys.stop - inset,
                                                   xs.start + inset:xs.stop - inset]))
    return [p for *_, p in sorted(panels, key=lambda t: (t[0] // 20, t[1]))]
