"""Cross-validation with several metrics and a learning curve
==========================================================

Cross-validate MLPScratchClassifier with several metrics and draw its learning curve.

``cross_validate`` scores the same folds with accuracy, balanced accuracy,
log loss and macro F1 at once; the log loss uses ``predict_proba``, so it also
checks that the predicted probabilities are calibrated enough to be useful.
``learning_curve`` then trains on growing shares of each training fold; the
gap between the training and validation curves, and whether the validation
curve still rises at the right end, tell whether more data would help. The
curve is saved as ``learning_curve.png``.

Only the training split is cross-validated: the test split stays untouched,
as it would when these numbers are used to choose a model.

Run it with::

    python examples/cross_validation.py                  # digits, about 10 s
    python examples/cross_validation.py --dataset idx:/path/to/fashion-mnist
    python examples/cross_validation.py --small          # a few seconds

It trains 5 + 5 x 6 networks, so on MNIST-sized data it uses a stratified
subsample of ``--max-train`` images (10,000 by default, 0 for all).
"""

import numpy as np
from matplotlib.figure import Figure
from sklearn.model_selection import StratifiedKFold, cross_validate, learning_curve

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier

SCORERS = ["accuracy", "balanced_accuracy", "neg_log_loss", "f1_macro"]


def print_scores(results):
    """Mean and standard deviation over the folds of each test and train score."""
    print(f"{'metric':>18}  {'validation':>17}  {'training':>17}")
    for name in SCORERS:
        test, train = results[f"test_{name}"], results[f"train_{name}"]
        print(f"{name:>18}  {test.mean():8.4f} +- {test.std():.4f}  "
              f"{train.mean():8.4f} +- {train.std():.4f}")
    # scikit-learn negates losses so that every scorer is "larger is better"
    print("(neg_log_loss is minus the log loss: closer to 0 is better)")
    print(f"fit time per fold {results['fit_time'].mean():.2f} s")


def plot_learning_curve(sizes, train_scores, valid_scores):
    """Mean accuracy against training set size, with a band of one std."""
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for scores, label in [(train_scores, "on the images trained on"),
                          (valid_scores, "on the validation fold")]:
        mean, std = scores.mean(axis=1), scores.std(axis=1)
        ax.plot(sizes, mean, "o-", label=label)
        ax.fill_between(sizes, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("training images")
    ax.set_ylabel("accuracy")
    ax.set_title("learning curve of MLPScratchClassifier")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def main(argv=None):
    parser = make_parser(__doc__, max_train=10_000)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="processes fitting folds in parallel; "
                             "default: %(default)s")
    args = parser.parse_args(argv)
    X_train, _, y_train, _ = load_data(args)

    # ten times Adam's default step: an epoch over a thousand images is only a
    # handful of updates, and with 1e-3 the loss would still be falling when
    # max_iter ends it. No early stopping: its held-out tenth of a small
    # training fold is so few images that it stops some folds far too soon.
    model = MLPScratchClassifier(hidden_layer_sizes=(64,) if args.small else (128,),
                                 learning_rate_init=0.01, random_state=0)
    cv = StratifiedKFold(n_splits=3 if args.small else 5, shuffle=True, random_state=0)

    results = cross_validate(model, X_train, y_train, cv=cv, scoring=SCORERS,
                             return_train_score=True, n_jobs=args.n_jobs)
    print_scores(results)

    shares = np.linspace(0.1, 1.0, 4 if args.small else 6)
    sizes, train_scores, valid_scores = learning_curve(
        model, X_train, y_train, train_sizes=shares, cv=cv, scoring="accuracy",
        n_jobs=args.n_jobs)
    for size, valid in zip(sizes, valid_scores):
        print(f"{size:>6} training images: validation accuracy "
              f"{valid.mean():.4f} +- {valid.std():.4f}")
    save_figure(plot_learning_curve(sizes, train_scores, valid_scores), args,
                "learning_curve.png")


if __name__ == "__main__":
    main()
