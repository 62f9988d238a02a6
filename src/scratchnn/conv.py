"""Convolutions and pooling on images ``(n, C, H, W)`` and sequences ``(n, C, L)``, in PyTorch's
layout: ``Conv2D``, ``Conv1D``, ``MaxPool2D``, ``AvgPool2D``.

A convolution slides ``out_channels`` filters, each ``(in_channels, kh, kw)``, over the image
and takes one dot product per position::

    y[s, f, i, j] = b[f] + sum over c, u, v of  W[f, c, u, v] * x[s, c, i*sh + u, j*sw + v]

(on the input padded with ``padding`` zeros). ``textbook.conv2d`` writes that sum as loops;
here the windows are first copied into the rows of one matrix (``_im2col.im2col``), so the
sum over ``c, u, v`` is one matrix product with the filters, as in ``Dense``. The arrays that
``forward`` and ``backward`` return are new ones, the caller's to keep.
"""

from __future__ import annotations

import numpy as np

from ._im2col import col2im, im2col, output_size, scatter_max, scatter_windows, window_max, windows
from ._workspace import column_sums
from .init import as_generator, get_initializer
from .layers import Layer, describe_shape


def _pair(value, name: str, owner: str, low: int) -> tuple[int, int]:
    """An int or a pair of ints (each ``>= low``) as a pair."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 and v >= low for v in pair):
        raise ValueError(f"{owner}: {name} must be an integer >= {low} or a pair of them, "
                         f"got {value!r}")
    return int(pair[0]), int(pair[1])


def _window_positions(layer, H: int | None, W: int | None) -> tuple[int | None, int | None]:
    """``(Ho, Wo)``: how many times the kernel fits along each axis (None stays None), or a
    ``ValueError`` when it does not fit at all."""
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    Ho = None if H is None else output_size(H, kh, sh, ph)
    Wo = None if W is None else output_size(W, kw, sw, pw)
    if (Ho is not None and Ho < 1) or (Wo is not None and Wo < 1):
        size = f"{H}x{W}" if layer.spatial == 2 else f"{W}"
        kernel = f"{kh}x{kw}" if layer.spatial == 2 else f"{kw}"
        padded = f"{H + 2 * ph}x{W + 2 * pw}" if layer.spatial == 2 else f"{W + 2 * pw}"
        raise ValueError(f"{layer!r}: its {kernel} kernel is larger than its input of size "
                         f"{size} (padded: {padded}); use a smaller kernel, more padding, or "
                         "larger inputs (or drop a pooling layer before it)")
    return Ho, Wo


class Conv2D(Layer):
    """A 2-D convolution: ``out_channels`` learned filters slid over the image.

    Shapes: ``x (n, C, H, W) -> y (n, F, Ho, Wo)`` with ``C = in_channels``,
    ``F = out_channels``, ``Ho = (H + 2 ph - kh) // sh + 1`` (``Wo`` likewise);
    ``W (F, C, kh, kw)`` and ``b (F,)``, PyTorch's layout.

    ``y[s, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xpad[s, c, i sh + u, j sw + v]``.
    After ``backward``, ``dW`` and ``db`` hold the gradients (written in place, so the pairs
    handed to an optimizer stay valid). ``init`` draws ``W`` as ``Dense`` does with
    ``n_in = C * kh * kw`` (the fan-in of one output) and ``n_out = F``.
    """

    spatial = 2  # the number of spatial axes (Conv1D: 1)
    cols: np.ndarray | None = None  # the last forward's windows, one per row (see _im2col)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, *, stride=1,
                 padding=0, rng=None, init="he", dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: {what} must be a positive integer, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = _pair(stride, "stride", name, 1)
        self.padding = _pair(padding, "padding", name, 0)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"{name}: dtype must be float32 or float64, got {self.dtype}")
        self.init = init
        self._initializer = get_initializer(init)
        self.W = np.empty((self.out_channels, self.in_channels, *self.kernel_shape), self.dtype)
        self.b = np.empty(self.out_channels, self.dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.reset_parameters(rng)

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return self.kernel

    def reset_parameters(self, rng=None) -> None:
        """Draw fresh filters (in place) and zero the biases."""
        fan_in = self.W[0].size
        drawn = self._initializer(fan_in, self.out_channels, as_generator(rng), self.dtype)
        self.W[...] = drawn.T.reshape(self.W.shape)  # column f of (fan_in, F) is filter f
        self.b[...] = 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (n, C, H, W) -> y (n, F, Ho, Wo)``: every window times every filter, plus ``b``."""
        images = self._checked_input(x)  # (n, C, H, W)
        n, _, H, W = self.x_shape = images.shape
        Ho, Wo = _window_positions(self, H, W)
        self.cols = im2col(images, self.kernel, self.stride, self.padding)  # (n Ho Wo, C kh kw)
        filters = self.W.reshape(self.out_channels, -1)  # (F, C kh kw): a filter per row
        y = self.cols @ filters.T  # (n Ho Wo, F): one dot product per window, filter
        y = y.reshape(n, Ho, Wo, self.out_channels).transpose(0, 3, 1, 2)  # a view
        y = np.add(y, self.b[:, None, None], order="C")  # + b, as a new (n, F, Ho, Wo) array
        return y.reshape(self._output_dims(n, Ho, Wo))

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """``grad = dL/dy (n, F, Ho, Wo) -> dL/dx (n, C, H, W)``, after writing
        ``dW[f] = sum over windows of grad[f] * window`` and ``db[f] = sum of grad[f]`` in
        place; ``dL/dx`` adds each window's ``grad . W`` back onto its pixels. With
        ``input_grad=False`` that last step is skipped (``None``)."""
        if self.cols is None or getattr(grad, "shape", None) != self._last_output_shape():
            raise self._backward_error(grad, None if self.cols is None
                                       else self._last_output_shape())
        F = self.out_channels
        per_window = np.moveaxis(grad, 1, -1).reshape(-1, F)  # (n Ho Wo, F)
        filters = self.W.reshape(F, -1)
        # dW = grad^T windows. Not np.matmul(..., out=dW): with a transposed operand and out=
        # NumPy left BLAS's fast path, 5x slower on one thread and far worse on several.
        self.dW.reshape(F, -1)[...] = per_window.T @ self.cols
        column_sums(per_window, out=self.db)  # db = grad summed over samples and positions
        if not input_grad:
            return None
        d_windows = per_window @ filters  # (n Ho Wo, C kh kw): each window's gradient
        dx = col2im(d_windows, self.x_shape, self.kernel, self.stride, self.padding)
        return dx.reshape(self._input_dims(dx.shape))

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.W, self.dW), (self.b, self.db)]

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        return [("W", self.W), ("b", self.b)]

    def release(self) -> None:
        super().release()
        self.__dict__.pop("cols", None)

    # --- shapes ------------------------------------------------------------------------------

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """One sample's shape: ``(C, None, None)`` (any height and width)."""
        return (self.in_channels,) + (None,) * self.spatial

    def output_shape(self, input_shape: tuple) -> tuple:
        """One sample's output shape ``(F, Ho, Wo)`` for an input ``(C, H, W)`` (None: any)."""
        if len(input_shape) != 1 + self.spatial or input_shape[0] not in (None, self.in_channels):
            raise ValueError(f"{self!r} expects input of shape {self._expected()}, got "
                             f"(n, {', '.join('?' if d is None else str(d) for d in input_shape)})")
        H, W = (None, *input_shape[1:]) if self.spatial == 1 else input_shape[1:]
        Ho, Wo = _window_positions(self, 1 if self.spatial == 1 else H, W)
        return (self.out_channels, Wo) if self.spatial == 1 else (self.out_channels, Ho, Wo)

    def cols_per_sample(self, input_shape: tuple) -> int:
        """How many numbers ``forward`` copies per sample into its windows (``C kh kw`` per
        output position): the largest temporary it makes."""
        _, *positions = self.output_shape(input_shape)
        return int(np.prod(positions)) * self.W[0].size

    def _expected(self) -> str:
        return f"(n, {self.in_channels}, H, W)"

    def _checked_input(self, x) -> np.ndarray:
        """``x`` as an array ``(n, C, H, W)`` (Conv1D: ``(n, C, L)`` as ``(n, C, 1, L)``), or a
        ``ValueError`` naming the layer and the shapes."""
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"{self!r} expects numbers, got an array of dtype {x.dtype}")
        if x.ndim != 2 + self.spatial or x.shape[1] != self.in_channels:
            hint = ""
            if x.ndim == 1 + self.spatial and x.shape[0] == self.in_channels:
                hint = "; for one sample use x[np.newaxis]"
            elif x.ndim == 1 + self.spatial and self.in_channels == 1:
                hint = "; for n one-channel samples use x[:, np.newaxis]"
            raise ValueError(f"{self!r} expects input of shape {self._expected()}, got "
                             f"{describe_shape(x)}{hint}")
        return x if self.spatial == 2 else x[:, :, np.newaxis, :]  # Conv1D: one pixel high

    def _output_dims(self, n: int, Ho: int, Wo: int) -> tuple[int, ...]:
        return (n, self.out_channels, Ho, Wo)

    def _input_dims(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def _last_output_shape(self) -> tuple[int, ...]:
        n, _, H, W = self.x_shape
        return self._output_dims(n, *_window_positions(self, H, W))

    def __repr__(self) -> str:
        kernel = self.kernel[0] if self.kernel[0] == self.kernel[1] else self.kernel
        args = [str(self.in_channels), str(self.out_channels), str(kernel)]
        for name in ("stride", "padding"):
            value = getattr(self, name)
            if value != ((1, 1) if name == "stride" else (0, 0)):
                args.append(f"{name}={value[0] if value[0] == value[1] else value}")
        if self.dtype != np.float64:
            args.append(f"dtype={self.dtype.name}")
        return f"{type(self).__name__}({', '.join(args)})"


class Conv1D(Conv2D):
    """A 1-D convolution over sequences: ``x (n, C, L) -> y (n, F, Lo)``,
    ``Lo = (L + 2 p - k) // s + 1``; ``W (F, C, k)``, ``b (F,)`` (PyTorch's ``Conv1d``).

    ``y[s, f, i] = b[f] + sum_{c, u} W[f, c, u] * xpad[s, c, i stride + u]``: ``Conv2D`` on
    images one pixel high, which is how it is computed."""

    spatial = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, rng=None, init="he", dtype=np.float64):
        for name, value in (("kernel_size", kernel_size), ("stride", stride),
                            ("padding", padding)):
            if isinstance(value, (tuple, list)):
                raise ValueError(f"Conv1D: {name} must be an integer, got {value!r}")
        kernel_size = _pair(kernel_size, "kernel_size", "Conv1D", 1)[0]
        stride = _pair(stride, "stride", "Conv1D", 1)[0]
        padding = _pair(padding, "padding", "Conv1D", 0)[0]
        super().__init__(in_channels, out_channels, (1, kernel_size), stride=(1, stride),
                         padding=(0, padding), rng=rng, init=init, dtype=dtype)

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return (self.kernel[1],)

    def _expected(self) -> str:
        return f"(n, {self.in_channels}, L)"

    def _output_dims(self, n: int, Ho: int, Wo: int) -> tuple[int, ...]:
        return (n, self.out_channels, Wo)

    def _input_dims(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (shape[0], shape[1], shape[3])

    def __repr__(self) -> str:
        args = [str(self.in_channels), str(self.out_channels), str(self.kernel[1])]
        if self.stride[1] != 1:
            args.append(f"stride={self.stride[1]}")
        if self.padding[1]:
            args.append(f"padding={self.padding[1]}")
        if self.dtype != np.float64:
            args.append(f"dtype={self.dtype.name}")
        return f"Conv1D({', '.join(args)})"


class _Pool2D(Layer):
    """What both poolings share: the windows, the shapes, the checks."""

    spatial = 2
    padding = (0, 0)
    x_shape: tuple[int, ...] | None = None

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        name = type(self).__name__
        self.kernel = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel if stride is None else _pair(stride, "stride", name, 1)

    def _windows(self, x) -> np.ndarray:
        """The windows of ``x (n, C, H, W)``: a view ``(n, C, Ho, Wo, kh, kw)``."""
        x = np.asarray(x)
        if x.ndim != 4 or x.dtype.kind not in "biuf":
            raise ValueError(f"{self!r} expects input of shape (n, C, H, W), got "
                             f"{describe_shape(x)}")
        _window_positions(self, x.shape[2], x.shape[3])  # the kernel fits, or a clear error
        self.x_shape = x.shape
        return windows(x, self.kernel, self.stride)

    def _check_grad(self, grad) -> None:
        if self.x_shape is None:
            raise self._backward_error(grad, None)
        n, C, H, W = self.x_shape
        expected = (n, C, *_window_positions(self, H, W))
        if getattr(grad, "shape", None) != expected:
            raise self._backward_error(grad, expected)

    def release(self) -> None:
        super().release()
        for name in ("x_shape", "argmax"):
            self.__dict__.pop(name, None)

    @property
    def input_shape(self) -> tuple[None, None, None]:
        return (None, None, None)

    def output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 3:
            raise ValueError(f"{self!r} expects input of shape (n, C, H, W), got "
                             f"(n, {', '.join('?' if d is None else str(d) for d in input_shape)})")
        return (input_shape[0], *_window_positions(self, *input_shape[1:]))

    def __repr__(self) -> str:
        kernel = self.kernel[0] if self.kernel[0] == self.kernel[1] else self.kernel
        stride = "" if self.stride == self.kernel else (
            f", stride={self.stride[0] if self.stride[0] == self.stride[1] else self.stride}")
        return f"{type(self).__name__}({kernel}{stride})"


class MaxPool2D(_Pool2D):
    """The largest value of each ``kernel_size`` window, windows ``stride`` apart (default:
    ``kernel_size``, side by side): ``x (n, C, H, W) -> y (n, C, Ho, Wo)``,
    ``Ho = (H - kh) // sh + 1``. ``y[s, c, i, j] = max_{u, v} x[s, c, i sh + u, j sw + v]``;
    the gradient flows to each window's largest entry alone (the first, on a tie)."""

    argmax: np.ndarray | None = None  # where each window's largest entry is (0 .. kh kw - 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        view = self._windows(x)  # (n, C, Ho, Wo, kh, kw)
        largest, self.argmax = window_max(view)  # (n, C, Ho, Wo) each
        return largest

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """``dL/dy (n, C, Ho, Wo) -> dL/dx (n, C, H, W)``: each window's gradient goes to the
        entry that was its maximum; the other entries get nothing."""
        self._check_grad(grad)
        return scatter_max(grad, self.argmax, self.x_shape, self.kernel, self.stride)


class AvgPool2D(_Pool2D):
    """The mean of each ``kernel_size`` window, windows ``stride`` apart (default:
    ``kernel_size``): ``x (n, C, H, W) -> y (n, C, Ho, Wo)``,
    ``y[s, c, i, j] = mean_{u, v} x[s, c, i sh + u, j sw + v]``; each entry of a window gets
    ``1 / (kh kw)`` of the window's gradient."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._windows(x).mean(axis=(4, 5))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """``dL/dy (n, C, Ho, Wo) -> dL/dx (n, C, H, W)``: ``grad / (kh kw)`` to every entry of
        each window (overlapping windows add up)."""
        self._check_grad(grad)
        kh, kw = self.kernel
        share = np.broadcast_to((grad / (kh * kw))[..., np.newaxis, np.newaxis],
                                (*grad.shape, kh, kw))
        return scatter_windows(share, self.x_shape, self.stride)
