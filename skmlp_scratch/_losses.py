"""Loss functions: one registry entry holds a loss value and its gradient.

NumPy only. Every loss is a *weighted mean over samples*: with per-sample
weights ``w`` (all ones when the user gives none) and per-sample losses ``l``,
the value is ``sum(w * l) / sum(w)``, and ``gradient`` is the gradient of
exactly that mean with respect to the network output ``P``. Callers pass the
normalised weights ``scale = w / sum(w)`` as a column of shape
(n_samples, 1), or the scalar ``1 / n_samples`` when there are no weights.

Which cross-entropy applies depends on the output activation: categorical
(``log_loss``) for softmax outputs, one Bernoulli term per column
(``binary_log_loss``) for logistic outputs; see :func:`resolve_loss`.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np


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
    """

    name: str
    value: Callable
    gradient: Callable


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


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("log_loss", _log_loss_value, _log_loss_gradient),
        Loss("binary_log_loss", _binary_log_loss_value, _binary_log_loss_gradient),
        Loss("squared_error", _squared_error_value, _squared_error_gradient),
    )
}

# The loss names a user chooses from; binary_log_loss is reached through resolve_loss.
USER_LOSSES = ("log_loss", "squared_error")

# (output activation, loss) pairs whose output delta d loss / d Z is exactly
# scale * (P - Y): the "canonical link" pairs. Every other pair takes the generic
# path, loss gradient times output Jacobian.
FUSED_OUTPUT_DELTA = frozenset({("softmax", "log_loss"), ("logistic", "binary_log_loss")})


def resolve_loss(name, output_activation):
    """Return the loss entry that ``name`` means for this output activation.

    Parameters
    ----------
    name : {"log_loss", "squared_error"}
        The loss the user asked for.
    output_activation : str
        Name of the output activation.

    Returns
    -------
    loss : Loss
        For ``"log_loss"`` with a logistic output, the Bernoulli cross-entropy
        summed over output columns (binary and multilabel problems).
    """
    if name == "log_loss" and output_activation == "logistic":
        name = "binary_log_loss"
    try:
        return LOSSES[name]
    except KeyError:
        valid = ", ".join(repr(n) for n in USER_LOSSES)
        raise ValueError(f"Unknown loss {name!r}; valid names are {valid}.")


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
