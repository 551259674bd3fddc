"""Small predictions: a plain float array skips ``validate_data``, no check is lost.

A float32/float64 ndarray of the fitted width, for a model fitted without
feature names, goes straight to the network when all its values are finite
(``skmlp_scratch._base.is_plain_float_input``); anything else takes scikit-learn's full
validation. Each check must still fire for inputs that look like the fast
case, and both paths must give the same numbers bit for bit.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import validation

from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from conftest import fit_quietly

N_FEATURES = 6
METHODS = {"classifier": ("predict", "predict_proba", "predict_log_proba"),
           "regressor": ("predict",)}


def _data(n_classes, n_samples=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, N_FEATURES)
    if n_classes is None:
        return X, X[:, 0] - X[:, 1] ** 2
    return X, rng.randint(0, n_classes, n_samples)


def _fitted(kind, dtype=np.float64, n_classes=3, **params):
    X, y = _data(None if kind == "regressor" else n_classes)
    est = (MLPScratchRegressor if kind == "regressor" else MLPScratchClassifier)(
        hidden_layer_sizes=(8, 5), max_iter=20, random_state=0, **params)
    return fit_quietly(est, X.astype(dtype), y), X.astype(dtype)


@pytest.fixture
def count_validations(monkeypatch):
    """How many times the estimators called scikit-learn's validate_data."""
    import skmlp_scratch._base as base

    calls = []

    def counting(*args, **kwargs):
        calls.append(args[1])
        return validation.validate_data(*args, **kwargs)

    monkeypatch.setattr(base, "validate_data", counting)
    return calls


def _full_path(est, method, X):
    """The same call forced through validate_data, whatever the input."""
    import skmlp_scratch._base as base

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "is_plain_float_input", lambda estimator, X: False)
        return getattr(est, method)(X)


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [1, 3, 5000])
@pytest.mark.parametrize("kind, n_classes", [("classifier", 2), ("classifier", 3),
                                             ("regressor", None)])
def test_fast_path_equals_full_validation_bit_for_bit(kind, n_classes, n_rows,
                                                      input_dtype, model_dtype,
                                                      count_validations):
    est, _ = _fitted(kind, model_dtype, n_classes=n_classes)
    count_validations.clear()  # fit's own
    X = np.random.RandomState(1).randn(n_rows, N_FEATURES).astype(input_dtype)
    for method in METHODS[kind]:
        fast = getattr(est, method)(X)
        assert not count_validations, "a plain float array skips validate_data"
        full = _full_path(est, method, X)
        assert count_validations, "the comparison ran the full validation"
        count_validations.clear()
        assert fast.dtype == full.dtype and fast.shape == full.shape
        np.testing.assert_array_equal(fast, full)


def test_strided_and_fortran_arrays_take_the_fast_path_unchanged(count_validations):
    est, X = _fitted("classifier")
    count_validations.clear()  # fit's own
    for view in (np.asfortranarray(X), np.hstack([X, X])[:, ::2][:, :N_FEATURES],
                 X[::3]):
        fast = est.predict_proba(view)
        assert not count_validations
        np.testing.assert_array_equal(fast, _full_path(est, "predict_proba", view))
        count_validations.clear()


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("n_rows", [1, 10])
def test_non_finite_values_raise_sklearns_error(kind, bad, n_rows):
    est, X = _fitted(kind)
    X = X[:n_rows].copy()
    X[-1, 2] = bad
    what = "NaN" if np.isnan(bad) else "infinity"
    for method in METHODS[kind]:
        with pytest.raises(ValueError, match=f"Input X contains {what}"):
            getattr(est, method)(X)


def test_finite_values_whose_sum_overflows_are_predicted(count_validations):
    est, X = _fitted("regressor", np.float32)
    X = X[:2].astype(np.float32)
    X[:, 0] = np.finfo(np.float32).max  # the float32 sum overflows, the values do not
    count_validations.clear()  # fit's own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflowing sum itself
        predicted = est.predict(X)
    assert count_validations, "rechecked by validate_data, which accepts it"
    assert predicted.shape == (2,)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("width", [N_FEATURES - 1, N_FEATURES + 1])
def test_wrong_width_raises_sklearns_error(kind, width):
    est, _ = _fitted(kind)
    X = np.zeros((1, width))
    message = (f"X has {width} features, but {type(est).__name__} is expecting "
               f"{N_FEATURES} features as input.")
    for method in METHODS[kind]:
        with pytest.raises(ValueError, match=re.escape(message)):
            getattr(est, method)(X)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_unfitted_model_raises_not_fitted(kind):
    est = MLPScratchRegressor() if kind == "regressor" else MLPScratchClassifier()
    for method in METHODS[kind]:
        with pytest.raises(NotFittedError):
            getattr(est, method)(np.zeros((1, N_FEATURES)))


