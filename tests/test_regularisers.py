"""Label smoothing, input dropout and input noise: gradients, targets, draws and fits.

The gradient checks use finite differences: of the log-loss at smoothed
targets, of the output delta through the output activation, and of the whole
network's loss at the corrupted input a training step really used (replayed
from the generator). The estimator tests check what a user relies on: off by
default and bit-identical then, reproducible, ``X`` and predictions untouched,
and the behaviour each regulariser is for.
"""


import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.utils._param_validation import InvalidParameterError

import skmlp_scratch._base as base_module
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch._activations import ACTIVATIONS
from skmlp_scratch._losses import LOSSES, resolve_loss, smooth_targets
from skmlp_scratch._network import (
    ParameterVector,
    Workspace,
    init_params,
    layer_sizes,
    loss_and_gradients,
    output_delta,
)
from skmlp_scratch._training import MinibatchSource, run_epoch
from test_losses import numeric_output_delta
from test_network import relative_error
from conftest import fit_quietly

STEP = 1e-6
TOLERANCE = 1e-6
# output -> (activation, number of output columns, loss entry for log_loss)
OUTPUTS = {
    "multiclass": ("softmax", 4),
    "binary": ("logistic", 1),
    "multilabel": ("logistic", 3),
}
NOISE_SETTINGS = [dict(input_dropout=0.3), dict(input_noise=0.5),
                  dict(input_dropout=0.3, input_noise=0.5)]


def hard_targets(kind, rng, n):
    """One-hot rows (multiclass) or 0/1 columns (binary, multilabel)."""
    _, k = OUTPUTS[kind]
    if kind == "multiclass":
        return np.eye(k)[rng.integers(0, k, size=n)]
    return (rng.uniform(size=(n, k)) < 0.5).astype(np.float64)


def weighted_scale(rng, n):
    w = rng.uniform(0.2, 3.0, size=n)
    return (w / w.sum())[:, np.newaxis]


def _assert_same_weights(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)


def _classification_data(n_classes=3, n_samples=120):
    return make_classification(n_samples=n_samples, n_features=6, n_informative=4,
                               n_redundant=0, n_classes=n_classes, random_state=0)


# ------------------------------------------------------- label smoothing, core


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_smooth_targets_closed_form(kind):
    activation, k = OUTPUTS[kind]
    Y = hard_targets(kind, np.random.default_rng(0), 10)
    smoothed = smooth_targets(Y, 0.2, activation)
    outcomes = k if activation == "softmax" else 2
    expected = np.where(Y == 1, 1 - 0.2 + 0.2 / outcomes, 0.2 / outcomes)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-15)
    if activation == "softmax":  # still a distribution: the fused delta needs it
        np.testing.assert_allclose(smoothed.sum(axis=1), 1.0, rtol=1e-15)
    assert smooth_targets(Y, 0.0, activation) is Y  # off: the very same targets
    assert smooth_targets(Y.astype(np.float32), 0.2, activation).dtype == np.float32


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_log_loss_gradient_matches_finite_differences_for_smoothed_targets(kind):
    activation, k = OUTPUTS[kind]
    loss = resolve_loss("log_loss", activation)
    rng = np.random.default_rng(1)
    Y = smooth_targets(hard_targets(kind, rng, 7), 0.3, activation)
    P = rng.uniform(0.05, 0.95, size=Y.shape)
    scale = weighted_scale(rng, 7)
    analytic = np.empty_like(P)
    loss.gradient(Y, P, scale, out=analytic)
    numeric = np.empty_like(P)
    for idx in np.ndindex(*P.shape):
        E = np.zeros_like(P)
        E[idx] = STEP
        numeric[idx] = (loss.value(Y, P + E, scale)
                        - loss.value(Y, P - E, scale)) / (2 * STEP)
    assert relative_error(analytic, numeric) < TOLERANCE


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_fused_output_delta_is_exact_for_smoothed_targets(kind):
    # P - Y is d loss(f(Z)) / d Z only if the targets allow it (softmax: rows
    # summing to 1); finite differences through the activation decide
    activation, k = OUTPUTS[kind]
    act, loss = ACTIVATIONS[activation], resolve_loss("log_loss", activation)
    rng = np.random.default_rng(2)
    Z = rng.uniform(-3, 3, size=(9, k))
    P = Z.copy()
    act.forward(P)
    Y = smooth_targets(hard_targets(kind, rng, 9), 0.25, activation)
    scale = weighted_scale(rng, 9)
    fused = output_delta(Y, P, scale, act, loss, out=np.empty_like(P))
    numeric = numeric_output_delta(act, loss, Y, Z, scale)
    assert relative_error(fused, numeric) < TOLERANCE


