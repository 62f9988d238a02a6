"""``scratchnn exercises list|start|check|hint``: the exercises of ``scratchnn.exercises``,
from the shell. ``check`` exits with 0 when every task it checked passed, 1 otherwise."""

from __future__ import annotations

from .status import ExitStatus, UsageError


def run(args) -> ExitStatus:
    from .. import exercises

    try:
        if args.action == "list" and args.markdown:
            print(exercises.task_markdown())
        elif args.action == "list":
            print(exercises.task_table(_folder_or_none(args.dir)))
        elif args.action == "start":
            print(exercises.start_folder(args.folder, force=args.force))
        elif args.action == "hint":
            print(exercises.next_hint(args.dir, args.task))
        else:
            text, passed = exercises.check(args.dir, args.task, time_limit=args.time_limit)
            print(text)
            return ExitStatus.OK if passed else ExitStatus.ERROR
    except LookupError as error:  # an unknown task name
        raise UsageError(str(error)) from None
    return ExitStatus.OK


def _folder_or_none(folder):
    """``--dir`` if given, else this folder when it holds exercises, else None (no ticks)."""
    from ..errors import CommandError
    from ..exercises import find_folder

    try:
        return find_folder(folder)
    except CommandError:
        if folder is not None:
            raise
        return None
