"""The playground against hostile clients: other hosts and origins (DNS rebinding), too many
tabs, too many messages, and messages that once cost a tab its connection. Each refusal is a
clear message (or close reason) and the other tabs, or the same tab, go on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from scratchnn.playground.app import (
    Connection,
    Limits,
    TokenBucket,
    allowed_hosts,
    create_app,
    is_loopback,
)
from scratchnn.playground.frames import decode, encode
from scratchnn.playground.session import GivingWay, Session, Turns
from scratchnn.playground.settings import SessionError, Settings


@pytest.fixture()
def client():
    with TestClient(create_app()) as test_client:  # serves 127.0.0.1, as the command does
        yield test_client


WS = "ws://127.0.0.1:8000/ws"


def receive_any(ws) -> dict:
    """The next message: a text one's JSON, or a binary frame's header (``frames.decode``)."""
    message = ws.receive()
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
    if message.get("bytes") is not None:
        header, _ = decode(message["bytes"])
        return header
    return json.loads(message["text"])


def receive_until(ws, kind: str, predicate=lambda m: True) -> dict:
    while True:
        message = receive_any(ws)
        if message["type"] == kind and predicate(message):
            return message


def opened(ws) -> None:
    assert receive_any(ws)["type"] == "hello"
    receive_until(ws, "frame")


def stepped(ws, epoch: int = 1) -> dict:
    ws.send_json({"type": "step"})
    return receive_until(ws, "frame", lambda f: f["epoch"] == epoch)


# --- hosts and origins ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000",
                                  "LOCALHOST:8000", "127.0.0.1"])
def test_the_page_is_served_to_this_machines_names(client, host):
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8000", "evil.example", "127.0.0.1.evil.example",
                                  "localhost.evil.example:8000", "192.168.1.5:8000", ""])
def test_the_page_and_the_settings_refuse_any_other_host(client, host):
    for path in ("/", "/settings.json", "/static/app.js"):
        assert client.get(path, headers={"host": host}).status_code == 400


def test_a_rebound_name_cannot_open_a_session_even_with_a_matching_origin(client):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
            "/ws", headers={"host": "evil.example:8000", "origin": "http://evil.example:8000"}):
        pass
    assert getattr(refused.value, "status_code", None) == 400


@pytest.mark.parametrize("origin", ["http://evil.example:8000", "null", "",
                                    "http://localhost:8000", "http://127.0.0.1:9999",
                                    "file://", "http://[bad"])
def test_a_websocket_needs_its_own_pages_origin(client, origin):
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            WS, headers={"origin": origin}) as ws:
        ws.receive_json()


def test_the_pages_own_origin_opens_a_session(client):
    with client.websocket_connect(WS, headers={"origin": "http://127.0.0.1:8000"}) as ws:
        opened(ws)
    with client.websocket_connect("ws://localhost:8000/ws",
                                  headers={"origin": "http://localhost:8000"}) as ws:
        opened(ws)


def test_the_host_given_is_served_too():
    assert "playground.lan" in allowed_hosts("playground.lan")
    assert "[fe80::1]" in allowed_hosts("fe80::1")
    with TestClient(create_app("playground.lan")) as client:
        assert client.get("/", headers={"host": "playground.lan:8000"}).status_code == 200
        assert client.get("/", headers={"host": "evil.example:8000"}).status_code == 400
    assert "0.0.0.0" not in allowed_hosts("0.0.0.0")
    assert "localhost" in allowed_hosts("0.0.0.0")


def test_loopback_hosts_are_known():
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert is_loopback(host)
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        assert not is_loopback(host)


def serve(*args: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--no-browser", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()  # printed once the server accepts connections
    assert "http://" in line, (line, process.stderr.read() if process.poll() is not None else "")
    return process, int(line.split()[2].rstrip("/").rsplit(":", 1)[1])


def handshake(port: int, host: str, origin: str | None, whole: bool = False) -> str:
    """A WebSocket handshake written by hand (offering compression, as browsers do): the
    server's status line (or its whole answer)."""
    lines = ["GET /ws HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
             "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = sock.recv(4096).decode("latin-1")
    return answer if whole else answer.split("\r\n")[0]


def test_raw_handshakes_against_the_real_server():
    process, port = serve()
    try:
        evil = f"evil.example:{port}"
        assert " 400 " in handshake(port, evil, f"http://{evil}")
        assert " 400 " in handshake(port, evil, None)
        assert " 403 " in handshake(port, f"127.0.0.1:{port}", f"http://{evil}")
        assert " 101 " in handshake(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}")
        assert " 101 " in handshake(port, f"localhost:{port}", f"http://localhost:{port}")
        # frames go uncompressed: deflating them in the event loop kept other tabs waiting
        accepted = handshake(port, f"127.0.0.1:{port}", None, whole=True)
        assert " 101 " in accepted and "permessage-deflate" not in accepted.lower()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {evil}\r\n\r\n".encode())
            assert " 400 " in sock.recv(4096).decode("latin-1").split("\r\n")[0]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert "Traceback" not in err


def test_localhost_does_not_warn_about_other_machines():
    process, _ = serve("--host", "localhost")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "warning" not in err
    assert process.returncode == 130


# --- one client cannot starve the others ---------------------------------------------------


def test_tabs_over_the_limit_are_refused_with_a_reason():
    with TestClient(create_app(limits=Limits(sessions=2))) as client:
        with client.websocket_connect(WS) as one, client.websocket_connect(WS) as two:
            opened(one)
            opened(two)
            with client.websocket_connect(WS) as three:
                error = three.receive_json()
                assert error["type"] == "error"
                assert "2 tabs open, its limit; close one" in error["message"]
                with pytest.raises(WebSocketDisconnect) as closed:
                    three.receive_json()
                assert closed.value.code == 1013
                assert "close one and reload" in closed.value.reason
            assert len(client.app.state.sessions) == 2
            assert stepped(one)  # the open tabs go on
        # closing tabs makes room again
        with client.websocket_connect(WS) as again:
            opened(again)
            assert stepped(again)


def test_a_flooding_tab_is_told_then_cut_off_and_the_others_go_on():
    # No refill: the limit is reached after exactly `burst` messages, whatever the timing.
    app = create_app(limits=Limits(burst=5, per_second=0))
    with TestClient(app) as client, client.websocket_connect(WS) as calm, \
            client.websocket_connect(WS) as flood:
        opened(calm)
        opened(flood)
        for _ in range(5):
            flood.send_text("{")
            assert "not valid JSON" in receive_until(flood, "error")["message"]
        flood.send_text("{")
        assert "too many messages" in receive_until(flood, "error")["message"]
        for _ in range(6):  # ignored, without a reply each; the sixth ends the connection
            flood.send_text("{")
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(flood, "never")
        assert closed.value.code == 1008
        assert "too many messages" in closed.value.reason
        assert stepped(calm)


def test_the_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(burst=3, per_second=2, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def wait_for(condition) -> None:
    """Until ``condition()`` holds (a state of other threads, not a length of time)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


def test_training_tabs_take_turns_in_order():
    turns = Turns(1)
    order = []

    def train(name):
        with turns.turn():
            order.append(name)

    with turns.turn():  # one turn is in use: the others queue
        first = threading.Thread(target=train, args=("first",))
        first.start()
        wait_for(lambda: len(turns._waiting) == 1)
        second = threading.Thread(target=train, args=("second",))
        second.start()
        wait_for(lambda: len(turns._waiting) == 2)
        assert order == []
    first.join()
    second.join()
    assert order == ["first", "second"]
    assert turns._free == 1


def test_a_training_tab_waits_for_its_turn_and_a_reply_does_not():
    turns = Turns(1)
    session = Session(turns=turns)
    try:
        with turns.turn():  # another tab's epoch is running
            session.handle({"type": "play"})
            wait_for(lambda: len(turns._waiting) == 1)
            assert session.epochs_trained == 0
            # a message of this tab is answered at once, turn or not
            assert session.handle({"type": "pause"})[0]["playing"] is False
        session.handle({"type": "play"})
        wait_for(lambda: session.epochs_trained > 0)
    finally:
        assert session.close()


def test_training_pauses_between_mini_batches_while_a_reply_is_made():
    turns = Turns(1)
    produced, consumed = threading.Event(), []

    class Batches:
        n = 2

        def epoch(self):
            produced.set()
            yield "first"
            yield "second"

    worker = threading.Thread(target=lambda: consumed.extend(GivingWay(Batches(), turns).epoch()))
    with turns.reply():
        worker.start()
        produced.wait()  # the worker has its first batch and now waits for the reply to end
        assert consumed == []
    worker.join()
    assert consumed == ["first", "second"]


# --- messages that once dropped their connection ---------------------------------------------


BIG = "1" + "0" * 400


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"type": "config", "settings": {"noise": BIG}}', "noise must be a number, got 1000"),
    ('{"type": "config", "settings": {"seed": BIG}}', "seed must be a number"),
    ('{"type": "config", "settings": {"seed": -BIG}}', "seed must be a number"),
    ('{"type": "set_weight", "layer": 0, "from": 0, "to": 0, "value": BIG}',
     "a weight must be a number"),
    ('{"type": "set_weight", "layer": BIG, "from": 0, "to": 0, "value": 1}',
     "named by integer layer"),
    ('{"type": "upload", "name": "a.csv", "text": "x1,x2,label\\n\\ud800,1,0\\n"}',
     "a.csv is not text: character 13 is '\\ud800'"),
    ('{"type": "upload", "name": "\\ud800.csv", "text": "x1,x2,label\\n1,2,0\\n"}',
     ".csv: the label column 'label' has 1 distinct"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"type": "config", "settings": ' + "[" * 100_000, "nested too deeply"),
    ('{"type": "config", "settings": {"dataset": "XS"}}'.replace("XS", "x" * 100_000), "got 'xxxx"),
    ('{"type": "YS"}'.replace("YS", "y" * 100_000), "unknown message type 'yyy"),
])
def test_hostile_messages_get_an_error_and_the_session_goes_on(client, text, fragment):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_text(text.replace("BIG", BIG))
        message = receive_until(ws, "error")["message"]
        assert fragment in message
        assert len(message) < 300  # what was refused is echoed briefly
        assert stepped(ws)


def test_a_binary_frame_gets_an_error_and_the_session_goes_on(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_bytes(b'{"type": "step"}')
        assert "not binary" in receive_until(ws, "error")["message"]
        assert stepped(ws)


def test_an_unexpected_failure_is_a_reply_not_a_lost_tab(client, monkeypatch, capsys):
    def broken(self, message):
        raise OverflowError("something no check foresaw")

    monkeypatch.setattr(Session, "_on_reset", broken)
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_json({"type": "reset"})
        assert "could not handle that message (OverflowError)" in receive_until(
            ws, "error")["message"]
        assert stepped(ws)
    assert "Traceback" not in capsys.readouterr().err


def test_the_settings_refuse_huge_integers_directly():
    with pytest.raises(SessionError, match="batch_size must be a number"):
        Settings.from_dict({"batch_size": 10 ** 400})
    with pytest.raises(SessionError, match="must be one of"):
        Settings.from_dict({"activation": ["relu"]})


# --- binary frames and the second version's messages -----------------------------------------


def binary_frames(monkeypatch) -> None:
    """Make ``Session.frame`` return a binary frame (``frames.encode``) if it still returns
    JSON text, so that the app's sending of bytes is tested either way."""
    original = Session.frame

    def frame(self):
        made = original(self)
        if isinstance(made, (bytes, bytearray)):
            return made
        header = json.loads(made)
        arrays = [(name, np.frombuffer(base64.b64decode(header.pop(name)), "<f4"))
                  for name in ("weights", "boundary", "neurons")]
        return encode(header, arrays)

    monkeypatch.setattr(Session, "frame", frame)


def raw_messages_until_frame(ws, epoch: int) -> list[dict]:
    """Every raw WebSocket message up to the frame of ``epoch``."""
    messages = []
    while True:
        message = ws.receive()
        assert message["type"] == "websocket.send", message
        text, data = message.get("text"), message.get("bytes")
        assert (isinstance(text, str) and data is None) or (
            text is None and isinstance(data, bytes)), "a text message or a binary one"
        messages.append(message)
        if message.get("bytes") is not None and decode(message["bytes"])[0]["epoch"] == epoch:
            return messages


def test_frames_go_as_binary_messages_and_replies_as_text(client, monkeypatch):
    binary_frames(monkeypatch)
    with client.websocket_connect(WS) as ws:
        first = raw_messages_until_frame(ws, 0)
        ws.send_json({"type": "step", "id": 3})
        stepped_ = raw_messages_until_frame(ws, 1)
    for message in first + stepped_:
        if message.get("bytes") is not None:
            assert message.get("text") is None
            header, arrays = decode(message["bytes"])
            assert header["type"] == "frame" and set(arrays) >= {"weights", "boundary"}
        else:
            assert isinstance(message["text"], str)
            assert json.loads(message["text"])["type"] != "frame"
    kinds = [json.loads(m["text"])["type"] for m in first if m.get("text") is not None]
    assert kinds[:2] == ["hello", "network"]
    replies = [json.loads(m["text"]) for m in stepped_ if m.get("text") is not None]
    assert any(r["type"] == "state" and r["id"] == 3 for r in replies)


def test_a_frame_among_the_replies_is_sent_as_it_is(client, monkeypatch):
    frame = encode({"type": "frame", "epoch": 99}, [("weights", np.ones(2, np.float32))])

    def pause(self, message):
        return [{"type": "state", "playing": False, "epoch": 0}, frame]

    monkeypatch.setattr(Session, "_on_pause", pause)
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_json({"type": "pause", "id": 5})
        message = ws.receive()
        while message.get("text") is None or json.loads(message["text"])["type"] != "state":
            message = ws.receive()
        assert json.loads(message["text"])["id"] == 5
        assert ws.receive()["bytes"] == frame  # unchanged: no id written into a frame
        assert stepped(ws)


def test_a_binary_message_shaped_like_a_frame_is_refused_too(client):
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_bytes(encode({"type": "step", "id": 1}, [("weights", np.ones(3))]))
        assert "not binary" in receive_until(ws, "error")["message"]
        assert stepped(ws)


@pytest.mark.parametrize("text", [
    '{"type": "speed", "epochs_per_second": BIG}',
    '{"type": "speed", "epochs_per_second": -BIG}',
    '{"type": "speed", "epochs_per_second": NaN}',
    '{"type": "speed", "epochs_per_second": Infinity}',
    '{"type": "speed", "epochs_per_second": 1e999}',
    '{"type": "speed", "epochs_per_second": "fast"}',
    '{"type": "speed", "epochs_per_second": [[[1]]]}',
    '{"type": "rewind", "epoch": -BIG}',
    '{"type": "rewind", "epoch": NaN}',
    '{"type": "rewind", "epoch": "0"}',
    '{"type": "rewind"}',
    '{"type": "compare", "on": {"on": true}}',
    '{"type": "inspect", "point": BIG}',
    '{"type": "inspect", "point": -1}',
    '{"type": "inspect", "point": -BIG}',
    '{"type": "inspect", "point": 1.5}',
    '{"type": "inspect", "point": true}',
    '{"type": "inspect", "point": NaN}',
    '{"type": "inspect", "point": "0"}',
    '{"type": "inspect"}',
    '{"type": "config", "link": BIG}',
    '{"type": "config", "link": ["?lr=0.1"]}',
    '{"type": "config", "link": "?LONG"}',
    '{"type": "config", "link": "?%ff%fe%00=%ud800&hidden=8,8,8,8,8,8,8,8,8,8,8,8,8"}',
    '{"type": "config", "link": "?hidden=MANY"}',
    '{"type": "set_weight", "layer": 0, "from": -1, "to": 0, "value": NaN}',
    '{"type": "set_weight", "layer": 0, "from": -BIG, "to": 0, "value": 1}',
    '{"type": "set_weight", "layer": 0, "from": 0, "to": 0, "value": true}',
    '{"type": "speed", "epochs_per_second": true}',
    '{"type": "speed", "epochs_per_second": 0}',
    '{"type": "speed", "epochs_per_second": 0.4999}',
    '{"type": "speed", "epochs_per_second": 1000.0001}',
    '{"type": "speed"}',
    '{"type": "rewind", "epoch": BIG}',
    '{"type": "rewind", "epoch": 1e308}',
    '{"type": "rewind", "epoch": 3.0}',
    '{"type": "rewind", "epoch": true}',
    '{"type": "rewind", "epoch": null}',
    '{"type": "rewind", "epoch": [5]}',
    '{"type": "compare", "on": "true"}',
    '{"type": "compare", "on": "false"}',
    '{"type": "compare", "on": 1}',
    '{"type": "compare", "on": null}',
    '{"type": "compare"}',
    '{"type": "compare", "on": false}',
    '{"type": "inspect", "point": 2.0}',
    '{"type": "inspect", "point": false}',
    '{"type": "inspect", "point": [0]}',
    '{"type": "inspect", "point": {"i": 0}}',
    '{"type": "inspect", "point": 1e308}',
    '{"type": "config", "link": null}',
    '{"type": "config", "link": 5}',
    '{"type": "config", "link": {"lr": 0.1}}',
    '{"type": "config", "link": "?%"}',
    '{"type": "config", "link": "?lr=1e999&batch_size=1e999&seed=1e999&noise=nan&train_ratio=-0"}',
    '{"type": "config", "link": "?hidden=8,8,8,8,8,8,8,8&features=x1,x1,x1,,"}',
    '{"type": "config", "link": "?dataset=upload&problem=regression"}',
    '{"type": "config", "link": "?compare=1&rewind=5&speed=9&inspect=3"}',
    '{"type": "config", "link": "", "settings": {"lr": "x"}}',
    '{"type": "config"}',
])
def test_hostile_values_in_the_new_messages_leave_the_tab_working(client, text):
    """Whatever the session makes of them, the tab gets short replies, no failure the server
    did not foresee ("could not handle"), and trains on."""
    text = (text.replace("BIG", BIG).replace("LONG", "lr=" + "9" * 100_000)
            .replace("MANY", "8," * 20_000 + "8"))
    with client.websocket_connect(WS) as ws:
        opened(ws)
        ws.send_text(text)
        ws.send_json({"type": "pause"})  # its answer ends the hostile message's replies
        replies = []
        while not replies or replies[-1]["type"] != "state":
            replies.append(receive_any(ws))
        for reply in replies:
            if reply["type"] == "error":
                assert "could not handle" not in reply["message"]
                assert len(reply["message"]) < 300
        assert stepped(ws, epoch_after(replies) + 1)


def epoch_after(replies: list[dict]) -> int:
    """The epoch the session is at after ``replies`` (a rewind or a rebuild may change it)."""
    return [r["epoch"] for r in replies if r["type"] in ("state", "frame")][-1]


def test_the_connection_sends_text_for_text_and_bytes_for_bytes():
    sent = []

    class Socket:
        async def send_text(self, text):
            sent.append(("text", text))

        async def send_bytes(self, data):
            sent.append(("bytes", data))

    async def both():
        connection = Connection.__new__(Connection)
        connection.websocket, connection.send_lock = Socket(), asyncio.Lock()
        await connection.send('{"type": "hello"}')
        await connection.send(b"\x00\x01")
        await connection.send(bytearray(b"\x02"))

    asyncio.run(both())
    assert sent == [("text", '{"type": "hello"}'), ("bytes", b"\x00\x01"), ("bytes", b"\x02")]
