"""The ``emo3d`` command line speaks one vocabulary: walk every sub-command's ``--help``."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys

import pytest

from emo3d_lib import __version__
from emo3d_lib.cli import build_parser

# dest -> the one visible spelling every command uses for it
SHARED = {"quiet": "--quiet", "seed": "--seed", "n_boot": "--n-boot", "size": "--size",
          "head": "--head", "head_path": "--head-path", "clip_checkpoint": "--clip-checkpoint",
          "device": "--device", "out": "--out"}
RETIRED = ("--no-progress", "--boot", "--image-size", "--clip", "--clip-ckpt", "--json",
           "--facecap")  # still accepted, never shown


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _help(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        build_parser().parse_args([command, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


COMMANDS = sorted(_commands())


def test_every_command_is_listed_with_a_help_line() -> None:
    top = subprocess.run([sys.executable, "-m", "emo3d_lib.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for name in COMMANDS:
        line = next((ln for ln in top.splitlines() if ln.strip().startswith(name)), "")
        rest = line.strip()[len(name):].strip()
        if not rest:  # argparse wraps long names onto the next line
            lines = top.splitlines()
            rest = lines[lines.index(line) + 1].strip()
        assert rest, f"`emo3d {name}` has no help line"
    version = subprocess.run([sys.executable, "-m", "emo3d_lib.cli", "--version"],
                             capture_output=True, text=True, check=True).stdout
    assert version.strip() == f"emo3d {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_uses_the_shared_vocabulary_and_shows_defaults(command: str) -> None:
    text = _help(command)
    parser = _commands()[command]
    assert parser.description, f"`emo3d {command}` has no description"
    assert "%%" not in text
    assert "--quiet" in text
    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
    for flag in RETIRED:
        assert flag not in shown, f"`emo3d {command} --help` shows the retired {flag}"
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or not action.option_strings:
            continue
        if action.dest in SHARED:
            assert action.option_strings == [SHARED[action.dest]], (command, action.dest)
        has_default = not (action.default is None or action.default is False or action.required
                           or action.default == argparse.SUPPRESS)
        if has_default:
            flag = action.option_strings[0]
            entry = text[text.index(f"  {flag}"):]
            entry = entry[:entry.find("\n  --", 1) if "\n  --" in entry[1:] else len(entry)]
            assert "default" in entry, f"`emo3d {command} {flag}`: default not shown"


def test_old_spellings_still_parse() -> None:
    parser = build_parser()
    args = parser.parse_args(["evaluate", "--data", "d", "--anchor", "random", "--boot", "7",
                              "--clip", "c", "--no-progress"])
    assert (args.n_boot, args.clip_checkpoint, args.quiet) == (7, "c", True)
    args = parser.parse_args(["generate", "--out", "o", "--samples", "3", "--image-size", "64"])
    assert args.size == 64
    args = parser.parse_args(["rig-check", "--json", "r.json", "--facecap", "f.glb"])
    assert (args.out, args.head_path) == ("r.json", "f.glb")
    args = parser.parse_args(["train-fei", "--data", "d", "--out", "o", "--clip-ckpt", "c",
                              "--image-size", "32"])
    assert (args.clip_checkpoint, args.size) == ("c", 32)


def test_render_reads_predict_output_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    from emo3d_lib.face.cli import read_blendshapes_json

    records = [{"text": t, "model": "m", "backbone": "b",
                "blendshapes": {"jawOpen": w, "eyeBlinkLeft": 0.25}}
               for t, w in (("a", 0.5), ("b", 0.75))]
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(records)))
    vec = read_blendshapes_json("-", index=1)
    from emo3d_lib.schema import BLENDSHAPES

    assert vec[BLENDSHAPES.index("jawOpen")] == pytest.approx(0.75)
    assert vec[BLENDSHAPES.index("eyeBlinkLeft")] == pytest.approx(0.25)
    assert vec.sum() == pytest.approx(1.0)
