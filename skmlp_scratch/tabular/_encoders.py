"""Encoders of numeric columns for table pipelines."""

from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from .._base import is_plain_float_input


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    """Encode each numeric column as its position within quantile bins.

    The piecewise-linear encoding of Gorishniy, Rubachev and Babenko ("On
    embeddings for numerical features in tabular deep learning", NeurIPS
    2022). ``fit`` places the bin edges ``b_0 < b_1 < ... < b_T`` of a column
    at its quantiles ``0, 1/n_bins, ..., 1`` (observed values: the sorted
    column's value at ``floor(q * (n - 1))``), repeated edges merged, so a
    value that a large share of the rows hold (0 spending, 0 children) is an
    edge of its own. ``transform`` maps a value ``x`` to one output per bin::

        e_t(x) = clip((x - b_{t-1}) / (b_t - b_{t-1}), 0, 1),   t = 1, ..., T

    1 for the bins wholly below ``x``, 0 for those wholly above, the fraction
    of the bin covered in the bin holding ``x``. Summed over ``t`` the outputs
    give the value's rank position on a piecewise-linear scale, while each
    output lets a following ``relu`` unit switch on at one threshold: a
    network separates "0" from "just above 0" as easily as a tree split.

    Parameters
    ----------
    n_bins : int, default=16
        Most bins per column; a column with fewer distinct quantiles (a
        binary column has one bin, a constant column none) gets fewer.

    Attributes
    ----------
    bin_edges_ : list of ndarray of shape (n_bins_j + 1,)
        Each column's edges, increasing; a constant column has one edge.
    n_bins_ : ndarray of shape (`n_features_in_`,)
        Bins per column, the outputs each column gives.
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame with text names.

    Notes
    -----
    Missing values (NaN) are left out when the quantiles are computed and
    stay missing: every output of their column is NaN, as scikit-learn's
    scalers do, so an imputer may come before or after the encoder. Values
    below the smallest edge give all zeros, values above the largest all ones.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp_scratch.tabular import PiecewiseLinearEncoder
    >>> X = np.array([[0.0], [0.0], [1.0], [3.0]])
    >>> encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    >>> encoder.bin_edges_[0]
    array([0., 1., 3.])
    >>> encoder.transform([[0.5], [2.0]])
    array([[0.5, 0. ],
           [1. , 0.5]])
    """

    _parameter_constraints = {"n_bins": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, n_bins=16):
        self.n_bins = n_bins

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # ignored in fit, kept in transform
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Place each column's bin edges at its quantiles.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric columns; NaN is ignored.
        y : None
            Ignored.

        Returns
        -------
        self : PiecewiseLinearEncoder
            The fitted encoder.
        """
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        levels = np.linspace(0.0, 1.0, self.n_bins + 1)
        self.bin_edges_ = [_quantile_edges(column, levels, index)
                           for index, column in enumerate(X.T)]
        self.n_bins_ = np.array([len(edges) - 1 for edges in self.bin_edges_])
        self._bin_layout = {}
        return self

    def transform(self, X):
        """Each value's share of every bin of its column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric columns, as in ``fit``; NaN stays NaN.

        Returns
        -------
        X_encoded : ndarray of shape (n_samples, n_outputs)
            ``n_outputs = n_bins_.sum()``: the columns' bins side by side,
            in column order; float32 for float32 input, else float64.
        """
        if not is_plain_float_input(self, X):  # as validate_data would pass it
            check_is_fitted(self)
            X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                              reset=False)
        column, lower, width = self._bins(X.dtype)
        return np.clip((X[:, column] - lower) / width, 0.0, 1.0)

    def _bins(self, dtype):
        """Every bin's column, lower edge and width side by side, in ``dtype``.

        One gather and one clip then encode all columns. Laid out at the
        first ``transform`` in each type and kept until the next ``fit`` (a
        pickle leaves them out), since a one-row ``transform`` would spend
        most of its time laying them out again.
        """
        cache = vars(self).setdefault("_bin_layout", {})
        if dtype not in cache:
            cache[dtype] = (
                np.repeat(np.arange(self.n_features_in_), self.n_bins_),
                np.concatenate([e[:-1] for e in self.bin_edges_]).astype(dtype),
                np.concatenate([np.diff(e) for e in self.bin_edges_]).astype(dtype))
        return cache[dtype]

    def __getstate__(self):
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k != "_bin_layout"}

    def get_feature_names_out(self, input_features=None):
        """One name per bin: ``<column>_bin<t>``, ``t`` from 0.

        Parameters
        ----------
        input_features : array-like of str, default=None
            The input columns' names; default ``feature_names_in_``, else
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``n_bins_.sum()`` names, in the order of the outputs.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.array([f"{name}_bin{t}" for name, count in zip(names, self.n_bins_)
                         for t in range(count)], dtype=object)


def _quantile_edges(column, levels, index=0):
    """Increasing bin edges of one column: its quantiles at ``levels``, repeats merged.

    Parameters
    ----------
    column : ndarray of shape (n_samples,)
        Values; NaN ignored.
    levels : ndarray of shape (n_levels,)
        Quantile levels in [0, 1], increasing; each gives the sorted values'
        entry ``floor(level * (n - 1))``.
    index : int, default=0
        The column's position, named in the error.

    Returns
    -------
    edges : ndarray of shape (n_edges,)
        ``np.unique`` of the quantiles: one edge for a constant column.

    Raises
    ------
    ValueError
        If the column has no value that is not NaN.
    """
    if np.isnan(column).all():
        raise ValueError(f"PiecewiseLinearEncoder: column {index} has no values, only "
                         "NaN; drop it or impute it first")
    # observed values ("lower": the sorted value at floor(q * (n - 1))), so a
    # binary column has the edges 0 and 1; merged in the column's own type,
    # so no two float32 edges coincide
    return np.unique(np.nanquantile(column, levels, method="lower").astype(column.dtype))
