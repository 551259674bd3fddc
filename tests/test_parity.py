"""Parity with scikit-learn's MLPClassifier and MLPRegressor.

Each pair shares parameter names, the loss (weighted mean plus
``0.5 * alpha * sum ||W||^2 / sum(sample_weight)``), the update rules, the
initial draw and the mini-batch order, so from identical weights a full-batch
step must agree to rounding error, and so must whole loss curves from the
same ``random_state``; the scores reached must be close.
"""


import numpy as np
import pytest
from sklearn.datasets import load_digits, make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from conftest import short_training

PAIRS = {"classifier": (MLPScratchClassifier, MLPClassifier),
         "regressor": (MLPScratchRegressor, MLPRegressor)}

N_SAMPLES = 40


def _data(target):
    rng = np.random.RandomState(0)
    X = rng.randn(N_SAMPLES, 5)
    if target == "counts":
        y = rng.poisson(np.exp(0.5 * X[:, 0]))
    elif target == "continuous":
        y = X[:, 0] - 2 * X[:, 1] ** 2 + 0.1 * rng.randn(N_SAMPLES)
    else:
        y = rng.randint(0, 3 if target == "multiclass" else 2, N_SAMPLES)
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


def _steps_from_same_weights(X, y, sample_weight, n_steps, pair="classifier",
                             **overrides):
    """Fit both estimators, give both the same weights, then run ``n_steps`` epochs.

    The first fit only creates the fitted state (label binarizer, layer shapes);
    its weights are overwritten. ``warm_start=True`` then makes ``fit`` start
    from the given weights with a fresh optimizer, as in scikit-learn.
    """
    params = _full_batch_params(**overrides)
    ours, theirs = (cls(**params) for cls in PAIRS[pair])
    with short_training():
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
    with short_training():
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


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("loss, target", [("squared_error", "continuous"),
                                          ("poisson", "counts")])
def test_one_full_batch_sgd_step_matches_sklearns_regressor(loss, target, weighted):
    X, y, sample_weight = _data(target)
    sample_weight = sample_weight if weighted else None
    ours, theirs = _steps_from_same_weights(X, y, sample_weight, n_steps=1,
                                            pair="regressor", loss=loss,
                                            learning_rate_init=0.05)
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert _max_abs_difference(ours, theirs) <= 1e-10
    assert ours.loss_ == pytest.approx(theirs.loss_, abs=1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


@pytest.mark.parametrize("loss, target", [("squared_error", "continuous"),
                                          ("poisson", "counts")])
def test_same_random_state_draws_sklearns_initial_regressor_weights(loss, target):
    X, y, _ = _data(target)
    ours = _initial_weights(MLPScratchRegressor, X, y, loss=loss,
                            hidden_layer_sizes=(6, 3))
    theirs = _initial_weights(MLPRegressor, X, y, loss=loss, hidden_layer_sizes=(6, 3))
    for layer, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(a, b, err_msg=f"parameter array {layer}")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("pair, target", [("classifier", "multiclass"),
                                          ("regressor", "continuous")])
def test_shuffled_minibatch_loss_curves_match_sklearn(pair, target, solver):
    # the same random_state gives the same initial weights and the same batch
    # order in every epoch (each epoch reshuffles the previous order), so
    # whole curves agree to rounding, not only the first epoch
    X, y, _ = _data(target)
    params = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=7,
                  learning_rate_init=0.01, max_iter=6, tol=0.0, random_state=5)
    with short_training():
        ours, theirs = (cls(**params).fit(X, y) for cls in PAIRS[pair])
    assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 6
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


@pytest.mark.parametrize("pair, target", [("classifier", "multiclass"),
                                          ("regressor", "continuous")])
def test_partial_fit_calls_give_sklearns_loss_curve(pair, target):
    # scikit-learn makes its generator afresh from random_state at every call
    X, y, _ = _data(target)
    params = dict(hidden_layer_sizes=(8,), batch_size=7, random_state=5)
    ours, theirs = (cls(**params) for cls in PAIRS[pair])
    extra = {"classes": np.unique(y)} if pair == "classifier" else {}
    for _ in range(4):
        ours.partial_fit(X, y, **extra)
        theirs.partial_fit(X, y, **extra)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def test_binary_early_stopping_holds_out_sklearns_rows():
    # the split is stratified on the encoded column as scikit-learn's, so the
    # validation scores of every epoch agree, not only the training loss
    X, y, _ = _data("binary")
    params = dict(hidden_layer_sizes=(7,), early_stopping=True,
                  validation_fraction=0.25, n_iter_no_change=100, max_iter=12,
                  random_state=3)
    with short_training():
        ours, theirs = (cls(**params).fit(X, y) for cls in PAIRS["classifier"])
    assert len(ours.validation_scores_) == 12
    assert ours.validation_scores_ == theirs.validation_scores_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def _two_regressors_from_same_weights(ours_params, theirs_params, X, Y, n_steps):
    ours = MLPScratchRegressor(**ours_params)
    theirs = MLPRegressor(**theirs_params)
    with short_training():
        ours.fit(X, Y)
        theirs.fit(X, Y)
        theirs.coefs_ = [W.copy() for W in ours.coefs_]
        theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
        for est in (ours, theirs):
            est.set_params(warm_start=True, max_iter=n_steps)
            est.fit(X, Y)
    return ours, theirs


