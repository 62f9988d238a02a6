"""Layers: ``Dense``, the activations, ``Dropout`` and ``Flatten``.

Every layer has ``forward(x) -> y``, ``backward(grad_y) -> grad_x`` and ``parameters()``.
``forward`` keeps what ``backward`` needs (its input or output); ``backward`` receives the
gradient of the loss with respect to the layer's output and returns the gradient with
respect to its input (the chain rule, one link at a time).

The arrays that ``forward`` and ``backward`` return are new ones, the caller's to keep: no
later call changes them.
"""

from __future__ import annotations

import numpy as np

from ._workspace import column_sums, matmul, zero_for
from .functional import sigmoid
from .init import as_generator, get_initializer


class Layer:
    """Base class. Subclasses implement ``forward`` and ``backward``."""

    training: bool = True
    x: np.ndarray | None = None  # the input of the last forward (None: no forward yet)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(param, grad)`` pairs; empty for layers without parameters."""
        return []

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """``(name, param)`` for each parameter, in ``parameters()`` order (``Dense``: W, b)."""
        return []

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``(name, array)`` for each array the layer learns without gradients (BatchNorm's
        ``running_mean`` and ``running_var``); saved and loaded with the parameters."""
        return []

    @property
    def input_shape(self) -> tuple[int | None, ...] | None:
        """The shape of one sample this layer takes (``Dense(3, 4)``: ``(3,)``; ``Conv2D``:
        ``(C, None, None)``, None for any size), or None when it takes any shape."""
        return None

    def output_shape(self, input_shape: tuple) -> tuple:
        """The shape of one sample of output for one sample of input (``None`` entries: any
        size); a ``ValueError`` naming the layer if it cannot take that input. The activations
        keep the shape."""
        return tuple(input_shape)

    def release(self) -> None:
        """Drop what the last forward pass kept for ``backward`` (its input ``x``, its output
        ``y``, a dropout ``mask``), so that an idle layer holds its parameters alone: after a
        forward pass over 300,000 rows these are hundreds of MB (``backward`` then needs a
        ``forward`` first)."""
        for name in ("x", "y", "mask"):
            self.__dict__.pop(name, None)  # back to the class default, None

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _backward_error(self, grad, expected: tuple[int, ...] | None) -> Exception:
        """The error for a ``backward`` call that cannot work: before any ``forward``
        (``expected`` is None), or with a gradient not shaped like the forward's output."""
        name = type(self).__name__
        if expected is None:
            return RuntimeError(f"{name}.backward called before forward: call forward(x) first, "
                                "then backward(grad) with the gradient of the loss with respect "
                                "to that forward's output")
        return ValueError(f"{self!r}.backward expects a gradient of shape {expected} (the shape "
                          f"of its last forward output), got {describe_shape(grad)}")


def describe_shape(a) -> str:
    """``(5, 2)`` for an array, or what ``a`` is when it is not one."""
    shape = getattr(a, "shape", None)
    return str(shape) if shape is not None else f"a {type(a).__name__} (not a NumPy array)"


class Dense(Layer):
    """A fully connected layer: ``y = x @ W + b``.

    Shapes: ``x (n, n_in) -> y (n, n_out)``; ``W (n_in, n_out)``, ``b (n_out,)``.
    After ``backward``, ``dW`` and ``db`` hold the gradients of the (mean) loss; they are
    written in place, so the ``(param, grad)`` pairs handed to an optimizer stay valid.
    """

    def __init__(self, n_in: int, n_out: int, *, rng=None, init="he", dtype=np.float64):
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense: {name} must be a positive integer, got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"Dense: dtype must be float32 or float64, got {self.dtype}")
        self.init = init
        self._initializer = get_initializer(init)
        self.W = np.empty((self.n_in, self.n_out), self.dtype)
        self.b = np.empty(self.n_out, self.dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None) -> None:
        """Draw fresh weights (in place) and zero the biases."""
        self.W[...] = self._initializer(self.n_in, self.n_out, as_generator(rng), self.dtype)
        self.b[...] = 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (n, n_in) -> x @ W + b  (n, n_out)``."""
        if not (isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] == self.n_in):
            x = self._checked_input(x)
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """``grad = dL/dy (n, n_out) -> dL/dx = grad @ W^T  (n, n_in)``, after writing
        ``dW = x^T @ grad`` and ``db = grad summed over the rows`` in place. Pass
        ``input_grad=False`` for the first layer of a network: nobody needs the gradient with
        respect to the data, so that product is skipped (``None``)."""
        x = self.x
        if x is None or getattr(grad, "shape", None) != (x.shape[0], self.n_out):
            raise self._backward_error(grad, None if x is None else (x.shape[0], self.n_out))
        matmul(x.T, grad, out=self.dW)  # dW = x^T grad
        column_sums(grad, out=self.db)  # db = grad summed over the rows
        return matmul(grad, self.W.T) if input_grad else None  # dx = grad W^T

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.W, self.dW), (self.b, self.db)]

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        return [("W", self.W), ("b", self.b)]

    @property
    def input_shape(self) -> tuple[int]:
        return (self.n_in,)

    def output_shape(self, input_shape: tuple) -> tuple[int]:
        if tuple(input_shape) not in ((self.n_in,), (None,)):
            shape = ", ".join("?" if d is None else str(d) for d in input_shape)
            hint = "; put a Flatten() before it" if len(input_shape) > 1 else ""
            raise ValueError(f"{self!r} expects input of shape (n, {self.n_in}), got "
                             f"(n, {shape}){hint}")
        return (self.n_out,)

    def _checked_input(self, x) -> np.ndarray:
        """``x`` as an array of shape ``(n, n_in)``, or a ``ValueError`` that says how to fix it."""
        if hasattr(x, "tocsr") and getattr(x, "ndim", 0) == 2 and x.shape[1] == self.n_in:
            return x  # a scipy.sparse matrix: the first product is sparse, the rest dense
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"{self!r} expects numbers, got an array of dtype {x.dtype}")
        if x.ndim == 2 and x.shape[1] == self.n_in:
            return x
        message = f"{self!r} expects input of shape (n, {self.n_in}), got {x.shape}"
        if x.ndim == 1 and x.shape[0] == self.n_in:
            message += f"; for one sample of {self.n_in} features use x.reshape(1, -1)"
        elif x.ndim == 1 and self.n_in == 1:
            message += "; for n samples of one feature use x.reshape(-1, 1)"
        elif x.ndim == 2:
            message += f": {x.shape[1]} features where the layer takes {self.n_in}"
        raise ValueError(message)

    def __repr__(self) -> str:
        extra = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Dense({self.n_in}, {self.n_out}{extra})"


class ReLU(Layer):
    """``y = max(x, 0)``; the gradient passes where ``x > 0`` and is zero elsewhere."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, zero_for(x))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.x
        if x is None or getattr(grad, "shape", None) != x.shape:
            raise self._backward_error(grad, None if x is None else x.shape)
        return grad * (x > zero_for(x))


