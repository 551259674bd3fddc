"""The whole network: gradient check against finite differences, sparse and float32
inputs, workspaces, chunked prediction and initialisation.

Run ``python -m pytest tests/test_network.py -q -s`` to see the largest relative
error of the whole-network gradient checks (printed at the end of the module);
``python tests/test_network.py`` prints every case.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp_scratch._activations import ACTIVATIONS
from skmlp_scratch._losses import USER_LOSSES, resolve_loss
from skmlp_scratch._network import (
    INITIALIZERS,
    Workspace,
    add_scaled,
    backward,
    forward,
    forward_chunked,
    forward_stacked,
    init_params,
    layer_sizes,
    loss_and_gradients,
    predict_proba_chunked,
    stack_networks,
)

HIDDEN_NAMES = sorted(name for name, act in ACTIVATIONS.items() if act.hidden)
# output kind -> (output activation, number of outputs)
OUTPUT_KINDS = {
    "binary": ("logistic", 1),
    "multiclass": ("softmax", 4),
    "multilabel": ("logistic", 3),
}
HIDDEN_LAYER_SIZES = (5, 4)
N_SAMPLES, N_FEATURES = 8, 3
ALPHA = 0.3
STEP = 1e-6
TOLERANCE = 1e-6
# no pre-activation closer than this to 0, so a step of STEP never crosses the relu kink
KINK_MARGIN = 1e-4

# largest relative error of every gradient-check case run in this process
GRADIENT_CHECK_ERRORS = {}


def relative_error(a, b):
    """``||a - b|| / max(||a|| + ||b||, 1e-8)`` over whole vectors."""
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-8))


def _targets(kind, rng, n):
    _, n_outputs = OUTPUT_KINDS[kind]
    if kind == "multiclass":
        return np.eye(n_outputs)[rng.randint(0, n_outputs, size=n)]
    Y = (rng.uniform(size=(n, n_outputs)) < 0.5).astype(np.float64)
    Y[0], Y[-1] = 0.0, 1.0  # both labels present in every column
    return Y


def _pre_activations(X, coefs, intercepts, activations):
    """Every layer's ``Z``, recomputed here without the workspace."""
    Zs, A = [], X
    for W, b, act in zip(coefs, intercepts, activations):
        Z = A @ W + b
        Zs.append(Z)
        A = Z.copy()
        act.forward(A)
    return Zs


def make_problem(hidden, user_loss, kind, dtype=np.float64, seed=0,
                 hidden_layer_sizes=HIDDEN_LAYER_SIZES, n_samples=N_SAMPLES):
    """A small network and data set, drawn so no pre-activation sits on a kink."""
    output_name, n_outputs = OUTPUT_KINDS[kind]
    activations = ([ACTIVATIONS[hidden]] * len(hidden_layer_sizes)
                   + [ACTIVATIONS[output_name]])
    loss = resolve_loss(user_loss, output_name)
    sizes = layer_sizes(N_FEATURES, hidden_layer_sizes, n_outputs)
    for attempt in range(100):
        rng = np.random.RandomState(1000 * seed + attempt)
        coefs, intercepts = init_params(sizes, activations[0], np.float64, rng)
        X = rng.standard_normal((n_samples, N_FEATURES))
        Zs = _pre_activations(X, coefs, intercepts, activations)
        if min(np.abs(Z).min() for Z in Zs[:-1]) > KINK_MARGIN:
            break
    else:  # pragma: no cover - the search above succeeds on its first tries
        raise RuntimeError("no draw keeps the pre-activations away from 0")
    Y = _targets(kind, rng, n_samples)
    sample_weight = rng.uniform(0.2, 2.0, size=n_samples)
    cast = [X, Y, sample_weight] + coefs + intercepts
    X, Y, sample_weight, *params = [a.astype(dtype) for a in cast]
    coefs, intercepts = params[:len(coefs)], params[len(coefs):]
    return dict(X=X, Y=Y, sample_weight=sample_weight, coefs=coefs,
                intercepts=intercepts, activations=activations, loss=loss,
                sizes=sizes)


