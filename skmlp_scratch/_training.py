"""Training steps: mini-batches, one epoch, plateau tracking and full-batch L-BFGS.

NumPy and SciPy only. The estimator chains these steps; each can be read and
tested alone. Divergence is checked after every batch, so it is reported at the
epoch and batch where it happens.
"""

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from ._network import ParameterVector, Workspace, loss_and_gradients
from ._optimizers import clip_by_global_norm


class TrainingDivergedError(FloatingPointError):
    """The loss or the parameters became non-finite during training."""


def iter_minibatches(n_samples, batch_size, rng=None):
    """Yield the rows of each mini-batch of one epoch.

    Parameters
    ----------
    n_samples : int
    batch_size : int
        Between 1 and ``n_samples``.
    rng : numpy.random.RandomState or None, default=None
        Shuffles the order of the rows when given.

    Yields
    ------
    rows : slice or ndarray of int
        A slice when the order is kept, else the next ``batch_size`` entries
        of a random permutation of the rows. The permutation shuffles
        indices, not X, so an epoch never copies the data.
    """
    order = None if rng is None or batch_size >= n_samples else rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        yield slice(start, stop) if order is None else order[start:stop]


class MinibatchSource:
    """Mini-batches of ``(X, Y, sample_weight)`` gathered into reused buffers.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
        Between 1 and ``n_samples``.
    shuffle : bool
        Whether each epoch visits the rows in a new random order.
    """

    def __init__(self, X, Y, sample_weight, batch_size, shuffle):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.n_samples = X.shape[0]
        gather = shuffle and batch_size < self.n_samples
        self._X_buf = (np.empty((batch_size, X.shape[1]), dtype=X.dtype)
                       if gather and not sp.issparse(X) else None)
        self._Y_buf = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype) if gather else None

    def epoch(self, rng):
        """Yield ``(X_batch, Y_batch, sample_weight_batch)`` for one epoch.

        The dense batches are views of buffers overwritten by the next batch.
        """
        for rows in iter_minibatches(self.n_samples, self.batch_size,
                                     rng if self.shuffle else None):
            if isinstance(rows, slice):
                Xb, Yb = self.X[rows], self.Y[rows]
            else:
                # mode="clip" spares the copy of `out` NumPy makes to check
                # bounds; the rows come from a permutation, so all are valid
                n = len(rows)
                Xb = (self.X[rows] if self._X_buf is None else
                      np.take(self.X, rows, axis=0, out=self._X_buf[:n], mode="clip"))
                Yb = np.take(self.Y, rows, axis=0, out=self._Y_buf[:n], mode="clip")
            swb = None if self.sample_weight is None else self.sample_weight[rows]
            yield Xb, Yb, swb


STOCHASTIC_ADVICE = ("Try a smaller learning_rate_init, a larger alpha, or "
                     "standardised features (e.g. StandardScaler in a Pipeline).")
LBFGS_ADVICE = ("Try a larger alpha or standardised features (e.g. StandardScaler "
                "in a Pipeline).")


def check_finite(loss_value, params, where, advice=STOCHASTIC_ADVICE):
    """Raise :class:`TrainingDivergedError` if the loss or a parameter is not finite.

    Parameters
    ----------
    loss_value : float
    params : list of ndarray or None
        Checked only when given.
    where : str
        Where training is, for the message (``"epoch 3, batch 12"``).
    advice : str, default=STOCHASTIC_ADVICE
        What the user can change, appended to the message.
    """
    if np.isfinite(loss_value) and (
        params is None or all(np.isfinite(p).all() for p in params)
    ):
        return
    what = "the loss" if not np.isfinite(loss_value) else "the weights"
    raise TrainingDivergedError(
        f"Training diverged at {where}: {what} became non-finite "
        f"(loss={loss_value!r}). {advice}"
    )


