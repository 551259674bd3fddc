"""The pipeline that turns a table into network inputs, and the table model's defaults.

:func:`make_preprocessor` builds the ``ColumnTransformer`` (numeric scaling
with :class:`SoftClip`, missing-value flags, one-hot encoded categories) and
:func:`make_tabular_pipeline` puts it before the table model of
:func:`make_table_model`: a cross-fitted ensemble of the configurations of
:data:`PORTFOLIO` named by :data:`ENSEMBLE_DEFAULTS`, or one network of
:data:`TABLE_DEFAULTS`. The small transformer classes here replace functions
so that the pipeline is saved by name and converts to ONNX.
"""

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils._param_validation import Interval, Options
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    check_is_fitted,
    validate_data,
)

from .._classifier import MLPScratchClassifier
from .._regressor import MLPScratchRegressor
from ..ensemble import CrossFitClassifier, CrossFitRegressor
from ._contract import cells_as_text
from ._encoders import PiecewiseLinearEncoder

# A table has far fewer rows than MNIST: an epoch is a few dozen steps, so
# training runs until the held-out loss stops improving (more telling than
# the accuracy of a few hundred rows), with AdamW's decoupled weight decay;
# benchmarks/results/tabular.md measured this against the classic settings.
TABLE_DEFAULTS = {
    "hidden_layer_sizes": (256, 128),
    "max_iter": 200,
    "batch_size": 128,
    "early_stopping": True,
    "solver": "adamw",
    "scoring": "loss",
}
"""The network's parameters in a table pipeline, where they differ from the estimator's.

:func:`make_tabular_pipeline` gives them to the network it makes when no
estimator is passed, and ``skmlp-scratch train --dataset csv:FILE`` starts
from them; the estimators themselves keep scikit-learn's defaults.
"""



def _network(task, **changes):
    network_class = MLPScratchClassifier if task == "classification" else (
        MLPScratchRegressor)
    return network_class(**{**TABLE_DEFAULTS, **changes})


PORTFOLIO = {
    "network": lambda task: _network(task),
    "bins": lambda task: make_pipeline(PiecewiseLinearEncoder(n_bins=16),
                                       _network(task)),
    "deep": lambda task: _network(task, hidden_layer_sizes=(256, 256, 256),
                                  dropout=0.15),
}
"""The configurations a table ensemble may hold: name -> ``factory(task)``.

``"network"`` is the network of :data:`TABLE_DEFAULTS`; ``"bins"`` the same
network after a :class:`PiecewiseLinearEncoder` of every input column (the
encoding of Gorishniy et al., 2022, which lets a unit switch on at a
threshold as a tree split does); ``"deep"`` three hidden layers of 256 with
dropout 0.15, in the spirit of RealMLP (Holzmüller et al., 2024).
"""

# Chosen on six tables (Glass, Sonar, SwissLabor, Vehicle, HousePrices,
# Affairs; five 80/20 splits each) and checked on thirteen others, in
# benchmarks/results/tabular_ensemble.md: network+bins had the best mean rank
# of the portfolios on the six and is never behind the network ensemble
# alone beyond two standard errors. Adding "deep" ranks a little higher with
# ten splits, but is level with this default on 26 of 32 table-scores at
# 2.4 times the fit time; 8 folds instead of 5 gained nothing consistent at
# 1.6 times the cost. The row budget was measured on Fertility (254,654 rows,
# five splits, benchmarks/results/tabular_fertility.md): with 50,000 rows a
# member the ensemble fits in 353-483 CPU seconds on one thread, with 20,000
# in 97-125 and a log loss worse by 0.0002 on every split. 50,000 keeps the
# better log loss, and with 5 folds every table of up to 62,500 rows (all of
# the others) is fitted as it was measured without a budget.
ENSEMBLE_DEFAULTS = {
    "portfolio": ("network", "bins"),
    "n_folds": 5,
    "max_samples": 50_000,
}
"""The table ensemble :func:`make_tabular_pipeline` makes by default.

The configurations of :data:`PORTFOLIO` it cross-fits, each on the same
``n_folds`` folds, each member on at most ``max_samples`` rows of its
training folds (a sample by class on larger tables), weighted by greedy
selection on their out-of-fold predictions;
``benchmarks/results/tabular_ensemble.md`` measured the choice, and
``benchmarks/results/tabular_fertility.md`` the row budget.
"""


