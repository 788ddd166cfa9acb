"""Vendored browser JS: the files the pages load, copied out of exact npm tarballs, idempotent."""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path

import pytest

from emo3d_lib.book import sphinx_ext, vendor_js
from emo3d_lib.errors import Emo3DError


def make_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_extract_copies_only_the_listed_members(tmp_path: Path) -> None:
    tgz = make_tarball(tmp_path / "pkg.tgz", {
        "dist/embed-amd.js": b"define()", "dist/embed.js": b"x", "dist/a.woff2": b"font",
        "dist/embed-amd.js.map": b"map", "src/index.ts": b"ts", "README.md": b"readme"})
    package = vendor_js.Package("pkg@1.0.0", (("dist/", "widgets/pkg/"),),
                                exclude=("dist/embed.js",))
    dest = tmp_path / "out"
    assert vendor_js._extract(tgz, package, dest) == 2
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == ["widgets/pkg/a.woff2", "widgets/pkg/embed-amd.js"]
    single = vendor_js.Package("r@2", (("require.js", "widgets/require.js"),))
    assert vendor_js._extract(make_tarball(tmp_path / "r.tgz", {"require.js": b"r"}),
                              single, dest) == 1
    assert (dest / "widgets/require.js").read_bytes() == b"r"


def test_every_spec_is_an_exact_version() -> None:
    for package in vendor_js.PACKAGES:
        name, _, version = package.spec.rpartition("@")
        assert name and version.count(".") == 2 and version[0].isdigit(), package.spec


def test_vendor_is_complete_and_fast_when_done() -> None:
    dest = vendor_js.vendor()  # npm pack on the first call (~2 s), then a stamp check
    start = time.perf_counter()
    assert vendor_js.vendor() == dest
    assert time.perf_counter() - start < 1.0
    assert vendor_js.is_vendored(dest)
    for rel in vendor_js.REQUIRED_FILES:
        assert (dest / rel).stat().st_size > 0, rel
    stamp = json.loads((dest / vendor_js.STAMP_NAME).read_text())
    assert stamp["packages"] == [p.spec for p in vendor_js.PACKAGES]
    config = (dest / "widgets" / "config.js").read_text()
    assert '"anywidget": base + "anywidget/index"' in config and "jupyter-threejs" not in config
    assert "__jupyter_widgets_assets_path__" in config
    # the page must never learn a CDN: the JS we serve has no jsdelivr/unpkg default left active
    assert "cdn.jsdelivr" not in config


def test_stale_stamp_is_not_vendored(tmp_path: Path) -> None:
    assert not vendor_js.is_vendored(tmp_path)
    (tmp_path / vendor_js.STAMP_NAME).write_text(json.dumps({"digest": "old"}))
    assert not vendor_js.is_vendored(tmp_path)


def test_sphinx_extension_adds_the_folder_outside_static() -> None:
    class Config:
        html_static_path = ["_static"]

    config = Config()
    sphinx_ext.add_vendored_static(None, config)
    sphinx_ext.add_vendored_static(None, config)  # idempotent
    assert config.html_static_path == ["_static", str(vendor_js.VENDOR_DIR),
                                       str(sphinx_ext.STYLE_DIR)]


@pytest.mark.parametrize("thebe", [False, True])
def test_page_scripts_lose_repeats_and_thebe_when_off(thebe: bool) -> None:
    from types import SimpleNamespace

    from sphinx.builders.html._assets import _JavaScript

    thebe_config = 'const THEBE_JS_URL = "https://unpkg.com/thebe"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=thebe_config),
               _JavaScript("_static/sphinx-thebe.js", **{"async": "async"}),
               _JavaScript(None, body="var sel = 1"), _JavaScript(None, body=thebe_config),
               _JavaScript(None, body="var sel = 1"), _JavaScript("_static/a.js", priority=200)]
    app = SimpleNamespace(config=SimpleNamespace(
        html_theme_options={"launch_buttons": {"thebe": thebe}}))
    context = {"script_files": scripts}
    sphinx_ext.tidy_scripts(app, "page", "page.html", context, None)
    kept = [(s.filename, s.priority, s.attributes.get("body")) for s in context["script_files"]]
    expected = [("_static/a.js", 500, None), (None, 500, "var sel = 1"),
                ("_static/a.js", 200, None)]
    if thebe:
        expected[1:1] = [(None, 500, thebe_config), ("_static/sphinx-thebe.js", 500, None)]
    assert kept == expected


def test_npm_failure_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vendor_js.shutil, "which", lambda _: None)
    with pytest.raises(Emo3DError, match="npm not found"):
        vendor_js._npm_pack(["requirejs@2.3.7"], tmp_path)
