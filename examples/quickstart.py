"""Quick start: digits in a few seconds
====================================

Train MLPScratchClassifier on scikit-learn's digits and report test accuracy.

Runs anywhere in a few seconds: the digits data ship inside scikit-learn.
"""

import time

from sklearn.datasets import load_digits
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skmlp_scratch import MLPScratchClassifier


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    model = make_pipeline(
        MinMaxScaler(),
        MLPScratchClassifier(hidden_layer_sizes=(128,), early_stopping=True,
                             max_iter=300, random_state=0, verbose=True),
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(classification_report(y_test, model.predict(X_test), digits=3))
    print(f"test accuracy {model.score(X_test, y_test):.4f} after "
          f"{model[-1].n_iter_} epochs in {seconds:.2f} s")


if __name__ == "__main__":
    main()
