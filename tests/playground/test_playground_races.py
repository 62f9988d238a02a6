"""The playground against a hurried user: messages that arrive while the worker trains, the
same choice sent twice, and a tab that trains for hours. The session in process (its worker
thread running) and over the WebSocket (Starlette's test client)."""

from __future__ import annotations

import importlib
import json
import threading
import time
from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
from starlette.testclient import TestClient

from scratchnn.playground import frames
from scratchnn.playground.app import create_app
from scratchnn.playground.session import Mailbox, Session
from scratchnn.playground.settings import Settings

run = importlib.import_module("scratchnn.playground.run")  # the package's run() shadows it


def wait_for(condition) -> None:
    """Until ``condition()`` holds (a state of the worker thread, not a length of time)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


def config(session: Session, **changes) -> list[dict]:
    return session.handle({"type": "config",
                           "settings": {**asdict(session.settings), **changes}})


def exact(session: Session) -> None:
    """The code panel's code, run in a fresh namespace, gives the session's weights."""
    with session._lock:
        namespace: dict = {}
        exec(session.code(), namespace)
        for ours, theirs in zip(session.model.get_weights(), namespace["model"].get_weights()):
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-7)


# --- the worker's frame and a message that overtakes it ----------------------------------------


class RacingMailbox(Mailbox):
    """At the worker's first frame, a rewind to epoch 0 is tried from another thread: it runs
    at once if the worker has let go of the session (the frame not yet in the mailbox)."""

    def __init__(self):
        super().__init__()
        self.session: Session | None = None
        self.raced = threading.Event()
        self.rewound_first = False

    def put(self, frame: bytes) -> None:
        if threading.current_thread().name == "playground-training" and not self.raced.is_set():
            def rewind():
                if self.session._lock.acquire(blocking=False):  # the worker let go
                    try:
                        self.session.handle({"type": "rewind", "epoch": 0})
                        self.rewound_first = True
                    finally:
                        self.session._lock.release()

            other = threading.Thread(target=rewind)
            other.start()
            other.join()
            super().put(frame)
            self.raced.set()
            return
        super().put(frame)


def test_a_rewind_while_playing_is_not_followed_by_a_frame_of_the_run_it_left():
    mailbox = RacingMailbox()
    session = Session(mailbox, Settings(hidden=[3]))
    mailbox.session = session
    try:
        session.handle({"type": "play"})
        mailbox.raced.wait(60)
        if not mailbox.rewound_first:  # the worker held on: the rewind comes after its frame
            session.handle({"type": "rewind", "epoch": 0})
        assert session.epoch == 0 and not session.playing
        with session._lock:  # the worker's turn, if any, is over
            header = frames.decode(mailbox.take())[0]
        assert header["epoch"] == 0, "the page would show the epoch it rewound from"
    finally:
        assert session.close()


# --- the same choice twice ---------------------------------------------------------------------


def test_the_settings_in_force_sent_again_keep_the_run():
    """A double click on a doctor's action sends its settings twice: the second must not start
    the network again."""
    session = Session(settings=Settings(hidden=[4], lr=0.03))
    for _ in range(5):
        session.train_epoch()
    (first,) = config(session, lr=0.01)
    version, weights = session.version, session.model.get_weights()
    (second,) = config(session, lr=0.01)
    assert first["type"] == second["type"] == "settings"
    assert second["changed"] == [] and second["epoch"] == 5
    assert session.epoch == 5 and session.version == version
    for before, now in zip(weights, session.model.get_weights()):
        np.testing.assert_array_equal(before, now)
    marks = frames.decode(session.frame())[0]["marks"]
    assert marks == [{"epoch": 5, "text": "lr 0.01"}]  # one change, one mark
    exact(session)


def test_reset_still_starts_again():
    session = Session(settings=Settings(hidden=[4]))
    session.train_epoch()
    (reply,) = session.handle({"type": "reset"})
    assert reply["type"] == "network" and session.epoch == 0


# --- messages while the worker trains ----------------------------------------------------------


def test_edits_and_live_changes_while_playing_keep_the_code_exact():
    session = Session(settings=Settings(hidden=[4, 3], optimizer="adam", lr=0.01, seed=3))
    changes = [{"lr": 0.03}, {"optimizer": "sgd"}, {"batch_size": 7}, {"optimizer": "momentum"},
               {"regularization": "L2", "reg_rate": 0.003}, {"lr": 0.1}, {"batch_size": 30},
               {"optimizer": "adam", "lr": 0.003}, {"regularization": "L1"}, {"lr": 0.003}]
    try:
        session.handle({"type": "play"})
        for k, change in enumerate(changes):
            epoch = session.epoch
            wait_for(lambda e=epoch: session.epoch > e)
            (reply,) = config(session, **change)
            assert reply["type"] == "settings", change
            session.handle({"type": "set_weight", "layer": k % 3, "from": -1 if k % 2 else 0,
                            "to": 0, "value": 0.5 - k / 10})
            session.handle({"type": "speed", "epochs_per_second": [None, 1000][k % 2]})
        epoch = session.epoch
        wait_for(lambda: session.epoch > epoch + 2)
        session.handle({"type": "pause"})
        exact(session)
    finally:
        assert session.close()


def test_a_rewind_to_before_a_live_change_then_another_change_is_a_new_branch():
    session = Session(settings=Settings(hidden=[4], lr=0.03, seed=5))
    for _ in range(12):
        session.train_epoch()
    config(session, lr=0.3)
    for _ in range(15):
        session.train_epoch()
    session.handle({"type": "rewind", "epoch": 11})  # the snapshot at 10: before the change
    assert session.epoch == 10 and session.settings.lr == 0.03
    config(session, optimizer="momentum")
    try:
        session.handle({"type": "play"})
        wait_for(lambda: session.epoch > 20)
        session.handle({"type": "pause"})
    finally:
        assert session.close()
    code = session.code()
    assert "opt.lr = 0.3" not in code and "snn.SGD(model.parameters(), lr=0.03, momentum" in code
    exact(session)


def test_a_rewind_to_a_huge_epoch_goes_to_the_newest_snapshot():
    session = Session(settings=Settings(hidden=[3]))
    for _ in range(25):
        session.train_epoch()
    replies = session.handle({"type": "rewind", "epoch": 10 ** 30})
    assert replies[0]["type"] == "state" and session.epoch == 20
    exact(session)


def test_divergence_then_rewind_then_play():
    session = Session(settings=Settings(dataset="plane", problem="regression", hidden=[8, 8],
                                        activation="linear", lr=0.01, optimizer="momentum"))
    for _ in range(22):
        session.train_epoch()
    config(session, lr=3)
    try:
        session.handle({"type": "play"})
        wait_for(lambda: session.diverged is not None and not session.playing)
        session.handle({"type": "rewind", "epoch": 20})
        assert session.diverged is None and session.settings.lr == 0.01
        session.handle({"type": "play"})
        wait_for(lambda: session.epoch > 24)
        session.handle({"type": "pause"})
    finally:
        assert session.close()
    assert session.diverged is None
    exact(session)


def test_compare_while_playing_then_off_and_on():
    with TestClient(create_app(host="testserver")) as client, \
            client.websocket_connect("/ws") as ws:
        def receive_until(kind, predicate=lambda m: True):
            while True:
                message = ws.receive()
                if message.get("bytes") is not None:
                    m = frames.decode(message["bytes"])[0]
                else:
                    m = json.loads(message["text"])
                    assert m["type"] != "error", m
                if m["type"] == kind and predicate(m):
                    return m

        receive_until("frame")
        ws.send_json({"type": "play"})
        receive_until("frame", lambda f: f["epoch"] >= 5)
        ws.send_json({"type": "compare", "on": True})
        pinned = receive_until("compare")["pinned"]
        network = receive_until("network")
        assert pinned["epoch"] >= 5 and network["pinned"] == pinned
        frame = receive_until("frame", lambda f: f["version"] == network["version"])
        assert frame["epoch"] == 0 and not frame["playing"]
        ws.send_json({"type": "compare", "on": False})
        assert receive_until("compare")["pinned"] is None
        ws.send_json({"type": "compare", "on": True})
        again = receive_until("compare")["pinned"]
        assert again["epoch"] == 0 and again["curve"] == [pinned["curve"][0]]


# --- a tab that trains for hours -----------------------------------------------------------------


def test_the_doctors_history_is_bounded_and_a_rewind_still_retraces(monkeypatch):
    monkeypatch.setattr(run, "MAX_HISTORY", 30)
    session = Session(settings=Settings(hidden=[3], seed=7))
    assert session.doctor is not None
    for _ in range(100):
        session.train_epoch()
    assert len(session.history.loss) <= 30 and session.rule.length == 100
    weights = session.model.get_weights()
    session.handle({"type": "rewind", "epoch": 90})
    assert session.epoch == 90 and session.rule.length == 90
    for _ in range(10):
        session.train_epoch()
    for before, now in zip(weights, session.model.get_weights()):
        np.testing.assert_array_equal(before, now)
    session.handle({"type": "rewind", "epoch": 0})  # before what was forgotten
    assert session.rule.length == 0 and session.history.loss == []
    session.train_epoch()
    assert session.rule.length == 1
    exact(session)


# --- compare pressed twice ---------------------------------------------------------------------


def test_compare_on_twice_keeps_the_run_first_pinned():
    """A quick second press of Compare sends "on" again (the page has no answer yet): it must
    not pin the restarted run, at epoch 0, in place of the run the learner meant."""
    session = Session(settings=Settings(hidden=[3]))
    for _ in range(6):
        session.train_epoch()
    first = session.handle({"type": "compare", "on": True})
    assert [r["type"] for r in first] == ["compare", "network"] and session.epoch == 0
    session.train_epoch()
    version = session.version
    (again,) = session.handle({"type": "compare", "on": True})
    assert again == {"type": "compare", "pinned": first[0]["pinned"]}
    assert again["pinned"]["epoch"] == 6
    assert session.epoch == 1 and session.version == version  # nothing restarted
    session.handle({"type": "compare", "on": False})
    assert session.handle({"type": "compare", "on": True})[0]["pinned"]["epoch"] == 1
