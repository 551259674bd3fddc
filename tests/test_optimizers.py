"""Optimizer steps against their closed forms, and the learning-rate schedules.

The expected arrays below were worked out by hand from the formulas in the
docstrings of ``SGD`` and ``Adam``, with

    p0 = [1, -2],  g1 = [0.5, 1],  g2 = [-1, 0.25],  g3 = [2, 0],  lr = 0.1.
"""

import numpy as np
import pytest

from skmlp_scratch._optimizers import LEARNING_RATE_SCHEDULES, OPTIMIZERS, SGD, Adam

P0 = [1.0, -2.0]
GRADS = [[0.5, 1.0], [-1.0, 0.25], [2.0, 0.0]]


def _run(optimizer_cls, steps=3, dtype=np.float64, **kwargs):
    p = np.array(P0, dtype=dtype)
    params = [p]
    opt = optimizer_cls(params, **kwargs)
    trajectory = []
    for g in GRADS[:steps]:
        opt.update(params, [np.array(g, dtype=dtype)])
        assert params[0] is p  # in place
        trajectory.append(p.copy())
    return trajectory, opt


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_without_momentum_is_plain_gradient_descent(nesterov):
    # p <- p - lr * g
    expected = [[0.95, -2.1], [1.05, -2.125], [0.85, -2.125]]
    got, _ = _run(SGD, learning_rate_init=0.1, momentum=0.0, nesterov=nesterov)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_sgd_classical_momentum():
    # v1 = -0.1 g1 = [-0.05, -0.1]                      p1 = p0 + v1
    # v2 = 0.9 v1 - 0.1 g2 = [0.055, -0.115]            p2 = p1 + v2
    # v3 = 0.9 v2 - 0.1 g3 = [-0.1505, -0.1035]         p3 = p2 + v3
    expected = [[0.95, -2.1], [1.005, -2.215], [0.8545, -2.3185]]
    got, opt = _run(SGD, learning_rate_init=0.1, momentum=0.9, nesterov=False)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(opt.velocities[0], [-0.1505, -0.1035], atol=1e-12)


def test_sgd_nesterov_momentum():
    # same velocities; p <- p + 0.9 v - 0.1 g
    # p1 = [1 - 0.045 - 0.05, -2 - 0.09 - 0.1]
    # p2 = p1 + [0.0495 + 0.1, -0.1035 - 0.025]
    # p3 = p2 + [-0.13545 - 0.2, -0.09315 - 0]
    expected = [[0.905, -2.19], [1.0545, -2.3185], [0.71905, -2.41165]]
    got, _ = _run(SGD, learning_rate_init=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_sgd_defaults_are_nesterov_with_momentum_0_9():
    default, _ = _run(SGD, learning_rate_init=0.1)
    nesterov, _ = _run(SGD, learning_rate_init=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_array_equal(default, nesterov)


def test_adam_steps():
    eps = 1e-8
    # step 1: m = 0.1 g1, s = 0.001 g1^2, lr_1 = 0.1 sqrt(0.001) / 0.1, and
    # m / sqrt(s) = sqrt(0.001) / 0.001 * sign(g1): the first step is lr * sign(g)
    p1 = np.array([0.9, -2.1])
    # step 2
    m2 = np.array([0.045 - 0.1, 0.09 + 0.025])
    s2 = np.array([0.00024975 + 0.001, 0.000999 + 0.0000625])
    lr2 = 0.1 * np.sqrt(1 - 0.998001) / (1 - 0.81)
    p2 = p1 - lr2 * m2 / (np.sqrt(s2) + eps)
    # step 3
    m3 = np.array([-0.0495 + 0.2, 0.1035])
    s3 = np.array([0.00124850025 + 0.004, 0.0010604385])
    lr3 = 0.1 * np.sqrt(1 - 0.997002999) / (1 - 0.729)
    p3 = p2 - lr3 * m3 / (np.sqrt(s3) + eps)

    got, opt = _run(Adam, learning_rate_init=0.1, beta_1=0.9, beta_2=0.999, epsilon=eps)
    np.testing.assert_allclose(got[0], p1, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[1], p2, rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(got[2], p3, rtol=1e-10, atol=1e-6)
    assert opt.t == 3
    np.testing.assert_allclose(opt.first_moments[0], m3, rtol=1e-12)
    np.testing.assert_allclose(opt.second_moments[0], s3, rtol=1e-12)


def test_adam_epsilon_is_added_to_the_root():
    # a large epsilon shows where it enters: sqrt(s) + eps, not sqrt(s + eps)
    eps = 0.5
    got, _ = _run(Adam, steps=1, learning_rate_init=0.1, epsilon=eps)
    g = np.array(GRADS[0])
    m, s = 0.1 * g, 0.001 * g * g
    lr1 = 0.1 * np.sqrt(0.001) / 0.1
    np.testing.assert_allclose(got[0], np.array(P0) - lr1 * m / (np.sqrt(s) + eps),
                               rtol=1e-12)


def _reference_sgd(params, grads_per_step, lr, mu, nesterov):
    params = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    for grads in grads_per_step:
        for p, v, g in zip(params, velocities, grads):
            v[...] = mu * v - lr * g
            p += mu * v - lr * g if nesterov else v
    return params


def _reference_adam(params, grads_per_step, lr, b1, b2, eps):
    params = [p.copy() for p in params]
    ms = [np.zeros_like(p) for p in params]
    ss = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, m, s, g in zip(params, ms, ss, grads):
            m[...] = b1 * m + (1 - b1) * g
            s[...] = b2 * s + (1 - b2) * g**2
            p -= lr_t * m / (np.sqrt(s) + eps)
    return params


def _random_problem(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)]
    grads_per_step = [[rng.standard_normal(p.shape).astype(dtype) for p in params]
                      for _ in range(3)]
    return params, grads_per_step


def _apply(opt_cls, params, grads_per_step, **kwargs):
    params = [p.copy() for p in params]
    opt = opt_cls(params, **kwargs)
    for grads in grads_per_step:
        before = [g.copy() for g in grads]
        opt.update(params, grads)
        for g, g0 in zip(grads, before):
            np.testing.assert_array_equal(g, g0)  # grads are left unchanged
    return params


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.5, False), (0.9, True)])
def test_sgd_matches_closed_form_on_several_arrays(momentum, nesterov):
    params, grads = _random_problem(0)
    got = _apply(SGD, params, grads, learning_rate_init=0.05, momentum=momentum,
                 nesterov=nesterov)
    expected = _reference_sgd(params, grads, 0.05, momentum, nesterov)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adam_matches_closed_form_on_several_arrays():
    params, grads = _random_problem(1)
    got = _apply(Adam, params, grads, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99,
                 epsilon=1e-3)
    expected = _reference_adam(params, grads, 0.01, 0.8, 0.99, 1e-3)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_leaves_grads_unchanged(name):
    params, grads_per_step = _random_problem(2)
    grads = grads_per_step[0]
    before = [g.copy() for g in grads]
    opt = OPTIMIZERS[name](params)
    for _ in range(3):
        opt.update(params, grads)
    for g, g0 in zip(grads, before):
        np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_params_stay_float32(name):
    params32, grads32 = _random_problem(3, dtype=np.float32)
    params64 = [p.astype(np.float64) for p in params32]
    grads64 = [[g.astype(np.float64) for g in step] for step in grads32]
    originals = list(params32)
    got32 = list(params32)
    opt = OPTIMIZERS[name](got32, learning_rate_init=0.01)
    for grads in grads32:
        opt.update(got32, grads)
    got64 = _apply(OPTIMIZERS[name], params64, grads64, learning_rate_init=0.01)
    for p, p0, p64 in zip(got32, originals, got64):
        assert p is p0
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, p64, rtol=1e-5, atol=1e-6)
    for state in vars(opt).values():
        if isinstance(state, list):
            assert all(a.dtype == np.float32 for a in state if isinstance(a, np.ndarray))


