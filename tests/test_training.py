"""Training steps: mini-batches, one epoch, divergence checks, plateaus, L-BFGS."""

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp_scratch._activations import ACTIVATIONS
from skmlp_scratch._losses import resolve_loss
from skmlp_scratch._network import (
    ParameterVector,
    Workspace,
    init_params,
    layer_sizes,
    loss_and_gradients,
)
from skmlp_scratch._optimizers import SGD, Adam
from skmlp_scratch._training import (
    DivergenceGuard,
    MinibatchSource,
    PlateauMonitor,
    TrainingDivergedError,
    check_finite,
    fit_lbfgs,
    iter_minibatches,
    run_epoch,
    unflatten_into,
)


def _rows_as_array(rows, n_samples):
    return np.arange(n_samples)[rows]


# --- iter_minibatches -------------------------------------------------------

@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("n_samples,batch_size", [(23, 5), (20, 5), (7, 1), (9, 8)])
def test_iter_minibatches_covers_every_index_once(n_samples, batch_size, shuffle):
    rng = np.random.RandomState(0) if shuffle else None
    batches = [_rows_as_array(r, n_samples)
               for r in iter_minibatches(n_samples, batch_size, rng)]
    sizes = [len(b) for b in batches]
    n_full, rest = divmod(n_samples, batch_size)
    assert sizes == [batch_size] * n_full + ([rest] if rest else [])
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n_samples))


def test_iter_minibatches_keeps_order_without_rng():
    batches = list(iter_minibatches(11, 4))
    assert [_rows_as_array(b, 11).tolist() for b in batches] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


def test_iter_minibatches_shuffles_with_rng():
    order = np.concatenate([_rows_as_array(r, 50)
                            for r in iter_minibatches(50, 7, np.random.RandomState(0))])
    assert not np.array_equal(order, np.arange(50))
    # a new epoch with the same generator draws a new order
    rng = np.random.RandomState(1)
    first = np.concatenate(list(iter_minibatches(50, 7, rng)))
    second = np.concatenate(list(iter_minibatches(50, 7, rng)))
    assert not np.array_equal(first, second)


def test_iter_minibatches_is_deterministic_for_a_seed():
    a = [b.tolist() for b in iter_minibatches(40, 6, np.random.RandomState(3))]
    b = [b.tolist() for b in iter_minibatches(40, 6, np.random.RandomState(3))]
    c = [b.tolist() for b in iter_minibatches(40, 6, np.random.RandomState(4))]
    assert a == b
    assert a != c


# --- MinibatchSource ---------------------------------------------------------

def _data(n=23, n_features=4, n_outputs=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    Y = np.eye(n_outputs)[rng.integers(0, n_outputs, size=n)]
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    return X, Y, sample_weight


def test_minibatch_source_shuffled_batches_equal_rows_and_reuse_buffers():
    X, Y, sw = _data()
    X_before = X.copy()
    source = MinibatchSource(X, Y, sw, batch_size=5, shuffle=True)
    assert source.X is X  # held, not copied
    expected_rows = list(iter_minibatches(23, 5, np.random.RandomState(0)))
    first_X = first_Y = None
    n_batches = 0
    for (Xb, Yb, swb), rows in zip(source.epoch(np.random.RandomState(0)), expected_rows):
        np.testing.assert_array_equal(Xb, X[rows])
        np.testing.assert_array_equal(Yb, Y[rows])
        np.testing.assert_array_equal(swb, sw[rows])
        assert not np.shares_memory(Xb, X)
        if first_X is None:
            first_X, first_Y = Xb, Yb
        else:
            # every batch is written into the same buffer
            assert np.shares_memory(Xb, first_X)
            assert np.shares_memory(Yb, first_Y)
        n_batches += 1
    assert n_batches == len(expected_rows) == 5
    np.testing.assert_array_equal(X, X_before)


def test_minibatch_source_in_order_batches_are_views_of_X():
    X, Y, sw = _data()
    source = MinibatchSource(X, Y, None, batch_size=5, shuffle=False)
    seen = []
    for Xb, Yb, swb in source.epoch(np.random.RandomState(0)):
        assert swb is None
        assert np.shares_memory(Xb, X) and np.shares_memory(Yb, Y)
        seen.append(Xb.copy())
    np.testing.assert_array_equal(np.vstack(seen), X)


def test_minibatch_source_full_batch_is_X_itself():
    X, Y, sw = _data(n=10)
    source = MinibatchSource(X, Y, sw, batch_size=10, shuffle=True)
    (Xb, Yb, swb), = list(source.epoch(np.random.RandomState(0)))
    assert np.shares_memory(Xb, X)
    np.testing.assert_array_equal(Xb, X)
    np.testing.assert_array_equal(swb, sw)


def test_minibatch_source_sparse_X():
    X, Y, sw = _data()
    X[np.abs(X) < 0.7] = 0.0
    Xs = sp.csr_matrix(X)
    source = MinibatchSource(Xs, Y, sw, batch_size=6, shuffle=True)
    expected_rows = list(iter_minibatches(23, 6, np.random.RandomState(5)))
    batches = list(source.epoch(np.random.RandomState(5)))
    assert len(batches) == len(expected_rows)
    for (Xb, _, _), rows in zip(batches, expected_rows):
        assert sp.issparse(Xb)
        np.testing.assert_array_equal(Xb.toarray(), X[rows])


# --- run_epoch ---------------------------------------------------------------

def _problem(seed=0, n=60):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 2))
    labels = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 0] - X[:, 1] > 1)
    Y = np.eye(3)[labels]
    activations = [ACTIVATIONS["tanh"], ACTIVATIONS["softmax"]]
    sizes = layer_sizes(2, (8,), 3)
    coefs, intercepts = init_params(sizes, activations[0], np.float64, rng)
    loss = resolve_loss("log_loss", "softmax")
    return X, Y, coefs, intercepts, activations, loss, sizes


