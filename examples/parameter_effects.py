"""Effects of the training parameters
==================================

How the step size, its schedule, the batch size, the regularisers, the
network's width and early stopping change what MLPScratchClassifier learns,
measured on one data set with everything else held fixed.

A quarter of the training images is held out and passed to ``fit`` as
``X_val`` / ``y_val``, so every run records its validation loss and accuracy
after each epoch in ``history_``; the figures are drawn from those records.
Every run has a fixed ``random_state``, so the scores are the same from one
run of the script to the next (the timings are not). The script saves four
figures and prints a table for each:

1. ``learning_rates.png``: validation loss per epoch for several
   ``learning_rate_init`` values of ``"adam"`` and of ``"sgd"``, and the
   rate each ``learning_rate`` schedule gives every epoch with the loss it
   leads to. A step size that is too large seldom makes the numbers blow up
   here: it silences most ReLU units, and the table counts them.
2. ``batch_sizes.png``: validation accuracy per epoch and per second of
   training for batch sizes from 16 to the whole training set.
3. ``regularisation.png``: on a few hundred training images (where
   regularising matters most) with a wide hidden layer, training and
   validation accuracy and validation loss against ``alpha``, against the
   ``dropout`` and ``input_dropout`` rates, and against the width of the
   hidden layer; each point is the mean over three seeds (one with
   ``--small``).
4. ``early_stopping.png``: the same few images trained without a penalty
   for many epochs, the training loss falling on while the validation loss
   turns up after its minimum, and where early stopping on the validation
   loss (``scoring="loss"``) stops and which epoch's weights it keeps
   (``best_epoch_``).

Run it with::

    python examples/parameter_effects.py                 # digits, under a minute
    python examples/parameter_effects.py --small         # a few seconds
    python examples/parameter_effects.py --dataset idx:/path/to/fashion-mnist
"""

import time
import warnings

import numpy as np
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier, TrainingDivergedError

# step sizes tried for each solver: from too small to too large for digits
RATES = {"adam": [1e-4, 1e-3, 1e-2, 1e-1, 3e-1],
         "sgd": [1e-3, 1e-2, 1e-1, 5e-1]}
# learning_rate schedules, all from learning_rate_init=0.01 with adam
SCHEDULES = {
    "constant": {"learning_rate": "constant"},
    "invscaling": {"learning_rate": "invscaling"},
    "step (every third of the run, x0.1)": {"learning_rate": "step"},
    "cosine": {"learning_rate": "cosine"},
    "cosine, 5 epochs warm-up": {"learning_rate": "cosine", "warmup_epochs": 5},
}
BATCH_SIZES = [16, 32, 64, 128, 256, None]  # None: the whole training set
ALPHAS = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 3e-1, 1.0, 3.0]
DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.5]
WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512]


