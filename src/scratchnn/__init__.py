"""scratchnn: neural networks from scratch in NumPy, with backpropagation in plain sight.

The teaching API reads like PyTorch::

    import numpy as np
    import scratchnn as snn
    from scratchnn import datasets

    X, y = datasets.moons(n_samples=1000, noise=0.2, random_state=0)
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(2, 4, rng=rng), snn.Tanh(), snn.Dense(4, 1, rng=rng)])
    loss = snn.BinaryCrossEntropy()
    opt = snn.SGD(model.parameters(), lr=1.0)
    for epoch in range(1, 2001):
        value = loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()
        if epoch % 400 == 0:
            print(f"epoch {epoch}: loss {value:.4f}")
    print(f"training accuracy: {np.mean(model.predict(X) == y):.3f}")   # 0.967

``model.summary()`` shows the layers, ``snn.check_model`` checks the gradients, and
``fit(..., callbacks=[snn.TrainingDoctor()])`` says what goes wrong in a run.
"""

import importlib
import importlib.util

from ._version import __version__ as __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the command starts sooner

# Every public name, by the module that defines it. They are imported on first use (PEP 562), so
# ``import scratchnn`` costs almost nothing and the ``scratchnn`` command can deal with Ctrl-C
# before NumPy loads; ``snn.Dense`` then imports NumPy and the core as an eager import would.
# MLPClassifier and MLPRegressor bring scikit-learn, which only they need.
_EXPORTS = {
    "blocks": ["Residual"],
    "conv": ["AvgPool2D", "Conv1D", "Conv2D", "MaxPool2D"],
    "doctor": ["Finding", "TrainingDoctor"],
    "gradcheck": ["GradCheckReport", "check_layer", "check_loss", "check_model",
                  "numerical_gradient", "relative_error"],
    "init": ["glorot_uniform", "he_normal"],
    "layers": ["Dense", "Dropout", "Flatten", "Identity", "Layer", "LeakyReLU", "ReLU", "Sigmoid",
               "Tanh", "activation"],
    "losses": ["BinaryCrossEntropy", "HuberLoss", "Loss", "MeanAbsoluteError",
               "MeanSquaredError", "PoissonNLLLoss", "SoftmaxCrossEntropy"],
    "model": ["Sequential", "mlp"],
    "normalization": ["BatchNorm1D", "BatchNorm2D", "LayerNorm"],
    "optimizers": ["SGD", "Adam", "ConstantLR", "ExponentialLR", "InverseScalingLR",
                   "LRSchedule", "Optimizer", "ReduceLROnPlateau", "RMSprop", "StepLR"],
    "persistence": ["ModelFileError", "load", "save"],
    "training": ["History", "TrainingDivergedError", "fit"],
    "estimator": ["MLPClassifier", "MLPRegressor"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from .blocks import Residual
    from .conv import AvgPool2D, Conv1D, Conv2D, MaxPool2D
    from .doctor import Finding, TrainingDoctor
    from .estimator import MLPClassifier, MLPRegressor
    from .gradcheck import (
        GradCheckReport,
        check_layer,
        check_loss,
        check_model,
        numerical_gradient,
        relative_error,
    )
    from .init import glorot_uniform, he_normal
    from .layers import (
        Dense,
        Dropout,
        Flatten,
        Identity,
        Layer,
        LeakyReLU,
        ReLU,
        Sigmoid,
        Tanh,
        activation,
    )
    from .losses import (
        BinaryCrossEntropy,
        HuberLoss,
        Loss,
        MeanAbsoluteError,
        MeanSquaredError,
        PoissonNLLLoss,
        SoftmaxCrossEntropy,
    )
    from .model import Sequential, mlp
    from .normalization import BatchNorm1D, BatchNorm2D, LayerNorm
    from .optimizers import (
        SGD,
        Adam,
        ConstantLR,
        ExponentialLR,
        InverseScalingLR,
        LRSchedule,
        Optimizer,
        ReduceLROnPlateau,
        RMSprop,
        StepLR,
    )
    from .persistence import ModelFileError, load, save
    from .training import History, TrainingDivergedError, fit

__all__ = [
    "SGD", "Adam", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "BinaryCrossEntropy", "ConstantLR",
    "Conv1D", "Conv2D", "Dense", "Dropout", "ExponentialLR", "Finding", "Flatten",
    "GradCheckReport", "History", "HuberLoss", "Identity", "InverseScalingLR", "LRSchedule",
    "Layer", "LayerNorm", "LeakyReLU", "Loss", "MLPClassifier", "MLPRegressor", "MaxPool2D",
    "MeanAbsoluteError", "MeanSquaredError", "ModelFileError", "Optimizer", "PoissonNLLLoss",
    "RMSprop", "ReLU", "ReduceLROnPlateau", "Residual", "Sequential", "Sigmoid",
    "SoftmaxCrossEntropy", "StepLR", "Tanh", "TrainingDivergedError", "TrainingDoctor",
    "activation", "check_layer", "check_loss", "check_model", "fit", "glorot_uniform", "he_normal",
    "load", "mlp", "numerical_gradient", "relative_error", "save",
]


def __getattr__(name: str):
    """``scratchnn.Dense`` and friends, and the submodules (``scratchnn.datasets``), imported
    on first use and then kept as ordinary module attributes."""
    module = _MODULE_OF.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API alone: ``__all__``, ``__version__`` and the public submodules (not the
    helpers this module itself uses, such as ``importlib`` or ``TYPE_CHECKING``)."""
    import pkgutil

    submodules = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return sorted({*__all__, "__version__", *submodules})
