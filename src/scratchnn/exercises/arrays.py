"""The exercises on arrays: a dense layer, the activations, softmax (chapter ``layers``) and the
losses with their gradients (chapter ``losses``).

Each reference below calls the library: ``Dense``, ``ReLU``, ``Sigmoid``, ``Tanh``,
``functional.softmax``, ``BinaryCrossEntropy``, ... The gradients also get a second opinion
from finite differences of the library's forward pass.
"""

from __future__ import annotations

import numpy as np

from .. import functional
from ..gradcheck import numerical_gradient
from ..layers import Dense, ReLU, Sigmoid, Tanh
from ..losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from .task import Case, Task, body_of, generator

# --- chapter 1: layers -------------------------------------------------------------------------


def _dense(W: np.ndarray, b: np.ndarray) -> Dense:
    layer = Dense(*W.shape, rng=0)
    layer.W[...] = W
    layer.b[...] = b
    return layer


def _dense_cases(task_id: str, *, backward: bool) -> list[Case]:
    cases = []
    for index, (n, n_in, n_out) in enumerate([(4, 3, 2), (1, 1, 1), (5, 2, 3)]):
        rng = generator(task_id, index)
        x, W = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out))
        if backward:
            cases.append(Case({"x": x, "W": W, "grad_y": rng.normal(size=(n, n_out))}))
        else:
            cases.append(Case({"x": x, "W": W, "b": rng.normal(size=n_out)}))
    return cases


def dense_forward(x, W, b):
    return _dense(W, b).forward(x)


def dense_backward(x, W, grad_y):
    layer = _dense(W, np.zeros(W.shape[1]))
    layer.forward(x)
    grad_x = layer.backward(grad_y)
    return grad_x, layer.dW.copy(), layer.db.copy()


def dense_backward_numeric(x, W, grad_y):
    """Finite differences of ``sum(grad_y * forward(x))``, whose gradient is what ``backward``
    returns."""
    b = np.zeros(W.shape[1])
    loss = lambda: float(np.sum(grad_y * _dense(W, b).forward(x)))  # noqa: E731
    return {"grad_x": numerical_gradient(loss, x), "dW": numerical_gradient(loss, W),
            "db": numerical_gradient(loss, b)}


def _elementwise_cases(task_id: str, *, with_grad: bool, large: bool = False,
                       name: str = "x") -> list[Case]:
    cases = []
    for index, shape in enumerate([(4, 3), (3,), (2, 5)]):
        rng = generator(task_id, index)
        inputs = {name: rng.normal(size=shape) * 2}
        if with_grad:
            inputs["grad_y"] = rng.normal(size=shape)
        cases.append(Case(inputs))
    if large:
        cases.append(Case({name: np.array([-800.0, -30.0, 0.0, 30.0, 800.0])},
                          note="large inputs: does anything overflow?"))
    return cases


def _upstream_numeric(forward):
    """Finite differences of ``sum(grad_y * forward(x))`` with respect to ``x``."""

    def numeric(x, grad_y):
        return {"grad_x": numerical_gradient(lambda: float(np.sum(grad_y * forward(x))), x)}

    return numeric


def relu_forward(x):
    return ReLU().forward(x)


def relu_backward(x, grad_y):
    layer = ReLU()
    layer.forward(x)
    return layer.backward(grad_y)


def sigmoid(z):
    return functional.sigmoid(z)


def sigmoid_backward(x, grad_y):
    layer = Sigmoid()
    layer.forward(x)
    return layer.backward(grad_y)


def tanh_backward(x, grad_y):
    layer = Tanh()
    layer.forward(x)
    return layer.backward(grad_y)


def _softmax_cases(task_id: str) -> list[Case]:
    cases = [Case({"z": generator(task_id, i).normal(size=shape) * 2})
             for i, shape in enumerate([(4, 3), (1, 3), (3, 5)])]
    cases.append(Case({"z": np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])},
                      note="large logits: does anything overflow?"))
    return cases


def softmax(z):
    return functional.softmax(z)


def log_softmax(z):
    return functional.log_softmax(z)


DENSE = "x: (n, n_in), W: (n_in, n_out)"

