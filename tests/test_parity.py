"""Parity with scikit-learn's MLPClassifier: same step from the same weights, same accuracy.

The two estimators share parameter names, the loss (weighted mean plus
``0.5 * alpha * sum ||W||^2 / sum(sample_weight)``) and the update rules, so
from identical weights a full-batch step must agree to rounding error.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skmlp_scratch import MLPScratchClassifier

N_SAMPLES = 40


def _data(target):
    rng = np.random.RandomState(0)
    X = rng.randn(N_SAMPLES, 5)
    n_classes = 3 if target == "multiclass" else 2
    y = rng.randint(0, n_classes, N_SAMPLES)
    sample_weight = rng.uniform(0.0, 3.0, N_SAMPLES)
    return X, y, sample_weight


def _full_batch_params(**overrides):
    params = dict(hidden_layer_sizes=(7, 4), activation="tanh", solver="sgd",
                  momentum=0.0, batch_size=N_SAMPLES, shuffle=False,
                  learning_rate_init=0.5, alpha=0.3, max_iter=1, random_state=3)
    params.update(overrides)
    return params


def _flat(estimator):
    return estimator.coefs_ + estimator.intercepts_


def _max_abs_difference(ours, theirs):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(_flat(ours), _flat(theirs)))


def _steps_from_same_weights(X, y, sample_weight, n_steps, **overrides):
    """Fit both estimators, give both the same weights, then run ``n_steps`` epochs.

    The first fit only creates the fitted state (label binarizer, layer shapes);
    its weights are overwritten. ``warm_start=True`` then makes ``fit`` start
    from the given weights with a fresh optimizer, as in scikit-learn.
    """
    params = _full_batch_params(**overrides)
    ours, theirs = MLPScratchClassifier(**params), MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
        rng = np.random.RandomState(42)
        coefs = [rng.uniform(-1, 1, W.shape) for W in ours.coefs_]
        intercepts = [rng.uniform(-1, 1, b.shape) for b in ours.intercepts_]
        for est in (ours, theirs):
            est.coefs_ = [W.copy() for W in coefs]
            est.intercepts_ = [b.copy() for b in intercepts]
            est.set_params(warm_start=True, max_iter=n_steps)
        assert [W.shape for W in _flat(ours)] == [W.shape for W in _flat(theirs)]
        assert _max_abs_difference(ours, theirs) == 0.0
        ours.fit(X, y, sample_weight=sample_weight)
        theirs.fit(X, y, sample_weight=sample_weight)
    return ours, theirs


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("target", ["multiclass", "binary"])
def test_one_full_batch_sgd_step_matches_sklearn(target, weighted):
    X, y, sample_weight = _data(target)
    sample_weight = sample_weight if weighted else None
    ours, theirs = _steps_from_same_weights(X, y, sample_weight, n_steps=1)

    assert ours.n_iter_ == theirs.n_iter_ == 1
    for a in _flat(ours):
        assert a.dtype == np.float64
    difference = _max_abs_difference(ours, theirs)
    print(f"\n[parity] {target}, {'weighted' if weighted else 'unweighted'}: "
          f"max |W_ours - W_sklearn| after one SGD step = {difference:.3e}")
    assert difference <= 1e-10
    # the reported loss of the epoch is the loss at the starting weights
    assert ours.loss_ == pytest.approx(theirs.loss_, abs=1e-10)
    assert ours.loss_curve_[-1] == pytest.approx(theirs.loss_curve_[-1], abs=1e-10)


@pytest.mark.parametrize("target", ["multiclass", "binary"])
@pytest.mark.parametrize(
    "overrides",
    [dict(momentum=0.9, nesterovs_momentum=True),
     dict(momentum=0.9, nesterovs_momentum=False),
     dict(solver="adam", learning_rate_init=0.05)],
    ids=["nesterov", "momentum", "adam"],
)
def test_several_full_batch_steps_with_optimizer_state_match_sklearn(target, overrides):
    X, y, sample_weight = _data(target)
    ours, theirs = _steps_from_same_weights(X, y, sample_weight, n_steps=5, **overrides)
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert _max_abs_difference(ours, theirs) <= 1e-10
    np.testing.assert_allclose(ours.loss_curve_[-5:], theirs.loss_curve_[-5:],
                               rtol=0, atol=1e-10)


def test_a_step_moves_the_weights():
    # guards the parity tests against comparing two copies nobody updated
    X, y, _ = _data("multiclass")
    ours, _ = _steps_from_same_weights(X, y, None, n_steps=1)
    rng = np.random.RandomState(42)
    start = [rng.uniform(-1, 1, W.shape) for W in ours.coefs_]
    assert all(np.max(np.abs(W - W0)) > 1e-3 for W, W0 in zip(ours.coefs_, start))


def _initial_weights(estimator_class, X, y, **params):
    # a step of 1e-300 times a gradient of order one is below half an ulp of every
    # weight, so one epoch leaves the initial weights exactly as drawn
    estimator = estimator_class(solver="sgd", momentum=0.0, learning_rate_init=1e-300,
                                batch_size=X.shape[0], shuffle=False, max_iter=1,
                                random_state=7, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _flat(estimator.fit(X, y))


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
@pytest.mark.parametrize("target", ["multiclass", "binary"])
def test_same_random_state_draws_sklearns_initial_weights(target, activation):
    # _network.init_params says it draws "Glorot-uniform as scikit-learn does", in
    # the same order from the same RandomState, so a seed must give the same start
    X, y, _ = _data(target)
    ours = _initial_weights(MLPScratchClassifier, X, y, hidden_layer_sizes=(6, 3),
                            activation=activation)
    theirs = _initial_weights(MLPClassifier, X, y, hidden_layer_sizes=(6, 3),
                              activation=activation)
    for layer, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(a, b, err_msg=f"parameter array {layer}")


# ------------------------------------------------------------------ digits

DIGITS_SETTINGS = {
    "adam": dict(max_iter=50),
    "sgd": dict(max_iter=30, learning_rate_init=0.1),
    "lbfgs": dict(max_iter=50),
}


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


@pytest.mark.parametrize("solver", list(DIGITS_SETTINGS))
def test_digits_accuracy_within_one_point_of_sklearn(digits_split, solver):
    X_train, X_test, y_train, y_test = digits_split
    params = dict(hidden_layer_sizes=(64,), solver=solver, random_state=0,
                  **DIGITS_SETTINGS[solver])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPScratchClassifier(**params).fit(X_train, y_train).score(X_test, y_test)
        theirs = MLPClassifier(**params).fit(X_train, y_train).score(X_test, y_test)
    print(f"\n[digits] solver={solver}: test accuracy ours={ours:.4f} "
          f"sklearn={theirs:.4f} (difference {ours - theirs:+.4f})")
    assert ours > 0.9
    assert abs(ours - theirs) <= 0.01
