"""What ``skmlp-scratch train`` prints and writes once a model is fitted.

A :class:`TrainingRun` records one run; the functions here turn it into the
printed results, ``metrics.json``, the saved model and the figures. The
report folder is made before training (an unwritable location fails in a
second) and removed again if the run fails before its report is complete.
"""

import contextlib
import json
import platform
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from .. import __version__
from ..tabular._contract import final_estimator
from ._errors import CommandError  # noqa: F401  (where options and main find it)
from ._model_files import output_file, refuse_inputs, write_output

PLOT_EXTRA_HINT = 'pip install "skmlp_scratch[plot]"'

# every file a report may hold
REPORT_FILES = ("metrics.json", "model.joblib", "model.skops", "curves.png",
                "confusion_matrix.png", "predictions.png")


@dataclass
class TrainingRun:
    """What one ``train`` command did: its data, fitted model and test results.

    ``model`` is what is saved and what predicts: the estimator itself for
    image data, the whole preprocessing pipeline for a table.
    """

    dataset: str
    model: object
    task: str
    n_train: int
    n_features: int
    y_test: np.ndarray
    y_pred: np.ndarray = None
    fit_seconds: float = 0.0
    warnings: list = field(default_factory=list)
    table: dict = field(default_factory=dict)  # target, columns, dropped rows

    @property
    def network(self):
        """The fitted MLP inside ``model``."""
        return final_estimator(self.model)

    @property
    def labels(self):
        """Classes of the training set and of the test set, sorted."""
        return np.union1d(self.network.classes_, self.y_test)

    def scores(self):
        """Test scores by name: accuracy and balanced accuracy, or R², MAE, RMSE."""
        if self.task == "classification":
            return {"test_accuracy": accuracy_score(self.y_test, self.y_pred),
                    "test_balanced_accuracy": balanced_accuracy_score(
                        self.y_test, self.y_pred)}
        return {"test_r2": r2_score(self.y_test, self.y_pred),
                "test_mae": mean_absolute_error(self.y_test, self.y_pred),
                "test_rmse": root_mean_squared_error(self.y_test, self.y_pred)}


# ---------------------------------------------------------------- display

SCORE_NAMES = {"test_accuracy": "test accuracy",
               "test_balanced_accuracy": "test balanced accuracy",
               "test_r2": "test R²", "test_mae": "test MAE", "test_rmse": "test RMSE"}


def print_parameters(estimator):
    """Print every parameter of ``estimator`` as ``name=value``, a few per line.

    Parameters
    ----------
    estimator : estimator instance
    """
    pairs = [f"{k}={v!r}" for k, v in sorted(estimator.get_params().items())]
    print("parameters:")
    print("\n".join(wrap_items(pairs, width=86, indent="  ")), flush=True)


def wrap_items(items, width, indent=""):
    """Lines of comma-separated ``items``, never breaking inside an item.

    Parameters
    ----------
    items : list of str
    width : int
        Line length not exceeded unless a single item is longer.
    indent : str, default=""
        Prefix of every line.

    Returns
    -------
    lines : list of str
    """
    lines, line = [], []
    for item in items:
        if line and len(indent) + len(", ".join(line + [item])) > width:
            lines.append(indent + ", ".join(line) + ",")
            line = []
        line.append(item)
    return lines + [indent + ", ".join(line)] if line else lines


def print_results(run):
    """Print the test scores, timing and, for classes, the report and confusion matrix.

    Parameters
    ----------
    run : TrainingRun
    """
    network = run.network
    steps = "iterations" if network.solver == "lbfgs" else "epochs"
    print()
    for name, value in run.scores().items():
        print(f"{SCORE_NAMES[name]} {value:.4f}")
    print(f"fit time {run.fit_seconds:.2f} s, {network.n_iter_} {steps} run\n")
    if run.task != "classification":
        return
    labels = run.labels
    print(classification_report(run.y_test, run.y_pred, labels=labels,
                                target_names=[str(c) for c in labels], digits=4,
                                zero_division=0))
    print("confusion matrix (rows: true class, columns: predicted class)")
    matrix = confusion_matrix(run.y_test, run.y_pred, labels=labels)
    print(format_confusion_matrix(matrix, labels))