LAYER_TASKS = [
    Task(
        id="dense_forward", title="Forward of a dense layer", chapter="layers",
        teaches="a layer is a matrix product plus a bias: y = x @ W + b, one row per sample",
        signature="(x, W, b)",
        docstring=f"The output of a dense layer, y = x @ W + b.\n\n{DENSE}, b: (n_out,) "
                  "-> y: (n, n_out)",
        hints=("Each row of x is a sample; x @ W maps n_in features to n_out outputs.",
               "The bias b has one number per output unit; NumPy broadcasting adds it to "
               "every row.",
               "return x @ W + b"),
        cases=lambda: _dense_cases("dense_forward", backward=False), reference=dense_forward,
        outputs=("y",), solution="return x @ W + b\n", source="scratchnn.layers.Dense.forward"),
    Task(
        id="dense_backward", title="Backward of a dense layer (dW, db, dx)", chapter="layers",
        teaches="the chain rule through y = x @ W + b: each gradient has the shape of what it "
                "is the gradient of",
        signature="(x, W, grad_y)",
        docstring=f"The gradients of a dense layer, given grad_y = dL/dy.\n\n{DENSE}, "
                  "grad_y: (n, n_out)\n-> (grad_x (n, n_in), dW (n_in, n_out), db (n_out,))",
        hints=("dW must have W's shape (n_in, n_out): which product of x and grad_y gives it?",
               "dW = x.T @ grad_y; db sums grad_y over the samples (axis 0); grad_x "
               "multiplies grad_y by W transposed.",
               "return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0)"),
        cases=lambda: _dense_cases("dense_backward", backward=True), reference=dense_backward,
        outputs=("grad_x", "dW", "db"), numeric=dense_backward_numeric,
        solution="return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0)\n",
        source="scratchnn.layers.Dense.backward"),
    Task(
        id="relu_forward", title="ReLU forward", chapter="layers",
        teaches="the simplest non-linearity: negative values become 0",
        signature="(x)", docstring="max(x, 0), elementwise, as a new array.\n\nx: any shape "
                                   "-> the same shape",
        hints=("np.maximum compares elementwise (np.max would reduce the array to one number).",
               "return np.maximum(x, 0)"),
        cases=lambda: _elementwise_cases("relu_forward", with_grad=False),
        reference=relu_forward, outputs=("y",), solution="return np.maximum(x, 0)\n",
        source="scratchnn.layers.ReLU.forward"),
    Task(
        id="relu_backward", title="ReLU backward", chapter="layers",
        teaches="a gate: the gradient passes where the input was positive and stops elsewhere",
        signature="(x, grad_y)",
        docstring="dL/dx for y = max(x, 0), given grad_y = dL/dy.\n\nx, grad_y: the same "
                  "shape -> grad_x: that shape",
        hints=("The derivative of max(x, 0) is 1 where x > 0 and 0 elsewhere.",
               "Multiply grad_y by the mask (x > 0).",
               "return grad_y * (x > 0)"),
        cases=lambda: _elementwise_cases("relu_backward", with_grad=True),
        reference=relu_backward, outputs=("grad_x",),
        numeric=_upstream_numeric(relu_forward), solution="return grad_y * (x > 0)\n",
        source="scratchnn.layers.ReLU.backward"),
    Task(
        id="sigmoid", title="Sigmoid, computed stably", chapter="layers",
        teaches="1 / (1 + e^-x) overflows for large negative x; the same number can be "
                "computed without exponentiating anything positive",
        signature="(z)", docstring="1 / (1 + e^-z), elementwise, for any z (even -800).\n\n"
                                   "z: any shape -> the same shape, values in [0, 1]",
        hints=("1 / (1 + np.exp(-z)) is right on paper, but np.exp(800) overflows.",
               "For z < 0 write it as e^z / (1 + e^z): then no exponent is positive. (np.where "
               "computes both of its branches everywhere, so each must be safe for every z.)",
               "np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z))) covers both signs at once."),
        cases=lambda: _elementwise_cases("sigmoid", with_grad=False, large=True, name="z"),
        reference=sigmoid, outputs=("y",), solution=body_of(functional.sigmoid),
        source="scratchnn.functional.sigmoid"),
    Task(
        id="sigmoid_backward", title="Sigmoid's derivative", chapter="layers",
        teaches="the sigmoid's derivative is written with its own output: s (1 - s)",
        signature="(x, grad_y)",
        docstring="dL/dx for y = sigmoid(x), given grad_y = dL/dy.\n\nx, grad_y: the same "
                  "shape -> grad_x: that shape",
        hints=("d sigmoid(x) / dx = sigmoid(x) * (1 - sigmoid(x)); you may call your sigmoid "
               "above.",
               "s = sigmoid(x); return grad_y * s * (1 - s)"),
        cases=lambda: _elementwise_cases("sigmoid_backward", with_grad=True),
        reference=sigmoid_backward, outputs=("grad_x",),
        numeric=_upstream_numeric(functional.sigmoid),
        solution="s = 0.5 * (1 + np.tanh(x / 2))  # the sigmoid, without overflow\n"
                 "return grad_y * s * (1 - s)\n",
        source="scratchnn.layers.Sigmoid.backward"),
    Task(
        id="tanh_backward", title="Tanh's derivative", chapter="layers",
        teaches="like the sigmoid, tanh's derivative comes from its output: 1 - tanh(x)^2",
        signature="(x, grad_y)",
        docstring="dL/dx for y = tanh(x), given grad_y = dL/dy.\n\nx, grad_y: the same "
                  "shape -> grad_x: that shape",
        hints=("d tanh(x) / dx = 1 - tanh(x)^2.",
               "y = np.tanh(x); return grad_y * (1 - y * y)"),
        cases=lambda: _elementwise_cases("tanh_backward", with_grad=True),
        reference=tanh_backward, outputs=("grad_x",), numeric=_upstream_numeric(np.tanh),
        solution="y = np.tanh(x)\nreturn grad_y * (1 - y * y)\n",
        source="scratchnn.layers.Tanh.backward"),
    Task(
        id="softmax", title="Softmax", chapter="layers",
        teaches="turning scores into probabilities that sum to 1 per row, and why the row "
                "maximum is subtracted first",
        signature="(z)",
        docstring="e^z_i / sum_j e^z_j along the last axis: each row sums to 1.\n\n"
                  "z: (n, k) -> (n, k)",
        hints=("np.exp(z) / np.exp(z).sum(axis=1, keepdims=True) is right on paper; keepdims "
               "keeps the sums as a column so the division is per row.",
               "e^1000 overflows. Subtracting the row's maximum from every entry changes "
               "nothing in the result, and keeps every exponent <= 0.",
               "e = np.exp(z - z.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, "
               "keepdims=True)"),
        cases=lambda: _softmax_cases("softmax"), reference=softmax, outputs=("p",),
        solution=body_of(functional.softmax), source="scratchnn.functional.softmax"),
    Task(
        id="log_softmax", title="Log-softmax", chapter="layers",
        teaches="log-probabilities straight from the scores, with the log-sum-exp trick, "
                "never taking the log of a rounded-off 0",
        signature="(z)",
        docstring="log(softmax(z)) along the last axis, stable for any z.\n\n"
                  "z: (n, k) -> (n, k)",
        hints=("log(e^z_i / sum_j e^z_j) = z_i - log(sum_j e^z_j).",
               "Subtract the row maximum m first: z - m - log(sum_j e^(z_j - m)).",
               "s = z - z.max(axis=-1, keepdims=True); return s - np.log(np.exp(s).sum("
               "axis=-1, keepdims=True))"),
        cases=lambda: _softmax_cases("log_softmax"), reference=log_softmax,
        outputs=("log_p",), solution=body_of(functional.log_softmax),
        source="scratchnn.functional.log_softmax"),
]


