"""Running scikit-learn's estimator checks on scratchnn's estimators.

Three checks call ``partial_fit`` on the configuration they are given. With
``early_stopping=True`` scikit-learn documents (and its own MLPs do) that ``partial_fit``
raises ``ValueError("partial_fit does not support early_stopping=True")``, so those checks do
not apply to that configuration: scikit-learn's own MLPs fail them the same way, which
``test_partial_fit_checks_do_not_apply_to_early_stopping`` shows. Every other check runs."""

from __future__ import annotations

import pytest

CALL_PARTIAL_FIT = {"check_fit_score_takes_y", "check_n_features_in_after_fitting",
                    "check_estimators_partial_fit_n_features"}


def check_name(check) -> str:
    return getattr(check, "func", check).__name__


def run_check(estimator, check) -> None:
    if estimator.early_stopping and check_name(check) in CALL_PARTIAL_FIT:
        pytest.skip("calls partial_fit, which early_stopping=True refuses (as scikit-learn's)")
    check(estimator)
