"""Vendor the browser JS the static book needs, so widgets and math render with no CDN.

Out of the box a Jupyter Book page fetches require.js, the widget manager and MathJax from CDNs;
offline the widget area stays blank. ``npm pack`` takes exact versions from the npm registry
(tarballs only, no install scripts) and we copy the few files the page loads into ``vendor/book``
(git-ignored). Idempotent: a stamp naming the packages makes a second run take milliseconds.

Run as ``python -m emo3d_lib.book.vendor_js``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from emo3d_lib import atomic
from emo3d_lib.errors import Emo3DError
from emo3d_lib.paths import REPO_ROOT

#: Where the vendored files live; ``sphinx_ext`` adds this folder to ``html_static_path``.
VENDOR_DIR = REPO_ROOT / "vendor" / "book"
STAMP_NAME = ".vendor-stamp.json"
#: folders of build-time exports served beside the vendored files (the text model of
#: ``textface``): kept when the vendored files are replaced
PRESERVED = ("textface",)
#: The widget config script (``require.config`` paths), tracked in the package.
CONFIG_JS = Path(__file__).with_name("static") / "widgets-config.js"


@dataclass(frozen=True)
class Package:
    """One npm tarball and the members we copy out of it (prefix match, under ``package/``)."""

    spec: str  # exact "name@version"
    members: tuple[tuple[str, str], ...]  # (source prefix inside the tarball, destination prefix)
    exclude: tuple[str, ...] = ()  # paths inside the tarball not to copy


#: Exact versions that work together with ipywidgets 8.1.9 / anywidget 0.11.0.
PACKAGES: tuple[Package, ...] = (
    Package("requirejs@2.3.7", (("require.js", "widgets/require.js"),)),
    Package(
        "@jupyter-widgets/html-manager@1.0.15",
        (("dist/", "widgets/html-manager/"),),
        exclude=("dist/embed.js", "dist/libembed-amd.js"),  # non-AMD build; bundled in embed-amd
    ),
    Package("anywidget@0.11.0", (("dist/index.js", "widgets/anywidget/index.js"),)),
    # a current three.js for the 52-channel viewer (face3d.js): r1xx blends all 52 morph targets
    # through a morph texture (r97, once bundled with pythreejs, blended only 8). Plus GLTFLoader
    # (tests import exported .glb files with it) and its one helper.
    Package(
        "three@0.187.0",
        (
            ("build/three.core.js", "three/three.core.js"),
            ("build/three.module.js", "three/three.module.js"),
            ("examples/jsm/loaders/GLTFLoader.js", "three/addons/GLTFLoader.js"),
            ("examples/jsm/utils/BufferGeometryUtils.js", "three/utils/BufferGeometryUtils.js"),
            ("examples/jsm/utils/SkeletonUtils.js", "three/utils/SkeletonUtils.js"),
            ("LICENSE", "three/LICENSE"),
        ),
    ),
    # text -> face in the static page: the wasm (CPU) build of onnxruntime-web only
    Package(
        "onnxruntime-web@1.30.0",
        (
            ("dist/ort.wasm.min.mjs", "ort/ort.wasm.min.mjs"),
            ("dist/ort-wasm-simd-threaded.mjs", "ort/ort-wasm-simd-threaded.mjs"),
            ("dist/ort-wasm-simd-threaded.wasm", "ort/ort-wasm-simd-threaded.wasm"),
        ),
    ),
    Package(
        "mathjax@3.2.2",
        (
            ("es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
            ("es5/input/", "mathjax/input/"),
            ("es5/output/chtml/", "mathjax/output/chtml/"),
            ("es5/output/chtml.js", "mathjax/output/chtml.js"),
            ("es5/a11y/", "mathjax/a11y/"),
            ("es5/ui/", "mathjax/ui/"),
            ("es5/sre/", "mathjax/sre/"),
            ("es5/adaptors/", "mathjax/adaptors/"),
        ),
    ),
)

#: Files whose presence proves the vendoring is complete (checked on the fast path).
REQUIRED_FILES: tuple[str, ...] = (
    "widgets/require.js",
    "widgets/config.js",
    "widgets/html-manager/embed-amd.js",
    "widgets/anywidget/index.js",
    "three/three.core.js",
    "three/three.module.js",
    "ort/ort.wasm.min.mjs",
    "ort/ort-wasm-simd-threaded.wasm",
    "mathjax/tex-mml-chtml.js",
    "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
)
_SKIP_SUFFIXES = (".map", ".ts")


#: Node tools the tests run (never served by the book): the Khronos glTF validator.
TOOLS_DIR = REPO_ROOT / "vendor" / "tools"
TOOL_PACKAGES: tuple[Package, ...] = (
    Package("gltf-validator@2.0.0-dev.3.10",
            tuple((f, f"gltf-validator/{f}") for f in ("index.js", "gltf_validator.dart.js",
                                                       "package.json", "LICENSE"))),
)
TOOL_FILES: tuple[str, ...] = ("gltf-validator/index.js", "gltf-validator/gltf_validator.dart.js")


def _spec_digest(packages: tuple[Package, ...] = PACKAGES, extra: bytes | None = None) -> str:
    """Hash of what we vendor (package list + config script): a change re-vendors."""
    payload = json.dumps([[p.spec, list(p.members), list(p.exclude)] for p in packages]).encode()
    payload += CONFIG_JS.read_bytes() if extra is None else extra
    return hashlib.sha256(payload).hexdigest()[:16]


def is_vendored(dest: Path = VENDOR_DIR, packages: tuple[Package, ...] = PACKAGES,
                required: tuple[str, ...] = REQUIRED_FILES, extra: bytes | None = None) -> bool:
    stamp = dest / STAMP_NAME
    if not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text())["digest"]
    except (ValueError, KeyError):
        return False
    return (recorded == _spec_digest(packages, extra)
            and all((dest / f).is_file() for f in required))


def _npm_pack(specs: list[str], workdir: Path) -> list[Path]:
    npm = shutil.which("npm")
    if npm is None:
        raise Emo3DError("npm not found: install Node.js/npm (Debian package 'npm') to vendor JS")
    proc = subprocess.run(
        [npm, "pack", "--silent", "--json", *specs],
        cwd=workdir, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise Emo3DError(f"npm pack {' '.join(specs)} failed: {proc.stderr.strip()[-800:]}")
    names = [entry["filename"] for entry in json.loads(proc.stdout)]
    # npm names scoped tarballs "scope-name-ver.tgz"; the JSON reports the path it wrote.
    return [workdir / n.replace("@", "").replace("/", "-") for n in names]


def _extract(tarball: Path, package: Package, dest: Path) -> int:
    copied = 0
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            rel = PurePosixPath(member.name).relative_to("package").as_posix()
            if rel.endswith(_SKIP_SUFFIXES) or rel in package.exclude:
                continue
            for src, dst in package.members:
                if rel == src or (src.endswith("/") and rel.startswith(src)):
                    target = dest / (dst + rel[len(src):] if src.endswith("/") else dst)
                    fh = tar.extractfile(member)
                    assert fh is not None
                    atomic.write_bytes(target, fh.read())
                    copied += 1
                    break
    return copied


def _vendor(dest: Path, packages: tuple[Package, ...], required: tuple[str, ...],
            extra: dict[str, bytes]) -> Path:
    """npm pack ``packages`` and copy their members (plus ``extra`` files) into ``dest``."""
    digest_extra = b"".join(extra.values())
    with tempfile.TemporaryDirectory(prefix="emo3d-npm-") as tmp:
        tarballs = _npm_pack([p.spec for p in packages], Path(tmp))
        if len(tarballs) != len(packages):
            raise Emo3DError(f"npm pack gave {len(tarballs)} tarballs for {len(packages)} specs")
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        for package, tarball in zip(packages, tarballs, strict=True):
            if _extract(tarball, package, staging) == 0:
                raise Emo3DError(f"nothing copied from {package.spec} ({tarball.name})")
    for rel, data in extra.items():
        atomic.write_bytes(staging / rel, data)
    atomic.write_json(staging / STAMP_NAME, {"digest": _spec_digest(packages, digest_extra),
                                             "packages": [p.spec for p in packages]})
    for name in PRESERVED:
        if (dest / name).is_dir():
            (dest / name).rename(staging / name)
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    missing = [f for f in required if not (dest / f).is_file()]
    if missing:
        raise Emo3DError(f"vendoring incomplete, missing: {', '.join(missing)}")
    return dest


def vendor(dest: Path = VENDOR_DIR, force: bool = False) -> Path:
    """Make ``dest`` hold every file the book's pages load; returns ``dest``."""
    if not force and is_vendored(dest):
        return dest
    return _vendor(dest, PACKAGES, REQUIRED_FILES, {"widgets/config.js": CONFIG_JS.read_bytes()})


def vendor_tools(dest: Path = TOOLS_DIR) -> Path:
    """Make ``dest`` hold the node tools the tests run (``gltf-validator``); returns ``dest``."""
    if is_vendored(dest, TOOL_PACKAGES, TOOL_FILES, b""):
        return dest
    return _vendor(dest, TOOL_PACKAGES, TOOL_FILES, {})


def main() -> int:
    import time

    start = time.perf_counter()
    was_done = is_vendored()
    path = vendor()
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    state = "already vendored" if was_done else "vendored"
    print(f"vendor_js: {state} {path} ({size / 1e6:.1f} MB, {time.perf_counter() - start:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
