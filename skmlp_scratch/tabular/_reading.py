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

# words that, as a word of the target's name ("Type", "class_label"), say that
# its integer values are class codes, not ordered numbers
CLASS_WORDS = frozenset({"class", "type", "label", "category", "species", "kind"})


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


def read_table(path, *, na_values=(), categorical=(), numeric=(), thousands=None,
               decimal=None, encoding="utf-8"):
    """Read a CSV file, or a Parquet file (``.parquet``, ``.pq``), into a DataFrame.

    A CSV file's cells are read as text and each column is then typed, so
    that nothing is lost silently:

    - the field separator is the one of ``,``, ``;``, tab and ``|`` that
      splits the first lines into equal numbers of fields (comma first);
      lines may end in LF, CR LF or CR, and the header is read whole;
    - rows that end in a delimiter (one empty field more than the header
      names) keep their columns in place; a value beyond the header's last
      column is refused, naming its row;
    - surrounding spaces are removed from names and cells, so ``"yes "``
      and ``"yes"`` are one level;
    - a cell is missing if it is one of :data:`MISSING_MARKERS` or
      ``na_values``; ``NA``, ``?``, ``-`` and ``.`` are missing only in a
      column of numbers;
    - a column of numbers becomes numeric, also when they are written with
      thousands separators (``12,345``, ``1 234``, any width of space) or
      decimal commas (``3,5``), if only one reading fits, and with a
      currency sign (``$1,200``) or a percent sign (``12%`` reads as 12);
      a column that looks like numbers but mixes formats or units is
      refused, never taken for text; integer codes with leading zeros
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
    numeric : sequence of str, default=()
        Columns that must hold numbers, such as those a model was fitted on:
        a cell that is not a number (nor a gap marker) is refused naming its
        row, and a column without any value is read as numeric gaps.
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
    categorical, numeric = set(categorical), set(numeric)
    if not path.is_file():
        raise TableError(f"no such file: {path}")
    options = {"categorical": categorical, "numeric": numeric, "thousands": thousands,
               "decimal": decimal}
    if path.suffix.lower() in {".parquet", ".pq"}:
        table = _read_parquet(pd, path)
        if table.shape[0] == 0:
            raise TableError(f"{path} has a header but no data rows")
        table.columns = [str(column) for column in table.columns]
        for column in [c for c in table.columns if _is_text(table[c])]:
            table[column] = _type_one(table[column], column, options)
        return table
    table = _read_csv_text(pd, path, encoding)
    if table.shape[0] == 0:
        raise TableError(f"{path} has a header but no data rows")
    return _type_text_table(pd, table, [*MISSING_MARKERS, *na_values], options)


def _type_one(values, name, options):
    return type_column(values, name, keep_text=name in options["categorical"],
                       numeric=name in options["numeric"],
                       thousands=options["thousands"], decimal=options["decimal"])


# spaces that separate thousands: plain, no-break, thin, narrow no-break
SPACES = " \u00a0\u2009\u202f"
CURRENCY_SIGNS = "$€£¥"

# a cell pandas and float() read as a number, without separators or units
PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# a cell that may be a number in some format: it starts like one. Written
# without \s and inline flags, which send pandas' Arrow strings to a Python
# loop per cell (ten times slower) instead of RE2
NUMBER_START = (rf"[+-]?[{SPACES}]*[{CURRENCY_SIGNS}]?[{SPACES}]*[+-]?"
                r"(?:\.?[0-9]|[iI][nN][fF]|[nN][aA][nN])")


def _type_text_table(pd, table, missing, options):
    """Every column of a CSV file's text typed, the work done over the whole table.

    Stripping, missing markers and the common cases (a column of plain
    numbers, a column of words) are decided by a few vectorised passes over
    all cells at once, so that a table's width costs what its cells cost;
    only the columns that need a closer look (numbers written with
    separators or units, numbers beside text, codes) go through
    :func:`type_column` one by one.
    """
    n_rows, names = len(table), list(table.columns)
    cells = pd.Series(table.to_numpy(dtype=object).ravel(order="F"), dtype="str")
    cells = cells.str.strip()
    cells = cells.mask(cells.isin(missing))
    # per cell, then per column: column j holds cells j * n_rows to (j + 1) * n_rows
    by_column = {
        test: values.fillna(False).to_numpy(dtype=bool).reshape(len(names), n_rows)
        for test, values in [
            ("plain", cells.str.fullmatch(PLAIN_NUMBER)),
            ("integer", cells.str.fullmatch(r"[+-]?\d{1,18}")),
            ("code", cells.str.fullmatch(r"[+-]?0\d+")),
            ("number_like", cells.str.match(NUMBER_START))]}
    present = cells.notna().to_numpy().reshape(len(names), n_rows)
    gap = cells.isin(NUMBER_GAP_MARKERS).to_numpy().reshape(len(names), n_rows)
    keep_text = np.array([name in options["categorical"] for name in names], dtype=bool)
    is_plain = by_column["plain"]
    # plain numbers only; or plain numbers and gap markers (NA, ?, -, .)
    plain = is_plain.any(axis=1) & (is_plain | ~present).all(axis=1) & \
        ~by_column["code"].any(axis=1) & ~keep_text
    gapped = is_plain.any(axis=1) & (is_plain | gap | ~present).all(axis=1) & \
        gap.any(axis=1) & ~keep_text
    whole = plain & present.all(axis=1) & by_column["integer"].all(axis=1)
    words = present.any(axis=1) & ~by_column["number_like"].any(axis=1)
    text = cells.to_numpy(dtype=object, na_value=np.nan).reshape(len(names), n_rows)
    markers = {j: sorted(set(text[j][gap[j]])) for j in np.flatnonzero(gapped)}
    text[gap & gapped[:, None]] = np.nan
    # the numeric columns converted in two blocks, whole numbers and the others
    decimal = (plain & ~whole) | gapped
    numbers = {kind: dict(zip(np.flatnonzero(mask), text[mask].astype(dtype)))
               for kind, mask, dtype in [("whole", whole, np.int64),
                                         ("decimal", decimal, np.float64)]}
    columns = {}
    for j, name in enumerate(names):
        if j in markers:
            warnings.warn(f"column {name!r}: {short_list(markers[j])} read as missing "
                          "among its numbers", TableWarning, stacklevel=3)
        if plain[j] or gapped[j]:
            columns[name] = numbers["whole" if whole[j] else "decimal"][j]
            continue
        # a slice of the Arrow strings, not a copy
        values = pd.Series(cells.array[j * n_rows:(j + 1) * n_rows], name=name)
        if keep_text[j] or (words[j] and name not in options["numeric"]):
            columns[name] = values
        else:
            columns[name] = _type_one(values, name, options)
    return pd.DataFrame(columns, index=pd.RangeIndex(n_rows))


def _read_csv_text(pd, path, encoding):
    """Every cell of a CSV file as text, as written, under the header's names."""
    sample = _read_sample(path, encoding)
    if not sample.strip():
        raise TableError(f"{path} is empty")
    delimiter = sniff_delimiter(sample)
    # newline=None: a file of old spreadsheets ends its lines in CR alone
    rows = csv.reader(io.StringIO(sample, newline=None), delimiter=delimiter)
    header = next(rows)
    # as wide as the header or the first data row, whichever is wider: pandas
    # would make the first column of rows one field longer than the header
    # (a trailing delimiter) its index and shift every column by one
    width = max(len(header), len(next(rows, ())))
    try:
        table = pd.read_csv(path, sep=delimiter, header=0, names=range(width),
                            dtype=str, keep_default_na=False, na_values=[],
                            encoding=encoding, skipinitialspace=True)
    except UnicodeDecodeError as exc:
        raise TableError(_encoding_message(path, encoding, exc)) from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty") from None
    except (ValueError, OSError) as exc:  # ParserError is a ValueError
        hint = "" if delimiter != "," else (
            "; if its fields are separated by something other than , ; tab or |, "
            "save it with commas")
        raise TableError(f"cannot read {path}: {one_line(exc)}{hint}") from None
    table = _drop_empty_last_fields(table, header, path)
    table.columns = check_header(header[:table.shape[1]], path)
    return table


