"""Behaviour of MLPScratchClassifier as a user sees it through its public API."""

import copy
import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

import skmlp_scratch._training as training_module
from skmlp_scratch import MLPScratchClassifier, TrainingDivergedError
from conftest import fit_quietly, short_training

SOLVERS = ["adam", "sgd", "lbfgs"]


def _blobs(n_samples=120, n_features=4, centers=3, seed=0):
    X, y = make_blobs(n_samples, n_features, centers=centers, cluster_std=1.0,
                      random_state=seed)
    return X, y


def _small(**params):
    defaults = dict(hidden_layer_sizes=(10,), learning_rate_init=0.01, max_iter=50,
                    random_state=0)
    defaults.update(params)
    return MLPScratchClassifier(**defaults)


# ------------------------------------------------------------------ learning


@pytest.mark.parametrize("solver, params", [
    ("lbfgs", {}),
    ("adam", dict(learning_rate_init=0.05, max_iter=500)),
])
def test_xor_is_learned_with_tanh(solver, params):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    clf = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(8,), activation="tanh",
                                            solver=solver, random_state=0, **params), X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    assert clf.score(X, y) == 1.0


# ------------------------------------------------------------------- labels


def test_string_labels_round_trip():
    X, y = _blobs()
    names = np.array(["dog", "cat", "bird"])
    y_str = names[y]
    clf = fit_quietly(_small(), X, y_str)
    np.testing.assert_array_equal(clf.classes_, ["bird", "cat", "dog"])
    pred = clf.predict(X)
    assert pred.dtype.kind in "UO"
    assert set(pred) <= {"bird", "cat", "dog"}
    # well-separated blobs: a wrong label mapping would give a low accuracy
    assert np.mean(pred == y_str) > 0.95
    np.testing.assert_array_equal(clf.classes_[clf.predict_proba(X).argmax(axis=1)], pred)


@pytest.mark.parametrize("labels", [[-1, 7], [10, 3, -5]], ids=["binary", "multiclass"])
def test_arbitrary_integer_labels_round_trip(labels):
    X, y = _blobs(centers=len(labels))
    y_mapped = np.array(labels)[y]
    clf = fit_quietly(_small(), X, y_mapped)
    np.testing.assert_array_equal(clf.classes_, sorted(labels))
    pred = clf.predict(X)
    assert pred.dtype.kind == "i"
    assert set(pred) <= set(labels)
    assert np.mean(pred == y_mapped) > 0.95


