"""``Sequential``: layers applied one after another, and ``mlp`` to build one by sizes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from .conv import Conv2D
from .functional import sigmoid, softmax
from .init import as_generator
from .layers import ACTIVATIONS, Dense, Flatten, Layer
from .layers import activation as make_activation

# Inference runs in chunks of rows whose layer outputs take about this much memory, whatever the
# number of rows: MLPClassifier((256, 256)).predict on 300,000 rows needed 2.4 GB in one pass.
INFERENCE_BYTES = 64 * 2**20
_ROW_ALIGN = 64  # chunks are a multiple of this many rows (BLAS works in tiles of rows)


class Sequential:
    """A stack of layers: ``forward`` runs them in order, ``backward`` in reverse.

    Shapes: ``X (n, n_in) -> logits (n, n_out)`` where ``n_in`` is the first ``Dense``'s
    input size and ``n_out`` the last one's output size; a network that starts with a
    convolution takes images ``X (n, C, H, W)`` (or sequences ``(n, C, L)``) instead.
    """

    def __init__(self, layers: Iterable[Layer]):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {type(layer).__name__}")
        self.training = True
        self._pack_parameters()

    def _pack_parameters(self) -> None:
        """Move every parameter into one vector and every gradient into another, leaving each
        ``Dense``'s ``W``, ``b``, ``dW``, ``db`` as a window (a view) into them.

        Nothing changes for the layers, which still read and write their own arrays; but an
        optimizer can now update the whole network with a couple of NumPy calls instead of a
        couple per array (see ``_workspace.join_views``). Only done when every layer with
        parameters is a ``Dense`` of one dtype, each appearing once."""
        holders = [layer for layer in self.layers if layer.parameters()]
        dense = self.dense_layers
        if (not dense or holders != dense or len({id(d) for d in dense}) != len(dense)
                or len({d.dtype for d in dense}) != 1):
            return
        size = sum(d.W.size + d.b.size for d in dense)
        values, grads = np.empty(size, dense[0].dtype), np.zeros(size, dense[0].dtype)
        start = 0
        for layer in dense:
            for name, grad_name in (("W", "dW"), ("b", "db")):
                array = getattr(layer, name)
                stop = start + array.size
                window = values[start:stop].reshape(array.shape)
                window[...] = array
                setattr(layer, name, window)
                setattr(layer, grad_name, grads[start:stop].reshape(array.shape))
                start = stop

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (n, n_in) -> (n, n_out)``: each layer's ``forward`` in turn. The result is a new
        array, the caller's to keep."""
        out = X
        for layer in self.layers:
            out = layer.forward(out)
        return out

    __call__ = forward

    def backward(self, grad: np.ndarray, *, input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate ``grad = dL/dlogits (n, n_out)`` through every layer, filling each
        ``Dense``'s ``dW``/``db``. With ``input_grad=True`` also return ``dL/dX (n, n_in)``;
        training never needs it, so by default that last product is skipped (``None``)."""
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        first = self.layers[0]
        if not input_grad and isinstance(first, (Dense, Conv2D)):
            return first.backward(grad, input_grad=False)
        return first.backward(grad)

    def release(self) -> None:
        """Let every layer drop what it kept of the last forward pass (``Layer.release``):
        called after ``predict_logits`` and at the end of ``fit``, so a model at rest holds its
        parameters alone."""
        for layer in self.layers:
            layer.release()

    def chunk_rows(self, budget: int | None = None, sample_shape: tuple | None = None) -> int:
        """How many rows ``predict_logits`` runs at a time: each layer keeps its output
        ``(rows, width)``, and one temporary as wide as the widest layer comes on top, so a row
        costs ``itemsize * (sum of the output widths + widest)`` bytes (a convolution's widest
        temporary is its windows, ``C kh kw`` numbers per output position). A multiple of 64
        rows, at least 64. ``budget`` defaults to ``INFERENCE_BYTES`` (64 MB); ``sample_shape``
        is one sample's shape (needed for images: ``(C, H, W)``)."""
        budget = INFERENCE_BYTES if budget is None else budget
        per_row = self.bytes_per_sample(sample_shape)
        return max(_ROW_ALIGN, budget // per_row // _ROW_ALIGN * _ROW_ALIGN)

    def bytes_per_sample(self, sample_shape: tuple | None = None) -> int:
        """The memory a forward pass takes per sample (see ``chunk_rows``), for samples of
        ``sample_shape`` (default: ``input_shape``, which must then be fully known)."""
        shape = self.input_shape if sample_shape is None else tuple(sample_shape)
        if shape is None or None in shape:
            raise ValueError(f"the model takes samples of shape {_format_shape(shape)}; give "
                             "the shape of one sample, such as sample_shape=(1, 28, 28)")
        per_row, widest = 0, int(np.prod(shape))
        for layer in self.layers:
            windows = getattr(layer, "cols_per_sample", None)
            if windows is not None:
                widest = max(widest, windows(shape))
            shape = layer.output_shape(shape)
            per_row += int(np.prod(shape))
            widest = max(widest, int(np.prod(shape)))
        return (per_row + widest) * self.dtype.itemsize

    def predict_logits(self, X, *, chunk_rows: int | None = None) -> np.ndarray:
        """The network's output ``X (n, n_in) -> (n, n_out)`` (a new array) in evaluation mode,
        ``chunk_rows`` rows at a time (default ``self.chunk_rows()``, about 64 MB of layer
        outputs), so the memory it takes besides ``X`` and the result does not grow with ``n``.
        The mode is restored afterwards, and what the layers kept of the last chunk released.

        Inputs of up to ``chunk_rows`` rows take one ``forward``. Chunks change which BLAS
        kernel computes a row, so a chunked output may differ from a single pass in the last
        bits (about 1e-15 relative in float64), as outputs of differently sized batches do."""
        X = self._check_input(X)
        n = X.shape[0]
        rows = self.chunk_rows(sample_shape=X.shape[1:]) if chunk_rows is None else int(chunk_rows)
        was_training = self.training
        self.eval()
        try:
            if n <= rows:
                return self.forward(X)
            out = None
            for start in range(0, n, rows):
                logits = self.forward(X[start:start + rows])
                if out is None:
                    out = np.empty((n, *logits.shape[1:]), logits.dtype)
                out[start:start + rows] = logits
            return out
        finally:
            self.train(was_training)
            self.release()

    def activations(self, X) -> list[np.ndarray]:
        """Every layer's output for ``X (n, n_in)``, in evaluation mode (no dropout; the mode
        is restored after): a list as long as ``self.layers``, item ``i`` being the output of
        ``self.layers[i]``, ``(n, width)``, each a new array. The last item is the logits.

        What the plots, the estimators' ``activations`` and the playground draw: a hidden
        unit's pre-activation is the output of its ``Dense``, its activation the output of the
        layer after it."""
        out = self._check_input(X)
        was_training = self.training
        self.eval()
        try:
            outputs = []
            for layer in self.layers:
                out = layer.forward(out)
                outputs.append(out)
            return outputs
        finally:
            self.train(was_training)
            self.release()

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every ``(param, grad)`` pair, first layer first."""
        return [pair for layer in self.layers for pair in layer.parameters()]

    def train(self, mode: bool = True) -> Sequential:
        """Training mode (the default): dropout is active."""
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        """Evaluation mode: dropout passes its input through."""
        return self.train(False)

    @property
    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def n_inputs(self) -> int:
        """The number of input features of a network on rows (its first ``Dense``'s ``n_in``);
        for a network on images, ``input_shape`` says what it takes."""
        return self.dense_layers[0].n_in

    @property
    def input_shape(self) -> tuple[int | None, ...] | None:
        """One sample's shape, as the first layers require it: ``(n_in,)`` for a network that
        starts with ``Dense`` (after any activations), ``(C, None, None)`` for one that starts
        with ``Conv2D`` (None: any size); None when its first shape-changing layer (``Flatten``)
        takes any shape."""
        for layer in self.layers:
            shape = layer.input_shape
            if shape is not None:
                return shape
            if isinstance(layer, Flatten):
                return None
        return None

    @property
    def takes_rows(self) -> bool:
        """True for a network on rows of features ``(n, n_inputs)``; False for one on images
        or sequences (a convolution, a pooling or a ``Flatten`` first)."""
        shape = self.input_shape
        return shape is not None and len(shape) == 1

    def output_shape(self, input_shape: tuple) -> tuple:
        """One sample's output shape for one sample of input ``input_shape`` (``(1, 28, 28)``):
        each layer's ``output_shape`` in turn. A layer that cannot take what the one before
        gives raises a ``ValueError`` that names its position, the layer and both shapes."""
        shape = tuple(input_shape)
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except ValueError as error:
                raise ValueError(f"layer {i}: {error}") from None
        return shape

    @property
    def n_outputs(self) -> int:
        return self.dense_layers[-1].n_out

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the first layer that has one (float64 when none has)."""
        typed = [layer.dtype for layer in self.layers if isinstance(getattr(layer, "dtype", None),
                                                                     np.dtype)]
        return typed[0] if typed else np.dtype(np.float64)

    def n_parameters(self) -> int:
        """The number of trainable numbers: every ``W`` and ``b`` entry (``Dense(2, 4)`` has
        2 * 4 + 4 = 12)."""
        return sum(p.size for p, _ in self.parameters())

    def __len__(self) -> int:
        """The number of layers (activations count: ``mlp([2, 4, 1])`` has 3)."""
        return len(self.layers)

    def __getitem__(self, index):
        """``model[0]`` is the first layer, ``model[-1]`` the last; a slice such as
        ``model[:2]`` is a ``Sequential`` of those same layer objects (sharing their weights,
        which stay where they are: the whole model's optimizer keeps working)."""
        if not isinstance(index, slice):
            return self.layers[index]
        layers = self.layers[index]
        if not layers:
            raise IndexError(f"the slice {index} of a {len(self)}-layer model has no layers")
        part = Sequential.__new__(Sequential)  # no _pack_parameters: the layers stay packed
        part.layers, part.training = layers, self.training
        return part

    # --- predictions, for classification outputs ----------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities in evaluation mode (no dropout; the mode is restored after).

        One output (a sigmoid, as ``BinaryCrossEntropy`` assumes): ``X (n, n_in) -> (n,)``,
        the probability of class 1. ``k`` outputs (a softmax, as ``SoftmaxCrossEntropy``):
        ``X (n, n_in) -> (n, k)``, each row summing to 1."""
        logits = self.predict_logits(X)
        if logits.shape[1] == 1:
            return sigmoid(logits[:, 0])
        return softmax(logits)

    def predict(self, X) -> np.ndarray:
        """Class labels ``(n,)`` (integers): ``probability > 0.5`` for one output, the largest
        logit for several. In evaluation mode, as ``predict_proba``."""
        proba = self.predict_proba(X)
        return (proba > 0.5).astype(np.intp) if proba.ndim == 1 else proba.argmax(axis=1)

    def _check_input(self, X) -> np.ndarray:
        """``X`` as an array ``(n, n_inputs)`` of the model's dtype (a SciPy sparse matrix stays
        one, as CSR, which ``Dense`` multiplies as it is), or for a network on images
        ``(n, C, H, W)`` whose shape every layer can take; else a ``ValueError``."""
        if not self.takes_rows:
            try:
                X = np.asarray(X, dtype=self.dtype)
            except (TypeError, ValueError) as error:
                raise ValueError(f"X must be numeric: {error}") from None
            if X.ndim < 2:
                raise ValueError(f"X must hold one sample per row, of shape "
                                 f"{_format_shape(self.input_shape)}; got shape {X.shape}")
            self.output_shape(X.shape[1:])  # each layer checks what it is given
            return X
        if hasattr(X, "tocsr") and getattr(X, "ndim", 0) == 2 and X.shape[1] == self.n_inputs:
            return X.tocsr()
        try:
            X = np.asarray(X, dtype=self.dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"X must be numeric: {error}") from None
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array of shape (n_samples, {self.n_inputs}), got "
                             f"shape {X.shape}; reshape a single sample with X.reshape(1, -1)")
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"X has {X.shape[1]} features, but the model expects "
                             f"{self.n_inputs}")
        return X

    # --- looking inside -------------------------------------------------------------------

    def _rows(self, input_shape: tuple | None = None) -> list[tuple[str, str, int]]:
        """``(layer, output shape, parameter count)`` for each layer, for one sample of
        ``input_shape`` (default ``self.input_shape``; ``?`` for sizes not known)."""
        shape = self.input_shape if input_shape is None else tuple(input_shape)
        rows = []
        for i, layer in enumerate(self.layers):
            if shape is not None:
                try:
                    shape = layer.output_shape(shape)
                except ValueError as error:
                    if input_shape is not None:  # the caller's shape: say why it fails
                        raise ValueError(f"layer {i}: {error}") from None
                    shape = None
            count = sum(p.size for p, _ in layer.parameters())
            rows.append((repr(layer), _format_shape(shape), count))
        return rows

    def summary(self, print_fn=print, input_shape: tuple | None = None) -> None:
        """Print a table of the layers, their output shapes and parameter counts, and the
        total (as Keras' ``model.summary()``). ``print_fn`` receives the whole table as one
        string (``summary(print_fn=lines.append)`` keeps it). ``input_shape`` is one sample's
        shape, such as ``(1, 28, 28)`` for a network on images: the output shapes are then
        known in full (without it an image's height and width show as ``?``)."""
        rows = [("layer", "output shape", "parameters")]
        for name, shape, count in self._rows(input_shape):
            first, *rest = name.split("\n")  # a block (Residual) lists its layers below it
            rows += [(first, shape, f"{count:,}")] + [(line, "", "") for line in rest]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        rule = "  ".join("-" * w for w in widths)
        lines = [f"{rows[0][0]:<{widths[0]}}  {rows[0][1]:<{widths[1]}}  {rows[0][2]:>{widths[2]}}",
                 rule]
        lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}".rstrip()
                  for a, b, c in rows[1:]]
        shape = self.input_shape if input_shape is None else tuple(input_shape)
        lines += [rule, f"total: {self.n_parameters():,} parameters ({self.dtype.name}); "
                  f"input shape {_format_shape(shape)}, n = number of samples"]
        print_fn("\n".join(lines))

    def __repr__(self) -> str:
        rows = self._rows()
        width = max(len(name.split("\n")[0]) for name, _, _ in rows) + 1
        inner = []
        for name, shape, count in rows:
            note = f"-> {shape}" + (f", {count:,} parameters" if count else "")
            # a block (Residual) spans lines: the note goes on its first, its layers go below
            first, *rest = f"{name},".split("\n")
            inner.append(f"    {first:<{width}}  # {note}")
            inner += [f"    {line}" for line in rest]
        body = "\n".join(inner)
        return f"Sequential([\n{body}\n])  # {self.n_parameters():,} parameters"

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter array, in ``parameters()`` order."""
        return [p.copy() for p, _ in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy ``weights`` (as from ``get_weights``) into the parameters, in place."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"expected {len(params)} arrays, got {len(weights)}")
        for (p, _), w in zip(params, weights):
            if np.shape(w) != p.shape:
                raise ValueError(f"weight of shape {np.shape(w)} does not fit a parameter of "
                                 f"shape {p.shape}")
            np.copyto(p, w)

    def _named_arrays(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer (BatchNorm's running statistics) by name, not copied."""
        return {f"{i}.{name}": array for i, layer in enumerate(self.layers)
                for name, array in [*layer.named_parameters(), *layer.named_buffers()]}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter by name, as new arrays (safe to keep): ``{"0.W": ..., "0.b": ...,
        "2.W": ...}``, the number being the layer's index in ``self.layers`` (PyTorch's
        ``"0.weight"``; our ``W`` is ``(n_in, n_out)``, PyTorch's weight its transpose), then
        each layer's buffers (``"1.running_mean"``, ``"1.running_var"`` of a BatchNorm)."""
        return {key: array.copy() for key, array in self._named_arrays().items()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Copy the arrays of ``state_dict`` (as ``state_dict()`` gives) into the parameters, in
        place (an optimizer over ``parameters()`` keeps working). Every parameter and buffer
        must be given, with its shape, and nothing else: a ``ValueError`` names what is missing,
        unexpected or of the wrong shape."""
        own = self._named_arrays()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if missing or unexpected:
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys "
                             f"{unexpected}; the model has {list(own)}")
        for key, array in own.items():
            value = np.asarray(state_dict[key])
            if value.shape != array.shape:
                raise ValueError(f"load_state_dict: {key} has shape {value.shape}, the model's "
                                 f"parameter {array.shape}")
            np.copyto(array, value)

    def reset_parameters(self, rng=None) -> None:
        """A fresh start, in place: every ``Dense`` and convolution draws new weights from
        ``rng``, every normalisation goes back to ``gamma = 1``, ``beta = 0`` and fresh running
        statistics, inside residual blocks too."""
        rng = as_generator(rng)
        for layer in self.layers:
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters(rng)


def _format_shape(shape: tuple | None) -> str:
    """``(n, 8, 26, 26)`` for one sample's shape ``(8, 26, 26)``; ``?`` for a size not known."""
    if shape is None:
        return "(n, ?)"
    return "(" + ", ".join(["n", *("?" if d is None else str(d) for d in shape)]) + ")"



def mlp(sizes: Sequence[int], activation: str = "relu", *, rng=None, init: str | None = None,
        dtype=np.float64) -> Sequential:
    """A multilayer perceptron: ``Dense`` layers of the given sizes with an activation between
    them and none after the last (the loss takes logits).

    ``mlp([2, 4, 1])`` is ``Dense(2, 4), ReLU(), Dense(4, 1)``. ``init`` defaults to He for
    ReLU-like activations and Glorot otherwise.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    if activation not in ACTIVATIONS:
        make_activation(activation)  # raises the error that lists the choices
    if init is None:
        init = "he" if activation in ("relu", "leaky_relu") else "glorot"
    rng = as_generator(rng)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(Dense(n_in, n_out, rng=rng, init=init, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation))
    return Sequential(layers)
