"""``scratchnn datasets``: the built-in datasets, one line each (classification, then
regression), then TensorFlow Playground's six, in its units."""

from __future__ import annotations

from .status import ExitStatus


def run(args) -> ExitStatus:
    from ..datasets import DATASETS, PLAYGROUND_DATASETS, REGRESSION_DATASETS
    from .data import PLAYGROUND

    own = {name: description for name, (_, description) in
           {**DATASETS, **REGRESSION_DATASETS}.items()}
    playground = {PLAYGROUND + name: f"{description} "
                  f"({'binary' if kind == 'classification' else kind})"
                  for name, (_, kind, description) in PLAYGROUND_DATASETS.items()}
    width = max(map(len, [*own, *playground]))
    for name, description in own.items():
        print(f"{name:<{width}}  {description}")
    print("\nTensorFlow Playground's six, drawn as its page draws them, in its units: points in "
          "about\n[-6, 6]^2, --noise on its scale (0 to 0.5, default 0), 500 points by default:")
    for name, description in playground.items():
        print(f"{name:<{width}}  {description}")
    return ExitStatus.OK
