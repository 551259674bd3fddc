"""Count targets with a Poisson loss
=================================

Counts with loss="poisson": a log-link network against plain squared error.

Counts (claims per policy, visits per day, defects per batch) have a mean that
must stay positive and a noise that grows with the mean. With
``loss="poisson"``, ``MLPScratchRegressor`` predicts exp of its network's
output, so every predicted mean is positive and the layers model the log of
the rate, and it minimises the Poisson deviance, which weighs a miss by how
noisy a count of that size is. ``loss="squared_error"`` predicts the mean
directly: it may go negative where counts are near zero, and the large,
noisy counts dominate its fit. scikit-learn's ``MLPRegressor(loss="poisson")``
is fitted beside them with the same parameters: it draws the same initial
weights and mini-batches from the same ``random_state``, so its predictions
should match ours to rounding error (the script prints the largest
difference), and its fit time is a comparison of speed alone.

The counts are synthetic and seeded, so the true rate is known::

    log(rate) = -0.5 + 0.7 x0 - 0.5 x1 + sin(2 x2) + 0.4 x3 x4

with x0 ... x5 standard normal (x5 plays no part) and each count drawn from
Poisson(rate): a log-linear part and a nonlinear one a network must find.

Every model is scored on the test rows by ``mean_poisson_deviance`` (lower is
better) and R^2. Two reference rows frame the deviance: the true rate, the
floor that the noise leaves, and the training set's mean count, what a model
that learned nothing scores. The deviance takes logs of the predicted means,
so it is undefined for a mean <= 0: squared error's predictions are clipped
to ``MIN_MEAN`` (1e-3) before it is computed, the table says how many were,
and a lower floor would make its deviance worse still. R^2 uses the
predictions as they are. The figure, ``poisson_counts.png``, shows the
calibration (mean observed count against mean predicted count, in bins of
the prediction) and the scratch models' predicted rate against the true one.

Run it with::

    python examples/poisson_counts.py                # 20,000 rows, about 5 s
    python examples/poisson_counts.py --small        # a few seconds
"""

import time
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import mean_poisson_deviance, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

from _common import SMALL_TEST, SMALL_TRAIN, make_simple_parser, save_figure
from skmlp_scratch import MLPScratchRegressor

# name shown in the table and legend: (estimator, loss)
MODELS = {
    "scratch, poisson": (MLPScratchRegressor, "poisson"),
    "scratch, squared_error": (MLPScratchRegressor, "squared_error"),
    "sklearn, poisson": (MLPRegressor, "poisson"),
}
# the smallest predicted mean the deviance is given; see the module docstring
MIN_MEAN = 1e-3
N_FEATURES = 6


class Result(NamedTuple):
    """One row of the table: a model's test scores and its test predictions."""

    name: str
    seconds: float
    epochs: int
    deviance: float
    r2: float
    n_clipped: int
    y_pred: np.ndarray


