"""Side by side with scikit-learn's MLPClassifier
==============================================

MLPScratchClassifier next to scikit-learn's MLPClassifier, on float32 and float64.

Both estimators get the same parameters: hidden layer sizes, Adam, batch
size, a fixed number of epochs (``max_iter``, with no early stopping and no
stop on a plateau) and ``random_state``. Each is fitted on float32 and on
float64 copies of the same images; the script prints fit time, the type of
the learned weights and test accuracy, and saves a bar chart,
``compare_sklearn.png``.

This is a demonstration, run on whatever machine runs it, with the best of
``--repeats`` fits. The speed figures of record, measured under controlled
conditions, are the benchmarks in ``benchmarks/``.

Run it with::

    python examples/compare_sklearn.py                   # digits, a few seconds
    python examples/compare_sklearn.py --dataset idx:/path/to/fashion-mnist
    python examples/compare_sklearn.py --small           # a few seconds
"""

import time
import warnings
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier

ESTIMATORS = {"skmlp_scratch": MLPScratchClassifier, "scikit-learn": MLPClassifier}
DTYPES = [np.float32, np.float64]


class Result(NamedTuple):
    """One row of the table: an estimator fitted on one input dtype."""

    estimator: str
    input_dtype: str
    weights_dtype: str
    seconds: float
    accuracy: float


def shared_params(args):
    """The parameters both estimators are built with (the names are the same)."""
    epochs = args.epochs or (20 if args.small else 30)
    return {
        "hidden_layer_sizes": (64,) if args.small else (128,),
        "solver": "adam",
        "batch_size": 200,
        "max_iter": epochs,
        "early_stopping": False,
        # a plateau count that can never be reached: both run exactly max_iter
        # epochs, so the times compare equal amounts of work
        "n_iter_no_change": epochs,
        "random_state": 0,
    }


def best_fit_time(estimator, params, X, y, repeats):
    """Fit a fresh ``estimator(**params)`` ``repeats`` times.

    Returns the last fitted model and the fastest of the fit times.
    """
    times = []
    for _ in range(repeats):
        model = estimator(**params)
        with warnings.catch_warnings():
            # reaching max_iter is the design here (a fixed epoch budget), so
            # the "has not converged" warning of both estimators says nothing
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - start)
    # the minimum is the time least disturbed by whatever else the machine does
    return model, min(times)


def plot_results(results, title):
    """Fit time and test accuracy: bars grouped by input dtype, one per estimator."""
    fig = Figure(figsize=(9, 4), layout="constrained")
    fig.suptitle(title)
    time_ax, accuracy_ax = fig.subplots(1, 2)
    dtypes = [np.dtype(d).name for d in DTYPES]
    width = 0.8 / len(ESTIMATORS)
    for ax, field, ylabel, fmt in [
            (time_ax, "seconds", "fit time (s, best of repeats)", "%.3g"),
            (accuracy_ax, "accuracy", "test accuracy", "%.3f")]:
        for i, name in enumerate(ESTIMATORS):
            values = [getattr(r, field) for r in results if r.estimator == name]
            positions = np.arange(len(dtypes)) + (i - (len(ESTIMATORS) - 1) / 2) * width
            bars = ax.bar(positions, values, width, label=name)
            ax.bar_label(bars, fmt=fmt)
        ax.set_xticks(range(len(dtypes)), [f"{d} input" for d in dtypes])
        ax.set_ylabel(ylabel)
    # accuracies differ in the second or third digit; a zero-based axis would
    # hide that, so the axis starts just below the lowest bar
    low = min(r.accuracy for r in results)
    accuracy_ax.set_ylim(max(0.0, low - 0.05), 1.0)
    fig.legend(*time_ax.get_legend_handles_labels(), loc="outside lower center",
               ncols=len(ESTIMATORS))
    return fig


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of each fit (max_iter); default: 20 with "
                             "--small, else 30")
    parser.add_argument("--repeats", type=int, default=None,
                        help="fits per configuration, the fastest is reported; "
                             "default: 1 with --small, else 3")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.small else 3)
    X32_train, X32_test, y_train, y_test = load_data(args, dtype=np.float32)
    params = shared_params(args)
    print(f"shared parameters: {params}; best of {repeats} fit(s)")

    results = []
    for dtype in DTYPES:
        # the same pixels, converted: only the floating type differs
        X_train, X_test = X32_train.astype(dtype), X32_test.astype(dtype)
        for name, estimator in ESTIMATORS.items():
            model, seconds = best_fit_time(estimator, params, X_train, y_train,
                                           repeats)
            # the weights' dtype shows whether float32 input was trained in float32
            results.append(Result(name, np.dtype(dtype).name,
                                  model.coefs_[0].dtype.name, seconds,
                                  model.score(X_test, y_test)))

    print(f"{'estimator':>13}  {'input':>7}  {'weights':>7}  {'fit s':>6}  "
          "test accuracy")
    for r in results:
        print(f"{r.estimator:>13}  {r.input_dtype:>7}  {r.weights_dtype:>7}  "
              f"{r.seconds:6.2f}  {r.accuracy:.4f}")
    title = (f"{args.dataset}: {len(y_train)} training images, {params['max_iter']} "
             f"epochs of Adam, hidden {params['hidden_layer_sizes']}")
    save_figure(plot_results(results, title), args, "compare_sklearn.png")


if __name__ == "__main__":
    main()
