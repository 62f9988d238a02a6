"""ONNX export: the same network as an ONNX graph, for any ONNX runtime.

* ``to_onnx(model, path)``: an ONNX graph (``MatMul`` + ``Add`` per ``Dense``, ``Conv``,
  ``MaxPool``, ``AveragePool``, ``BatchNormalization``, ``LayerNormalization``, ``Flatten``, a
  residual block's ``Add``, one node per activation), with scikit-learn's outputs for a
  classifier (``label``, ``probabilities``).
* ``register_skl2onnx()``: teaches ``skl2onnx.to_onnx`` to convert ``scratchnn.MLPClassifier``,
  alone or inside a ``Pipeline``.

Both write the graph through one description (``_emit_network`` and friends) and two writers:
the ``onnx`` helpers for ``to_onnx``, skl2onnx's scope and container for the converter.
onnx, onnxruntime and skl2onnx are optional: they are imported inside the functions that need
them. Every import here is absolute, so ``onnx`` always means the ONNX package, not this module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scratchnn.blocks import Residual
from scratchnn.bridges._shared import network_of, require
from scratchnn.conv import AvgPool2D, Conv1D, Conv2D, MaxPool2D
from scratchnn.layers import Dense, Dropout, Flatten, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from scratchnn.model import Sequential
from scratchnn.normalization import BatchNorm1D, BatchNorm2D, LayerNorm

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "register_skl2onnx", "to_onnx"]

DEFAULT_OPSET = 17  # widely supported by runtimes; every operator used here exists since 13
MIN_OPSET = 13  # from opset 13 on, Softmax(axis=1) means per row for any input rank


# --- ONNX: one description of the graph, two writers --------------------------------------------


class _OnnxGraph:
    """Collects nodes and constants with the ``onnx`` helpers (for ``to_onnx``)."""

    def __init__(self, onnx) -> None:
        self.onnx = onnx
        self.nodes: list = []
        self.initializers: list = []
        self._used: set[str] = set()

    def name(self, base: str) -> str:
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def const(self, base: str, array: np.ndarray) -> str:
        name = self.name(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: Sequence[str], base: str, *, out: str | None = None,
             **attrs) -> str:
        out = out or self.name(base)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out],
                                                     name=self.name(f"{op}_node"), **attrs))
        return out


class _Skl2onnxGraph:
    """The same interface on skl2onnx's scope and container (for the registered converter)."""

    def __init__(self, scope, container, onnx) -> None:
        self.scope, self.container, self.onnx = scope, container, onnx

    def name(self, base: str) -> str:
        return self.scope.get_unique_variable_name(base)

    def const(self, base: str, array: np.ndarray) -> str:
        array = np.asarray(array)
        name = self.name(base)
        if array.dtype.kind in "US":
            onnx_type, values = self.onnx.TensorProto.STRING, [str(v) for v in array.ravel()]
        else:
            onnx_type = self.onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
            values = array.ravel().tolist()
        self.container.add_initializer(name, onnx_type, list(array.shape), values)
        return name

    def node(self, op: str, inputs: Sequence[str], base: str, *, out: str | None = None,
             **attrs) -> str:
        out = out or self.name(base)
        self.container.add_node(op, list(inputs), [out],
                                name=self.scope.get_unique_operator_name(op), **attrs)
        return out


def _onnx_type(onnx, dtype) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _emit_network(g, x: str, network: Sequential, dtype: np.dtype,
                  opset: int | None = None) -> str:
    """The network's layers as nodes (see ``_emit_layer``); the graph is the network in eval
    mode. Returns the name of the output (the logits)."""
    return _emit_layers(g, x, network.layers, dtype, opset, "")


def _emit_layers(g, x: str, layers, dtype: np.dtype, opset: int | None, where: str) -> str:
    for index, layer in enumerate(layers):
        x = _emit_layer(g, x, layer, dtype, opset, f"{where}{index}")
    return x


_SUPPORTED = ("Dense, Conv2D, Conv1D, MaxPool2D, AvgPool2D, BatchNorm1D, BatchNorm2D, LayerNorm, "
              "Flatten, Residual, ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Dropout")


