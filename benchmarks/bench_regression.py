"""Epoch time of MLPScratchRegressor against scikit-learn's MLPRegressor and PyTorch.

The regression problem has the size of the classification benchmark
(``bench_epoch.py``): the pixels of the data set (Fashion-MNIST: 60,000 x
784 training rows, 10,000 test rows) mapped to one continuous target. The
target is the output of a fixed random *teacher* network, 784-32-1 with tanh,
plus a little noise, so it depends on the whole image in a non-linear way and
the best achievable test R^2 is known (about 0.99):

* pixels centred by their training means; first-layer weights drawn N(0, 1),
  each of the 32 columns then scaled so its pre-activation has standard
  deviation 2 over the training rows, so every tanh works well into its
  curved, saturating range; biases N(0, 0.5^2); output weights N(0, 1/32);
  no output bias;
* Gaussian noise of 0.1 times the clean target's training standard deviation
  (R^2 of the teacher itself: 1 / 1.01 = 0.990);
* standardized with the training mean and standard deviation.

A linear model (ridge) reaches a test R^2 of only about 0.84 on the clean
target, so the hidden layers have something to learn.

Everything is drawn from one ``numpy.random.default_rng(0)`` and computed in
float64 from the float32 pixels, on the full training set before
``--n-rows`` picks its first rows, so every peer, dtype and subsample sees
the same target for the same image.

Same data, architecture (hidden 256, 128, ReLU, one linear output),
optimizer (Adam, lr 1e-3), squared-error loss (halved mean, scikit-learn's),
batch, epochs, L2 and thread count for every peer; ours and scikit-learn run
one ``partial_fit`` per epoch. Each peer trains in its own fresh process, the
peers run in alternating order, and the table reports the median and the
fastest epoch time after the first epoch, the ratio of ours to each peer
(same input dtype; ours in float32 against PyTorch), test R^2 and the peak
resident memory the training added. Where ``epoch_<data>.json`` of
``bench_epoch.py`` exists, the classifier's ratios are shown beside them.
The issue's target: ours / scikit-learn <= 0.5 in float32.

PyTorch is optional: ``pip install torch==2.13.0`` (that exact pin is the CPU
build here; an unpinned install pulls a multi-GB CUDA build). Without it the
torch row is skipped.

Run (about 4 minutes on two cores)::

    python benchmarks/bench_regression.py --data idx:PATH/TO/fashion-mnist
"""

import json

import numpy as np

from _harness import (RESULTS, PeakMemory, benchmark_parser, data_name, emit,
                      epoch_stats, installed_peers, limit_threads, load,
                      machine_summary, markdown_table, parse_benchmark_args,
                      result_name, run_benchmark, run_worker, time_partial_fit_epochs,
                      time_torch_epochs, torch_mlp, training_arguments, write_result)

PEERS = ["ours-float32", "sklearn-float32", "torch-float32", "ours-float64",
         "sklearn-float64"]
TEACHER_HIDDEN = 32
TEACHER_SEED = 0
TEACHER_GAIN = 2.0  # standard deviation of the teacher's pre-activations
NOISE = 0.1  # noise standard deviation, relative to the clean target's
TARGET_RATIO = 0.5  # ours / scikit-learn in float32, from the issue


# ------------------------------------------------------------------ target


def teacher_targets(X_train, X_test):
    """Standardized outputs of the seeded 784-32-1 tanh teacher, plus noise.

    Parameters
    ----------
    X_train : ndarray of shape (n_train, n_features)
        Training pixels (any float dtype; rounded to float32 first so float32
        and float64 loads give the same target).
    X_test : ndarray of shape (n_test, n_features)
        Test pixels.

    Returns
    -------
    y_train : ndarray of shape (n_train,), float64
    y_test : ndarray of shape (n_test,), float64
    """
    rng = np.random.default_rng(TEACHER_SEED)
    train, test = (np.asarray(X, dtype=np.float32).astype(np.float64)
                   for X in (X_train, X_test))
    W1 = rng.standard_normal((train.shape[1], TEACHER_HIDDEN))
    b1 = 0.5 * rng.standard_normal(TEACHER_HIDDEN)
    w2 = rng.standard_normal(TEACHER_HIDDEN) / np.sqrt(TEACHER_HIDDEN)
    # (X - mean) @ W1 without a centred copy of X
    shift = train.mean(axis=0) @ W1
    Z_train, Z_test = train @ W1 - shift, test @ W1 - shift
    scale = Z_train.std(axis=0) / TEACHER_GAIN
    clean_train = np.tanh(Z_train / scale + b1) @ w2
    clean_test = np.tanh(Z_test / scale + b1) @ w2
    noise_sd = NOISE * clean_train.std()
    y_train = clean_train + noise_sd * rng.standard_normal(len(train))
    y_test = clean_test + noise_sd * rng.standard_normal(len(test))
    mean, sd = y_train.mean(), y_train.std()
    return (y_train - mean) / sd, (y_test - mean) / sd


