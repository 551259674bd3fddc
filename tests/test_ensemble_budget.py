"""What bounds a cross-fitted ensemble's cost: ``max_samples`` and ``time_limit``."""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor, sample_rows
from test_ensemble import IGNORE_CONVERGENCE, classification, small_classifier

# ------------------------------------------------------------------ max_samples


def test_sample_rows_keeps_every_class_and_its_share():
    rng = np.random.RandomState(0)
    y_codes = np.repeat([0, 1, 2], [900, 97, 3])
    rows = np.flatnonzero(np.arange(1000) % 5 != 0)  # a member's training folds
    sample = sample_rows(rows, y_codes, 80, rng)
    assert np.all(np.diff(sample) > 0) and np.isin(sample, rows).all()
    # shares of 80 rows: 72.0, 7.7 and 0.3; the floors leave one row, which
    # goes to the largest remainder (0.7); the third class still keeps one row
    assert np.bincount(y_codes[sample], minlength=3).tolist() == [72, 8, 1]


def test_sample_rows_of_a_regression_is_a_plain_sample_of_that_size():
    rows = np.arange(0, 500, 2)
    sample = sample_rows(rows, None, 40, np.random.RandomState(0))
    assert len(sample) == len(set(sample)) == 40 and np.isin(sample, rows).all()


def test_members_train_on_a_sample_and_predict_their_whole_fold():
    # 1-nearest-neighbour members keep their training rows: they show what
    # each member was fitted on
    X, y = classification(n=300)
    model = CrossFitClassifier([("1nn", KNeighborsClassifier(n_neighbors=1))],
                               n_folds=3, max_samples=60, random_state=0).fit(X, y)
    seen = []
    for j, member in enumerate(model.estimators_[0]):
        training = X[model.folds_ != j]
        fitted = member._fit_X
        assert len(fitted) == 60  # no class's share rounds to 0 here
        assert all((training == row).all(axis=1).any() for row in fitted)
        assert set(member.classes_) == set(model.classes_)
        # the out-of-fold predictions still cover the whole fold, from this member
        rows = model.folds_ == j
        np.testing.assert_array_equal(model.oof_predictions_[rows],
                                      member.predict_proba(X[rows]))
        seen.append({tuple(row) for row in fitted})
    assert len(seen[0] & seen[1]) < 60  # a sample per fold, not one for all
    assert "max_samples=60" in model.fold_notes_[0]


def test_the_sample_of_a_fold_is_the_same_for_every_configuration():
    X, y = classification(n=300)
    knn = KNeighborsClassifier(n_neighbors=1)
    model = CrossFitClassifier([("a", knn), ("b", make_pipeline(StandardScaler(), knn))],
                               n_folds=3, max_samples=60, random_state=0).fit(X, y)
    for a, b in zip(*model.estimators_):
        np.testing.assert_allclose(a._fit_X, b[0].inverse_transform(b[-1]._fit_X),
                                   rtol=1e-12)


def test_a_rare_class_survives_the_sample():
    X, y = classification(n=300, classes=2)
    y[[5, 150, 250]] = 2  # three rows of a third class
    model = CrossFitClassifier([("1nn", KNeighborsClassifier(n_neighbors=1))],
                               n_folds=3, max_samples=30, random_state=0).fit(X, y)
    for member in model.estimators_[0]:
        assert member.classes_.tolist() == [0, 1, 2]
    assert model.predict_proba(X).shape == (300, 3)


def test_regression_members_train_on_max_samples_rows():
    X, y = make_regression(n_samples=200, n_features=3, random_state=0)
    model = CrossFitRegressor([("1nn", KNeighborsRegressor(n_neighbors=1))],
                              n_folds=4, max_samples=50, random_state=0).fit(X, y)
    assert [len(member._fit_X) for member in model.estimators_[0]] == [50] * 4
    assert np.isfinite(model.oof_predictions_).all()