# --- chapter 2: losses -------------------------------------------------------------------------


def _binary_cases(task_id: str) -> list[Case]:
    cases = []
    for index, n in enumerate([4, 1, 6]):
        rng = generator(task_id, index)
        cases.append(Case({"z": rng.normal(size=n) * 2,
                           "y": rng.integers(0, 2, size=n).astype(float)}))
    cases.append(Case({"z": np.array([-800.0, -40.0, 40.0, 800.0]),
                       "y": np.array([1.0, 0.0, 1.0, 0.0])},
                      note="large logits: does anything overflow?"))
    return cases


def _class_cases(task_id: str) -> list[Case]:
    cases = []
    for index, (n, k) in enumerate([(4, 3), (1, 2), (5, 4)]):
        rng = generator(task_id, index)
        cases.append(Case({"z": rng.normal(size=(n, k)) * 2, "y": rng.integers(0, k, size=n)}))
    cases.append(Case({"z": np.array([[1000.0, 0.0, -1000.0], [0.0, 500.0, 0.0]]),
                       "y": np.array([2, 1])}, note="large logits: does anything overflow?"))
    return cases


def _regression_cases(task_id: str) -> list[Case]:
    cases = []
    for index, shape in enumerate([(4, 1), (1, 1), (5, 3)]):
        rng = generator(task_id, index)
        cases.append(Case({"pred": rng.normal(size=shape), "y": rng.normal(size=shape)}))
    return cases


