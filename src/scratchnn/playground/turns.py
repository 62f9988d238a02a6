"""Sharing one server between tabs: the ``Mailbox`` each tab's frames wait in (the newest
only), and the ``Turns`` training epochs take so that replies never wait behind them."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable

from ..training import Batches


class Mailbox:
    """At most one unsent frame: ``put`` replaces an unsent one (frames are coalesced)."""

    def __init__(self, notify: Callable[[], None] = lambda: None):
        self._lock = threading.Lock()
        self._frame: bytes | None = None
        self.notify = notify
        self.dropped = 0

    def put(self, frame: bytes) -> None:
        with self._lock:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
        self.notify()

    def take(self) -> bytes | None:
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
