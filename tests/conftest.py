"""Shared fixtures, one plugin module per stage (each owned with its stage's tests)."""

pytest_plugins = [
    "tests.fixtures.data",    # small generated datasets (text-only, with images)
    "tests.fixtures.models",  # tiny trained checkpoints
]
