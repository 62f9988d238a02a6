"""The ``scratchnn`` command line: the parser (one-line errors, did-you-mean suggestions), the
argument types and every command's options.

Each command runs from its own module (``scratchnn.cli.train``, ``...evaluate``, ...), imported
only when that command runs: ``scratchnn --help`` reads the options alone, and the built-in
datasets' names (which need scikit-learn) are read only when a command checks ``--dataset``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from collections.abc import Callable, Sequence

import numpy as np

from .._prep import TASKS
from .._scripts import (
    fraction,
    non_negative_float,
    positive_float,
    positive_int,
    random_seed,
    sample_count,
)
from ..layers import ACTIVATIONS
from ..optimizers import OPTIMIZER_CHOICES
from .status import ExitStatus

PROG = "scratchnn"
DEFAULT_PATIENCE = 20
ANIMATION_FRAMES = 40
MODEL_HELP = "a model file written by 'scratchnn train --save' (or scratchnn.save)"
_NUMBER = re.compile(r"-\d+(\.\d*)?([eE][-+]?\d+)?|-\.\d+([eE][-+]?\d+)?")  # a value, not an option


# --- the parser --------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
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
        sys.exit(ExitStatus.USAGE)

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


# --- argument types ----------------------------------------------------------------------------
# The numbers (positive_int, fraction, random_seed, ...) are the experiment scripts' too, in
# scratchnn._scripts.


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
        from ..datasets import FeatureLift

        return FeatureLift(names).fit(np.zeros((1, 2))).feature_names_
    except ValueError as error:  # perhaps a CSV file's column names: --columns chooses those
        raise argparse.ArgumentTypeError(f"{error} (computed from 2-D points; to choose a CSV "
                                         "file's columns, use --columns)") from None


class _DatasetNames:
    """The built-in datasets' names (classification, regression, then TensorFlow Playground's
    six), as argparse's ``choices``. ``datasets`` imports scikit-learn (seconds), so it is read
    only when a command needs the names: ``scratchnn --help`` answers at once."""

    def __iter__(self):
        from .data import dataset_names

        return iter(dataset_names())

    def __contains__(self, name: object) -> bool:
        return name in list(self)


def _command(module: str) -> Callable[[argparse.Namespace], int]:
    """The ``run(args)`` of ``scratchnn.cli.<module>``, imported when the command runs."""

    def run(args: argparse.Namespace) -> int:
        return importlib.import_module(f"{__package__}.{module}").run(args)

    return run


# --- the commands and their options ------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Neural networks from scratch in NumPy: train, "
                    "evaluate, predict and plot from the command line.",
                    formatter_class=argparse.RawDescriptionHelpFormatter, epilog="""examples:
  scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
  scratchnn predict s.npz my_points.csv --proba -o predictions.csv
  scratchnn train --data measurements.csv --target species --save m.npz
  scratchnn evaluate m.npz --data test.csv --target species
  scratchnn train --data flats.csv --target rent --task regression --plot r.png --save r.npz

'scratchnn COMMAND --help' describes each command's options.""")
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=Parser)
    _add_train(commands)
    _add_evaluate(commands)
    _add_predict(commands)
    _add_plot(commands)
    _add_export(commands)
    listing = commands.add_parser("datasets", help="list the built-in datasets",
                                  description="List the built-in datasets.")
    listing.set_defaults(run=_command("datasets"))
    _add_exercises(commands)
    from ..playground import add_parser as add_playground  # starlette is imported only on use

    add_playground(commands)
    return parser


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
    parser.add_argument("--n-samples", type=sample_count, default=None, metavar="N",
                        help="with --dataset: number of points (default: the dataset's own)")
    parser.add_argument("--noise", type=non_negative_float, default=None,
                        help="with --dataset: noise level (default: the dataset's own)")


def parse_names(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (the type of ``--drop`` and ``--columns``)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names such as "
                                         f"id,date, got {text!r}")
    return list(dict.fromkeys(names))  # each once, in the order given


def _add_columns(parser: argparse.ArgumentParser) -> None:
    """``--drop`` and ``--columns``: which columns of a CSV file are the inputs."""
    parser.add_argument("--drop", type=parse_names, default=None, metavar="COLS",
                        help="with a CSV file: columns to leave out, e.g. id,date (a model "
                             "remembers them: evaluate and predict leave them out too)")
    parser.add_argument("--columns", type=parse_names, default=None, metavar="COLS",
                        help="with a CSV file: the only columns to use as inputs, e.g. a,b,c "
                             "(instead of every column but the target; not with --drop)")


def _add_task_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", choices=TASKS, default=None,
                        help="optional: the task the model must have been trained for (a model "
                             "file records its task)")


