"""``skmlp-scratch train --dataset csv:FILE --target COLUMN``: training on a table.

It reads the table, guesses the task from the target and fits the pipeline
of :func:`skmlp_scratch.tabular.make_tabular_pipeline`, by default ending in
a cross-fitted ensemble, on every row: the report gives its out-of-fold
scores (each row predicted by the members that never trained on it), and,
with ``--test-size``, scores on rows held out from the fit. With
``--single-network`` it fits one network on a training split and reports on
the held-out rows, as before the ensemble. The pipeline is saved whole.
"""

import argparse
import sys
import warnings
from datetime import datetime

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from ..ensemble import CrossFitClassifier, CrossFitRegressor
from ..tabular import (
    ENSEMBLE_DEFAULTS,
    NUMERIC_SCALERS,
    PORTFOLIO,
    infer_task,
    make_tabular_pipeline,
    suspect_columns,
)
from ..tabular._contract import CATEGORICAL, MISSING, PREPROCESS
from ..tabular._reading import short_list
from ._errors import CommandError
from ._tables import add_reading_options, read_command_table
from .options import (
    ESTIMATORS,
    TABLE_DEFAULTS,
    effective_params,
    make_estimator,
    parse_columns,
    table_path,
)

# the test share of a single network, which needs held-out rows to be scored
SINGLE_NETWORK_TEST_SIZE = 0.2
ENSEMBLES = {"classification": CrossFitClassifier, "regression": CrossFitRegressor}
from .report import TrainingRun, print_parameters, report_folder
from .run import finish_run


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
                            "two distinct numbers, else regression (default: auto)")
    group.add_argument("--log-target", action="store_true",
                       help="regression: fit the log of a positive, skewed target")
    group.add_argument("--drop", type=parse_columns, default=(), metavar="COLUMNS",
                       help="comma-separated columns to leave out, such as an "
                            "identifier")
    group.add_argument("--test-size", type=float, default=None, metavar="FRACTION",
                       help="share of rows held out from the fit for test scores, "
                            "stratified by class (default: none for the ensemble, "
                            "scored out of fold on every row; "
                            f"{SINGLE_NETWORK_TEST_SIZE} with --single-network)")
    group.add_argument("--numeric", default="robust", choices=sorted(NUMERIC_SCALERS),
                       help="scaling of numeric columns (default: robust)")
    group.add_argument("--single-network", action="store_true",
                       help="fit one network, early-stopped on a share of its rows "
                            "and scored on a test split, instead of the "
                            "cross-fitted ensemble")
    group.add_argument("--folds", type=int, default=ENSEMBLE_DEFAULTS["n_folds"],
                       metavar="K", help="ensemble: folds, and networks per "
                       f"configuration (default: {ENSEMBLE_DEFAULTS['n_folds']})")
    group.add_argument("--portfolio", type=parse_portfolio,
                       default=ENSEMBLE_DEFAULTS["portfolio"], metavar="NAMES",
                       help=f"ensemble: comma-separated configurations among "
                            f"{', '.join(PORTFOLIO)}, weighted by greedy selection "
                            f"on their out-of-fold predictions (default: "
                            f"{','.join(ENSEMBLE_DEFAULTS['portfolio'])})")
    group.add_argument("--max-samples", type=parse_max_samples,
                       default=ENSEMBLE_DEFAULTS["max_samples"], metavar="N",
                       help="ensemble: rows each network trains on at most, a random "
                            "sample of its training folds on a larger table; none: "
                            "every row (default: "
                            f"{ENSEMBLE_DEFAULTS['max_samples']})")
    group.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                       help="ensemble: seconds the fit may take; networks still "
                            "training then stop after their epoch, configurations "
                            "that cannot start are left out, and the report says "
                            "so (default: no limit)")
    group.add_argument("--n-jobs", type=int, default=None, metavar="N",
                       help="ensemble: networks fitted at once, in processes; -1: "
                            "one per core. The fitted model does not depend on it "
                            "(default: 1)")
    group.add_argument("--refit", action="store_true",
                       help="after the test scores, fit the model again on every "
                            "row, test rows included, and save that one; without "
                            "--test-size the ensemble is fitted on every row "
                            "already, and --refit changes nothing")
    add_reading_options(group)
    # argparse keeps a group's actions there, with no public accessor; train
    # on images refuses any of them that is given
    parser.set_defaults(table_options=tuple(group._group_actions))