def load_regression(args, dtype):
    """``X_train, X_test, y_train, y_test`` with the teacher's targets in ``dtype``."""
    X, X_test, _, _ = load(args.data, dtype)
    y, y_test = teacher_targets(X, X_test)
    if args.n_rows is not None and args.n_rows < len(X):
        # a copy, so the full training set is freed before the measurement
        X, y = X[:args.n_rows].copy(), y[:args.n_rows]
    return X, X_test, y.astype(dtype), y_test.astype(dtype)


# ------------------------------------------------------------------ peers


def train_ours(X, y, X_test, y_test, args):
    from skmlp_scratch import MLPScratchRegressor

    reg = MLPScratchRegressor(hidden_layer_sizes=args.hidden,
                              batch_size=args.batch_size, alpha=args.alpha,
                              learning_rate_init=1e-3, random_state=0)
    return _partial_fit_epochs(reg, X, y, X_test, y_test, args.epochs)


def train_sklearn(X, y, X_test, y_test, args):
    from sklearn.neural_network import MLPRegressor

    reg = MLPRegressor(hidden_layer_sizes=args.hidden, batch_size=args.batch_size,
                       alpha=args.alpha, learning_rate_init=1e-3, random_state=0)
    return _partial_fit_epochs(reg, X, y, X_test, y_test, args.epochs)


def _partial_fit_epochs(reg, X, y, X_test, y_test, epochs):
    times = time_partial_fit_epochs(reg, X, y, epochs)
    return times, float(reg.score(X_test, y_test))


def train_torch(X, y, X_test, y_test, args):
    import torch
    from sklearn.metrics import r2_score
    from torch import nn

    model, optimizer = torch_mlp(X.shape[1], 1, args)
    mse = nn.MSELoss()

    def half_mse(predicted, target):
        return 0.5 * mse(predicted, target)  # scikit-learn's squared_error loss

    times = time_torch_epochs(model, optimizer, half_mse, torch.from_numpy(X),
                              torch.from_numpy(y).unsqueeze(1), args)
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).squeeze(1).numpy()
    return times, float(r2_score(y_test, predicted))


TRAINERS = {"ours": train_ours, "sklearn": train_sklearn, "torch": train_torch}


# ------------------------------------------------------------------ driver


def worker(args):
    limit_threads(args.threads)
    peer, dtype_name = args.worker.rsplit("-", 1)
    X, X_test, y, y_test = load_regression(args, np.dtype(dtype_name))
    with PeakMemory() as memory:
        times, r2 = TRAINERS[peer](X, y, X_test, y_test, args)
    emit({"times": times, "r2": r2, "rss_added_mib": memory.added_mib,
          "n_samples": len(X), "n_features": X.shape[1], "n_test": len(X_test)})


def run_all(args):
    peers = installed_peers(PEERS)
    common = training_arguments(args)
    if args.n_rows is not None:
        common += ["--n-rows", str(args.n_rows)]
    runs = {p: [] for p in peers}
    for repeat in range(args.repeats):
        # alternate the order so no peer always runs on a warmer or cooler machine
        for peer in peers if repeat % 2 == 0 else peers[::-1]:
            print(f"run {repeat + 1}/{args.repeats}: {peer}", flush=True)
            runs[peer].append(run_worker(__file__, [peer, *common], args.threads))
    return summarise(runs, args)


def classifier_ratios(data):
    """Ours / peer of ``bench_epoch.py``'s result on the same data, or {}."""
    path = RESULTS / f"{result_name('epoch', data)}.json"
    if not path.exists():
        return {}
    peers = json.loads(path.read_text())["peers"]
    return {peer: s["ratio_ours_to_peer"] for peer, s in peers.items()}


