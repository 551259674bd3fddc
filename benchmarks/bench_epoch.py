"""Epoch time of MLPScratchClassifier against scikit-learn's MLPClassifier and PyTorch.

Same data, architecture, optimizer (Adam, lr 1e-3), batch, epochs, L2 and
thread count for every peer; PyTorch uses its fused Adam kernel. Each peer
trains in its own fresh process, the peers run in alternating order, and the
table reports the median and the fastest epoch after the first (wall
seconds), the mean CPU seconds of those epochs (every thread of the
process), the ratio of ours to each peer, test accuracy, the peak resident
memory the training added, and the share of the epoch that the matrix
products alone would take: the same products on the same shapes, timed alone
in the same run (the GEMM floor), over the epoch time, in wall seconds and
in CPU seconds (the figure a busy machine disturbs least, with one thread).

A last worker profiles our training step (``--worker profile-float32``):
each phase (gathering the batch, forward, loss, backward, optimizer step) and
the matrix products inside it are timed on one batch, many times over, so
the table shows how much of each phase is matrix products and how much is
element-wise NumPy work and call overhead.

The load average of the machine at the start and the end is printed with
the results: on a shared machine the ratios of the same run are what count.

PyTorch is optional: ``pip install torch==2.13.0`` (that exact pin is the CPU
build here; an unpinned install pulls a multi-GB CUDA build). Without it the
torch row is skipped.

Run (about 4 minutes on two idle cores)::

    python benchmarks/bench_epoch.py --data idx:PATH/TO/fashion-mnist
"""

import os
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
    cpu = []
    times = time_partial_fit_epochs(clf, X, y, epochs, cpu_times=cpu,
                                    classes=np.unique(y))
    return times, cpu, float(clf.score(X_test, y_test))


def train_torch(X, y, X_test, y_test, args):
    import torch
    from torch import nn

    model, optimizer = torch_mlp(X.shape[1], int(y.max()) + 1, args, fused=True)
    cpu = []
    times = time_torch_epochs(model, optimizer, nn.CrossEntropyLoss(),
                              torch.from_numpy(X), torch.from_numpy(y), args,
                              cpu_times=cpu)
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(1).numpy()
    return times, cpu, float(np.mean(predicted == y_test))


TRAINERS = {"ours": train_ours, "sklearn": train_sklearn, "torch": train_torch}


# ------------------------------------------------------------------ GEMM


def gemm_calls(batch, sizes, dtype, rng):
    """The matrix products of one training step, as closures on preallocated arrays.

    Mirrors the core: ``A @ W`` forward, ``A_prev.T @ delta`` for the weight
    gradients and ``delta @ W.T`` back to every hidden layer.
    """
    # values of the size a network holds: uninitialised memory may hold
    # subnormal numbers, which slow some kernels down
    A = [rng.random((batch, s)).astype(dtype) for s in sizes]
    W = [(rng.random((i, o)) / i).astype(dtype) for i, o in zip(sizes, sizes[1:])]
    G = [np.empty_like(w) for w in W]
    D = [rng.standard_normal((batch, s)).astype(dtype) / batch for s in sizes]
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
    rates, cpu_rates = [], []
    for _ in range(5):
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(100):
            for call, _ in calls:
                call()
        rates.append(100 * flops / (time.perf_counter() - start))
        cpu_rates.append(100 * flops / (time.process_time() - cpu))
    return statistics.median(rates), statistics.median(cpu_rates)


# ------------------------------------------------------------------ driver


def worker(args):
    limit_threads(args.threads)
    peer, dtype_name = args.worker.rsplit("-", 1)
    dtype = np.dtype(dtype_name)
    X, X_test, y, y_test = load(args.data, dtype)
    if peer == "gemm":
        rate, cpu_rate = measure_gemm(dtype, args, X.shape[1], int(y.max()) + 1)
        emit({"rate": rate, "cpu_rate": cpu_rate})
        return
    if peer == "profile":
        from profile_step import profile_step

        emit(profile_step(X, y, args))
        return
    with PeakMemory() as memory:
        times, cpu, accuracy = TRAINERS[peer](X, y, X_test, y_test, args)
    emit({"times": times, "cpu_times": cpu, "accuracy": accuracy,
          "rss_added_mib": memory.added_mib, "n_samples": len(X),
          "n_features": X.shape[1], "n_outputs": int(y.max()) + 1})