def run_train_table(args):
    """``train`` on a table: read, split if asked, fit the pipeline, report.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    check_model_options(args)
    X, y, dropped = load_table(args)
    task = infer_task(y) if args.task == "auto" else args.task
    check_target(y, task, args)
    report_suspect_columns(X)
    estimator_class = ESTIMATORS[task]
    network = make_estimator(estimator_class,
                             effective_params(args, estimator_class, TABLE_DEFAULTS))
    print_parameters(network)
    model = network if args.single_network else make_ensemble(task, network, args)
    if model is not network:
        bounds = "".join([
            f", at most {args.max_samples:,} training rows per network"
            if args.max_samples else "",
            f", time limit {args.time_limit:g} s" if args.time_limit else "",
            f", {args.n_jobs} jobs" if args.n_jobs not in (None, 1) else ""])
        print(f"ensemble: configurations {', '.join(args.portfolio)}, {args.folds} "
              f"folds each{bounds}, random_state={network.random_state!r} (each "
              "network's seed is drawn from it)", flush=True)
    pipeline = make_tabular_pipeline(model, task=task, log_target=args.log_target,
                                     numeric=args.numeric, dtype=args.dtype)
    test_size = args.test_size
    if test_size is None and args.single_network:
        test_size = SINGLE_NETWORK_TEST_SIZE
    if test_size is None:
        X_train, X_test, y_train, y_test = X, None, y, y[:0]
    else:
        X_train, X_test, y_train, y_test = split_table(X, y, task, test_size,
                                                       network.random_state)
    refit = args.refit and len(y_test) > 0
    if args.refit and not refit:
        print("note: --refit changes nothing here: the ensemble is fitted on every "
              "row, and its scores are out of fold (give --test-size to hold rows "
              "out, then --refit fits again on every row)", file=sys.stderr)
    check_scalable(pipeline, X_train, args.numeric)
    with report_folder(args.report_dir, args.dataset, datetime.now()) as report_dir:
        rows = (f"{len(y_train)} training and {len(y_test)} test rows" if len(y_test)
                else f"{len(y_train)} rows, every one fitted and scored out of fold")
        print(f"data: {args.dataset}, target {args.target!r} ({task}"
              f"{', log' if args.log_target else ''}), {rows}, {X.shape[1]} columns",
              flush=True)
        if dropped:
            print(f"note: {dropped} rows without a target value were left out")
        table = {"target": args.target, "columns": list(X.columns),
                 "rows_without_target": dropped, "log_target": args.log_target,
                 "numeric_scaling": args.numeric, "test_size": test_size,
                 # which rows the saved model saw: all (--refit, or an ensemble
                 # without a test split) or the training split
                 "saved_model_rows": len(y) if refit else len(y_train)}
        run = TrainingRun(args.dataset, pipeline, task, len(y_train), X.shape[1],
                          np.asarray(y_test), table=table)
        finish_run(run, X_train, y_train, X_test, report_dir, plots=not args.no_plots,
                   refit_on=(X, y) if refit else None)
    return 0


def parse_portfolio(text):
    """Read ``--portfolio``: ``"network,bins"`` -> ("network", "bins"), names checked."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in PORTFOLIO]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown configuration {(unknown or [text])[0]!r}; choose among "
            f"{', '.join(PORTFOLIO)}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a configuration is named twice in {text!r}")
    return names


def parse_max_samples(text):
    """Read ``--max-samples``: a positive number of rows, or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of rows or none, not {text!r}")
    return value


def check_model_options(args):
    """Refuse the ensemble's options with ``--single-network``, and bad values."""
    if args.single_network:
        given = [option for option, value, default in [
            ("--folds", args.folds, ENSEMBLE_DEFAULTS["n_folds"]),
            ("--portfolio", tuple(args.portfolio), tuple(ENSEMBLE_DEFAULTS["portfolio"])),
            ("--max-samples", args.max_samples, ENSEMBLE_DEFAULTS["max_samples"]),
            ("--time-limit", args.time_limit, None),
            ("--n-jobs", args.n_jobs, None)]
            if value != default]
        if given:
            raise CommandError(f"{', '.join(given)}: for the ensemble, not with "
                               "--single-network (whose training --max-time bounds)")
    elif args.folds < 2:
        raise CommandError(f"--folds must be at least 2; got {args.folds}")
    elif args.time_limit is not None and not 0 < args.time_limit < float("inf"):
        raise CommandError(f"--time-limit must be a positive number of seconds; got "
                           f"{args.time_limit:g}")
    elif args.n_jobs == 0:
        raise CommandError("--n-jobs must be a number of processes, or -1 for one per "
                           "core; got 0")


