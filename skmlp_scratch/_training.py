"""Training: mini-batches, one epoch, the per-epoch record, and the two solvers.

NumPy and SciPy only. The two solvers are built alike: :func:`fit_stochastic`
and :func:`fit_lbfgs` each take the data, the network's ``coefs`` and
``intercepts`` (updated in place), its activations, the loss and ``alpha``,
build their own parameter vector and buffers, and call back once per epoch
(iteration) so the estimator can score and run its callbacks.

:class:`TrainingProgress` is the one owner of what the stochastic solver
carries from epoch to epoch and from call to call: the curves, the history,
the best monitored score and its epoch, the patience count, the optimizer and
the learning-rate schedule. Divergence is checked after every batch, so it is
reported at the epoch and batch where it happens.
"""

import copy
import time
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from ._network import (
    ParameterVector,
    Workspace,
    layer_sizes_of,
    loss_and_gradients,
    predict_proba_chunked,
)
from ._losses import sample_scale
from ._optimizers import OPTIMIZERS, SCHEDULES, clip_by_global_norm, make_optimizer


class TrainingDivergedError(ValueError, FloatingPointError):
    """The loss or the parameters became non-finite during training.

    A ``ValueError``, as scikit-learn's MLPs raise for non-finite weights (so
    code written for them catches it: catch this class first to tell a
    divergence from bad input), and a ``FloatingPointError``, as before.
    """


# scikit-learn's own words for non-finite weights, kept verbatim so that a
# match= written for its MLPs matches ours
SKLEARN_NON_FINITE = ("Solver produced non-finite parameter weights. The input data "
                      "may contain large values and need to be preprocessed.")


def iter_minibatches(n_samples, batch_size, order=None):
    """Yield the rows of each mini-batch of one epoch.

    Parameters
    ----------
    n_samples : int
    batch_size : int
        Between 1 and ``n_samples``.
    order : ndarray of int of shape (n_samples,) or None, default=None
        The order in which to visit the rows; None keeps the data's order.

    Yields
    ------
    rows : slice or ndarray of int
        A slice when the order is kept, else the next ``batch_size`` entries
        of ``order``. Shuffling indices, not X, means an epoch never copies
        the data.
    """
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        yield slice(start, stop) if order is None else order[start:stop]


class MinibatchSource:
    """Mini-batches of ``(X, Y, sample_weight)`` gathered into reused buffers.

    The visiting order follows scikit-learn's MLPs, so the same
    ``random_state`` gives the same batches: each epoch shuffles the previous
    epoch's order again (``order = order[rng.permutation(n)]``), starting from
    the data's order when the source is made (at every ``fit`` or
    ``partial_fit`` call).

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
        self.order = np.arange(self.n_samples)
        # one batch holds every row: its order changes only the rounding of
        # the sums, so the rows are read in place rather than gathered
        self._gather = shuffle and batch_size < self.n_samples
        self._X_buf = (np.empty((batch_size, X.shape[1]), dtype=X.dtype)
                       if self._gather and not sp.issparse(X) else None)
        self._Y_buf = (np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)
                       if self._gather else None)

    def epoch(self, rng):
        """Yield ``(X_batch, Y_batch, sample_weight_batch)`` for one epoch.

        The dense batches are views of buffers overwritten by the next batch.
        """
        if self.shuffle:
            # drawn even for a single batch, so the generator's stream (and
            # the dropout masks drawn from it) stays in step with scikit-learn
            self.order = self.order[rng.permutation(self.n_samples)]
        order = self.order if self._gather else None
        for rows in iter_minibatches(self.n_samples, self.batch_size, order):
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
        f"(loss={loss_value!r}). {SKLEARN_NON_FINITE} {advice}"
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
              epoch, max_grad_norm=None, guard=None, dropout=False):
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
        At least ``batches.batch_size`` rows. When it has input dropout or
        input noise, every batch is corrupted afresh from ``rng`` into its
        buffer (:meth:`~._network.Workspace.draw_noisy_inputs`).
    epoch : int
        Number of this epoch (from 1), for error messages.
    max_grad_norm : float or None, default=None
        Clip each batch's gradient to this global L2 norm.
    guard : DivergenceGuard or None, default=None
        Checks every batch loss; a new one when None.
    dropout : bool, default=False
        Draw fresh dropout masks from ``rng`` for every batch, with the rates
        ``workspace`` was built with.

    Returns
    -------
    loss : float
        Mean of the batch losses, each weighted by its number of samples.
    """
    guard = DivergenceGuard() if guard is None else guard
    guard.start(params.vector)
    vector, gradients = [params.vector], [workspace.gradient_vector]
    accumulated = 0.0
    for batch, (Xb, Yb, swb) in enumerate(batches.epoch(rng), start=1):
        if swb is not None and not swb.any():
            continue  # all-zero weights: this batch has no mean to descend
        if workspace.corrupts_inputs:
            Xb = workspace.draw_noisy_inputs(Xb, rng)
        if dropout:
            workspace.draw_masks(Xb.shape[0], rng)
        value = loss_and_gradients(Xb, Yb, swb, params.coefs, params.intercepts,
                                   activations, loss, alpha, workspace, dropout=dropout)
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


