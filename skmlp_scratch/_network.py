"""Initialisation, forward and backward passes of a fully connected network.

NumPy only (SciPy for sparse inputs). Parameters are flat lists of arrays:
``coefs[i]`` of shape (fan_in, fan_out) and ``intercepts[i]`` of shape
(fan_out,), rows of every matrix being samples. The passes write into arrays
of a :class:`Workspace` that the caller allocates once and reuses for every
batch, so a training step allocates no layer-sized arrays of its own.

Notation: ``Z = A_prev @ W + b`` is a layer's pre-activation, ``A = f(Z)`` its
output and ``delta = d loss / d Z``. The loss is the weighted mean over samples
defined in ``_losses`` plus the L2 penalty ``0.5 * alpha * sum ||W||^2 / total``,
where ``total`` is the sum of the sample weights (the number of samples
without weights), the same penalty as scikit-learn's ``MLPClassifier``.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._losses import FUSED_OUTPUT_DELTA, sample_scale


def layer_sizes(n_features, hidden_layer_sizes, n_outputs):
    """Return the number of units of every layer, input and output included.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : sequence of int
    n_outputs : int

    Returns
    -------
    sizes : list of int of length n_hidden + 2
    """
    return [n_features, *hidden_layer_sizes, n_outputs]


def init_params(sizes, hidden_activation, dtype, rng):
    """Draw initial weights and biases, Glorot-uniform exactly as scikit-learn does.

    Each layer draws its weights, then its biases, from
    ``U(-b, b)`` with ``b = sqrt(factor / (fan_in + fan_out))`` (Glorot &
    Bengio, 2010). As in scikit-learn's MLP, ``factor`` is 2 for every layer
    when the hidden activation is logistic and 6 otherwise, so the same
    ``random_state`` gives both estimators the same starting weights.

    Parameters
    ----------
    sizes : list of int
        Units per layer, as returned by :func:`layer_sizes`.
    hidden_activation : Activation
        The activation of the hidden layers.
    dtype : numpy dtype
        float32 or float64.
    rng : numpy.random.RandomState
        The one generator of this fit.

    Returns
    -------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    """
    factor = 2.0 if hidden_activation.name == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


def split_vector(vector, shapes):
    """Cut ``vector`` into consecutive row-major views, one per shape.

    Parameters
    ----------
    vector : ndarray of shape (n,)
        ``n`` is the total size of ``shapes``.
    shapes : list of tuple of int

    Returns
    -------
    views : list of ndarray
        Writing into a view writes into ``vector``.
    """
    views, start = [], 0
    for shape in shapes:
        stop = start + math.prod(shape)
        views.append(vector[start:stop].reshape(shape))
        start = stop
    return views


class ParameterVector:
    """Coefs and intercepts as views of one contiguous vector.

    An optimizer then updates the whole network with a handful of passes
    over one array, instead of a handful per layer and per bias: fewer NumPy
    calls and one stream through memory. Coefs come first, then intercepts.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Copied into the vector; left unchanged.

    Attributes
    ----------
    vector : ndarray of shape (n_parameters,)
    coefs, intercepts : list of ndarray
        Views of ``vector`` with the shapes of the arrays passed in.
    """

    def __init__(self, coefs, intercepts):
        arrays = list(coefs) + list(intercepts)
        self.vector = np.empty(sum(a.size for a in arrays), dtype=coefs[0].dtype)
        views = split_vector(self.vector, [a.shape for a in arrays])
        for view, a in zip(views, arrays):
            view[...] = a
        self.coefs, self.intercepts = views[:len(coefs)], views[len(coefs):]


class Workspace:
    """Arrays a pass writes into, allocated once for at most ``n_rows`` rows.

    Parameters
    ----------
    sizes : list of int
        Units per layer, input included.
    n_rows : int
        The largest batch the workspace will serve.
    dtype : numpy dtype

    Attributes
    ----------
    outputs : list of ndarray of shape (n_rows, sizes[i + 1])
        Layer outputs ``A``; the input layer is the caller's ``X``.
    deltas : list of ndarray of shape (n_rows, sizes[i + 1])
        ``d loss / d Z`` per layer.
    gradient_vector : ndarray of shape (n_parameters,)
        All gradients, laid out like :attr:`ParameterVector.vector`.
    coef_grads, intercept_grads : list of ndarray
        Views of ``gradient_vector`` shaped like ``coefs`` and ``intercepts``.
    """

    def __init__(self, sizes, n_rows, dtype):
        self.n_rows = n_rows
        self.outputs = [np.empty((n_rows, u), dtype=dtype) for u in sizes[1:]]
        self.deltas = [np.empty((n_rows, u), dtype=dtype) for u in sizes[1:]]
        shapes = [(i, o) for i, o in zip(sizes, sizes[1:])] + [(o,) for o in sizes[1:]]
        self.gradient_vector = np.empty(sum(math.prod(s) for s in shapes), dtype=dtype)
        grads = split_vector(self.gradient_vector, shapes)
        self.coef_grads, self.intercept_grads = grads[:len(sizes) - 1], grads[len(sizes) - 1:]

    def batch_views(self, n):
        """Outputs and deltas cut to the first ``n`` rows.

        Leading rows of a C-ordered array are contiguous, so BLAS writes into
        these views directly.
        """
        return [a[:n] for a in self.outputs], [d[:n] for d in self.deltas]


def _matmul_into(A, W, out):
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def forward(X, coefs, intercepts, activations, outputs):
    """Run the network on ``X``, writing every layer's output.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activations : list of Activation, one per non-input layer
    outputs : list of ndarray of shape (n_samples, n_units)
        Written in place.

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs)
        The last of ``outputs``.
    """
    A = X
    for W, b, act, Z in zip(coefs, intercepts, activations, outputs):
        _matmul_into(A, W, out=Z)
        Z += b
        act.forward(Z)
        A = Z
    return A


def penalty(coefs, alpha, total):
    """The L2 term of the loss: ``0.5 * alpha * sum ||W||^2 / total``."""
    if alpha == 0:
        return 0.0
    squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in coefs)
    return 0.5 * alpha * squares / total


def output_delta(Y, P, scale, output_activation, loss, out):
    """Write ``d loss / d Z`` of the output layer into ``out``.

    For the canonical pairs in ``FUSED_OUTPUT_DELTA`` the product of the loss
    gradient and the output Jacobian collapses to ``scale * (P - Y)``; every
    other pair multiplies the two explicitly.
    """
    if (output_activation.name, loss.name) in FUSED_OUTPUT_DELTA:
        np.subtract(P, Y, out=out)
        out *= scale
    else:
        loss.gradient(Y, P, scale, out=out)
        output_activation.backprop(P, out)
    return out


def backward(X, Y, scale, total, coefs, activations, loss, alpha, outputs, deltas,
             coef_grads, intercept_grads):
    """Backpropagate from the outputs of :func:`forward` into the gradient arrays.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets, one column per output unit.
    scale : float or ndarray of shape (n_samples, 1)
        Weights of the mean, from :func:`~._losses.sample_scale`.
    total : float
        Sum of the sample weights, the denominator of the L2 term.
    coefs : list of ndarray
    activations : list of Activation
    loss : Loss
    alpha : float
        L2 penalty strength.
    outputs : list of ndarray
        Layer outputs written by :func:`forward`.
    deltas, coef_grads, intercept_grads : list of ndarray
        Written in place.
    """
    output_delta(Y, outputs[-1], scale, activations[-1], loss, out=deltas[-1])
    for i in range(len(coefs) - 1, -1, -1):
        A_prev = X if i == 0 else outputs[i - 1]
        if sp.issparse(A_prev):
            coef_grads[i][...] = A_prev.T @ deltas[i]
        else:
            np.matmul(A_prev.T, deltas[i], out=coef_grads[i])
        if alpha:
            # a Python float keeps a float32 product in float32
            coef_grads[i] += float(alpha / total) * coefs[i]
        np.sum(deltas[i], axis=0, out=intercept_grads[i])
        if i > 0:
            np.matmul(deltas[i], coefs[i].T, out=deltas[i - 1])
            activations[i - 1].backprop(outputs[i - 1], deltas[i - 1])


def loss_and_gradients(X, Y, sample_weight, coefs, intercepts, activations, loss,
                       alpha, workspace):
    """Mean loss of the network on ``(X, Y)``; gradients land in ``workspace``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        ``n_samples`` at most ``workspace.n_rows``.
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    coefs, intercepts : list of ndarray
    activations : list of Activation
    loss : Loss
    alpha : float
    workspace : Workspace

    Returns
    -------
    loss_value : float
        Weighted mean loss plus the L2 penalty.
    """
    n = X.shape[0]
    outputs, deltas = workspace.batch_views(n)
    P = forward(X, coefs, intercepts, activations, outputs)
    scale, total = sample_scale(sample_weight, n, P.dtype)
    value = loss.value(Y, P, scale) + penalty(coefs, alpha, total)
    backward(X, Y, scale, total, coefs, activations, loss, alpha, outputs, deltas,
             workspace.coef_grads, workspace.intercept_grads)
    return value


def predict_proba_chunked(X, coefs, intercepts, activations, chunk_size=4096):
    """Network outputs for ``X``, computed ``chunk_size`` rows at a time.

    Memory beyond the returned array is one workspace of ``chunk_size`` rows,
    whatever the number of samples.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activations : list of Activation
    chunk_size : int, default=4096

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs)
    """
    n = X.shape[0]
    dtype = coefs[0].dtype
    P = np.empty((n, coefs[-1].shape[1]), dtype=dtype)
    outputs = [np.empty((min(n, chunk_size), W.shape[1]), dtype=dtype) for W in coefs]
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        views = [o[: stop - start] for o in outputs[:-1]] + [P[start:stop]]
        forward(X[start:stop], coefs, intercepts, activations, views)
    return P