@pytest.mark.parametrize("n_outputs", [2, 3])
def test_sklearns_multi_output_alpha_is_ours_times_n_outputs(n_outputs):
    # MLPRegressor's gradient is that of the squared error summed over the
    # outputs, so its objective is n_outputs times ours with alpha / n_outputs:
    # a full-batch SGD step agrees once our step is n_outputs times larger
    X, _, _ = _data("continuous")
    rng = np.random.RandomState(1)
    Y = np.column_stack([X[:, k] - X[:, k + 1] ** 2 for k in range(n_outputs)])
    Y += 0.1 * rng.randn(*Y.shape)
    alpha, rate = 0.3, 0.05
    theirs_params = _full_batch_params(alpha=alpha, learning_rate_init=rate)
    ours_params = _full_batch_params(alpha=alpha / n_outputs,
                                     learning_rate_init=rate * n_outputs)
    ours, theirs = _two_regressors_from_same_weights(ours_params, theirs_params,
                                                     X, Y, 3)
    assert _max_abs_difference(ours, theirs) <= 1e-10
    # with alpha as it is, the two differ: the test can tell them apart
    same_alpha, _ = _two_regressors_from_same_weights(
        _full_batch_params(alpha=alpha, learning_rate_init=rate * n_outputs),
        theirs_params, X, Y, 3)
    assert _max_abs_difference(same_alpha, theirs) > 1e-4
    # adam's steps do not depend on the gradient's scale but through epsilon
    # (negligible here): alpha alone ports
    adam = dict(solver="adam", learning_rate_init=0.01, epsilon=1e-14)
    ours, theirs = _two_regressors_from_same_weights(
        _full_batch_params(alpha=alpha / n_outputs, **adam),
        _full_batch_params(alpha=alpha, **adam), X, Y, 50)
    assert _max_abs_difference(ours, theirs) <= 1e-9


@pytest.fixture(scope="module")
def friedman_split():
    X, y = make_friedman1(n_samples=2000, noise=0.5, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    mean, std = y_train.mean(), y_train.std()
    return (scaler.transform(X_train), scaler.transform(X_test),
            (y_train - mean) / std, (y_test - mean) / std)


FRIEDMAN_SETTINGS = {
    "adam": dict(max_iter=200),
    "sgd": dict(max_iter=200, learning_rate_init=0.01),
    "lbfgs": dict(max_iter=300),
}



def _scores_of_both(pair, params, split):
    """Test scores of our estimator and scikit-learn's, both trained with ``params``."""
    X_train, X_test, y_train, y_test = split
    # both get the same max_iter, which may end training: the scores are
    # compared, not whether either converged
    with short_training():
        return [cls(**params).fit(X_train, y_train).score(X_test, y_test)
                for cls in PAIRS[pair]]


@pytest.mark.parametrize("solver", list(FRIEDMAN_SETTINGS))
def test_friedman1_r2_within_two_points_of_sklearn(friedman_split, solver):
    params = dict(hidden_layer_sizes=(32,), solver=solver, random_state=0,
                  **FRIEDMAN_SETTINGS[solver])
    ours, theirs = _scores_of_both("regressor", params, friedman_split)
    print(f"\n[friedman1] solver={solver}: test R2 ours={ours:.4f} "
          f"sklearn={theirs:.4f} (difference {ours - theirs:+.4f})")
    assert ours > 0.8
    assert abs(ours - theirs) <= 0.02


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
    params = dict(hidden_layer_sizes=(64,), solver=solver, random_state=0,
                  **DIGITS_SETTINGS[solver])
    ours, theirs = _scores_of_both("classifier", params, digits_split)
    print(f"\n[digits] solver={solver}: test accuracy ours={ours:.4f} "
          f"sklearn={theirs:.4f} (difference {ours - theirs:+.4f})")
    assert ours > 0.9
    assert abs(ours - theirs) <= 0.01
