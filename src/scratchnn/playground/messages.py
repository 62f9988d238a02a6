"""The page's messages to a session (``Session.handle``), one method each.

A message is a JSON object with a ``type``; ``handle`` returns the replies to send at once
(frames go to the session's mailbox). A bad message raises ``SessionError``, whose one line the
page shows, and changes nothing. ``Session`` (session.py) is the state these methods work on.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, replace

from ..optimizers import make_optimizer
from .run import live_settings
from .settings import LIVE, UPLOAD, SessionError, Settings, finite_number, from_link, shown
from .uploads import parse_upload

SPEEDS = (0.5, 1000)  # epochs per second a page may ask for (None: as fast as it goes)


def _index(value) -> bool:
    """True for a JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _penalty(settings: Settings) -> float:
    return settings.reg_rate if settings.regularization != "none" else 0.0


class Messages:
    """``Session``'s answers to the page (a mixin: the state is the session's)."""

    def handle(self, message) -> list[dict]:
        """Apply one message from the page; return the replies. A bad message raises
        ``SessionError`` (and changes nothing)."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise SessionError("a message must be an object with a \"type\"")
        kind = message["type"]
        handlers = {"config": self._on_config, "upload": self._on_upload,
                    "play": self._on_play, "pause": self._on_pause, "step": self._on_step,
                    "reset": self._on_reset, "set_weight": self._on_set_weight,
                    "download": self._on_download, "speed": self._on_speed,
                    "rewind": self._on_rewind, "compare": self._on_compare,
                    "inspect": self._on_inspect}
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

    # -- settings ------------------------------------------------------------------------------

    def _on_config(self, message) -> list[dict]:
        """A link (the page's first message), or the full settings: live changes keep the
        network; any other change builds a new one."""
        if "link" in message:
            link = message["link"]
            if not isinstance(link, str) or len(link) > 4096:
                raise SessionError("a link is the text of a URL's query, at most 4096 "
                                   "characters")
            settings, self.notices = from_link(link)
            return self._restart(settings)
        new = Settings.from_dict(message.get("settings"))
        self.notices = []
        changed = [name for name in asdict(new) if getattr(new, name) != getattr(self.settings,
                                                                                  name)]
        if not changed:  # the settings in force (a second click on one choice): the run goes on
            return [self.settings_message([])]
        if set(changed) <= LIVE:
            return self._live(new, changed)
        return self._restart(new)

    def _live(self, new: Settings, changed: list[str]) -> list[dict]:
        """Apply live settings to the running network: its weights, epoch and (for the same
        optimizer) the optimizer's state are kept; a new optimizer starts afresh; a new batch
        size takes effect from the next epoch."""
        old = self.settings
        if "optimizer" in changed:
            self.optimizer = make_optimizer(new.optimizer, self.model.parameters(), new.lr)
        elif "lr" in changed:
            self.optimizer.lr = new.lr
        if "batch_size" in changed:
            self.batches = self._batches(new.batch_size)
        self.settings = new
        self.timeline.add("live", self.epoch, changed=changed, live=live_settings(new))
        self.rule.new_doctor()  # its findings were about the old settings
        if self.diverged:
            self._after_divergence(old, new)
        self.mailbox.put(self.frame())
        return [self.settings_message(changed)]

    def _after_divergence(self, old: Settings, new: Settings) -> None:
        """A lower learning rate (or regularization rate, when that diverged) goes on from
        the weights training stopped at, if they are still numbers."""
        lowered = (new.lr < old.lr if self.diverged_cause == "lr"
                   else _penalty(new) < _penalty(old))
        if not lowered:
            return
        if self.weights_finite():
            self.diverged = self.diverged_cause = None
        else:
            self.diverged = ("the weights are no longer numbers (NaN or infinite), whatever "
                             "the rate: press Reset, or rewind to an earlier epoch")

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

    # -- training ------------------------------------------------------------------------------

    def _on_play(self, message) -> list[dict]:
        if self.diverged:
            raise SessionError(self.diverged)
        self.playing = True
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="playground-training",
                                            daemon=True)
            self._thread.start()
        self._wake.set()
        return [self.state()]

    def _on_pause(self, message) -> list[dict]:
        self.playing = False
        self.mailbox.put(self.frame())
        return [self.state()]

    def _on_step(self, message) -> list[dict]:
        self.playing = False
        if self.diverged:
            raise SessionError(self.diverged)
        self.train_epoch()
        self.mailbox.put(self.frame())
        return [self.state()]

    def _on_speed(self, message) -> list[dict]:
        speed = message.get("epochs_per_second")
        if speed is not None:
            number = finite_number(speed)
            if number is None or not SPEEDS[0] <= number <= SPEEDS[1]:
                raise SessionError(f"epochs_per_second must be a number from {SPEEDS[0]:g} to "
                                   f"{SPEEDS[1]:g}, or null (no limit); got {shown(speed)}")
            speed = number
        self.speed = speed
        self._due = 0.0
        self._wake.set()
        return [self.state()]

    # -- the network ---------------------------------------------------------------------------

    def _on_set_weight(self, message) -> list[dict]:
        dense = self.model.dense_layers
        layer, source, target = (message.get(k) for k in ("layer", "from", "to"))
        value = message.get("value")
        if not all(_index(v) for v in (layer, source, target)) or not 0 <= layer < len(dense):
            raise SessionError(f"a weight is named by integer layer (0 to {len(dense) - 1}), "
                               "from and to indices")
        d = dense[layer]
        if not (-1 <= source < d.n_in and 0 <= target < d.n_out):
            raise SessionError(f"layer {layer} has weights from 0..{d.n_in - 1} (or -1, the "
                               f"bias) to 0..{d.n_out - 1}")
        number = finite_number(value)
        if number is None or not -100 <= number <= 100:
            raise SessionError(f"a weight must be a number from -100 to 100, got {shown(value)}")
        if source == -1:
            d.b[target] = number
        else:
            d.W[source, target] = number
        self.timeline.add("weight", self.epoch, layer=layer, source=source, target=target,
                          value=number)
        self.mailbox.put(self.frame())
        return [{"type": "code", "epoch": self.epoch, "code": self.code()}]

    def _on_rewind(self, message) -> list[dict]:
        """Back to the newest snapshot at an epoch <= the one asked for, paused: weights,
        optimizer state, the order of the data to come, live settings, timeline."""
        epoch = message.get("epoch")
        if not _index(epoch) or epoch < 0:
            raise SessionError(f"rewind needs an epoch, a whole number from 0; got "
                               f"{shown(epoch)}")
        self.playing = False
        before = self.epoch
        snapshot = self.snapshots.at_or_before(epoch)
        live = snapshot.live
        if live["optimizer"] != self.settings.optimizer:
            self.optimizer = make_optimizer(live["optimizer"], self.model.parameters(),
                                            live["lr"])
        self.optimizer.load_state_dict(snapshot.optimizer)
        self.model.set_weights(snapshot.weights)
        self.rng.bit_generator.state = snapshot.rng
        if live["batch_size"] != self.settings.batch_size:
            self.batches = self._batches(live["batch_size"])
        self.settings = replace(self.settings, **live)
        self.epoch = snapshot.epoch
        self.timeline.go_back(snapshot.timeline)
        self.timeline.add("rewind", self.epoch, **{"from": before})
        self.curve.go_back(self.epoch)
        self.rule.go_back(snapshot.history)
        self.diverged = self.diverged_cause = None
        self.mailbox.put(self.frame())
        return [self.state(curve=self.curve.since(-1)), self.settings_message([])]

    def _on_compare(self, message) -> list[dict]:
        """On: pin the run so far and start again from epoch 0 (same settings, seed, data);
        on again while a run is pinned changes nothing. Off: forget the pinned run."""
        on = message.get("on")
        if not isinstance(on, bool):
            raise SessionError(f"compare needs \"on\": true or false; got {shown(on)}")
        if not on:
            self.pinned = None
            return [{"type": "compare", "pinned": None}]
        if self.pinned is not None:  # a second press before the first was answered: the run
            return [{"type": "compare", "pinned": self.pinned}]  # pinned stays, nothing restarts
        self.pinned = self.pin()
        return [{"type": "compare", "pinned": self.pinned}, *self._restart(self.settings)]

    def _on_inspect(self, message) -> list[dict]:
        point = message.get("point")
        n = len(self.X_train) + len(self.X_test)
        if point is not None and not (_index(point) and 0 <= point < n):
            raise SessionError(f"inspect names a point by its index, 0 to {n - 1}, or null; "
                               f"got {shown(point)}")
        self.selected = point
        self.mailbox.put(self.frame())
        return []

    def _on_download(self, message) -> list[dict]:
        return [self.model_file()]

