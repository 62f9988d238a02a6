"""A scalar autograd engine, after Karpathy's micrograd: read this first.

A ``Value`` holds one number and remembers how it was made: from which Values (``_prev``), by
which operation (``_op``), and how to pass a gradient back to them (``_backward``). Every
operation below builds a new Value and, right next to the forward formula, the closure that
applies the chain rule for it: ``child.grad += (local derivative) * out.grad``.

``root.backward()`` then visits the graph from the root back to the leaves, in the reverse of
``topological_order(root)``, so that each node's gradient is complete before it is passed on::

    a, b = Value(2.0), Value(-3.0)
    c = a * b + a          # c = a b + a = -4
    c.backward()
    a.grad, b.grad         # (b + 1, a) = (-2.0, 2.0)

Gradients *accumulate* (``+=``): a Value used twice receives both contributions, and a second
``backward()`` adds to the leaves' gradients, as in PyTorch. Set ``leaf.grad = 0.0`` between
training steps.
"""

from __future__ import annotations

import math
import numbers

from ..functional import sigmoid


class Value:
    """One number in a computation, and the gradient of the final result with respect to it.

    ``data``: the number (a float). ``grad``: d(root)/d(this Value), filled by
    ``root.backward()`` (0 before). ``_prev``: the Values this one was computed from (a tuple
    without repeats; micrograd uses a set, a tuple keeps the same order on every run).
    ``_op``: the operation's name, for drawing. ``_backward``: the chain rule for this node.
    """

    def __init__(self, data: float, _children: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(dict.fromkeys(_children))  # x * x has one child, x
        self._op = _op
        self._backward = lambda: None  # a leaf has no one to pass its gradient to

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # --- the two basic operations; the others are made of them where that is exact --------------

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        """``self ** k`` for a plain number ``k`` (not a Value)."""
        if not isinstance(k, numbers.Real):
            raise TypeError(f"Value ** k takes a number k, got {type(k).__name__}")
        out = Value(self.data**k, (self,), f"**{k:g}")

        def _backward():  # d(a^k)/da = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    # --- functions of one Value ---------------------------------------------------------------

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d(e^a)/da = e^a, the output itself
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """The natural logarithm; ``data`` must be positive."""
        if not self.data > 0:
            raise ValueError(f"log needs a positive number, got {self.data:g}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():  # d(log a)/da = 1 / a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():  # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():  # 1 where a > 0, else 0
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """``1 / (1 + e^-a)``, computed stably by ``scratchnn.functional.sigmoid``."""
        out = Value(float(sigmoid(self.data)), (self,), "sigmoid")

        def _backward():  # d(sigmoid a)/da = s (1 - s)
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    # --- the rest of arithmetic, from the operations above ----------------------------------------

    def __neg__(self) -> Value:  # -a
        return self * -1

    def __sub__(self, other: Value | float) -> Value:  # a - b
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:  # a / b = a * b^-1
        return self * other**-1

    def __radd__(self, other: float) -> Value:  # 2 + a
        return self + other

    def __rsub__(self, other: float) -> Value:  # 2 - a
        return other + (-self)

    def __rmul__(self, other: float) -> Value:  # 2 * a
        return self * other

    def __rtruediv__(self, other: float) -> Value:  # 2 / a
        return other * self**-1

    # --- backpropagation ------------------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``grad`` of every Value this one depends on with d(self)/d(that Value).

        The root's gradient is 1 (d self / d self); each node, visited after every node that
        uses it, passes its gradient on to its children. Intermediate results start from 0,
        so only the leaves accumulate across calls."""
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, and ``root`` itself (last), each after all its children:
    the leaves come first. ``backward()`` walks this list backwards.

    A depth-first search: a node is appended once all its children (``_prev``, in order) have
    been. It is the textbook recursive function::

        def visit(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

    written with a stack of its own, so a long chain (a sum of thousands of terms) does not hit
    Python's recursion limit. Works for any node with ``_prev``: a ``Value`` or a ``Tensor``."""
    order, visited = [], set()
    stack = [(root, False)]  # (node, its children are done)
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back once every child below is done
            stack.extend((child, False) for child in reversed(node._prev) if child not in visited)
    return order
