"""The ``scratchnn`` command: train, evaluate, predict and plot from the shell.

    scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
    scratchnn train --data points.csv --target label --hidden 8 --save model.npz
    scratchnn evaluate model.npz --data test.csv --target label
    scratchnn predict model.npz new_points.csv --proba -o predictions.csv
    scratchnn plot s.npz --dataset spirals -o boundary.png
    scratchnn datasets

``python -m scratchnn`` is the same command. Errors end with one line on stderr,
``scratchnn: error: ...``, and a non-zero exit code (2 for a bad command line, 1 for bad data
or files, 130 for Ctrl-C). Outputs are written only after training succeeded, each atomically
(a temporary file, then ``os.replace``), so a failed or interrupted run never damages a file
that is already on disk, and no output may be one of the command's input files.

Model files carry, in their metadata, everything needed to use them again: the input column
names, the class labels, the standardisation of CSV columns (mean and scale from the training
split) and the feature lift. A point goes through ``standardise -> lift -> network``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import datasets as ds
from ._scripts import fraction as _fraction
from ._scripts import non_negative_float as _non_negative_float
from ._scripts import positive_float as _positive_float
from ._scripts import positive_int as _positive_int
from ._scripts import random_seed as _seed
from ._scripts import sample_count as _sample_count
from .layers import ACTIVATIONS
from .model import Sequential, mlp
from .optimizers import SGD, Adam, Optimizer, RMSprop
from .training import TrainingDivergedError, fit

PROG = "scratchnn"
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01, "rmsprop": 0.01}
ANIMATION_FRAMES = 40
METADATA_VERSION = 1
MODEL_HELP = "a model file written by 'scratchnn train --save' (or scratchnn.save)"


class CLIError(Exception):
    """A problem with the user's data or files: reported as one line, exit code 1."""


class UsageError(CLIError):
    """A problem with the command line itself: reported as one line, exit code 2."""


class Interrupted(CLIError):
    """Ctrl-C: reported as one line, exit code 130 (the shell's code for SIGINT)."""


# --- argument parsing --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{PROG}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


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
        return ds.FeatureLift(names).fit(np.zeros((1, 2))).feature_names_
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_source(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--dataset NAME`` (with its sampling options) or ``--data FILE.csv --target COLUMN``."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--dataset", choices=list(ds.DATASETS),
                        help="a built-in 2-D dataset (see 'scratchnn datasets')")
    source.add_argument("--data", metavar="FILE.csv",
                        help="a CSV file with a header line; numeric feature columns")
    parser.add_argument("--target", metavar="COLUMN",
                        help="with --data: the column that holds the class labels")
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

'scratchnn COMMAND --help' describes each command's options.""")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=_Parser)

    train = commands.add_parser("train", help="train a network and report its test accuracy",
                                description="Train a multilayer perceptron on a built-in dataset "
                                "or a CSV file. The last line printed is the test accuracy.")
    _add_source(train)
    net = train.add_argument_group("network and training")
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
    net.add_argument("--patience", type=_positive_int, default=20,
                     help="with --early-stopping: epochs without improvement (default 20)")
    net.add_argument("--restarts", type=_positive_int, default=1,
                     help="train from this many initialisations, keep the best (default 1)")
    out = train.add_argument_group("outputs (written only when training succeeded)")
    out.add_argument("--save", metavar="MODEL.npz", help="save the trained model")
    out.add_argument("--plot", metavar="FIG.png", help="the decision boundary (2-D inputs)")
    out.add_argument("--animate", metavar="ANIM.gif",
                     help=f"a GIF of training, {ANIMATION_FRAMES} frames (2-D inputs)")
    out.add_argument("--history", metavar="HISTORY.csv", help="loss and accuracy per epoch")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("evaluate", help="accuracy, log-loss and confusion matrix",
                                   description="Evaluate a saved model on a dataset sample or a "
                                   "labelled CSV file.")
    evaluate.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(evaluate)
    evaluate.add_argument("--seed", type=_seed, default=None,
                          help="with --dataset: seed of the sample (default: the training seed "
                               "+ 1, a fresh sample)")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="predict the class of every row of a CSV",
                                  description="Predict the class of every row of a CSV file "
                                  "whose header names the model's input columns.")
    predict.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    predict.add_argument("data", metavar="FILE.csv",
                         help="a CSV file whose header names the model's input columns (in any "
                              "order; the label column, if present, is ignored)")
    predict.add_argument("--proba", action="store_true",
                         help="also print the probability of every class")
    predict.add_argument("-o", "--output", metavar="OUT.csv",
                         help="write the predictions here instead of to stdout")
    predict.set_defaults(run=cmd_predict)

    plot = commands.add_parser("plot", help="draw the decision boundary of a saved model",
                               description="Draw a saved model's decision boundary over a "
                               "dataset sample or a 2-column CSV file.")
    plot.add_argument("model", metavar="MODEL.npz", help=MODEL_HELP)
    _add_source(plot)
    plot.add_argument("--seed", type=_seed, default=None,
                      help="with --dataset: seed of the sample (default: the training seed + 1)")
    plot.add_argument("-o", "--output", metavar="FIG.png", required=True,
                      help="the figure to write (.png, .svg or .pdf)")
    plot.set_defaults(run=cmd_plot)

    listing = commands.add_parser("datasets", help="list the built-in datasets",
                                  description="List the built-in datasets.")
    listing.set_defaults(run=cmd_datasets)

    from .playground import add_parser as add_playground  # starlette is imported only on use

    add_playground(commands)
    return parser


