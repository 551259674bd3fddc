"""Prediction latency of small batches: ours, scikit-learn's MLPs, onnxruntime.

Serving predicts one row or a few at a time, where the time goes into input
checks and per-call overhead, not arithmetic. One classifier and one
regressor are trained by ours (float32, ``--hidden`` units, a few epochs: the
weights' quality does not matter here), then scikit-learn's
``MLPClassifier``/``MLPRegressor`` get copies of the same ``coefs_`` and
``intercepts_``, so all peers compute the same network; their predictions are
checked to agree before timing. onnxruntime runs the model exported by
``skl2onnx.to_onnx`` once ``skmlp_scratch.onnx`` (which registers our
converters) exists and ``onnx``, ``onnxruntime`` and ``skl2onnx`` are
installed (``pip install "skmlp_scratch[onnx]"``); otherwise its column reads
"not installed".

For each batch size (1, 10, 100 and 10,000 rows of the test set, float32) and
each method (``predict`` and ``predict_proba`` of the classifier, ``predict``
of the regressor), every call is timed alone with ``time.perf_counter_ns``.
The peers take turns in rounds (ours, scikit-learn, onnxruntime, then the
next round in reverse order), so a slower or faster stretch of the machine
falls on all of them; the table gives the median and the fastest call of each
peer and the ratio of scikit-learn's (onnxruntime's) median to ours. Everything
runs in one fresh worker process with ``--threads`` BLAS threads (and as many
onnxruntime threads).

Table models (a second table): the default table model of
``make_tabular_pipeline`` (preprocessor, then the cross-fitted ensemble) is
fitted on the tables shipped with the examples, ``examples/data/HMDA.csv``
(classification, ``predict_proba``) and ``examples/data/CPS1988_sample.csv``
(regression, ``predict``), and predicts 1 and 100 of their rows given as a
DataFrame, the way a service calls it. Peers: the same fitted steps in
scikit-learn's own ``Pipeline`` (every row through the ``ColumnTransformer``,
as before the row plan); scikit-learn's ``MLPClassifier``/``MLPRegressor``
with the table defaults' layers in a ``Pipeline`` after the same
preprocessor; and onnxruntime running the exported table model
(``skmlp_scratch.onnx.to_onnx``) on inputs made beforehand by
``table_inputs``. The row plan's outputs are checked to equal the
``Pipeline``'s before timing.

Run (about a minute and a half)::

    python benchmarks/bench_latency.py
"""

import importlib.util
import statistics
import time

import numpy as np

from _harness import (benchmark_parser, emit, limit_threads, load, machine_summary,
                      markdown_table, run_benchmark, run_worker, write_result)

BATCH_SIZES = (1, 10, 100, 10_000)
TABLE_BATCH_SIZES = (1, 100)
# (name, file under examples/data, target, task)
TABLES = (("HMDA", "HMDA.csv", "deny", "classification"),
          ("CPS1988", "CPS1988_sample.csv", "wage", "regression"))
TABLE_PEERS = ("ours", "ours, Pipeline", "sklearn MLP, Pipeline", "onnxruntime")
PEERS = ("ours", "sklearn", "onnxruntime")
# (model, method) pairs timed; the regressor has no predict_proba
METHODS = (("classifier", "predict"), ("classifier", "predict_proba"),
           ("regressor", "predict"))
ONNX_MODULES = ("skmlp_scratch.onnx", "onnx", "onnxruntime", "skl2onnx")


# ------------------------------------------------------------------ models


