"""``skmlp-scratch train``: its options, and training on images.

``skmlp-scratch train --dataset mnist --hidden 256,128 --epochs 20`` loads the
data, trains :class:`~skmlp_scratch.MLPScratchClassifier` with per-epoch
progress, prints the test results and writes a report folder (see
:mod:`skmlp_scratch._cli.report`). A ``--dataset csv:FILE`` is handed to
:mod:`skmlp_scratch._cli.table`.
"""

from datetime import datetime
from pathlib import Path

import numpy as np

from .._classifier import MLPScratchClassifier
from ..datasets import DATASETS, load_dataset
from . import table
from .options import (
    add_estimator_options,
    effective_params,
    is_table_name,
    make_estimator,
    parse_dataset_name,
)
from .report import CommandError, TrainingRun, print_parameters, report_folder
from .run import finish_run


def add_parser(commands):
    """Add the ``train`` subcommand to the subparsers ``commands``.

    Parameters
    ----------
    commands : argparse._SubParsersAction
    """
    parser = commands.add_parser(
        "train", help="train on a data set and write a report",
        description="Train MLPScratchClassifier or MLPScratchRegressor on a data "
                    "set, print the test results and write metrics.json, the "
                    "model and figures.",
        epilog="Example: skmlp-scratch train --dataset csv:wages.csv --target wage "
               "--log-target",
        # abbreviations would make --learning mean --learning-rate today and
        # become ambiguous the day another --learning-* parameter appears
        allow_abbrev=False)
    add_run_options(parser)
    table.add_table_options(parser)
    add_estimator_options(parser)
    parser.set_defaults(run=run_train)


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
        return table.run_train_table(args)
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
    """Refuse ``--target`` and the other table options with an image data set.

    Given with images they would be ignored; ``args.table_options`` holds the
    actions of :func:`~skmlp_scratch._cli.table.add_table_options`.
    """
    given = [action.option_strings[0] for action in args.table_options
             if getattr(args, action.dest) != action.default]
    if given:
        raise CommandError(f"{', '.join(given)}: for a table (--dataset csv:FILE), "
                           f"not for {args.dataset}")


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
