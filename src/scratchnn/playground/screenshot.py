"""Screenshots of the playground for the docs, taken by the same headless Chromium as the
browser tests (``make gallery`` runs this)::

    python -m scratchnn.playground.screenshot docs/images

Starts ``scratchnn playground``, opens a few links, trains each for a while, pauses and saves
``playground.png`` (spirals, 3 classes) and ``playground-circles.png`` (circles on x1², x2²).
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
SHOTS = {
    "playground.png": ("?dataset=spirals&noise=0.1&features=x1,x2,sin(x1),sin(x2)"
                       "&hidden=8,8,6&activation=tanh&lr=0.01&optimizer=adam&show_test=1", 400),
    "playground-circles.png": ("?dataset=circles&features=x1%5E2,x2%5E2&hidden=4,2"
                               "&activation=tanh&lr=0.03", 150),
}


def take(url: str, folder: str, chromium: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000},
                                      device_scale_factor=1, bypass_csp=True)
        page = context.new_page()
        for name, (query, epochs) in SHOTS.items():
            page.goto(url + query)
            page.wait_for_function("() => window.playground && window.playground.frame")
            page.get_by_role("button", name="Play", exact=True).click()
            page.wait_for_function(f"() => window.playground.frame.epoch >= {epochs}",
                                   timeout=180_000)
            page.get_by_role("button", name="Pause", exact=True).click()
            page.get_by_role("button", name="Play", exact=True).wait_for()
            page.wait_for_function("() => !window.playground.playing")
            path = os.path.join(folder, name)
            page.screenshot(path=path, full_page=True)
            written.append(path)
        browser.close()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the playground page.")
    parser.add_argument("folder", help="where to write the PNG files")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
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
        for path in take(url, args.folder, args.chromium):
            print(f"screenshot: {path}")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