def _emit_layer(g, x: str, layer, dtype: np.dtype, opset: int | None, where: str) -> str:
    """One layer's nodes: ``MatMul`` + ``Add`` per ``Dense``; ``Conv``, ``MaxPool``,
    ``AveragePool``, ``Flatten``; ``BatchNormalization`` with the running statistics;
    ``LayerNormalization`` (opset 17 on; before, its formula in ``ReduceMean`` and friends); a
    residual block's nodes then ``Add`` of its input; a node per activation (a float64
    LeakyReLU is ``Max(x, Mul(x, slope))``). ``Dropout`` and ``Identity`` leave no node."""
    activations = {ReLU: "Relu", Tanh: "Tanh", Sigmoid: "Sigmoid"}
    kind, tag = type(layer), where.replace(".", "_")
    if kind is Dense:
        x = g.node("MatMul", [x, g.const(f"W{tag}", layer.W.astype(dtype))], f"matmul{tag}")
        return g.node("Add", [x, g.const(f"b{tag}", layer.b.astype(dtype))], f"dense{tag}")
    if kind in (Conv2D, Conv1D):
        axes = slice(None) if kind is Conv2D else slice(1, None)  # Conv1D: the width alone
        pads = list(layer.padding[axes])
        return g.node("Conv", [x, g.const(f"W{tag}", layer.W.astype(dtype)),
                               g.const(f"b{tag}", layer.b.astype(dtype))], f"conv{tag}",
                      kernel_shape=list(layer.kernel[axes]), strides=list(layer.stride[axes]),
                      pads=pads + pads)
    if kind in (MaxPool2D, AvgPool2D):
        op = "MaxPool" if kind is MaxPool2D else "AveragePool"
        return g.node(op, [x], f"pool{tag}", kernel_shape=list(layer.kernel),
                      strides=list(layer.stride))
    if kind is Flatten:
        return g.node("Flatten", [x], f"flatten{tag}", axis=1)
    if kind in (BatchNorm1D, BatchNorm2D):
        arrays = [layer.gamma, layer.beta, layer.running_mean, layer.running_var]
        names = [g.const(f"{name}{tag}", a.astype(dtype))
                 for name, a in zip(("gamma", "beta", "mean", "var"), arrays)]
        return g.node("BatchNormalization", [x, *names], f"batchnorm{tag}", epsilon=layer.eps)
    if kind is LayerNorm:
        return _emit_layer_norm(g, x, layer, dtype, opset, tag)
    if kind is Residual:
        inner = getattr(layer.block, "layers", [layer.block])
        out = _emit_layers(g, x, inner, dtype, opset, f"{where}.block.")
        return g.node("Add", [out, x], f"residual{tag}")
    if kind in activations:
        return g.node(activations[kind], [x], f"act{tag}")
    if kind is LeakyReLU and dtype == np.float32:
        return g.node("LeakyRelu", [x], f"act{tag}", alpha=layer.negative_slope)
    if kind is LeakyReLU:  # LeakyRelu's alpha is a float32: 0.01 would be off
        slope = g.const(f"slope{tag}", np.array(layer.negative_slope, dtype))
        return g.node("Max", [x, g.node("Mul", [x, slope], f"scaled{tag}")], f"act{tag}")
    if kind in (Dropout, Identity):
        return x
    raise TypeError(f"to_onnx cannot convert layer {where} ({kind.__name__}); supported: "
                    f"{_SUPPORTED}")


