"""Frames per second of `scratchnn playground`: reaching a client, and drawn in a browser.

    python benchmarks/playground_fps.py [--seconds 5] [--slow-client 0.1]
    python benchmarks/playground_fps.py --browser [--seconds 10] [--dataset spiral]
                                        [--screenshots FOLDER]

Starts the real server (`scratchnn playground --port 0 --no-browser`).

Without --browser: connects over a real WebSocket, builds the 2-8-8-1 network on 500 points (a
50x50 boundary grid and every neuron's 50x50 map in each frame), presses Play, and counts the
frames that arrive and decode (binary frames by ``scratchnn.playground.frames.decode``; a
server that still sends JSON frames is read too). With --slow-client the client also waits that
long after every frame (a slow browser): frames are then dropped, and the epochs trained per
second show whether training slowed down (it should not).

With --browser: opens the page in headless Chromium (Playwright, Debian's /usr/bin/chromium),
first with the default link, then with the largest network (six hidden layers of 8 units, all
seven features, on the spiral), presses Play, and reports the frames the page drew per second
(its own ``window.playground.fps`` and ``framesDrawn``, where the page has them), the frames it
received, the animation frames in which ``window.playground.frame`` changed, and the time the
main thread was blocked by long tasks. The goal is at least 20 frames drawn per second on a
quiet 2-core machine; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import numpy as np

from scratchnn.playground.frames import decode as decode_frame

GRID_CELLS = 50 * 50
CHROMIUM = os.environ.get("SCRATCHNN_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]


def read(message: str | bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """``(message, arrays)`` of one message from the server: a binary frame's header and
    arrays, or a text message's JSON (a JSON frame's base64 arrays decoded, for servers that
    still send them)."""
    if isinstance(message, (bytes, bytearray)):
        return decode_frame(message)
    parsed = json.loads(message)
    arrays = {}
    if parsed.get("type") == "frame":
        for name in ("boundary", "neurons", "weights"):
            if isinstance(parsed.get(name), str):
                arrays[name] = np.frombuffer(base64.b64decode(parsed.pop(name)), dtype="<f4")
    return parsed, arrays


# --- the protocol: frames reaching a client ----------------------------------------------------


def measure(url: str, seconds: float, delay: float) -> dict:
    from websockets.sync.client import connect

    wanted = {"dataset": "circles", "noise": 0.0, "train_ratio": 0.5, "batch_size": 10,
              "features": ["x1", "x2"], "hidden": [8, 8], "activation": "tanh", "lr": 0.03,
              "optimizer": "sgd", "regularization": "none", "problem": "classification",
              "seed": 1}
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/ws"
    with connect(ws_url, max_size=2**24) as ws:
        defaults = None
        while defaults is None:  # the server's own settings: any setting not named stays
            message, _ = read(ws.recv())
            if message["type"] == "network":
                defaults = message["settings"]
        ws.send(json.dumps({"type": "config", "settings": {**defaults, **wanted}, "id": 1}))
        while True:
            message, _ = read(ws.recv())
            if message["type"] == "error":
                raise RuntimeError(message["message"])
            if message["type"] == "network" and message.get("id") == 1:
                assert message["sizes"] == [2, 8, 8, 1], message["sizes"]
                break
        ws.send(json.dumps({"type": "play"}))
        frames, nbytes, first_epoch = 0, 0, None
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            data = ws.recv()
            message, arrays = read(data)
            if message["type"] != "frame" or message["epoch"] == 0:
                continue
            assert arrays["boundary"].size == GRID_CELLS, arrays["boundary"].size
            assert arrays["neurons"].size == 16 * GRID_CELLS, arrays["neurons"].size
            if first_epoch is None:
                first_epoch, start = message["epoch"], time.perf_counter()
                continue  # count from the first frame on
            frames += 1
            nbytes += len(data)
            if delay:
                time.sleep(delay)
        elapsed = time.perf_counter() - start
        # The epoch trained by now, from the pause's answer: a slow client's last frame is an
        # old one (frames sent wait in the socket's buffers, more of them the smaller they are).
        ws.send(json.dumps({"type": "pause", "id": 2}))
        while True:
            message, _ = read(ws.recv())
            if message["type"] == "state" and message.get("id") == 2:
                last_epoch = message["epoch"]
                break
    return {"fps": frames / elapsed, "epochs_per_s": (last_epoch - first_epoch) / elapsed,
            "kb_per_frame": nbytes / max(frames, 1) / 1024, "frames": frames}


def protocol(url: str, args) -> None:
    runs = [("fast client", 0.0)]
    if args.slow_client:
        runs.append((f"slow client ({args.slow_client:g} s per frame)", args.slow_client))
    print(f"2-8-8-1 tanh on 500 circles points, batch 10, 50x50 grid + 16 neuron maps; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for name, delay in runs:
        r = measure(url, args.seconds, delay)
        print(f"{name:32s} {r['fps']:6.1f} frames/s  {r['epochs_per_s']:7.1f} epochs/s  "
              f"{r['kb_per_frame']:6.1f} KB/frame  ({r['frames']} frames)")


# --- the browser: frames drawn by the page -----------------------------------------------------

# Installed before the page's own scripts: counts the frames the page receives (binary ones,
# or JSON text ones from a server that still sends them), the animation frames in which
# window.playground.frame changed, and the main thread's long tasks.
COUNTERS = """
window.__fps = {received: 0, bytes: 0, changed: 0, longTasks: 0, longTaskMs: 0};
const NativeSocket = window.WebSocket;
window.WebSocket = class extends NativeSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      const data = event.data;
      if (typeof data === "string") {
        if (!data.startsWith('{"type": "frame"')) return;
        window.__fps.bytes += data.length;
      } else {
        window.__fps.bytes += data.byteLength ?? data.size;
      }
      window.__fps.received += 1;
    });
  }
};
let lastFrame = null;
function tick() {
  const frame = window.playground && window.playground.frame;
  if (frame && frame !== lastFrame) { lastFrame = frame; window.__fps.changed += 1; }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__fps.longTasks += 1;
      window.__fps.longTaskMs += entry.duration;
    }
  }).observe({ entryTypes: ["longtask"] });
} catch (error) { /* no long-task timing in this browser */ }
"""

SAMPLE = """() => ({
  now: performance.now(),
  epoch: window.playground.frame ? window.playground.frame.epoch : null,
  fps: typeof window.playground.fps === "number" ? window.playground.fps : null,
  framesDrawn: typeof window.playground.framesDrawn === "number"
    ? window.playground.framesDrawn : null,
  ...window.__fps,
})"""


def large_link(dataset: str) -> str:
    """The largest network's link: six hidden layers of 8, every feature (``^`` encoded)."""
    return (f"?dataset={quote(dataset)}&hidden=8,8,8,8,8,8&features="
            + ",".join(quote(f, safe="*()") for f in ALL_FEATURES))


