"""One playground session (one browser tab): its settings, data, network and training thread.

Nothing here knows about the web: ``app.py`` turns messages from the page into calls of
``Session.handle`` and sends what the session publishes. Every number the page draws is
computed here, by what the library exports: the data sets of ``scratchnn.datasets``, the
layers, losses and optimizers of the core, and the library's training loop,
``scratchnn.training.train_epochs``, which the worker thread runs one epoch at a time::

    value = loss.forward(model.forward(X_batch), y_batch)
    model.backward(loss.backward())
    optimizer.step()

Frames (what the page draws) are coalesced: the worker leaves at most one unsent frame in the
``Mailbox``; a newer frame replaces it, so a slow page drops frames and never slows training.
The settings live in ``settings.py``, uploads in ``uploads.py``, the code panel in
``codegen.py``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from .. import datasets as ds
from ..errors import TrainingDivergedError
from ..functional import sigmoid, softmax
from ..layers import Dense, activation
from ..losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from ..metrics import accuracy, r2_score
from ..model import Sequential
from ..optimizers import make_optimizer
from ..training import Batches, History, train_epochs
from .codegen import python_code
from .settings import FEATURES, N_SAMPLES, UPLOAD, SessionError, Settings, finite_number, shown
from .uploads import encoded_labels, parse_upload

GRID = 50  # the boundary and every neuron's map are GRID x GRID
THUMB = 20  # the features' thumbnails are THUMB x THUMB
MAX_FPS = 50  # frames computed per second at most while training runs


def _doctor_class():
    """``scratchnn.doctor.TrainingDoctor`` where this version of the library has it."""
    try:
        from ..doctor import TrainingDoctor
    except ImportError:
        return None
    return TrainingDoctor


def generate(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The data set of ``settings`` from ``scratchnn.datasets``: ``X (500, 2)`` and labels (or
    regression targets). A link says ``multi-gaussian``, as TensorFlow Playground's page does;
    the library's generator is ``multi_gaussian``."""
    return ds.load(settings.dataset.replace("-", "_"), n_samples=N_SAMPLES,
                   noise=settings.noise, random_state=settings.seed)


# --- frames ------------------------------------------------------------------------------------


