"""Reading a table for a command: the reading options, and rows for a fitted model.

``train`` on a table, ``predict`` and ``export --dataset`` read tables the
same way, through :func:`read_command_table`, with the options of
:func:`add_reading_options`; for a fitted model the table is read the way
the model was trained (its categorical columns as text, its numeric columns
as numbers) and :func:`select_model_columns` picks its columns.
"""

import sys

from ..tabular import TableError, read_table
from ..tabular._contract import CATEGORICAL, NUMERIC, fitted_columns
from ..tabular._reading import MISSING_MARKERS, short_list
from ._errors import CommandError
from .options import parse_columns, table_path


def add_reading_options(group):
    """Add the options that say how to read a CSV table to ``group``.

    Parameters
    ----------
    group : argparse._ArgumentGroup
    """
    group.add_argument("--categorical", type=parse_columns, default=(),
                       metavar="COLUMNS",
                       help="comma-separated columns to keep as text although they "
                            "hold numbers, such as codes or zip codes")
    group.add_argument("--na-values", type=parse_columns, default=(), metavar="TEXTS",
                       help="comma-separated cell texts that mean missing, besides "
                            "the empty field and " + ", ".join(
                                repr(marker) for marker in MISSING_MARKERS if marker))
    group.add_argument("--thousands", default=None, metavar="CHAR",
                       help="thousands separator of numbers written as text, e.g. , "
                            "(default: detected per column)")
    group.add_argument("--decimal", default=None, metavar="CHAR",
                       help="decimal mark of numbers written as text, e.g. , "
                            "(default: detected per column)")
    group.add_argument("--encoding", default="utf-8",
                       help="text encoding of the CSV file (default: utf-8)")


def read_command_table(dataset, args, model=None):
    """:func:`~skmlp_scratch.tabular.read_table` with its errors as ``CommandError``.

    Parameters
    ----------
    dataset : str
        ``csv:FILE`` or ``parquet:FILE``.
    args : argparse.Namespace
        The options of :func:`add_reading_options`.
    model : estimator, default=None
        A fitted table model the rows are for: its categorical columns are
        read as text, as in training (codes such as ``007`` keep their
        zeros, codes that are all numbers here stay codes), and its numeric
        columns as numbers, a cell that is not one refused by its row.

    Returns
    -------
    table : pandas.DataFrame
    """
    try:
        return read_table(table_path(dataset), na_values=args.na_values,
                          categorical=[*args.categorical,
                                       *fitted_columns(model, CATEGORICAL)],
                          numeric=fitted_columns(model, NUMERIC),
                          thousands=args.thousands, decimal=args.decimal,
                          encoding=args.encoding)
    except (TableError, ImportError) as exc:
        raise CommandError(str(exc)) from None


def select_model_columns(model, table, keep=None):
    """The columns of ``table`` that ``model`` was fitted on, in its order.

    Parameters
    ----------
    model : estimator
        Fitted.
    table : pandas.DataFrame
    keep : str or None
        A column the user names to copy to the output (``--id``); it must
        exist but need not be a feature.

    Returns
    -------
    X : pandas.DataFrame

    Raises
    ------
    CommandError
        If ``keep`` or a column the model needs is missing.
    """
    if keep is not None and keep not in table.columns:
        raise CommandError(f"no id column {keep!r}; the columns are "
                           f"{short_list(table.columns)}")
    needed = getattr(model, "feature_names_in_", None)
    if needed is None:  # fitted on an array: every column but the id, in order
        return table.drop(columns=[keep] if keep is not None else [])
    present = set(table.columns)
    missing = [c for c in needed if c not in present]
    if missing:
        raise CommandError(f"the model needs columns missing from the table: "
                           f"{short_list(missing)}")
    wanted = set(needed)
    extra = [c for c in table.columns if c not in wanted and c != keep]
    if extra:
        print(f"note: ignoring columns the model was not trained on: "
              f"{short_list(extra)}", file=sys.stderr)
    return table[list(needed)]
