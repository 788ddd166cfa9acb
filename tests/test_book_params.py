"""Notebook parameters: one path rule and the smoke profile, also under papermill's injection."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from emo3d_lib.book.params import settle
from emo3d_lib.errors import Emo3DError
from emo3d_lib.paths import REPO_ROOT

SMOKE = {"samples": 12, "sizes": [1, 2]}


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["emo3d"] = {"depends_on": [], "smoke": SMOKE}
    params = nbformat.v4.new_code_cell(
        'data_dir = "datasets/book-full"\nruns_dir = "runs/book-full"\nprofile = "full"\n'
        "samples = 4000\nsizes = [10, 20]\nseed = 0\n"
        "from emo3d_lib.book.params import notebook_parameters\n"
        f'notebook_parameters(globals(), "{path.stem}")')
    params.metadata["tags"] = ["parameters"]
    out = nbformat.v4.new_code_cell(
        "import json\nprint(json.dumps(dict(data_dir=data_dir, runs_dir=runs_dir, "
        "samples=samples, sizes=sizes, seed=seed)))")
    nb.cells = [params, out]
    nbformat.write(nb, path)
    return path


def test_paths_resolve_under_the_data_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("EMO3D_DATA", str(tmp_path / "d"))
    ns = {"data_dir": "datasets/x", "runs_dir": str(tmp_path / "abs"), "profile": "full"}
    settle(ns, "no-such-notebook", {})
    assert ns["data_dir"] == str(tmp_path / "d" / "datasets" / "x")
    assert ns["runs_dir"] == str(tmp_path / "abs")


def test_smoke_replaces_only_values_left_at_their_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path / "99_probe.ipynb")
    ns = {"data_dir": "a", "runs_dir": "b", "profile": "smoke", "samples": 4000, "sizes": [3]}
    settle(ns, "99_probe", {"samples": 4000, "sizes": [10, 20]})
    assert ns["samples"] == 12 and ns["sizes"] == [3]  # sizes was given explicitly
    with pytest.raises(Emo3DError, match="profile='tiny'"):
        settle({"profile": "tiny"}, "99_probe", {})


def test_every_notebook_settles_its_parameters() -> None:
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        params = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
        source = "".join(params["source"])
        assert f'notebook_parameters(globals(), "{path.stem}")' in source, path.name
        assert 'data_dir = "datasets/book-full"' in source, path.name
        assert "".join(cells[0]["source"]).startswith("# Colab:"), path.name


@pytest.mark.slow
def test_papermill_injected_profile_applies_smoke(monkeypatch, tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("EMO3D_DATA", str(tmp_path / "data"))
    nb = _notebook(tmp_path / "99_probe.ipynb")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(nb), str(out), parameters={"profile": "smoke", "seed": 7},
                               cwd=str(tmp_path), progress_bar=False, kernel_name="python3",
                               language="python")
    printed = json.loads(nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"])
    assert printed == {"data_dir": str(tmp_path / "data" / "datasets" / "book-smoke"),
                       "runs_dir": str(tmp_path / "data" / "runs" / "book-smoke"),
                       "samples": 12, "sizes": [1, 2], "seed": 7}


def test_colab_button_opens_the_source_notebook() -> None:
    from emo3d_lib.book.launch import _rewrite, source_notebook_url

    base = "https://colab.research.google.com/github/emo3d-book/emo3d-book/blob/main"
    assert (source_notebook_url(f"{base}/book/executed/03_training-lm_mlp.ipynb")
            == f"{base}/notebooks/03_training.ipynb")
    assert (source_notebook_url(f"{base}/book/executed/04_face_inspection.ipynb")
            == f"{base}/notebooks/04_face_inspection.ipynb")
    buttons = [{"type": "group", "buttons": [
        {"text": "Colab", "url": f"{base}/book/executed/05_mse_vs_emo3d.ipynb"}]}]
    _rewrite(buttons)
    assert buttons[0]["buttons"][0]["url"] == f"{base}/notebooks/05_mse_vs_emo3d.ipynb"
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["repository"]["url"] == "https://github.com/emo3d-book/emo3d-book"
    first_cells = {"".join(json.loads(p.read_text())["cells"][0]["source"])
                   for p in (REPO_ROOT / "notebooks").glob("*.ipynb")}
    assert len(first_cells) == 1 and config["repository"]["url"] in first_cells.pop()


def test_book_modules_name_the_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "nbformat", None)  # as if [book] were not installed
    monkeypatch.delitem(sys.modules, "emo3d_lib.book.pipeline", raising=False)
    with pytest.raises(Emo3DError, match=r"\[book\] extra \(nbformat is not installed\)"):
        importlib.import_module("emo3d_lib.book.pipeline")
