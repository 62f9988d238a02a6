"""The playground's web app: the page (static files) and one WebSocket per tab.

Routes: ``/`` the page, ``/static/...`` its scripts and styles, ``/settings.json`` the settings
schema the page builds its controls from (and the upload limit), ``/ws`` the session. Messages
from the page are JSON objects (see ``Session.handle``); the server answers with JSON text
messages (a ``network``, the layout, after every reset; ``state``, ``settings``, ``compare``,
``model``, a download; ``error``, shown on the page, the session going on) and with frames,
what the page draws after an epoch: binary messages (``frames.py`` has their layout),
coalesced: only the newest unsent one goes.

What the server accepts (``Limits``): requests naming this machine (or the ``--host`` given) as
their Host, WebSockets opened by its own page (their Origin), at most ``Limits.sessions`` open
tabs, and from each tab at most ``Limits.burst`` messages at once, refilled at
``Limits.per_second``. Training tabs take turns (``session.Turns``), so that one busy tab, or
fifty, cannot keep the others' replies waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import CommandError
from .session import Mailbox, Session, Turns
from .settings import SessionError, schema
from .uploads import MAX_MESSAGE_CHARS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

STATIC = Path(__file__).parent / "static"
# The page loads nothing from elsewhere; say so to the browser too.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "connect-src 'self' ws: wss:; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def index(request):
    return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)


async def settings_json(request):
    """Every setting (name, kind, allowed values or range, default, label) and the upload
    limit: what the page builds its controls and reads its links from."""
    return JSONResponse({"settings": schema(), "upload_bytes": MAX_UPLOAD_BYTES},
                        headers=SECURITY_HEADERS)


LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Limits:
    """What one server gives its clients: ``sessions`` open tabs at once; per tab, ``burst``
    messages at once and ``per_second`` more each second (a token bucket); a tab that goes on
    sending ``burst`` messages past an empty bucket is disconnected."""

    sessions: int = 64
    burst: int = 200
    per_second: float = 100.0


def _host_name(host: str) -> str:
    """``host`` as a Host header names it: an IPv6 address in brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def allowed_hosts(host: str = "127.0.0.1") -> list[str]:
    """The Host names the server answers to: this machine's loopback names and ``host`` (the
    ``--host`` given). A server listening on every address also answers to this machine's name
    and addresses. Any other name is refused, whatever it resolves to: a web page elsewhere
    whose name is made to resolve to 127.0.0.1 (DNS rebinding) must not reach the playground."""
    names = [*LOOPBACK]
    if host in WILDCARD:
        names += [socket.gethostname(), socket.getfqdn()]
        with contextlib.suppress(OSError):
            names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    else:
        names.append(host)
    return sorted({_host_name(name) for name in names if name})


def is_loopback(host: str) -> bool:
    """True if ``host`` is reachable from this machine only."""
    if host.lower() in LOOPBACK:
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    return False


def _same_origin(websocket: WebSocket, hosts: list[str]) -> bool:
    """Refuse a WebSocket opened by a page of another site (the browser sends its Origin): a
    web page elsewhere must not drive a local training session. The Origin must name the very
    host and port of the request, and that host must be one the server answers to."""
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser (a test client, a script)
        return True
    try:
        parts = urlsplit(origin)
        name = parts.hostname
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and name is not None
            and parts.netloc == websocket.headers.get("host")
            and _host_name(name) in hosts)


class TokenBucket:
    """``burst`` tokens at most, ``per_second`` more each second; ``take()`` spends one, or
    returns False when none is left. ``clock`` is ``time.monotonic`` unless a test gives one."""

    def __init__(self, burst: int, per_second: float, clock=time.monotonic):
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self.tokens = float(burst)
        self.last = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.per_second)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class TooManyMessages(Exception):
    """A tab went on sending past its rate limit; the connection is closed."""


