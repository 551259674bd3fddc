"""scikit-learn's own estimator checks, with the default and a few other settings.

No check is marked as an expected failure.
"""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skmlp_scratch import MLPScratchClassifier

# Small networks and few epochs keep the ~70 checks per setting fast; each
# setting exercises a different path of the core.
ESTIMATORS = [
    MLPScratchClassifier(max_iter=100),
    MLPScratchClassifier(hidden_layer_sizes=(8,), solver="sgd", max_iter=100),
    MLPScratchClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100),
    MLPScratchClassifier(hidden_layer_sizes=(8, 4), activation="tanh",
                         loss="squared_error", max_iter=100),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
