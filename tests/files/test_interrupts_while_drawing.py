"""Ctrl-C while a figure is written ends the run with 130 and writes nothing, at every stage
of matplotlib's writing, including when the ``KeyboardInterrupt`` lands in a finaliser (a
``__del__``, a weakref callback), where Python prints "Exception ignored" and goes on as if
nothing happened. The interrupt is made deterministically: the command runs in a child whose
``savefig`` (or Pillow's ``save`` inside it) calls the SIGINT handler at a chosen stage, either
plainly or from a finaliser; and once with a real SIGINT sent after the child says it is
inside ``savefig``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

DRIVER = """
import signal, sys, time, weakref
import matplotlib.figure
import PIL.Image
from scratchnn import cli

stages, how = sys.argv[1].split(","), sys.argv[2]


class Thing:
    pass


def interrupt():
    handler = signal.getsignal(signal.SIGINT)
    if how == "real":  # say so, then wait for the parent's SIGINT
        print("ready", flush=True)
        time.sleep(600)
    elif how == "swallowed":  # as if the signal came while a finaliser ran
        thing = Thing()
        weakref.finalize(thing, handler, signal.SIGINT, None)
        del thing
    else:
        handler(signal.SIGINT, None)


real_savefig, real_save = matplotlib.figure.Figure.savefig, PIL.Image.Image.save


def savefig(self, *args, **kwargs):
    if "before" in stages:
        interrupt()
    real_savefig(self, *args, **kwargs)
    if "after" in stages:
        interrupt()


def save(self, *args, **kwargs):
    if "write" in stages:
        interrupt()
    return real_save(self, *args, **kwargs)


matplotlib.figure.Figure.savefig, PIL.Image.Image.save = savefig, save
sys.exit(cli.main(sys.argv[3:]))
"""

TRAIN = ["train", "--dataset", "moons", "--n-samples", "60", "--epochs", "2",
         "--plot", "out.png", "--save", "m.npz"]


def child(tmp_path, cli_env, stages: str, how: str) -> subprocess.Popen:
    (tmp_path / "driver.py").write_text(DRIVER)
    return subprocess.Popen([sys.executable, "driver.py", stages, how, *TRAIN], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**cli_env, "MPLBACKEND": "Agg"})


def assert_interrupted(tmp_path, process: subprocess.Popen, out: str, err: str) -> None:
    assert process.returncode == 130, (out, err)
    assert err == "scratchnn: error: interrupted (Ctrl-C); no output was written\n"
    assert sorted(os.listdir(tmp_path)) == ["driver.py"]  # no output, no temporary file


@pytest.mark.parametrize("how", ["raised", "swallowed"])
@pytest.mark.parametrize("stage", ["before", "write", "after"])
def test_ctrl_c_at_any_stage_of_writing_a_figure_ends_with_130(tmp_path, cli_env, stage, how):
    process = child(tmp_path, cli_env, stage, how)
    out, err = process.communicate(timeout=300)
    assert_interrupted(tmp_path, process, out, err)


def test_a_second_ctrl_c_after_a_swallowed_one_still_works(tmp_path, cli_env):
    # the first lands in a finaliser before savefig; the second, plain, while Pillow writes
    (tmp_path / "driver.py").write_text(DRIVER.replace(
        'if "write" in stages:\n        interrupt()',
        'if "write" in stages:\n        signal.raise_signal(signal.SIGINT)'))
    process = subprocess.Popen([sys.executable, "driver.py", "before,write", "swallowed",
                                *TRAIN], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**cli_env, "MPLBACKEND": "Agg"})
    out, err = process.communicate(timeout=300)
    assert_interrupted(tmp_path, process, out, err)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_real_ctrl_c_inside_savefig_ends_with_130(tmp_path, cli_env):
    process = child(tmp_path, cli_env, "write", "real")
    try:
        assert process.stdout.readline().strip().endswith("ready")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert_interrupted(tmp_path, process, out, err)


def test_the_command_puts_back_the_handler_and_the_hook(tmp_path, run_cli_inprocess):
    handler, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    code, _, err = run_cli_inprocess("train", "--dataset", "moons", "--n-samples", "40",
                                     "--epochs", "1", "--save", tmp_path / "m.npz")
    assert code == 0, err
    assert signal.getsignal(signal.SIGINT) is handler and sys.unraisablehook is hook