class Connection:
    """One tab: its session, the frame sender, and replies in the order they were made."""

    def __init__(self, websocket: WebSocket, sessions: set, limits: Limits, turns: Turns):
        self.websocket = websocket
        self.sessions = sessions
        self.limits, self.turns = limits, turns
        self.bucket = TokenBucket(limits.burst, limits.per_second)
        self.refused = 0  # messages refused in a row for want of tokens
        self.send_lock = asyncio.Lock()
        self.frame_ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.mailbox = Mailbox(lambda: loop.call_soon_threadsafe(self.frame_ready.set))
        self.session: Session | None = None

    async def send(self, message: str | bytes) -> None:
        async with self.send_lock:
            await self._send(message)

    async def _send(self, message: str | bytes) -> None:
        """One WebSocket message: binary for bytes (a frame), text (JSON) otherwise."""
        if isinstance(message, (bytes, bytearray, memoryview)):
            await self.websocket.send_bytes(bytes(message))
        else:
            await self.websocket.send_text(message)

    async def send_frames(self) -> None:
        """Send the newest frame whenever there is one; a slow page gets fewer frames."""
        while True:
            await self.frame_ready.wait()
            self.frame_ready.clear()
            frame = self.mailbox.take()
            if frame is not None:
                await self.send(frame)

    def error(self, message: str) -> dict:
        """An error for the page, with the settings in force (the page shows them again)."""
        settings = None
        if self.session is not None:
            settings = self.session.network()["settings"]
        return {"type": "error", "message": message, "settings": settings}

    def admit(self) -> bool:
        """Spend a token for a message; False (and one error for the page) when there is none.
        A tab that goes on past ``burst`` refusals in a row is cut off."""
        if self.bucket.take():
            self.refused = 0
            return True
        self.refused += 1
        if self.refused > self.limits.burst:
            raise TooManyMessages
        return False

    async def answer(self, text: str | None) -> None:
        """Handle one message and send its replies before any frame it produced (the send lock
        is held throughout), so the page always gets a layout before the frames drawn on it.
        ``text`` is None for a binary frame (the page sends text)."""
        if not self.admit():
            if self.refused == 1:
                await self.send(json.dumps(self.error(
                    f"too many messages: at most {self.limits.per_second:g} a second; the "
                    "ones sent too fast were ignored")))
            return
        message = None
        async with self.send_lock:
            try:
                message = self._parse(text)
                replies = await run_in_threadpool(self.session.handle, message)
            except SessionError as problem:
                replies = [self.error(str(problem))]
            except Exception as error:  # a bug must not cost the tab its session: say so
                print(f"scratchnn playground: a message failed ({type(error).__name__}: "
                      f"{str(error)[:200]})", file=sys.stderr)
                replies = [self.error(f"the server could not handle that message "
                                      f"({type(error).__name__}); the session goes on")]
            # The page numbers its messages: an answer names the one it answers, so that the
            # page can tell the layout of its newest settings from one already overtaken.
            request = message.get("id") if isinstance(message, dict) else None
            for reply in replies:
                if isinstance(reply, (bytes, bytearray)):  # a frame among the replies: as is
                    await self._send(reply)
                    continue
                if isinstance(request, int) and not isinstance(request, bool):
                    reply["id"] = request
                await self._send(json.dumps(reply))

    @staticmethod
    def _parse(text: str | None):
        """The JSON of one message, or a ``SessionError`` saying what is wrong with it."""
        if text is None:
            raise SessionError("the page sends text (JSON) messages, not binary ones")
        if len(text) > MAX_MESSAGE_CHARS:
            raise SessionError(f"message too large: uploads are limited to {MAX_UPLOAD_MB} MB")
        try:
            return json.loads(text)
        except RecursionError:
            raise SessionError("a message from the page was nested too deeply") from None
        except ValueError:
            raise SessionError("a message from the page was not valid JSON") from None

    async def next_message(self) -> str | None:
        """The text of the next message (None for a binary one); raises WebSocketDisconnect
        when the page goes away."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        return message.get("text")

    async def receive(self) -> None:
        """Answer messages until the page goes away."""
        self.session = await run_in_threadpool(Session, self.mailbox, turns=self.turns)
        self.sessions.add(self.session)
        await self.send(json.dumps({"type": "hello"}))
        await self.send(json.dumps(await run_in_threadpool(self.session.network)))
        self.mailbox.put(await run_in_threadpool(self.session.frame))
        while True:
            await self.answer(await self.next_message())


async def websocket_endpoint(websocket: WebSocket) -> None:
    state = websocket.app.state
    if not _same_origin(websocket, state.hosts):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    if state.open_tabs >= state.limits.sessions:
        # The page shows the reason; nothing was built for this tab.
        reason = (f"the playground has {state.limits.sessions} tabs open, its limit; "
                  "close one and reload this page")
        await websocket.send_text(json.dumps({"type": "error", "message": reason,
                                              "settings": None}))
        await websocket.close(code=1013, reason=reason)
        return
    state.open_tabs += 1  # counted before the first await, so that no two tabs pass as one
    connection = Connection(websocket, state.sessions, state.limits, state.turns)
    sender = asyncio.create_task(connection.send_frames())
    try:
        await connection.receive()
    except TooManyMessages:
        with contextlib.suppress(Exception):
            await websocket.close(code=1008, reason=f"too many messages: more than "
                                  f"{state.limits.per_second:g} a second")
    except (WebSocketDisconnect, RuntimeError):  # the tab closed (mid-send, too)
        pass
    except asyncio.CancelledError:  # the server stops (Ctrl-C) while the tab is opening
        pass
    finally:
        state.open_tabs -= 1
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # the socket is gone
            await sender
        if connection.session is not None:
            # Closing the tab stops its training: the flag is set at once (even if this task is
            # being cancelled), then the worker is joined (at most a second).
            connection.session.stop()
            connection.sessions.discard(connection.session)
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(connection.session.close)


def create_app(host: str = "127.0.0.1", limits: Limits | None = None) -> Starlette:
    """The ASGI app for a server listening on ``host``; ``app.state.sessions`` holds the live
    sessions (one per open tab). Requests whose Host is not one of ``allowed_hosts(host)`` get
    400, on the page and the WebSocket alike (Starlette's ``TrustedHostMiddleware`` checks both
    kinds of request)."""
    hosts = allowed_hosts(host)
    app = Starlette(routes=[
        Route("/", index),
        Route("/settings.json", settings_json),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ], middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False)])
    app.state.hosts = hosts
    app.state.limits = limits or Limits()
    app.state.sessions = set()
    app.state.open_tabs = 0
    app.state.turns = Turns()
    return app


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or a one-line error (a port in use, a bad host)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        raise CommandError(f"cannot listen on {host} port {port}: {error.strerror or error}; "
                           "choose another --port (0 picks a free one) or --host") from None
    return sock


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> int:
    """Run the server until Ctrl-C; print the URL once it accepts connections."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.should_exit or not self.servers:
                return
            bound = self.servers[0].sockets[0].getsockname()[1]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound}/"
            print(f"scratchnn playground: {url} (Ctrl-C stops it)", flush=True)
            if open_browser:
                import webbrowser

                asyncio.get_running_loop().run_in_executor(None, webbrowser.open, url)

    # No per-message compression: deflating every frame (up to about 140 KB each) in the
    # event loop made one tab's reply wait seconds behind other tabs' frames.
    config = uvicorn.Config(create_app(host), host=host, port=port, log_level="warning",
                            ws_max_size=MAX_MESSAGE_CHARS + 1024, ws_per_message_deflate=False,
                            timeout_graceful_shutdown=2, lifespan="off")
    server = Server(config)
    sock = _listen(host, port)  # bound here, so that a port in use is one clear line
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if not server.started:
        return 1
    print("scratchnn playground: stopped", file=sys.stderr)
    return 130 if server.should_exit else 0
