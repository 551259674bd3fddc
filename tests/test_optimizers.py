"""Optimizer steps, schedules and clipping against their closed forms.

The expected arrays below were worked out by hand from the formulas in the
docstrings of ``SGD``, ``Adam`` and ``AdamW``, with

    p0 = [1, -2],  g1 = [0.5, 1],  g2 = [-1, 0.25],  g3 = [2, 0],  lr = 0.1.
"""

import inspect
import math

import numpy as np
import pytest

from skmlp_scratch._optimizers import (
    make_optimizer,
    LEARNING_RATE_SCHEDULES,
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    AdamW,
    AdaptiveSchedule,
    CosineSchedule,
    InverseScalingSchedule,
    StepSchedule,
    clip_by_global_norm,
)

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


# ---------------------------------------------------------------- SGD


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


def test_sgd_uses_the_learning_rate_assigned_between_steps():
    # a schedule sets learning_rate before an epoch; momentum 0 shows it plainly
    p = np.array(P0)
    opt = SGD([p], learning_rate_init=0.1, momentum=0.0)
    assert opt.learning_rate == 0.1
    opt.learning_rate = 0.01
    opt.update([p], [np.array([1.0, -2.0])])
    np.testing.assert_allclose(p, [0.99, -1.98], rtol=1e-12)


# ---------------------------------------------------------------- Adam and AdamW


def _hand_worked_adam_deltas(eps=1e-8):
    """Adam's steps ``d_t``, ``p_t = p_{t-1} - d_t``, for GRADS with lr=0.1 and default betas.

    They do not depend on ``p``, which lets the AdamW test reuse them.
    """
    # m_t = 0.9 m + 0.1 g,  s_t = 0.999 s + 0.001 g**2
    m = np.array([[0.05, 0.1],
                  [0.045 - 0.1, 0.09 + 0.025],
                  [-0.0495 + 0.2, 0.1035]])
    s = np.array([[0.00025, 0.001],
                  [0.00024975 + 0.001, 0.000999 + 0.0000625],
                  [0.00124850025 + 0.004, 0.0010604385]])
    # lr_t = lr * sqrt(1 - 0.999**t) / (1 - 0.9**t)
    lr_t = np.array([0.1 * np.sqrt(0.001) / 0.1,
                     0.1 * np.sqrt(1 - 0.998001) / (1 - 0.81),
                     0.1 * np.sqrt(1 - 0.997002999) / (1 - 0.729)])
    return lr_t[:, None] * m / (np.sqrt(s) + eps), m, s