# --- reading CSV files -------------------------------------------------------------------------


@dataclass
class Table:
    """A CSV file's header and rows (as strings), with each row's line number for errors."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise CLIError(f"{self.path} has no column {name!r}; its columns are: "
                           f"{', '.join(self.header)}") from None

    def numeric(self, columns: Sequence[str]) -> np.ndarray:
        """The named columns as a float array ``(n_rows, len(columns))``; an error names the
        line and column of the first empty, non-numeric or non-finite value."""
        indices = [self.column(name) for name in columns]
        out = np.empty((len(self.rows), len(indices)))
        for i, (row, line) in enumerate(zip(self.rows, self.lines)):
            for j, k in enumerate(indices):
                text = row[k].strip()
                where = f"{self.path} line {line} (data row {i + 1}), column {self.header[k]!r}"
                if not text:
                    raise CLIError(f"{where}: missing value; fill it in or drop the row")
                try:
                    value = float(text)
                except ValueError:
                    if not any(_is_number(other[k]) for other in self.rows):
                        raise CLIError(f"{self.path}: column {self.header[k]!r} holds text such "
                                       f"as {text!r}, not numbers; features must be numeric, so "
                                       "drop the column or encode it as numbers") from None
                    raise CLIError(f"{where}: {text!r} is not a number; correct it or drop "
                                   "the row") from None
                if not math.isfinite(value):
                    raise CLIError(f"{where}: {text!r} is not a finite number; correct it or "
                                   "drop the row")
                out[i, j] = value
        return out


def read_table(path: str) -> Table:
    """Read a CSV file with a header line (standard library ``csv``); blank lines are skipped,
    and so is an unnamed, empty last column (the trailing comma some spreadsheets write)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows, lines = [], []
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except FileNotFoundError:
        raise CLIError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise CLIError(f"{path} is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise CLIError(f"{path} is not a UTF-8 text file; is it really a CSV file?") from None
    except csv.Error as error:
        raise CLIError(f"{path} is not valid CSV: {error}") from None
    except OSError as error:
        raise CLIError(f"cannot read {path}: {error.strerror or error}") from None
    if not rows:
        raise CLIError(f"{path} is empty: expected a header line with column names")
    header, header_line = [cell.strip() for cell in rows[0]], lines[0]
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in header[0]:
            raise CLIError(f"{path} seems to be separated by {name}, not commas; save it as a "
                           "comma-separated CSV file (with . as the decimal point)")
    rows, lines = rows[1:], lines[1:]
    if len(header) > 1 and not header[-1] and all(
            len(row) == len(header) - 1 or (len(row) == len(header) and not row[-1].strip())
            for row in rows):
        header = header[:-1]  # trailing commas
        rows = [row[:len(header)] for row in rows]
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            raise CLIError(f"{path} line {line}: {len(row)} fields, but the header has "
                           f"{len(header)}; look for a stray comma or a value with a comma "
                           "that needs quotes")
    if not all(header):
        raise CLIError(f"{path} line {header_line}: the header has no name for column "
                       f"{header.index('') + 1}; give every column a name")
    if all(_is_number(name) for name in header):
        example = ",".join(f"x{i + 1}" for i in range(len(header)))
        raise CLIError(f"{path}: the first line holds numbers, not column names; add a header "
                       f"line such as {example}")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise CLIError(f"{path}: the header repeats the column name(s) {', '.join(duplicates)}; "
                       "give every column its own name")
    if not rows:
        raise CLIError(f"{path} has a header but no data rows; add rows below the header")
    return Table(path, header, rows, lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label_value(text: str):
    """A class label as read from a CSV: an int or float when it is one, else the string."""
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text  # "nan" or "inf" as a label is a name, not a number
    if number == int(number) and "." not in text and "e" not in text.lower():
        return int(number)
    return number


def _labels(table: Table, target: str) -> list:
    k = table.column(target)
    labels = []
    for i, (row, line) in enumerate(zip(table.rows, table.lines)):
        text = row[k].strip()
        if not text:
            raise CLIError(f"{table.path} line {line} (data row {i + 1}), column {target!r}: "
                           "missing label; fill it in or drop the row")
        labels.append(_label_value(text))
    return labels


def _sorted_classes(labels: list) -> list:
    values = set(labels)
    if all(isinstance(v, (int, float)) for v in values):
        return sorted(values)
    return sorted(values, key=str)


# --- preprocessing stored with the model -------------------------------------------------------


@dataclass
class Prep:
    """What happens to raw input columns before the network: standardise, then lift."""

    feature_names: list[str]
    classes: list
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    features: list[str] | None = None
    info: dict = field(default_factory=dict)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """``X (n, len(feature_names)) -> (n, network inputs)``."""
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # huge values: see _probabilities
            if self.mean is not None:
                X = (X - self.mean) / self.scale
            if self.features:
                X = ds.FeatureLift(self.features).transform(X)
        return X

    def metadata(self) -> dict:
        return {
            "scratchnn_cli": METADATA_VERSION,
            "feature_names": list(self.feature_names),
            "classes": list(self.classes),
            "standardize": None if self.mean is None else {
                "mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "features": self.features,
            **self.info,
        }

    @classmethod
    def from_metadata(cls, metadata: dict | None, model: Sequential, path: str,
                      defaults: dict | None = None) -> Prep:
        """The preprocessing of a saved model (a model saved without it gets the identity;
        ``defaults`` fills in what the metadata lacks, e.g. an estimator's classes)."""
        metadata = {**(defaults or {}), **(metadata or {})}
        n_out = model.n_outputs
        n_classes = 2 if n_out == 1 else n_out
        try:
            classes = list(metadata.get("classes") or range(n_classes))
            features = metadata.get("features") or None
            names = metadata.get("feature_names")
            if names is None:
                names = ["x1", "x2"] if features else [f"x{i + 1}" for i in range(model.n_inputs)]
            standardize = metadata.get("standardize")
            mean = scale = None
            if standardize:
                mean = np.asarray(standardize["mean"], dtype=np.float64)
                scale = np.asarray(standardize["scale"], dtype=np.float64)
                if mean.shape != (len(names),) or scale.shape != (len(names),) or (
                        scale <= 0).any():
                    raise ValueError("standardisation does not fit the feature names")
            prep = cls(list(map(str, names)), classes, mean, scale,
                       list(features) if features else None,
                       {k: v for k, v in metadata.items() if k in ("dataset", "seed", "target")})
            width = prep(np.zeros((1, len(prep.feature_names)))).shape[1]
        except (TypeError, ValueError, KeyError) as error:
            raise CLIError(f"{path}: the model's metadata is inconsistent ({error})") from None
        if width != model.n_inputs or len(classes) != n_classes:
            raise CLIError(f"{path}: the model's metadata does not fit its network ({width} "
                           f"inputs after preprocessing for {model.n_inputs}, {len(classes)} "
                           f"classes for {n_out} outputs)")
        return prep


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


def _load_labelled(args, seed: int) -> tuple[np.ndarray, list, list[str], str]:
    """``(X, labels, feature names, description)`` from ``--dataset`` or ``--data/--target``."""
    if args.dataset is not None:
        kwargs = _dataset_kwargs(args, seed)
        try:
            X, y = ds.load(args.dataset, **kwargs)
        except ValueError as error:
            raise UsageError(str(error)) from None
        described = ", ".join(f"{k.replace('random_state', 'seed')} {v}"
                              for k, v in kwargs.items() if k != "n_samples")
        return X, y.tolist(), ["x1", "x2"], f"{args.dataset} ({len(y)} points, {described})"
    table = read_table(args.data)
    names = [name for name in table.header if name != args.target]
    table.column(args.target)  # exists?
    if not names:
        raise CLIError(f"{args.data} has no feature columns besides the target {args.target!r}")
    X = table.numeric(names)
    labels = _labels(table, args.target)
    return X, labels, names, f"{args.data} ({len(labels)} rows, {len(names)} feature columns)"


def _encode(labels: list, classes: list, source: str) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    try:
        return np.array([index[v] for v in labels], dtype=np.intp)
    except KeyError as error:
        known = ", ".join(map(str, classes))
        raise CLIError(f"{source}: label {error.args[0]!r} is not one of the model's classes "
                       f"({known})") from None


# --- writing outputs ---------------------------------------------------------------------------


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


def _write_error(path: str, error: OSError) -> CLIError:
    hint = "; choose a folder you can write to" if isinstance(error, PermissionError) else ""
    return CLIError(f"cannot write {path}: {error.strerror or error}{hint}")


class Staged:
    """Outputs written first to temporary files next to their targets, then all moved into place
    (``os.replace``) once every one of them was written; on failure the temporaries go away and
    the targets keep their old bytes."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str]] = []

    def write(self, path: str, writer: Callable[[str], object], suffix: str) -> None:
        from .persistence import create_temporary_file  # the usual mode, not mkstemp's 0600

        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, tmp = create_temporary_file(folder, prefix=".scratchnn-", suffix=suffix)
            os.close(fd)
            self.pending.append((tmp, path))
            writer(tmp)
        except OSError as error:
            raise _write_error(path, error) from None

    def commit(self) -> None:
        for tmp, path in self.pending:
            try:
                os.replace(tmp, path)
            except OSError as error:
                raise _write_error(path, error) from None
        self.pending = []

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        self.pending = []


def _write_rows(path: str, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --- models ------------------------------------------------------------------------------------


def make_optimizer(name: str, model: Sequential, lr: float) -> Optimizer:
    params = model.parameters()
    if name == "sgd":
        return SGD(params, lr=lr)
    if name == "momentum":
        return SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return Adam(params, lr=lr)
    if name == "rmsprop":
        return RMSprop(params, lr=lr)
    raise UsageError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def _load_model(path: str) -> tuple[Sequential, Prep]:
    from .persistence import ModelFileError, load

    try:
        obj, header = load(path, return_header=True)
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
    defaults = {}
    if not isinstance(obj, Sequential):  # a fitted MLPClassifier: use its network and labels
        model = getattr(obj, "model_", None)
        if not isinstance(model, Sequential):
            raise CLIError(f"{path} holds a {type(obj).__name__}, not a network the command "
                           "line can use")
        defaults["classes"] = np.asarray(getattr(obj, "classes_", [])).tolist() or None
        names = getattr(obj, "feature_names_in_", None)
        if names is not None:
            defaults["feature_names"] = [str(name) for name in names]
        obj = model
    return obj, Prep.from_metadata(header.get("metadata"), obj, path, defaults)


def _probabilities(model: Sequential, X: np.ndarray, source: str = "the data") -> np.ndarray:
    """Class probabilities ``(n, k)`` (``k = 2`` for a single-output network); ``source`` names
    the rows of ``X`` in the error for a row the network cannot handle."""
    from .plotting import model_predict_proba

    with np.errstate(over="ignore", invalid="ignore"):
        proba = model_predict_proba(model)(X)
    bad = np.flatnonzero(~np.isfinite(proba.reshape(len(X), -1)).all(axis=1))
    if bad.size:
        raise CLIError(f"{source}, data row {bad[0] + 1}: its values are so large that the "
                       "network's output overflows (no probability can be computed); check "
                       "that row")
    return np.column_stack([1 - proba, proba]) if proba.ndim == 1 else proba


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


# --- the commands ------------------------------------------------------------------------------


def cmd_datasets(args) -> int:
    width = max(map(len, ds.DATASETS))
    for name, (_, description) in ds.DATASETS.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_train(args) -> int:
    _check_source_options(args)
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

    X, labels, names, description = _load_labelled(args, args.seed)
    classes = _sorted_classes(labels)
    prep = Prep(names, classes, features=args.features)
    for option in ("features", "plot", "animate"):
        if getattr(args, option):
            _check_2d(prep, f"--{option}")
    if len(classes) < 2:
        raise CLIError(f"the labels have a single class ({classes[0]!r}): nothing to learn; "
                       "the target column needs at least 2 different labels")
    if len(classes) > 10 and len(classes) > 0.5 * len(labels):
        raise CLIError(f"the target has {len(classes)} distinct values in {len(labels)} rows; "
                       "scratchnn classifies, so the target must be a class label (is "
                       f"{args.target!r} a measurement?)")
    y = _encode(labels, classes, description)

    rng = np.random.default_rng(args.seed)
    try:
        X_train, X_test, y_train, y_test = ds.train_test_split(X, y, test_size=args.test_size,
                                                               random_state=rng)
    except ValueError as error:
        raise CLIError(f"cannot split the data: {error}") from None
    missing = [classes[k] for k in range(len(classes)) if not np.any(y_train == k)]
    if missing:
        raise CLIError(f"with {len(y)} rows, the training split has no example of class "
                       f"{missing[0]!r}; give at least 2 rows of every class (one to train on, "
                       "one to test on), or a smaller --test-size")
    if args.data is not None:  # standardise CSV columns with the training split's statistics
        with np.errstate(over="ignore", invalid="ignore"):
            mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
        huge = [name for name, m, s in zip(names, mean, scale) if not np.isfinite(m + s)]
        if huge:
            raise CLIError(f"{args.data}: column {huge[0]!r} has values too large to "
                           "standardise (near the float64 limit, 1.8e308); rescale it")
        prep.mean, prep.scale = mean, np.where(scale > 0, scale, 1.0)
        prep.info["target"] = args.target
    else:
        prep.info.update(dataset=args.dataset, seed=args.seed)

    n_classes = len(classes)
    inputs_train, inputs_test = prep(X_train), prep(X_test)
    sizes = [inputs_train.shape[1], *args.hidden, 1 if n_classes == 2 else n_classes]
    model = mlp(sizes, args.activation, rng=rng)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    optimizer = make_optimizer(args.optimizer, model, lr)
    recorder = None
    callbacks = []
    if args.animate:
        from .plotting import TrainingRecorder

        recorder = TrainingRecorder(n_frames=ANIMATION_FRAMES)  # copes with early stopping
        callbacks.append(recorder)
    verbose = not args.quiet and sys.stderr.isatty()
    try:
        history = fit(model, inputs_train, y_train, optimizer=optimizer, lr=lr,
                      epochs=args.epochs, batch_size=args.batch_size, rng=rng, alpha=args.alpha,
                      validation_split=0.1 if args.early_stopping else 0.0,
                      early_stopping=args.early_stopping, patience=args.patience,
                      n_init=args.restarts, callbacks=callbacks, verbose=verbose)
    except TrainingDivergedError as error:
        raise CLIError(f"training diverged: {error} (--lr {lr:g})") from None
    except ValueError as error:
        raise CLIError(str(error)) from None
    if history.interrupted:  # fit stops at Ctrl-C and keeps the best weights; the CLI aborts
        raise Interrupted(f"training interrupted (Ctrl-C) at epoch {history.epochs} of "
                          f"{args.epochs}; no output was written. For a shorter run give fewer "
                          "--epochs, or --early-stopping to stop when the loss levels off")

    train_acc = float(np.mean(_probabilities(model, inputs_train).argmax(axis=1) == y_train))
    test_acc = float(np.mean(_probabilities(model, inputs_test).argmax(axis=1) == y_test))
    prep.info["test_accuracy"] = round(test_acc, 6)

    staged = Staged()
    try:
        _write_train_outputs(args, staged, model, prep, history, recorder,
                             (X_train, X_test, y_train, y_test))
        staged.commit()
    finally:
        staged.discard()

    print(f"data: {description}; {len(y_train)} train / {len(y_test)} test")
    print(f"classes: {', '.join(map(str, classes))}")
    if args.features:
        print(f"features: {', '.join(args.features)}")
    print(f"network: {_describe_net(model, args.activation)}")
    batch = "full batch" if args.batch_size >= len(y_train) else f"batch {args.batch_size}"
    print(f"training: {args.optimizer}, lr {lr:g}, {history.epochs} epochs, {batch}"
          + (f", alpha {args.alpha:g}" if args.alpha else "")
          + (f", best of {args.restarts} restarts" if args.restarts > 1 else ""))
    notes = []
    if history.stopped_early:
        notes.append(f"stopped early; kept epoch {history.best_epoch}")
    print(f"final loss: {history.loss[-1]:.4f}" + (f" ({'; '.join(notes)})" if notes else ""))
    for option, label in (("save", "model"), ("plot", "figure"), ("animate", "animation"),
                          ("history", "history")):
        if getattr(args, option):
            print(f"{label}: {getattr(args, option)}")
    print(f"train accuracy: {train_acc:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    return 0


def _write_train_outputs(args, staged: Staged, model, prep: Prep, history, recorder,
                         split) -> None:
    X_train, X_test, y_train, y_test = split
    if args.save:
        from .persistence import save

        staged.write(args.save, lambda tmp: save(model, tmp, metadata=prep.metadata()), ".npz")
    if args.history:
        rows = history.rows()
        header = list(rows[0]) if rows else ["epoch"]
        staged.write(args.history, lambda tmp: _write_rows(
            tmp, header, [[row[k] for k in header] for row in rows]), ".csv")
    if args.plot or args.animate:
        from . import plotting

        names = _class_names(prep.classes)
        source = args.dataset or os.path.basename(args.data)
        if prep.features:
            source += f" on {', '.join(prep.features)}"
        network = _describe_net(model, args.activation).split(" (")[0]
        title = f"{source}: {network}, {args.optimizer}"
        if args.plot:
            ax = plotting.plot_decision_boundary(model, X_train, y_train, X_test, y_test,
                                                 transform=prep, title=title, class_names=names,
                                                 feature_names=_axis_names(prep),
                                                 ax=_plain_axes())
            suffix = os.path.splitext(args.plot)[1] or ".png"
            staged.write(args.plot, lambda tmp: ax.figure.savefig(
                tmp, dpi=150, format=suffix.lstrip(".")), suffix)
        if args.animate:
            staged.write(args.animate, lambda tmp: plotting.animate_training(
                model, recorder, X_train, y_train, tmp, history=history, X_test=X_test,
                y_test=y_test, transform=prep, title=title, class_names=names), ".gif")


def _evaluation_data(args, prep: Prep) -> tuple[np.ndarray, np.ndarray, str]:
    _check_source_options(args)
    if args.dataset is not None:
        seed = args.seed if args.seed is not None else int(prep.info.get("seed") or 0) + 1
        X, labels, names, description = _load_labelled(args, seed)
        if prep.feature_names != names:
            raise CLIError(f"the model takes the columns {', '.join(prep.feature_names)}, but "
                           f"the dataset gives {', '.join(names)}")
    else:
        table = read_table(args.data)
        table.column(args.target)
        names = [name for name in table.header if name != args.target]
        _check_columns(names, prep, args.data)
        X = table.numeric(prep.feature_names)
        labels = _labels(table, args.target)
        description = f"{args.data} ({len(labels)} rows)"
    return X, _encode(labels, prep.classes, description), description


def _check_columns(columns: list[str], prep: Prep, path: str) -> None:
    """The CSV must have exactly the model's input columns (in any order)."""
    expected = prep.feature_names
    if sorted(columns) != sorted(expected):
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        detail = "; ".join(part for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"unexpected: {', '.join(extra)}" if extra else "") if part)
        raise CLIError(f"{path} has {len(columns)} feature column(s) ({', '.join(columns)}), but "
                       f"the model expects {len(expected)}: {', '.join(expected)} ({detail})")


def cmd_evaluate(args) -> int:
    model, prep = _load_model(args.model)
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
        precision = confusion[c, c] / predicted_c if predicted_c else float("nan")
        recall = confusion[c, c] / support if support else float("nan")
        print(f"{name:>{width}}  {precision:>9.4f}  {recall:>6.4f}  {support:>7d}")
    print(f"accuracy: {np.mean(predicted == y):.4f}")
    return 0


def cmd_predict(args) -> int:
    if args.output:
        _check_output_path("-o", args.output)
        _check_not_an_input("-o", args.output, [args.model, args.data])
    model, prep = _load_model(args.model)
    table = read_table(args.data)
    columns = list(table.header)
    target = prep.info.get("target")
    if target in columns and target not in prep.feature_names:
        columns.remove(target)  # a labelled file is fine: its label column is ignored
    _check_columns(columns, prep, args.data)
    X = table.numeric(prep.feature_names)
    proba = _probabilities(model, prep(X), args.data)
    labels = [prep.classes[i] for i in proba.argmax(axis=1)]
    header = ["prediction"]
    if args.proba:
        header += [f"p_{c}" for c in prep.classes]
        rows = [[label, *(f"{p:.6f}" for p in ps)] for label, ps in zip(labels, proba)]
    else:
        rows = [[label] for label in labels]
    if args.output:
        staged = Staged()
        try:
            staged.write(args.output, lambda tmp: _write_rows(tmp, header, rows), ".csv")
            staged.commit()
        finally:
            staged.discard()
        print(f"wrote {len(rows)} predictions to {args.output}")
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return 0


def cmd_plot(args) -> int:
    _check_output_path("-o", args.output)
    _check_figure_path("-o", args.output)
    model, prep = _load_model(args.model)
    _check_2d(prep, "plot")
    X, y, description = _evaluation_data(args, prep)
    accuracy = np.mean(_probabilities(model, prep(X), args.data or args.dataset).argmax(axis=1)
                       == y)
    from . import plotting

    try:
        ax = plotting.plot_decision_boundary(model, X, y, transform=prep, title=description,
                                             class_names=_class_names(prep.classes),
                                             point_label="sample",
                                             feature_names=_axis_names(prep), ax=_plain_axes())
    except ValueError as error:  # e.g. points too far apart to draw
        raise CLIError(f"{args.data or args.dataset}: cannot draw it: {error}") from None
    staged = Staged()
    suffix = os.path.splitext(args.output)[1] or ".png"
    try:
        staged.write(args.output, lambda tmp: ax.figure.savefig(
            tmp, dpi=150, format=suffix.lstrip(".")), suffix)
        staged.commit()
    finally:
        staged.discard()
    print(f"figure: {args.output}")
    print(f"accuracy: {accuracy:.4f}")
    return 0


# --- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code (0 success, 1 data/file error, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 130
    except CLIError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted (Ctrl-C); no output was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. 'scratchnn predict ... | head': stop quietly, like cat
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
        return 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe
    except Exception as error:  # a bug: still one line, but say what it was
        if os.environ.get("SCRATCHNN_DEBUG"):
            raise
        message = str(error).splitlines()[0] if str(error) else ""
        print(f"{PROG}: error: unexpected {type(error).__name__}: {message} (set "
              "SCRATCHNN_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