def _full_loss(X, Y, sw, coefs, intercepts, activations, loss, sizes, alpha):
    ws = Workspace(sizes, X.shape[0], np.float64)
    return loss_and_gradients(X, Y, sw, coefs, intercepts, activations, loss, alpha, ws)


@pytest.mark.parametrize("optimizer_cls", [SGD, Adam])
def test_run_epoch_lowers_the_loss(optimizer_cls):
    X, Y, coefs, intercepts, activations, loss, sizes = _problem()
    sw = np.random.RandomState(1).uniform(0.5, 1.5, size=X.shape[0])
    alpha = 1e-4
    before = _full_loss(X, Y, sw, coefs, intercepts, activations, loss, sizes, alpha)
    batches = MinibatchSource(X, Y, sw, batch_size=10, shuffle=True)
    workspace = Workspace(sizes, 10, np.float64)
    params = ParameterVector(coefs, intercepts)
    optimizer = optimizer_cls([params.vector], learning_rate_init=0.05)
    rng = np.random.RandomState(2)
    params_before = [p.copy() for p in coefs + intercepts]
    epoch_losses = [run_epoch(batches, rng, params, activations, loss, alpha,
                              optimizer, workspace, epoch) for epoch in range(1, 21)]
    coefs, intercepts = params.coefs, params.intercepts
    after = _full_loss(X, Y, sw, coefs, intercepts, activations, loss, sizes, alpha)
    assert all(np.isfinite(epoch_losses))
    assert not all(np.array_equal(p, q) for p, q in zip(coefs + intercepts, params_before))
    assert after < 0.6 * before
    assert epoch_losses[-1] < epoch_losses[0]


def test_run_epoch_reports_where_it_diverges():
    X, Y, coefs, intercepts, activations, loss, sizes = _problem()
    X[13, 0] = np.nan  # row 13 is in the third batch of 5 when the order is kept
    batches = MinibatchSource(X, Y, None, batch_size=5, shuffle=False)
    workspace = Workspace(sizes, 5, np.float64)
    params = ParameterVector(coefs, intercepts)
    optimizer = SGD([params.vector], learning_rate_init=0.01)
    with pytest.raises(TrainingDivergedError, match="epoch 4, batch 3"):
        run_epoch(batches, np.random.RandomState(0), params, activations, loss,
                  0.0, optimizer, workspace, epoch=4)


