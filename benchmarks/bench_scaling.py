"""How the epoch time of MLPScratchClassifier grows with the samples and the width.

Ours only, float32 input, Adam (lr 1e-3), batch 128. Two sweeps, every point
trained in its own fresh process:

* **samples**: the first n training rows, n in 1,000 ... 60,000 (capped at
  the rows the data set has), network ``n_features``-256-128-``n_classes``;
* **width**: all training rows (at most 60,000), hidden layers ``(w, w // 2)``
  for w in 64 ... 1024.

Each point is the median epoch time over epochs 2..N of N ``partial_fit``
calls (one epoch each, as in ``bench_epoch.py``). The tables give seconds per
epoch, microseconds per sample and the per-sample time relative to the
smallest point: flat in the sample sweep means the epoch time is linear in the
samples. The width table adds the rate of matrix-product arithmetic achieved
(2 x multiply-adds of the forward and backward products per epoch / epoch time).

Run (about 2 minutes on two cores)::

    python benchmarks/bench_scaling.py --data idx:PATH/TO/fashion-mnist
"""

import argparse
import statistics
import time

import numpy as np

from _harness import (benchmark_parser, data_name, emit, limit_threads, load,
                      machine_summary, markdown_table, parse_benchmark_args,
                      run_benchmark, run_worker, write_result)

SAMPLES = (1000, 2000, 5000, 10000, 20000, 40000, 60000)
WIDTHS = (64, 128, 256, 512, 1024)


def flops_per_sample(sizes):
    """2 x multiply-adds per sample: forward ``A @ W``, gradient ``A.T @ delta``,
    and ``delta @ W.T`` back to every hidden layer (not to the input)."""
    return sum(2 * i * o * (3 if k > 0 else 2)
               for k, (i, o) in enumerate(zip(sizes, sizes[1:])))


def worker(args):
    from skmlp_scratch import MLPScratchClassifier

    limit_threads(args.threads)
    X, _, y, _ = load(args.data, np.float32)
    n = min(args.n_samples, len(X))
    X, y = X[:n], y[:n]
    classes = np.unique(y)
    clf = MLPScratchClassifier(args.hidden, batch_size=args.batch_size,
                               alpha=1e-4, learning_rate_init=1e-3, random_state=0)
    times = []
    for _ in range(args.epochs):  # partial_fit runs exactly one epoch
        start = time.perf_counter()
        clf.partial_fit(X, y, classes=classes)
        times.append(time.perf_counter() - start)
    emit({"times": times, "n_samples": n, "n_features": X.shape[1],
          "n_outputs": len(classes)})


def point(args, n_samples, hidden):
    print(f"n_samples {n_samples}, hidden {hidden}", flush=True)
    result = run_worker(__file__, [
        "--data", args.data, "--epochs", str(args.epochs), "--batch-size",
        str(args.batch_size), "--threads", str(args.threads), "--n-samples",
        str(n_samples), "--hidden", ",".join(map(str, hidden))], args.threads)
    seconds = statistics.median(result["times"][1:] or result["times"])
    sizes = [result["n_features"], *hidden, result["n_outputs"]]
    return {"n_samples": result["n_samples"], "hidden": list(hidden), "sizes": sizes,
            "times": result["times"], "seconds_per_epoch": seconds,
            "us_per_sample": 1e6 * seconds / result["n_samples"],
            "gflops": flops_per_sample(sizes) * result["n_samples"] / seconds / 1e9}


def run_all(args):
    n_rows = len(load(args.data, np.float32)[0])
    sample_points = sorted({min(n, n_rows) for n in args.samples})
    n_width = min(args.width_samples, n_rows)
    by_samples = [point(args, n, (256, 128)) for n in sample_points]
    by_width = [point(args, n_width, (w, w // 2)) for w in args.widths]
    for points in (by_samples, by_width):
        for p in points:
            p["per_sample_ratio"] = p["us_per_sample"] / points[0]["us_per_sample"]
    sizes = by_samples[0]["sizes"]
    samples_rows = [[f"{p['n_samples']:,}", f"{p['seconds_per_epoch']:.3f}",
                     f"{p['us_per_sample']:.1f}", f"{p['per_sample_ratio']:.2f}"]
                    for p in by_samples]
    width_rows = [[f"{p['hidden'][0]}, {p['hidden'][1]}",
                   f"{p['seconds_per_epoch']:.3f}", f"{p['us_per_sample']:.1f}",
                   f"{p['per_sample_ratio']:.2f}",
                   f"{flops_per_sample(p['sizes']) / 1e6:.2f}", f"{p['gflops']:.1f}"]
                  for p in by_width]
    name = data_name(args.data)
    text = "\n".join([
        f"# Epoch-time scaling of ours, float32: {name}, Adam, batch {args.batch_size}",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Median epoch time over epochs 2..{args.epochs} of `partial_fit`, one fresh "
        "process per point.",
        "",
        f"## Against the number of samples, {'-'.join(map(str, sizes))}",
        "",
        "Per-sample ratio: microseconds per sample relative to the smallest size "
        "(1.00 throughout = epoch time linear in the samples).",
        "",
        markdown_table(["samples", "s/epoch", "us/sample", "per-sample ratio"],
                       samples_rows),
        "",
        f"## Against the hidden width, hidden (w, w // 2), {n_width:,} samples",
        "",
        "Per-sample ratio relative to the narrowest network; MFLOP/sample counts "
        "the matrix products of one training step per sample.",
        "",
        markdown_table(["hidden", "s/epoch", "us/sample", "per-sample ratio",
                        "MFLOP/sample", "GFLOP/s"], width_rows),
        "",
        f"Reproduce: `python benchmarks/bench_scaling.py --data {args.data}`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "samples": by_samples, "width": by_width}
    write_result(args.name, text, data)


def int_list(text):
    return tuple(int(v) for v in text.split(","))


def parse_args(argv=None):
    parser = benchmark_parser(__doc__, worker_flag=True)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--samples", type=int_list, default=SAMPLES,
                        help="sample counts of the first sweep (capped at the rows)")
    parser.add_argument("--widths", type=int_list, default=WIDTHS,
                        help="first hidden widths of the second sweep")
    parser.add_argument("--width-samples", type=int, default=60000,
                        help="training rows of the width sweep (capped at the rows)")
    # worker only
    parser.add_argument("--n-samples", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hidden", type=int_list, help=argparse.SUPPRESS)
    return parse_benchmark_args(parser, "scaling", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
