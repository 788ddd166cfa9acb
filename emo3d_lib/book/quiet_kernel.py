"""Imported first in every kernel ``emo3d book`` starts (``IPKernelApp.exec_lines``): progress
bars draw in the build's terminal, never in the pages.

``tqdm.auto`` picks the ipywidgets bar inside a kernel, and the widget's state is saved into the
executed notebook (a frozen or empty bar in the built page). Here every ``tqdm`` the library or
a notebook creates is the text bar writing to ``sys.__stderr__``: the kernel process's own
stderr, inherited from ``emo3d book``, which is the terminal because the pipeline starts the
kernel with ``capture_fd_output=False`` (ipykernel otherwise redirects fd 2 into the page).
"""

from __future__ import annotations

import sys
from typing import Any

import tqdm as _tqdm_package
import tqdm.auto
import tqdm.autonotebook
import tqdm.std


class TerminalTqdm(tqdm.std.tqdm):
    """The text progress bar, on the terminal that runs the build."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("file") in (None, sys.stderr, sys.stdout):
            kwargs["file"] = sys.__stderr__
        super().__init__(*args, **kwargs)


def terminal_trange(*args: Any, **kwargs: Any) -> TerminalTqdm:
    return TerminalTqdm(range(*args), **kwargs)


for _module in (tqdm.auto, tqdm.autonotebook, tqdm.std, _tqdm_package):
    _module.tqdm = TerminalTqdm  # type: ignore[misc]
    _module.trange = terminal_trange  # type: ignore[assignment]