def _emit_layer_norm(g, x: str, layer: LayerNorm, dtype: np.dtype, opset: int | None,
                     tag: str) -> str:
    """``LayerNormalization`` from opset 17 on; before it, its formula
    ``(x - mean) / sqrt(var + eps) * gamma + beta`` over the last axes, node by node."""
    gamma = g.const(f"gamma{tag}", layer.gamma.astype(dtype))
    beta = g.const(f"beta{tag}", layer.beta.astype(dtype))
    axes = list(layer.axes)
    if opset is not None and opset >= 17:
        return g.node("LayerNormalization", [x, gamma, beta], f"layernorm{tag}", axis=axes[0],
                      epsilon=layer.eps)
    mean = g.node("ReduceMean", [x], f"mean{tag}", axes=axes, keepdims=1)
    centred = g.node("Sub", [x, mean], f"centred{tag}")
    var = g.node("ReduceMean", [g.node("Mul", [centred, centred], f"squares{tag}")],
                 f"var{tag}", axes=axes, keepdims=1)
    eps = g.const(f"eps{tag}", np.array(layer.eps, dtype))
    std = g.node("Sqrt", [g.node("Add", [var, eps], f"var_eps{tag}")], f"std{tag}")
    x_hat = g.node("Div", [centred, std], f"x_hat{tag}")
    return g.node("Add", [g.node("Mul", [x_hat, gamma], f"scaled{tag}"), beta], f"layernorm{tag}")


def _emit_classifier_head(g, logits: str, n_outputs: int, classes: np.ndarray, dtype: np.dtype,
                          *, label: str, probabilities: str) -> None:
    """scikit-learn's two outputs: ``label (N,)`` (a value of ``classes``) and
    ``probabilities (N, n_classes)``. The label is chosen from the logits, as ``predict`` does,
    so a probability rounded to 0.5 cannot flip it."""
    if n_outputs == 1:  # binary: p = sigmoid(z), probabilities [1 - p, p], class 1 where z > 0
        p = g.node("Sigmoid", [logits], "p_positive")
        q = g.node("Sub", [g.const("one", np.ones(1, dtype)), p], "p_negative")
        g.node("Concat", [q, p], "", out=probabilities, axis=1)
        positive = g.node("Greater", [logits, g.const("zero", np.zeros(1, dtype))], "positive")
        index = g.node("Cast", [positive], "index_2d", to=_onnx_type(g.onnx, np.int64))
        index = g.node("Reshape", [index, g.const("flat", np.array([-1], np.int64))], "index")
    else:
        g.node("Softmax", [logits], "", out=probabilities, axis=1)
        index = g.node("ArgMax", [logits], "index", axis=1, keepdims=0)
    g.node("Gather", [g.const("classes", classes), index], "", out=label, axis=0)


def _emit_preprocessing(g, x: str, dtype: np.dtype, standardize, features) -> str:
    """The CLI's preprocessing: ``(x - mean) / scale``, then the 2-D feature lift (both
    checked by ``_check_preprocessing``)."""
    if standardize is not None:
        mean, scale = (np.asarray(a, dtype=dtype) for a in standardize)
        x = g.node("Sub", [x, g.const("mean", mean)], "centred")
        x = g.node("Div", [x, g.const("scale", scale)], "standardized")
    if not features:
        return x
    column = {}
    for j in (0, 1):
        index = g.const(f"col{j}", np.array([j], np.int64))
        column[f"x{j + 1}"] = g.node("Gather", [x, index], f"x{j + 1}", axis=1)
    x1, x2 = column["x1"], column["x2"]
    recipes = {"x1": lambda: x1, "x2": lambda: x2,
               "x1^2": lambda: g.node("Mul", [x1, x1], "x1_sq"),
               "x2^2": lambda: g.node("Mul", [x2, x2], "x2_sq"),
               "x1*x2": lambda: g.node("Mul", [x1, x2], "x1_x2"),
               "sin(x1)": lambda: g.node("Sin", [x1], "sin_x1"),
               "sin(x2)": lambda: g.node("Sin", [x2], "sin_x2")}
    unknown = [name for name in features if name not in recipes]
    if unknown:
        raise ValueError(f"to_onnx: unknown feature {unknown[0]!r}; known: {', '.join(recipes)}")
    return g.node("Concat", [recipes[name]() for name in features], "lifted", axis=1)


