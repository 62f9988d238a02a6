"""How a check speaks: inputs shown with their shapes, expected and obtained arrays side by
side, the largest difference and where, and what the difference looks like (a constant factor,
the same row every time). Plain text, for a terminal.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np

from .task import WrongAnswer

RTOL, ATOL = 1e-6, 1e-8  # against the library: a right formula agrees to ~1e-15
NUMERIC_RTOL, NUMERIC_ATOL = 1e-4, 1e-6  # against finite differences (error ~1e-9)
INDENT = "    "


def show(value: Any, precision: int = 4) -> str:
    """A value as a learner would like to read it: arrays rounded, floats short."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return repr(value)
        return np.array2string(value, precision=precision, suppress_small=True,
                               max_line_width=60, threshold=60)
    if isinstance(value, np.random.Generator):
        return "a np.random.Generator (the same seed for your code and for the library)"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{max(precision, 6)}g}"
    return str(value)


def describe_inputs(inputs: dict[str, Any]) -> list[str]:
    """One entry per input: ``x (4, 3) = [[...]`` with continuation lines indented."""
    lines = []
    for name, value in inputs.items():
        label = f"{name} {value.shape}" if isinstance(value, np.ndarray) else name
        text = show(value).splitlines() or [""]
        lines.append(f"{INDENT}{label} = {text[0]}")
        pad = " " * (len(INDENT) + len(label) + 3)
        lines += [pad + line for line in text[1:]]
    return lines