@IGNORE_CONVERGENCE
@pytest.mark.parametrize("max_samples", [80, 10_000])
def test_a_table_under_the_cap_is_fitted_as_without_it(max_samples):
    # three folds of 120 rows: each member trains on 80
    X, y = classification()
    make = lambda cap: CrossFitClassifier(  # noqa: E731
        [("net", small_classifier()), ("b", small_classifier(alpha=0.1))], n_folds=3,
        max_samples=cap, random_state=0).fit(X, y)
    capped, free = make(max_samples), make(None)
    np.testing.assert_array_equal(capped.oof_predictions_, free.oof_predictions_)
    np.testing.assert_array_equal(capped.predict_proba(X), free.predict_proba(X))
    assert capped.fold_notes_ == free.fold_notes_ == []


@IGNORE_CONVERGENCE
def test_a_capped_fit_is_reproducible():
    X, y = classification(n=200)
    make = lambda: CrossFitClassifier(  # noqa: E731
        [("net", small_classifier())], n_folds=3, max_samples=50, random_state=3)
    a, b = make().fit(X, y), make().fit(X, y)
    np.testing.assert_array_equal(a.oof_predictions_, b.oof_predictions_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


# ------------------------------------------------------------------ time_limit


@IGNORE_CONVERGENCE
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_a_tiny_time_limit_gives_a_usable_ensemble_and_says_what_it_cut(n_jobs):
    X, y = classification()
    model = CrossFitClassifier(
        [("first", small_classifier(max_iter=200)), ("second", small_classifier())],
        n_folds=3, time_limit=1e-6, n_jobs=n_jobs, random_state=0).fit(X, y)
    # the first configuration's members trained one epoch each, then stopped
    assert model.config_names_ == ["first"] and model.weights_.tolist() == [1.0]
    assert [member.n_iter_ for member in model.estimators_[0]] == [1, 1, 1]
    # the limit was for this fit only: the members keep their own max_time
    assert [member.max_time for member in model.estimators_[0]] == [None] * 3
    assert model.predict_proba(X).shape == (len(X), 3)
    assert np.isfinite(model.oof_predictions_).all()
    assert len(model.member_scores_) == len(model.config_scores_) == 1
    stopped, left_out = model.fold_notes_
    assert "3 of the 3 members of configuration 'first'" in stopped
    assert "configurations ['second'] left out" in left_out


@IGNORE_CONVERGENCE
def test_a_time_limit_not_reached_changes_nothing():
    X, y = classification()
    configurations = [("net", small_classifier()),
                      ("scaled", make_pipeline(StandardScaler(),
                                               small_classifier(max_time=30.0)))]
    make = lambda limit: CrossFitClassifier(  # noqa: E731
        configurations, n_folds=3, time_limit=limit, random_state=0).fit(X, y)
    limited, free = make(1e6), make(None)
    np.testing.assert_array_equal(limited.oof_predictions_, free.oof_predictions_)
    np.testing.assert_array_equal(limited.predict_proba(X), free.predict_proba(X))
    assert limited.fold_notes_ == []
    assert {m[-1].max_time for m in limited.estimators_[1]} == {30.0}
    assert {m.max_time for m in limited.estimators_[0]} == {None}


def test_members_without_max_time_are_fitted_whole_or_left_out():
    X, y = classification()
    knn = KNeighborsClassifier(n_neighbors=3)
    model = CrossFitClassifier([("a", knn), ("b", knn)], n_folds=3, time_limit=1e-6,
                               random_state=0).fit(X, y)
    assert model.config_names_ == ["a"]
    assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("params, name", [
    ({"time_limit": 0}, "time_limit"), ({"time_limit": -5.0}, "time_limit"),
    ({"time_limit": "60"}, "time_limit"), ({"max_samples": 0}, "max_samples"),
    ({"max_samples": 0.5}, "max_samples"),
])
def test_bad_budgets_are_refused_by_name(params, name):
    X, y = classification()
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter") as error:
        CrossFitClassifier([("net", small_classifier())], **params).fit(X, y)
    assert "\n" not in str(error.value)