def test_smoothed_log_loss_is_smallest_at_the_smoothed_targets():
    # the cross-entropy to soft targets is minimised by P = Y_smooth, not one-hot
    loss = LOSSES["log_loss"]
    Y = np.eye(3)[[0, 1, 2, 0]]
    smoothed = smooth_targets(Y, 0.3, "softmax")
    at_target = loss.value(smoothed, smoothed, 0.25)
    nearer_one_hot = 0.5 * smoothed + 0.5 * Y
    assert at_target < loss.value(smoothed, nearer_one_hot, 0.25)


# -------------------------------------------- input noise, core and gradient


def _noise_problem(seed=0, n=12, n_features=5, dtype=np.float64):
    rng = np.random.RandomState(seed)
    relu, softmax = ACTIVATIONS["tanh"], ACTIVATIONS["softmax"]
    activations = [relu, relu, softmax]
    sizes = layer_sizes(n_features, (6, 4), 3)
    coefs, intercepts = init_params(sizes, activations[0], dtype, rng)
    X = rng.standard_normal((n, n_features)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.randint(0, 3, size=n)]
    sample_weight = rng.uniform(0.2, 2.0, size=n).astype(dtype)
    return dict(X=X, Y=Y, sample_weight=sample_weight, coefs=coefs,
                intercepts=intercepts, activations=activations, sizes=sizes,
                loss=resolve_loss("log_loss", "softmax"))


def replay_noisy_inputs(X, seed, input_dropout=0.0, input_noise=0.0):
    """The corrupted batch the documented recipe gives, from a fresh generator."""
    rng = np.random.RandomState(seed)
    noisy = X.copy()
    if input_dropout:
        kept = rng.random_sample(X.shape) >= input_dropout
        noisy = noisy * kept * (1.0 / (1.0 - input_dropout))
    if input_noise:
        noisy = noisy + rng.normal(0.0, input_noise, X.shape)
    return noisy


class RecordingOptimizer:
    """Keeps a copy of every gradient it is given and steps nothing."""

    def __init__(self):
        self.gradients = []

    def update(self, params, grads):
        self.gradients.append(grads[0].copy())


def _network_loss(problem, X, workspace):
    p = problem
    return loss_and_gradients(X, p["Y"], p["sample_weight"], p["coefs"], p["intercepts"],
                              p["activations"], p["loss"], 0.1, workspace)


@pytest.mark.parametrize("setting", NOISE_SETTINGS, ids=repr)
def test_training_gradient_matches_finite_differences_at_the_noisy_input(setting):
    """The gradient run_epoch steps with is that of the loss at the input it drew."""
    p = _noise_problem()
    n = p["X"].shape[0]
    X_before = p["X"].copy()
    params = ParameterVector(p["coefs"], p["intercepts"])
    p["coefs"], p["intercepts"] = params.coefs, params.intercepts
    workspace = Workspace(p["sizes"], n, np.float64, p["activations"], **setting)
    # one batch in the data's order: the generator's first draws are the noise
    batches = MinibatchSource(p["X"], p["Y"], p["sample_weight"], n, shuffle=False)
    optimizer = RecordingOptimizer()
    run_epoch(batches, np.random.RandomState(7), params, p["activations"], p["loss"],
              0.1, optimizer, workspace, epoch=1)
    np.testing.assert_array_equal(p["X"], X_before)  # the batch was a view of X

    X_noisy = replay_noisy_inputs(p["X"], 7, **setting)
    plain = Workspace(p["sizes"], n, np.float64, p["activations"])
    numeric = np.empty_like(params.vector)
    for i in range(params.vector.size):
        original = params.vector[i]
        params.vector[i] = original + STEP
        plus = _network_loss(p, X_noisy, plain)
        params.vector[i] = original - STEP
        minus = _network_loss(p, X_noisy, plain)
        params.vector[i] = original
        numeric[i] = (plus - minus) / (2 * STEP)
    [analytic] = optimizer.gradients
    assert relative_error(analytic, numeric) < TOLERANCE
    # and the noise mattered: the clean input's gradient is another one
    _network_loss(p, p["X"], plain)
    assert relative_error(analytic, plain.gradient_vector) > 1e-3


def test_sparse_and_dense_batches_get_the_same_noise():
    X = sp.random(20, 8, density=0.3, format="csr", random_state=0)
    ws = Workspace([8, 3], 20, np.float64, input_dropout=0.2, input_noise=0.1)
    dense = ws.draw_noisy_inputs(X.toarray(), np.random.RandomState(3)).copy()
    from_sparse = ws.draw_noisy_inputs(X, np.random.RandomState(3))
    np.testing.assert_array_equal(from_sparse, dense)
    np.testing.assert_array_equal(dense, replay_noisy_inputs(X.toarray(), 3, 0.2, 0.1))


