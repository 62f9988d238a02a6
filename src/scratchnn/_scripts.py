"""What the experiment scripts share: checked numbers, one-line errors, writing the figure."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are a single line on stderr (exit code 2)."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def sample_count(text: str) -> int:
    """At least 10 samples, so that the 20% test split holds at least 2."""
    value = positive_int(text)
    if value < 10:
        raise argparse.ArgumentTypeError(f"must be at least 10 (20% are held out for testing), "
                                         f"got {value}")
    return value


def common_parser(description: str, *, epochs: int, lr: float, n_samples: int, noise: float,
                  seed: int = 0) -> OneLineErrorParser:
    """The options both experiment scripts share."""
    parser = OneLineErrorParser(description=description)
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    parser.add_argument("--epochs", type=positive_int, default=epochs,
                        help=f"epochs of gradient descent (default {epochs})")
    parser.add_argument("--lr", type=positive_float, default=lr,
                        help=f"learning rate (default {lr})")
    parser.add_argument("--n-samples", type=sample_count, default=n_samples,
                        help=f"number of points (default {n_samples})")
    parser.add_argument("--noise", type=non_negative_float, default=noise,
                        help=f"noise of the dataset (default {noise})")
    parser.add_argument("--out", default="outputs",
                        help="folder for the figures (default outputs/)")
    parser.add_argument("--show", action="store_true", help="also open the figure in a window")
    return parser


def pyplot(show: bool):
    """``matplotlib.pyplot``, on the Agg backend (files only) unless a window was asked for."""
    import matplotlib

    if not show:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_figure(fig, folder: str, filename: str, prog: str) -> Path | None:
    """Save ``fig`` as ``folder/filename`` (atomically); on failure say why in one line on
    stderr and return ``None``."""
    from scratchnn.plotting import save_figure

    path = Path(folder) / filename
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_figure(fig, path, dpi=110)
    except OSError as error:
        print(f"{prog}: error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return None
    print(f"figure: {path}")
    return path
