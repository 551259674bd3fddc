import contextlib
import os
import warnings

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
