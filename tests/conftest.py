"""Test-wide settings, and the fixtures that run the ``scratchnn`` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import settings

# In CI the property-based tests draw the same examples on every run, so a red build can
# always be reproduced; developers' runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config):
    """Tests send Ctrl-C (SIGINT) to the commands they start. A suite started in the background
    (`make test &`, nohup, some CI runners) inherits an ignored SIGINT, and so would every
    command it starts, which then rightly keeps ignoring Ctrl-C: give this process (and each
    pytest-xdist worker) Python's usual handler, so the commands start with the default."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# --- running the scratchnn command -------------------------------------------------------------

# Figures go to files (Agg); no traceback instead of the one-line error (SCRATCHNN_DEBUG), no
# "ready" lines on stderr (SCRATCHNN_READY, which a start-up test sets on purpose).
CLI_ENV = {name: value for name, value in os.environ.items()
           if name not in ("SCRATCHNN_DEBUG", "SCRATCHNN_READY")} | {"MPLBACKEND": "Agg"}


def run_scratchnn(*args, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m scratchnn args`` in a fresh interpreter, as a shell would run it (about a
    second of imports): its exit code, stdout and stderr (text)."""
    return subprocess.run([sys.executable, "-m", "scratchnn", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=CLI_ENV, timeout=timeout)


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """The environment the command runs in (``CLI_ENV``), for a test that starts it itself."""
    return CLI_ENV


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """``run_cli(*args, cwd=None)``: ``scratchnn args`` in a subprocess (``run_scratchnn``)."""
    return run_scratchnn


@pytest.fixture
def run_cli_inprocess(capsys) -> Callable[..., tuple[int, str, str]]:
    """``run_cli_inprocess(*args) -> (exit code, stdout, stderr)``: ``scratchnn.cli.main`` in
    this process (no interpreter start-up; monkeypatching reaches it). argparse's usage errors
    exit through ``SystemExit``, whose code is returned like the others."""
    from scratchnn import cli

    def run(*args) -> tuple[int, str, str]:
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
