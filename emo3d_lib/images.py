"""Decoding image files users hand in: faithful RGB, bounded size, one error line per fault.

Why not ``Image.open(p).convert("RGB")``: a 16-bit greyscale PNG opens as a 32-bit integer image
whose conversion clips every value above 255 to white; a palette image with a transparent
index loses its alpha in a warning; a 200-megapixel file (or a small file that expands to one,
a decompression bomb) decodes into gigabytes before anything fails. Here 16-bit values are
scaled to 8 bits, transparency is composited over black (the renderer's background), EXIF
rotation is applied, and images above :data:`MAX_PIXELS` are refused before decoding.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError

#: Largest image decoded, in pixels (40 MP: a 7000 x 5700 photo; a 120 MB RGB array).
MAX_PIXELS = 40_000_000


def _rgb(im: Any) -> Any:
    """Any PIL mode -> an RGB image without clipping (16/32-bit) or dropped transparency."""
    from PIL import Image

    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        if mode == "F" and arr.size and np.nanmax(arr) <= 1.0:
            arr = arr * 255.0
        elif mode.startswith("I;16") or (arr.size and np.nanmax(arr) > 255):
            arr = arr / 257.0  # 0..65535 -> 0..255
        grey = np.clip(np.rint(np.nan_to_num(arr)), 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[..., None], 3, axis=2), "RGB")
    if mode == "P":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    return im.convert("RGB")


def open_rgb(source: str | os.PathLike[str] | bytes, where: str | None = None) -> Any:
    """A decoded RGB ``PIL.Image`` of a file path or encoded bytes; errors name ``where``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(source, bytes | bytearray):
        name, fh = where or "image bytes", io.BytesIO(source)
    else:
        p = Path(source)
        name = where or f"image file {p}"
        if not p.is_file():
            raise Emo3DError(f"{name} does not exist" if not p.exists()
                             else f"{name} is not a file")
        fh = p
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise Emo3DError(f"{name}: {w} x {h} = {w * h / 1e6:.0f} megapixels, above "
                                     f"the {MAX_PIXELS / 1e6:.0f} MP limit (refused before "
                                     "decoding: a possible decompression bomb)")
                im.load()
                im = ImageOps.exif_transpose(im) or im
                return _rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise Emo3DError(f"{name}: refused as a possible decompression bomb ({err})") from None
    except UnidentifiedImageError:
        raise Emo3DError(f"{name}: not an image format that can be read") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise Emo3DError(f"{name}: cannot be decoded ({err})") from None


def read_image(source: str | os.PathLike[str] | bytes, where: str | None = None) -> np.ndarray:
    """uint8 (H, W, 3) RGB array of an image file or encoded bytes."""
    return np.asarray(open_rgb(source, where), np.uint8)
