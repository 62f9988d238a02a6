"""Screenshots of the playground for the docs, taken by the same headless Chromium as the
browser tests (``make gallery`` runs this)::

    python -m scratchnn.playground.screenshot docs/images

Starts ``scratchnn playground``, opens a few links, trains each for a while, pauses and saves:

- ``playground.png``: the default page (Circle, x1 and x2, 4 and 2 neurons), 1440 px wide;
- ``playground-spirals.png``: the 3-arm spirals on x1, x2, sin(x1), sin(x2), 1440 px;
- ``playground-circles.png``: Circle on x1², x2² alone, 1440 px;
- ``playground-400.png``: the default page on a 400 px wide screen (one column);
- ``playground-arithmetic.png``: a point inspected after a Step (its arithmetic on the network
  and in the panel);
- ``playground-compare.png``: compare on: SGD pinned, Adam training beside it.

Needs Playwright for Python and a Chromium (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 180_000  # an upper bound for a state to be reached, never a sleep
SPIRALS = ("?dataset=spirals&noise=0.1&features=x1,x2,sin(x1),sin(x2)&hidden=8,8,6"
           "&activation=tanh&lr=0.01&optimizer=adam&show_test=1")
CIRCLES = "?dataset=circles&features=x1%5E2,x2%5E2&hidden=4,2&activation=tanh&lr=0.03"


def _ready(page, condition: str = "true") -> None:
    """Wait for a frame of the network shown that satisfies ``condition``."""
    page.wait_for_function(
        "() => { const p = window.playground, frame = p && p.frame; return !!(frame && p.net "
        f"&& frame.version === p.net.version && ({condition})); }}", timeout=WAIT_MS)


def _button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def _train(page, epochs: int) -> None:
    """Play until the page shows ``epochs`` epochs (or more), then pause."""
    _button(page, "Play").click()
    _ready(page, f"frame.epoch >= {epochs}")
    _button(page, "Pause").click()
    _button(page, "Play").wait_for()
    page.wait_for_function("() => !window.playground.playing", timeout=WAIT_MS)


def _inspect(page, i: int) -> None:
    """Click data point i where the page draws it on #boundary."""
    x, y = page.evaluate(
        "(i) => { const p = window.playground.net, c = document.getElementById('boundary');"
        " const r = c.getBoundingClientRect(), [x0, x1, y0, y1] = p.domain;"
        " return [r.left + (p.points[2 * i] - x0) / (x1 - x0) * r.width,"
        " r.top + (y1 - p.points[2 * i + 1]) / (y1 - y0) * r.height]; }", i)
    page.mouse.click(x, y)


def _default(page, url):
    page.goto(url)
    _ready(page)
    _train(page, 300)


def _spirals(page, url):
    page.goto(url + SPIRALS)
    _ready(page)
    _train(page, 400)


def _circles(page, url):
    page.goto(url + CIRCLES)
    _ready(page)
    _train(page, 150)


def _arithmetic(page, url):
    page.goto(url + "?dataset=xor&features=x1,x2,x1*x2&hidden=4,2&seed=3")
    _ready(page)
    _train(page, 10)  # early: the gradients are still large enough to read
    _inspect(page, 7)
    page.wait_for_function("() => window.playground.arithmetic", timeout=WAIT_MS)
    epoch = page.evaluate("window.playground.frame.epoch")
    _button(page, "Step").click()
    _ready(page, f"frame.epoch === {epoch + 1} && frame.arithmetic && frame.arithmetic.grads")


def _compare(page, url):
    page.goto(url + "?dataset=spiral&features=x1,x2,sin(x1),sin(x2)&hidden=6,6&seed=2")
    _ready(page)
    _train(page, 200)
    _button(page, "Compare").click()
    _ready(page, "p.pinned && frame.epoch === 0")
    page.get_by_label("Optimizer", exact=True).select_option("adam")  # live: no restart
    page.wait_for_function("() => window.playground.settings.optimizer === 'adam'",
                           timeout=WAIT_MS)
    _train(page, 200)


SHOTS = {  # file -> (screen width, what to do before the picture)
    "playground.png": (1440, _default),
    "playground-spirals.png": (1440, _spirals),
    "playground-circles.png": (1440, _circles),
    "playground-400.png": (400, _default),
    "playground-arithmetic.png": (1440, _arithmetic),
    "playground-compare.png": (1440, _compare),
}


def take(url: str, folder: str, chromium: str, names=None) -> list[str]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for name, (width, prepare) in SHOTS.items():
            if names and name not in names:
                continue
            context = browser.new_context(viewport={"width": width, "height": 1000},
                                          device_scale_factor=1, bypass_csp=True)
            page = context.new_page()
            prepare(page, url)
            path = os.path.join(folder, name)
            page.screenshot(path=path, full_page=True)
            written.append(path)
            context.close()
        browser.close()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the playground page.")
    parser.add_argument("folder", help="where to write the PNG files")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), metavar="NAME",
                        help="take only these screenshots (default: all of them)")
    args = parser.parse_args(argv)
    if not os.path.exists(args.chromium):
        print(f"screenshot: no Chromium at {args.chromium}; install Debian's chromium",
              file=sys.stderr)
        return 1
    os.makedirs(args.folder, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = server.stdout.readline().split()[2]  # printed once the server is ready
        for path in take(url, args.folder, args.chromium, args.only):
            print(f"screenshot: {path}")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
