import contextlib
import functools
import os
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

# scikit-learn's check_array_api_input (numpy namespace) runs only when SciPy's
# array API mode is on, and SciPy reads this variable once, at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@contextlib.contextmanager
def short_training():
    """Ignore ConvergenceWarning where the number of iterations is not tested.

    Many tests train for a few epochs on purpose: reaching ``max_iter`` is
    expected there, not what is tested, and the test configuration turns every
    warning into an error. Others fit until a tolerance is met, and how many
    iterations that takes moves with the order of floating-point sums (BLAS
    build, thread count, CPU): an L-BFGS fit that stops after 195 iterations
    on one machine took 327 on another. Such a test asserts what it is about
    (a score, a shape, a scaling) and lets the fit end either way. A test that
    expects the warning uses ``pytest.warns``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def fit_quietly(estimator, *args, **kwargs):
    """``estimator.fit(*args, **kwargs)`` under :func:`short_training`."""
    with short_training():
        return estimator.fit(*args, **kwargs)


# ---------------------------------------------------------------- --convergence-margin
#
# A fit that stops on its own (tol, early stopping) after most of its max_iter
# passes here and may hit the cap on a machine whose sums round otherwise; with
# every warning an error, the test then fails there. The option finds such
# fits: .ci/run runs the tests exposed to it with --convergence-margin 0.5.

def pytest_addoption(parser):
    parser.addoption(
        "--convergence-margin", type=float, default=None, metavar="FRACTION",
        help="fail a test in which a fit stopped on its own after more than "
             "FRACTION of max_iter while ConvergenceWarning was an error")


def _convergence_warning_is_error():
    # the first filter that applies to our ConvergenceWarning decides; filters
    # bound to a module are ignored (the warning's module is the caller's)
    message = "Stochastic Optimizer: Maximum iterations (1) reached"
    for action, pattern, category, module, _ in warnings.filters:
        if (module is None and issubclass(ConvergenceWarning, category)
                and (pattern is None or pattern.match(message))):
            return action == "error"
    return False


@pytest.fixture(autouse=True)
def convergence_margin(request, monkeypatch):
    """With ``--convergence-margin``, fail a test whose fits stop close to their cap."""
    margin = request.config.getoption("--convergence-margin")
    if margin is None:
        yield
        return
    from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor

    close = []

    def watched(original):
        @functools.wraps(original)
        def fit(self, *args, **kwargs):
            strict = _convergence_warning_is_error()
            fitted = original(self, *args, **kwargs)
            # warm starts count epochs across fits, and max_time stops early by
            # design: neither says how close tol came to the cap
            if (strict and not self.warm_start and self.max_time is None
                    and margin * self.max_iter < self.n_iter_ < self.max_iter):
                close.append(f"{type(self).__name__}(solver={self.solver!r}) stopped "
                             f"after {self.n_iter_} of max_iter={self.max_iter}")
            return fitted
        return fit

    for cls in (MLPScratchClassifier, MLPScratchRegressor):
        monkeypatch.setattr(cls, "fit", watched(cls.fit))
    yield
    if close:
        pytest.fail("fits stopped within the convergence margin, so another machine "
                    "may reach max_iter and warn: " + "; ".join(close), pytrace=False)
