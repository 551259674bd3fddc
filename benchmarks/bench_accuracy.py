"""Best test accuracy in a wall-time budget: the training features against MLPClassifier.

Every peer trains on the same 90 % of the training set, watches the same
stratified 10 % validation split after every epoch, keeps the weights of its
best validation epoch, and stops when its validation accuracy has not
improved for ``--patience`` epochs (20), after the epoch that crosses
``--budget`` seconds (600), or when its epochs run out: ``--epochs`` (30)
for the cosine schedule of the features run, which ends there by design,
``--max-epochs`` (500, so the budget or patience decides) for the others.
The test set is touched once per peer, by the weights that peer selected on
validation.

Peers, all float32 input, 784-H1-H2-10, batch 128, ``random_state=0``:

* ``ours, features``: ``MLPScratchClassifier`` with the features scikit-learn's
  MLP lacks: dropout, He initialisation, AdamW with decoupled weight decay,
  a cosine schedule with one warm-up epoch, and ``fit(X_val=..., y_val=...)``
  with ``early_stopping`` and ``max_time`` doing the selection and the
  budget;
* ``ours, plain``: the same estimator with scikit-learn's defaults (Adam at
  1e-3, ``alpha=1e-4``, constant rate), selection as above;
* ``sklearn``: ``MLPClassifier`` with its defaults and the same architecture,
  one ``partial_fit`` epoch at a time so that the harness can score every
  epoch on the validation split and keep the best weights within the budget
  (its own ``early_stopping`` holds out a split of its own and has no time
  budget); ``--sklearn-alphas`` adds a row per L2 strength, scikit-learn's
  only regulariser.

Run (about 10-15 minutes on two cores)::

    python benchmarks/bench_accuracy.py --data idx:PATH/TO/fashion-mnist
"""

import time
import warnings

import numpy as np

from _harness import (benchmark_parser, emit, limit_threads, load, machine_summary,
                      markdown_table, parse_benchmark_args, run_benchmark, run_worker,
                      write_result)

FEATURES = dict(dropout=0.3, init="he_normal", solver="adamw", weight_decay=0.02,
                alpha=0.0, learning_rate="cosine", warmup_epochs=1)


def split(args):
    from sklearn.model_selection import train_test_split

    X, X_test, y, y_test = load(args.data, np.float32)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.1, stratify=y, random_state=0)
    return X_train, X_val, X_test, y_train, y_val, y_test


def train_ours(data, args, features):
    from skmlp_scratch import MLPScratchClassifier

    X_train, X_val, X_test, y_train, y_val, y_test = data
    params = FEATURES if features else {}
    clf = MLPScratchClassifier(args.hidden, batch_size=args.batch_size,
                               max_iter=args.epochs if features else args.max_epochs,
                               early_stopping=True,
                               n_iter_no_change=args.patience, tol=0.0,
                               max_time=args.budget, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a run that ends at max_iter is a result here
        clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    return {"epochs": clf.n_iter_, "best_epoch": clf.best_epoch_,
            "best_val_accuracy": clf.best_validation_score_,
            "test_accuracy": float(clf.score(X_test, y_test))}


def train_sklearn(data, args, alpha):
    from sklearn.neural_network import MLPClassifier

    X_train, X_val, X_test, y_train, y_val, y_test = data
    clf = MLPClassifier(args.hidden, batch_size=args.batch_size, alpha=alpha,
                        random_state=0)
    classes = np.unique(y_train)
    best, best_score, best_epoch, started = None, -np.inf, 0, time.perf_counter()
    for epoch in range(1, args.max_epochs + 1):
        clf.partial_fit(X_train, y_train, classes=classes)
        score = clf.score(X_val, y_val)
        if score > best_score:
            best_score, best_epoch = score, epoch
            best = ([W.copy() for W in clf.coefs_], [b.copy() for b in clf.intercepts_])
        if (epoch - best_epoch >= args.patience
                or time.perf_counter() - started >= args.budget):
            break
    clf.coefs_, clf.intercepts_ = best
    return {"epochs": epoch, "best_epoch": best_epoch, "best_val_accuracy": best_score,
            "test_accuracy": float(clf.score(X_test, y_test))}


def worker(args):
    limit_threads(args.threads)
    data = split(args)
    started = time.perf_counter()
    if args.worker == "ours-features":
        result = train_ours(data, args, features=True)
    elif args.worker == "ours-plain":
        result = train_ours(data, args, features=False)
    else:
        result = train_sklearn(data, args, alpha=float(args.worker.split("=")[1]))
    result["seconds"] = time.perf_counter() - started
    emit(result)


def run_all(args):
    peers = ["ours-features", "ours-plain"] + [f"sklearn-alpha={a}"
                                               for a in args.sklearn_alphas]
    common = ["--data", args.data, "--budget", str(args.budget), "--epochs",
              str(args.epochs), "--max-epochs", str(args.max_epochs), "--patience", str(args.patience), "--batch-size",
              str(args.batch_size), "--hidden", ",".join(map(str, args.hidden)),
              "--threads", str(args.threads)]
    results = {}
    for peer in peers:
        print(f"running {peer} (at most {args.budget:.0f} s)", flush=True)
        results[peer] = run_worker(__file__, [peer, *common], args.threads)
    summarise(results, args)


def describe(peer):
    if peer == "ours-features":
        return ("ours, features: " + ", ".join(f"{k}={v!r}" for k, v in FEATURES.items()))
    if peer == "ours-plain":
        return "ours, plain: scikit-learn's defaults (adam, alpha=1e-4)"
    return f"sklearn MLPClassifier: defaults, alpha={peer.split('=')[1]}"


def summarise(results, args):
    rows = [[describe(peer), f"{r['test_accuracy']:.4f}", f"{r['best_val_accuracy']:.4f}",
             r["best_epoch"], r["epochs"], f"{r['seconds']:.0f}",
             f"{r['seconds'] / r['epochs']:.2f}"]
            for peer, r in results.items()]
    header = ["peer", "test acc", "best val acc", "best epoch", "epochs run",
              "wall s", "s/epoch"]
    sizes = "-".join(map(str, [784, *args.hidden, 10]))
    text = "\n".join([
        f"# Best accuracy within {args.budget:.0f} s: {args.data.split('/')[-1]}, "
        f"{sizes}, batch {args.batch_size}",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Train on 90 % of the training set, select the epoch on the other 10 % "
        f"(patience {args.patience} epochs; at most {args.budget:.0f} s, "
        f"{args.epochs} epochs for the cosine schedule, {args.max_epochs} for the "
        "others), then score the selected weights once on the "
        "test set. Wall time includes loading the data.",
        "",
        markdown_table(header, rows),
        "",
        f"Reproduce: `python benchmarks/bench_accuracy.py --data {args.data}`",
        "",
    ])
    write_result(args.name, text, {"settings": {k: v for k, v in vars(args).items()
                                                if k != "worker"},
                                   "features": FEATURES, "peers": results})


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--budget", type=float, default=600.0,
                        help="wall-time budget of each peer in seconds")
    parser.add_argument("--epochs", type=int, default=30,
                        help="length of the features run's cosine schedule")
    parser.add_argument("--max-epochs", type=int, default=500,
                        help="epochs at most of the other peers")
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", default="1024,512",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--sklearn-alphas", default="1e-4,1e-3",
                        type=lambda s: [float(v) for v in s.split(",")])
    return parse_benchmark_args(parser, "accuracy", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
