"""The playground's server: the session on the core, the WebSocket protocol (Starlette's test
client), and the ``scratchnn playground`` command. The page itself: test_playground_browser.py."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
from contextlib import redirect_stdout

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
from starlette.testclient import TestClient

import scratchnn as snn
from scratchnn import cli
from scratchnn import datasets as ds
from scratchnn.playground import frames
from scratchnn.playground.app import create_app
from scratchnn.playground.codegen import python_code
from scratchnn.playground.data import GENERATORS
from scratchnn.playground.session import GRID, Mailbox, Session
from scratchnn.playground.settings import SessionError, Settings


def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def grid_points(domain) -> np.ndarray:
    """The page's grid: GRID x GRID points, row by row from the top."""
    x1 = np.linspace(domain[0], domain[1], GRID)
    x2 = np.linspace(domain[3], domain[2], GRID)
    g1, g2 = np.meshgrid(x1, x2)
    return np.column_stack([g1.ravel(), g2.ravel()])


@pytest.fixture()
def client():
    with TestClient(create_app(host="testserver")) as test_client:
        yield test_client


def receive(ws) -> dict:
    """The next message: JSON text, or a binary frame as its header with its arrays decoded
    (``frames.decode``) under ``"data"``."""
    message = ws.receive()
    if message.get("bytes") is not None:
        header, arrays = frames.decode(message["bytes"])
        return {**header, "data": arrays}
    return json.loads(message["text"])


def receive_until(ws, kind: str, predicate=lambda m: True) -> dict:
    """Messages until one of type ``kind`` satisfies ``predicate`` (frames are coalesced, so a
    test waits for a state, never for a count)."""
    while True:
        message = receive(ws)
        if message["type"] == "error" and kind != "error":
            raise AssertionError(f"unexpected error from the server: {message['message']}")
        if message["type"] == kind and predicate(message):
            return message


def opened(ws) -> tuple[dict, dict]:
    """The greeting: hello, the network, the first frame."""
    assert receive(ws)["type"] == "hello"
    network = receive_until(ws, "network")
    return network, receive_until(ws, "frame")


def configure(ws, **settings) -> tuple[dict, dict]:
    ws.send_json({"type": "config", "settings": {**Settings().__dict__, **settings}})
    network = receive_until(ws, "network")
    return network, receive_until(ws, "frame", lambda f: f["version"] == network["version"])


# --- the page is served --------------------------------------------------------------------


