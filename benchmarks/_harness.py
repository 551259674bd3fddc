"""Shared pieces of the benchmarks: data, thread limits, resident memory, tables.

Each measurement runs in a fresh Python process (``python -m`` of the
benchmark with ``--worker``), so the peak memory one estimator adds is not
hidden by what an earlier one left behind, and no run warms another's caches.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def load(data, dtype=np.float32):
    """``X_train, X_test, y_train, y_test`` of ``digits`` or ``idx:DIRECTORY``."""
    from skmlp_scratch.datasets import load_dataset

    return load_dataset(data, dtype=dtype)


def limit_threads(n_threads):
    """Limit BLAS / OpenMP threads for the rest of this (worker) process."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(n_threads)


def current_rss():
    """Resident memory of this process in bytes, read from /proc."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Highest resident memory reached while the block runs, above its start.

    Linux keeps a high-water mark of resident memory (``VmHWM``); writing 5
    to ``/proc/self/clear_refs`` resets it to the current size, so the mark
    read at the end is the peak of the block alone, found without a sampling
    thread that would compete with the measured code for the GIL.
    """

    def __enter__(self):
        release_freed_memory()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        self.start = current_rss()
        return self

    def __exit__(self, *exc):
        self.peak = max(_high_water_mark(), current_rss())

    @property
    def added_mib(self):
        return (self.peak - self.start) / 2**20


def release_freed_memory():
    """Hand memory freed so far back to the system before a measurement.

    glibc keeps freed blocks resident, up to tens of MiB; allocations that
    reuse them would not show in the resident memory of the measured block.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _high_water_mark():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def run_worker(script, args, n_threads):
    """Run ``script --worker ARGS`` in a fresh process; return its JSON result."""
    env = dict(os.environ, OMP_NUM_THREADS=str(n_threads),
               OPENBLAS_NUM_THREADS=str(n_threads), MKL_NUM_THREADS=str(n_threads))
    done = subprocess.run([sys.executable, str(script), "--worker", *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def emit(result):
    """A worker's last line of output: its result as JSON."""
    print(json.dumps(result), flush=True)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    out = function(*args, **kwargs)
    return out, time.perf_counter() - start


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_summary(n_threads):
    import platform

    import scipy
    import sklearn

    import skmlp_scratch

    versions = (f"skmlp_scratch {skmlp_scratch.__version__}, numpy {np.__version__}, "
                f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
    try:
        import torch
        versions += f", torch {torch.__version__}"
    except ImportError:
        versions += ", torch not installed"
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{n_threads} BLAS threads; Python {platform.python_version()}; {versions}")


def benchmark_parser(doc, threads_help="BLAS threads of each peer", worker_flag=False):
    """Parser with the options every benchmark takes; the script adds its own.

    Parameters
    ----------
    doc : str
        The script's docstring; its first line describes the script.
    threads_help : str
        Help of ``--threads``.
    worker_flag : bool, default=False
        Whether ``--worker`` (set by the harness in a worker process) is a
        flag rather than the name of the peer to run.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--data", default="digits",
                        help="'digits' or 'idx:DIRECTORY' of MNIST-format files")
    parser.add_argument("--threads", type=int, default=2, help=threads_help)
    parser.add_argument("--name", default=None,
                        help="result file name under benchmarks/results/")
    if worker_flag:
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    else:
        parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser


def parse_benchmark_args(parser, prefix, argv=None):
    """Parse; the result name defaults to ``prefix`` and the data set's name."""
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = result_name(prefix, args.data)
    return args


def run_benchmark(parse_args, worker, run_all, argv=None):
    """Run one peer in a worker process (``--worker``), else the whole benchmark."""
    args = parse_args(argv)
    (worker if args.worker else run_all)(args)


def data_name(data):
    """``digits``, or ``<folder>`` for ``--data idx:.../<folder>``."""
    return "digits" if data == "digits" else Path(data[4:]).name


def result_name(prefix, data):
    """``prefix_digits`` or ``prefix_<folder>`` for ``--data idx:.../<folder>``."""
    return f"{prefix}_{data_name(data)}"


def write_result(name, text, data):
    """Write ``<name>.md`` and ``<name>.json`` under ``results/`` and print the table.

    ``name`` may also be an absolute path (a smoke test's temporary file):
    joined to ``RESULTS`` it stays as it is.
    """
    path = RESULTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{path}.md").write_text(text)
    Path(f"{path}.json").write_text(json.dumps(data, indent=1))
    print(text)
    print(f"\nwritten to {path}.md and .json")


# ------------------------------------------------------------ shared peers


def time_partial_fit_epochs(estimator, X, y, epochs, cpu_times=None, **fit_params):
    """Seconds of each of ``epochs`` calls of ``partial_fit``, one epoch each.

    The same loop times our estimators and scikit-learn's, so both pay the
    same per-call costs. A list given as ``cpu_times`` receives the CPU
    seconds of this process (every thread) of each epoch.
    """
    times = []
    for _ in range(epochs):
        start, cpu = time.perf_counter(), time.process_time()
        estimator.partial_fit(X, y, **fit_params)
        times.append(time.perf_counter() - start)
        if cpu_times is not None:
            cpu_times.append(time.process_time() - cpu)
    return times


def torch_mlp(n_inputs, n_outputs, args, fused=False):
    """A relu network with ``args.hidden`` layers and Adam as our peers train it.

    scikit-learn's L2 term adds ``alpha / batch_size * W`` to each batch
    gradient, so the weights (not the biases) get that ``weight_decay``.
    ``fused=True`` takes PyTorch's fused Adam kernel (one pass per step over
    all parameters, on the CPU since PyTorch 2.4).

    Returns
    -------
    model, optimizer : torch.nn.Sequential, torch.optim.Adam
    """
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    sizes = [n_inputs, *args.hidden]
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], n_outputs))
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam(
        [{"params": weights, "weight_decay": args.alpha / args.batch_size},
         {"params": biases, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.999),
        eps=1e-8, **({"fused": True} if fused else {}))
    return model, optimizer


def time_torch_epochs(model, optimizer, loss_fn, X_t, y_t, args, cpu_times=None):
    """Train ``model`` for ``args.epochs`` shuffled epochs; seconds of each.

    A list given as ``cpu_times`` receives the CPU seconds of each epoch.
    """
    import torch

    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(args.epochs):
        start, cpu = time.perf_counter(), time.process_time()
        order = torch.randperm(len(X_t), generator=generator)
        for i in range(0, len(order), args.batch_size):
            rows = order[i:i + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X_t[rows]), y_t[rows]).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
        if cpu_times is not None:
            cpu_times.append(time.process_time() - cpu)
    return times


