"""What users and faults throw at the estimator: random problems (hypothesis),
extreme scales, degenerate data, divergence on every solver, concurrent use.

Run ``python -m pytest tests/test_hostile_input.py -q -s`` to see how many
random problems the property tests tried (printed at the end of the module).
"""

import threading
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp_scratch import MLPScratchClassifier, TrainingDivergedError
from skmlp_scratch._activations import HIDDEN_ACTIVATIONS
from skmlp_scratch._optimizers import OPTIMIZERS
from conftest import short_training

# problems tried by the property tests in this process, by outcome
OUTCOMES = Counter()

LABEL_SETS = [[0, 1], [3, -1, 7], ["cat", "dog"], ["a", "b", "c", "d"], [True, False],
              [0.5, 1.5, 2.5]]


DOCUMENTED_INPUT_ERRORS = ("at least 2 classes", "Unknown label type",
                           "Sample weights must contain", "sample_weight is zero",
                           "early_stopping could not hold out",
                           "validation set is too small")


def teardown_module(module):
    if OUTCOMES:
        print(f"\nproperty tests: {sum(OUTCOMES.values())} random problems, "
              + ", ".join(f"{n} {what}" for what, n in sorted(OUTCOMES.items())))


@st.composite
def problems(draw):
    """A random classification problem and a random estimator for it."""
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    scale = draw(st.sampled_from([1e-6, 1.0, 1e3, 1e6]))
    X = draw(arrays(np.float64, (n_samples, n_features),
                    elements=st.floats(-1, 1, allow_nan=False, allow_infinity=False)))
    X = (X * scale).astype(dtype)
    if draw(st.booleans()):
        X = sp.csr_matrix(X)
    labels = draw(st.sampled_from(LABEL_SETS))
    # usually every label at least once, sometimes a single one
    head = list(labels) if draw(st.integers(0, 9)) else [labels[0]]
    tail = draw(st.lists(st.sampled_from(labels), min_size=n_samples, max_size=n_samples))
    y = np.array((head + tail)[:n_samples])
    solver = draw(st.sampled_from([*OPTIMIZERS, "lbfgs"]))
    n_hidden = draw(st.integers(0, 2))
    params = dict(
        hidden_layer_sizes=tuple(draw(st.integers(1, 6)) for _ in range(n_hidden)),
        activation=draw(st.sampled_from(sorted(HIDDEN_ACTIVATIONS))),
        solver=solver, max_iter=draw(st.integers(1, 4)),
        alpha=draw(st.sampled_from([0.0, 1e-4, 1.0])),
        batch_size=draw(st.sampled_from(["auto", 1, 3, 1000])),
        learning_rate_init=draw(st.sampled_from([1e-3, 0.1])),
        random_state=draw(st.integers(0, 3)),
    )
    if solver != "lbfgs":
        params.update(
            dropout=draw(st.sampled_from([0.0, 0.5])),
            early_stopping=draw(st.sampled_from([False, False, True])),
            learning_rate=draw(st.sampled_from(["constant", "cosine", "step"])),
            max_grad_norm=draw(st.sampled_from([None, 1.0])),
        )
    weights = draw(st.one_of(st.none(), arrays(np.float64, n_samples,
                                               elements=st.floats(0, 5))))
    return X, y, weights, params


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_fit_succeeds_or_raises_a_documented_error_and_predictions_are_sane(problem):
    X, y, sample_weight, params = problem
    clf = MLPScratchClassifier(**params)
    try:
        with short_training():
            # batch_size above n_samples is clipped, with a warning that says so
            warnings.filterwarnings("ignore", "batch_size=", UserWarning)
            clf.fit(X, y, sample_weight=sample_weight)
    except TrainingDivergedError as exc:
        OUTCOMES["diverged (TrainingDivergedError)"] += 1
        assert "Training diverged at" in str(exc)
        assert not hasattr(clf, "coefs_")  # a failed first fit leaves it unfitted
        return
    except ValueError as exc:
        # the documented input errors: one class present, float labels (a
        # regression target), all-zero weights, a validation split that
        # cannot hold every class
        reason = next((r for r in DOCUMENTED_INPUT_ERRORS if r in str(exc)), None)
        assert reason is not None, str(exc)
        OUTCOMES[f"rejected: {reason}"] += 1
        assert not hasattr(clf, "coefs_")
        return
    OUTCOMES["fitted"] += 1
    P = clf.predict_proba(X)
    assert P.shape == (X.shape[0], len(clf.classes_))
    assert np.isfinite(P).all() and (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)
    assert set(np.unique(clf.predict(X))) <= set(clf.classes_)
    assert set(clf.classes_) <= set(y)


# -------------------------------------------------------- extreme inputs


def _problem(n_samples=300, n_features=8, seed=0):
    return make_classification(n_samples, n_features, n_informative=4,
                               n_classes=3, random_state=seed)


@pytest.mark.parametrize("scale", [1e6, 1e-6])
def test_extreme_feature_scales_train_without_error_and_scaling_fixes_accuracy(scale):
    X, y = _problem()
    raw = MLPScratchClassifier(max_iter=30, random_state=0)
    with short_training():
        try:
            raw.fit(X * scale, y)
        except TrainingDivergedError as exc:  # caught, named, with the fix
            assert "StandardScaler" in str(exc)
        else:
            P = raw.predict_proba(X * scale)
            assert np.isfinite(P).all()
        scaled = make_pipeline(StandardScaler(),
                               MLPScratchClassifier(max_iter=100, random_state=0))
        scaled.fit(X * scale, y)
    assert scaled.score(X * scale, y) > 0.85


