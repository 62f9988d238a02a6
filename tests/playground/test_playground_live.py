"""The playground's second version on the server: live settings, the timeline the code panel
retells, the per-epoch curve, snapshots and rewind, speed, compare, inspect, the binary
frame's header and divergence. The session in process, and over the WebSocket (Starlette's
test client)."""

from __future__ import annotations

import base64
import json
import math
import re
import time
from dataclasses import asdict, replace

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
from starlette.testclient import TestClient

from scratchnn import datasets as ds
from scratchnn import metrics
from scratchnn.playground import frames, timeline
from scratchnn.playground.app import create_app
from scratchnn.playground.codegen import python_code
from scratchnn.playground.data import GENERATORS
from scratchnn.playground.run import action
from scratchnn.playground.session import CURVE_TAIL, GRID, Session
from scratchnn.playground.settings import SessionError, Settings

DIVERGING = ("?dataset=plane&problem=regression&activation=linear&lr=10&hidden=8,8"
             "&optimizer=momentum")


@pytest.fixture()
def client():
    with TestClient(create_app(host="testserver")) as test_client:
        yield test_client


def receive(ws) -> dict:
    """The next message: JSON text, or a binary frame (its header, its arrays in "data")."""
    message = ws.receive()
    if message.get("bytes") is not None:
        header, arrays = frames.decode(message["bytes"])
        return {**header, "data": arrays}
    return json.loads(message["text"])


def receive_until(ws, kind: str, predicate=lambda m: True) -> dict:
    while True:
        message = receive(ws)
        if message["type"] == "error" and kind != "error":
            raise AssertionError(f"unexpected error from the server: {message['message']}")
        if message["type"] == kind and predicate(message):
            return message


def opened(ws) -> tuple[dict, dict]:
    assert receive(ws)["type"] == "hello"
    network = receive_until(ws, "network")
    return network, receive_until(ws, "frame")


def header(session: Session) -> dict:
    return frames.decode(session.frame())[0]


def config(session: Session, **changes) -> list[dict]:
    return session.handle({"type": "config",
                           "settings": {**asdict(session.settings), **changes}})


def train(session: Session, epochs: int) -> None:
    for _ in range(epochs):
        session.train_epoch()


def same_weights(a, b) -> None:
    for ours, theirs in zip(a.model.get_weights(), b.get_weights() if hasattr(b, "get_weights")
                            else b.model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-7)


def run_code(code: str):
    """Run the code panel's code; its model."""
    namespace: dict = {}
    exec(code, namespace)
    return namespace["model"]


# --- 1. live settings ------------------------------------------------------------------------


def test_a_live_learning_rate_keeps_the_weights_the_epoch_and_the_optimizers_state():
    session = Session(settings=Settings(optimizer="adam", lr=0.01, hidden=[4]))
    train(session, 5)
    weights, optimizer, steps = session.model.get_weights(), session.optimizer, session.optimizer.t
    version = session.version
    (reply,) = config(session, lr=0.1)
    assert reply["type"] == "settings" and reply["changed"] == ["lr"] and reply["epoch"] == 5
    assert reply["settings"]["lr"] == 0.1 and "opt.lr = 0.1" in reply["code"]
    assert session.epoch == 5 and session.version == version  # the same network
    for before, now in zip(weights, session.model.get_weights()):
        np.testing.assert_array_equal(before, now)
    assert session.optimizer is optimizer and optimizer.t == steps and optimizer.lr == 0.1
    assert {"epoch": 5, "text": "lr 0.1"} in header(session)["marks"]
    session.train_epoch()
    assert session.epoch == 6 and optimizer.t > steps


def test_a_new_optimizer_starts_afresh_and_a_batch_size_takes_the_next_epoch():
    session = Session(settings=Settings(lr=0.03, hidden=[4]))
    train(session, 3)
    old = session.optimizer
    (reply,) = config(session, optimizer="adam", lr=0.01, batch_size=25)
    assert sorted(reply["changed"]) == ["batch_size", "lr", "optimizer"]
    assert session.optimizer is not old and type(session.optimizer).__name__ == "Adam"
    assert session.optimizer.t == 0 and session.optimizer.lr == 0.01
    assert session.batches.batch_size == 25 and session.batches.rng is session.rng
    assert session.epoch == 3
    session.train_epoch()
    assert session.optimizer.t == 250 // 25  # one step per batch of 25


