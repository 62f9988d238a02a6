"""What the playground's browser tests share: the Chromium they drive (Debian's: Playwright
cannot download its own browser here), a page that records its console errors, and a wait for
the page's own state (never a sleep). The `server` and `browser` fixtures are in conftest.py."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("SCRATCHNN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 120_000  # an upper bound for a state to be reached, never a sleep


def require_browser():
    """Skip the calling test module, loudly, where no Chromium or Playwright is installed;
    Playwright's ``sync_api`` otherwise."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium. Install Debian's "
                    "chromium (as root: apt-get update && apt-get install -y chromium; 'make "
                    "test' does it) to run the playground's end-to-end tests",
                    allow_module_level=True)
    sync_api = pytest.importorskip("playwright.sync_api", reason="BROWSER TESTS SKIPPED: "
                                   "playwright is not installed (pip install -e '.[dev]')")
    pytest.importorskip("starlette", reason="the playground extra is not installed")
    return sync_api


def new_page(browser, width: int = 1400, height: int = 1000, **options):
    """A page in a context of its own that records console errors and uncaught exceptions in
    ``page.errors``. The page's Content-Security-Policy forbids eval, which Playwright's
    wait_for_function uses; the test context lifts it (the page itself never needs it)."""
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True,
                                  **options)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def wait_for_frame(page, condition: str) -> None:
    """Wait until the newest frame of the current network satisfies ``condition`` (``p`` is
    ``window.playground``)."""
    page.wait_for_function(
        f"() => {{ const p = window.playground; const frame = p && p.frame; "
        f"return !!(frame && p.net && frame.version === p.net.version && ({condition})); }}",
        timeout=WAIT_MS)


def open_page(page, server: str, query: str = "") -> None:
    """``server`` + ``query`` opened, once its first frame is drawn."""
    page.goto(server + query)
    wait_for_frame(page, "frame.epoch === 0")
