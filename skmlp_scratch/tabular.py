"""Tables in, models out: reading a CSV or Parquet table and the pipeline that fits it.

A table of mixed numeric and categorical columns goes through a
:class:`~sklearn.compose.ColumnTransformer` before it reaches the network:

- **numeric columns** (pandas number dtypes, booleans excluded) are imputed
  with the column's median and scaled by one of :data:`NUMERIC_SCALERS` (see
  :func:`make_preprocessor`); every numeric column that had missing values
  at ``fit`` also gets an unscaled 0/1 column that flags them;
- **categorical columns** (text, ``category`` and boolean dtypes) are imputed
  with the level ``"missing"`` and one-hot encoded; levels seen in fewer than
  ``min_frequency`` training rows are pooled into one "infrequent" column, and
  a column with more than ``max_categories`` levels keeps its
  ``max_categories - 1`` most frequent ones and pools the rest, so a
  high-cardinality column cannot blow up the input layer. A level first seen
  at prediction time is encoded as "infrequent" (or as all zeros when no level
  was pooled), never an error.

Columns are chosen by dtype when the transformer is fitted, so one
preprocessor works for any table and inside
:class:`~sklearn.model_selection.GridSearchCV`. Identifier columns carry no
signal: leave them out of ``X``.

:func:`make_tabular_pipeline` puts the preprocessor and an estimator in one
:class:`~sklearn.pipeline.Pipeline`; for regression the target is
standardised (and, if asked, log-transformed first) through
:class:`~sklearn.compose.TransformedTargetRegressor`, since a network fits a
target of unit scale far better than one in the hundreds.

Reading tables needs pandas, and Parquet files pyarrow
(``pip install "skmlp_scratch[tabular]"`` installs both).
"""

from pathlib import Path

import numpy as np
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor

__all__ = [
    "NUMERIC_SCALERS",
    "TABLE_DEFAULTS",
    "TableError",
    "final_estimator",
    "infer_task",
    "make_preprocessor",
    "make_tabular_pipeline",
    "read_table",
    "soft_clip",
]

PANDAS_HINT = 'pip install "skmlp_scratch[tabular]"'

# a numeric target with at most this many distinct integer values is taken
# for class labels by infer_task
MAX_CLASS_LEVELS = 20


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


class TableError(ValueError):
    """A table that cannot be used as it is: unreadable, empty or inconsistent."""


# ----------------------------------------------------------------- reading


def read_table(path):
    """Read a CSV file, or a Parquet file (``.parquet``, ``.pq``), into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.parquet`` or ``.pq`` is read as Parquet,
        anything else as CSV with a header row.

    Returns
    -------
    table : pandas.DataFrame
        At least one row and one column, column names as text.

    Raises
    ------
    TableError
        If the file is missing, empty, unreadable, has no data rows, or has
        a column that mixes numbers and text.
    ImportError
        If pandas (or, for Parquet, pyarrow) is not installed; the message
        says how to install them.
    """
    pd = _import_pandas()
    path = Path(path)
    if not path.is_file():
        raise TableError(f"no such file: {path}")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            table = _read_parquet(pd, path)
        else:
            table = pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty") from None
    # ParserError and pyarrow's ArrowInvalid are ValueErrors
    except (ValueError, OSError) as exc:
        raise TableError(f"cannot read {path}: {exc}") from None
    if table.shape[0] == 0:
        raise TableError(f"{path} has a header but no data rows")
    table.columns = [str(column) for column in table.columns]
    check_column_types(table)
    return table


def _read_parquet(pd, path):
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise ImportError(f"reading Parquet files needs pyarrow; install it with "
                          f"{PANDAS_HINT}") from None


def _import_pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError(f"reading tables needs pandas; install it with "
                          f"{PANDAS_HINT}") from None
    return pandas


