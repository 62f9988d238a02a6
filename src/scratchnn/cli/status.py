"""The ``scratchnn`` command's exit codes, each with its reason, and the errors that carry them.

A command ends with ``ExitStatus.OK``, or with one line on stderr (``scratchnn: error: ...``)
and the exit code that says what kind of problem it was. An error raised by a command carries
its code in ``exit_code``; ``scratchnn.cli.core.main`` turns it into the line and the code.

The standard library alone is imported here: this module is part of every start-up.
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import CommandError


class ExitStatus(IntEnum):
    """The exit codes of ``scratchnn`` (what a shell sees as ``$?``)."""

    OK = 0  # the command did what was asked
    ERROR = 1  # bad data or files, a failed run, a bug: one line says what and how to fix it
    USAGE = 2  # a bad command line (argparse's code): an unknown option, a missing value
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C; no output was written
    BROKEN_PIPE = 141  # 128 + SIGPIPE: stdout's reader went away ('... | head'); stop quietly
    TERMINATED = 143  # 128 + SIGTERM: asked to stop (kill, a job scheduler); nothing written


class CLIError(CommandError):
    """A problem with the user's data or files: reported as one line, ``ExitStatus.ERROR``.

    The command line's name for ``scratchnn.errors.CommandError``: a ``CommandError`` raised
    elsewhere (the playground's server) is reported the same way."""

    exit_code = ExitStatus.ERROR


class UsageError(CLIError):
    """A problem with the command line itself: reported as one line, ``ExitStatus.USAGE``."""

    exit_code = ExitStatus.USAGE


class Interrupted(CLIError):
    """Ctrl-C during training: reported as one line, ``ExitStatus.INTERRUPTED``."""

    exit_code = ExitStatus.INTERRUPTED


def exit_status_of(error: BaseException) -> ExitStatus:
    """The exit code an error carries (``ExitStatus.ERROR`` if it carries none)."""
    return ExitStatus(getattr(error, "exit_code", ExitStatus.ERROR))
