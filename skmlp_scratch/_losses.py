"""Loss functions: one registry entry holds a loss value and its gradient.

NumPy only. Every loss is a *weighted mean over samples*: with per-sample
weights ``w`` (all ones when the user gives none) and per-sample losses ``l``,
the value is ``sum(w * l) / sum(w)``, and ``gradient`` is the gradient of
exactly that mean with respect to the network output ``P``. Callers pass the
normalised weights ``scale = w / sum(w)`` as a column of shape
(n_samples, 1), or the scalar ``1 / n_samples`` when there are no weights.

Which cross-entropy applies depends on the output activation: categorical
(``log_loss``) for softmax outputs, one Bernoulli term per column
(``binary_log_loss``) for logistic outputs; see :func:`resolve_loss`. Both
take soft targets as well as hard ones, as label smoothing
(:func:`smooth_targets`) makes them.

A regression loss names its output activation, the inverse of its link:
``identity`` for ``squared_error``, ``absolute_error`` and ``huber``, ``exp``
for ``poisson`` (a log link, as scikit-learn's ``MLPRegressor``). A loss with
a parameter (Huber's ``delta``) lists it in ``options``; :func:`resolve_loss`
binds the value the user chose.
"""

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import xlogy


@dataclass(frozen=True)
class Loss:
    """A loss, averaged over samples.

    Attributes
    ----------
    name : str
        Registry name.
    value : callable
        ``value(Y, P, scale) -> float``, the weighted mean loss.
    gradient : callable
        ``gradient(Y, P, scale, out)``: write ``d value / d P`` into ``out``.
    output_activation : str or None
        For a regression loss, the output activation it pairs with (the
        inverse link); None for the classification losses, whose output
        follows from the targets.
    non_negative_targets : bool
        Whether targets must be >= 0 (a count or rate).
    options : tuple of str
        Keyword parameters of ``value`` and ``gradient`` a user may set.
    """

    name: str
    value: Callable
    gradient: Callable
    output_activation: str = None
    non_negative_targets: bool = False
    options: tuple = ()


def _clipped(P):
    # keeps log() finite; float32 and float64 each use their own machine epsilon
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def _log_loss_value(Y, P, scale):
    # -sum_k y_k log p_k per sample
    return -float(np.sum(scale * (Y * np.log(_clipped(P)))))


def _log_loss_gradient(Y, P, scale, out):
    np.divide(Y, _clipped(P), out=out)
    out *= -scale


def _binary_log_loss_value(Y, P, scale):
    # -sum_k [y_k log p_k + (1 - y_k) log(1 - p_k)] per sample
    P = _clipped(P)
    per_entry = Y * np.log(P) + (1 - Y) * np.log1p(-P)
    return -float(np.sum(scale * per_entry))


def _binary_log_loss_gradient(Y, P, scale, out):
    P = _clipped(P)
    np.subtract(P, Y, out=out)
    out /= P * (1 - P)
    out *= scale


def _squared_error_value(Y, P, scale):
    # half the mean over outputs of (p - y)^2 per sample, as sklearn's MLP defines it
    diff = P - Y
    return 0.5 * float(np.sum(scale * (diff * diff))) / Y.shape[1]


def _squared_error_gradient(Y, P, scale, out):
    np.subtract(P, Y, out=out)
    out *= scale
    out /= Y.shape[1]


def _positive(P):
    # exp() of a very negative output underflows to 0; log(y / 0) would be inf
    return np.maximum(P, np.finfo(P.dtype).tiny)


def _poisson_value(Y, P, scale):
    # half the Poisson deviance, y log(y / p) - y + p, summed over outputs as
    # scikit-learn's MLPRegressor does; xlogy makes 0 log 0 = 0
    per_entry = xlogy(Y, Y / _positive(P)) - Y + P
    return float(np.sum(scale * per_entry))


def _poisson_gradient(Y, P, scale, out):
    np.divide(Y, _positive(P), out=out)
    np.subtract(1, out, out=out)
    out *= scale


def _absolute_error_value(Y, P, scale):
    # the mean over outputs of |p - y| per sample, like squared_error's mean
    return float(np.sum(scale * np.abs(P - Y))) / Y.shape[1]


def _absolute_error_gradient(Y, P, scale, out):
    # a subgradient: sign(p - y), and 0 where p == y
    np.subtract(P, Y, out=out)
    np.sign(out, out=out)
    out *= scale
    out /= Y.shape[1]


def _huber_value(Y, P, scale, delta=1.0):
    # 0.5 r^2 for |r| <= delta, delta (|r| - delta / 2) beyond: quadratic near
    # the target, linear (robust to outliers) far from it (Huber, 1964)
    r = np.abs(P - Y)
    inner = np.minimum(r, delta)
    per_entry = inner * (r - 0.5 * inner)
    return float(np.sum(scale * per_entry)) / Y.shape[1]


