"""The cross-fitted ensembles: folds, out-of-fold predictions, selection, fitting."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch.ensemble import (
    CrossFitClassifier,
    CrossFitRegressor,
    assign_folds,
    select_greedily,
)
from skmlp_scratch.tabular import PiecewiseLinearEncoder

# few epochs: each check fits k members; no check's subject is convergence
IGNORE_CONVERGENCE = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")


def small_classifier(**params):
    return MLPScratchClassifier(**{"hidden_layer_sizes": (8,), "early_stopping": True,
                                   "max_iter": 30, "learning_rate_init": 0.01, **params})


def small_regressor(**params):
    return MLPScratchRegressor(**{"hidden_layer_sizes": (8,), "early_stopping": True,
                                  "max_iter": 30, "learning_rate_init": 0.01, **params})


CHECKED = [
    CrossFitClassifier([("net", small_classifier())], n_folds=3),
    CrossFitClassifier([("a", small_classifier()), ("b", small_classifier(alpha=0.1))],
                       n_folds=2, selection_rounds=3),
    CrossFitRegressor([("net", small_regressor())], n_folds=3),
]


@IGNORE_CONVERGENCE
@parametrize_with_checks(CHECKED)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", CHECKED, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


def classification(n=120, classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4,
                               n_classes=classes, random_state=seed)
    return X, y


# ------------------------------------------------------------------ folds


def test_folds_are_stratified_and_balanced():
    y = np.repeat([0, 1, 2], [50, 23, 7])
    folds = assign_folds(y, len(y), 5, np.random.RandomState(0))
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 1
    for code, count in enumerate(np.bincount(y)):
        per_fold = np.bincount(folds[y == code], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1, (code, per_fold)
        assert per_fold.sum() == count


def test_classes_too_small_for_the_folds_are_kept_in_training():
    y = np.array([0] * 10 + [1, 1] + [2])
    folds = assign_folds(y, len(y), 5, np.random.RandomState(0))
    assert folds[12] == -1  # the single row is held out by no fold
    # the two rows of class 1 lie in two different folds: each member trains on one
    assert len(set(folds[10:12])) == 2
    for j in range(5):
        assert set(y[folds != j]) == {0, 1, 2}


@IGNORE_CONVERGENCE
def test_tiny_table_with_classes_of_two_and_three_rows_trains():
    # 101 rows, 7 classes, two of them of 2 and 3 rows: what boosting trains on
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(7), [30, 30, 20, 8, 8, 3, 2])
    X = rng.normal(size=(101, 4)) + y[:, None]
    model = CrossFitClassifier([("net", small_classifier())], random_state=0).fit(X, y)
    assert model.n_folds_ == 5
    assert any("[5, 6]" in note for note in model.fold_notes_)
    assert model.predict_proba(X).shape == (101, 7)
    np.testing.assert_allclose(model.oof_predictions_.sum(axis=1), 1.0, rtol=1e-5)


@IGNORE_CONVERGENCE
def test_fewer_rows_than_folds_lowers_the_folds_with_a_note():
    X = np.arange(6, dtype=float).reshape(-1, 1)
    y = np.array([0, 1, 0, 1, 0, 1])
    model = CrossFitClassifier([("net", small_classifier())], n_folds=8,
                               random_state=0).fit(X, y)
    assert model.n_folds_ == 6
    assert "lowered to 6" in model.fold_notes_[0]


def test_one_row_is_refused_by_name():
    with pytest.raises(ValueError, match="n_samples=1"):
        CrossFitRegressor().fit([[0.0]], [1.0])


# ------------------------------------------------------- out-of-fold and mean


@IGNORE_CONVERGENCE
def test_oof_predictions_come_from_the_member_that_held_the_row_out():
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier())], n_folds=4,
                               random_state=0).fit(X, y)
    for j, member in enumerate(model.estimators_[0]):
        rows = model.folds_ == j
        np.testing.assert_allclose(model.oof_predictions_[rows],
                                   member.predict_proba(X[rows]), rtol=1e-6)
        # ... a member that never saw those rows: its own fold's score
        assert model.member_scores_[0][j]["log_loss"] == pytest.approx(
            log_loss(y[rows], member.predict_proba(X[rows]), labels=model.classes_))


def test_oof_rows_were_not_trained_on():
    # 1-nearest-neighbour members keep their training rows and recall each
    # one's label exactly: on random labels they are right on every row in
    # sample, and out of fold no better than chance
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 5)), rng.randint(0, 2, size=200)
    model = CrossFitClassifier([("1nn", KNeighborsClassifier(n_neighbors=1))],
                               n_folds=4, random_state=0).fit(X, y)
    for j, member in enumerate(model.estimators_[0]):
        trained_on = {tuple(row) for row in member._fit_X}
        assert trained_on == {tuple(row) for row in X[model.folds_ != j]}
    assert np.mean(model.estimators_[0][0].predict(X[model.folds_ != 0])
                   == y[model.folds_ != 0]) == 1.0
    assert model.oof_scores_["accuracy"] < 0.65


@IGNORE_CONVERGENCE
def test_prediction_is_the_mean_of_the_members():
    X, y = make_regression(n_samples=80, n_features=4, noise=1.0, random_state=0)
    model = CrossFitRegressor([("net", small_regressor())], n_folds=3,
                              random_state=0).fit(X, y / 100)
    mean = np.mean([m.predict(X) for m in model.estimators_[0]], axis=0)
    np.testing.assert_allclose(model.predict(X), mean, rtol=1e-6)
    assert model.weights_.tolist() == [1.0]


@IGNORE_CONVERGENCE
def test_members_are_early_stopped_on_their_own_fold():
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier(scoring="loss"))], n_folds=3,
                               random_state=0).fit(X, y)
    for j, member in enumerate(model.estimators_[0]):
        rows = model.folds_ == j
        # the validation loss recorded at the kept epoch (counted from 1) is
        # the loss of the kept weights on fold j
        best = member.best_epoch_
        assert member.validation_loss_curve_[best - 1] == pytest.approx(
            log_loss(y[rows], member.predict_proba(X[rows]), labels=model.classes_),
            rel=1e-4)


@IGNORE_CONVERGENCE
def test_pipeline_members_fit_their_transformers_on_the_training_folds():
    X, y = classification()
    X = X * 1000 + 5000
    config = make_pipeline(StandardScaler(), small_classifier())
    model = CrossFitClassifier([("scaled", config)], n_folds=3, random_state=0).fit(X, y)
    for j, member in enumerate(model.estimators_[0]):
        np.testing.assert_allclose(member[0].mean_, X[model.folds_ != j].mean(axis=0))


# ---------------------------------------------------------------- selection


def test_greedy_selection_against_a_hand_worked_case():
    # target 0; configurations predict 1, -1 and 3: alone, the best is
    # 1 or -1 (loss 1; the first is picked), then -1 brings the mean to 0
    predictions = [np.array([1.0]), np.array([-1.0]), np.array([3.0])]
    weights = select_greedily(predictions, lambda P: float(np.mean(P ** 2)), 4)
    np.testing.assert_allclose(weights, [0.5, 0.5, 0.0])


def test_greedy_selection_keeps_the_best_round():
    # one perfect configuration: adding anything more only hurts
    predictions = [np.array([0.0]), np.array([5.0])]
    weights = select_greedily(predictions, lambda P: float(np.mean(P ** 2)), 10)
    np.testing.assert_allclose(weights, [1.0, 0.0])


@IGNORE_CONVERGENCE
def test_selection_weighs_configurations_and_drops_the_useless():
    X, y = classification()
    # an untrainable configuration (no epochs' worth of learning) beside a real one
    weak = MLPScratchClassifier((2,), max_iter=1, learning_rate_init=1e-6)
    model = CrossFitClassifier([("net", small_classifier(max_iter=200)),
                                ("weak", weak)], n_folds=3, random_state=0).fit(X, y)
    assert model.config_names_ == ["net", "weak"]
    assert model.weights_[0] > model.weights_[1]
    assert model.weights_.sum() == pytest.approx(1.0)
    assert (model.config_scores_[0]["log_loss"]
            < model.config_scores_[1]["log_loss"])
    expected = sum(w * np.mean([m.predict_proba(X) for m in members], axis=0)
                   for w, members in zip(model.weights_, model.estimators_) if w > 0)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)


# ------------------------------------------------------- reproducible, atomic


@IGNORE_CONVERGENCE
def test_same_seed_gives_bit_identical_ensembles():
    X, y = classification()
    fit = lambda: CrossFitClassifier([("net", small_classifier())], n_folds=3,  # noqa: E731
                                     random_state=7).fit(X, y)
    a, b = fit(), fit()
    np.testing.assert_array_equal(a.folds_, b.folds_)
    np.testing.assert_array_equal(a.oof_predictions_, b.oof_predictions_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    other = CrossFitClassifier([("net", small_classifier())], n_folds=3,
                               random_state=8).fit(X, y)
    assert not np.array_equal(a.folds_, other.folds_)


@IGNORE_CONVERGENCE
def test_member_seeds_replace_the_members_own():
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier(random_state=3))], n_folds=3,
                               random_state=0).fit(X, y)
    seeds = [m.random_state for m in model.estimators_[0]]
    assert len(set(seeds)) == 3 and 3 not in seeds


@IGNORE_CONVERGENCE
def test_n_jobs_gives_the_same_ensemble():
    X, y = classification(n=90)
    make = lambda n_jobs: CrossFitClassifier(  # noqa: E731
        [("net", small_classifier())], n_folds=3, n_jobs=n_jobs, random_state=0)
    one, two = make(1).fit(X, y), make(2).fit(X, y)
    np.testing.assert_array_equal(one.oof_predictions_, two.oof_predictions_)
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))


@IGNORE_CONVERGENCE
def test_failed_fit_leaves_a_fitted_ensemble_unchanged():
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier())], n_folds=3,
                               random_state=0).fit(X, y)
    before = pickle.dumps(model)
    proba = model.predict_proba(X)
    bad_X = np.c_[X, X][:, :9]  # another width, and labels of one class
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.fit(bad_X, np.zeros(len(X)))
    assert pickle.dumps(model) == before
    assert model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(model.predict_proba(X), proba)


def test_bad_estimators_are_named():
    X, y = classification(n=30)
    with pytest.raises(ValueError, match="pairs"):
        CrossFitClassifier([small_classifier()]).fit(X, y)
    with pytest.raises(ValueError, match="no fit method"):
        CrossFitClassifier([("x", 3)]).fit(X, y)


@IGNORE_CONVERGENCE
def test_grid_names_reach_a_configuration():
    model = CrossFitClassifier([("net", small_classifier())])
    model.set_params(net__alpha=0.5)
    assert model.get_params()["net__alpha"] == 0.5


@IGNORE_CONVERGENCE
def test_skops_round_trip_trusts_only_our_classes():
    skops_io = pytest.importorskip("skops.io")
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier())], n_folds=3,
                               random_state=0).fit(X, y)
    P = model.predict_proba(X)  # stacks the members: the stack is not saved
    data = skops_io.dumps(model)
    untrusted = set(skops_io.get_untrusted_types(data=data))
    assert untrusted == {"skmlp_scratch.ensemble.CrossFitClassifier",
                         "skmlp_scratch._classifier.MLPScratchClassifier"}
    loaded = skops_io.loads(data, trusted=sorted(untrusted))
    np.testing.assert_array_equal(loaded.predict_proba(X), P)
    assert loaded.oof_scores_ == model.oof_scores_


# ------------------------------------------------- members evaluated together


def member_by_member(model, X):
    """The ensemble's prediction computed one member at a time."""
    return sum(w * np.mean([model._member_predict(e, X) for e in members], axis=0)
               for w, members in zip(model.weights_, model.estimators_))


