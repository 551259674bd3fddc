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
from dataclasses import dataclass

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


def layer_sizes_of(coefs):
    """Units per layer, input included, of a network with weights ``coefs``."""
    return [coefs[0].shape[0]] + [W.shape[1] for W in coefs]


def _glorot_uniform(rng, fan_in, fan_out, activation_name):
    # scikit-learn's draw: factor 2 for logistic, else 6; biases from the same law
    factor = 2.0 if activation_name == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return (rng.uniform(-bound, bound, (fan_in, fan_out)),
            rng.uniform(-bound, bound, fan_out))


def _he_normal(rng, fan_in, fan_out, activation_name):
    # He et al. (2015): Var(W) = 2 / fan_in keeps relu layers' variance constant
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


def _he_uniform(rng, fan_in, fan_out, activation_name):
    bound = np.sqrt(6.0 / fan_in)  # U(-b, b) has variance b^2 / 3 = 2 / fan_in
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def _lecun_normal(rng, fan_in, fan_out, activation_name):
    # LeCun et al. (1998): Var(W) = 1 / fan_in, for tanh-like activations
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "lecun_normal": _lecun_normal,
}
"""Weight initialisations: ``draw(rng, fan_in, fan_out, activation_name)``
returns ``(W, b)`` in float64; adding a scheme is adding one entry."""


def init_params(sizes, layer_activations, dtype, rng, init="glorot_uniform"):
    """Draw initial weights and biases, layer by layer, weights before biases.

    The default, ``"glorot_uniform"``, is exactly scikit-learn's draw:
    ``U(-b, b)`` with ``b = sqrt(factor / (fan_in + fan_out))`` (Glorot &
    Bengio, 2010) for weights and biases, ``factor`` being 2 when the
    activation is logistic and 6 otherwise, so the same ``random_state`` gives
    both estimators the same starting weights. The He and LeCun schemes draw
    weights with variance ``2 / fan_in`` and ``1 / fan_in`` and start biases at
    zero.

    Parameters
    ----------
    sizes : list of int
        Units per layer, as returned by :func:`layer_sizes`.
    layer_activations : Activation or list of Activation
        The activation whose name sets Glorot's factor, one per weight
        matrix; a single one is used for every matrix. (scikit-learn uses
        the hidden activation for the output layer too.)
    dtype : numpy dtype
        float32 or float64.
    rng : numpy.random.RandomState
        The one generator of this fit.
    init : str, default="glorot_uniform"
        A key of ``INITIALIZERS``.

    Returns
    -------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    """
    if not isinstance(layer_activations, (list, tuple)):
        layer_activations = [layer_activations] * (len(sizes) - 1)
    draw = INITIALIZERS[init]
    coefs, intercepts = [], []
    for fan_in, fan_out, act in zip(sizes[:-1], sizes[1:], layer_activations):
        W, b = draw(rng, fan_in, fan_out, act.name)
        coefs.append(W.astype(dtype))
        intercepts.append(b.astype(dtype))
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


@dataclass
class BatchArrays:
    """The per-layer arrays of one pass, all with the batch's rows.

    Attributes
    ----------
    outputs : list of ndarray of shape (n_samples, n_units)
        Layer outputs ``A = f(Z)``, one per non-input layer.
    deltas : list of ndarray or None
        ``d loss / d Z`` per layer; needed by :func:`backward` only.
    inputs : list of (ndarray or None) or None
        A copy of ``Z`` for the layers whose activation has ``uses_input``.
    masks : list of (ndarray or None) or None
        Inverted-dropout masks, one per hidden layer: 0 for a dropped unit,
        ``1 / (1 - rate)`` for a kept one. None (or a None entry): no dropout.
    dropped : list of (ndarray or None) or None
        ``outputs[i] * masks[i]``, what the next layer sees when layer ``i``
        has a mask. ``outputs[i]`` keeps ``f(Z)`` for the derivative.
    """

    outputs: list
    deltas: list = None
    inputs: list = None
    masks: list = None
    dropped: list = None

    def input_kept(self, i):
        """The copy of layer ``i``'s ``Z``, or None."""
        return self.inputs[i] if self.inputs is not None else None

    def mask(self, i):
        """Layer ``i``'s dropout mask, or None."""
        if self.masks is None or i >= len(self.masks):
            return None
        return self.masks[i]

    def fed_forward(self, i, X):
        """What layer ``i`` multiplies by its weights: X, or the previous output."""
        if i == 0:
            return X
        return self.outputs[i - 1] if self.mask(i - 1) is None else self.dropped[i - 1]


def _rows(arrays, n):
    return None if arrays is None else [None if a is None else a[:n] for a in arrays]


