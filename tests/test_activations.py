"""Every activation in the registry: derivative against finite differences, in-place
contract, aliases and the numerical safety of softmax.

The parameters are read from ``ACTIVATIONS``, so a new entry is checked without
anyone adding it here.
"""

import math

import numpy as np
import pytest

from skmlp_scratch._activations import ACTIVATIONS, ALIASES, HIDDEN_ACTIVATIONS, get_activation

ALL_NAMES = sorted(ACTIVATIONS)
# softmax couples the units of a layer; the activations allowed in hidden layers
# act on each entry alone
ELEMENTWISE_NAMES = sorted(name for name, act in ACTIVATIONS.items() if act.hidden)

STEP = 1e-6


def _pre_activations(rng, shape=(6, 4)):
    # |z| >= 0.1 keeps every entry away from the relu kink at 0, where the
    # finite difference would straddle two slopes
    Z = rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return Z


def _apply(act, Z):
    """``f(Z)`` on a copy, leaving ``Z`` as it was."""
    A = np.array(Z, dtype=np.float64, copy=True)
    act.forward(A)
    return A


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_elementwise_backprop_is_delta_times_finite_difference_derivative(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    Z = _pre_activations(rng)
    delta = rng.standard_normal(Z.shape)

    # central difference of f, entry by entry
    derivative = (_apply(act, Z + STEP) - _apply(act, Z - STEP)) / (2 * STEP)
    expected = delta * derivative

    A = _apply(act, Z)
    got = delta.copy()
    act.vjp(A, Z, got)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_backprop_is_vector_jacobian_product_of_finite_difference_jacobian(name):
    # generic check, valid for activations that couple units (softmax) too:
    # delta_Z[i] = sum_k delta[i, k] * d f(Z)[i, k] / d Z[i, j]
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    Z = _pre_activations(rng, shape=(5, 4))
    delta = rng.standard_normal(Z.shape)

    expected = np.empty_like(Z)
    for j in range(Z.shape[1]):
        E = np.zeros_like(Z)
        E[:, j] = STEP
        # column j of each row's Jacobian, all rows at once (rows are independent)
        jac_col = (_apply(act, Z + E) - _apply(act, Z - E)) / (2 * STEP)
        expected[:, j] = np.sum(delta * jac_col, axis=1)

    A = _apply(act, Z)
    got = delta.copy()
    act.vjp(A, Z, got)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_forward_overwrites_the_given_array_only(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(2)
    Z = _pre_activations(rng, shape=(4, 3))
    expected = _apply(act, Z)

    # a workspace larger than the batch: forward must write into the view and
    # nowhere else, without allocating its result
    buffer = np.full((6, 3), 123.0)
    view = buffer[:4]
    view[...] = Z
    act.forward(view)
    np.testing.assert_array_equal(buffer[:4], expected)
    np.testing.assert_array_equal(buffer[4:], 123.0)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_backprop_overwrites_delta_and_leaves_outputs_alone(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(3)
    Z = _pre_activations(rng, shape=(4, 3))
    A = _apply(act, Z)
    A_before = A.copy()
    delta = rng.standard_normal(Z.shape)
    expected = delta.copy()
    act.vjp(A, Z, expected)

    buffer = np.full((6, 3), -7.0)
    view = buffer[:4]
    view[...] = delta
    act.vjp(A, Z, view)
    np.testing.assert_array_equal(buffer[:4], expected)
    np.testing.assert_array_equal(buffer[4:], -7.0)
    np.testing.assert_array_equal(A, A_before)


# Independent reference formulas, one per registry entry.
REFERENCE = {
    "identity": lambda Z: Z,
    "logistic": lambda Z: 1.0 / (1.0 + np.exp(-Z)),
    "tanh": lambda Z: (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z)),
    "relu": lambda Z: np.where(Z > 0, Z, 0.0),
    "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
    "elu": lambda Z: np.where(Z > 0, Z, np.exp(Z) - 1.0),
    "gelu": lambda Z: Z * np.vectorize(lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2))))(Z),
    "softplus": lambda Z: np.log1p(np.exp(Z)),
    "softmax": lambda Z: np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True),
    "exp": lambda Z: np.exp(Z),
}


def test_every_activation_has_a_reference_formula():
    assert set(REFERENCE) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_forward_matches_reference_formula(name):
    rng = np.random.default_rng(4)
    Z = rng.uniform(-3, 3, size=(5, 4))
    np.testing.assert_allclose(_apply(ACTIVATIONS[name], Z), REFERENCE[name](Z),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_forward_keeps_float32(name):
    act = ACTIVATIONS[name]
    Z = np.random.default_rng(5).uniform(-3, 3, size=(4, 3)).astype(np.float32)
    expected = _apply(act, Z)
    act.forward(Z)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, expected, rtol=1e-5, atol=1e-6)


def test_hidden_activations_lists_registry_and_aliases():
    hidden = {name for name, act in ACTIVATIONS.items() if act.hidden}
    assert set(HIDDEN_ACTIVATIONS) == hidden | set(ALIASES)
    assert "softmax" not in HIDDEN_ACTIVATIONS


@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_activation_returns_registry_entry(name):
    act = get_activation(name)
    assert act is ACTIVATIONS[name]
    assert act.name == name


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_resolve_to_registry_entries(alias):
    assert get_activation(alias) is ACTIVATIONS[ALIASES[alias]]


def test_sigmoid_is_logistic():
    assert get_activation("sigmoid") is ACTIVATIONS["logistic"]


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError) as excinfo:
        get_activation("swishy")
    message = str(excinfo.value)
    assert "swishy" in message
    for name in list(ACTIVATIONS) + list(ALIASES):
        assert repr(name) in message


def test_softmax_rows_sum_to_one():
    Z = np.random.default_rng(6).standard_normal((10, 5)) * 5
    softmax = ACTIVATIONS["softmax"]
    softmax.forward(Z)
    np.testing.assert_allclose(Z.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(Z > 0)


def test_softmax_is_stable_for_huge_inputs():
    Z = np.array([[1e4, 1e4 - 1.0, 1e4 - 2.0],
                  [-1e4, -1e4 + 3.0, 1e4],
                  [1e4, 1e4, 1e4]])
    softmax = ACTIVATIONS["softmax"]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        softmax.forward(Z)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # softmax is unchanged by a shift of the row, so row 0 is softmax([0, -1, -2])
    shifted = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(Z[0], shifted / shifted.sum(), rtol=1e-12)
    np.testing.assert_allclose(Z[1], [0.0, 0.0, 1.0], atol=1e-300)
    np.testing.assert_allclose(Z[2], 1.0 / 3.0, rtol=1e-12)
