"""``scratchnn train``: load and split the data, train a network, write the outputs, report.

    scratchnn train --dataset spirals --hidden 16,16 --optimizer adam --plot s.png --save s.npz
    scratchnn train --data points.csv --target label --hidden 8 --save model.npz
    scratchnn train --data houses.csv --target price --task regression --save price.npz

Every output is checked before any work and written only after training succeeded, all
together (``--save``, ``--history``, ``--plot``, ``--animate``: all of them, or none). The last
line printed is the test score: the accuracy, or for regression R², MAE and RMSE.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from .._prep import Prep
from ..errors import TrainingDivergedError
from ..model import Sequential, mlp
from ..optimizers import OPTIMIZER_CHOICES, make_optimizer
from ..training import fit
from .columns import warn
from .data import TrainingData, check_memory, check_source_options
from .models import describe_net
from .outputs import (
    check_figure_path,
    check_not_an_input,
    check_output_path,
    same_file,
    staged_outputs,
    write_rows,
)
from .parser import ANIMATION_FRAMES, DEFAULT_PATIENCE
from .status import CLIError, ExitStatus, Interrupted, UsageError
from .task import task_for_training

OUTPUT_OPTIONS = ("save", "plot", "animate", "history")


@dataclass
class Trained:
    """What training gave: the history, the recorded snapshots (for --animate), the learning
    rate used and the doctor (with --doctor)."""

    history: object
    recorder: object
    lr: float
    doctor: object = None


def run(args) -> ExitStatus:
    _check_train_outputs(args)
    task = task_for_training(args)
    task.check_train_options(args)
    rng = np.random.default_rng(args.seed)  # one generator: the split, the weights, the batches
    data = task.load_training_data(args, rng)
    n_inputs = data.prep(data.X_train[:1]).shape[1]
    n_outputs = task.n_outputs(data.prep)
    _check_training_memory(args, data, n_inputs, n_outputs)
    for message in getattr(args, "row_id_warnings", ()):  # the data passed its checks
        warn(message)
    model = mlp([n_inputs, *args.hidden, n_outputs], args.activation, rng=rng)
    loss, loss_name = task.loss(args)
    trained = _fit_model(args, model, data.prep(data.X_train), task.fit_targets(data), rng, loss)
    train_score, test_score = task.training_scores(model, data)
    with staged_outputs() as outputs:  # all of them, or (on any failure) none
        _stage_model_and_history(args, data.prep, model, trained.history, outputs)
        task.stage_figures(args, data, model, trained.history, trained.recorder, outputs,
                           _title(args, model))
    _report_run(args, data, model, trained, task.target_line(data.prep), loss_name)
    print(f"train {train_score.line()}")
    print(f"test {test_score.line()}")
    return ExitStatus.OK


def _check_train_outputs(args) -> None:
    """Every output must be writable, distinct, and none of the inputs: checked before work
    (with the options that only make sense together)."""
    check_source_options(args)
    if args.patience is not None and not args.early_stopping:
        raise UsageError("--patience goes with --early-stopping (it counts epochs without "
                         "improvement on the validation data); add --early-stopping, or leave "
                         "out --patience")
    for option in OUTPUT_OPTIONS:
        check_output_path(f"--{option}", getattr(args, option))
    check_figure_path("--plot", args.plot)
    if args.animate and not args.animate.lower().endswith(".gif"):
        raise UsageError(f"--animate {args.animate}: the animation is a GIF; give a file name "
                         "ending in .gif")
    targets = [p for p in (args.save, args.plot, args.animate, args.history) if p]
    for i, path in enumerate(targets):
        if any(same_file(path, other) for other in targets[:i]):
            raise UsageError(f"two outputs are the same file, {path}; give each its own name")
    for option in OUTPUT_OPTIONS:
        check_not_an_input(f"--{option}", getattr(args, option), [args.data])
    if args.save:
        from ..persistence.format import check_model_path

        try:
            check_model_path(args.save, "--save")
        except ValueError as error:
            raise UsageError(str(error)) from None


def _check_training_memory(args, data: TrainingData, n_inputs: int, n_outputs: int) -> None:
    """Parameters with their gradients and optimizer state, a batch's activations and the
    data, against the memory there is (``--hidden 100000,100000`` would take 320 GB)."""
    from .._memory import training_estimate

    estimate = training_estimate(len(data.y_train) + len(data.y_test), n_inputs, args.hidden,
                                 n_outputs, args.batch_size, args.optimizer)
    fix = {"network": "smaller or fewer --hidden layers", "activations": "a smaller "
           "--batch-size or smaller --hidden layers", "data": "fewer rows"}
    check_memory(estimate, fix[estimate.largest()])


def _fit_model(args, model: Sequential, inputs_train: np.ndarray, y_train: np.ndarray,
               rng: np.random.Generator, loss=None) -> Trained:
    """``fit`` with the command's options (``loss``: default cross-entropy); Ctrl-C aborts the
    command (no output is written)."""
    lr = args.lr if args.lr is not None else OPTIMIZER_CHOICES[args.optimizer][2]
    recorder = None
    if args.animate:
        from ..plotting import TrainingRecorder

        recorder = TrainingRecorder(n_frames=ANIMATION_FRAMES)  # copes with early stopping
    callbacks = [] if recorder is None else [recorder]
    doctor = None
    if args.doctor:
        from ..doctor import TrainingDoctor

        doctor = TrainingDoctor(inputs_train, stream=None)  # its report comes with the summary
        callbacks.append(doctor)
    try:
        history = fit(model, inputs_train, y_train, loss=loss,
                      optimizer=make_optimizer(args.optimizer, model.parameters(), lr), lr=lr,
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
    return Trained(history, recorder, lr, doctor)


def _stage_model_and_history(args, prep: Prep, model: Sequential, history, outputs) -> None:
    """--save (the network and ``prep``'s metadata) and --history (one CSV row per epoch)."""
    if args.save:
        from ..persistence import save

        outputs.write(args.save, lambda tmp: save(model, tmp, metadata=prep.metadata()), ".npz")
    if args.history:
        rows = history.rows()
        header = list(rows[0]) if rows else ["epoch"]
        outputs.write(args.history, lambda tmp: write_rows(
            tmp, header, [[row[k] for k in header] for row in rows]), ".csv")


def _title(args, model: Sequential) -> str:
    """The figures' title: the data, its features, the network and the optimizer."""
    source = args.dataset or os.path.basename(args.data)
    if args.features:
        source += f" on {', '.join(args.features)}"
    return f"{source}: {describe_net(model, args.activation).split(' (')[0]}, {args.optimizer}"


def _report_run(args, data: TrainingData, model: Sequential, trained: Trained, target: str,
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
    print(f"network: {describe_net(model, args.activation)}")
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
