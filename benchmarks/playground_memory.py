"""Memory of one playground session over many epochs, measured with tracemalloc.

    python benchmarks/playground_memory.py [--epochs 20000]

Trains one session (the default Circle, 2-4-2-1) epoch after epoch, building a frame every 500
epochs as a playing page would, and prints what the session holds on the way: the memory
traced since the start, the snapshots kept (and their interval), the loss curve's points (and
its stride), the training doctor's history and the timeline's events. Everything a session
keeps per epoch is bounded (snapshots, curve, history), so the memory levels off: it should
grow by a few MB at most, whatever the number of epochs.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

from scratchnn.playground.session import Session
from scratchnn.playground.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20_000)
    args = parser.parse_args()
    session = Session(settings=Settings(hidden=[4, 2]))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for epoch in range(1, args.epochs + 1):
        session.train_epoch()
        if epoch % 500 == 0:
            session.frame()
        if epoch % 5000 == 0 or epoch in (1000, 2000, args.epochs):
            now, peak = tracemalloc.get_traced_memory()
            print(f"epoch {epoch:>7}: +{(now - base) / 1e6:6.2f} MB (peak "
                  f"+{(peak - base) / 1e6:.2f}); snapshots {len(session.snapshots.kept)} every "
                  f"{session.snapshots.interval}; curve {len(session.curve.points)} points, "
                  f"stride {session.curve.stride}; history {len(session.history.loss)}; "
                  f"events {len(session.timeline.events)}; "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    session.close()


if __name__ == "__main__":
    main()
