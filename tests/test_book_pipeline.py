"""The book pipeline: dependency order, runs, smoke overrides, skipping, failures, resolved toc."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from emo3d_lib.book import pipeline
from emo3d_lib.book import toc as book_toc
from emo3d_lib.errors import Emo3DError


def write_notebook(root: Path, stem: str, body: str, meta: dict | None = None,
                   params: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(f'data_dir = ""\nruns_dir = ""\nprofile = ""\n{params}')
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    if meta is not None:
        nb.metadata["emo3d"] = meta
    path = root / "notebooks" / f"{stem}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_plan_orders_by_dependencies_expands_runs_and_applies_smoke(tmp_path: Path) -> None:
    write_notebook(tmp_path, "03_c", "pass", {"depends_on": ["02_b"]})
    write_notebook(tmp_path, "02_b", "pass", {
        "depends_on": ["01_a"], "smoke": {"x": 2},
        "runs": [{"model": "lm-mlp"}, {"model": "vae clip"}]})
    write_notebook(tmp_path, "01_a", "pass", {"smoke": {"x": 5}})
    full = pipeline.plan(tmp_path, "full")
    assert [e.name for e in full] == ["01_a", "02_b-lm_mlp", "02_b-vae_clip", "03_c"]
    assert full[1].parameters["model"] == "lm-mlp" and "x" not in full[1].parameters
    # relative to the data root, which the kernel gets as $EMO3D_DATA: no machine path in pages
    assert full[0].parameters["data_dir"] == "datasets/book-full"
    assert full[0].parameters["runs_dir"] == "runs/book-full"
    assert full[0].data_root == str((tmp_path / "data").resolve())
    smoke = {e.name: e.parameters for e in pipeline.plan(tmp_path, "smoke")}
    assert smoke["01_a"]["x"] == 5 and smoke["02_b-vae_clip"]["x"] == 2
    assert smoke["03_c"]["profile"] == "smoke"
    assert [e.name for e in pipeline.plan(tmp_path, "smoke", only=["03_c"])] == ["03_c"]
    with pytest.raises(Emo3DError, match="--only"):
        pipeline.plan(tmp_path, "smoke", only=["99_nope"])
    with pytest.raises(Emo3DError, match="profile"):
        pipeline.plan(tmp_path, "huge")


def test_bad_metadata_is_named(tmp_path: Path) -> None:
    write_notebook(tmp_path, "01_a", "pass", {"depends_on": ["02_b"]})
    write_notebook(tmp_path, "02_b", "pass", {"depends_on": ["01_a"]})
    with pytest.raises(Emo3DError, match="cycle"):
        pipeline.plan(tmp_path)
    write_notebook(tmp_path, "02_b", "pass", {"dependson": []})
    with pytest.raises(Emo3DError, match="02_b.*unknown keys"):
        pipeline.plan(tmp_path)
    write_notebook(tmp_path, "02_b", "pass", {"runs": {"model": "x"}})
    with pytest.raises(Emo3DError, match="runs must be a list"):
        pipeline.plan(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "notebooks" / "02_b.ipynb")
    with pytest.raises(Emo3DError, match="no cell tagged 'parameters'"):
        pipeline.plan(tmp_path)


def test_missing_dependency_is_a_warning_not_an_error(tmp_path: Path) -> None:
    write_notebook(tmp_path, "04_d", "pass", {"depends_on": ["03_not_written_yet"]})
    with pytest.warns(UserWarning, match="03_not_written_yet"):
        assert [e.name for e in pipeline.plan(tmp_path)] == ["04_d"]


@pytest.mark.slow
def test_execute_skip_rerun_and_failure(tmp_path: Path) -> None:
    write_notebook(tmp_path, "01_up", (
        "from pathlib import Path\n"
        "Path(runs_dir).mkdir(parents=True, exist_ok=True)\n"
        "Path(runs_dir, 'up.txt').write_text(str(x))"), {"smoke": {"x": 3}})
    write_notebook(tmp_path, "02_down", (
        "from pathlib import Path\n"
        "from emo3d_lib.schema import N_BLENDSHAPES\n"
        "value = Path(runs_dir, 'up.txt').read_text()\n"
        "print('upstream said', value)"), {"depends_on": ["01_up"]})
    write_notebook(tmp_path, "03_broken", "raise RuntimeError('deliberate failure')", {})
    write_notebook(tmp_path, "04_after", "pass", {"depends_on": ["03_broken"]})

    first = pipeline.run_notebooks(tmp_path, "smoke")
    assert first.executed == ["01_up", "02_down"]
    assert set(first.failed) == {"03_broken"} and "deliberate failure" in first.failed["03_broken"]
    assert first.blocked == ["04_after"] and not first.ok
    executed = tmp_path / "book" / "executed"
    assert (executed / "03_broken.failed.ipynb").is_file()
    assert not (executed / "03_broken.ipynb").exists()
    out = nbformat.read(executed / "02_down.ipynb", as_version=4)
    assert "upstream said 3" in out.cells[-1].outputs[0]["text"]
    up = nbformat.read(executed / "01_up.ipynb", as_version=4)
    injected = [c for c in up.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "x = 3" in injected[0].source and "profile = \"smoke\"" in injected[0].source
    stamp = json.loads((executed / ".stamps" / "01_up.json").read_text())
    assert stamp["parameters"]["x"] == 3
    down = json.loads((executed / ".stamps" / "02_down.json").read_text())
    assert "emo3d_lib.schema" in down["modules"] and "emo3d_lib.book" not in down["modules"]
    assert down["library"] == pipeline.library_hash(down["modules"])
    assert not any("EMO3D_MODULES" in str(c.get("outputs")) for c in out.cells)  # probe removed

    (tmp_path / "notebooks" / "03_broken.ipynb").unlink()
    (tmp_path / "notebooks" / "04_after.ipynb").unlink()
    second = pipeline.run_notebooks(tmp_path, "smoke")
    assert second.skipped == ["01_up", "02_down"] and not second.executed and second.ok

    # a changed upstream notebook re-executes it and everything downstream
    write_notebook(tmp_path, "01_up", (
        "from pathlib import Path\n"
        "Path(runs_dir).mkdir(parents=True, exist_ok=True)\n"
        "Path(runs_dir, 'up.txt').write_text(str(x * 10))"), {"smoke": {"x": 3}})
    third = pipeline.run_notebooks(tmp_path, "smoke")
    assert third.executed == ["01_up", "02_down"]
    out = nbformat.read(executed / "02_down.ipynb", as_version=4)
    assert "upstream said 30" in out.cells[-1].outputs[0]["text"]


def test_library_hash_follows_the_imported_modules() -> None:
    schema_only = pipeline.library_hash(["emo3d_lib", "emo3d_lib.schema"])
    assert schema_only == pipeline.library_hash(["emo3d_lib.schema", "emo3d_lib"])
    assert schema_only != pipeline.library_hash(["emo3d_lib", "emo3d_lib.errors"])
    files = [p.name for p in pipeline._module_files("emo3d_lib.models")]
    assert "__init__.py" in files and "lm-mlp.json" in files  # package data counts too
    assert pipeline._module_files("emo3d_lib.no_such_module") == []
    # a function-level import counts: the generator's workers load the renderer lazily
    closure = pipeline.import_closure(["emo3d_lib.data.generate"])
    assert {"emo3d_lib.face.render", "emo3d_lib.schema"} <= closure
    assert "emo3d_lib.book.viewer" not in closure


def test_resolve_toc_expands_runs_matches_prefix_and_drops_missing(tmp_path: Path) -> None:
    toc = {
        "format": "jb-book", "root": "book/intro",
        "parts": [
            {"caption": "Chapters", "chapters": [
                {"file": "book/executed/01_dataset_generation"},
                {"file": "book/executed/03_training"},
                {"file": "book/executed/05_mse_vs_emo3d"}]},
            {"caption": "Results", "chapters": [{"file": "book/summary"}]},
            {"caption": "Later", "chapters": [{"file": "book/executed/09_not_yet"}]},
        ],
    }
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    names = ["01_dataset_generation", "03_training-vae_clip", "03_training-lm_mlp",
             "05_metric_study", "07_extra"]
    out = book_toc.resolve_toc(tmp_path, names)
    chapters = [c["file"] for c in out["parts"][0]["chapters"]]
    # the copies of one notebook are sibling pages, in execution order (not alphabetical)
    assert chapters == ["book/executed/01_dataset_generation",
                        "book/executed/03_training-vae_clip",
                        "book/executed/03_training-lm_mlp",
                        "book/executed/05_metric_study", "book/executed/07_extra"]
    assert all("sections" not in c for c in out["parts"][0]["chapters"])
    assert [p["caption"] for p in out["parts"]] == ["Chapters", "Results"]


def test_run_copies_are_titled_by_their_run_under_an_overview(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "book/intro",
         "chapters": [{"file": "book/executed/03_training_overview",
                       "sections": [{"file": "book/executed/03_training"}]}]}))
    out = book_toc.resolve_toc(tmp_path, ["03_training-emo3d_clip", "03_training-lm_mlp",
                                          "03_training_overview"])
    assert out["chapters"] == [{"file": "book/executed/03_training_overview", "sections": [
        {"file": "book/executed/03_training-emo3d_clip"},
        {"file": "book/executed/03_training-lm_mlp"}]}]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Intro.\n# Training one baseline\n\nText.")]
    nb.metadata["emo3d"] = {"runs": [{"model": "emo3d-clip"}, {"model": "lm-mlp"}]}
    nb.metadata["papermill"] = {"parameters": {"data_dir": "d", "model": "lm-mlp"}}
    book_toc.retitle_run(nb)
    book_toc.retitle_run(nb)  # idempotent
    assert nb.cells[0].source == "Intro.\n# Training one baseline: lm-mlp\n\nText."
    nb.metadata["emo3d"] = {"runs": [{"model": "lm-mlp"}]}  # one run: its own title
    assert book_toc.title_by_run(nb) is None


def test_clean_outputs_moves_stderr_to_the_terminal_and_relativises_paths(capfd) -> None:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="W0000 00:00 log line\n"),
        nbformat.v4.new_output("stream", name="stdout", text="wrote /srv/d/runs/t.json\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<td>/srv/d/x</td>",
                                                     "image/png": "/srv/d/"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    pipeline.clean_outputs(nb, "01_a", ["/srv/d/"])
    outs = nb.cells[0].outputs
    assert [o.get("name") for o in outs] == ["stdout", None]
    assert outs[0]["text"] == "wrote runs/t.json\n"
    assert outs[1]["data"] == {"text/html": "<td>x</td>", "image/png": "/srv/d/"}
    assert "[01_a] W0000 00:00 log line" in capfd.readouterr().err


def test_the_kernel_sends_progress_bars_and_fd_output_to_the_terminal(tmp_path: Path,
                                                                      capfd) -> None:
    """Through papermill as the book runs it: a tqdm.auto bar and a C-level write to fd 2 end
    in the terminal, the page keeps only stdout."""
    write_notebook(tmp_path, "01_a", (
        "import os\nfrom tqdm.auto import tqdm\n"
        "for _ in tqdm(range(3), desc='bar-in-terminal'): pass\n"
        "os.write(2, b'W0000 fd-level line\\n')\nprint('result')"), {})
    report = pipeline.run_notebooks(tmp_path, "smoke")
    assert report.ok, report.failed
    nb = nbformat.read(tmp_path / pipeline.EXECUTED / "01_a.ipynb", as_version=4)
    outs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in outs] == [
        ("stream", "stdout", "result\n")]
    err = capfd.readouterr().err
    assert "bar-in-terminal" in err and "W0000 fd-level line" in err
