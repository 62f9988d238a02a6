"""``Tensor``: the scalar engine of ``value.py`` over NumPy arrays.

The idea is the same: each operation makes a new Tensor that remembers its inputs
(``_prev``), its name (``_op``) and, next to the forward formula, the closure that passes the
gradient back (``_backward``). What changes is that ``data`` and ``grad`` are arrays of the same
shape, so each local derivative becomes an array expression: ``x @ W`` sends ``g @ W.T`` to
``x`` and ``x.T @ g`` to ``W``.

Broadcasting needs one more rule. When ``x (n, k) + b (k,)`` stretches ``b`` over the rows, every
row's gradient belongs to the same ``b``, so the gradient is summed back over the stretched axes
(``unbroadcast``). The tests hold every hand-written ``backward`` of the library (each layer,
each loss) to this engine's gradients.

    x = Tensor(np.ones((4, 2)), requires_grad=False)
    W, b = Tensor(rng.normal(size=(2, 3))), Tensor(np.zeros(3))
    loss = (x @ W + b).tanh().mean()
    loss.backward()
    W.grad.shape, b.grad.shape        # (2, 3), (3,)
"""

from __future__ import annotations

import numbers

import numpy as np

from ..functional import log_softmax, sigmoid
from .value import topological_order


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``:
    ``(n, k) -> (k,)`` sums the rows, ``(n, k) -> (n, 1)`` the columns."""
    while grad.ndim > len(shape):  # axes added in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of length 1 stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array in a computation, and the gradient of the final (scalar) result with respect
    to it.

    ``Tensor(array, requires_grad=True)``: ``data`` is a float copy of ``array``; ``grad`` an
    array of the same shape, zero until ``backward()`` adds to it (``None`` when
    ``requires_grad=False``: inputs and targets that need no gradient). Numbers and arrays mixed
    into an operation become Tensors that need none.
    """

    __array_ufunc__ = None  # ndarray + Tensor: NumPy steps aside, so Tensor.__radd__ runs

    def __init__(self, array, requires_grad: bool = True, _children: tuple = (), _op: str = ""):
        data = np.asarray(array) if _children else np.array(array)  # a leaf copies its input
        self.data = data if data.dtype.kind == "f" else data.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        self.grad = np.zeros_like(self.data) if self.requires_grad else None
        self._prev = tuple(dict.fromkeys(_children))
        self._op = _op
        self._backward = lambda: None

    def _result(self, data, children: tuple, op: str) -> Tensor:
        """A new Tensor computed from ``children``; it needs a gradient if any of them does."""
        return Tensor(data, any(c.requires_grad for c in children), children, op)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def item(self) -> float:
        return self.data.item()

    def zero_grad(self) -> None:
        if self.requires_grad:
            self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        op = f", op={self._op!r}" if self._op else ""
        return f"Tensor(shape={self.shape}{op})"

    # --- arithmetic, with broadcasting ------------------------------------------------------

    def __add__(self, other) -> Tensor:
        other = as_tensor(other)
        out = self._result(self.data + other.data, (self, other), "+")

        def _backward():
            add_grad(self, out.grad)
            add_grad(other, out.grad)

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = as_tensor(other)
        out = self._result(self.data * other.data, (self, other), "*")

        def _backward():
            add_grad(self, out.grad * other.data)
            add_grad(other, out.grad * self.data)

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Tensor:
        other = as_tensor(other)
        out = self._result(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            add_grad(self, out.grad / other.data)
            add_grad(other, -out.grad * self.data / other.data**2)

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Tensor:
        """``self ** k`` for a plain number ``k``."""
        if not isinstance(k, numbers.Real):
            raise TypeError(f"Tensor ** k takes a number k, got {type(k).__name__}")
        out = self._result(self.data**k, (self,), f"**{k:g}")

        def _backward():
            add_grad(self, out.grad * k * self.data ** (k - 1))

        out._backward = _backward
        return out

    def __matmul__(self, other) -> Tensor:
        """``(n, k) @ (k, m) -> (n, m)``; both operands 2-D."""
        other = as_tensor(other)
        if self.ndim != 2 or other.ndim != 2:
            raise ValueError(f"Tensor @ takes two 2-D operands, got shapes {self.shape} and "
                             f"{other.shape}; reshape them to matrices first")
        out = self._result(self.data @ other.data, (self, other), "@")

        def _backward():  # y = x W: dx = g W^T, dW = x^T g
            add_grad(self, out.grad @ other.data.T)
            add_grad(other, self.data.T @ out.grad)

        out._backward = _backward
        return out

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other) -> Tensor:
        return self + (-as_tensor(other))

    def __radd__(self, other) -> Tensor:
        return self + other

    def __rsub__(self, other) -> Tensor:
        return as_tensor(other) - self

    def __rmul__(self, other) -> Tensor:
        return self * other

    def __rtruediv__(self, other) -> Tensor:
        return as_tensor(other) / self

    def __rmatmul__(self, other) -> Tensor:
        return as_tensor(other) @ self

    # --- reductions ----------------------------------------------------------------------------

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        out = self._result(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward():  # every summed entry gets the sum's gradient
            grad = out.grad
            if axis is not None and not keepdims:
                grad = np.expand_dims(grad, axis)  # back in place of the summed axes
            add_grad(self, np.broadcast_to(grad, self.shape))

        out._backward = _backward
        return out

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.data.size / max(total.data.size, 1))  # divided by the count

    def var(self, axis=None, keepdims: bool = False) -> Tensor:
        """The variance divided by the count (NumPy's default, and batch and layer
        normalisation's): the mean of the squared distances to the mean. Made of ``-``, ``*``
        and ``mean``, so it needs no backward of its own."""
        centred = self - self.mean(axis=axis, keepdims=True)
        return (centred * centred).mean(axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        """The largest entry along ``axis`` (an int, a tuple of them, or None: all). The
        gradient goes to that entry alone; on a tie, to the first in row-major order, as
        ``MaxPool2D`` and PyTorch's max pooling do (``torch.amax`` would split it)."""
        axes = tuple(range(self.ndim)) if axis is None else tuple(
            a % self.ndim for a in np.atleast_1d(axis))
        out = self._result(self.data.max(axis=axes, keepdims=keepdims), (self,), "max")

        def _backward():  # the reduced axes moved to the end and flattened into one
            kept = [a for a in range(self.ndim) if a not in axes]
            order = kept + sorted(axes)
            flat = self.data.transpose(order).reshape(*(self.shape[a] for a in kept), -1)
            first = flat.argmax(axis=-1)[..., np.newaxis]  # argmax picks the first largest
            grad = np.zeros_like(flat)
            np.put_along_axis(grad, first, out.grad.reshape(first.shape), axis=-1)
            grad = grad.reshape([self.shape[a] for a in order]).transpose(np.argsort(order))
            add_grad(self, grad)

        out._backward = _backward
        return out

    # --- elementwise functions -------------------------------------------------------------------

    def _elementwise(self, value: np.ndarray, op: str, derivative: np.ndarray) -> Tensor:
        """A function applied entry by entry, with its ``value`` and its ``derivative`` at each
        entry (computed together, so each pair reads as in a textbook): the input's gradient is
        ``out.grad * derivative``."""
        out = self._result(value, (self,), op)

        def _backward():
            add_grad(self, out.grad * derivative)

        out._backward = _backward
        return out

    def exp(self) -> Tensor:
        e = np.exp(self.data)
        return self._elementwise(e, "exp", e)  # (e^x)' = e^x

    def log(self) -> Tensor:
        return self._elementwise(np.log(self.data), "log", 1 / self.data)  # (log x)' = 1/x

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        return self._elementwise(t, "tanh", 1 - t * t)  # (tanh x)' = 1 - tanh(x)^2

    def sigmoid(self) -> Tensor:
        s = sigmoid(self.data)
        return self._elementwise(s, "sigmoid", s * (1 - s))  # s' = s (1 - s)

    def relu(self) -> Tensor:
        x = self.data
        return self._elementwise(np.maximum(x, 0), "relu", (x > 0).astype(x.dtype))

    def sqrt(self) -> Tensor:
        r = np.sqrt(self.data)
        return self._elementwise(r, "sqrt", 0.5 / r)  # (sqrt x)' = 1 / (2 sqrt x)

    def abs(self) -> Tensor:
        return self._elementwise(np.abs(self.data), "abs", np.sign(self.data))

    def maximum(self, other) -> Tensor:
        """The larger of two tensors (or a tensor and a number), entry by entry. Where they tie,
        each gets half the gradient, as in PyTorch's ``torch.maximum``."""
        other = as_tensor(other)
        out = self._result(np.maximum(self.data, other.data), (self, other), "max")

        def _backward():
            share = (self.data > other.data) + 0.5 * (self.data == other.data)
            add_grad(self, out.grad * share)
            add_grad(other, out.grad * (1 - share))

        out._backward = _backward
        return out

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``z - log(sum e^z)`` along ``axis``, by ``scratchnn.functional.log_softmax``."""
        value = np.moveaxis(log_softmax(np.moveaxis(self.data, axis, -1)), -1, axis)
        out = self._result(value, (self,), "log_softmax")

        def _backward():  # dz = g - softmax(z) * sum(g) along the axis
            softmax = np.exp(out.data)
            add_grad(self, out.grad - softmax * out.grad.sum(axis=axis, keepdims=True))

        out._backward = _backward
        return out

    # --- indexing and shapes ---------------------------------------------------------------------

    def __getitem__(self, index) -> Tensor:
        """``x[rows, cols]``, ``x[1:3]``, ``x[:, 0]``: NumPy's indexing. The gradient goes back
        to the entries picked, added up where one is picked twice (``np.add.at``)."""
        out = self._result(self.data[index], (self,), "[]")

        def _backward():
            grad = np.zeros_like(self.data)
            np.add.at(grad, index, out.grad)
            add_grad(self, grad)

        out._backward = _backward
        return out

    def reshape(self, *shape) -> Tensor:
        out = self._result(self.data.reshape(*shape), (self,), "reshape")

        def _backward():
            add_grad(self, out.grad.reshape(self.shape))

        out._backward = _backward
        return out

    def transpose(self, *axes) -> Tensor:
        """NumPy's ``transpose``: the axes reversed, or in the order given."""
        axes = tuple(axes[0]) if len(axes) == 1 and not isinstance(axes[0], int) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        out = self._result(self.data.transpose(axes), (self,), "T")

        def _backward():  # the inverse permutation puts each axis back
            add_grad(self, out.grad.transpose(np.argsort(axes)))

        out._backward = _backward
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()

    # --- backpropagation ----------------------------------------------------------------------

    def backward(self, grad=None) -> None:
        """Add to ``grad`` of every Tensor this one depends on d(self)/d(that Tensor), weighted
        by ``grad`` (same shape as ``self``; 1 by default, for a scalar result)."""
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward() without a gradient needs a scalar result, this "
                                 f"Tensor has shape {self.shape}; call .sum() first, or pass "
                                 f"backward(grad) with grad of that shape")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"backward(grad) needs grad of shape {self.shape}, got {grad.shape}")
        if not self.requires_grad:
            raise ValueError("backward() on a Tensor that needs no gradient: none of its inputs "
                             "was created with requires_grad=True")
        order = topological_order(self)
        for node in order:
            if node._prev and node.requires_grad:
                node.grad = np.zeros_like(node.data)  # intermediate results start afresh
        self.grad = grad.copy()
        for node in reversed(order):
            if node.requires_grad:  # constants pass nothing back
                node._backward()