def _drop_empty_last_fields(table, header, path):
    """``table`` without the empty fields that close its rows.

    A spreadsheet that ends each row in a delimiter writes an empty field
    after the last column: one more than the header names, or, when the
    header ends in the delimiter too, a column without a name. Such fields
    are dropped; a field beyond the header that holds a value has no column
    to go to and is refused.
    """
    n_named = len(header)
    while n_named > 1 and not header[n_named - 1].strip():
        n_named -= 1
    extra = table.iloc[:, n_named:]
    if extra.shape[1] == 0:
        return table
    filled = extra.fillna("").apply(lambda values: values.str.strip()) != ""
    beyond = filled.iloc[:, len(header) - n_named:].any(axis=1).to_numpy()
    if beyond.any():
        row = int(np.flatnonzero(beyond)[0])
        values = extra.iloc[row, len(header) - n_named:].dropna()
        raise TableError(f"{path}: data row {row + 1} has more fields than the header "
                         f"names ({len(header)}); {short_repr(values.iloc[-1])} has "
                         "no column: give every column a name in the header")
    if filled.any().any():  # nameless header columns with values: kept
        return table.iloc[:, :len(header)]
    warnings.warn(f"the rows of {path} end in a delimiter; the empty field after the "
                  "last column is ignored", TableWarning, stacklevel=4)
    return table.iloc[:, :n_named]


