"""skmlp_scratch: a multilayer perceptron in plain NumPy that is a scikit-learn classifier."""

from ._classifier import MLPScratchClassifier
from ._training import TrainingDivergedError

__version__ = "0.1.0"

__all__ = ["MLPScratchClassifier", "TrainingDivergedError", "__version__"]
