"""scratchnn: neural networks from scratch in NumPy, with backpropagation in plain sight.

The teaching API reads like PyTorch::

    import numpy as np
    import scratchnn as snn

    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(2, 4, rng=rng), snn.ReLU(), snn.Dense(4, 1, rng=rng)])
    loss = snn.BinaryCrossEntropy()
    opt = snn.SGD(model.parameters(), lr=0.5)
    for epoch in range(2000):
        value = loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()
"""

from .gradcheck import check_layer, check_loss, check_model, numerical_gradient, relative_error
from .init import glorot_uniform, he_normal
from .layers import Dense, Dropout, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh, activation
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

__version__ = "0.1.0"

__all__ = [
    "SGD", "Adam", "BinaryCrossEntropy", "ConstantLR", "Dense", "Dropout", "ExponentialLR",
    "History", "HuberLoss", "Identity", "InverseScalingLR", "LRSchedule", "Layer", "LeakyReLU",
    "Loss", "MLPClassifier", "MLPRegressor", "MeanAbsoluteError", "MeanSquaredError",
    "ModelFileError",
    "Optimizer", "PoissonNLLLoss", "RMSprop", "ReLU", "ReduceLROnPlateau", "Sequential",
    "Sigmoid", "SoftmaxCrossEntropy", "StepLR", "Tanh", "TrainingDivergedError", "activation",
    "check_layer", "check_loss", "check_model", "fit", "glorot_uniform", "he_normal", "load",
    "mlp", "numerical_gradient", "relative_error", "save",
]


def __getattr__(name: str):
    # MLPClassifier and MLPRegressor need scikit-learn: import it only when asked for, so that
    # ``import scratchnn`` stays light (the core needs NumPy alone).
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
