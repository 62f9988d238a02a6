"""Writing files so that nobody ever sees half of one: the one implementation that model files,
figures, animations and the command line's outputs all use.

    atomic_write("model.npz", lambda tmp: write_model(tmp))        # one file

    with StagedOutputs() as outputs:                               # several: all or none
        outputs.write("model.npz", write_model)
        outputs.write("boundary.png", draw_figure)

Each output is first written to a temporary file in its target's folder (so that the final
``os.replace`` is a rename within one file system, atomic on POSIX and Windows), flushed to disk
with ``fsync``, and moved into place only once every output of the group is complete. On an
error, Ctrl-C (``KeyboardInterrupt``) or SIGTERM the temporary files are removed and the targets
keep their old bytes.

SIGTERM normally ends a Python process on the spot, leaving temporary files behind. While outputs
are being written, a SIGTERM that would have done so is turned into a ``Terminated`` exception:
the temporary files are removed, and then the signal is delivered again, so the process still
ends as SIGTERM demands. A program that wants to handle SIGTERM itself (the command line exits
with code 143 and a one-line message) wraps its work in ``sigterm_raises()`` and catches
``Terminated``.

Errors from writing name the file the caller asked for, never the temporary one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

WriteFunction = Callable[[str], object]


class Terminated(BaseException):
    """SIGTERM, raised like ``KeyboardInterrupt`` (not caught by ``except Exception``), so that
    ``finally`` blocks and clean-ups run."""


def _handler_replaceable(signum: int) -> bool:
    """May this code swap the handler of ``signum``? Only in the main thread (Python runs signal
    handlers there alone), not when the signal is ignored (``nohup``), and not when the handler
    was installed outside Python (``getsignal`` gives ``None``: it could not be put back)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    handler = signal.getsignal(signum)
    return handler is not None and handler != signal.SIG_IGN


def _raise_terminated(signum, frame) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated`` (in the main thread; elsewhere, or where
    SIGTERM is ignored, nothing changes). The previous handler is restored afterwards."""
    if not _handler_replaceable(signal.SIGTERM):
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Interrupts:
    """Whether Ctrl-C came while ``sigint_raises`` was in force. Python raises the
    ``KeyboardInterrupt`` wherever the main thread is, and where that is a finaliser (a
    ``__del__``, a weakref callback: matplotlib and Pillow run them while a figure is written)
    Python prints "Exception ignored" and goes on as if nothing happened. The flag remembers
    it, so that no output is committed after it (``StagedOutputs``) and the command can still
    end as interrupted."""

    seen = False


def _raise_interrupt(signum, frame) -> None:
    _Interrupts.seen = True
    raise KeyboardInterrupt


def interrupted() -> bool:
    """True if Ctrl-C came within the current ``sigint_raises`` block (raised or swallowed)."""
    return _Interrupts.seen


@contextlib.contextmanager
def sigint_raises() -> Iterator[None]:
    """Within the block, Ctrl-C raises ``KeyboardInterrupt`` as usual and is remembered
    (``interrupted()``) even where Python swallows the exception, so that no staged output is
    moved into place after it. In the main thread, where SIGINT is not ignored; the previous
    handler is restored afterwards."""
    if not _handler_replaceable(signal.SIGINT):
        yield
        return
    _Interrupts.seen = False
    previous = signal.signal(signal.SIGINT, _raise_interrupt)
    hook = sys.unraisablehook

    def quiet_about_interrupts(unraisable) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):  # remembered: no report
            hook(unraisable)

    sys.unraisablehook = quiet_about_interrupts
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a few lines of bookkeeping (creating a temporary file and
    remembering its name, renaming, removing), then hand them to the handlers in place before.

    Blocking signals with ``pthread_sigmask`` would not do: the kernel may deliver a signal to
    any thread that does not block it (one of NumPy's BLAS threads, say), and Python then runs
    the handler in the main thread all the same. A recording handler sees every signal."""
    received: list[int] = []

    def record(signum, frame) -> None:
        received.append(signum)

    signums = [s for s in (signal.SIGINT, signal.SIGTERM) if _handler_replaceable(s)]
    previous = {signum: signal.signal(signum, record) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)  # now the usual handler acts on it


