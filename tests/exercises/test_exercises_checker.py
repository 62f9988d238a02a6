"""The checker as a teacher: a wrong answer gets the case, its inputs, the expected and obtained
arrays side by side, the largest difference, what the difference looks like and a hint; hostile
code (it raises, prints, loops forever, exits, has a syntax error, returns None, a list or the
wrong shape) gets a clear message and a failed check, never a traceback."""

from __future__ import annotations

import json

import pytest
from _exercisefiles import fill

from scratchnn import exercises


@pytest.fixture
def folder(tmp_path):
    exercises.start(tmp_path / "ex")
    return tmp_path / "ex"


def check(folder, task, time_limit=10.0):
    text, passed = exercises.check(folder, task, time_limit=time_limit)
    assert "Traceback" not in text
    return text, passed


def test_a_right_answer_gets_a_tick(folder):
    fill(folder, "dense_forward", "return x @ W + b\n")
    text, passed = check(folder, "dense_forward")
    assert passed
    assert text == ("✓  1. dense_forward  Forward of a dense layer: 3 cases agree with the "
                    "library")


def test_a_forgotten_bias_is_shown_side_by_side(folder):
    fill(folder, "dense_forward", "return x @ W\n")
    text, passed = check(folder, "dense_forward")
    assert not passed
    lines = text.splitlines()
    assert lines[0] == "✗  1. dense_forward  Forward of a dense layer: case 1 of 3 fails"
    assert lines[1] == "  case 1 of 3: x (4, 3), W (3, 2), b (2,)"
    assert any(line.startswith("    x (4, 3) = [[") for line in lines)
    assert "  y differs:" in lines
    side = lines.index("  y differs:") + 1
    assert lines[side].split() == ["expected", "(4,", "2)", "obtained", "(4,", "2)"]
    assert lines[side + 1].lstrip().startswith("[[") and lines[side + 1].count("[[") == 2
    assert any(line.startswith("  largest difference: ") and " at [" in line for line in lines)
    assert "the difference is the same in every row" in text and "(a bias?)" in text
    assert "hint 1 of 3: Each row of x is a sample" in text


@pytest.mark.parametrize(("task", "body", "expected"), [
    ("mse_grad", "return 2 * (pred - y)\n", "x 4: 4, and this case has a size 4: a division "
                                            "by n missing?"),
    ("softmax_cross_entropy_grad",
     "e = np.exp(z - z.max(axis=1, keepdims=True))\np = e / e.sum(axis=1, keepdims=True)\n"
     "p[np.arange(len(y)), y] -= 1\nreturn p\n", "x 4: 4, and this case has a size 4"),
    ("dense_backward", "return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0) / len(x)\n",
     "db differs"),
    ("mse_grad", "return (pred - y) / pred.size\n", "a factor 2 too many or too few"),
])
def test_a_gradient_off_by_a_factor_is_named(folder, task, body, expected):
    fill(folder, task, body)
    text, passed = check(folder, task)
    assert not passed
    assert expected in text
    assert "expected (" in text and "obtained (" in text


def test_a_loss_off_by_a_bit_shows_both_numbers(folder):
    fill(folder, "mse", "return float(np.sum((pred - y) ** 2))\n")
    text, passed = check(folder, "mse")
    assert not passed
    assert "  loss: expected " in text and ", obtained " in text and "(difference " in text


