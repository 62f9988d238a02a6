"""Optimizers and learning-rate schedules, with PyTorch's update rules and argument names.

An optimizer holds ``(param, grad)`` pairs (from ``model.parameters()``) and updates every
``param`` in place on ``step()``, reading the gradients that ``model.backward`` just wrote.
``weight_decay`` adds ``weight_decay * param`` to each gradient first (PyTorch's coupled L2).
"""

from __future__ import annotations

import inspect
import math
from typing import ClassVar

import numpy as np

from ._params import (
    BOOLEAN,
    NON_NEGATIVE,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    Integral,
    Interval,
    Real,
    check,
)
from ._workspace import join_views

Params = list[tuple[np.ndarray, np.ndarray]]

DECAY_RATE = Interval(Real, 0, 1, closed="left")  # momentum, Adam's betas, RMSprop's alpha


def _settings_repr(obj, skip: tuple[str, ...]) -> str:
    """``Name(arg=value, ...)`` from the constructor's arguments, read back from the object:
    arguments whose default is 0/False are shown only when set (``SGD(lr=0.1)``)."""
    shown = []
    for name, parameter in inspect.signature(type(obj).__init__).parameters.items():
        if name in ("self", *skip) or not hasattr(obj, name):
            continue
        value, default = getattr(obj, name), parameter.default
        if default is not inspect.Parameter.empty and not default and value == default:
            continue
        shown.append(f"{name}={value!r}")
    return f"{type(obj).__name__}({', '.join(shown)})"


def _as_groups(params: Params) -> Params:
    """The arrays an optimizer actually updates: the pairs as given, or, when the parameters
    (and the gradients) are consecutive windows of one vector, as ``Sequential`` lays them
    out, that one pair of vectors. The update rules are elementwise, so both give the same
    numbers; the vector takes a couple of NumPy calls per step instead of a couple per array."""
    values = join_views([p for p, _ in params])
    grads = join_views([g for _, g in params])
    if values is None or grads is None or values.size != grads.size:
        return params
    return [(values, grads)]