def test_a_change_that_is_not_live_builds_a_new_network():
    session = Session()
    train(session, 3)
    (reply,) = config(session, hidden=[3], lr=0.1)
    assert reply["type"] == "network" and session.epoch == 0
    assert reply["sizes"] == [2, 3, 1] and session.settings.lr == 0.1


def test_live_changes_over_the_websocket(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        for _ in range(4):
            ws.send_json({"type": "step"})
        receive_until(ws, "frame", lambda f: f["epoch"] == 4)
        ws.send_json({"type": "config", "id": 9,
                      "settings": {**asdict(Settings()), "regularization": "L2",
                                   "reg_rate": 0.01}})
        reply = receive_until(ws, "settings")
        assert reply["id"] == 9 and reply["epoch"] == 4
        assert reply["changed"] == ["regularization", "reg_rate"]
        frame = receive_until(ws, "frame")
        assert frame["epoch"] == 4 and {"epoch": 4, "text": "L2, regularization rate 0.01"} in (
            frame["marks"])


def test_a_link_is_parsed_with_notices(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_json({"type": "config", "link": "?dataset=xor&lr=abc&hidden=3"})
        network = receive_until(ws, "network")
    assert network["settings"]["dataset"] == "xor" and network["sizes"] == [2, 3, 1]
    assert network["settings"]["lr"] == Settings().lr
    assert any(n.startswith("lr=abc") for n in network["notices"]), network["notices"]
    assert set(network["live"]) == {"lr", "optimizer", "regularization", "reg_rate",
                                    "batch_size"}


# --- 2. the timeline and the code panel ------------------------------------------------------


def epochs_lines(code: str) -> list[str]:
    return re.findall(r"^epochs = \d+", code, flags=re.M)


def test_the_code_stays_exact_after_live_changes():
    session = Session(settings=Settings(dataset="spiral", hidden=[6, 4], lr=0.03, seed=4))
    train(session, 4)
    config(session, lr=0.1)
    train(session, 3)
    config(session, optimizer="adam", lr=0.01)
    train(session, 2)
    config(session, batch_size=7, regularization="L1", reg_rate=0.003)
    train(session, 2)
    config(session, optimizer="momentum", regularization="L2", reg_rate=0.01, batch_size=30)
    train(session, 3)
    code = python_code(session)
    assert "train(4)\nopt.lr = 0.1\ntrain(3)\n" in code
    assert "opt = snn.Adam(model.parameters(), lr=0.01)" in code
    assert "batch_size = 7" in code and "l1, l2 = 0.003, 0.0" in code
    assert epochs_lines(code) == ["epochs = 14"]
    assert code.rstrip().splitlines()[-2:] == ["epochs = 14  # the epoch the page shows",
                                               "train(epochs - 11)"]
    same_weights(session, run_code(code))


def test_changes_before_the_first_epoch_are_written_into_the_network_built():
    session = Session(settings=Settings(dataset="xor", hidden=[4, 2], seed=2))
    config(session, optimizer="adam")  # as a compared run starts: a new optimizer at epoch 0
    config(session, lr=0.01, batch_size=5)
    train(session, 6)
    code = python_code(session)
    assert "opt = snn.Adam(model.parameters(), lr=0.01)\nbatch_size = 5\n" in code
    assert "afresh" not in code and "opt.lr" not in code and "snn.SGD" not in code
    same_weights(session, run_code(code))
    config(session, lr=0.003)  # after an epoch, a change is retold where it happened
    train(session, 2)
    code = python_code(session)
    assert "train(6)\nopt.lr = 0.003\n" in code
    same_weights(session, run_code(code))


def test_the_code_stays_exact_after_weight_and_bias_edits(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_json({"type": "step"})
        ws.send_json({"type": "step"})
        receive_until(ws, "frame", lambda f: f["epoch"] == 2)
        ws.send_json({"type": "set_weight", "layer": 1, "from": 2, "to": 1, "value": 0.83})
        reply = receive_until(ws, "code")
        assert "model.layers[2].W[2, 1] = 0.83" in reply["code"]
        ws.send_json({"type": "set_weight", "layer": 0, "from": -1, "to": 3, "value": -0.12})
        reply = receive_until(ws, "code")
        assert "model.layers[0].b[3] = -0.12" in reply["code"]
        frame = receive_until(ws, "frame", lambda f: len(f["marks"]) == 2)
        assert frame["marks"][1]["text"] == "model.layers[0].b[3] = -0.12"
        ws.send_json({"type": "step"})
        receive_until(ws, "frame", lambda f: f["epoch"] == 3)
        (session,) = client.app.state.sessions
        code = reply["code"]
    assert epochs_lines(code) == ["epochs = 2"]
    # the page rewrites the epochs line as frames arrive: the code then trains what it shows
    same_weights(session, run_code(re.sub(r"^epochs = \d+", "epochs = 3", code, flags=re.M)))
    assert epochs_lines(session.code()) == ["epochs = 3"]
    same_weights(session, run_code(session.code()))


def test_the_code_stays_exact_after_a_rewind():
    session = Session(settings=Settings(hidden=[5], optimizer="adam", lr=0.01))
    train(session, 12)
    config(session, lr=0.003)
    session.handle({"type": "set_weight", "layer": 0, "from": 1, "to": 2, "value": 1.5})
    train(session, 15)
    session.handle({"type": "rewind", "epoch": 25})  # the snapshot at 20: after both edits
    assert session.epoch == 20 and session.settings.lr == 0.003
    train(session, 3)
    code = session.code()
    assert "# rewound from epoch 27 to epoch 20" in code
    same_weights(session, run_code(code))
    session.handle({"type": "rewind", "epoch": 10})  # before the edits
    assert session.settings.lr == 0.01 and "opt.lr" not in session.code()
    train(session, 2)
    same_weights(session, run_code(session.code()))


def test_the_code_stays_exact_after_a_divergence_and_a_lower_rate():
    session = Session(settings=Settings(dataset="plane", problem="regression", hidden=[4, 2],
                                        activation="linear", lr=1, seed=2))
    train(session, 1)
    assert session.diverged  # in its first epoch, some batches in
    code = session.code()
    assert re.search(r"^train\(1, batches=\d+\)  # epoch 1 diverged", code, flags=re.M)
    same_weights(session, run_code(code))
    config(session, lr=0.01)
    assert session.diverged is None
    session.handle({"type": "step"})  # it may diverge again: its weights were already large
    assert session.epoch == 2 and "opt.lr = 0.01" in session.code()
    same_weights(session, run_code(session.code()))
    assert {"epoch": 0, "text": "diverged"} in header(session)["marks"]


# --- 3. the curve ----------------------------------------------------------------------------


def test_every_epoch_is_on_the_curve_not_only_those_with_a_frame():
    session = Session(settings=Settings(hidden=[4]))
    train(session, 6)
    points = session.curve.points
    assert [p[0] for p in points] == list(range(7))
    train_loss, test_loss = session.losses()
    assert points[-1][1:3] == (train_loss, test_loss)
    first = header(session)
    assert [p[0] for p in first["curve"]] == list(range(7))
    train(session, CURVE_TAIL + 5)
    tail = [p[0] for p in header(session)["curve"]]  # the newest points, enough to fill a gap
    assert tail == list(range(session.epoch - CURVE_TAIL + 1, session.epoch + 1))


def test_the_curve_is_thinned_not_unbounded():
    curve = timeline.Curve()
    for epoch in range(timeline.MAX_CURVE * 3):
        curve.add(epoch, 1.0, 2.0, 0.5, 0.5)
    assert len(curve.points) <= timeline.MAX_CURVE
    assert curve.points[0][0] == 0 and all(p[0] % curve.stride == 0 for p in curve.points)


# --- 4. snapshots and rewind -----------------------------------------------------------------


def test_snapshots_every_n_epochs_and_thinned_beyond_the_limit():
    session = Session(settings=Settings(hidden=[3]))
    train(session, 25)
    assert header(session)["snapshots"] == [0, 10, 20]
    store = timeline.Snapshots(interval=1)
    for epoch in range(1000):
        if store.due(epoch):
            store.add(timeline.Snapshot(epoch, [], {}, {}, {}, (0, None), 0))
    assert len(store.kept) <= timeline.MAX_SNAPSHOTS and store.epochs()[0] == 0
    assert all(e % store.interval == 0 for e in store.epochs())


def test_rewind_then_train_retraces_the_same_run():
    settings = Settings(dataset="xor", hidden=[6], optimizer="adam", lr=0.01)
    session, twin = Session(settings=settings), Session(settings=settings)
    train(session, 27)
    train(twin, 20)
    replies = session.handle({"type": "rewind", "epoch": 24})
    assert [r["type"] for r in replies] == ["state", "settings"]
    assert replies[0]["epoch"] == 20 and not replies[0]["playing"]
    assert [p[0] for p in replies[0]["curve"]] == list(range(21))
    same_weights(session, twin)
    assert session.optimizer.t == twin.optimizer.t
    first = frames.decode(session.mailbox.take())[0]
    assert first["epoch"] == 20 and first["snapshots"] == [0, 10, 20]
    assert {"epoch": 20, "text": "rewound from epoch 27"} in first["marks"]
    train(session, 7)
    train(twin, 7)
    for ours, theirs in zip(session.model.get_weights(), twin.model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)  # the data's order came back too


def test_rewind_restores_the_live_settings_then_in_force(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        for _ in range(12):
            ws.send_json({"type": "step"})
        receive_until(ws, "frame", lambda f: f["epoch"] == 12)
        ws.send_json({"type": "config", "settings": {**asdict(Settings()), "lr": 0.3,
                                                     "batch_size": 20}})
        receive_until(ws, "settings")
        ws.send_json({"type": "rewind", "epoch": 11})
        state = receive_until(ws, "state")
        settings = receive_until(ws, "settings")
        frame = receive_until(ws, "frame", lambda f: f["epoch"] == 10)
        (session,) = client.app.state.sessions
    assert state["epoch"] == 10 and state["diverged"] is None
    assert settings["settings"]["lr"] == Settings().lr
    assert settings["settings"]["batch_size"] == Settings().batch_size
    assert session.batches.batch_size == Settings().batch_size
    assert "opt.lr" not in settings["code"] and frame["playing"] is False


def test_a_bad_rewind_is_refused():
    session = Session()
    for epoch in (-1, 1.5, "3", True, None):
        with pytest.raises(SessionError, match="rewind needs an epoch"):
            session.handle({"type": "rewind", "epoch": epoch})


# --- 5. speed, compare, inspect --------------------------------------------------------------


def test_speed_is_checked_and_reported():
    session = Session()
    (state,) = session.handle({"type": "speed", "epochs_per_second": 2})
    assert state["type"] == "state" and state["speed"] == 2
    assert session.handle({"type": "speed", "epochs_per_second": None})[0]["speed"] is None
    for bad in (0.1, 5000, "fast", float("nan"), True):
        with pytest.raises(SessionError, match="epochs_per_second must be a number"):
            session.handle({"type": "speed", "epochs_per_second": bad})


@pytest.mark.serial  # the worker must answer within a second: not with every core busy
def test_a_slow_speed_caps_the_epochs_and_the_worker_waits_on_its_event():
    session = Session()
    session.handle({"type": "speed", "epochs_per_second": 0.5})
    start = time.monotonic()
    session.handle({"type": "play"})
    while session.epoch < 1:
        session._wake.wait(0.05)  # the worker trains its first epoch at once
    session.handle({"type": "pause"})
    elapsed = time.monotonic() - start
    assert 1 <= session.epoch <= 1 + math.ceil(elapsed * 0.5)
    # waiting for its next epoch (2 s away), the worker wakes for the stop at once
    assert session.close(timeout=1.0)


def test_compare_pins_the_run_and_starts_again(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        for _ in range(5):
            ws.send_json({"type": "step"})
        receive_until(ws, "frame", lambda f: f["epoch"] == 5)
        ws.send_json({"type": "compare", "on": True})
        pinned = receive_until(ws, "compare")["pinned"]
        network = receive_until(ws, "network")
        (session,) = client.app.state.sessions
        assert session.epoch == 0
        ws.send_json({"type": "config", "settings": {**asdict(Settings()), "hidden": [3]}})
        assert receive_until(ws, "network")["pinned"] == pinned  # survives a rebuild
        ws.send_json({"type": "compare", "on": False})
        assert receive_until(ws, "compare")["pinned"] is None
    assert pinned["label"] == "SGD, lr 0.03, no regularization" and pinned["epoch"] == 5
    assert [p[0] for p in pinned["curve"]] == list(range(6))
    maps = np.frombuffer(base64.b64decode(pinned["boundary"]), np.uint8)
    assert maps.shape == (GRID * GRID,)
    assert network["pinned"] == pinned and pinned["settings"] == asdict(Settings())
    fresh = Session()
    assert math.isclose(pinned["train_loss"], fresh_losses_after(fresh, 5)[0])


def fresh_losses_after(session: Session, epochs: int) -> tuple[float, float]:
    train(session, epochs)
    return session.losses()


def test_inspect_puts_the_points_arithmetic_in_every_frame():
    session = Session(settings=Settings(hidden=[3]))
    n_train = len(session.X_train)
    assert session.handle({"type": "inspect", "point": n_train + 2}) == []
    first = frames.decode(session.mailbox.take())[0]["arithmetic"]
    assert first["point"] == n_train + 2 and first["x"] == session.X_test[2].tolist()
    assert first["target"] == int(session.y_test[2, 0])
    assert len(first["layers"]) == 2 and len(first["grads"]) == 2
    session.train_epoch()
    assert header(session)["arithmetic"]["point"] == n_train + 2
    session.handle({"type": "inspect", "point": None})
    assert header(session)["arithmetic"] is None
    with pytest.raises(SessionError, match="inspect names a point"):
        session.handle({"type": "inspect", "point": 10_000})


# --- 6. frames -------------------------------------------------------------------------------


def test_the_frame_header_carries_scores_confusion_and_state():
    session = Session(settings=Settings(dataset="spirals", hidden=[8], lr=0.1))
    train(session, 3)
    head, arrays = frames.decode(session.frame())
    assert head["playing"] is False and head["diverged"] is None
    assert head["score_name"] == "accuracy"
    session.model.eval()
    logits = session.model.forward(session.inputs_test)
    assert head["test_score"] == metrics.accuracy(logits, session.y_test, session.loss)
    table = np.array(head["confusion"])
    assert table.shape == (3, 3) and table.sum() == len(session.y_test)
    assert np.trace(table) / table.sum() == pytest.approx(head["test_score"])
    assert arrays["boundary"].shape == (3 * GRID * GRID,)


def test_a_regression_frame_scores_r2_and_has_no_confusion():
    session = Session(settings=Settings(dataset="plane", problem="regression", hidden=[3]))
    train(session, 2)
    head = header(session)
    session.model.eval()
    predicted = session.model.forward(session.inputs_train)
    assert head["score_name"] == "R²" and head["confusion"] is None
    assert head["train_score"] == pytest.approx(metrics.r2_score(session.y_train, predicted))


def test_the_doctors_findings_come_with_actions():
    settings = Settings(lr=0.03, reg_rate=0.0)
    assert action("rising_loss", settings) == {
        "label": "Lower the learning rate to 0.01", "settings": {"lr": 0.01}}
    assert action("exploding_gradients", settings)["settings"] == {"lr": 0.01}
    assert action("small_updates", settings)["settings"] == {"lr": 0.1}
    assert action("vanishing_gradients", settings)["settings"] == {"lr": 0.1}
    assert action("overfitting", settings)["settings"] == {"regularization": "L2",
                                                            "reg_rate": 0.001}
    assert action("rising_val_loss", replace(settings, regularization="L2", reg_rate=0.01))[
        "settings"] == {"regularization": "L2", "reg_rate": 0.03}
    assert action("dead_units", settings)["settings"] == {"lr": 0.01}
    assert action("first_loss", settings) is None
    assert action("rising_loss", replace(settings, lr=0.00001)) is None  # none lower
    sick = Session(settings=Settings(activation="relu", lr=3.0, hidden=[8, 8]))
    train(sick, 30)
    entries = header(sick)["doctor"]
    assert entries and all(set(e) == {"kind", "epoch", "text", "action"} for e in entries)
    assert any(e["action"] and e["action"]["settings"].get("lr", 3) < 3 for e in entries)


# --- 7. divergence ---------------------------------------------------------------------------


def diverge(ws) -> dict:
    """Play the diverging link until the worker stops; its last frame."""
    ws.send_json({"type": "config", "link": DIVERGING})
    receive_until(ws, "network")
    ws.send_json({"type": "play"})
    return receive_until(ws, "frame", lambda f: f["diverged"] is not None)


def test_the_page_learns_of_a_divergence_at_once_and_a_lower_rate_goes_on(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        frame = diverge(ws)
        assert frame["playing"] is False and "lower the learning rate" in frame["diverged"]
        doctor = [e for e in frame["doctor"] if e["kind"] == "diverged"]
        assert doctor and doctor[0]["action"]["settings"] == {"lr": 3.0}
        ws.send_json({"type": "pause"})
        assert receive_until(ws, "state")["diverged"] == frame["diverged"]
        for kind in ("play", "step"):
            ws.send_json({"type": kind})
            assert "lower the learning rate" in receive_until(ws, "error")["message"]
        ws.send_json({"type": "config", "settings": {**frame_settings(client), "lr": 0.001}})
        reply = receive_until(ws, "settings")
        assert reply["changed"] == ["lr"]
        (session,) = client.app.state.sessions
        assert session.diverged is None
        assert receive_until(ws, "frame", lambda f: f["diverged"] is None)["playing"] is False
        ws.send_json({"type": "step"})  # allowed again (whether it diverges anew is the numbers')
        assert receive_until(ws, "state")["epoch"] == frame["epoch"] + 1


def frame_settings(client) -> dict:
    (session,) = client.app.state.sessions
    return asdict(session.settings)


def test_a_lower_rate_cannot_save_weights_that_are_no_numbers():
    session = Session(settings=Settings(dataset="plane", problem="regression", hidden=[8, 8],
                                        activation="linear", lr=10, optimizer="momentum"))
    train(session, 3)
    assert session.diverged
    session.model.dense_layers[0].W[0, 0] = np.nan
    config(session, lr=0.001)
    assert "press Reset, or rewind" in session.diverged
    with pytest.raises(SessionError, match="press Reset"):
        session.handle({"type": "step"})
    session.handle({"type": "rewind", "epoch": 0})
    assert session.diverged is None and session.epoch == 0
    train(session, 1)
    session.handle({"type": "reset"})
    assert session.diverged is None


def test_a_higher_rate_leaves_the_divergence():
    session = Session(settings=Settings(dataset="plane", problem="regression", hidden=[8, 8],
                                        activation="linear", lr=3, optimizer="momentum"))
    train(session, 3)
    assert session.diverged
    config(session, lr=10)
    assert session.diverged


# --- 8. data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["circles", "xor", "gaussians", "spiral"])
def test_the_session_draws_tensorflow_playgrounds_data(dataset):
    session = Session(settings=Settings(dataset=dataset, noise=0.2, seed=7))
    X, y = ds.playground(GENERATORS[dataset][1], n_samples=500, noise=0.2, random_state=7)
    X_train = ds.train_test_split(X, y, test_size=0.5, random_state=7)[0]
    np.testing.assert_array_equal(session.X_train, X_train)
    assert session.classes == [0, 1]


@pytest.mark.parametrize("dataset", ["circles", "xor", "gaussians", "spiral", "plane",
                                     "multi-gaussian"])
def test_tensorflow_playgrounds_data_sets_are_drawn_on_its_square(dataset):
    problem = "regression" if dataset in ("plane", "multi-gaussian") else "classification"
    session = Session(settings=Settings(dataset=dataset, problem=problem))
    assert session.domain == (-6.0, 6.0, -6.0, 6.0)
    moons = Session(settings=Settings(dataset="moons"))  # the extras: a box around the points
    assert moons.domain[1] - moons.domain[0] < 4
