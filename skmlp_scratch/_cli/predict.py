"""``skmlp-scratch predict``: apply a model saved by ``train`` to a table.

``skmlp-scratch predict --model runs/.../model.skops --dataset csv:new.csv
--output predictions.csv`` writes one prediction per row, as CSV. The model
is loaded by :func:`~skmlp_scratch._cli._model_files.load_model` (which
files it trusts, and how) and the output written by
:func:`~skmlp_scratch._cli._model_files.write_output` (never over an input,
never half-written).
"""

import sys
from pathlib import Path

from ._errors import CommandError
from ._model_files import (
    UNSAFE_MODEL_NOTE,
    add_model_options,
    check_output,
    load_model,
    output_file,
)
from ._tables import add_reading_options, read_command_table, select_model_columns
from .options import parse_table_name, table_path

# what a model predicting a damaged or tampered table may raise beyond ValueError
PREDICTION_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError)


def add_parser(commands):
    """Add the ``predict`` subcommand to the subparsers ``commands``.

    Parameters
    ----------
    commands : argparse._SubParsersAction
    """
    parser = commands.add_parser(
        "predict", help="predict with a model saved by train",
        description="Predict the rows of a table with a model saved by "
                    "'skmlp-scratch train' and write them as CSV. " + UNSAFE_MODEL_NOTE,
        allow_abbrev=False)
    add_predict_options(parser)
    parser.set_defaults(run=run_predict)


def add_predict_options(parser):
    """Add the ``predict`` options to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    add_model_options(parser)
    parser.add_argument("--dataset", required=True, type=parse_table_name,
                        metavar="csv:FILE", help="the rows to predict, with the "
                        "columns the model was trained on; extra columns are ignored")
    parser.add_argument("--output", default=None, type=Path, metavar="FILE",
                        help="CSV file to write (default: standard output)")
    parser.add_argument("--proba", action="store_true",
                        help="add one column of probabilities per class")
    parser.add_argument("--id", default=None, metavar="COLUMN",
                        help="copy this column to the output, to match rows")
    add_reading_options(parser.add_argument_group(
        "reading the table", "The model's categorical columns are always read as text."))


def run_predict(args):
    """Carry out ``predict``: load the model and the table, write the predictions.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    check_output(args.output, {table_path(args.dataset): "input table",
                               args.model: "model file"})
    model = load_model(args.model, trust_pickle=args.trust_pickle)
    table = read_command_table(args.dataset, args, model=model)
    X = select_model_columns(model, table, keep=args.id)
    try:
        predictions = prediction_table(model, X, proba=args.proba)
    except PREDICTION_ERRORS as exc:
        raise CommandError(f"the model cannot predict these rows: {exc}") from None
    if args.id is not None:
        predictions.insert(0, args.id, table[args.id].to_numpy())
    write_predictions(predictions, args.output)
    return 0


def prediction_table(model, X, proba=False):
    """One ``prediction`` column, and a ``proba_<class>`` column per class if asked.

    Parameters
    ----------
    model : estimator
        Fitted.
    X : pandas.DataFrame
    proba : bool, default=False

    Returns
    -------
    predictions : pandas.DataFrame of shape (n_rows, 1 + n_classes if proba)
    """
    import pandas as pd

    predictions = pd.DataFrame({"prediction": model.predict(X)})
    if proba:
        if not hasattr(model, "predict_proba"):
            raise CommandError("--proba needs a classifier; this model is a regressor")
        probabilities = model.predict_proba(X)
        for k, label in enumerate(model.classes_):
            predictions[f"proba_{label}"] = probabilities[:, k]
    return predictions


def write_predictions(predictions, output):
    """Write the predictions as CSV to ``output``, or to standard output if None."""
    if output is None:
        predictions.to_csv(sys.stdout, index=False)
        return
    with output_file(output) as temporary:
        predictions.to_csv(temporary, index=False)
    print(f"{len(predictions)} predictions written to {output}", file=sys.stderr)
