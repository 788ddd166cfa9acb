"""The rig-fit study: correction bases, the bounded search, its CLI errors (small budgets)."""

import json

import numpy as np
import pytest

from emo3d_lib.cli import main
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.builtin_head import skin_context
from emo3d_lib.face.shape_fit import (
    ChannelFit,
    corrected_head,
    correction_basis,
    fit_channel,
    fittable,
    preview,
    probe_weights,
    run_study,
    study_settings,
)
from emo3d_lib.schema import BLENDSHAPES


@pytest.fixture(scope="module")
def ctx():
    return skin_context()


def test_right_basis_mirrors_left(ctx):
    left = correction_basis(ctx, "eyeWideLeft")
    right = correction_basis(ctx, "eyeWideRight")
    assert left.shape == right.shape == (9, len(ctx.vertices), 3)
    np.testing.assert_allclose(right[1], ctx.mirrored(left[1]), atol=1e-6)
    # a unit offset moves its own control landmarks by about one unit and pins stay put
    groups_y = left[1]
    assert np.abs(groups_y[386]).max() > 0.5  # upper lid, group 0, y axis
    assert np.abs(groups_y[336]).max() < 1e-6  # brow: pinned


def test_unknown_or_dead_channel_is_named(ctx):
    with pytest.raises(Emo3DError, match="noseSneerLeft"):
        correction_basis(ctx, "noseSneerLeft")
    assert "mouthFrownRight" in fittable() and "cheekPuff" not in fittable()


def test_probe_weights_half_on():
    w = probe_weights("eyeWideLeft", 20, 1)
    k = BLENDSHAPES.index("eyeWideLeft")
    assert (w[:10, k] >= 0.1).all() and (w[10:, k] == 0).all()
    np.testing.assert_array_equal(w, probe_weights("eyeWideLeft", 20, 1))


def test_bounded_fit_is_deterministic_and_respects_bound():
    a = fit_channel("eyeWideRight", bound=0.2, budget=4, samples=8, progress=False)
    b = fit_channel("eyeWideRight", bound=0.2, budget=4, samples=8, progress=False)
    assert a.evals <= 4 and np.abs(a.params).max() <= 0.2 + 1e-9
    np.testing.assert_array_equal(a.params, b.params)
    assert a.r_probe_after >= a.r_probe_before  # the search only keeps improvements
    assert set(a.top_reads) == {"before", "after"}
    img = preview(a, size=64)
    assert img.shape == (128, 192, 3) and img.dtype == np.uint8


def test_corrected_head_adds_only_the_fitted_channel(ctx):
    k = BLENDSHAPES.index("mouthSmileRight")
    params = np.zeros(9)
    params[1] = 0.3  # corner group, y
    fit = ChannelFit("mouthSmileRight", 0.4, True, 0, params, 0.0, 0.0, 0.0, 1)
    plain, fitted = corrected_head([]), corrected_head([fit])
    diff = fitted.parts[0].morph_targets - plain.parts[0].morph_targets
    assert np.abs(diff[k]).max() > 0.2
    assert np.abs(np.delete(diff, k, axis=0)).max() == 0.0


def test_cli_rejects_bad_arguments(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["rig-fit", "eyeWideRight", "--bound", "0"])
    assert "must be > 0" in capsys.readouterr().err
    assert main(["rig-fit", "eyeWideLeft", "cheekPuff", "--budget", "1",
                 "--json", str(tmp_path / "f.json")]) != 0
    assert "no control groups for channel 'cheekPuff'" in capsys.readouterr().err
    assert not (tmp_path / "f.json").exists()


def test_cli_writes_fit(tmp_path, capsys):
    out = tmp_path / "fit.json"
    assert main(["rig-fit", "mouthSmileRight", "--budget", "2", "--samples", "8",
                 "--heldout", "12", "--json", str(out), "--preview", str(tmp_path)]) == 0
    report = json.loads(out.read_text())
    (fit,) = report["fits"]
    assert fit["channel"] == "mouthSmileRight" and fit["bound_cm"] == 0.4
    assert report["heldout"]["before"]["samples"] == 12
    assert (tmp_path / "rig-fit-mouthSmileRight.png").is_file()
    assert "mean r = " in capsys.readouterr().out


def test_study_runs_every_setting_against_one_shipped_check():
    rows, means = run_study(["eyeWideRight"], study_settings(0.2), budget=2, samples=8,
                            heldout=12, size=64)
    assert [r.setting for r in rows] == list(study_settings(0.2))
    assert [r.fit.penalize_leaks for r in rows] == [True, True, False]
    assert rows[0].fit.bound == 0.2 and rows[1].fit.bound is None
    assert len({m[0] for m in means.values()}) == 1  # the shipped rig is checked once
    assert len({r.r_heldout_before for r in rows}) == 1