def test_adam_steps():
    deltas, m, s = _hand_worked_adam_deltas()
    # m1 / sqrt(s1) = 0.1 g1 / (sqrt(0.001) |g1|) and lr_1 = sqrt(0.001):
    # the first step is lr * sign(g), up to epsilon
    np.testing.assert_allclose(deltas[0], [0.1, 0.1], rtol=0, atol=1e-6)
    expected = np.array(P0) - np.cumsum(deltas, axis=0)

    got, opt = _run(Adam, learning_rate_init=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert opt.t == 3
    np.testing.assert_allclose(opt.first_moments[0], m[2], rtol=1e-12)
    np.testing.assert_allclose(opt.second_moments[0], s[2], rtol=1e-12)


def test_adam_epsilon_is_added_to_the_root():
    # a large epsilon shows where it enters: sqrt(s) + eps, not sqrt(s + eps)
    eps = 0.5
    got, _ = _run(Adam, steps=1, learning_rate_init=0.1, epsilon=eps)
    g = np.array(GRADS[0])
    m, s = 0.1 * g, 0.001 * g * g
    lr1 = 0.1 * np.sqrt(0.001) / 0.1
    np.testing.assert_allclose(got[0], np.array(P0) - lr1 * m / (np.sqrt(s) + eps),
                               rtol=1e-12)


def test_adamw_steps():
    # p_t = (1 - lr * wd) p_{t-1} - d_t with Adam's d_t, here 1 - 0.1 * 0.5 = 0.95:
    # p1 = 0.95 [1, -2] - d1 ~ [0.95 - 0.1, -1.9 - 0.1] = [0.85, -2.0]
    # p2 = 0.95 p1 - d2,  p3 = 0.95 p2 - d3
    deltas, _, _ = _hand_worked_adam_deltas()
    p1 = 0.95 * np.array(P0) - deltas[0]
    np.testing.assert_allclose(p1, [0.85, -2.0], rtol=0, atol=1e-6)
    p2 = 0.95 * p1 - deltas[1]
    p3 = 0.95 * p2 - deltas[2]

    got, opt = _run(AdamW, learning_rate_init=0.1, weight_decay=0.5)
    np.testing.assert_allclose(got, [p1, p2, p3], rtol=1e-12)
    assert opt.t == 3


def test_adamw_decays_with_the_scheduled_rate_not_the_bias_corrected_one():
    # a zero gradient makes Adam's step 0 (m = 0), leaving the decay alone
    p = np.array(P0)
    opt = AdamW([p], learning_rate_init=0.1, weight_decay=0.5)
    opt.learning_rate = 0.2  # as a schedule would: 1 - 0.2 * 0.5 = 0.9
    opt.update([p], [np.zeros(2)])
    np.testing.assert_allclose(p, [0.9, -1.8], rtol=1e-12)


def _reference_sgd(params, grads_per_step, lr, mu, nesterov):
    params = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    for grads in grads_per_step:
        for p, v, g in zip(params, velocities, grads):
            v[...] = mu * v - lr * g
            p += mu * v - lr * g if nesterov else v
    return params


def _reference_adamw(params, grads_per_step, lr, b1, b2, eps, weight_decay=0.0):
    params = [p.copy() for p in params]
    ms = [np.zeros_like(p) for p in params]
    ss = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, m, s, g in zip(params, ms, ss, grads):
            p -= lr * weight_decay * p
            m[...] = b1 * m + (1 - b1) * g
            s[...] = b2 * s + (1 - b2) * g**2
            p -= lr_t * m / (np.sqrt(s) + eps)
    return params


def _random_problem(seed, dtype=np.float64, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(shape).astype(dtype),
              rng.standard_normal(shape[-1]).astype(dtype)]
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
    expected = _reference_adamw(params, grads, 0.01, 0.8, 0.99, 1e-3)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adamw_matches_closed_form_on_several_arrays():
    params, grads = _random_problem(1)
    got = _apply(AdamW, params, grads, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99,
                 epsilon=1e-3, weight_decay=3.0)
    expected = _reference_adamw(params, grads, 0.01, 0.8, 0.99, 1e-3, weight_decay=3.0)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adamw_without_weight_decay_is_adam():
    params, grads = _random_problem(5)
    hyper = dict(learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)
    adamw = _apply(AdamW, params, grads, weight_decay=0.0, **hyper)
    adam = _apply(Adam, params, grads, **hyper)
    for a, b in zip(adamw, adam):
        np.testing.assert_array_equal(a, b)


def test_adamw_n_decayed_leaves_the_tail_undecayed():
    # one flat vector: 12 weights then 3 biases, as the estimator passes it
    (weights, biases), grads_per_step = _random_problem(6)
    vector = np.concatenate([weights.ravel(), biases])
    grads = [[np.concatenate([gw.ravel(), gb])] for gw, gb in grads_per_step]
    hyper = dict(learning_rate_init=0.01, weight_decay=3.0)
    (got,) = _apply(AdamW, [vector], grads, n_decayed=[12], **hyper)

    # the head steps as AdamW on the weights alone, the tail as Adam on the biases
    head_grads = [[g[:12]] for (g,) in grads]
    tail_grads = [[g[12:]] for (g,) in grads]
    (head,) = _apply(AdamW, [vector[:12]], head_grads, **hyper)
    (tail,) = _apply(Adam, [vector[12:]], tail_grads, learning_rate_init=0.01)
    np.testing.assert_array_equal(got[:12], head)
    np.testing.assert_array_equal(got[12:], tail)
    # and a decayed tail would have differed
    (decayed_tail,) = _apply(AdamW, [vector[12:]], tail_grads, **hyper)
    assert not np.allclose(got[12:], decayed_tail)


def test_adamw_n_decayed_counts_entries_of_each_flattened_array():
    params, grads = _random_problem(7)
    hyper = dict(learning_rate_init=0.01, weight_decay=3.0)
    got = _apply(AdamW, params, grads, n_decayed=[5, 0], **hyper)
    decayed = _apply(AdamW, params, grads, **hyper)
    adam = _apply(Adam, params, grads, learning_rate_init=0.01)
    np.testing.assert_array_equal(got[0].ravel()[:5], decayed[0].ravel()[:5])
    np.testing.assert_array_equal(got[0].ravel()[5:], adam[0].ravel()[5:])
    np.testing.assert_array_equal(got[1], adam[1])


@pytest.mark.parametrize("n_decayed", [[12], [12, 4], [-1, 0], [13, 0]])
def test_adamw_rejects_a_bad_n_decayed(n_decayed):
    params, _ = _random_problem(0)  # sizes 12 and 3
    with pytest.raises(ValueError, match="n_decayed"):
        AdamW(params, n_decayed=n_decayed)


# ---------------------------------------------------------------- every optimizer


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


def _float_hyperparameters(optimizer_cls):
    """The keywords of ``optimizer_cls`` whose default is a float, with that default."""
    return {name: parameter.default
            for name, parameter in inspect.signature(optimizer_cls).parameters.items()
            if type(parameter.default) is float}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_numpy_scalar_hyperparameters_give_bit_identical_float32_steps(name):
    # under NumPy 2 a float64 scalar times a float32 array is computed in
    # float64 and rounded back, which differs in the last bit (and is slower)
    hyper = _float_hyperparameters(OPTIMIZERS[name])
    assert "learning_rate_init" in hyper
    rng = np.random.default_rng(4)

    def spread(shape):
        # magnitudes from 1e-9 to 1: a last-bit change in a small step shows in
        # a small parameter, and epsilon matters next to a small sqrt(s)
        return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-9, 0, shape)).astype(
            np.float32)

    params = [spread((40, 25)), spread(25)]
    grads_per_step = [[spread(p.shape) for p in params] for _ in range(10)]
    results = []
    for scalar in (float, np.float64):
        got = [p.copy() for p in params]
        opt = OPTIMIZERS[name](got, **{k: scalar(v) for k, v in hyper.items()})
        for step, grads in enumerate(grads_per_step):
            if step > 0:  # a new rate, as a schedule sets between epochs
                opt.learning_rate = scalar(hyper["learning_rate_init"] * 0.9**step)
            opt.update(got, grads)
        results.append(got)
    for from_float, from_numpy in zip(*results):
        assert from_numpy.dtype == np.float32
        np.testing.assert_array_equal(from_numpy, from_float)