def changed_options(args):
    """The command-line options of ``args`` that differ from their defaults."""
    defaults = vars(parse_args([]))
    options = []
    for key, value in vars(args).items():
        if key not in ("data", "name", "worker") and value != defaults[key]:
            text = ",".join(map(str, value)) if isinstance(value, tuple) else value
            options.append(f"--{key.replace('_', '-')} {text}")
    return options


def summarise(runs, args):
    first = next(iter(runs.values()))[0]
    sizes = [first["n_features"], *args.hidden, 1]
    classifier = classifier_ratios(args.data)
    stats = {}
    for peer, results in runs.items():
        stats[peer] = epoch_stats(results, "r2")
    rows = []
    for peer, s in stats.items():
        name, dtype = peer.rsplit("-", 1)
        ours = stats[f"ours-{dtype}"]
        s.update(ratio_ours_to_peer=ours["seconds_per_epoch"] / s["seconds_per_epoch"],
                 fastest_ratio_ours_to_peer=ours["fastest_epoch"] / s["fastest_epoch"],
                 samples_per_second=first["n_samples"] / s["seconds_per_epoch"])
        ratios = ["-"] * 3 if name == "ours" else [
            f"{s['ratio_ours_to_peer']:.2f}", f"{s['fastest_ratio_ours_to_peer']:.2f}",
            f"{classifier[peer]:.2f}" if peer in classifier else "n/a"]
        rows.append([name, dtype, f"{s['seconds_per_epoch']:.3f}", ratios[0],
                     f"{s['fastest_epoch']:.3f}", ratios[1], ratios[2],
                     f"{s['samples_per_second']:,.0f}", f"{s['r2']:.4f}",
                     f"{s['rss_added_mib']:.1f}"])
    header = ["peer", "input", "s/epoch", "ours / peer", "fastest epoch (s)",
              "ours / peer, fastest", "classifier ours / peer", "samples/s",
              "test R^2", "peak RSS added (MiB)"]
    target = stats.get("sklearn-float32", {}).get("ratio_ours_to_peer")
    rows_note = ("all training rows" if args.n_rows is None
                 else f"the first {first['n_samples']:,} training rows")
    reproduce = " ".join(["python benchmarks/bench_regression.py --data", args.data,
                          *changed_options(args)])
    text = "\n".join([
        f"# Regression epoch time: {data_name(args.data)}, "
        f"{'-'.join(map(str, sizes))}, batch {args.batch_size}, Adam, "
        f"{args.epochs} epochs",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Target: a seeded {first['n_features']}-{TEACHER_HIDDEN}-1 tanh teacher on the pixels plus "
        f"noise ({NOISE:g} of its standard deviation), standardized; best "
        f"achievable test R^2 about {1 / (1 + NOISE ** 2):.3f}. Trained on "
        f"{rows_note}, tested on {first['n_test']:,} rows. Median (and fastest) "
        f"epoch time after the first epoch over {args.repeats} alternating runs "
        "per peer. Classifier column: ours / peer of the median in "
        f"`{result_name('epoch', args.data)}.md` (bench_epoch.py), where it exists.",
        "",
        markdown_table(header, rows),
        "",
        (f"Issue's target: ours / scikit-learn <= {TARGET_RATIO} in float32: "
         f"**{'met' if target <= TARGET_RATIO else 'not met'}** ({target:.2f})."
         if target is not None else ""),
        "",
        f"Reproduce: `{reproduce}`",
        "",
    ])
    data = {"settings": {k: v for k, v in vars(args).items() if k != "worker"},
            "target": {"teacher": f"{first['n_features']}-{TEACHER_HIDDEN}-1 tanh",
                       "seed": TEACHER_SEED, "gain": TEACHER_GAIN,
                       "noise": NOISE},
            "classifier_ratios": classifier, "peers": stats, "runs": runs}
    write_result(args.name, text, data)


def parse_args(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", default="256,128",
                        type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--n-rows", type=int, default=None,
                        help="train on the first N training rows (default: all); "
                             "for quick checks")
    return parse_benchmark_args(parser, "regression", argv)


if __name__ == "__main__":
    run_benchmark(parse_args, worker, run_all)
