"""Saving a fitted estimator: skops (no code execution on load), pickle, joblib.

Each format must give back an estimator with identical predictions that also
trains on exactly as the original would: the optimizer's moments and the
schedule travel with it, and each later fit draws from a generator made
afresh from the saved ``random_state``.
"""

import pickle

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import make_classification

from skmlp_scratch import MLPScratchClassifier
from conftest import short_training

OWN_CLASS = "skmlp_scratch._classifier.MLPScratchClassifier"


def _fitted(**params):
    X, y = make_classification(200, 6, n_informative=4, n_classes=3, random_state=0)
    defaults = dict(hidden_layer_sizes=(9, 5), max_iter=8, random_state=0)
    clf = MLPScratchClassifier(**{**defaults, **params})
    with short_training():
        clf.fit(X, y)
    return clf, X, y


def _skops_round_trip(clf, path):
    sio.dump(clf, path)
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def _pickle_round_trip(clf, path):
    return pickle.loads(pickle.dumps(clf))


def _joblib_round_trip(clf, path):
    joblib.dump(clf, path)
    return joblib.load(path)


ROUND_TRIPS = [_skops_round_trip, _pickle_round_trip, _joblib_round_trip]
SETTINGS = [
    dict(solver="adam"),
    dict(solver="sgd", learning_rate="adaptive"),
    dict(solver="adamw", learning_rate="cosine", dropout=0.2, class_weight={0: 2.0}),
    dict(solver="lbfgs"),
]


@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: p["solver"])
@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:-11])
def test_round_trip_predicts_and_trains_on_identically(round_trip, params, tmp_path):
    clf, X, y = _fitted(**params)
    loaded = round_trip(clf, tmp_path / "model")
    assert type(loaded) is MLPScratchClassifier
    assert loaded.get_params() == clf.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.history_ == clf.history_
    if params["solver"] != "lbfgs":
        # one more epoch on each: same optimizer state, same random_state
        clf.partial_fit(X, y)
        loaded.partial_fit(X, y)
        for a, b in zip(loaded.coefs_ + loaded.intercepts_, clf.coefs_ + clf.intercepts_):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: p["solver"])
def test_skops_file_trusts_nothing_but_the_estimator_class(params, tmp_path):
    clf, X, y = _fitted(**params)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    assert sio.get_untrusted_types(file=path) == [OWN_CLASS]
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)  # nothing is trusted by default
    loaded = sio.load(path, trusted=[OWN_CLASS])
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_an_unfitted_estimator_round_trips_through_skops(tmp_path):
    path = tmp_path / "unfitted.skops"
    sio.dump(MLPScratchClassifier(hidden_layer_sizes=(7,), dropout=0.1), path)
    loaded = sio.load(path, trusted=[OWN_CLASS])
    assert loaded.get_params()["hidden_layer_sizes"] == (7,)
    assert not hasattr(loaded, "coefs_")
