"""The ``scratchnn`` command: train, evaluate, predict and plot from the shell.

    scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
    scratchnn train --data points.csv --target label --hidden 8 --save model.npz
    scratchnn train --data houses.csv --target price --task regression --save price.npz
    scratchnn evaluate model.npz --data test.csv --target label
    scratchnn predict model.npz new_points.csv --proba -o predictions.csv
    scratchnn plot s.npz --dataset spirals -o boundary.png
    scratchnn export s.npz s.onnx
    scratchnn datasets

``python -m scratchnn`` is the same command. Errors end with one line on stderr,
``scratchnn: error: ...``, and a non-zero exit code (2 for a bad command line, 1 for bad data
or files, 130 for Ctrl-C, 143 for SIGTERM). Outputs are written only after training succeeded,
all together and each atomically (``scratchnn._files``: temporary files, then ``os.replace``),
so a failed or interrupted run never damages a file that is already on disk, and no output may
be one of the command's input files.

Model files carry, in their metadata, everything needed to use them again: the input column
names, the class labels, the standardisation of CSV columns (mean and scale from the training
split) and the feature lift. A point goes through ``standardise -> lift -> network``. A
regression model (``--task regression``, the code in ``scratchnn._cli_regression``) records its
task and the target's standardisation too, and its output goes back to the target's units.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import itertools
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._csv import DataError, read_chunks, read_labels, read_table, sorted_classes
from ._files import StagedOutputs, Terminated, error_message, sigterm_raises
from ._memory import data_estimate
from ._prep import Prep
from ._scripts import fraction as _fraction
from ._scripts import non_negative_float as _non_negative_float
from ._scripts import positive_float as _positive_float
from ._scripts import positive_int as _positive_int
from ._scripts import random_seed as _seed
from ._scripts import sample_count as _sample_count
from .layers import ACTIVATIONS
from .model import Sequential, mlp
from .optimizers import OPTIMIZERS as OPTIMIZER_CLASSES
from .optimizers import Optimizer
from .training import TrainingDivergedError, fit

PROG = "scratchnn"
# The command line's optimizers: a class of the library's registry, with the settings it gets.
OPTIMIZER_SETTINGS = {"sgd": ("sgd", {}), "momentum": ("sgd", {"momentum": 0.9}),
                      "adam": ("adam", {}), "rmsprop": ("rmsprop", {})}
OPTIMIZERS = tuple(OPTIMIZER_SETTINGS)
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01, "rmsprop": 0.01}
DEFAULT_PATIENCE = 20
ANIMATION_FRAMES = 40
_NUMBER = re.compile(r"-\d+(\.\d*)?([eE][-+]?\d+)?|-\.\d+([eE][-+]?\d+)?")  # a value, not an option
MODEL_HELP = "a model file written by 'scratchnn train --save' (or scratchnn.save)"
TASKS = ("classification", "regression")
# Without --task, a numeric target with more distinct values than this (or with fractions) is
# refused with a hint: it is more likely a measurement than 21 classes.
MAX_GUESSED_CLASSES = 20


class CLIError(Exception):
    """A problem with the user's data or files: reported as one line, exit code 1."""

    exit_code = 1


class UsageError(CLIError):
    """A problem with the command line itself: reported as one line, exit code 2."""

    exit_code = 2


class Interrupted(CLIError):
    """Ctrl-C: reported as one line, exit code 130 (the shell's code for SIGINT)."""

    exit_code = 130


