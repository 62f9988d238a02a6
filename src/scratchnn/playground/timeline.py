"""A run's history, kept so that the page can go back in it and the code panel can retell it.

* ``Timeline``: what happened to the network, in order: epochs trained, live changes of the
  settings, weight and bias edits, rewinds. ``codegen.python_code`` writes it out as Python,
  so the copied code stays exact whatever the learner did; the page marks the same events on
  its loss chart (``Timeline.marks``).
* ``Curve``: every epoch's training and test loss and scores (thinned when very long).
* ``Snapshots``: the whole state of training every ``interval`` epochs (epoch 0 included),
  what ``rewind`` restores; thinned (the interval doubled) when there are more than
  ``MAX_SNAPSHOTS``, so that memory stays bounded however long a tab trains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MAX_SNAPSHOTS = 200
SNAPSHOT_EVERY = 10  # epochs between snapshots at first
MAX_CURVE = 20_000  # curve points kept at most (every other one dropped beyond)


@dataclass(frozen=True)
class Event:
    """One thing that happened at ``epoch`` (the epoch the page showed then).

    kind ``"train"``: ``data["epochs"]`` epochs trained from ``epoch`` on; ``"partial"``:
    one epoch from ``epoch`` that stopped (diverged) after ``data["batches"]`` batches;
    ``"live"``: ``data["changed"]`` names the live settings changed, ``data["live"]`` holds
    every live setting's new value; ``"weight"``: ``data`` has ``layer`` (the Dense layer's
    index), ``source`` (a row of W, or -1 for the bias), ``target`` and ``value``;
    ``"rewind"``: ``data["from"]`` is the epoch the run was rewound from."""

    kind: str
    epoch: int
    data: dict = field(default_factory=dict)

    def mark(self) -> str:
        """The label of the event on the loss chart."""
        d = self.data
        if self.kind == "live":
            return ", ".join(live_label(name, d["live"]) for name in d["changed"])
        if self.kind == "weight":
            return f"{weight_name(d['layer'], d['source'], d['target'])} = {d['value']:.4g}"
        if self.kind == "rewind":
            return f"rewound from epoch {d['from']}"
        if self.kind == "partial":
            return "diverged"
        return f"{d['epochs']} epochs"


def weight_name(layer: int, source: int, target: int) -> str:
    """A weight's (or, for ``source == -1``, a bias's) name in the code: ``model.layers[2]
    .W[1, 3]``, Dense layer ``layer`` being ``model.layers[2 * layer]``."""
    if source == -1:
        return f"model.layers[{2 * layer}].b[{target}]"
    return f"model.layers[{2 * layer}].W[{source}, {target}]"


def live_label(name: str, live: dict) -> str:
    """A live setting's new value as the chart's mark says it: ``lr 0.1``, ``Adam``."""
    value = live[name]
    if name == "lr":
        return f"lr {value:g}"
    if name == "batch_size":
        return f"batch size {value}"
    if name == "optimizer":
        return {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"}.get(value, value)
    if name == "regularization":
        return "no regularization" if value == "none" else value
    return f"regularization rate {value:g}"


class Timeline:
    """The events of one network, oldest first; consecutive epochs make one ``train`` event."""

    def __init__(self):
        self.events: list[Event] = []

    def trained(self, epoch: int) -> None:
        """Epoch ``epoch`` (1, 2, ...) was trained."""
        last = self.events[-1] if self.events else None
        if last is not None and last.kind == "train":
            self.events[-1] = Event("train", last.epoch, {"epochs": last.data["epochs"] + 1})
        else:
            self.events.append(Event("train", epoch - 1, {"epochs": 1}))

    def stopped(self, epoch: int, batches: int) -> None:
        """Epoch ``epoch`` (the last one ``trained``) stopped after ``batches`` batches (its
        loss stopped being a number): a ``partial`` event of its own."""
        last = self.events.pop()
        if last.data["epochs"] > 1:
            self.events.append(Event("train", last.epoch, {"epochs": last.data["epochs"] - 1}))
        self.events.append(Event("partial", epoch - 1, {"batches": batches}))

    def add(self, kind: str, epoch: int, **data) -> None:
        self.events.append(Event(kind, epoch, data))

    def position(self) -> tuple[int, Event | None]:
        """Where the timeline is now, for a snapshot: its length and its last event."""
        return len(self.events), self.events[-1] if self.events else None

    def go_back(self, position: tuple[int, Event | None]) -> None:
        """Forget every event after ``position`` (the last event as it was then)."""
        length, last = position
        del self.events[length:]
        if length:
            self.events[-1] = last

    def marks(self) -> list[dict]:
        """Every event but training, for the loss chart: ``[{"epoch", "text"}]``."""
        return [{"epoch": e.epoch, "text": e.mark()} for e in self.events if e.kind != "train"]


def _number(value: float) -> float | None:
    """``value`` as JSON takes it: None for NaN or infinite."""
    return float(value) if math.isfinite(value) else None


class Curve:
    """Every epoch's ``(epoch, train loss, test loss, train score, test score)``; beyond
    ``MAX_CURVE`` points, every other one is dropped and only every ``stride``-th epoch kept."""

    def __init__(self):
        self.points: list[tuple] = []
        self.stride = 1

    def add(self, epoch: int, train: float, test: float, train_score: float,
            test_score: float) -> None:
        if epoch % self.stride:
            return
        self.points.append((epoch, _number(train), _number(test), _number(train_score),
                            _number(test_score)))
        if len(self.points) > MAX_CURVE:
            self.stride *= 2
            self.points = [p for p in self.points if p[0] % self.stride == 0]

    def go_back(self, epoch: int) -> None:
        """Forget the points after ``epoch``."""
        while self.points and self.points[-1][0] > epoch:
            self.points.pop()

    def since(self, epoch: int) -> list[list]:
        """``[[epoch, train, test, train_score, test_score], ...]`` after ``epoch``."""
        out = []
        for point in reversed(self.points):
            if point[0] <= epoch:
                break
            out.append(list(point))
        return out[::-1]

    def losses(self) -> list[list]:
        """``[[epoch, train, test], ...]``: the loss curve as a pinned run carries it."""
        return [list(p[:3]) for p in self.points]


@dataclass
class Snapshot:
    """Everything training needs to go on from ``epoch`` as it did the first time."""

    epoch: int
    weights: list[np.ndarray]
    optimizer: dict  # Optimizer.state_dict()
    rng: dict  # the data order generator's bit_generator.state
    live: dict  # the live settings then in force
    timeline: tuple[int, Event | None]
    history: int  # epochs in the doctor's History
    diverged: str | None = None


class Snapshots:
    """Snapshots every ``interval`` epochs, newest last; at most ``MAX_SNAPSHOTS`` (then every
    other one goes and the interval doubles)."""

    def __init__(self, interval: int = SNAPSHOT_EVERY):
        self.interval = interval
        self.kept: list[Snapshot] = []

    def due(self, epoch: int) -> bool:
        """True when ``epoch`` should be kept (and is not yet)."""
        return epoch % self.interval == 0 and not (self.kept and self.kept[-1].epoch >= epoch)

    def add(self, snapshot: Snapshot) -> None:
        self.kept.append(snapshot)
        if len(self.kept) > MAX_SNAPSHOTS:
            self.interval *= 2
            self.kept = [s for s in self.kept if s.epoch % self.interval == 0]

    def epochs(self) -> list[int]:
        return [s.epoch for s in self.kept]

    def at_or_before(self, epoch: int) -> Snapshot | None:
        """The newest snapshot at an epoch ``<= epoch``; the later ones are dropped."""
        while self.kept and self.kept[-1].epoch > epoch:
            self.kept.pop()
        return self.kept[-1] if self.kept else None
