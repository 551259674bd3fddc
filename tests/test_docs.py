"""The estimator's docstring lists every registry entry; its and README's examples run."""

import doctest
import re
import warnings
from pathlib import Path

import pytest

import skmlp_scratch._classifier as classifier_module
import skmlp_scratch._regressor as regressor_module
import skmlp_scratch.tabular as tabular_module
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch._activations import HIDDEN_ACTIVATIONS
from skmlp_scratch._losses import REGRESSION_LOSSES, USER_LOSSES
from skmlp_scratch._network import INITIALIZERS
from skmlp_scratch._optimizers import LEARNING_RATE_SCHEDULES, OPTIMIZERS


def documented_choices(parameter, estimator=MLPScratchClassifier):
    """The ``{"a", "b"}`` set on the docstring line that introduces ``parameter``."""
    match = re.search(rf"^\s*{parameter} : \{{([^}}]*)\}}", estimator.__doc__,
                      flags=re.MULTILINE)
    assert match, f"{parameter} is not documented with its choices"
    return set(re.findall(r'"(\w+)"', match.group(1)))


@pytest.mark.parametrize("parameter, registry", [
    ("activation", HIDDEN_ACTIVATIONS),
    ("loss", USER_LOSSES),
    ("solver", [*OPTIMIZERS, "lbfgs"]),
    ("learning_rate", LEARNING_RATE_SCHEDULES),
    ("init", INITIALIZERS),
])
@pytest.mark.parametrize("estimator", [MLPScratchClassifier, MLPScratchRegressor],
                         ids=lambda cls: cls.__name__)
def test_docstring_lists_every_choice(parameter, registry, estimator):
    if parameter == "loss" and estimator is MLPScratchRegressor:
        registry = REGRESSION_LOSSES
    assert documented_choices(parameter, estimator) == set(registry)


def test_shared_docstring_sections_are_filled_in():
    for estimator in (MLPScratchClassifier, MLPScratchRegressor):
        assert "<<" not in estimator.__doc__
        assert "\n    max_time : " in estimator.__doc__


@pytest.mark.parametrize("module", [classifier_module, regressor_module, tabular_module],
                         ids=lambda m: m.__name__)
def test_docstring_example_runs(module):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an example that warns would puzzle its reader
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples_run(capsys):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks
    for code in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(compile(code, "README.md", "exec"), {})
    score = float(capsys.readouterr().out.split()[-1])
    assert score > 0.9
