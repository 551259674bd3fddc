"""Stochastic optimizers: each owns its state and updates parameters in place.

NumPy only. ``update(params, grads)`` applies one step to the list of
parameter arrays; gradients are computed elsewhere (``_network.backward``).
Learning-rate schedules follow scikit-learn's ``MLPClassifier``:

* ``"constant"``: ``learning_rate_init`` throughout;
* ``"invscaling"``: ``learning_rate_init / (t + 1) ** power_t`` after each
  epoch, ``t`` being the number of samples seen so far;
* ``"adaptive"``: divided by 5 each time the training loss (or validation
  score) stops improving; training stops once it falls below 1e-6.

Adding an optimizer is adding a class with ``update`` and one entry to
``OPTIMIZERS``.
"""

import math

import numpy as np

LEARNING_RATE_SCHEDULES = ("constant", "invscaling", "adaptive")


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
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    momentum : float, default=0.9
    nesterov : bool, default=True
    power_t : float, default=0.5
    """

    def __init__(self, params, learning_rate_init=0.1, learning_rate="constant",
                 momentum=0.9, nesterov=True, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = [np.zeros_like(p) for p in params]
        self._step = [np.empty_like(p) for p in params]

    def update(self, params, grads):
        """Apply one step in place.

        Parameters
        ----------
        params : list of ndarray
            Updated in place.
        grads : list of ndarray
            Gradients of the loss with respect to ``params``; left unchanged.
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

    def on_epoch_end(self, n_samples_seen):
        """Advance an ``"invscaling"`` schedule; ``n_samples_seen`` is ``t_``."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (n_samples_seen + 1) ** self.power_t

    def on_plateau(self, verbose=False):
        """React to a plateau of the monitored quantity.

        Returns
        -------
        stop : bool
            True when training should stop: always, except for an
            ``"adaptive"`` schedule whose rate can still be divided by 5.
        """
        if self.schedule != "adaptive":
            return True
        if self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"Setting learning rate to {self.learning_rate:f}")
        return False


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
    learning_rate_init : float, default=0.001
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    """

    def __init__(self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._sums = [np.zeros_like(p) for p in params]
        self._square_sums = [np.zeros_like(p) for p in params]
        self._step = [np.empty_like(p) for p in params]

    @property
    def first_moments(self):
        """The first moment estimates ``m``, one new array per parameter."""
        return [(1 - self.beta_1) * M for M in self._sums]

    @property
    def second_moments(self):
        """The second moment estimates ``s``, one new array per parameter."""
        return [(1 - self.beta_2) * S for S in self._square_sums]

    def update(self, params, grads):
        """Apply one step in place; ``grads`` is left unchanged."""
        self.t += 1
        # Python floats: a NumPy float64 scalar (from a parameter grid, say)
        # would make each float32 pass below run in float64 through a casting
        # buffer, several times slower
        b1, b2 = float(self.beta_1), float(self.beta_2)
        c = math.sqrt(1 - b2)
        lr_t = (self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
                * (1 - b1) / c)
        eps = float(self.epsilon / c)
        for p, g, M, S, step in zip(params, grads, self._sums, self._square_sums,
                                    self._step):
            M *= b1
            M += g
            np.multiply(g, g, out=step)
            S *= b2
            S += step
            np.sqrt(S, out=step)
            step += eps
            np.divide(M, step, out=step)
            step *= lr_t
            p -= step

    def on_epoch_end(self, n_samples_seen):
        """Adam keeps its rate constant between epochs."""

    def on_plateau(self, verbose=False):
        """A plateau ends training (there is no schedule to lower)."""
        return True


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