def run_all(args):
    peers = [p for p in installed_peers(PEERS) if p.rsplit("-", 1)[1] in args.dtypes]
    common = training_arguments(args)
    runs = {p: [] for p in peers}
    gemm = {}
    load_start = os.getloadavg()
    for repeat in range(args.repeats):
        # alternate the order so no peer always runs on a warmer or cooler machine
        for peer in peers if repeat % 2 == 0 else peers[::-1]:
            print(f"run {repeat + 1}/{args.repeats}: {peer}", flush=True)
            runs[peer].append(run_worker(__file__, [peer, *common], args.threads))
        for dtype in args.dtypes:
            gemm.setdefault(dtype, []).append(
                run_worker(__file__, [f"gemm-{dtype}", *common], args.threads))
    profile = run_worker(__file__, ["profile-float32", *common], args.threads)
    load = {"start": load_start, "end": os.getloadavg()}
    return summarise(runs, gemm, profile, load, args)


def summarise(runs, gemm, profile, load, args):
    first = next(iter(runs.values()))[0]
    sizes = [first["n_features"], *args.hidden, first["n_outputs"]]
    flops = flops_per_epoch(first["n_samples"], args.batch_size, sizes)
    gemm_rate = {d: statistics.median(g["rate"] for g in r) for d, r in gemm.items()}
    # CPU seconds of every thread: what a busy machine inflates least
    gemm_cpu_rate = {d: statistics.median(g["cpu_rate"] for g in r)
                     for d, r in gemm.items()}
    stats = {}
    for peer, results in runs.items():
        stats[peer] = epoch_stats(results, "accuracy")
        stats[peer]["cpu_per_epoch"] = statistics.mean(
            c for r in results for c in r["cpu_times"][1:])
    rows = []
    for peer, s in stats.items():
        name, dtype = peer.rsplit("-", 1)
        ours = stats[f"ours-{dtype}"]
        floor = flops / gemm_rate[dtype]  # seconds of the products alone
        s.update(ratio_ours_to_peer=ours["seconds_per_epoch"] / s["seconds_per_epoch"],
                 fastest_ratio_ours_to_peer=ours["fastest_epoch"] / s["fastest_epoch"],
                 cpu_ratio_ours_to_peer=ours["cpu_per_epoch"] / s["cpu_per_epoch"],
                 samples_per_second=first["n_samples"] / s["seconds_per_epoch"],
                 gemm_floor_seconds=floor,
                 percent_of_gemm=100 * floor / s["seconds_per_epoch"],
                 fastest_percent_of_gemm=100 * floor / s["fastest_epoch"],
                 gemm_floor_cpu_seconds=flops / gemm_cpu_rate[dtype],
                 cpu_percent_of_gemm=100 * flops / gemm_cpu_rate[dtype]
                 / s["cpu_per_epoch"])
        ratio = "-" if name == "ours" else (
            f"{s['ratio_ours_to_peer']:.2f} ({s['fastest_ratio_ours_to_peer']:.2f}; "
            f"CPU {s['cpu_ratio_ours_to_peer']:.2f})")
        rows.append([name, dtype, f"{s['seconds_per_epoch']:.3f}",
                     f"{s['fastest_epoch']:.3f}", f"{s['cpu_per_epoch']:.3f}", ratio,
                     f"{s['samples_per_second']:,.0f}", f"{s['accuracy']:.4f}",
                     f"{s['rss_added_mib']:.1f}",
                     f"{s['percent_of_gemm']:.0f} % "
                     f"({s['fastest_percent_of_gemm']:.0f} %; "
                     f"CPU {s['cpu_percent_of_gemm']:.0f} %)"])
    header = ["peer", "input", "s/epoch, median", "fastest", "CPU s/epoch",
              "ours / peer: median (fastest; CPU)", "samples/s", "test acc",
              "peak RSS added (MiB)", "GEMM floor / epoch: median (fastest; CPU)"]
    text = "\n".join([
        f"# Epoch time: {args.data.split('/')[-1]}, {'-'.join(map(str, sizes))}, "
        f"batch {args.batch_size}, Adam, {args.epochs} epochs",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        "Load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{v:.1f}" for v in load["start"]) + "; at the end: "
        + ", ".join(f"{v:.1f}" for v in load["end"])
        + f" (on {os.cpu_count()} cores, shared with other jobs).",
        f"Median and fastest epoch (wall) after the first epoch over {args.repeats} "
        "alternating runs per peer; CPU is the mean over the same epochs of the "
        "process's CPU seconds, every thread. PyTorch uses its fused Adam. GEMM "
        "floor: the epoch's matrix products alone on the same shapes, same run: "
        + "; ".join(f"{gemm_rate[d] / 1e9:.1f} GFLOP/s, {flops / gemm_rate[d]:.3f} s "
                    f"per epoch, {flops / gemm_cpu_rate[d]:.3f} CPU s ({d})"
                    for d in args.dtypes)
        + f"; {flops / 1e9:.1f} GFLOP of matrix products per epoch.",
        "",
        markdown_table(header, rows),
        "",
        *targets_text(stats),
        "",
        *profile_text(profile),
        "",
        f"Reproduce: `python benchmarks/bench_epoch.py --data {args.data}`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "load_average": load, "gemm_rate": gemm_rate,
            "gemm_cpu_rate": gemm_cpu_rate, "flops_per_epoch": flops,
            "peers": stats, "profile": profile, "runs": runs}
    write_result(args.name, text, data)