HOSTILE = [
    ("a raise", "dense_forward", 'raise ValueError("oops")\n',
     ["your code raised ValueError: oops", "at 01_layers.py, line 19: raise ValueError"]),
    ("a bug inside NumPy", "dense_forward", "return x @ W.T + b\n",
     ["your code raised ValueError: matmul", "at 01_layers.py, line 19: return x @ W.T + b"]),
    ("a print", "dense_forward", 'print("shapes", x.shape, W.shape)\nreturn x @ W\n',
     ["your code printed:", "| shapes (4, 3) (3, 2)", "y differs"]),
    ("None", "dense_forward", "y = x @ W + b\n",
     ["y: got None; return the result (did you forget 'return'?)"]),
    ("a list", "dense_forward", "return (x @ W + b).tolist()\n",
     ["y is a Python list, not a NumPy array"]),
    ("the wrong shape", "dense_forward", "return (x @ W + b).sum(axis=1)\n",
     ["y has shape (4,), but (4, 2) is expected (summed over one axis too many?"]),
    ("a transposed result", "dense_forward", "return (x @ W + b).T\n",
     ["y has shape (2, 4), but (4, 2) is expected (transposed"]),
    ("one array for three", "dense_backward", "return x.T @ grad_y\n",
     ["your dense_backward returned a ndarray; return a tuple of 3: (grad_x, dW, db)"]),
    ("an array for a number", "mse", "return (pred - y) ** 2\n",
     ["loss is an array of shape (4, 1); return one number"]),
    ("exit()", "dense_forward", "import sys\nsys.exit(3)\n", ["your code called exit()"]),
    ("an overflow", "sigmoid", "return 1 / (1 + np.exp(-z))\n",
     ["(large inputs: does anything overflow?)", "NumPy stopped your code: overflow",
      "at 01_layers.py, line"]),
    ("an input changed in place", "relu_forward", "x[x < 0] = 0\nreturn x\n",
     ["relu_forward changed its input x in place"]),
]


