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

from .doctor import Finding, TrainingDoctor
from .gradcheck import (
    GradCheckReport,
    check_layer,
    check_loss,
    check_model,
    numerical_gradient,
    relative_error,
)
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
    "Finding", "GradCheckReport", "History", "HuberLoss", "Identity", "InverseScalingLR",
    "LRSchedule", "Layer", "LeakyReLU", "Loss", "MLPClassifier", "MLPRegressor",
    "MeanAbsoluteError", "MeanSquaredError", "ModelFileError", "Optimizer", "PoissonNLLLoss",
    "RMSprop", "ReLU", "ReduceLROnPlateau", "Sequential", "Sigmoid", "SoftmaxCrossEntropy",
    "StepLR", "Tanh", "TrainingDivergedError", "TrainingDoctor", "activation", "check_layer",
    "check_loss", "check_model", "fit", "glorot_uniform", "he_normal", "load", "mlp",
    "numerical_gradient", "relative_error", "save",
]


def __getattr__(name: str):
    # MLPClassifier and MLPRegressor need scikit-learn: import it only when asked for, so that
    # ``import scratchnn`` stays light (the core needs NumPy alone).
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