def targets_text(stats):
    """Issue 26's targets for float32, met or missed, median (fastest)."""
    if "ours-float32" not in stats:
        return []
    lines = ["Targets (float32), median (fastest):", ""]
    for peer, target in (("torch-float32", 0.6), ("sklearn-float32", 0.4)):
        if peer in stats:
            s = stats[peer]
            met = "met" if s["ratio_ours_to_peer"] <= target else "missed"
            lines.append(f"- ours / {peer.split('-')[0]} <= {target}: "
                         f"{s['ratio_ours_to_peer']:.2f} "
                         f"({s['fastest_ratio_ours_to_peer']:.2f}), {met}")
    ours = stats["ours-float32"]
    met = "met" if ours["percent_of_gemm"] >= 80 else "missed"
    lines.append(f"- GEMM floor >= 80 % of our epoch: {ours['percent_of_gemm']:.0f} % "
                 f"({ours['fastest_percent_of_gemm']:.0f} %; in CPU seconds "
                 f"{ours['cpu_percent_of_gemm']:.0f} %), {met}")
    return lines


def profile_text(profile):
    """The table of where one training step of ours spends its time."""
    rows = [[phase, f"{p['cpu_us']:.0f}", f"{p['gemm_cpu_us']:.0f}",
             f"{p['cpu_us'] - p['gemm_cpu_us']:.0f}", f"{p['wall_us']:.0f}"]
            for phase, p in profile["phases"].items()]
    total = profile["step"]
    rows.append(["whole step", f"{total['cpu_us']:.0f}", f"{total['gemm_cpu_us']:.0f}",
                 f"{total['cpu_us'] - total['gemm_cpu_us']:.0f}",
                 f"{total['wall_us']:.0f}"])
    return [
        f"Where a training step of ours goes (float32, batch {profile['batch_size']}, "
        f"{profile['threads']} BLAS threads; each phase timed alone on one batch, "
        "median of repeated blocks; µs per step):",
        "",
        markdown_table(["phase", "CPU", "of which matrix products (timed alone)",
                        "rest: element-wise and calls", "wall"], rows),
    ]


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", default="256,128",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dtypes", default=("float32", "float64"),
                        type=lambda s: tuple(s.split(",")),
                        help="input types to run (default: float32,float64)")
    return parse_benchmark_args(parser, "epoch", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