def test_input_dropout_is_inverted_and_follows_the_rate():
    ones = np.ones((400, 250), dtype=np.float32)
    ws = Workspace([250, 2], 400, np.float32, input_dropout=0.25)
    noisy = ws.draw_noisy_inputs(ones, np.random.RandomState(0))
    assert noisy.dtype == np.float32
    assert set(np.unique(noisy)) == {0.0, np.float32(1 / 0.75)}
    # 100,000 Bernoulli(0.75) draws: the kept share is within 0.01 of 0.75
    assert abs(np.count_nonzero(noisy) / noisy.size - 0.75) < 0.01
    assert np.all(ones == 1)


def test_input_noise_has_the_given_standard_deviation():
    X = np.full((400, 250), 3.0)
    ws = Workspace([250, 2], 400, np.float64, input_noise=0.2)
    noise = ws.draw_noisy_inputs(X, np.random.RandomState(0)) - X
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.2) < 0.005
    # a fresh draw for the next batch
    assert not np.array_equal(ws.draw_noisy_inputs(X, np.random.RandomState(1)) - X,
                              noise)


def test_without_input_noise_the_workspace_has_no_buffer():
    ws = Workspace([5, 4, 3], 10, np.float64)
    assert ws.noisy_inputs is None and not ws.corrupts_inputs


# -------------------------------------------------------------- estimators


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_zero_settings_are_bit_identical_to_the_default(solver):
    X, y = _classification_data()
    kw = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=15, random_state=0)
    off = dict(label_smoothing=0.0) if solver == "lbfgs" else dict(
        label_smoothing=0.0, input_dropout=0.0, input_noise=0.0)
    _assert_same_weights(fit_quietly(MLPScratchClassifier(**kw, **off), X, y),
                         fit_quietly(MLPScratchClassifier(**kw), X, y))
    Xr, yr = make_regression(n_samples=80, n_features=5, random_state=0)
    off.pop("label_smoothing")
    _assert_same_weights(fit_quietly(MLPScratchRegressor(**kw, **off), Xr, yr / 100),
                         fit_quietly(MLPScratchRegressor(**kw), Xr, yr / 100))


@pytest.mark.parametrize("Estimator", [MLPScratchClassifier, MLPScratchRegressor])
def test_parameters_are_off_by_default(Estimator):
    params = Estimator().get_params()
    assert params["input_dropout"] == 0.0 and params["input_noise"] == 0.0
    assert (params.get("label_smoothing") == 0.0) == (Estimator is MLPScratchClassifier)


class TrainingSpy:
    """Wraps a solver of ``_base``: records the arrays it is handed, then trains."""

    def __init__(self, monkeypatch, name):
        self.calls = []
        real = getattr(base_module, name)

        def spy(X, Y, sample_weight, coefs, intercepts, *args, **kwargs):
            self.calls.append(dict(X=X.copy(), Y=Y.copy(), coefs=[W.copy() for W in coefs],
                                   intercepts=[b.copy() for b in intercepts],
                                   validation=kwargs.get("validation")))
            return real(X, Y, sample_weight, coefs, intercepts, *args, **kwargs)

        monkeypatch.setattr(base_module, name, spy)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_trains_on_smoothed_targets(monkeypatch, n_classes):
    X, y = _classification_data(n_classes)
    spy = TrainingSpy(monkeypatch, "fit_stochastic")
    clf = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(), label_smoothing=0.2,
                                          batch_size=len(y), shuffle=False,
                                          max_iter=1, random_state=0), X, y)
    [call] = spy.calls
    one_hot = clf._label_binarizer.transform(y).astype(float)
    outcomes = n_classes if n_classes > 2 else 2  # softmax over K, logistic over 2
    expected_Y = 0.8 * one_hot + 0.2 / outcomes
    np.testing.assert_allclose(call["Y"], expected_Y, rtol=1e-15)

    # the first epoch is one full batch: its loss is the closed-form
    # cross-entropy to the smoothed targets at the initial weights, plus L2
    [W], [b] = call["coefs"], call["intercepts"]
    Z = X @ W + b
    if n_classes > 2:
        log_p = Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
        per_sample = -(expected_Y * log_p).sum(axis=1)
    else:
        per_sample = -(expected_Y * -np.logaddexp(0, -Z)
                       + (1 - expected_Y) * -np.logaddexp(0, Z)).sum(axis=1)
    expected_loss = per_sample.mean() + 0.5 * clf.alpha * (W ** 2).sum() / len(y)
    assert clf.loss_curve_[0] == pytest.approx(expected_loss, rel=1e-10)