def _add_train(commands) -> None:
    train = commands.add_parser("train", help="train a network and report its test score",
                                description="Train a multilayer perceptron on a built-in dataset "
                                "or a CSV file, to classify (the default) or to predict a number "
                                "(--task regression). The last line printed is the test "
                                "accuracy (regression: the test R², MAE and RMSE).")
    _add_source(train)
    _add_columns(train)
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
    net.add_argument("--optimizer", choices=tuple(OPTIMIZER_CHOICES), default="adam",
                     help="sgd, momentum (SGD with momentum 0.9), adam or rmsprop (default adam)")
    default_lrs = ", ".join(f"{name} {lr:g}" for name, (_, _, lr) in OPTIMIZER_CHOICES.items())
    net.add_argument("--lr", type=positive_float, default=None,
                     help=f"learning rate (default: {default_lrs})")
    net.add_argument("--epochs", type=positive_int, default=300,
                     help="passes over the training data (default 300)")
    net.add_argument("--batch-size", type=positive_int, default=32,
                     help="mini-batch size (default 32; larger than the data means full batch)")
    net.add_argument("--alpha", type=non_negative_float, default=0.0,
                     help="L2 penalty, scikit-learn's scaling (default 0)")
    net.add_argument("--features", type=parse_features, default=None, metavar="LIST",
                     help="inputs computed from 2-D points, e.g. x1,x2,x1^2,x2^2,x1*x2,sin "
                          "(default: the raw columns)")
    net.add_argument("--test-size", type=fraction, default=0.2,
                     help="fraction held out for testing (default 0.2)")
    net.add_argument("--seed", type=random_seed, default=0, help="random seed (default 0)")
    net.add_argument("--early-stopping", action="store_true",
                     help="hold out 10%% of the training data for validation; stop when its loss "
                          "stops improving and keep the best weights")
    net.add_argument("--patience", type=positive_int, default=None,
                     help=f"with --early-stopping: epochs without improvement (default "
                          f"{DEFAULT_PATIENCE})")
    net.add_argument("--restarts", type=positive_int, default=1,
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
    train.set_defaults(run=_command("train"))


def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="accuracy, log-loss and confusion matrix "
                                   "(regression: R², MAE, RMSE)",
                                   description="Evaluate a saved model on a dataset sample or a "
                                   "labelled CSV file.")
    evaluate.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(evaluate)
    evaluate.add_argument("--seed", type=random_seed, default=None,
                          help="with --dataset: seed of the sample (default: the training seed "
                               "+ 1, a fresh sample)")
    _add_columns(evaluate)
    _add_task_check(evaluate)
    evaluate.set_defaults(run=_command("evaluate"))


def _add_predict(commands) -> None:
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
    _add_columns(predict)
    _add_task_check(predict)
    predict.set_defaults(run=_command("predict"))


def _add_plot(commands) -> None:
    plot = commands.add_parser("plot", help="draw the decision boundary of a saved model",
                               description="Draw a saved model's decision boundary over a "
                               "dataset sample or a 2-column CSV file (a regression model: the "
                               "predicted surface, curve, or predicted against true values).")
    plot.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(plot)
    plot.add_argument("--seed", type=random_seed, default=None,
                      help="with --dataset: seed of the sample (default: the training seed + 1)")
    plot.add_argument("-o", "--output", metavar="FIG.png", required=True,
                      help="the figure to write (.png, .svg or .pdf)")
    _add_columns(plot)
    _add_task_check(plot)
    plot.set_defaults(run=_command("plot"))


def _add_export(commands) -> None:
    export = commands.add_parser("export", help="write a saved model as an ONNX file",
                                 description="Write a saved model as an ONNX file that takes "
                                 "the raw input columns (standardisation and feature lift "
                                 "included) and outputs 'label' and 'probabilities'. Needs "
                                 "pip install \"scratchnn[onnx]\".")
    export.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    export.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--opset", type=positive_int, default=None,
                        help="ONNX operator set, 13 or newer (default 17)")
    export.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="the type of the input X, the weights and the probabilities "
                             "(default float32, what ONNX users send; float64 keeps the "
                             "model's doubles)")
    export.set_defaults(run=_command("export"))


def _add_exercises(commands) -> None:
    exercises = commands.add_parser(
        "exercises", help="write the pieces of a network yourself, checked against the library",
        description="Exercises: write a dense layer, its backward pass, the losses, the "
        "optimizers and an autograd engine yourself, in files of your own, and have each "
        "function checked against the library's numbers. Nothing is sent anywhere.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog="""examples:
  scratchnn exercises start my-nn        write the stub files into my-nn/
  cd my-nn
  scratchnn exercises check dense_forward
  scratchnn exercises hint dense_forward
  scratchnn exercises check              every task, in order
  scratchnn exercises list               every task, a tick for those that pass""")
    actions = exercises.add_subparsers(dest="action", metavar="ACTION", required=True,
                                       parser_class=Parser)
    here = "the exercises folder (default: the current folder)"
    listing = actions.add_parser("list", help="every task in order, ticks for those that pass",
                                 description="List every task in teaching order, with a tick "
                                 "for each one whose last check passed.")
    listing.add_argument("--dir", metavar="DIR", help=here)
    listing.add_argument("--markdown", action="store_true",
                         help="the tasks as a Markdown table (what each teaches), no ticks")
    start = actions.add_parser("start", help="write the stub files into a folder",
                               description="Write one stub file per chapter, a README.txt and "
                               "progress.json into DIR (created if missing). Files you have "
                               "edited are never overwritten, unless --force.")
    start.add_argument("folder", metavar="DIR", help="the folder to write the exercises to")
    start.add_argument("--force", action="store_true",
                       help="replace files that differ from the fresh stubs (your edits in "
                            "them are lost)")
    check = actions.add_parser("check", help="check your functions against the library",
                               description="Run a task's cases on your function (every task "
                               "in order without TASK) and say what differs. Exit code 0 when "
                               "every task checked passes, 1 otherwise.")
    check.add_argument("task", metavar="TASK", nargs="?",
                       help="a task's id or number (see 'scratchnn exercises list')")
    check.add_argument("--dir", metavar="DIR", help=here)
    check.add_argument("--time-limit", type=positive_float, default=10.0, metavar="SECONDS",
                       help="stop a function that runs longer than this (default 10)")
    hint = actions.add_parser("hint", help="the next hint for a task",
                              description="Show the next hint for TASK (each call one more).")
    hint.add_argument("task", metavar="TASK", help="a task's id or number")
    hint.add_argument("--dir", metavar="DIR", help=here)
    for parser in (listing, start, check, hint):
        parser.set_defaults(run=_command("exercises"))