def browse(page, url: str, seconds: float, screenshot: str | None = None) -> dict:
    """Open ``url``, press Play, and count for ``seconds`` after the first trained frame (then
    save a screenshot of the page to ``screenshot``, if given)."""
    page.goto(url)
    page.wait_for_function("() => window.playground && window.playground.net "
                           "&& window.playground.frame", timeout=120_000)
    sizes = page.evaluate("() => window.playground.net.sizes")
    dataset = page.evaluate("() => window.playground.settings.dataset")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.frame && window.playground.frame.epoch > 0",
                           timeout=120_000)
    load_before = os.getloadavg()[0]
    first = page.evaluate(SAMPLE)
    page.wait_for_timeout(seconds * 1000)  # a benchmark measures over a time; tests never do
    last = page.evaluate(SAMPLE)
    page.get_by_role("button", name="Pause", exact=True).click()
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    elapsed = (last["now"] - first["now"]) / 1000

    def rate(key: str) -> float | None:
        if first[key] is None or last[key] is None:
            return None
        return (last[key] - first[key]) / elapsed

    received = last["received"] - first["received"]
    return {
        "sizes": sizes, "dataset": dataset, "seconds": elapsed,
        "page_fps": last["fps"], "drawn_per_s": rate("framesDrawn"),
        "changed_per_s": rate("changed"), "received_per_s": rate("received"),
        "epochs_per_s": rate("epoch"),
        "kb_per_frame": (last["bytes"] - first["bytes"]) / max(received, 1) / 1024,
        "long_task_ms_per_s": rate("longTaskMs"),
        "load": (load_before, os.getloadavg()[0]),
    }