@pytest.mark.parametrize("n_classes", [2, 4], ids=["binary", "multiclass"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_single_output_shapes_and_probabilities(n_classes, solver):
    X, y = _blobs(centers=n_classes)
    clf = fit_quietly(_small(solver=solver), X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    pred = clf.predict(X)
    assert pred.shape == (X.shape[0],)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert clf.n_outputs_ == (1 if n_classes == 2 else n_classes)
    assert clf.out_activation_ == ("logistic" if n_classes == 2 else "softmax")


def test_multilabel_indicator_targets():
    rng = np.random.RandomState(0)
    X = rng.randn(150, 5)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5]).astype(int)
    clf = fit_quietly(_small(solver="lbfgs", max_iter=200), X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == "logistic"
    pred = clf.predict(X)
    proba = clf.predict_proba(X)
    assert pred.shape == proba.shape == (150, 3)
    assert set(np.unique(pred)) <= {0, 1}
    assert np.all((proba >= 0) & (proba <= 1))
    # labels are independent: rows need not sum to one, and they do not here
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert np.mean(pred == Y) > 0.9
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-12)


# ------------------------------------------------------------ reproducibility


@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_is_bit_identical_and_other_seeds_differ(solver):
    X, y = _blobs()
    probas = [fit_quietly(_small(solver=solver, max_iter=20, random_state=seed), X, y)
              .predict_proba(X) for seed in (3, 3, 4)]
    assert np.array_equal(probas[0], probas[1])
    assert not np.allclose(probas[0], probas[2])


# ------------------------------------------------------------ dtypes, inputs


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(solver, dtype):
    X, y = _blobs()
    clf = fit_quietly(_small(solver=solver, max_iter=10), X.astype(dtype), y)
    assert all(a.dtype == dtype for a in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_numpy_scalar_hyper_parameters_train_like_python_floats(solver):
    # a grid built with np.logspace hands over NumPy float64 scalars; they must
    # not turn float32 updates into float64 ones (a different rounding)
    X, y = make_classification(n_samples=80, n_features=6, random_state=0)
    X = X.astype(np.float32)
    values = dict(alpha=1e-3, learning_rate_init=0.01, momentum=0.8, beta_1=0.85,
                  beta_2=0.99, epsilon=1e-7)
    common = dict(hidden_layer_sizes=(7,), solver=solver, max_iter=5, batch_size=16,
                  random_state=0)
    with short_training():
        plain = MLPScratchClassifier(**common, **values).fit(X, y)
        numpy = MLPScratchClassifier(
            **common, **{k: np.float64(v) for k, v in values.items()}).fit(X, y)
    for got, expected in zip(numpy.coefs_ + numpy.intercepts_,
                             plain.coefs_ + plain.intercepts_):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, expected)


def test_integer_input_is_trained_in_float64():
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=5), np.round(X).astype(np.int64), y)
    assert all(a.dtype == np.float64 for a in clf.coefs_ + clf.intercepts_)


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_matrix], ids=["csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_sparse_input_gives_the_dense_result(solver, to_sparse):
    X, y = _blobs()
    X[np.abs(X) < 2] = 0.0  # make the matrix actually sparse
    dense = fit_quietly(_small(solver=solver, max_iter=30), X, y)
    sparse = fit_quietly(_small(solver=solver, max_iter=30), to_sparse(X), y)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dense.predict_proba(to_sparse(X)), dense.predict_proba(X),
                               rtol=1e-12, atol=1e-15)


def test_dataframe_sets_feature_names_in():
    pd = pytest.importorskip("pandas")
    X, y = _blobs()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = fit_quietly(_small(max_iter=10), df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.n_features_in_ == 4
    # a DataFrame converts to a Fortran-ordered array: same numbers up to BLAS rounding
    np.testing.assert_allclose(clf.predict_proba(df),
                               fit_quietly(_small(max_iter=10), X, y).predict_proba(X),
                               rtol=1e-12, atol=1e-15)


def test_numpy_input_sets_no_feature_names():
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=5), X, y)
    assert not hasattr(clf, "feature_names_in_")