@pytest.mark.parametrize("optimizer_cls", [SGD, Adam])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stepping_the_parameter_vector_equals_stepping_each_array(optimizer_cls, dtype):
    # the fast path (one update over one vector) against the plain one (an
    # update per array): elementwise arithmetic, so the results are identical
    X, Y, coefs, intercepts, activations, loss, sizes = _problem()
    coefs = [W.astype(dtype) for W in coefs]
    intercepts = [b.astype(dtype) for b in intercepts]
    X, Y = X.astype(dtype), Y.astype(dtype)
    params = ParameterVector(coefs, intercepts)
    arrays = [a.copy() for a in coefs + intercepts]
    n_coefs = len(coefs)
    whole = optimizer_cls([params.vector], learning_rate_init=0.05)
    each = optimizer_cls(arrays, learning_rate_init=0.05)
    ws_whole = Workspace(sizes, 10, dtype)
    ws_each = Workspace(sizes, 10, dtype)
    for rows in iter_minibatches(X.shape[0], 10):
        loss_and_gradients(X[rows], Y[rows], None, params.coefs, params.intercepts,
                           activations, loss, 1e-3, ws_whole)
        whole.update([params.vector], [ws_whole.gradient_vector])
        loss_and_gradients(X[rows], Y[rows], None, arrays[:n_coefs], arrays[n_coefs:],
                           activations, loss, 1e-3, ws_each)
        each.update(arrays, ws_each.coef_grads + ws_each.intercept_grads)
    for got, expected in zip(params.coefs + params.intercepts, arrays):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)


# --- DivergenceGuard ----------------------------------------------------------

def test_divergence_guard_measures_against_the_first_loss_and_weights():
    guard = DivergenceGuard(loss_factor=100.0, weight_factor=1e3)
    guard.start(np.array([0.5, -3.0, 1.0]))  # largest initial weight 3
    guard.start(np.array([50.0]))  # the first one stays the reference
    guard.check_loss(2.0, "epoch 1, batch 1")  # the reference loss
    guard.check_loss(199.0, "epoch 1, batch 2")  # below 100 x 2
    with pytest.raises(TrainingDivergedError, match="epoch 1, batch 3: the loss reached"):
        guard.check_loss(201.0, "epoch 1, batch 3")
    guard.check_weights(np.array([-2999.0, 1.0]), "the end of epoch 1")
    with pytest.raises(TrainingDivergedError, match="a weight reached 3001"):
        guard.check_weights(np.array([-3001.0, 1.0]), "the end of epoch 1")
    with pytest.raises(TrainingDivergedError, match="non-finite"):
        guard.check_loss(np.nan, "epoch 2, batch 1")
    assert guard.references == (2.0, 3.0)


def test_divergence_guard_uses_at_least_one_as_the_yardstick_and_carries_references():
    guard = DivergenceGuard(loss_factor=10.0, weight_factor=10.0, references=(0.01, 0.1))
    guard.start(np.array([99.0]))  # known from earlier training: ignored
    guard.check_loss(9.9, "epoch 5, batch 1")  # 10 x max(0.01, 1)
    with pytest.raises(TrainingDivergedError):
        guard.check_loss(10.1, "epoch 5, batch 2")
    with pytest.raises(TrainingDivergedError):
        guard.check_weights(np.array([10.5]), "the end of epoch 5")


# --- check_finite ------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_raises_for_non_finite_loss(bad):
    with pytest.raises(TrainingDivergedError) as excinfo:
        check_finite(bad, None, "epoch 3, batch 12")
    assert "epoch 3, batch 12" in str(excinfo.value)
    assert "loss" in str(excinfo.value)
    assert isinstance(excinfo.value, FloatingPointError)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_check_finite_raises_for_non_finite_params(bad):
    params = [np.ones((3, 2)), np.zeros(2)]
    params[1][1] = bad
    with pytest.raises(TrainingDivergedError) as excinfo:
        check_finite(0.5, params, "the end of epoch 7")
    assert "the end of epoch 7" in str(excinfo.value)
    assert "weights" in str(excinfo.value)


def test_check_finite_passes_finite_values():
    check_finite(1.25, [np.ones((3, 2)), np.zeros(2)], "epoch 1")
    check_finite(0.0, None, "epoch 1")
    check_finite(np.float32(2.0), [np.ones(3, dtype=np.float32)], "epoch 1")


# --- PlateauMonitor ----------------------------------------------------------

