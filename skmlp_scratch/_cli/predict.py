"""``skmlp-scratch predict``: apply a model saved by ``train`` to a table.

``skmlp-scratch predict --model runs/.../model.skops --dataset csv:new.csv
--output predictions.csv`` writes one prediction per row, as CSV.
"""

import sys
from pathlib import Path

from .._classifier import MLPScratchClassifier
from .._regressor import MLPScratchRegressor
from ..tabular import final_estimator
from .options import parse_table_name
from .report import CommandError
from .table import add_reading_options, read_command_table

UNSAFE_MODEL_NOTE = (
    "A .joblib or pickle model runs code when it is loaded: load one only if "
    "it comes from a source you trust. A .skops model is loaded trusting only "
    "scikit-learn's and skmlp_scratch's own types, and is the format to share.")


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
    parser.add_argument("--model", required=True, type=Path, metavar="FILE",
                        help="model.skops or model.joblib from a train report")
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
    model = load_model(args.model)
    table = read_command_table(args.dataset, args, model=model)
    X = select_model_columns(model, table, keep=args.id)
    try:
        predictions = prediction_table(model, X, proba=args.proba)
    except ValueError as exc:
        raise CommandError(f"the model cannot predict these rows: {exc}") from None
    if args.id is not None:
        predictions.insert(0, args.id, table[args.id].to_numpy())
    write_predictions(predictions, args.output)
    return 0


def load_model(path):
    """A fitted model saved by ``train``, from a ``.skops`` or ``.joblib`` file.

    Parameters
    ----------
    path : Path

    Returns
    -------
    model : estimator
        A fitted MLPScratchClassifier or MLPScratchRegressor, or a pipeline
        that ends in one.

    Raises
    ------
    CommandError
        If the file is missing, unreadable, not trusted, or not one of ours.
    """
    if not path.is_file():
        raise CommandError(f"no such model file: {path}")
    model = load_skops(path) if path.suffix == ".skops" else load_joblib(path)
    network = final_estimator(model)
    if not isinstance(network, (MLPScratchClassifier, MLPScratchRegressor)) or \
            not hasattr(network, "coefs_"):
        raise CommandError(f"{path} holds a {type(model).__name__}, not a fitted model "
                           "saved by 'skmlp-scratch train'")
    return model


def load_joblib(path):
    """Unpickle ``path`` with joblib: trusted files only (see ``UNSAFE_MODEL_NOTE``)."""
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # a pickle may fail in any way at all
        raise CommandError(f"{path} is not a readable joblib model file "
                           f"({type(exc).__name__}: {exc})") from None


# the packages whose types a .skops model may contain: ours, scikit-learn and
# the array libraries they store their state in
TRUSTED_PACKAGES = ("skmlp_scratch", "sklearn", "numpy", "scipy")


def load_skops(path):
    """Load ``path`` with skops.io, trusting only the types of ``TRUSTED_PACKAGES``.

    Raises
    ------
    CommandError
        If skops is not installed, the file is not a skops file, or it holds
        a type from any other package.
    """
    try:
        import skops.io
    except ImportError:
        raise CommandError('loading .skops models needs skops: pip install '
                           '"skmlp_scratch[persist]"') from None
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # a corrupt zip or schema fails in many ways
        raise CommandError(f"{path} is not a readable skops model file "
                           f"({type(exc).__name__}: {exc})") from None
    foreign = [name for name in untrusted
               if name.split(".")[0] not in TRUSTED_PACKAGES]
    if foreign:
        raise CommandError(f"refusing to load {path}: it holds types from outside "
                           f"scikit-learn and skmlp_scratch: {', '.join(foreign)}")
    return skops.io.load(path, trusted=untrusted)


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
                           f"{', '.join(map(repr, table.columns))}")
    needed = getattr(model, "feature_names_in_", None)
    if needed is None:  # fitted on an array: every column but the id, in order
        return table.drop(columns=[keep] if keep is not None else [])
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise CommandError(f"the model needs columns missing from the table: "
                           f"{', '.join(map(repr, missing))}")
    extra = [c for c in table.columns if c not in needed and c != keep]
    if extra:
        print(f"note: ignoring columns the model was not trained on: "
              f"{', '.join(map(repr, extra))}", file=sys.stderr)
    return table[list(needed)]


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
    try:
        predictions.to_csv(output, index=False)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    print(f"{len(predictions)} predictions written to {output}", file=sys.stderr)
