"""Errors in scikit-learn's words: code written for its MLPs catches ours.

Each ``match=`` below is the pattern scikit-learn's own
``sklearn/neural_network/tests/test_mlp.py`` uses for its MLPs, on the same
data; our messages start with (or contain) scikit-learn's sentence and add
our context after it.
"""

import re

import numpy as np
import pytest

from skmlp_scratch import (MLPScratchClassifier, MLPScratchRegressor,
                           TrainingDivergedError)
from skmlp_scratch._training import check_finite
from conftest import fit_quietly

SKLEARN_NON_FINITE = ("Solver produced non-finite parameter weights. The input data "
                      "may contain large values and need to be preprocessed.")


def test_huge_inputs_raise_sklearns_non_finite_value_error():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    with pytest.raises(ValueError, match=SKLEARN_NON_FINITE) as excinfo:
        MLPScratchRegressor().fit(X, y)
    # still ours, with where it happened and what to change
    assert isinstance(excinfo.value, TrainingDivergedError)
    assert isinstance(excinfo.value, FloatingPointError)
    assert re.search(r"Training diverged at epoch 1, batch 1", str(excinfo.value))
    assert "StandardScaler" in str(excinfo.value)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_solver_says_sklearns_sentence_for_non_finite_weights(solver):
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(20, 3))
    y = rng.standard_normal(size=20)
    reg = MLPScratchRegressor(hidden_layer_sizes=(4,), solver=solver, max_iter=5,
                              random_state=0)
    with pytest.raises(ValueError, match=SKLEARN_NON_FINITE):
        fit_quietly(reg, X, y)
    assert not hasattr(reg, "coefs_")


def test_relative_divergence_limits_do_not_claim_non_finite_weights():
    # a finite loss far above its start is divergence, not a non-finite weight
    from skmlp_scratch._training import DivergenceGuard
    guard = DivergenceGuard()
    guard.check_loss(1.0, "epoch 1, batch 1")
    with pytest.raises(ValueError, match="more than 1000 times") as excinfo:
        guard.check_loss(5000.0, "epoch 1, batch 2")
    assert "non-finite" not in str(excinfo.value)
    assert isinstance(excinfo.value, TrainingDivergedError)
    with pytest.raises(ValueError, match=SKLEARN_NON_FINITE):
        check_finite(0.5, [np.array([np.nan])], "the end of epoch 2")


def test_warm_start_with_other_classes_says_sklearns_sentence_first():
    rng = np.random.RandomState(0)
    X = rng.randn(150, 4)
    y = np.array([0] * 50 + [1] * 50 + [2] * 50)
    for y_other in (np.array([0] * 75 + [1] * 75),
                    np.array([0] * 50 + [1] * 50 + [3] * 50), np.arange(150) % 4):
        clf = MLPScratchClassifier(hidden_layer_sizes=2, solver="lbfgs",
                                   warm_start=True, random_state=42, tol=1e-2)
        fit_quietly(clf, X, y)
        coefs = [W.copy() for W in clf.coefs_]
        message = ("warm_start can only be used where `y` has the same classes as in "
                   "the previous call to fit. Previously got [0 1 2], `y` has "
                   f"{np.unique(y_other)}")
        with pytest.raises(ValueError, match="^" + re.escape(message)) as excinfo:
            clf.fit(X, y_other)
        assert "warm_start=False" in str(excinfo.value)
        assert all(np.array_equal(a, b) for a, b in zip(clf.coefs_, coefs))
    # the same classes in another order is no mismatch
    fit_quietly(clf, X, y[::-1])


def test_early_stopping_split_too_small_for_a_class_says_sklearns_sentence_first():
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    with pytest.raises(ValueError, match=(
            r"^The least populated classes in y have only 1 member.*Classes with "
            r"too few members are: \['True'\]")) as excinfo:
        MLPScratchClassifier(early_stopping=True).fit(X, y)
    message = str(excinfo.value)
    # the label as the user wrote it, and the ways out
    assert "fewer than 2 samples of the labels [1]" in message
    assert "X_val" in message and "early_stopping=False" in message


def test_early_stopping_names_rare_string_labels_as_given():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array(["cat"] * 5 + ["dog"] * 4 + ["eel"])
    with pytest.raises(ValueError,
                       match=r"fewer than 2 samples of the labels \['eel'\]"):
        MLPScratchClassifier(early_stopping=True, validation_fraction=0.3).fit(X, y)
