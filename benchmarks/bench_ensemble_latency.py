"""Prediction latency of a cross-fitted ensemble against one network of the same shape.

A ``CrossFitClassifier`` of ``k`` members (``k`` = 5 and 8) evaluates the
networks of a configuration together: their weights stacked once, one
product per layer for all members. This script times its ``predict_proba``
on 1 and 100 rows of digits (float32) against one ``MLPScratchClassifier``
of the same shape, and against the same ensemble evaluated member by member
(the path members of different shapes take), for each network shape given.
With ``--bins-shapes``, the members are pipelines as the table default's
``bins`` configuration is: a ``PiecewiseLinearEncoder`` (16 bins) fitted on
each member's folds, then the network; each member encodes the rows with
its own encoder before the stacked networks, and the single model is one
such pipeline. The weights' quality does not matter here: a few epochs fix
the shapes.

Every call is timed alone with ``time.perf_counter_ns``; the three take
turns in rounds (one network, stacked, member by member, then the next round
in reverse order), so a slower stretch of the shared machine falls on all of
them; the table gives the median and the fastest call, and the ratios of
medians to one network's. Each shape runs in its own fresh worker process
with ``--threads`` BLAS threads. The stacked and member-by-member
probabilities are checked to agree before timing.

Run (about a minute)::

    python benchmarks/bench_ensemble_latency.py
"""

import pickle
import statistics
import time
import warnings

import numpy as np

from _harness import (benchmark_parser, emit, limit_threads, load, machine_summary,
                      markdown_table, run_benchmark, run_worker, write_result)

BATCH_SIZES = (1, 100)
MEMBERS = (5, 8)


def parse_shape(text):
    return tuple(int(v) for v in text.split(","))


