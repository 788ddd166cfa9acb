"""The trainable parts: a small 2D CNN (our stand-in for the poster's DDAMFN image network) and
MLP heads on fixed features, with one seeded training loop that keeps the best validation epoch.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from emo3d_lib.errors import Emo3DError
from emo3d_lib.schema import N_EMOTIONS
from emo3d_lib.seeding import derive_seed, rng_for


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` intra-op threads. These networks are small: on a shared 2-core
    machine one thread was ~8x faster than torch's default (spinning threads contend)."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SmallCNN(nn.Module):
    """Four conv blocks -> global average pool -> ``embed_dim`` features (F_2D).

    Trained here on the dataset's images for both the dominant emotion (``classify``) and the
    intensities (``regress``), so its penultimate layer carries expression features, as the
    poster's 2D network (DDAMFN) does for its fusion experiments.
    """

    def __init__(self, width: int = 16, embed_dim: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        chans = [3, width, 2 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:], strict=True):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        self.trunk = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                   nn.Linear(chans[-1], embed_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.classify = nn.Linear(embed_dim, N_EMOTIONS)
        self.regress = nn.Linear(embed_dim, N_EMOTIONS)
        self.embed_dim = embed_dim

    @staticmethod
    def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 (N, S, S, 3) -> float (N, 3, S, S) centred on 0."""
        x = torch.as_tensor(images)
        return x.permute(0, 3, 1, 2).float().div(255.0).sub(0.5)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.dropout(self.embed(x))
        return self.classify(h), torch.sigmoid(self.regress(h))


class MLPHead(nn.Module):
    """in -> hidden -> 8: a classifier (logits) or a regressor (sigmoid intensities)."""

    def __init__(self, in_dim: int, task: str, hidden: int = 128, dropout: float = 0.2) -> None:
        super().__init__()
        if task not in ("classify", "regress"):
            raise Emo3DError(f"MLPHead: task must be 'classify' or 'regress', got {task!r}")
        self.task = task
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(inplace=True),
                                 nn.Dropout(dropout), nn.Linear(hidden, N_EMOTIONS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        return out if self.task == "classify" else torch.sigmoid(out)


def fit_network(
    model: nn.Module,
    n_items: int,
    batch_loss: Callable[[nn.Module, np.ndarray, np.random.Generator], torch.Tensor],
    val_score: Callable[[nn.Module], float],
    *, epochs: int, batch_size: int, lr: float, seed: int, desc: str,
    weight_decay: float = 1e-4,
) -> tuple[nn.Module, list[dict[str, float]]]:
    """Adam over seeded mini-batches; returns the model of the best ``val_score`` epoch
    (higher is better) and the per-epoch history."""
    if epochs < 1 or batch_size < 1 or n_items < 1:
        raise Emo3DError(f"{desc}: epochs, batch_size and the item count must be >= 1 "
                         f"(got {epochs}, {batch_size}, {n_items})")
    torch.manual_seed(derive_seed(seed, desc, "init") % 2**31)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_state, best, history = copy.deepcopy(model.state_dict()), -np.inf, []
    for epoch in tqdm(range(epochs), desc=desc, leave=False):
        rng = rng_for(seed, desc, "epoch", epoch)
        order = rng.permutation(n_items)
        model.train()
        total = 0.0
        for start in range(0, n_items, batch_size):
            idx = order[start:start + batch_size]
            loss = batch_loss(model, idx, rng)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.size
        model.eval()
        with torch.no_grad():
            score = float(val_score(model))
        history.append({"epoch": epoch + 1, "train_loss": total / n_items, "val_score": score})
        if score > best:
            best, best_state = score, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    return model, history


@torch.no_grad()
def batched(fn: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray | torch.Tensor,
            batch_size: int = 512) -> np.ndarray:
    """Apply ``fn`` to ``x`` in batches (bounded memory) and return a float32 numpy array."""
    outs = [fn(torch.as_tensor(x[i:i + batch_size])).float().numpy()
            for i in range(0, len(x), batch_size)]
    return np.concatenate(outs) if outs else np.zeros((0, N_EMOTIONS), np.float32)
