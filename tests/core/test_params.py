"""The constraint table (``scratchnn._params``): what each kind of constraint accepts and
refuses, the words it uses, and ``validate`` over a table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchnn._params import (
    BOOLEAN,
    NON_NEGATIVE,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    Integral,
    Interval,
    Real,
    StrOptions,
    check,
    describe,
    validate,
)


@pytest.mark.parametrize(("closed", "inside", "outside"), [
    ("left", [0, 0.5, np.float32(0.99)], [1, -0.1, 1.5]),
    ("right", [1, 0.5, 1e-9], [0, -0.1, 1.5]),
    ("both", [0, 1, 0.5], [-1e-9, 1 + 1e-9]),
    ("neither", [0.5, 1e-9], [0, 1]),
])
def test_interval_ends_belong_to_it_as_closed_says(closed, inside, outside):
    unit = Interval(Real, 0, 1, closed=closed)
    assert all(unit.accepts(v) for v in inside)
    assert not any(unit.accepts(v) for v in outside)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"), True,
                                   np.bool_(False), "0.5", None, [0.5], np.array([0.5])])
def test_real_intervals_refuse_non_numbers_bools_and_non_finite_values(value):
    assert not Interval(Real, None, None, closed="neither").accepts(value)
    assert not NON_NEGATIVE.accepts(value)


def test_integral_intervals_take_python_and_numpy_integers_only():
    assert all(POSITIVE_INT.accepts(v) for v in (1, 7, np.int64(3), np.uint8(2)))
    assert not any(POSITIVE_INT.accepts(v) for v in (0, -2, 1.0, 2.5, True, "3", None))


def test_real_intervals_take_ints_and_numpy_floats():
    assert all(POSITIVE_NUMBER.accepts(v) for v in (1, 0.1, np.float32(0.1), np.int32(2)))
    assert not POSITIVE_NUMBER.accepts(0)


@pytest.mark.parametrize(("constraint", "words"), [
    (POSITIVE_NUMBER, "a positive number"),
    (NON_NEGATIVE, ">= 0"),
    (POSITIVE_INT, "a positive integer"),
    (Interval(Integral, 0, None, closed="left"), "an integer >= 0"),
    (Interval(Integral, 2, 5, closed="both"), "an integer in [2, 5]"),
    (Interval(Integral, None, None, closed="neither"), "an integer"),
    (Interval(Real, 0, 1, closed="left"), "in [0, 1)"),
    (Interval(Real, 0, 1, closed="neither"), "in (0, 1)"),
    (Interval(Real, None, 1, closed="right"), "<= 1"),
    (Interval(Real, 0.5, None, closed="neither"), "> 0.5"),
    (Interval(Real, None, None, closed="neither"), "a finite number"),
    (StrOptions("sgd", "adam"), "one of 'sgd', 'adam'"),
    (StrOptions("auto"), "'auto'"),
    (BOOLEAN, "True or False"),
])
def test_each_constraint_says_what_it_allows(constraint, words):
    assert str(constraint) == words


def test_str_options_take_exactly_the_given_strings():
    solvers = StrOptions("sgd", "adam")
    assert solvers.accepts("sgd") and solvers.accepts(np.str_("adam"))
    assert not any(solvers.accepts(v) for v in ("SGD", "lbfgs", "", None, 1, ["sgd"]))


def test_boolean_takes_python_and_numpy_bools_only():
    assert BOOLEAN.accepts(True) and BOOLEAN.accepts(np.bool_(False))
    assert not any(BOOLEAN.accepts(v) for v in (0, 1, "True", None))


def test_check_returns_the_value_or_names_the_parameter_the_rule_and_the_value():
    assert check("lr", 0.5, [POSITIVE_NUMBER]) == 0.5
    with pytest.raises(ValueError, match=r"^lr must be a positive number, got -0\.5$"):
        check("lr", -0.5, [POSITIVE_NUMBER])
    with pytest.raises(ValueError, match=r"^solver must be one of 'sgd', 'adam', got 'lbfgs'$"):
        check("solver", "lbfgs", [StrOptions("sgd", "adam")])


def test_a_list_of_constraints_allows_any_of_them_and_none_allows_none():
    rules = [StrOptions("auto"), POSITIVE_INT, None]
    assert describe(rules) == "'auto' or a positive integer or None"
    for value in ("auto", 32, None):
        assert check("batch_size", value, rules) is value
    with pytest.raises(ValueError, match="batch_size must be 'auto' or a positive integer or "
                                         "None, got 0"):
        check("batch_size", 0, rules)


def test_validate_checks_the_table_in_order_and_ignores_other_values():
    table = {"epochs": [POSITIVE_INT], "momentum": [Interval(Real, 0, 1, closed="left")]}
    validate(table, {"epochs": 3, "momentum": 0.9, "unchecked": object()})
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        validate(table, {"epochs": 0, "momentum": 2.0})  # the first bad one is reported
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 2.0"):
        validate(table, {"epochs": 3, "momentum": 2.0})


def test_malformed_constraints_are_refused_when_written():
    with pytest.raises(TypeError, match=r"numbers\.Integral or numbers\.Real"):
        Interval(float, 0, 1, closed="left")
    with pytest.raises(ValueError, match="closed must be one of"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(ValueError, match="empty"):
        Interval(Real, 1, 0, closed="both")
    with pytest.raises(TypeError, match="one or more strings"):
        StrOptions()
