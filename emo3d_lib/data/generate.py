"""Sharded, resumable dataset generation: texts -> faces -> MediaPipe scores, in release format.

The paper's pipeline (Figure 1) is GPT-3.5 descriptions -> DALL-E images -> MediaPipe blendshape
scores. Ours is the offline description generator -> the expression prior posing a rigged head
with a varied identity -> offscreen render -> the same MediaPipe FaceLandmarker.

Why shards: 60,000 texts and 90,000 images take minutes to hours, machines get killed, and
several processes (or a dask cluster) should share the work. Shard ``i`` covers sample ids
``[i * shard_size, (i + 1) * shard_size)`` and is a pure function of ``(config, i)``: every
random step is seeded per sample id, so the bytes written do not depend on the worker, the order
or the shard size. A shard's images are written first, its table last (both atomically); a shard
is done exactly when its table exists. A rerun skips done shards and redoes the others, which
rewrites identical bytes, so nothing is lost or duplicated after a kill. Final assembly reads
the shard tables, assigns stratified splits and writes ``ROOT/data/*`` via ``schema.save_dataset``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emo3d_lib import atomic, schema
from emo3d_lib.data.splits import DEFAULT_FRACTIONS, assign_splits, check_fractions
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES
from emo3d_lib.files import read_json_object
from emo3d_lib.outputs import check_writable
from emo3d_lib.seeding import derive_seed

HEADS: tuple[str, ...] = HEAD_NAMES
SHARD_DIR = "shards"
CONFIG_NAME = "generation_config.json"
MANIFEST_NAME = "generation_manifest.json"
#: Written into a directory generation created or found empty: "this project's files live here".
MARKER_NAME = ".emo3d-dataset"
MARKER_TEXT = '{"written_by": "emo3d generate", "marker": 1}\n'
LOCK_NAME = ".emo3d-generate.lock"
_SHARD_RE = re.compile(r"^shard_\d{5,}\.parquet$")
_FOLDER_RE = re.compile(r"^[A-Za-z0-9]+_images_(\d+)_(\d+)$")
_IMAGE_RE = re.compile(r"^(\d+)_[1-9]\.jpeg$")
#: Image folders hold this many sample ids each, like the release's ``prompt1_images_0_1000``.
FOLDER_BLOCK = 1000
#: Images rendered and detected per batch inside a shard (bounds memory, not results).
RENDER_BATCH = 32


@dataclass(frozen=True)
class GenerationConfig:
    """Everything that decides the bytes of a generated dataset (and nothing that does not)."""

    samples: int
    seed: int = 0
    images_per_sample: int = 2
    shard_size: int = 250
    head: str = DEFAULT_HEAD
    image_size: int = 256
    jpeg_quality: int = 92
    split_fractions: tuple[float, float, float] = DEFAULT_FRACTIONS

    def __post_init__(self) -> None:
        _check_int("samples", self.samples, 1, 10_000_000)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("images_per_sample", self.images_per_sample, 0, schema.MAX_IMAGES)
        _check_int("shard_size", self.shard_size, 1, 1_000_000)
        _check_int("image_size", self.image_size, 64, 2048)
        _check_int("jpeg_quality", self.jpeg_quality, 50, 100)
        if self.head not in HEADS:
            raise Emo3DError(f"parameter head={self.head!r} must be one of {HEADS}")
        object.__setattr__(self, "split_fractions", check_fractions(self.split_fractions))

    @property
    def n_shards(self) -> int:
        return -(-self.samples // self.shard_size)

    def shard_range(self, shard: int) -> tuple[int, int]:
        """Sample ids [lo, hi) of ``shard``."""
        if not 0 <= shard < self.n_shards:
            raise Emo3DError(f"shard {shard} out of range 0..{self.n_shards - 1}")
        lo = shard * self.shard_size
        return lo, min(self.samples, lo + self.shard_size)

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["split_fractions"] = list(self.split_fractions)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GenerationConfig:
        d = dict(d)
        d["split_fractions"] = tuple(d.get("split_fractions", DEFAULT_FRACTIONS))
        return cls(**d)


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise Emo3DError(f"parameter {name}={value!r} must be an integer in [{lo}, {hi}]")


def shard_table_path(root: Path, shard: int) -> Path:
    return Path(root) / SHARD_DIR / f"shard_{shard:05d}.parquet"


def image_relpath(prompt_type: str, sample_id: int, k: int) -> str:
    """Release-style path: ``{prompt_type}_images_{lo}_{hi}/{sample_id}_{k}.jpeg``."""
    lo = (int(sample_id) // FOLDER_BLOCK) * FOLDER_BLOCK
    return f"{prompt_type}_images_{lo}_{lo + FOLDER_BLOCK}/{int(sample_id)}_{k}.jpeg"


# ----------------------------------------------------------------------------------------------
# One shard (runs inside a worker process)
# ----------------------------------------------------------------------------------------------
_WORKER_FACE_TOOLS: dict[tuple[str, int], Any] = {}


#: True in a process-pool worker this module spawned: it runs shards and nothing else, so its
#: renderer skips the torchvision import that guards model code loaded after EGL (~3 s CPU each)
_POOL_WORKER = False


def _mark_pool_worker() -> None:
    global _POOL_WORKER
    _POOL_WORKER = True


def worker_face_tools(head: str, size: int) -> tuple[Any, Any]:
    """Renderer and MediaPipe extractor, created once per worker process (GL context ~0.4 s)."""
    key = (head, size)
    if key not in _WORKER_FACE_TOOLS:
        from emo3d_lib.face.heads import load_head
        from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor
        from emo3d_lib.face.render import FaceRenderer

        renderer = FaceRenderer(load_head(head), size, preload_torch=not _POOL_WORKER)
        extractor = BlendshapeExtractor()
        # both made here, not on first use, so a shard's timings split one-off set-up (head
        # build, GL context, landmarker: ~1 s of CPU per worker) from per-image work
        _ = renderer.backend  # creates the GL context
        extractor.open()
        _WORKER_FACE_TOOLS[key] = (renderer, extractor)
    return _WORKER_FACE_TOOLS[key]


def shard_texts(config: GenerationConfig, shard: int) -> pd.DataFrame:
    """Texts and emotion intensities of one shard from the description generator."""
    from emo3d_lib.text.generator import generate_text_samples

    lo, hi = config.shard_range(shard)
    df = generate_text_samples(config.seed, lo, hi - lo)
    need = ["sample_id", "prompt_type", *schema.TEXT_COLUMNS, *schema.EMOTIONS]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise Emo3DError(f"text generator output for shard {shard} lacks columns {missing}")
    if df["sample_id"].tolist() != list(range(lo, hi)):
        raise Emo3DError(f"text generator returned sample ids other than {lo}..{hi - 1}")
    out = df.loc[:, need].reset_index(drop=True).copy()
    for col in (*schema.IMAGE_COLUMNS, *schema.SCORE_COLUMNS):
        out[col] = None
    return out


def image_jobs(config: GenerationConfig, table: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(row, sample_id, k) for every image of the shard, k = 1..K."""
    k_max = config.images_per_sample
    return [(row, int(sid), k) for row, sid in enumerate(table["sample_id"])
            for k in range(1, k_max + 1)]