class DivergenceGuard:
    """Catches training that diverges, whether or not its numbers stay finite.

    A huge step can inflate the weights by orders of magnitude while every
    value stays finite: the clipped log-loss is bounded, only the L2 term
    grows. So besides non-finite values, two relative limits count as
    divergence:

    * a batch loss above ``loss_factor * max(L0, 1)``, ``L0`` being the first
      batch loss of training (this catches the growing L2 term);
    * at the end of an epoch, a weight larger in magnitude than
      ``weight_factor * max(W0, 1)``, ``W0`` being the largest initial one
      (this catches inflated weights when ``alpha=0``).

    Training that works lowers its loss and moves its weights far less; no
    problem in the test suite comes near either limit.

    Parameters
    ----------
    loss_factor : float, default=1000.0
    weight_factor : float, default=1e6
    references : tuple of (float or None), default=(None, None)
        ``(L0, W0)`` from earlier training (e.g. an earlier ``partial_fit``);
        None until first seen.
    """

    def __init__(self, loss_factor=1000.0, weight_factor=1e6, references=(None, None)):
        self.loss_factor = loss_factor
        self.weight_factor = weight_factor
        self.first_loss, self.first_weight = references

    @property
    def references(self):
        """``(L0, W0)``, plain numbers to keep for the next call."""
        return self.first_loss, self.first_weight

    def start(self, vector):
        """Note the largest initial weight, unless known from earlier training."""
        if self.first_weight is None:
            self.first_weight = _largest_magnitude(vector)

    def check_loss(self, value, where):
        """Raise :class:`TrainingDivergedError` if a batch loss shows divergence."""
        check_finite(value, None, where)
        if self.first_loss is None:
            self.first_loss = float(value)
        elif value > self.loss_factor * max(self.first_loss, 1.0):
            raise TrainingDivergedError(
                f"Training diverged at {where}: the loss reached {value:.4g}, more "
                f"than {self.loss_factor:g} times its value at the start of training "
                f"({self.first_loss:.4g}). {STOCHASTIC_ADVICE}")

    def check_weights(self, vector, where):
        """Raise :class:`TrainingDivergedError` if the weights show divergence."""
        largest = _largest_magnitude(vector)
        limit = self.weight_factor * max(self.first_weight or 0.0, 1.0)
        if largest > limit:
            raise TrainingDivergedError(
                f"Training diverged at {where}: a weight reached {largest:.4g} in "
                f"magnitude, more than {self.weight_factor:g} times the largest "
                f"initial one. {STOCHASTIC_ADVICE}")


def _largest_magnitude(vector):
    # max and min are two passes without the temporary np.abs would allocate
    return float(max(-np.min(vector), np.max(vector)))


def run_epoch(batches, rng, params, activations, loss, alpha, optimizer, workspace,
              epoch, max_grad_norm=None, guard=None):
    """One pass over the training data; parameters are updated in place.

    Parameters
    ----------
    batches : MinibatchSource
    rng : numpy.random.RandomState
    params : ParameterVector
        Updated in place; the optimizer steps its whole ``vector`` at once.
    activations : list of Activation
    loss : Loss
    alpha : float
    optimizer : object with ``update(params, grads)``
        Built for ``[params.vector]``.
    workspace : Workspace
        At least ``batches.batch_size`` rows. When it has dropout masks,
        fresh ones are drawn from ``rng`` for every batch.
    epoch : int
        Number of this epoch (from 1), for error messages.
    max_grad_norm : float or None, default=None
        Clip each batch's gradient to this global L2 norm.
    guard : DivergenceGuard or None, default=None
        Checks every batch loss; a new one when None.

    Returns
    -------
    loss : float
        Mean of the batch losses, each weighted by its number of samples.
    """
    guard = DivergenceGuard() if guard is None else guard
    guard.start(params.vector)
    vector, gradients = [params.vector], [workspace.gradient_vector]
    dropout = any(mask is not None for mask in workspace.masks)
    accumulated = 0.0
    for batch, (Xb, Yb, swb) in enumerate(batches.epoch(rng), start=1):
        if swb is not None and not swb.any():
            continue  # all-zero weights: this batch has no mean to descend
        if dropout:
            workspace.draw_masks(Xb.shape[0], rng)
        value = loss_and_gradients(Xb, Yb, swb, params.coefs, params.intercepts,
                                   activations, loss, alpha, workspace)
        guard.check_loss(value, f"epoch {epoch}, batch {batch}")
        if max_grad_norm is not None:
            clip_by_global_norm(gradients, max_grad_norm)
        optimizer.update(vector, gradients)
        accumulated += value * Xb.shape[0]
    mean = accumulated / batches.n_samples
    check_finite(mean, vector, f"the end of epoch {epoch}")
    guard.check_weights(params.vector, f"the end of epoch {epoch}")
    return mean


