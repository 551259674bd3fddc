"""Stochastic optimizers, learning-rate schedules and gradient clipping.

NumPy only. An optimizer owns its state and applies one step in place with
``update(params, grads)``; gradients are computed elsewhere
(``_network.backward``). Its ``learning_rate`` is a plain float that the caller
sets before each epoch from a schedule: optimizers step, schedules choose the
step size, and either can be swapped without touching the other.

Optimizers (``OPTIMIZERS``):

* ``"sgd"``: stochastic gradient descent with classical or Nesterov momentum;
* ``"adam"``: Adam (Kingma & Ba, 2015);
* ``"adamw"``: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

Schedules (``SCHEDULES``), with ``lr0 = learning_rate_init``, ``e`` the epoch
about to start (from 0), ``W = warmup_epochs``, ``k = max(e - W, 0)`` and ``t``
the number of training samples seen before epoch ``e``:

* ``"constant"``: ``lr0``;
* ``"invscaling"``: ``lr0 / (t + 1) ** power_t`` (scikit-learn's meaning);
* ``"adaptive"``: ``lr0``, divided by 5 at each plateau of the monitored
  quantity; a plateau once the rate is <= 1e-6 stops training
  (scikit-learn's rule);
* ``"cosine"``: ``0.5 * lr0 * (1 + cos(pi * min(k, T) / T))`` with
  ``T = max(1, max_epochs - W)``: from ``lr0`` down to 0 at ``k = T``, and 0
  after it (SGDR without restarts, Loshchilov & Hutter, 2017);
* ``"step"``: ``lr0 * gamma ** (k // step_size)``.

Every schedule is multiplied by the linear warm-up factor
``min(1, (e + 1) / (W + 1))``, which climbs from ``1 / (W + 1)`` to 1 over the
first ``W`` epochs; ``k`` stays 0 during them, so ``"cosine"``, ``"step"`` and
``"constant"`` give ``lr0 * (e + 1) / (W + 1)`` there, while ``"invscaling"``
and ``"adaptive"`` have the factor multiplied into their own rate.

``clip_by_global_norm`` rescales a list of gradients in place so their joint
L2 norm does not exceed a limit.

Adding an optimizer (a schedule) is adding one class and one entry to
``OPTIMIZERS`` (``SCHEDULES``). An optimizer class builds itself from the
estimator's settings with its ``from_settings`` class method, so the caller
needs no branch per optimizer (:func:`make_optimizer`).
"""

import math

import numpy as np


# ---------------------------------------------------------------- optimizers


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    With velocity ``v`` (zero at the start) and step ``lr``::

        v <- momentum * v - lr * g
        p <- p + v                                (classical momentum)
        p <- p + momentum * v - lr * g            (Nesterov, Sutskever et al. 2013)

    Parameters
    ----------
    params : list of ndarray
        Only their shapes and dtypes are read here.
    learning_rate_init : float, default=0.1
        The first value of ``learning_rate``.
    momentum : float, default=0.9
    nesterov : bool, default=True

    Attributes
    ----------
    learning_rate : float
        The step size of the next ``update``; the caller may assign a new one
        between steps (from a schedule).
    velocities : list of ndarray
        ``v``, one array of the shape and dtype of each parameter.
    """

    def __init__(self, params, learning_rate_init=0.1, momentum=0.9, nesterov=True):
        self.learning_rate = float(learning_rate_init)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = [np.zeros_like(p) for p in params]
        self._step = [np.empty_like(p) for p in params]

    @classmethod
    def from_settings(cls, params, settings, n_decayed=None):
        """Build from the estimator's settings (see :func:`make_optimizer`)."""
        return cls(params, settings["learning_rate_init"], settings["momentum"],
                   settings["nesterovs_momentum"])

    def update(self, params, grads):
        """Apply one step in place.

        Parameters
        ----------
        params : list of ndarray
            Updated in place.
        grads : list of ndarray
            Gradients of the loss with respect to ``params``, of the same
            shapes; left unchanged.
        """
        # Python floats, so a NumPy scalar from a parameter grid does not turn
        # the float32 passes below into float64 ones
        lr, mu = float(self.learning_rate), float(self.momentum)
        for p, g, v, step in zip(params, grads, self.velocities, self._step):
            np.multiply(g, lr, out=step)
            v *= mu
            v -= step
            if self.nesterov:
                # p + momentum * v - lr * g, with step holding lr * g
                p -= step
                np.multiply(v, mu, out=step)
                p += step
            else:
                p += v


