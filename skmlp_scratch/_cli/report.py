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
    log_loss,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from .. import __version__
from ..tabular._contract import (
    final_estimator,
    is_ensemble,
    networks,
    out_of_fold_predictions,
)
from ._errors import CommandError  # noqa: F401  (where options and main find it)
from ._model_files import output_file, refuse_inputs, write_output

PLOT_EXTRA_HINT = 'pip install "skmlp_scratch[plot]"'

# every file a report may hold
REPORT_FILES = ("metrics.json", "model.joblib", "model.skops", "curves.png",
                "confusion_matrix.png", "predictions.png")


@dataclass
class TrainingRun:
    """What one ``train`` command did: its data, fitted model and its scores.

    ``model`` is what is saved and what predicts: the estimator itself for
    image data, the whole preprocessing pipeline for a table. ``y_test`` is
    empty when no rows were held out (a table ensemble without
    ``--test-size``); an ensemble's out-of-fold predictions of its training
    rows are in ``y_oof`` and ``oof_pred`` (:meth:`collect_out_of_fold`).
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
    y_oof: np.ndarray = None  # the training rows held out by a member
    oof_pred: np.ndarray = None  # their out-of-fold labels or values
    oof_proba: np.ndarray = None  # and probabilities, for a classifier
    # the fit the test scores come from, when the saved model is a refit
    evaluated_fit_seconds: float = None

    @property
    def network(self):
        """The fitted MLP, or cross-fitted ensemble of them, inside ``model``."""
        return final_estimator(self.model)

    @property
    def is_ensemble(self):
        """Whether the model ends in a cross-fitted ensemble."""
        return is_ensemble(self.network)

    @property
    def has_test(self):
        """Whether rows were held out from the fit for test scores."""
        return len(self.y_test) > 0

    @property
    def labels(self):
        """Classes of the training set and of the rows evaluated, sorted."""
        return np.union1d(self.network.classes_, self.evaluated()[1])

    def evaluated(self):
        """``(kind, y_true, y_pred)`` of the rows the report's details describe.

        The test rows when there are some, else the out-of-fold predictions.
        """
        if self.has_test:
            return "test", self.y_test, self.y_pred
        return "out-of-fold", self.y_oof, self.oof_pred

    def collect_out_of_fold(self, y_train):
        """Keep an ensemble's out-of-fold predictions of the rows a member held out.

        A row of a single-row class is held out by no member (fold -1): its
        prediction is in-sample, so it is left out, as the ensemble's own
        ``oof_scores_`` leave it out.
        """
        oof = out_of_fold_predictions(self.model)
        if oof is None:
            return
        held = self.network.folds_ >= 0
        self.y_oof = np.asarray(y_train)[held]
        if self.task == "classification":
            self.oof_proba = oof[held]
            self.oof_pred = self.network.classes_[self.oof_proba.argmax(axis=1)]
        else:
            self.oof_pred = oof[held]

    def scores(self):
        """Test scores by name: accuracy and balanced accuracy, or R², MAE, RMSE.

        Empty without test rows.
        """
        if not self.has_test:
            return {}
        return prefixed_scores("test", self.task, self.y_test, self.y_pred)

    def oof_scores(self):
        """Out-of-fold scores by name, in the target's units; empty for a network.

        The test scores' measures, and the log loss of the out-of-fold
        probabilities for a classifier.
        """
        if self.y_oof is None:
            return {}
        scores = prefixed_scores("oof", self.task, self.y_oof, self.oof_pred)
        if self.task == "classification":
            scores["oof_log_loss"] = log_loss(self.y_oof, self.oof_proba,
                                              labels=self.network.classes_)
        return scores


def prefixed_scores(prefix, task, y_true, y_pred):
    """Accuracy and balanced accuracy, or R², MAE and RMSE, named ``prefix_score``."""
    if task == "classification":
        scores = {"accuracy": accuracy_score(y_true, y_pred),
                  "balanced_accuracy": balanced_accuracy_score(y_true, y_pred)}
    else:
        scores = {"r2": r2_score(y_true, y_pred),
                  "mae": mean_absolute_error(y_true, y_pred),
                  "rmse": root_mean_squared_error(y_true, y_pred)}
    return {f"{prefix}_{name}": float(value) for name, value in scores.items()}


# ---------------------------------------------------------------- display

SCORE_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy",
               "log_loss": "log loss", "r2": "R²", "mae": "MAE", "rmse": "RMSE",
               "squared_error": "squared error"}


def score_text(scores, prefix=""):
    """``"accuracy 0.9167, balanced accuracy 0.9000"`` of scores named ``prefix_name``."""
    return ", ".join(f"{SCORE_NAMES[name[len(prefix):]]} {value:.4f}"
                     for name, value in scores.items())


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
    """Print the scores, timing and, for classes, the report and confusion matrix.

    Test scores when rows were held out; an ensemble's out-of-fold scores,
    its configurations' and members'; then the fit time of the model fitted,
    and the classification report of the test rows (else the out-of-fold
    predictions).

    Parameters
    ----------
    run : TrainingRun
    """
    print()
    for name, value in run.scores().items():
        print(f"test {SCORE_NAMES[name.removeprefix('test_')]} {value:.4f}")
    if run.is_ensemble:
        print_out_of_fold(run)
    print(fit_text(run) + "\n")
    if run.task != "classification":
        return
    labels = run.labels
    kind, y_true, y_pred = run.evaluated()
    print(f"{kind} predictions:")
    print(classification_report(y_true, y_pred, labels=labels,
                                target_names=[str(c) for c in labels], digits=4,
                                zero_division=0))
    print(f"confusion matrix of the {kind} predictions (rows: true class, columns: "
          "predicted class)")
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    print(format_confusion_matrix(matrix, labels))


def print_refit(run):
    """Print what the refitted, saved model reports: its out-of-fold scores, fit time."""
    print()
    if run.is_ensemble:
        print_out_of_fold(run)
    print(fit_text(run) + " (the saved model)")


def fit_text(run):
    """One line: the fitted model's fit time and epochs."""
    fitted = networks(run.model)
    steps = "iterations" if fitted[0][1].solver == "lbfgs" else "epochs"
    if not run.is_ensemble:
        return f"fit time {run.fit_seconds:.2f} s, {fitted[0][1].n_iter_} {steps} run"
    n_iter = [network.n_iter_ for _, network in fitted]
    spread = f"{min(n_iter)}" if min(n_iter) == max(n_iter) else (
        f"{min(n_iter)}-{max(n_iter)}")
    return (f"fit time {run.fit_seconds:.2f} s for {len(fitted)} networks "
            f"({len(run.network.config_names_)} configurations x "
            f"{run.network.n_folds_} folds), {spread} {steps} each")


