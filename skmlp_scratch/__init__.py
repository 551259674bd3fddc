"""skmlp_scratch: multilayer perceptrons in plain NumPy that are scikit-learn estimators."""

from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor
from ._training import TrainingDivergedError

__version__ = "0.1.0"

__all__ = ["MLPScratchClassifier", "MLPScratchRegressor", "TrainingDivergedError",
           "__version__"]