def test_optimizer_registry():
    assert OPTIMIZERS == {"sgd": SGD, "adam": Adam, "adamw": AdamW}


# ---------------------------------------------------------------- schedules

COMMON_KEYWORDS = dict(power_t=0.25, max_epochs=10, step_size=3, gamma=0.5,
                       warmup_epochs=0)


def test_schedule_registry_gives_the_learning_rate_choices():
    assert LEARNING_RATE_SCHEDULES == tuple(SCHEDULES)
    assert set(SCHEDULES) == {"constant", "invscaling", "adaptive", "cosine", "step"}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_takes_the_common_keywords_and_returns_python_floats(name):
    # NumPy scalars in, as from a parameter grid: still Python floats out
    schedule = SCHEDULES[name](np.float64(0.1), power_t=np.float64(0.25),
                               max_epochs=np.int64(10), step_size=np.int64(3),
                               gamma=np.float64(0.5), warmup_epochs=np.int64(2))
    for epoch in range(14):
        rate = schedule.rate(epoch, np.int64(100 * epoch))
        assert type(rate) is float
        assert 0.0 <= rate <= 0.1 and math.isfinite(rate)
    assert type(schedule.on_plateau()) is bool


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_starts_at_learning_rate_init(name):
    schedule = SCHEDULES[name](0.1, **COMMON_KEYWORDS)
    assert schedule.rate(0, 0) == 0.1


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_warms_up_linearly_then_runs_shifted(name):
    # W = 3: rates 0.1 * 1/4, 2/4, 3/4, then the schedule from its epoch 0,
    # over a run 3 epochs longer so cosine has the same T
    warm = SCHEDULES[name](0.1, **{**COMMON_KEYWORDS, "warmup_epochs": 3,
                                   "max_epochs": 13})
    cold = SCHEDULES[name](0.1, **COMMON_KEYWORDS)
    for epoch in range(3):
        assert warm.rate(epoch, 0) == pytest.approx(0.1 * (epoch + 1) / 4, rel=1e-12)
    for k in range(12):
        for n_samples_seen in (0, 99, 1000 * k):
            assert warm.rate(3 + k, n_samples_seen) == pytest.approx(
                cold.rate(k, n_samples_seen), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", sorted(set(SCHEDULES) - {"adaptive"}))
def test_plateau_stops_every_schedule_but_adaptive(name):
    schedule = SCHEDULES[name](0.1, **COMMON_KEYWORDS)
    before = [schedule.rate(epoch, 10 * epoch) for epoch in range(5)]
    assert schedule.on_plateau()
    assert schedule.on_plateau(verbose=True)
    assert [schedule.rate(epoch, 10 * epoch) for epoch in range(5)] == before


@pytest.mark.parametrize("name", ["constant", "adaptive"])
def test_constant_and_adaptive_ignore_epochs_and_samples(name):
    schedule = SCHEDULES[name](0.1)
    assert {schedule.rate(epoch, 1000 * epoch) for epoch in range(300)} == {0.1}


def test_invscaling_rates():
    schedule = InverseScalingSchedule(0.1, power_t=0.5)
    assert schedule.rate(0, 0) == 0.1  # the first epoch runs at learning_rate_init
    assert schedule.rate(1, 99) == pytest.approx(0.01, rel=1e-12)  # 0.1 / 100 ** 0.5
    # from learning_rate_init, not compounded
    assert schedule.rate(2, 399) == pytest.approx(0.005, rel=1e-12)
    # 0.1 / 16 ** 0.25
    assert InverseScalingSchedule(0.1, power_t=0.25).rate(1, 15) == pytest.approx(
        0.05, rel=1e-12)


def test_invscaling_warmup_multiplies_the_factor_in():
    schedule = InverseScalingSchedule(0.1, power_t=0.5, warmup_epochs=3)
    assert schedule.rate(1, 99) == pytest.approx(0.01 * 2 / 4, rel=1e-12)
    assert schedule.rate(3, 99) == pytest.approx(0.01, rel=1e-12)


def test_adaptive_divides_by_five_on_plateau_and_stops_below_1e_minus_6():
    schedule = AdaptiveSchedule(1e-3)
    rates = []
    while not schedule.on_plateau():
        rates.append(schedule.rate(len(rates) + 1, 0))
        assert len(rates) < 20
    # 1e-3 / 5**k: 2e-4, 4e-5, 8e-6, 1.6e-6 (still above 1e-6), 3.2e-7, then stop
    np.testing.assert_allclose(rates, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7], rtol=1e-12)
    assert schedule.on_plateau()  # stays stopped
    assert schedule.rate(100, 0) == pytest.approx(3.2e-7, rel=1e-12)


