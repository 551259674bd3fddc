"""The ``skmlp-scratch`` command line: train on images or a table, predict with the model.

``skmlp-scratch train --dataset mnist --hidden 256,128 --epochs 20`` loads the
data, trains :class:`~skmlp_scratch.MLPScratchClassifier` with per-epoch
progress, prints the test results and writes a report folder (see
:mod:`skmlp_scratch._report`). ``--dataset csv:wages.csv --target wage`` does
the same on the user's own table: it guesses the task from the target, fits
the pipeline of :func:`skmlp_scratch.tabular.make_tabular_pipeline` and
saves it whole. ``skmlp-scratch predict --model runs/.../model.skops
--dataset csv:new.csv --output predictions.csv`` applies a saved model.

Every parameter of the estimators has an option of the same name, with
dashes for underscores (``--learning-rate-init``), generated from
``get_params()`` so that a new parameter gets its option without an edit
here. Exit codes: 0 success, 1 training diverged, 2 bad arguments, bad
parameter values or unusable data or model, 130 interrupted outside of
``fit``.
"""

import argparse
import inspect
import os
import re
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from . import __version__
from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor
from ._report import (
    CommandError,
    TrainingRun,
    print_parameters,
    print_results,
    report_folder,
    write_report,
)
from ._training import TrainingDivergedError
from .datasets import DATASETS, load_dataset
from .tabular import (
    NUMERIC_SCALERS,
    TableError,
    final_estimator,
    infer_task,
    make_tabular_pipeline,
    read_table,
)

__all__ = ["main"]

ESTIMATORS = {"classification": MLPScratchClassifier, "regression": MLPScratchRegressor}
# every option that sets an estimator parameter, either estimator's
ESTIMATOR_PARAMETERS = frozenset().union(
    *(estimator_class().get_params() for estimator_class in ESTIMATORS.values()))

# Where the command line departs from the estimator's defaults, for a useful
# first run on MNIST: a two-layer net, few epochs with a held-out score to
# watch, batches that keep the matrix products efficient, reproducible runs.
CLI_DEFAULTS = {
    "hidden_layer_sizes": (256, 128),
    "max_iter": 20,
    "batch_size": 128,
    "early_stopping": True,
    "random_state": 0,
    "verbose": True,  # progress per epoch, unless --quiet
}

# A table has far fewer rows than MNIST: an epoch is a few dozen steps, so
# training runs until the held-out loss stops improving (more telling than
# the accuracy of a few hundred rows), with AdamW's decoupled weight decay;
# benchmarks/results/tabular.md measured this against the classic settings.
TABLE_DEFAULTS = {**CLI_DEFAULTS, "max_iter": 200, "solver": "adamw",
                  "scoring": "loss"}

# Short names for the options typed most often: alias -> estimator parameter.
ALIASES = {
    "hidden": "hidden_layer_sizes",
    "epochs": "max_iter",
    "lr": "learning_rate_init",
}

TABLE_PREFIXES = ("csv:", "parquet:")

UNSAFE_MODEL_NOTE = (
    "A .joblib or pickle model runs code when it is loaded: load one only if "
    "it comes from a source you trust. A .skops model is loaded trusting only "
    "scikit-learn's and skmlp_scratch's own types, and is the format to share.")


# ------------------------------------------------------------ entry point


