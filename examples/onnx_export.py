"""Export a table model to ONNX
=============================

A whole table pipeline as one ONNX file, served by onnxruntime.

``skmlp_scratch.onnx.to_onnx`` converts a fitted model, here the pipeline of
``make_tabular_pipeline`` (median imputation, robust scaling and soft
clipping of the numeric columns, missing-value flags, one-hot encoding of the
text columns, then ``MLPScratchClassifier``), into an ONNX graph that
onnxruntime runs without Python's scikit-learn or this package: in a web
service, in C#, Java or JavaScript, on a phone. The table becomes one input
per column (numbers as float32, text as strings); ``table_inputs`` turns a
DataFrame into them, with a missing number as NaN and a missing text as ``""``.

The synthetic table is seeded: loan applications with an income (skewed,
with gaps), an age, a city (one of them rare) and a yes/no flag, and whether
the loan was repaid. The script trains the pipeline, writes
``loan_model.onnx`` into ``--out``, runs it with onnxruntime on the test rows
(and on rows with gaps and a city never seen in training) and prints the
largest difference between onnxruntime's probabilities and ours, and whether
the labels agree. It then times a one-row prediction both ways (the median of
many calls) and saves ``onnx_export.png``: onnxruntime's probability against
ours for every test row, on the diagonal.

Run it with::

    python examples/onnx_export.py            # 20,000 rows, a few seconds
    python examples/onnx_export.py --small    # 3,000 rows, about a second

It needs the onnx extra: ``pip install "skmlp_scratch[onnx]"``.
"""

import time

import numpy as np
import onnxruntime
import pandas as pd
from matplotlib.figure import Figure
from sklearn.model_selection import train_test_split

from _common import SMALL_TEST, SMALL_TRAIN, make_simple_parser, save_figure
from skmlp_scratch.onnx import table_inputs, to_onnx
from skmlp_scratch.tabular import make_tabular_pipeline

CITIES = ["paris", "lyon", "nice", "lille", "pau"]
CITY_SHARES = [0.4, 0.3, 0.15, 0.13, 0.02]
TIMED_CALLS = 300


def make_loans(n_rows, seed):
    """A seeded loan table and whether each loan was repaid ("yes"/"no")."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "income": rng.lognormal(10, 0.6, n_rows),
        "age": rng.integers(18, 75, n_rows).astype(float),
        "city": rng.choice(CITIES, n_rows, p=CITY_SHARES),
        "owner": rng.choice(["yes", "no"], n_rows),
    })
    score = (np.log(table["income"]) - 10 + (table["age"] - 45) / 30
             + 0.5 * (table["owner"] == "yes") - 0.4 * (table["city"] == "nice"))
    repaid = np.where(score + rng.logistic(scale=0.5, size=n_rows) > 0, "yes", "no")
    table.loc[rng.random(n_rows) < 0.1, "income"] = np.nan
    table.loc[rng.random(n_rows) < 0.05, "city"] = None
    return table, repaid


def median_seconds(function, calls=TIMED_CALLS):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    parser = make_simple_parser(
        __doc__, small_help=f"{SMALL_TRAIN + SMALL_TEST} rows instead of 20,000")
    args = parser.parse_args(argv)
    n_rows = SMALL_TRAIN + SMALL_TEST if args.small else 20_000
    table, repaid = make_loans(n_rows, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(table, repaid, test_size=0.25,
                                                        random_state=0)
    model = make_tabular_pipeline(task="classification", ensemble=False,
                                  min_frequency=20)
    model.set_params(model__random_state=0).fit(X_train, y_train)
    print(f"trained on {len(X_train)} rows; test accuracy "
          f"{model.score(X_test, y_test):.3f}")

    # probabilities as a matrix rather than skl2onnx's default list of dicts
    onnx_model = to_onnx(model, X_train[:1], options={"zipmap": False})
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "loan_model.onnx"
    path.write_bytes(onnx_model.SerializeToString())
    kinds = {name: "float" if values.dtype.kind == "f" else "text"
             for name, values in table_inputs(model, X_train[:1]).items()}
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB); one input per "
          f"column: {kinds}")

    session = onnxruntime.InferenceSession(str(path),
                                           providers=["CPUExecutionProvider"])
    odd_rows = X_test[:4].assign(city=["brest", None, "pau", "paris"],
                                 income=[np.nan, 1e9, 0.0, np.nan])
    checks = [("test rows", X_test), ("rows with gaps and a new city", odd_rows)]
    for name, rows in checks:
        labels, proba = session.run(None, table_inputs(model, rows))
        difference = np.max(np.abs(proba - model.predict_proba(rows)))
        same = np.array_equal(labels, model.predict(rows))
        print(f"{name}: largest difference of the probabilities {difference:.2g}, "
              f"labels {'all equal' if same else 'DIFFER'}")

    one_row = X_test[:1]
    one_input = table_inputs(model, one_row)
    ours = median_seconds(lambda: model.predict_proba(one_row))
    runtime = median_seconds(lambda: session.run(None, one_input))
    print(f"one-row predict_proba, median of {TIMED_CALLS} calls: pipeline "
          f"{ours * 1e6:.0f} µs, onnxruntime {runtime * 1e6:.0f} µs")

    _, proba = session.run(None, table_inputs(model, X_test))
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="0.8", linewidth=1)
    ax.scatter(model.predict_proba(X_test)[:, 1], proba[:, 1], s=6)
    ax.set(xlabel='P("yes"), skmlp_scratch', ylabel='P("yes"), onnxruntime',
           title=f"{len(X_test)} test rows through both")
    save_figure(fig, args, "onnx_export.png")


if __name__ == "__main__":
    main()