def test_other_inputs_take_the_full_validation(count_validations):
    est, X = _fitted("classifier")
    expected = est.predict_proba(X[:4])
    others = [X[:4].tolist(), np.round(X[:4]).astype(np.int64), sp.csr_matrix(X[:4]),
              X[:4].astype(">f8"), X[:4].astype(np.float16)]
    for other in others:
        count_validations.clear()
        got = est.predict_proba(other)
        assert len(count_validations) == 1, type(other)
        assert got.shape == expected.shape
    # a list and a byte-swapped copy hold the same numbers
    for other in (others[0], others[3]):
        np.testing.assert_allclose(est.predict_proba(other), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.predict(X[0])
    with pytest.raises(ValueError, match="minimum of 1 is required"):
        est.predict(X[:0])
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.predict(X[:1].astype(np.complex128))


def test_feature_names_are_checked_as_sklearn_checks_them():
    pd = pytest.importorskip("pandas")
    X, y = _data(3)
    columns = [f"f{i}" for i in range(N_FEATURES)]
    named = fit_quietly(MLPScratchClassifier((8,), max_iter=20, random_state=0),
                        pd.DataFrame(X, columns=columns), y)
    # fitted with names: an ndarray is accepted with scikit-learn's warning
    with pytest.warns(UserWarning, match="X does not have valid feature names, but "
                      "MLPScratchClassifier was fitted with feature names"):
        from_array = named.predict_proba(X[:1])
    np.testing.assert_allclose(from_array, named.predict_proba(
        pd.DataFrame(X[:1], columns=columns)), rtol=1e-6)
    # wrong or missing names are an error, as in scikit-learn
    with pytest.raises(ValueError, match="Feature names unseen at fit time:"):
        named.predict(pd.DataFrame(X[:1], columns=columns[:-1] + ["other"]))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        named.predict(pd.DataFrame(X[:1], columns=columns[::-1]))
    # fitted without names: names given now warn
    unnamed = fit_quietly(MLPScratchClassifier((8,), max_iter=20, random_state=0), X, y)
    with pytest.warns(UserWarning, match="X has feature names, but "
                      "MLPScratchClassifier was fitted without feature names"):
        unnamed.predict(pd.DataFrame(X[:1], columns=columns))


@pytest.mark.parametrize("labels", [[0, 1], ["no", "yes"], [3, 7, 11],
                                    ["a", "b", "c", "d"], [True, False]])
def test_decoding_equals_label_binarizers_inverse_transform(labels):
    rng = np.random.RandomState(0)
    y = np.array(labels * 10)
    X = rng.randn(len(y), N_FEATURES)
    clf = fit_quietly(MLPScratchClassifier((4,), max_iter=5, random_state=0), X, y)
    binarizer = LabelBinarizer().fit(y)
    P = rng.uniform(size=(200, clf.n_outputs_))
    P[:20] = 0.5  # ties and the threshold itself decode as scikit-learn decodes them
    decoded = clf._decode_outputs(P)
    expected = binarizer.inverse_transform(P)
    assert decoded.dtype == expected.dtype
    np.testing.assert_array_equal(decoded, expected)
    np.testing.assert_array_equal(clf.predict(X), binarizer.inverse_transform(
        clf.predict_proba(X)[:, 1:] if len(labels) == 2 else clf.predict_proba(X)))


def test_multilabel_predictions_still_decode_through_the_binarizer():
    rng = np.random.RandomState(0)
    X = rng.randn(40, N_FEATURES)
    Y = (rng.uniform(size=(40, 3)) > 0.5).astype(int)
    clf = fit_quietly(MLPScratchClassifier((4,), max_iter=5, random_state=0), X, Y)
    np.testing.assert_array_equal(clf.predict(X),
                                  (clf.predict_proba(X) > 0.5).astype(int))


@pytest.mark.parametrize("depth", [1, 2, None])
def test_one_chunk_and_many_chunks_compute_the_same_layer(depth):
    from skmlp_scratch._network import forward_chunked

    est, X = _fitted("classifier")
    args = (X, est.coefs_, est.intercepts_, est._layer_activations())
    whole = forward_chunked(*args, depth=depth)  # 60 rows: one chunk
    pieces = forward_chunked(*args, depth=depth, chunk_size=7)
    n_units = est.coefs_[-1 if depth is None else depth - 1].shape[1]
    assert whole.shape == pieces.shape == (60, n_units)
    np.testing.assert_allclose(whole, pieces, rtol=1e-12, atol=1e-15)
