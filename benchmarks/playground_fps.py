"""Frames per second that reach a client of `scratchnn playground` while training runs.

    python benchmarks/playground_fps.py [--seconds 5] [--slow-client 0.1]

Starts the real server (`scratchnn playground --port 0 --no-browser`), connects over a real
WebSocket, builds the 2-8-8-1 network on 500 points (a 50x50 boundary grid and every neuron's
50x50 map in each frame), presses Play, and counts the frames that arrive and decode. The goal
is at least 20 frames per second. With --slow-client the client also waits that long after
every frame (a slow browser): frames are then dropped, and the epochs trained per second show
whether training slowed down (it should not).
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

import numpy as np


def decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def measure(url: str, seconds: float, delay: float) -> dict:
    from websockets.sync.client import connect

    settings = {"dataset": "circles", "noise": 0.0, "train_ratio": 0.5, "batch_size": 10,
                "features": ["x1", "x2"], "hidden": [8, 8], "activation": "tanh", "lr": 0.03,
                "optimizer": "sgd", "regularization": "none", "reg_rate": 0.0,
                "problem": "classification", "seed": 1}
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/ws"
    with connect(ws_url, max_size=2**24) as ws:
        ws.send(json.dumps({"type": "config", "settings": settings, "id": 1}))
        while True:
            message = json.loads(ws.recv())
            if message["type"] == "network" and message.get("id") == 1:
                assert message["sizes"] == [2, 8, 8, 1], message["sizes"]
                break
        ws.send(json.dumps({"type": "play"}))
        frames, nbytes, first_epoch, last_epoch = 0, 0, None, 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            text = ws.recv()
            message = json.loads(text)
            if message["type"] != "frame" or message["epoch"] == 0:
                continue
            boundary, neurons = decode(message["boundary"]), decode(message["neurons"])
            assert boundary.size == 50 * 50 and neurons.size == 16 * 50 * 50
            if first_epoch is None:
                first_epoch, start = message["epoch"], time.perf_counter()
                continue  # count from the first frame on
            frames += 1
            nbytes += len(text)
            last_epoch = message["epoch"]
            if delay:
                time.sleep(delay)
        elapsed = time.perf_counter() - start
        ws.send(json.dumps({"type": "pause"}))
    return {"fps": frames / elapsed, "epochs_per_s": (last_epoch - first_epoch) / elapsed,
            "kb_per_frame": nbytes / max(frames, 1) / 1024, "frames": frames}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--slow-client", type=float, default=0.1, metavar="SECONDS",
                        help="delay per frame of the second, slow client (0: skip it)")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = server.stdout.readline().split()[2]  # printed once the server is ready
        runs = [("fast client", 0.0)]
        if args.slow_client:
            runs.append((f"slow client ({args.slow_client:g} s per frame)", args.slow_client))
        print(f"2-8-8-1 tanh on 500 circles points, batch 10, 50x50 grid + 16 neuron maps; "
              f"{os.cpu_count()} CPUs")
        for name, delay in runs:
            r = measure(url, args.seconds, delay)
            print(f"{name:32s} {r['fps']:6.1f} frames/s  {r['epochs_per_s']:7.1f} epochs/s  "
                  f"{r['kb_per_frame']:6.1f} KB/frame  ({r['frames']} frames)")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
