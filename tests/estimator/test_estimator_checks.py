"""Every scikit-learn estimator check, with no expected failures, for several configurations."""

from __future__ import annotations

import pytest
from _estimator_checks import CALL_PARTIAL_FIT, run_check
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import check_classifiers_train, parametrize_with_checks

from scratchnn import MLPClassifier, MLPRegressor

# float32 is left out on purpose: check_sample_weight_equivalence compares weighted and repeated
# fits to rtol=1e-7, below float32's resolution (eps = 1.2e-7); every other check passes with it.
CONFIGURATIONS = [
    MLPClassifier(),  # scikit-learn's defaults: hidden (100,), adam, max_iter=200
    MLPClassifier(hidden_layer_sizes=(10,), max_iter=100, learning_rate_init=0.01),
    MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1, max_iter=60,
                  learning_rate="invscaling", power_t=0.25),
    # early stopping with ReLU: check_class_weight_classifiers trains on unscaled blobs (std 20),
    # where tanh units saturate and stop improving the validation score within 20 epochs.
    # validation_fraction=0.2: the checks train on as few as 10 samples, of which 0.1 holds
    # out one, fewer than the two classes (scikit-learn's MLPs refuse that split too)
    MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, learning_rate_init=0.05,
                  max_iter=100, validation_fraction=0.2),
    MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=100),
    MLPClassifier(hidden_layer_sizes=(6,), activation="leaky_relu", solver="sgd",
                  learning_rate="adaptive", max_iter=80, n_init=2),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_scikit_learn_estimator_checks(estimator, check):
    run_check(estimator, check)


@pytest.mark.parametrize("name", sorted(CALL_PARTIAL_FIT))
@pytest.mark.parametrize("mlp", [MLPClassifier, SklearnClassifier, MLPRegressor, SklearnRegressor])
def test_partial_fit_checks_do_not_apply_to_early_stopping(mlp, name):
    """The checks skipped for early_stopping=True fail on scikit-learn's own MLPs too, with the
    ValueError both document; so skipping them hides nothing of ours."""
    check = getattr(estimator_checks, name)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        check(mlp.__name__, mlp(hidden_layer_sizes=(4,), early_stopping=True, max_iter=5,
                                validation_fraction=0.5))  # the checks' data sets are small


def test_scikit_learns_classifier_training_check_passes_for_lbfgs_on_the_default_network():
    """With 100 hidden units L-BFGS makes confident predictions: a probability rounded to
    exactly 1 must have the log 0, and the other class's probability must not become 0."""
    for readonly in (False, True):
        check_classifiers_train("MLPClassifier", MLPClassifier(solver="lbfgs"),
                                readonly_memmap=readonly)
