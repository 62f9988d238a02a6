"""The ``scratchnn`` command's entry point (``python -m scratchnn`` too): ``main`` runs
``scratchnn.cli.main`` so that Ctrl-C at any moment ends the command with exit code 130 and one
line on stderr at most, even while NumPy and the library are still being imported.

This module imports the standard library alone (``import scratchnn`` is light too), so its
handler is in place before anything slow happens. The first Ctrl-C raises
``KeyboardInterrupt`` as usual, which unwinds the command (temporary files are removed) to a
one-line message; later ones are ignored, so that a second Ctrl-C cannot interrupt that clean-up
or add a traceback.

For tests: with ``SCRATCHNN_READY=1`` in the environment the command writes ``scratchnn: ready
start`` on stderr before it imports anything and ``scratchnn: ready imported`` once the library
is loaded; ``SCRATCHNN_READY=start`` (or ``imported``) also makes it wait there, up to a minute,
for a signal. A test sends its signal after reading the line, never after a fixed time.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence

READY_VARIABLE = "SCRATCHNN_READY"
INTERRUPTED = "scratchnn: error: interrupted (Ctrl-C); no output was written"


def _first_interrupt(signum, frame) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up runs, one message is written
    raise KeyboardInterrupt


def _interrupt_again(unraisable) -> None:
    """``sys.unraisablehook`` while the command runs: a Ctrl-C whose handler ran inside a
    callback that cannot raise (a weak reference's, as the import system uses, or a
    ``__del__``) would be printed as "Exception ignored" and lost. It is raised instead at the
    next call of a Python function (a one-shot trace), in the command's own code."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.settrace(_raise_interrupt)
        return
    sys.__unraisablehook__(unraisable)


def _raise_interrupt(frame, event, arg):
    sys.settrace(None)
    raise KeyboardInterrupt


def _ready(stage: str) -> None:
    """Say ``scratchnn: ready STAGE`` on stderr (when asked to); wait there when asked to."""
    wanted = os.environ.get(READY_VARIABLE)
    if not wanted:
        return
    print(f"scratchnn: ready {stage}", file=sys.stderr, flush=True)
    if wanted == stage:
        for _ in range(6000):  # short sleeps: Python runs a signal handler between them
            time.sleep(0.01)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scratchnn`` command; return its exit code (130 after Ctrl-C)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored (nohup &)
        signal.signal(signal.SIGINT, _first_interrupt)
        sys.unraisablehook = _interrupt_again
    try:
        _ready("start")
        from .cli import main as run_command

        _ready("imported")
        return run_command(argv)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    finally:  # done: a Ctrl-C now changes nothing (no traceback while Python shuts down)
        if sys.gettrace() is _raise_interrupt:  # one that came too late to stop anything
            sys.settrace(None)
        if sys.unraisablehook is _interrupt_again:
            sys.unraisablehook = sys.__unraisablehook__
        if signal.getsignal(signal.SIGINT) is _first_interrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