def make_table_model(task="classification", *, ensemble=True):
    """The model at the end of a default table pipeline: an ensemble, or one network.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
    ensemble : bool, default=True
        True: a :class:`~skmlp_scratch.ensemble.CrossFitClassifier` (or
        ``CrossFitRegressor``) of the configurations and folds of
        :data:`ENSEMBLE_DEFAULTS`, each member early-stopped on its own fold.
        False: one network with the parameters of :data:`TABLE_DEFAULTS`,
        early-stopped on a held-out share of its rows.

    Returns
    -------
    estimator : estimator
        Unfitted. An ensemble names each configuration's parameters
        ``name__param`` (``network__alpha``).
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
    if not ensemble:
        return _network(task)
    ensemble_class = CrossFitClassifier if task == "classification" else (
        CrossFitRegressor)
    return ensemble_class(
        [(name, PORTFOLIO[name](task)) for name in ENSEMBLE_DEFAULTS["portfolio"]],
        n_folds=ENSEMBLE_DEFAULTS["n_folds"],
        max_samples=ENSEMBLE_DEFAULTS["max_samples"])


# ----------------------------------------------------------- preprocessing


def soft_clip(X, bound=3.0):
    """Squash values smoothly into (-bound, bound): ``x / sqrt(1 + (x / bound)**2)``.

    Close to the identity for ``|x|`` well below ``bound``, so typical values
    keep their spread, while an outlier at 50 robust standard deviations
    reaches the network as a value just under ``bound`` instead of 50
    (the smooth clipping of Holzmüller et al., "Better by default: strong
    pre-tuned MLPs and boosted trees on tabular data", NeurIPS 2024).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Values already centred and scaled, e.g. by ``RobustScaler``.
    bound : float, default=3.0
        The limit approached, never reached, on either side.

    Returns
    -------
    X_clipped : ndarray of shape (n_samples, n_features)
        The squashed values, of the type of ``X``; values too large for
        ``(x / bound)**2`` to be finite map to ``+-bound``.
    """
    X = np.asarray(X)
    # hypot(1, t) = sqrt(1 + t^2) without squaring t: no overflow for |x|
    # near the largest float, where the square would send x / inf to 0
    return X / np.hypot(1, X / bound)


class _ElementwiseTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A transformer of each value on its own: ``fit`` learns the input's width only.

    A subclass sets ``_validation`` (the keyword arguments of
    ``validate_data`` for its input) and ``_apply`` (the transformation).
    Being classes rather than ``FunctionTransformer`` steps, they are types
    a skops file names exactly and skl2onnx can convert
    (:mod:`skmlp_scratch.onnx`).
    """

    _validation = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number (and names) of the columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        validate_data(self, X, **self._validation)
        return self

    def transform(self, X):
        """Transform each value.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data, with the columns seen in ``fit``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features)
            The transformed values.
        """
        check_is_fitted(self)
        return self._apply(validate_data(self, X, reset=False, **self._validation))


class SoftClip(_ElementwiseTransformer):
    """:func:`soft_clip` as a pipeline step: values squashed into (-bound, bound).

    Parameters
    ----------
    bound : float, default=3.0
        The limit approached on either side.

    Attributes
    ----------
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame with text names.

    Examples
    --------
    >>> from skmlp_scratch.tabular import SoftClip
    >>> SoftClip().fit_transform([[0.0], [3.0], [1e200]]).round(4)
    array([[0.    ],
           [2.1213],
           [3.    ]])
    """

    _parameter_constraints = {"bound": [Interval(Real, 0, None, closed="neither")]}
    _validation = {"dtype": FLOAT_DTYPES}

    def __init__(self, bound=3.0):
        self.bound = bound

    def _apply(self, X):
        return soft_clip(X, self.bound)


class Cast(_ElementwiseTransformer):
    """Convert the values to one float type, copying only if the type changes.

    Parameters
    ----------
    dtype : {"float32", "float64"}, default="float32"
        The output type.

    Attributes
    ----------
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame with text names.
    """

    _parameter_constraints = {"dtype": [Options(object, {"float32", "float64",
                                                         np.float32, np.float64})]}
    # the missing-value flags of a table without gaps are zero columns
    _validation = {"dtype": None, "ensure_all_finite": False, "ensure_min_features": 0}

    def __init__(self, dtype="float32"):
        self.dtype = dtype

    def _apply(self, X):
        return np.asarray(X, dtype=self.dtype)


class AsText(_ElementwiseTransformer):
    """Categorical columns as text: ``str`` of each value, a missing value as ``""``.

    Every missing marker pandas knows (None, NaN, ``pd.NA``, ``NaT``) becomes
    the empty string, which :func:`make_preprocessor`'s imputer then replaces
    by the level ``"missing"``; an empty text is missing too. Booleans become
    ``"True"`` and ``"False"``. Text is also what an exported ONNX model
    takes for these columns (:func:`skmlp_scratch.onnx.table_inputs`).

    Attributes
    ----------
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame with text names.
    """

    _parameter_constraints = {}
    _validation = {"dtype": None, "ensure_all_finite": False}

    def _apply(self, X):
        return cells_as_text(X)


class _LevelEncoder(OneHotEncoder):
    """scikit-learn's ``OneHotEncoder``, as a type of its own for ONNX export.

    skl2onnx's converter of ``OneHotEncoder`` stops at a level first seen at
    prediction time, where ``handle_unknown="infrequent_if_exist"`` encodes
    it as infrequent; :mod:`skmlp_scratch.onnx` converts this type so that
    the exported model encodes such a level as scikit-learn does.
    """


class LogTarget(_ElementwiseTransformer):
    """``log(y)`` of a strictly positive target, and ``exp`` back.

    The target transform of ``make_tabular_pipeline(log_target=True)``, before
    the target is standardised.

    Attributes
    ----------
    n_features_in_ : int
        Columns (targets) seen in ``fit``.
    """

    _parameter_constraints = {}
    _validation = {"dtype": FLOAT_DTYPES}

    def _apply(self, y):
        return _checked_log(y)

    def inverse_transform(self, X):
        """``exp`` of the values: the target from its logarithm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Logarithms of the target.

        Returns
        -------
        y : ndarray of shape (n_samples, n_features)
            The target.
        """
        check_is_fitted(self)
        return np.exp(validate_data(self, X, reset=False, **self._validation))


class _SmearedTargetRegressor(TransformedTargetRegressor):
    """A ``TransformedTargetRegressor`` of a log target, with Duan's smearing.

    ``exp`` of the predicted mean of ``log(y)`` estimates the median of ``y``,
    which for a right-skewed target lies below its mean. Duan's smearing
    estimate (1983) multiplies the predictions by the mean over the training
    rows of ``y / exp(prediction of log y)``, kept as ``smearing_`` (one
    factor per output), which makes them estimate the mean again.
    """

    def fit(self, X, y, **fit_params):
        """Fit as ``TransformedTargetRegressor``, then the smearing factor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Positive targets.
        **fit_params : dict
            Passed to the regressor's ``fit``; a ``sample_weight`` weights the
            factor's mean too.

        Returns
        -------
        self : object
        """
        super().fit(X, y, **fit_params)
        ratios = np.asarray(y, dtype=np.float64) / super().predict(X)
        self.smearing_ = np.average(ratios, axis=0,
                                    weights=fit_params.get("sample_weight"))
        return self

    def predict(self, X, **predict_params):
        """Predictions of the target's mean: ``exp`` of the network's, smeared.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        **predict_params : dict
            Passed to the regressor's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return super().predict(X, **predict_params) * self.smearing_


def _standard():
    return StandardScaler()


def _robust_clip():
    # RobustScaler centres on the median and divides by the interquartile
    # range, which is 0 for a column that is mostly one value: then it leaves
    # the column unscaled, which soft clipping keeps within bounds anyway
    return make_pipeline(RobustScaler(quantile_range=(25.0, 75.0)), SoftClip())


def _quantile():
    return QuantileTransformer(output_distribution="normal", n_quantiles=1000,
                               subsample=100_000, random_state=0)


NUMERIC_SCALERS = {
    "standard": _standard,
    "robust": _robust_clip,
    "quantile": _quantile,
}
"""How :func:`make_preprocessor` scales numeric columns: name -> factory.

``"standard"`` is :class:`~sklearn.preprocessing.StandardScaler`;
``"robust"`` is :class:`~sklearn.preprocessing.RobustScaler` followed by
:func:`soft_clip`, for skewed columns with outliers; ``"quantile"`` maps each
column through its empirical quantiles onto a normal distribution
(:class:`~sklearn.preprocessing.QuantileTransformer`).
"""


def make_preprocessor(*, numeric="robust", max_categories=20, min_frequency=5,
                      dtype="float32"):
    """The ``ColumnTransformer`` that turns a mixed table into network inputs.

    Parameters
    ----------
    numeric : {"robust", "standard", "quantile"}, default="robust"
        Scaling of the numeric columns after median imputation; see
        :data:`NUMERIC_SCALERS`. ``benchmarks/bench_tabular.py`` compares
        the three on real tables.
    max_categories : int, default=20
        Most one-hot columns a categorical column may produce; rarer levels
        share one "infrequent" column.
    min_frequency : int or float, default=5
        Levels seen in fewer training rows than this (a count, or a fraction
        of the rows if a float below 1) are pooled as "infrequent".
    dtype : {"float32", "float64"}, default="float32"
        Type of the output; float32 is the network's fast path.

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer
        Unfitted; it selects columns by dtype when fitted on a DataFrame and
        outputs a dense array of ``dtype``. Its parts are ``"numeric"``
        (steps ``"impute"``, ``"scale"``, ``"cast"``), ``"missing"`` and
        ``"categorical"`` (steps ``"text"``, ``"impute"``, ``"encode"``), so a
        grid can name ``preprocess__numeric__scale`` (any scaler) or
        ``preprocess__categorical__encode__min_frequency``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmlp_scratch.tabular import make_preprocessor
    >>> table = pd.DataFrame({"age": [31, 45, None, 28], "city": ["a", "b", "a", None]})
    >>> make_preprocessor(min_frequency=1).fit_transform(table).shape
    (4, 5)
    """
    if numeric not in NUMERIC_SCALERS:
        raise ValueError(f"numeric must be one of {sorted(NUMERIC_SCALERS)}; got "
                         f"{numeric!r}")
    numeric_columns = make_column_selector(dtype_include="number", dtype_exclude="bool")
    # named steps, so that a grid can reach them: preprocess__numeric__scale
    numeric_steps = Pipeline([
        ("impute", SimpleImputer(strategy="median")),
        ("scale", NUMERIC_SCALERS[numeric]()),
        ("cast", Cast(dtype))])
    # 0/1 columns, not scaled, for the numeric columns that had gaps at fit;
    # a gap first seen at prediction time is imputed and not flagged
    missing_steps = Pipeline([
        # floats first: MissingIndicator reads None in a column of objects (a
        # one-row DataFrame made from a dict) as a value, the imputer as a gap
        ("float", Cast("float64")),
        ("flag", MissingIndicator(features="missing-only", error_on_new=False)),
        ("cast", Cast(dtype))])
    categorical_steps = Pipeline([
        # booleans become text first, and a missing value the empty text,
        # which an ONNX text input can hold where it cannot hold NaN
        ("text", AsText()),
        ("impute", SimpleImputer(strategy="constant", missing_values="",
                                 fill_value="missing")),
        ("encode", _LevelEncoder(handle_unknown="infrequent_if_exist",
                                 max_categories=max_categories,
                                 min_frequency=min_frequency, sparse_output=False,
                                 dtype=dtype))])
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric_columns),
         ("missing", missing_steps, numeric_columns),
         ("categorical", categorical_steps,
          make_column_selector(dtype_exclude="number"))],
        sparse_threshold=0.0, verbose_feature_names_out=False)


def make_tabular_pipeline(estimator=None, *, task="classification", log_target=False,
                          ensemble=True, **preprocessor_options):
    """Preprocessor and model in one ``Pipeline``, ready for ``fit(table, y)``.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The final step; None makes the table model of
        :func:`make_table_model` for ``task``: by default a cross-fitted
        ensemble of networks (:data:`ENSEMBLE_DEFAULTS`), with
        ``ensemble=False`` one network with the parameters of
        :data:`TABLE_DEFAULTS`. Any scikit-learn estimator works, which is
        how the benchmarks put scikit-learn's own models in the same
        pipeline.
    task : {"classification", "regression"}, default="classification"
    log_target : bool, default=False
        Regression only: fit the network to ``log(y)`` (standardised) and
        predict ``exp`` of its output times Duan's smearing factor, so that
        the predictions estimate the mean rather than the median; for
        positive, right-skewed targets such as wages or prices.
    ensemble : bool, default=True
        With ``estimator=None``: a cross-fitted ensemble (True) or one
        network (False). Ignored when an estimator is given.
    **preprocessor_options
        Passed to :func:`make_preprocessor`.

    Returns
    -------
    pipeline : TablePipeline
        A scikit-learn ``Pipeline`` that predicts a few DataFrame rows
        without its ``ColumnTransformer``'s overhead (:class:`TablePipeline`).
        Steps ``"preprocess"`` and ``"model"``. For regression ``"model"``
        is a :class:`~sklearn.compose.TransformedTargetRegressor` whose
        ``regressor`` is the estimator, so a grid names the network's
        parameters ``model__regressor__alpha``, or with the default ensemble
        ``model__regressor__network__alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmlp_scratch.tabular import make_tabular_pipeline
    >>> table = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5,
    ...                       "colour": ["red", "blue"] * 10})
    >>> y = [0, 1, 1, 0] * 5
    >>> model = make_tabular_pipeline(task="classification", ensemble=False).set_params(
    ...     model__solver="lbfgs", model__random_state=0)
    >>> model.fit(table, y).predict(table).shape
    (20,)
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
    if log_target and task != "regression":
        raise ValueError("log_target=True needs task='regression'")
    if estimator is None:
        estimator = make_table_model(task, ensemble=ensemble)
    if task == "regression":
        target_regressor = (_SmearedTargetRegressor if log_target
                            else TransformedTargetRegressor)
        estimator = target_regressor(regressor=estimator,
                                     transformer=_target_transformer(log_target))
    from ._rows import TablePipeline  # which reads this module's steps

    return TablePipeline([("preprocess", make_preprocessor(**preprocessor_options)),
                          ("model", estimator)])


def _target_transformer(log_target):
    if not log_target:
        return StandardScaler()
    return make_pipeline(LogTarget(), StandardScaler())


def _checked_log(y):
    """``log(y)``, refusing a target that is not strictly positive."""
    y = np.asarray(y, dtype=np.float64)
    if np.any(y <= 0):
        raise ValueError(f"log_target needs a positive target; its smallest value "
                         f"is {y.min()!r}")
    return np.log(y)