def test_label_smoothing_applies_to_lbfgs_and_multilabel(monkeypatch):
    X, _ = _classification_data()
    Y = (X[:, :3] > 0).astype(int)
    spy = TrainingSpy(monkeypatch, "fit_lbfgs")
    fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(4,), solver="lbfgs",
                                    label_smoothing=0.1, max_iter=3), X, Y)
    [call] = spy.calls
    np.testing.assert_allclose(call["Y"], 0.9 * Y + 0.05, rtol=1e-15)


def test_validation_keeps_the_hard_targets(monkeypatch):
    X, y = _classification_data()
    spy = TrainingSpy(monkeypatch, "fit_stochastic")
    clf = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(4,), label_smoothing=0.3,
                                          early_stopping=True, max_iter=3,
                                          random_state=0), X, y)
    [call] = spy.calls
    np.testing.assert_allclose(np.unique(call["Y"]), [0.1, 0.8])  # 0.3/3, 0.7 + 0.1
    validation = call["validation"]
    assert set(np.unique(validation.Y)) == {0.0, 1.0}
    # the recorded validation loss is the cross-entropy to the labels as given,
    # at the weights early stopping kept
    P = clf.predict_proba(validation.X)
    hard_loss = LOSSES["log_loss"].value(validation.Y, P, 1 / len(P))
    assert clf.validation_loss_curve_[clf.best_epoch_ - 1] == pytest.approx(hard_loss,
                                                                           rel=1e-12)


# trained to convergence (no plateau stop), so the outputs settle at the
# minimiser of the cross-entropy to the smoothed targets
CONVERGED = dict(learning_rate_init=0.01, max_iter=300, tol=0.0,
                 n_iter_no_change=np.inf, alpha=0.0, random_state=0)


def test_label_smoothing_tempers_confidence_on_separable_data():
    X, y = make_blobs(n_samples=150, centers=[[-4, -4], [0, 4], [4, -4]],
                      cluster_std=0.5, random_state=0)
    sharp = fit_quietly(MLPScratchClassifier((16,), **CONVERGED), X, y)
    smooth = fit_quietly(MLPScratchClassifier((16,), label_smoothing=0.3, **CONVERGED),
                         X, y)
    assert sharp.score(X, y) == smooth.score(X, y) == 1.0
    assert sharp.predict_proba(X).max(axis=1).mean() > 0.99
    # the targets are 0.8 / 0.1 / 0.1: the winning probability stays near 0.8
    confidence = smooth.predict_proba(X).max(axis=1)
    assert confidence.max() < 0.9
    assert confidence.mean() == pytest.approx(0.8, abs=0.03)


def test_label_smoothing_tempers_a_binary_logistic_output():
    X, y = make_blobs(n_samples=100, centers=[[-4, 0], [4, 0]], cluster_std=0.5,
                      random_state=0)
    sharp = fit_quietly(MLPScratchClassifier((8,), **CONVERGED), X, y)
    smooth = fit_quietly(MLPScratchClassifier((8,), label_smoothing=0.2, **CONVERGED),
                         X, y)
    assert sharp.score(X, y) == smooth.score(X, y) == 1.0
    assert sharp.predict_proba(X).max(axis=1).mean() > 0.99
    confidence = smooth.predict_proba(X).max(axis=1)  # the target is 0.9
    assert confidence.max() < 0.96
    assert confidence.mean() == pytest.approx(0.9, abs=0.03)


NOISY_ESTIMATORS = [
    (MLPScratchClassifier, dict(input_dropout=0.2, input_noise=0.1, label_smoothing=0.1)),
    (MLPScratchRegressor, dict(input_dropout=0.2, input_noise=0.1)),
]


def _data_for(Estimator):
    if Estimator is MLPScratchClassifier:
        return _classification_data()
    X, y = make_regression(n_samples=120, n_features=6, random_state=0)
    return X, y / 100


@pytest.mark.parametrize("Estimator, setting", NOISY_ESTIMATORS)
def test_same_seed_same_weights_other_seed_other_weights(Estimator, setting):
    X, y = _data_for(Estimator)

    def fit(seed, **extra):
        kw = dict(hidden_layer_sizes=(8,), max_iter=10, batch_size=32, random_state=seed)
        return fit_quietly(Estimator(**kw, **{**setting, **extra}), X, y)

    _assert_same_weights(fit(0), fit(0))
    assert not np.array_equal(fit(0).coefs_[0], fit(1).coefs_[0])
    # the noise is really applied: the same seed without it trains differently
    quiet = fit(0, input_dropout=0.0, input_noise=0.0)
    assert not np.array_equal(fit(0).coefs_[0], quiet.coefs_[0])