def create_temporary_file(folder: str | os.PathLike, *, prefix: str = ".tmp-",
                          suffix: str = "") -> tuple[int, str]:
    """A new, empty file with a random name in ``folder``: ``(open descriptor, path)``.

    Unlike ``tempfile.mkstemp`` (mode 0600, owner only) the file gets the usual mode of a new
    file, ``0o666`` minus the process umask, just as ``open(path, "w")`` would give it; the
    kernel applies the umask, so no process-wide ``os.umask`` juggling is needed. Meant for
    write-then-``os.replace``: the rename keeps this mode.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(8)}{suffix}")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")  # pragma: no cover


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make renames in ``folder`` durable (POSIX); harmless to skip where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def naming_target(error: OSError, path: str | os.PathLike, verb: str = "write") -> OSError:
    """The same kind of error (``OSError`` picks the subclass from ``errno``: a
    ``PermissionError`` stays one), its message naming ``path`` rather than a temporary file:
    ``cannot write figure.png: Permission denied``."""
    reason = getattr(error, "reason", None) or error.strerror or str(error)
    folder = os.path.dirname(os.fspath(path)) or "."
    hint = ""
    if error.errno == errno.ENOENT and not os.path.isdir(folder):
        hint = f"; the folder {folder} does not exist, create it first"
    message = f"cannot {verb} {path}: {reason}{hint}"
    named = OSError(message) if error.errno is None else OSError(error.errno, message)
    named.reason = reason  # the bare reason, for a writer nested in another (no "cannot ... X")
    return named


def error_message(error: OSError) -> str:
    """An ``OSError``'s message without Python's ``[Errno 13]`` prefix."""
    return error.strerror if error.errno is not None and error.strerror else str(error)


class StagedOutputs:
    """Several output files, written to temporary files next to their targets and moved into
    place together when the ``with`` block ends without an error; on any error, Ctrl-C or
    SIGTERM every temporary file is removed and every target keeps its old bytes.

    >>> with StagedOutputs() as outputs:                                # doctest: +SKIP
    ...     outputs.write("model.npz", lambda tmp: save(model, tmp))
    ...     outputs.write("history.csv", write_history)

    ``write(path, write_fn, suffix)`` calls ``write_fn(temporary_path)``, which must create the
    file's whole content there (the temporary file exists, empty, and has the usual mode of a
    new file). ``suffix`` ends the temporary file's name (default: the target's own extension),
    for writers that pick a format from the name. ``verb`` words the errors: an ``OSError``
    from any step reads ``cannot {verb} {path}: {reason}``.

    The moves at the end are renames within each target's folder, made with signals held back;
    should one of them fail (the folder's permissions changed meanwhile), the error names that
    file and the outputs before it in the list are already in place.
    """

    def __init__(self, *, verb: str = "write") -> None:
        self.verb = verb
        self.pending: list[tuple[str, str]] = []  # (temporary path, target path)
        self._entered = False
        self._sigterm_before = None  # the SIGTERM handler replaced while writing, if any

    def __enter__(self) -> StagedOutputs:
        self._entered = True
        # The default action of SIGTERM ends the process at once, skipping the clean-up.
        if _handler_replaceable(signal.SIGTERM) and (
                signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
            self._sigterm_before = signal.signal(signal.SIGTERM, _raise_terminated)
        return self

    def __exit__(self, kind, error, traceback) -> None:
        terminated = isinstance(error, Terminated)
        try:
            try:
                if kind is None:
                    self._commit()
            finally:
                self._discard()
        except Terminated:  # a SIGTERM held back during the renames or the clean-up
            terminated = True
            raise
        finally:
            self._entered = False
            if self._sigterm_before is not None:
                signal.signal(signal.SIGTERM, self._sigterm_before)
                self._sigterm_before = None
                if terminated:  # the clean-up is done: now SIGTERM ends the process as usual
                    signal.raise_signal(signal.SIGTERM)

    def write(self, path: str | os.PathLike, write_fn: WriteFunction,
              suffix: str | None = None) -> None:
        """Write one output to a temporary file next to ``path`` (see the class docstring)."""
        if not self._entered:
            raise RuntimeError("use StagedOutputs in a with block: with StagedOutputs() as out:")
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        if suffix is None:
            suffix = os.path.splitext(path)[1]
        prefix = f".{os.path.basename(path)[:80]}."
        try:
            with _signals_deferred():
                fd, tmp = create_temporary_file(folder, prefix=prefix, suffix=suffix)
                self.pending.append((tmp, path))
            os.close(fd)
            write_fn(tmp)
            _fsync_file(tmp)
        except OSError as error:
            raise naming_target(error, path, self.verb) from None

    def _commit(self) -> None:
        with _signals_deferred():
            if _Interrupts.seen:  # a Ctrl-C that Python swallowed while the outputs were made
                raise KeyboardInterrupt
            while self.pending:
                tmp, path = self.pending[0]
                try:
                    os.replace(tmp, path)
                except OSError as error:
                    raise naming_target(error, path, self.verb) from None
                self.pending.pop(0)
                fsync_folder(os.path.dirname(os.path.abspath(path)))

    def _discard(self) -> None:
        with _signals_deferred():
            for tmp, _ in self.pending:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
            self.pending = []


def atomic_write(path: str | os.PathLike, write_fn: WriteFunction, suffix: str | None = None,
                 *, verb: str = "write") -> Path:
    """Write one file atomically: ``write_fn(temporary_path)`` creates the content in a
    temporary file in ``path``'s folder, which is then flushed to disk and renamed over
    ``path``. On any error, Ctrl-C or SIGTERM the temporary file is removed and ``path`` keeps
    its old bytes. Returns ``path`` as a ``Path``.

    An ``OSError`` reads ``cannot {verb} {path}: {reason}`` (e.g. ``cannot write out/fig.png:
    No such file or directory; the folder out does not exist, create it first``)."""
    with StagedOutputs(verb=verb) as outputs:
        outputs.write(path, write_fn, suffix)
    return Path(path)
