"""skmlp_scratch.tabular's encoders: PiecewiseLinearEncoder."""

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import short_training
from skmlp_scratch import MLPScratchClassifier
from skmlp_scratch.tabular import PiecewiseLinearEncoder


def encode_one(x, edges):
    """The encoding of one value by the definition, one bin at a time."""
    out = []
    for lower, upper in pairwise(edges):
        if x <= lower:
            out.append(0.0)
        elif x >= upper:
            out.append(1.0)
        else:
            out.append((x - lower) / (upper - lower))
    return out


@parametrize_with_checks([PiecewiseLinearEncoder(n_bins=4)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_edges_are_the_quantiles_and_values_match_the_definition():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.lognormal(size=500), rng.normal(size=500)])
    encoder = PiecewiseLinearEncoder(n_bins=8).fit(X)
    for j in range(2):
        ordered = np.sort(X[:, j])
        np.testing.assert_array_equal(encoder.bin_edges_[j],
                                      ordered[[499 * k // 8 for k in range(9)]])
    X_new = np.column_stack([rng.lognormal(size=50), rng.normal(size=50)])
    expected = [encode_one(row[0], encoder.bin_edges_[0])
                + encode_one(row[1], encoder.bin_edges_[1]) for row in X_new]
    np.testing.assert_allclose(encoder.transform(X_new), expected, rtol=1e-12)


def test_sum_of_outputs_is_the_piecewise_linear_position():
    # sum_t e_t(x) = t - 1 + the share of bin t covered, for x in bin t
    X = np.arange(101, dtype=float).reshape(-1, 1)
    encoded = PiecewiseLinearEncoder(n_bins=4).fit(X).transform(X)
    np.testing.assert_allclose(encoded.sum(axis=1), X[:, 0] / 25)


def test_point_mass_gets_an_edge_of_its_own():
    # 75 % zeros, like a count of affairs: repeated quantiles are merged and
    # 0 is apart from the smallest positive value
    X = np.array([0.0] * 75 + list(range(1, 26)), dtype=float).reshape(-1, 1)
    encoder = PiecewiseLinearEncoder(n_bins=8).fit(X)
    edges = encoder.bin_edges_[0]
    assert edges[0] == 0 and np.all(np.diff(edges) > 0)
    assert encoder.n_bins_[0] == len(edges) - 1 < 8
    zero, one = encoder.transform([[0.0], [1.0]])
    assert zero.sum() == 0 and one[0] > 0


def test_constant_column_gives_no_output_and_binary_one():
    X = np.column_stack([np.full(20, 3.0), np.tile([0.0, 1.0], 10)])
    encoder = PiecewiseLinearEncoder().fit(X)
    np.testing.assert_array_equal(encoder.n_bins_, [0, 1])
    np.testing.assert_array_equal(encoder.transform([[3.0, 0.0], [3.0, 1.0]]),
                                  [[0.0], [1.0]])
    np.testing.assert_array_equal(encoder.get_feature_names_out(), ["x1_bin0"])


def test_values_beyond_the_fitted_range_are_all_zeros_or_all_ones():
    X = np.linspace(0, 1, 50).reshape(-1, 1)
    encoder = PiecewiseLinearEncoder(n_bins=5).fit(X)
    low, high = encoder.transform([[-10.0], [10.0]])
    np.testing.assert_array_equal(low, np.zeros(5))
    np.testing.assert_array_equal(high, np.ones(5))


def test_nan_is_ignored_in_fit_and_kept_in_transform():
    X = np.array([[np.nan, 1.0], [0.0, 2.0], [1.0, 3.0], [2.0, np.nan], [4.0, 5.0]])
    encoder = PiecewiseLinearEncoder(n_bins=2).fit(X)
    np.testing.assert_array_equal(encoder.bin_edges_[0], [0.0, 1.0, 4.0])
    encoded = encoder.transform(X)
    assert np.isnan(encoded[0, :2]).all() and not np.isnan(encoded[0, 2:]).any()
    assert np.isnan(encoded[3, 2:]).all() and not np.isnan(encoded[3, :2]).any()


def test_a_column_of_nan_only_is_refused_by_position():
    X = np.column_stack([np.arange(5.0), np.full(5, np.nan)])
    with pytest.raises(ValueError, match="column 1 has no values, only NaN"):
        PiecewiseLinearEncoder().fit(X)


def test_float32_stays_float32_with_distinct_edges():
    # values a float32 step apart: edges merged in float32 never coincide
    X = (1 + np.arange(40) * np.finfo(np.float32).eps).astype(np.float32)[:, None]
    encoded = PiecewiseLinearEncoder(n_bins=16).fit(X).transform(X)
    assert encoded.dtype == np.float32 and np.isfinite(encoded).all()


def test_feature_names_from_a_dataframe():
    table = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0], "income": [1.0, 2.0, 3.0, 4.0]})
    encoder = PiecewiseLinearEncoder(n_bins=2).fit(table)
    np.testing.assert_array_equal(encoder.get_feature_names_out(),
                                  ["age_bin0", "age_bin1", "income_bin0", "income_bin1"])
    assert encoder.transform(table).shape == (4, 4)


def test_in_a_pipeline_with_grid_search():
    # the label is "x equal to 0 or not": one threshold right above a point mass
    rng = np.random.default_rng(0)
    x = np.where(rng.random(300) < 0.6, 0.0, rng.exponential(size=300))
    X, y = x.reshape(-1, 1), (x > 0).astype(int)
    pipeline = make_pipeline(PiecewiseLinearEncoder(),
                             MLPScratchClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
                                                  random_state=0))
    search = GridSearchCV(pipeline, {"piecewiselinearencoder__n_bins": [2, 8]}, cv=3)
    with short_training():  # L-BFGS's iteration count is not what is tested
        search.fit(X, y)
    assert search.best_score_ >= 0.99
    assert search.best_estimator_.named_steps["piecewiselinearencoder"].n_bins in (2, 8)
