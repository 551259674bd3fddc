"""Epoch time of MLPScratchClassifier against scikit-learn's MLPClassifier and PyTorch.

Same data, architecture, optimizer (Adam, lr 1e-3), batch, epochs, L2 and
thread count for every peer. Each peer trains in its own fresh process, the
peers run in alternating order, and the table reports the median epoch time
after the first epoch, the ratio of ours to each peer, test accuracy, the peak
resident memory the training added, and the matrix-product rate achieved
against NumPy's own rate on the same shapes, measured in the same run.

PyTorch is optional: ``pip install torch==2.13.0`` (that exact pin is the CPU
build here; an unpinned install pulls a multi-GB CUDA build). Without it the
torch row is skipped.

Run (about 4 minutes on two cores)::

    python benchmarks/bench_epoch.py --data idx:PATH/TO/fashion-mnist
"""

import statistics
import time

import numpy as np

from _harness import (PeakMemory, benchmark_parser, emit, epoch_stats, installed_peers,
                      limit_threads, load, machine_summary, markdown_table,
                      parse_benchmark_args, run_benchmark, run_worker,
                      time_partial_fit_epochs, time_torch_epochs, torch_mlp,
                      training_arguments, write_result)

PEERS = ["ours-float32", "sklearn-float32", "torch-float32", "ours-float64",
         "sklearn-float64"]


# ------------------------------------------------------------------ peers


def train_ours(X, y, X_test, y_test, args):
    from skmlp_scratch import MLPScratchClassifier

    clf = MLPScratchClassifier(args.hidden, batch_size=args.batch_size,
                               alpha=args.alpha, learning_rate_init=1e-3,
                               random_state=0)
    return _partial_fit_epochs(clf, X, y, X_test, y_test, args.epochs)


def train_sklearn(X, y, X_test, y_test, args):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(args.hidden, batch_size=args.batch_size, alpha=args.alpha,
                        learning_rate_init=1e-3, random_state=0)
    return _partial_fit_epochs(clf, X, y, X_test, y_test, args.epochs)


def _partial_fit_epochs(clf, X, y, X_test, y_test, epochs):
    times = time_partial_fit_epochs(clf, X, y, epochs, classes=np.unique(y))
    return times, float(clf.score(X_test, y_test))


def train_torch(X, y, X_test, y_test, args):
    import torch
    from torch import nn

    model, optimizer = torch_mlp(X.shape[1], int(y.max()) + 1, args)
    times = time_torch_epochs(model, optimizer, nn.CrossEntropyLoss(),
                              torch.from_numpy(X), torch.from_numpy(y), args)
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(1).numpy()
    return times, float(np.mean(predicted == y_test))


TRAINERS = {"ours": train_ours, "sklearn": train_sklearn, "torch": train_torch}


# ------------------------------------------------------------------ GEMM


def gemm_calls(batch, sizes, dtype, rng):
    """The matrix products of one training step, as closures on preallocated arrays.

    Mirrors the core: ``A @ W`` forward, ``A_prev.T @ delta`` for the weight
    gradients and ``delta @ W.T`` back to every hidden layer.
    """
    A = [rng.random((batch, s)).astype(dtype) for s in sizes]
    W = [rng.random((i, o)).astype(dtype) for i, o in zip(sizes, sizes[1:])]
    G = [np.empty_like(w) for w in W]
    D = [np.empty_like(a) for a in A]
    calls = []
    for i in range(len(W)):
        calls.append((lambda i=i: np.matmul(A[i], W[i], out=A[i + 1]),
                      2 * batch * sizes[i] * sizes[i + 1]))
        calls.append((lambda i=i: np.matmul(A[i].T, D[i + 1], out=G[i]),
                      2 * batch * sizes[i] * sizes[i + 1]))
        if i > 0:
            calls.append((lambda i=i: np.matmul(D[i + 1], W[i].T, out=D[i]),
                          2 * batch * sizes[i] * sizes[i + 1]))
    return calls


def flops_per_epoch(n_samples, batch, sizes):
    """Multiply-adds x 2 of every matrix product an epoch executes."""
    per_row = sum(2 * i * o * (3 if k > 0 else 2)
                  for k, (i, o) in enumerate(zip(sizes, sizes[1:])))
    return per_row * n_samples  # every product is linear in the batch rows


def measure_gemm(dtype, args, n_features, n_outputs):
    sizes = [n_features, *args.hidden, n_outputs]
    calls = gemm_calls(args.batch_size, sizes, dtype, np.random.default_rng(0))
    for call, _ in calls:  # warm up BLAS and the caches
        call()
    flops = sum(f for _, f in calls)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(100):
            for call, _ in calls:
                call()
        rates.append(100 * flops / (time.perf_counter() - start))
    return statistics.median(rates)