def _loss(problem, X=None, sample_weight="given", alpha=ALPHA, workspace=None):
    p = problem
    X = p["X"] if X is None else X
    sw = p["sample_weight"] if isinstance(sample_weight, str) else sample_weight
    ws = workspace or Workspace(p["sizes"], X.shape[0], p["coefs"][0].dtype,
                                p["activations"])
    value = loss_and_gradients(X, p["Y"], sw, p["coefs"], p["intercepts"],
                               p["activations"], p["loss"], alpha, ws)
    return value, ws


def finite_difference_gradients(problem, workspace=None):
    """Central differences of the loss w.r.t. every weight and bias, flattened.

    A ``workspace`` with dropout masks keeps them fixed for every evaluation.
    """
    params = problem["coefs"] + problem["intercepts"]
    grads = []
    for p in params:
        for idx in np.ndindex(*p.shape):
            original = p[idx]
            p[idx] = original + STEP
            plus, _ = _loss(problem, workspace=workspace)
            p[idx] = original - STEP
            minus, _ = _loss(problem, workspace=workspace)
            p[idx] = original
            grads.append((plus - minus) / (2 * STEP))
    return np.array(grads)


def gradient_check_error(hidden, user_loss, kind):
    """Relative error between backprop and finite differences for one case."""
    problem = make_problem(hidden, user_loss, kind)
    _, ws = _loss(problem)
    analytic = np.concatenate([g.ravel() for g in ws.coef_grads + ws.intercept_grads])
    numeric = finite_difference_gradients(problem)
    assert np.linalg.norm(numeric) > 1e-3  # a check on a zero gradient proves nothing
    error = relative_error(analytic, numeric)
    GRADIENT_CHECK_ERRORS[(hidden, user_loss, kind)] = error
    return error


def report_max_gradient_check_error():
    """Print the largest recorded gradient-check error and its case."""
    if not GRADIENT_CHECK_ERRORS:
        return None
    case, error = max(GRADIENT_CHECK_ERRORS.items(), key=lambda item: item[1])
    print(f"\nwhole-network gradient check: largest relative error {error:.3e} "
          f"over {len(GRADIENT_CHECK_ERRORS)} cases, at hidden={case[0]}, "
          f"loss={case[1]}, output={case[2]}")
    return error


def teardown_module(module):
    report_max_gradient_check_error()


@pytest.mark.parametrize("kind", sorted(OUTPUT_KINDS))
@pytest.mark.parametrize("user_loss", USER_LOSSES)
@pytest.mark.parametrize("hidden", HIDDEN_NAMES)
def test_whole_network_gradient_matches_finite_differences(hidden, user_loss, kind):
    error = gradient_check_error(hidden, user_loss, kind)
    assert error < TOLERANCE, f"relative error {error:.3e}"


@pytest.mark.parametrize("hidden", HIDDEN_NAMES)
def test_dropout_gradient_matches_finite_differences_with_a_fixed_mask(hidden):
    problem = make_problem(hidden, "log_loss", "multiclass")
    ws = Workspace(problem["sizes"], N_SAMPLES, np.float64, problem["activations"],
                   dropout=[0.5, 0.25])
    ws.draw_masks(N_SAMPLES, np.random.RandomState(0))
    assert all(0 < np.count_nonzero(m) < m.size for m in ws.masks)  # some dropped
    value, _ = _loss(problem, workspace=ws)
    analytic = ws.gradient_vector.copy()
    numeric = finite_difference_gradients(problem, workspace=ws)
    error = relative_error(analytic, numeric)
    assert error < TOLERANCE, f"relative error {error:.3e}"
    # the masks change the loss: they are really applied
    assert value != pytest.approx(_loss(problem)[0], rel=1e-6)


