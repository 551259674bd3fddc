"""The estimator's docstring lists every registry entry; the examples of the
docstrings, of README and of the documentation's pages run."""

import doctest
import re
import warnings
from pathlib import Path

import pytest

import skmlp_scratch._classifier as classifier_module
import skmlp_scratch._regressor as regressor_module
import skmlp_scratch.ensemble as ensemble_module
import skmlp_scratch.tabular._encoders as encoders_module
import skmlp_scratch.tabular._pipeline as pipeline_module
import skmlp_scratch.tabular._reading as reading_module
import skmlp_scratch.tabular._rows as rows_module
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


@pytest.mark.parametrize("module", [classifier_module, regressor_module, reading_module,
                                    pipeline_module, encoders_module, ensemble_module,
                                    rows_module],
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


DOCS = Path(__file__).parents[1] / "docs"

# code on a documentation page that cannot run in a test, by a line it holds
NOT_RUNNABLE = {
    'Client("tcp://scheduler:8786")': "connects to a remote Dask scheduler",
}


def documentation_pages():
    written = sorted(DOCS.glob("*.rst")) + sorted(DOCS.glob("user_guide/*.rst"))
    return [p for p in written if ".. code-block:: python" in p.read_text()]


def python_blocks(page):
    blocks = re.findall(r"^\.\. code-block:: python\n((?:\n|   .*\n)+)", page.read_text(),
                        flags=re.MULTILINE)
    return ["\n".join(line[3:] for line in block.splitlines()) for block in blocks]


def test_documentation_pages_with_code_are_found():
    names = {p.name for p in documentation_pages()}
    assert {"index.rst", "persistence.rst", "training_features.rst"} <= names


@pytest.mark.parametrize("page", documentation_pages(), ids=lambda p: p.name)
def test_documentation_code_runs(page, tmp_path, monkeypatch):
    # a page's blocks build on each other, as a reader runs them: one namespace,
    # in order; files they write land in the test's own folder
    monkeypatch.chdir(tmp_path)
    namespace = {}
    blocks = [b for b in python_blocks(page) if not any(line in b for line in NOT_RUNNABLE)]
    assert blocks
    for code in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an example that warns would puzzle its reader
            exec(compile(code, str(page.relative_to(DOCS.parent)), "exec"), namespace)


def test_readme_speed_line_quotes_the_committed_epoch_benchmark():
    # README's figures are the medians of the committed result it links to,
    # so a re-run of the benchmark that moves them shows up here
    root = Path(__file__).parents[1]
    result = root / "benchmarks" / "results" / "epoch_fashion-mnist.md"
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in result.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ")]
    header = rows[0]
    ratio = next(i for i, name in enumerate(header) if name.startswith("ours / peer"))
    # the "ours / peer" column starts with the ratio of the median epochs
    ratios = {row[0]: row[ratio].split()[0] for row in rows[1:]
              if row[1] == "float32" and row[0] in ("sklearn", "torch")}
    assert set(ratios) == {"sklearn", "torch"}
    speed = next(line for line in (root / "README.md").read_text().splitlines()
                 if line.startswith("| speed |"))
    assert (f"in {ratios['sklearn']} of the time of `MLPClassifier` and "
            f"{ratios['torch']} of PyTorch") in speed
    assert "benchmarks/results/epoch_fashion-mnist.md" in speed