@pytest.mark.parametrize("make_X", [np.asarray, lambda X: X.astype(np.float32),
                                    sp.csr_matrix], ids=["float64", "float32", "csr"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("Estimator, setting", NOISY_ESTIMATORS)
def test_fit_leaves_X_unchanged(Estimator, setting, shuffle, make_X):
    X, y = _data_for(Estimator)
    X = make_X(X)
    before = X.copy()
    # shuffle=False with one batch hands training a view of X itself
    fit_quietly(Estimator(hidden_layer_sizes=(8,), max_iter=3, shuffle=shuffle,
                         batch_size=len(y), random_state=0, **setting), X, y)
    if sp.issparse(X):
        assert (X != before).nnz == 0
    else:
        np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("Estimator, setting", NOISY_ESTIMATORS)
def test_predictions_see_no_noise(Estimator, setting):
    X, y = _data_for(Estimator)
    model = fit_quietly(Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=0,
                                 **setting), X, y)
    np.testing.assert_array_equal(model.predict(X), model.predict(X))
    # the plain forward pass on the clean input, written out (relu hidden layer)
    A = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0)
    Z = A @ model.coefs_[1] + model.intercepts_[1]
    if Estimator is MLPScratchClassifier:
        P = np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))
        np.testing.assert_allclose(model.predict_proba(X), P, rtol=1e-12)
    else:
        np.testing.assert_allclose(model.predict(X), Z.ravel(), rtol=1e-12)


@pytest.mark.parametrize("Estimator, setting", NOISY_ESTIMATORS)
def test_partial_fit_and_warm_start_use_the_regularisers(Estimator, setting):
    X, y = _data_for(Estimator)
    extra = {"classes": np.unique(y)} if Estimator is MLPScratchClassifier else {}

    def partial_fits(**params):
        model = Estimator(hidden_layer_sizes=(8,), random_state=0, **params)
        for _ in range(3):
            model.partial_fit(X, y, **extra)
        return model

    noisy = partial_fits(**setting)
    _assert_same_weights(noisy, partial_fits(**setting))
    assert noisy.t_ == 3 * len(y)
    assert not np.array_equal(noisy.coefs_[0], partial_fits().coefs_[0])

    model = Estimator(hidden_layer_sizes=(8,), max_iter=4, warm_start=True,
                      random_state=0, **setting)
    first = [W.copy() for W in fit_quietly(model, X, y).coefs_]
    fit_quietly(model, X, y)
    assert len(model.loss_curve_) == 8  # the second fit went on from the first
    assert not np.array_equal(model.coefs_[0], first[0])


# -------------------------------------------------------------- validation


@pytest.mark.parametrize("Estimator", [MLPScratchClassifier, MLPScratchRegressor])
@pytest.mark.parametrize("name", ["input_dropout", "input_noise"])
def test_lbfgs_rejects_input_noise(Estimator, name):
    X, y = _data_for(Estimator)
    with pytest.raises(ValueError, match=f"{name} needs a stochastic solver"):
        Estimator(solver="lbfgs", **{name: 0.1}).fit(X, y)


def test_label_smoothing_needs_log_loss():
    X, y = _classification_data()
    with pytest.raises(ValueError, match="label_smoothing applies to loss='log_loss'"):
        MLPScratchClassifier(loss="squared_error", label_smoothing=0.1).fit(X, y)


@pytest.mark.parametrize("Estimator, name, value", [
    (MLPScratchClassifier, "label_smoothing", 1.0),
    (MLPScratchClassifier, "label_smoothing", -0.1),
    (MLPScratchClassifier, "label_smoothing", "0.1"),
    (MLPScratchClassifier, "input_dropout", 1.0),
    (MLPScratchRegressor, "input_dropout", -0.5),
    (MLPScratchClassifier, "input_noise", -1.0),
    (MLPScratchRegressor, "input_noise", None),
])
def test_invalid_values_are_rejected_naming_the_parameter(Estimator, name, value):
    X, y = _data_for(Estimator)
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        Estimator(**{name: value}).fit(X, y)


def test_the_regressor_has_no_label_smoothing():
    assert "label_smoothing" not in MLPScratchRegressor().get_params()
    with pytest.raises(TypeError):
        MLPScratchRegressor(label_smoothing=0.1)