def test_invscaling_schedule_after_epoch_end():
    p = np.zeros(2)
    opt = SGD([p], learning_rate_init=0.1, learning_rate="invscaling", momentum=0.0,
              power_t=0.5)
    assert opt.learning_rate == 0.1
    opt.on_epoch_end(99)  # 0.1 / (99 + 1) ** 0.5
    assert opt.learning_rate == pytest.approx(0.01, rel=1e-12)
    opt.on_epoch_end(399)  # from learning_rate_init, not compounded
    assert opt.learning_rate == pytest.approx(0.005, rel=1e-12)
    opt.update([p], [np.array([1.0, -2.0])])
    np.testing.assert_allclose(p, [-0.005, 0.01], rtol=1e-12)

    opt = SGD([p], learning_rate_init=0.1, learning_rate="invscaling", power_t=0.25)
    opt.on_epoch_end(15)  # 0.1 / 16 ** 0.25
    assert opt.learning_rate == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_ignore_epoch_end(schedule):
    opt = SGD([np.zeros(2)], learning_rate_init=0.1, learning_rate=schedule)
    opt.on_epoch_end(1000)
    assert opt.learning_rate == 0.1


def test_adaptive_divides_by_five_on_plateau_and_stops_below_1e_minus_6():
    opt = SGD([np.zeros(2)], learning_rate_init=1e-3, learning_rate="adaptive")
    rates = []
    while not opt.on_plateau():
        rates.append(opt.learning_rate)
        assert len(rates) < 20
    # 1e-3 / 5**k: 2e-4, 4e-5, 8e-6, 1.6e-6 (still above 1e-6), 3.2e-7, then stop
    np.testing.assert_allclose(rates, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7], rtol=1e-12)
    assert opt.on_plateau()  # stays stopped
    assert opt.learning_rate == pytest.approx(3.2e-7, rel=1e-12)


def test_adaptive_verbose_reports_new_rate(capsys):
    opt = SGD([np.zeros(2)], learning_rate_init=0.5, learning_rate="adaptive")
    assert not opt.on_plateau(verbose=True)
    assert "0.1" in capsys.readouterr().out


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_plateau_stops_non_adaptive_sgd(schedule):
    opt = SGD([np.zeros(2)], learning_rate_init=0.1, learning_rate=schedule)
    assert opt.on_plateau()
    assert opt.learning_rate == 0.1


def test_adam_keeps_its_rate():
    opt = Adam([np.zeros(2)], learning_rate_init=0.01)
    opt.on_epoch_end(100)
    assert opt.learning_rate == 0.01
    assert opt.on_plateau()


def test_schedules_and_registry():
    assert set(LEARNING_RATE_SCHEDULES) == {"constant", "invscaling", "adaptive"}
    assert OPTIMIZERS["sgd"] is SGD and OPTIMIZERS["adam"] is Adam