@pytest.mark.parametrize(("what", "task", "body", "expected"), HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_hostile_code_gets_a_clear_message(folder, what, task, body, expected):
    fill(folder, task, body)
    text, passed = check(folder, task)
    assert not passed
    for part in expected:
        assert part in text, text
    assert "hint" in text


def test_printing_a_lot_keeps_a_little(folder):
    fill(folder, "dense_forward", "for i in range(200_000):\n    print(i)\nreturn x @ W\n")
    text, passed = check(folder, "dense_forward")
    assert not passed
    assert "    | 9\n    | ... (" in text and "more lines)" in text
    assert len(text) < 5000


def test_an_endless_loop_is_stopped(folder):
    fill(folder, "relu_forward", "while True:\n    pass\n")
    text, passed = check(folder, "relu_forward", time_limit=0.5)
    assert not passed
    assert "your code did not finish within 0.5 s (a loop that never ends?)" in text
    assert "at 01_layers.py, line" in text
    fill(folder, "dense_forward", "while True:\n    try:\n        pass\n    except Exception:\n"
                                  "        pass\n")
    text, passed = check(folder, "dense_forward", time_limit=0.5)
    assert "did not finish within 0.5 s" in text  # a bare 'except Exception' cannot stop it


def test_a_renamed_function_is_named(folder):
    path = folder / "01_layers.py"
    path.write_text(path.read_text().replace("def dense_forward(", "def dense_fwd("))
    text, passed = check(folder, "dense_forward")
    assert not passed
    assert "no function dense_forward in 01_layers.py" in text
    assert "must define dense_forward(x, W, b)" in text


def test_a_syntax_error_names_its_line_and_spares_the_other_files(folder):
    fill(folder, "dense_forward", "return x @@ W\n")
    text, passed = check(folder, None)
    assert not passed
    assert "01_layers.py could not be loaded" in text
    assert "01_layers.py has a syntax error on line 19" in text
    assert "return x @@ W" in text
    assert "10. bce_with_logits" in text and "not written yet" in text  # 02_losses.py loads


def test_code_that_raises_when_loaded(folder):
    path = folder / "02_losses.py"
    path.write_text(path.read_text() + "\nraise RuntimeError('at the top')\n")
    text, passed = check(folder, "mse")
    assert not passed
    assert "loading 02_losses.py raised RuntimeError: at the top" in text
    assert "code outside the functions runs when the file is loaded" in text


def test_the_learner_folder_is_left_clean_and_progress_recorded(folder):
    fill(folder, "dense_forward", "return x @ W + b\n")
    check(folder, "dense_forward")
    assert not (folder / "__pycache__").exists()
    progress = json.loads((folder / "progress.json").read_text())
    assert progress["passed"] == {"dense_forward": True}
    fill_wrong = (folder / "01_layers.py").read_text().replace("return x @ W + b", "return x @ W")
    (folder / "01_layers.py").write_text(fill_wrong)
    check(folder, "dense_forward")
    assert json.loads((folder / "progress.json").read_text())["passed"] == {
        "dense_forward": False}


def test_checking_everything_explains_the_first_failure_and_lists_the_rest(folder):
    fill(folder, "dense_forward", "return x @ W + b\n")
    fill(folder, "relu_forward", "return x\n")
    fill(folder, "mse", "return 0.0\n")
    text, passed = check(folder, None)
    assert not passed
    lines = text.splitlines()
    assert lines[0].startswith("✓  1. dense_forward")
    assert lines[1].startswith("·  2. dense_backward") and lines[1].endswith("not written yet")
    assert lines[2].startswith("  open 01_layers.py and write dense_backward")
    relu = next(line for line in lines if " 3. relu_forward" in line)
    mse = next(line for line in lines if "14. mse " in line)
    assert relu.startswith("·") is False and relu.startswith("✗")
    assert mse.startswith("✗") and mse.endswith("case 1 of 3 fails")
    assert "  y differs:" not in text  # only the first task that did not pass is explained
    assert lines[-1] == "1 of 25 tasks pass. Next: dense_backward."


def test_the_hint_in_a_failure_follows_the_hints_asked_for(folder):
    fill(folder, "dense_forward", "return x @ W\n")
    assert "hint 1 of 3:" in check(folder, "dense_forward")[0]
    assert exercises.next_hint(folder, "dense_forward").startswith("hint 1 of 3")
    assert exercises.next_hint(folder, "dense_forward").startswith("hint 2 of 3")
    assert "hint 2 of 3: The bias b" in check(folder, "dense_forward")[0]
    last = exercises.next_hint(folder, "dense_forward")
    assert last.startswith("hint 3 of 3") and "scratchnn.layers.Dense.forward" in last
    assert exercises.next_hint(folder, "dense_forward").startswith("hint 3 of 3")
    assert json.loads((folder / "progress.json").read_text())["hints"] == {"dense_forward": 3}


def test_an_unreadable_progress_file_is_an_empty_progress(folder):
    (folder / "progress.json").write_text("{not json")
    fill(folder, "dense_forward", "return x @ W + b\n")
    _, passed = check(folder, "dense_forward")
    assert passed
    (folder / "progress.json").write_text('{"passed": [1, 2], "hints": {"sigmoid": "x"}}')
    assert "0 of 25 tasks pass" in exercises.task_table(folder)


# --- the autograd chapter --------------------------------------------------------------------

ASSIGNING_ADD = """out = Value(a.data + b.data, (a, b), '+')

def _backward():
    a.grad = out.grad
    b.grad = out.grad

out._backward = _backward
return out
"""

PARENT_FIRST = """order = []

def visit(node):
    order.append(node)
    for child in node._prev:
        visit(child)

visit(root)
return order
"""

NO_SEEN_SET = """order = []

def visit(node):
    for child in node._prev:
        visit(child)
    order.append(node)

visit(root)
return order
"""


@pytest.mark.parametrize(("task", "body", "expected"), [
    ("value_add", ASSIGNING_ADD,
     ["case 4 of 4 (the same Value twice: its grad must collect both contributions)",
      "b = a (the same Value)", "a.grad: expected "]),
    ("value_mul", "return Value(a.data * b.data)\n",
     ["the result's _prev does not hold its operands"]),
    ("value_tanh", "return math.tanh(a.data)\n",
     ["your value_tanh returned a float; build and return a new Value"]),
    ("topological_order", PARENT_FIRST,
     ["e comes before its child d in your order [e, d, ", "The library's order: ["]),
    ("topological_order", NO_SEEN_SET,
     ["case 2 of 3 (a node used twice)", "appears twice in your order"]),
    ("backward", "for node in topological_order(root):\n    node._backward()\n",
     ["graph = d = a * b; e = d + c (the root: e)", "a.grad: expected "]),
])
def test_wrong_autograd_answers_are_explained(folder, task, body, expected):
    if task == "backward":  # (with a right topological order: the root's grad is missing)
        fill(folder, "topological_order", exercises.find_task("topological_order").solution)
    fill(folder, task, body)
    text, passed = check(folder, task)
    assert not passed
    for part in expected:
        assert part in text, text