def fit(X, y, X_val, y_val, **params):
    """Fit a classifier with ``params``, validated on ``(X_val, y_val)`` every epoch.

    Every run here has a fixed number of epochs (``n_iter_no_change=np.inf``
    unless given), so reaching ``max_iter`` is the plan, not a failure: its
    ConvergenceWarning is silenced. Returns None if training diverged.
    """
    settings = {"hidden_layer_sizes": (64,), "n_iter_no_change": np.inf,
                "random_state": 0, **params}
    model = MLPScratchClassifier(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return model.fit(X, y, X_val=X_val, y_val=y_val)
        except TrainingDivergedError as exc:
            print(f"  {params}: {exc}")
            return None


def column(model, key):
    """One field of ``history_`` as an array, one entry per epoch."""
    return np.array([record[key] for record in model.history_], dtype=float)


def epochs_of(model):
    return np.arange(1, len(model.history_) + 1)


def dead_units(model, X):
    """Hidden units that output 0 for every row of ``X`` (dead ReLUs)."""
    return int((model.hidden_representation(X, layer=0).max(axis=0) <= 0).sum())


# ------------------------------------------------------------------ figure 1


def learning_rates(data, epochs, args):
    X, y, X_val, y_val = data
    fig = Figure(figsize=(11, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    print(f"\n1. step size, {epochs} epochs, hidden (64,), batch 'auto'")
    print(f"{'solver':>6}  {'rate':>7}  {'val loss':>8}  {'val acc':>7}  "
          f"dead units of 64")
    for ax, solver in zip(axes[0], RATES):
        for rate in RATES[solver]:
            model = fit(X, y, X_val, y_val, solver=solver, learning_rate_init=rate,
                        max_iter=epochs)
            if model is None:
                continue
            print(f"{solver:>6}  {rate:7.0e}  {column(model, 'val_loss')[-1]:8.4f}  "
                  f"{column(model, 'val_score')[-1]:7.4f}  {dead_units(model, X):>4}")
            ax.plot(epochs_of(model), column(model, "val_loss"),
                    label=f"learning_rate_init={rate:g}")
        ax.set_title(f'solver="{solver}"'
                     + (" (Nesterov momentum 0.9)" if solver == "sgd" else ""))
        ax.set_ylabel("validation log loss (log scale)")

    rate_ax, loss_ax = axes[1]
    print(f"\n   schedules, adam from learning_rate_init=0.01, {epochs} epochs")
    print(f"{'schedule':>36}  {'last rate':>9}  {'val loss':>8}  {'val acc':>7}")
    for name, schedule in SCHEDULES.items():
        model = fit(X, y, X_val, y_val, learning_rate_init=0.01, max_iter=epochs,
                    lr_step_size=max(1, epochs // 3), **schedule)
        if model is None:
            continue
        rates = column(model, "learning_rate")
        print(f"{name:>36}  {rates[-1]:9.2e}  {column(model, 'val_loss')[-1]:8.4f}  "
              f"{column(model, 'val_score')[-1]:7.4f}")
        # history_ holds the rate each epoch was trained with
        rate_ax.plot(epochs_of(model), rates, label=name)
        loss_ax.plot(epochs_of(model), column(model, "val_loss"), label=name)
    rate_ax.set_title('learning_rate schedules (solver="adam")')
    rate_ax.set_ylabel("learning rate of the epoch (log scale)")
    loss_ax.set_title("validation loss under each schedule")
    loss_ax.set_ylabel("validation log loss (log scale)")
    for ax in axes.flat:
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"{args.dataset}: step size and its schedule")
    save_figure(fig, args, "learning_rates.png")


# ------------------------------------------------------------------ figure 2


def batch_sizes(data, epochs, args):
    X, y, X_val, y_val = data
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    by_epoch, by_time = fig.subplots(1, 2)
    print(f"\n2. batch size, adam, learning_rate_init=0.001, {epochs} epochs")
    print(f"{'batch':>6}  {'steps/epoch':>11}  {'ms/epoch':>8}  {'val acc':>7}")
    for size in BATCH_SIZES:
        size = size or len(y)
        model = fit(X, y, X_val, y_val, batch_size=size, max_iter=epochs)
        if model is None:
            continue
        seconds = column(model, "epoch_time")
        accuracy = column(model, "val_score")
        print(f"{size:>6}  {-(-len(y) // size):>11}  {1e3 * np.median(seconds):8.2f}  "
              f"{accuracy[-1]:7.4f}")
        label = f"batch_size={size}" + (" (all rows)" if size == len(y) else "")
        by_epoch.plot(epochs_of(model), accuracy, label=label)
        # epoch_time: the seconds of each epoch, its validation included
        by_time.plot(np.cumsum(seconds), accuracy, label=label)
    by_epoch.set_xlabel("epoch")
    by_time.set_xlabel("seconds (epoch_time summed)")
    for ax in (by_epoch, by_time):
        ax.set_ylabel("validation accuracy")
        ax.grid(alpha=0.3)
    by_epoch.legend(fontsize="small")
    by_epoch.set_title("per epoch: smaller batches take more steps")
    by_time.set_title("per second: each step has a fixed cost")
    fig.suptitle(f"{args.dataset}: batch size")
    save_figure(fig, args, "batch_sizes.png")


# ------------------------------------------------------------------ figure 3


def regularisation(few, epochs, seeds, args, small):
    X, y, X_val, y_val = few
    # a wide layer, a large step and epochs long past the best one (figure 4
    # finds it near epoch 12): room to overfit
    base = {"hidden_layer_sizes": (256,), "learning_rate_init": 0.01,
            "max_iter": epochs}
    sweeps = {
        "alpha": [({"alpha": a}, a) for a in ALPHAS[::2 if small else 1]],
        "dropout": [({"dropout": r}, r) for r in DROPOUT_RATES],
        "input_dropout": [({"input_dropout": r}, r) for r in DROPOUT_RATES],
        "width": [({"hidden_layer_sizes": (w,)}, w)
                  for w in WIDTHS[::2 if small else 1]],
    }
    results = {}
    print(f"\n3. regularisation on {len(y)} training images, hidden (256,), adam 0.01, "
          f"{epochs} epochs; mean over {seeds} seed{'s' if seeds > 1 else ''}")
    print(f"{'parameter':>14}  {'value':>7}  {'train acc':>9}  {'val acc':>7}  "
          f"{'val loss':>8}")
    for name, runs in sweeps.items():
        rows = []
        for params, value in runs:
            # a few hundred validation images make single runs noisy: the
            # mean over seeds (initial weights, batches, dropout masks) is steadier
            scores = []
            for seed in range(seeds):
                model = fit(X, y, X_val, y_val, **{**base, **params},
                            random_state=seed)
                if model is not None:
                    scores.append((model.score(X, y), column(model, "val_score")[-1],
                                   column(model, "val_loss")[-1]))
            if not scores:
                continue
            row = (value, *np.mean(scores, axis=0))
            rows.append(row)
            print(f"{name:>14}  {value:7g}  {row[1]:9.4f}  {row[2]:7.4f}  "
                  f"{row[3]:8.4f}")
        results[name] = np.array(rows)

    fig = Figure(figsize=(13, 7), layout="constrained")
    axes = fig.subplots(2, 3)
    panels = [("alpha", ["alpha"], "alpha (L2 penalty)"),
              ("dropout", ["dropout", "input_dropout"], "dropout rate"),
              ("width", ["width"], "hidden units (one layer)")]
    for (title, names, xlabel), (acc_ax, loss_ax) in zip(panels, axes.T):
        for name, colour in zip(names, ["tab:blue", "tab:orange"]):
            r = results[name]
            prefix = "" if len(names) == 1 else f"{name}: "
            acc_ax.plot(r[:, 0], r[:, 1], "o--", color=colour, alpha=0.5,
                        label=f"{prefix}training")
            acc_ax.plot(r[:, 0], r[:, 2], "o-", color=colour,
                        label=f"{prefix}validation")
            loss_ax.plot(r[:, 0], r[:, 3], "o-", color=colour,
                         label=f"{prefix}validation")
        if title != "dropout":
            for ax in (acc_ax, loss_ax):
                ax.set_xscale("log", base=2 if title == "width" else 10)
        acc_ax.set_title(title)
        acc_ax.set_ylabel("accuracy")
        loss_ax.set_ylabel("validation log loss")
        loss_ax.set_xlabel(xlabel)
        acc_ax.legend(fontsize="small")
        if len(names) > 1:
            loss_ax.legend(fontsize="small")
        for ax in (acc_ax, loss_ax):
            ax.grid(alpha=0.3)
    averaged = "one seed" if seeds == 1 else f"mean of {seeds} seeds"
    fig.suptitle(f"{args.dataset}: regularisers and width, {len(y)} training images, "
                 f"{averaged}")
    save_figure(fig, args, "regularisation.png")


# ------------------------------------------------------------------ figure 4


def early_stopping(few, epochs, X_test, y_test, args):
    X, y, X_val, y_val = few
    base = {"hidden_layer_sizes": (256,), "alpha": 0.0, "learning_rate_init": 0.01,
            "max_iter": epochs}
    # the whole run, never stopped: what early stopping saves us from
    full = fit(X, y, X_val, y_val, **base)
    # the same run stopped by the validation loss; with X_val given nothing is
    # split off, so it follows the full run epoch for epoch until it stops
    stopped = fit(X, y, X_val, y_val, **base, early_stopping=True, scoring="loss",
                  n_iter_no_change=10)
    kept = stopped.best_epoch_
    print(f"\n4. early stopping on {len(y)} training images, hidden (256,), alpha=0, "
          f"adam 0.01, n_iter_no_change=10")
    print(f"{'run':>20}  {'epochs run':>10}  {'kept epoch':>10}  {'val loss':>8}  "
          f"{'val acc':>7}  {'test acc':>8}")
    # val_score holds minus the loss with scoring="loss"; the accuracies are
    # those of the weights each run ends with
    for name, model, epoch in [("no early stopping", full, full.n_iter_),
                               ("early stopping", stopped, kept)]:
        print(f"{name:>20}  {model.n_iter_:>10}  {epoch:>10}  "
              f"{column(model, 'val_loss')[epoch - 1]:8.4f}  "
              f"{model.score(X_val, y_val):7.4f}  "
              f"{model.score(X_test, y_test):8.4f}")

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs_of(full), column(full, "train_loss"), label="training loss")
    loss_ax.plot(epochs_of(full), column(full, "val_loss"), label="validation loss")
    acc_ax.plot(epochs_of(full), column(full, "val_score"), color="tab:green",
                label="validation accuracy")
    for ax in (loss_ax, acc_ax):
        ax.axvline(kept, color="black", linestyle=":",
                   label=f"best_epoch_ = {kept} (weights kept)")
        ax.axvline(stopped.n_iter_, color="grey", linestyle="--",
                   label=f"stopped after epoch {stopped.n_iter_}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("log loss (log scale)")
    acc_ax.set_ylabel("validation accuracy")
    loss_ax.set_title("the training loss falls on, the validation loss turns up")
    acc_ax.set_title("the accuracy: flat and noisy past the best epoch")
    fig.suptitle(f"{args.dataset}: early stopping on the validation loss, "
                 f"{len(y)} training images")
    save_figure(fig, args, "early_stopping.png")


def main(argv=None):
    parser = make_parser(__doc__, max_train=5000)
    parser.add_argument("--few", type=int, default=300,
                        help="training images of the regularisation and early "
                             "stopping figures; default: %(default)s")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds each point of the regularisation figure is "
                             "averaged over; default: 1 with --small, else 3")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    X_all, X_test, y_all, y_test = load_data(args)
    X, X_val, y, y_val = train_test_split(X_all, y_all, test_size=0.25,
                                          stratify=y_all, random_state=0)
    # a stratified handful of the training images, same validation set
    X_few, _, y_few, _ = train_test_split(X, y, train_size=min(args.few, len(y) - 10),
                                          stratify=y, random_state=0)
    data, few = (X, y, X_val, y_val), (X_few, y_few, X_val, y_val)
    print(f"{len(y)} training and {len(y_val)} validation images")

    learning_rates(data, 30 if args.small else 60, args)
    batch_sizes(data, 15 if args.small else 30, args)
    seeds = args.seeds or (1 if args.small else 3)
    regularisation(few, 60, seeds, args, args.small)
    early_stopping(few, 80 if args.small else 200, X_test, y_test, args)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
