"""A scaler and the classifier in one Pipeline
===========================================

A scaler and MLPScratchClassifier in one Pipeline, scored with a confusion matrix.

The estimator is an ordinary scikit-learn step: the pipeline fits the scaler on
the training images only and applies the same transform to the test images,
so no statistic of the test set leaks into training. The script prints a
per-class report and saves the confusion matrix as ``confusion_matrix.png``.

Run it with::

    python examples/pipeline_mnist.py                    # scikit-learn's 8x8 digits
    python examples/pipeline_mnist.py --dataset mnist    # downloads MNIST once
    python examples/pipeline_mnist.py --dataset idx:/path/to/fashion-mnist
    python examples/pipeline_mnist.py --small            # a few seconds

On the full MNIST or Fashion-MNIST (60,000 images) training takes under a
minute on two cores (Fashion-MNIST: early stopping after 34 epochs, about 40 s).
"""

import time

from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier

# Fashion-MNIST labels are numbers 0-9 standing for these clothes; naming them
# makes the report and the matrix readable (which classes get confused matters
# there: shirts with T-shirts and coats, not sandals with bags).
FASHION_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                  "Shirt", "Sneaker", "Bag", "Ankle boot"]


def class_names(dataset, classes):
    """Readable names of ``classes``: clothes for Fashion-MNIST, else the digits."""
    # an IDX folder does not say what it holds; its name usually does
    if "fashion" in dataset.lower() and list(classes) == list(range(10)):
        return FASHION_LABELS
    return [str(c) for c in classes]


def main(argv=None):
    args = make_parser(__doc__).parse_args(argv)
    X_train, X_test, y_train, y_test = load_data(args)

    model = Pipeline([
        # standardised pixels give every input a similar scale, which lets one
        # learning rate suit all first-layer weights; StandardScaler keeps
        # float32 as float32, so the network still trains in single precision
        ("scale", StandardScaler()),
        ("mlp", MLPScratchClassifier(
            hidden_layer_sizes=(64,) if args.small else (256, 128),
            # early stopping holds out 10% of the training images and keeps
            # the weights of the epoch that scored best on them
            early_stopping=True, random_state=0)),
    ])
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    mlp = model.named_steps["mlp"]
    print(f"trained {mlp.n_iter_} epochs in {seconds:.1f} s; best validation "
          f"accuracy {mlp.best_validation_score_:.4f}")

    y_pred = model.predict(X_test)
    names = class_names(args.dataset, mlp.classes_)
    print(classification_report(y_test, y_pred, target_names=names, digits=3))
    accuracy = model.score(X_test, y_test)
    print(f"test accuracy {accuracy:.4f}")

    fig = Figure(figsize=(8, 7))
    ax = fig.add_subplot()
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, display_labels=names, ax=ax, colorbar=False,
        xticks_rotation=45)
    ax.set_title(f"{args.dataset}: test accuracy {accuracy:.3f}")
    save_figure(fig, args, "confusion_matrix.png")


if __name__ == "__main__":
    main()
