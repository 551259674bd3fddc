"""GridSearchCV over MLPScratchClassifier: time with n_jobs=1 against n_jobs=2.

A grid of 8 candidates (hidden (64,) or (128,) x alpha 1e-4 or 1e-3 x
learning_rate_init 1e-3 or 3e-3; Adam, batch 128, ``max_iter=10``, no early
stopping, ``random_state=0``), ``cv=3``, so 24 fits plus the refit of the
best candidate, on a seeded subsample of the training set (10,000 rows by
default, ``--n-rows``), float32.

Each ``n_jobs`` setting runs in its own fresh process, in alternating order,
``--repeats`` times (2 by default); a run's time includes starting joblib's
worker processes; each process then runs the same search a second time,
which finds loky's workers already started. Reported: the median time of
each, the speed-up ``time(n_jobs=1) / time(n_jobs=2)`` (target: at least 1.6
on two cores, for the first search), the same without the refit (which runs
in the parent alone), and whether ``cv_results_["mean_test_score"]`` is
identical in every search.

Threads: the ``n_jobs=1`` process runs with ``--threads`` BLAS threads
(default 2). With ``n_jobs=2`` scikit-learn uses joblib's default loky
backend, which limits BLAS / OpenMP threads in its worker processes to
``cpu_count() // n_jobs`` so two workers do not oversubscribe the cores; it
does so only when ``OMP_NUM_THREADS`` and the like are unset, so the
``n_jobs=2`` process removes the ones the harness sets before it starts the
search. The BLAS thread count seen inside the loky workers is recorded.

Run (about 2 minutes on two cores)::

    python benchmarks/bench_grid_search.py --data idx:PATH/TO/fashion-mnist
"""

import os
import statistics
import warnings

import numpy as np

from _harness import (benchmark_parser, data_name, emit, limit_threads, load,
                      machine_summary, markdown_table, parse_benchmark_args,
                      run_benchmark, run_worker, timed, write_result)

N_JOBS = (1, 2)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
GRID = {"hidden_layer_sizes": [(64,), (128,)], "alpha": [1e-4, 1e-3],
        "learning_rate_init": [1e-3, 3e-3]}


def subsample(args):
    X, _, y, _ = load(args.data, np.float32)
    n = min(args.n_rows, len(X))
    rows = np.sort(np.random.default_rng(0).choice(len(X), n, replace=False))
    return X[rows], y[rows]


def blas_threads():
    """BLAS threads of the process this runs in (called in the loky workers)."""
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"),
               default=None)


def worker(args):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.utils.parallel import Parallel, delayed

    from skmlp_scratch import MLPScratchClassifier

    # scikit-learn's Parallel passes the warning filters on to its workers
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    limit_threads(args.threads)
    n_jobs = int(args.worker)
    if n_jobs > 1:
        # let loky pick cpu_count() // n_jobs BLAS threads for its workers
        for var in THREAD_VARS:
            os.environ.pop(var, None)
    X, y = subsample(args)
    runs = []
    for _ in range(2):  # the second search finds the loky workers started
        search = GridSearchCV(
            MLPScratchClassifier(batch_size=128, max_iter=args.max_iter,
                                 early_stopping=False, random_state=0),
            GRID, cv=3, n_jobs=n_jobs)
        _, seconds = timed(search.fit, X, y)
        runs.append({"seconds": seconds, "refit_seconds": search.refit_time_,
                     "mean_test_score": search.cv_results_["mean_test_score"].tolist()})
    # the same (reused) loky workers, after the timing
    threads = (Parallel(n_jobs=n_jobs)(delayed(blas_threads)() for _ in range(n_jobs))
               if n_jobs > 1 else [blas_threads()])
    emit({"cold": runs[0], "warm": runs[1],
          "best_params": {k: str(v) for k, v in search.best_params_.items()},
          "best_score": search.best_score_, "worker_blas_threads": threads,
          "n_rows": len(X), "n_candidates": len(search.cv_results_["params"])})


def run_all(args):
    common = ["--data", args.data, "--n-rows", str(args.n_rows), "--max-iter",
              str(args.max_iter), "--threads", str(args.threads)]
    runs = {n: [] for n in N_JOBS}
    for repeat in range(args.repeats):
        for n_jobs in N_JOBS if repeat % 2 == 0 else N_JOBS[::-1]:
            print(f"run {repeat + 1}/{args.repeats}: n_jobs={n_jobs}", flush=True)
            runs[n_jobs].append(run_worker(__file__, [str(n_jobs), *common],
                                           args.threads))
    stats = {}
    for n_jobs, results in runs.items():
        stats[n_jobs] = {"worker_blas_threads": results[0]["worker_blas_threads"]}
        for run in ("cold", "warm"):
            stats[n_jobs][run] = {
                "seconds": statistics.median(r[run]["seconds"] for r in results),
                "search_seconds": statistics.median(
                    r[run]["seconds"] - r[run]["refit_seconds"] for r in results)}
    speedup = {run: {key: stats[1][run][key] / stats[2][run][key]
                     for key in ("seconds", "search_seconds")}
               for run in ("cold", "warm")}
    scores = [r[run]["mean_test_score"] for rs in runs.values() for r in rs
              for run in ("cold", "warm")]
    identical = all(s == scores[0] for s in scores)
    max_diff = float(np.max(np.abs(np.array(scores) - np.array(scores[0]))))
    first = runs[1][0]
    rows = [[n, f"{s['cold']['seconds']:.2f}", f"{s['cold']['search_seconds']:.2f}",
             f"{s['warm']['seconds']:.2f}", f"{s['warm']['search_seconds']:.2f}",
             ", ".join(map(str, s["worker_blas_threads"]))] for n, s in stats.items()]
    rows.append(["speed-up 1 / 2", *(f"**{speedup[run][key]:.2f}**"
                                     for run in ("cold", "warm")
                                     for key in ("seconds", "search_seconds")), ""])
    name = data_name(args.data)
    text = "\n".join([
        f"# GridSearchCV over MLPScratchClassifier: {name}, {first['n_rows']:,} rows, "
        f"{first['n_candidates']} candidates x 3 folds, max_iter={args.max_iter}",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Median over {args.repeats} alternating runs per setting, each in a fresh "
        "process; joblib's default (loky) backend for n_jobs=2. First search: "
        "includes starting the loky workers (and their imports). Second search: "
        "run again in the same process, the loky workers already up. Without "
        "refit: minus `refit_time_` (the refit runs in the parent process alone).",
        "",
        markdown_table(["n_jobs", "first search (s)", "first, without refit",
                        "second search (s)", "second, without refit",
                        "BLAS threads per fitting process"], rows),
        "",
        f"Target: speed-up >= 1.6 (first search, {speedup['cold']['seconds']:.2f} "
        "here).",
        f"`mean_test_score` identical across all searches: **{identical}** "
        f"(largest difference {max_diff:.3g}); best {first['best_params']} "
        f"with {first['best_score']:.4f}.",
        "",
        f"Reproduce: `python benchmarks/bench_grid_search.py --data {args.data}`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "stats": stats, "speedup": speedup,
            "scores_identical": identical, "max_score_difference": max_diff,
            "runs": runs}
    write_result(args.name, text, data)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__, threads_help="BLAS threads of the n_jobs=1 process")
    parser.add_argument("--n-rows", type=int, default=10000,
                        help="training rows subsampled for the search")
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    return parse_benchmark_args(parser, "grid_search", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