def _huber_gradient(Y, P, scale, out, delta=1.0):
    # d/dp is the residual clipped to [-delta, delta]
    np.subtract(P, Y, out=out)
    np.clip(out, -delta, delta, out=out)
    out *= scale
    out /= Y.shape[1]


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("log_loss", _log_loss_value, _log_loss_gradient),
        Loss("binary_log_loss", _binary_log_loss_value, _binary_log_loss_gradient),
        Loss("squared_error", _squared_error_value, _squared_error_gradient,
             output_activation="identity"),
        Loss("poisson", _poisson_value, _poisson_gradient, output_activation="exp",
             non_negative_targets=True),
        Loss("absolute_error", _absolute_error_value, _absolute_error_gradient,
             output_activation="identity"),
        Loss("huber", _huber_value, _huber_gradient, output_activation="identity",
             options=("delta",)),
    )
}

# The loss names a classifier's user chooses from; binary_log_loss is reached
# through resolve_loss.
USER_LOSSES = ("log_loss", "squared_error")

# The regression losses: every entry that names its output activation.
REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items()
                          if loss.output_activation is not None)

# (output activation, loss) pairs whose output delta d loss / d Z is exactly
# scale * (P - Y): the "canonical link" pairs. Every other pair takes the generic
# path, loss gradient times output Jacobian. (identity + squared_error is
# canonical too, but its mean over outputs divides by n_outputs, and the
# identity's Jacobian costs nothing, so the generic path is as fast.) Soft targets
# keep the shortcut exact: per logistic entry d/dz of the Bernoulli loss is p - y
# for any y in [0, 1]; for softmax, d/dz_j of -sum_k y_k log p_k is
# p_j sum_k y_k - y_j, which is p_j - y_j whenever each target row sums to 1
# (one-hot rows, and rows smoothed by smooth_targets).
FUSED_OUTPUT_DELTA = frozenset({("softmax", "log_loss"), ("logistic", "binary_log_loss"),
                                ("exp", "poisson")})


def resolve_loss(name, output_activation, valid=USER_LOSSES, **options):
    """Return the loss entry that ``name`` means for this output activation.

    Parameters
    ----------
    name : str
        The loss the user asked for.
    output_activation : str
        Name of the output activation.
    valid : tuple of str, default=USER_LOSSES
        The names the caller accepts, listed in the error for any other.
    **options
        Values of the loss's ``options`` (e.g. ``delta=1.0`` for Huber);
        options the loss does not take are ignored.

    Returns
    -------
    loss : Loss
        For ``"log_loss"`` with a logistic output, the Bernoulli cross-entropy
        summed over output columns (binary and multilabel problems). A loss
        with options comes back with the given values bound.
    """
    if name not in valid:
        names = ", ".join(repr(n) for n in valid)
        raise ValueError(f"Unknown loss {name!r}; valid names are {names}.")
    if name == "log_loss" and output_activation == "logistic":
        name = "binary_log_loss"
    loss = LOSSES[name]
    bound = {key: float(options[key]) for key in loss.options if key in options}
    if not bound:
        return loss
    return Loss(loss.name, functools.partial(loss.value, **bound),
                functools.partial(loss.gradient, **bound), loss.output_activation,
                loss.non_negative_targets, loss.options)


def smooth_targets(Y, smoothing, output_activation):
    """Cross-entropy targets mixed with the uniform distribution (label smoothing).

    A softmax output's one-hot row over ``K`` classes becomes
    ``(1 - smoothing) * y + smoothing / K``; each column of a logistic output
    is a distribution over two outcomes, so it becomes
    ``(1 - smoothing) * y + smoothing / 2``. Rows of a softmax target still sum
    to 1, so the fused output delta ``P - Y`` stays exact (Szegedy et al.,
    2016, "Rethinking the Inception Architecture").

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        Hard targets: one-hot rows for ``"softmax"``, 0/1 entries for
        ``"logistic"``.
    smoothing : float
        In [0, 1): the probability mass moved to the uniform distribution.
    output_activation : {"softmax", "logistic"}
        Name of the output activation.

    Returns
    -------
    Y_smooth : ndarray of shape (n_samples, n_outputs)
        A new array in the dtype of ``Y``; ``Y`` itself when ``smoothing`` is 0,
        so the default trains on exactly the targets it always did.
    """
    if smoothing == 0:
        return Y
    n_outcomes = Y.shape[1] if output_activation == "softmax" else 2
    # Python floats keep a float32 Y in float32
    return (1.0 - float(smoothing)) * Y + float(smoothing) / n_outcomes


def sample_scale(sample_weight, n_samples, dtype):
    """Per-sample factors that turn a sum over samples into the weighted mean.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
    n_samples : int
    dtype : numpy dtype

    Returns
    -------
    scale : float or ndarray of shape (n_samples, 1)
        ``1 / n_samples`` without weights, else ``sample_weight / sum(sample_weight)``.
    total : float
        The denominator: ``n_samples`` or ``sum(sample_weight)``.
    """
    if sample_weight is None:
        return 1.0 / n_samples, float(n_samples)
    total = float(sample_weight.sum())
    return (sample_weight / total).astype(dtype, copy=False)[:, np.newaxis], total