class Adam:
    """Adam (Kingma & Ba, 2015), in the form with bias correction folded into the step.

    At step ``t`` (from 1)::

        m <- beta_1 * m + (1 - beta_1) * g
        s <- beta_2 * s + (1 - beta_2) * g**2
        lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p <- p - lr_t * m / (sqrt(s) + epsilon)

    The state is kept as the sums ``M = m / (1 - beta_1)`` and
    ``S = s / (1 - beta_2)``, which obey ``M <- beta_1 * M + g`` and
    ``S <- beta_2 * S + g**2``; with ``c = sqrt(1 - beta_2)`` the step is the
    same one::

        p <- p - lr_t * (1 - beta_1) / c * M / (sqrt(S) + epsilon / c)

    That is 10 passes over the parameters per step instead of 12, and Adam's
    update is memory-bound.

    Parameters
    ----------
    params : list of ndarray
        Only their shapes and dtypes are read here.
    learning_rate_init : float, default=0.001
        The first value of ``learning_rate``.
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8

    Attributes
    ----------
    learning_rate : float
        ``lr`` of the next ``update``; the caller may assign a new one between
        steps (from a schedule).
    t : int
        The number of steps taken.
    """

    def __init__(self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._sums = [np.zeros_like(p) for p in params]
        self._square_sums = [np.zeros_like(p) for p in params]
        self._step = [np.empty_like(p) for p in params]

    @classmethod
    def from_settings(cls, params, settings, n_decayed=None):
        """Build from the estimator's settings (see :func:`make_optimizer`)."""
        return cls(params, settings["learning_rate_init"], settings["beta_1"],
                   settings["beta_2"], settings["epsilon"])

    @property
    def first_moments(self):
        """The first moment estimates ``m``, one new array per parameter."""
        return [(1 - self.beta_1) * M for M in self._sums]

    @property
    def second_moments(self):
        """The second moment estimates ``s``, one new array per parameter."""
        return [(1 - self.beta_2) * S for S in self._square_sums]

    def update(self, params, grads):
        """Apply one step in place.

        Parameters
        ----------
        params : list of ndarray
            Updated in place.
        grads : list of ndarray
            Gradients of the loss with respect to ``params``, of the same
            shapes; left unchanged.
        """
        self.t += 1
        # Python floats: a NumPy float64 scalar (from a parameter grid, say)
        # would make each float32 pass below run in float64 through a casting
        # buffer, several times slower
        b1, b2 = float(self.beta_1), float(self.beta_2)
        c = math.sqrt(1 - b2)
        lr_t = (float(self.learning_rate) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
                * (1 - b1) / c)
        eps = float(self.epsilon / c)
        for p, g, M, S, step in zip(params, grads, self._sums, self._square_sums,
                                    self._step):
            M *= b1
            M += g
            np.square(g, out=step)  # the same rounding as g * g, a faster loop
            S *= b2
            S += step
            np.sqrt(S, out=step)
            step += eps
            np.divide(M, step, out=step)
            step *= lr_t
            p -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks the decayed entries, then takes Adam's step::

        p <- p - lr * weight_decay * p
        p <- Adam step (see ``Adam``)

    as ``torch.optim.AdamW`` does. ``lr`` is the scheduled ``learning_rate``,
    not Adam's bias-corrected ``lr_t``. Unlike an L2 penalty added to the loss,
    the decay does not pass through Adam's division by ``sqrt(s)``, so every
    weight shrinks at the same relative rate.

    Parameters
    ----------
    params : list of ndarray
        Only their shapes and dtypes are read here.
    learning_rate_init : float, default=0.001
        The first value of ``learning_rate``.
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    weight_decay : float, default=0.01
    n_decayed : list of int or None, default=None
        None decays every entry of every array. Otherwise one int per array
        of ``params``: only the first ``n_decayed[i]`` entries of the
        flattened (C-order) array ``i`` decay, so one flat vector holding the
        weights followed by the biases can leave the biases undecayed. An
        array partly decayed must be C-contiguous, so that its flattened view
        is the array itself.

    Attributes
    ----------
    learning_rate : float
        ``lr`` of the next ``update``; the caller may assign a new one between
        steps (from a schedule).
    t : int
        The number of steps taken.
    """

    def __init__(self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, weight_decay=0.01, n_decayed=None):
        super().__init__(params, learning_rate_init, beta_1, beta_2, epsilon)
        self.weight_decay = weight_decay
        self.n_decayed = self._check_n_decayed(params, n_decayed)

    @classmethod
    def from_settings(cls, params, settings, n_decayed=None):
        """Build from the estimator's settings (see :func:`make_optimizer`)."""
        return cls(params, settings["learning_rate_init"], settings["beta_1"],
                   settings["beta_2"], settings["epsilon"], settings["weight_decay"],
                   n_decayed=n_decayed)

    @staticmethod
    def _check_n_decayed(params, n_decayed):
        if n_decayed is None:
            return [p.size for p in params]
        n_decayed = [int(n) for n in n_decayed]
        if len(n_decayed) != len(params) or not all(
                0 <= n <= p.size for n, p in zip(n_decayed, params)):
            raise ValueError(
                f"n_decayed must hold one int per parameter array, between 0 and "
                f"its size {[p.size for p in params]}; got {n_decayed}.")
        return n_decayed

    def update(self, params, grads):
        """Apply one step in place: the decay, then :meth:`Adam.update`."""
        self._decay(params)
        super().update(params, grads)

    def _decay(self, params):
        # a Python float keeps float32 parameters in float32 (see Adam.update)
        shrink = 1.0 - float(self.learning_rate) * float(self.weight_decay)
        if shrink == 1.0:
            return  # no decay: skip a pass over the parameters
        for p, n in zip(params, self.n_decayed):
            if n == p.size:
                p *= shrink
            elif n > 0:
                if not p.flags.c_contiguous:
                    raise ValueError("AdamW with n_decayed needs C-contiguous "
                                     "parameter arrays.")
                p.reshape(-1)[:n] *= shrink  # a view, so p changes in place


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def make_optimizer(name, params, settings, n_decayed=None):
    """Build the optimizer ``name`` of ``OPTIMIZERS`` for ``params``.

    Parameters
    ----------
    name : str
        A key of ``OPTIMIZERS``.
    params : list of ndarray
        The arrays it will step.
    settings : dict
        The estimator's hyper-parameters by name (``learning_rate_init``,
        ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``,
        ``epsilon``, ``weight_decay``); each optimizer reads those it uses.
    n_decayed : list of int or None, default=None
        Entries of each array that weight decay applies to (the weights, not
        the biases); used by the optimizers that decay.

    Returns
    -------
    optimizer : object with ``update(params, grads)`` and ``learning_rate``
    """
    return OPTIMIZERS[name].from_settings(params, settings, n_decayed=n_decayed)


# ---------------------------------------------------------------- schedules


class Schedule:
    """Base of the learning-rate schedules: warm-up, and a plateau that stops.

    Every schedule takes every keyword below, so the caller builds any of them
    the same way; each uses those it needs. A subclass defines ``_rate``.

    Parameters
    ----------
    learning_rate_init : float
        ``lr0``, the rate at the end of the warm-up.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_epochs : int, default=200
        Length of the whole run for ``"cosine"``, warm-up included.
    step_size : int, default=10
        Epochs between two decays of ``"step"``.
    gamma : float, default=0.1
        Factor of each decay of ``"step"``.
    warmup_epochs : int, default=0
        Epochs of linear warm-up before the schedule proper.
    """

    def __init__(self, learning_rate_init, *, power_t=0.5, max_epochs=200,
                 step_size=10, gamma=0.1, warmup_epochs=0):
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_epochs = max_epochs
        self.step_size = step_size
        self.gamma = gamma
        self.warmup_epochs = warmup_epochs

    def rate(self, epoch, n_samples_seen):
        """The learning rate for the epoch about to start.

        Parameters
        ----------
        epoch : int
            The epoch about to start, counting from 0.
        n_samples_seen : int
            Training samples seen before it.

        Returns
        -------
        learning_rate : float
            A Python float, so the optimizers' float32 passes stay float32.
        """
        # linear from 1 / (W + 1) at epoch 0 up to 1 at epoch W, then 1
        warmup = min(1.0, (epoch + 1) / (self.warmup_epochs + 1))
        k = max(epoch - self.warmup_epochs, 0)
        return float(warmup * self._rate(k, n_samples_seen))

    def _rate(self, k, n_samples_seen):
        """The rate ``k`` epochs after the warm-up, before the warm-up factor."""
        raise NotImplementedError

    def on_plateau(self, verbose=False):
        """React to ``n_iter_no_change`` epochs without improvement.

        Parameters
        ----------
        verbose : bool, default=False
            Print a line when the rate changes.

        Returns
        -------
        stop : bool
            True when training should stop; here always, as there is no rate
            to lower.
        """
        return True


class ConstantSchedule(Schedule):
    """``lr0`` throughout. See ``Schedule`` for the parameters."""

    def _rate(self, k, n_samples_seen):
        return self.learning_rate_init


class InverseScalingSchedule(Schedule):
    """``lr0 / (t + 1) ** power_t``, ``t`` the samples seen so far.

    Evaluated at the start of each epoch, so the first epoch runs at ``lr0``
    as in scikit-learn's ``MLPClassifier``. See ``Schedule`` for the
    parameters.
    """

    def _rate(self, k, n_samples_seen):
        return self.learning_rate_init / (n_samples_seen + 1) ** float(self.power_t)


class AdaptiveSchedule(Schedule):
    """``lr0`` until a plateau; each plateau divides the rate by 5.

    A plateau once the rate is at most 1e-6 stops training (scikit-learn's
    rule). See ``Schedule`` for the parameters.

    Attributes
    ----------
    learning_rate : float
        The current rate, before the warm-up factor.
    """

    def __init__(self, learning_rate_init, **keywords):
        # the keywords are Schedule's, passed on so every schedule is built alike
        super().__init__(learning_rate_init, **keywords)
        self.learning_rate = float(learning_rate_init)

    def _rate(self, k, n_samples_seen):
        return self.learning_rate

    def on_plateau(self, verbose=False):
        """Divide the rate by 5, or stop once it is at most 1e-6.

        Parameters
        ----------
        verbose : bool, default=False
            Print the new rate.

        Returns
        -------
        stop : bool
            True when the rate was already at most 1e-6.
        """
        if self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"Setting learning rate to {self.learning_rate:f}")
        return False


