"""The ``skmlp-scratch`` command line: train on an image data set and write a report.

``skmlp-scratch train --dataset mnist --hidden 256,128 --epochs 20`` loads the
data, trains :class:`~skmlp_scratch.MLPScratchClassifier` with per-epoch
progress, prints the test accuracy, a per-class report and the confusion
matrix, and writes ``metrics.json``, ``model.joblib`` and two figures to a
report directory.

Every parameter of the estimator has an option of the same name, with
dashes for underscores (``--learning-rate-init``), generated from
``get_params()`` so that a new parameter gets its option without an edit
here. Exit codes: 0 success, 1 training diverged, 2 bad arguments, bad
parameter values or unloadable data, 130 interrupted outside of ``fit``.
"""

import argparse
import inspect
import json
import platform
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from . import __version__
from ._classifier import MLPScratchClassifier
from ._training import TrainingDivergedError
from .datasets import DATASETS, load_dataset

__all__ = ["main"]

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

# Short names for the options typed most often: alias -> estimator parameter.
ALIASES = {
    "hidden": "hidden_layer_sizes",
    "epochs": "max_iter",
    "lr": "learning_rate_init",
}

PLOT_EXTRA_HINT = 'pip install "skmlp_scratch[plot]"'


class CommandError(Exception):
    """A failure to report as one line on stderr, with the exit code to return."""

    def __init__(self, message, exit_code=2):
        super().__init__(message)
        self.exit_code = exit_code


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
        values or data, 130 if interrupted outside of training.
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
    except KeyboardInterrupt:
        # an interrupt during fit is handled by the estimator; this one came
        # while loading data or writing the report
        print("interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------- parsing


def build_parser(prog=None):
    """The argument parser with its ``train`` subcommand.

    Parameters
    ----------
    prog : str, default=None
        Program name for usage messages.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Train a NumPy multilayer perceptron from the command "
                               "line.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train", help="train on a data set and write a report",
        description="Train MLPScratchClassifier on a data set, print the test "
                    "results and write metrics.json, model.joblib and figures.",
        # abbreviations would make --learning mean --learning-rate today and
        # become ambiguous the day another --learning-* parameter appears
        allow_abbrev=False)
    add_run_options(train)
    add_estimator_options(train)
    train.set_defaults(run=run_train)
    return parser


def add_run_options(parser):
    """Add the options about data, output and display to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    names = ", ".join([*DATASETS, "idx:DIR"])
    group = parser.add_argument_group("data and report")
    group.add_argument("--dataset", default="mnist", type=parse_dataset_name,
                       metavar="NAME", help=f"one of {names} (default: mnist); "
                       "idx:DIR reads the four MNIST-format IDX files in DIR")
    group.add_argument("--data-home", default=None, metavar="DIR",
                       help="cache folder of the OpenML downloads (default: "
                            "scikit-learn's, ~/scikit_learn_data)")
    group.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                       help="floating type of the pixels and of training "
                            "(default: float32)")
    group.add_argument("--report-dir", default=None, type=Path, metavar="DIR",
                       help="where to write the report (default: "
                            "runs/<dataset>-<YYYYmmdd-HHMMSS>)")
    group.add_argument("--quiet", action="store_true",
                       help="no per-epoch progress (sets verbose=False unless "
                            "--verbose is given)")
    group.add_argument("--no-plots", action="store_true",
                       help="write no figures")