@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_round_trip_gives_identical_predictions(solver):
    X, y = _blobs()
    clf = fit_quietly(_small(solver=solver, max_iter=20), X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


# ---------------------------------------------------------------- warm_start


def test_warm_start_continues_exactly_where_the_previous_fit_stopped():
    # full-batch SGD without momentum has no optimizer state, so 5 epochs and then
    # 3 more from the same weights are exactly 8 epochs in one go
    X, y = _blobs()
    params = dict(solver="sgd", momentum=0.0, batch_size=X.shape[0], shuffle=False,
                  learning_rate_init=0.05, tol=0.0)
    at_once = fit_quietly(_small(max_iter=8, **params), X, y)
    warm = fit_quietly(_small(max_iter=5, **params), X, y)
    curve_before = list(warm.loss_curve_)
    fit_quietly(warm.set_params(warm_start=True, max_iter=3), X, y)

    assert warm.n_iter_ == 3
    assert warm.loss_curve_[:5] == curve_before
    np.testing.assert_allclose(warm.loss_curve_, at_once.loss_curve_, rtol=1e-12)
    for a, b in zip(warm.coefs_ + warm.intercepts_, at_once.coefs_ + at_once.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_warm_start_first_epoch_loss_is_the_loss_of_the_previous_weights():
    X, y = _blobs()
    alpha = 0.01
    params = dict(solver="sgd", momentum=0.0, batch_size=X.shape[0], shuffle=False,
                  alpha=alpha, learning_rate_init=0.05)
    clf = fit_quietly(_small(max_iter=5, **params), X, y)
    expected = log_loss(y, clf.predict_proba(X)) + 0.5 * alpha * sum(
        np.sum(W ** 2) for W in clf.coefs_) / X.shape[0]
    fit_quietly(clf.set_params(warm_start=True, max_iter=1), X, y)
    assert clf.loss_curve_[-1] == pytest.approx(expected, rel=1e-12)


def test_warm_start_adam_starts_lower_than_a_cold_start():
    X, y = _blobs()
    cold = fit_quietly(_small(max_iter=10, tol=0.0), X, y)
    first_curve = list(cold.loss_curve_)
    fit_quietly(cold.set_params(warm_start=True), X, y)
    assert len(cold.loss_curve_) == 20
    assert cold.loss_curve_[:10] == first_curve
    assert cold.loss_curve_[10] < 0.5 * first_curve[0]


@pytest.mark.parametrize("first, second", [(False, True), (True, False)])
def test_warm_start_can_switch_early_stopping(first, second):
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4,
                               random_state=0)
    clf = MLPScratchClassifier((8,), max_iter=5, warm_start=True, random_state=0,
                               early_stopping=first)
    fit_quietly(clf, X, y)
    fit_quietly(clf.set_params(early_stopping=second), X, y)
    if second:
        assert len(clf.validation_scores_) == clf.n_iter_
        assert clf.best_loss_ is None
        assert clf.best_validation_score_ == max(clf.validation_scores_)
    else:
        assert clf.validation_scores_ is None and clf.best_validation_score_ is None
        assert clf.best_loss_ == min(clf.loss_curve_[-clf.n_iter_:])


def test_warm_start_with_different_classes_raises():
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=5, warm_start=True), X, y)
    coefs = copy.deepcopy(clf.coefs_)
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X, np.where(y == 2, 3, y))  # a class the model has never seen
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X, np.where(y == 2, 1, y))  # one class fewer
    assert all(np.array_equal(a, b) for a, b in zip(clf.coefs_, coefs))


# --------------------------------------------------------------- partial_fit


def test_partial_fit_needs_classes_on_the_first_call():
    X, y = _blobs()
    clf = _small(solver="sgd")
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_partial_fit_learns_and_keeps_classes_absent_from_a_batch():
    X, y = _blobs()
    clf = _small(solver="adam", learning_rate_init=0.01)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[2, 0, 1, 5])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2, 5])
    assert clf.predict_proba(X).shape == (X.shape[0], 4)
    first_loss = clf.loss_
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1
    assert clf.t_ == np.sum(y < 2) + 30 * X.shape[0]
    assert clf.loss_ < 0.5 * first_loss
    assert clf.score(X, y) > 0.95


def test_partial_fit_with_an_unseen_class_raises_and_keeps_the_model():
    X, y = _blobs()
    clf = _small(solver="sgd").partial_fit(X, y, classes=[0, 1, 2])
    proba = clf.predict_proba(X)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, np.where(y == 2, 9, y))
    assert np.array_equal(clf.predict_proba(X), proba)


def test_partial_fit_is_unavailable_for_lbfgs():
    clf = MLPScratchClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError):
        clf.partial_fit(np.zeros((2, 1)), [0, 1], classes=[0, 1])
    assert hasattr(MLPScratchClassifier(solver="sgd"), "partial_fit")