def image_activations(config: GenerationConfig, emotions: np.ndarray, sample_id: int,
                      k: int) -> np.ndarray:
    """The expression prior's 52 activations for image k of a sample (seeded by sample id, k)."""
    from emo3d_lib.face.expression_prior import sample_activations

    return sample_activations(emotions[None], config.seed, sample_id, k)[0]


def image_identity(config: GenerationConfig, sample_id: int, k: int) -> Any:
    """The identity (face shape, pose, light, skin) of image k; each k is a different person."""
    from emo3d_lib.face.identity import sample_identity

    stream = derive_seed(config.seed, "dataset-identity")
    return sample_identity(stream, int(sample_id) * schema.MAX_IMAGES + (k - 1))


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="JPEG", quality=quality,
                                                      optimize=False)
    return buf.getvalue()


def decode_jpeg(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def generate_shard(config: GenerationConfig, root: str | Path, shard: int) -> dict[str, Any]:
    """Write shard ``shard`` (images, then its table) under ``root``; return its counts/timings.

    MediaPipe reads the JPEG as written, as the paper read its DALL-E files, so the scores
    describe exactly the image on disk.
    """
    root = Path(root)
    t0, cpu0 = time.perf_counter(), time.process_time()
    table = shard_texts(config, shard)
    t_text = time.perf_counter() - t0
    jobs = image_jobs(config, table)
    n_detected = 0
    t_render = t_detect = cpu_render = cpu_detect = t_setup = cpu_setup = 0.0
    if jobs:
        t1, c1 = time.perf_counter(), time.process_time()
        renderer, extractor = worker_face_tools(config.head, config.image_size)
        t_setup, cpu_setup = time.perf_counter() - t1, time.process_time() - c1
        emotions = schema.emotion_matrix(table)
        for start in range(0, len(jobs), RENDER_BATCH):
            batch = jobs[start:start + RENDER_BATCH]
            weights = np.stack([image_activations(config, emotions[row], sid, k)
                                for row, sid, k in batch]).astype(np.float32)
            identities = [image_identity(config, sid, k) for _, sid, k in batch]
            t1, c1 = time.perf_counter(), time.process_time()
            images = renderer.render(weights, identities)
            jpegs = [encode_jpeg(img, config.jpeg_quality) for img in images]
            t2, c2 = time.perf_counter(), time.process_time()
            scores = extractor.extract(np.stack([decode_jpeg(j) for j in jpegs]))
            t3, c3 = time.perf_counter(), time.process_time()
            t_render += t2 - t1
            t_detect += t3 - t2
            cpu_render += c2 - c1  # CPU of every thread (llvmpipe's, MediaPipe's): load-blind
            cpu_detect += c3 - c2
            for (row, sid, k), jpeg, score in zip(batch, jpegs, scores, strict=True):
                rel = image_relpath(table.at[row, "prompt_type"], sid, k)
                atomic.write_bytes(root / rel, jpeg)
                table.at[row, f"img_{k}"] = rel
                if score is not None:
                    n_detected += 1
                    table.at[row, f"blenshape_score_{k}"] = schema.format_blendshapes(score)
    with atomic.atomic_path(shard_table_path(root, shard)) as tmp:
        table.to_parquet(tmp, index=False)
    return {"shard": shard, "samples": len(table), "images": len(jobs), "detected": n_detected,
            "seconds_text": t_text, "seconds_render": t_render, "seconds_detect": t_detect,
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - cpu0,
            "cpu_seconds_render": cpu_render, "cpu_seconds_detect": cpu_detect,
            "seconds_setup": t_setup, "cpu_seconds_setup": cpu_setup}


def _shard_task(config_json: dict[str, Any], root: str, shard: int) -> dict[str, Any]:
    """Picklable entry point for pools and dask workers."""
    return generate_shard(GenerationConfig.from_json(config_json), root, shard)


# ----------------------------------------------------------------------------------------------
# Driving the shards
# ----------------------------------------------------------------------------------------------
#: Source that decides a dataset's bytes besides its config: a change here makes a root stale.
_TEXT_CODE = ("text/generator.py", "text/vocabulary.py")
_FACE_CODE = ("face",)  # the whole face package: head, rig, renderer, identity, prior, extractor
_SHARED_CODE = ("schema.py", "seeding.py", "data/generate.py")
_PACKAGES = ("numpy", "pandas", "pyarrow", "pillow", "mediapipe", "moderngl")


def code_fingerprint(config: GenerationConfig) -> str:
    """Hash of the source files and package versions that shape this config's output.

    Resuming a root with other code would silently mix old and new shards (e.g. after the rig
    was recalibrated); the fingerprint is pinned beside the config and compared on every run.
    Text-only datasets do not depend on the face code.
    """
    import hashlib
    from importlib import metadata

    pkg = Path(__file__).resolve().parent.parent
    parts = [*_TEXT_CODE, *_SHARED_CODE] + (list(_FACE_CODE) if config.images_per_sample else [])
    files: list[Path] = []
    for part in parts:
        path = pkg / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(pkg).as_posix().encode() + b"\0" + path.read_bytes())
    for name in _PACKAGES[: None if config.images_per_sample else 3]:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==absent".encode())
    return digest.hexdigest()[:16]