def shapes_of(inputs: dict[str, Any]) -> str:
    """``x (4, 3), W (3, 2), lr 0.1``: the case at a glance."""
    parts = []
    for name, value in inputs.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape}")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{name} {show(value)}")
    return ", ".join(parts)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            ) or (isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf")


def check_kind(name: str, expected: Any, obtained: Any) -> None:
    """``WrongAnswer`` if ``obtained`` is not even the kind of thing ``expected`` is: an array
    of the same shape, one number, or the same text."""
    if obtained is None:
        raise WrongAnswer(f"{name}: got None; return the result (did you forget 'return'?)")
    if isinstance(expected, np.ndarray):
        if isinstance(obtained, (list, tuple)):
            raise WrongAnswer(f"{name} is a Python {type(obtained).__name__}, not a NumPy array; "
                              "compute it with NumPy operations on the arrays (or wrap it in "
                              "np.array(...))")
        if not isinstance(obtained, np.ndarray):
            raise WrongAnswer(f"{name} is {_a(obtained)}, where a NumPy array of shape "
                              f"{expected.shape} is expected")
        if obtained.dtype.kind not in "biuf":
            raise WrongAnswer(f"{name} is an array of {obtained.dtype}, not of numbers")
        if obtained.shape != expected.shape:
            raise WrongAnswer(f"{name} has shape {obtained.shape}, but {expected.shape} is "
                              f"expected{_shape_advice(expected.shape, obtained.shape)}")
    elif _is_number(expected):
        if isinstance(obtained, np.ndarray) and obtained.shape != ():
            raise WrongAnswer(f"{name} is an array of shape {obtained.shape}; return one number "
                              "(the mean over the samples), e.g. float(np.mean(...))")
        if not _is_number(obtained):
            raise WrongAnswer(f"{name} is {_a(obtained)}; return one number")


def _a(value: Any) -> str:
    return f"a {type(value).__name__}"


def _shape_advice(expected: tuple, obtained: tuple) -> str:
    if len(obtained) < len(expected):
        return " (summed over one axis too many? keepdims=True keeps it)"
    if len(obtained) > len(expected):
        return " (an axis too many: sum over the samples, axis=0?)"
    if obtained == expected[::-1]:
        return " (transposed: check which side of the product each array goes)"
    return ""


def agrees(expected: Any, obtained: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    if isinstance(expected, str):
        return expected == obtained
    e, o = np.asarray(expected, dtype=np.float64), np.asarray(obtained, dtype=np.float64)
    return e.shape == o.shape and bool(np.allclose(o, e, rtol=rtol, atol=atol, equal_nan=False))


def difference(name: str, expected: Any, obtained: Any, truth: str = "expected",
               sizes: frozenset[int] = frozenset()) -> list[str]:
    """The side-by-side lines for an output that does not agree (``sizes``: the case's array
    sizes and lengths, to recognise a missing or extra division by n)."""
    if isinstance(expected, str):
        return [f"  {name}: {truth} {expected}, obtained {obtained}"]
    e, o = np.asarray(expected, dtype=np.float64), np.asarray(obtained, dtype=np.float64)
    gap = np.abs(o - e)
    gap = np.where(np.isnan(gap), np.inf, gap)
    precision = _digits(gap, e)
    if e.shape == ():
        return [f"  {name}: {truth} {float(e):.{precision + 2}g}, obtained "
                f"{float(o):.{precision + 2}g} (difference {float(gap):.3g})"]
    lines = [f"  {name} differs:"]
    left = [f"{truth} {e.shape}", *show(e, precision).splitlines()]
    right = [f"obtained {o.shape}", *show(o, precision).splitlines()]
    width = max(map(len, left)) + 4
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append(f"{INDENT}{a:<{width}}{b}".rstrip())
    where = np.unravel_index(int(np.argmax(gap)), e.shape)
    index = ", ".join(map(str, where))
    lines.append(f"  largest difference: {float(gap[where]):.3g} at [{index}] ({truth} "
                 f"{e[where]:.{precision}g}, obtained {o[where]:.{precision}g})")
    lines += _patterns(e, o, sizes)
    return lines


def _factor(ratio: float, sizes: frozenset[int]) -> str:
    """What a constant factor between the answers may be."""
    for k in sorted(sizes, reverse=True):
        if k > 1 and np.isclose(ratio, 1 / k):
            return f"1/{k}, and this case has a size {k}: a division by n too many?"
        if k > 1 and np.isclose(ratio, k):
            return f"{k}, and this case has a size {k}: a division by n missing?"
    if np.isclose(abs(ratio), 2) or np.isclose(abs(ratio), 0.5):
        return "a factor 2 too many or too few (from a square's derivative?)"
    if np.isclose(ratio, -1):
        return "the sign is flipped"
    return "a constant factor too many or too few"


def case_sizes(inputs: dict[str, Any]) -> frozenset[int]:
    """Every length and size of the case's arrays: n, n_in, n_out, n * k, ..."""
    sizes = set()
    for value in inputs.values():
        if isinstance(value, np.ndarray):
            sizes.update(value.shape)
            sizes.add(value.size)
    return frozenset(sizes)


WIDTH = 100


def wrapped(line: str) -> list[str]:
    """A prose line of a message (two spaces in) wrapped at ``WIDTH``, continuing four spaces
    in; array displays (deeper in) are left as they are."""
    if len(line) <= WIDTH or line.startswith(INDENT):
        return [line]
    return textwrap.wrap(line, WIDTH, subsequent_indent=INDENT, break_on_hyphens=False,
                         break_long_words=False)


def _digits(gap: np.ndarray, expected: np.ndarray) -> int:
    """Enough decimals to see the difference (4 at least, 10 at most)."""
    finite = gap[np.isfinite(gap)]
    largest = float(finite.max()) if finite.size else 1.0
    scale = float(np.abs(expected).max()) if expected.size else 1.0
    if largest <= 0 or scale <= 0:
        return 4
    return int(min(10, max(4, math.ceil(-math.log10(largest / max(scale, 1e-300))) + 2)))


def _patterns(e: np.ndarray, o: np.ndarray, sizes: frozenset[int]) -> list[str]:
    """What a teacher notices at a glance: a constant factor, or the same difference in every
    row (a term that depends on the column alone, as a bias does)."""
    found = []
    if not (np.all(np.isfinite(o)) and e.size > 1):
        return found
    nonzero = np.abs(e) > 1e-12
    if nonzero.sum() > 1:
        ratio = o[nonzero] / e[nonzero]
        if np.allclose(ratio, ratio[0], rtol=1e-6) and not np.isclose(ratio[0], 1.0):
            found.append(f"  everywhere obtained = expected x {ratio[0]:.6g}: "
                         f"{_factor(ratio[0], sizes)}")
    diff = o - e
    if e.ndim == 2 and e.shape[0] > 1 and np.allclose(diff, diff[0], rtol=1e-6, atol=1e-9):
        found.append(f"  the difference is the same in every row, {show(diff[0])}: a term "
                     "that depends on the column alone is missing or extra (a bias?)")
    return found