def _check_preprocessing(network: Sequential, standardize, features) -> int:
    """The number of input columns of the graph, after checking that ``standardize`` and
    ``features`` fit the network's first ``Dense`` layer; a clear ``ValueError`` otherwise."""
    first = next(i for i, layer in enumerate(network.layers) if isinstance(layer, Dense))
    n_in = network.n_inputs
    if features and len(features) != n_in:
        raise ValueError(f"to_onnx: features lists {len(features)} columns but layer {first} "
                         f"(Dense) takes {n_in} inputs; give the features the model was "
                         "trained with")
    n_columns = 2 if features else n_in
    if standardize is None:
        return n_columns
    if len(standardize) != 2:
        raise ValueError("to_onnx: standardize must be (mean, scale)")
    mean, scale = (np.asarray(a, dtype=np.float64) for a in standardize)
    for name, values in (("mean", mean), ("scale", scale)):
        if values.shape != (n_columns,):
            inputs = "the 2 raw columns the features are computed from" if features else (
                f"the {n_in} inputs of layer {first} (Dense)")
            raise ValueError(f"to_onnx: standardize's {name} has shape {values.shape}, but the "
                             f"graph's input has {n_columns} columns ({inputs})")
        if not np.isfinite(values).all():
            raise ValueError(f"to_onnx: standardize's {name} holds a NaN or infinite value")
    zero = np.flatnonzero(scale == 0)
    if zero.size:
        raise ValueError(f"to_onnx: standardize's scale is 0 for column {int(zero[0])}; a "
                         "constant column cannot be divided by its spread: use 1 there")
    return n_columns