def bce_with_logits(z, y):
    return BinaryCrossEntropy().forward(z, y)


def bce_with_logits_grad(z, y):
    loss = BinaryCrossEntropy()
    loss.forward(z, y)
    return loss.backward()


def softmax_cross_entropy(z, y):
    return SoftmaxCrossEntropy().forward(z, y)


def softmax_cross_entropy_grad(z, y):
    loss = SoftmaxCrossEntropy()
    loss.forward(z, y)
    return loss.backward()


def mse(pred, y):
    return MeanSquaredError().forward(pred, y)


def mse_grad(pred, y):
    loss = MeanSquaredError()
    loss.forward(pred, y)
    return loss.backward()


def _loss_numeric(forward, logits: str, output: str):
    """Finite differences of the library's mean loss with respect to the logits."""

    def numeric(**inputs):
        z = inputs[logits]
        return {output: numerical_gradient(lambda: forward(**inputs), z)}

    return numeric


def _numeric_safe(numeric):
    """Finite differences only on cases whose logits are moderate (on +-800 a nudge of 1e-6 is
    lost in rounding): the large-logit cases are checked against the library alone."""

    def guarded(**inputs):
        values = next(iter(inputs.values()))
        return numeric(**inputs) if np.abs(values).max() < 100 else None

    return guarded


