"""The plumbing between a fit and scikit-learn's callback API (``sklearn.callback``).

A fit is one task; each epoch of the stochastic solvers, or each L-BFGS
iteration, is a subtask. Callbacks see the estimator at the end of each
subtask and may ask training to stop. On a scikit-learn without the callback
API (before 1.9) every function here is a no-op and estimators have no
``set_callbacks``.
"""

import functools

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - exercised in a subprocess by test_callbacks

    class CallbackSupportMixin:
        """Stand-in on a scikit-learn without ``sklearn.callback``: no ``set_callbacks``."""


__all__ = ["CallbackSupportMixin", "FitTasks", "is_callback_bookkeeping"]


class _NoCallbacks:
    """The callback context of a fit on a scikit-learn without the callback API."""

    def subcontext(self, *args, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


def is_callback_bookkeeping(name):
    """Whether an attribute is the callback API's own, not learned state."""
    return name.startswith(("_skl_callbacks", "_callback_fit_ctx", "_parent_callback"))


class FitTasks:
    """The callback tasks of one fit: the fit itself and one subtask per step.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted.
    max_subtasks : int
        Epochs (or L-BFGS iterations) the fit may run.
    X : {ndarray, sparse matrix}
        The training data, as the hooks receive it.
    labels : callable
        Returns the training targets in the user's encoding; called only if
        a callback asks for them.
    sample_weight : ndarray or None
    step_name : str
        ``"epoch"`` or ``"iteration"``, the name of a subtask.
    """

    def __init__(self, estimator, max_subtasks, X, labels, sample_weight, step_name):
        self.estimator = estimator
        self.step_name = step_name
        self._root = (estimator._init_callback_context(max_subtasks=max_subtasks)
                      if hasattr(estimator, "_init_callback_context") else _NoCallbacks())
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": functools.cache(labels), "metadata": metadata}
        self._step = None

    def begin_fit(self):
        """Open the fit's task."""
        self._root.call_on_fit_task_begin(estimator=self.estimator, **self._data)

    def end_fit(self):
        """Close the fit's task."""
        self._root.call_on_fit_task_end(estimator=self.estimator, **self._data,
                                        reconstruction_attributes={})

    def begin_step(self):
        """Open the next epoch's (iteration's) task."""
        self._step = self._root.subcontext(task_name=self.step_name)
        self._step.call_on_fit_task_begin(estimator=self.estimator, **self._data)

    def end_step(self, weights):
        """Close the running step's task.

        Parameters
        ----------
        weights : callable
            Returns ``{"coefs_": ..., "intercepts_": ...}``, the weights at the
            end of the step; called only if a callback reconstructs the model.

        Returns
        -------
        stop : bool
            Whether a callback asked training to stop.
        """
        return bool(self._step.call_on_fit_task_end(
            estimator=self.estimator, **self._data, reconstruction_attributes=weights))

    def close_step(self):
        """Close a step that never ran (SciPy's last callback leaves one open)."""
        self._step.call_on_fit_task_end(estimator=self.estimator)