def train(X, y, hidden, bins, args):
    """One model, and for each k an ensemble of k models of its shape.

    The model is a network, or with ``bins`` a piecewise-linear encoder then
    the network.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline

    from skmlp_scratch import MLPScratchClassifier
    from skmlp_scratch.ensemble import CrossFitClassifier
    from skmlp_scratch.tabular import PiecewiseLinearEncoder

    def model():
        network = MLPScratchClassifier(hidden_layer_sizes=hidden, max_iter=args.epochs,
                                       random_state=0)
        return make_pipeline(PiecewiseLinearEncoder(n_bins=16), network) if bins else network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = model().fit(X, y)
        ensembles = {k: CrossFitClassifier([("net", model())], n_folds=k,
                                           random_state=0).fit(X, y)
                     for k in MEMBERS}
    return one, ensembles


def member_by_member(ensemble):
    """A copy of ``ensemble`` told that no configuration stacks (private cache)."""
    copy = pickle.loads(pickle.dumps(ensemble))
    copy._stacked = dict.fromkeys(range(len(copy.estimators_)))
    return copy


def time_calls(call, X, n_calls):
    times = []
    for _ in range(n_calls):
        start = time.perf_counter_ns()
        call(X)
        times.append(time.perf_counter_ns() - start)
    return times


def measure(calls, batch, args):
    """``{name: [ns, ...]}`` over ``args.rounds`` rounds, the order alternating."""
    names = list(calls)
    for name in names:  # warm up: the first call stacks the members
        time_calls(calls[name], batch, 3)
    times = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            times[name] += time_calls(calls[name], batch, args.calls)
    return times


def worker(args):
    limit_threads(args.threads)
    X_train, X_test, y_train, _ = load(args.data, np.float32)
    bins = args.worker.startswith("bins:")
    hidden = parse_shape(args.worker.removeprefix("bins:"))
    one, ensembles = train(X_train, y_train, hidden, bins, args)
    X = np.concatenate([X_test] * (1 + max(BATCH_SIZES) // len(X_test)))
    results, agreement = {}, {}
    for k, stacked in ensembles.items():
        members = member_by_member(stacked)
        agreement[k] = float(np.max(np.abs(stacked.predict_proba(X[:1000])
                                           - members.predict_proba(X[:1000]))))
        assert stacked._stacked[0] is not None and members._stacked[0] is None
        calls = {"one": one.predict_proba, "stacked": stacked.predict_proba,
                 "member_by_member": members.predict_proba}
        for n_rows in BATCH_SIZES:
            print(f"k={k}, {n_rows} rows", flush=True)
            batch = np.ascontiguousarray(X[:n_rows])
            results[f"{k}.{n_rows}"] = measure(calls, batch, args)
    network = one[-1] if bins else one
    layers = [int(W.shape[0]) for W in network.coefs_] + [int(network.coefs_[-1].shape[1])]
    emit({"results": results, "agreement": agreement,
          "layers": (["bins"] if bins else []) + layers})


def summarise(runs, args):
    stats, rows = {}, []
    for raw in runs:
        layers = "-".join(map(str, raw["layers"]))
        for key, times in raw["results"].items():
            k, n_rows = key.split(".")
            s = {name: {"median_us": statistics.median(t) / 1e3,
                        "fastest_us": min(t) / 1e3, "n_calls": len(t)}
                 for name, t in times.items()}
            for name in s:
                s[name]["ratio_to_one"] = s[name]["median_us"] / s["one"]["median_us"]
            stats[f"{layers}.{key}"] = s
            row = [layers, k, n_rows]
            for name in ("one", "stacked", "member_by_member"):
                row.append(f"{s[name]['median_us']:,.1f} ({s[name]['fastest_us']:,.1f})")
                if name != "one":
                    row.append(f"{s[name]['ratio_to_one']:.2f}")
            rows.append(row)
    header = ["network", "k", "rows", "one network: median (fastest) µs",
              "k stacked: median (fastest) µs", "stacked / one",
              "k member by member: median (fastest) µs", "member by member / one"]
    worst = max(v for raw in runs for v in raw["agreement"].values())
    text = "\n".join([
        "# Prediction latency of a cross-fitted ensemble of k networks, float32, "
        f"{args.data.split('/')[-1]}",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        "`predict_proba` of one `MLPScratchClassifier` and of a `CrossFitClassifier` "
        "of k members of the same shape, its networks stacked (one product per "
        "layer) or evaluated member by member; `bins-...`: each member (and the "
        "single model) a `PiecewiseLinearEncoder` (16 bins, fitted on its own "
        "folds) then the network, whose first layer reads the encoding. Time of "
        "one call, median (and "
        f"fastest) over {args.rounds} alternating rounds of {args.calls} calls; "
        "ratios are of medians to one network's. The stacked and member-by-member "
        f"probabilities differ by at most {worst:.2g}.",
        "",
        markdown_table(header, rows),
        "",
        "Reproduce: `python benchmarks/bench_ensemble_latency.py`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "agreement": {"-".join(map(str, raw["layers"])): raw["agreement"]
                          for raw in runs},
            "stats": stats}
    write_result(args.name, text, data)


def run_all(args):
    common = ["--data", args.data, "--threads", str(args.threads),
              "--epochs", str(args.epochs), "--rounds", str(args.rounds),
              "--calls", str(args.calls)]
    shapes = ([",".join(map(str, shape)) for shape in args.shapes]
              + ["bins:" + ",".join(map(str, shape)) for shape in args.bins_shapes])
    runs = [run_worker(__file__, [shape, *common], args.threads) for shape in shapes]
    summarise(runs, args)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--shapes", nargs="*", type=parse_shape,
                        default=[(100,), (256, 128)],
                        help="hidden layer sizes of each network shape, e.g. 100 256,128")
    parser.add_argument("--bins-shapes", nargs="*", type=parse_shape, default=[(100,)],
                        help="the same, for members that piecewise-linear encode the "
                             "input first")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100,
                        help="calls of each kind per round")
    parser.set_defaults(threads=1)
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = "ensemble_latency"
    return args


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