class LeakyReLU(Layer):
    """``y = x`` for ``x > 0``, ``negative_slope * x`` otherwise (``0 <= slope < 1``)."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        if not 0 <= negative_slope < 1:
            raise ValueError(f"LeakyReLU: negative_slope must be in [0, 1), got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.where(x > 0, x, self.negative_slope * x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.x
        if x is None or getattr(grad, "shape", None) != x.shape:
            raise self._backward_error(grad, None if x is None else x.shape)
        return grad * np.where(x > 0, 1.0, self.negative_slope).astype(grad.dtype, copy=False)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Tanh(Layer):
    """``y = tanh(x)``; ``dy/dx = 1 - y^2``."""

    y: np.ndarray | None = None  # the output of the last forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        y = self.y
        if y is None or getattr(grad, "shape", None) != y.shape:
            raise self._backward_error(grad, None if y is None else y.shape)
        return grad * (1 - y * y)


class Sigmoid(Layer):
    """``y = 1 / (1 + exp(-x))``, computed stably (``functional.sigmoid``); ``dy/dx = y (1 - y)``.

    For a sigmoid *output* with binary cross-entropy, leave the last layer linear and use
    ``BinaryCrossEntropy``, which takes logits: that is both exact and stable.
    """

    y: np.ndarray | None = None  # the output of the last forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(x)
        return self.y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        y = self.y
        if y is None or getattr(grad, "shape", None) != y.shape:
            raise self._backward_error(grad, None if y is None else y.shape)
        return grad * y * (1 - y)


class Identity(Layer):
    """``y = x``: the "no activation" choice, handy when activations are picked by name."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


class Dropout(Layer):
    """Inverted dropout: in training mode zero each unit with probability ``p`` and scale the
    survivors by ``1 / (1 - p)``, so the expected activation is unchanged; in eval mode
    (``model.eval()``) it passes its input through untouched."""

    mask: np.ndarray | None = None  # 1 / (1 - p) where kept, 0 where dropped; None: no mask

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = as_generator(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        if not self.training or self.p == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        self.mask = keep.astype(x.dtype) / (1 - self.p)
        return x * self.mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.x
        if x is None or getattr(grad, "shape", None) != x.shape:
            raise self._backward_error(grad, None if x is None else x.shape)
        return grad if self.mask is None else grad * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Flatten(Layer):
    """Each sample's values in one row: ``x (n, d1, d2, ...) -> y (n, d1 d2 ...)``, as PyTorch's
    ``Flatten`` (between the convolutions and the first ``Dense``). ``backward`` gives the
    gradient its input's shape back. The output is a reshaped view of the input (no copy)."""

    x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten() expects input of shape (n, ...), got {x.shape}")
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.x_shape
        expected = None if shape is None else (shape[0], int(np.prod(shape[1:])))
        if expected is None or getattr(grad, "shape", None) != expected:
            raise self._backward_error(grad, expected)
        return grad.reshape(shape)

    def release(self) -> None:
        super().release()
        self.__dict__.pop("x_shape", None)

    def output_shape(self, input_shape: tuple) -> tuple:
        known = None not in input_shape
        return (int(np.prod(input_shape)) if known else None,)


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "logistic": Sigmoid,
    "sigmoid": Sigmoid,
    "identity": Identity,
    "linear": Identity,  # TensorFlow Playground's name for it
}


def activation(name: str) -> Layer:
    """A new activation layer by name: relu, leaky_relu, tanh, logistic/sigmoid, identity."""
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        choices = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of: {choices}") from None