class Workspace:
    """Arrays a pass writes into, allocated once for at most ``n_rows`` rows.

    Parameters
    ----------
    sizes : list of int
        Units per layer, input included.
    n_rows : int
        The largest batch the workspace will serve.
    dtype : numpy dtype
    activations : list of Activation or None, default=None
        One per non-input layer; a copy of ``Z`` is kept for those with
        ``uses_input``. None: no layer needs one.
    dropout : list of float or None, default=None
        Dropout rate of each hidden layer; layers with a positive rate get
        mask buffers. None: no dropout.
    input_dropout : float, default=0.0
        Inverted-dropout rate of the input features, in [0, 1).
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the input features.

    Attributes
    ----------
    outputs, deltas : list of ndarray of shape (n_rows, sizes[i + 1])
        Layer outputs ``A`` and ``d loss / d Z``; the input layer is the
        caller's ``X``.
    inputs, masks, dropped : list of (ndarray or None)
        See :class:`BatchArrays`.
    dropout : list of float
        The rate of each hidden layer (0 for none).
    input_dropout, input_noise : float
        As given.
    noisy_inputs : ndarray of shape (n_rows, sizes[0]) or None
        The corrupted batch, written by :meth:`draw_noisy_inputs`; None when
        both ``input_dropout`` and ``input_noise`` are 0.
    gradient_vector : ndarray of shape (n_parameters,)
        All gradients, laid out like :attr:`ParameterVector.vector`.
    coef_grads, intercept_grads : list of ndarray
        Views of ``gradient_vector`` shaped like ``coefs`` and ``intercepts``.
    scaled_weights : ndarray of shape (max_i sizes[i] * sizes[i + 1],)
        Room for one weight matrix times a number: the L2 term of a weight
        gradient, which would otherwise be a new array every batch.
    """

    def __init__(self, sizes, n_rows, dtype, activations=None, dropout=None,
                 input_dropout=0.0, input_noise=0.0):
        n_layers = len(sizes) - 1
        self.n_rows = n_rows
        self.outputs = [np.empty((n_rows, u), dtype=dtype) for u in sizes[1:]]
        self.deltas = [np.empty((n_rows, u), dtype=dtype) for u in sizes[1:]]
        keep = [a.uses_input for a in activations] if activations else [False] * n_layers
        self.inputs = [np.empty((n_rows, u), dtype=dtype) if k else None
                       for k, u in zip(keep, sizes[1:])]
        self.dropout = list(dropout) if dropout is not None else [0.0] * (n_layers - 1)
        self.masks = [np.empty((n_rows, u), dtype=dtype) if rate > 0 else None
                      for rate, u in zip(self.dropout, sizes[1:-1])]
        self.dropped = [None if m is None else np.empty_like(m) for m in self.masks]
        self.input_dropout, self.input_noise = float(input_dropout), float(input_noise)
        # the noisy batch gets a buffer of its own: the caller's X is never
        # written, and no epoch copies the whole of it
        self.noisy_inputs = (np.empty((n_rows, sizes[0]), dtype=dtype)
                             if self.input_dropout or self.input_noise else None)
        shapes = [(i, o) for i, o in zip(sizes, sizes[1:])] + [(o,) for o in sizes[1:]]
        self.gradient_vector = np.empty(sum(math.prod(s) for s in shapes), dtype=dtype)
        grads = split_vector(self.gradient_vector, shapes)
        self.coef_grads, self.intercept_grads = grads[:n_layers], grads[n_layers:]
        self.scaled_weights = np.empty(max(math.prod(s) for s in shapes[:n_layers]),
                                       dtype=dtype)

    def batch_views(self, n, with_dropout=True):
        """:class:`BatchArrays` cut to the first ``n`` rows.

        Leading rows of a C-ordered array are contiguous, so BLAS writes into
        these views directly. ``with_dropout=False`` leaves the masks out.
        """
        dropout = with_dropout and any(m is not None for m in self.masks)
        return BatchArrays(_rows(self.outputs, n), _rows(self.deltas, n),
                           _rows(self.inputs, n),
                           _rows(self.masks, n) if dropout else None,
                           _rows(self.dropped, n) if dropout else None)

    def draw_masks(self, n, rng):
        """Draw fresh inverted-dropout masks for the first ``n`` rows.

        A unit is kept with probability ``1 - rate`` and then scaled by
        ``1 / (1 - rate)``, so a layer's expected output is unchanged and
        prediction needs no rescaling (Srivastava et al., 2014).
        """
        for rate, mask in zip(self.dropout, self.masks):
            if mask is not None:
                kept = rng.random_sample(mask[:n].shape) >= rate
                np.multiply(kept, 1.0 / (1.0 - rate), out=mask[:n])

    @property
    def corrupts_inputs(self):
        """Whether training batches get input dropout or input noise."""
        return self.noisy_inputs is not None

    def draw_noisy_inputs(self, X, rng):
        """Copy a batch into :attr:`noisy_inputs` with fresh input dropout and noise.

        Input dropout is inverted dropout on the features: each entry is kept
        with probability ``1 - input_dropout`` and then scaled by
        ``1 / (1 - input_dropout)``, so the expected input is ``X``. Then
        ``N(0, input_noise ** 2)`` is added to every entry, dropped ones
        included, so the noise has the same scale on every feature. The
        uniform draws come before the Gaussian ones, both from ``rng``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The batch; left unchanged. ``n_samples`` at most ``n_rows``. A
            sparse batch is made dense: noise reaches its zeros too.
        rng : numpy.random.RandomState
            The one generator of this fit.

        Returns
        -------
        X_noisy : ndarray of shape (n_samples, n_features)
            A view of :attr:`noisy_inputs`, overwritten by the next call.
        """
        noisy = self.noisy_inputs[:X.shape[0]]
        if sp.issparse(X):
            X.toarray(out=noisy)
        else:
            noisy[...] = X
        if self.input_dropout:
            noisy *= rng.random_sample(noisy.shape) >= self.input_dropout
            noisy *= 1.0 / (1.0 - self.input_dropout)  # a Python float keeps float32
        if self.input_noise:
            noisy += rng.normal(0.0, self.input_noise, noisy.shape)
        return noisy


