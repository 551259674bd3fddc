"""Fit and predict memory, predict rate and L-BFGS time: ours against scikit-learn.

Three parts, every measurement in its own fresh worker process, the peers in
alternating order, the same network (784-256-128-10 on Fashion-MNIST, ReLU,
``random_state=0``) and BLAS thread count for both:

* **fit memory**: the whole training set, float32, loaded before measuring;
  ``fit`` with Adam, batch 128, ``max_iter=2``, no early stopping. Reported:
  the peak resident memory ``fit`` adds on top of the loaded data (target for
  ours: below 64 MiB, whatever the number of samples).
* **predict memory**: a model fitted briefly on a small subset, then
  ``predict_proba`` on 1,000,000 rows of float32 (the test set tiled with
  ``np.resize``, made before measuring). Reported: the peak resident memory
  ``predict_proba`` adds minus the size of the array it returns, i.e. its
  working memory (ours works in chunks of 4096 rows, so this is a small
  constant); then the ``predict`` rate in rows/s, median of 3 calls on 200,000
  rows.
* **lbfgs**: ``fit`` with ``solver="lbfgs"``, ``max_iter=50`` and a tiny
  ``tol`` so both run all 50 iterations, on the first 10,000 training rows,
  float32 and float64 input. Reported: seconds, seconds per iteration, ratio
  ours / scikit-learn and test accuracy (median over the repeats).

Before a memory measurement the worker runs one small matrix product (and,
for predict, a prediction on a few rows), so the one-off allocations of BLAS
and of lazy imports are not counted, then calls glibc's ``malloc_trim(0)`` so
that memory freed earlier (by loading the data) and still resident is not
silently reused. Resident memory is sampled by ``_harness.PeakMemory``.

Run (3 to 5 minutes on two cores, needs about 6 GB of free memory for the
1,000,000-row prediction)::

    python benchmarks/bench_memory.py --data idx:PATH/TO/fashion-mnist

A quick check: ``python benchmarks/bench_memory.py --data digits`` (``--parts``
picks some of ``fit,predict,lbfgs``).
"""

import statistics
import warnings

import numpy as np

from _harness import (PeakMemory, benchmark_parser, data_name, emit, limit_threads,
                      load, machine_summary, markdown_table, parse_benchmark_args,
                      release_freed_memory, run_benchmark, run_worker, timed,
                      write_result)

PARTS = ("fit", "predict", "lbfgs")
PEERS = ("ours", "sklearn")
MIB = 2**20


# ------------------------------------------------------------------ workers


