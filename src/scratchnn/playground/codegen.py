"""The code panel: the Python, written with the teaching API, that trains exactly the network
on screen (the same data, split, features, initial weights, batches and steps), so that a
learner can copy it, run it and get the same weights.

It defines ``train(epochs)``, the loop that ``scratchnn.training.train_epochs`` (which the
session trains with) runs: every epoch the rows in a new random order, then forward, backward,
the penalty, a step for each batch (one batch that holds every row is not shuffled). Then it
retells the session's ``Timeline`` in order: the epochs trained (``train(120)``), each live
change (``opt.lr = 0.1``; a new optimizer object for a new optimizer; ``batch_size = 20``),
each weight or bias edited (``model.layers[2].W[1, 3] = 0.83``), each rewind (a comment: the
timeline itself went back). It ends with the one line ``epochs = N`` (the epoch the page
shows, which the page rewrites as frames arrive) and the call that trains the epochs since
the last event.
"""

from __future__ import annotations

from ..layers import ACTIVATIONS
from ..optimizers import OPTIMIZER_CHOICES
from .data import GENERATORS
from .settings import N_SAMPLES, UPLOAD

PENALTIES = {"L1": "add_l1_penalty", "L2": "add_l2_penalty"}


def python_code(session) -> str:
    """The Python that trains ``session``'s network (a ``Session``) as it has been trained:
    the data, the network, the loop, then the timeline's events."""
    s = session.settings
    lines = ["import numpy as np", "", "import scratchnn as snn", "from scratchnn import datasets",
             ""]
    if s.dataset == UPLOAD:
        lines[0:0] = ["import csv"]
        lines += _upload_code(session)
    else:
        lines += [_data_code(s)]
    stratify = "" if s.problem == "classification" else ", stratify=False"
    lines += ["X_train, X_test, y_train, y_test = datasets.train_test_split(",
              f"    X, y, test_size={1 - s.train_ratio:.10g}, random_state={s.seed}{stratify})"]
    if s.dataset == UPLOAD:
        lines += ["mean, scale = X_train.mean(axis=0), X_train.std(axis=0)",
                  "X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale"]
    lines += [f"lift = datasets.FeatureLift({list(s.features)!r})",
              "inputs_train, inputs_test = lift.transform(X_train), lift.transform(X_test)", ""]
    events = list(session.timeline.events)
    first = session.first_live  # the live settings the network was built with
    # Changes made before the first epoch are written as if the network was built with them
    # (the same run: nothing had used the optimizer or the batch size yet).
    while events and events[0].kind == "live" and events[0].epoch == 0:
        first = events.pop(0).data["live"]
    penalised = any(live["regularization"] != "none" and live["reg_rate"]
                    for live in [first, *(e.data["live"] for e in events if e.kind == "live")])
    partial = any(e.kind == "partial" for e in events)
    return "\n".join(lines + _network_code(session, first, penalised)
                     + _loop_code(penalised, partial) + _events_code(session, events, penalised)
                     ) + "\n"


def _data_code(s) -> str:
    generator, name = GENERATORS[s.dataset]
    if name is not None:
        return (f"X, y = datasets.{generator}({name!r}, n_samples={N_SAMPLES}, "
                f"noise={s.noise!r}, random_state={s.seed})")
    return (f"X, y = datasets.{generator}(n_samples={N_SAMPLES}, noise={s.noise!r}, "
            f"random_state={s.seed})")


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


def _optimizer(live: dict) -> str:
    cls, options, _ = OPTIMIZER_CHOICES[live["optimizer"]]
    extra = "".join(f", {key}={value!r}" for key, value in options.items())
    return f"opt = snn.{cls.__name__}(model.parameters(), lr={live['lr']!r}{extra})"


def _penalty_code(live: dict) -> str:
    rate = live["reg_rate"] if live["regularization"] != "none" else 0.0
    l1 = rate if live["regularization"] == "L1" else 0.0
    l2 = rate if live["regularization"] == "L2" else 0.0
    return f"l1, l2 = {l1!r}, {l2!r}  # the L1 and L2 penalties' rates"


def _network_code(session, live: dict, penalised: bool) -> list[str]:
    """The model, the loss, the optimizer and the batch size, as ``Session`` builds them."""
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
    lines += [_optimizer(live), f"batch_size = {live['batch_size']}"]
    if penalised:
        lines.append(_penalty_code(live))
    return lines


def _loop_code(penalised: bool, partial: bool) -> list[str]:
    """``train(epochs)``: shuffled mini-batches, or the whole training set as one batch
    (``partial``: ``train(1, batches=k)`` stops after k batches, as a diverged epoch did)."""
    starts = "range(0, len(order), batch_size)" + ("[:batches]" if partial else "")
    lines = ["", "",
             "def train(epochs, batches=None):" if partial else "def train(epochs):",
             "    for epoch in range(epochs):",
             "        if batch_size < len(inputs_train):",
             "            order = rng.permutation(len(inputs_train))",
             "        else:  # one batch holds every training point: no shuffling",
             "            order = np.arange(len(inputs_train))",
             f"        for start in {starts}:",
             "            rows = order[start:start + batch_size]",
             "            value = loss.forward(model.forward(inputs_train[rows]), y_train[rows])",
             "            model.backward(loss.backward())"]
    if penalised:
        lines += [f"            if {name}:\n"
                  f"                snn.training.{PENALTIES[name.upper()]}(model, {name}, "
                  "len(rows))" for name in ("l2", "l1")]
    return [*lines, "            opt.step()", "", ""]


def _event_code(event, penalised: bool) -> list[str]:
    d = event.data
    if event.kind == "train":
        return [f"train({d['epochs']})"]
    if event.kind == "weight":
        from .timeline import weight_name

        return [f"{weight_name(d['layer'], d['source'], d['target'])} = {d['value']!r}"]
    if event.kind == "partial":
        return [f"train(1, batches={d['batches']})  # epoch {event.epoch + 1} diverged at its "
                f"batch {d['batches'] + 1}: training stopped before that batch's step"]
    if event.kind == "rewind":
        return [f"# rewound from epoch {d['from']} to epoch {event.epoch}: what followed is "
                "gone"]
    live, lines = d["live"], []
    if "optimizer" in d["changed"]:
        lines.append(_optimizer(live) + "  # a new optimizer starts afresh")
    elif "lr" in d["changed"]:
        lines.append(f"opt.lr = {live['lr']!r}")
    if "batch_size" in d["changed"]:
        lines.append(f"batch_size = {live['batch_size']}")
    if penalised and {"regularization", "reg_rate"} & set(d["changed"]):
        lines.append(_penalty_code(live))
    return lines


def _events_code(session, events: list, penalised: bool) -> list[str]:
    """The timeline's ``events``, then ``epochs = N`` and the epochs trained since the last
    other event."""
    events = list(events)
    last = events.pop() if events and events[-1].kind == "train" else None
    lines = [line for event in events for line in _event_code(event, penalised)]
    since = last.epoch if last is not None else session.epoch
    lines.append(f"epochs = {session.epoch}  # the epoch the page shows")
    lines.append(f"train(epochs - {since})" if since else "train(epochs)")
    return lines
