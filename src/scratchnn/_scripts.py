"""What the experiment scripts share: checked numbers, one-line errors, writing the figure."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from pathlib import Path


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are a single line on stderr (exit code 2)."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def _number(text: str, convert, expected: str):
    """``convert(text)``, or the argparse error that says what was expected."""
    try:
        return convert(text)
    except ValueError:
        hint = ""
        if convert is int:  # "1e3" is a common way to write a thousand
            with contextlib.suppress(ValueError, OverflowError):
                number = float(text)
                if number == int(number) and number >= 1:
                    hint = f"; write {int(number)}"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}{hint}") from None


def positive_int(text: str) -> int:
    value = _number(text, int, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a positive number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float, "a number >= 0")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = _number(text, float, "a fraction such as 0.2")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text}")
    return value


def random_seed(text: str) -> int:
    value = _number(text, int, "a whole number >= 0")
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**32 - 1, got "
                                         f"{value}")
    return value


def sample_count(text: str) -> int:
    """At least 10 samples, so that a 20% test split holds at least 2."""
    value = positive_int(text)
    if value < 10:
        raise argparse.ArgumentTypeError(f"must be at least 10, got {value}")
    return value


def common_parser(description: str, *, epochs: int, lr: float, n_samples: int, noise: float,
                  seed: int = 0) -> OneLineErrorParser:
    """The options both experiment scripts share."""
    parser = OneLineErrorParser(description=description)
    parser.add_argument("--seed", type=random_seed, default=seed,
                        help=f"random seed (default {seed})")
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
    from scratchnn._files import error_message
    from scratchnn.plotting import save_figure

    path = Path(folder) / filename
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"{prog}: error: cannot create the folder {path.parent}: "
              f"{error.strerror or error}", file=sys.stderr)
        return None
    try:
        save_figure(fig, path, dpi=110)
    except OSError as error:  # its message names the file: "cannot write ...: reason"
        print(f"{prog}: error: {error_message(error)}", file=sys.stderr)
        return None
    print(f"figure: {path}")
    return path
