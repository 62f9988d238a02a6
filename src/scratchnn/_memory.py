"""How much memory a run would take, estimated before anything is allocated, and how much the
machine can give: so that ``scratchnn train --hidden 100000,100000`` ends with a usage error that
says how much it would need, not with a ``MemoryError`` halfway through.

    estimate = training_estimate(n_rows=1000, n_inputs=2, hidden=[100000, 100000], n_outputs=1,
                                 batch_size=32, optimizer="adam")
    estimate.total                 # bytes
    estimate.describe()            # "about 320 GB (network 80 GB x 4: ..., data 96 KB)"

The estimates count what dominates (every array of the size of the network, of a batch, of the
data); they are meant to be right within a small factor, which is all a refusal needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import pairwise

try:
    import resource  # POSIX: ulimit -v
except ImportError:  # pragma: no cover - Windows
    resource = None

# Arrays of the network's size besides the weights: the gradients, two copies of the weights
# (fit's best weights, the best restart's), and the optimizer's state per parameter.
# L-BFGS (SciPy's, as the estimators use it) keeps 10 pairs of vectors of the network's size.
_OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "rmsprop": 1, "lbfgs": 20}
_COPIES_OF_DATA = 4  # the raw rows, their train/test split, the network inputs, a shuffled epoch
_ACTIVATION_ARRAYS = 3  # per layer and batch row: its output, the gradient, a ReLU mask
_EVAL_ROWS = 1024  # fit evaluates at least this many rows per forward pass


def format_bytes(n: float) -> str:
    """``1234567`` -> ``"1.2 MB"`` (powers of 1000, as disk and memory sizes are usually said)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Estimate:
    """The bytes a run needs, by part: ``{"network": ..., "activations": ..., "data": ...}``."""

    parts: dict[str, int]
    notes: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def largest(self) -> str:
        """The name of the part that takes the most."""
        return max(self.parts, key=self.parts.__getitem__)

    def describe(self) -> str:
        """``"about 320.0 GB of memory (network 320.0 GB (...), activations ..., data ...)"``."""
        inner = "; ".join(f"{name} {format_bytes(size)}" + (f" ({self.notes[name]})"
                                                            if name in self.notes else "")
                          for name, size in self.parts.items())
        return f"about {format_bytes(self.total)} of memory ({inner})"


def data_estimate(n_rows: int, n_columns: int, itemsize: int = 8) -> Estimate:
    """Rows of ``n_columns`` numbers and a label, in the copies a run makes of them."""
    size = _COPIES_OF_DATA * n_rows * (n_columns + 1) * itemsize
    return Estimate({"data": size}, {"data": f"{n_rows:,} rows, {_COPIES_OF_DATA} copies"})


def training_estimate(n_rows: int, n_inputs: int, hidden: list[int], n_outputs: int,
                      batch_size: int, optimizer: str, itemsize: int = 8) -> Estimate:
    """Training a ``n_inputs - hidden - n_outputs`` network on ``n_rows`` rows: the parameters
    with their gradients, copies and optimizer state; the activations of one batch (or of one
    evaluation chunk, which is larger); the data."""
    sizes = [n_inputs, *hidden, n_outputs]
    n_params = sum(a * b + b for a, b in pairwise(sizes))
    copies = 4 + _OPTIMIZER_STATES.get(optimizer, 2)
    rows = max(min(batch_size, n_rows), min(_EVAL_ROWS, n_rows))
    activations = _ACTIVATION_ARRAYS * rows * sum(sizes[1:]) * itemsize
    data = data_estimate(n_rows, n_inputs, itemsize)
    return Estimate(
        {"network": n_params * itemsize * copies, "activations": activations,
         "data": data.parts["data"]},
        {"network": f"{n_params:,} parameters x {copies}: weights, gradients, two copies, "
                    f"{optimizer}'s state", "activations": f"{rows:,} rows at a time",
         "data": data.notes["data"]})


def available_bytes() -> int | None:
    """The memory this process can still get: the kernel's ``MemAvailable``, lowered by a
    cgroup's limit and by ``ulimit -v``; ``None`` where none of these can be read."""
    limits = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read())
        if limit != "max":
            limits.append(int(limit) - used)
    except (OSError, ValueError):
        pass
    if resource is not None:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    if not limits:
        pages, size = (os.sysconf(name) if hasattr(os, "sysconf") else -1
                       for name in ("SC_PHYS_PAGES", "SC_PAGE_SIZE"))
        return pages * size if pages > 0 and size > 0 else None
    return max(0, min(limits))


def too_large(estimate: Estimate) -> str | None:
    """``None`` when ``estimate`` fits in the available memory, else the sentence that says
    how much it would take and how much there is."""
    available = available_bytes()
    if available is None or estimate.total <= available:
        return None
    return (f"this run would need {estimate.describe()}, but about {format_bytes(available)} "
            "is available")