def prepare_root(config: GenerationConfig, root: str | Path, *, restart: bool = False) -> Path:
    """Create ``root`` and pin its config and code fingerprint.

    A root made with another config or other code is refused, or wiped and started again when
    ``restart`` is true (only the files generation writes are removed).
    """
    root = Path(root)
    pinned = root / SHARD_DIR / CONFIG_NAME
    want = {**config.to_json(), "code_fingerprint": code_fingerprint(config)}
    if pinned.is_file():
        old = read_json_object(pinned, "generation config")
        try:
            GenerationConfig.from_json({k: v for k, v in old.items() if k != "code_fingerprint"})
        except (TypeError, ValueError) as err:
            raise Emo3DError(f"{pinned}: unreadable generation config ({err})") from None
        diff = {k: (old.get(k), v) for k, v in want.items() if old.get(k) != v}
        if diff and not restart:
            raise Emo3DError(
                f"{root} was generated with a different config or code (old, new): {diff}; "
                "rerun with --restart to regenerate it, or use another --out directory"
            )
        if diff:
            clear_root(root)
    if not pinned.is_file():
        atomic.write_json(pinned, want)
    return root


def clear_root(root: str | Path) -> int:
    """Remove what generation wrote under ``root``, and nothing else; returns the files removed.

    Only names generation writes are deleted (shard tables, the pinned config, ``data/`` tables,
    the manifest, ``{prompt}_images_{lo}_{hi}/{id}_{k}.jpeg`` with ``lo <= id < hi``, and
    temporaries of exited writers); a folder is removed only when that leaves it empty, so a
    file someone else put in the root survives a ``--restart``.
    """
    root = Path(root)
    ours: list[Path] = [root / MANIFEST_NAME, root / SHARD_DIR / CONFIG_NAME]
    shards = root / SHARD_DIR
    if shards.is_dir():
        ours += [p for p in shards.iterdir() if _SHARD_RE.match(p.name)]
    ours += [root / "data" / schema.PARQUET_NAME,
             *(root / "data" / name for name in schema.SPLIT_CSV.values())]
    folders = [d for d in root.glob("*_images_*_*") if d.is_dir() and _FOLDER_RE.match(d.name)]
    for folder in folders:
        lo, hi = (int(v) for v in _FOLDER_RE.match(folder.name).groups())
        for img in folder.iterdir():
            m = _IMAGE_RE.match(img.name)
            if m and lo <= int(m[1]) < hi and img.is_file() and not img.is_symlink():
                ours.append(img)
    removed = 0
    for path in ours:
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed += 1
    removed += remove_stale_temporaries(root)
    for folder in [*folders, shards, root / "data"]:
        with contextlib.suppress(OSError):  # not empty: someone else's files stay
            folder.rmdir()
    return removed