def shown(value: float | None, unit: str = "") -> str:
    return "   n/a" if value is None else f"{value:6.1f}{unit}"


def browser(url: str, args) -> None:
    from playwright.sync_api import sync_playwright

    links = [("default", url), ("largest", url.rstrip("/") + "/" + large_link(args.dataset))]
    results = []
    print(f"headless Chromium ({CHROMIUM}), viewport {args.width}x{args.height}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before; "
          f"{args.seconds:g} s per link after its first trained frame")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for name, link in links:
                context = chromium.new_context(viewport={"width": args.width,
                                                         "height": args.height},
                                               bypass_csp=True)
                page = context.new_page()
                page.add_init_script(COUNTERS)
                try:
                    shot = (os.path.join(args.screenshots, f"playground-fps-{name}.png")
                            if args.screenshots else None)
                    r = browse(page, link, args.seconds, shot)
                finally:
                    context.close()
                results.append((name, r))
                sizes = "-".join(map(str, r["sizes"]))
                print(f"{name:8s} {r['dataset']:>9s} {sizes:20s} drawn (page fps) "
                      f"{shown(r['page_fps'])}  drawn/s {shown(r['drawn_per_s'])}  "
                      f"changed/s {shown(r['changed_per_s'])}  received/s "
                      f"{shown(r['received_per_s'])}  epochs/s {shown(r['epochs_per_s'])}  "
                      f"{r['kb_per_frame']:6.1f} KB/frame  long tasks "
                      f"{shown(r['long_task_ms_per_s'])} ms/s  load {r['load'][0]:.2f} -> "
                      f"{r['load'][1]:.2f}")
        finally:
            chromium.close()
    if results[-1][1]["dataset"] != args.dataset:
        print(f"note: the page shows dataset {results[-1][1]['dataset']!r}, not "
              f"{args.dataset!r}: this version of the page fell back from the link")
    drawn = [r["drawn_per_s"] if r["drawn_per_s"] is not None else r["changed_per_s"]
             for _, r in results]
    what = "drawn" if results[0][1]["drawn_per_s"] is not None else "changed (no framesDrawn)"
    print(f"ratios: largest / default {drawn[1] / max(drawn[0], 1e-9):.2f} ({what}); "
          f"largest / goal of 20 {drawn[1] / 20:.2f}; largest drawn / received "
          f"{drawn[1] / max(results[1][1]['received_per_s'] or 0, 1e-9):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--slow-client", type=float, default=0.1, metavar="SECONDS",
                        help="delay per frame of the second, slow client (0: skip it)")
    parser.add_argument("--browser", action="store_true",
                        help="measure the frames drawn by the page in headless Chromium")
    parser.add_argument("--dataset", default="spiral",
                        help="the largest network's data set in --browser (default spiral)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--screenshots", metavar="FOLDER",
                        help="with --browser, save each page as it was measured into FOLDER")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = server.stdout.readline().split()[2]  # printed once the server is ready
        (browser if args.browser else protocol)(url, args)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
        if "Traceback" in err:
            print(err, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