def _class_constant(classes) -> np.ndarray:
    """Class labels as ONNX can hold them: int64 for integer labels, strings otherwise."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f" and np.array_equal(classes, np.round(classes)):
        return classes.astype(np.int64)
    if classes.dtype.kind in "USO" and all(isinstance(c, str) for c in classes.tolist()):
        return classes.astype(str)
    raise ValueError(f"to_onnx: class labels must be integers or strings, got "
                     f"{classes.tolist()!r}; encode them as integers first")


def _checked_classes(classes, network: Sequential) -> np.ndarray:
    """The labels as an ONNX constant: one per output (two for one output), each once."""
    classes = _class_constant(classes)
    expected = 2 if network.n_outputs == 1 else network.n_outputs
    last = max(i for i, layer in enumerate(network.layers) if isinstance(layer, Dense))
    if len(classes) != expected:
        raise ValueError(f"to_onnx: {len(classes)} classes for a network with "
                         f"{network.n_outputs} outputs (from layer {last}, Dense; expected "
                         f"{expected} classes)")
    values, counts = np.unique(classes, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"to_onnx: class {values[counts > 1][0].item()!r} is given more than "
                         "once; each label names one output")
    return classes


def to_onnx(model, path: str | os.PathLike | None = None, *, opset: int = DEFAULT_OPSET,
            classes: Sequence | None = None, standardize: tuple | None = None,
            features: Sequence[str] | None = None, feature_names: Sequence[str] | None = None,
            input_shape: Sequence[int] | None = None, dtype=None):
    """Write ``model`` as an ONNX model (returns the ``onnx.ModelProto``; ``path=None`` only
    returns it).

    Parameters
    ----------
    model : Sequential, fitted MLPClassifier or fitted MLPRegressor
        A ``Sequential`` becomes ``X (N, n_in) -> output (N, n_out)``, the network's own output
        (logits); a network on images ``X (N, C, H, W) -> output`` (on sequences
        ``(N, C, L)``), the batch size ``N`` left open. A classifier (an ``MLPClassifier``,
        or a ``Sequential`` with ``classes``) gets scikit-learn's outputs as skl2onnx writes
        them with ``zipmap=False``: ``label (N,)`` and ``probabilities (N, n_classes)``. A
        regressor gets skl2onnx's ``variable (N, n_outputs)``: its predictions (``exp`` of the
        network's output for ``loss='poisson'``).
    path : str or PathLike, optional
        Where to write the file; written atomically (a temporary file, then a rename).
    opset : int, default 17
        The ONNX operator set (13 or newer).
    classes : sequence, optional
        Class labels of a ``Sequential`` classifier (one output: two classes, sigmoid;
        several outputs: softmax). Integers or strings.
    standardize : (mean, scale), optional
        Put ``(X - mean) / scale`` in front of the network (the CLI's standardisation).
    features : list of str, optional
        Then the CLI's 2-D feature lift (``x1``, ``x2``, ``x1^2``, ``x2^2``, ``x1*x2``,
        ``sin(x1)``, ``sin(x2)``), so the graph takes the raw columns.
    feature_names : list of str, optional
        Names of the input columns, recorded in the model's metadata (``feature_names``).
    input_shape : tuple of int, optional
        One sample's shape for a network on images, such as ``(1, 8, 8)``: the graph's input is
        then ``(N, 1, 8, 8)``. Without it the height and width are left open too.
    dtype : float32 or float64, optional
        The dtype of the input ``X``, of the weights in the graph and of the outputs (default:
        the network's). ``np.float32`` is what most ONNX users send (and what ``scratchnn
        export`` writes unless ``--dtype float64``); the weights are then rounded to float32.

    Raises
    ------
    ValueError
        For a request the graph could not honour, naming the layer it concerns: ``features``
        or ``standardize`` of another length than the first ``Dense`` layer's inputs, a scale
        of 0, class labels that repeat or do not match the outputs, a network without
        ``Dense`` layers.

    Notes
    -----
    The input ``X`` and the outputs have the same dtype, ``dtype`` (float32 or float64). Batch
    normalisation is written with its running statistics (the network in eval mode); layer
    normalisation as ``LayerNormalization`` from opset 17 on, node by node before.
    onnxruntime's CPU provider runs convolutions and poolings in float32 only.
    """
    onnx = require("onnx", "to_onnx")
    network = network_of(model)
    if isinstance(opset, bool) or not isinstance(opset, int) or not (
            MIN_OPSET <= opset <= onnx.defs.onnx_opset_version()):
        raise ValueError(f"opset must be an integer from {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()}, got {opset!r}")
    if not any(layer.parameters() for layer in network.layers):
        kinds = ", ".join(f"layer {i} ({type(layer).__name__})"
                          for i, layer in enumerate(network.layers)) or "no layers"
        raise ValueError(f"to_onnx: the network has no Dense layer ({kinds}); it needs one to "
                         "know its inputs and outputs")
    regressor = classes is None and not isinstance(model, Sequential) and not hasattr(
        model, "classes_")
    if classes is None and not isinstance(model, Sequential) and not regressor:
        classes = model.classes_
    if dtype is None:
        dtype = _network_dtype(network)
    elif np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"to_onnx: dtype must be float32 or float64, got {np.dtype(dtype)}")
    dtype = np.dtype(dtype)
    sample_in, sample_out = _sample_shapes(network, input_shape, standardize, features)
    g = _OnnxGraph(onnx)
    x = g.name("X")
    logits = _emit_network(g, _emit_preprocessing(g, x, dtype, standardize, features),
                           network, dtype, opset)
    elem = _onnx_type(onnx, dtype)
    make = onnx.helper.make_tensor_value_info
    if regressor:  # skl2onnx's name for a regressor's output; Poisson's log link undone
        op = "Exp" if getattr(model, "out_activation_", None) == "exp" else "Identity"
        output = g.node(op, [logits], "", out=g.name("variable"))
        outputs = [make(output, elem, [None, network.n_outputs])]
    elif classes is None:
        output = g.node("Identity", [logits], "", out=g.name("output"))
        outputs = [make(output, elem, [None, *sample_out])]
    else:
        classes = _checked_classes(classes, network)
        label, proba = g.name("label"), g.name("probabilities")
        _emit_classifier_head(g, logits, network.n_outputs, classes, dtype, label=label,
                              probabilities=proba)
        label_type = onnx.TensorProto.STRING if classes.dtype.kind == "U" else (
            onnx.TensorProto.INT64)
        outputs = [make(label, label_type, [None]), make(proba, elem, [None, len(classes)])]
    graph = onnx.helper.make_graph(g.nodes, "scratchnn", [make(x, elem, [None, *sample_in])],
                                   outputs, initializer=g.initializers)
    proto = onnx.helper.make_model(graph, producer_name="scratchnn",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    if feature_names is not None:
        onnx.helper.set_model_props(proto, {"feature_names": ",".join(map(str, feature_names))})
    onnx.checker.check_model(proto)
    if path is not None:
        _write_atomically(Path(path), proto.SerializeToString())
    return proto


def _network_dtype(network: Sequential) -> np.dtype:
    """The dtype the graph computes in: the widest of the layers' (float32 or float64)."""
    typed = [layer.dtype for layer in network.dense_layers] or [network.dtype]
    return np.result_type(*typed)


