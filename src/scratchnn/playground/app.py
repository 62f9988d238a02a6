"""The playground's web app: the page (static files) and one WebSocket per tab.

Routes: ``/`` the page, ``/static/...`` its scripts and styles, ``/settings.json`` the settings
schema the page builds its controls from (and the upload limit), ``/ws`` the session. Messages
from the page are JSON objects (see ``Session.handle``); the server answers with JSON: a
``network`` (the layout, after every reset), ``frame`` (coalesced: only the newest unsent one),
``state``, ``model`` (a download) and ``error`` (shown on the page; the session goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import CommandError
from .session import Mailbox, Session
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


def _same_origin(websocket: WebSocket) -> bool:
    """Refuse a WebSocket opened by a page of another site (the browser sends its Origin): a
    web page elsewhere must not drive a local training session."""
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser (a test client, a script)
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


class Connection:
    """One tab: its session, the frame sender, and replies in the order they were made."""

    def __init__(self, websocket: WebSocket, sessions: set):
        self.websocket = websocket
        self.sessions = sessions
        self.send_lock = asyncio.Lock()
        self.frame_ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.mailbox = Mailbox(lambda: loop.call_soon_threadsafe(self.frame_ready.set))
        self.session: Session | None = None

    async def send(self, text: str) -> None:
        async with self.send_lock:
            await self.websocket.send_text(text)

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

    async def answer(self, text: str) -> None:
        """Handle one message and send its replies before any frame it produced (the send lock
        is held throughout), so the page always gets a layout before the frames drawn on it."""
        message = None
        async with self.send_lock:
            try:
                if len(text) > MAX_MESSAGE_CHARS:
                    raise SessionError(f"message too large: uploads are limited to "
                                       f"{MAX_UPLOAD_MB} MB")
                try:
                    message = json.loads(text)
                except ValueError:
                    raise SessionError("a message from the page was not valid JSON") from None
                replies = await run_in_threadpool(self.session.handle, message)
            except SessionError as problem:
                replies = [self.error(str(problem))]
            # The page numbers its messages: an answer names the one it answers, so that the
            # page can tell the layout of its newest settings from one already overtaken.
            request = message.get("id") if isinstance(message, dict) else None
            for reply in replies:
                if isinstance(request, int) and not isinstance(request, bool):
                    reply["id"] = request
                await self.websocket.send_text(json.dumps(reply))

    async def receive(self) -> None:
        """Answer messages until the page goes away."""
        self.session = await run_in_threadpool(Session, self.mailbox)
        self.sessions.add(self.session)
        await self.send(json.dumps({"type": "hello"}))
        await self.send(json.dumps(await run_in_threadpool(self.session.network)))
        self.mailbox.put(await run_in_threadpool(self.session.frame))
        while True:
            await self.answer(await self.websocket.receive_text())


async def websocket_endpoint(websocket: WebSocket) -> None:
    if not _same_origin(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    connection = Connection(websocket, websocket.app.state.sessions)
    sender = asyncio.create_task(connection.send_frames())
    try:
        await connection.receive()
    except (WebSocketDisconnect, RuntimeError):  # the tab closed (mid-send, too)
        pass
    finally:
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


def create_app() -> Starlette:
    """The ASGI app; ``app.state.sessions`` holds the live sessions (one per open tab)."""
    app = Starlette(routes=[
        Route("/", index),
        Route("/settings.json", settings_json),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.sessions = set()
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

    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning",
                            ws_max_size=MAX_MESSAGE_CHARS + 1024, timeout_graceful_shutdown=2,
                            lifespan="off")
    server = Server(config)
    sock = _listen(host, port)  # bound here, so that a port in use is one clear line
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if not server.started:
        return 1
    print("scratchnn playground: stopped", file=sys.stderr)
    return 130 if server.should_exit else 0
