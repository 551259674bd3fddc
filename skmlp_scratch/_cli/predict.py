"""``skmlp-scratch predict``: apply a model saved by ``train`` to a table.

``skmlp-scratch predict --model runs/.../model.skops --dataset csv:new.csv
--output predictions.csv`` writes one prediction per row, as CSV.

A model file is read by what it holds, never by the spelling of its name.
A skops file (a zip archive, whatever its name) is loaded trusting only
skops' default types and the exact types of :data:`TRAINED_MODEL_TYPES`, so
a file from anywhere runs no code of its own. A pickle (``model.joblib``)
runs any code it holds as it is loaded, and printing a warning first would
come too late to stop it: it is loaded only when its name says it is one
(``.joblib``, ``.pkl``, ``.pickle``) and the user passes ``--trust-pickle``.
Every other file is refused unread. :func:`load_model` is the one way the
command line loads a saved model.
"""

import sys
import zipfile
from pathlib import Path

from .._classifier import MLPScratchClassifier
from .._regressor import MLPScratchRegressor
from ..tabular import final_estimator
from .options import parse_table_name, table_path
from .report import CommandError
from .table import add_reading_options, read_command_table

UNSAFE_MODEL_NOTE = (
    "A .skops model is loaded without running code from it, trusting only the "
    "types a model saved by train holds: it is the format to share. A .joblib "
    "or pickle model runs any code it holds when it is loaded, so it is loaded "
    "only with --trust-pickle.")

# names that say a file is a pickle; compared in lower case
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
PICKLE_NAMES = f"{', '.join(PICKLE_SUFFIXES[:-1])} or {PICKLE_SUFFIXES[-1]}"

# The types, beyond those skops trusts by default, that a model saved by
# ``train`` holds, by exact name: a .skops file holding any other is refused.
# tests/test_cli_predict.py trains every kind of model ``train`` writes and
# compares their files with this set both ways, so a step added to the table
# pipeline fails there until its name is added here, and a name no model
# holds any more fails until it is removed.
TRAINED_MODEL_TYPES = frozenset({
    "numpy.dtype",
    "sklearn.compose._column_transformer.make_column_selector",
    "skmlp_scratch._classifier.MLPScratchClassifier",
    "skmlp_scratch._regressor.MLPScratchRegressor",
    "skmlp_scratch.tabular._pipeline.AsText",
    "skmlp_scratch.tabular._pipeline.Cast",
    "skmlp_scratch.tabular._pipeline.LogTarget",
    "skmlp_scratch.tabular._pipeline.SoftClip",
    "skmlp_scratch.tabular._pipeline._LevelEncoder",
    "skmlp_scratch.tabular._pipeline._SmearedTargetRegressor",
})


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


def add_model_options(parser):
    """Add ``--model`` and ``--trust-pickle``, the options of :func:`load_model`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("--model", required=True, type=Path, metavar="FILE",
                        help="model.skops (or, with --trust-pickle, model.joblib) "
                             "from a train report")
    parser.add_argument("--trust-pickle", action="store_true",
                        help=f"load a pickle model ({PICKLE_NAMES}): a pickle "
                             "runs any code it holds as it is loaded, before any "
                             "check or warning could stop it, so give this only "
                             "for a file you made or whose source you trust")


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
    except ValueError as exc:
        raise CommandError(f"the model cannot predict these rows: {exc}") from None
    if args.id is not None:
        predictions.insert(0, args.id, table[args.id].to_numpy())
    write_predictions(predictions, args.output)
    return 0


def check_output(output, inputs):
    """Refuse an ``--output`` that is one of the command's input files.

    Parameters
    ----------
    output : Path or None
        The ``--output`` file; None writes to standard output.
    inputs : dict of Path to str
        Each input file and what it is, for the message.

    Raises
    ------
    CommandError
        If ``output`` is one of ``inputs``, however either is spelled: a
        symlink, ``..`` or another spelling of the same file.
    """
    if output is None:
        return
    for path, role in inputs.items():
        if is_same_file(output, path):
            raise CommandError(f"--output {output} is the {role} {path}: writing the "
                               "predictions would overwrite it; choose another file")


def is_same_file(path, other):
    """Whether ``path`` and ``other`` name one file (or would, once it exists)."""
    try:
        # the same inode: symlinks, hard links, a case-insensitive file system
        return path.samefile(other)
    except OSError:  # one is missing: then only the same spelled-out path counts
        return path.resolve() == other.resolve()


def load_model(path, *, trust_pickle=False):
    """A fitted model saved by ``train``, read by its content.

    A zip archive is read as a skops file whatever its name
    (:func:`load_skops`). Anything else is unpickled only if its name ends
    in one of :data:`PICKLE_SUFFIXES` and ``trust_pickle`` is true, and
    refused unread otherwise.

    Parameters
    ----------
    path : Path
    trust_pickle : bool, default=False
        Whether the user trusts a pickle (``--trust-pickle``): loading one
        runs any code it holds.

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
    if zipfile.is_zipfile(path):
        model = load_skops(path)
    elif path.suffix.lower() not in PICKLE_SUFFIXES:
        raise CommandError(f"{path} is not a skops model file (those are zip "
                           "archives) and its name does not say it is a pickle: give "
                           f"a .skops model, or a pickle named {PICKLE_NAMES} with "
                           "--trust-pickle")
    elif not trust_pickle:
        raise CommandError(f"{path} is named as a pickle, and a pickle runs any code "
                           "it holds when loaded: add --trust-pickle if you made it "
                           "or trust its source, or use the model.skops of its "
                           "train report")
    else:
        model = load_joblib(path)
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


def load_skops(path):
    """Load ``path`` with skops.io, trusting only ``TRAINED_MODEL_TYPES`` beyond its own.

    The file is read once, so the types checked are those loaded.

    Raises
    ------
    CommandError
        If skops is not installed, the file is not a skops file, or it holds
        a type that is neither trusted by skops nor in ``TRAINED_MODEL_TYPES``.
    """
    try:
        import skops.io
    except ImportError:
        raise CommandError('loading .skops models needs skops: pip install '
                           '"skmlp_scratch[persist]"') from None
    try:
        content = path.read_bytes()
        untrusted = skops.io.get_untrusted_types(data=content)
    except Exception as exc:  # a corrupt zip or schema fails in many ways
        raise unreadable_skops(path, exc) from None
    foreign = sorted(set(untrusted) - TRAINED_MODEL_TYPES)
    if foreign:
        shown = ", ".join(foreign[:4]) + (
            f" and {len(foreign) - 4} more" if len(foreign) > 4 else "")
        raise CommandError(f"refusing to load {path}: it holds types that a model "
                           f"saved by 'skmlp-scratch train' does not: {shown}")
    try:
        return skops.io.loads(content, trusted=untrusted)
    except Exception as exc:  # trusted types only, but their stored state may be bad
        raise unreadable_skops(path, exc) from None


def unreadable_skops(path, exc):
    """The ``CommandError`` for a skops file that fails to load with ``exc``."""
    return CommandError(f"{path} is not a readable skops model file "
                        f"({type(exc).__name__}: {exc})")


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
