"""Every public docstring passes numpydoc's own validator.

The API reference is generated from these docstrings, so a parameter added
without a description, a Returns section that lost its type or a summary line
that runs on shows up here, not as a silently broken page. The public names
are read from each public module's ``__all__``, and each class's methods
from the class itself, so a new public function is checked without anyone
adding it to a list.
"""

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip(
    "numpydoc.validate", reason="numpydoc is in the test extra: pip install -e '.[test]'")

PUBLIC_MODULES = ("skmlp_scratch", "skmlp_scratch.datasets", "skmlp_scratch.tabular",
                  "skmlp_scratch.distributed", "skmlp_scratch.ensemble")
# the export module imports its extra (skl2onnx) as it loads: checked where
# that is installed, as in CI
if importlib.util.find_spec("skl2onnx") is not None:
    PUBLIC_MODULES += ("skmlp_scratch.onnx",)

# numpydoc's checks that this project does not require, each with its reason
NOT_REQUIRED = {
    # a one-line function is clear from its summary and parameters
    "ES01": "no extended summary",
    "SA01": "no See Also section",
    # the estimators, the tabular pipeline and the examples gallery show usage;
    # not every small helper needs its own example
    "EX01": "no Examples section",
    # returned values are named, as in scikit-learn (``self : object``,
    # ``X_train : ndarray of shape (n_samples, n_features)``), which this check
    # reads as a description on the type line
    "RT02": "first line of Returns should be the type only",
}


def public_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        # a package's __init__ (skmlp_scratch, skmlp_scratch.tabular) is its
        # imports, in which numpydoc's validator finds no definition to place
        # the docstring at; Sphinx renders those docstrings with -W instead
        if not hasattr(module, "__path__"):
            yield module_name
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # __version__ and constants carry no numpydoc docstring
            yield f"{module_name}.{name}"
            if inspect.isclass(obj):
                yield from (f"{module_name}.{name}.{member}"
                            for member in own_methods(obj))


def own_methods(cls):
    """Public methods and properties defined in this package, inherited ones too."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name)
        function = member.fget if isinstance(member, property) else member
        # scikit-learn's base classes give every estimator get_params, score,
        # set_fit_request & co.: their docstrings are scikit-learn's, not ours
        if inspect.isfunction(function) and function.__module__.startswith("skmlp_scratch"):
            yield name


PUBLIC_NAMES = sorted(set(public_names()))


def test_the_public_surface_is_found():
    assert "skmlp_scratch.MLPScratchClassifier.fit" in PUBLIC_NAMES
    assert "skmlp_scratch.MLPScratchRegressor.predict" in PUBLIC_NAMES
    assert "skmlp_scratch.tabular.make_tabular_pipeline" in PUBLIC_NAMES
    assert "skmlp_scratch.distributed.local_cluster" in PUBLIC_NAMES
    assert "skmlp_scratch.MLPScratchClassifier.hidden_representation" in PUBLIC_NAMES
    assert not any(name.endswith((".set_fit_request", ".get_params", ".score"))
                   for name in PUBLIC_NAMES)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_docstring_is_valid_numpydoc(name):
    report = numpydoc_validate.validate(name)
    errors = [f"{code}: {message}" for code, message in report["errors"]
              if code not in NOT_REQUIRED]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_api_reference_lists_every_public_name():
    # the reference page lists names by hand, grouped and ordered for readers;
    # this keeps a name added to an __all__ from being left out of it
    api = (Path(__file__).parents[1] / "docs" / "api.rst").read_text()
    listed = set(re.findall(r"^\s+(\w+)$", api, flags=re.MULTILINE))
    listed |= set(re.findall(r"^\.\. autodata:: (\w+)$", api, flags=re.MULTILINE))
    missing = [f"{module_name}.{name}" for module_name in PUBLIC_MODULES
               for name in importlib.import_module(module_name).__all__
               if name != "__version__" and name not in listed]
    assert not missing, f"not in docs/api.rst: {missing}"
