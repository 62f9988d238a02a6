"""The entry point of the ``scratchnn`` command: parse the command line, run the command, and
turn whatever stops it into one line on stderr and an ``ExitStatus``.

SIGTERM unwinds like Ctrl-C (``scratchnn._files.sigterm_raises``), so the staged outputs of an
interrupted run are removed and no file on disk is ever half written.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from .._files import Terminated, interrupted, sigint_raises, sigterm_raises
from ..errors import CommandError, DataError
from .parser import PROG, build_parser
from .status import ExitStatus, exit_status_of


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its ``ExitStatus`` (0 success, 1 data/file error, 2 usage error,
    130 Ctrl-C, 141 a closed pipe, 143 SIGTERM)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so no temporary file is left behind; a Ctrl-C that Python
    # swallowed (in a finaliser, while a figure was written) still ends the run as interrupted.
    with sigterm_raises(), sigint_raises():
        try:
            status = args.run(args)
            if interrupted():
                raise KeyboardInterrupt
            return status
        except (CommandError, DataError) as error:  # the CLI's, the playground's, bad data
            _say(str(error))
            return exit_status_of(error)
        except KeyboardInterrupt:
            _say("interrupted (Ctrl-C); no output was written")
            return ExitStatus.INTERRUPTED
        except Terminated:
            _say("terminated (SIGTERM); no output was written")
            return ExitStatus.TERMINATED
        except BrokenPipeError:  # e.g. 'scratchnn predict ... | head': stop quietly, like cat
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
            return ExitStatus.BROKEN_PIPE
        except MemoryError as error:  # what the estimates before a run did not foresee
            _say(f"out of memory ({error}); use less data, smaller --hidden layers or a smaller "
                 "--batch-size")
            return ExitStatus.ERROR
        except Exception as error:  # a bug: still one line, but say what it was
            if os.environ.get("SCRATCHNN_DEBUG"):
                raise
            message = str(error).splitlines()[0] if str(error) else ""
            _say(f"unexpected {type(error).__name__}: {message} (set SCRATCHNN_DEBUG=1 for the "
                 "traceback)")
            return ExitStatus.ERROR


def _say(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)
