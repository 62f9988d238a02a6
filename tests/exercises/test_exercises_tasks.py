"""The tasks themselves: at least 20, in teaching order, each complete; the references are the
library's code and agree with finite differences; each task's solution passes the checker and
each empty stub fails it with a teaching message."""

from __future__ import annotations

import numpy as np
import pytest
from _exercisefiles import fill_with_solutions

from scratchnn import exercises, functional
from scratchnn.exercises import TASKS, find_task
from scratchnn.exercises.checker import PASSED, TODO, Folder, check_task
from scratchnn.exercises.folder import stub_text
from scratchnn.exercises.task import body_of


def test_at_least_twenty_tasks_in_teaching_order():
    ids = [task.id for task in TASKS]
    assert len(ids) >= 20 and len(set(ids)) == len(ids)
    in_order = ["dense_forward", "dense_backward", "relu_forward", "relu_backward", "sigmoid",
                "sigmoid_backward", "tanh_backward", "softmax", "log_softmax", "bce_with_logits",
                "bce_with_logits_grad", "softmax_cross_entropy", "softmax_cross_entropy_grad",
                "mse", "mse_grad", "he_init", "two_layer_backward", "sgd_step",
                "sgd_momentum_step", "adam_step", "value_add", "value_mul", "value_tanh",
                "topological_order", "backward"]
    assert ids == in_order
    assert find_task("1") is TASKS[0] and find_task(str(len(TASKS))) is TASKS[-1]
    with pytest.raises(LookupError, match="did you mean dense_forward"):
        find_task("dense_froward")


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_every_task_says_what_it_teaches_with_shapes_hints_and_cases(task):
    assert task.title and task.teaches and task.source.startswith("scratchnn.")
    assert 2 <= len(task.hints) <= 3
    assert "->" in task.docstring  # the shapes: inputs -> outputs
    assert task.signature.startswith("(") and task.signature.endswith(")")
    cases = task.cases()
    assert len(cases) >= 3
    again = task.cases()  # a fixed seed: the same inputs every time
    for first, second in zip(cases, again):
        assert first.inputs.keys() == second.inputs.keys()
        for name, value in first.inputs.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, second.inputs[name])
    shapes = {tuple(np.shape(v) for v in case.inputs.values() if isinstance(v, np.ndarray))
              for case in cases}
    if any(shapes):
        assert len(shapes) >= 2, "cases of several shapes"


@pytest.mark.parametrize("task", [t for t in TASKS if t.numeric], ids=lambda task: task.id)
def test_the_library_gradients_agree_with_finite_differences(task):
    compared = 0
    for case in task.cases():
        numeric = task.numeric(**case.fresh_inputs())
        if numeric is None:  # huge logits: the library alone
            continue
        expected = task.expected(case)
        for name, value in numeric.items():
            np.testing.assert_allclose(expected[name], value, rtol=1e-5, atol=1e-7)
            compared += 1
    assert compared >= 3


def test_the_solutions_are_the_library_source_where_the_signature_allows():
    assert find_task("sigmoid").solution == body_of(functional.sigmoid)
    assert find_task("softmax").solution == body_of(functional.softmax)
    assert find_task("log_softmax").solution == body_of(functional.log_softmax)
    from scratchnn.autograd import Value, topological_order

    assert find_task("topological_order").solution == body_of(topological_order)
    add = find_task("value_add").solution  # Value.__add__ with self, other -> a, b
    assert add.startswith("out = Value(a.data + b.data, (a, b), ")
    assert "self" not in add and "other" not in add
    assert "self.grad += out.grad" in body_of(Value.__add__) and "a.grad += out.grad" in add
    assert "math.tanh(a.data)" in find_task("value_tanh").solution


def test_the_references_are_the_library_not_stored_numbers(monkeypatch):
    # Change the library and the expected answer changes with it.
    task = find_task("softmax")
    case = task.cases()[0]
    before = task.expected(case)["p"]
    monkeypatch.setattr(functional, "softmax", lambda z: np.zeros_like(z))
    assert not np.any(task.expected(case)["p"]) and np.any(before)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_each_stub_has_its_docstring_shapes_and_a_first_hint(task):
    from scratchnn.exercises.catalog import chapter_of

    text = stub_text(chapter_of(task))
    compile(text, "stub.py", "exec")
    assert f"def {task.function}{task.signature}:" in text
    assert task.docstring.splitlines()[0] in text
    assert f"# A first hint: {task.hints[0][:40]}" in text
    assert f'raise NotImplementedError("{task.function} is not written yet")' in text


@pytest.fixture
def solved(tmp_path):
    exercises.start(tmp_path / "solved")
    folder = tmp_path / "solved"
    fill_with_solutions(folder)
    return Folder(folder)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_every_solution_passes(task, solved):
    result = check_task(task, solved)
    assert result.status == PASSED, "\n".join(result.details)
    assert "agree with the library" in result.summary


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    folder = tmp_path_factory.mktemp("empty")
    exercises.start(folder)
    return Folder(folder)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_an_empty_stub_fails_with_a_teaching_message(task, empty):
    result = check_task(task, empty)
    assert result.status == TODO
    assert result.summary == "not written yet"
    text = "\n".join(result.details)
    assert f"write {task.function}: it still raises NotImplementedError" in text
    assert f"hint 1 of {len(task.hints)}: {task.hints[0]}" in text
    assert "Traceback" not in text
