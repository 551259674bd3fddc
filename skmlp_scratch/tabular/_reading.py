"""Reading a CSV or Parquet table so that nothing in it is taken silently.

:func:`read_table` types each column of a CSV file itself (separator, spaces,
missing markers, numbers written as text, codes, repeated names);
:func:`infer_task` guesses the task a target column calls for and
:func:`suspect_columns` names the columns one-hot encoding cannot use.
"""

import collections
import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np

PANDAS_HINT = 'pip install "skmlp_scratch[tabular]"'

# a numeric target with at most this many distinct integer values might be
# class codes: infer_task takes it for a regression and says so
MAX_CLASS_LEVELS = 20


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

    Text, boolean and categorical targets are class labels, and so is a
    numeric target of at most two distinct values (0/1, 1/2). Any other
    numeric target is a regression target: numbers that are not all integers,
    and integers of three levels or more, which are ordered (a count of
    doctor visits, years of schooling, a rating) unless the user says that
    they are class codes. With at most ``MAX_CLASS_LEVELS`` (20) integer
    levels that guess can be wrong, so it is said in a :class:`TableWarning`
    that names the way to the other task.

    Parameters
    ----------
    y : pandas.Series or array-like of shape (n_samples,)
        Without missing values.

    Returns
    -------
    task : {"classification", "regression"}
        The kind of estimator the target calls for.

    Warns
    -----
    TableWarning
        When the target is integers of 3 to ``MAX_CLASS_LEVELS`` levels: taken
        for a regression, though they might be class codes.

    Examples
    --------
    >>> from skmlp_scratch.tabular import infer_task
    >>> infer_task(["yes", "no", "yes"]), infer_task([1.5, 2.0, 7.25]), infer_task([0, 1])
    ('classification', 'regression', 'classification')
    """
    values = np.asarray(y)
    if values.dtype.kind not in "iuf":
        return "classification"
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        return "regression"
    levels = np.unique(values)
    if len(levels) <= 2:
        return "classification"
    if len(levels) <= MAX_CLASS_LEVELS:
        name = f"target {y.name!r}" if isinstance(getattr(y, "name", None), str) else (
            "the target")
        shown = ", ".join(f"{v:g}" for v in levels[:6]) + (", ..." if len(levels) > 6
                                                             else "")
        warnings.warn(
            f"{name} has {len(levels)} integer levels ({shown}): taken as ordered "
            "numbers (a count, a score), so the task is regression; if they are "
            "class codes, ask for classification (--task classification on the "
            "command line)", TableWarning, stacklevel=2)
    return "regression"