def b64(array: np.ndarray) -> str:
    """An array as base64 of its float32 bytes (little-endian, what a Float32Array reads)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


class Mailbox:
    """At most one unsent frame: ``put`` replaces an unsent one (frames are coalesced)."""

    def __init__(self, notify: Callable[[], None] = lambda: None):
        self._lock = threading.Lock()
        self._frame: str | None = None
        self.notify = notify
        self.dropped = 0

    def put(self, frame: str) -> None:
        with self._lock:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
        self.notify()

    def take(self) -> str | None:
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    def clear(self) -> None:
        with self._lock:
            self._frame = None


class Turns:
    """Training epochs take turns: at most ``n`` run at once (one per spare core by default),
    the others wait in the order they asked. Fifty tabs training at once then share the
    cores in turn instead of fifty threads fighting for them. And replies come first: while
    one is being made (``reply``), training pauses between mini-batches (``give_way``), so a
    tab's answer never queues behind other tabs' epochs."""

    def __init__(self, n: int | None = None):
        self.n = n or max(1, (os.cpu_count() or 2) // 2)
        self._lock = threading.Lock()
        self._free = self.n
        self._waiting: deque[threading.Event] = deque()
        self._replies = 0
        self._no_reply = threading.Event()
        self._no_reply.set()

    @contextlib.contextmanager
    def reply(self):
        """Training gives way while the block runs (a reply is being made)."""
        with self._lock:
            self._replies += 1
            self._no_reply.clear()
        try:
            yield
        finally:
            with self._lock:
                self._replies -= 1
                if not self._replies:
                    self._no_reply.set()

    def give_way(self) -> None:
        """Wait while a reply is being made (returns at once otherwise)."""
        self._no_reply.wait()

    @contextlib.contextmanager
    def turn(self):
        """Hold one turn while the block runs."""
        with self._lock:
            ready = None
            if self._free and not self._waiting:
                self._free -= 1
            else:
                ready = threading.Event()
                self._waiting.append(ready)
        if ready is not None:
            ready.wait()  # handed over by the turn that ended (it stays counted as taken)
        try:
            yield
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting.popleft().set()
                else:
                    self._free += 1


class GivingWay:
    """``batches`` whose epoch pauses before each mini-batch while a reply is being made
    (``Turns.give_way``): what the training thread hands to ``train_epochs``."""

    def __init__(self, batches: Batches, turns: Turns):
        self.batches, self.turns = batches, turns
        self.n = batches.n

    def epoch(self):
        for batch in self.batches.epoch():
            self.turns.give_way()
            yield batch


# --- one session -------------------------------------------------------------------------------


def _domain(X: np.ndarray) -> tuple[float, float, float, float]:
    """A square box around the points, with a margin: ``(x1_min, x1_max, x2_min, x2_max)``."""
    low, high = X.min(axis=0), X.max(axis=0)
    centre = (low + high) / 2
    half = math.ceil(max(float((high - low).max()) / 2 * 1.1, 0.5) * 10) / 10
    return (float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half))


def _grid(domain, size: int = GRID) -> np.ndarray:
    """``(size * size, 2)`` points, row by row from the top (largest x2) as a canvas draws."""
    x1 = np.linspace(domain[0], domain[1], size)
    x2 = np.linspace(domain[3], domain[2], size)
    g1, g2 = np.meshgrid(x1, x2)
    return np.column_stack([g1.ravel(), g2.ravel()])


def build_model(settings: Settings, n_outputs: int, rng: np.random.Generator) -> Sequential:
    """``Dense`` layers of the page's sizes with its activation between them (He init for ReLU,
    Glorot otherwise), drawn from ``rng``: the same calls the code panel shows."""
    sizes = [len(settings.features), *settings.hidden, n_outputs]
    init = "he" if settings.activation == "relu" else "glorot"
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Dense(sizes[i], sizes[i + 1], rng=rng, init=init))
        if i < len(sizes) - 2:
            layers.append(activation(settings.activation))
    return Sequential(layers)


def _losses(settings: Settings, n_outputs: int, y_train, y_test):
    """``(loss, loss for evaluation, y_train, y_test)``: the loss of the problem and the
    targets in the shape it takes (a column for binary cross-entropy and MSE)."""
    if settings.problem == "regression":
        return MeanSquaredError(), MeanSquaredError(), y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    if n_outputs == 1:
        return (BinaryCrossEntropy(), BinaryCrossEntropy(), y_train.reshape(-1, 1).astype(float),
                y_test.reshape(-1, 1) * 1.0)
    return SoftmaxCrossEntropy(), SoftmaxCrossEntropy(), y_train, y_test


class EpochRule:
    """The ``StoppingRule`` the session hands to ``train_epochs``: the page asks for one epoch
    at a time, so every epoch ends the call. Its end is recorded in ``history`` as ``fit``
    records it (the test split as validation data) for the training doctor, whose findings go
    into the frames."""

    def __init__(self, session: Session):
        self.session = session
        self.history = History()
        doctor = _doctor_class()
        self.doctor = None if doctor is None else doctor(X=session.inputs_train, stream=None)

    def end_epoch(self, epoch: int, loss: float, score: float) -> bool:
        if self.doctor is not None:
            self._consult_doctor(loss, score)
        return True

    def diverged(self, value: float, epoch: int) -> TrainingDivergedError:
        return TrainingDivergedError(f"the loss became {value:.4g} at epoch "
                                     f"{self.session.epoch}")

    def _consult_doctor(self, loss: float, score: float) -> None:
        s, h = self.session, self.history
        classify = s.settings.problem == "classification"
        h.loss.append(loss)
        (h.accuracy if classify else h.r2).append(score)
        h.lr.append(s.optimizer.lr)
        s.model.eval()
        with np.errstate(over="ignore", invalid="ignore"):
            logits = s.model.forward(s.inputs_test)
            h.val_loss.append(s.eval_loss.forward(logits, s.y_test))
            if classify:
                h.val_accuracy.append(accuracy(logits, s.y_test, s.eval_loss))
            else:
                h.val_r2.append(r2_score(s.y_test, logits))
        s.model.train()
        try:
            self.doctor(s.epoch, h, s.model)
        except Exception as error:  # a doctor's bug must not stop training: say so, go on
            print(f"scratchnn playground: the training doctor failed and is off for this run "
                  f"({type(error).__name__}: {error})", file=sys.stderr)
            self.doctor = None


class Session:
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
        self.loss, self.eval_loss, y_train, y_test = _losses(settings, n_out, y_train, y_test)
        self.optimizer = make_optimizer(settings.optimizer, self.model.parameters(), settings.lr)
        self.settings, self.classes, self.names, self.target = settings, classes, names, target
        self.X_train, self.X_test, self.y_train, self.y_test = X_train, X_test, y_train, y_test
        self.inputs_train = self.lift.transform(X_train)
        self.inputs_test = self.lift.transform(X_test)
        self.batches = Batches(self.inputs_train, y_train, batch_size=settings.batch_size,
                               shuffle=True, rng=self.rng)
        self.domain = _domain(np.vstack([X_train, X_test]))
        self.grid_inputs = self.lift.transform(_grid(self.domain))
        self.thumbs = ds.FeatureLift(list(FEATURES)).transform(_grid(self.domain, THUMB))
        self.epoch, self.diverged = 0, None
        self.rule = EpochRule(self)
        self.version += 1
        self._last_frame = 0.0

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
        try:
            batches = GivingWay(self.batches, self.turns) if give_way else self.batches
            train_epochs(self.model, self.loss, self.optimizer, batches, self.rule,
                         max_epochs=1, alpha=rate if s.regularization == "L2" else 0.0,
                         l1=rate if s.regularization == "L1" else 0.0,
                         track_accuracy=self.doctor is not None)
        except TrainingDivergedError as error:
            what = "regularization rate" if error.cause == "alpha" else "learning rate"
            self.diverged = (f"training diverged ({str(error).split(':')[0]}); lower the "
                             f"{what} and press Reset")

    def losses(self) -> tuple[float, float]:
        """``(training loss, test loss)`` without the penalty, on the whole splits."""
        self.model.eval()
        with np.errstate(over="ignore", invalid="ignore"):
            train = self.eval_loss.forward(self.model.forward(self.inputs_train), self.y_train)
            test = self.eval_loss.forward(self.model.forward(self.inputs_test), self.y_test)
        self.model.train()
        return float(train), float(test)

    def outputs(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The network's output for ``inputs (n, n_features)`` (a probability for binary
        classification, ``(n, k)`` probabilities for k classes, the value for regression) and
        every hidden unit's activation ``(n, units)``, layer by layer."""
        with np.errstate(over="ignore", invalid="ignore"):
            every = self.model.activations(inputs)
        hidden = [out for layer, out in zip(self.model.layers, every)
                  if not isinstance(layer, Dense)]
        logits = every[-1]
        if isinstance(self.loss, BinaryCrossEntropy):
            return sigmoid(logits[:, 0]), hidden
        if isinstance(self.loss, SoftmaxCrossEntropy):
            return softmax(logits), hidden
        return logits[:, 0], hidden

    # -- messages to the page ------------------------------------------------------------------

    def frame(self) -> str:
        """What the page draws after an epoch, as JSON; arrays as base64 float32."""
        train, test = self.losses()
        output, hidden = self.outputs(self.grid_inputs)
        boundary = output.T if output.ndim == 2 else output  # (k, GRID*GRID) for k classes
        neurons = np.concatenate([h.T.ravel() for h in hidden]) if hidden else np.empty(0)
        weights = np.concatenate([np.concatenate([d.W.ravel(), d.b])
                                  for d in self.model.dense_layers])
        self._last_frame = time.monotonic()
        return json.dumps({
            "type": "frame", "version": self.version, "epoch": self.epoch,
            "train_loss": train if math.isfinite(train) else None,
            "test_loss": test if math.isfinite(test) else None,
            "boundary": b64(boundary), "neurons": b64(neurons), "weights": b64(weights),
            "diverged": self.diverged,
            **({} if self.doctor is None else {"doctor": [
                f"epoch {f.epoch}, {f.kind.replace('_', ' ')}: {f.message}"
                for f in self.doctor.findings]}),
        })

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
        }

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

    # -- messages from the page ----------------------------------------------------------------

    def handle(self, message) -> list[dict]:
        """Apply one message from the page; return the replies. A bad message raises
        ``SessionError`` (and changes nothing)."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise SessionError("a message must be an object with a \"type\"")
        kind = message["type"]
        handlers = {"config": self._on_config, "upload": self._on_upload,
                    "play": self._on_play, "pause": self._on_pause, "step": self._on_step,
                    "reset": self._on_reset, "set_weight": self._on_set_weight,
                    "download": self._on_download}
        if kind not in handlers:
            raise SessionError(f"unknown message type {shown(kind)}")
        with self._lock, self.turns.reply():
            return handlers[kind](message)

    def _restart(self, settings: Settings) -> list[dict]:
        self.playing = False
        self._build(settings)
        self.mailbox.clear()  # a frame of the old network must not follow the new layout
        self.mailbox.put(self.frame())
        return [self.network()]

    def _on_config(self, message) -> list[dict]:
        return self._restart(Settings.from_dict(message.get("settings")))

    def _on_upload(self, message) -> list[dict]:
        settings = Settings.from_dict({**asdict(self.settings), "dataset": UPLOAD,
                                       **({"problem": message["problem"]}
                                          if message.get("problem") else {})})
        name, text = message.get("name"), message.get("text")
        parse_upload(name, text, settings.problem)  # check before anything changes
        previous, self.upload_source = self.upload_source, (os.path.basename(name), text)
        try:
            return self._restart(settings)
        except SessionError:
            self.upload_source = previous
            raise

    def _on_reset(self, message) -> list[dict]:
        return self._restart(self.settings)

    def _on_play(self, message) -> list[dict]:
        if self.diverged:
            raise SessionError(self.diverged)
        self.playing = True
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="playground-training",
                                            daemon=True)
            self._thread.start()
        self._wake.set()
        return [{"type": "state", "playing": True, "epoch": self.epoch}]

    def _on_pause(self, message) -> list[dict]:
        self.playing = False
        self.mailbox.put(self.frame())
        return [{"type": "state", "playing": False, "epoch": self.epoch}]

    def _on_step(self, message) -> list[dict]:
        self.playing = False
        if self.diverged:
            raise SessionError(self.diverged)
        self.train_epoch()
        self.mailbox.put(self.frame())
        return [{"type": "state", "playing": False, "epoch": self.epoch}]

    def _on_set_weight(self, message) -> list[dict]:
        dense = self.model.dense_layers
        layer, source, target = (message.get(k) for k in ("layer", "from", "to"))
        value = message.get("value")
        if not all(isinstance(v, int) and not isinstance(v, bool)
                   for v in (layer, source, target)) or not 0 <= layer < len(dense):
            raise SessionError(f"a weight is named by integer layer (0 to {len(dense) - 1}), "
                               "from and to indices")
        d = dense[layer]
        if not (-1 <= source < d.n_in and 0 <= target < d.n_out):
            raise SessionError(f"layer {layer} has weights from 0..{d.n_in - 1} (or -1, the "
                               f"bias) to 0..{d.n_out - 1}")
        number = finite_number(value)
        if number is None or not -100 <= number <= 100:
            raise SessionError(f"a weight must be a number from -100 to 100, got {shown(value)}")
        value = number
        if source == -1:
            d.b[target] = value
        else:
            d.W[source, target] = value
        self.mailbox.put(self.frame())
        return []

    def _on_download(self, message) -> list[dict]:
        return [self.model_file()]

    # -- the worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        """Train while playing, one epoch per turn (``Turns``); publish a frame at most MAX_FPS
        times a second."""
        while True:
            self._wake.wait()
            if self._closed:
                return
            frame = None
            with self.turns.turn(), self._lock:
                if self._closed or not self.playing:
                    self._wake.clear()
                    continue
                self.train_epoch(give_way=True)
                if self.diverged:
                    self.playing = False
                if not self.playing or time.monotonic() - self._last_frame >= 1 / MAX_FPS:
                    self.turns.give_way()
                    frame = self.frame()
            if frame is not None:
                self.mailbox.put(frame)

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
