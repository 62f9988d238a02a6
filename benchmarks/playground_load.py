"""How long one tab of `scratchnn playground` waits for a reply while many other tabs train.

    python benchmarks/playground_load.py [--tabs 50] [--probes 20] [--seconds 120]

Starts the real server (`scratchnn playground --port 0 --no-browser`, on 127.0.0.1 only), opens
``--tabs`` busy tabs (each trains a network of 6 hidden layers of 8 units at batch size 1 and
reads the frames it is sent, as a page does), waits until every one of them has trained, then
sends ``--probes`` requests from one more tab, one after the other, and times each reply:
``pause`` (answered with the state) and ``reset`` (answered with the network's layout). Bounded:
at most ``--tabs`` + 1 connections, and the whole run stops after ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from scratchnn.playground.frames import decode as decode_frame

BUSY = {"dataset": "circles", "noise": 0.0, "train_ratio": 0.5, "batch_size": 1,
        "features": ["x1", "x2"], "hidden": [8] * 6, "activation": "tanh", "lr": 0.03,
        "optimizer": "sgd", "regularization": "none", "reg_rate": 0.0,
        "problem": "classification", "seed": 1}


def read(message: str | bytes) -> dict:
    """A text message's JSON, or a binary frame's header (``frames.decode``): a frame is read
    whole, as the page reads it."""
    if isinstance(message, (bytes, bytearray)):
        return decode_frame(message)[0]
    return json.loads(message)


async def reply(ws, request: dict, kind: str, ident: int) -> dict:
    """Send ``request`` and wait for the answer of type ``kind`` naming it."""
    await ws.send(json.dumps({**request, "id": ident}))
    while True:
        message = read(await ws.recv())
        if message["type"] == "error":
            raise RuntimeError(message["message"])
        if message["type"] == kind and message.get("id") == ident:
            return message


async def busy_tab(url: str, trained: asyncio.Event, count: list, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=2**24) as ws:
        await reply(ws, {"type": "config", "settings": BUSY}, "network", 1)
        await reply(ws, {"type": "play"}, "state", 2)
        seen = False
        while not stop.is_set():
            try:
                message = read(await asyncio.wait_for(ws.recv(), 0.5))
            except asyncio.TimeoutError:
                continue
            if not seen and message["type"] == "frame" and message["epoch"] > 0:
                seen = True
                count[0] += 1
                if count[0] == count[1]:
                    trained.set()


async def probe(url: str, probes: int) -> dict:
    from websockets.asyncio.client import connect

    times = {"pause": [], "reset": []}
    async with connect(url, max_size=2**24) as ws:
        await reply(ws, {"type": "config", "settings": {**BUSY, "hidden": [4, 2],
                                                        "batch_size": 10}}, "network", 1)
        ident = 10
        for _ in range(probes):
            for kind, answer in (("pause", "state"), ("reset", "network")):
                ident += 1
                start = time.perf_counter()
                await reply(ws, {"type": kind}, answer, ident)
                times[kind].append(time.perf_counter() - start)
    return times


async def run(url: str, tabs: int, probes: int) -> dict:
    trained, stop, count = asyncio.Event(), asyncio.Event(), [0, tabs]
    workers = [asyncio.create_task(busy_tab(url, trained, count, stop)) for _ in range(tabs)]
    start = time.perf_counter()
    if tabs:
        await trained.wait()
    ready = time.perf_counter() - start
    times = await probe(url, probes)
    stop.set()
    await asyncio.gather(*workers, return_exceptions=True)
    return {"tabs_training": count[0], "seconds_until_all_trained": ready, **times}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=50)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = server.stdout.readline().split()[2]  # printed once the server is ready
        assert url.startswith("http://127.0.0.1:"), url
        ws_url = url.replace("http://", "ws://").rstrip("/") + "/ws"
        result = asyncio.run(asyncio.wait_for(run(ws_url, args.tabs, args.probes),
                                              args.seconds))
    finally:
        server.send_signal(signal.SIGINT)
        stopped = time.perf_counter()
        server.communicate(timeout=60)
        ctrl_c = time.perf_counter() - stopped
    print(f"{result['tabs_training']} busy tabs (6x8 tanh, batch 1) on {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; all training after "
          f"{result['seconds_until_all_trained']:.1f} s")
    for kind in ("pause", "reset"):
        values = sorted(result[kind])
        print(f"another tab's {kind:5} reply: median {statistics.median(values) * 1000:.0f} ms, "
              f"worst {values[-1] * 1000:.0f} ms over {len(values)}")
    print(f"Ctrl-C stopped the server in {ctrl_c:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