def test_adaptive_verbose_reports_new_rate(capsys):
    schedule = AdaptiveSchedule(0.5)
    assert not schedule.on_plateau(verbose=True)
    assert capsys.readouterr().out == "Setting learning rate to 0.100000\n"
    assert not schedule.on_plateau()
    assert capsys.readouterr().out == ""


def test_adaptive_warmup_multiplies_the_lowered_rate():
    schedule = AdaptiveSchedule(0.5, warmup_epochs=4)
    assert not schedule.on_plateau()
    assert schedule.rate(1, 0) == pytest.approx(0.1 * 2 / 5, rel=1e-12)
    assert schedule.rate(4, 0) == pytest.approx(0.1, rel=1e-12)


def test_cosine_rates():
    lr0, T = 0.1, 10
    schedule = CosineSchedule(lr0, max_epochs=T)
    for k in range(T):
        assert schedule.rate(k, 0) == pytest.approx(
            0.5 * lr0 * (1 + math.cos(math.pi * k / T)), rel=1e-12)
    assert schedule.rate(5, 0) == pytest.approx(lr0 / 2, rel=1e-12)
    # the last epoch of the run is small but still moves; k = T is 0
    assert 0 < schedule.rate(T - 1, 0) < 0.025 * lr0
    assert schedule.rate(T, 0) == 0.0
    assert schedule.rate(T + 5, 0) == 0.0  # stays 0 rather than climbing back


