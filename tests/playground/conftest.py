"""Fixtures of the playground's browser tests: the server, started as a user starts it, and
one headless Chromium per test module (see _playground_browser.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from _playground_browser import CHROMIUM


@pytest.fixture(scope="module")
def server():
    """`scratchnn playground --port 0 --no-browser`; yields its URL once it says it is ready,
    and checks at the end that it stopped without a traceback or a failed message."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()
    assert "http://" in line, line
    yield line.split()[2]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert "a message failed" not in err, err


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from scratchnn.playground.screenshot import CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
