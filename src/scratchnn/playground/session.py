"""One playground session (one browser tab): its settings, data, network and training thread.

Nothing here knows about the web: ``app.py`` turns messages from the page into calls of
``Session.handle`` and sends what the session publishes. Every number the page draws is
computed here, by what the library exports: the data sets of ``scratchnn.datasets``, the
layers, losses and optimizers of the core, and the library's training loop,
``scratchnn.training.train_epochs``, which the worker thread runs one epoch at a time::

    value = loss.forward(model.forward(X_batch), y_batch)
    model.backward(loss.backward())
    optimizer.step()

The learning rate, the optimizer, the regularization and the batch size change *live*: the
network keeps its weights and its epoch. Everything that happens to the network goes into its
``Timeline`` (the code panel retells it), every epoch's losses into its ``Curve``, and every
few epochs a ``Snapshot`` (what ``rewind`` restores): see ``timeline.py``.

Frames (what the page draws, binary: ``frames.py``) are coalesced: the worker leaves at most
one unsent frame in the ``Mailbox``; a newer frame replaces it, so a slow page drops frames
and never slows training. The settings live in ``settings.py``, the data sets in ``data.py``,
uploads in ``uploads.py``, the code panel in ``codegen.py``, the network's making and the
doctor's advice in ``run.py``.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import time
from dataclasses import asdict

import numpy as np

from .. import datasets as ds
from ..errors import TrainingDivergedError
from ..functional import sigmoid, softmax
from ..losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from ..optimizers import make_optimizer
from ..training import Batches, History, train_epochs
from . import frames
from .codegen import python_code
from .data import GENERATORS, generate
from .messages import Messages
from .run import (
    GRID,
    THUMB,
    EpochRule,
    action,
    build_model,
    confusion,
    domain,
    finite,
    grid,
    hidden_maps,
    live_settings,
    losses_for,
    run_label,
    score,
)
from .settings import FEATURES, LIVE, UPLOAD, SessionError, Settings
from .timeline import Curve, Snapshot, Snapshots, Timeline
from .turns import GivingWay, Mailbox, Turns
from .uploads import encoded_labels, parse_upload

__all__ = ["GRID", "Mailbox", "Session", "Turns", "generate"]

MAX_FPS = 50  # frames computed per second at most while training runs
CURVE_TAIL = 100  # epochs of the loss curve each frame carries


def b64(array: np.ndarray) -> str:
    """An array as base64 of its float32 bytes (little-endian, what a Float32Array reads)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


# --- one session -------------------------------------------------------------------------------


