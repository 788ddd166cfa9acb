"""Install metadata: loose lower bounds in pyproject.toml, exact tested pins in constraints.txt."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^;\s]+)")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, list[Version]]:
    pins: dict[str, list[Version]] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = PIN.match(line)
            assert match, f"constraints.txt: not an exact pin: {line!r}"
            pins.setdefault(_canon(match[1]), []).append(Version(match[2]))
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return [r for r in reqs if _canon(r.name) != "emo3d-lib"]


def test_every_dependency_is_pinned_within_its_range() -> None:
    pins = _pins()
    for req in _requirements():
        assert _canon(req.name) in pins, f"{req.name} has no pin in constraints.txt"
        for version in pins[_canon(req.name)]:
            assert req.specifier.contains(version, prereleases=True), (
                f"constraints.txt pins {req.name}=={version}, outside pyproject's {req}")


def test_metadata_has_lower_bounds_not_pins() -> None:
    for req in _requirements():
        assert not any(s.operator == "==" for s in req.specifier), f"{req} is pinned exactly"
        assert any(s.operator == ">=" for s in req.specifier), f"{req} has no lower bound"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "seaborn" not in _pins(), "seaborn is not used"


def test_environment_yml_uses_the_constraints() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["--constraint constraints.txt", "-e .[dev]"]
