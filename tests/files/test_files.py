"""scratchnn._files: atomic writes and staged outputs, the one writer behind model files,
figures, animations and the command line's outputs.

What is promised: a target holds either its old bytes or the complete new ones, and no
temporary file is left behind, whether the writer succeeds, raises, or the process gets Ctrl-C
(SIGINT) or SIGTERM. Signals are sent to real processes, each of which says on stdout when it is
in the middle of writing; the test waits for that line, never for a fixed time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from scratchnn import _files
from scratchnn._files import StagedOutputs, Terminated, atomic_write, sigterm_raises

OLD = b"precious old bytes\n"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def write_bytes(data: bytes):
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
    return write


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- in one process: success and errors --------------------------------------------------------


def test_atomic_write_replaces_the_target_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(OLD)
    seen = []

    def write(tmp: str) -> None:
        seen.append(tmp)
        assert os.path.dirname(tmp) == str(tmp_path)  # same folder: the rename is atomic
        assert tmp.endswith(".bin") and os.path.exists(tmp) and not os.path.getsize(tmp)
        assert target.read_bytes() == OLD  # untouched while the new content is written
        write_bytes(b"new")(tmp)

    assert atomic_write(target, write) == target
    assert target.read_bytes() == b"new"
    assert listing(tmp_path) == ["out.bin"] and not os.path.exists(seen[0])


def test_the_suffix_ends_the_temporary_name(tmp_path):
    names = []
    atomic_write(tmp_path / "model", lambda tmp: names.append(tmp) or write_bytes(b"x")(tmp),
                 ".npz")
    assert names[0].endswith(".npz") and os.path.basename(names[0]).startswith(".model.")


@pytest.mark.parametrize("failure", [ValueError("bad format"), KeyboardInterrupt(),
                                     Terminated("terminated (SIGTERM)")])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path, failure):
    target = tmp_path / "out.bin"
    target.write_bytes(OLD)

    def write(tmp: str) -> None:
        write_bytes(b"half")(tmp)
        raise failure

    # (Within sigterm_raises, as in the command line, Terminated propagates to the caller.)
    with pytest.raises(type(failure)), sigterm_raises():
        atomic_write(target, write)
    assert target.read_bytes() == OLD and listing(tmp_path) == ["out.bin"]


def test_a_failed_rename_names_the_target_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(OLD)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError, match=re.escape(f"cannot write {target}: Permission "
                                                        "denied")) as caught:
        atomic_write(target, write_bytes(b"new"))
    monkeypatch.undo()
    assert ".tmp" not in str(caught.value) and str(tmp_path / ".out") not in str(caught.value)
    assert target.read_bytes() == OLD and listing(tmp_path) == ["out.bin"]


def test_a_missing_folder_names_the_target_and_the_folder(tmp_path):
    target = tmp_path / "no" / "such" / "out.png"
    with pytest.raises(FileNotFoundError) as caught:
        atomic_write(target, write_bytes(b"new"), verb="save to")
    assert _files.error_message(caught.value) == (
        f"cannot save to {target}: No such file or directory; the folder {target.parent} does "
        "not exist, create it first")


def test_an_unwritable_folder_names_the_target(tmp_path, monkeypatch):
    def refuse(folder, **kwargs):
        raise PermissionError(13, "Permission denied", os.path.join(folder, ".x.tmp"))

    monkeypatch.setattr(_files, "create_temporary_file", refuse)
    with pytest.raises(PermissionError) as caught:
        atomic_write(tmp_path / "out.bin", write_bytes(b"new"))
    assert _files.error_message(caught.value) == (
        f"cannot write {tmp_path / 'out.bin'}: Permission denied")


@posix_only
def test_new_files_get_the_usual_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.bin", write_bytes(b"a"))
        (tmp_path / "b.bin").write_bytes(b"b")  # what open() gives
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"a.bin": 0o640, "b.bin": 0o640}


def test_staged_outputs_are_committed_together(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(OLD)
    with StagedOutputs() as outputs:
        outputs.write(a, write_bytes(b"A"))
        outputs.write(b, write_bytes(b"B"))
        assert a.read_bytes() == OLD and not b.exists()  # nothing moves before the end
    assert (a.read_bytes(), b.read_bytes()) == (b"A", b"B")
    assert listing(tmp_path) == ["a.txt", "b.txt"]


def test_one_failed_output_discards_them_all(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(OLD)
    def disk_full(tmp: str) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match=re.escape(f"cannot write {b}: disk full")), \
            StagedOutputs() as outputs:
        outputs.write(a, write_bytes(b"A"))
        outputs.write(b, disk_full)
    assert a.read_bytes() == OLD and listing(tmp_path) == ["a.txt"]


def test_an_error_after_the_writes_discards_them_too(tmp_path):
    with pytest.raises(RuntimeError, match="later"), StagedOutputs() as outputs:
        outputs.write(tmp_path / "a.txt", write_bytes(b"A"))
        raise RuntimeError("later")
    assert listing(tmp_path) == []


def test_a_nested_writer_error_reads_as_the_outer_target(tmp_path, monkeypatch):
    """The command line stages a model file written by save(), itself atomic: an error names
    the file the user asked for, once."""
    target = tmp_path / "m.npz"
    real_replace = os.replace

    def refuse_the_inner_rename(src, dst):
        if os.path.basename(dst).startswith(".m.npz."):
            raise PermissionError(13, "Permission denied", src)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_the_inner_rename)
    with pytest.raises(PermissionError) as caught, StagedOutputs() as outputs:
        outputs.write(target, lambda tmp: atomic_write(tmp, write_bytes(b"M"), verb="save to"))
    assert _files.error_message(caught.value) == f"cannot write {target}: Permission denied"
    assert listing(tmp_path) == []


def test_write_outside_a_with_block_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="with StagedOutputs"):
        StagedOutputs().write(tmp_path / "a.txt", write_bytes(b"A"))


def test_signal_handlers_are_put_back(tmp_path):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    atomic_write(tmp_path / "a.txt", write_bytes(b"A"))
    with sigterm_raises():
        assert signal.getsignal(signal.SIGTERM) is not before[0]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# --- real processes, real signals --------------------------------------------------------------

# A writer that writes half of its file, says "ready" and waits for the signal: it arrives while
# the temporary file exists and is half written. The wait is a loop of short sleeps, not one
# blocking call: the kernel may hand the signal to another thread (NumPy's BLAS threads), and
# Python runs its handler only when the main thread next executes Python code.
HALF_WRITER = """
import sys
import time

