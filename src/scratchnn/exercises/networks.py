"""The exercises on a whole network (chapter ``network``: He initialisation, the backward pass
of a two-layer network) and on the optimizers (chapter ``optimizers``: SGD, momentum, Adam).

The references call the library: ``init.he_normal``, ``Sequential`` with
``SoftmaxCrossEntropy``, and ``SGD.step`` / ``Adam.step`` on copies of the given arrays, their
state loaded with ``load_state_dict`` (PyTorch's layout) and read back with ``state_dict``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient
from ..init import he_normal
from ..layers import Dense, ReLU
from ..losses import SoftmaxCrossEntropy
from ..model import Sequential
from ..optimizers import SGD, Adam
from .task import Case, Task, generator

# --- chapter 3: a network ----------------------------------------------------------------------


def he_init(n_in, n_out, rng):
    return he_normal(n_in, n_out, rng)


def _he_cases() -> list[Case]:
    return [Case({"n_in": n_in, "n_out": n_out, "rng": np.random.default_rng(seed)})
            for seed, (n_in, n_out) in enumerate([(1, 1), (2, 3), (8, 2), (50, 1)])]


def _two_layer(W1, b1, W2, b2) -> Sequential:
    model = Sequential([Dense(*W1.shape, rng=0), ReLU(), Dense(*W2.shape, rng=0)])
    model.set_weights([W1, b1, W2, b2])
    return model


def two_layer_backward(x, W1, b1, W2, b2, y):
    model, loss = _two_layer(W1, b1, W2, b2), SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    first, second = model.dense_layers
    return first.dW.copy(), first.db.copy(), second.dW.copy(), second.db.copy()


def two_layer_numeric(x, W1, b1, W2, b2, y):
    def loss() -> float:
        return SoftmaxCrossEntropy().forward(_two_layer(W1, b1, W2, b2).forward(x), y)

    return {name: numerical_gradient(loss, array)
            for name, array in (("dW1", W1), ("db1", b1), ("dW2", W2), ("db2", b2))}


def _two_layer_cases() -> list[Case]:
    cases = []
    for index, (n, n_in, hidden, k) in enumerate([(1, 2, 2, 2), (4, 2, 3, 3), (6, 3, 4, 2)]):
        rng = generator("two_layer_backward", index)
        cases.append(Case({"x": rng.normal(size=(n, n_in)),
                           "W1": rng.normal(size=(n_in, hidden)), "b1": rng.normal(size=hidden),
                           "W2": rng.normal(size=(hidden, k)), "b2": rng.normal(size=k),
                           "y": rng.integers(0, k, size=n)}))
    return cases


NETWORK_TASKS = [
    Task(
        id="he_init", title="He initialisation's scale", chapter="network",
        teaches="why the starting weights are scaled by sqrt(2 / n_in): each ReLU layer then "
                "keeps its inputs' variance",
        signature="(n_in, n_out, rng)",
        docstring="Weights drawn from N(0, 2 / n_in) (He et al., 2015).\n\n"
                  "n_in, n_out: ints, rng: a np.random.Generator -> W: (n_in, n_out)",
        hints=("Draw standard normal numbers with rng.standard_normal((n_in, n_out)), then "
               "scale them.",
               "N(0, s^2) has standard deviation s: multiply by sqrt(2 / n_in), not by 2 / n_in.",
               "return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)"),
        cases=_he_cases, reference=he_init, outputs=("W",),
        solution="return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)\n",
        source="scratchnn.init.he_normal"),
    Task(
        id="two_layer_backward", title="Backward through a 2-layer network", chapter="network",
        teaches="backpropagation end to end: Dense -> ReLU -> Dense -> softmax cross-entropy, "
                "each link of the chain rule in turn",
        signature="(x, W1, b1, W2, b2, y)",
        docstring="The gradients of the mean softmax cross-entropy of the network\n"
                  "h = relu(x @ W1 + b1), z = h @ W2 + b2.\n\n"
                  "x: (n, n_in), W1: (n_in, m), b1: (m,), W2: (m, k), b2: (k,), y: (n,) "
                  "labels 0..k-1\n-> (dW1 (n_in, m), db1 (m,), dW2 (m, k), db2 (k,))",
        hints=("Forward first, keeping a = x @ W1 + b1, h = relu(a) and z = h @ W2 + b2. "
               "Then backward, from the loss to the first layer.",
               "dz = (softmax(z) - onehot(y)) / n; dW2 = h.T @ dz, db2 = dz.sum(0); "
               "dh = dz @ W2.T; da = dh * (a > 0); dW1 = x.T @ da, db1 = da.sum(0).",
               "Your functions of chapters 1 and 2 do each step: dense_backward, "
               "relu_backward and softmax_cross_entropy_grad."),
        cases=_two_layer_cases, reference=two_layer_backward,
        outputs=("dW1", "db1", "dW2", "db2"), numeric=two_layer_numeric,
        solution="a = x @ W1 + b1\n"
                 "h = np.maximum(a, 0)\n"
                 "z = h @ W2 + b2\n"
                 "e = np.exp(z - z.max(axis=1, keepdims=True))\n"
                 "dz = e / e.sum(axis=1, keepdims=True)\n"
                 "dz[np.arange(len(y)), y] -= 1\n"
                 "dz /= len(y)\n"
                 "da = (dz @ W2.T) * (a > 0)\n"
                 "return x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)\n",
        source="scratchnn.model.Sequential.backward"),
]


# --- chapter 4: optimizers ---------------------------------------------------------------------


def sgd_step(param, grad, lr):
    param = param.copy()
    SGD([(param, grad)], lr=lr).step()
    return param


def sgd_momentum_step(param, grad, velocity, lr, momentum):
    param = param.copy()
    optimizer = SGD([(param, grad)], lr=lr, momentum=momentum)
    if velocity is not None:  # a later step: the buffer left by the previous one
        optimizer.load_state_dict({"state": {0: {"momentum_buffer": velocity}},
                                   "param_groups": [{"params": [0], "lr": lr}]})
    optimizer.step()
    return param, optimizer.state_dict()["state"][0]["momentum_buffer"]


def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
    param = param.copy()
    optimizer = Adam([(param, grad)], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.load_state_dict({"state": {0: {"step": t - 1, "exp_avg": m, "exp_avg_sq": v}},
                               "param_groups": [{"params": [0], "lr": lr}]})
    optimizer.step()
    state = optimizer.state_dict()["state"][0]
    return param, state["exp_avg"], state["exp_avg_sq"]


SHAPES = [(3,), (2, 3), (4, 2)]


def _sgd_cases() -> list[Case]:
    cases = []
    for index, (shape, lr) in enumerate(zip(SHAPES, [0.1, 0.5, 0.01])):
        rng = generator("sgd_step", index)
        cases.append(Case({"param": rng.normal(size=shape), "grad": rng.normal(size=shape),
                           "lr": lr}))
    return cases


def _momentum_cases() -> list[Case]:
    cases = []
    for index, shape in enumerate(SHAPES):
        rng = generator("sgd_momentum_step", index)
        first = index == 0
        cases.append(Case({"param": rng.normal(size=shape), "grad": rng.normal(size=shape),
                           "velocity": None if first else rng.normal(size=shape),
                           "lr": 0.1, "momentum": 0.9},
                          note="the first step: no velocity yet" if first else ""))
    return cases


def _adam_cases() -> list[Case]:
    cases = []
    for index, (shape, t) in enumerate(zip(SHAPES, [1, 2, 10])):
        rng = generator("adam_step", index)
        first = t == 1
        m = np.zeros(shape) if first else rng.normal(size=shape) * 0.1
        v = np.zeros(shape) if first else rng.random(size=shape) * 0.1
        cases.append(Case({"param": rng.normal(size=shape), "grad": rng.normal(size=shape),
                           "m": m, "v": v, "t": t, "lr": 0.01, "beta1": 0.9,
                           "beta2": 0.999, "eps": 1e-8},
                          note="the first step: m and v start at zero" if first else ""))
    return cases


OPTIMIZER_TASKS = [
    Task(
        id="sgd_step", title="An SGD step", chapter="optimizers",
        teaches="gradient descent: a small step against the gradient",
        signature="(param, grad, lr)",
        docstring="The parameters after one step of plain gradient descent.\n\n"
                  "param, grad: the same shape, lr: a float -> the new param: that shape",
        hints=("The gradient points uphill; step the other way.",
               "return param - lr * grad"),
        cases=_sgd_cases, reference=sgd_step, outputs=("param",),
        solution="return param - lr * grad\n", modifies_inputs=True,
        source="scratchnn.optimizers.SGD.step"),
    Task(
        id="sgd_momentum_step", title="SGD with momentum (PyTorch's rule)",
        chapter="optimizers",
        teaches="momentum keeps a running sum of past gradients; PyTorch's buffer starts as "
                "the first gradient",
        signature="(param, grad, velocity, lr, momentum)",
        docstring="One step of SGD with momentum, as PyTorch does it (no dampening).\n\n"
                  "param, grad, velocity: the same shape (velocity is None on the first "
                  "step),\nlr, momentum: floats -> (new param, new velocity)",
        hints=("On the first step the velocity is the gradient itself; later it is "
               "momentum * velocity + grad.",
               "Then step with the velocity, not the gradient: param - lr * velocity.",
               "velocity = grad.copy() if velocity is None else momentum * velocity + grad; "
               "return param - lr * velocity, velocity"),
        cases=_momentum_cases, reference=sgd_momentum_step, outputs=("param", "velocity"),
        solution="velocity = grad.copy() if velocity is None else momentum * velocity + grad\n"
                 "return param - lr * velocity, velocity\n", modifies_inputs=True,
        source="scratchnn.optimizers.SGD.step"),
    Task(
        id="adam_step", title="Adam's step", chapter="optimizers",
        teaches="Adam: running means of the gradient and of its square, corrected for "
                "starting at zero, give each parameter its own step size",
        signature="(param, grad, m, v, t, lr, beta1, beta2, eps)",
        docstring="One Adam step (Kingma & Ba, 2015, as in PyTorch); t is this step's number, "
                  "1 for the first.\n\nparam, grad, m, v: the same shape; t: an int; lr, "
                  "beta1, beta2, eps: floats\n-> (new param, new m, new v)",
        hints=("m = beta1 m + (1 - beta1) grad; v = beta2 v + (1 - beta2) grad^2.",
               "m and v start at 0, so early on they are too small: divide by (1 - beta1^t) "
               "and (1 - beta2^t) to get m_hat and v_hat.",
               "The step is lr * m_hat / (sqrt(v_hat) + eps); return it subtracted from "
               "param, with the new m and v."),
        cases=_adam_cases, reference=adam_step, outputs=("param", "m", "v"),
        solution="m = beta1 * m + (1 - beta1) * grad\n"
                 "v = beta2 * v + (1 - beta2) * grad ** 2\n"
                 "m_hat = m / (1 - beta1 ** t)\n"
                 "v_hat = v / (1 - beta2 ** t)\n"
                 "return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        modifies_inputs=True, source="scratchnn.optimizers.Adam.step"),
]