def test_cosine_with_warmup_anneals_over_the_epochs_after_it():
    # T = 12 - 2 = 10 epochs of annealing after 2 of warm-up
    schedule = CosineSchedule(0.1, max_epochs=12, warmup_epochs=2)
    assert schedule.rate(0, 0) == pytest.approx(0.1 / 3, rel=1e-12)
    assert schedule.rate(1, 0) == pytest.approx(0.2 / 3, rel=1e-12)
    assert schedule.rate(2, 0) == 0.1
    assert schedule.rate(7, 0) == pytest.approx(0.05, rel=1e-12)
    assert 0 < schedule.rate(11, 0) < 0.0025
    assert schedule.rate(12, 0) == 0.0


def test_cosine_warmup_longer_than_the_run_anneals_in_one_epoch():
    schedule = CosineSchedule(0.1, max_epochs=2, warmup_epochs=3)  # T = 1
    assert schedule.rate(3, 0) == 0.1
    assert schedule.rate(4, 0) == 0.0


def test_step_rates_at_the_boundaries():
    schedule = StepSchedule(0.1, step_size=3, gamma=0.5)
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]
    assert [schedule.rate(epoch, 0) for epoch in range(10)] == pytest.approx(
        expected, rel=1e-12)


def test_step_counts_its_steps_after_the_warmup():
    schedule = StepSchedule(0.1, step_size=3, gamma=0.5, warmup_epochs=2)
    expected = [0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    assert [schedule.rate(epoch, 0) for epoch in range(9)] == pytest.approx(
        expected, rel=1e-12)


# ---------------------------------------------------------------- clipping


def _gradients(dtype=np.float64):
    rng = np.random.default_rng(8)
    return [rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal(4).astype(dtype),
            rng.standard_normal((4, 3)).astype(dtype)]


def _global_norm(grads):
    return np.linalg.norm(np.concatenate([g.ravel() for g in grads]))


def test_clip_returns_the_global_norm():
    grads = _gradients()
    norm = clip_by_global_norm(grads, max_norm=1e6)
    assert type(norm) is float
    assert norm == pytest.approx(_global_norm(grads), rel=1e-12)


def test_clip_below_the_limit_changes_nothing():
    grads = _gradients()
    before = [g.copy() for g in grads]
    norm = clip_by_global_norm(grads, max_norm=_global_norm(grads) * 1.01)
    assert norm == pytest.approx(_global_norm(before), rel=1e-12)
    for g, g0 in zip(grads, before):
        np.testing.assert_array_equal(g, g0)


def test_clip_above_the_limit_rescales_to_the_limit_keeping_the_direction():
    grads = _gradients()
    before = [g.copy() for g in grads]
    objects = list(grads)
    norm = clip_by_global_norm(grads, max_norm=0.5)
    assert norm == pytest.approx(_global_norm(before), rel=1e-12)  # before clipping
    assert _global_norm(grads) == pytest.approx(0.5, rel=0, abs=1e-12)
    for g, g0, obj in zip(grads, before, objects):
        assert g is obj  # in place
        np.testing.assert_allclose(g, g0 * (0.5 / norm), rtol=1e-12)


def test_clip_keeps_float32():
    grads = _gradients(np.float32)
    clip_by_global_norm(grads, max_norm=0.5)
    assert all(g.dtype == np.float32 for g in grads)
    assert _global_norm(grads) == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_clip_returns_a_non_finite_norm_without_scaling(bad):
    grads = _gradients()
    grads[1][2] = bad
    before = [g.copy() for g in grads]
    norm = clip_by_global_norm(grads, max_norm=0.5)
    assert not math.isfinite(norm)
    for g, g0 in zip(grads, before):
        np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_is_built_from_the_estimators_settings(name):
    settings = dict(learning_rate_init=0.05, momentum=0.5, nesterovs_momentum=False,
                    beta_1=0.8, beta_2=0.99, epsilon=1e-7, weight_decay=0.1)
    params = [np.zeros(5)]
    optimizer = make_optimizer(name, params, settings, n_decayed=[3])
    assert type(optimizer) is OPTIMIZERS[name]
    assert optimizer.learning_rate == 0.05
    for key in ("momentum", "beta_1", "beta_2", "epsilon", "weight_decay"):
        if hasattr(optimizer, key):
            assert getattr(optimizer, key) == settings[key]