def _read_sample(path, encoding):
    """The start of ``path`` as text, to find its separator and header.

    At least ``SNIFF_BYTES`` or the whole file, and always the header and
    the first data row whole: a survey export's header alone can be wider
    than the sample.
    """
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
        complete = len(head) < SNIFF_BYTES
        while not complete and len(LINE_BREAK.findall(head)) < 2:
            chunk = file.read(SNIFF_BYTES)
            head += chunk
            complete = len(chunk) < SNIFF_BYTES
    # cut at the last line break, so that a multi-byte character split at
    # the end of the sample is not taken for a wrong encoding
    if not complete:
        breaks = list(LINE_BREAK.finditer(head))
        if breaks:
            head = head[:breaks[-1].start()]
    try:
        return head.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise TableError(_encoding_message(path, encoding, exc)) from None
    except LookupError:
        raise TableError(f"unknown text encoding {encoding!r}") from None


# a line break in any of the three conventions: CR LF, LF, CR alone
LINE_BREAK = re.compile(rb"\r\n|\n|\r")


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


def type_column(values, name, *, keep_text=False, numeric=False, thousands=None,
                decimal=None):
    """A text column as numbers where that is what it holds, else as text.

    Numbers written as text in the common ways are read as numbers, with a
    :class:`TableWarning` that says how: thousands separators (``,``, ``.``
    or a space of any width: ``1 234``, thin and narrow no-break spaces
    too), decimal commas, a currency sign (``$1,200``, ``12 €``) and a
    percent sign (``12%`` reads as 12). A column whose cells look like
    numbers but that no single reading fits (``1,234.5`` beside
    ``1.234,5``, ``$3`` beside ``4 €``) is refused naming it: it is never
    one-hot encoded as if it were text.

    Parameters
    ----------
    values : pandas.Series
        Stripped text, NaN where missing.
    name : str
        The column's name, for messages.
    keep_text : bool, default=False
        Keep the column as text whatever it holds.
    numeric : bool, default=False
        The column must hold numbers (a model was fitted on it as numbers):
        a cell that is not one is refused naming it, and a column without
        any value is a numeric column of gaps.
    thousands, decimal : str or None, default=None
        A number format the user gave; None detects it. A column the given
        format does not fit is still detected.

    Returns
    -------
    column : pandas.Series
        Numeric (int64 if every value is a whole number without gaps, else
        float64), or the text unchanged.

    Raises
    ------
    TableError
        If the column mixes numbers and other text, holds numbers in two
        formats or units, or two number formats fit it with different values.
    """
    pd = _import_pandas()
    present = values.dropna()
    if keep_text:
        return values
    if present.empty:
        return _numbers(pd, values, present.astype(np.float64)) if numeric else values
    text = present.astype(str)
    numbers = pd.to_numeric(text, errors="coerce")
    parsed = numbers.notna()
    if parsed.all():
        codes = text.str.fullmatch(r"[+-]?0\d+")  # integers with leading zeros
        if codes.any() and not numeric:
            warnings.warn(f"column {name!r} holds codes with leading zeros (e.g. "
                          f"{short_repr(text[codes].iloc[0])}); kept as text",
                          TableWarning, stacklevel=3)
            return values
        return _numbers(pd, values, numbers)
    gaps = text.isin(NUMBER_GAP_MARKERS)
    if parsed.any() and (parsed | gaps).all():
        markers = sorted(set(text[gaps]))
        warnings.warn(f"column {name!r}: {short_list(markers)} read as missing "
                      "among its numbers", TableWarning, stacklevel=3)
        return _numbers(pd, values, numbers[parsed])
    formatted = _read_written_numbers(text[~gaps], name, thousands, decimal)
    if formatted is not None:
        if gaps.any():
            warnings.warn(f"column {name!r}: {short_list(sorted(set(text[gaps])))} "
                          "read as missing among its numbers", TableWarning,
                          stacklevel=3)
        return _numbers(pd, values, formatted)
    if numeric:
        bad = text[~(parsed | gaps)]
        raise TableError(
            f"column {name!r} is numeric, but its data row "
            f"{_row_number(bad.index[0], values.index)} holds "
            f"{short_repr(bad.iloc[0])}; give it numbers, with an empty field "
            "where a value is missing")
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


