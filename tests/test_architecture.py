"""The NumPy core never imports scikit-learn or the estimator.

Importing a submodule runs the package ``__init__`` (which imports the
estimator, hence sklearn), so the check parses the core files' imports with
``ast`` instead of importing them.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "skmlp_scratch"
CORE_MODULES = ("_activations", "_losses", "_network", "_optimizers", "_training")
ALLOWED_TOP_LEVEL = {"numpy", "scipy"} | set(sys.stdlib_module_names)


def imported_modules(source):
    """``(level, dotted name)`` of every import in ``source``.

    ``from . import a, b`` gives ``(1, "a")`` and ``(1, "b")``; ``from ._x import y``
    gives ``(1, "_x")``; absolute imports have level 0.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((0, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module is None:
                found.extend((node.level, alias.name) for alias in node.names)
            else:
                found.append((node.level, node.module))
    return found


def forbidden_imports(source):
    """The imports of ``source`` that a core module may not make."""
    bad = []
    for level, name in imported_modules(source):
        top = name.split(".")[0]
        if level == 0:
            if top not in ALLOWED_TOP_LEVEL:
                bad.append(name)
        elif level > 1 or top not in CORE_MODULES:
            # relative imports may only reach sibling core modules
            bad.append("." * level + name)
    return bad


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_only_numpy_scipy_stdlib_and_core(module):
    source = (PACKAGE_DIR / f"{module}.py").read_text()
    assert forbidden_imports(source) == []


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_mention_sklearn_in_imports(module):
    source = (PACKAGE_DIR / f"{module}.py").read_text()
    names = [name for _, name in imported_modules(source)]
    assert not any(name.split(".")[0] == "sklearn" for name in names)
    assert not any(name.split(".")[-1] == "_classifier" for name in names)


def test_every_core_module_exists():
    assert all((PACKAGE_DIR / f"{m}.py").is_file() for m in CORE_MODULES)


@pytest.mark.parametrize("source,expected", [
    ("import sklearn", ["sklearn"]),
    ("from sklearn.utils import check_random_state", ["sklearn.utils"]),
    ("from ._classifier import MLPScratchClassifier", ["._classifier"]),
    ("from . import _classifier", ["._classifier"]),
    ("from .. import something", ["..something"]),
    ("import pandas as pd", ["pandas"]),
    ("def f():\n    import sklearn.base\n", ["sklearn.base"]),
    ("import numpy as np\nimport scipy.sparse as sp\nfrom dataclasses import dataclass\n"
     "from ._network import forward\nfrom . import _losses", []),
])
def test_the_scan_catches_forbidden_imports(source, expected):
    # the scan itself must be able to fail, including on imports inside functions
    assert forbidden_imports(source) == expected