def _sample_shapes(network: Sequential, input_shape, standardize, features) -> tuple:
    """One sample's input and output shapes (None: any size), checked through the layers."""
    if network.takes_rows:
        return (_check_preprocessing(network, standardize, features),), (network.n_outputs,)
    if standardize is not None or features:
        raise ValueError("to_onnx: standardize and features apply to a network on rows of "
                         "features; this one takes images or sequences")
    sample = network.input_shape if input_shape is None else tuple(input_shape)
    if sample is None:
        raise ValueError("to_onnx: the network takes samples of any shape; give one sample's "
                         "shape, such as input_shape=(1, 8, 8)")
    return sample, network.output_shape(sample)


def _write_atomically(path: Path, data: bytes) -> None:
    from scratchnn._files import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    atomic_write(path, write, ".onnx")


# --- skl2onnx ------------------------------------------------------------------------------------


def register_skl2onnx() -> None:
    """Teach ``skl2onnx.to_onnx`` to convert ``scratchnn.MLPClassifier`` (alone or in a
    ``Pipeline``). Call it once before converting; calling it again is harmless.

    The classifier gets skl2onnx's usual outputs ``label`` and ``probabilities`` and accepts
    the usual options: ``zipmap`` (``False`` gives a plain tensor of probabilities) and
    ``nocl`` (``True`` gives class indices instead of the labels)."""
    require("skl2onnx", "register_skl2onnx")
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    from scratchnn.estimator import MLPClassifier

    update_registered_converter(MLPClassifier, "ScratchnnMLPClassifier",
                                calculate_linear_classifier_output_shapes,
                                _convert_classifier_for_skl2onnx,
                                options={"zipmap": [True, False, "columns"],
                                         "nocl": [True, False]})


def _convert_classifier_for_skl2onnx(scope, operator, container) -> None:
    """skl2onnx's converter: cast the input to the network's dtype if needed, run the network,
    and cast the probabilities to the type skl2onnx expects."""
    import onnx

    estimator = operator.raw_operator
    network = network_of(estimator)
    dtype = _network_dtype(network)
    g = _Skl2onnxGraph(scope, container, onnx)
    x = operator.inputs[0].full_name
    if _skl2onnx_dtype(operator.inputs[0].type) != dtype:
        x = g.node("Cast", [x], "X_cast", to=_onnx_type(onnx, dtype))
    logits = _emit_network(g, x, network, dtype)
    proba_dtype = _skl2onnx_dtype(operator.outputs[1].type) or np.dtype(np.float32)
    proba = operator.outputs[1].full_name
    inner = proba if proba_dtype == dtype else g.name("probabilities_net")
    classes = _class_constant(estimator.classes_)
    if scope.get_options(estimator, {"nocl": False})["nocl"]:
        classes = np.arange(len(classes), dtype=np.int64)
    _emit_classifier_head(g, logits, network.n_outputs, classes, dtype,
                          label=operator.outputs[0].full_name, probabilities=inner)
    if inner != proba:
        g.node("Cast", [inner], "", out=proba, to=_onnx_type(onnx, proba_dtype))


def _skl2onnx_dtype(tensor_type) -> np.dtype | None:
    names = {"FloatTensorType": np.float32, "DoubleTensorType": np.float64}
    found = names.get(type(tensor_type).__name__)
    return None if found is None else np.dtype(found)
