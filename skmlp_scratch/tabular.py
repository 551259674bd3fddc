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

import collections
import csv
import io
import re
import warnings
from numbers import Integral, Real
from pathlib import Path

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
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor

__all__ = [
    "AsText",
    "Cast",
    "LogTarget",
    "NUMERIC_SCALERS",
    "PiecewiseLinearEncoder",
    "SoftClip",
    "TABLE_DEFAULTS",
    "TableError",
    "TableWarning",
    "final_estimator",
    "infer_task",
    "make_preprocessor",
    "make_tabular_pipeline",
    "read_table",
    "soft_clip",
    "suspect_columns",
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

MISSING_MARKERS = ("", "NaN", "nan", "NULL", "null", "N/A", "n/a", "#N/A")
"""Cell texts that mean "missing" in any column of a CSV table.

The empty field, and spellings that name no real level. ``NA`` is not one of
them: it is a region, a country code or a class as often as it is a gap; in
a column of numbers it is read as missing (see :data:`NUMBER_GAP_MARKERS`),
in a text column it stays a level. ``read_table(na_values=...)`` adds others.
"""

NUMBER_GAP_MARKERS = ("NA", "na", "?", "-", ".")
"""Cell texts read as missing in a column whose other values are all numbers."""

# field separators tried on a CSV file's first lines, in order of preference
DELIMITERS = (",", ";", "\t", "|")

# (thousands separator, decimal mark) readings of numbers written as text;
# " " stands for any space, including the non-breaking ones
NUMBER_FORMATS = ((",", "."), (" ", "."), (" ", ","), (".", ","), ("", ","))

SNIFF_BYTES = 64 * 1024

# a column of numbers with at most this share of other text is taken for a
# numeric column with stray markers, and refused rather than one-hot encoded;
# with more text (none, some, 2, 5 years of experience) the numbers are levels
STRAY_TEXT_SHARE = 0.05


class TableWarning(UserWarning):
    """A table read differently from its literal text, or with a suspicious column."""


def read_table(path, *, na_values=(), categorical=(), thousands=None, decimal=None,
               encoding="utf-8"):
    """Read a CSV file, or a Parquet file (``.parquet``, ``.pq``), into a DataFrame.

    A CSV file's cells are read as text and each column is then typed, so
    that nothing is lost silently:

    - the field separator is the one of ``,``, ``;``, tab and ``|`` that
      splits the first lines into equal numbers of fields (comma first);
    - surrounding spaces are removed from names and cells, so ``"yes "``
      and ``"yes"`` are one level;
    - a cell is missing if it is one of :data:`MISSING_MARKERS` or
      ``na_values``; ``NA``, ``?``, ``-`` and ``.`` are missing only in a
      column of numbers;
    - a column of numbers becomes numeric, also when they are written with
      thousands separators (``12,345``, ``1 234``) or decimal commas
      (``3,5``), if only one reading fits; integer codes with leading zeros
      (``007``) and the ``categorical`` columns stay text;
    - a column of numbers with a few other texts (at most 5 %) is refused,
      as a numeric column with an unknown missing marker; with more text,
      its values are categories.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.parquet`` or ``.pq`` is read as Parquet,
        anything else as CSV with a header row.
    na_values : sequence of str, default=()
        More cell texts that mean "missing" in every column.
    categorical : sequence of str, default=()
        Columns to keep as text even if their values are numbers, such as
        codes (``"001"``) or zip codes; names the table lacks are ignored,
        as pandas' ``dtype`` ignores them.
    thousands, decimal : str or None, default=None
        The thousands separator and the decimal mark of numbers written as
        text; None detects them per column, refusing a column that two
        readings fit (``12,345``).
    encoding : str, default="utf-8"
        Text encoding of a CSV file.

    Returns
    -------
    table : pandas.DataFrame
        At least one row and one column, column names as text.

    Raises
    ------
    TableError
        If the file is missing, empty, unreadable or not in ``encoding``, has
        no data rows, repeats a column name, or has a column that mixes
        numbers and text or whose numbers two formats fit.
    ImportError
        If pandas (or, for Parquet, pyarrow) is not installed; the message
        says how to install them.

    Warns
    -----
    TableWarning
        For each column read as numbers from formatted text, with gaps
        marked ``NA`` or ``?``, kept as text for its leading zeros or as
        categories for its mix of numbers and text, and for a column
        without a name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skmlp_scratch.tabular import read_table
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("region;code;sales\\nNA;007;5\\nEU ;012;7\\n")
    >>> table = read_table(path, categorical=["code"])
    >>> table.to_dict("list")
    {'region': ['NA', 'EU'], 'code': ['007', '012'], 'sales': [5, 7]}
    """
    pd = _import_pandas()
    path = Path(path)
    if not path.is_file():
        raise TableError(f"no such file: {path}")
    if path.suffix.lower() in {".parquet", ".pq"}:
        table = _read_parquet(pd, path)
        text_columns = [c for c in table.columns if _is_text(table[c])]
    else:
        table = _read_csv_text(pd, path, [*MISSING_MARKERS, *na_values], encoding)
        text_columns = list(table.columns)
    if table.shape[0] == 0:
        raise TableError(f"{path} has a header but no data rows")
    table.columns = [str(column) for column in table.columns]
    for column in text_columns:
        table[column] = type_column(table[column], column, keep_text=column in categorical,
                                    thousands=thousands, decimal=decimal)
    return table


def _read_csv_text(pd, path, missing, encoding):
    """Every cell of a CSV file as stripped text, or NaN where it is missing."""
    sample = _read_sample(path, encoding)
    if not sample.strip():
        raise TableError(f"{path} is empty")
    delimiter = sniff_delimiter(sample)
    names = check_header(next(csv.reader(io.StringIO(sample), delimiter=delimiter)), path)
    try:
        table = pd.read_csv(path, sep=delimiter, header=0, names=names, dtype=str,
                            keep_default_na=False, na_values=[], encoding=encoding,
                            skipinitialspace=True)
    except UnicodeDecodeError as exc:
        raise TableError(_encoding_message(path, encoding, exc)) from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty") from None
    except (ValueError, OSError) as exc:  # ParserError is a ValueError
        hint = "" if delimiter != "," else (
            "; if its fields are separated by something other than , ; tab or |, "
            "save it with commas")
        raise TableError(f"cannot read {path}: {one_line(exc)}{hint}") from None
    for column in table.columns:
        values = table[column].str.strip()
        table[column] = values.where(~values.isin(missing))
    return table


def _read_sample(path, encoding):
    """The start of ``path`` as text, to find its separator and header."""
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
    # cut at the last line break, so that a multi-byte character split at
    # SNIFF_BYTES is not taken for a wrong encoding
    if len(head) == SNIFF_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n")]
    try:
        return head.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise TableError(_encoding_message(path, encoding, exc)) from None
    except LookupError:
        raise TableError(f"unknown text encoding {encoding!r}") from None


def _encoding_message(path, encoding, exc):
    byte = exc.object[exc.start:exc.start + 1].hex()
    return (f"{path} is not {encoding} text (byte 0x{byte} at position {exc.start}); "
            "save it as UTF-8, or name its encoding, e.g. --encoding latin-1 or cp1252")


def sniff_delimiter(sample):
    """The field separator of a CSV sample: the first of ``DELIMITERS`` that fits.

    A separator fits when it splits every complete line of the sample into
    the same number of fields, more than one; a comma that fits wins.

    Parameters
    ----------
    sample : str
        The first lines of the file.

    Returns
    -------
    delimiter : str
        ``","`` if no separator fits, for a one-column table.
    """
    lines = sample.splitlines()[:50]
    for delimiter in DELIMITERS:
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    return ","


def check_header(names, path):
    """Column names without surrounding spaces, refusing repeated ones.

    pandas would rename a second ``y`` to ``y.1`` and so turn a repeated
    target into a feature; a nameless column is called ``unnamed_<k>``
    (its position from 1) with a warning.

    Parameters
    ----------
    names : list of str
        The header row as written.
    path : path-like
        The file, for the messages.

    Returns
    -------
    names : list of str
    """
    names = [name.strip() for name in names]
    for k, name in enumerate(names):
        if not name:
            names[k] = f"unnamed_{k + 1}"
            warnings.warn(f"column {k + 1} of {path} has no name; it is called "
                          f"{names[k]!r}", TableWarning, stacklevel=3)
    counts = collections.Counter(names)
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        raise TableError(f"{path} has more than one column named "
                         f"{short_list(repeated)}; give each column its own name")
    return names


def type_column(values, name, *, keep_text=False, thousands=None, decimal=None):
    """A text column as numbers where that is what it holds, else as text.

    Parameters
    ----------
    values : pandas.Series
        Stripped text, NaN where missing.
    name : str
        The column's name, for messages.
    keep_text : bool, default=False
        Keep the column as text whatever it holds.
    thousands, decimal : str or None, default=None
        A number format the user gave; None detects it.

    Returns
    -------
    column : pandas.Series
        Numeric (int64 if every value is a whole number without gaps, else
        float64), or the text unchanged.

    Raises
    ------
    TableError
        If the column mixes numbers and other text, or two number formats
        fit it with different values.
    """
    pd = _import_pandas()
    present = values.dropna()
    if keep_text or present.empty:
        return values
    text = present.astype(str)
    numbers = pd.to_numeric(text, errors="coerce")
    parsed = numbers.notna()
    if not parsed.all():
        gaps = text.isin(NUMBER_GAP_MARKERS)
        if parsed.any() and (parsed | gaps).all():
            markers = sorted(set(text[gaps]))
            warnings.warn(f"column {name!r}: {short_list(markers)} read as missing "
                          "among its numbers", TableWarning, stacklevel=3)
            return _numbers(pd, values, numbers[parsed])
        if thousands is not None or decimal is not None:
            formats = [(thousands or "", decimal or ".")]
        else:
            formats = NUMBER_FORMATS
        # a text column's first word is enough to rule every format out
        looks_formatted = re.fullmatch(r"[+-]?[\d., \u00a0\u202f]+",
                                       text[~parsed].iloc[0])
        formatted = (_read_formatted_numbers(text, name, formats)
                     if looks_formatted else None)
        if formatted is not None:
            return _numbers(pd, values, formatted)
        if parsed.any():
            example = (f"e.g. {short_repr(text[parsed].iloc[0])} and "
                       f"{short_repr(text[~parsed].iloc[0])}")
            if parsed.mean() > 1 - STRAY_TEXT_SHARE:
                raise TableError(
                    f"column {name!r} mixes numbers and text ({example}); mark "
                    "missing values with an empty field or name the marker with "
                    "--na-values, or keep the column as categories with --categorical")
            warnings.warn(f"column {name!r} mixes numbers and text ({example}); its "
                          "values are encoded as categories", TableWarning, stacklevel=3)
        return values
    leading_zero = text.str.match(r"[+-]?0\d")
    if leading_zero.any():
        warnings.warn(f"column {name!r} holds codes with leading zeros (e.g. "
                      f"{short_repr(text[leading_zero].iloc[0])}); kept as text",
                      TableWarning, stacklevel=3)
        return values
    return _numbers(pd, values, numbers)


def _numbers(pd, values, numbers):
    """``values`` with its present cells replaced by ``numbers``, typed."""
    if numbers.dtype.kind in "iu" and len(numbers) == len(values):
        return numbers.astype(np.int64)  # whole numbers without gaps, as written
    column = pd.Series(np.nan, index=values.index, dtype=np.float64, name=values.name)
    column[numbers.index] = numbers.astype(np.float64)
    return column


def _read_formatted_numbers(text, name, formats):
    """``text`` as numbers in the one reading of ``formats`` that fits, or None.

    Raises
    ------
    TableError
        If several readings fit and give different numbers (``12,345``).
    """
    readings = {}
    for thousands, decimal in formats:
        numbers = _parse_format(text, thousands, decimal)
        if numbers is not None:
            readings[(thousands, decimal)] = numbers
    if not readings:
        return None
    first_format, first = next(iter(readings.items()))
    for other_format, numbers in readings.items():
        if not np.array_equal(numbers.to_numpy(), first.to_numpy()):
            raise TableError(
                f"column {name!r} holds numbers such as "
                f"{short_repr(text.iloc[0])} that read two ways: "
                f"{_describe_format(text, *first_format)} or "
                f"{_describe_format(text, *other_format)}; "
                "say which with --thousands or --decimal (e.g. --thousands ,)")
    warnings.warn(f"column {name!r} read as numbers written with "
                  f"{_describe_format(text, *first_format)}", TableWarning, stacklevel=4)
    return first


def _parse_format(text, thousands, decimal):
    """``text`` as numbers with this separator and decimal mark, or None."""
    group = {" ": r"[ \u00a0\u202f]", "": None}.get(thousands, re.escape(thousands))
    point = re.escape(decimal)
    grouped = rf"\d{{1,3}}(?:{group}\d{{3}})+" if group else r"(?!)"
    pattern = rf"[+-]?(?:{grouped}|\d+)(?:{point}\d+)?"
    if not text.str.fullmatch(pattern).all():
        return None
    plain = text.str.replace(r"[ \u00a0\u202f]" if thousands == " " else thousands,
                             "", regex=thousands == " ") if thousands else text
    if thousands and plain.equals(text):  # a reading without thousands fits too
        return None
    plain = plain.str.replace(decimal, ".", regex=False)
    if plain.equals(text):  # nothing formatted: plain numbers are read elsewhere
        return None
    return _import_pandas().to_numeric(plain)


def _describe_format(text, thousands, decimal):
    """How ``text`` writes its numbers, naming only the marks it uses."""
    names = {",": "commas", ".": "points", " ": "spaces"}
    parts = [f"{names[thousands]} between thousands"] if thousands else []
    if text.str.contains(decimal, regex=False).any():
        parts.append(f"decimal {names[decimal]}")
    return " and ".join(parts)


def suspect_columns(table):
    """Find the columns one-hot encoding will not make sense of: dates and identifiers.

    Parameters
    ----------
    table : pandas.DataFrame
        The features, as :func:`read_table` returns them.

    Returns
    -------
    reasons : dict of str to str
        Column name to ``"dates"`` for a text column whose values look like
        dates or times, or ``"a different value in every row"`` for a text
        column (of at least 20 rows) that never repeats a value.
    """
    reasons = {}
    for column in table.columns:
        values = table[column].dropna()
        if not _is_text(values) or len(values) == 0:
            continue
        text = values.astype(str)
        if text.str.fullmatch(DATE_PATTERN).mean() > 0.9:
            reasons[column] = "dates"
        elif len(text) >= 20 and text.nunique() == len(text):
            reasons[column] = "a different value in every row"
    return reasons


# ISO dates (2024-03-01, with an optional time), and day/month/year with / . -
DATE_PATTERN = (r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")


def _is_text(values):
    """Whether a column holds text (object or string dtype), not numbers or booleans."""
    pd = _import_pandas()
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def short_repr(value, limit=40):
    """``repr(value)``, cut to ``limit`` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 4] + "...'"


def short_list(items, limit=8):
    """Up to ``limit`` items as ``'a', 'b'``, then how many more there are."""
    items = list(items)
    shown = ", ".join(short_repr(item) for item in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def one_line(message, limit=600):
    """``message`` on one line, cut in the middle to at most ``limit`` characters.

    The middle goes, not the end, which usually says what to do.
    """
    text = " ".join(str(message).split())
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"


def _read_parquet(pd, path):
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise ImportError(f"reading Parquet files needs pyarrow; install it with "
                          f"{PANDAS_HINT}") from None
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise TableError(f"cannot read {path}: {one_line(exc)}") from None


def _import_pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError(f"reading tables needs pandas; install it with "
                          f"{PANDAS_HINT}") from None
    return pandas


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
        import pandas as pd  # present: the column selectors need a DataFrame

        values = np.asarray(X, dtype=object)
        missing = pd.isna(values)
        result = values.astype(str).astype(object)
        result[missing] = ""
        return result


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
    return make_pipeline(LogTarget(), StandardScaler())


def _checked_log(y):
    """``log(y)``, refusing a target that is not strictly positive."""
    y = np.asarray(y, dtype=np.float64)
    if np.any(y <= 0):
        raise ValueError(f"log_target needs a positive target; its smallest value "
                         f"is {y.min()!r}")
    return np.log(y)


def fitted_columns(model, part):
    """The columns one part of a fitted tabular pipeline's preprocessor takes.

    Parameters
    ----------
    model : estimator
        A fitted pipeline from :func:`make_tabular_pipeline`, or any other
        estimator.
    part : {"numeric", "categorical"}
        The part of :func:`make_preprocessor`'s ``ColumnTransformer``.

    Returns
    -------
    columns : list of str
        Empty for a model without that part.
    """
    preprocessor = getattr(model, "named_steps", {}).get("preprocess")
    for name, _, columns in getattr(preprocessor, "transformers_", ()):
        if name == part:
            return [str(column) for column in columns]
    return []


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


# ------------------------------------------------------------------ encoders


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
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                          reset=False)
        # one gather and one clip for all columns: the bins' column, lower
        # edge and width laid out side by side
        column = np.repeat(np.arange(self.n_features_in_), self.n_bins_)
        lower = np.concatenate([e[:-1] for e in self.bin_edges_]).astype(X.dtype)
        width = np.concatenate([np.diff(e) for e in self.bin_edges_]).astype(X.dtype)
        return np.clip((X[:, column] - lower) / width, 0.0, 1.0)

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
