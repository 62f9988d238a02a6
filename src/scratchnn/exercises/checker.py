"""Run a learner's functions on a task's cases and judge them against the library.

The learner's file is loaded from its path with ``importlib`` (never put on ``sys.path`` for
good, no ``__pycache__`` left in their folder). Everything their code does runs under a guard:
what it prints is captured, an exception becomes a message naming their line, NumPy's overflow
and invalid operations raise (so an unstable formula is caught, not silently turned into inf),
and a time limit stops an endless loop (``SIGALRM``, where the platform has it and the check
runs in the main thread; elsewhere without a limit).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import report
from .catalog import Chapter, chapter_of
from .task import Case, Task, WrongAnswer

TIME_LIMIT = 10.0  # seconds for one call of the learner's code: a loop that never ends
PASSED, FAILED, TODO = "passed", "failed", "not written yet"


class TimeLimitExceeded(BaseException):
    """Raised inside the learner's code when its time is up (a ``BaseException``, so that a
    bare ``except Exception`` in their loop does not swallow it)."""


@dataclass
class Result:
    """A task's verdict: ``status`` (``PASSED``, ``FAILED`` or ``TODO``), ``summary`` (one
    line) and ``details`` (the teacher's explanation, for a task that did not pass)."""

    task: Task
    status: str
    summary: str
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


class _Printed(io.StringIO):
    """What the learner's code prints, up to ``limit`` characters (a print in an endless loop
    must not fill the memory); ``dropped`` counts the rest."""

    def __init__(self, limit: int = 20_000):
        super().__init__()
        self.limit, self.dropped = limit, 0

    def write(self, text: str) -> int:
        room = max(self.limit - self.tell(), 0)
        self.dropped += max(len(text) - room, 0)
        super().write(text[:room])
        return len(text)


@dataclass
class Outcome:
    """What one guarded call gave: its value, or the exception it raised, and what it printed."""

    value: Any = None
    error: BaseException | None = None
    printed: str = ""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded(call: Callable[[], Any], time_limit: float | None = TIME_LIMIT) -> Outcome:
    """Run the learner's ``call()``: never raises, except on Ctrl-C."""
    printed = _Printed()
    outcome = Outcome()
    try:
        with contextlib.redirect_stdout(printed), _time_limit(time_limit), \
                np.errstate(over="raise", divide="raise", invalid="raise"):
            outcome.value = call()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # their code may raise anything, even exit()
        outcome.error = error
    outcome.printed = printed.getvalue()
    if printed.dropped:
        outcome.printed += f"\n... and {printed.dropped} more characters"
    return outcome


# --- loading the learner's files -----------------------------------------------------------------


def load(path: Path, time_limit: float | None = TIME_LIMIT) -> tuple[ModuleType | None, Outcome]:
    """The learner's module at ``path``, executed in isolation, and the outcome of running it
    (its error, if it raised, and what it printed)."""
    name = f"scratchnn_exercises_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode

    def execute() -> ModuleType:
        sys.path.insert(0, str(path.parent))  # their other files may be imported
        sys.dont_write_bytecode = True  # no __pycache__ in their folder
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(name, None)
            sys.path[:] = saved_path
            sys.dont_write_bytecode = saved_bytecode
        return module

    outcome = guarded(execute, time_limit)
    return (None if outcome.error else module), outcome


class Folder:
    """The learner's files in one folder, each loaded once (on first use)."""

    def __init__(self, path: Path, time_limit: float | None = TIME_LIMIT):
        self.path = path.resolve()
        self.time_limit = time_limit
        self._loaded: dict[str, tuple[ModuleType | None, Outcome]] = {}

    def module(self, chapter: Chapter) -> tuple[ModuleType | None, Outcome | None]:
        file = self.path / chapter.filename
        if not file.is_file():
            return None, None
        if chapter.filename not in self._loaded:
            self._loaded[chapter.filename] = load(file, self.time_limit)
        return self._loaded[chapter.filename]


# --- judging ---------------------------------------------------------------------------------


def check_task(task: Task, folder: Folder, hint_level: int = 1) -> Result:
    """Run ``task``'s cases on the learner's function; the first case that fails is explained,
    with ``task.hints[hint_level - 1]``."""
    chapter = chapter_of(task)
    module, loading = folder.module(chapter)
    hint = _hint_line(task, hint_level)
    if loading is None:
        return Result(task, FAILED, f"{chapter.filename} is missing",
                      [f"  there is no {chapter.filename} in {folder.path}; 'scratchnn "
                       f"exercises start {folder.path}' writes it again"])
    if module is None:
        return Result(task, FAILED, f"{chapter.filename} could not be loaded",
                      [*_loading_error(chapter, loading, folder.path / chapter.filename),
                       *_printed(loading)])
    fn = getattr(module, task.function, None)
    if not callable(fn):
        return Result(task, FAILED, f"no function {task.function} in {chapter.filename}",
                      [f"  {chapter.filename} must define {task.function}{task.signature} "
                       "(keep the stub's name and arguments)"])
    cases = task.cases()
    for number, case in enumerate(cases, 1):
        problem = _judge_case(task, fn, case, folder, chapter)
        if problem is None:
            continue
        status, summary, lines = problem
        if status == TODO:
            return Result(task, TODO, summary, [*lines, hint])
        heading = f"  case {number} of {len(cases)}"
        heading += f" ({case.note})" if case.note else ""
        return Result(task, FAILED, f"case {number} of {len(cases)} fails",
                      [f"{heading}: {report.shapes_of(case.inputs)}",
                       *report.describe_inputs(case.inputs), *lines, hint])
    checked = "the library and finite differences" if task.numeric else "the library"
    return Result(task, PASSED, f"{len(cases)} cases agree with {checked}")


def _judge_case(task: Task, fn: Callable, case: Case, folder: Folder,
                chapter: Chapter) -> tuple[str, str, list[str]] | None:
    """None when the learner's answer to ``case`` is right, else (status, summary, lines)."""
    expected = task.expected(case)
    inputs = case.fresh_inputs()
    outcome = guarded(lambda: task.run(fn, inputs), folder.time_limit)
    printed = _printed(outcome)
    error = outcome.error
    if isinstance(error, NotImplementedError) and _raised_in(error, folder.path / chapter.filename):
        return TODO, "not written yet", [
            f"  open {chapter.filename} and write {task.function}: it still raises "
            "NotImplementedError", *printed]
    if error is not None and not isinstance(error, WrongAnswer):
        return FAILED, "", [*_call_error(error, folder.path / chapter.filename, folder), *printed]
    try:
        if error is not None:
            raise error  # the harness's verdict on what their function returned
        lines = _compare(task, expected, outcome.value, case)
    except WrongAnswer as wrong:
        lines = [f"  your {task.function} {wrong}" if str(wrong).startswith("returned")
                 else f"  {wrong}"]
    if not lines and not task.modifies_inputs:
        changed = [name for name, value in inputs.items() if isinstance(value, np.ndarray)
                   and not np.array_equal(value, case.inputs[name])]
        if changed:
            lines = [f"  the result is right, but {task.function} changed its input "
                     f"{', '.join(changed)} in place: the caller still needs it; compute a new "
                     "array instead (y = ..., not x[...] = ... or x *= ...)"]
    return (FAILED, "", [*lines, *printed]) if lines else None


def _compare(task: Task, expected: dict, obtained: dict, case: Case) -> list[str]:
    """The lines that explain where ``obtained`` differs from ``expected`` (none: it agrees),
    and then from the finite differences."""
    sizes = report.case_sizes(case.inputs)
    for name, value in expected.items():
        report.check_kind(name, value, obtained.get(name))
        if not report.agrees(value, obtained[name]):
            return report.difference(name, value, obtained[name], sizes=sizes)
    numeric = task.numeric(**case.fresh_inputs()) if task.numeric else None
    for name, value in (numeric or {}).items():
        if not report.agrees(value, obtained[name], report.NUMERIC_RTOL, report.NUMERIC_ATOL):
            return ["  your answer agrees with the library but not with finite differences:",
                    *report.difference(name, value, obtained[name], "numerical", sizes)]
    return []


def _raised_in(error: BaseException, path: Path) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve() == path.resolve()


def _their_line(error: BaseException, path: Path) -> str | None:
    """``01_layers.py, line 12: return x @ W + b``: the last line of theirs the error passed."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return f"{path.name}, line {frame.lineno}: {(frame.line or '').strip()}"
    return None


def _error_text(error: BaseException) -> str:
    message = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _call_error(error: BaseException, path: Path, folder: Folder) -> list[str]:
    if isinstance(error, TimeLimitExceeded):
        return [f"  your code did not finish within {folder.time_limit:g} s (a loop that never "
                "ends?) and was stopped", *_where(error, path)]
    if isinstance(error, SystemExit):
        return ["  your code called exit(); return the result instead", *_where(error, path)]
    if isinstance(error, FloatingPointError):
        return [f"  NumPy stopped your code: {error} (a number too large for float64, the "
                "log of 0, or 0/0); rewrite it so that it cannot happen for any input: no "
                "np.exp of a large positive number, no np.log of a probability that rounds to 0",
                *_where(error, path)]
    return [f"  your code raised {_error_text(error)}", *_where(error, path)]


def _where(error: BaseException, path: Path) -> list[str]:
    line = _their_line(error, path)
    return [f"{report.INDENT}at {line}"] if line else []


def _loading_error(chapter: Chapter, outcome: Outcome, path: Path) -> list[str]:
    error = outcome.error
    if isinstance(error, SyntaxError):
        text = (error.text or "").rstrip()
        return [f"  {chapter.filename} has a syntax error on line {error.lineno}: {error.msg}",
                *([f"{report.INDENT}{text.strip()}"] if text else []),
                "  fix it and check again (every task of this chapter waits for it)"]
    line = _their_line(error, path)
    where = [f"{report.INDENT}at {line}"] if line else []
    if isinstance(error, ImportError):
        return [f"  an import in {chapter.filename} failed: {_error_text(error)}", *where]
    if isinstance(error, TimeLimitExceeded):
        return [f"  loading {chapter.filename} did not finish in time (a loop at the top level "
                "of the file?)", *where]
    return [f"  loading {chapter.filename} raised {_error_text(error)}", *where,
            "  code outside the functions runs when the file is loaded: keep it inside them"]


def _printed(outcome: Outcome) -> list[str]:
    if not outcome.printed:
        return []
    lines = outcome.printed.rstrip("\n").splitlines()
    shown = [f"{report.INDENT}| {line}" for line in lines[:10]]
    more = [f"{report.INDENT}| ... ({len(lines) - 10} more lines)"] if len(lines) > 10 else []
    return ["  your code printed:", *shown, *more]


def _hint_line(task: Task, level: int) -> str:
    level = min(max(level, 1), len(task.hints))
    more = (f" (more: scratchnn exercises hint {task.id})" if level < len(task.hints)
            else "")
    return f"  hint {level} of {len(task.hints)}: {task.hints[level - 1]}{more}"

