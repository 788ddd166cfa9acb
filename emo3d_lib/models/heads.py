"""The paper's regression heads on top of backbone embeddings.

- :class:`Regressor`: LM + MLP (384/768 -> 52) and CLIP + MLP (512 -> 256 -> 128 -> 51, sigmoid).
- :class:`EmotionXLM`: emotion extractor (intensities ``v`` and one-hot ``o``) feeding a
  regression unit on ``[embedding; v; o]``, with teacher forcing during training.
- :class:`VAEClip`: blendshapes -> CLIP-space latent -> blendshapes; text -> face by decoding
  the CLIP text embedding.

Models with 51 outputs (``_neutral`` dropped, as in the reference notebooks) become 52-wide
only in :func:`to_blendshapes`, the single conversion point.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from emo3d_lib import schema
from emo3d_lib.errors import Emo3DError

_NEUTRAL = schema.BLENDSHAPES.index("_neutral")


def output_columns(outputs: int) -> np.ndarray:
    """Indices in ``BLENDSHAPES`` of a model's outputs (52: all; 51: without ``_neutral``)."""
    if outputs not in (51, 52):
        raise Emo3DError(f"parameter outputs={outputs}: a model predicts 51 or 52 blendshapes")
    names = schema.output_blendshapes(include_neutral=outputs == 52)
    return np.array([schema.BLENDSHAPES.index(n) for n in names], dtype=np.int64)


def to_blendshapes(pred: np.ndarray) -> np.ndarray:
    """A model's ``(N, 51|52)`` output as ``float32 (N, 52)`` in BLENDSHAPES order (_neutral=0)."""
    pred = np.asarray(pred, dtype=np.float32)
    if pred.ndim != 2 or pred.shape[1] not in (51, 52):
        raise Emo3DError(f"model output has shape {pred.shape}; expected (N, 51) or (N, 52)")
    if pred.shape[1] == 52:
        return pred
    out = np.zeros((pred.shape[0], schema.N_BLENDSHAPES), np.float32)
    out[:, output_columns(51)] = pred
    out[:, _NEUTRAL] = 0.0
    return out


def mlp(in_dim: int, hidden: list[int], out_dim: int, dropout: float, sigmoid: bool) -> nn.Module:
    layers: list[nn.Module] = []
    prev = in_dim
    for width in hidden:
        layers += [nn.Linear(prev, width), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        prev = width
    layers.append(nn.Linear(prev, out_dim))
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


class Regressor(nn.Module):
    """Embedding -> MLP -> blendshapes (LM + MLP; CLIP + MLP)."""

    def __init__(self, in_dim: int, hidden: list[int], outputs: int, dropout: float = 0.0,
                 sigmoid: bool = True) -> None:
        super().__init__()
        self.outputs = outputs
        self.net = mlp(in_dim, hidden, outputs, dropout, sigmoid)

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return self.net(emb)


def teacher_forcing(
    predicted: torch.Tensor, truth: torch.Tensor, ratio: float, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample, with probability ``ratio`` replace the extractor's emotions by the truth."""
    if not 0.0 <= ratio <= 1.0:
        raise Emo3DError(f"parameter teacher_forcing_ratio={ratio} must be in [0, 1]")
    draw = torch.rand(predicted.shape[0], generator=generator, device="cpu").to(predicted.device)
    forced = draw < ratio
    return torch.where(forced[:, None], truth, predicted), forced


class EmotionXLM(nn.Module):
    """Emotion extractor (v: 8 intensities, o: one-hot) + regression unit on [emb; v; o]."""

    def __init__(self, in_dim: int, extractor_hidden: list[int], hidden: list[int], outputs: int,
                 dropout: float = 0.0, sigmoid: bool = True) -> None:
        super().__init__()
        self.outputs = outputs
        self.emotion_extractor = mlp(in_dim, extractor_hidden, schema.N_EMOTIONS, dropout, True)
        self.regression_unit = mlp(in_dim + 2 * schema.N_EMOTIONS, hidden, outputs, dropout,
                                   sigmoid)

    def forward(
        self,
        emb: torch.Tensor,
        true_emotions: torch.Tensor | None = None,
        teacher_forcing_ratio: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (blendshapes, extracted emotions v, mask of teacher-forced samples)."""
        v = self.emotion_extractor(emb)
        forced = torch.zeros(emb.shape[0], dtype=torch.bool, device=emb.device)
        v_used = v
        if true_emotions is not None and teacher_forcing_ratio > 0:
            v_used, forced = teacher_forcing(v, true_emotions, teacher_forcing_ratio, generator)
        o = F.one_hot(v_used.argmax(-1), schema.N_EMOTIONS).to(emb.dtype)
        return self.regression_unit(torch.cat([emb, v_used, o], dim=-1)), v, forced


class VAEClip(nn.Module):
    """Blendshapes (51) -> 256 -> (mu, logvar) in CLIP space; decoder -> 256 -> dropout -> 51.

    The decoder reads the direction of the latent (L2-normalized), since CLIP embeddings are
    compared by direction; that makes decoding a unit-norm CLIP text embedding well defined.
    """

    def __init__(self, clip_dim: int, hidden: int = 256, outputs: int = 51,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.outputs = outputs
        self.encoder = nn.Sequential(nn.Linear(outputs, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, clip_dim)
        self.logvar = nn.Linear(hidden, clip_dim)
        self.decoder = nn.Sequential(nn.Linear(clip_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, outputs), nn.Sigmoid())
        # modality-gap shift added to a text embedding before decoding (set by fit_text_shift)
        self.register_buffer("text_shift", torch.zeros(clip_dim))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(F.normalize(z, dim=-1))

    def decode_text(self, text_emb: torch.Tensor) -> torch.Tensor:
        """Text -> blendshapes: decode the (gap-corrected) CLIP text embedding."""
        return self.decode(F.normalize(text_emb, dim=-1) + self.text_shift)

    @torch.no_grad()
    def fit_text_shift(self, blendshapes: torch.Tensor, text_emb: torch.Tensor) -> None:
        """Centre of the latent directions minus centre of the text embeddings (training set).

        CLIP text embeddings sit in a cone apart from the latents the decoder learned from (the
        modality gap); moving them by the difference of centroids puts them where it decodes.
        """
        mu = self.mu(self.encoder(blendshapes))
        self.text_shift.copy_(F.normalize(mu, dim=-1).mean(0)
                              - F.normalize(text_emb, dim=-1).mean(0))

    def forward(
        self, blendshapes: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(blendshapes)
        mu, logvar = self.mu(h), self.logvar(h)
        if self.training:
            eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu.device)
            z = mu + eps * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decode(z), mu, logvar, z


def vae_clip_loss(
    recon: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
    z: torch.Tensor, text_emb: torch.Tensor, image_emb: torch.Tensor,
    lambda_text: float, lambda_image: float, kl_weight: float = 0.0,
) -> torch.Tensor:
    """MSE(recon) + l_text (1 - cos(text, z)) + l_image (1 - cos(image, z)) [+ kl_weight KL]."""
    loss = F.mse_loss(recon, target)
    loss = loss + lambda_text * (1 - F.cosine_similarity(text_emb, z, dim=-1)).mean()
    loss = loss + lambda_image * (1 - F.cosine_similarity(image_emb, z, dim=-1)).mean()
    if kl_weight > 0:
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1))
        loss = loss + kl_weight * kl
    return loss