def main(argv=None, *, prog=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.
    prog : str, default=None
        Program name shown in usage messages; None lets argparse derive it
        from ``sys.argv[0]``.

    Returns
    -------
    exit_code : int
        0 on success, 1 if training diverged, 2 for bad arguments, parameter
        values, data or model files, 130 if interrupted outside of training.
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.run(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader of the predictions went away (``| head``): stop quietly,
        # and keep Python from reporting the failed flush of stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        # an interrupt during fit is handled by the estimator; this one came
        # while loading data or writing the report
        print("interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------- parsing


def build_parser(prog=None):
    """The argument parser with its ``train`` and ``predict`` subcommands.

    Parameters
    ----------
    prog : str, default=None
        Program name for usage messages.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Train a NumPy multilayer perceptron on images or on "
                               "a table, and predict with it.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train", help="train on a data set and write a report",
        description="Train MLPScratchClassifier or MLPScratchRegressor on a data "
                    "set, print the test results and write metrics.json, the "
                    "model and figures.",
        epilog="Example: skmlp-scratch train --dataset csv:wages.csv --target wage "
               "--log-target",
        # abbreviations would make --learning mean --learning-rate today and
        # become ambiguous the day another --learning-* parameter appears
        allow_abbrev=False)
    add_run_options(train)
    add_table_options(train)
    add_estimator_options(train)
    train.set_defaults(run=run_train)
    predict = commands.add_parser(
        "predict", help="predict with a model saved by train",
        description="Predict the rows of a table with a model saved by "
                    "'skmlp-scratch train' and write them as CSV. " + UNSAFE_MODEL_NOTE,
        allow_abbrev=False)
    add_predict_options(predict)
    predict.set_defaults(run=run_predict)
    return parser


def add_run_options(parser):
    """Add the options about data, output and display to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    names = ", ".join([*DATASETS, "idx:DIR", "csv:FILE"])
    group = parser.add_argument_group("data and report")
    group.add_argument("--dataset", default="mnist", type=parse_dataset_name,
                       metavar="NAME", help=f"one of {names} (default: mnist); "
                       "idx:DIR reads the four MNIST-format IDX files in DIR, "
                       "csv:FILE a table (CSV, or Parquet if FILE ends in .parquet; "
                       "needs --target)")
    group.add_argument("--data-home", default=None, metavar="DIR",
                       help="cache folder of the OpenML downloads (default: "
                            "scikit-learn's, ~/scikit_learn_data)")
    group.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                       help="floating type of the inputs and of training "
                            "(default: float32)")
    group.add_argument("--report-dir", "--output", default=None, type=Path,
                       metavar="DIR", help="where to write the report (default: "
                                           "runs/<dataset>-<YYYYmmdd-HHMMSS>)")
    group.add_argument("--quiet", action="store_true",
                       help="no per-epoch progress (sets verbose=False unless "
                            "--verbose is given)")
    group.add_argument("--no-plots", action="store_true",
                       help="write no figures")


def add_table_options(parser):
    """Add the options that only a ``csv:`` data set uses to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    group = parser.add_argument_group(
        "tables (--dataset csv:FILE)",
        "Numeric columns are imputed with the median and scaled; text, boolean "
        "and category columns are one-hot encoded, rare levels pooled. Rows "
        "without a target are dropped.")
    group.add_argument("--target", metavar="COLUMN",
                       help="the column to predict (required for a table)")
    group.add_argument("--task", default="auto",
                       choices=["auto", "classification", "regression"],
                       help="auto: classification for a text or boolean target or "
                            "at most 20 distinct integers, else regression "
                            "(default: auto)")
    group.add_argument("--log-target", action="store_true",
                       help="regression: fit the log of a positive, skewed target")
    group.add_argument("--drop", type=parse_columns, default=(), metavar="COLUMNS",
                       help="comma-separated columns to leave out, such as an "
                            "identifier")
    group.add_argument("--test-size", type=float, default=0.2, metavar="FRACTION",
                       help="share of rows held out for the test scores, "
                            "stratified by class (default: 0.2)")
    group.add_argument("--numeric", default="robust", choices=sorted(NUMERIC_SCALERS),
                       help="scaling of numeric columns (default: robust)")


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


def add_estimator_options(parser):
    """Add one option per parameter of either estimator to ``parser``.

    Options are absent from the parsed namespace unless given, so that
    :func:`effective_params` can tell a typed value from a default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    # the classifier's defaults and texts where both estimators have a parameter
    defaults, summaries = {}, {}
    for estimator_class in reversed(ESTIMATORS.values()):
        defaults.update(estimator_class().get_params())
        summaries.update(summarize_parameters(estimator_class.__doc__))
    aliases = {name: alias for alias, name in ALIASES.items()}
    group = parser.add_argument_group(
        "estimator parameters",
        "Values are read as int, float, true/false, none, a comma list of ints, "
        "or else text; the estimator checks them. Defaults are the "
        "classifier's; a regression uses MLPScratchRegressor's.")
    for name in sorted(defaults):
        flags = [option_name(name)]
        if name in aliases:
            flags.insert(0, option_name(aliases[name]))
        default = CLI_DEFAULTS.get(name, defaults[name])
        for_tables = TABLE_DEFAULTS.get(name, default)
        default_text = f"{default!r}" + (
            f"; tables: {for_tables!r}" if for_tables != default else "")
        help_text = f"{summaries.get(name, name)} (default: {default_text})"
        group.add_argument(*flags, dest=name, default=argparse.SUPPRESS,
                           type=PARAMETER_PARSERS.get(name, parse_value),
                           metavar="VALUE", help=help_text.replace("%", "%%"))


def option_name(parameter):
    """``--learning-rate-init`` for ``learning_rate_init``."""
    return "--" + parameter.replace("_", "-")


def summarize_parameters(docstring):
    """First sentence of each parameter's description in a numpydoc docstring.

    Parameters
    ----------
    docstring : str or None

    Returns
    -------
    summaries : dict of str to str
        Parameter name to sentence, without reST markup, followed by the
        choices when the type is a set such as ``{"relu", "tanh"}``. A line
        such as ``beta_1, beta_2 : float`` gives both names the same text.
    """
    text = inspect.cleandoc(docstring or "")
    text = text.split("\nAttributes\n")[0]  # attributes use the same layout
    entries = re.findall(r"^(\w+(?:, \w+)*) : (.*)\n((?:    .*\n?)+)", text,
                         flags=re.MULTILINE)
    summaries = {}
    for names, kind, body in entries:
        words = " ".join(body.split()).replace("``", "")
        summary = re.split(r"(?<=\.)\s", words, maxsplit=1)[0]
        choices = re.match(r"\{(.*?)\}", kind)
        if choices:
            summary += " One of " + choices.group(1).replace('"', "") + "."
        for name in names.split(", "):
            summaries.setdefault(name, summary)
    return summaries


def parse_value(text):
    """Read an option's text as the Python value it most plausibly means.

    Parameters
    ----------
    text : str

    Returns
    -------
    value : int, float, bool, None, tuple or str
        ``"3"`` -> 3, ``"1e-3"`` -> 0.001, ``"true"`` -> True, ``"none"`` -> None,
        ``"64,32"`` -> (64, 32), ``"tanh,relu"`` -> ("tanh", "relu"),
        ``"0.2,0.1"`` -> (0.2, 0.1) (one value per hidden layer), anything
        else unchanged.
    """
    if "," in text:
        return tuple(parse_value(part) for part in text.split(",") if part.strip())
    lowered = text.strip().lower()
    words = {"true": True, "false": False, "none": None}
    if lowered in words:
        return words[lowered]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def parse_layer_sizes(text):
    """Read ``--hidden``: ``"256,128"`` -> (256, 128), ``""`` or ``"none"`` -> ().

    Parameters
    ----------
    text : str

    Returns
    -------
    sizes : tuple of int, or the value of :func:`parse_value`
        A value that is no list of ints is passed on for the estimator to
        reject with its own message.
    """
    value = parse_value(text)
    if value is None or value == "":
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    return value


# parameters whose text needs more than parse_value
PARAMETER_PARSERS = {"hidden_layer_sizes": parse_layer_sizes}


def parse_columns(text):
    """Read ``--drop``: ``"id, name"`` -> ("id", "name")."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_dataset_name(text):
    """Check a ``--dataset`` value: a known name, ``idx:DIRECTORY`` or ``csv:FILE``.

    Parameters
    ----------
    text : str

    Returns
    -------
    name : str
    """
    if text in DATASETS or (text.startswith("idx:") and len(text) > len("idx:")):
        return text
    if is_table_name(text):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}; choose one of {', '.join(DATASETS)}, "
        "idx:DIRECTORY or csv:FILE")


def parse_table_name(text):
    """Check a ``predict --dataset`` value: ``csv:FILE`` (or ``parquet:FILE``)."""
    if is_table_name(text):
        return text
    raise argparse.ArgumentTypeError(
        f"predict reads a table: give csv:FILE, not {text!r}")


def is_table_name(text):
    """Whether ``text`` names a table: ``csv:FILE`` or ``parquet:FILE``."""
    return any(text.startswith(prefix) and len(text) > len(prefix)
               for prefix in TABLE_PREFIXES)


def table_path(dataset):
    """The file of a ``csv:FILE`` data set name."""
    return Path(dataset.partition(":")[2]).expanduser()


def effective_params(args, estimator_class=MLPScratchClassifier, defaults=CLI_DEFAULTS):
    """The estimator parameters of a run: typed, else CLI, else estimator defaults.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``train`` arguments.
    estimator_class : type, default=MLPScratchClassifier
        The estimator the run trains.
    defaults : dict, default=CLI_DEFAULTS
        The command line's own defaults, over the estimator's.

    Returns
    -------
    params : dict
        One entry per parameter of ``estimator_class``.

    Raises
    ------
    CommandError
        If an option was given that ``estimator_class`` has no parameter for,
        such as ``--class-weight`` in a regression.
    """
    params = estimator_class().get_params()
    typed = {k: v for k, v in vars(args).items() if k in ESTIMATOR_PARAMETERS}
    foreign = sorted(set(typed) - set(params))
    if foreign:
        raise CommandError(
            f"{', '.join(map(option_name, foreign))} does not apply to "
            f"{estimator_class.__name__}")
    params.update({k: v for k, v in defaults.items() if k in params})
    if args.quiet:
        params["verbose"] = False
    params.update(typed)
    return params


# --------------------------------------------------------------- training


def run_train(args):
    """Carry out ``train``: load, fit, evaluate, print and write the report.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    if is_table_name(args.dataset):
        return run_train_table(args)
    check_no_table_options(args)
    estimator = make_estimator(MLPScratchClassifier, effective_params(args))
    print_parameters(estimator)
    X_train, X_test, y_train, y_test = load_data(args)
    with report_folder(args.report_dir, args.dataset, datetime.now()) as report_dir:
        print(f"data: {args.dataset}, {X_train.shape[0]} training and "
              f"{X_test.shape[0]} test samples, {X_train.shape[1]} features, "
              f"{args.dtype}", flush=True)
        run = TrainingRun(args.dataset, estimator, "classification", X_train.shape[0],
                          X_train.shape[1], y_test)
        finish_run(run, X_train, y_train, X_test, report_dir, plots=not args.no_plots)
    return 0


def check_no_table_options(args):
    """Refuse ``--target`` and its kin with a data set that is not a table."""
    if args.target is not None or args.log_target or args.drop:
        raise CommandError("--target, --log-target and --drop apply to a table "
                           "(--dataset csv:FILE)")


def run_train_table(args):
    """``train`` on a table: read, split, fit the pipeline, report.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    X, y, dropped = load_table(args)
    task = infer_task(y) if args.task == "auto" else args.task
    check_target(y, task, args)
    estimator_class = ESTIMATORS[task]
    estimator = make_estimator(estimator_class,
                               effective_params(args, estimator_class, TABLE_DEFAULTS))
    print_parameters(estimator)
    pipeline = make_tabular_pipeline(estimator, task=task, log_target=args.log_target,
                                     numeric=args.numeric, dtype=args.dtype)
    X_train, X_test, y_train, y_test = split_table(X, y, task, args.test_size,
                                                   estimator.random_state)
    with report_folder(args.report_dir, args.dataset, datetime.now()) as report_dir:
        print(f"data: {args.dataset}, target {args.target!r} ({task}"
              f"{', log' if args.log_target else ''}), {len(y_train)} training and "
              f"{len(y_test)} test rows, {X.shape[1]} columns", flush=True)
        if dropped:
            print(f"note: {dropped} rows without a target value were left out")
        table = {"target": args.target, "columns": list(X.columns),
                 "rows_without_target": dropped, "log_target": args.log_target,
                 "numeric_scaling": args.numeric, "test_size": args.test_size}
        run = TrainingRun(args.dataset, pipeline, task, len(y_train), X.shape[1],
                          np.asarray(y_test), table=table)
        finish_run(run, X_train, y_train, X_test, report_dir, plots=not args.no_plots)
    return 0


def load_table(args):
    """Features, target and the number of rows dropped for a missing target.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    X : pandas.DataFrame of shape (n_rows, n_columns)
    y : pandas.Series of shape (n_rows,)
    dropped : int

    Raises
    ------
    CommandError
        If the table cannot be read, or the target or a ``--drop`` column
        is not one of its columns, or no column is left to learn from.
    """
    if args.target is None:
        raise CommandError("a table needs --target COLUMN, the column to predict")
    table = read_command_table(args.dataset)
    unknown = [c for c in (args.target, *args.drop) if c not in table.columns]
    if unknown:
        raise CommandError(f"no column {unknown[0]!r} in {table_path(args.dataset)}; "
                           f"its columns are {', '.join(map(repr, table.columns))}")
    y = table[args.target]
    X = table.drop(columns=[args.target, *args.drop])
    if X.shape[1] == 0:
        raise CommandError("no columns left to learn from besides the target")
    keep = y.notna().to_numpy()
    if not keep.any():
        raise CommandError(f"the target column {args.target!r} has no values")
    return X[keep], y[keep], int((~keep).sum())


def read_command_table(dataset):
    """:func:`~skmlp_scratch.tabular.read_table` with its errors as ``CommandError``."""
    try:
        return read_table(table_path(dataset))
    except (TableError, ImportError) as exc:
        raise CommandError(str(exc)) from None


def check_target(y, task, args):
    """Refuse a target the task cannot learn from.

    Parameters
    ----------
    y : pandas.Series
        Without missing values.
    task : {"classification", "regression"}
    args : argparse.Namespace

    Raises
    ------
    CommandError
        For a classification target with a single class, a regression target
        that is not numeric, or ``--log-target`` with a non-positive target
        or a classification.
    """
    if task == "classification":
        if args.log_target:
            raise CommandError("--log-target applies to regression; the target "
                               f"{args.target!r} is taken for class labels "
                               "(use --task regression if it is not)")
        levels = y.unique()
        if len(levels) < 2:
            raise CommandError(f"the target {args.target!r} has one class only "
                               f"({levels[0]!r}); a classifier needs two or more")
        return
    if y.dtype.kind not in "iuf":
        raise CommandError(f"regression needs a numeric target; {args.target!r} "
                           f"holds text such as {y.iloc[0]!r}")
    if args.log_target and (y <= 0).any():
        raise CommandError(f"--log-target needs a positive target; {args.target!r} "
                           f"has values down to {y.min()!r}")


def split_table(X, y, task, test_size, random_state):
    """Hold out ``test_size`` of the rows, stratified by class where possible.

    Parameters
    ----------
    X : pandas.DataFrame
    y : pandas.Series
    task : {"classification", "regression"}
    test_size : float
    random_state : int, RandomState instance or None

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    if not 0 < test_size < 1:
        raise CommandError(f"--test-size must be a fraction in (0, 1); got {test_size}")
    stratify = None
    if task == "classification":
        smallest = y.value_counts().min()
        if smallest >= 2:
            stratify = y
        else:
            print("note: a class has a single row, so the test split is not "
                  "stratified", file=sys.stderr)
    try:
        return train_test_split(X, y, test_size=test_size, stratify=stratify,
                                random_state=random_state)
    except ValueError as exc:
        raise CommandError(f"cannot split the rows into training and test: {exc}") \
            from None


def make_estimator(estimator_class, params):
    """An estimator with ``params``, checked before any data is loaded.

    Parameters
    ----------
    estimator_class : type
    params : dict

    Returns
    -------
    estimator : MLPScratchClassifier or MLPScratchRegressor

    Raises
    ------
    CommandError
        If the estimator's own validation rejects a value.
    """
    estimator = estimator_class(**params)
    try:
        # fit validates too, but only after MNIST has been read: fail in a second
        estimator._validate_params()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return estimator


def load_data(args):
    """``X_train, X_test, y_train, y_test`` of an image ``--dataset``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray

    Raises
    ------
    CommandError
        If the data cannot be downloaded, found or read.
    """
    try:
        return load_dataset(args.dataset, data_home=args.data_home,
                            dtype=np.dtype(args.dtype))
    # DatasetDownloadError and FileNotFoundError are OSErrors, IDXFormatError
    # and unknown names ValueErrors; their messages already say what to do
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def finish_run(run, X_train, y_train, X_test, report_dir, plots):
    """Fit, predict the test rows, print the results and write the report.

    Parameters
    ----------
    run : TrainingRun
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)
    X_test : array-like of shape (n_test, n_features)
    report_dir : Path
    plots : bool
    """
    fit_model(run, X_train, y_train)
    run.y_pred = run.model.predict(X_test)
    print_results(run)
    write_report(run, report_dir, plots=plots)


def fit_model(run, X_train, y_train):
    """Fit ``run.model``, recording wall time and warnings in ``run``.

    Warnings are collected and printed after training as one line each,
    rather than between progress lines with a source location a user of
    the command line has no use for.

    Parameters
    ----------
    run : TrainingRun
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)

    Raises
    ------
    CommandError
        If the estimator rejects a parameter or the data (exit code 2), or
        training diverges (exit code 1).
    """
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run.model.fit(X_train, y_train)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except TrainingDivergedError as exc:
        raise CommandError(str(exc), exit_code=1) from None
    finally:
        run.fit_seconds = time.perf_counter() - started
    run.warnings = [str(w.message) for w in caught]
    for message in run.warnings:
        print(f"warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- predict


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
    table = read_command_table(args.dataset)
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
