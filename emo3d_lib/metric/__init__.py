"""The Emo3D metric (paper section 4.2): render, embed, retrieve top-K prompts, KL, sigmoid.

Pure pieces (``divergence``, ``retrieval``, ``bootstrap``, ``selection``) take arrays; ``emo3d``
wires them to a renderer and a CLIP backbone; ``anchors`` gives the sanity baselines; ``cli``
registers ``emo3d evaluate``.
"""

from emo3d_lib.metric.divergence import emo3d_score, kl_divergence, normalize_emotions
from emo3d_lib.metric.retrieval import exact_match, mean_topk_distribution, top_k_prompts

__all__ = [
    "emo3d_score",
    "exact_match",
    "kl_divergence",
    "mean_topk_distribution",
    "normalize_emotions",
    "top_k_prompts",
]
