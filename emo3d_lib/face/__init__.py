"""The face stage: MediaPipe assets, the ICT (default), built-in and Face Cap heads, rendering,
extraction.

Heavy modules (moderngl, mediapipe, litert) are imported only by the modules that need them.
"""
