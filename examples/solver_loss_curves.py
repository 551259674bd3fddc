"""Training loss of the three solvers
==================================

Training loss of the three solvers, sgd, adam and lbfgs, on the same data.

Each fitted MLPScratchClassifier keeps its training loss in ``loss_curve_``:
one value per epoch for the mini-batch solvers (``"sgd"``, ``"adam"``), one per
iteration for ``"lbfgs"``. The script trains the same network with each
solver from the same initial weights (same ``random_state``), plots the three
curves on one figure, ``solver_loss_curves.png``, and prints each solver's
final loss, number of epochs or iterations, why it stopped and its test
accuracy.

Run it with::

    python examples/solver_loss_curves.py                # digits, a few seconds
    python examples/solver_loss_curves.py --dataset idx:/path/to/fashion-mnist
    python examples/solver_loss_curves.py --small        # a few seconds
"""

import time
import warnings

from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier

SOLVERS = {
    # with the default step of 1e-3, SGD's loss on digits is still about 0.4
    # after 200 epochs (Adam's is 0.01); a step of 0.1, with the default
    # Nesterov momentum of 0.9, lets it converge within that budget
    "sgd": {"solver": "sgd", "learning_rate_init": 0.1},
    "adam": {"solver": "adam"},
    "lbfgs": {"solver": "lbfgs"},
}


def fit_quietly(model, X, y):
    """Fit ``model``; return the seconds taken and whether it converged.

    A solver that reaches ``max_iter`` warns; here that is a result to show in
    the table, not a message to scroll past, so the warning is caught and
    turned into the returned flag.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    for w in caught:  # anything else is unexpected and should still be seen
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds, converged


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--max-iter", type=int, default=None,
                        help="epochs (sgd, adam) or iterations (lbfgs) at most; "
                             "default: 50 with --small, else 200")
    args = parser.parse_args(argv)
    max_iter = args.max_iter or (50 if args.small else 200)
    X_train, X_test, y_train, y_test = load_data(args)

    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    print(f"{'solver':>6}  {'final loss':>10}  {'steps':>5}  {'stopped by':>10}  "
          f"{'fit s':>6}  test accuracy")
    for name, params in SOLVERS.items():
        model = MLPScratchClassifier(hidden_layer_sizes=(128,), max_iter=max_iter,
                                     random_state=0, **params)
        seconds, converged = fit_quietly(model, X_train, y_train)
        stopped = "tolerance" if converged else "max_iter"
        print(f"{name:>6}  {model.loss_:10.5f}  {model.n_iter_:>5}  {stopped:>10}  "
              f"{seconds:6.2f}  {model.score(X_test, y_test):.4f}")
        ax.plot(range(1, len(model.loss_curve_) + 1), model.loss_curve_, label=name)

    # both units on the x axis cost about one pass over the training data: an
    # epoch visits every image once, an L-BFGS iteration computes the full-batch
    # gradient once (more when its line search needs extra evaluations)
    ax.set_xlabel("epoch (sgd, adam) or iteration (lbfgs)")
    ax.set_ylabel("training loss (log scale)")
    # the interesting differences are in the tail, orders of magnitude below
    # the starting loss
    ax.set_yscale("log")
    ax.set_title(f"{args.dataset}: loss curves of the three solvers")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, args, "solver_loss_curves.png")


if __name__ == "__main__":
    main()
