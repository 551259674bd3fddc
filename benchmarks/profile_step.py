"""Where one training step of MLPScratchClassifier's core spends its time.

Used by ``bench_epoch.py`` (its ``profile-float32`` worker). A step is cut
into the phases the core runs one after the other: gathering the batch,
forward, the loss value (with the L2 penalty), backward, the optimizer step.
Each phase is called alone on one real batch in blocks of many calls; the
matrix products of the phase are timed the same way on the same arrays, so
the difference is what the phase spends in element-wise NumPy passes and
Python calls. Medians of the blocks' CPU and wall microseconds per call.
"""

import statistics
import time

import numpy as np

from skmlp_scratch._activations import get_activation
from skmlp_scratch._losses import LOSSES, sample_scale
from skmlp_scratch._network import (ParameterVector, Workspace, backward, forward,
                                    init_params, penalty)
from skmlp_scratch._optimizers import Adam


def timed(call, blocks=15, calls=40):
    """Median CPU and wall microseconds of one ``call()`` over blocks of calls."""
    call()  # warm up
    cpu, wall = [], []
    for _ in range(blocks):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(calls):
            call()
        cpu.append((time.process_time() - c) / calls * 1e6)
        wall.append((time.perf_counter() - w) / calls * 1e6)
    return statistics.median(cpu), statistics.median(wall)


def profile_step(X, y, args):
    """CPU and wall microseconds per phase of a step, and of its matrix products.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
    y : ndarray of shape (n_samples,) of int
    args : argparse.Namespace
        ``hidden``, ``batch_size``, ``alpha`` and ``threads`` are read.

    Returns
    -------
    profile : dict
        ``phases``: phase -> ``cpu_us``, ``wall_us``, ``gemm_cpu_us``,
        ``gemm_wall_us``; ``step``: the same for a whole step.
    """
    rng = np.random.RandomState(0)
    n, dtype = args.batch_size, X.dtype
    sizes = [X.shape[1], *args.hidden, int(y.max()) + 1]
    activations = ([get_activation("relu")] * len(args.hidden)
                   + [get_activation("softmax")])
    params = ParameterVector(*init_params(sizes, activations[0], dtype, rng))
    workspace = Workspace(sizes, n, dtype, activations)
    Y = np.eye(sizes[-1], dtype=dtype)[y]
    loss = LOSSES["log_loss"]
    optimizer = Adam([params.vector])
    order = rng.permutation(len(X))
    rows = order[:n]
    Xb, Yb = np.empty((n, X.shape[1]), dtype), np.empty((n, Y.shape[1]), dtype)
    arrays = workspace.batch_views(n)
    scale, total = sample_scale(None, n, dtype)
    W, b, D, G = params.coefs, params.intercepts, arrays.deltas, workspace.coef_grads
    A = [Xb, *arrays.outputs]

    def gather():
        np.take(X, rows, axis=0, out=Xb, mode="clip")
        np.take(Y, rows, axis=0, out=Yb, mode="clip")

    def forward_phase():
        forward(Xb, W, b, activations, arrays)

    def forward_products():
        for i in range(len(W)):
            np.matmul(A[i], W[i], out=A[i + 1])

    def loss_phase():
        loss.value(Yb, arrays.outputs[-1], scale) + penalty(W, args.alpha, total)

    def backward_phase():
        backward(Xb, Yb, scale, total, W, activations, loss, args.alpha, arrays, G,
                 workspace.intercept_grads, workspace.scaled_weights)

    def backward_products():
        for i in range(len(W) - 1, -1, -1):
            np.matmul(A[i].T, D[i], out=G[i])
            if i > 0:
                np.matmul(D[i], W[i].T, out=D[i - 1])

    def update():
        optimizer.update([params.vector], [workspace.gradient_vector])

    batches = iter(())

    def step():
        # a new batch every step, as in an epoch: steps on one batch would
        # fit it until the deltas are subnormal numbers, which slow BLAS down
        nonlocal batches, rows
        rows = next(batches, None)
        if rows is None:
            batches = (order[i:i + n] for i in range(0, len(order) - n + 1, n))
            rows = next(batches)
        gather()
        forward_phase()
        loss_phase()
        backward_phase()
        update()

    def products():
        forward_products()
        backward_products()

    gather()
    forward_phase()
    backward_phase()  # real deltas and gradients before the products are timed
    phases = {
        "gather the batch (np.take)": (gather, None),
        "forward": (forward_phase, forward_products),
        "loss value and L2 penalty": (loss_phase, None),
        "backward": (backward_phase, backward_products),
        "optimizer step (Adam)": (update, None),
    }
    start = params.vector.copy()
    result = {}
    for name, (phase, gemm) in phases.items():
        cpu, wall = timed(phase)
        gemm_cpu, gemm_wall = timed(gemm) if gemm is not None else (0.0, 0.0)
        result[name] = {"cpu_us": cpu, "wall_us": wall, "gemm_cpu_us": gemm_cpu,
                        "gemm_wall_us": gemm_wall}
    gemm_cpu, gemm_wall = timed(products)  # before the steps change the deltas
    params.vector[...] = start  # the optimizer's timing moved the weights
    cpu, wall = timed(step)
    return {"batch_size": n, "threads": args.threads, "phases": result,
            "step": {"cpu_us": cpu, "wall_us": wall, "gemm_cpu_us": gemm_cpu,
                     "gemm_wall_us": gemm_wall}}
