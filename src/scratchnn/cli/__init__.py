"""The ``scratchnn`` command: train, evaluate, predict and plot from the shell.

    scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
    scratchnn train --data points.csv --target label --hidden 8 --save model.npz
    scratchnn train --data houses.csv --target price --task regression --save price.npz
    scratchnn evaluate model.npz --data test.csv --target label
    scratchnn predict model.npz new_points.csv --proba -o predictions.csv
    scratchnn plot s.npz --dataset spirals -o boundary.png
    scratchnn export s.npz s.onnx
    scratchnn datasets
    scratchnn exercises start my-nn      (then, in my-nn: scratchnn exercises check)

``python -m scratchnn`` is the same command. Errors end with one line on stderr,
``scratchnn: error: ...``, and a non-zero exit code (``status.ExitStatus``: 2 for a bad command
line, 1 for bad data or files, 130 for Ctrl-C, 143 for SIGTERM). Outputs are written only after
training succeeded, all together and each atomically, so a failed or interrupted run never
damages a file that is already on disk, and no output may be one of the command's input files.

Model files carry, in their metadata, everything needed to use them again: the input column
names, the class labels, the standardisation of CSV columns (mean and scale from the training
split) and the feature lift. A point goes through ``standardise -> lift -> network``. A
regression model (``--task regression``) records its task and the target's standardisation
too, and its output goes back to the target's units.

The modules: ``core`` (``main``: run a command, report what stops it), ``parser`` (the options),
``status`` (exit codes and the errors that carry them), ``task`` (what differs between
classification and regression), ``data``, ``models`` and ``outputs`` (what the commands share),
and one module per command: ``train``, ``evaluate``, ``predict``, ``plot``, ``export``,
``datasets``, ``exercises`` (``playground`` is the playground's own,
``scratchnn.playground.add_parser``).
"""

from __future__ import annotations

from .core import main
from .models import load_model, probabilities
from .parser import build_parser, parse_features, parse_hidden
from .status import CLIError, ExitStatus, Interrupted, UsageError

__all__ = ["CLIError", "ExitStatus", "Interrupted", "UsageError", "build_parser", "load_model",
           "main", "parse_features", "parse_hidden", "probabilities"]