def print_out_of_fold(run):
    """Print an ensemble's out-of-fold scores, and each configuration's and member's.

    Parameters
    ----------
    run : TrainingRun
        Of a fitted ensemble, after :meth:`TrainingRun.collect_out_of_fold`.
    """
    ensemble = run.network
    print(f"out-of-fold scores on {len(run.y_oof)} rows (each row predicted by the "
          f"members that did not train on it): {score_text(run.oof_scores(), 'oof_')}")
    for note in ensemble.fold_notes_:
        print(f"note: {note}")
    summary = ensemble_summary(run)
    print(f"configurations, each alone on the same folds ({summary['scores_scale']}), "
          "and their weight in the ensemble (greedy selection):")
    width = max(len(config["name"]) for config in summary["configurations"])
    for config in summary["configurations"]:
        print(f"  {config['name']:<{width}}  weight {config['weight']:.2f}  "
              f"{score_text(config['oof_scores'])}")
        for member in config["members"]:
            print(f"  {'':<{width}}    fold {member['fold']}: "
                  f"{score_text(member['scores'])}, {member['n_iter']} epochs")


def ensemble_summary(run):
    """What ``metrics.json`` records of a fitted ensemble: configurations, members, folds.

    The configurations' and members' scores are the ensemble's own
    (``config_scores_``, ``member_scores_``): for a regression they are of
    the target the networks learn, standardised (and log) first, which
    ``scores_scale`` says; R² of a standardised target is that of the target.
    """
    ensemble = run.network
    fitted = iter(networks(run.model))
    configurations = []
    for name, weight, scores, members in zip(
            ensemble.config_names_, ensemble.weights_, ensemble.config_scores_,
            ensemble.member_scores_):
        configurations.append({
            "name": name, "weight": float(weight), "oof_scores": scores,
            "members": [{"fold": j + 1, "scores": member_scores,
                         "n_iter": next(fitted)[1].n_iter_}
                        for j, member_scores in enumerate(members)]})
    scale = "class probabilities" if run.task == "classification" else (
        "standardised log target" if run.table.get("log_target") else
        "standardised target")
    return {"n_folds": ensemble.n_folds_, "fold_notes": ensemble.fold_notes_,
            "oof_scores": ensemble.oof_scores_, "scores_scale": scale,
            "configurations": configurations}


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

    The fit time, epochs and curves are those of the saved model (with
    ``--refit``, of the refit; ``evaluated_fit_seconds`` is then the fit the
    test scores come from). An ensemble's out-of-fold scores are ``oof_*``,
    its configurations, weights and members ``ensemble``, each member's
    curves ``curves``.

    Parameters
    ----------
    run : TrainingRun

    Returns
    -------
    metrics : dict
        Values may be NumPy scalars or arrays; :func:`to_json` converts them.
    """
    fitted = networks(run.model)
    metrics = {"dataset": run.dataset, "task": run.task, **run.table,
               "model": "ensemble" if run.is_ensemble else "network",
               "n_train": run.n_train, "n_test": len(run.y_test),
               "n_features": run.n_features,
               # what the command line's options set: every member's network
               "parameters": fitted[0][1].get_params(),
               **run.scores(), **run.oof_scores(), "fit_seconds": run.fit_seconds}
    if run.evaluated_fit_seconds is not None:
        metrics["evaluated_fit_seconds"] = run.evaluated_fit_seconds
    if run.is_ensemble:
        metrics["n_oof"] = len(run.y_oof)
        metrics["ensemble"] = ensemble_summary(run)
        metrics["curves"] = [{"member": name, "n_iter": network.n_iter_,
                              "loss_curve": network.loss_curve_,
                              "validation_scores": network.validation_scores_}
                             for name, network in fitted]
    else:
        network = fitted[0][1]
        metrics.update({"n_iter": network.n_iter_, "loss_curve": network.loss_curve_,
                        "validation_scores": network.validation_scores_})
    if run.task == "classification":
        labels = run.labels
        kind, y_true, y_pred = run.evaluated()
        metrics["classes"] = labels
        metrics["classification_report_rows"] = kind
        metrics["classification_report"] = classification_report(
            y_true, y_pred, labels=labels,
            target_names=[str(c) for c in labels], output_dict=True, zero_division=0)
        metrics["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels)
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
    save_curves(Figure(layout="constrained"), networks(run.model),
                report_dir / "curves.png", saved_model_title(run))
    if run.task == "classification":
        save_confusion_matrix(Figure(figsize=(7, 6), layout="constrained"), run,
                              report_dir / "confusion_matrix.png")
    else:
        save_prediction_plots(Figure(figsize=(10, 4.5), layout="constrained"), run,
                              report_dir / "predictions.png")


def saved_model_title(run):
    """What the curves show: the saved model, on how many rows."""
    rows = run.table.get("saved_model_rows", run.n_train)
    refit = ", refitted after the test scores" if run.evaluated_fit_seconds is not None \
        else ""
    return f"the saved model ({rows} rows{refit})"


def save_curves(figure, fitted, path, title):
    """Plot each network's training loss and, with early stopping, validation score.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    fitted : list of (str, MLPScratchClassifier or MLPScratchRegressor)
        Fitted, from :func:`~skmlp_scratch.tabular._contract.networks`: one
        network, or every member of an ensemble (one line each).
    path : Path
    title : str
        Which model the curves are of.
    """
    from matplotlib.ticker import MaxNLocator

    first = fitted[0][1]
    step = "iteration" if first.solver == "lbfgs" else "epoch"
    has_scores = any(network.validation_scores_ for _, network in fitted)
    n_panels = 2 if has_scores else 1
    figure.set_size_inches(5 * n_panels, 4)
    loss_ax, *score_axes = figure.subplots(1, n_panels, squeeze=False)[0]
    many = len(fitted) > 1
    for name, network in fitted:
        style = {"linewidth": 1, "alpha": 0.7} if many else {"marker": "o"}
        steps = np.arange(1, len(network.loss_curve_) + 1)
        loss_ax.plot(steps, network.loss_curve_, label=name, **style)
        if network.validation_scores_:
            scores = network.validation_scores_
            score_axes[0].plot(np.arange(1, len(scores) + 1), scores, label=name,
                               **style)
    loss_ax.set(xlabel=step, ylabel="training loss", title="Training loss")
    if has_scores:
        name = first.scoring or first._default_scoring_name
        where = "own fold" if many else "held-out rows"
        score_axes[0].set(xlabel=step, ylabel=name, title=f"Validation {name} ({where})")
    for ax in [loss_ax, *score_axes]:
        # a locator belongs to one axis, hence one per panel
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if many and len(fitted) <= 12:
        loss_ax.legend(fontsize="x-small")
    figure.suptitle(f"Curves of {title}")
    with output_file(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")


def save_confusion_matrix(figure, run, path):
    """Plot the test (or out-of-fold) confusion matrix with scikit-learn's ``ConfusionMatrixDisplay``.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    run : TrainingRun
    path : Path
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    kind, y_true, y_pred = run.evaluated()
    ax = figure.subplots()
    ConfusionMatrixDisplay.from_predictions(y_true, y_pred, labels=run.labels,
                                            ax=ax, cmap="Blues", colorbar=False)
    ax.set_title(f"{run.dataset}: {kind} accuracy {accuracy_score(y_true, y_pred):.4f}")
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

    rows, y_true, y_pred = run.evaluated()
    for ax, kind in zip(figure.subplots(1, 2),
                        ["actual_vs_predicted", "residual_vs_predicted"]):
        PredictionErrorDisplay.from_predictions(
            y_true, y_pred, kind=kind, ax=ax, subsample=2000, random_state=0,
            scatter_kwargs={"alpha": 0.3})
    figure.suptitle(f"{run.dataset}: {rows} R² {r2_score(y_true, y_pred):.4f}, "
                    f"MAE {mean_absolute_error(y_true, y_pred):.4g}")
    with output_file(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")
