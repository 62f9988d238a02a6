"""What an exercise is: a ``Task`` (the function to write, what it teaches, its hints) and its
``Case``s (inputs drawn from a fixed seed, in several shapes).

A task never stores an expected number. Its ``reference`` is a function with the learner's
signature that calls the library (``Dense.forward``, ``functional.softmax``, ``Adam.step``,
``autograd.Value``, ...), so the expected values come from the code the rest of the library
runs, at check time. ``harness`` runs a function, the learner's or the reference, on a case
and returns its named outputs; ``numeric``, for a gradient, gives the same outputs by finite
differences, a second opinion that does not trust the library's backward either.
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Outputs = dict[str, Any]  # output name -> value (an array, a float, a list of nodes, ...)


class WrongAnswer(Exception):
    """A learner's function returned something of the wrong kind (``None``, a list, a tuple of
    the wrong length, a ``Value`` that lost its children...): ``str(error)`` says what and how
    to fix it."""


@dataclass(frozen=True)
class Case:
    """One check of a task: keyword arguments for the function (copied afresh for each call,
    so nothing the learner's code does to them reaches the reference)."""

    inputs: dict[str, Any]
    note: str = ""  # what this case is about, e.g. "large logits: does it overflow?"

    def fresh_inputs(self) -> dict[str, Any]:
        return {name: copy.deepcopy(value) for name, value in self.inputs.items()}


@dataclass(frozen=True)
class Task:
    """One exercise.

    ``function`` is the name the learner's file defines with ``signature``; ``docstring`` says
    what it computes, with shapes; ``hints`` go from a nudge to nearly the answer.
    ``reference(**inputs)`` computes the answer with the library; ``outputs`` names what the
    function returns (one name: the return value itself; several: a tuple in that order).
    ``solution`` is the body a learner could write (tests fill the stubs with it); ``source``
    says where the library does the same thing, for a learner who wants to read it.

    ``harness(fn, inputs) -> {output name: value}``, when given, runs a function its own way
    (the autograd tasks build a graph of ``Value``s, call ``fn`` on it, then read the grads);
    without it the function is called with the case's inputs as keyword arguments.
    """

    id: str
    title: str
    teaches: str
    chapter: str
    signature: str
    docstring: str
    hints: tuple[str, ...]
    cases: Callable[[], list[Case]]
    reference: Callable[..., Any]
    outputs: tuple[str, ...]
    solution: str
    source: str
    harness: Callable[[Callable, dict[str, Any]], Outputs] | None = None
    numeric: Callable[..., Any] | None = None  # finite-difference outputs, for gradients
    modifies_inputs: bool = False  # an optimizer step may update its arrays in place

    @property
    def function(self) -> str:
        return self.id

    def run(self, fn: Callable, inputs: dict[str, Any]) -> Outputs:
        """``fn``'s answer to a case's ``inputs``, by output name."""
        if self.harness is not None:
            return self.harness(fn, inputs)
        return self.named(fn(**inputs))

    def expected(self, case: Case) -> Outputs:
        """The library's answer to ``case``, by output name."""
        return self.run(self.reference, case.fresh_inputs())

    def named(self, result: Any) -> Outputs:
        """A function's return value as ``{output name: value}``, or ``WrongAnswer``."""
        if len(self.outputs) == 1:
            return {self.outputs[0]: result}
        names = ", ".join(self.outputs)
        if result is None:
            raise WrongAnswer(f"returned None; return the tuple ({names}) (did you forget "
                              "'return'?)")
        if not isinstance(result, (tuple, list)) or len(result) != len(self.outputs):
            what = (f"a {type(result).__name__} of length {len(result)}"
                    if isinstance(result, (tuple, list)) else f"a {type(result).__name__}")
            raise WrongAnswer(f"returned {what}; return a tuple of {len(self.outputs)}: "
                              f"({names})")
        return dict(zip(self.outputs, result))


# --- inputs drawn from a fixed seed --------------------------------------------------------------


def generator(task_id: str, index: int) -> np.random.Generator:
    """The random numbers of one case: the same on every machine and every run."""
    return np.random.default_rng([sum(map(ord, task_id)), len(task_id), index])



def body_of(function: Callable) -> str:
    """The body of a library function, its docstring left out: a solution derived from the
    library's own source (used where the exercise has the function's signature)."""
    source = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(source).body[0]
    statements = definition.body
    if isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):
        statements = statements[1:]  # the docstring
    lines = source.splitlines()[statements[0].lineno - 1:definition.end_lineno]
    return textwrap.dedent("\n".join(lines)) + "\n"