# ------------------------------------------------------------------ driver


def worker(args):
    limit_threads(args.threads)
    peer, dtype_name = args.worker.rsplit("-", 1)
    dtype = np.dtype(dtype_name)
    X, X_test, y, y_test = load(args.data, dtype)
    if peer == "gemm":
        emit({"rate": measure_gemm(dtype, args, X.shape[1], int(y.max()) + 1)})
        return
    with PeakMemory() as memory:
        times, accuracy = TRAINERS[peer](X, y, X_test, y_test, args)
    emit({"times": times, "accuracy": accuracy, "rss_added_mib": memory.added_mib,
          "n_samples": len(X), "n_features": X.shape[1], "n_outputs": int(y.max()) + 1})


def run_all(args):
    peers = installed_peers(PEERS)
    common = training_arguments(args)
    runs = {p: [] for p in peers}
    gemm = {}
    for repeat in range(args.repeats):
        # alternate the order so no peer always runs on a warmer or cooler machine
        for peer in peers if repeat % 2 == 0 else peers[::-1]:
            print(f"run {repeat + 1}/{args.repeats}: {peer}", flush=True)
            runs[peer].append(run_worker(__file__, [peer, *common], args.threads))
        for dtype in ("float32", "float64"):
            gemm.setdefault(dtype, []).append(
                run_worker(__file__, [f"gemm-{dtype}", *common], args.threads)["rate"])
    return summarise(runs, gemm, args)


def summarise(runs, gemm, args):
    first = next(iter(runs.values()))[0]
    sizes = [first["n_features"], *args.hidden, first["n_outputs"]]
    flops = flops_per_epoch(first["n_samples"], args.batch_size, sizes)
    gemm_rate = {d: statistics.median(r) for d, r in gemm.items()}
    stats = {}
    for peer, results in runs.items():
        stats[peer] = epoch_stats(results, "accuracy")
    rows = []
    for peer, s in stats.items():
        name, dtype = peer.rsplit("-", 1)
        ours = stats[f"ours-{dtype}"]["seconds_per_epoch"]
        achieved = flops / s["seconds_per_epoch"]
        fastest_ours = stats[f"ours-{dtype}"]["fastest_epoch"]
        s.update(ratio_ours_to_peer=ours / s["seconds_per_epoch"],
                 fastest_ratio_ours_to_peer=fastest_ours / s["fastest_epoch"],
                 samples_per_second=first["n_samples"] / s["seconds_per_epoch"],
                 gflops=achieved / 1e9, percent_of_gemm=100 * achieved / gemm_rate[dtype])
        rows.append([name, dtype, f"{s['seconds_per_epoch']:.3f}",
                     "-" if name == "ours" else f"{s['ratio_ours_to_peer']:.2f}",
                     f"{s['fastest_epoch']:.3f}",
                     "-" if name == "ours" else f"{s['fastest_ratio_ours_to_peer']:.2f}",
                     f"{s['samples_per_second']:,.0f}", f"{s['accuracy']:.4f}",
                     f"{s['rss_added_mib']:.1f}", f"{s['gflops']:.1f}",
                     f"{s['percent_of_gemm']:.0f} %"])
    header = ["peer", "input", "s/epoch", "ours / peer", "fastest epoch (s)",
              "ours / peer, fastest", "samples/s", "test acc",
              "peak RSS added (MiB)", "GFLOP/s", "% of GEMM rate"]
    text = "\n".join([
        f"# Epoch time: {args.data.split('/')[-1]}, {'-'.join(map(str, sizes))}, "
        f"batch {args.batch_size}, Adam, {args.epochs} epochs",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Median (and fastest) epoch time after the first epoch over {args.repeats} "
        "alternating "
        f"runs per peer. NumPy GEMM rate on the training shapes, same run: "
        f"{gemm_rate['float32'] / 1e9:.1f} GFLOP/s (float32), "
        f"{gemm_rate['float64'] / 1e9:.1f} GFLOP/s (float64); "
        f"{flops / 1e9:.1f} GFLOP of matrix products per epoch.",
        "",
        markdown_table(header, rows),
        "",
        f"Reproduce: `python benchmarks/bench_epoch.py --data {args.data}`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "gemm_rate": gemm_rate, "flops_per_epoch": flops, "peers": stats,
            "runs": runs}
    write_result(args.name, text, data)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", default="256,128",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=2)
    return parse_benchmark_args(parser, "epoch", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