def test_the_page_and_its_files_are_served_and_load_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for needle in ('id="boundary"', 'id="epoch"', 'id="train-loss"', 'id="test-loss"',
                   'aria-label="Play"'):
        assert needle in page.text
    # the settings' labels come with the schema the page builds its controls from
    labels = [s["label"] for s in client.get("/settings.json").json()["settings"]]
    assert "Learning rate" in labels and "Ratio of training data" in labels
    for name in ("app.js", "draw.js", "style.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert "http://" not in response.text and "https://" not in response.text, name
    assert "http" not in page.text.replace("http-equiv", "")


def test_static_files_are_inside_the_package():
    from scratchnn.playground import app

    names = {p.name for p in app.STATIC.iterdir()}
    assert {"index.html", "app.js", "draw.js", "style.css"} <= names


# --- the protocol --------------------------------------------------------------------------


def test_a_session_greets_with_the_network_and_a_frame_in_compact_arrays(client):
    with client.websocket_connect("/ws") as ws:
        network, frame = opened(ws)
        (session,) = client.app.state.sessions
        proba, hidden = session.outputs(session.grid_inputs)
    assert network["sizes"] == [2, 4, 2, 1]
    assert network["grid"] == GRID
    assert floats(network["points"]).shape == (2 * 500,)
    assert floats(network["inputs"]).shape == (2 * GRID * GRID,)
    assert frame["epoch"] == 0
    boundary = frame["data"]["boundary"]
    assert boundary.dtype == np.uint8 and boundary.shape == (GRID * GRID,)
    # the probability p drawn as 2p - 1, to within one step of the u8 map
    np.testing.assert_allclose(frames.from_u8(boundary), 2 * proba - 1, atol=1 / 127.5)
    neurons = frame["data"]["neurons"]
    assert neurons.dtype == np.uint8 and neurons.shape == ((4 + 2) * GRID * GRID,)
    np.testing.assert_allclose(frames.from_u8(neurons),
                               np.concatenate([h.T.ravel() for h in hidden]), atol=1 / 127.5)
    weights = frame["data"]["weights"]
    assert weights.dtype == np.float32 and weights.shape == (2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1,)
    assert "snn.Sequential" in network["code"]


def test_step_trains_one_epoch_and_play_trains_until_pause(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_json({"type": "step"})
        assert receive_until(ws, "frame", lambda f: f["epoch"] > 0)["epoch"] == 1
        ws.send_json({"type": "play"})
        assert receive_until(ws, "state", lambda m: m["playing"])
        later = receive_until(ws, "frame", lambda f: f["epoch"] >= 20)
        ws.send_json({"type": "pause"})
        paused = receive_until(ws, "state", lambda m: not m["playing"])
        assert paused["epoch"] >= later["epoch"]
        ws.send_json({"type": "step"})
        assert receive_until(ws, "frame", lambda f: f["epoch"] > paused["epoch"])["epoch"] == (
            paused["epoch"] + 1)


@pytest.mark.parametrize(("settings", "fragment"), [
    ({"lr": -1}, "lr must be between"),
    ({"lr": "fast"}, "lr must be a number"),
    ({"hidden": [8] * 7}, "at most 6 layer sizes"),
    ({"hidden": [9]}, "each from 1 to 8"),
    ({"features": []}, "features must be a non-empty list"),
    ({"features": ["x3"]}, "features must be a non-empty list"),
    ({"dataset": "mnist"}, "dataset must be one of"),
    ({"problem": "regression", "dataset": "circles"}, "dataset must be one of"),
    ({"batch_size": 2.5}, "batch_size must be a whole number"),
    ({"noise": float("nan")}, "noise must be a number"),
    ({"seed": -1}, "seed must be between"),
    ({"rm -rf": 1}, "unknown setting"),
    ({"dataset": "upload"}, "upload it again"),
])
def test_bad_settings_get_a_message_and_the_session_goes_on(client, settings, fragment):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_text(json.dumps({"type": "config", "settings": {**Settings().__dict__,
                                                                **settings}}))
        error = receive_until(ws, "error")
        assert fragment in error["message"]
        assert error["settings"]["lr"] == Settings().lr  # the page gets the state back
        network, _ = configure(ws, dataset="xor")
        assert network["settings"]["dataset"] == "xor"


@pytest.mark.parametrize(("text", "fragment"), [
    ("not json", "not valid JSON"),
    ('["play"]', "must be an object"),
    ('{"type": "launch"}', "unknown message type"),
    ('{"type": "set_weight", "layer": 7, "from": 0, "to": 0, "value": 1}', "integer layer"),
    ('{"type": "set_weight", "layer": 0, "from": 5, "to": 0, "value": 1}', "layer 0 has weights"),
    ('{"type": "set_weight", "layer": 0, "from": 0, "to": 0, "value": 1e9}', "from -100 to 100"),
    ('{"type": "upload", "name": "a.csv"}', "file name and its text"),
])
def test_bad_messages_get_a_message_and_the_session_goes_on(client, text, fragment):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_text(text)
        assert fragment in receive_until(ws, "error")["message"]
        ws.send_json({"type": "step"})
        assert receive_until(ws, "frame", lambda f: f["epoch"] == 1)


def test_a_message_over_the_size_cap_is_refused(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_text(" " * (12 * 1024 * 1024 + 1))
        assert "too large" in receive_until(ws, "error")["message"]


def test_a_weight_can_be_edited(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_json({"type": "set_weight", "layer": 1, "from": 2, "to": 1, "value": 2.5})
        frame = receive_until(ws, "frame")
        weights = frame["data"]["weights"]
        # layer 0: W (2x4) + b (4); layer 1: W (4x2), row 2, column 1
        assert weights[2 * 4 + 4 + 2 * 2 + 1] == 2.5
        ws.send_json({"type": "set_weight", "layer": 2, "from": -1, "to": 0, "value": -1.5})
        assert receive_until(ws, "frame")["data"]["weights"][-1] == -1.5


def test_two_tabs_are_two_independent_sessions(client):
    with client.websocket_connect("/ws") as one, client.websocket_connect("/ws") as two:
        opened(one)
        opened(two)
        configure(two, dataset="spirals", hidden=[8])
        assert len(client.app.state.sessions) == 2
        one.send_json({"type": "step"})
        one.send_json({"type": "step"})
        assert receive_until(one, "frame", lambda f: f["epoch"] == 2)
        two.send_json({"type": "step"})
        frame = receive_until(two, "frame", lambda f: f["epoch"] > 0)
        assert frame["epoch"] == 1  # the other tab's steps did not move this one
        assert frame["data"]["boundary"].shape == (3 * GRID * GRID,)  # 3 spiral arms


@pytest.mark.serial  # the worker must end within a second: not with every core busy
def test_closing_the_tab_stops_its_training(client):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        ws.send_json({"type": "play"})
        receive_until(ws, "frame", lambda f: f["epoch"] >= 5)
        (session,) = client.app.state.sessions
        assert session.running
    # leaving the block closed the socket: the session was told to stop and forgotten, and
    # its worker ends within a second
    assert client.app.state.sessions == set()
    assert session.close(timeout=1.0)
    assert not session.running


def test_a_page_of_another_site_cannot_open_a_session(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            "/ws", headers={"origin": "http://evil.example"}) as ws:
        receive(ws)


# --- uploads -------------------------------------------------------------------------------


def upload(ws, text: str, name: str = "points.csv", problem: str | None = None) -> None:
    message = {"type": "upload", "name": name, "text": text}
    if problem:
        message["problem"] = problem
    ws.send_json(message)


def test_an_uploaded_csv_with_three_classes_trains_with_softmax(client):
    X, y = ds.spirals(n_samples=90, random_state=0)
    lines = ["a,b,kind"] + [f"{p:.5f},{q:.5f},{'xyz'[k]}" for (p, q), k in zip(X, y)]
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        upload(ws, "\n".join(lines))
        network = receive_until(ws, "network")
        assert network["upload"] == "points.csv"
        assert network["columns"] == ["a", "b"] and network["classes"] == ["x", "y", "z"]
        assert network["sizes"][-1] == 3
        assert "SoftmaxCrossEntropy" in network["code"]
        ws.send_json({"type": "step"})
        assert receive_until(ws, "frame", lambda f: f["epoch"] == 1)["test_loss"] > 0


@pytest.mark.parametrize(("text", "fragment"), [
    ("x1,x2,label\n1,oops,0\n2,3,1\n", "line 2 (data row 1), column 'x2': 'oops' is not a number"),
    ("x1,x2,label\n1,2\n", "points.csv line 2: 2 fields, but the header has 3"),
    ("1,2,0\n3,4,1\n", "the first line holds numbers, not column names"),
    ("x1;x2;label\n1;2;0\n", "separated by semicolons"),
    ("x1,x2,x3,label\n1,2,3,0\n4,5,6,1\n", "has 3 feature column(s)"),
    ("x1,x2,label\n1,2,0\n3,4,0\n", "classification needs 2 to 8 classes"),
    ("", "points.csv is empty"),
])
def test_a_bad_upload_gets_the_command_lines_message(client, text, fragment):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        upload(ws, text)
        message = receive_until(ws, "error")["message"]
        assert fragment in message
        assert "scratchnn-upload" not in message  # no temporary path leaks out
        ws.send_json({"type": "step"})
        assert receive_until(ws, "frame", lambda f: f["epoch"] == 1)


def test_an_upload_over_5_mb_is_refused(client):
    big = "x1,x2,label\n" + "0.123456,0.654321,1\n" * 300_000
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        upload(ws, big)
        assert "larger than 5 MB" in receive_until(ws, "error")["message"]


def test_an_uploaded_regression_table_trains_with_mse(client):
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(60, 2))
    lines = ["u,v,height"] + [f"{p},{q},{p - q}" for p, q in X]
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        upload(ws, "\n".join(lines), problem="regression")
        network = receive_until(ws, "network")
        assert network["settings"]["problem"] == "regression"
        assert "MeanSquaredError" in network["code"]


# --- datasets, regression, regularisation --------------------------------------------------


@pytest.mark.parametrize("dataset", ["circles", "xor", "gaussians", "spirals", "moons"])
def test_every_classification_dataset_trains(dataset):
    session = Session(settings=Settings(dataset=dataset, hidden=[8, 8], lr=0.1))
    before = session.losses()[0]
    for _ in range(30):
        session.train_epoch()
    assert session.losses()[0] < before


@pytest.mark.parametrize("dataset", ["plane", "multi-gaussian"])
def test_regression_datasets_train_with_a_linear_output(dataset):
    session = Session(settings=Settings(dataset=dataset, problem="regression", hidden=[8],
                                        lr=0.03))
    assert isinstance(session.loss, snn.MeanSquaredError)
    # the library's generator (TensorFlow Playground's): its targets, split as the page splits
    X, y = ds.playground(GENERATORS[dataset][1], n_samples=500, noise=0.0, random_state=1)
    expected = ds.train_test_split(X, y, test_size=0.5, random_state=1, stratify=False)[2]
    np.testing.assert_array_equal(session.y_train[:, 0], expected)
    assert np.abs(session.y_train).max() <= (1.2 if dataset == "plane" else 1)
    before = session.losses()[0]
    for _ in range(30):
        session.train_epoch()
    assert session.losses()[0] < before


def test_l1_makes_weights_sparse_and_l2_shrinks_them():
    def trained(regularization: str, rate: float) -> np.ndarray:
        session = Session(settings=Settings(dataset="gaussians", hidden=[8], lr=0.1,
                                            features=[*list(Settings().features), "x1*x2"],
                                            regularization=regularization, reg_rate=rate))
        for _ in range(100):
            session.train_epoch()
        return np.concatenate([d.W.ravel() for d in session.model.dense_layers])

    plain, l1, l2 = trained("none", 0), trained("L1", 0.1), trained("L2", 0.3)
    assert np.sum(np.abs(l1) < 1e-2) > np.sum(np.abs(plain) < 1e-2) + 5
    assert np.linalg.norm(l2) < 0.8 * np.linalg.norm(plain)


# --- the code panel and the downloaded model -----------------------------------------------


@pytest.mark.parametrize("settings", [
    Settings(features=["x1^2", "x2^2"], hidden=[], lr=0.3),
    Settings(dataset="spirals", hidden=[8, 6], activation="relu", optimizer="adam", lr=0.01,
             regularization="L2", reg_rate=0.01, batch_size=7, train_ratio=0.7, seed=3),
    Settings(dataset="plane", problem="regression", hidden=[3], optimizer="momentum",
             regularization="L1", reg_rate=0.003, activation="linear"),
])
def test_the_code_panel_trains_exactly_the_network_on_screen(settings):
    session = Session(settings=settings)
    for _ in range(7):
        session.train_epoch()
    namespace: dict = {}
    code = python_code(session)
    assert "epochs = 7  #" in code  # the epochs the page has trained
    exec(code, namespace)
    for ours, theirs in zip(session.model.get_weights(), namespace["model"].get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_downloaded_model_loads_and_predicts_what_the_page_draws(client, tmp_path):
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        network, _ = configure(ws, dataset="moons", features=["x1", "x2", "x1*x2"], seed=5)
        for _ in range(3):
            ws.send_json({"type": "step"})
        frame = receive_until(ws, "frame", lambda f: f["epoch"] == 3)
        (session,) = client.app.state.sessions
        drawn = session.outputs(session.grid_inputs)[0]
        ws.send_json({"type": "download"})
        reply = receive_until(ws, "model")
    path = tmp_path / reply["name"]
    path.write_bytes(base64.b64decode(reply["data"]))
    model = snn.load(path)
    points = grid_points(network["domain"])
    inputs = ds.FeatureLift(["x1", "x2", "x1*x2"]).transform(points)
    proba = 1 / (1 + np.exp(-model.forward(inputs)[:, 0]))
    # the very numbers the session draws from, and its u8 map to within one step
    np.testing.assert_allclose(proba, drawn, rtol=0, atol=1e-12)
    np.testing.assert_allclose(frames.from_u8(frame["data"]["boundary"]), 2 * proba - 1,
                               atol=1 / 127.5)

    # scratchnn predict reads the same file and agrees on every point
    csv_path = tmp_path / "points.csv"
    rows = [f"{float(a)!r},{float(b)!r}" for a, b in points[::37]]
    csv_path.write_text("x1,x2\n" + "\n".join(rows))
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["predict", str(path), str(csv_path)]) == 0
    predicted = [int(line) for line in out.getvalue().split()[1:]]
    assert predicted == (proba[::37] > 0.5).astype(int).tolist()


def test_a_downloaded_model_of_uploaded_data_keeps_its_standardisation(client, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal([100, -50], [10, 5], size=(80, 2))
    y = (X[:, 0] - 100 > 0).astype(int)
    lines = ["height,depth,label"] + [f"{a},{b},{c}" for (a, b), c in zip(X, y)]
    with client.websocket_connect("/ws") as ws:
        opened(ws)
        upload(ws, "\n".join(lines))
        receive_until(ws, "network")
        ws.send_json({"type": "download"})
        reply = receive_until(ws, "model")
    path = tmp_path / "m.npz"
    path.write_bytes(base64.b64decode(reply["data"]))
    model, prep = cli.load_model(str(path))
    assert prep.feature_names == ["height", "depth"] and prep.mean is not None
    assert model.n_inputs == 2


# --- coalescing ----------------------------------------------------------------------------


def test_the_mailbox_keeps_only_the_newest_unsent_frame():
    calls = []
    box = Mailbox(lambda: calls.append(1))
    for data in (b"a", b"b", b"c"):
        box.put(data)
    assert box.take() == b"c" and box.take() is None
    assert box.dropped == 2 and len(calls) == 3


def test_a_session_rejects_what_is_not_a_message():
    session = Session()
    with pytest.raises(SessionError, match="must be an object"):
        session.handle("play")
    session.close()


# --- the command ---------------------------------------------------------------------------


def start(*args: str) -> tuple[subprocess.Popen, str]:
    """``scratchnn playground --no-browser ARGS``; waits for the line with its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--no-browser", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()  # printed once the server accepts connections
    assert "http://" in line, (line, process.stderr.read() if process.poll() is not None else "")
    return process, line.split()[2]


def test_port_0_prints_the_chosen_port_and_ctrl_c_stops_cleanly():
    process, url = start("--port", "0")
    try:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert port > 0
        with urllib.request.urlopen(url) as response:
            assert b'id="boundary"' in response.read()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert "stopped" in err


def test_another_host_prints_a_warning():
    process, _ = start("--port", "0", "--host", "0.0.0.0")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "warning: --host 0.0.0.0" in err
    assert process.returncode == 130


def test_a_port_in_use_is_one_line_naming_the_fix():
    process, url = start("--port", "0")
    try:
        port = url.rstrip("/").rsplit(":", 1)[1]
        result = subprocess.run([sys.executable, "-m", "scratchnn", "playground", "--port", port,
                                 "--no-browser"], capture_output=True, text=True, timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith(f"scratchnn: error: cannot listen on 127.0.0.1 port {port}: ")
    assert "choose another --port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_port_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "scratchnn", "playground", "--port", "70000"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "expected a port number from 0 to 65535" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_is_listed_in_the_help_and_the_app_is_imported_lazily():
    code = ("import sys; from scratchnn import cli; p = cli.build_parser(); "
            "print('starlette' in sys.modules, 'uvicorn' in sys.modules); "
            "print(p.format_help())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False False")
    assert "playground" in result.stdout


def test_the_training_doctors_findings_reach_the_page_when_the_library_has_it():
    pytest.importorskip("scratchnn.doctor", reason="this version of scratchnn has no "
                        "TrainingDoctor: the page shows no doctor panel")
    sick = Session(settings=Settings(activation="relu", lr=3.0, hidden=[8, 8]))
    healthy = Session(settings=Settings())
    for _ in range(30):
        sick.train_epoch()
        healthy.train_epoch()
    findings = frames.decode(sick.frame())[0]["doctor"]
    assert any("learning rate" in f["text"] for f in findings), findings
    assert frames.decode(healthy.frame())[0]["doctor"] == []
