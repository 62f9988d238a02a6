"""``Residual``: a block whose input is added to its output, ``y = block(x) + x`` (He et al.,
2016), so that a deep network can learn small corrections to the identity, and its gradient
reaches the first layers undiminished.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer


class Residual(Layer):
    """``y = block(x) + x``: ``block`` is a ``Sequential`` (or one layer) whose output has the
    shape of its input, ``x (n, ...) -> y (n, ...)``.

    Its parameters are the block's. ``backward`` sums the two paths the gradient takes back to
    ``x``: through the block, and straight along the shortcut,
    ``dL/dx = block.backward(grad) + grad``.
    """

    def __init__(self, block):
        super().__init__()
        if not (hasattr(block, "forward") and hasattr(block, "backward")
                and hasattr(block, "parameters")):
            raise TypeError(f"Residual takes a Sequential or a layer, got {type(block).__name__}")
        self.block = block

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.block.forward(x)
        if getattr(out, "shape", None) != np.shape(x):
            raise ValueError(f"Residual: the block turns input of shape {np.shape(x)} into "
                             f"{np.shape(out)}; to add its input to its output the two shapes "
                             "must be equal")
        return out + x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if hasattr(self.block, "layers"):  # a Sequential: ask it for the input gradient too
            through_block = self.block.backward(grad, input_grad=True)
        else:
            through_block = self.block.backward(grad)
        return through_block + grad  # the shortcut passes grad on unchanged

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return self.block.parameters()

    def _named(self, kind: str) -> list[tuple[str, np.ndarray]]:
        """``block.0.W``-style names for the block's parameters or buffers (PyTorch's)."""
        layers = getattr(self.block, "layers", None)
        if layers is None:
            return [(f"block.{name}", array) for name, array in getattr(self.block, kind)()]
        return [(f"block.{i}.{name}", array) for i, layer in enumerate(layers)
                for name, array in getattr(layer, kind)()]

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        return self._named("named_parameters")

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        return self._named("named_buffers")

    def reset_parameters(self, rng=None) -> None:
        """A fresh start for the block's layers (``Sequential.reset_parameters``)."""
        if hasattr(self.block, "reset_parameters"):
            self.block.reset_parameters(rng)

    def release(self) -> None:
        super().release()
        self.block.release()

    def train(self, mode: bool = True) -> Residual:
        self.training = mode
        self.block.train(mode)
        return self

    @property
    def input_shape(self):
        return self.block.input_shape

    def output_shape(self, input_shape: tuple) -> tuple:
        inner = self.block.output_shape(input_shape)
        if len(inner) != len(input_shape) or any(
                a is not None and b is not None and a != b for a, b in zip(inner, input_shape)):
            raise ValueError(f"Residual: its block turns one sample of shape {input_shape} into "
                             f"{inner}; they must be equal")
        return tuple(input_shape)

    def __repr__(self) -> str:
        """One layer per line, indented, as the code that builds it (PyTorch prints nested
        modules the same way)::

            Residual(Sequential([
                Dense(4, 4),
                Tanh(),
            ]))
        """
        layers = getattr(self.block, "layers", None)
        if layers is None:
            return f"Residual({self.block!r})"
        # a layer's repr may itself span lines (a Residual inside): indent each of its lines
        body = "".join(f"\n    {line}" for layer in layers for line in f"{layer!r},".split("\n"))
        return f"Residual(Sequential([{body}\n]))"