@IGNORE_CONVERGENCE
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor", "two_outputs"])
def test_stacked_members_predict_as_member_by_member(kind, dtype, rtol):
    if kind in ("binary", "multiclass"):
        X, y = classification(classes=2 if kind == "binary" else 3)
        model = CrossFitClassifier([("net", small_classifier(hidden_layer_sizes=(8, 5)))],
                                   n_folds=4, random_state=0)
        predict = model.predict_proba
    else:
        X, y = make_regression(n_samples=120, n_features=5, n_targets=1 + (
            kind == "two_outputs"), noise=1.0, random_state=0)
        model = CrossFitRegressor([("net", small_regressor(activation="tanh"))],
                                  n_folds=4, random_state=0)
        y, predict = y / 100, model.predict
    X = X.astype(dtype)
    model.fit(X, y)
    P = predict(X)
    assert model._stacked[0] is not None  # the stacked path was the one taken
    expected = member_by_member(model, X)
    assert P.shape == expected.shape and P.dtype == np.float64
    np.testing.assert_allclose(P, expected, rtol=rtol, atol=rtol * 1e-2)
    # more rows than one stacked chunk: the chunks join in order
    big = np.repeat(X, 40, axis=0)[:4100]
    np.testing.assert_allclose(predict(big), member_by_member(model, big), rtol=rtol,
                               atol=rtol * 1e-2)


