"""Grid search on a Dask cluster
=============================

GridSearchCV on a Dask cluster through joblib's Dask backend, against n_jobs=1.

The search code is scikit-learn's own; only the joblib backend changes::

    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)

Without ``--scheduler`` the script starts a ``LocalCluster`` on this machine
(one worker process per core, one BLAS thread each, so workers do not fight
over cores). With ``--scheduler tcp://HOST:8786`` the same code sends the fits
to a running cluster; start its workers with one BLAS thread per worker
thread, e.g. ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 dask worker
tcp://HOST:8786 --nthreads 1``. The script runs the search once with
``n_jobs=1`` and once on the cluster, prints both times, the speed-up and
how far apart the scores are (float rounding only: the workers use one BLAS
thread, this process several), and saves ``distributed_search.png``.

Run it with::

    python examples/distributed_search.py                 # digits, local cluster
    python examples/distributed_search.py --dataset idx:/path/to/fashion-mnist
    python examples/distributed_search.py --scheduler tcp://10.0.0.5:8786
    python examples/distributed_search.py --small         # a few seconds
"""

import os
import time
import warnings

import numpy as np
from distributed import Client
from joblib import parallel_config
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from _common import load_data, make_parser, save_figure
from skmlp_scratch import MLPScratchClassifier
from skmlp_scratch.distributed import local_cluster

GRID = {"hidden_layer_sizes": [(64,), (128,)], "alpha": [1e-4, 1e-2],
        "learning_rate_init": [1e-3, 3e-3]}


def timed_search(X, y, max_iter):
    search = GridSearchCV(MLPScratchClassifier(max_iter=max_iter, random_state=0),
                          GRID, cv=3)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return search, time.perf_counter() - start


def main(argv=None):
    parser = make_parser(__doc__, max_train=10_000)
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler; default: start a "
                             "LocalCluster here")
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="worker processes of the local cluster; default: one "
                             "per core (%(default)s)")
    args = parser.parse_args(argv)
    max_iter = 5 if args.small else 20
    X_train, X_test, y_train, y_test = load_data(args)

    sequential, sequential_s = timed_search(X_train, y_train, max_iter)
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = local_cluster(n_workers=args.workers)
        client = Client(cluster)
    with client:
        n_workers = len(client.scheduler_info()["workers"])
        with parallel_config(backend="dask"):
            distributed, distributed_s = timed_search(X_train, y_train, max_iter)
    if cluster is not None:
        cluster.close()

    # the workers run one BLAS thread and this process several, so matrix
    # products round differently and scores may differ in the last digits
    difference = np.abs(distributed.cv_results_["mean_test_score"]
                        - sequential.cv_results_["mean_test_score"]).max()
    print(f"{len(distributed.cv_results_['params'])} candidates x 3 folds")
    print(f"n_jobs=1: {sequential_s:.1f} s; Dask, {n_workers} workers: "
          f"{distributed_s:.1f} s; speed-up {sequential_s / distributed_s:.2f}x")
    print(f"largest difference in mean cross-validated accuracy: {difference:.4f}; "
          f"best {distributed.best_params_}, test accuracy "
          f"{distributed.score(X_test, y_test):.4f}")

    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(["n_jobs=1", f"Dask, {n_workers} workers"], [sequential_s, distributed_s],
           color=["grey", "tab:blue"])
    ax.set_ylabel("search time (s)")
    ax.set_title(f"GridSearchCV, {args.dataset}: speed-up "
                 f"{sequential_s / distributed_s:.2f}x")
    save_figure(fig, args, "distributed_search.png")


if __name__ == "__main__":
    main()