def _matmul_into(A, W, out):
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def forward(X, coefs, intercepts, activations, arrays):
    """Run the network on ``X``, writing every layer's output.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activations : list of Activation, one per non-input layer
    arrays : BatchArrays or list of ndarray of shape (n_samples, n_units)
        Written in place; a list is taken as the outputs (no dropout, no
        activation that keeps its input).

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs)
        The last of the outputs.
    """
    if not isinstance(arrays, BatchArrays):
        arrays = BatchArrays(arrays)
    for i, (W, b, act, Z) in enumerate(zip(coefs, intercepts, activations,
                                           arrays.outputs)):
        _matmul_into(arrays.fed_forward(i, X), W, out=Z)
        Z += b
        kept = arrays.input_kept(i)
        if kept is not None:
            kept[...] = Z
        act.forward(Z)
        mask = arrays.mask(i)
        if mask is not None:
            np.multiply(Z, mask, out=arrays.dropped[i])
    return arrays.outputs[-1]


def stack_networks(networks, n_features=None):
    """Stack the parameters of k networks of equal shapes for :func:`forward_stacked`.

    Parameters
    ----------
    networks : list of (coefs, intercepts)
        k networks with the same layer shapes and dtype; left unchanged.
    n_features : int, default=None
        With networks whose inputs differ in number (each reads its own
        encoding of the rows), their most: a first layer with fewer inputs
        gets rows of zeros, to be met by inputs padded with zeros. None: all
        first layers have the same inputs.

    Returns
    -------
    coefs : list of ndarray
        The first layer's weights side by side, of shape
        (n_features, k * n_units); each later layer's of shape (k, fan_in, fan_out).
    intercepts : list of ndarray
        Each layer's of shape (k, 1, fan_out).
    """
    n_layers = len(networks[0][0])
    first = [c[0] for c, _ in networks]
    if n_features is not None:
        first = [np.pad(W, ((0, n_features - W.shape[0]), (0, 0))) for W in first]
    coefs = [np.concatenate(first, axis=1)]
    coefs += [np.stack([c[i] for c, _ in networks]) for i in range(1, n_layers)]
    intercepts = [np.stack([b[i] for _, b in networks])[:, np.newaxis, :]
                  for i in range(n_layers)]
    return coefs, intercepts


def forward_stacked(X, coefs, intercepts, activations):
    """Outputs of k networks of equal shapes on the same ``X``, one product per layer.

    The first layer is one wide product ``X @ [W_1 ... W_k]``, the later ones
    one batched product ``(k, n, fan_in) @ (k, fan_in, fan_out)`` each; network
    ``j``'s outputs equal :func:`forward`'s up to rounding.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features), or ndarray of shape (k, n_samples, n_features)
        The rows every network reads, or each network's own encoding of
        them (a member's encoder fitted on its own folds); then the first
        layer is a batched product too.
    coefs, intercepts : list of ndarray
        From :func:`stack_networks`.
    activations : list of Activation, one per non-input layer

    Returns
    -------
    P : ndarray of shape (k, n_samples, n_outputs)
    """
    k = intercepts[0].shape[0]
    if X.ndim == 3:
        # the wide first layer seen as k blocks of shape (n_features, n_units)
        W = coefs[0].reshape(X.shape[2], k, -1).transpose(1, 0, 2)
        A = np.matmul(X, W)
    else:
        n = X.shape[0]
        Z = np.empty((n, coefs[0].shape[1]), dtype=coefs[0].dtype)
        _matmul_into(X, coefs[0], out=Z)
        # network j's units are columns j * n_units to (j + 1) * n_units: a
        # view of shape (k, n, n_units) puts them in its own block, as the
        # later layers do
        A = Z.reshape(n, k, -1).transpose(1, 0, 2)
    for i, (b, act) in enumerate(zip(intercepts, activations)):
        if i > 0:
            A = np.matmul(A, coefs[i])
        A += b
        act.forward(A)
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


