"""The published book: vendored browser JS, Sphinx extension, notebook pipeline, 3D viewer.

Modules: ``vendor_js`` (npm pack the widget/MathJax JS into ``vendor/``), ``sphinx_ext`` (serves it
from the built book), ``pipeline`` (papermill in dependency order + Jupyter Book build),
``viewer`` (pythreejs head with 52 blendshape sliders), ``cli`` (``emo3d book``).
"""