class PlateauMonitor:
    """Counts epochs without an improvement larger than ``tol``.

    Works on a score where higher is better (pass ``-loss`` for a loss), with
    scikit-learn's rule: an epoch counts as no improvement unless its score
    beats the best so far by at least ``tol``.

    Parameters
    ----------
    tol : float
    best : float, default=-inf
        Best score so far, e.g. from an earlier ``partial_fit``.
    count : int, default=0
        Epochs without improvement so far.
    """

    def __init__(self, tol, best=-np.inf, count=0):
        self.tol = tol
        self.best = best
        self.count = count

    def update(self, score):
        """Record one epoch's score.

        Returns
        -------
        is_best : bool
            Whether ``score`` is the best so far (the weights worth keeping).
        """
        self.count = self.count + 1 if score < self.best + self.tol else 0
        is_best = score > self.best
        if is_best:
            self.best = score
        return is_best


def unflatten_into(flat, arrays):
    """Copy consecutive pieces of ``flat`` into ``arrays`` (casting as needed).

    The inverse of packing ``arrays`` into a :class:`~._network.ParameterVector`.
    """
    start = 0
    for a in arrays:
        stop = start + a.size
        a[...] = flat[start:stop].reshape(a.shape)
        start = stop


def fit_lbfgs(X, Y, sample_weight, coefs, intercepts, activations, loss, alpha,
              max_iter, max_fun, tol, verbose=0, on_iteration=None):
    """Minimise the full-batch loss with SciPy's L-BFGS-B; parameters updated in place.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    coefs, intercepts : list of ndarray
        Starting point; overwritten with the solution.
    activations : list of Activation
    loss : Loss
    alpha : float
    max_iter, max_fun : int
        Limits on iterations and on loss evaluations.
    tol : float
        ``gtol`` of L-BFGS-B.
    verbose : int, default=0
    on_iteration : callable or None, default=None
        Called as ``on_iteration(x)`` after every iteration with the iterate
        (a flat float64 copy); a true return value stops L-BFGS there.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        With three more fields: ``loss_curve``, the loss after every
        iteration; ``interrupted``, True when a KeyboardInterrupt stopped
        L-BFGS (the parameters are then those of the last completed
        iteration); ``stopped_by_callback``, True when ``on_iteration`` did.
    """
    params = ParameterVector(coefs, intercepts)
    sizes = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
    workspace = Workspace(sizes, X.shape[0], coefs[0].dtype, activations)
    n_evals = 0
    x0 = params.vector.astype(np.float64)
    last = {"x": x0, "fun": None}  # the last completed iterate
    loss_curve = []
    stop_requested = False

    def loss_and_flat_gradient(flat):
        nonlocal n_evals
        n_evals += 1
        params.vector[...] = flat
        value = loss_and_gradients(X, Y, sample_weight, params.coefs, params.intercepts,
                                   activations, loss, alpha, workspace)
        check_finite(value, None, f"L-BFGS iteration {len(loss_curve) + 1} "
                     f"(loss evaluation {n_evals})", LBFGS_ADVICE)
        if n_evals == 1:
            last["fun"] = value  # the loss at x0, until an iteration completes
        # SciPy keeps the gradient, so it gets a float64 copy, never the buffer
        return value, workspace.gradient_vector.astype(np.float64)

    def record_iteration(intermediate_result):
        nonlocal stop_requested
        last["x"] = intermediate_result.x.copy()
        last["fun"] = float(intermediate_result.fun)
        loss_curve.append(last["fun"])
        if verbose:
            print(f"iteration {len(loss_curve)}/{max_iter}  loss {loss_curve[-1]:.6f}",
                  flush=True)
        if on_iteration is not None and on_iteration(last["x"]):
            stop_requested = True
            raise StopIteration  # SciPy ends the minimisation at this iterate

    try:
        result = scipy.optimize.minimize(
            loss_and_flat_gradient, x0, method="L-BFGS-B", jac=True,
            callback=record_iteration,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
        result.interrupted = False
    except KeyboardInterrupt:
        if last["fun"] is None:
            raise  # interrupted before the first loss: nothing worth keeping
        # stop cleanly: keep the last iterate L-BFGS completed
        result = scipy.optimize.OptimizeResult(
            x=last["x"], fun=last["fun"], nit=len(loss_curve), status=-1,
            message="interrupted by the user", interrupted=True)
    unflatten_into(result.x, coefs + intercepts)
    check_finite(result.fun, coefs + intercepts, "the end of L-BFGS", LBFGS_ADVICE)
    result.loss_curve = loss_curve
    result.stopped_by_callback = stop_requested
    return result