def backward(X, Y, scale, total, coefs, activations, loss, alpha, arrays, coef_grads,
             intercept_grads, scratch=None):
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
    arrays : BatchArrays
        As :func:`forward` left them; the deltas are written in place.
    coef_grads, intercept_grads : list of ndarray
        Written in place.
    scratch : ndarray of shape (>= the largest weight matrix's size,) or None, \
            default=None
        Reused for the L2 term (:attr:`Workspace.scaled_weights`); None
        allocates it per layer.
    """
    deltas = arrays.deltas
    output_delta(Y, arrays.outputs[-1], scale, activations[-1], loss, out=deltas[-1])
    for i in range(len(coefs) - 1, -1, -1):
        A_prev = arrays.fed_forward(i, X)
        if sp.issparse(A_prev):
            coef_grads[i][...] = A_prev.T @ deltas[i]
        else:
            np.matmul(A_prev.T, deltas[i], out=coef_grads[i])
        if alpha:
            # a Python float keeps a float32 product in float32
            add_scaled(coef_grads[i], coefs[i], float(alpha / total), scratch)
        np.sum(deltas[i], axis=0, out=intercept_grads[i])
        if i > 0:
            np.matmul(deltas[i], coefs[i].T, out=deltas[i - 1])
            mask = arrays.mask(i - 1)
            if mask is not None:
                deltas[i - 1] *= mask  # d dropped / d A is the mask itself
            activations[i - 1].vjp(arrays.outputs[i - 1], arrays.input_kept(i - 1),
                                   deltas[i - 1])


def add_scaled(out, W, factor, scratch=None):
    """``out += factor * W``, the product written into ``scratch`` when given.

    The same two roundings either way (the product, then the sum), so the
    result does not depend on whether a buffer was passed.
    """
    if scratch is None:
        out += factor * W
        return
    product = scratch[:W.size].reshape(W.shape)
    np.multiply(W, factor, out=product)
    out += product


def loss_and_gradients(X, Y, sample_weight, coefs, intercepts, activations, loss,
                       alpha, workspace, dropout=True):
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
    dropout : bool, default=True
        Apply the masks in ``workspace.masks`` (drawn by the caller with
        :meth:`Workspace.draw_masks`), when the workspace has any.

    Returns
    -------
    loss_value : float
        Weighted mean loss plus the L2 penalty.
    """
    n = X.shape[0]
    arrays = workspace.batch_views(n, with_dropout=dropout)
    P = forward(X, coefs, intercepts, activations, arrays)
    scale, total = sample_scale(sample_weight, n, P.dtype)
    value = loss.value(Y, P, scale) + penalty(coefs, alpha, total)
    backward(X, Y, scale, total, coefs, activations, loss, alpha, arrays,
             workspace.coef_grads, workspace.intercept_grads, workspace.scaled_weights)
    return value


def forward_chunked(X, coefs, intercepts, activations, depth=None, chunk_size=4096):
    """Output of layer ``depth`` for ``X``, computed ``chunk_size`` rows at a time.

    Memory beyond the returned array is one set of layer outputs of
    ``chunk_size`` rows, whatever the number of samples.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activations : list of Activation
    depth : int or None, default=None
        Number of layers to run: 1 gives the first hidden layer's output,
        None the whole network's.
    chunk_size : int, default=4096

    Returns
    -------
    A : ndarray of shape (n_samples, n_units of that layer)
    """
    depth = len(coefs) if depth is None else depth
    coefs, intercepts, activations = coefs[:depth], intercepts[:depth], activations[:depth]
    n = X.shape[0]
    dtype = coefs[0].dtype
    if n <= chunk_size:
        # one chunk: the last layer's output is the result, with no views to
        # make (a few microseconds of a one-row prediction)
        return forward(X, coefs, intercepts, activations,
                       [np.empty((n, W.shape[1]), dtype=dtype) for W in coefs])
    result = np.empty((n, coefs[-1].shape[1]), dtype=dtype)
    outputs = [np.empty((min(n, chunk_size), W.shape[1]), dtype=dtype) for W in coefs]
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        views = [o[: stop - start] for o in outputs[:-1]] + [result[start:stop]]
        forward(X[start:stop], coefs, intercepts, activations, views)
    return result


def predict_proba_chunked(X, coefs, intercepts, activations, chunk_size=4096):
    """Network outputs for ``X``: :func:`forward_chunked` of the whole network.

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
    return forward_chunked(X, coefs, intercepts, activations, chunk_size=chunk_size)