def train_models(X, y, args):
    """Ours, fitted; scikit-learn's, fitted and then given ours' weights."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor

    target = (y - y.mean()) / y.std()  # the label as a number: any regression will do
    pairs = {"classifier": (MLPScratchClassifier, MLPClassifier, y),
             "regressor": (MLPScratchRegressor, MLPRegressor, target)}
    models = {}
    with warnings.catch_warnings():
        # a few epochs are enough to fix the shapes; convergence is not the point
        warnings.simplefilter("ignore", ConvergenceWarning)
        for kind, (ours_class, theirs_class, target_values) in pairs.items():
            params = dict(hidden_layer_sizes=args.hidden, max_iter=args.epochs,
                          random_state=0)
            ours = ours_class(**params).fit(X, target_values)
            theirs = theirs_class(**params).fit(X, target_values)
            theirs.coefs_ = [W.copy() for W in ours.coefs_]
            theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
            models[kind] = {"ours": ours, "sklearn": theirs}
    return models


def onnx_status():
    """None when onnxruntime can run our models, else why not."""
    missing = [m for m in ONNX_MODULES if importlib.util.find_spec(m) is None]
    return f"not installed ({', '.join(missing)})" if missing else None


def onnx_predictors(model, kind, X, n_threads):
    """``{method: callable(X)}`` running ``model`` exported to ONNX in onnxruntime."""
    import onnxruntime
    import skl2onnx

    import skmlp_scratch.onnx  # noqa: F401  (registers our converters with skl2onnx)

    options = {id(model): {"zipmap": False}} if kind == "classifier" else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    settings = onnxruntime.SessionOptions()
    settings.intra_op_num_threads = settings.inter_op_num_threads = n_threads
    session = onnxruntime.InferenceSession(onx.SerializeToString(), settings,
                                           providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    outputs = [o.name for o in session.get_outputs()]
    if kind == "regressor":
        return {"predict": lambda X: session.run(outputs[:1], {input_name: X})[0]}
    # skl2onnx's classifier convention: the label first, then the probabilities
    return {"predict": lambda X: session.run(outputs[:1], {input_name: X})[0],
            "predict_proba": lambda X: session.run(outputs[1:2], {input_name: X})[0]}


def predictors(models, X, args):
    """``{(kind, method): {peer: callable(X)}}``, and why onnxruntime is absent."""
    status = onnx_status()
    table = {}
    for kind, method in METHODS:
        table[kind, method] = {peer: getattr(models[kind][peer], method)
                               for peer in ("ours", "sklearn")}
    if status is None:
        try:
            for kind in models:
                for method, call in onnx_predictors(models[kind]["ours"], kind, X,
                                                    args.threads).items():
                    table[kind, method]["onnxruntime"] = call
        except Exception as exc:  # an export that fails is a result to report
            status = f"export failed: {type(exc).__name__}: {str(exc)[:120]}"
            for calls in table.values():
                calls.pop("onnxruntime", None)
    return table, status


def check_agreement(table, X):
    """Largest difference of each peer from ours on ``X``: the models are the same."""
    differences = {}
    for (kind, method), calls in table.items():
        expected = np.asarray(calls["ours"](X), dtype=np.float64)
        for peer, call in calls.items():
            got = np.asarray(call(X), dtype=np.float64).reshape(expected.shape)
            difference = float(np.max(np.abs(got - expected)))
            differences[f"{kind}.{method}.{peer}"] = difference
    return differences


# ------------------------------------------------------------------ timing


def time_calls(call, X, n_calls):
    """Nanoseconds of each of ``n_calls`` calls of ``call(X)``, timed one by one."""
    times = []
    for _ in range(n_calls):
        start = time.perf_counter_ns()
        call(X)
        times.append(time.perf_counter_ns() - start)
    return times


def calls_per_round(n_rows, args):
    # as many calls of 10,000 rows as take about as long as those of one row
    return max(3, args.calls // max(1, n_rows // 10))


def measure(calls, X, n_rows, args):
    """``{peer: [ns, ...]}`` over ``args.rounds`` rounds, peers alternating."""
    batch = np.ascontiguousarray(X[:n_rows])
    return measure_prepared(calls, dict.fromkeys(calls, batch),
                            calls_per_round(n_rows, args), args)


def measure_prepared(calls, batches, n_calls, args):
    """As :func:`measure`, each peer called ``n_calls`` times a round on its own batch."""
    peers = list(calls)
    for peer in peers:  # warm up: first-call imports, allocations, the row plan
        time_calls(calls[peer], batches[peer], 3)
    times = {peer: [] for peer in peers}
    for round_ in range(args.rounds):
        for peer in peers if round_ % 2 == 0 else peers[::-1]:
            times[peer] += time_calls(calls[peer], batches[peer], n_calls)
    return times


# ------------------------------------------------------------ table models


def table_models(path, target, task):
    """Ours (default table model) and scikit-learn's MLP after the same preprocessor."""
    import warnings
    from pathlib import Path

    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline

    from skmlp_scratch.tabular import (TABLE_DEFAULTS, final_estimator,
                                       make_preprocessor, make_tabular_pipeline)

    table = pd.read_csv(Path(__file__).resolve().parent.parent / "examples" / "data" / path)
    y = table.pop(target)
    theirs_class = MLPClassifier if task == "classification" else MLPRegressor
    theirs = Pipeline([("preprocess", make_preprocessor()), ("model", theirs_class(
        hidden_layer_sizes=TABLE_DEFAULTS["hidden_layer_sizes"], max_iter=20,
        random_state=0))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = make_tabular_pipeline(task=task)
        final_estimator(ours).set_params(random_state=0)
        ours.fit(table, y)
        theirs.fit(table, y)
    return table, ours, theirs


def table_onnx(model, table, method, n_threads):
    """``(call(feeds), feeds_of(rows))`` for onnxruntime on the exported table model."""
    import onnxruntime

    from skmlp_scratch.onnx import table_inputs, to_onnx

    options = {"zipmap": False} if method == "predict_proba" else None
    onx = to_onnx(model, table[:1], options=options)
    settings = onnxruntime.SessionOptions()
    settings.intra_op_num_threads = settings.inter_op_num_threads = n_threads
    session = onnxruntime.InferenceSession(onx.SerializeToString(), settings,
                                           providers=["CPUExecutionProvider"])
    output = [session.get_outputs()[1 if method == "predict_proba" else 0].name]
    return (lambda feeds: session.run(output, feeds)[0],
            lambda rows: table_inputs(model, rows))


def table_results(args):
    """``{key: {peer: [ns, ...]}}`` for the table models, and their agreement."""
    from sklearn.pipeline import Pipeline

    results, agreement = {}, {}
    status = onnx_status()
    for name, path, target, task in TABLES:
        table, ours, theirs = table_models(path, target, task)
        method = "predict_proba" if task == "classification" else "predict"
        usual = Pipeline(ours.steps)
        calls = {"ours": (getattr(ours, method), lambda rows: rows),
                 "ours, Pipeline": (getattr(usual, method), lambda rows: rows),
                 "sklearn MLP, Pipeline": (getattr(theirs, method), lambda rows: rows)}
        if status is None:
            calls["onnxruntime"] = table_onnx(ours, table, method, args.threads)
        rows = table.iloc[:100]
        plan = np.vstack([getattr(ours, method)(rows.iloc[[i]]).reshape(1, -1)
                          for i in range(len(rows))])
        full = np.vstack([getattr(usual, method)(rows.iloc[[i]]).reshape(1, -1)
                          for i in range(len(rows))])
        if not np.array_equal(plan, full):
            raise AssertionError(f"{name}: the row plan's outputs differ from the "
                                 "Pipeline's")
        if "onnxruntime" in calls:
            call, feeds_of = calls["onnxruntime"]
            onnx = np.asarray(call(feeds_of(rows)), dtype=np.float64)
            agreement[f"{name}.onnxruntime"] = float(
                np.max(np.abs(onnx.reshape(plan.shape) - plan)))
        for n_rows in TABLE_BATCH_SIZES:
            print(f"table {name}.{method}, {n_rows} rows", flush=True)
            batches = {peer: prepare(table.iloc[:n_rows])
                       for peer, (_, prepare) in calls.items()}
            # a table call costs about 100 network calls: a third as many
            results[f"{name}.{method}.{n_rows}"] = measure_prepared(
                {peer: call for peer, (call, _) in calls.items()}, batches,
                max(3, calls_per_round(n_rows, args) // 3), args)
    return results, agreement


def worker(args):
    limit_threads(args.threads)
    X_train, X_test, y_train, _ = load(args.data, np.float32)
    models = train_models(X_train, y_train, args)
    X = np.concatenate([X_test] * (1 + max(BATCH_SIZES) // len(X_test)))
    table, status = predictors(models, X, args)
    agreement = check_agreement(table, X[:1000])
    results = {}
    for (kind, method), calls in table.items():
        for n_rows in BATCH_SIZES:
            print(f"{kind}.{method}, {n_rows} rows", flush=True)
            results[f"{kind}.{method}.{n_rows}"] = measure(calls, X, n_rows, args)
    tables, table_agreement = table_results(args)
    emit({"results": results, "onnx_status": status, "agreement": agreement,
          "tables": tables, "table_agreement": table_agreement,
          "n_features": int(X.shape[1]),
          "layers": [int(W.shape[0]) for W in models["classifier"]["ours"].coefs_]
          + [int(models["classifier"]["ours"].coefs_[-1].shape[1])]})


# ------------------------------------------------------------------ report


def microseconds(ns):
    return ns / 1e3


def summarise(raw, args):
    stats, rows = {}, []
    for key, times in raw["results"].items():
        kind, method, n_rows = key.split(".")
        peer_stats = {peer: {"median_us": microseconds(statistics.median(t)),
                             "fastest_us": microseconds(min(t)), "n_calls": len(t)}
                      for peer, t in times.items()}
        ours = peer_stats["ours"]["median_us"]
        for peer, s in peer_stats.items():
            s["ratio_to_ours"] = s["median_us"] / ours
        stats[key] = peer_stats
        row = [f"{kind}.{method}", f"{int(n_rows):,}"]
        for peer in PEERS:
            s = peer_stats.get(peer)
            if s is None:
                row += ["not installed" if raw["onnx_status"] else "-", "-"]
                continue
            row.append(f"{s['median_us']:,.1f} ({s['fastest_us']:,.1f})")
            if peer != "ours":
                row.append(f"{s['ratio_to_ours']:.2f}")
        rows.append(row)
    table_text, table_stats = summarise_tables(raw)
    header = ["model.method", "rows", "ours: median (fastest) µs",
              "scikit-learn: median (fastest) µs", "scikit-learn / ours",
              "onnxruntime: median (fastest) µs", "onnxruntime / ours"]
    layers = "-".join(map(str, raw["layers"]))
    onnx_line = ("onnxruntime: " + raw["onnx_status"] + "." if raw["onnx_status"]
                 else "onnxruntime runs the model exported by skl2onnx.to_onnx with "
                      "skmlp_scratch.onnx's converters.")
    worst = max(raw["agreement"].values())
    text = "\n".join([
        f"# Prediction latency: {layers} network (relu), float32, "
        f"{args.data.split('/')[-1]}",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        "Time of one call on a batch of float32 rows, median (and fastest) over "
        f"{args.rounds} alternating rounds of calls per peer; ratios are of medians "
        "(above 1: ours is faster). scikit-learn's MLPs hold copies of our weights; "
        f"the largest difference of any peer's output from ours is {worst:.2g}. "
        + onnx_line,
        "",
        markdown_table(header, rows),
        "",
        table_text,
        "",
        "Reproduce: `python benchmarks/bench_latency.py`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "onnx_status": raw["onnx_status"], "agreement": raw["agreement"],
            "layers": raw["layers"], "stats": stats,
            "table_agreement": raw["table_agreement"], "table_stats": table_stats}
    write_result(args.name, text, data)


def summarise_tables(raw):
    """The table models' section of the result: its text and statistics."""
    stats, rows = {}, []
    for key, times in raw["tables"].items():
        name, method, n_rows = key.split(".")
        medians = {peer: statistics.median(t) / 1e3 for peer, t in times.items()}
        stats[key] = {peer: {"median_us": medians[peer],
                             "fastest_us": min(t) / 1e3, "n_calls": len(t)}
                      for peer, t in times.items()}
        row = [f"{name}.{method}", f"{int(n_rows):,}"]
        for peer in TABLE_PEERS:
            if peer not in times:
                row += ["not installed", "-"]
                continue
            row.append(f"{medians[peer]:,.0f} ({min(times[peer]) / 1e3:,.0f})")
            if peer != "ours":
                row.append(f"{medians[peer] / medians['ours']:.2f}")
        rows.append(row)
    header = ["table.method", "rows", "ours: median (fastest) µs",
              "ours in sklearn's Pipeline µs", "Pipeline / ours",
              "sklearn MLP in a Pipeline µs", "sklearn MLP / ours",
              "onnxruntime µs", "onnxruntime / ours"]
    agreement = ", ".join(f"{key.split('.')[0]} {value:.2g}"
                          for key, value in raw["table_agreement"].items())
    text = "\n".join([
        "## Table models: rows of a DataFrame",
        "",
        "The default table model (`make_tabular_pipeline`: preprocessor, then the "
        "cross-fitted ensemble of 5 folds x 2 configurations), fitted on a table "
        "shipped in `examples/data`, predicting its first rows given as a DataFrame. "
        "**ours**: the fitted `TablePipeline` (few rows through its row plan); "
        "**ours in sklearn's Pipeline**: the same fitted steps in "
        "`sklearn.pipeline.Pipeline` (the `ColumnTransformer` on every call); "
        "**sklearn MLP**: `MLPClassifier`/`MLPRegressor` with the table network's "
        "layers after the same preprocessor in a `Pipeline`; **onnxruntime**: the "
        "exported table model run on inputs made beforehand by `table_inputs` "
        "(making them is not timed). The row plan's outputs equal the Pipeline's "
        "to the bit on 100 rows one at a time (checked before timing); largest "
        f"difference of onnxruntime's from ours: {agreement or 'not run'}.",
        "",
        markdown_table(header, rows),
    ])
    return text, stats


def run_all(args):
    common = ["--data", args.data, "--threads", str(args.threads),
              "--hidden", ",".join(map(str, args.hidden)), "--epochs", str(args.epochs),
              "--rounds", str(args.rounds), "--calls", str(args.calls)]
    summarise(run_worker(__file__, ["all", *common], args.threads), args)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__, threads_help="BLAS (and onnxruntime) threads")
    parser.add_argument("--hidden", default="100",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300,
                        help="calls per peer and round for the smallest batches")
    parser.set_defaults(threads=1)
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = "latency"
    return args


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