def einsum(subscripts: str, a, b) -> Tensor:
    """NumPy's ``einsum`` of two operands: a sum of products over the indices that leave,
    ``einsum("ik,kj->ij", x, W)`` is ``x @ W`` and ``einsum("ncijuv,fcuv->nfij", windows, W)``
    a convolution.

    The backward is the same sum, turned round: each product term ``a[..] * b[..]`` sends
    ``g[out] * b[..]`` to ``a[..]``, so ``da = einsum("out,b->a", g, b)`` (likewise ``db``).
    That holds when every index of an operand appears in the other operand or in the output,
    and none appears twice in one operand (no diagonals), which is what is accepted here."""
    a, b = as_tensor(a), as_tensor(b)
    inputs, arrow, output = subscripts.replace(" ", "").partition("->")
    sub_a, _, sub_b = inputs.partition(",")
    for sub, other in ((sub_a, sub_b + output), (sub_b, sub_a + output)):
        if (not arrow or not sub.isalpha() or len(set(sub)) != len(sub)
                or not set(sub) <= set(other)):
            raise ValueError(f"einsum takes two operands written 'ab,bc->ac', each index once "
                             f"per operand and found in the other operand or the output; got "
                             f"{subscripts!r}")
    out = a._result(np.einsum(subscripts, a.data, b.data, optimize=True), (a, b), "einsum")

    def _backward():
        add_grad(a, np.einsum(f"{output},{sub_b}->{sub_a}", out.grad, b.data, optimize=True))
        add_grad(b, np.einsum(f"{output},{sub_a}->{sub_b}", out.grad, a.data, optimize=True))

    out._backward = _backward
    return out


def add_grad(tensor: Tensor, grad: np.ndarray) -> None:
    """``tensor.grad += grad``, summed back over broadcast axes; nothing for a Tensor that needs
    no gradient."""
    if tensor.requires_grad:
        tensor.grad += unbroadcast(grad, tensor.shape)


def as_tensor(x) -> Tensor:
    """``x`` itself if it is a Tensor, else a Tensor of it that needs no gradient."""
    return x if isinstance(x, Tensor) else Tensor(x, requires_grad=False)