@IGNORE_CONVERGENCE
@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "csr"])
def test_pipeline_members_are_stacked_after_their_own_encoders(as_sparse):
    X, y = classification()
    configurations = [
        ("bins", make_pipeline(PiecewiseLinearEncoder(n_bins=4), small_classifier())),
        ("scaled", make_pipeline(StandardScaler(with_mean=False), "passthrough",
                                 small_classifier(hidden_layer_sizes=(6,)))),
        ("linear", LogisticRegression())]
    if as_sparse:  # the encoder of bins takes no sparse input
        X, configurations = sp.csr_matrix(X), configurations[1:]
    model = CrossFitClassifier(configurations, n_folds=3, selection_rounds=1,
                               random_state=0).fit(X, y)
    model.weights_ = np.full(len(model.estimators_), 1 / len(model.estimators_))
    # each member's encoder was fitted on its own folds: the encodings differ
    encoders = [member[0] for member in model.estimators_[0]]
    if not as_sparse:
        assert not np.array_equal(encoders[0].bin_edges_[0], encoders[1].bin_edges_[0])
    P = model.predict_proba(X)
    stacked = [model._stacked[m] is not None for m in range(len(model.estimators_))]
    assert stacked == ([True, False] if as_sparse else [True, True, False])
    np.testing.assert_allclose(P, member_by_member(model, X), rtol=1e-5, atol=1e-7)


@IGNORE_CONVERGENCE
def test_stacked_weights_are_not_pickled_and_a_refit_restacks():
    X, y = classification()
    model = CrossFitClassifier([("net", small_classifier())], n_folds=3,
                               random_state=0).fit(X, y)
    P = model.predict_proba(X)
    loaded = pickle.loads(pickle.dumps(model))
    assert "_stacked" in vars(model) and "_stacked" not in vars(loaded)
    np.testing.assert_array_equal(loaded.predict_proba(X), P)
    model.set_params(net__hidden_layer_sizes=(4,)).fit(X, y)
    assert model.estimators_[0][0].coefs_[0].shape == (6, 4)
    np.testing.assert_allclose(model.predict_proba(X), member_by_member(model, X),
                               rtol=1e-5)