LOSS_TASKS = [
    Task(
        id="bce_with_logits", title="Binary cross-entropy from logits", chapter="losses",
        teaches="the loss of a yes/no prediction taken from the raw score z: softplus(z) - y z, "
                "exact and stable where log(sigmoid(z)) is not",
        signature="(z, y)",
        docstring="The mean of -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z).\n\n"
                  "z: (n,) logits, y: (n,) labels 0 or 1 -> a float",
        hints=("With p = sigmoid(z) the loss per sample simplifies to log(1 + e^z) - y z.",
               "log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): no positive exponent, so z = 800 "
               "is fine. np.log1p(a) is log(1 + a), precise for small a.",
               "return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z))"),
        cases=lambda: _binary_cases("bce_with_logits"), reference=bce_with_logits,
        outputs=("loss",),
        solution="return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z"
                 "))\n",
        source="scratchnn.losses.BinaryCrossEntropy.forward"),
    Task(
        id="bce_with_logits_grad", title="Gradient of binary cross-entropy", chapter="losses",
        teaches="folding the sigmoid into the loss gives the simplest gradient there is: "
                "(p - y) / n",
        signature="(z, y)",
        docstring="dL/dz for the mean binary cross-entropy from logits.\n\n"
                  "z: (n,), y: (n,) -> grad_z: (n,)",
        hints=("Per sample the derivative of log(1 + e^z) - y z is sigmoid(z) - y.",
               "The loss is a mean over n samples: divide by n.",
               "p = 0.5 * (1 + np.tanh(z / 2)); return (p - y) / len(z)"),
        cases=lambda: _binary_cases("bce_with_logits_grad"), reference=bce_with_logits_grad,
        outputs=("grad_z",), numeric=_numeric_safe(_loss_numeric(bce_with_logits, "z", "grad_z")),
        solution="p = 0.5 * (1 + np.tanh(z / 2))  # the sigmoid, without overflow\n"
                 "return (p - y) / len(z)\n",
        source="scratchnn.losses.BinaryCrossEntropy.backward"),
    Task(
        id="softmax_cross_entropy", title="Softmax cross-entropy", chapter="losses",
        teaches="the loss of a choice among k classes: minus the log-probability of the right "
                "class, averaged over the samples",
        signature="(z, y)",
        docstring="The mean over samples of -log softmax(z)[y].\n\n"
                  "z: (n, k) logits, y: (n,) integer class labels 0..k-1 -> a float",
        hints=("Use log-softmax (your own, or the idea behind it): it is stable where "
               "np.log(softmax(z)) is not.",
               "Pick each row's entry of the right class with fancy indexing: "
               "log_p[np.arange(n), y].",
               "s = z - z.max(axis=1, keepdims=True); log_p = s - np.log(np.exp(s).sum(axis=1, "
               "keepdims=True)); return float(-log_p[np.arange(len(y)), y].mean())"),
        cases=lambda: _class_cases("softmax_cross_entropy"), reference=softmax_cross_entropy,
        outputs=("loss",),
        solution="s = z - z.max(axis=1, keepdims=True)\n"
                 "log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
                 "return float(-log_p[np.arange(len(y)), y].mean())\n",
        source="scratchnn.losses.SoftmaxCrossEntropy.forward"),
    Task(
        id="softmax_cross_entropy_grad", title="Gradient of softmax cross-entropy",
        chapter="losses",
        teaches="softmax and cross-entropy together have the gradient (softmax(z) - onehot(y)) "
                "/ n",
        signature="(z, y)",
        docstring="dL/dz for the mean softmax cross-entropy.\n\n"
                  "z: (n, k), y: (n,) integer labels -> grad_z: (n, k)",
        hints=("Per sample the gradient is softmax(z) minus the one-hot row of the label.",
               "Subtract 1 at [np.arange(n), y] of a copy of the probabilities; then divide "
               "by n, since the loss is a mean.",
               "e = np.exp(z - z.max(axis=1, keepdims=True)); p = e / e.sum(axis=1, "
               "keepdims=True); p[np.arange(len(y)), y] -= 1; return p / len(y)"),
        cases=lambda: _class_cases("softmax_cross_entropy_grad"),
        reference=softmax_cross_entropy_grad, outputs=("grad_z",),
        numeric=_numeric_safe(_loss_numeric(softmax_cross_entropy, "z", "grad_z")),
        solution="e = np.exp(z - z.max(axis=1, keepdims=True))\n"
                 "p = e / e.sum(axis=1, keepdims=True)\n"
                 "p[np.arange(len(y)), y] -= 1\n"
                 "return p / len(y)\n",
        source="scratchnn.losses.SoftmaxCrossEntropy.backward"),
    Task(
        id="mse", title="Mean squared error", chapter="losses",
        teaches="the regression loss, averaged over every element (as PyTorch's MSELoss)",
        signature="(pred, y)",
        docstring="mean((pred - y)^2) over all elements.\n\npred, y: (n, k) -> a float",
        hints=("The mean is over all n * k elements, not per row.",
               "return float(np.mean((pred - y) ** 2))"),
        cases=lambda: _regression_cases("mse"), reference=mse, outputs=("loss",),
        solution="return float(np.mean((pred - y) ** 2))\n",
        source="scratchnn.losses.MeanSquaredError.forward"),
    Task(
        id="mse_grad", title="Gradient of the mean squared error", chapter="losses",
        teaches="the derivative of a mean: every element's 2 (pred - y) divided by how many "
                "there are",
        signature="(pred, y)",
        docstring="dL/dpred for L = mean((pred - y)^2).\n\npred, y: (n, k) -> grad: (n, k)",
        hints=("d/dpred of (pred - y)^2 is 2 (pred - y).",
               "The loss divides by pred.size, so its gradient does too.",
               "return 2 * (pred - y) / pred.size"),
        cases=lambda: _regression_cases("mse_grad"), reference=mse_grad, outputs=("grad",),
        numeric=_loss_numeric(mse, "pred", "grad"),
        solution="return 2 * (pred - y) / pred.size\n",
        source="scratchnn.losses.MeanSquaredError.backward"),
]
