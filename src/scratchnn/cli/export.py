"""``scratchnn export MODEL.npz OUT.onnx``: a saved classifier as an ONNX file that takes the
raw input columns (standardisation and feature lift included) and outputs ``label`` and
``probabilities``. Needs ``pip install "scratchnn[onnx]"``.

The graph takes float32 (what ONNX users send; the weights are rounded to float32) unless
``--dtype float64``, which keeps the model's doubles; the summary names the input's type.
"""

from __future__ import annotations

from .._files import error_message
from .models import load_model
from .outputs import check_not_an_input, check_output_path
from .status import CLIError, ExitStatus, UsageError
from .task import task_of


def run(args) -> ExitStatus:
    check_output_path("OUT.onnx", args.output)
    check_not_an_input("OUT.onnx", args.output, [args.model])
    model, prep = load_model(args.model)
    task_of(prep).check_export(args.model)
    from ..bridges import to_onnx  # onnx itself is imported there, only now

    # ONNX labels are int64 or strings: other labels are written as the CLI prints them.
    classes = prep.classes if all(type(c) is int for c in prep.classes) else [
        str(c) for c in prep.classes]
    standardize = None if prep.mean is None else (prep.mean, prep.scale)
    options = {} if args.opset is None else {"opset": args.opset}
    try:
        to_onnx(model, args.output, classes=classes, standardize=standardize,
                features=prep.features, feature_names=prep.feature_names, dtype=args.dtype,
                **options)
    except ImportError as error:
        raise CLIError(str(error)) from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise CLIError(error_message(error)) from None
    print(f"input: X, {args.dtype}, {len(prep.feature_names)} columns "
          f"({', '.join(prep.feature_names)})")
    print(f"outputs: label, probabilities ({len(classes)} classes: "
          f"{', '.join(map(str, classes))})")
    print(f"onnx: {args.output}")
    return ExitStatus.OK