def test_partial_fit_rejects_early_stopping():
    X, y = _blobs()
    with pytest.raises(ValueError, match="early_stopping"):
        _small(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


# ------------------------------------------------------------ early stopping

_ES_SEED = 1
_ES_PARAMS = dict(hidden_layer_sizes=(200,), solver="adam", learning_rate_init=0.01,
                  alpha=0.0, early_stopping=True, validation_fraction=0.2, tol=0.0,
                  n_iter_no_change=100, random_state=_ES_SEED)


def _overfitting_data():
    # one informative feature, heavy label noise, many free parameters: the
    # validation accuracy peaks early and then falls as the network memorises noise
    rng = np.random.RandomState(0)
    X = rng.randn(300, 20)
    y = (X[:, 0] + 0.8 * rng.randn(300) > 0).astype(int)
    return X, y


def _validation_split(X, y, hidden, n_outputs):
    # the estimator's one RandomState first draws the weights (a matrix, then a
    # bias vector per layer), then splits off the validation set, as sklearn's does
    rng = np.random.RandomState(_ES_SEED)
    sizes = [X.shape[1], *hidden, n_outputs]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        rng.uniform(size=(fan_in, fan_out))
        rng.uniform(size=fan_out)
    _, X_val, _, y_val = train_test_split(X, y, test_size=_ES_PARAMS["validation_fraction"],
                                          random_state=rng, stratify=y)
    return X_val, y_val


def test_early_stopping_records_scores_and_restores_the_best_weights():
    X, y = _overfitting_data()
    clf = fit_quietly(MLPScratchClassifier(max_iter=80, **_ES_PARAMS), X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ == len(clf.loss_curve_) == 80
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_loss_ is None
    best_epoch = int(np.argmax(scores))  # first epoch reaching the best score
    # the setup must really overfit, otherwise restoring proves nothing
    assert best_epoch < len(scores) - 1
    assert scores[-1] < clf.best_validation_score_

    # the restored weights score best_validation_score_ on the held-out split
    X_val, y_val = _validation_split(X, y, _ES_PARAMS["hidden_layer_sizes"], 1)
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.best_validation_score_

    # and they are the weights of that epoch: a run stopped right after it ends
    # with the same weights (training is deterministic for a fixed seed)
    stopped = fit_quietly(MLPScratchClassifier(max_iter=best_epoch + 1, **_ES_PARAMS),
                          X, y)
    assert stopped.validation_scores_ == scores[:best_epoch + 1]
    for a, b in zip(clf.coefs_ + clf.intercepts_, stopped.coefs_ + stopped.intercepts_):
        assert np.array_equal(a, b)


def test_validation_split_reproduction_matches_the_first_epoch():
    # checks _validation_split itself: after one epoch the final weights are the
    # only epoch's weights, so its recorded score is their accuracy on the split
    X, y = _overfitting_data()
    clf = fit_quietly(MLPScratchClassifier(max_iter=1, **_ES_PARAMS), X, y)
    X_val, y_val = _validation_split(X, y, _ES_PARAMS["hidden_layer_sizes"], 1)
    assert len(y_val) == 60
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.validation_scores_[0]


# ------------------------------------------------------------------ warnings


# scikit-learn's own words, so users' filters and pytest.warns(match=...) written
# for MLPClassifier match ours
SKLEARN_WARNINGS = {
    "lbfgs": r"^lbfgs failed to converge after 2 iteration\(s\) \(status=1\):\n",
    "sgd": r"^Stochastic Optimizer: Maximum iterations \(2\) reached and the "
           r"optimization hasn't converged yet\.$",
}


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_when_max_iter_is_reached(solver):
    X, y = _blobs()
    expected = SKLEARN_WARNINGS.get(solver, SKLEARN_WARNINGS["sgd"])
    with pytest.warns(ConvergenceWarning, match=expected) as ours:
        _small(solver=solver, max_iter=2, tol=0.0).fit(X, y)
    from sklearn.neural_network import MLPClassifier
    with pytest.warns(ConvergenceWarning, match=expected):
        MLPClassifier((8,), solver=solver,
                      max_iter=2, tol=0.0, random_state=0).fit(X, y)
    assert len(ours) == 1


def test_lbfgs_stopping_abnormally_warns_like_sklearn():
    # On badly scaled data L-BFGS-B's line search fails before the first
    # iteration (status 2, "ABNORMAL"): the model is untrained. sklearn's
    # MLPClassifier raises a ConvergenceWarning for every non-zero status.
    X, y = _blobs()
    with pytest.warns(ConvergenceWarning, match=r"^lbfgs failed to converge after 0 "
                                                r"iteration\(s\) \(status=2\):\nABNORMAL"):
        clf = _small(solver="lbfgs", max_iter=20).fit(X * 1e150, y)
    assert clf.n_iter_ == 0


def test_batch_size_larger_than_n_samples_warns_and_is_clipped():
    X, y = _blobs()
    with pytest.warns(UserWarning, match="batch_size"):
        clipped = fit_quietly(_small(solver="sgd", batch_size=10_000, max_iter=5), X, y)
    exact = fit_quietly(_small(solver="sgd", batch_size=X.shape[0], max_iter=5), X, y)
    assert np.array_equal(clipped.predict_proba(X), exact.predict_proba(X))


# ---------------------------------------------------------------- bad inputs


def _with(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return X


def test_nan_and_inf_in_x_are_rejected():
    X, y = _blobs()
    with pytest.raises(ValueError, match="NaN"):
        _small().fit(_with(X, 3, 1, np.nan), y)
    with pytest.raises(ValueError, match="infinity"):
        _small().fit(_with(X, 2, 0, np.inf), y)
    clf = fit_quietly(_small(max_iter=5), X, y)
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(_with(X, 0, 0, np.nan))


def test_wrong_number_of_features_at_predict():
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=5), X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


def test_one_dimensional_and_empty_x_are_rejected():
    X, y = _blobs()
    with pytest.raises(ValueError, match="2D"):
        _small().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        _small().fit(np.empty((0, 4)), np.array([], dtype=int))


def test_a_single_class_is_rejected():
    X, _ = _blobs()
    with pytest.raises(ValueError, match="class"):
        _small().fit(X, np.zeros(X.shape[0], dtype=int))
    # one class left once the zero-weight samples are dropped
    y = np.arange(X.shape[0]) % 2
    with pytest.raises(ValueError, match="class"):
        _small().fit(X, y, sample_weight=(y == 0).astype(float))


def test_bad_sample_weights_are_rejected():
    X, y = _blobs()
    weights = np.ones(X.shape[0])
    weights[5] = -1.0
    with pytest.raises(ValueError, match="(?i)negative"):
        _small().fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="(?i)zero"):
        _small().fit(X, y, sample_weight=np.zeros(X.shape[0]))


@pytest.mark.parametrize("name, valid", [
    ("activation", ["identity", "logistic", "tanh", "relu"]),
    ("solver", ["adam", "sgd", "lbfgs"]),
    ("loss", ["log_loss", "squared_error"]),
    ("learning_rate", ["constant", "invscaling", "adaptive"]),
])
def test_unknown_option_names_the_parameter_and_the_valid_options(name, valid):
    X, y = _blobs()
    clf = _small(**{name: "bogus"})  # __init__ only stores
    with pytest.raises(ValueError) as excinfo:
        clf.fit(X, y)
    message = str(excinfo.value)
    assert repr(name) in message or name in message
    assert "bogus" in message
    for option in valid:
        assert option in message


@pytest.mark.parametrize("sizes", [(0,), (5, -1), (5, 0), 0, -3])
def test_non_positive_hidden_layer_sizes_are_rejected(sizes):
    X, y = _blobs()
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        _small(hidden_layer_sizes=sizes).fit(X, y)


# ------------------------------------------------------------ all or nothing


def _equal(a, b):
    """Exact, recursive equality of fitted state (arrays, lists, generators, objects)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, z) for x, z in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.random.RandomState):
        return _equal(a.get_state(), b.get_state())
    if isinstance(a, float):
        return a == b or (np.isnan(a) and np.isnan(b))
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return _equal(vars(a), vars(b))
    return a == b


def _fitted_state(estimator):
    params = estimator.get_params(deep=False)
    return {k: copy.deepcopy(v) for k, v in vars(estimator).items() if k not in params}


def _assert_state_unchanged(estimator, before):
    after = _fitted_state(estimator)
    assert after.keys() == before.keys()
    for key in before:
        assert _equal(after[key], before[key]), f"{key} changed"


# per solver: parameters and a scale of X that make training blow up
_DIVERGING = {
    "sgd": (dict(solver="sgd", learning_rate_init=1e6, momentum=0.9), 1e100),
    "adam": (dict(solver="adam", learning_rate_init=1e200), 1.0),
    "lbfgs": (dict(solver="lbfgs", alpha=1e6), 1e200),
}


@pytest.fixture
def fitted():
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=20), X, y)
    public = ["coefs_", "intercepts_", "n_iter_", "loss_curve_", "classes_",
              "n_features_in_", "loss_", "t_", "best_loss_"]
    assert all(hasattr(clf, name) for name in public)
    return clf, X, y


def test_failed_fit_on_nan_input_keeps_the_model(fitted):
    clf, X, y = fitted
    before = _fitted_state(clf)
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(_with(X, 0, 0, np.nan), y)
    _assert_state_unchanged(clf, before)


def test_failed_warm_start_fit_with_other_n_features_keeps_the_model(fitted):
    clf, X, y = fitted
    before = _fitted_state(clf)
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="features"):
        clf.fit(np.hstack([X, X]), y)
    _assert_state_unchanged(clf, before)
    assert clf.n_features_in_ == 4


@pytest.mark.parametrize("warm_start", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("solver", list(_DIVERGING))
def test_diverging_fit_raises_and_keeps_the_model(fitted, solver, warm_start):
    clf, X, y = fitted
    before = _fitted_state(clf)
    proba = clf.predict_proba(X)
    params, scale = _DIVERGING[solver]
    clf.set_params(warm_start=warm_start, **params)
    with pytest.raises(TrainingDivergedError) as excinfo:
        fit_quietly(clf, X * scale, y)
    message = str(excinfo.value)
    if solver == "lbfgs":
        assert re.search(r"L-BFGS iteration \d+", message), message
        assert "StandardScaler" in message
    else:
        assert re.search(r"epoch \d+", message), message
        assert "learning_rate_init" in message
    assert isinstance(excinfo.value, FloatingPointError)
    _assert_state_unchanged(clf, before)
    assert np.array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("solver", list(_DIVERGING))
def test_failed_fit_leaves_a_new_estimator_unfitted(solver):
    X, y = _blobs()
    params, scale = _DIVERGING[solver]
    failures = [
        (ValueError, lambda clf: clf.fit(_with(X, 0, 0, np.nan), y)),
        (ValueError, lambda clf: clf.fit(X, np.zeros(X.shape[0]))),
        (TrainingDivergedError, lambda clf: fit_quietly(clf, X * scale, y)),
    ]
    for error, call in failures:
        clf = _small(**params)
        with pytest.raises(error):
            call(clf)
        assert set(vars(clf)) == set(clf.get_params(deep=False))
        assert not [k for k in vars(clf) if k.endswith("_")]
        with pytest.raises(NotFittedError):
            clf.predict(X)


# -------------------------------------------------------------------- Ctrl-C


def _interrupt_at_call(monkeypatch, k):
    """Make the k-th loss evaluation of training raise KeyboardInterrupt, as Ctrl-C.

    Deterministic where a timer is not: the interrupt lands at the same point
    of training however fast the machine is.
    """
    real = training_module.loss_and_gradients
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training_module, "loss_and_gradients", interrupted)
    return calls


def _fit_interrupted(clf, X, y):
    with pytest.warns(UserWarning, match="(?i)interrupted by user") as caught:
        try:
            returned = clf.fit(X, y)
        except KeyboardInterrupt:  # would otherwise abort the whole pytest session
            pytest.fail("KeyboardInterrupt escaped fit instead of ending training")
    assert returned is clf
    # ConvergenceWarning is a UserWarning, so pytest.warns recorded any
    assert not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return clf


def test_keyboard_interrupt_mid_epoch_keeps_the_last_completed_epoch(monkeypatch):
    X, y = _blobs(n_samples=300)
    params = dict(solver="sgd", batch_size=50, tol=0.0, random_state=0)
    # 6 batches per epoch: the 16th loss evaluation is the 4th batch of epoch 3,
    # after three updates of that epoch that must be thrown away
    reference = fit_quietly(_small(max_iter=2, **params), X, y)
    _interrupt_at_call(monkeypatch, 16)
    clf = _fit_interrupted(_small(max_iter=50, **params), X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.loss_curve_ == reference.loss_curve_
    for ours, kept in zip(clf.coefs_ + clf.intercepts_,
                          reference.coefs_ + reference.intercepts_):
        np.testing.assert_array_equal(ours, kept)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_keyboard_interrupt_during_lbfgs_keeps_the_last_iteration(monkeypatch):
    X, y = _blobs(n_samples=300)
    params = dict(solver="lbfgs", tol=0.0, random_state=0)
    calls = _interrupt_at_call(monkeypatch, 10**9)  # count only
    reference = fit_quietly(_small(max_iter=3, **params), X, y)
    evaluations_for_3_iterations = calls["n"]
    _interrupt_at_call(monkeypatch, evaluations_for_3_iterations + 1)
    clf = _fit_interrupted(_small(max_iter=10**4, **params), X, y)
    assert clf.n_iter_ == 3 == len(clf.loss_curve_)
    assert clf.loss_ == clf.loss_curve_[-1]
    np.testing.assert_allclose(clf.loss_curve_, reference.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X), reference.predict_proba(X),
                               rtol=1e-10)


# -------------------------------------------------------- global numpy state


@pytest.mark.parametrize("params", [
    dict(solver="adam"), dict(solver="sgd", learning_rate="invscaling"),
    dict(solver="lbfgs"), dict(solver="adam", early_stopping=True),
], ids=["adam", "sgd", "lbfgs", "early_stopping"])
def test_fit_leaves_global_numpy_state_untouched(params):
    X, y = _blobs()
    err_before = np.geterr()
    random_before = np.random.get_state()
    clf = fit_quietly(_small(max_iter=10, **params), X, y)
    clf.predict_proba(X)
    clf.predict_log_proba(X)
    assert np.geterr() == err_before
    assert _equal(np.random.get_state(), random_before)


# ------------------------------------------------------------------- verbose


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_one_progress_line_per_epoch(solver, capsys):
    X, y = _blobs()
    clf = fit_quietly(_small(solver=solver, max_iter=7, tol=0.0, verbose=True), X, y)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("Iteration")]
    assert len(lines) == clf.n_iter_ > 0
    for i, line in enumerate(lines, start=1):
        # scikit-learn's own words and format first, so its log parsers work
        match = re.match(rf"Iteration {i}, loss = (\d+\.\d{{8}})", line)
        assert match, line
        assert float(match.group(1)) == pytest.approx(clf.loss_curve_[i - 1], abs=1e-8)
        if solver != "lbfgs":
            elapsed, left = map(float, re.search(
                r"elapsed (\S+) s, at most (\S+) s left", line).groups())
            assert elapsed >= 0 and left >= 0
            assert i < 7 or left == 0


def test_verbose_lines_start_as_sklearns(capsys):
    from sklearn.neural_network import MLPClassifier
    X, y = _blobs()
    params = dict(hidden_layer_sizes=(8,), solver="sgd", max_iter=3, tol=0.0,
                  random_state=0, verbose=True)
    fit_quietly(MLPClassifier(**params), X, y)
    theirs = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith("Iteration")]
    fit_quietly(MLPScratchClassifier(**params), X, y)
    ours = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("Iteration")]
    assert [line[:len(t)] for line, t in zip(ours, theirs)] == theirs


def test_verbose_with_early_stopping_shows_validation_accuracy(capsys):
    X, y = _blobs()
    clf = fit_quietly(_small(max_iter=4, tol=0.0, early_stopping=True,
                              verbose=True), X, y)
    scores = [float(m) for m in re.findall(r"validation accuracy = (\d\.\d+)",
                                           capsys.readouterr().out)]
    np.testing.assert_allclose(scores, clf.validation_scores_, atol=5e-5)


def test_not_verbose_prints_nothing(capsys):
    X, y = _blobs()
    fit_quietly(_small(max_iter=5), X, y)
    assert capsys.readouterr().out == ""
