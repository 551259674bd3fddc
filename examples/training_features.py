"""Dropout, a cosine schedule and early stopping
=============================================

Dropout, a cosine schedule with warm-up, and early stopping on your own validation set.

A held-out quarter of the training images is passed to ``fit`` as ``X_val`` /
``y_val``; with ``early_stopping=True`` and ``scoring="loss"`` the estimator
keeps the weights of the epoch with the lowest validation loss. ``history_``
records every epoch as plain data: the script prints it as a table, plots
the training and validation loss with the learning rate the schedule gave
each epoch, and projects the last hidden layer of the test images
(``hidden_representation``) on two principal axes, coloured by class. The
figure is ``training_features.png``.

Run it with::

    python examples/training_features.py                 # digits, a few seconds
    python examples/training_features.py --dataset idx:/path/to/fashion-mnist
    python examples/training_features.py --small
"""

from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=None,
                        help="max_iter, the length of the cosine schedule; default: "
                             "15 with --small, else 40")
    args = parser.parse_args(argv)
    epochs = args.epochs or (15 if args.small else 40)
    X, X_test, y, y_test = load_data(args)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)

    model = MLPScratchClassifier(
        hidden_layer_sizes=(256, 128), activation="relu", init="he_normal",
        dropout=[0.3, 0.2], solver="adamw", weight_decay=0.01, alpha=0.0,
        learning_rate="cosine", warmup_epochs=2, max_iter=epochs,
        early_stopping=True, scoring="loss", n_iter_no_change=epochs,
        random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)

    print(f"{'epoch':>5}  {'rate':>8}  {'train loss':>10}  {'val loss':>8}  "
          f"{'seconds':>7}")
    for record in model.history_:
        print(f"{record['epoch']:>5}  {record['learning_rate']:8.2e}  "
              f"{record['train_loss']:10.4f}  {record['val_loss']:8.4f}  "
              f"{record['epoch_time']:7.2f}")
    print(f"best epoch {model.best_epoch_} (its weights are kept); "
          f"test accuracy {model.score(X_test, y_test):.4f}")

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    curves, embedding = fig.subplots(1, 2)
    epochs_run = [r["epoch"] for r in model.history_]
    curves.plot(epochs_run, [r["train_loss"] for r in model.history_],
                label="training loss (dropout on)")
    curves.plot(epochs_run, [r["val_loss"] for r in model.history_],
                label="validation loss")
    curves.axvline(model.best_epoch_, color="grey", linestyle=":", label="best epoch")
    curves.set_xlabel("epoch")
    curves.set_ylabel("loss")
    curves.legend(loc="center right")
    rate = curves.twinx()
    rate.plot(epochs_run, [r["learning_rate"] for r in model.history_], color="black",
              alpha=0.35, label="learning rate")
    rate.set_ylabel("learning rate (grey)")
    curves.set_title("warm-up, then cosine annealing")

    # the last hidden layer is what the output layer separates linearly
    hidden = model.hidden_representation(X_test, layer=-1)
    points = PCA(n_components=2, random_state=0).fit_transform(hidden)
    scatter = embedding.scatter(points[:, 0], points[:, 1], c=y_test, cmap="tab10",
                                s=6, alpha=0.7)
    embedding.legend(*scatter.legend_elements(), title="class", fontsize="small",
                     loc="center left", bbox_to_anchor=(1, 0.5))
    embedding.set_title("last hidden layer of the test images, 2 principal axes")
    save_figure(fig, args, "training_features.png")


if __name__ == "__main__":
    main()
