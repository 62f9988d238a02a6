"""Numerical gradient checking: compare backpropagation with centred finite differences.

``f'(x) ~ (f(x + eps) - f(x - eps)) / (2 eps)`` has error O(eps^2); in float64 with
``eps = 1e-6`` a correct backward pass agrees to about 1e-9 relative error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .layers import Dense, Layer
from .losses import Loss
from .model import Sequential


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar ``f()`` with respect to the array ``x``, which ``f`` reads.
    Each entry of ``x`` is nudged in place and restored."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views: writes reach x
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        f_plus = f()
        flat_x[i] = original - eps
        f_minus = f()
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-3) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)``: the relative error of the whole arrays.

    The floor keeps near-zero gradients (a dead ReLU, a saturated softmax) from turning the
    finite differences' rounding noise (~1e-10) into a large "relative" error; a real bug still
    shows, since at a threshold of 1e-6 an absolute error above 1e-9 fails."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))


def check_layer(layer: Layer, x: np.ndarray, *, rng=None, eps: float = 1e-6) -> dict[str, float]:
    """Check a layer's ``backward`` (input and parameter gradients) on input ``x`` (float64).

    Uses the scalar ``sum(forward(x) * G)`` with a fixed random ``G``, whose gradient with
    respect to the output is ``G``. Returns ``{"x": err, "param0": err, ...}``.
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    upstream = rng.standard_normal(layer.forward(x).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x) * upstream))

    layer.forward(x)
    analytic_x = np.array(layer.backward(upstream), copy=True)
    errors = {"x": relative_error(analytic_x, numerical_gradient(f, x, eps))}
    for i, (param, grad) in enumerate(layer.parameters()):
        analytic = grad.copy()
        errors[f"param{i}"] = relative_error(analytic, numerical_gradient(f, param, eps))
    return errors


def check_loss(loss: Loss, logits: np.ndarray, y: np.ndarray, *, eps: float = 1e-6) -> float:
    """Relative error between ``loss.backward()`` and the numerical gradient wrt logits."""
    logits = np.array(logits, dtype=np.float64)
    loss.forward(logits, y)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda: loss.forward(logits, y), logits, eps)
    return relative_error(analytic, numeric)


GOOD, WRONG = 1e-7, 1e-2  # CS231n's bands for the relative error


def verdict(error: float) -> str:
    """``"good"`` below 1e-7, ``"wrong"`` above 1e-2, ``"check"`` between (Stanford CS231n's
    rule of thumb: in between, a kink such as ReLU's at 0 can explain it; a smooth network
    should be good)."""
    if not error <= WRONG:  # also NaN
        return "wrong"
    return "good" if error < GOOD else "check"


@dataclass(frozen=True)
class GradientCheck:
    """One array's result: its ``name`` (``"Dense 1 W"``), relative ``error`` and ``verdict``."""

    name: str
    error: float
    verdict: str


class GradCheckReport(Mapping):
    """What ``check_model`` found: one ``GradientCheck`` per array, in ``checks``.

    ``report.ok`` is True when every verdict is ``"good"``; ``print(report)`` shows a table;
    ``report["Dense 1 W"]`` is that array's relative error (a report reads like a dict from
    names to errors: ``max(report.values())``, ``len(report)``)."""

    def __init__(self, checks: list[GradientCheck], eps: float):
        self.checks, self.eps = checks, eps

    @property
    def ok(self) -> bool:
        return all(check.verdict == "good" for check in self.checks)

    @property
    def worst(self) -> GradientCheck:
        """The check with the largest relative error (NaN counts as largest)."""
        return max(self.checks, key=lambda c: math.inf if math.isnan(c.error) else c.error)

    def __getitem__(self, name: str) -> float:
        for check in self.checks:
            if check.name == name:
                return check.error
        raise KeyError(f"{name!r}; the checked arrays are: {', '.join(self)}")

    def __iter__(self):
        return (check.name for check in self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def __str__(self) -> str:
        width = max(len("array"), *(len(c.name) for c in self.checks))
        lines = [f"{'array':<{width}}  relative error  verdict"]
        lines += [f"{c.name:<{width}}  {c.error:>14.1e}  {c.verdict}" for c in self.checks]
        counts = {v: sum(c.verdict == v for c in self.checks) for v in ("good", "check", "wrong")}
        summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        lines.append(f"{'ok' if self.ok else 'NOT ok'}: {summary} (good < {GOOD:g}, "
                     f"wrong > {WRONG:g}; centred differences, eps {self.eps:g})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        worst = self.worst
        return (f"GradCheckReport(ok={self.ok}, {len(self)} arrays, worst {worst.name!r} "
                f"{worst.error:.1e})")


def _parameter_names(model: Sequential) -> list[str]:
    """``Dense 1 W``, ``Dense 1 b``, ... in ``model.parameters()`` order (other layers with
    parameters: their class name, position and parameter name, ``Conv2D (layer 0) W``)."""
    names, n_dense = [], 0
    for position, layer in enumerate(model.layers):
        pairs = layer.parameters()
        if isinstance(layer, Dense):
            n_dense += 1
            names += [f"Dense {n_dense} W", f"Dense {n_dense} b"][:len(pairs)]
        else:
            named = [name for name, _ in layer.named_parameters()]
            if len(named) != len(pairs):
                named = [f"param{k}" for k in range(len(pairs))]
            names += [f"{type(layer).__name__} (layer {position}) {name}" for name in named]
    return names


def check_model(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, *,
                eps: float = 1e-6) -> GradCheckReport:
    """Check every parameter gradient and the input gradient of a whole model under ``loss``
    against centred finite differences (in float64; use a few samples, it costs two forward
    passes per number). Returns a ``GradCheckReport``: ``"X"`` (the input gradient) then
    ``"Dense 1 W"``, ``"Dense 1 b"``, ... in ``model.parameters()`` order, each with its
    relative error and a verdict; ``report.ok`` if all are good."""
    X = np.array(X, dtype=np.float64)

    def f() -> float:
        return loss.forward(model.forward(X), y)

    f()
    analytic_X = np.array(model.backward(loss.backward(), input_grad=True), copy=True)
    analytic_params = [g.copy() for _, g in model.parameters()]
    errors = {"X": relative_error(analytic_X, numerical_gradient(f, X, eps))}
    for name, (param, _), analytic in zip(_parameter_names(model), model.parameters(),
                                          analytic_params):
        errors[name] = relative_error(analytic, numerical_gradient(f, param, eps))
    return GradCheckReport([GradientCheck(name, e, verdict(e)) for name, e in errors.items()],
                           eps)