def test_constant_and_duplicated_features_and_rows():
    X, y = _problem()
    X = np.hstack([X, np.full((len(X), 3), 7.0), X[:, :2]])  # constant, duplicated
    X = np.vstack([X, X[:50]])  # duplicated rows
    y = np.concatenate([y, y[:50]])
    with short_training():
        clf = MLPScratchClassifier(max_iter=100, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.85


def test_a_class_with_one_sample():
    X, y = _problem()
    y = y.copy()
    y[0] = 9  # one sample of class 9
    with short_training():
        clf = MLPScratchClassifier(max_iter=20, random_state=0).fit(X, y)
    assert 9 in clf.classes_ and clf.predict_proba(X).shape[1] == 4
    # a stratified validation split cannot hold it: a clear error says so
    with pytest.raises(ValueError, match="could not hold out validation_fraction"):
        MLPScratchClassifier(early_stopping=True, random_state=0).fit(X, y)


def test_very_wide_input_of_10000_features():
    X, y = make_classification(60, 10_000, n_informative=20, random_state=0)
    X = X.astype(np.float32)
    with short_training():
        clf = MLPScratchClassifier((16,), max_iter=20, random_state=0).fit(X, y)
    assert clf.coefs_[0].shape == (10_000, 16) and clf.coefs_[0].dtype == np.float32
    assert clf.score(X, y) > 0.9


def test_labels_of_mixed_types_are_rejected_clearly():
    X, y = _problem(n_samples=6)
    mixed = np.array([1, "a", 2, "b", 1, "a"], dtype=object)
    with pytest.raises(ValueError, match="Mix of label input types|Unknown label type"):
        MLPScratchClassifier().fit(X, mixed)


# ------------------------------------------------------------ divergence


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
@pytest.mark.parametrize("alpha", [1e-4, 0.0])
def test_a_huge_learning_rate_is_caught_at_its_epoch_on_every_stochastic_solver(
        solver, alpha):
    X, y = _problem()
    # the starting point: 50 epochs of adam, which this problem cannot settle
    # in (it keeps fitting closer), so scikit-learn's usual warning says so
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(50\) reached"):
        clf = MLPScratchClassifier(max_iter=50, random_state=0).fit(X, y)
    before = [a.copy() for a in clf.coefs_ + clf.intercepts_]
    clf.set_params(solver=solver, learning_rate_init=1e6, alpha=alpha)
    with pytest.raises(TrainingDivergedError,
                       match=r"Training diverged at (the end of )?epoch \d+.*"
                             r"smaller learning_rate_init"):
        clf.fit(X * 100, y)
    for a, b in zip(clf.coefs_ + clf.intercepts_, before):
        np.testing.assert_array_equal(a, b)


def test_lbfgs_overflow_is_caught_and_names_the_iteration():
    X, y = _problem()
    clf = MLPScratchClassifier(solver="lbfgs", activation="identity", alpha=0.0,
                               random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"L-BFGS iteration \d+"):
        clf.fit(X * 1e300, y)
    assert not hasattr(clf, "coefs_")


# ------------------------------------------------------------ concurrency


def test_concurrent_predictions_equal_sequential_ones():
    X, y = _problem(n_samples=2000)
    with short_training():
        clf = MLPScratchClassifier((64, 32), max_iter=5, random_state=0).fit(X, y)
    chunks = np.array_split(X, 8)
    expected = [clf.predict_proba(c) for c in chunks]
    results = [None] * (8 * 4)
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()  # all threads predict at the same time
        for k in range(4):
            results[4 * i + k] = clf.predict_proba(chunks[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        for k in range(4):
            np.testing.assert_array_equal(results[4 * i + k], expected[i])


# ------------------------------------------- fitted attributes set by hand


def _set_by_hand(mlp):
    """The public fitted attributes of a 3-2-1 network, set as scikit-learn's test_fit does."""
    mlp.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])]
    mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    mlp.n_outputs_, mlp.n_features_in_, mlp.n_layers_ = 1, 3, 3
    mlp.n_iter_, mlp.t_, mlp.best_loss_, mlp.loss_curve_ = 0, 0, np.inf, []
    mlp.out_activation_ = "logistic"
    # what scikit-learn's own estimator needs on top; ours ignores them
    mlp.learning_rate_ = 0.1
    mlp._coef_grads, mlp._intercept_grads = [0] * 2, [0] * 2
    mlp._no_improvement_count = 0
    mlp._intercept_velocity = [np.zeros_like(b) for b in mlp.intercepts_]
    mlp._coef_velocity = [np.zeros_like(W) for W in mlp.coefs_]
    return mlp


def test_partial_fit_on_attributes_set_by_hand_steps_as_scikit_learn_does():
    from sklearn.neural_network import MLPClassifier

    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    params = dict(solver="sgd", learning_rate_init=0.1, alpha=0.1, momentum=0,
                  activation="logistic", random_state=1, max_iter=1,
                  hidden_layer_sizes=2)
    ours = _set_by_hand(MLPScratchClassifier(**params)).partial_fit(X, y, classes=[0, 1])
    theirs = _set_by_hand(MLPClassifier(**params)).partial_fit(X, y, classes=[0, 1])
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
