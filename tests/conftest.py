import contextlib
import os
import warnings

from sklearn.exceptions import ConvergenceWarning

# scikit-learn's check_array_api_input (numpy namespace) runs only when SciPy's
# array API mode is on, and SciPy reads this variable once, at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@contextlib.contextmanager
def short_training():
    """Ignore ConvergenceWarning for a fit that stops at ``max_iter`` by design.

    Many tests train for a few epochs on purpose: reaching ``max_iter`` is
    expected there, not what is tested, and the test configuration turns every
    warning into an error. A test that expects the warning uses ``pytest.warns``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def fit_quietly(estimator, *args, **kwargs):
    """``estimator.fit(*args, **kwargs)`` under :func:`short_training`."""
    with short_training():
        return estimator.fit(*args, **kwargs)
