"""One point's arithmetic: what the network computes for it, and the gradient of its loss.

When the page inspects a point, every frame carries, for that point alone: each ``Dense``
layer's input sum ``z = a_prev @ W + b`` and activation ``a``, the point's loss, and the
gradient of that loss with respect to every ``W`` and ``b``. The numbers come from the real
layers' ``forward`` and ``backward``, the same code that trains the network, run on a copy of
each layer that shares its ``W`` and ``b`` (read only) but has gradient arrays of its own: the
layers the training uses keep their gradients and everything their last forward kept (the
training doctor reads those), so inspecting a point never changes the next training step.
"""

from __future__ import annotations

import copy

import numpy as np

from ..functional import sigmoid, softmax
from ..layers import Dense, Layer
from ..losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy


def shown_output(loss: Loss, logits: np.ndarray) -> np.ndarray:
    """The output as the page shows it, from the logits ``(1, k)``: the probability of class 1
    for binary cross-entropy, the class probabilities for softmax cross-entropy, the value
    itself otherwise (regression)."""
    if isinstance(loss, BinaryCrossEntropy):
        return sigmoid(logits)
    if isinstance(loss, SoftmaxCrossEntropy):
        return softmax(logits)
    return logits


def _detached(layer: Layer) -> Layer:
    """A shallow copy of ``layer`` in evaluation mode whose gradient arrays are its own (zeros):
    its ``forward`` and ``backward`` write their caches and gradients on the copy; its
    parameters are the original's arrays, which neither call changes."""
    twin = copy.copy(layer)  # a new __dict__: attributes set on it stay on it
    grads = {id(grad) for _, grad in layer.parameters()}
    for name, value in vars(layer).items():
        if id(value) in grads:
            setattr(twin, name, np.zeros_like(value))
    twin.train(False)  # as the page's maps: no dropout
    return twin


def _target_value(loss: Loss, target) -> float | int:
    """The point's target as the page shows it: a class label or a value."""
    value = np.asarray(target).reshape(-1)[0]
    return int(value) if isinstance(loss, SoftmaxCrossEntropy) else float(value)


def point_arithmetic(model, loss: Loss, inputs_row: np.ndarray, target) -> dict:
    """The forward and backward pass of one point through ``model`` (a ``Sequential``).

    ``inputs_row (1, n_features)``: the point's inputs (its features); ``target``: as ``loss``
    takes it, ``(1, 1)`` for binary cross-entropy and mean squared error, ``(1,)`` (a class
    label) for softmax cross-entropy. Returns::

        {"inputs": [...], "target": label or value, "loss": float,
         "layers": [{"z": [...], "a": [...]}, ...],          one per Dense layer
         "grads": [{"W": [[...]] (n_in x n_out), "b": [...]}, ...]}

    ``z`` is a ``Dense`` layer's output and ``a`` that of the layers after it up to the next
    ``Dense`` (its activation); for the last ``Dense``, ``a`` is the output the page shows
    (``shown_output``). ``grads`` is the gradient of this point's loss alone (no
    regularization term), by each layer's ``backward``. Nothing of ``model`` or ``loss`` changes.
    Numbers that overflow come back as NaN or infinity (a frame sends them as null)."""
    x = np.asarray(inputs_row)
    if x.ndim != 2 or x.shape[0] != 1:
        raise ValueError(f"point_arithmetic takes one point's inputs as shape (1, n_features), "
                         f"got {x.shape}")
    layers = [_detached(layer) for layer in model.layers]
    if not any(isinstance(layer, Dense) for layer in layers):
        raise ValueError("point_arithmetic needs a network with Dense layers")
    point_loss = copy.copy(loss)  # its forward keeps what its backward needs: on the copy
    steps: list[dict] = []
    with np.errstate(over="ignore", invalid="ignore"):
        out = x
        for layer in layers:
            out = layer.forward(out)
            if isinstance(layer, Dense):
                steps.append({"z": out[0], "a": out[0]})
            elif steps:
                steps[-1]["a"] = out[0]
        steps[-1]["a"] = shown_output(loss, out)[0]
        value = point_loss.forward(out, target)
        grad = point_loss.backward()
        for layer in reversed(layers):
            grad = layer.backward(grad)
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    return {
        "inputs": x[0].tolist(),
        "target": _target_value(loss, target),
        "loss": float(value),
        "layers": [{"z": s["z"].tolist(), "a": s["a"].tolist()} for s in steps],
        "grads": [{"W": d.dW.tolist(), "b": d.db.tolist()} for d in dense],
    }
