"""Every loss in the registry: gradient against finite differences, weighted means,
name resolution and the fused output deltas.

The parameters are read from ``LOSSES`` and ``FUSED_OUTPUT_DELTA``, so a new
entry is checked without anyone adding it here.
"""

import numpy as np
import pytest

from skmlp_scratch._activations import ACTIVATIONS
from skmlp_scratch._losses import (
    FUSED_OUTPUT_DELTA,
    LOSSES,
    REGRESSION_LOSSES,
    USER_LOSSES,
    resolve_loss,
    sample_scale,
)
from skmlp_scratch._network import output_delta

LOSS_NAMES = sorted(LOSSES)
STEP = 1e-6
N_SAMPLES, N_OUTPUTS = 7, 3


def _targets_and_outputs(rng, n=N_SAMPLES, k=N_OUTPUTS):
    """One-hot targets and probabilities well inside (0, 1), away from the clip."""
    Y = np.eye(k)[rng.integers(0, k, size=n)]
    P = rng.uniform(0.05, 0.95, size=(n, k))
    return Y, P


def _finite_difference_gradient(loss, Y, P, scale):
    grad = np.empty_like(P)
    for idx in np.ndindex(*P.shape):
        E = np.zeros_like(P)
        E[idx] = STEP
        grad[idx] = (loss.value(Y, P + E, scale) - loss.value(Y, P - E, scale)) / (2 * STEP)
    return grad


def _scales(rng, n=N_SAMPLES):
    w = rng.uniform(0.2, 3.0, size=n)
    return {
        "unweighted": 1.0 / n,
        "weighted": (w / w.sum())[:, np.newaxis],
    }


@pytest.mark.parametrize("weighting", ["unweighted", "weighted"])
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_matches_finite_differences(name, weighting):
    loss = LOSSES[name]
    rng = np.random.default_rng(0)
    Y, P = _targets_and_outputs(rng)
    scale = _scales(rng)[weighting]

    expected = _finite_difference_gradient(loss, Y, P, scale)
    out = np.full_like(P, np.nan)
    loss.gradient(Y, P, scale, out=out)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_writes_out_and_leaves_inputs(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(1)
    Y, P = _targets_and_outputs(rng)
    Y0, P0 = Y.copy(), P.copy()
    buffer = np.full((N_SAMPLES + 2, N_OUTPUTS), 5.0)
    loss.gradient(Y, P, 1.0 / N_SAMPLES, out=buffer[:N_SAMPLES])
    np.testing.assert_array_equal(buffer[N_SAMPLES:], 5.0)
    assert not np.array_equal(buffer[:N_SAMPLES], 5.0)
    np.testing.assert_array_equal(Y, Y0)
    np.testing.assert_array_equal(P, P0)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_value_is_weighted_mean_equal_to_duplicated_rows(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(2)
    Y, P = _targets_and_outputs(rng)
    counts = np.array([1, 3, 0, 2, 1, 4, 2])
    scale, total = sample_scale(counts.astype(np.float64), N_SAMPLES, np.float64)
    assert total == counts.sum()

    Y_rep, P_rep = np.repeat(Y, counts, axis=0), np.repeat(P, counts, axis=0)
    expected = loss.value(Y_rep, P_rep, 1.0 / counts.sum())
    assert loss.value(Y, P, scale) == pytest.approx(expected, rel=1e-12)

    # the gradient of the mean is the per-row gradient summed over duplicates
    grad = np.empty_like(P)
    loss.gradient(Y, P, scale, out=grad)
    grad_rep = np.empty_like(P_rep)
    loss.gradient(Y_rep, P_rep, 1.0 / counts.sum(), out=grad_rep)
    owner = np.repeat(np.arange(N_SAMPLES), counts)
    summed = np.zeros_like(P)
    np.add.at(summed, owner, grad_rep)
    np.testing.assert_allclose(grad, summed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_value_is_a_mean_not_a_sum(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(3)
    Y, P = _targets_and_outputs(rng)
    single = loss.value(Y, P, 1.0 / N_SAMPLES)
    # stacking the data twice leaves a mean unchanged
    doubled = loss.value(np.vstack([Y, Y]), np.vstack([P, P]), 1.0 / (2 * N_SAMPLES))
    assert doubled == pytest.approx(single, rel=1e-12)
    # uniform weights equal no weights
    scale, _ = sample_scale(np.full(N_SAMPLES, 2.5), N_SAMPLES, np.float64)
    assert loss.value(Y, P, scale) == pytest.approx(single, rel=1e-12)
    assert single > 0


def test_losses_match_their_formulas():
    rng = np.random.default_rng(4)
    Y, P = _targets_and_outputs(rng)
    n, k = Y.shape
    P_soft = P / P.sum(axis=1, keepdims=True)
    assert LOSSES["log_loss"].value(Y, P_soft, 1 / n) == pytest.approx(
        -np.mean(np.log(P_soft[Y == 1])), rel=1e-12)
    bernoulli = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1)
    assert LOSSES["binary_log_loss"].value(Y, P, 1 / n) == pytest.approx(
        bernoulli.mean(), rel=1e-12)
    assert LOSSES["squared_error"].value(Y, P, 1 / n) == pytest.approx(
        0.5 * np.mean((P - Y) ** 2), rel=1e-12)


def test_regression_losses_match_their_formulas():
    rng = np.random.default_rng(7)
    Y = rng.poisson(2.0, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    P = rng.uniform(0.2, 4.0, size=(N_SAMPLES, N_OUTPUTS))
    n = N_SAMPLES
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / P), 0.0)
    deviance = (ylogy - Y + P).sum(axis=1)
    assert LOSSES["poisson"].value(Y, P, 1 / n) == pytest.approx(deviance.mean(), rel=1e-12)
    assert LOSSES["absolute_error"].value(Y, P, 1 / n) == pytest.approx(
        np.mean(np.abs(P - Y)), rel=1e-12)
    delta = 0.7
    r = np.abs(P - Y)
    huber = np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))
    bound = resolve_loss("huber", "identity", valid=REGRESSION_LOSSES, delta=delta)
    assert bound.value(Y, P, 1 / n) == pytest.approx(huber.mean(), rel=1e-12)


