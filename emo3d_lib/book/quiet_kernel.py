"""Run first in every kernel ``emo3d book`` starts (``IPKernelApp.exec_files``): progress bars
draw in the build's terminal, never in the pages.

``tqdm.auto`` picks the ipywidgets bar inside a kernel, and the widget's state is saved into the
executed notebook (a frozen or empty bar in the built page). Here every ``tqdm`` the library or
a notebook creates is the text bar writing to ``sys.__stderr__``: the kernel process's own
stderr, inherited from ``emo3d book``, which is the terminal because the pipeline starts the
kernel with ``capture_fd_output=False`` (ipykernel otherwise redirects fd 2 into the page).

Executed as a file in the kernel's namespace, not imported, so that it neither shows up among
the ``emo3d_lib`` modules a notebook used (the pipeline's module probe) nor leaves names behind.
"""


def _install_terminal_tqdm() -> None:
    import sys

    import tqdm as package
    import tqdm.auto
    import tqdm.autonotebook
    import tqdm.std

    class TerminalTqdm(tqdm.std.tqdm):
        """The text progress bar, on the terminal that runs the build."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            if kwargs.get("file") in (None, sys.stderr, sys.stdout):
                kwargs["file"] = sys.__stderr__
            super().__init__(*args, **kwargs)

    def terminal_trange(*args: int, **kwargs: object) -> TerminalTqdm:
        return TerminalTqdm(range(*args), **kwargs)

    for module in (tqdm.auto, tqdm.autonotebook, tqdm.std, package):
        module.tqdm = TerminalTqdm
        module.trange = terminal_trange


_install_terminal_tqdm()
del _install_terminal_tqdm
