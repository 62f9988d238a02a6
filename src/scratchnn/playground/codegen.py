"""The code panel: the Python, written with the teaching API, that trains exactly the network
on screen (the same data, split, features, initial weights, batches and steps), so that a
learner can copy it, run it and get the same weights.

The loop it writes is what ``scratchnn.training.train_epochs`` (which the session trains with)
does for one epoch: the rows in a new random order, then forward, backward, the penalty, a step
for each batch; one batch that holds every row is not shuffled.
"""

from __future__ import annotations

from ..layers import ACTIVATIONS
from ..optimizers import OPTIMIZER_CHOICES
from .settings import N_SAMPLES, UPLOAD

PENALTIES = {"L1": "add_l1_penalty", "L2": "add_l2_penalty"}


def python_code(session) -> str:
    """The Python that trains ``session``'s network (a ``Session``) for as many epochs as it
    has trained: the data, then the network."""
    s = session.settings
    lines = ["import numpy as np", "", "import scratchnn as snn", "from scratchnn import datasets",
             ""]
    if s.dataset == UPLOAD:
        lines[0:0] = ["import csv"]
        lines += _upload_code(session)
    else:
        function = s.dataset.replace("-", "_")  # the link's multi-gaussian is multi_gaussian
        lines += [f"X, y = datasets.{function}(n_samples={N_SAMPLES}, noise={s.noise:g}, "
                  f"random_state={s.seed})"]
    stratify = "" if s.problem == "classification" else ", stratify=False"
    lines += ["X_train, X_test, y_train, y_test = datasets.train_test_split(",
              f"    X, y, test_size={1 - s.train_ratio:.10g}, random_state={s.seed}{stratify})"]
    if s.dataset == UPLOAD:
        lines += ["mean, scale = X_train.mean(axis=0), X_train.std(axis=0)",
                  "X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale"]
    lines += [f"lift = datasets.FeatureLift({list(s.features)!r})",
              "inputs_train, inputs_test = lift.transform(X_train), lift.transform(X_test)", ""]
    return "\n".join(lines + _network_code(session) + _loop_code(session))


def _upload_code(session) -> list[str]:
    s = session.settings
    columns = ", ".join(repr(c) for c in session.names)
    lines = [f"with open({session.upload_source[0]!r}, newline='') as f:",
             "    rows = list(csv.DictReader(f))",
             f"X = np.array([[float(row[c]) for c in ({columns})] for row in rows])"]
    if s.problem == "regression":
        return [*lines, f"y = np.array([float(row[{session.target!r}]) for row in rows])"]
    return [*lines, f"classes = {[str(c) for c in session.classes]!r}",
            f"y = np.array([classes.index(row[{session.target!r}].strip()) for row in rows])"]


def _network_code(session) -> list[str]:
    """The model, the loss and the optimizer, built as ``Session`` builds them."""
    s = session.settings
    sizes = [len(s.features), *s.hidden, session.model.n_outputs]
    init = "he" if s.activation == "relu" else "glorot"
    act = ACTIVATIONS[s.activation].__name__
    lines = [f"rng = np.random.default_rng({s.seed})", "model = snn.Sequential(["]
    for i in range(len(sizes) - 1):
        tail = f" snn.{act}()," if i < len(sizes) - 2 else ""
        lines.append(f"    snn.Dense({sizes[i]}, {sizes[i + 1]}, rng=rng, init={init!r}),{tail}")
    lines.append("])")
    loss = type(session.loss).__name__
    lines.append(f"loss = snn.{loss}()")
    if loss in ("BinaryCrossEntropy", "MeanSquaredError"):
        lines.append("y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)")
    cls, options, _ = OPTIMIZER_CHOICES[s.optimizer]
    extra = "".join(f", {key}={value!r}" for key, value in options.items())
    lines.append(f"opt = snn.{cls.__name__}(model.parameters(), lr={s.lr:g}{extra})")
    return lines


def _loop_code(session) -> list[str]:
    """The epochs: shuffled mini-batches, or the whole training set as one batch."""
    s = session.settings
    penalty = PENALTIES.get(s.regularization) if s.reg_rate else None
    lines = ["", f"epochs = {session.epoch}  # as many as the page has trained so far",
             "for epoch in range(epochs):"]
    if s.batch_size < len(session.inputs_train):
        lines += ["    order = rng.permutation(len(inputs_train))",
                  f"    for start in range(0, len(order), {s.batch_size}):",
                  f"        rows = order[start:start + {s.batch_size}]",
                  "        value = loss.forward(model.forward(inputs_train[rows]), y_train[rows])",
                  "        model.backward(loss.backward())"]
        if penalty:
            lines.append(f"        snn.training.{penalty}(model, {s.reg_rate:g}, len(rows))")
        lines.append("        opt.step()")
    else:
        lines += ["    # one batch holds every training point: no shuffling",
                  "    value = loss.forward(model.forward(inputs_train), y_train)",
                  "    model.backward(loss.backward())"]
        if penalty:
            lines.append(f"    snn.training.{penalty}(model, {s.reg_rate:g}, "
                         "len(inputs_train))")
        lines.append("    opt.step()")
    return [*lines, "", "model.eval()",
            "print('test loss', loss.forward(model.forward(inputs_test), y_test))"]