def format_confusion_matrix(matrix, labels):
    """A confusion matrix as right-aligned text columns.

    Parameters
    ----------
    matrix : ndarray of shape (n_classes, n_classes)
        Counts, true classes in rows, predicted classes in columns.
    labels : array-like of shape (n_classes,)

    Returns
    -------
    table : str
        A header line of predicted labels, then one line per true label.
    """
    names = [str(label) for label in labels]
    width = max(len(text) for text in names + [str(matrix.max())])
    corner = "true\\pred"
    first = max(len(corner), *(len(name) for name in names))
    lines = [corner.rjust(first) + "".join(f"  {n:>{width}}" for n in names)]
    for name, row in zip(names, matrix):
        lines.append(name.rjust(first) + "".join(f"  {v:>{width}}" for v in row))
    return "\n".join(lines)


# ------------------------------------------------------------ report folder


@contextlib.contextmanager
def report_folder(report_dir, dataset, now):
    """Create the report folder; remove it again if the block raises.

    Made before training, so that an unwritable location fails in a second
    instead of after the last epoch; removed on failure (only if this call
    created it), so that a rejected run leaves no empty or half-written
    folder behind.

    Parameters
    ----------
    report_dir : path-like or None
        The folder asked for; None makes ``runs/<dataset>-<timestamp>``.
    dataset : str
        ``--dataset`` value, used in the default name.
    now : datetime.datetime
        Time stamp of the default name.

    Yields
    ------
    report_dir : Path

    Raises
    ------
    CommandError
        If the folder cannot be created.
    """
    if report_dir is None:
        report_dir = unused_path(default_report_dir(dataset, now))
    report_dir = Path(report_dir)
    kind, _, location = dataset.partition(":")
    if kind in {"csv", "parquet"}:  # a report file may not be the input table
        for name in REPORT_FILES:
            refuse_inputs(report_dir / name, {Path(location): "input table"},
                          what="the report file")
    created = not report_dir.exists()
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the report directory: {exc}") from None
    try:
        yield report_dir
    except BaseException:
        if created:
            shutil.rmtree(report_dir, ignore_errors=True)
        raise


def default_report_dir(dataset, now):
    """``runs/<dataset>-<YYYYmmdd-HHMMSS>`` with the name reduced to safe characters.

    Parameters
    ----------
    dataset : str
        ``"idx:/data/fashion"`` becomes ``"idx-fashion"``,
        ``"csv:data/wages.csv"`` becomes ``"wages"``.
    now : datetime.datetime

    Returns
    -------
    path : Path
    """
    kind, _, location = dataset.partition(":")
    if kind == "idx":
        name = "idx-" + Path(location).name
    elif location:
        name = Path(location).stem
    else:
        name = dataset
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "dataset"
    return Path("runs") / f"{slug}-{now:%Y%m%d-%H%M%S}"


def unused_path(path):
    """``path``, or ``path-2``, ``path-3``, ... if taken (two runs in one second)."""
    candidate, n = Path(path), 1
    while candidate.exists():
        n += 1
        candidate = Path(f"{path}-{n}")
    return candidate


def write_report(run, report_dir, plots=True):
    """Write ``metrics.json``, the model (joblib, and skops if installed), figures.

    Parameters
    ----------
    run : TrainingRun
    report_dir : Path
    plots : bool, default=True
    """
    import joblib

    # each file whole or not at all, as every file the command line writes
    write_output(report_dir / "metrics.json",
                 json.dumps(collect_metrics(run), indent=2, default=to_json) + "\n")
    with output_file(report_dir / "model.joblib") as temporary:
        joblib.dump(run.model, temporary)
    save_skops(run.model, report_dir / "model.skops")
    if plots:
        save_figures(run, report_dir)
    print(f"\nreport written to {report_dir}")


def save_skops(model, path):
    """Save ``model`` with skops.io, a format that runs no code when loaded.

    Skipped silently without skops: the joblib file is always written.
    """
    try:
        import skops.io
    except ImportError:
        return
    with output_file(path) as temporary:
        skops.io.dump(model, temporary)


