"""Activation functions: one registry entry holds a function and its derivative.

NumPy only. Both halves work in place on arrays the training loop owns, so no
activation allocates a layer-sized array per batch:

* ``forward(Z)`` overwrites the pre-activation ``Z`` with ``f(Z)``;
* ``backprop(A, delta)`` overwrites ``delta`` (the gradient with respect to the
  layer's output ``A = f(Z)``) with the gradient with respect to ``Z``.

Every derivative here is written through the output ``A``, which is what the
forward pass keeps, so the pre-activations never need to be stored.

Adding an activation is adding one entry to ``ACTIVATIONS``: the estimator's
parameter validation, its docstring list and the gradient-check tests all read
the registry.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit


@dataclass(frozen=True)
class Activation:
    """A differentiable activation function.

    Attributes
    ----------
    name : str
        Registry name.
    forward : callable
        ``forward(Z)``: overwrite ``Z`` with ``f(Z)``.
    backprop : callable
        ``backprop(A, delta)``: overwrite ``delta`` with ``delta * f'(Z)`` (the
        vector-Jacobian product), where ``A = f(Z)``.
    hidden : bool
        Whether it may be used in hidden layers. Softmax couples the units of a
        layer and is reserved for the output.
    """

    name: str
    forward: Callable
    backprop: Callable
    hidden: bool = True


def _identity_forward(Z):
    pass


def _identity_backprop(A, delta):
    pass


def _logistic_forward(Z):
    expit(Z, out=Z)


def _logistic_backprop(A, delta):
    # f'(z) = f(z) (1 - f(z))
    delta *= A
    delta *= 1 - A


def _tanh_forward(Z):
    np.tanh(Z, out=Z)


def _tanh_backprop(A, delta):
    # f'(z) = 1 - tanh(z)^2
    delta *= 1 - A * A


def _relu_forward(Z):
    np.maximum(Z, 0, out=Z)


def _relu_backprop(A, delta):
    # f'(z) = 1 where z > 0, which is exactly where A > 0
    np.multiply(delta, A > 0, out=delta)


def _softmax_forward(Z):
    # subtracting the row maximum leaves softmax unchanged and keeps exp finite
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def _softmax_backprop(A, delta):
    # Jacobian diag(a) - a a^T applied to each row: a * (g - <g, a>)
    delta -= np.einsum("ij,ij->i", delta, A)[:, np.newaxis]
    delta *= A


ACTIVATIONS = {
    act.name: act
    for act in (
        Activation("identity", _identity_forward, _identity_backprop),
        Activation("logistic", _logistic_forward, _logistic_backprop),
        Activation("tanh", _tanh_forward, _tanh_backprop),
        Activation("relu", _relu_forward, _relu_backprop),
        Activation("softmax", _softmax_forward, _softmax_backprop, hidden=False),
    )
}

# Other names users know from from-scratch tutorials, mapped to registry names.
ALIASES = {"sigmoid": "logistic"}

HIDDEN_ACTIVATIONS = tuple(
    sorted([name for name, act in ACTIVATIONS.items() if act.hidden] + list(ALIASES))
)


def get_activation(name):
    """Return the registry entry for ``name`` (an alias is resolved).

    Parameters
    ----------
    name : str
        A key of ``ACTIVATIONS`` or ``ALIASES``.

    Returns
    -------
    activation : Activation
    """
    name = ALIASES.get(name, name)
    try:
        return ACTIVATIONS[name]
    except KeyError:
        valid = ", ".join(repr(n) for n in sorted(set(ACTIVATIONS) | set(ALIASES)))
        raise ValueError(f"Unknown activation {name!r}; valid names are {valid}.")