def make(peer, args, **params):
    """Our estimator or scikit-learn's, with the same parameters."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if peer == "ours":
        from skmlp_scratch import MLPScratchClassifier as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    return Estimator(hidden_layer_sizes=args.hidden, alpha=args.alpha, random_state=0,
                     **params)


def warm_up(dtype, n_features):
    """Ready the process for a memory measurement.

    Makes the one-off allocations of BLAS (its per-thread buffers) outside the
    measurement, then hands the memory freed so far (by loading the data, for
    one) back to the system: glibc keeps freed blocks resident, up to tens of
    MiB, and reusing them would not show in the resident memory.
    """
    a = np.ones((128, n_features), dtype=dtype)
    b = np.ones((n_features, 256), dtype=dtype)
    a @ b
    del a, b
    release_freed_memory()


def fit_worker(peer, args):
    X, X_test, y, y_test = load(args.data, np.float32)
    if args.fit_rows:
        X, y = X[:args.fit_rows].copy(), y[:args.fit_rows].copy()
    clf = make(peer, args, solver="adam", batch_size=args.batch_size,
               max_iter=args.fit_epochs, early_stopping=False)
    warm_up(X.dtype, X.shape[1])
    with PeakMemory() as memory:
        _, seconds = timed(clf.fit, X, y)
    return {"rss_added_mib": memory.added_mib, "seconds": seconds,
            "n_samples": len(X), "n_features": X.shape[1], "X_mib": X.nbytes / MIB,
            "accuracy": float(clf.score(X_test, y_test))}


def predict_worker(peer, args):
    X, X_test, y, y_test = load(args.data, np.float32)
    n_fit = min(args.predict_fit_rows, len(X))
    clf = make(peer, args, solver="adam", batch_size=args.batch_size,
               max_iter=args.fit_epochs, early_stopping=False)
    clf.fit(X[:n_fit], y[:n_fit])
    X_big = np.resize(X_test, (args.predict_rows, X_test.shape[1]))
    del X, y
    clf.predict_proba(X_test[:10])
    warm_up(X_big.dtype, X_big.shape[1])
    with PeakMemory() as memory:
        P, seconds = timed(clf.predict_proba, X_big)
    result = {"rss_added_mib": memory.added_mib, "output_mib": P.nbytes / MIB,
              "working_mib": memory.added_mib - P.nbytes / MIB,
              "output_dtype": str(P.dtype), "n_rows": len(X_big),
              "predict_proba_seconds": seconds}
    del P
    X_rate = X_big[:min(args.throughput_rows, len(X_big))]
    times = [timed(clf.predict, X_rate)[1] for _ in range(3)]
    result.update(throughput_rows=len(X_rate), predict_times=times,
                  rows_per_second=len(X_rate) / statistics.median(times))
    return result


def lbfgs_worker(peer, dtype, args):
    X, X_test, y, y_test = load(args.data, np.dtype(dtype))
    n = min(args.lbfgs_rows, len(X))
    X, y = X[:n], y[:n]
    clf = make(peer, args, solver="lbfgs", max_iter=args.lbfgs_iter, tol=1e-12)
    warm_up(X.dtype, X.shape[1])
    _, seconds = timed(clf.fit, X, y)
    return {"seconds": seconds, "n_iter": int(clf.n_iter_), "n_samples": n,
            "seconds_per_iter": seconds / max(clf.n_iter_, 1),
            "accuracy": float(clf.score(X_test, y_test))}


def worker(args):
    limit_threads(args.threads)
    part, peer, *dtype = args.worker.split("-")
    if part == "fit":
        emit(fit_worker(peer, args))
    elif part == "predict":
        emit(predict_worker(peer, args))
    else:
        emit(lbfgs_worker(peer, dtype[0], args))


# ------------------------------------------------------------------ driver


def common_args(args):
    return ["--data", args.data, "--hidden", ",".join(map(str, args.hidden)),
            "--threads", str(args.threads), "--alpha", str(args.alpha),
            "--batch-size", str(args.batch_size), "--fit-epochs", str(args.fit_epochs),
            "--fit-rows", str(args.fit_rows),
            "--predict-rows", str(args.predict_rows),
            "--predict-fit-rows", str(args.predict_fit_rows),
            "--throughput-rows", str(args.throughput_rows),
            "--lbfgs-rows", str(args.lbfgs_rows), "--lbfgs-iter", str(args.lbfgs_iter)]


def run_part(names, repeats, args):
    """``{name: [result, ...]}``, the names in alternating order over the repeats."""
    runs = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            print(f"run {repeat + 1}/{repeats}: {name}", flush=True)
            runs[name].append(run_worker(__file__, [name, *common_args(args)],
                                         args.threads))
    return runs


def fit_section(runs, args):
    rows = []
    for name, results in runs.items():
        r = results[0]
        rows.append([name.split("-")[1], f"{r['rss_added_mib']:.1f}",
                     f"{r['rss_added_mib'] / r['X_mib']:.2f}", f"{r['seconds']:.2f}",
                     f"{r['accuracy']:.4f}"])
    r = results[0]
    return [
        f"## Fit memory: {r['n_samples']:,} x {r['n_features']} float32 "
        f"(X is {r['X_mib']:.1f} MiB), Adam, batch {args.batch_size}, "
        f"{args.fit_epochs} epochs",
        "",
        "Peak resident memory `fit` adds beyond the loaded data. Target for ours: "
        "< 64 MiB.",
        "",
        markdown_table(["peer", "peak RSS added (MiB)", "added / size of X",
                        "fit seconds", "test acc"], rows),
    ]


def predict_section(runs, args):
    rows = []
    for name, results in runs.items():
        r = results[0]
        rows.append([name.split("-")[1], r["output_dtype"],
                     f"{r['rss_added_mib']:.1f}", f"{r['output_mib']:.1f}",
                     f"{r['working_mib']:.1f}", f"{r['predict_proba_seconds']:.2f}",
                     f"{r['rows_per_second']:,.0f}"])
    r = results[0]
    return [
        f"## Predict memory and throughput: {r['n_rows']:,} rows of float32",
        "",
        "Working memory = peak resident memory `predict_proba` adds minus the "
        "array it returns. Throughput: `predict` on "
        f"{r['throughput_rows']:,} rows, median of 3 calls. Models fitted on the "
        f"first {args.predict_fit_rows:,} training rows.",
        "",
        markdown_table(["peer", "output", "peak RSS added (MiB)", "output (MiB)",
                        "working memory (MiB)",
                        f"predict_proba {r['n_rows']:,} rows (s)", "predict rows/s"],
                       rows),
    ]


def lbfgs_section(runs, args):
    stats = {}
    for name, results in runs.items():
        stats[name] = {key: statistics.median(r[key] for r in results)
                       for key in ("seconds", "seconds_per_iter", "accuracy", "n_iter")}
    rows = []
    for name, s in stats.items():
        _, peer, dtype = name.split("-")
        ratio = s["seconds"] / stats[f"lbfgs-sklearn-{dtype}"]["seconds"]
        if peer == "ours":
            s["ratio_ours_to_sklearn"] = ratio
        rows.append([peer, dtype, f"{s['seconds']:.2f}", f"{s['n_iter']:.0f}",
                     f"{1000 * s['seconds_per_iter']:.1f}",
                     "-" if peer == "sklearn" else f"{ratio:.2f}",
                     f"{s['accuracy']:.4f}"])
    n = next(iter(runs.values()))[0]["n_samples"]
    return stats, [
        f"## L-BFGS: {n:,} training rows, max_iter={args.lbfgs_iter}, tol=1e-12",
        "",
        f"Median over {args.repeats} alternating runs per peer.",
        "",
        markdown_table(["peer", "input", "fit seconds", "iterations", "ms / iteration",
                        "ours / sklearn", "test acc"], rows),
    ]


def run_all(args):
    lines = [f"# Memory, predict throughput and L-BFGS: {data_name(args.data)}, "
             f"hidden {'-'.join(map(str, args.hidden))}, ReLU", "",
             f"Machine: {machine_summary(args.threads)}.", ""]
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"}}
    if "fit" in args.parts:
        runs = run_part([f"fit-{p}" for p in PEERS], 1, args)
        lines += fit_section(runs, args) + [""]
        data["fit"] = runs
    if "predict" in args.parts:
        runs = run_part([f"predict-{p}" for p in PEERS], 1, args)
        lines += predict_section(runs, args) + [""]
        data["predict"] = runs
    if "lbfgs" in args.parts:
        names = [f"lbfgs-{p}-{d}" for d in ("float32", "float64") for p in PEERS]
        runs = run_part(names, args.repeats, args)
        stats, section = lbfgs_section(runs, args)
        lines += section + [""]
        data["lbfgs"] = {"stats": stats, "runs": runs}
    lines += [f"Reproduce: `python benchmarks/bench_memory.py --data {args.data}`", ""]
    write_result(args.name, "\n".join(lines), data)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--parts", default=",".join(PARTS),
                        type=lambda s: tuple(s.split(",")),
                        help="comma-separated subset of fit,predict,lbfgs")
    parser.add_argument("--hidden", default="256,128",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--fit-epochs", type=int, default=2,
                        help="max_iter of the Adam fits")
    parser.add_argument("--fit-rows", type=int, default=0,
                        help="training rows of the fit part (default: all)")
    parser.add_argument("--predict-rows", type=int, default=1_000_000)
    parser.add_argument("--predict-fit-rows", type=int, default=2000,
                        help="training rows of the model that predicts")
    parser.add_argument("--throughput-rows", type=int, default=200_000)
    parser.add_argument("--lbfgs-rows", type=int, default=10_000)
    parser.add_argument("--lbfgs-iter", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2,
                        help="alternating runs per peer of the lbfgs part")
    args = parse_benchmark_args(parser, "memory", argv)
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    return args


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
