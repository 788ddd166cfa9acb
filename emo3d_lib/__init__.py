"""Emo3D Book library: text emotion description -> 52 blendshapes -> 3D face.

Stages live in sub-packages (``text``, ``data``, ``face``, ``models``, ``metric``, ``fei``,
``book``); notebooks and the ``emo3d`` command line are thin callers of the same functions.
Importing the package is cheap: heavy dependencies are imported inside the stage modules.
"""

__version__ = "0.1.0"
