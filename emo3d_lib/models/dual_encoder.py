"""Emo3D-CLIP's dual encoder without importing open_clip, for loading a trained checkpoint.

A checkpoint of the CNN or MediaPipe-score tower needs nothing of open_clip (its ViTs, CoCa,
losses, pretrained tables): its text tower is a Hugging Face MiniLM with a pooler and a linear
projection, its image tower our own module. Skipping open_clip's import saves ~0.3 CPU-s of the
metric's start-up (measured: import + load 5.0-5.3 CPU-s without it, 5.2-5.6 with it;
transformers' BERT pulls in torchvision either way, most of what open_clip seemed to cost).
These classes rebuild exactly the module tree of open_clip's ``CustomTextCLIP`` +
``HFTextEncoder`` for those towers (same attribute names, so the same ``state_dict`` keys:
``visual.*``, ``text.transformer.*``, ``text.pooler.*``, ``text.proj.weight``, ``logit_scale``)
and the same forward computation;
``tests/test_metric_clip_loading.py`` checks keys and embeddings against open_clip's.
Training keeps open_clip's skeleton (its seeded initialisation draws the same random numbers
as before); the ViT tower keeps open_clip everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class MeanPooler(nn.Module):
    """open_clip's ``mean_pooler``: the mean of the token states under the attention mask."""

    def forward(self, x: Any, attention_mask: torch.Tensor) -> torch.Tensor:
        masked = x.last_hidden_state * attention_mask.unsqueeze(-1)
        return masked.sum(dim=1) / attention_mask.sum(-1, keepdim=True)


class LockedTextTower(nn.Module):
    """A Hugging Face encoder, a pooler and a linear projection (open_clip's ``HFTextEncoder``
    with ``hf_proj_type="linear"``, ``hf_pooler_type="mean_pooler"``), the encoder locked."""

    def __init__(self, path: str, output_dim: int, context_length: int,
                 pretrained: bool = True) -> None:
        from transformers import AutoConfig, AutoModel

        super().__init__()
        self.config = AutoConfig.from_pretrained(path)
        self.transformer = (AutoModel.from_pretrained(path, add_pooling_layer=False) if pretrained
                            else AutoModel.from_config(self.config, add_pooling_layer=False))
        self.context_length = context_length
        self.pooler: nn.Module = MeanPooler()
        self.proj: nn.Module = nn.Linear(int(self.config.hidden_size), output_dim, bias=False)
        for p in self.transformer.parameters():  # LiT: the pretrained tower never trains
            p.requires_grad = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = (x != self.config.pad_token_id).long()
        out = self.transformer(input_ids=x, attention_mask=mask)
        return self.proj(self.pooler(out, mask))


class DualEncoder(nn.Module):
    """``visual`` + ``text`` + ``logit_scale``: the parts of ``CustomTextCLIP`` Emo3D-CLIP uses.
    The image tower is assigned to ``visual`` by the builder."""

    def __init__(self, text: LockedTextTower) -> None:
        super().__init__()
        self.visual: nn.Module = nn.Identity()
        self.text = text
        self.context_length = text.context_length
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def encode_image(self, image: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        features = self.visual(image)
        return F.normalize(features, dim=-1) if normalize else features

    def encode_text(self, text: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        features = self.text(text)
        return F.normalize(features, dim=-1) if normalize else features