def test_dropout_masks_are_inverted_and_follow_the_rate():
    sizes = [3, 400, 300, 2]
    relu = ACTIVATIONS["relu"]
    ws = Workspace(sizes, 250, np.float32, [relu, relu, ACTIVATIONS["softmax"]],
                   dropout=[0.2, 0.0])
    assert ws.masks[1] is None and ws.dropped[1] is None  # rate 0: no buffers
    ws.draw_masks(200, np.random.RandomState(1))
    mask = ws.masks[0][:200]
    assert mask.dtype == np.float32
    assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.8)}
    # 80,000 Bernoulli(0.8) draws: the kept share is within 0.01 of 0.8
    assert abs(np.count_nonzero(mask) / mask.size - 0.8) < 0.01
    again = Workspace(sizes, 250, np.float32, [relu, relu, ACTIVATIONS["softmax"]],
                      dropout=[0.2, 0.0])
    again.draw_masks(200, np.random.RandomState(1))
    np.testing.assert_array_equal(again.masks[0][:200], mask)


def test_without_dropout_the_masks_are_ignored():
    problem = make_problem("relu", "log_loss", "multiclass")
    ws = Workspace(problem["sizes"], N_SAMPLES, np.float64, problem["activations"],
                   dropout=[0.5, 0.5])
    ws.draw_masks(N_SAMPLES, np.random.RandomState(0))
    value = loss_and_gradients(problem["X"], problem["Y"], problem["sample_weight"],
                               problem["coefs"], problem["intercepts"],
                               problem["activations"], problem["loss"], ALPHA, ws,
                               dropout=False)
    plain_value, plain = _loss(problem)
    assert value == plain_value
    np.testing.assert_array_equal(ws.gradient_vector, plain.gradient_vector)


def test_gelu_needs_its_input_kept():
    problem = make_problem("gelu", "log_loss", "multiclass")
    ws = Workspace(problem["sizes"], N_SAMPLES, np.float64)  # no activations given
    with pytest.raises(ValueError, match="gelu derivative needs the pre-activation"):
        _loss(problem, workspace=ws)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_forward_chunked_returns_the_output_of_the_chosen_layer(depth):
    problem = make_problem("tanh", "log_loss", "multiclass", n_samples=9)
    A = problem["X"]
    for W, b, act in list(zip(problem["coefs"], problem["intercepts"],
                              problem["activations"]))[:depth]:
        A = A @ W + b
        act.forward(A)
    got = forward_chunked(problem["X"], problem["coefs"], problem["intercepts"],
                          problem["activations"], depth=depth, chunk_size=4)
    np.testing.assert_allclose(got, A, rtol=1e-13)


def test_a_wrong_gradient_fails_the_check():
    # the check itself must be able to fail: perturb one analytic entry
    problem = make_problem("tanh", "log_loss", "multiclass")
    _, ws = _loss(problem)
    analytic = np.concatenate([g.ravel() for g in ws.coef_grads + ws.intercept_grads])
    numeric = finite_difference_gradients(problem)
    analytic[3] *= 1.01
    assert relative_error(analytic, numeric) > TOLERANCE


def test_loss_value_includes_weighted_mean_and_l2_penalty():
    problem = make_problem("tanh", "squared_error", "multilabel")
    value, ws = _loss(problem)
    P = ws.outputs[-1]
    w = problem["sample_weight"]
    per_sample = 0.5 * np.mean((P - problem["Y"]) ** 2, axis=1)
    squares = sum(np.sum(W ** 2) for W in problem["coefs"])
    expected = np.sum(w * per_sample) / w.sum() + 0.5 * ALPHA * squares / w.sum()
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("sample_weight", ["given", None], ids=["weighted", "unweighted"])
def test_sparse_csr_gives_same_loss_and_gradients_as_dense(sample_weight):
    problem = make_problem("relu", "log_loss", "multiclass", n_samples=10)
    X = problem["X"].copy()
    X[np.abs(X) < 0.8] = 0.0  # a genuinely sparse matrix
    dense_value, dense_ws = _loss(problem, X=X, sample_weight=sample_weight)
    sparse_value, sparse_ws = _loss(problem, X=sp.csr_matrix(X), sample_weight=sample_weight)
    assert sparse_value == pytest.approx(dense_value, rel=1e-12)
    for got, expected in zip(sparse_ws.coef_grads + sparse_ws.intercept_grads,
                             dense_ws.coef_grads + dense_ws.intercept_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sparse_ws.outputs[-1], dense_ws.outputs[-1], rtol=1e-12)


