"""Automatic differentiation, written to be read: ``Value`` (one number, after micrograd),
``Tensor`` (the same over NumPy arrays, with ``einsum``), its image operations ``pad``,
``windows``, ``conv2d`` and ``conv1d``, ``topological_order`` (the order ``backward`` walks)
and ``draw`` (a graph as SVG).

Read ``value.py`` first: every operation's backward sits next to its forward. The tests use
``Tensor`` as a second oracle for the library's hand-written ``backward`` methods.
"""

from .draw import draw
from .tensor import Tensor, einsum
from .tensor_images import conv1d, conv2d, pad, windows
from .value import Value, topological_order

__all__ = ["Tensor", "Value", "conv1d", "conv2d", "draw", "einsum", "pad", "topological_order",
           "windows"]