def epoch_stats(results, score):
    """Summary of one peer's runs: epoch times, its ``score`` field, memory.

    Parameters
    ----------
    results : list of dict
        One per run, with ``times`` (seconds per epoch), ``score`` and
        ``rss_added_mib``.
    score : str
        The name of the score field, e.g. ``"accuracy"`` or ``"r2"``.

    Returns
    -------
    stats : dict
        The median epoch after the first of every run, the fastest such
        epoch (the machine's speed drifts; the fastest is the least disturbed
        one, so its ratio is shown beside the median's), the median score and
        the largest memory added.
    """
    epochs = [t for r in results for t in r["times"][1:]]
    return {"seconds_per_epoch": statistics.median(epochs),
            "fastest_epoch": min(epochs),
            score: statistics.median(r[score] for r in results),
            "rss_added_mib": max(r["rss_added_mib"] for r in results)}


def installed_peers(peers):
    """``peers`` less the torch ones when PyTorch is not installed, saying so."""
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        return list(peers)
    print("torch is not installed: its row is skipped "
          "(pip install torch==2.13.0 for the CPU build)")
    return [p for p in peers if not p.startswith("torch")]


def training_arguments(args):
    """The command-line options every worker of an epoch benchmark is given."""
    return ["--data", args.data, "--epochs", str(args.epochs), "--batch-size",
            str(args.batch_size), "--hidden", ",".join(map(str, args.hidden)),
            "--threads", str(args.threads), "--alpha", str(args.alpha)]