def check_column_types(table):
    """Reject text columns in which some values are numbers and others are not.

    Such a column (``"12"``, ``"7"``, ``"n/a"``) is almost always a numeric
    column with a stray marker for missing values; one-hot encoding it
    would silently throw its order away.

    Parameters
    ----------
    table : pandas.DataFrame

    Raises
    ------
    TableError
        Naming the column and one value of each kind.
    """
    pd = _import_pandas()
    for column in table.columns:
        values = table[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        present = values.dropna()
        numbers = pd.to_numeric(present, errors="coerce")
        is_number = numbers.notna().to_numpy()
        if is_number.any() and not is_number.all():
            raise TableError(
                f"column {column!r} mixes numbers and text (e.g. "
                f"{present[is_number].iloc[0]!r} and {present[~is_number].iloc[0]!r}); "
                "mark missing values with an empty field, or make every value text")


# ------------------------------------------------------------------ target


def infer_task(y):
    """``"classification"`` or ``"regression"``, guessed from the target column.

    Text, boolean and categorical targets are class labels; so are numbers
    that are all integers with at most ``MAX_CLASS_LEVELS`` (20) distinct
    values. Any other numeric target is a regression target.

    Parameters
    ----------
    y : pandas.Series or array-like of shape (n_samples,)
        Without missing values.

    Returns
    -------
    task : {"classification", "regression"}
        The kind of estimator the target calls for.

    Examples
    --------
    >>> from skmlp_scratch.tabular import infer_task
    >>> infer_task(["yes", "no", "yes"]), infer_task([1.5, 2.0, 7.25])
    ('classification', 'regression')
    """
    values = np.asarray(y)
    if values.dtype.kind not in "iuf":
        return "classification"
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        return "regression"
    return "classification" if len(np.unique(values)) <= MAX_CLASS_LEVELS else "regression"


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
        The squashed values, of the type of ``X``.
    """
    X = np.asarray(X)
    return X / np.sqrt(1 + (X / bound) ** 2)


def _standard():
    return StandardScaler()


def _robust_clip():
    # RobustScaler centres on the median and divides by the interquartile
    # range, which is 0 for a column that is mostly one value: then it leaves
    # the column unscaled, which soft clipping keeps within bounds anyway
    return make_pipeline(RobustScaler(quantile_range=(25.0, 75.0)),
                         FunctionTransformer(soft_clip, feature_names_out="one-to-one"))


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
        ("cast", _caster(dtype))])
    # 0/1 columns, not scaled, for the numeric columns that had gaps at fit;
    # a gap first seen at prediction time is imputed and not flagged
    missing_steps = Pipeline([
        ("flag", MissingIndicator(features="missing-only", error_on_new=False)),
        ("cast", _caster(dtype))])
    categorical_steps = Pipeline([
        # booleans become text first: the imputer's "missing" level is text too
        ("text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
        ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                 max_categories=max_categories,
                                 min_frequency=min_frequency, sparse_output=False,
                                 dtype=dtype))])
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric_columns),
         ("missing", missing_steps, numeric_columns),
         ("categorical", categorical_steps,
          make_column_selector(dtype_exclude="number"))],
        sparse_threshold=0.0, verbose_feature_names_out=False)


def _caster(dtype):
    return FunctionTransformer(_cast, kw_args={"dtype": dtype},
                               feature_names_out="one-to-one")


def _cast(X, dtype):
    """``X`` as an array of ``dtype``, a copy only if the type changes."""
    return np.asarray(X, dtype=dtype)


def _as_text(X):
    """Categorical columns as an object array of text, missing values as NaN.

    Every missing marker pandas knows (None, NaN, ``pd.NA``, ``NaT``) becomes
    NaN, which the imputer then replaces by the level ``"missing"``.
    """
    import pandas as pd  # present: the column selectors need a DataFrame

    values = np.asarray(X, dtype=object)
    missing = pd.isna(values)
    result = values.astype(str).astype(object)
    result[missing] = np.nan
    return result


def make_tabular_pipeline(estimator=None, *, task="classification", log_target=False,
                          **preprocessor_options):
    """Preprocessor and network in one ``Pipeline``, ready for ``fit(table, y)``.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The final step; None makes an ``MLPScratchClassifier`` or
        ``MLPScratchRegressor``, according to ``task``, with the parameters
        of :data:`TABLE_DEFAULTS`. Any scikit-learn
        estimator works, which is how the benchmarks put scikit-learn's own
        models in the same pipeline.
    task : {"classification", "regression"}, default="classification"
    log_target : bool, default=False
        Regression only: fit the network to ``log(y)`` (standardised) and
        predict ``exp`` of its output; for positive, right-skewed targets such
        as wages or prices.
    **preprocessor_options
        Passed to :func:`make_preprocessor`.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"preprocess"`` and ``"model"``. For regression ``"model"``
        is a :class:`~sklearn.compose.TransformedTargetRegressor` whose
        ``regressor`` is the estimator, so a grid names the network's
        parameters ``model__regressor__alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmlp_scratch.tabular import make_tabular_pipeline
    >>> table = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5,
    ...                       "colour": ["red", "blue"] * 10})
    >>> y = [0, 1, 1, 0] * 5
    >>> model = make_tabular_pipeline(task="classification").set_params(
    ...     model__solver="lbfgs", model__random_state=0)
    >>> model.fit(table, y).predict(table).shape
    (20,)
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
    if log_target and task != "regression":
        raise ValueError("log_target=True needs task='regression'")
    if estimator is None:
        network_class = (MLPScratchClassifier if task == "classification"
                         else MLPScratchRegressor)
        estimator = network_class(**TABLE_DEFAULTS)
    if task == "regression":
        estimator = TransformedTargetRegressor(
            regressor=estimator, transformer=_target_transformer(log_target))
    return Pipeline([("preprocess", make_preprocessor(**preprocessor_options)),
                     ("model", estimator)])


def _target_transformer(log_target):
    if not log_target:
        return StandardScaler()
    return make_pipeline(FunctionTransformer(_checked_log, np.exp, check_inverse=False),
                         StandardScaler())


def _checked_log(y):
    """``log(y)``, refusing a target that is not strictly positive."""
    y = np.asarray(y, dtype=np.float64)
    if np.any(y <= 0):
        raise ValueError(f"log_target needs a positive target; its smallest value "
                         f"is {y.min()!r}")
    return np.log(y)


def final_estimator(model):
    """The network (or other estimator) at the end of a tabular pipeline.

    Parameters
    ----------
    model : estimator
        A pipeline from :func:`make_tabular_pipeline`, fitted or not, or an
        estimator on its own.

    Returns
    -------
    estimator : estimator
        The fitted ``regressor_`` of a fitted ``TransformedTargetRegressor``,
        its ``regressor`` if unfitted.
    """
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, TransformedTargetRegressor):
        return getattr(model, "regressor_", model.regressor)
    return model