# --- argument parsing --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit code 2, and which
    names a mistyped option first, with the closest real one: ``unknown option --datset; did
    you mean --dataset?`` (argparse would complain about the option it then misses instead)."""

    _seen: Sequence[str] = ()  # the arguments given to this parser (set by parse_known_args)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._seen = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        self._refuse_unknown_option(extras)
        return namespace, extras

    def error(self, message: str):  # type: ignore[override]
        self._refuse_unknown_option(self._seen)
        typo = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        close = typo and difflib.get_close_matches(typo[1], self._commands(), n=1)
        if close:
            self._exit_with(f"unknown command {typo[1]}; did you mean {close[0]}?")
        self._exit_with(f"{message} (see '{self.prog} --help')")

    def _exit_with(self, message: str):
        sys.stderr.write(f"{PROG}: error: {message}\n")
        sys.exit(2)

    def _refuse_unknown_option(self, args: Sequence[str]) -> None:
        """Exit with a usage error if ``args`` hold an option this parser does not know (up to
        the command's name, for the parser that has subcommands: what follows is the
        subcommand's)."""
        has_commands = bool(self._commands())
        for arg in args:
            if arg == "--" or (has_commands and not arg.startswith("-")):
                return
            name = arg.split("=", 1)[0]
            if not name.startswith("-") or name == "-" or _NUMBER.fullmatch(name) or (
                    self._known_option(name)):
                continue
            options = [o for o in self._option_string_actions if o.startswith("--")]
            close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
            self._exit_with(f"unknown option {name}; did you mean {close[0]}?" if close else
                            f"unknown option {name} (see '{self.prog} --help')")

    def _commands(self) -> list[str]:
        """The names of this parser's subcommands (none for a subcommand's own parser)."""
        return [name for action in self._actions
                if isinstance(action, argparse._SubParsersAction) for name in action.choices]

    def _known_option(self, name: str) -> bool:
        """An option string of this parser, a prefix argparse expands (``--epoch``), or a short
        option with its value attached (``-oout.csv``)."""
        strings = self._option_string_actions
        return (name in strings or name[:2] in strings
                or (name.startswith("--") and any(o.startswith(name) for o in strings)))


def parse_hidden(text: str) -> list[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` -> ``[]`` (no hidden layer)."""
    text = text.strip()
    if not text:
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated positive layer sizes such as 8,8 (or \"\" for no "
                f"hidden layer), got {text!r}")
        sizes.append(int(part))
    return sizes


def parse_features(text: str) -> list[str]:
    """``"x1,x2,x1^2,sin"`` -> the checked feature names of a ``FeatureLift``."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    try:
        from .datasets import FeatureLift

        return FeatureLift(names).fit(np.zeros((1, 2))).feature_names_
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _DatasetNames:
    """The built-in datasets' names (classification, then regression), as argparse's
    ``choices``. ``datasets`` imports scikit-learn (seconds), so it is read only when a command
    needs the names: ``scratchnn --help`` answers at once."""

    def __iter__(self):
        from .datasets import DATASETS, REGRESSION_DATASETS

        return iter([*DATASETS, *REGRESSION_DATASETS])

    def __contains__(self, name: object) -> bool:
        return name in list(self)


def _add_source(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--dataset NAME`` (with its sampling options) or ``--data FILE.csv --target COLUMN``."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--dataset", choices=_DatasetNames(),
                        help="a built-in 2-D dataset (see 'scratchnn datasets')")
    source.add_argument("--data", metavar="FILE.csv",
                        help="a CSV file with a header line; numeric feature columns")
    parser.add_argument("--target", metavar="COLUMN",
                        help="with --data: the column that holds the class labels (with --task "
                             "regression: the numbers to predict)")
    parser.add_argument("--n-samples", type=_sample_count, default=None, metavar="N",
                        help="with --dataset: number of points (default: the dataset's own)")
    parser.add_argument("--noise", type=_non_negative_float, default=None,
                        help="with --dataset: noise level (default: the dataset's own)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Neural networks from scratch in NumPy: train, "
                     "evaluate, predict and plot from the command line.",
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog="""examples:
  scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
  scratchnn predict s.npz my_points.csv --proba -o predictions.csv
  scratchnn train --data measurements.csv --target species --save m.npz
  scratchnn evaluate m.npz --data test.csv --target species
  scratchnn train --data flats.csv --target rent --task regression --plot r.png --save r.npz

'scratchnn COMMAND --help' describes each command's options.""")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=_Parser)
    _add_train_command(commands)
    _add_model_commands(commands)
    listing = commands.add_parser("datasets", help="list the built-in datasets",
                                  description="List the built-in datasets.")
    listing.set_defaults(run=cmd_datasets)
    from .playground import add_parser as add_playground  # starlette is imported only on use

    add_playground(commands)
    return parser


def _add_train_command(commands) -> None:
    train = commands.add_parser("train", help="train a network and report its test score",
                                description="Train a multilayer perceptron on a built-in dataset "
                                "or a CSV file, to classify (the default) or to predict a number "
                                "(--task regression). The last line printed is the test "
                                "accuracy (regression: the test R², MAE and RMSE).")
    _add_source(train)
    net = train.add_argument_group("network and training")
    net.add_argument("--task", choices=TASKS, default=None,
                     help="classification (class labels) or regression (a number); default: "
                          "regression for the regression datasets, else classification")
    net.add_argument("--loss", choices=("squared_error", "absolute_error", "huber"),
                     default=None, help="with --task regression: the loss (default "
                                        "squared_error; huber and absolute_error mind outliers "
                                        "less)")
    net.add_argument("--hidden", type=parse_hidden, default=[8, 8], metavar="SIZES",
                     help="hidden layer sizes, e.g. 16,16; \"\" for none (default 8,8)")
    net.add_argument("--activation", choices=list(ACTIVATIONS), default="relu",
                     help="hidden-layer activation (default relu)")
    net.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                     help="sgd, momentum (SGD with momentum 0.9), adam or rmsprop (default adam)")
    net.add_argument("--lr", type=_positive_float, default=None,
                     help="learning rate (default: sgd 0.1, momentum 0.05, adam 0.01, "
                          "rmsprop 0.01)")
    net.add_argument("--epochs", type=_positive_int, default=300,
                     help="passes over the training data (default 300)")
    net.add_argument("--batch-size", type=_positive_int, default=32,
                     help="mini-batch size (default 32; larger than the data means full batch)")
    net.add_argument("--alpha", type=_non_negative_float, default=0.0,
                     help="L2 penalty, scikit-learn's scaling (default 0)")
    net.add_argument("--features", type=parse_features, default=None, metavar="LIST",
                     help="inputs computed from 2-D points, e.g. x1,x2,x1^2,x2^2,x1*x2,sin "
                          "(default: the raw columns)")
    net.add_argument("--test-size", type=_fraction, default=0.2,
                     help="fraction held out for testing (default 0.2)")
    net.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    net.add_argument("--early-stopping", action="store_true",
                     help="hold out 10%% of the training data for validation; stop when its loss "
                          "stops improving and keep the best weights")
    net.add_argument("--patience", type=_positive_int, default=None,
                     help=f"with --early-stopping: epochs without improvement (default "
                          f"{DEFAULT_PATIENCE})")
    net.add_argument("--restarts", type=_positive_int, default=1,
                     help="train from this many initialisations, keep the best (default 1)")
    out = train.add_argument_group("outputs (written only when training succeeded)")
    out.add_argument("--save", metavar="MODEL.npz", help="save the trained model")
    out.add_argument("--plot", metavar="FIG.png",
                     help="the decision boundary (2-D inputs); for regression the predicted "
                          "surface (2 inputs), curve (1 input) or predicted against true values")
    out.add_argument("--animate", metavar="ANIM.gif",
                     help=f"a GIF of training, {ANIMATION_FRAMES} frames (2-D inputs)")
    out.add_argument("--history", metavar="HISTORY.csv", help="loss and accuracy per epoch")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument("--doctor", action="store_true",
                     help="watch training and say in plain English what went wrong and what to "
                          "try (dead units, vanishing gradients, a learning rate too high or too "
                          "low, over-fitting, ...)")
    train.set_defaults(run=cmd_train)


def _add_model_commands(commands) -> None:
    """evaluate, predict and plot: the commands that use a saved model."""
    evaluate = commands.add_parser("evaluate", help="accuracy, log-loss and confusion matrix "
                                   "(regression: R², MAE, RMSE)",
                                   description="Evaluate a saved model on a dataset sample or a "
                                   "labelled CSV file.")
    evaluate.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(evaluate)
    evaluate.add_argument("--seed", type=_seed, default=None,
                          help="with --dataset: seed of the sample (default: the training seed "
                               "+ 1, a fresh sample)")
    _add_task_check(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="predict the class (or the value) of every "
                                  "row of a CSV",
                                  description="Predict the class of every row of a CSV file "
                                  "whose header names the model's input columns (a regression "
                                  "model: the value, in the target's units).")
    predict.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    predict.add_argument("data", metavar="FILE.csv",
                         help="a CSV file whose header names the model's input columns (in any "
                              "order; the label column, if present, is ignored)")
    predict.add_argument("--proba", action="store_true",
                         help="also print the probability of every class")
    predict.add_argument("-o", "--output", metavar="OUT.csv",
                         help="write the predictions here instead of to stdout")
    _add_task_check(predict)
    predict.set_defaults(run=cmd_predict)

    plot = commands.add_parser("plot", help="draw the decision boundary of a saved model",
                               description="Draw a saved model's decision boundary over a "
                               "dataset sample or a 2-column CSV file (a regression model: the "
                               "predicted surface, curve, or predicted against true values).")
    plot.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(plot)
    plot.add_argument("--seed", type=_seed, default=None,
                      help="with --dataset: seed of the sample (default: the training seed + 1)")
    plot.add_argument("-o", "--output", metavar="FIG.png", required=True,
                      help="the figure to write (.png, .svg or .pdf)")
    _add_task_check(plot)
    plot.set_defaults(run=cmd_plot)

    export = commands.add_parser("export", help="write a saved model as an ONNX file",
                                 description="Write a saved model as an ONNX file that takes "
                                 "the raw input columns (standardisation and feature lift "
                                 "included) and outputs 'label' and 'probabilities'. Needs "
                                 "pip install \"scratchnn[onnx]\".")
    export.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    export.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--opset", type=_positive_int, default=None,
                        help="ONNX operator set, 13 or newer (default 17)")
    export.set_defaults(run=cmd_export)


def _add_task_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", choices=TASKS, default=None,
                        help="optional: the task the model must have been trained for (a model "
                             "file records its task)")


# --- data for a command ------------------------------------------------------------------------


def _dataset_kwargs(args, seed: int) -> dict:
    kwargs: dict = {"random_state": seed}
    if args.n_samples is not None:
        kwargs["n_samples"] = args.n_samples
    if args.noise is not None:
        kwargs["noise"] = args.noise
    return kwargs


def _check_source_options(args) -> None:
    if args.data is not None and args.target is None:
        raise UsageError("--data needs --target COLUMN, the column that holds the labels")
    if args.dataset is not None and args.target is not None:
        raise UsageError("--target goes with --data, not with --dataset")
    if args.data is not None and (args.n_samples is not None or args.noise is not None):
        raise UsageError("--n-samples and --noise go with --dataset, not with --data")


def _load_labelled(args, seed: int, read_target=read_labels
                   ) -> tuple[np.ndarray, list, list[str], str]:
    """``(X, labels, feature names, description)`` from ``--dataset`` or ``--data/--target``;
    ``read_target(table, column)`` reads the CSV's target column (default: class labels)."""
    if args.dataset is not None:
        from . import datasets

        kwargs = _dataset_kwargs(args, seed)
        if args.n_samples is not None:
            _check_memory(data_estimate(args.n_samples, 2), "fewer --n-samples")
        try:
            X, y = datasets.load(args.dataset, **kwargs)
        except ValueError as error:
            raise UsageError(str(error)) from None
        described = ", ".join(f"{k.replace('random_state', 'seed')} {v}"
                              for k, v in kwargs.items() if k != "n_samples")
        names = [f"x{i + 1}" for i in range(X.shape[1])]  # x1, x2 (sine has x1 alone)
        return X, y.tolist(), names, f"{args.dataset} ({len(y)} points, {described})"
    table = read_table(args.data)
    names = [name for name in table.header if name != args.target]
    table.column(args.target)  # exists?
    if not names:
        raise CLIError(f"{args.data} has no feature columns besides the target {args.target!r}")
    X = table.numeric(names)
    labels = read_target(table, args.target)
    return X, labels, names, f"{args.data} ({len(labels)} rows, {len(names)} feature columns)"


def _evaluation_data(args, prep: Prep) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, targets, description)`` for ``evaluate`` and ``plot``: the targets are class
    indices, or for a regression model the numbers in the target's units."""
    _check_source_options(args)
    _check_dataset_task(args, prep.task, f"{args.model} is a model for")
    read_target = read_labels
    if prep.is_regression:
        from ._cli_regression import read_numeric_target as read_target
    if args.dataset is not None:
        seed = args.seed if args.seed is not None else int(prep.info.get("seed") or 0) + 1
        X, labels, names, description = _load_labelled(args, seed)
        if prep.feature_names != names:
            raise CLIError(f"the model takes the columns {', '.join(prep.feature_names)}, but "
                           f"the dataset gives {', '.join(names)}")
    else:
        table = read_table(args.data)
        table.column(args.target)
        prep.check_columns([name for name in table.header if name != args.target], args.data)
        X = table.numeric(prep.feature_names)
        labels = read_target(table, args.target)
        description = f"{args.data} ({len(labels)} rows)"
    if prep.is_regression:
        return X, np.asarray(labels, dtype=np.float64), description
    return X, prep.encode(labels, description), description


def _dataset_task(name: str) -> str:
    from .datasets import REGRESSION_DATASETS

    return "regression" if name in REGRESSION_DATASETS else "classification"


def _check_dataset_task(args, task: str, whose: str) -> None:
    """A regression dataset for a regression model or run, a classification one otherwise;
    ``whose`` says where ``task`` comes from, for the error."""
    if args.dataset is None or _dataset_task(args.dataset) == task:
        return
    from .datasets import DATASETS, REGRESSION_DATASETS

    fitting = REGRESSION_DATASETS if task == "regression" else DATASETS
    raise UsageError(f"--dataset {args.dataset} is a {_dataset_task(args.dataset)} dataset, but "
                     f"{whose} {task}; choose one of: {', '.join(fitting)} (or --data)")


def _task_of_model(args, prep: Prep) -> str:
    """The task a model file records; ``--task``, if given, must agree."""
    if args.task is not None and args.task != prep.task:
        kind = ("a regression model (it predicts numbers)" if prep.is_regression else
                f"a classification model (classes: {', '.join(map(str, prep.classes))})")
        raise UsageError(f"{args.model} is {kind}, not {args.task}; leave out --task {args.task}"
                         f" (the model file records its task), or train a model with --task "
                         f"{args.task}")
    return prep.task


# --- checking and writing outputs --------------------------------------------------------------


def _check_output_path(option: str, path: str | None) -> None:
    """Fail before training if an output could never be written."""
    if path is None:
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist; create it "
                         "first")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable; choose a "
                         "folder you can write to")


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def _check_not_an_input(option: str, path: str | None, inputs: list[str | None]) -> None:
    """An output must never replace one of the command's own input files."""
    for source in inputs:
        if path and source and _same_file(path, source):
            raise UsageError(f"{option} {path} is also an input of this command and would be "
                             "overwritten; write to another file name")


def _check_figure_path(option: str, path: str | None) -> None:
    """The image format comes from the file's extension; refuse one matplotlib cannot write."""
    if path is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if suffix not in formats:
        raise UsageError(f"{option} {path}: the file name must end in an image format such as "
                         f".png, .svg or .pdf (supported: {', '.join(sorted(formats))})")


@contextlib.contextmanager
def _outputs() -> Iterator[StagedOutputs]:
    """Outputs written together when the block succeeds (else none), with write errors as one
    line naming the file: ``cannot write m.npz: Permission denied; choose a folder ...``."""
    try:
        with StagedOutputs() as outputs:
            yield outputs
    except OSError as error:
        hint = "; choose a folder you can write to" if isinstance(error, PermissionError) else ""
        raise CLIError(f"{error_message(error)}{hint}") from None


def _write_rows(path: str, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_figure(outputs: StagedOutputs, path: str, ax) -> None:
    suffix = os.path.splitext(path)[1] or ".png"
    outputs.write(path, lambda tmp: ax.figure.savefig(tmp, dpi=150, format=suffix.lstrip(".")),
                  suffix)


# --- models ------------------------------------------------------------------------------------


def make_optimizer(name: str, model: Sequential, lr: float) -> Optimizer:
    """The optimizer called ``name`` on the command line (see ``OPTIMIZER_SETTINGS``)."""
    try:
        kind, settings = OPTIMIZER_SETTINGS[name]
    except KeyError:
        raise UsageError(f"unknown optimizer {name!r}; choose one of: "
                         f"{', '.join(OPTIMIZERS)}") from None
    return OPTIMIZER_CLASSES[kind](model.parameters(), lr=lr, **settings)


def _load_model(path: str) -> tuple[Sequential, Prep]:
    """The network in a model file (a ``Sequential`` or a fitted ``MLPClassifier``'s) and the
    preprocessing stored with it."""
    from .persistence import ModelFileError, load

    try:
        obj, header = load(path, return_header=True)
        model, defaults = _network_of(obj, path)
        return model, Prep.from_metadata(header.get("metadata"), model, path, defaults)
    except FileNotFoundError:
        raise CLIError(f"no such model file: {path}") from None
    except (ModelFileError, ValueError) as error:
        message = str(error)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        if "not a scratchnn model file" in message and "truncated" not in message:  # a mix-up
            message += ("; the MODEL.npz argument must be a file written by 'scratchnn train "
                        "--save' or scratchnn.save")
        raise CLIError(message) from None
    except OSError as error:
        raise CLIError(f"cannot read {path}: {error.strerror or error}") from None


def _network_of(obj, path: str) -> tuple[Sequential, dict]:
    """A loaded object's network, and what an estimator knows of its data (classes, column
    names) as defaults for the preprocessing."""
    if isinstance(obj, Sequential):
        return obj, {}
    model = getattr(obj, "model_", None)  # a fitted MLPClassifier: use its network and labels
    if not isinstance(model, Sequential):
        raise CLIError(f"{path} holds a {type(obj).__name__}, not a network the command line "
                       "can use")
    if not hasattr(obj, "classes_"):  # a fitted MLPRegressor: its targets are not scaled
        if model.n_outputs != 1:
            raise CLIError(f"{path} holds a regressor with {model.n_outputs} outputs; the "
                           "command line predicts one target")
        defaults = {"task": "regression"}
    else:
        defaults = {"classes": np.asarray(obj.classes_).tolist() or None}
    names = getattr(obj, "feature_names_in_", None)
    if names is not None:
        defaults["feature_names"] = [str(name) for name in names]
    return model, defaults


def _probabilities(model: Sequential, X: np.ndarray, source: str = "the data",
                   first_row: int = 0) -> np.ndarray:
    """Class probabilities ``(n, k)`` (``k = 2`` for a single-output network); ``source`` names
    the rows of ``X`` (the first being data row ``first_row + 1``) in the error for a row the
    network cannot handle."""
    with np.errstate(over="ignore", invalid="ignore"):
        proba = model.predict_proba(X)
    bad = np.flatnonzero(~np.isfinite(proba.reshape(len(X), -1)).all(axis=1))
    if bad.size:
        raise CLIError(f"{source}, data row {first_row + bad[0] + 1}: its values are so large "
                       "that the network's output overflows (no probability can be computed); "
                       "check that row")
    return np.column_stack([1 - proba, proba]) if proba.ndim == 1 else proba


def _accuracy(model: Sequential, X: np.ndarray, y: np.ndarray, source: str = "the data"
              ) -> float:
    return float(np.mean(_probabilities(model, X, source).argmax(axis=1) == y))


def _plain_axes():
    """Axes on a plain ``Figure``: written to a file, never shown, never kept by pyplot."""
    from matplotlib.figure import Figure

    from .plotting import BOUNDARY_FIGSIZE

    return Figure(figsize=BOUNDARY_FIGSIZE, layout="constrained").add_subplot()


def _class_names(classes: list) -> list[str]:
    """Legend names: "class 0" for numeric labels, the label itself for text labels."""
    return [c if isinstance(c, str) else f"class {c}" for c in classes]


def _axis_names(prep: Prep) -> list[str] | None:
    """A CSV's column names label the figure's axes; the built-in datasets keep x1, x2."""
    return None if prep.feature_names == ["x1", "x2"] else prep.feature_names


def _check_2d(prep: Prep, option: str) -> None:
    """Figures and the feature lift work on 2-D points; refuse anything wider, before training."""
    n = len(prep.feature_names)
    if n == 2:
        return
    columns = f"{n} input column{'s' if n != 1 else ''} ({', '.join(prep.feature_names)})"
    if option == "--features":
        raise UsageError(f"--features lifts 2-D points (x1, x2), but the data has {columns}; "
                         "leave out --features")
    if option == "plot":
        raise UsageError(f"plot draws a decision boundary in the plane, so the model must take 2 "
                         f"input columns; it takes {columns}. 'scratchnn evaluate' reports its "
                         "accuracy instead")
    raise UsageError(f"{option} draws a decision boundary in the plane, so it needs 2 input "
                     f"columns, but the data has {columns}; leave out {option} (or train on 2 "
                     "columns)")


def _describe_net(model: Sequential, activation: str) -> str:
    sizes = [model.n_inputs] + [layer.n_out for layer in model.dense_layers]
    kind = activation if len(sizes) > 2 else "no hidden layer"
    return f"{'-'.join(map(str, sizes))} {kind} ({model.n_parameters()} parameters)"


# --- scratchnn datasets ------------------------------------------------------------------------


def cmd_datasets(args) -> int:
    from .datasets import DATASETS, REGRESSION_DATASETS

    every = {**DATASETS, **REGRESSION_DATASETS}
    width = max(map(len, every))
    for name, (_, description) in every.items():
        print(f"{name:<{width}}  {description}")
    return 0


# --- scratchnn train ---------------------------------------------------------------------------


@dataclass
class _TrainingData:
    """The data of a training run: raw columns split into training and test rows, class
    indices, and the preprocessing from raw columns to network inputs."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    prep: Prep
    description: str


@dataclass
class _Trained:
    """What training gave: the history, the recorded snapshots (for --animate), the
    accuracies (classification; regression keeps its own scores)."""

    history: object
    recorder: object
    lr: float
    doctor: object = None  # the TrainingDoctor, with --doctor
    train_accuracy: float = float("nan")
    test_accuracy: float = float("nan")


def cmd_train(args) -> int:
    _check_train_outputs(args)
    if _train_task(args) == "regression":
        from ._cli_regression import train_regression

        return train_regression(args)
    rng = np.random.default_rng(args.seed)  # one generator: the split, the weights, the batches
    data = _load_training_data(args, rng)
    _check_training_memory(args, data)
    model = _build_model(args, data, rng)
    trained = _train(args, data, model, rng)
    _write_train_outputs(args, data, model, trained)
    _report_training(args, data, model, trained)
    return 0


def _train_task(args) -> str:
    """``--task``, else the dataset's kind (regression for plane, multi_gaussian, sine), else
    classification (a CSV target that looks like a measurement is refused later, with a hint)."""
    if args.loss is not None and args.task != "regression" and (
            args.dataset is None or _dataset_task(args.dataset) != "regression"):
        raise UsageError(f"--loss {args.loss} is a regression loss; add --task regression (a "
                         "classifier always uses cross-entropy)")
    if args.task is not None:
        _check_dataset_task(args, args.task, "--task is")
        return args.task
    return _dataset_task(args.dataset) if args.dataset is not None else "classification"


def _check_train_outputs(args) -> None:
    """Every output must be writable, distinct, and none of the inputs: checked before work
    (with the options that only make sense together)."""
    _check_source_options(args)
    if args.patience is not None and not args.early_stopping:
        raise UsageError("--patience goes with --early-stopping (it counts epochs without "
                         "improvement on the validation data); add --early-stopping, or leave "
                         "out --patience")
    for option in ("save", "plot", "animate", "history"):
        _check_output_path(f"--{option}", getattr(args, option))
    _check_figure_path("--plot", args.plot)
    if args.animate and not args.animate.lower().endswith(".gif"):
        raise UsageError(f"--animate {args.animate}: the animation is a GIF; give a file name "
                         "ending in .gif")
    targets = [p for p in (args.save, args.plot, args.animate, args.history) if p]
    for i, path in enumerate(targets):
        if any(_same_file(path, other) for other in targets[:i]):
            raise UsageError(f"two outputs are the same file, {path}; give each its own name")
    for option in ("save", "plot", "animate", "history"):
        _check_not_an_input(f"--{option}", getattr(args, option), [args.data])


def _load_training_data(args, rng: np.random.Generator) -> _TrainingData:
    """Load ``--dataset`` or ``--data``, check the labels, split, and fit the preprocessing
    (standardisation of CSV columns with the training split's statistics)."""
    X, labels, names, description = _load_labelled(args, args.seed)
    classes = sorted_classes(labels)
    prep = Prep(names, classes, features=args.features)
    for option in ("features", "plot", "animate"):
        if getattr(args, option):
            _check_2d(prep, f"--{option}")
    _check_class_labels(args, labels, classes)
    y = prep.encode(labels, description)
    from .datasets import train_test_split

    try:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=args.test_size,
                                                            random_state=rng)
    except ValueError as error:
        raise CLIError(f"cannot split the data: {error}") from None
    missing = [classes[k] for k in range(len(classes)) if not np.any(y_train == k)]
    if missing:
        raise CLIError(f"with {len(y)} rows, the training split has no example of class "
                       f"{missing[0]!r}; give at least 2 rows of every class (one to train on, "
                       "one to test on), or a smaller --test-size")
    _record_source(prep, X_train, args)
    return _TrainingData(X_train, X_test, y_train, y_test, prep, description)


def _record_source(prep: Prep, X_train: np.ndarray, args) -> None:
    """What the model file keeps of where the data came from: for ``--data``, the training
    split's standardisation and the target column; for ``--dataset``, its name and seed."""
    if args.data is not None:
        _standardise(prep, X_train, args.data)
        prep.info["target"] = args.target
    else:
        prep.info.update(dataset=args.dataset, seed=args.seed)


def _check_class_labels(args, labels: list, classes: list) -> None:
    """At least two classes, and a target that looks like class labels, not a measurement: a
    numeric target with fractions or many values needs ``--task`` (regression, usually)."""
    if len(classes) < 2:
        raise CLIError(f"the labels have a single class ({classes[0]!r}): nothing to learn; "
                       "the target column needs at least 2 different labels")
    numeric = not any(isinstance(c, str) for c in classes)
    if numeric and args.task is None:
        fractions = [c for c in classes if c != int(c)]
        if fractions or len(classes) > MAX_GUESSED_CLASSES:
            what = (f"non-integer values such as {fractions[0]!r}" if fractions else
                    f"{len(classes)} distinct values")
            raise UsageError(f"the target {args.target!r} is numeric with {what}: a quantity to "
                             "predict rather than class labels? Pass --task regression (or "
                             "--task classification to treat each value as a class)")
    if len(classes) > 10 and len(classes) > 0.5 * len(labels):
        hint = "pass --task regression to predict a number" if numeric else (
            f"is {args.target!r} a measurement?")
        raise CLIError(f"the target has {len(classes)} distinct values in {len(labels)} rows, "
                       f"too many for classes (each needs several examples); {hint}")


def _standardise(prep: Prep, X_train: np.ndarray, path: str) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    huge = [name for name, m, s in zip(prep.feature_names, mean, scale) if not np.isfinite(m + s)]
    if huge:
        raise CLIError(f"{path}: column {huge[0]!r} has values too large to standardise (near "
                       "the float64 limit, 1.8e308); rescale it")
    prep.mean, prep.scale = mean, np.where(scale > 0, scale, 1.0)


def _check_memory(estimate, fix: str) -> None:
    """Refuse a run whose ``estimate`` (``_memory.Estimate``) exceeds the memory available,
    before anything of that size is allocated; ``fix`` is the advice that ends the message."""
    from ._memory import too_large

    problem = too_large(estimate)
    if problem:
        raise UsageError(f"{problem}; use {fix}")


def _check_training_memory(args, data: _TrainingData) -> None:
    """Parameters with their gradients and optimizer state, a batch's activations and the
    data, against the memory there is (``--hidden 100000,100000`` would take 320 GB)."""
    from ._memory import training_estimate

    n_classes = len(data.prep.classes)
    n_outputs = 1 if data.prep.is_regression or n_classes == 2 else n_classes
    estimate = training_estimate(
        len(data.y_train) + len(data.y_test), data.prep(data.X_train[:1]).shape[1],
        args.hidden, n_outputs, args.batch_size, args.optimizer)
    fix = {"network": "smaller or fewer --hidden layers", "activations": "a smaller "
           "--batch-size or smaller --hidden layers", "data": "fewer rows"}
    _check_memory(estimate, fix[estimate.largest()])


def _build_model(args, data: _TrainingData, rng: np.random.Generator) -> Sequential:
    """The network: as many inputs as the preprocessing gives, the --hidden layers, and one
    output (two classes) or one per class."""
    n_inputs = data.prep(data.X_train[:1]).shape[1]
    n_classes = len(data.prep.classes)
    return mlp([n_inputs, *args.hidden, 1 if n_classes == 2 else n_classes], args.activation,
               rng=rng)


def _train(args, data: _TrainingData, model: Sequential, rng: np.random.Generator) -> _Trained:
    """Train the classifier; score it on the training and the test split."""
    inputs_train, inputs_test = data.prep(data.X_train), data.prep(data.X_test)
    trained = _fit_model(args, model, inputs_train, data.y_train, rng)
    trained.test_accuracy = _accuracy(model, inputs_test, data.y_test)
    trained.train_accuracy = _accuracy(model, inputs_train, data.y_train)
    data.prep.info["test_accuracy"] = round(trained.test_accuracy, 6)
    return trained


def _fit_model(args, model: Sequential, inputs_train: np.ndarray, y_train: np.ndarray,
               rng: np.random.Generator, loss=None) -> _Trained:
    """``fit`` with the command's options (``loss``: default cross-entropy); Ctrl-C aborts the
    command (no output is written)."""
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    recorder = None
    if args.animate:
        from .plotting import TrainingRecorder

        recorder = TrainingRecorder(n_frames=ANIMATION_FRAMES)  # copes with early stopping
    callbacks = [] if recorder is None else [recorder]
    doctor = None
    if args.doctor:
        from .doctor import TrainingDoctor

        doctor = TrainingDoctor(inputs_train, stream=None)  # its report comes with the summary
        callbacks.append(doctor)
    try:
        history = fit(model, inputs_train, y_train, loss=loss,
                      optimizer=make_optimizer(args.optimizer, model, lr), lr=lr,
                      epochs=args.epochs, batch_size=args.batch_size, rng=rng, alpha=args.alpha,
                      validation_split=0.1 if args.early_stopping else 0.0,
                      early_stopping=args.early_stopping,
                      patience=args.patience or DEFAULT_PATIENCE,
                      n_init=args.restarts, callbacks=callbacks,
                      verbose=not args.quiet and sys.stderr.isatty())
    except TrainingDivergedError as error:
        option = f"--alpha {args.alpha:g}" if error.cause == "alpha" else f"--lr {lr:g}"
        raise CLIError(f"training diverged: {error} ({option})") from None
    except ValueError as error:
        raise CLIError(str(error)) from None
    if history.interrupted:  # fit stops at Ctrl-C and keeps the best weights; the CLI aborts
        raise Interrupted(f"training interrupted (Ctrl-C) at epoch {history.epochs} of "
                          f"{args.epochs}; no output was written. For a shorter run give fewer "
                          "--epochs, or --early-stopping to stop when the loss levels off")
    return _Trained(history, recorder, lr, doctor)


def _write_train_outputs(args, data: _TrainingData, model: Sequential, trained: _Trained
                         ) -> None:
    """--save, --history, --plot and --animate: all of them, or (on any failure) none."""
    with _outputs() as outputs:
        _stage_model_and_history(args, data.prep, model, trained.history, outputs)
        if args.plot or args.animate:
            _write_train_figures(args, data, model, trained, outputs)


def _stage_model_and_history(args, prep: Prep, model: Sequential, history,
                             outputs: StagedOutputs) -> None:
    """--save (the network and ``prep``'s metadata) and --history (one CSV row per epoch)."""
    if args.save:
        from .persistence import save

        outputs.write(args.save, lambda tmp: save(model, tmp, metadata=prep.metadata()), ".npz")
    if args.history:
        rows = history.rows()
        header = list(rows[0]) if rows else ["epoch"]
        outputs.write(args.history, lambda tmp: _write_rows(
            tmp, header, [[row[k] for k in header] for row in rows]), ".csv")


def _write_train_figures(args, data: _TrainingData, model: Sequential, trained: _Trained,
                         outputs: StagedOutputs) -> None:
    from . import plotting

    prep = data.prep
    names = _class_names(prep.classes)
    source = args.dataset or os.path.basename(args.data)
    if prep.features:
        source += f" on {', '.join(prep.features)}"
    title = f"{source}: {_describe_net(model, args.activation).split(' (')[0]}, {args.optimizer}"
    if args.plot:
        ax = plotting.plot_decision_boundary(model, data.X_train, data.y_train, data.X_test,
                                             data.y_test, transform=prep, title=title,
                                             class_names=names, feature_names=_axis_names(prep),
                                             ax=_plain_axes())
        _write_figure(outputs, args.plot, ax)
    if args.animate:
        outputs.write(args.animate, lambda tmp: plotting.animate_training(
            model, trained.recorder, data.X_train, data.y_train, tmp, history=trained.history,
            X_test=data.X_test, y_test=data.y_test, transform=prep, title=title,
            class_names=names), ".gif")


def _report_training(args, data: _TrainingData, model: Sequential, trained: _Trained) -> None:
    """What was trained and how well; the last line is the test accuracy."""
    _report_run(args, data, model, trained, f"classes: {', '.join(map(str, data.prep.classes))}")
    print(f"train accuracy: {trained.train_accuracy:.4f}")
    print(f"test accuracy: {trained.test_accuracy:.4f}")


def _report_run(args, data: _TrainingData, model: Sequential, trained: _Trained, target: str,
                loss: str = "") -> None:
    """The summary's lines before the scores: the doctor's report, the data, ``target`` (the
    classes, or the target's scaling), the network, the training, the outputs written."""
    history = trained.history
    if trained.doctor is not None:
        print(trained.doctor.report())
    print(f"data: {data.description}; {len(data.y_train)} train / {len(data.y_test)} test")
    print(target)
    if args.features:
        print(f"features: {', '.join(args.features)}")
    print(f"network: {_describe_net(model, args.activation)}")
    batch = ("full batch" if args.batch_size >= len(data.y_train)
             else f"batch {args.batch_size}")
    print(f"training: {args.optimizer}, lr {trained.lr:g}, {history.epochs} epochs, {batch}"
          + (f", {loss}" if loss else "")
          + (f", alpha {args.alpha:g}" if args.alpha else "")
          + (f", best of {args.restarts} restarts" if args.restarts > 1 else ""))
    note = f" (stopped early; kept epoch {history.best_epoch})" if history.stopped_early else ""
    print(f"final loss: {history.loss[-1]:.4f}{note}")
    for option, label in (("save", "model"), ("plot", "figure"), ("animate", "animation"),
                          ("history", "history")):
        if getattr(args, option):
            print(f"{label}: {getattr(args, option)}")


# --- scratchnn evaluate, predict, plot ---------------------------------------------------------


def cmd_evaluate(args) -> int:
    model, prep = _load_model(args.model)
    if _task_of_model(args, prep) == "regression":
        from ._cli_regression import evaluate_regression

        return evaluate_regression(args, model, prep)
    X, y, description = _evaluation_data(args, prep)
    proba = _probabilities(model, prep(X), args.data or args.dataset)
    predicted = proba.argmax(axis=1)
    k = proba.shape[1]
    eps = 1e-15
    log_loss = float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], eps, 1.0))))
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (y, predicted), 1)

    names = [str(c) for c in prep.classes]
    print(f"data: {description}")
    print(f"samples: {len(y)}")
    print(f"log-loss: {log_loss:.4f}")
    print("confusion matrix (rows: true class, columns: predicted class):")
    width = max(6, *(len(n) for n in names), len(str(confusion.max())))
    print(" " * (width + 2) + " ".join(f"{n:>{width}}" for n in names))
    for name, row in zip(names, confusion):
        print(f"{name:>{width}}  " + " ".join(f"{v:>{width}}" for v in row))
    print(f"{'class':>{width}}  {'precision':>9}  {'recall':>6}  {'support':>7}")
    for c, name in enumerate(names):
        predicted_c, support = confusion[:, c].sum(), confusion[c].sum()
        # n/a: a ratio over no samples (a class absent from the data, or never predicted)
        precision = f"{confusion[c, c] / predicted_c:.4f}" if predicted_c else "n/a"
        recall = f"{confusion[c, c] / support:.4f}" if support else "n/a"
        print(f"{name:>{width}}  {precision:>9}  {recall:>6}  {support:>7d}")
    absent = [name for name, row in zip(names, confusion) if not row.sum()]
    if absent:
        print(f"note: the data has no sample of class {', '.join(absent)} (the model knows "
              f"{len(names)} classes), so recall is n/a there")
    print(f"accuracy: {np.mean(predicted == y):.4f}")
    return 0


PREDICT_CHUNK_ROWS = 50_000  # predict reads, predicts and writes this many rows at a time


def cmd_predict(args) -> int:
    """Stream the file: read, predict and write ``PREDICT_CHUNK_ROWS`` rows at a time, so the
    memory does not grow with the file. With ``-o`` the output appears only when complete
    (atomically); on stdout, rows before a bad row are already printed when its error comes."""
    if args.output:
        _check_output_path("-o", args.output)
        _check_not_an_input("-o", args.output, [args.model, args.data])
    model, prep = _load_model(args.model)
    regression = _task_of_model(args, prep) == "regression"
    if regression and args.proba:
        raise UsageError(f"--proba gives class probabilities, but {args.model} is a regression "
                         "model (it predicts numbers); leave out --proba")
    chunks = read_chunks(args.data, PREDICT_CHUNK_ROWS)
    first = next(chunks)
    columns = list(first.header)
    target = prep.info.get("target")
    if target in columns and target not in prep.feature_names:
        columns.remove(target)  # a labelled file is fine: its label column is ignored
    prep.check_columns(columns, args.data)
    tables = itertools.chain([first], chunks)
    if args.output:
        written = []
        with _outputs() as outputs:
            outputs.write(args.output, lambda tmp: written.append(
                _write_predictions(tmp, tables, model, prep, args)), ".csv")
        print(f"wrote {written[0]} predictions to {args.output}")
    else:
        _write_predictions(None, tables, model, prep, args)
    return 0


def _write_predictions(path: str | None, tables, model: Sequential, prep: Prep, args) -> int:
    """Write the header and one row per data row of ``tables`` (chunks of the input) to
    ``path`` (``None``: stdout); return the number of rows."""
    with contextlib.ExitStack() as stack:
        stream = sys.stdout if path is None else stack.enter_context(
            open(path, "w", newline="", encoding="utf-8"))
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["prediction", *(f"p_{c}" for c in prep.classes)] if args.proba
                        else ["prediction"])
        n = 0
        for table in tables:
            X = table.numeric(prep.feature_names)
            writer.writerows(_prediction_rows(args, model, prep, X, n))
            n += len(X)
    return n


def _prediction_rows(args, model: Sequential, prep: Prep, X: np.ndarray, first_row: int
                     ) -> list[list]:
    """``predict``'s rows for raw columns ``X`` (data rows ``first_row + 1`` on): the value of
    a regression model; else the class, and with --proba every class's probability."""
    if prep.is_regression:
        from ._cli_regression import predict_values

        return [[f"{v:.10g}"] for v in predict_values(model, prep, X, args.data, first_row)]
    proba = _probabilities(model, prep(X), args.data, first_row=first_row)
    labels = [prep.classes[i] for i in proba.argmax(axis=1)]
    if args.proba:
        return [[label, *(f"{p:.6f}" for p in ps)] for label, ps in zip(labels, proba.tolist())]
    return [[label] for label in labels]


def cmd_plot(args) -> int:
    _check_output_path("-o", args.output)
    _check_figure_path("-o", args.output)
    model, prep = _load_model(args.model)
    if _task_of_model(args, prep) == "regression":
        from ._cli_regression import plot_regression_model

        return plot_regression_model(args, model, prep)
    _check_2d(prep, "plot")
    X, y, description = _evaluation_data(args, prep)
    accuracy = _accuracy(model, prep(X), y, args.data or args.dataset)
    from . import plotting

    try:
        ax = plotting.plot_decision_boundary(model, X, y, transform=prep, title=description,
                                             class_names=_class_names(prep.classes),
                                             point_label="sample",
                                             feature_names=_axis_names(prep), ax=_plain_axes())
    except ValueError as error:  # e.g. points too far apart to draw
        raise CLIError(f"{args.data or args.dataset}: cannot draw it: {error}") from None
    with _outputs() as outputs:
        _write_figure(outputs, args.output, ax)
    print(f"figure: {args.output}")
    print(f"accuracy: {accuracy:.4f}")
    return 0


def cmd_export(args) -> int:
    _check_output_path("OUT.onnx", args.output)
    _check_not_an_input("OUT.onnx", args.output, [args.model])
    model, prep = _load_model(args.model)
    if prep.is_regression:
        raise UsageError(f"{args.model} is a regression model; export writes classifiers only "
                         "for now (the target's scaling is not part of the ONNX graph)")
    from .bridges import to_onnx  # onnx itself is imported there, only now

    # ONNX labels are int64 or strings: other labels are written as the CLI prints them.
    classes = prep.classes if all(type(c) is int for c in prep.classes) else [
        str(c) for c in prep.classes]
    standardize = None if prep.mean is None else (prep.mean, prep.scale)
    options = {} if args.opset is None else {"opset": args.opset}
    try:
        to_onnx(model, args.output, classes=classes, standardize=standardize,
                features=prep.features, feature_names=prep.feature_names, **options)
    except ImportError as error:
        raise CLIError(str(error)) from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise CLIError(error_message(error)) from None
    print(f"input: X, {len(prep.feature_names)} columns ({', '.join(prep.feature_names)})")
    print(f"outputs: label, probabilities ({len(classes)} classes: "
          f"{', '.join(map(str, classes))})")
    print(f"onnx: {args.output}")
    return 0


# --- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code (0 success, 1 data/file error, 2 usage error, 130
    Ctrl-C, 143 SIGTERM, 141 a closed pipe)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with sigterm_raises():  # SIGTERM unwinds like Ctrl-C, so no temporary file is left behind
        try:
            return args.run(args)
        except (CLIError, DataError) as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return getattr(error, "exit_code", 1)
        except KeyboardInterrupt:
            print(f"{PROG}: error: interrupted (Ctrl-C); no output was written", file=sys.stderr)
            return 130
        except Terminated:
            print(f"{PROG}: error: terminated (SIGTERM); no output was written", file=sys.stderr)
            return 143  # 128 + SIGTERM, what a shell reports for a terminated command
        except BrokenPipeError:  # e.g. 'scratchnn predict ... | head': stop quietly, like cat
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
            return 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a pipe
        except MemoryError as error:  # what the estimates before a run did not foresee
            print(f"{PROG}: error: out of memory ({error}); use less data, smaller --hidden "
                  "layers or a smaller --batch-size", file=sys.stderr)
            return 1
        except Exception as error:  # a bug: still one line, but say what it was
            if os.environ.get("SCRATCHNN_DEBUG"):
                raise
            message = str(error).splitlines()[0] if str(error) else ""
            print(f"{PROG}: error: unexpected {type(error).__name__}: {message} (set "
                  "SCRATCHNN_DEBUG=1 for the traceback)", file=sys.stderr)
            return 1
