"""The metric's faces rendered in parallel worker processes, returned in order.

Rendering dominates the batched metric (llvmpipe draws and poses one ICT face in ~14 CPU-ms) and
is one face at a time inside a process, and a GL context belongs to one process
(:mod:`emo3d_lib.face.render`). So the batched path renders in ``workers`` *spawned* processes,
each with its own renderer and context, started when the pool is made: they start up while the
parent loads CLIP, and they render while the parent embeds the prompt texts and the faces
already rendered. The workers never import model code, so their renderers skip the torchvision
preload (``preload_torch=False``) and the parent needs no GL context at all. Rendering is
deterministic per face, so the images equal those of one in-process renderer byte for byte
(``tests/test_metric_emo3d.py``). The naive per-image reference never uses the pool.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from emo3d_lib.errors import Emo3DError

#: Faces per task: small enough to keep both workers busy to the end, large enough that the
#: per-task round trip (pickling ~200 kB per 256-px face) stays small beside ~14 ms per face.
CHUNK = 8
#: Rendered images waiting for the consumer at most (bytes): bounds memory whatever n is.
MAX_AHEAD_BYTES = 256 * 2**20

_RENDERER: Any = None


def _start_worker(head: str, size: int, backend: str) -> None:
    """Worker initializer: the renderer, its GL context and the head, made once per process."""
    global _RENDERER
    # two workers already fill the cores: llvmpipe's own raster threads would only contend
    os.environ.setdefault("LP_NUM_THREADS", "1")
    from emo3d_lib.face.render import FaceRenderer

    _RENDERER = FaceRenderer(head, size, backend, preload_torch=False)
    _ = _RENDERER.backend  # create the context now, not on the first batch


def _backend() -> str:
    return str(_RENDERER.backend)


def _render(weights: np.ndarray) -> np.ndarray:
    return _RENDERER.render(weights)


@contextmanager
def torch_on_one_thread() -> Iterator[None]:
    """While the workers fill the cores, torch in this process computes on one thread: its
    OpenMP threads would otherwise spin-wait against the workers for the same cores (measured
    on 2 busy cores: 1,000 prompt texts took 22 CPU-s on 2 threads, 11 on one)."""
    torch = sys.modules.get("torch")  # not imported: nothing of it runs here
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def default_workers(n_faces: int) -> int:
    """Worker processes for ``n_faces``: one per core (at most 8), none for a handful of faces
    (starting a worker, ~1-2 CPU-s, would cost more than it saves)."""
    if n_faces < 64:
        return 0
    return max(1, min(os.cpu_count() or 1, 8))


class RenderPool:
    """``workers`` spawned processes rendering faces for one head at ``size`` px, fixed camera.

    ``pool(weights)`` renders one batch spread over the workers; :meth:`stream` renders many
    batches ahead of the consumer, in order. ``close`` (or garbage collection) ends the workers.
    """

    def __init__(self, head: str, size: int, workers: int, backend: str = "auto") -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise Emo3DError(f"render workers must be an integer >= 1, got {workers!r}")
        import multiprocessing as mp

        self.size = size
        self.workers = workers
        # spawn: a forked child of a process with a GL context (or torch threads) hangs
        self._pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                         initializer=_start_worker,
                                         initargs=(head, size, backend))
        self._finalize = weakref.finalize(self, self._pool.shutdown, wait=False,
                                          cancel_futures=True)
        # the first submission spawns every worker now (their start-up overlaps the caller's)
        self._ready: Future[str] = self._pool.submit(_backend)

    @property
    def backend(self) -> str:
        """The workers' backend ("egl" or "numpy"); waits for the first worker to be ready."""
        return self._ready.result()

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers (a benchmark reads their CPU time)."""
        return [p.pid for p in (self._pool._processes or {}).values() if p.pid is not None]

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        """uint8 (N, size, size, 3) images of ``weights`` (N, 52), rendered by the workers."""
        w = np.asarray(weights, np.float32)
        if len(w) == 0:
            return np.zeros((0, self.size, self.size, 3), np.uint8)
        return next(self.stream(w, len(w)))

    def stream(self, weights: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
        """The images of ``weights`` in consecutive batches of ``batch_size``, in order.

        Work is submitted when this is called, not when the iterator is first read, so the
        caller can do something else meanwhile; at most :data:`MAX_AHEAD_BYTES` of images wait.
        """
        w = np.asarray(weights, np.float32)
        tasks = deque((b, lo, min(lo + CHUNK, b + batch_size, len(w)))
                      for b in range(0, len(w), batch_size)
                      for lo in range(b, min(b + batch_size, len(w)), CHUNK))
        ahead = max(2 * self.workers, MAX_AHEAD_BYTES // (CHUNK * 3 * self.size ** 2))
        pending: deque[tuple[int, Future[np.ndarray]]] = deque()

        def submit() -> None:
            while tasks and len(pending) < ahead:
                b, lo, hi = tasks.popleft()
                pending.append((b, self._pool.submit(_render, w[lo:hi])))

        submit()

        def batches() -> Iterator[np.ndarray]:
            while pending:
                batch, parts = pending[0][0], []
                while pending and pending[0][0] == batch:
                    parts.append(pending.popleft()[1].result())
                    submit()
                yield np.concatenate(parts)

        return batches()

    def close(self) -> None:
        """End the worker processes (pending work is cancelled)."""
        self._finalize()