def add_estimator_options(parser):
    """Add one option per parameter of ``MLPScratchClassifier`` to ``parser``.

    Options are absent from the parsed namespace unless given, so that
    :func:`effective_params` can tell a typed value from a default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    defaults = MLPScratchClassifier().get_params()
    summaries = summarize_parameters(MLPScratchClassifier.__doc__)
    aliases = {name: alias for alias, name in ALIASES.items()}
    group = parser.add_argument_group(
        "estimator parameters",
        "Values are read as int, float, true/false, none, a comma list of ints, "
        "or else text; the estimator checks them.")
    for name in sorted(defaults):
        flags = [option_name(name)]
        if name in aliases:
            flags.insert(0, option_name(aliases[name]))
        default = CLI_DEFAULTS.get(name, defaults[name])
        help_text = f"{summaries.get(name, name)} (default: {default!r})"
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


def parse_dataset_name(text):
    """Check a ``--dataset`` value: a known name or ``idx:DIRECTORY``.

    Parameters
    ----------
    text : str

    Returns
    -------
    name : str
    """
    if text in DATASETS or (text.startswith("idx:") and len(text) > len("idx:")):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}; choose one of {', '.join(DATASETS)} or "
        "idx:DIRECTORY")


def effective_params(args):
    """The estimator parameters of a run: typed, else CLI, else estimator defaults.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``train`` arguments.

    Returns
    -------
    params : dict
        One entry per parameter of ``MLPScratchClassifier``.
    """
    params = MLPScratchClassifier().get_params()
    params.update(CLI_DEFAULTS)
    if args.quiet:
        params["verbose"] = False
    params.update({k: v for k, v in vars(args).items() if k in params})
    return params


# --------------------------------------------------------------- training


@dataclass
class TrainingRun:
    """What one ``train`` command did: its data, fitted estimator and test results."""

    dataset: str
    estimator: MLPScratchClassifier
    n_train: int
    n_features: int
    y_test: np.ndarray
    y_pred: np.ndarray = None
    fit_seconds: float = 0.0
    warnings: list = field(default_factory=list)

    @property
    def labels(self):
        """Classes of the training set and of the test set, sorted."""
        return np.union1d(self.estimator.classes_, self.y_test)

    @property
    def test_accuracy(self):
        """Share of test samples predicted right."""
        return float(accuracy_score(self.y_test, self.y_pred))


def run_train(args):
    """Carry out ``train``: load, fit, evaluate, print and write the report.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    estimator = make_estimator(effective_params(args))
    print_parameters(estimator)
    X_train, X_test, y_train, y_test = load_data(args)
    report_dir = make_report_dir(args.report_dir, args.dataset)
    print(f"data: {args.dataset}, {X_train.shape[0]} training and {X_test.shape[0]} "
          f"test samples, {X_train.shape[1]} features, {args.dtype}", flush=True)
    run = TrainingRun(args.dataset, estimator, X_train.shape[0], X_train.shape[1],
                      y_test)
    fit_estimator(run, X_train, y_train)
    run.y_pred = estimator.predict(X_test)
    print_results(run)
    write_report(run, report_dir, plots=not args.no_plots)
    return 0


def make_estimator(params):
    """An estimator with ``params``, checked before any data is loaded.

    Parameters
    ----------
    params : dict

    Returns
    -------
    estimator : MLPScratchClassifier

    Raises
    ------
    CommandError
        If the estimator's own validation rejects a value.
    """
    estimator = MLPScratchClassifier(**params)
    try:
        # fit validates too, but only after MNIST has been read: fail in a second
        estimator._validate_params()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return estimator


def load_data(args):
    """``X_train, X_test, y_train, y_test`` of ``--dataset``.

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


def fit_estimator(run, X_train, y_train):
    """Fit ``run.estimator``, recording wall time and warnings in ``run``.

    Warnings are collected and printed after training as one line each,
    rather than between progress lines with a source location a user of
    the command line has no use for.

    Parameters
    ----------
    run : TrainingRun
    X_train : ndarray of shape (n_samples, n_features)
    y_train : ndarray of shape (n_samples,)

    Raises
    ------
    CommandError
        If the estimator rejects a parameter or the data (exit code 2), or
        training diverges (exit code 1).
    """
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            run.estimator.fit(X_train, y_train)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except TrainingDivergedError as exc:
        raise CommandError(str(exc), exit_code=1) from None
    finally:
        run.fit_seconds = time.perf_counter() - started
    run.warnings = [str(w.message) for w in caught]
    for message in run.warnings:
        print(f"warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- display


def print_parameters(estimator):
    """Print every parameter of ``estimator`` as ``name=value``, a few per line.

    Parameters
    ----------
    estimator : MLPScratchClassifier
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
    """Print test accuracy, timing, the per-class report and the confusion matrix.

    Parameters
    ----------
    run : TrainingRun
    """
    estimator = run.estimator
    steps = "iterations" if estimator.solver == "lbfgs" else "epochs"
    print(f"\ntest accuracy {run.test_accuracy:.4f}")
    print(f"fit time {run.fit_seconds:.2f} s, {estimator.n_iter_} {steps} run\n")
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


# ----------------------------------------------------------------- report