@pytest.mark.parametrize("delta", [0.1, 0.7, 3.0])
def test_huber_gradient_with_a_bound_delta_matches_finite_differences(delta):
    # residuals on both sides of delta, so both the quadratic and linear parts count
    rng = np.random.default_rng(8)
    Y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
    P = Y + rng.uniform(-4, 4, size=Y.shape)
    loss = resolve_loss("huber", "identity", valid=REGRESSION_LOSSES, delta=delta)
    scale = _scales(rng)["weighted"]
    out = np.empty_like(P)
    loss.gradient(Y, P, scale, out=out)
    np.testing.assert_allclose(out, _finite_difference_gradient(loss, Y, P, scale),
                               rtol=1e-6, atol=1e-10)


def test_regression_losses_name_their_output_activation():
    assert {name: LOSSES[name].output_activation for name in REGRESSION_LOSSES} == {
        "squared_error": "identity", "poisson": "exp", "absolute_error": "identity",
        "huber": "identity"}
    assert [n for n in LOSSES if LOSSES[n].non_negative_targets] == ["poisson"]


def test_sample_scale():
    scale, total = sample_scale(None, 8, np.float64)
    assert scale == 1 / 8 and total == 8
    w = np.array([1.0, 2.0, 5.0])
    scale, total = sample_scale(w, 3, np.float32)
    assert total == 8.0
    assert scale.shape == (3, 1) and scale.dtype == np.float32
    np.testing.assert_allclose(scale[:, 0], w / 8)


def test_log_loss_with_logistic_output_is_binary_log_loss():
    # "log_loss" with a logistic output means one Bernoulli term per column
    assert resolve_loss("log_loss", "logistic") is LOSSES["binary_log_loss"]