def test_plateau_monitor_counts_epochs_without_improvement_beyond_tol():
    monitor = PlateauMonitor(tol=0.1)
    # score: improvement over best must exceed tol to reset the count
    steps = [
        (1.0, True, 0),    # first score beats -inf
        (1.05, True, 1),   # best, but only 0.05 better: no improvement
        (1.10, True, 2),   # 0.05 better than the new best 1.05
        (0.5, False, 3),   # worse
        (1.30, True, 0),   # 0.2 better than best 1.10: improvement
        (1.30, False, 1),  # equal to best
    ]
    for score, is_best, count in steps:
        assert monitor.update(score) is is_best
        assert monitor.count == count
    assert monitor.best == 1.30


def test_plateau_monitor_with_zero_tol_counts_only_non_improvements():
    monitor = PlateauMonitor(tol=0.0)
    for score, count in [(-3.0, 0), (-2.0, 0), (-2.5, 1), (-2.2, 2), (-1.9, 0)]:
        monitor.update(score)
        assert monitor.count == count


def test_plateau_monitor_boundary_follows_scikit_learn():
    # scikit-learn counts an epoch when ``loss > best_loss - tol``, so a score of
    # exactly ``best + tol`` is not counted (0.25 and 0.5 are exact in binary)
    monitor = PlateauMonitor(tol=0.25, best=0.5, count=2)
    assert monitor.update(0.75) is True
    assert monitor.count == 0
    assert monitor.update(0.999) is True  # better, but by less than tol
    assert monitor.count == 1


def test_plateau_monitor_resumes_from_earlier_state():
    # as after an earlier partial_fit
    monitor = PlateauMonitor(tol=1e-4, best=-0.2, count=4)
    assert monitor.update(-0.3) is False
    assert monitor.count == 5 and monitor.best == -0.2
    assert monitor.update(-0.1) is True
    assert monitor.count == 0 and monitor.best == -0.1


# --- L-BFGS ------------------------------------------------------------------

def test_parameter_vector_round_trip():
    coefs = [np.arange(6.0).reshape(2, 3), np.arange(3.0).reshape(3, 1)]
    intercepts = [np.array([10.0, 11.0, 12.0]), np.array([13.0])]
    params = ParameterVector(coefs, intercepts)
    flat = params.vector
    np.testing.assert_array_equal(flat, [0, 1, 2, 3, 4, 5, 0, 1, 2, 10, 11, 12, 13])
    for view, a in zip(params.coefs + params.intercepts, coefs + intercepts):
        assert view.base is flat and view.shape == a.shape
    params.coefs[1][2, 0] = -1.0  # a view writes through to the vector
    assert flat[8] == -1.0
    flat = flat.copy()
    flat[8] = 2.0
    targets = [np.zeros_like(a, dtype=np.float32) for a in coefs + intercepts]
    unflatten_into(flat, targets)
    for t, a in zip(targets, coefs + intercepts):
        assert t.dtype == np.float32
        np.testing.assert_array_equal(t, a)


@pytest.mark.parametrize("use_weights", [False, True])
def test_fit_lbfgs_reduces_loss_and_returns_loss_curve(use_weights):
    X, Y, coefs, intercepts, activations, loss, sizes = _problem()
    sw = np.random.RandomState(3).uniform(0.5, 1.5, size=X.shape[0]) if use_weights else None
    alpha = 1e-3
    before = _full_loss(X, Y, sw, coefs, intercepts, activations, loss, sizes, alpha)
    coef_ids = [id(W) for W in coefs]
    result = fit_lbfgs(X, Y, sw, coefs, intercepts, activations, loss, alpha,
                       max_iter=50, max_fun=15000, tol=1e-6)
    after = _full_loss(X, Y, sw, coefs, intercepts, activations, loss, sizes, alpha)

    assert [id(W) for W in coefs] == coef_ids  # updated in place
    assert after < 0.5 * before
    assert result.fun == pytest.approx(after, rel=1e-10)
    np.testing.assert_allclose(ParameterVector(coefs, intercepts).vector, result.x)
    curve = result.loss_curve
    assert len(curve) == result.nit >= 1
    assert curve[0] < before
    assert curve[-1] == pytest.approx(after, rel=1e-10)
    # L-BFGS accepts only steps that lower the loss
    assert all(b <= a for a, b in zip(curve, curve[1:]))


def test_fit_lbfgs_respects_max_iter():
    X, Y, coefs, intercepts, activations, loss, sizes = _problem()
    result = fit_lbfgs(X, Y, None, coefs, intercepts, activations, loss, 0.0,
                       max_iter=3, max_fun=15000, tol=0.0)
    assert result.nit == 3
    assert len(result.loss_curve) == 3
