"""One training run of ``train``: fit, predict the test rows, report."""

import sys
from collections import Counter
import time
import warnings

from sklearn.base import clone

from .._training import TrainingDivergedError
from ..tabular._reading import one_line
from .report import CommandError, print_refit, print_results, write_report


def finish_run(run, X_train, y_train, X_test, report_dir, plots, refit_on=None):
    """Fit, predict the test rows, print the results and write the report.

    Parameters
    ----------
    run : TrainingRun
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)
    X_test : array-like of shape (n_test, n_features), or None
        None when no rows are held out (an ensemble scored out of fold).
    report_dir : Path
    plots : bool
    refit_on : tuple (X, y) or None, default=None
        Every row: once the test scores are printed, the model is fitted
        again on these with the same parameters, and that model is saved;
        the fit time, curves (and an ensemble's out-of-fold scores) reported
        after it are the refit's.
    """
    fit_model(run, X_train, y_train)
    if X_test is not None:
        run.y_pred = run.model.predict(X_test)
    run.collect_out_of_fold(y_train)
    print_results(run)
    if refit_on is not None:
        X, y = refit_on
        print(f"refitting on all {len(y)} rows; the saved model is that one: the test "
              "scores above are of the model fitted without the test rows, the fit "
              "time and curves below and in the report of the saved model",
              flush=True)
        run.evaluated_fit_seconds = run.fit_seconds
        run.model = clone(run.model)
        fit_model(run, X, y)
        run.collect_out_of_fold(y)
        print_refit(run)
    write_report(run, report_dir, plots=plots)


def fit_model(run, X_train, y_train):
    """Fit ``run.model``, recording its wall time and adding its warnings to ``run``.

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
    # first: a divergence is a ValueError too, as scikit-learn's is, but
    # means the data was usable and the training went wrong (exit code 1)
    except TrainingDivergedError as exc:
        raise CommandError(str(exc), exit_code=1) from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        run.fit_seconds = time.perf_counter() - started
    # added to, not replaced: with --refit, metrics.json keeps both fits' warnings
    messages = [str(w.message) for w in caught]
    run.warnings.extend(messages)
    # an ensemble's members warn alike: each message once, with its count
    for message, count in Counter(messages).items():
        times = f" ({count} networks)" if count > 1 else ""
        print(f"warning{times}: {one_line(message)}", file=sys.stderr)