class Session(Messages):
    """One tab's playground. ``handle(message)`` returns the replies to send at once; frames go
    to ``mailbox``. Thread-safe: the worker thread and ``handle`` share one lock."""

    def __init__(self, mailbox: Mailbox | None = None, settings: Settings | None = None,
                 turns: Turns | None = None):
        self.mailbox = mailbox or Mailbox()
        self.turns = turns or Turns()  # shared by the tabs of one server
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.playing = False
        self.version = 0
        self.upload_source: tuple[str, str] | None = None
        self.epochs_trained = 0  # over the session's life, for tests and the benchmark
        self.speed: float | None = None  # epochs per second at most (None: no limit)
        self._due = 0.0  # when the worker may start its next epoch (time.monotonic)
        self.pinned: dict | None = None  # the run compared with this one
        self.notices: list[str] = []  # what the last link could not use
        self._build(settings or Settings())

    # -- building ------------------------------------------------------------------------------

    def _data(self, settings: Settings):
        """``(X, y, classes, names, target)`` for the settings (an upload is re-read, so a
        change of problem type re-checks it)."""
        if settings.dataset == UPLOAD:
            if self.upload_source is None:
                raise SessionError("an uploaded file is not kept in the link; upload it again")
            up = parse_upload(*self.upload_source, settings.problem)
            y = encoded_labels(up, settings.problem)
            return up.X, y, up.classes, up.columns, up.target
        X, y = generate(settings)
        classes = [] if settings.problem == "regression" else np.unique(y).tolist()
        return X, y, classes, ["x1", "x2"], None

    def _build(self, settings: Settings) -> None:
        """New data, split, network and optimizer from ``settings`` (deterministic: the seed)."""
        X, y, classes, names, target = self._data(settings)
        X_train, X_test, y_train, y_test = ds.train_test_split(
            X, y, test_size=1 - settings.train_ratio, random_state=settings.seed,
            stratify=settings.problem == "classification")
        self.mean = self.scale = None
        if settings.dataset == UPLOAD:  # standardise with the training split, as the CLI does
            self.mean = X_train.mean(axis=0)
            self.scale = np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1.0)
            X_train, X_test = (X_train - self.mean) / self.scale, (X_test - self.mean) / self.scale
        self.lift = ds.FeatureLift(settings.features)
        # One generator, as in the code panel: first the initial weights, then every epoch's
        # order of the training rows (drawn by Batches).
        self.rng = np.random.default_rng(settings.seed)
        n_out = len(classes) if len(classes) > 2 else 1
        self.model = build_model(settings, n_out, self.rng)
        self.loss, self.eval_loss, y_train, y_test = losses_for(settings, n_out, y_train, y_test)
        self.optimizer = make_optimizer(settings.optimizer, self.model.parameters(), settings.lr)
        self.settings, self.classes, self.names, self.target = settings, classes, names, target
        self.X_train, self.X_test, self.y_train, self.y_test = X_train, X_test, y_train, y_test
        self.inputs_train = self.lift.transform(X_train)
        self.inputs_test = self.lift.transform(X_test)
        self.batches = self._batches(settings.batch_size)
        # TensorFlow Playground's six are drawn on its square, [-6, 6]^2, as there
        tf_square = 6.0 if GENERATORS.get(settings.dataset, ("",))[0] == "playground" else 0.0
        self.domain = domain(np.vstack([X_train, X_test]), tf_square)
        self.grid_inputs = self.lift.transform(grid(self.domain))
        self.thumbs = ds.FeatureLift(list(FEATURES)).transform(grid(self.domain, THUMB))
        self.epoch, self.diverged, self.diverged_cause, self.selected = 0, None, None, None
        self.timeline, self.curve, self.snapshots = Timeline(), Curve(), Snapshots()
        self.first_live = live_settings(settings)  # what the code panel starts from
        self.rule = EpochRule(self)
        self.version += 1
        self._last_frame = 0.0
        measured = self.evaluate()
        self.curve.add(0, measured["train_loss"], measured["test_loss"],
                       measured["train_score"], measured["test_score"])
        self.snapshots.add(self._snapshot())

    def _batches(self, batch_size: int) -> Batches:
        """The training rows in mini-batches, in an order drawn from the session's ``rng``."""
        return Batches(self.inputs_train, self.y_train, batch_size=batch_size, shuffle=True,
                       rng=self.rng)

    # -- training ------------------------------------------------------------------------------

    @property
    def history(self) -> History:
        """Every epoch of this network: mean training loss, accuracy (or R²), test loss."""
        return self.rule.history

    @property
    def doctor(self):
        """The training doctor watching this network, or None."""
        return self.rule.doctor

    def train_epoch(self, give_way: bool = False) -> None:
        """One pass over the training data in shuffled mini-batches, by the library's loop
        (``train_epochs`` with this session's ``Batches`` and ``EpochRule``), the page's L1 or
        L2 penalty included. A loss that stops being a finite number (or explodes) ends the
        epoch before the step that would spread it, and sets ``diverged`` to the message the
        page shows. ``give_way``: pause between mini-batches while another tab's reply is
        being made (the training thread does; a step asked for by the page does not)."""
        s = self.settings
        rate = s.reg_rate if s.regularization != "none" else 0.0
        self.epoch += 1
        self.epochs_trained += 1
        self.timeline.trained(self.epoch)
        steps = self.optimizer.t  # one a batch
        try:
            batches = GivingWay(self.batches, self.turns) if give_way else self.batches
            train_epochs(self.model, self.loss, self.optimizer, batches, self.rule,
                         max_epochs=1, alpha=rate if s.regularization == "L2" else 0.0,
                         l1=rate if s.regularization == "L1" else 0.0,
                         track_accuracy=self.doctor is not None)
        except TrainingDivergedError as error:
            self.diverged_cause = "reg_rate" if getattr(error, "cause", "") == "alpha" else "lr"
            what = "regularization rate" if self.diverged_cause == "reg_rate" else "learning rate"
            self.diverged = (f"training diverged ({str(error).split(':')[0]}); lower the {what} "
                             "to go on, rewind, or press Reset")
            # the batch whose loss broke took no step: the epoch stopped after those before it
            self.timeline.stopped(self.epoch, self.optimizer.t - steps)
            measured = self.evaluate()  # the loss chart breaks where the loss is no number
            self.curve.add(self.epoch, measured["train_loss"], measured["test_loss"],
                           measured["train_score"], measured["test_score"])
            return
        if self.snapshots.due(self.epoch):
            self.snapshots.add(self._snapshot())

    def _snapshot(self) -> Snapshot:
        return Snapshot(self.epoch, self.model.get_weights(), self.optimizer.state_dict(),
                        self.rng.bit_generator.state, live_settings(self.settings),
                        self.timeline.position(), self.rule.length)

    def evaluate(self) -> dict:
        """The losses (without the penalty) and scores on the whole splits, and the test
        split's logits: ``{"train_loss", "test_loss", "train_score", "test_score",
        "test_logits"}``. Scores: accuracy for classification, R² for regression."""
        self.model.eval()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            train = self.model.forward(self.inputs_train)
            test = self.model.forward(self.inputs_test)
            measured = {
                "train_loss": float(self.eval_loss.forward(train, self.y_train)),
                "test_loss": float(self.eval_loss.forward(test, self.y_test)),
                "train_score": score(train, self.y_train, self.eval_loss),
                "test_score": score(test, self.y_test, self.eval_loss),
                "test_logits": test}
        self.model.train()
        return measured

    def losses(self) -> tuple[float, float]:
        """``(training loss, test loss)`` without the penalty, on the whole splits."""
        measured = self.evaluate()
        return measured["train_loss"], measured["test_loss"]

    def outputs(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The network's output for ``inputs (n, n_features)`` (a probability for binary
        classification, ``(n, k)`` probabilities for k classes, the value for regression) and
        every hidden unit's activation ``(n, units)``, layer by layer."""
        with np.errstate(over="ignore", invalid="ignore"):
            every = self.model.activations(inputs)
        logits = every[-1]
        hidden = hidden_maps(self.model, every)
        if isinstance(self.loss, BinaryCrossEntropy):
            return sigmoid(logits[:, 0]), hidden
        if isinstance(self.loss, SoftmaxCrossEntropy):
            return softmax(logits), hidden
        return logits[:, 0], hidden

    def weights_finite(self) -> bool:
        """True when every weight and every number of the optimizer's state is finite."""
        state = self.optimizer.state_dict()["state"]
        arrays = [*self.model.get_weights(),
                  *(a for entry in state.values() for a in entry.values()
                    if isinstance(a, np.ndarray))]
        return all(np.isfinite(a).all() for a in arrays)

    # -- messages to the page ------------------------------------------------------------------

    def _maps(self) -> tuple[np.ndarray, np.ndarray]:
        """``(boundary, neurons)`` over the grid, in [-1, 1] where the page's colours are: the
        output maps (a probability p as 2p - 1; one map per class for k classes; a regression
        output as it is) and every hidden unit's map, layer by layer."""
        output, hidden = self.outputs(self.grid_inputs)
        boundary = output.T if output.ndim == 2 else output  # (k, GRID*GRID) for k classes
        if self.settings.problem == "classification":
            boundary = 2 * boundary - 1
        neurons = np.concatenate([h.T.ravel() for h in hidden]) if hidden else np.empty(0)
        return boundary.ravel(), neurons

    def frame(self) -> bytes:
        """What the page draws after an epoch: a binary frame (``frames.encode``)."""
        measured = self.evaluate()
        boundary, neurons = self._maps()
        with np.errstate(over="ignore"):  # a diverged weight beyond float32 is sent as inf
            weights = np.concatenate([np.concatenate([d.W.ravel(), d.b])
                                      for d in self.model.dense_layers]).astype("<f4")
        classify = self.settings.problem == "classification"
        # The newest points of the curve: a page that missed frames (they are coalesced) fills
        # its chart's gap from them.
        curve = self.curve.since(self.epoch - CURVE_TAIL)
        self._last_frame = time.monotonic()
        header = {
            "type": "frame", "version": self.version, "epoch": self.epoch,
            "playing": self.playing, "diverged": self.diverged,
            "train_loss": finite(measured["train_loss"]),
            "test_loss": finite(measured["test_loss"]),
            "train_score": finite(measured["train_score"]),
            "test_score": finite(measured["test_score"]),
            "score_name": "accuracy" if classify else "R²",
            "confusion": confusion(measured["test_logits"], self.y_test,
                                   max(len(self.classes), 2)) if classify else None,
            "snapshots": self.snapshots.epochs(), "marks": self.timeline.marks(),
            "doctor": self._doctor_entries(), "arithmetic": self._arithmetic(),
            "curve": curve,
        }
        return frames.encode(header, [("weights", weights),
                                      ("boundary", frames.to_u8(boundary)),
                                      ("neurons", frames.to_u8(neurons))])

    def _doctor_entries(self) -> list[dict]:
        """The doctor's findings, and the divergence, each with what the page may do."""
        entries = [] if self.doctor is None else [
            {"kind": f.kind, "epoch": f.epoch, "text": f.message,
             "action": action(f.kind, self.settings)} for f in self.doctor.findings]
        if self.diverged:
            fix = None
            if self.weights_finite():
                fix = action("diverged" if self.diverged_cause == "lr" else "diverged_penalty",
                             self.settings)
            entries.append({"kind": "diverged", "epoch": self.epoch, "text": self.diverged,
                            "action": fix})
        return entries

    def _arithmetic(self) -> dict | None:
        """One step's arithmetic for the selected point (``arithmetic.point_arithmetic``)."""
        if self.selected is None:
            return None
        from . import arithmetic

        n_train = len(self.X_train)
        i = self.selected
        X, inputs, y = ((self.X_train, self.inputs_train, self.y_train) if i < n_train else
                        (self.X_test, self.inputs_test, self.y_test))
        j = i if i < n_train else i - n_train
        target = y[j].item() if y[j].size == 1 else y[j].tolist()
        if self.settings.problem == "classification":
            target = int(target)
        with np.errstate(over="ignore", invalid="ignore"):
            numbers = arithmetic.point_arithmetic(self.model, self.loss, inputs[j:j + 1],
                                                  y[j:j + 1])
        return {**numbers, "point": i, "x": X[j].tolist(),
                "features": list(self.settings.features), "target": target}

    def network(self) -> dict:
        """The layout the page draws until the next reset: sizes, data, feature maps, code."""
        points = np.vstack([self.X_train, self.X_test])
        labels = np.concatenate([self.y_train.ravel(), self.y_test.ravel()])
        return {
            "type": "network", "version": self.version, "settings": asdict(self.settings),
            "sizes": [d.n_in for d in self.model.dense_layers] + [self.model.n_outputs],
            "features": list(self.settings.features), "grid": GRID, "domain": self.domain,
            "classes": [str(c) for c in self.classes], "columns": self.names,
            "upload": self.upload_source[0] if self.upload_source else None,
            "points": b64(points), "labels": b64(labels), "n_train": len(self.X_train),
            "inputs": b64(self.grid_inputs.T), "code": python_code(self),
            # every feature the page offers, over the plane: its checkbox's thumbnail
            "thumbs": b64(self.thumbs.T), "thumb_size": THUMB,
            "notices": list(self.notices), "marks": self.timeline.marks(),
            "pinned": self.pinned, "live": sorted(LIVE),
        }

    def state(self, **extra) -> dict:
        """Whether training runs, the epoch, the divergence and the speed."""
        return {"type": "state", "playing": self.playing, "epoch": self.epoch,
                "diverged": self.diverged, "speed": self.speed, **extra}

    def settings_message(self, changed: list[str]) -> dict:
        """The settings in force after a live change (``changed``) or a rewind, and the code."""
        return {"type": "settings", "settings": asdict(self.settings), "changed": changed,
                "epoch": self.epoch, "code": python_code(self)}

    def model_file(self) -> dict:
        """The network as a model file that ``snn.load`` and ``scratchnn predict`` read."""
        from ..persistence import save

        s = self.settings
        metadata = {
            "scratchnn_cli": 1, "task": s.problem, "feature_names": list(self.names),
            "classes": list(self.classes) or None, "features": list(s.features),
            "standardize": None if self.mean is None else {
                "mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "seed": s.seed, "playground": asdict(s),
        }
        if s.dataset == UPLOAD:
            metadata["target"] = self.target
        else:
            metadata["dataset"] = s.dataset
        with tempfile.TemporaryDirectory(prefix="scratchnn-model-") as folder:
            path = os.path.join(folder, "model.npz")
            save(self.model, path, metadata=metadata)
            with open(path, "rb") as f:
                data = f.read()
        sizes = [self.model.n_inputs, *(d.n_out for d in self.model.dense_layers)]
        name = f"scratchnn-{s.dataset}-{'-'.join(map(str, sizes))}.npz"
        return {"type": "model", "name": name, "data": base64.b64encode(data).decode("ascii")}

    def code(self) -> str:
        """The code panel: the Python that retells this network's timeline."""
        return python_code(self)

    def pin(self) -> dict:
        """The run so far as the compare chart keeps it: its settings, loss curve, output
        maps (u8, as a frame's boundary, in base64) and last losses and scores."""
        measured = self.evaluate()
        boundary, _ = self._maps()
        maps = frames.to_u8(boundary)
        return {"label": run_label(self.settings), "settings": asdict(self.settings),
                "curve": self.curve.losses(), "epoch": self.epoch,
                "boundary": base64.b64encode(maps.tobytes()).decode("ascii"),
                **{key: finite(measured[key]) for key in
                   ("train_loss", "test_loss", "train_score", "test_score")}}

    # -- the worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        """Train while playing, one epoch per turn (``Turns``), at most ``speed`` epochs a
        second; publish a frame at most MAX_FPS times a second."""
        while not self._closed:
            with self._lock:
                now = time.monotonic()
                delay = None if not self.playing else max(0.0, self._due - now)
                if delay != 0:
                    self._wake.clear()  # a message sets it again (under this lock)
            if delay != 0:
                if self._closed:  # stop() set the event before it was cleared
                    return
                self._wake.wait(delay)  # until a message, or the next epoch is due
                continue
            with self.turns.turn(), self._lock:
                if self._closed or not self.playing:
                    continue
                if self.speed is not None:
                    self._due = max(self._due, time.monotonic()) + 1 / self.speed
                self.train_epoch(give_way=True)
                if self.diverged:
                    self.playing = False
                if not self.playing or time.monotonic() - self._last_frame >= 1 / MAX_FPS:
                    self.turns.give_way()
                    # put under the lock: a rewind or a reset that follows must find this
                    # frame in the mailbox and replace it, not be overwritten by it
                    self.mailbox.put(self.frame())

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Tell the worker thread to end after its current epoch (returns at once)."""
        self._closed = True
        self.playing = False
        self._wake.set()

    def close(self, timeout: float = 1.0) -> bool:
        """Stop training and end the worker thread; True once it has ended (waits up to
        ``timeout`` seconds)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running