def test_float32_workspace_keeps_float32():
    problem64 = make_problem("logistic", "log_loss", "multiclass")
    problem32 = make_problem("logistic", "log_loss", "multiclass", dtype=np.float32)
    value32, ws32 = _loss(problem32)
    value64, ws64 = _loss(problem64)
    for arrays in (ws32.outputs, ws32.deltas, ws32.coef_grads, ws32.intercept_grads):
        assert all(a.dtype == np.float32 for a in arrays)
    assert all(p.dtype == np.float32 for p in problem32["coefs"] + problem32["intercepts"])
    assert np.isfinite(value32)
    assert value32 == pytest.approx(value64, rel=1e-5)
    for got, expected in zip(ws32.coef_grads + ws32.intercept_grads,
                             ws64.coef_grads + ws64.intercept_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-5)

    P = predict_proba_chunked(problem32["X"], problem32["coefs"], problem32["intercepts"],
                              problem32["activations"], chunk_size=3)
    assert P.dtype == np.float32


def test_forward_on_fewer_rows_than_workspace_uses_views():
    problem = make_problem("tanh", "log_loss", "multilabel", n_samples=10)
    n = 6
    ws = Workspace(problem["sizes"], n_rows=10, dtype=np.float64)
    for a in ws.outputs:
        a.fill(-99.0)
    views = [a[:n] for a in ws.outputs]
    P = forward(problem["X"][:n], problem["coefs"], problem["intercepts"],
                problem["activations"], views)
    assert P is views[-1]
    assert np.shares_memory(P, ws.outputs[-1])

    reference = [np.empty((n, a.shape[1])) for a in ws.outputs]
    expected = forward(problem["X"][:n], problem["coefs"], problem["intercepts"],
                       problem["activations"], reference)
    np.testing.assert_allclose(ws.outputs[-1][:n], expected, rtol=1e-14)
    for full, ref in zip(ws.outputs, reference):
        # written through the views into the leading rows, nothing beyond them
        np.testing.assert_allclose(full[:n], ref, rtol=1e-14)
        np.testing.assert_array_equal(full[n:], -99.0)


def test_loss_and_gradients_writes_leading_rows_of_a_larger_workspace():
    problem = make_problem("relu", "log_loss", "multiclass", n_samples=7)
    ws = Workspace(problem["sizes"], n_rows=11, dtype=np.float64)
    originals = [a for a in ws.outputs + ws.deltas]
    for a in originals:
        a.fill(-99.0)
    _loss(problem, workspace=ws)
    # the workspace arrays are the same objects, filled in their first rows only
    assert all(a is b for a, b in zip(ws.outputs + ws.deltas, originals))
    for a in ws.outputs + ws.deltas:
        assert not np.any(a[:7] == -99.0)
        np.testing.assert_array_equal(a[7:], -99.0)
    expected = forward(problem["X"], problem["coefs"], problem["intercepts"],
                       problem["activations"], [np.empty((7, u)) for u in problem["sizes"][1:]])
    np.testing.assert_allclose(ws.outputs[-1][:7], expected, rtol=1e-14)


def test_loss_and_gradients_on_fewer_rows_than_workspace():
    problem = make_problem("relu", "squared_error", "multiclass", n_samples=12)
    big = Workspace(problem["sizes"], n_rows=30, dtype=np.float64)
    value_big, _ = _loss(problem, workspace=big)
    value_exact, exact = _loss(problem)
    assert value_big == pytest.approx(value_exact, rel=1e-14)
    for got, expected in zip(big.coef_grads + big.intercept_grads,
                             exact.coef_grads + exact.intercept_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_term_through_the_workspace_buffer_is_bit_identical(dtype):
    # the buffer only spares an allocation: the same two roundings either way
    problem = make_problem("relu", "log_loss", "multiclass", dtype=dtype)
    _, ws = _loss(problem, sample_weight=None)  # scale 1 / n, total n, as below
    arrays = ws.batch_views(N_SAMPLES)
    with_buffer = [g.copy() for g in ws.coef_grads]
    grads = [np.empty_like(g) for g in ws.coef_grads]
    backward(problem["X"], problem["Y"], 1.0 / N_SAMPLES, float(N_SAMPLES),
             problem["coefs"], problem["activations"], problem["loss"], ALPHA,
             arrays, grads, [np.empty_like(b) for b in ws.intercept_grads])
    for got, expected in zip(grads, with_buffer):
        np.testing.assert_array_equal(got, expected)
    assert ws.scaled_weights.size == max(W.size for W in problem["coefs"])


def test_add_scaled_with_and_without_a_buffer():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3)).astype(np.float32)
    out = rng.standard_normal((5, 3)).astype(np.float32)
    expected = out + np.float32(0.37) * W
    for scratch in (None, np.full(40, np.nan, dtype=np.float32)):
        got = out.copy()
        add_scaled(got, W, 0.37, scratch)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("chunk_size", [1, 4, 7, 100])