def _row_number(label, index):
    """The data row (from 1) of index ``label``."""
    return int(index.get_loc(label)) + 1


def _numbers(pd, values, numbers):
    """``values`` with its present cells replaced by ``numbers``, typed."""
    if numbers.dtype.kind in "iu" and len(numbers) == len(values):
        return numbers.astype(np.int64)  # whole numbers without gaps, as written
    column = pd.Series(np.nan, index=values.index, dtype=np.float64, name=values.name)
    column[numbers.index] = numbers.astype(np.float64)
    return column



# a number as written, in parts: sign, a currency sign before, the digits
# with their separators, a currency or percent sign after
WRITTEN_NUMBER = (rf"(?P<sign>[+-]?)[{SPACES}]*(?P<before>[{CURRENCY_SIGNS}]?)"
                  rf"[{SPACES}]*(?P<sign2>[+-]?)(?P<digits>[0-9][0-9.,{SPACES}]*)"
                  rf"[{SPACES}]*(?P<after>[{CURRENCY_SIGNS}%]?)")


def _read_written_numbers(text, name, thousands=None, decimal=None):
    """``text`` as numbers in the one reading that fits it, or None if it is text.

    Parameters
    ----------
    text : pandas.Series of str
        The column's cells, without gaps.
    name : str
    thousands, decimal : str or None
        A format the user gave; it is tried first.

    Returns
    -------
    numbers : pandas.Series or None
        None where a cell does not look like a number in any format.

    Raises
    ------
    TableError
        If the cells look like numbers but mix units or formats, or two
        formats fit every cell with different values.
    """
    parts = text.str.extract(f"^{WRITTEN_NUMBER}$")
    if parts["digits"].isna().any():
        return None
    unit = parts["before"].str.cat(parts["after"])
    sign = parts["sign"].str.cat(parts["sign2"])
    if (sign.str.len() > 1).any():
        return None
    digits = parts["digits"].str.rstrip(SPACES)
    units = sorted(set(unit) - {""})
    if len(units) > 1:
        raise TableError(
            f"column {name!r} holds numbers in different units "
            f"({short_list(units)}, e.g. {short_repr(text[unit == units[0]].iloc[0])} "
            f"and {short_repr(text[unit == units[1]].iloc[0])}); write it in one unit, "
            "or keep it as categories with --categorical")
    read = _read_digits(digits, text, name, thousands, decimal)
    if read is None:
        return None
    numbers, number_format = read
    if units == ["%"] and ((unit == "") & (numbers != 0)).any():
        bare = text[(unit == "") & (numbers != 0)].iloc[0]
        raise TableError(
            f"column {name!r} holds percentages (e.g. {short_repr(text[unit != ''].iloc[0])}) "
            f"and numbers without % (e.g. {short_repr(bare)}), which may be fractions; "
            "write them alike, or keep the column as categories with --categorical")
    numbers = numbers.where(sign != "-", -numbers)
    written = ("" if number_format == ("", ".") else
               f" written with {_describe_format(digits, *number_format)}")
    if units == ["%"]:
        kind = "percentages (12% read as 12)"
    elif units:
        kind = f"amounts (the currency sign {units[0]!r} dropped)"
    else:
        kind = "numbers"
    if units or written:
        warnings.warn(f"column {name!r} read as {kind}{written}", TableWarning,
                      stacklevel=4)
    return numbers


