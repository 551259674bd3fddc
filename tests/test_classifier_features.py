"""Training features beyond MLPClassifier: per-layer activations, dropout,
initialisation, AdamW, schedules, clipping, a validation set of one's own,
scoring, class weights, a time budget, history and hidden representations."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.utils.class_weight import compute_sample_weight

from skmlp_scratch import MLPScratchClassifier
from conftest import fit_quietly


def _data(n_samples=200, seed=0):
    X, y = make_blobs(n_samples, 5, centers=3, cluster_std=3.0, random_state=seed)
    return X / 10, y


def _clf(**params):
    defaults = dict(hidden_layer_sizes=(12, 6), learning_rate_init=0.01, max_iter=15,
                    batch_size=32, random_state=0)
    return MLPScratchClassifier(**{**defaults, **params})


def _weights(clf):
    return clf.coefs_ + clf.intercepts_


def _assert_same_weights(a, b):
    for x, y in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------- activations


def test_one_activation_per_hidden_layer():
    X, y = _data()
    clf = fit_quietly(_clf(activation=["tanh", "relu"]), X, y)
    first = clf.hidden_representation(X, layer=0)
    second = clf.hidden_representation(X, layer=1)
    assert np.abs(first).max() < 1 and first.min() < 0  # tanh
    assert second.min() == 0  # relu
    # a list of equal entries is the single value
    _assert_same_weights(fit_quietly(_clf(activation=["tanh", "tanh"]), X, y),
                         fit_quietly(_clf(activation="tanh"), X, y))


@pytest.mark.parametrize("params, message", [
    (dict(activation=["tanh"]), "activation has 1 entries but hidden_layer_sizes has 2"),
    (dict(activation=["tanh", "softmax"]), "activation entries must be among"),
    (dict(dropout=[0.1, 0.2, 0.3]), "dropout has 3 entries"),
    (dict(dropout=[0.1, 1.0]), r"dropout rates must be numbers in \[0, 1\)"),
    (dict(solver="lbfgs", dropout=0.2), "dropout needs a stochastic solver"),
])
def test_per_layer_parameters_are_checked(params, message):
    X, y = _data()
    clf = _clf(**params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


# ----------------------------------------------------------------- dropout


def test_dropout_zero_changes_nothing_and_dropout_changes_training():
    X, y = _data()
    plain = fit_quietly(_clf(), X, y)
    _assert_same_weights(fit_quietly(_clf(dropout=0.0), X, y), plain)
    _assert_same_weights(fit_quietly(_clf(dropout=[0.0, 0.0]), X, y), plain)
    dropped = fit_quietly(_clf(dropout=0.3), X, y)
    assert not np.array_equal(dropped.coefs_[0], plain.coefs_[0])
    # same random_state, same masks: bit-identical
    _assert_same_weights(fit_quietly(_clf(dropout=0.3), X, y), dropped)
    # only the second layer dropped: still a different run
    assert not np.array_equal(fit_quietly(_clf(dropout=[0.0, 0.5]), X, y).coefs_[0],
                              plain.coefs_[0])


def test_dropout_predictions_are_deterministic_and_use_every_unit():
    X, y = _data()
    clf = fit_quietly(_clf(dropout=0.5, max_iter=30), X, y)
    P = clf.predict_proba(X)
    np.testing.assert_array_equal(P, clf.predict_proba(X))
    # the prediction is the plain forward pass through all units, unscaled
    A = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
    Z = A @ clf.coefs_[-1] + clf.intercepts_[-1]
    expected = np.exp(Z - Z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(P, expected / expected.sum(axis=1, keepdims=True),
                               rtol=1e-10)
    assert clf.score(X, y) > 0.8


# ---------------------------------------------------------- initialisation


def test_init_draws_other_weights_and_he_scales_with_fan_in():
    X, y = _data()
    glorot = _clf(max_iter=1)
    he = _clf(max_iter=1, init="he_normal", learning_rate_init=1e-12)
    fit_quietly(glorot, X, y)
    fit_quietly(he, X, y)
    assert not np.array_equal(glorot.coefs_[0], he.coefs_[0])
    np.testing.assert_allclose(he.intercepts_[0], 0, atol=1e-9)


# -------------------------------------------------------- AdamW, schedules


def test_adamw_without_decay_is_adam_and_with_decay_shrinks_the_weights():
    X, y = _data()
    adam = fit_quietly(_clf(solver="adam", alpha=0.0), X, y)
    _assert_same_weights(fit_quietly(_clf(solver="adamw", weight_decay=0.0, alpha=0.0), X, y),
                         adam)
    decayed = fit_quietly(_clf(solver="adamw", weight_decay=5.0, alpha=0.0), X, y)
    norm = sum(np.sum(W ** 2) for W in decayed.coefs_)
    assert norm < 0.5 * sum(np.sum(W ** 2) for W in adam.coefs_)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("schedule, expected", [
    ("cosine", lambda k: 0.5 * 0.01 * (1 + math.cos(math.pi * k / 8))),
    ("step", lambda k: 0.01 * 0.5 ** (k // 3)),
    ("constant", lambda k: 0.01),
])
def test_history_records_the_scheduled_learning_rate(solver, schedule, expected):
    X, y = _data()
    clf = fit_quietly(_clf(solver=solver, learning_rate=schedule, max_iter=8, lr_step_size=3,
                    lr_gamma=0.5, n_iter_no_change=100), X, y)
    rates = [record["learning_rate"] for record in clf.history_]
    np.testing.assert_allclose(rates, [expected(k) for k in range(8)], rtol=1e-12)


def test_warm_up_ramps_linearly_into_the_schedule():
    X, y = _data()
    clf = fit_quietly(_clf(learning_rate="cosine", warmup_epochs=3, max_iter=8,
                    n_iter_no_change=100), X, y)
    rates = [record["learning_rate"] for record in clf.history_]
    np.testing.assert_allclose(rates[:3], [0.0025, 0.005, 0.0075], rtol=1e-12)
    np.testing.assert_allclose(rates[3:], [0.5 * 0.01 * (1 + math.cos(math.pi * k / 5))
                                           for k in range(5)], rtol=1e-12)


def test_a_cosine_schedule_ends_at_max_iter_without_a_convergence_warning():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _clf(learning_rate="cosine", max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        _clf(learning_rate="step", max_iter=3).fit(X, y)


def test_partial_fit_continues_the_schedule():
    X, y = _data()
    clf = _clf(learning_rate="step", lr_step_size=2, lr_gamma=0.5)
    for _ in range(5):
        clf.partial_fit(X, y, classes=np.unique(y))
    rates = [record["learning_rate"] for record in clf.history_]
    np.testing.assert_allclose(rates, [0.01, 0.01, 0.005, 0.005, 0.0025])


def test_gradient_clipping_bounds_every_step():
    X, y = _data()
    X = X * 100  # large gradients
    params = dict(solver="sgd", momentum=0.0, learning_rate_init=0.1, batch_size=50)
    clipped = _clf(max_grad_norm=1e-3, **params)
    clipped.partial_fit(X, y, classes=np.unique(y))
    start = _clf(max_iter=1, learning_rate_init=1e-300, solver="sgd", momentum=0.0)
    start.partial_fit(X, y, classes=np.unique(y))  # the initial weights, unmoved
    moved = np.sqrt(sum(np.sum((a - b) ** 2)
                        for a, b in zip(_weights(clipped), _weights(start))))
    # 4 batches, each step at most lr * max_grad_norm long
    assert moved <= 4 * 0.1 * 1e-3 * (1 + 1e-6)
    unclipped = _clf(**params)
    unclipped.partial_fit(X, y, classes=np.unique(y))
    assert not np.array_equal(unclipped.coefs_[0], clipped.coefs_[0])


# -------------------------------------------------- validation and scoring


def test_own_validation_set_is_recorded_every_epoch():
    X, y = _data(seed=0)
    X_val, y_val = _data(n_samples=90, seed=0)
    clf = fit_quietly(_clf(), X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_
    # the last record is the returned model's (no early stopping: last weights)
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X_val, y_val))
    assert clf.validation_loss_curve_[-1] == pytest.approx(
        log_loss(y_val, clf.predict_proba(X_val)), rel=1e-6)
    assert [r["val_score"] for r in clf.history_] == clf.validation_scores_


def test_early_stopping_on_own_validation_set_restores_the_best_epoch():
    X, y = _data(seed=0)
    X_val, y_val = _data(n_samples=90, seed=1)
    clf = fit_quietly(_clf(early_stopping=True, max_iter=60, n_iter_no_change=5,
                    scoring="loss"), X, y, X_val=X_val, y_val=y_val)
    best = int(np.argmax(clf.validation_scores_))
    assert clf.best_epoch_ == best + 1
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    np.testing.assert_allclose(clf.validation_scores_, -np.array(
        clf.validation_loss_curve_))
    assert -log_loss(y_val, clf.predict_proba(X_val)) == pytest.approx(
        clf.best_validation_score_, rel=1e-6)


def test_scoring_by_name_and_callable():
    X, y = _data()
    X_val, y_val = _data(n_samples=90, seed=1)
    named = fit_quietly(_clf(scoring="f1_macro"), X, y, X_val=X_val, y_val=y_val)
    assert named.validation_scores_[-1] == pytest.approx(
        f1_score(y_val, named.predict(X_val), average="macro"))

    def errors(estimator, X, y):
        return -float(np.sum(estimator.predict(X) != y))

    called = fit_quietly(_clf(scoring=errors), X, y, X_val=X_val, y_val=y_val)
    assert called.validation_scores_[-1] == errors(called, X_val, y_val)


def test_validation_sample_weights_weigh_the_score():
    X, y = _data()
    X_val, y_val = _data(n_samples=90, seed=1)
    w = np.where(y_val == 0, 5.0, 1.0)
    clf = fit_quietly(_clf(), X, y, X_val=X_val, y_val=y_val, sample_weight_val=w)
    assert clf.validation_scores_[-1] == pytest.approx(
        accuracy_score(y_val, clf.predict(X_val), sample_weight=w))


@pytest.mark.parametrize("kwargs, message", [
    (dict(X_val=np.zeros((3, 5))), "X_val and y_val go together"),
    (dict(sample_weight_val=np.ones(3)), "sample_weight_val was given without"),
    (dict(X_val=np.zeros((3, 4)), y_val=[0, 1, 2]), "features"),
    (dict(X_val=np.zeros((3, 5)), y_val=[0, 1, 7]), "y_val has classes not seen"),
])
def test_bad_validation_input_leaves_a_fitted_estimator_unchanged(kwargs, message):
    X, y = _data()
    clf = fit_quietly(_clf(), X, y)
    before = [a.copy() for a in _weights(clf)]
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, **kwargs)
    for a, b in zip(_weights(clf), before):
        np.testing.assert_array_equal(a, b)


def test_validation_set_needs_a_stochastic_solver():
    X, y = _data()
    with pytest.raises(ValueError, match="X_val needs a stochastic solver"):
        _clf(solver="lbfgs").fit(X, y, X_val=X, y_val=y)


def test_unknown_scorer_name_is_an_error():
    X, y = _data()
    with pytest.raises(ValueError, match="not_a_metric"):
        _clf(scoring="not_a_metric").fit(X, y, X_val=X, y_val=y)


# ------------------------------------------------------------ class weights


def test_balanced_class_weight_equals_the_sample_weights_it_stands_for():
    X, y = _data()
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 is rare
    X, y = X[keep], y[keep]
    weighted = fit_quietly(_clf(class_weight="balanced"), X, y)
    explicit = fit_quietly(_clf(), X, y, sample_weight=compute_sample_weight("balanced", y))
    _assert_same_weights(weighted, explicit)


def test_class_weight_dict_multiplies_sample_weight():
    X, y = _data()
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    cw = {0: 3.0, 1: 1.0, 2: 0.5}
    both = fit_quietly(_clf(class_weight=cw), X, y, sample_weight=sw)
    product = fit_quietly(_clf(), X, y, sample_weight=sw * np.vectorize(cw.get)(y))
    _assert_same_weights(both, product)


def test_class_weight_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="class_weight has classes not in the data"):
        _clf(class_weight={0: 1.0, 9: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="partial_fit"):
        _clf(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    Xm, Ym = make_multilabel_classification(50, 5, n_classes=3, random_state=0)
    with pytest.raises(ValueError, match="not supported for multilabel"):
        _clf(class_weight="balanced").fit(Xm, Ym)


# ------------------------------------------------- time budget and history


def test_max_time_stops_after_the_epoch_that_crosses_it(capsys):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # not a convergence failure
        clf = _clf(max_time=1e-9, max_iter=50, verbose=True).fit(X, y)
    assert clf.n_iter_ == 1
    assert "max_time=1e-09 s reached after epoch 1" in capsys.readouterr().out


def test_max_time_with_early_stopping_keeps_the_best_weights():
    X, y = _data()
    clf = _clf(max_time=1e-9, early_stopping=True).fit(X, y)
    assert clf.n_iter_ == 1 and clf.best_epoch_ == 1


def test_history_is_plain_data_matching_the_curves():
    X, y = _data()
    clf = fit_quietly(_clf(early_stopping=True, max_iter=6, n_iter_no_change=100), X, y)
    assert len(clf.history_) == 6
    assert [r["epoch"] for r in clf.history_] == list(range(1, 7))
    assert [r["train_loss"] for r in clf.history_] == clf.loss_curve_
    assert [r["val_loss"] for r in clf.history_] == clf.validation_loss_curve_
    assert all(r["epoch_time"] > 0 for r in clf.history_)
    assert all(type(v) in (int, float) for r in clf.history_ for v in r.values())
    no_validation = fit_quietly(_clf(max_iter=3), X, y)
    assert all(r["val_loss"] is None and r["val_score"] is None
               for r in no_validation.history_)


# --------------------------------------------------- hidden representations


def test_hidden_representation_is_the_layer_output():
    X, y = _data()
    clf = fit_quietly(_clf(activation=["tanh", "logistic"]), X, y)
    first = np.tanh(X @ clf.coefs_[0] + clf.intercepts_[0])
    second = 1 / (1 + np.exp(-(first @ clf.coefs_[1] + clf.intercepts_[1])))
    np.testing.assert_allclose(clf.hidden_representation(X, layer=0), first, rtol=1e-12)
    np.testing.assert_allclose(clf.hidden_representation(X), second, rtol=1e-12)
    assert clf.hidden_representation(X.astype(np.float32)).shape == (len(X), 6)


@pytest.mark.parametrize("layer", [2, -3, 0.5])
def test_hidden_representation_rejects_a_layer_that_is_not_there(layer):
    X, y = _data()
    clf = fit_quietly(_clf(), X, y)
    with pytest.raises(ValueError, match=r"layer must be an integer in \[-2, 2\)"):
        clf.hidden_representation(X, layer=layer)


# ------------------------------------------------ drop-in for scikit-learn's values


def test_n_iter_no_change_inf_never_stops_on_a_plateau():
    # scikit-learn accepts np.inf: training runs to max_iter whatever the loss does
    from sklearn.neural_network import MLPClassifier
    X, y = _data()
    params = dict(hidden_layer_sizes=(8,), tol=1e3, n_iter_no_change=np.inf,
                  max_iter=15, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        ours = MLPScratchClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        theirs = MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 15
    # and a finite count with that tol stops early, so the test can fail
    stopped = MLPScratchClassifier(**{**params, "n_iter_no_change": 2}).fit(X, y)
    assert stopped.n_iter_ < 15


def test_lbfgs_multilabel_probabilities_stay_strictly_inside_zero_one():
    # sklearn's check_classifiers_multilabel_output_format_predict_proba data:
    # L-BFGS drives some logistic outputs to exactly 1.0 in floating point
    X, Y = make_multilabel_classification(n_samples=100, n_features=20, n_classes=5,
                                          random_state=0)
    clf = MLPScratchClassifier(solver="lbfgs", max_iter=500, random_state=0).fit(X, Y)
    raw = clf._network_outputs(X)
    assert raw.max() == 1.0  # the case being guarded against does occur
    proba = clf.predict_proba(X)
    assert np.all(proba > 0) and np.all(proba < 1)
    np.testing.assert_array_equal(clf.predict(X), (raw > 0.5).astype(int))