def half_writer(tmp):
    with open(tmp, "wb") as f:
        f.write(b"half of the new content")
    print("ready", flush=True)
    for _ in range(6000):  # a minute at most; without a signal the test fails, never hangs
        time.sleep(0.01)
    with open(tmp, "ab") as f:
        f.write(b" and the rest")
"""

LIBRARY_CHILD = HALF_WRITER + """
from scratchnn._files import StagedOutputs, atomic_write

mode, first, second = sys.argv[1:]
if mode == "atomic":
    atomic_write(first, half_writer)
else:  # staged: the first output is complete, the second is being written
    with StagedOutputs() as outputs:
        outputs.write(first, lambda tmp: open(tmp, "wb").close())
        outputs.write(second, half_writer)
print("finished")
"""

CLI_CHILD = HALF_WRITER + """
from scratchnn.cli import main, train

mode, *argv = sys.argv[1:]
if mode == "training":  # say "ready" once training runs
    real_fit = train.fit

    def fit(*args, callbacks=(), **kwargs):
        def ready(epoch, history, model):
            if epoch == 2:
                print("ready", flush=True)
        return real_fit(*args, callbacks=[*callbacks, ready], **kwargs)

    train.fit = fit
else:  # "writing": the model file is staged, the history file is half written
    real_write_rows = train.write_rows

    def write_rows(tmp, header, rows):
        real_write_rows(tmp, header, rows)
        half_writer(tmp)

    train.write_rows = write_rows