def _read_digits(digits, text, name, thousands, decimal):
    """Numbers from digits with separators, and the one format that fits them all.

    Returns ``(numbers, (thousands, decimal))``, or None where some cell
    fits no format.
    """
    pd = _import_pandas()
    plain = pd.to_numeric(digits, errors="coerce")
    if plain.notna().all():
        return plain, ("", ".")
    given = (thousands or "", decimal or ".")
    formats = NUMBER_FORMATS if given == ("", ".") else (given, *NUMBER_FORMATS)
    fits = {}
    covered = pd.Series(False, index=digits.index)
    for number_format in dict.fromkeys(formats):
        matches = digits.str.fullmatch(_format_pattern(*number_format))
        covered |= matches
        if matches.all():
            fits[number_format] = _parse_digits(digits, *number_format)
            if number_format == given:
                break  # the user's format fits: no question to ask
    if not fits:
        if not covered.all():
            return None
        # every cell reads in some format, but no format reads every cell
        usual = digits.str.fullmatch(_format_pattern(",", "."))
        raise TableError(
            f"column {name!r} holds numbers written in two formats (e.g. "
            f"{short_repr(text[usual].iloc[0] if usual.any() else text.iloc[0])} and "
            f"{short_repr(text[~usual].iloc[0])}); write them in one format, or keep "
            "the column as categories with --categorical")
    readings = list(fits.items())
    first_format, first = readings[0]
    if given not in fits:
        for other_format, numbers in readings[1:]:
            if not np.array_equal(numbers.to_numpy(), first.to_numpy()):
                raise TableError(
                    f"column {name!r} holds numbers such as "
                    f"{short_repr(digits.iloc[0])} that read two ways: "
                    f"{_describe_format(digits, *first_format)} or "
                    f"{_describe_format(digits, *other_format)}; "
                    "say which with --thousands or --decimal (e.g. --thousands ,)")
    return first, first_format


def _format_pattern(thousands, decimal):
    """A regular expression of unsigned numbers in this format."""
    group = {" ": f"[{SPACES}]", "": None}.get(thousands, re.escape(thousands))
    grouped = rf"\d{{1,3}}(?:{group}\d{{3}})+|" if group else ""
    return rf"(?:{grouped}\d+)(?:{re.escape(decimal)}\d+)?"


def _parse_digits(digits, thousands, decimal):
    """``digits`` that fit this format, as numbers."""
    if thousands:
        separators = f"[{SPACES}]" if thousands == " " else re.escape(thousands)
        digits = digits.str.replace(separators, "", regex=True)
    return _import_pandas().to_numeric(digits.str.replace(decimal, ".", regex=False))


def _describe_format(text, thousands, decimal):
    """How ``text`` writes its numbers, naming only the marks it uses."""
    names = {",": "commas", ".": "points", " ": "spaces"}
    group = f"[{SPACES}]" if thousands == " " else re.escape(thousands or "")
    parts = ([f"{names[thousands]} between thousands"]
             if thousands and text.str.contains(group).any() else [])
    if text.str.contains(decimal, regex=False).any():
        parts.append(f"decimal {names[decimal]}")
    return " and ".join(parts) or "plain digits"


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
        if not _is_text(table[column]):  # the dtype first: numeric columns cost nothing
            continue
        values = table[column].dropna()
        if len(values) == 0:
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
    doctor visits, years of schooling, a rating) unless they are class codes.
    Codes are recognised by the target's name: integers of at most
    ``MAX_CLASS_LEVELS`` (20) levels in a column named with a word of
    ``CLASS_WORDS`` ("Type", "class", "species_label") are class labels.
    Either guess about 3 to 20 integer levels can be wrong, so it is said in
    a :class:`TableWarning` that names the way to the other task.

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
        for a regression, though they might be class codes, or, named as
        class codes, for a classification.

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
    if len(levels) > MAX_CLASS_LEVELS:
        return "regression"
    column = getattr(y, "name", None)
    name = f"target {column!r}" if isinstance(column, str) else "the target"
    shown = ", ".join(f"{v:g}" for v in levels[:6]) + (", ..." if len(levels) > 6
                                                         else "")
    if isinstance(column, str) and CLASS_WORDS & _words(column):
        warnings.warn(
            f"{name} has {len(levels)} integer levels ({shown}) and a name that says "
            "they are class codes, so the task is classification; if they are "
            "ordered numbers (a count, a score), ask for regression (--task "
            "regression on the command line)", TableWarning, stacklevel=2)
        return "classification"
    warnings.warn(
        f"{name} has {len(levels)} integer levels ({shown}): taken as ordered "
        "numbers (a count, a score), so the task is regression; if they are "
        "class codes, ask for classification (--task classification on the "
        "command line)", TableWarning, stacklevel=2)
    return "regression"


def _words(name):
    """The lower-case words of a column name: ``"GlassType"`` and
    ``"glass_type"`` give ``{"glass", "type"}``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return set(re.findall(r"[a-z]+", spaced.lower()))