def make_ensemble(task, network, args):
    """The cross-fitted ensemble of ``--portfolio``, its networks set as ``network``.

    Each configuration of :data:`~skmlp_scratch.tabular.PORTFOLIO` keeps its
    own parameters but takes those of ``network`` (the options given, and
    the command line's defaults) where they differ from the plain table
    network's; ``random_state`` seeds the folds and every member, and a
    member prints per-epoch progress only if ``--verbose`` was given.
    """
    base = PORTFOLIO["network"](task).get_params()
    changes = {name: value for name, value in network.get_params().items()
               if name != "random_state" and value != base[name]}
    if "verbose" not in vars(args):  # ten networks' epochs would bury the report
        changes["verbose"] = False
    configurations = []
    for name in args.portfolio:
        config = PORTFOLIO[name](task)
        (config[-1] if isinstance(config, Pipeline) else config).set_params(**changes)
        configurations.append((name, config))
    return ENSEMBLES[task](configurations, n_folds=args.folds,
                           max_samples=args.max_samples, time_limit=args.time_limit,
                           n_jobs=args.n_jobs, random_state=network.random_state)


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
    table = read_command_table(args.dataset, args)
    unknown = [c for c in (args.target, *args.drop, *args.categorical)
               if c not in table.columns]
    if unknown:
        raise CommandError(f"no column {unknown[0]!r} in {table_path(args.dataset)}; "
                           f"its columns are {short_list(table.columns)}")
    y = table[args.target]
    X = table.drop(columns=[args.target, *args.drop])
    if X.shape[1] == 0:
        raise CommandError("no columns left to learn from besides the target")
    keep = y.notna().to_numpy()
    if not keep.any():
        raise CommandError(f"the target column {args.target!r} has no values")
    return X[keep], target_values(y[keep]), int((~keep).sum())


def target_values(y):
    """The target without its gaps, in the type its values call for.

    A column of True/False read as objects is boolean; integers read as
    floats because a cell was blank are integers again, so that class
    labels ``1, 2`` are not predicted as ``1.0, 2.0``.
    """
    y = y.infer_objects()
    if y.dtype.kind == "f" and np.all(np.mod(y.to_numpy(), 1) == 0):
        return y.astype(np.int64)
    return y


def report_suspect_columns(X):
    """Print a note naming the columns that look like dates or identifiers."""
    suspects = suspect_columns(X)
    if suspects:
        described = "; ".join(f"{column!r}: {reason}" for column, reason in
                              list(suspects.items())[:8])
        names = ",".join(list(suspects)[:8])
        print(f"note: columns that are one-hot encoded as categories but look like "
              f"dates or identifiers ({described}); if they carry no signal, leave "
              f"them out with --drop {names}", file=sys.stderr)


def check_scalable(pipeline, X_train, numeric):
    """Refuse numeric columns that the preprocessing cannot turn into finite inputs.

    A value of 1e200 squares to infinity in ``StandardScaler``'s variance,
    and an infinite cell stays infinite; both would reach the network as
    NaN or infinity and fail with a message about the network's input
    rather than the table's column.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        From :func:`~skmlp_scratch.tabular.make_tabular_pipeline`, unfitted.
    X_train : pandas.DataFrame
    numeric : str
        The ``--numeric`` scaling, for the message.

    Raises
    ------
    CommandError
        Naming the first column at fault and its largest magnitude.
    """
    numbers = X_train.select_dtypes("number")
    infinite = [c for c in numbers.columns if np.isinf(numbers[c]).any()]
    if infinite:
        raise CommandError(f"column {infinite[0]!r} holds infinite values; write them "
                           "as missing (an empty field) or as finite numbers")
    # the numeric part alone: encoding the categories would double the cost
    # of a wide table's preprocessing for nothing
    preprocessor = clone(pipeline.named_steps[PREPROCESS]).set_params(
        **{MISSING: "drop", CATEGORICAL: "drop"})
    with warnings.catch_warnings():
        # the overflow is reported below, by column
        warnings.simplefilter("ignore", RuntimeWarning)
        inputs = preprocessor.fit_transform(X_train)
    finite = np.isfinite(inputs).all(axis=0)
    if not finite.all():
        name = preprocessor.get_feature_names_out()[np.argmin(finite)]
        largest = np.abs(numbers[name]).max() if name in numbers else float("nan")
        raise CommandError(
            f"column {name!r} has values too large to scale with --numeric {numeric} "
            f"(up to {largest:.3g}); use --numeric robust, which bounds outliers, or "
            "rescale the column")


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