sys.exit(main(argv))
"""


def signal_when_ready(code: str, args: list[str], signum: int, env: dict[str, str]
                      ) -> tuple[int, str, str]:
    """Start ``python -c code args`` in ``env``, wait for its "ready" line, send ``signum``;
    return the exit code and the rest of stdout and stderr."""
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()  # blocks until the child is mid-write (or dies)
        if line != "ready\n":
            process.kill()
            raise AssertionError(f"the child never got ready: {line!r} {process.stderr.read()}")
        process.send_signal(signum)
        process.wait(timeout=120)
        return process.returncode, process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("mode", ["atomic", "staged"])
def test_a_signal_while_writing_leaves_the_old_files_and_no_temporary(tmp_path, mode, signum,
                                                                      cli_env):
    first, second = tmp_path / "first.bin", tmp_path / "second.bin"
    first.write_bytes(OLD)
    second.write_bytes(OLD)
    code, out, err = signal_when_ready(LIBRARY_CHILD, [mode, first, second], signum, cli_env)
    # The process ends as that signal ends a Python program (SIGINT: KeyboardInterrupt, then
    # death by SIGINT); only after the clean-up, and before "finished".
    assert code == -signum, err
    assert out == ""
    assert first.read_bytes() == OLD and second.read_bytes() == OLD
    assert listing(tmp_path) == ["first.bin", "second.bin"]


@posix_only
@pytest.mark.parametrize(("signum", "exit_code", "message"), [
    (signal.SIGINT, 130, "training interrupted (Ctrl-C) at epoch"),
    (signal.SIGTERM, 143, "terminated (SIGTERM); no output was written"),
])
def test_the_command_line_stopped_while_training_writes_nothing(tmp_path, signum, exit_code,
                                                                 message, cli_env):
    save = tmp_path / "m.npz"
    save.write_bytes(OLD)
    code, out, err = signal_when_ready(CLI_CHILD, [
        "training", "train", "--dataset", "moons", "--n-samples", "80", "--epochs", "10000000",
        "--save", save, "--history", tmp_path / "h.csv"], signum, cli_env)
    assert code == exit_code, err
    assert err.count("\n") == 1 and err.startswith("scratchnn: error: ") and message in err
    assert "no output was written" in err and out == ""
    assert save.read_bytes() == OLD and listing(tmp_path) == ["m.npz"]


@posix_only
@pytest.mark.parametrize(("signum", "exit_code", "message"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C); no output was written"),
    (signal.SIGTERM, 143, "terminated (SIGTERM); no output was written"),
])
def test_the_command_line_stopped_while_writing_writes_nothing(tmp_path, signum, exit_code,
                                                                message, cli_env):
    save, history = tmp_path / "m.npz", tmp_path / "h.csv"
    save.write_bytes(OLD)
    history.write_bytes(OLD)
    code, out, err = signal_when_ready(CLI_CHILD, [
        "writing", "train", "--dataset", "moons", "--n-samples", "80", "--epochs", "5",
        "--save", save, "--history", history], signum, cli_env)
    assert code == exit_code, err
    assert err == f"scratchnn: error: {message}\n" and out == ""
    assert save.read_bytes() == OLD and history.read_bytes() == OLD
    assert listing(tmp_path) == ["h.csv", "m.npz"]


# Each kind of output the command writes, stopped by a signal while its temporary file is
# complete but not yet renamed (just before its fsync): the process says "ready" there and
# waits. A model file is written through two temporary files (the command's staging and
# save's own atomic write); both must go.
CLI_PAUSED_WRITING = """
import sys
import time

from scratchnn import _files
from scratchnn.__main__ import main

suffix, *argv = sys.argv[1:]
real_fsync = _files._fsync_file


def fsync_after_a_pause(tmp):
    if tmp.endswith(suffix):
        print("ready", flush=True)
        for _ in range(6000):  # a minute at most; without a signal the test fails, never hangs
            time.sleep(0.01)
    real_fsync(tmp)


_files._fsync_file = fsync_after_a_pause
sys.exit(main(argv))
"""

TRAIN = ["train", "--dataset", "xor", "--n-samples", "60", "--epochs", "3"]
WRITES = {  # (output kind, command): (suffix, command line, the output file)
    ("model", "train"): (".npz", [*TRAIN, "--save", "{out}"], "out.npz"),
    ("figure", "train"): (".png", [*TRAIN, "--plot", "{out}"], "out.png"),
    ("animation", "train"): (".gif", [*TRAIN, "--animate", "{out}"], "out.gif"),
    ("history", "train"): (".csv", [*TRAIN, "--history", "{out}"], "out.csv"),
    ("predictions", "predict"): (".csv", ["predict", "{model}", "{points}", "-o", "{out}"],
                                 "out.csv"),
    ("figure", "plot"): (".png", ["plot", "{model}", "--dataset", "xor", "-o", "{out}"],
                         "out.png"),
}


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, run_cli):
    folder = tmp_path_factory.mktemp("model")
    done = run_cli(*TRAIN, "--save", folder / "model.npz")
    assert done.returncode == 0, done.stderr
    (folder / "points.csv").write_text("x1,x2\n0.5,0.5\n-0.5,0.5\n")
    return folder


@posix_only
@pytest.mark.parametrize(("signum", "exit_code", "message"), [
    (signal.SIGTERM, 143, "terminated (SIGTERM); no output was written"),
    (signal.SIGINT, 130, "interrupted (Ctrl-C); no output was written"),
])
@pytest.mark.parametrize("output", list(WRITES), ids="-".join)
def test_a_signal_while_writing_each_kind_of_output_leaves_no_temporary_file(
        tmp_path, saved_model, output, signum, exit_code, message, cli_env):
    suffix, argv, name = WRITES[output]
    target = tmp_path / name
    target.write_bytes(OLD)
    paths = {"out": target, "model": saved_model / "model.npz",
             "points": saved_model / "points.csv"}
    code, out, err = signal_when_ready(
        CLI_PAUSED_WRITING, [suffix, *(arg.format(**paths) for arg in argv)], signum,
        cli_env)
    assert code == exit_code, err
    assert err == f"scratchnn: error: {message}\n" and out == ""
    assert target.read_bytes() == OLD and listing(tmp_path) == [name]
    assert listing(saved_model) == ["model.npz", "points.csv"]
