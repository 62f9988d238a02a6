"""``MLPClassifier`` and ``MLPRegressor``: scratchnn's core wearing scikit-learn's estimator
interface.

The numerics are scratchnn's own (``Sequential``, ``Dense``, the activations, the losses
from logits, ``SGD`` / ``Adam``; L-BFGS is SciPy's ``minimize`` on the flat parameter vector);
scikit-learn provides only the estimator base classes, input validation and label checks.
Names, defaults, fitted attributes and the stopping rule follow ``sklearn.neural_network``, so
either can replace scikit-learn's in a ``Pipeline``, ``GridSearchCV`` or ``cross_val_score``.

The package: ``_base.py`` (what both share: one network builder, one epoch loop through
``training.train_epochs``), ``_epoch_rule.py`` (scikit-learn's end of an epoch),
``classifier.py`` and ``regressor.py``. Model files are ``scratchnn.persistence``'s business;
an estimator also pickles (and so works with joblib) as any scikit-learn estimator does.
"""

from ._base import _glorot_uniform  # noqa: F401  (named here by pickles of earlier versions)
from .classifier import MLPClassifier
from .regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
