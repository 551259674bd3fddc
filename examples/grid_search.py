"""Tuning with GridSearchCV
========================

Tune MLPScratchClassifier with GridSearchCV, as one tunes sklearn's MLPClassifier.

The parameter names are scikit-learn's, so the same grid would search
``sklearn.neural_network.MLPClassifier`` unchanged. The search cross-validates
every combination of hidden layer sizes, activation, L2 strength ``alpha`` and
Adam's ``learning_rate_init``, prints the best ones, scores the refitted best
model on the held-out test set and saves ``grid_search.png``: one heat map
per activation of the mean cross-validated accuracy for each hidden size and
alpha (the better of the two learning rates in each cell).

Run it with::

    python examples/grid_search.py                   # digits, about 10 s
    python examples/grid_search.py --n-jobs 4        # fits candidates in 4 processes
    python examples/grid_search.py --dataset idx:/path/to/fashion-mnist
    python examples/grid_search.py --small           # a few seconds

The search fits 144 networks, so on MNIST-sized data it trains on a
stratified subsample of ``--max-train`` images (5,000 by default, 0 for all),
enough to tell poor settings from good ones; the test set stays whole.
"""

import numpy as np
from matplotlib.figure import Figure
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier

FULL_GRID = {
    "hidden_layer_sizes": [(32,), (128,), (64, 64)],
    "activation": ["relu", "tanh"],
    "alpha": [1e-4, 1e-3, 1e-2, 1e-1],
    "learning_rate_init": [1e-3, 1e-2],
}
SMALL_GRID = {
    "hidden_layer_sizes": [(32,), (64,)],
    "activation": ["relu", "tanh"],
    "alpha": [1e-4, 1e-1],
    "learning_rate_init": [1e-2],
}


def print_ranking(search, top=10):
    """The ``top`` candidates of ``search.cv_results_``, best first."""
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")[:top]
    print(f"{'rank':>4}  {'accuracy':>15}  {'fit s':>5}  parameters")
    for i in order:
        params = ", ".join(f"{k}={v}" for k, v in results["params"][i].items())
        mean, std = results["mean_test_score"][i], results["std_test_score"][i]
        print(f"{results['rank_test_score'][i]:>4}  {mean:.4f} +- {std:.4f}  "
              f"{results['mean_fit_time'][i]:>5.2f}  {params}")


def best_scores(search, grid, activation):
    """Mean CV accuracy of ``activation`` per (hidden size, alpha) cell.

    A cell keeps the best score over the parameters not on its axes (the
    learning rate), so each cell answers "how good can this setting get".
    """
    hidden, alphas = grid["hidden_layer_sizes"], grid["alpha"]
    scores = np.full((len(hidden), len(alphas)), -np.inf)
    results = search.cv_results_
    for params, score in zip(results["params"], results["mean_test_score"]):
        if params["activation"] == activation:
            row = hidden.index(params["hidden_layer_sizes"])
            col = alphas.index(params["alpha"])
            scores[row, col] = max(scores[row, col], score)
    return scores


def plot_scores(search, grid):
    """One heat map per activation: hidden sizes down, alpha across."""
    hidden, alphas = grid["hidden_layer_sizes"], grid["alpha"]
    tables = {a: best_scores(search, grid, a) for a in grid["activation"]}
    # one colour scale for all panels, so that colours compare across them
    low = min(t.min() for t in tables.values())
    high = max(t.max() for t in tables.values())
    fig = Figure(figsize=(4.5 * len(tables), 0.6 * len(hidden) + 2.5),
                 layout="constrained")
    axes = fig.subplots(1, len(tables), squeeze=False)[0]
    for ax, (activation, scores) in zip(axes, tables.items()):
        image = ax.imshow(scores, vmin=low, vmax=high, cmap="viridis", aspect="auto")
        for (row, col), score in np.ndenumerate(scores):
            # viridis is dark at the low end: white text there, black above
            ax.text(col, row, f"{score:.3f}", ha="center", va="center",
                    color="white" if score < (low + high) / 2 else "black")
        ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
        ax.set_yticks(range(len(hidden)), [str(h) for h in hidden])
        ax.set_xlabel("alpha")
        ax.set_ylabel("hidden_layer_sizes")
        ax.set_title(f"activation={activation!r}")
    fig.colorbar(image, ax=list(axes), label="mean cross-validated accuracy\n"
                 "(the better learning_rate_init)")
    return fig


def main(argv=None):
    parser = make_parser(__doc__, max_train=5000)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="processes fitting candidates in parallel; "
                             "default: %(default)s")
    args = parser.parse_args(argv)
    X_train, X_test, y_train, y_test = load_data(args)

    grid = SMALL_GRID if args.small else FULL_GRID
    # early stopping ends each fit when its own validation share stops
    # improving, so a poor learning rate costs few epochs, not max_iter of them
    estimator = MLPScratchClassifier(early_stopping=True, random_state=0)
    # a fixed, shuffled split: every candidate sees exactly the same folds
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(estimator, grid, cv=cv, n_jobs=args.n_jobs)
    search.fit(X_train, y_train)

    n_fits = len(search.cv_results_["params"]) * cv.get_n_splits()
    print(f"{n_fits} fits; {search.refit_time_:.1f} s to refit the best on all "
          f"{len(y_train)} training images")
    print_ranking(search)
    print(f"best parameters {search.best_params_}")
    print(f"best cross-validated accuracy {search.best_score_:.4f}; "
          f"test accuracy of the refitted best {search.score(X_test, y_test):.4f}")
    save_figure(plot_scores(search, grid), args, "grid_search.png")


if __name__ == "__main__":
    main()