class Optimizer:
    """Base class: validates the parameter list, the learning rate and weight decay."""

    def __init__(self, params: Params, lr: float, weight_decay: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list")
        for pair in self.params:
            if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0].shape == pair[1].shape):
                raise ValueError("params must be (param, grad) pairs of equal shapes, "
                                 "as returned by model.parameters()")
        self.lr = float(check("lr", lr, [POSITIVE_NUMBER]))
        self.initial_lr = self.lr
        self.weight_decay = float(check("weight_decay", weight_decay, [NON_NEGATIVE]))
        self.t = 0  # number of steps taken
        self.groups = _as_groups(self.params)
        self._scratch = [np.empty_like(p) for p, _ in self.groups]

    def reset(self) -> None:
        """Forget the state (moments, step count) and restore the initial learning rate."""
        self.t = 0
        self.lr = self.initial_lr

    def _gradients(self):
        """Yield ``(index, param, gradient)``, with weight decay folded into the gradient."""
        for i, (param, grad) in enumerate(self.groups):
            if self.weight_decay:
                grad = np.add(grad, self.weight_decay * param, out=self._scratch[i])
            yield i, param, grad

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        """``Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)``: the settings (``lr`` is the
        current learning rate, which a schedule may have changed)."""
        return _settings_repr(self, skip=("params",))

    # --- state, in PyTorch's form ---------------------------------------------------------
    # Each subclass names its per-parameter state as PyTorch does and the attribute that holds
    # it (one array per group, see _as_groups): SGD {"momentum_buffer": "velocity"}.
    _STATE: ClassVar[dict[str, str]] = {}
    _HAS_STEP = False  # PyTorch keeps a "step" count per parameter (Adam, RMSprop)

    def _started(self) -> bool:
        return self.t > 0 and all(getattr(self, attribute) for attribute in self._STATE.values())

    def state_dict(self) -> dict:
        """The optimizer's state as PyTorch lays it out, as new arrays (safe to keep):
        ``{"state": {i: {name: array, ...}}, "param_groups": [{"lr": ..., ..., "params":
        [0, 1, ...]}]}`` where ``i`` indexes ``params`` as given to the constructor and each
        array has that parameter's shape. Before the first ``step`` the state is empty.

        ``SGD``'s state is ``momentum_buffer`` (with momentum), ``Adam``'s ``step``,
        ``exp_avg`` and ``exp_avg_sq``, ``RMSprop``'s ``step`` and ``square_avg``."""
        group = {name: getattr(self, name) for name in self._setting_names()}
        group.update(lr=self.lr, initial_lr=self.initial_lr, params=list(range(len(self.params))))
        state: dict[int, dict] = {}
        if self._started():
            per_name = {name: self._split(getattr(self, attribute))
                        for name, attribute in self._STATE.items()}
            for i in range(len(self.params)):
                state[i] = {"step": self.t} if self._HAS_STEP else {}
                state[i].update({name: arrays[i] for name, arrays in per_name.items()})
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take the settings and the state from ``state_dict`` (as ``state_dict()`` gives),
        copying the arrays in, so that the next ``step`` continues the run it came from. The
        optimizer must be over parameters of the same number and shapes."""
        groups, state = state_dict.get("param_groups"), state_dict.get("state")
        if not (isinstance(groups, list) and len(groups) == 1 and isinstance(state, dict)):
            raise ValueError("load_state_dict expects {'state': {...}, 'param_groups': [one "
                             "group]}, as state_dict() gives")
        group = groups[0]
        if len(group.get("params", ())) != len(self.params):
            raise ValueError(f"the state is for {len(group.get('params', ()))} parameters, this "
                             f"optimizer has {len(self.params)}")
        self._load_state(state)
        for name in self._setting_names():
            if name in group:
                setattr(self, name, type(getattr(self, name))(group[name]))
        self.lr = float(group.get("lr", self.lr))
        self.initial_lr = float(group.get("initial_lr", self.lr))

    def _load_state(self, state: dict) -> None:
        if not state:
            self.reset()
            return
        entries = [state.get(i, state.get(str(i))) for i in range(len(self.params))]
        if any(not isinstance(entry, dict) for entry in entries):
            raise ValueError("the state must have an entry for every parameter, or none")
        for name, attribute in self._STATE.items():
            arrays = []
            for i, ((param, _), entry) in enumerate(zip(self.params, entries)):
                if np.shape(entry.get(name)) != param.shape:
                    raise ValueError(f"state {name!r} of parameter {i} has shape "
                                     f"{np.shape(entry.get(name))}, the parameter {param.shape}")
                arrays.append(np.asarray(entry[name], dtype=param.dtype))
            self._join_into(getattr(self, attribute), arrays)
        self.t = int(entries[0].get("step", 1)) if self._HAS_STEP else 1

    def _setting_names(self) -> list[str]:
        """The constructor's settings besides ``params`` and ``lr`` (momentum, betas, ...)."""
        names = inspect.signature(type(self).__init__).parameters
        return [name for name in names if name not in ("self", "params", "lr")]

    def _split(self, group_arrays: list[np.ndarray]) -> list[np.ndarray]:
        """Per-group state arrays as one new array per parameter, shaped like it."""
        if len(group_arrays) == len(self.params):
            return [a.copy() for a in group_arrays]
        flat, out, start = group_arrays[0], [], 0
        for param, _ in self.params:
            out.append(flat[start:start + param.size].reshape(param.shape).copy())
            start += param.size
        return out

    def _join_into(self, group_arrays: list[np.ndarray], arrays: list[np.ndarray]) -> None:
        """Copy per-parameter ``arrays`` into the per-group state (allocated if empty)."""
        if not group_arrays:  # e.g. SGD built without momentum: no velocity yet
            group_arrays.extend(np.zeros_like(p) for p, _ in self.groups)
        if len(group_arrays) == len(arrays):
            for target, source in zip(group_arrays, arrays):
                np.copyto(target, source)
        else:
            np.concatenate([a.ravel() for a in arrays], out=group_arrays[0])


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Without momentum: ``p -= lr * g``. With momentum ``m`` (PyTorch's rule, no dampening):
    ``v = g`` on the first step, then ``v = m v + g``; the step is ``p -= lr * v``, or with
    Nesterov ``p -= lr * (g + m v)``.
    """

    def __init__(self, params: Params, lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = float(check("momentum", momentum, [DECAY_RATE]))
        check("nesterov", nesterov, [BOOLEAN])
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = [np.zeros_like(p) for p, _ in self.groups] if self.momentum else []

    _STATE: ClassVar[dict[str, str]] = {"momentum_buffer": "velocity"}

    def _started(self) -> bool:
        return self.t > 0 and bool(self.momentum)

    def reset(self) -> None:
        super().reset()
        for v in self.velocity:
            v.fill(0)

    def step(self) -> None:
        self.t += 1
        m, lr = self.momentum, self.lr
        if not m and not self.weight_decay:  # plain SGD: two calls per array, no temporaries
            for (param, grad), scaled in zip(self.groups, self._scratch):
                np.multiply(grad, lr, out=scaled)
                param -= scaled
            return
        for i, param, grad in self._gradients():
            if not m:
                param -= lr * grad
                continue
            v = self.velocity[i]
            if self.t == 1:
                np.copyto(v, grad)
            else:
                v *= m
                v += grad
            if self.nesterov:
                param -= lr * (grad + m * v)
            else:
                param -= lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) as in PyTorch.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2`` (both start at 0), then with the
    bias corrections ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``:
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)``.
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (float(check("betas[0]", betas[0], [DECAY_RATE])),
                      float(check("betas[1]", betas[1], [DECAY_RATE])))
        self.eps = float(check("eps", eps, [POSITIVE_NUMBER]))
        self.m = [np.zeros_like(p) for p, _ in self.groups]
        self.v = [np.zeros_like(p) for p, _ in self.groups]
        self._denominator = [np.empty_like(p) for p, _ in self.groups]

    _STATE: ClassVar[dict[str, str]] = {"exp_avg": "m", "exp_avg_sq": "v"}
    _HAS_STEP = True

    def reset(self) -> None:
        super().reset()
        for a in (*self.m, *self.v):
            a.fill(0)

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1**self.t)
        sqrt_correction2 = math.sqrt(1 - b2**self.t)
        for i, param, grad in self._gradients():
            m, v, denom = self.m[i], self.v[i], self._denominator[i]
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            np.sqrt(v, out=denom)  # sqrt(v_hat) + eps = sqrt(v) / sqrt(1 - b2^t) + eps
            denom /= sqrt_correction2
            denom += self.eps
            param -= step_size * m / denom


class RMSprop(Optimizer):
    """RMSprop as in PyTorch: ``v = alpha v + (1 - alpha) g^2``; ``p -= lr g / (sqrt(v) + eps)``."""

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.alpha = float(check("alpha", alpha, [DECAY_RATE]))
        self.eps = float(check("eps", eps, [POSITIVE_NUMBER]))
        self.v = [np.zeros_like(p) for p, _ in self.groups]
        self._denominator = [np.empty_like(p) for p, _ in self.groups]

    _STATE: ClassVar[dict[str, str]] = {"square_avg": "v"}
    _HAS_STEP = True

    def reset(self) -> None:
        super().reset()
        for a in self.v:
            a.fill(0)

    def step(self) -> None:
        self.t += 1
        a = self.alpha
        for i, param, grad in self._gradients():
            v, denom = self.v[i], self._denominator[i]
            v *= a
            v += (1 - a) * grad * grad
            np.sqrt(v, out=denom)
            denom += self.eps
            param -= self.lr * grad / denom


# The optimizers by name: name -> class.
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}

# The choices the command line (--optimizer) and the playground offer, by name: the class, its
# settings, and a learning rate that suits small networks as a default.
OPTIMIZER_CHOICES: dict[str, tuple[type[Optimizer], dict, float]] = {
    "sgd": (SGD, {}, 0.1),
    "momentum": (SGD, {"momentum": 0.9}, 0.05),
    "adam": (Adam, {}, 0.01),
    "rmsprop": (RMSprop, {}, 0.01),
}


def make_optimizer(name: str, params: Params, lr: float | None = None) -> Optimizer:
    """The optimizer offered as ``name`` (see ``OPTIMIZER_CHOICES``: sgd, momentum, adam,
    rmsprop) over ``params``, with learning rate ``lr`` (default: the choice's own)."""
    try:
        cls, settings, default_lr = OPTIMIZER_CHOICES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {name!r}; choose one of: "
                         f"{', '.join(OPTIMIZER_CHOICES)}") from None
    return cls(params, lr=default_lr if lr is None else lr, **settings)


# --- learning-rate schedules -----------------------------------------------------------------
# A schedule wraps an optimizer and sets ``optimizer.lr`` when ``step()`` is called at the end
# of every epoch (``fit`` does this), as PyTorch's ``torch.optim.lr_scheduler`` does.


class LRSchedule:
    """Base class. ``step(loss)`` is called once per epoch with that epoch's monitored loss."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self, loss: float | None = None) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` completed epochs."""
        raise NotImplementedError

    def reset(self) -> None:
        self.epoch = 0
        self.optimizer.lr = self.base_lr

    @property
    def stop_training(self) -> bool:
        return False

    def __repr__(self) -> str:
        """``StepLR(step_size=50, gamma=0.5, base_lr=0.01, epoch=0)``."""
        settings = _settings_repr(self, skip=("optimizer",))[:-1]
        joint = "" if settings.endswith("(") else ", "
        return f"{settings}{joint}base_lr={self.base_lr!r}, epoch={self.epoch})"


class ConstantLR(LRSchedule):
    """The learning rate never changes."""

    def lr_at(self, epoch: int) -> float:
        return self.base_lr


class StepLR(LRSchedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = int(check("step_size", step_size, [POSITIVE_INT]))
        self.gamma = float(check("gamma", gamma, [POSITIVE_NUMBER]))

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRSchedule):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr_e = lr_0 gamma^e``."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = float(check("gamma", gamma, [POSITIVE_NUMBER]))

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class InverseScalingLR(LRSchedule):
    """scikit-learn's ``invscaling``: ``lr = lr_0 / (t + 1)^power_t`` where ``t`` counts
    samples seen (``samples_per_epoch`` per epoch; leave it at 1 to count epochs)."""

    def __init__(self, optimizer: Optimizer, power_t: float = 0.5, samples_per_epoch: int = 1):
        super().__init__(optimizer)
        self.power_t = float(check("power_t", power_t, [NON_NEGATIVE]))
        self.samples_per_epoch = int(check("samples_per_epoch", samples_per_epoch, [POSITIVE_INT]))

    def lr_at(self, epoch: int) -> float:
        return self.base_lr / (epoch * self.samples_per_epoch + 1) ** self.power_t


class ReduceLROnPlateau(LRSchedule):
    """Divide the learning rate by ``1 / factor`` when the loss has not improved by at least
    ``min_delta`` for more than ``patience`` epochs (scikit-learn's ``adaptive`` uses factor
    0.2 and patience ``n_iter_no_change``). Below ``min_lr`` it asks training to stop."""

    def __init__(self, optimizer: Optimizer, factor: float = 0.2, patience: int = 10,
                 min_delta: float = 1e-4, min_lr: float = 1e-6):
        super().__init__(optimizer)
        self.factor = float(check("factor", factor, [Interval(Real, 0, 1, closed="neither")]))
        self.patience = int(check("patience", patience,
                                  [Interval(Integral, 0, None, closed="left")]))
        self.min_delta = float(check("min_delta", min_delta, [NON_NEGATIVE]))
        self.min_lr = float(check("min_lr", min_lr, [NON_NEGATIVE]))
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.best, self.bad_epochs, self._stop = math.inf, 0, False

    def step(self, loss: float | None = None) -> float:
        if loss is None:
            raise ValueError("ReduceLROnPlateau.step needs the epoch's loss")
        self.epoch += 1
        if loss < self.best - self.min_delta:
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        self.best = min(self.best, loss)
        if self.bad_epochs > self.patience:
            self.optimizer.lr *= self.factor
            self.bad_epochs = 0
            # A relative tolerance, so that 0.1 * 0.1 * 0.1 (= 0.0010000000000000002) counts
            # as having reached min_lr = 1e-3.
            self._stop = self.optimizer.lr <= self.min_lr * (1 + 1e-9)
        return self.optimizer.lr

    @property
    def stop_training(self) -> bool:
        return self._stop
