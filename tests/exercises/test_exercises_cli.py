"""``scratchnn exercises`` from the shell: start a folder, fill the first three stubs, see
three ticks; a wrong answer's side-by-side message and exit code 1; start never overwrites a
learner's work; hints and progress; ``python -m scratchnn.exercises`` is the same command."""

from __future__ import annotations

import json
import subprocess
import sys

from _exercisefiles import fill

from scratchnn.exercises import TASKS

FIRST_THREE = {"dense_forward": "return x @ W + b\n",
               "dense_backward": "return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0)\n",
               "relu_forward": "return np.maximum(x, 0)\n"}


def test_start_fill_three_stubs_and_see_three_ticks(run_cli, tmp_path):
    started = run_cli("exercises", "start", "my-nn", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    folder = tmp_path / "my-nn"
    assert started.stdout.startswith("wrote 6 file(s) to my-nn: 01_layers.py, 02_losses.py")
    assert sorted(p.name for p in folder.iterdir()) == [
        "01_layers.py", "02_losses.py", "03_network.py", "04_optimizers.py", "05_autograd.py",
        "README.txt", "progress.json"]
    for task, body in FIRST_THREE.items():
        fill(folder, task, body)
    checked = run_cli("exercises", "check", cwd=folder)
    lines = checked.stdout.splitlines()
    assert checked.returncode == 1  # 22 tasks still to do
    assert checked.stderr == ""
    assert [line[:20] for line in lines[:4]] == ["✓  1. dense_forward ", "✓  2. dense_backward",
                                                 "✓  3. relu_forward  ", "·  4. relu_backward "]
    assert sum(line.startswith("✓") for line in lines) == 3
    assert lines[-1] == f"3 of {len(TASKS)} tasks pass. Next: relu_backward."
    listed = run_cli("exercises", "list", "--dir", folder, cwd=tmp_path)
    assert listed.returncode == 0
    ticks = [line.split()[2] for line in listed.stdout.splitlines() if line.startswith("  ✓")]
    assert ticks == ["dense_forward", "dense_backward", "relu_forward"]
    one = run_cli("exercises", "check", "relu_forward", "--dir", "my-nn", cwd=tmp_path)
    assert (one.returncode, one.stdout) == (0, "✓  3. relu_forward  ReLU forward: 3 cases agree "
                                               "with the library\n")


def test_a_wrong_answer_reads_side_by_side_and_exits_1(run_cli_inprocess, tmp_path, monkeypatch):
    assert run_cli_inprocess("exercises", "start", tmp_path / "ex")[0] == 0
    fill(tmp_path / "ex", "mse_grad", "return 2 * (pred - y)\n")
    monkeypatch.chdir(tmp_path / "ex")
    code, out, err = run_cli_inprocess("exercises", "check", "mse_grad")
    assert (code, err) == (1, "")
    assert out.startswith("✗ 15. mse_grad  Gradient of the mean squared error: case 1 of 3 "
                          "fails\n")
    assert "    expected (4, 1)" in out and "obtained (4, 1)" in out
    assert "largest difference:" in out and "a division by n missing?" in out


def test_hostile_code_through_the_command_is_exit_1_without_a_traceback(run_cli, tmp_path):
    folder = tmp_path / "ex"
    assert run_cli("exercises", "start", folder).returncode == 0
    fill(folder, "dense_forward", "import os\nprint('hello')\nreturn [1, 2]\n")
    fill(folder, "relu_forward", "while True:\n    pass\n")
    result = run_cli("exercises", "check", "--dir", folder, "--time-limit", "0.5")
    assert result.returncode == 1 and result.stderr == ""
    assert "Traceback" not in result.stdout
    assert "y is a Python list, not a NumPy array" in result.stdout
    assert "| hello" in result.stdout
    loop = run_cli("exercises", "check", "relu_forward", "--dir", folder, "--time-limit", "0.5")
    assert loop.returncode == 1
    assert "did not finish within 0.5 s" in loop.stdout


def test_start_never_overwrites_the_learners_work(run_cli_inprocess, tmp_path):
    folder = tmp_path / "ex"
    assert run_cli_inprocess("exercises", "start", folder)[0] == 0
    code, out, _ = run_cli_inprocess("exercises", "start", folder)
    assert code == 0 and "already holds the exercises, unchanged" in out
    fill(folder, "dense_forward", "return x @ W + b\n")
    mine = (folder / "01_layers.py").read_text()
    code, out, err = run_cli_inprocess("exercises", "start", folder)
    assert code == 1 and out == ""
    assert err.startswith(f"scratchnn: error: 01_layers.py in {folder} already holds other "
                          "content (your work?)")
    assert "--force" in err and err.count("\n") == 1
    assert (folder / "01_layers.py").read_text() == mine
    code, out, _ = run_cli_inprocess("exercises", "start", folder, "--force")
    assert code == 0 and "wrote 1 file(s)" in out
    assert "return x @ W + b" not in (folder / "01_layers.py").read_text()
    (tmp_path / "a-file").write_text("x")
    code, _, err = run_cli_inprocess("exercises", "start", tmp_path / "a-file")
    assert code == 1 and "is a file, not a folder" in err


def test_check_and_hint_need_a_folder_or_say_how_to_make_one(run_cli_inprocess, tmp_path,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli_inprocess("exercises", "check")
    assert (code, out) == (1, "")
    assert err == ("scratchnn: error: no exercise files in this folder; write them with "
                   "'scratchnn exercises start DIR', then run the check inside DIR (or add "
                   "--dir DIR)\n")
    code, out, _ = run_cli_inprocess("exercises", "hint", "softmax")
    assert code == 0 and out.startswith("hint 1 of 3 for softmax: ")
    code, out, _ = run_cli_inprocess("exercises", "list")
    assert code == 0 and "·  1. dense_forward" in out
    assert out.rstrip().endswith(f"{len(TASKS)} tasks. Start with: scratchnn exercises start DIR")


def test_an_unknown_task_is_a_usage_error_with_a_suggestion(run_cli_inprocess, tmp_path):
    run_cli_inprocess("exercises", "start", tmp_path)
    code, _, err = run_cli_inprocess("exercises", "check", "softmaks", "--dir", tmp_path)
    assert code == 2
    assert err.startswith("scratchnn: error: no exercise called 'softmaks'; did you mean softmax?")


def test_hints_step_forward_and_are_kept(run_cli_inprocess, tmp_path):
    run_cli_inprocess("exercises", "start", tmp_path)
    shown = [run_cli_inprocess("exercises", "hint", "adam_step", "--dir", tmp_path)[1]
             for _ in range(4)]
    assert [text.split(" for ")[0] for text in shown] == ["hint 1 of 3", "hint 2 of 3",
                                                         "hint 3 of 3", "hint 3 of 3"]
    assert "the library does it in scratchnn.optimizers.Adam.step" in shown[2]
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["hints"] == {"adam_step": 3}


def test_python_dash_m_scratchnn_exercises_is_the_same_command(cli_env, tmp_path):
    result = subprocess.run([sys.executable, "-m", "scratchnn.exercises", "list", "--markdown"],
                            capture_output=True, text=True, env=cli_env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| # | id | task | what it teaches | checked against |"
    assert len(lines) == 2 + len(TASKS)
    assert "| 21 | `value_add` | A Value's `__add__` and its backward |" in result.stdout