def test_resolve_loss_keeps_categorical_log_loss_for_softmax():
    assert resolve_loss("log_loss", "softmax") is LOSSES["log_loss"]


@pytest.mark.parametrize("output_activation", ["logistic", "softmax"])
def test_resolve_loss_keeps_squared_error(output_activation):
    assert resolve_loss("squared_error", output_activation) is LOSSES["squared_error"]


def test_user_losses_are_in_the_registry():
    assert set(USER_LOSSES) <= set(LOSSES)


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError) as excinfo:
        resolve_loss("hinge", "softmax")
    message = str(excinfo.value)
    assert "hinge" in message
    for name in USER_LOSSES:
        assert repr(name) in message


def _output_targets(activation_name, rng, n, k):
    if activation_name == "softmax":
        return np.eye(k)[rng.integers(0, k, size=n)]  # one class per row
    if activation_name == "exp":
        return rng.poisson(2.0, size=(n, k)).astype(np.float64)  # counts
    return (rng.uniform(size=(n, k)) < 0.5).astype(np.float64)  # multi-hot


@pytest.mark.parametrize("weighting", ["unweighted", "weighted"])
@pytest.mark.parametrize("pair", sorted(FUSED_OUTPUT_DELTA), ids="-".join)
def test_fused_output_delta_equals_generic_path(pair, weighting):
    activation_name, loss_name = pair
    act, loss = ACTIVATIONS[activation_name], LOSSES[loss_name]
    rng = np.random.default_rng(5)
    n, k = 9, 4
    Z = rng.uniform(-3, 3, size=(n, k))
    P = Z.copy()
    act.forward(P)
    Y = _output_targets(activation_name, rng, n, k)
    scale = _scales(rng, n)[weighting]

    # generic path written out: loss gradient, then the output Jacobian
    generic = np.empty_like(P)
    loss.gradient(Y, P, scale, out=generic)
    act.backprop(P, generic)

    fused = np.full_like(P, np.nan)
    returned = output_delta(Y, P, scale, act, loss, out=fused)
    assert returned is fused
    np.testing.assert_allclose(fused, scale * (P - Y), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(fused, generic, rtol=1e-9, atol=1e-12)

    # and both are d loss(f(Z)) / d Z by finite differences
    fd = numeric_output_delta(act, loss, Y, Z, scale)
    np.testing.assert_allclose(fused, fd, rtol=1e-6, atol=1e-10)


def numeric_output_delta(act, loss, Y, Z, scale):
    """d loss(Y, act(Z), scale) / d Z by central differences, entry by entry."""
    fd = np.empty_like(Z)
    for idx in np.ndindex(*Z.shape):
        E = np.zeros_like(Z)
        E[idx] = STEP
        Zp, Zm = Z + E, Z - E
        act.forward(Zp)
        act.forward(Zm)
        fd[idx] = (loss.value(Y, Zp, scale) - loss.value(Y, Zm, scale)) / (2 * STEP)
    return fd


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_keep_float32(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(6)
    Y, P = _targets_and_outputs(rng)
    Y, P = Y.astype(np.float32), P.astype(np.float32)
    out = np.empty_like(P)
    loss.gradient(Y, P, 1.0 / N_SAMPLES, out=out)
    assert out.dtype == np.float32
    expected = np.empty(P.shape)
    loss.gradient(Y.astype(np.float64), P.astype(np.float64), 1.0 / N_SAMPLES, out=expected)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert np.isfinite(loss.value(Y, P, 1.0 / N_SAMPLES))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_is_finite_at_saturated_outputs(name):
    # outputs of exactly 0 and 1 are clipped before the log
    loss = LOSSES[name]
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    P = np.array([[0.0, 1.0], [1.0, 0.0]])
    out = np.empty_like(P)
    with np.errstate(all="raise"):
        value = loss.value(Y, P, 0.5)
        loss.gradient(Y, P, 0.5, out=out)
    assert np.isfinite(value) and value > 0
    assert np.all(np.isfinite(out))
