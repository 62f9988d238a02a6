"""One playground session (one browser tab): its settings, data, network and training thread.

Nothing here knows about the web: ``app.py`` turns messages from the page into calls of
``Session.handle`` and sends what the session publishes. Every number the page draws is
computed here, by the same core the library exports (``Dense``, the activations, the losses,
the optimizers, ``add_l1_penalty`` / ``add_l2_penalty``).

Training runs in a worker thread, one epoch at a time, exactly the teaching loop::

    value = loss.forward(model.forward(X_batch), y_batch)
    model.backward(loss.backward())
    optimizer.step()

Frames (what the page draws) are coalesced: the worker leaves at most one unsent frame in the
``Mailbox``; a newer frame replaces it, so a slow page drops frames and never slows training.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import datasets as ds
from ..layers import Dense, activation
from ..losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from ..model import Sequential
from ..optimizers import SGD, Adam
from ..training import History, accuracy, add_l1_penalty, add_l2_penalty

CLASSIFICATION = ("circles", "xor", "gaussians", "spirals", "moons")
REGRESSION = ("plane", "multi-gaussian")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "L1", "L2")
MAX_LAYERS, MAX_NEURONS = 6, 8
N_SAMPLES = 500
GRID = 50  # the boundary and every neuron's map are GRID x GRID
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_ROWS = 5000
MAX_MESSAGE_CHARS = 12 * 1024 * 1024  # an upload's CSV text, escaped as JSON, fits
MAX_FPS = 50  # frames computed per second at most while training runs
MAX_CLASSES = 8


def _doctor_class():
    """``scratchnn.doctor.TrainingDoctor`` where this version of the library has it."""
    try:
        from ..doctor import TrainingDoctor
    except ImportError:
        return None
    return TrainingDoctor


class SessionError(ValueError):
    """A message the session cannot accept; its text is shown on the page."""


# --- settings ----------------------------------------------------------------------------------


def _number(raw: dict, key: str, low: float, high: float, default: float,
            integer: bool = False) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SessionError(f"{key} must be a number, got {value!r}")
    if integer and value != int(value):
        raise SessionError(f"{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise SessionError(f"{key} must be between {low:g} and {high:g}, got {value:g}")
    return int(value) if integer else float(value)


def _choice(raw: dict, key: str, choices, default: str) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise SessionError(f"{key} must be one of {', '.join(choices)}; got {value!r}")
    return value


@dataclass
class Settings:
    """Everything the page can set; the URL holds the same fields, so a link reproduces a run."""

    dataset: str = "circles"
    noise: float = 0.0
    train_ratio: float = 0.5
    batch_size: int = 10
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    hidden: list[int] = field(default_factory=lambda: [4, 2])
    activation: str = "tanh"
    lr: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    reg_rate: float = 0.0
    problem: str = "classification"
    seed: int = 1

    @classmethod
    def from_dict(cls, raw) -> Settings:
        """Check every field of a message from the page; a bad one raises ``SessionError``."""
        if not isinstance(raw, dict):
            raise SessionError("settings must be an object")
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise SessionError(f"unknown setting(s): {', '.join(map(str, unknown[:5]))}")
        d = cls()
        problem = _choice(raw, "problem", ("classification", "regression"), d.problem)
        names = CLASSIFICATION if problem == "classification" else REGRESSION
        dataset = _choice(raw, "dataset", (*names, "upload"), names[0])
        features = raw.get("features", d.features)
        if (not isinstance(features, list) or not features or len(features) > len(FEATURES)
                or not all(f in FEATURES for f in features)):
            raise SessionError(f"features must be a non-empty list drawn from "
                               f"{', '.join(FEATURES)}")
        hidden = raw.get("hidden", d.hidden)
        if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS or not all(
                isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_NEURONS
                for n in hidden):
            raise SessionError(f"hidden must list at most {MAX_LAYERS} layer sizes, each from 1 "
                               f"to {MAX_NEURONS}")
        return cls(
            dataset=dataset,
            noise=_number(raw, "noise", 0, 1, d.noise),
            train_ratio=_number(raw, "train_ratio", 0.1, 0.9, d.train_ratio),
            batch_size=_number(raw, "batch_size", 1, N_SAMPLES, d.batch_size, integer=True),
            features=[f for f in FEATURES if f in features],  # the page's order, no repeats
            hidden=list(hidden),
            activation=_choice(raw, "activation", tuple(ACTIVATIONS), d.activation),
            lr=_number(raw, "lr", 1e-5, 10, d.lr),
            optimizer=_choice(raw, "optimizer", OPTIMIZERS, d.optimizer),
            regularization=_choice(raw, "regularization", REGULARIZATIONS, d.regularization),
            reg_rate=_number(raw, "reg_rate", 0, 10, d.reg_rate),
            problem=problem,
            seed=_number(raw, "seed", 0, 2**31 - 1, d.seed, integer=True),
        )


# --- data --------------------------------------------------------------------------------------


def regression_plane(n_samples: int = N_SAMPLES, noise: float = 0.1, random_state=None):
    """TF Playground's "plane": points in [-1, 1]^2, target ``(x1 + x2) / 2`` in [-1, 1]
    (noise jitters the points after the target is computed, as in Playground)."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    y = (X[:, 0] + X[:, 1]) / 2
    return X + noise * rng.standard_normal(X.shape), y