def remove_stale_temporaries(root: str | Path) -> int:
    """Delete half-written files killed writers of this project left (``atomic_path``'s
    ``.<name>.emo3d-<host>-<pid>.<random>.tmp`` whose process has exited); any other ``.tmp``
    file, and a live writer's in-flight one, is left alone."""
    stale = [p for p in Path(root).rglob(".*.tmp")
             if p.is_file() and not p.is_symlink() and atomic.is_stale_temporary(p)]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _describe(paths: Iterable[Path], root: Path, limit: int = 3) -> str:
    names = sorted(p.relative_to(root).as_posix() for p in paths)
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit
                                       else "")


def claim_root(root: str | Path) -> Path:
    """Make ``root`` this project's dataset directory, or refuse without changing anything.

    Ours: a directory holding :data:`MARKER_NAME` (written when generation first creates or
    takes an empty directory), or one a previous version generated (its pinned config under
    ``shards/``). A new or empty directory is claimed by writing the marker. Anything else holds
    someone else's files and is refused, before a single byte is written.
    """
    root = Path(root)
    marker = root / MARKER_NAME
    if root.exists() and not root.is_dir():
        raise Emo3DError(f"--out {root} is a file, not a directory")
    if root.is_symlink():
        raise Emo3DError(f"--out {root} is a symbolic link; give the real directory")
    if marker.is_file():
        if marker.read_bytes() != MARKER_TEXT.encode():
            raise Emo3DError(f"{marker}: not this project's dataset marker; refusing to write "
                             f"into {root}")
        return root
    legacy = (root / SHARD_DIR / CONFIG_NAME).is_file()
    if root.is_dir() and not legacy:
        try:
            foreign = list(root.iterdir())
        except OSError as err:
            raise Emo3DError(f"--out {root}: cannot be listed ({err.strerror})") from None
        if foreign:
            raise Emo3DError(
                f"--out {root} is not empty and was not created by `emo3d generate` (it holds "
                f"{_describe(foreign, root)}); nothing was changed: choose a new or empty "
                "directory")
    check_writable(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        atomic.write_text(marker, MARKER_TEXT)
    except OSError as err:
        raise Emo3DError(f"--out {root}: cannot be written ({err.strerror or err})") from None
    return root


@contextlib.contextmanager
def root_lock(root: Path) -> Iterator[None]:
    """Hold ``root``'s generation lock: a second run on the same directory is refused (never
    interleaved). The kernel drops the lock when the holder exits, even on SIGKILL."""
    import fcntl

    path = root / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise Emo3DError(f"{path}: cannot open the generation lock ({err.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Emo3DError(f"--out {root}: another `emo3d generate` is writing this directory "
                             f"(it holds {LOCK_NAME}); wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def pending_shards(config: GenerationConfig, root: str | Path) -> list[int]:
    """Shards whose table does not exist yet (a shard is done only when its table exists)."""
    return [i for i in range(config.n_shards) if not shard_table_path(Path(root), i).is_file()]


def _run_local(config: GenerationConfig, root: Path, shards: list[int],
               workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(shards) <= 1:
        for shard in shards:
            yield generate_shard(config, root, shard)
        return
    import multiprocessing as mp

    # spawn: a forked child would inherit the parent's GL/MediaPipe state, which is not fork-safe
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(shards)), mp_context=ctx,
                             initializer=_mark_pool_worker) as pool:
        futures = [pool.submit(_shard_task, config.to_json(), str(root), s) for s in shards]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _run_dask(config: GenerationConfig, root: Path, shards: list[int],
              scheduler: str) -> Iterator[dict[str, Any]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, ValueError, TypeError) as err:
        raise Emo3DError(f"--scheduler {scheduler}: cannot reach dask scheduler ({err})") from None
    with client:
        futures = client.map(_shard_task, [config.to_json()] * len(shards),
                             [str(root.resolve())] * len(shards), shards, pure=False)
        for fut in dask_completed(futures):
            yield fut.result()


def generate_dataset(
    config: GenerationConfig,
    root: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    restart: bool = False,
    on_shard: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Generate (or finish) the dataset at ``root``; return the manifest (also written as JSON).

    ``workers`` processes by default (1 = in this process); a dask scheduler address sends the
    shards to that cluster instead. Done shards are skipped, so a killed run resumes; a root
    generated with another config or code is refused unless ``restart`` (then regenerated). A
    directory holding files this project did not write is refused (:func:`claim_root`), and two
    runs on one directory are serialised by a lock (:func:`root_lock`).
    """
    _check_int("workers", workers, 1, 256)
    root = claim_root(root)
    with root_lock(root):
        return _generate_locked(config, root, workers=workers, scheduler=scheduler,
                                progress=progress, restart=restart, on_shard=on_shard)


def _generate_locked(config: GenerationConfig, root: Path, *, workers: int,
                     scheduler: str | None, progress: bool, restart: bool,
                     on_shard: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
    from tqdm import tqdm

    root = prepare_root(config, root, restart=restart)
    remove_stale_temporaries(root)
    todo = pending_shards(config, root)
    t0 = time.perf_counter()
    done: list[dict[str, Any]] = []
    runner = (_run_dask(config, root, todo, scheduler) if scheduler
              else _run_local(config, root, todo, workers))
    with tqdm(total=config.n_shards, initial=config.n_shards - len(todo), unit="shard",
              desc="generate", disable=not progress) as bar:
        for result in runner:
            done.append(result)
            bar.update(1)
            if on_shard is not None:
                on_shard(result)
    t_shards = time.perf_counter() - t0
    df = assemble(config, root)
    manifest = build_manifest(config, df, done, t_shards, time.perf_counter() - t0,
                              workers=workers, scheduler=scheduler)
    previous = root / MANIFEST_NAME
    history = (read_json_object(previous, "generation manifest").get("runs", [])
               if previous.is_file() else [])
    manifest["runs"] = [*history, manifest["run"]]  # every (resumed) run's timings, oldest first
    atomic.write_json(previous, manifest)
    return manifest


def read_shards(config: GenerationConfig, root: str | Path) -> pd.DataFrame:
    """All shard tables concatenated in sample-id order (every shard must be done)."""
    missing = pending_shards(config, root)
    if missing:
        raise Emo3DError(f"{root}: shards {missing[:5]}... are not generated yet")
    parts = [pd.read_parquet(shard_table_path(Path(root), i)) for i in range(config.n_shards)]
    df = pd.concat(parts, ignore_index=True)
    if df["sample_id"].tolist() != list(range(config.samples)):
        raise Emo3DError(f"{root}: shard tables do not cover sample ids 0..{config.samples - 1}"
                         " exactly once")
    return df


def assemble(config: GenerationConfig, root: str | Path) -> pd.DataFrame:
    """Shards -> ``ROOT/data/emo3d_data.parquet`` + split CSVs; returns the frame with ``split``."""
    df = read_shards(config, root)
    df["split"] = assign_splits(schema.emotion_matrix(df), derive_seed(config.seed, "splits"),
                                config.split_fractions)
    schema.save_dataset(df, root)
    return df


def build_manifest(config: GenerationConfig, df: pd.DataFrame, shard_results: Iterable[dict],
                   seconds_shards: float, seconds_total: float, *, workers: int,
                   scheduler: str | None) -> dict[str, Any]:
    """Config, counts (Table 1 analog), detection rate and this run's timings."""
    results = list(shard_results)
    n_images = int(df[list(schema.IMAGE_COLUMNS)].notna().to_numpy().sum())
    n_faces = int(df[list(schema.SCORE_COLUMNS)].notna().to_numpy().sum())
    n_texts = int(df[list(schema.TEXT_COLUMNS)].notna().to_numpy().sum())
    run_images = sum(r["images"] for r in results)
    run_samples = sum(r["samples"] for r in results)
    return {
        "config": config.to_json(),
        "seed": config.seed,
        "counts": {
            "samples": len(df), "texts": n_texts, "images": n_images, "faces_detected": n_faces,
            "triples": n_texts + n_images,  # the paper's Table 1 arithmetic: texts + images
            "splits": {s: int((df["split"] == s).sum()) for s in schema.SPLITS},
            "dominant_emotion": {str(k): int(v) for k, v in
                                 schema.dominant_emotion(df).value_counts().items()},
        },
        "detection_rate": (n_faces / n_images) if n_images else None,
        "run": {
            "workers": workers, "scheduler": scheduler, "shards_generated": len(results),
            "shards_total": config.n_shards, "samples_generated": run_samples,
            "images_generated": run_images, "seconds_shards": seconds_shards,
            "seconds_total": seconds_total,
            "seconds_text_worker": sum(r["seconds_text"] for r in results),
            "seconds_render_worker": sum(r["seconds_render"] for r in results),
            "seconds_detect_worker": sum(r["seconds_detect"] for r in results),
            "cpu_seconds": sum(r["cpu_seconds"] for r in results),
            "cpu_seconds_render_worker": sum(r["cpu_seconds_render"] for r in results),
            "cpu_seconds_detect_worker": sum(r["cpu_seconds_detect"] for r in results),
            # one-off per worker process (head, GL context, landmarker), in cpu_seconds too
            "cpu_seconds_setup_worker": sum(r.get("cpu_seconds_setup", 0.0) for r in results),
            "seconds_setup_worker": sum(r.get("seconds_setup", 0.0) for r in results),
            "samples_per_second": run_samples / seconds_shards if seconds_shards > 0 else None,
            "images_per_second": run_images / seconds_shards if seconds_shards > 0 else None,
        },
    }


def load_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        raise Emo3DError(f"{path} does not exist; run `emo3d generate --out {root}` first")
    return read_json_object(path, "generation manifest")


def throughput(manifest: dict[str, Any]) -> dict[str, float | None]:
    """Measured rates over every run that generated shards (a resumed dataset has several).

    ``cpu_ms_per_image`` is process CPU time (all threads) per image, which does not depend on
    how busy the machine was; the per-second rates are wall-clock and do.
    """
    runs = [r for r in manifest.get("runs", [manifest["run"]]) if r["shards_generated"]]
    seconds = sum(r["seconds_shards"] for r in runs)
    samples = sum(r["samples_generated"] for r in runs)
    images = sum(r["images_generated"] for r in runs)
    cpu = sum(r.get("cpu_seconds", 0.0) for r in runs)
    return {"seconds": seconds, "samples": samples, "images": images,
            "samples_per_second": samples / seconds if seconds else None,
            "images_per_second": images / seconds if seconds else None,
            "cpu_ms_per_image": 1e3 * cpu / images if images else None}