def plain_helper(helper, registry):
    """An optimizer or a schedule as plain data: its registry name and attributes."""
    name = next(key for key, cls in registry.items() if type(helper) is cls)
    return {"name": name, "attributes": dict(vars(helper))}


def helper_from_plain(state, registry):
    """The inverse of :func:`plain_helper`."""
    helper = object.__new__(registry[state["name"]])
    vars(helper).update(state["attributes"])
    return helper


class TrainingProgress:
    """What stochastic training carries from epoch to epoch, and from call to call.

    The one owner of the per-epoch bookkeeping: the loss curve, the history,
    the validation curves, the best monitored score and its epoch, the
    patience count (in a :class:`PlateauMonitor`), the optimizer and the
    learning-rate schedule, whose rate only :meth:`_apply_rate` writes into the
    optimizer. The monitored score is higher-is-better: the validation score
    with early stopping, else the negative training loss.

    Parameters
    ----------
    tol : float
    n_iter_no_change : int or float
        Epochs without improvement before a plateau; ``inf`` never.
    monitor_validation : bool
        Monitor the validation score (early stopping) rather than the
        training loss.

    Attributes
    ----------
    loss_curve : list of float
    history : list of dict
        One record per epoch; see the estimators' ``history_``.
    validation_scores, validation_losses : list of float or None
        None until an epoch is recorded with a validation set.
    best_epoch : int or None
        Epoch (from 1, along ``loss_curve``) of the best monitored score.
    n_samples_seen : int
        Training samples seen, over all calls.
    optimizer, schedule : object or None
        Set by :meth:`start_schedule`.
    divergence_references : tuple
        ``(L0, W0)`` of the :class:`DivergenceGuard`, kept across calls.
    """

    def __init__(self, tol, n_iter_no_change, monitor_validation):
        self.loss_curve = []
        self.history = []
        self.n_samples_seen = 0
        self._restart_monitoring(tol, n_iter_no_change, monitor_validation)
        self.optimizer = None
        self.schedule = None
        self.schedule_epoch = 0
        self.divergence_references = (None, None)

    def _restart_monitoring(self, tol, n_iter_no_change, monitor_validation):
        self.n_iter_no_change = n_iter_no_change
        self.monitor_validation = monitor_validation
        self.monitor = PlateauMonitor(tol)
        self.validation_scores = self.validation_losses = None
        self.best_epoch = None

    def watch(self, tol, n_iter_no_change, monitor_validation):
        """Take the patience settings of a new call (a warm start may change them).

        Switching between the training loss and the validation score starts
        the monitored record afresh: best score, patience count, best epoch
        and validation curves. The loss curve and history go on.
        """
        if monitor_validation != self.monitor_validation:
            self._restart_monitoring(tol, n_iter_no_change, monitor_validation)
        self.monitor.tol, self.n_iter_no_change = tol, n_iter_no_change

    @property
    def best_score(self):
        """The best monitored score so far (higher is better)."""
        return self.monitor.best

    @property
    def no_improvement_count(self):
        """Epochs since the monitored score last improved by ``tol``."""
        return self.monitor.count

    def start_schedule(self, solver, settings, schedule_name, n_parameters, n_weights,
                       dtype):
        """A fresh optimizer and learning-rate schedule (a new ``fit``).

        Parameters
        ----------
        solver : str
            A key of ``OPTIMIZERS``.
        settings : dict
            The estimator's hyper-parameters by name; see
            :func:`~._optimizers.make_optimizer` and ``Schedule``.
        schedule_name : str
            A key of ``SCHEDULES``.
        n_parameters, n_weights : int
            Length of the parameter vector, and of its leading weights (the
            entries that weight decay applies to).
        dtype : numpy dtype
        """
        template = [np.empty(n_parameters, dtype=dtype)]
        self.optimizer = make_optimizer(solver, template, settings, n_decayed=[n_weights])
        self.schedule = SCHEDULES[schedule_name](
            settings["learning_rate_init"], power_t=settings["power_t"],
            max_epochs=settings["max_iter"], step_size=settings["lr_step_size"],
            gamma=settings["lr_gamma"], warmup_epochs=settings["warmup_epochs"])
        self.schedule_epoch = 0
        self._apply_rate()

    def _apply_rate(self):
        # the one place the optimizer's learning rate is written
        self.optimizer.learning_rate = self.schedule.rate(self.schedule_epoch,
                                                          self.n_samples_seen)

    def record_epoch(self, train_loss, n_samples, seconds, val_loss=None,
                     val_score=None):
        """Record one epoch and step the schedule.

        Returns
        -------
        is_best : bool
            Whether the monitored score is the best so far (the weights worth
            keeping).
        """
        self.loss_curve.append(train_loss)
        self.history.append({
            "epoch": len(self.loss_curve), "train_loss": train_loss,
            "val_loss": val_loss, "val_score": val_score,
            "learning_rate": self.optimizer.learning_rate, "epoch_time": seconds})
        if val_score is not None:
            if self.validation_scores is None:
                self.validation_scores, self.validation_losses = [], []
            self.validation_losses.append(val_loss)
            self.validation_scores.append(val_score)
        score = val_score if self.monitor_validation else -train_loss
        is_best = self.monitor.update(score)
        if is_best:
            self.best_epoch = len(self.loss_curve)
        self.n_samples_seen += n_samples
        self.schedule_epoch += 1
        self._apply_rate()
        return is_best

    def plateau_stops(self, verbose=False):
        """Whether a plateau ends training; a schedule may lower its rate instead.

        After ``n_iter_no_change`` epochs without improvement the schedule
        decides (``"adaptive"`` divides its rate by 5 and goes on); going on
        resets the count.
        """
        if self.monitor.count <= self.n_iter_no_change:
            return False
        what = "Validation score" if self.monitor_validation else "Training loss"
        message = (f"{what} did not improve more than tol={self.monitor.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        stop = self.schedule.on_plateau(verbose)
        if verbose:
            print(message + (" Stopping." if stop else ""), flush=True)
        if not stop:
            self.monitor.count = 0
            self._apply_rate()
        return stop

    def to_plain(self):
        """This record as plain data (dicts, lists, numbers, arrays), a copy."""
        state = {key: copy.deepcopy(value) for key, value in vars(self).items()
                 if key not in ("monitor", "optimizer", "schedule")}
        state["monitor"] = dict(vars(self.monitor))
        state["optimizer"] = state["schedule"] = None
        if self.optimizer is not None:
            state["optimizer"] = copy.deepcopy(plain_helper(self.optimizer, OPTIMIZERS))
            state["schedule"] = copy.deepcopy(plain_helper(self.schedule, SCHEDULES))
        return state

    @classmethod
    def from_plain(cls, state):
        """The inverse of :meth:`to_plain`."""
        state = dict(state)
        progress = object.__new__(cls)
        monitor = object.__new__(PlateauMonitor)
        vars(monitor).update(state.pop("monitor"))
        if state["optimizer"] is not None:
            state["optimizer"] = helper_from_plain(state["optimizer"], OPTIMIZERS)
            state["schedule"] = helper_from_plain(state["schedule"], SCHEDULES)
        vars(progress).update(state, monitor=monitor)
        return progress


@dataclass
class ValidationSet:
    """Data a stochastic run evaluates after every epoch.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_val, n_features)
    Y : ndarray of shape (n_val, n_outputs)
        Targets in the network's output encoding and the training dtype.
    sample_weight : ndarray of shape (n_val,) or None
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray = None

    def loss_and_outputs(self, coefs, intercepts, activations, loss):
        """The weighted mean loss (no L2 term) and the network outputs."""
        P = predict_proba_chunked(self.X, coefs, intercepts, activations)
        scale, _ = sample_scale(self.sample_weight, P.shape[0], P.dtype)
        return float(loss.value(self.Y, P, scale)), P


@dataclass
class StochasticResult:
    """How a run of :func:`fit_stochastic` ended.

    Attributes
    ----------
    n_iter : int
        Epochs completed in this run.
    loss : float or None
        Training loss of the last completed epoch.
    stop : str
        ``"max_iter"``, ``"plateau"``, ``"max_time"``, ``"callback"`` or
        ``"interrupted"`` (Ctrl-C during an epoch).
    """

    n_iter: int
    loss: float
    stop: str


def fit_stochastic(X, Y, sample_weight, coefs, intercepts, activations, loss, alpha,
                   progress, rng, *, batch_size, shuffle, max_epochs, dropout=None,
                   input_dropout=0.0, input_noise=0.0, max_grad_norm=None,
                   validation=None, score=None, on_epoch=None, max_time=None,
                   restore_best=False, verbose=0, score_name="score"):
    """Train with mini-batches for up to ``max_epochs``; parameters updated in place.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    coefs, intercepts : list of ndarray
        Starting point. The lists are updated in place: during training their
        entries are views of the one vector the optimizer steps (so a scorer
        or a callback reading them sees the current weights); at the end they
        are owned arrays holding the weights kept.
    activations : list of Activation
    loss : Loss
    alpha : float
    progress : TrainingProgress
        Records every epoch; its optimizer and schedule must be started.
    rng : numpy.random.RandomState
        Shuffles the batches and draws dropout masks and input noise.
    batch_size : int
        Between 1 and ``n_samples``.
    shuffle : bool
    max_epochs : int
    dropout : list of float or None, default=None
        Dropout rate of each hidden layer; None or all zeros for none.
    input_dropout : float, default=0.0
        Inverted-dropout rate of the input features of every training batch.
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the input features
        of every training batch. Validation sees neither.
    max_grad_norm : float or None, default=None
    validation : ValidationSet or None, default=None
        Evaluated after every epoch.
    score : callable or None, default=None
        ``score(P_val, val_loss) -> float``, the validation score from the
        validation outputs and loss; required with ``validation``.
    on_epoch : callable or None, default=None
        Called as ``on_epoch(is_last, vector)`` after every recorded epoch,
        with ``is_last`` True when training ends after it anyway
        (``max_epochs``, a plateau, ``max_time``) and ``vector`` a copy of the
        epoch's parameters, laid out as a :class:`~._network.ParameterVector`'s
        (coefs, then intercepts), which no later epoch overwrites; a true
        return value stops training.
    max_time : float or None, default=None
        Seconds after which training stops, at the end of an epoch.
    restore_best : bool, default=False
        End with the weights of the best epoch (early stopping) rather than
        the last.
    verbose : int, default=0
        Print a line per epoch: scikit-learn's ``Iteration k, loss = ...``
        first, then the validation loss and score and the timing.
    score_name : str, default="score"
        What the verbose line calls the validation score.

    Returns
    -------
    result : StochasticResult
    """
    params = ParameterVector(coefs, intercepts)
    coefs[:], intercepts[:] = params.coefs, params.intercepts
    dropout = list(dropout) if dropout is not None and any(dropout) else None
    workspace = Workspace(layer_sizes_of(coefs), batch_size, X.dtype, activations,
                          dropout=dropout, input_dropout=input_dropout,
                          input_noise=input_noise)
    batches = MinibatchSource(X, Y, sample_weight, batch_size, shuffle)
    guard = DivergenceGuard(references=progress.divergence_references)
    last = best = params.vector.copy()
    started = time.perf_counter()
    n_iter, stop = 0, "max_iter"
    try:
        for _ in range(max_epochs):
            epoch_started = time.perf_counter()
            train_loss = run_epoch(batches, rng, params, activations, loss, alpha,
                                   progress.optimizer, workspace,
                                   epoch=len(progress.loss_curve) + 1,
                                   max_grad_norm=max_grad_norm, guard=guard,
                                   dropout=dropout is not None)
            progress.divergence_references = guard.references
            n_iter += 1
            last = params.vector.copy()
            val_loss = val_score = None
            if validation is not None:
                val_loss, P_val = validation.loss_and_outputs(
                    params.coefs, params.intercepts, activations, loss)
                val_score = float(score(P_val, val_loss))
            seconds = time.perf_counter() - epoch_started
            if progress.record_epoch(train_loss, X.shape[0], seconds, val_loss,
                                     val_score):
                best = last
            elapsed = time.perf_counter() - started
            if verbose:
                _print_epoch(progress.history[-1], n_iter, max_epochs, elapsed,
                             score_name)
            ending = None
            if progress.plateau_stops(verbose):
                ending = "plateau"
            elif max_time is not None and elapsed >= max_time:
                if verbose:
                    kept = "best" if restore_best else "last"
                    print(f"max_time={max_time} s reached after epoch {n_iter} "
                          f"({elapsed:.1f} s); stopping with the {kept} weights.",
                          flush=True)
                ending = "max_time"
            if on_epoch is not None and on_epoch(ending is not None
                                                 or n_iter == max_epochs, last):
                ending = "callback"
            if ending is not None:
                stop = ending
                break
    except KeyboardInterrupt:
        stop = "interrupted"  # keep the weights of the last completed epoch
    # owned arrays again, no longer views of the vector the optimizer stepped
    kept = [np.empty_like(a) for a in coefs + intercepts]
    unflatten_into(best if restore_best else last, kept)
    coefs[:], intercepts[:] = kept[:len(coefs)], kept[len(coefs):]
    return StochasticResult(n_iter, progress.loss_curve[-1] if n_iter else None, stop)


def _print_epoch(record, n_iter, max_epochs, elapsed, score_name):
    # scikit-learn's words first, so log parsers written for it keep working
    line = f"Iteration {record['epoch']}, loss = {record['train_loss']:.8f}"
    if record["val_score"] is not None:
        line += (f", validation loss = {record['val_loss']:.8f}, "
                 f"validation {score_name} = {record['val_score']:.4f}")
    per_epoch = elapsed / n_iter
    # an upper bound: a plateau may stop training before max_epochs
    left = per_epoch * (max_epochs - n_iter)
    print(f"{line}  [epoch {n_iter}/{max_epochs}, {per_epoch:.2f} s/epoch, "
          f"elapsed {elapsed:.1f} s, at most {left:.1f} s left]", flush=True)


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
    workspace = Workspace(layer_sizes_of(coefs), X.shape[0], coefs[0].dtype, activations)
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
            # scikit-learn's words, so log parsers written for it keep working
            print(f"Iteration {len(loss_curve)}, loss = {loss_curve[-1]:.8f}",
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