def regression_multi_gaussian(n_samples: int = N_SAMPLES, noise: float = 0.1,
                              random_state=None):
    """TF Playground's "multi gaussian": six bumps of sign +-1 on a 3 x 2 lattice; the target
    is the bump of largest magnitude at each point, in [-1, 1]."""
    rng = np.random.default_rng(random_state)
    centres = np.array([[-0.6, 0.4], [0.0, 0.4], [0.6, 0.4],
                        [-0.6, -0.4], [0.0, -0.4], [0.6, -0.4]])
    signs = np.array([-1, 1, -1, 1, -1, 1])
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    dist2 = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
    bumps = signs * np.exp(-dist2 / (2 * 0.25**2))
    y = bumps[np.arange(n_samples), np.abs(bumps).argmax(axis=1)]
    return X + noise * rng.standard_normal(X.shape), y


def generate(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The dataset of ``settings``: ``X (500, 2)`` and labels (or regression targets)."""
    if settings.dataset == "plane":
        return regression_plane(N_SAMPLES, settings.noise, settings.seed)
    if settings.dataset == "multi-gaussian":
        return regression_multi_gaussian(N_SAMPLES, settings.noise, settings.seed)
    return ds.load(settings.dataset, n_samples=N_SAMPLES, noise=settings.noise,
                   random_state=settings.seed)


@dataclass
class Upload:
    """A CSV from the page: two feature columns and a label (or target) column."""

    name: str
    columns: list[str]
    target: str
    X: np.ndarray
    labels: list
    classes: list


@contextlib.contextmanager
def _read_csv(name: str, text: str):
    """The CLI's CSV reader, on text from the page: the table while the block runs (the reader
    goes back to the file to name the line of a bad value). A ``DataError`` in the block
    becomes a ``SessionError`` naming the upload, not the temporary file."""
    from .._csv import DataError, read_table

    with tempfile.TemporaryDirectory(prefix="scratchnn-upload-") as folder:
        path = os.path.join(folder, "upload.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            yield read_table(path)
        except DataError as error:
            raise SessionError(str(error).replace(path, name)) from None


def parse_upload(name, text, problem: str) -> Upload:
    """Check an uploaded CSV as ``scratchnn train --data`` does: a header, numeric feature
    columns, a label column (named "label", else the last one)."""
    from .._csv import read_labels, sorted_classes

    if not isinstance(name, str) or not isinstance(text, str):
        raise SessionError("an upload needs a file name and its text")
    name = os.path.basename(name)[:100] or "upload.csv"
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise SessionError(f"{name} is larger than 5 MB; upload at most 5 MB")
    with _read_csv(name, text) as table:
        target = "label" if "label" in table.header else table.header[-1]
        columns = [c for c in table.header if c != target]
        if len(columns) != 2:
            raise SessionError(f"{name} has {len(columns)} feature column(s) besides the label "
                               f"{target!r} ({', '.join(columns)}); the playground draws the "
                               "plane, so give exactly 2 numeric columns and a label")
        if table.n_rows > MAX_UPLOAD_ROWS:
            raise SessionError(f"{name} has {table.n_rows} rows; the playground takes at "
                               f"most {MAX_UPLOAD_ROWS}")
        X = table.numeric(columns)
        if problem == "regression":
            labels = table.numeric([target])[:, 0].tolist()
            classes = []
        else:
            labels = read_labels(table, target)
            classes = sorted_classes(labels)
    if problem == "classification" and not 2 <= len(classes) <= MAX_CLASSES:
        raise SessionError(f"{name}: the label column {target!r} has {len(classes)} distinct "
                           f"value(s); classification needs 2 to {MAX_CLASSES} classes")
    return Upload(name, columns, target, X, labels, classes)


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


# --- one session -------------------------------------------------------------------------------


def _domain(X: np.ndarray) -> tuple[float, float, float, float]:
    """A square box around the points, with a margin: ``(x1_min, x1_max, x2_min, x2_max)``."""
    low, high = X.min(axis=0), X.max(axis=0)
    centre = (low + high) / 2
    half = math.ceil(max(float((high - low).max()) / 2 * 1.1, 0.5) * 10) / 10
    return (float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half))


def _grid(domain) -> np.ndarray:
    """``(GRID * GRID, 2)`` points, row by row from the top (largest x2) as a canvas draws."""
    x1 = np.linspace(domain[0], domain[1], GRID)
    x2 = np.linspace(domain[3], domain[2], GRID)
    g1, g2 = np.meshgrid(x1, x2)
    return np.column_stack([g1.ravel(), g2.ravel()])


def build_model(settings: Settings, n_outputs: int, rng: np.random.Generator) -> Sequential:
    """``Dense`` layers of the page's sizes with its activation between them (He init for ReLU,
    Glorot otherwise), drawn from ``rng``: the same calls the code panel shows."""
    sizes = [len(settings.features), *settings.hidden, n_outputs]
    init = "he" if settings.activation == "relu" else "glorot"
    name = "identity" if settings.activation == "linear" else settings.activation
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Dense(sizes[i], sizes[i + 1], rng=rng, init=init))
        if i < len(sizes) - 2:
            layers.append(activation(name))
    return Sequential(layers)


class Session:
    """One tab's playground. ``handle(message)`` returns the replies to send at once; frames go
    to ``mailbox``. Thread-safe: the worker thread and ``handle`` share one lock."""

    def __init__(self, mailbox: Mailbox | None = None, settings: Settings | None = None):
        self.mailbox = mailbox or Mailbox()
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
        if settings.dataset == "upload":
            if self.upload_source is None:
                raise SessionError("an uploaded file is not kept in the link; upload it again")
            up = parse_upload(*self.upload_source, settings.problem)
            if settings.problem == "regression":
                return up.X, np.asarray(up.labels, float), [], up.columns, up.target
            index = {c: i for i, c in enumerate(up.classes)}
            y = np.array([index[v] for v in up.labels])
            return up.X, y, up.classes, up.columns, up.target
        X, y = generate(settings)
        classes = [] if settings.problem == "regression" else np.unique(y).tolist()
        return X, y, classes, ["x1", "x2"], None

    def _build(self, settings: Settings) -> None:
        """New data, split, network and optimizer from ``settings`` (deterministic: the seed)."""
        X, y, classes, names, target = self._data(settings)
        classify = settings.problem == "classification"
        X_train, X_test, y_train, y_test = ds.train_test_split(
            X, y, test_size=1 - settings.train_ratio, random_state=settings.seed,
            stratify=classify)
        self.mean = self.scale = None
        if settings.dataset == "upload":  # standardise with the training split, as the CLI does
            self.mean = X_train.mean(axis=0)
            self.scale = np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1.0)
            X_train, X_test = (X_train - self.mean) / self.scale, (X_test - self.mean) / self.scale
        self.lift = ds.FeatureLift(settings.features)
        self.rng = np.random.default_rng(settings.seed)
        n_out = len(classes) if len(classes) > 2 else 1
        self.model = build_model(settings, n_out, self.rng)
        if not classify:
            self.loss, self.eval_loss = MeanSquaredError(), MeanSquaredError()
            y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
        elif n_out == 1:
            self.loss, self.eval_loss = BinaryCrossEntropy(), BinaryCrossEntropy()
            y_train, y_test = y_train.reshape(-1, 1).astype(float), y_test.reshape(-1, 1) * 1.0
        else:
            self.loss, self.eval_loss = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
        params = self.model.parameters()
        if settings.optimizer == "adam":
            self.optimizer = Adam(params, lr=settings.lr)
        else:
            momentum = 0.9 if settings.optimizer == "momentum" else 0.0
            self.optimizer = SGD(params, lr=settings.lr, momentum=momentum)
        self.settings, self.classes, self.names, self.target = settings, classes, names, target
        self.X_train, self.X_test, self.y_train, self.y_test = X_train, X_test, y_train, y_test
        self.inputs_train = self.lift.transform(X_train)
        self.inputs_test = self.lift.transform(X_test)
        self.domain = _domain(np.vstack([X_train, X_test]))
        self.grid_inputs = self.lift.transform(_grid(self.domain))
        self.epoch, self.diverged = 0, False
        doctor = _doctor_class()
        # The training doctor watches the run as fit would let it (a callback after each
        # epoch, with the test split as validation data) and its findings go into the frames.
        self.doctor = None if doctor is None else doctor(X=self.inputs_train, stream=None)
        self.history = History()
        self.version += 1
        self._last_frame = 0.0

    # -- training ------------------------------------------------------------------------------

    def train_epoch(self) -> None:
        """One pass over the training data in shuffled mini-batches (the teaching loop)."""
        s, n = self.settings, self.inputs_train.shape[0]
        order = self.rng.permutation(n)
        value = loss_sum = correct = 0.0
        for start in range(0, n, s.batch_size):
            rows = order[start:start + s.batch_size]
            logits = self.model.forward(self.inputs_train[rows], copy=False)
            value = self.loss.forward(logits, self.y_train[rows])
            if self.doctor is not None:
                correct += accuracy(logits, self.y_train[rows], self.loss) * len(rows)
            self.model.backward(self.loss.backward())
            if s.regularization == "L2" and s.reg_rate:
                value += add_l2_penalty(self.model, s.reg_rate, len(rows))
            elif s.regularization == "L1" and s.reg_rate:
                value += add_l1_penalty(self.model, s.reg_rate, len(rows))
            self.optimizer.step()
            loss_sum += value * len(rows)
        self.epoch += 1
        self.epochs_trained += 1
        if not math.isfinite(value):
            self.diverged = True
        elif self.doctor is not None:
            self._consult_doctor(loss_sum / n, correct / n)

    def _consult_doctor(self, train_loss: float, train_accuracy: float) -> None:
        h = self.history
        h.loss.append(train_loss)
        h.accuracy.append(train_accuracy)
        h.lr.append(self.optimizer.lr)
        self.model.eval()
        with np.errstate(over="ignore", invalid="ignore"):
            logits = self.model.forward(self.inputs_test)
            h.val_loss.append(self.eval_loss.forward(logits, self.y_test))
            h.val_accuracy.append(accuracy(logits, self.y_test, self.eval_loss))
        self.model.train()
        try:
            self.doctor(self.epoch, h, self.model)
        except Exception as error:  # a doctor's bug must not stop training: say so, go on
            print(f"scratchnn playground: the training doctor failed and is off for this run "
                  f"({type(error).__name__}: {error})", file=sys.stderr)
            self.doctor = None

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
        every hidden activation ``(n, units)``, layer by layer."""
        self.model.eval()
        out, hidden = inputs, []
        with np.errstate(over="ignore", invalid="ignore"):
            for layer in self.model.layers:
                out = layer.forward(out)
                if not isinstance(layer, Dense):
                    hidden.append(out.copy())
            out = out.copy()
        self.model.train()
        if isinstance(self.loss, BinaryCrossEntropy):
            return 0.5 * (1 + np.tanh(out[:, 0] / 2)), hidden  # the stable sigmoid
        if isinstance(self.loss, SoftmaxCrossEntropy):
            shifted = np.exp(out - out.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True), hidden
        return out[:, 0], hidden

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
        if s.dataset == "upload":
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
            raise SessionError(f"unknown message type {kind[:40]!r}")
        with self._lock:
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
        settings = Settings.from_dict({**asdict(self.settings), "dataset": "upload",
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
            raise SessionError("training diverged (the loss is no longer a number); lower the "
                               "learning rate and press Reset")
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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and -100 <= value <= 100):
            raise SessionError(f"a weight must be a number from -100 to 100, got {value!r}")
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
        """Train while playing; publish a frame at most MAX_FPS times a second."""
        while True:
            self._wake.wait()
            if self._closed:
                return
            frame = None
            with self._lock:
                if not self.playing:
                    self._wake.clear()
                    continue
                self.train_epoch()
                if self.diverged:
                    self.playing = False
                if not self.playing or time.monotonic() - self._last_frame >= 1 / MAX_FPS:
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


# --- the code panel ----------------------------------------------------------------------------


def python_code(session: Session) -> str:
    """The Python (the teaching API) that trains exactly the network on screen."""
    s = session.settings
    lines = ["import numpy as np", "", "import scratchnn as snn", "from scratchnn import datasets",
             ""]
    if s.dataset in REGRESSION:
        func = "regression_plane" if s.dataset == "plane" else "regression_multi_gaussian"
        lines[4:4] = [f"from scratchnn.playground.session import {func}"]
        lines += [f"X, y = {func}({N_SAMPLES}, noise={s.noise:g}, random_state={s.seed})"]
    elif s.dataset == "upload":
        cols = ", ".join(repr(c) for c in session.names)
        lines[0:0] = ["import csv"]
        lines += [f"with open({session.upload_source[0]!r}, newline='') as f:",
                  "    rows = list(csv.DictReader(f))",
                  f"X = np.array([[float(row[c]) for c in ({cols})] for row in rows])"]
        if s.problem == "regression":
            lines += [f"y = np.array([float(row[{session.target!r}]) for row in rows])"]
        else:
            lines += [f"classes = {[str(c) for c in session.classes]!r}",
                      f"y = np.array([classes.index(row[{session.target!r}].strip()) "
                      "for row in rows])"]
    else:
        lines += [f"X, y = datasets.{s.dataset}(n_samples={N_SAMPLES}, noise={s.noise:g}, "
                  f"random_state={s.seed})"]
    stratify = "" if s.problem == "classification" else ", stratify=False"
    lines += ["X_train, X_test, y_train, y_test = datasets.train_test_split(",
              f"    X, y, test_size={1 - s.train_ratio:.10g}, random_state={s.seed}{stratify})"]
    if s.dataset == "upload":
        lines += ["mean, scale = X_train.mean(axis=0), X_train.std(axis=0)",
                  "X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale"]
    lines += [f"lift = datasets.FeatureLift({list(s.features)!r})",
              "inputs_train, inputs_test = lift.transform(X_train), lift.transform(X_test)", ""]
    return "\n".join(lines + _network_code(session))


def _network_code(session: Session) -> list[str]:
    s = session.settings
    sizes = [len(s.features), *s.hidden, session.model.n_outputs]
    init = "he" if s.activation == "relu" else "glorot"
    act = ACTIVATIONS[s.activation]
    lines = [f"rng = np.random.default_rng({s.seed})", "model = snn.Sequential(["]
    for i in range(len(sizes) - 1):
        tail = f" snn.{act}()," if i < len(sizes) - 2 else ""
        lines.append(f"    snn.Dense({sizes[i]}, {sizes[i + 1]}, rng=rng, init={init!r}),{tail}")
    lines.append("])")
    loss = type(session.loss).__name__
    lines.append(f"loss = snn.{loss}()")
    if loss == "BinaryCrossEntropy" or loss == "MeanSquaredError":
        lines.append("y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)")
    if s.optimizer == "adam":
        lines.append(f"opt = snn.Adam(model.parameters(), lr={s.lr:g})")
    else:
        momentum = ", momentum=0.9" if s.optimizer == "momentum" else ""
        lines.append(f"opt = snn.SGD(model.parameters(), lr={s.lr:g}{momentum})")
    penalty = {"L1": "add_l1_penalty", "L2": "add_l2_penalty"}.get(s.regularization)
    lines += ["", f"epochs = {session.epoch}  # as many as the page has trained so far",
              "for epoch in range(epochs):",
              "    order = rng.permutation(len(inputs_train))",
              f"    for start in range(0, len(order), {s.batch_size}):",
              f"        rows = order[start:start + {s.batch_size}]",
              "        value = loss.forward(model.forward(inputs_train[rows]), y_train[rows])",
              "        model.backward(loss.backward())"]
    if penalty and s.reg_rate:
        lines.append(f"        snn.training.{penalty}(model, {s.reg_rate:g}, len(rows))")
    lines += ["        opt.step()", "",
              "model.eval()",
              "print('test loss', loss.forward(model.forward(inputs_test), y_test))"]
    return lines
