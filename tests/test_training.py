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
    TrainingProgress,
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
    order = np.random.RandomState(0).permutation(n_samples) if shuffle else None
    batches = [_rows_as_array(r, n_samples)
               for r in iter_minibatches(n_samples, batch_size, order)]
    sizes = [len(b) for b in batches]
    n_full, rest = divmod(n_samples, batch_size)
    assert sizes == [batch_size] * n_full + ([rest] if rest else [])
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n_samples))
    if shuffle:
        np.testing.assert_array_equal(np.concatenate(batches), order)


def test_iter_minibatches_keeps_order_without_an_order():
    batches = list(iter_minibatches(11, 4))
    assert [_rows_as_array(b, 11).tolist() for b in batches] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


def _epoch_orders(n_samples, batch_size, seed, n_epochs):
    X = np.arange(n_samples, dtype=float)[:, np.newaxis]
    source = MinibatchSource(X, X, None, batch_size, shuffle=True)
    rng = np.random.RandomState(seed)
    return [np.concatenate([Xb[:, 0].copy() for Xb, _, _ in source.epoch(rng)])
            .astype(int) for _ in range(n_epochs)]


def test_each_epoch_shuffles_the_previous_order_as_sklearn_does():
    # scikit-learn's MLPs shuffle the previous epoch's index order again with
    # sklearn.utils.shuffle; the same seed must give the same batches
    from sklearn.utils import shuffle
    rng = np.random.RandomState(7)
    expected, order = [], np.arange(50)
    for _ in range(4):
        order = shuffle(order, random_state=rng)
        expected.append(order)
    ours = _epoch_orders(50, 7, seed=7, n_epochs=4)
    for a, b in zip(ours, expected):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ours[0], ours[1])


def test_epoch_orders_are_deterministic_for_a_seed():
    a = _epoch_orders(40, 6, seed=3, n_epochs=2)
    b = _epoch_orders(40, 6, seed=3, n_epochs=2)
    c = _epoch_orders(40, 6, seed=4, n_epochs=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def _expected_rows(n_samples, batch_size, seed):
    """The rows of the first epoch of a fresh shuffled source."""
    order = np.random.RandomState(seed).permutation(n_samples)
    return list(iter_minibatches(n_samples, batch_size, order))


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
    expected_rows = _expected_rows(23, 5, seed=0)
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
    expected_rows = _expected_rows(23, 6, seed=5)
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


# --- TrainingProgress -------------------------------------------------------

SETTINGS = dict(learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=True,
                beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01,
                power_t=0.5, max_iter=10, lr_step_size=2, lr_gamma=0.5,
                warmup_epochs=0)


def _progress(schedule="step", monitor_validation=False, n_iter_no_change=2, tol=0.0):
    progress = TrainingProgress(tol, n_iter_no_change, monitor_validation)
    progress.start_schedule("sgd", SETTINGS, schedule, n_parameters=6, n_weights=4,
                            dtype=np.float64)
    return progress


def test_progress_steps_the_schedule_into_the_optimizer_each_epoch():
    progress = _progress("step")
    rates = [progress.optimizer.learning_rate]
    for loss in (1.0, 0.9, 0.8, 0.7):
        progress.record_epoch(loss, n_samples=10, seconds=0.0)
        rates.append(progress.optimizer.learning_rate)
    # step: halved every 2 epochs; the history records the rate each epoch ran at
    assert rates == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert [r["learning_rate"] for r in progress.history] == rates[:4]
    assert progress.n_samples_seen == 40 and progress.loss_curve == [1.0, 0.9, 0.8, 0.7]


def test_progress_tracks_the_best_epoch_and_the_patience_count():
    progress = _progress("constant", n_iter_no_change=2)
    for loss in (1.0, 0.5, 0.6, 0.7):
        progress.record_epoch(loss, n_samples=10, seconds=0.0)
    assert progress.best_epoch == 2 and progress.best_score == -0.5
    assert progress.no_improvement_count == 2
    assert not progress.plateau_stops()
    progress.record_epoch(0.8, n_samples=10, seconds=0.0)
    assert progress.plateau_stops()


def test_an_adaptive_plateau_lowers_the_rate_and_resets_the_count():
    progress = _progress("adaptive", n_iter_no_change=1)
    for loss in (1.0, 1.1, 1.2):
        progress.record_epoch(loss, n_samples=10, seconds=0.0)
    assert not progress.plateau_stops()
    assert progress.no_improvement_count == 0
    assert progress.optimizer.learning_rate == pytest.approx(0.02)


def test_progress_monitors_the_validation_score_with_early_stopping():
    progress = _progress("constant", monitor_validation=True)
    progress.record_epoch(1.0, 10, 0.0, val_loss=0.9, val_score=0.7)
    progress.record_epoch(0.5, 10, 0.0, val_loss=0.8, val_score=0.6)
    assert progress.best_epoch == 1 and progress.best_score == 0.7
    assert progress.validation_scores == [0.7, 0.6]
    assert progress.validation_losses == [0.9, 0.8]


def test_switching_the_monitored_quantity_restarts_monitoring_only():
    progress = _progress("constant")
    for loss in (1.0, 0.5, 0.6):
        progress.record_epoch(loss, n_samples=10, seconds=0.0)
    progress.watch(0.0, 2, monitor_validation=False)  # same quantity: kept
    assert progress.best_epoch == 2 and progress.no_improvement_count == 1
    progress.watch(0.0, 2, monitor_validation=True)
    assert progress.best_epoch is None and progress.no_improvement_count == 0
    assert progress.best_score == -np.inf and progress.validation_scores is None
    assert progress.loss_curve == [1.0, 0.5, 0.6] and len(progress.history) == 3
    progress.record_epoch(0.4, 10, 0.0, val_loss=0.3, val_score=0.9)
    assert progress.best_epoch == 4 and progress.validation_scores == [0.9]


def test_progress_round_trips_through_plain_data():
    progress = _progress("adaptive")
    progress.record_epoch(1.0, n_samples=10, seconds=0.0)
    plain = progress.to_plain()
    assert isinstance(plain["optimizer"], dict) and isinstance(plain["monitor"], dict)
    again = TrainingProgress.from_plain(plain)
    assert type(again.optimizer) is type(progress.optimizer)
    assert again.optimizer.learning_rate == progress.optimizer.learning_rate
    again.record_epoch(0.5, n_samples=10, seconds=0.0)
    assert again.loss_curve == [1.0, 0.5] and progress.loss_curve == [1.0]