class CosineSchedule(Schedule):
    """Cosine annealing from ``lr0`` to 0 over the epochs after the warm-up.

    ``0.5 * lr0 * (1 + cos(pi * min(k, T) / T))`` with
    ``T = max(1, max_epochs - warmup_epochs)`` (SGDR without restarts,
    Loshchilov & Hutter, 2017). The last epoch of a run of ``max_epochs``
    has ``k = T - 1``, a small positive rate; past ``T`` the rate stays 0
    rather than climbing back. See ``Schedule`` for the parameters.
    """

    def _rate(self, k, n_samples_seen):
        T = max(1, self.max_epochs - self.warmup_epochs)
        return 0.5 * self.learning_rate_init * (1.0 + math.cos(math.pi * min(k, T) / T))


class StepSchedule(Schedule):
    """``lr0 * gamma ** (k // step_size)``: a decay by ``gamma`` every ``step_size`` epochs.

    See ``Schedule`` for the parameters.
    """

    def _rate(self, k, n_samples_seen):
        return self.learning_rate_init * float(self.gamma) ** (k // self.step_size)


SCHEDULES = {
    "constant": ConstantSchedule,
    "invscaling": InverseScalingSchedule,
    "adaptive": AdaptiveSchedule,
    "cosine": CosineSchedule,
    "step": StepSchedule,
}

LEARNING_RATE_SCHEDULES = tuple(SCHEDULES)


# ---------------------------------------------------------------- clipping


def clip_by_global_norm(grads, max_norm):
    """Rescale gradients in place so that their joint L2 norm is at most ``max_norm``.

    The norm is taken over all arrays together, as if concatenated, so the
    direction of the whole update is kept (Pascanu et al., 2013).

    Parameters
    ----------
    grads : list of ndarray
        Scaled in place by ``max_norm / norm`` when ``norm > max_norm``; their
        dtype is kept.
    max_norm : float
        The largest norm allowed, > 0.

    Returns
    -------
    norm : float
        The global norm before clipping. A non-finite norm is returned without
        scaling anything, for the caller's divergence check to report.
    """
    # dot of the flat view: one pass per array, no squared temporary
    norm = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    if math.isfinite(norm) and norm > max_norm:
        scale = float(max_norm) / norm  # a Python float keeps float32 grads float32
        for g in grads:
            g *= scale
    return norm