def test_predict_proba_chunked_equals_one_forward_pass(chunk_size, as_sparse):
    problem = make_problem("relu", "log_loss", "multiclass", n_samples=17)
    X = sp.csr_matrix(problem["X"]) if as_sparse else problem["X"]
    ws = Workspace(problem["sizes"], 17, np.float64)
    expected = forward(problem["X"], problem["coefs"], problem["intercepts"],
                       problem["activations"], ws.outputs).copy()
    got = predict_proba_chunked(X, problem["coefs"], problem["intercepts"],
                                problem["activations"], chunk_size=chunk_size)
    assert got.shape == (17, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("hidden", HIDDEN_NAMES)
def test_init_params_is_glorot_uniform_bounded(hidden):
    sizes = [30, 20, 10, 5]
    coefs, intercepts = init_params(sizes, ACTIVATIONS[hidden], np.float64,
                                    np.random.RandomState(0))
    assert [W.shape for W in coefs] == [(30, 20), (20, 10), (10, 5)]
    assert [b.shape for b in intercepts] == [(20,), (10,), (5,)]
    # the hidden activation sets the factor of every layer, output included
    factor = 2.0 if hidden == "logistic" else 6.0
    for W, b, fan_in, fan_out in zip(coefs, intercepts, sizes, sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        for a in (W, b):
            assert np.abs(a).max() <= bound
        # uniform over the whole interval, not a narrower one
        assert np.abs(W).max() > 0.8 * bound
        assert W.min() < 0 < W.max()


def test_init_params_draws_weights_then_biases_per_layer():
    sizes = [4, 3, 2]
    coefs, intercepts = init_params(sizes, ACTIVATIONS["logistic"], np.float64,
                                    np.random.RandomState(7))
    rng = np.random.RandomState(7)
    b0 = np.sqrt(2.0 / 7)
    b1 = np.sqrt(2.0 / 5)
    expected = [rng.uniform(-b0, b0, (4, 3)), rng.uniform(-b0, b0, 3),
                rng.uniform(-b1, b1, (3, 2)), rng.uniform(-b1, b1, 2)]
    for got, exp in zip([coefs[0], intercepts[0], coefs[1], intercepts[1]], expected):
        np.testing.assert_array_equal(got, exp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_params_is_deterministic_given_seed(dtype):
    sizes = [6, 5, 3]
    first = init_params(sizes, ACTIVATIONS["relu"], dtype, np.random.RandomState(42))
    second = init_params(sizes, ACTIVATIONS["relu"], dtype, np.random.RandomState(42))
    other = init_params(sizes, ACTIVATIONS["relu"], dtype, np.random.RandomState(43))
    for a, b, c in zip(first[0] + first[1], second[0] + second[1], other[0] + other[1]):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("init", sorted(INITIALIZERS))
def test_every_initializer_gives_shapes_dtype_and_is_seeded(init):
    sizes = [6, 5, 3]
    relu = ACTIVATIONS["relu"]
    first = init_params(sizes, relu, np.float32, np.random.RandomState(0), init=init)
    second = init_params(sizes, relu, np.float32, np.random.RandomState(0), init=init)
    assert [W.shape for W in first[0]] == [(6, 5), (5, 3)]
    assert [b.shape for b in first[1]] == [(5,), (3,)]
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


# variance of the weights each scheme targets, as a function of fan_in
TARGET_VARIANCE = {"he_normal": lambda n: 2.0 / n, "he_uniform": lambda n: 2.0 / n,
                   "lecun_normal": lambda n: 1.0 / n}


@pytest.mark.parametrize("init", sorted(TARGET_VARIANCE))
def test_he_and_lecun_weights_have_their_variance_and_zero_biases(init):
    sizes = [400, 300, 10]
    coefs, intercepts = init_params(sizes, ACTIVATIONS["relu"], np.float64,
                                    np.random.RandomState(0), init=init)
    for W, b, fan_in in zip(coefs, intercepts, sizes):
        # 120,000 or 3,000 draws: the sample variance is within 6 % of its target
        assert W.var() == pytest.approx(TARGET_VARIANCE[init](fan_in), rel=0.06)
        assert abs(W.mean()) < 0.01
        np.testing.assert_array_equal(b, 0.0)
    if init == "he_uniform":
        assert np.abs(coefs[0]).max() <= np.sqrt(6.0 / 400)


def test_glorot_factor_follows_each_layer_activation_when_given_a_list():
    sizes = [4, 3, 2]
    acts = [ACTIVATIONS["logistic"], ACTIVATIONS["tanh"]]
    coefs, intercepts = init_params(sizes, acts, np.float64, np.random.RandomState(7))
    rng = np.random.RandomState(7)
    b0, b1 = np.sqrt(2.0 / 7), np.sqrt(6.0 / 5)
    expected = [rng.uniform(-b0, b0, (4, 3)), rng.uniform(-b0, b0, 3),
                rng.uniform(-b1, b1, (3, 2)), rng.uniform(-b1, b1, 2)]
    for got, exp in zip([coefs[0], intercepts[0], coefs[1], intercepts[1]], expected):
        np.testing.assert_array_equal(got, exp)


def test_layer_sizes():
    assert layer_sizes(10, (7, 5), 3) == [10, 7, 5, 3]
    assert layer_sizes(4, (), 1) == [4, 1]


if __name__ == "__main__":
    for hidden in HIDDEN_NAMES:
        for user_loss in USER_LOSSES:
            for kind in sorted(OUTPUT_KINDS):
                error = gradient_check_error(hidden, user_loss, kind)
                print(f"{hidden:>9} {user_loss:>14} {kind:>11}: {error:.3e}")
    report_max_gradient_check_error()


@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("hidden", [(), (6,), (6, 5)], ids=["no_hidden", "one", "two"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_stacked_equals_each_network_forward(hidden, dtype, as_sparse):
    # k networks of one shape, each with its own weights, softmax outputs (the
    # activation that couples units: it must act on each network's own outputs)
    rng = np.random.RandomState(0)
    sizes = layer_sizes(4, hidden, 3)
    acts = [ACTIVATIONS["gelu"]] * len(hidden) + [ACTIVATIONS["softmax"]]
    networks = [init_params(sizes, ACTIVATIONS["gelu"], dtype, rng) for _ in range(5)]
    X = rng.standard_normal((9, 4))
    expected = [forward_chunked(X, coefs, intercepts, acts) for coefs, intercepts
                in networks]
    coefs, intercepts = stack_networks(networks)
    got = forward_stacked(sp.csr_matrix(X) if as_sparse else X, coefs, intercepts, acts)
    assert got.shape == (5, 9, 3) and got.dtype == dtype
    tight = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, np.stack(expected), rtol=tight, atol=tight)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_stacked_reads_each_networks_own_inputs(dtype):
    # a member's encoder fitted on its own folds: network j reads X[j]
    rng = np.random.RandomState(1)
    sizes = layer_sizes(4, (6,), 2)
    acts = [ACTIVATIONS["relu"], ACTIVATIONS["identity"]]
    networks = [init_params(sizes, ACTIVATIONS["relu"], dtype, rng) for _ in range(3)]
    X = rng.standard_normal((3, 7, 4)).astype(dtype)
    expected = [forward_chunked(X[j], coefs, intercepts, acts)
                for j, (coefs, intercepts) in enumerate(networks)]
    got = forward_stacked(X, *stack_networks(networks), acts)
    assert got.shape == (3, 7, 2) and got.dtype == dtype
    tight = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, np.stack(expected), rtol=tight, atol=tight)
