"""skmlp_scratch: multilayer perceptrons in plain NumPy that are scikit-learn estimators.

The public names are imported on first use (PEP 562's module ``__getattr__``):
``import skmlp_scratch._cli`` runs this file, and the command line's
``--help`` should not wait the second scikit-learn takes to import.
``from skmlp_scratch import MLPScratchClassifier`` works as usual.
"""

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY = {
    "MLPScratchClassifier": "._classifier",
    "MLPScratchRegressor": "._regressor",
    "TrainingDivergedError": "._training",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted([*globals(), *_LAZY])
