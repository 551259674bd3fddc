"""Activation functions: one registry entry holds a function and its derivative.

NumPy only. Both halves work in place on arrays the training loop owns, so no
activation allocates a layer-sized array per batch:

* ``forward(Z)`` overwrites the pre-activation ``Z`` with ``f(Z)``;
* ``backprop(A, delta)`` overwrites ``delta`` (the gradient with respect to the
  layer's output ``A = f(Z)``) with the gradient with respect to ``Z``.

Most derivatives are written through the output ``A``, which is what the
forward pass keeps, so the pre-activations need not be stored. GELU's
derivative is not a function of its output (GELU is not monotone), so its
entry says ``uses_input=True``: its ``backprop`` receives ``Z`` instead of
``A`` and the network keeps a copy of ``Z`` for such layers only.

Adding an activation is adding one entry to ``ACTIVATIONS``: the estimator's
parameter validation, its docstring list and the gradient-check tests all read
the registry.
"""

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf, expit


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
    uses_input : bool
        Whether ``backprop`` takes the pre-activation ``Z`` in place of ``A``.
    """

    name: str
    forward: Callable
    backprop: Callable
    hidden: bool = True
    uses_input: bool = False

    def vjp(self, A, Z, delta):
        """Overwrite ``delta`` with ``delta * f'(Z)``, passing ``backprop`` what it needs.

        ``Z`` may be None when ``uses_input`` is False.
        """
        if self.uses_input and Z is None:
            raise ValueError(f"The {self.name} derivative needs the pre-activation Z; "
                             "build the Workspace with the layers' activations.")
        self.backprop(Z if self.uses_input else A, delta)


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


LEAKY_RELU_SLOPE = 0.01  # slope for z < 0, as in PyTorch and Keras


def _leaky_relu_forward(Z):
    np.multiply(Z, LEAKY_RELU_SLOPE, out=Z, where=Z < 0)


def _leaky_relu_backprop(A, delta):
    # A < 0 exactly where z < 0, since the slope is positive
    np.multiply(delta, LEAKY_RELU_SLOPE, out=delta, where=A < 0)


def _elu_forward(Z):
    # Clevert et al. (2016) with alpha = 1: z for z > 0, exp(z) - 1 otherwise
    np.expm1(Z, out=Z, where=Z < 0)


def _elu_backprop(A, delta):
    # f'(z) = exp(z) = A + 1 for z < 0, and 1 above
    np.multiply(delta, A + 1, out=delta, where=A < 0)


def _softplus_forward(Z):
    # log(1 + exp(z)) = logaddexp(0, z), without overflow for large z
    np.logaddexp(0, Z, out=Z)


def _softplus_backprop(A, delta):
    # f'(z) = sigmoid(z) = 1 - exp(-f(z)) = -expm1(-A)
    delta *= -np.expm1(-A)


# Python floats, so float32 layers stay float32
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_forward(Z):
    # Hendrycks & Gimpel (2016), exact form: z * Phi(z), Phi the normal CDF
    cdf = erf(Z * _SQRT_HALF)
    cdf += 1
    cdf *= 0.5
    Z *= cdf


def _gelu_backprop(Z, delta):
    # f'(z) = Phi(z) + z * phi(z), phi the normal density
    derivative = erf(Z * _SQRT_HALF)
    derivative += 1
    derivative *= 0.5
    derivative += Z * np.exp(-0.5 * Z * Z) * _INV_SQRT_2PI
    delta *= derivative


def _exp_forward(Z):
    np.exp(Z, out=Z)


def _exp_backprop(A, delta):
    # f'(z) = exp(z) = A; the inverse of the log link of poisson regression
    delta *= A


def _softmax_forward(Z):
    # subtracting the row maximum leaves softmax unchanged and keeps exp finite
    # over the last axis: the units of a layer, for one network or for k stacked
    Z -= Z.max(axis=-1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=-1, keepdims=True)


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
        Activation("leaky_relu", _leaky_relu_forward, _leaky_relu_backprop),
        Activation("elu", _elu_forward, _elu_backprop),
        Activation("gelu", _gelu_forward, _gelu_backprop, uses_input=True),
        Activation("softplus", _softplus_forward, _softplus_backprop),
        Activation("softmax", _softmax_forward, _softmax_backprop, hidden=False),
        Activation("exp", _exp_forward, _exp_backprop, hidden=False),
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
