"""The published book: vendored browser JS, Sphinx extension, notebook pipeline, 3D viewer.

Modules: ``vendor_js`` (npm pack the widget/MathJax JS into ``vendor/``), ``sphinx_ext`` (serves it
from the built book), ``pipeline`` (papermill in dependency order + Jupyter Book build),
``face3d`` (the 52-channel three.js face viewer; ``viewer`` holds its slider groups and weight
clipping), ``cli`` (``emo3d book``).
"""

from emo3d_lib.errors import Emo3DError


def book_extra_missing(err: ModuleNotFoundError) -> Emo3DError:
    """The error for a book module imported without the ``[book]`` extra (one clear line)."""
    return Emo3DError(f"the book tools need the [book] extra ({err.name} is not installed): "
                      "pip install 'emo3d-lib[book]' (from a clone: pip install '.[book]')")
