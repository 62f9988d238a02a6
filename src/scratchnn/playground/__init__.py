"""``scratchnn playground``: train a network live in the browser, on scratchnn's own engine.

``settings.py`` is the table of every setting (the server checks messages against it, the page
builds its controls from it), ``uploads.py`` reads an uploaded CSV, ``session.py`` is one tab's
training session (NumPy and the library only), ``codegen.py`` writes the code panel's Python,
``app.py`` the web app (Starlette under uvicorn, imported only when the command runs),
``static/`` the page (plain HTML, CSS and JavaScript modules; nothing to build, nothing loaded
from the internet).
"""

from __future__ import annotations

import argparse
import sys

LOCALHOST = "127.0.0.1"


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535 (0 picks a "
                                         f"free one), got {text!r}")
    return int(text)


def add_parser(commands) -> None:
    """Register the ``playground`` subcommand on the CLI's subparsers."""
    parser = commands.add_parser(
        "playground", help="train a network live in your browser (a local web app)",
        description="Start a local web app where you build a network, watch it learn, copy "
        "its code and download the model. It serves 127.0.0.1 only, unless --host says "
        "otherwise; Ctrl-C stops it.")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port to listen on (default 8000; 0 picks a free one)")
    parser.add_argument("--host", default=LOCALHOST,
                        help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the URL but do not open a browser")
    parser.set_defaults(run=run)


def run(args) -> int:
    """``scratchnn playground``: start the server for ``args`` (host, port, browser); returns
    the exit code. A missing Starlette or uvicorn is one line naming the pip command."""
    from ..errors import CommandError

    try:
        from .app import is_loopback, serve
    except ImportError as error:
        raise CommandError(f"the playground needs Starlette and uvicorn ({error.name} is missing); "
                       "install them with: pip install 'scratchnn[playground]'") from None
    if not is_loopback(args.host):
        print(f"scratchnn playground: warning: --host {args.host} lets other machines reach "
              "the playground, which has no login; use it only on a network you trust",
              file=sys.stderr, flush=True)
    return serve(args.host, args.port, open_browser=not args.no_browser)
