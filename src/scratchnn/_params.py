"""Parameter checks from a table of constraints, in the spirit of scikit-learn's
``_parameter_constraints`` (``sklearn.utils._param_validation``), with NumPy and the standard
library alone, so the core can use it too.

A table maps each parameter's name to the list of constraints it may satisfy (any one will
do)::

    CONSTRAINTS = {
        "lr": [Interval(Real, 0, None, closed="neither")],           # a positive number
        "momentum": [Interval(Real, 0, 1, closed="left")],           # in [0, 1)
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [StrOptions("sgd", "adam")],
        "shuffle": [BOOLEAN],
    }
    validate(CONSTRAINTS, {"lr": lr, "momentum": momentum, ...})

A value that satisfies none of them raises one ``ValueError`` that names the parameter, says
what is allowed and shows what was given: ``momentum must be in [0, 1), got 1.5``.

Numbers are strict: ``True`` is not a number here (a bool passed as a learning rate or a
layer size is a mistake, not a 1), NaN and infinities are refused, NumPy scalars are welcome.
``None`` in a list allows ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["BOOLEAN", "NON_NEGATIVE", "POSITIVE_INT", "POSITIVE_NUMBER", "Boolean", "Integral",
           "Interval", "Real", "StrOptions", "check", "describe", "validate"]

_CLOSED = ("left", "right", "both", "neither")


class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between ``left`` and
    ``right`` (``None``: unbounded on that side); ``closed`` says which ends belong to it:
    ``"left"``, ``"right"``, ``"both"`` or ``"neither"``. Values must be finite."""

    def __init__(self, kind: type, left: float | None, right: float | None, *, closed: str):
        if kind not in (Integral, Real):
            raise TypeError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {_CLOSED}, got {closed!r}")
        if left is not None and right is not None and left > right:
            raise ValueError(f"the interval [{left}, {right}] is empty")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            return False
        if not math.isfinite(value):
            return False
        if self.left is not None:
            closed = self.closed in ("left", "both")
            if value < self.left or (value == self.left and not closed):
                return False
        if self.right is not None:
            closed = self.closed in ("right", "both")
            if value > self.right or (value == self.right and not closed):
                return False
        return True

    def __str__(self) -> str:
        left_closed = self.closed in ("left", "both")
        if self.kind is Integral:
            if self.right is None and self.left == 1 and left_closed:
                return "a positive integer"
            return "an integer" + _range(self.left, self.right, left_closed,
                                         self.closed in ("right", "both"), prefix=" ")
        if self.right is None and self.left == 0 and not left_closed:
            return "a positive number"
        return _range(self.left, self.right, left_closed, self.closed in ("right", "both"),
                      prefix="") or "a finite number"

    def __repr__(self) -> str:
        return (f"Interval({self.kind.__name__}, {self.left}, {self.right}, "
                f"closed={self.closed!r})")


def _range(left, right, left_closed: bool, right_closed: bool, prefix: str) -> str:
    """``">= 0"``, ``"> 0"``, ``"<= 1"``, ``"in [0, 1)"``; ``""`` when unbounded."""
    if left is not None and right is not None:
        opening, closing = "[" if left_closed else "(", "]" if right_closed else ")"
        return f"{prefix}in {opening}{left}, {right}{closing}"
    if left is not None:
        return f"{prefix}{'>=' if left_closed else '>'} {left}"
    if right is not None:
        return f"{prefix}{'<=' if right_closed else '<'} {right}"
    return ""


class StrOptions:
    """One of a few given strings: ``StrOptions("sgd", "adam")``."""

    def __init__(self, *values: str):
        if not values or not all(isinstance(v, str) for v in values):
            raise TypeError(f"StrOptions needs one or more strings, got {values!r}")
        self.values = values

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def __str__(self) -> str:
        shown = ", ".join(map(repr, self.values))
        return shown if len(self.values) == 1 else f"one of {shown}"

    def __repr__(self) -> str:
        return f"StrOptions({', '.join(map(repr, self.values))})"


class Boolean:
    """``True`` or ``False`` (Python's or NumPy's)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __str__(self) -> str:
        return "True or False"

    def __repr__(self) -> str:
        return "BOOLEAN"


BOOLEAN = Boolean()

# The constraints that most parameters need, named once.
POSITIVE_NUMBER = Interval(Real, 0, None, closed="neither")  # "a positive number"
NON_NEGATIVE = Interval(Real, 0, None, closed="left")  # ">= 0"
POSITIVE_INT = Interval(Integral, 1, None, closed="left")  # "a positive integer"


def _accepts(constraint, value: Any) -> bool:
    return value is None if constraint is None else constraint.accepts(value)


def describe(constraints: Iterable) -> str:
    """What a list of constraints allows, in words: ``"'auto' or a positive integer"``."""
    return " or ".join("None" if c is None else str(c) for c in constraints)


def check(name: str, value: Any, constraints: Iterable) -> Any:
    """Return ``value`` if it satisfies one of ``constraints``, else raise a ``ValueError``
    that names the parameter and what it must be."""
    constraints = list(constraints)
    if not any(_accepts(c, value) for c in constraints):
        raise ValueError(f"{name} must be {describe(constraints)}, got {value!r}")
    return value


def validate(table: Mapping[str, Iterable], values: Mapping[str, Any]) -> None:
    """Check every ``values[name]`` against ``table[name]``, in the table's order; the first
    value that fits none of its constraints raises (see ``check``)."""
    for name, constraints in table.items():
        check(name, values[name], constraints)