def make_report_dir(report_dir, dataset):
    """Create the report directory, by default a new one under ``runs/``.

    Made before training, so that an unwritable location fails in a second
    instead of after the last epoch.

    Parameters
    ----------
    report_dir : path-like or None
        The directory asked for; None makes ``runs/<dataset>-<timestamp>``.
    dataset : str
        ``--dataset`` value, used in the default name.

    Returns
    -------
    report_dir : Path

    Raises
    ------
    CommandError
        If the directory cannot be created.
    """
    if report_dir is None:
        report_dir = unused_path(default_report_dir(dataset, datetime.now()))
    try:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the report directory: {exc}") from None
    return Path(report_dir)


def default_report_dir(dataset, now):
    """``runs/<dataset>-<YYYYmmdd-HHMMSS>`` with the name reduced to safe characters.

    Parameters
    ----------
    dataset : str
        ``"idx:/data/fashion"`` becomes ``"idx-fashion"``.
    now : datetime.datetime

    Returns
    -------
    path : Path
    """
    name = dataset
    if dataset.startswith("idx:"):
        name = "idx-" + Path(dataset[len("idx:"):]).name
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
    """Write ``metrics.json``, ``model.joblib`` and, if asked, the figures.

    Parameters
    ----------
    run : TrainingRun
    report_dir : Path
    plots : bool, default=True
    """
    import joblib

    (report_dir / "metrics.json").write_text(
        json.dumps(collect_metrics(run), indent=2, default=to_json) + "\n")
    joblib.dump(run.estimator, report_dir / "model.joblib")
    if plots:
        save_figures(run, report_dir)
    print(f"\nreport written to {report_dir}")


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
    estimator = run.estimator
    labels = run.labels
    return {
        "dataset": run.dataset,
        "n_train": run.n_train,
        "n_test": len(run.y_test),
        "n_features": run.n_features,
        "classes": labels,
        "parameters": estimator.get_params(),
        "test_accuracy": run.test_accuracy,
        "fit_seconds": run.fit_seconds,
        "n_iter": estimator.n_iter_,
        "loss_curve": estimator.loss_curve_,
        "validation_scores": estimator.validation_scores_,
        "classification_report": classification_report(
            run.y_test, run.y_pred, labels=labels,
            target_names=[str(c) for c in labels], output_dict=True, zero_division=0),
        "confusion_matrix": confusion_matrix(run.y_test, run.y_pred, labels=labels),
        "warnings": run.warnings,
        "versions": {"skmlp_scratch": __version__, "numpy": np.__version__,
                     "sklearn": sklearn.__version__,
                     "python": platform.python_version()},
    }


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


def save_figures(run, report_dir):
    """Save ``curves.png`` and ``confusion_matrix.png``, or say why not.

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
    save_curves(Figure(layout="constrained"), run.estimator,
                report_dir / "curves.png")
    save_confusion_matrix(Figure(figsize=(7, 6), layout="constrained"), run,
                          report_dir / "confusion_matrix.png")


def save_curves(figure, estimator, path):
    """Plot the training loss and, with early stopping, the validation accuracy.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    estimator : MLPScratchClassifier
        Fitted.
    path : Path
    """
    from matplotlib.ticker import MaxNLocator

    step = "iteration" if estimator.solver == "lbfgs" else "epoch"
    scores = estimator.validation_scores_
    n_panels = 2 if scores else 1
    figure.set_size_inches(5 * n_panels, 4)
    loss_ax, *score_axes = figure.subplots(1, n_panels, squeeze=False)[0]
    steps = np.arange(1, len(estimator.loss_curve_) + 1)
    loss_ax.plot(steps, estimator.loss_curve_, marker="o")
    loss_ax.set(xlabel=step, ylabel="training loss", title="Training loss")
    if scores:
        score_axes[0].plot(np.arange(1, len(scores) + 1), scores, marker="o",
                           color="tab:green")
        score_axes[0].set(xlabel=step, ylabel="accuracy", title="Validation accuracy")
    for ax in [loss_ax, *score_axes]:
        # a locator belongs to one axis, hence one per panel
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    figure.savefig(path, dpi=100)


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
    ax.set_title(f"{run.dataset}: test accuracy {run.test_accuracy:.4f}")
    figure.savefig(path, dpi=100)
