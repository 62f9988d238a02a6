"""``scratchnn datasets``: the built-in datasets, one line each (classification, then
regression)."""

from __future__ import annotations

from .status import ExitStatus


def run(args) -> ExitStatus:
    from ..datasets import DATASETS, REGRESSION_DATASETS

    every = {**DATASETS, **REGRESSION_DATASETS}
    width = max(map(len, every))
    for name, (_, description) in every.items():
        print(f"{name:<{width}}  {description}")
    return ExitStatus.OK
