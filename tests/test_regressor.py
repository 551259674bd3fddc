"""MLPScratchRegressor's own promises: shapes and dtypes, the losses' meaning,
the targets each loss accepts, validation, persistence and failure safety.

What it shares with the classifier (the training driver, schedules, callbacks)
is tested through the classifier; parity with scikit-learn's MLPRegressor is in
``test_parity.py``; scikit-learn's estimator checks in ``test_common.py``.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import mean_absolute_error, r2_score

from skmlp_scratch import MLPScratchRegressor, TrainingDivergedError
from conftest import fit_quietly


def _data(n=300, seed=0, n_outputs=None):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.randn(n)
    if n_outputs:
        y = np.column_stack([y * (k + 1) for k in range(n_outputs)])
    return X, y


def _small(**params):
    defaults = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60,
                    random_state=0)
    defaults.update(params)
    return MLPScratchRegressor(**defaults)


# ------------------------------------------------------------- shapes, dtypes


def test_one_dimensional_y_predicts_one_dimension():
    X, y = _data()
    reg = fit_quietly(_small(), X, y)
    assert reg.predict(X).shape == (X.shape[0],)
    assert reg.n_outputs_ == 1 and reg.out_activation_ == "identity"
    assert r2_score(y, reg.predict(X)) > 0.8


def test_multi_output_y_predicts_one_column_per_output():
    X, Y = _data(n_outputs=3)
    reg = fit_quietly(_small(max_iter=100), X, Y)
    assert reg.predict(X).shape == (X.shape[0], 3)
    assert reg.score(X, Y) > 0.8


def test_column_y_warns_and_predicts_one_dimension():
    X, y = _data()
    with pytest.warns(DataConversionWarning, match="column-vector y was passed"):
        reg = fit_quietly(_small(max_iter=5), X, y[:, np.newaxis])
    assert reg.predict(X).shape == (X.shape[0],)


def test_float32_input_trains_and_predicts_in_float32():
    X, y = _data()
    reg = fit_quietly(_small(max_iter=5), X.astype(np.float32), y)
    assert all(a.dtype == np.float32 for a in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


def test_sparse_input_gives_the_dense_results():
    X, y = _data()
    X[np.abs(X) < 0.5] = 0.0
    dense = fit_quietly(_small(max_iter=10), X, y)
    sparse = fit_quietly(_small(max_iter=10), sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X),
                               rtol=1e-10)


def test_pandas_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = fit_quietly(_small(max_iter=5), frame, pd.Series(y))
    assert list(reg.feature_names_in_) == ["a", "b", "c", "d"]
    plain = fit_quietly(_small(max_iter=5), X, y)
    np.testing.assert_array_equal(reg.predict(frame), plain.predict(X))


# ------------------------------------------------------------------- losses


def test_huber_with_a_delta_beyond_every_residual_is_squared_error():
    # 0.5 r^2 inside delta: the same loss, gradient and so the same training
    X, y = _data()
    squared = fit_quietly(_small(max_iter=10), X, y)
    huber = fit_quietly(_small(loss="huber", huber_delta=1e6, max_iter=10), X, y)
    np.testing.assert_allclose(huber.loss_curve_, squared.loss_curve_, rtol=1e-12)


def test_robust_losses_resist_outliers_that_pull_squared_error():
    rng = np.random.RandomState(1)
    X = rng.uniform(-2, 2, (400, 1))
    y = 2 * X[:, 0] + 0.1 * rng.randn(400)
    y_dirty = y.copy()
    y_dirty[rng.rand(400) < 0.15] += 40.0  # one-sided gross errors
    errors = {}
    for loss in ("squared_error", "huber", "absolute_error"):
        reg = fit_quietly(_small(loss=loss, hidden_layer_sizes=(8,), max_iter=300), X,
                          y_dirty)
        errors[loss] = mean_absolute_error(y, reg.predict(X))
    assert errors["huber"] < errors["squared_error"] / 3
    assert errors["absolute_error"] < errors["squared_error"] / 3


def test_poisson_predicts_positive_rates_through_the_log_link():
    rng = np.random.RandomState(0)
    X = rng.randn(600, 3)
    rate = np.exp(0.8 * X[:, 0] - 0.3 * X[:, 1])
    y = rng.poisson(rate)
    reg = fit_quietly(_small(loss="poisson", max_iter=150), X, y)
    assert reg.out_activation_ == "exp"
    predicted = reg.predict(X)
    assert np.all(predicted > 0)
    # the fitted rate follows the true one, not only the counts' mean
    assert np.corrcoef(np.log(predicted), np.log(rate))[0, 1] > 0.9


@pytest.mark.parametrize("where", ["y", "y_val"])
def test_poisson_rejects_negative_targets_with_a_clear_error(where):
    X, y = _data()
    counts = np.abs(np.round(y))
    bad = counts.copy()
    bad[3] = -2.0
    reg = _small(loss="poisson", max_iter=2)
    with pytest.raises(ValueError, match=rf"loss='poisson' needs non-negative "
                                         rf"targets.*{where} has negative values"):
        if where == "y":
            reg.fit(X, bad)
        else:
            reg.fit(X, counts, X_val=X, y_val=bad)


def test_poisson_accepts_zero_counts():
    X, _ = _data()
    fit_quietly(_small(loss="poisson", max_iter=2), X, np.zeros(X.shape[0]))


def test_the_tags_ask_for_non_negative_targets_only_for_poisson():
    assert MLPScratchRegressor(loss="poisson").__sklearn_tags__().target_tags.positive_only
    assert not MLPScratchRegressor().__sklearn_tags__().target_tags.positive_only


def test_non_finite_targets_are_rejected():
    X, y = _data()
    y[0] = np.inf
    with pytest.raises(ValueError):
        MLPScratchRegressor().fit(X, y)


def test_unknown_loss_names_the_choices():
    X, y = _data()
    with pytest.raises(ValueError, match="loss.*'huber'"):
        MLPScratchRegressor(loss="log_loss").fit(X, y)


# ------------------------------------------------- validation and training


def test_validation_scores_are_r2_by_default():
    X, y = _data()
    X_val, y_val = _data(seed=1)
    reg = fit_quietly(_small(max_iter=1), X, y, X_val=X_val, y_val=y_val)
    assert reg.validation_scores_ == [pytest.approx(r2_score(y_val, reg.predict(X_val)))]


def test_early_stopping_restores_the_best_epoch():
    X, y = _data(n=400)
    reg = fit_quietly(_small(early_stopping=True, max_iter=200, n_iter_no_change=5), X, y)
    best = int(np.argmax(reg.validation_scores_))
    assert reg.best_epoch_ == best + 1
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert reg.best_loss_ is None


def test_partial_fit_runs_one_epoch_per_call():
    X, y = _data()
    reg = _small()
    for _ in range(3):
        reg.partial_fit(X, y)
    assert len(reg.loss_curve_) == 3 and reg.n_iter_ == 1
    assert reg.t_ == 3 * X.shape[0]
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, np.column_stack([y, y]))


def test_a_huge_step_raises_training_diverged_at_the_epoch():
    X, y = _data()
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        _small(solver="sgd", learning_rate_init=1e6, momentum=0.0).fit(X * 1e3, y)


def test_a_failed_fit_leaves_a_fitted_regressor_untouched():
    X, y = _data()
    reg = fit_quietly(_small(max_iter=5), X, y)
    before = pickle.dumps(reg)
    reg.set_params(loss="poisson")
    with pytest.raises(ValueError, match="non-negative"):
        reg.fit(X, y)
    reg.set_params(loss="squared_error")
    assert pickle.dumps(reg) == before


def test_hidden_representation_has_the_layer_width():
    X, y = _data()
    reg = fit_quietly(_small(hidden_layer_sizes=(8, 5), max_iter=3), X, y)
    assert reg.hidden_representation(X).shape == (X.shape[0], 5)
    assert reg.hidden_representation(X, layer=0).shape == (X.shape[0], 8)


def test_same_random_state_is_bit_identical():
    X, y = _data()
    a = fit_quietly(_small(dropout=0.2), X, y)
    b = fit_quietly(_small(dropout=0.2), X, y)
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(p, q)


def test_pickle_round_trip_continues_training_identically():
    X, y = _data()
    reg = _small()
    reg.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(reg))
    reg.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), copy.predict(X))