def make_counts(n_samples, seed):
    """Seeded Poisson counts whose log-rate is the docstring's formula.

    Returns
    -------
    X : ndarray of shape (n_samples, 6)
    y : ndarray of shape (n_samples,)
        The counts, as floats.
    rate : ndarray of shape (n_samples,)
        The true mean of each count.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_FEATURES))
    log_rate = (-0.5 + 0.7 * X[:, 0] - 0.5 * X[:, 1] + np.sin(2 * X[:, 2])
                + 0.4 * X[:, 3] * X[:, 4])
    rate = np.exp(log_rate)
    return X, rng.poisson(rate).astype(float), rate


def shared_params(args):
    """The parameters every network is built with (the names are the same)."""
    return {
        "hidden_layer_sizes": (32,) if args.small else (64, 64),
        "learning_rate_init": 0.01 if args.small else 0.001,
        # early stopping holds out 10% of the training rows and keeps the
        # weights of the epoch that scored best on them
        "early_stopping": True,
        "max_iter": 200,
        "random_state": 0,
    }


def score(name, y_test, y_pred, seconds=float("nan"), epochs=0):
    """A :class:`Result` for predicted means ``y_pred`` of the counts ``y_test``."""
    # the deviance needs positive means; only squared error ever clips here
    clipped = np.maximum(y_pred, MIN_MEAN)
    return Result(name, seconds, epochs, mean_poisson_deviance(y_test, clipped),
                  r2_score(y_test, y_pred), int(np.sum(y_pred < MIN_MEAN)), y_pred)


def fit_and_score(name, estimator, X_train, X_test, y_train, y_test):
    """Fit ``estimator``, time it and score it on the test rows."""
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return score(name, y_test, estimator.predict(X_test), seconds, estimator.n_iter_)


def binned_means(y_pred, y_test, n_bins):
    """Mean prediction and mean count in ``n_bins`` equal-count bins of ``y_pred``."""
    order = np.argsort(y_pred, kind="stable")
    bins = np.array_split(order, n_bins)
    return (np.array([y_pred[b].mean() for b in bins]),
            np.array([y_test[b].mean() for b in bins]))


def plot_results(results, y_test, rate_test, title):
    """Calibration by bins of the prediction, and predicted against true rate."""
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    fig.suptitle(title)
    calibration_ax, rate_ax = fig.subplots(1, 2)
    # a fixed subsample, the same rows for every model, keeps the scatter legible
    shown = np.random.default_rng(0).permutation(len(y_test))[:1500]
    n_bins = 20 if len(y_test) >= 2000 else 10
    for i, r in enumerate(results):
        # the clipped means, as scored by the deviance: the log axes need them
        y_pred = np.maximum(r.y_pred, MIN_MEAN)
        predicted, observed = binned_means(y_pred, y_test, n_bins)
        # sklearn's line lies on ours: dashed, with crosses, both stay visible
        ours = r.name.startswith("scratch")
        calibration_ax.plot(predicted, observed, "o-" if ours else "x--",
                            markersize=4 if ours else 7, color=f"C{i}", label=r.name)
        if ours:  # sklearn's points would only hide the scratch Poisson ones
            rate_ax.scatter(rate_test[shown], y_pred[shown], s=5, alpha=0.4,
                            linewidths=0, color=f"C{i}", label=r.name)
    for ax in (calibration_ax, rate_ax):
        ax.set(xscale="log", yscale="log")
        # an infinite line, so it leaves the axis limits to the data
        ax.axline((1, 1), (10, 10), color="black", linewidth=1, label="equality")
    calibration_ax.set(
        xlabel="mean predicted count", ylabel="mean observed count",
        title=f"calibration: {n_bins} equal-count bins of the prediction")
    rate_ax.set(xlabel="true rate", ylabel=f"predicted mean (clipped at {MIN_MEAN:g})",
                title=f"scratch models on {len(shown)} test rows")
    calibration_ax.legend(loc="upper left")
    rate_ax.legend(loc="upper left", markerscale=3)
    return fig


def main(argv=None):
    parser = make_simple_parser(
        __doc__, small_help=f"{SMALL_TRAIN} training and {SMALL_TEST} test rows, "
                            "smaller networks")
    parser.add_argument("--n-samples", type=int, default=20_000,
                        help="rows generated, a quarter of them for testing "
                             "(ignored with --small); "
                             "default: %(default)s (--small: "
                             f"{SMALL_TRAIN + SMALL_TEST})")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the synthetic data; default: %(default)s")
    args = parser.parse_args(argv)
    n_samples = SMALL_TRAIN + SMALL_TEST if args.small else args.n_samples
    X, y, rate = make_counts(n_samples, args.seed)
    X_train, X_test, y_train, y_test, _, rate_test = train_test_split(
        X, y, rate, test_size=SMALL_TEST if args.small else 0.25, random_state=0)
    print(f"{len(y_train)} training and {len(y_test)} test rows of {N_FEATURES} "
          f"features; mean count {y.mean():.2f}, {np.mean(y == 0):.0%} zeros, "
          f"largest {y.max():.0f}")
    params = shared_params(args)
    print(f"shared parameters: {params}")

    # the features are standard normal already, so no scaler is needed
    results = [fit_and_score(name, estimator(loss=loss, **params),
                             X_train, X_test, y_train, y_test)
               for name, (estimator, loss) in MODELS.items()]
    references = [
        score("(true rate)", y_test, rate_test),
        score("(training mean)", y_test, np.full(len(y_test), y_train.mean())),
    ]
    print(f"{'model':>22}  {'fit s':>5}  {'epochs':>6}  {'Poisson deviance':>16}  "
          f"{'R^2':>6}  clipped to {MIN_MEAN:g}")
    for r in results + references:
        seconds = f"{r.seconds:5.2f}" if r.epochs else f"{'':5}"
        epochs = f"{r.epochs:6d}" if r.epochs else f"{'':6}"
        print(f"{r.name:>22}  {seconds}  {epochs}  {r.deviance:16.4f}  "
              f"{r.r2:6.3f}  {r.n_clipped}")
    by_name = {r.name: r.y_pred for r in results}
    difference = np.max(np.abs(by_name["scratch, poisson"]
                               - by_name["sklearn, poisson"]))
    print(f"largest difference between the scratch and sklearn Poisson predictions: "
          f"{difference:.2g}")

    title = (f"Poisson counts, {len(y_train)} training rows: networks "
             f"{params['hidden_layer_sizes']} with early stopping")
    save_figure(plot_results(results, y_test, rate_test, title), args,
                "poisson_counts.png")


if __name__ == "__main__":
    main()
