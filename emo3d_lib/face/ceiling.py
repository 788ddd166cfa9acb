"""MediaPipe's blendshape model run on landmarks directly: the ceiling of the image path.

``face_blendshapes.tflite`` (inside the task bundle) maps 146 landmark pixel coordinates to the
52 scores. Fed FaceLandmarker's own landmarks it reproduces the task's output; fed a rig's true
projected vertices it tells how well the rig *could* be read if detection were perfect, at ~1 ms
per face, which makes it the cheap loop for calibrating the rig's gains.
"""

from __future__ import annotations

import numpy as np

from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.landmarks import BLENDSHAPE_LANDMARKS, N_LANDMARKS


class BlendshapeModel:
    """``BlendshapeModel()(landmarks_px)`` -> (N, 52) scores in ``BLENDSHAPES`` order."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        from emo3d_lib.face.assets import task_member

        self.interp = Interpreter(model_content=task_member("face_blendshapes.tflite"),
                                  num_threads=1)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]

    def __call__(self, landmarks_px: np.ndarray) -> np.ndarray:
        """``landmarks_px``: (N, 478, 2) or (478, 2) pixel coordinates (x right, y down)."""
        pts = np.asarray(landmarks_px, np.float32)
        if pts.ndim == 2:
            pts = pts[None]
        if pts.ndim != 3 or pts.shape[1:] != (N_LANDMARKS, 2):
            raise Emo3DError(f"landmarks: expected (N, {N_LANDMARKS}, 2), got {pts.shape}")
        sub = pts[:, list(BLENDSHAPE_LANDMARKS)]
        out = np.empty((len(pts), 52), np.float32)
        for i, s in enumerate(sub):
            self.interp.set_tensor(self.inp["index"], s[None])
            self.interp.invoke()
            out[i] = self.interp.get_tensor(self.out["index"]).reshape(-1)
        return out
