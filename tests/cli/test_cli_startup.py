"""The command's start-up: light imports, and Ctrl-C at any moment.

``scratchnn --help`` and ``scratchnn datasets`` must not import scikit-learn, matplotlib or
SciPy (seconds of imports); how long they take is measured in ``benchmarks/startup.py``, never
asserted here. Ctrl-C at any moment (during the imports, the help text, training, writing) ends
the command with exit code 130 and one line on stderr. Signals are sent once the process has
said on stderr that it reached the moment (``SCRATCHNN_READY``, see ``scratchnn.__main__``),
never after a fixed time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("sklearn", "matplotlib", "scipy", "pandas", "starlette", "torch")
INTERRUPTED = "scratchnn: error: interrupted (Ctrl-C); no output was written"
posix_only = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

# Runs the command's entry point in-process, then reports which heavy packages got imported.
MODULES_AFTER = """
import sys
from scratchnn.__main__ import main

try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = [name for name in {heavy!r} if name in sys.modules]
print("heavy:", ",".join(heavy), file=sys.stderr)
"""


def heavy_modules_after(env: dict[str, str], *argv: str) -> list[str]:
    code = textwrap.dedent(MODULES_AFTER.format(heavy=HEAVY))
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                            env=env, timeout=120)
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("heavy:"), result.stderr
    return [name for name in line.removeprefix("heavy:").strip().split(",") if name]


@pytest.mark.parametrize("argv", [["--help"], ["datasets"], ["train", "--help"],
                                  ["--version"], ["train", "--datset", "moons"],
                                  ["exercises", "--help"], ["exercises", "list"]])
def test_help_and_the_dataset_list_import_no_heavy_package(argv, cli_env):
    assert heavy_modules_after(cli_env, *argv) == []


def test_import_scratchnn_loads_nothing_until_a_name_is_used(cli_env):
    code = ("import sys, scratchnn; before = 'numpy' in sys.modules; "
            "from scratchnn import Dense, datasets; "
            "print(before, 'numpy' in sys.modules, 'sklearn' in sys.modules, Dense.__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=cli_env, timeout=120)
    assert result.stdout.split() == ["False", "True", "False", "Dense"], result.stderr


def test_the_lazy_names_are_the_eager_ones():
    import scratchnn
    from scratchnn import datasets, layers

    assert scratchnn.Dense is layers.Dense
    assert set(scratchnn.__all__) <= set(dir(scratchnn))
    assert all(getattr(scratchnn, name) is not None for name in scratchnn.__all__)
    assert scratchnn.datasets is datasets
    assert datasets.FeatureLift.__name__ == "FeatureLift"
    with pytest.raises(AttributeError, match="has no attribute 'Densse'"):
        scratchnn.Densse  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        datasets.nothing  # noqa: B018


def test_dir_shows_the_public_api_alone():
    import scratchnn

    scratchnn.Dense  # noqa: B018 - a name imported on use stays out of the helpers too
    names = dir(scratchnn)
    assert set(scratchnn.__all__) <= set(names)
    assert {"datasets", "plotting", "layers", "__version__"} <= set(names)
    for helper in ("TYPE_CHECKING", "importlib", "annotations", "_EXPORTS", "_MODULE_OF"):
        assert helper not in names
    assert not [name for name in names if name.startswith("_") and name != "__version__"]
    assert names == sorted(names)


def interrupt_at(env: dict[str, str], stage: str, *argv: str, wait: bool = True,
                 signals: int = 1) -> tuple[int, list[str], str]:
    """Run ``python -m scratchnn argv``; once it says ``ready STAGE`` send Ctrl-C (``signals``
    times). ``wait``: the process pauses at that stage until the signal comes; otherwise it
    goes on, and the signal lands wherever it is. Returns the exit code, stderr's other lines
    and stdout."""
    env = {**env, "SCRATCHNN_READY": stage if wait else "1"}
    process = subprocess.Popen([sys.executable, "-m", "scratchnn", *argv], env=env, text=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        lines = []
        while (line := process.stderr.readline()) != f"scratchnn: ready {stage}\n":
            assert line, f"the command never got ready: {''.join(lines)}"
            lines.append(line)
        for _ in range(signals):
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    other = [line for line in [*lines, *err.splitlines()]
             if not line.startswith("scratchnn: ready ")]
    return process.returncode, [line.rstrip("\n") for line in other], out


@posix_only
@pytest.mark.parametrize("stage", ["start", "imported"])
@pytest.mark.parametrize("argv", [["--help"], ["datasets"], ["train", "--dataset", "xor"]])
def test_ctrl_c_while_starting_is_one_line_and_130(stage, argv, cli_env):
    code, errors, out = interrupt_at(cli_env, stage, *argv)
    assert (code, errors, out) == (130, [INTERRUPTED], "")


@posix_only
def test_ctrl_c_twice_is_still_one_line(cli_env):
    code, errors, _ = interrupt_at(cli_env, "start", "--help", signals=2)
    assert (code, errors) == (130, [INTERRUPTED])


@posix_only
@pytest.mark.parametrize("argv", [["--help"], ["datasets"]])
def test_ctrl_c_at_whatever_moment_it_lands_is_one_line(argv, cli_env):
    # Sent as soon as the entry point runs, without waiting: it lands during the imports or
    # the help text; a command that finished first has exited normally.
    for _ in range(3):
        code, errors, _ = interrupt_at(cli_env, "start", *argv, wait=False)
        assert (code, errors) in ((130, [INTERRUPTED]), (0, [])), errors


# A Ctrl-C whose handler runs inside a weak reference's callback (the import system uses them),
# where Python cannot raise: the command given here drops an object with such a callback, which
# sends the signal from inside it.
INTERRUPT_IN_A_CALLBACK = """
import os, signal, sys, weakref
import scratchnn.__main__ as entry
import scratchnn.cli

def in_a_callback(_):
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # the handler runs here, inside the callback
        pass

def command(argv):
    class Thing:
        pass
    thing = Thing()
    ref = weakref.ref(thing, in_a_callback)
    del thing
    for _ in range(1000):
        CALLS_AFTER and (lambda: None)()  # the command's own code goes on
    print("finished", ref() is None)
    return 0

CALLS_AFTER = {calls_after}
scratchnn.cli.main = command
sys.exit(entry.main([]))
"""


@posix_only
@pytest.mark.parametrize("calls_after", [True, False])
def test_ctrl_c_inside_a_callback_is_one_line_not_an_ignored_traceback(calls_after, cli_env):
    done = subprocess.run([sys.executable, "-c", INTERRUPT_IN_A_CALLBACK.format(
        calls_after=calls_after)], env=cli_env, capture_output=True, text=True, timeout=120)
    if calls_after:  # raised at the command's next call: it stops there
        assert (done.returncode, done.stderr.splitlines(), done.stdout) == (130, [INTERRUPTED],
                                                                            "")
    else:  # it came when nothing was left to stop: the command finished, nothing is printed
        assert (done.returncode, done.stderr, done.stdout) == (0, "", "finished True\n")
