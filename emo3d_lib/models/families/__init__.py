"""One module per model family; each defines ``FAMILY``, found by name through the registry.

A model config's ``"family"`` key names one of these (:func:`emo3d_lib.models.registry.get_family`).
Adding a family: a module here defining ``FAMILY = MyFamily()`` and a JSON in ``configs/models``.
"""