def collect_metrics(run):
    """Everything ``metrics.json`` records about a run.

    Parameters
    ----------
    run : TrainingRun

    Returns
    -------
    metrics : dict
        Values may be NumPy scalars or arrays; :func:`to_json` converts them.
    """
    network = run.network
    metrics = {"dataset": run.dataset, "task": run.task, **run.table,
               "n_train": run.n_train, "n_test": len(run.y_test),
               "n_features": run.n_features, "parameters": network.get_params(),
               **run.scores(), "fit_seconds": run.fit_seconds,
               "n_iter": network.n_iter_, "loss_curve": network.loss_curve_,
               "validation_scores": network.validation_scores_}
    if run.task == "classification":
        labels = run.labels
        metrics["classes"] = labels
        metrics["classification_report"] = classification_report(
            run.y_test, run.y_pred, labels=labels,
            target_names=[str(c) for c in labels], output_dict=True, zero_division=0)
        metrics["confusion_matrix"] = confusion_matrix(run.y_test, run.y_pred,
                                                       labels=labels)
    metrics["warnings"] = run.warnings
    metrics["versions"] = {"skmlp_scratch": __version__, "numpy": np.__version__,
                           "sklearn": sklearn.__version__,
                           "python": platform.python_version()}
    return metrics


def to_json(value):
    """``json.dumps`` fallback for NumPy values (``default=`` hook).

    Parameters
    ----------
    value : object

    Returns
    -------
    converted : int, float, bool, list or str
    """
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return repr(value)  # e.g. a RandomState instance as random_state


# ---------------------------------------------------------------- figures


def save_figures(run, report_dir):
    """Save ``curves.png`` and ``confusion_matrix.png`` or ``predictions.png``.

    The figures are :class:`matplotlib.figure.Figure` objects made directly,
    not through pyplot, so neither a backend nor pyplot's list of open
    figures is involved; they are freed like any other object.

    Parameters
    ----------
    run : TrainingRun
    report_dir : Path
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print(f"figures skipped: matplotlib is not installed; install it with "
              f"{PLOT_EXTRA_HINT}", file=sys.stderr)
        return
    save_curves(Figure(layout="constrained"), run.network, report_dir / "curves.png")
    if run.task == "classification":
        save_confusion_matrix(Figure(figsize=(7, 6), layout="constrained"), run,
                              report_dir / "confusion_matrix.png")
    else:
        save_prediction_plots(Figure(figsize=(10, 4.5), layout="constrained"), run,
                              report_dir / "predictions.png")


def save_curves(figure, network, path):
    """Plot the training loss and, with early stopping, the validation score.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    network : MLPScratchClassifier or MLPScratchRegressor
        Fitted.
    path : Path
    """
    from matplotlib.ticker import MaxNLocator

    step = "iteration" if network.solver == "lbfgs" else "epoch"
    scores = network.validation_scores_
    n_panels = 2 if scores else 1
    figure.set_size_inches(5 * n_panels, 4)
    loss_ax, *score_axes = figure.subplots(1, n_panels, squeeze=False)[0]
    steps = np.arange(1, len(network.loss_curve_) + 1)
    loss_ax.plot(steps, network.loss_curve_, marker="o")
    loss_ax.set(xlabel=step, ylabel="training loss", title="Training loss")
    if scores:
        name = network.scoring or network._default_scoring_name
        score_axes[0].plot(np.arange(1, len(scores) + 1), scores, marker="o",
                           color="tab:green")
        score_axes[0].set(xlabel=step, ylabel=name, title=f"Validation {name}")
    for ax in [loss_ax, *score_axes]:
        # a locator belongs to one axis, hence one per panel
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    with output_file(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")


def save_confusion_matrix(figure, run, path):
    """Plot the test confusion matrix with scikit-learn's ``ConfusionMatrixDisplay``.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    run : TrainingRun
    path : Path
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    ax = figure.subplots()
    ConfusionMatrixDisplay.from_predictions(run.y_test, run.y_pred, labels=run.labels,
                                            ax=ax, cmap="Blues", colorbar=False)
    ax.set_title(f"{run.dataset}: test accuracy {run.scores()['test_accuracy']:.4f}")
    with output_file(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")


def save_prediction_plots(figure, run, path):
    """Plot predicted against true values and residuals against predictions.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    run : TrainingRun
    path : Path
    """
    from sklearn.metrics import PredictionErrorDisplay

    scores = run.scores()
    for ax, kind in zip(figure.subplots(1, 2),
                        ["actual_vs_predicted", "residual_vs_predicted"]):
        PredictionErrorDisplay.from_predictions(
            run.y_test, run.y_pred, kind=kind, ax=ax, subsample=2000, random_state=0,
            scatter_kwargs={"alpha": 0.3})
    figure.suptitle(f"{run.dataset}: test R² {scores['test_r2']:.4f}, "
                    f"MAE {scores['test_mae']:.4g}")
    with output_file(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")
