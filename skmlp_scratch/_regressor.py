"""The regressor: numeric targets in, predictions out.

Everything a fit does that does not depend on the task lives in
:class:`~._base.BaseMLPScratch`; this module adds what only a regressor
needs: targets as a matrix of outputs, the output activation each loss
pairs with (``exp`` for ``poisson``'s log link), a check that the targets lie
in the loss's domain, R^2 for the validation set, and ``predict``.
"""

from numbers import Real

from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import BaseMLPScratch, has_stochastic_solver
from ._docstrings import fill_docstring
from ._losses import LOSSES, REGRESSION_LOSSES


@fill_docstring
class MLPScratchRegressor(RegressorMixin, BaseMLPScratch):
    """Multi-layer perceptron regressor with a forward and backward pass in NumPy.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the parameters
    it shares have the same names, defaults and meaning, so the two can be
    swapped in a ``Pipeline`` or a parameter grid. It adds the robust losses
    ``absolute_error`` and ``huber``, keeps float32 input in float32 end to
    end, checks for divergence after every batch, and leaves the estimator
    unchanged when ``fit`` fails.

    The loss minimised is the weighted mean over samples of the per-sample loss,
    plus ``0.5 * alpha * sum ||W||^2 / sum(sample_weight)``.

    Parameters
    ----------
    loss : {"squared_error", "poisson", "absolute_error", "huber"}, \
default="squared_error"
        ``"squared_error"`` is half the squared error, averaged over outputs
        (scikit-learn's). ``"poisson"`` is half the Poisson deviance
        ``y log(y / p) - y + p`` summed over outputs, with a log link: the
        network's output passes through ``exp``, so predictions are positive
        and targets must be >= 0 (counts, rates). ``"absolute_error"`` is the
        mean absolute error (its minimiser is the conditional median), and
        ``"huber"`` is quadratic for residuals up to ``huber_delta`` and
        linear beyond, robust to outliers; both average over outputs.

    <<NETWORK_PARAMETERS>>

    <<TRAINING_PARAMETERS>>

    huber_delta : float, default=1.0
        Residual at which ``loss="huber"`` turns from quadratic to linear, in
        the units of the target. Ignored by the other losses.

    <<FEATURE_PARAMETERS>>

    scoring : str, callable or None, default=None
        What the validation set is scored by, and early stopping monitors:
        None for R^2 (scikit-learn's choice), ``"loss"`` for the validation
        loss (recorded as its negative, so higher is better), or any
        scikit-learn scorer name or ``scorer(estimator, X, y)`` callable.

    <<BUDGET_PARAMETERS>>

    Attributes
    ----------
    <<FITTED_ATTRIBUTES>>
    <<SHAPE_ATTRIBUTES>>
    out_activation_ : str
        Output activation: ``"exp"`` for ``loss="poisson"``, else
        ``"identity"``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The MLP regressor of scikit-learn itself.
    MLPScratchClassifier : The classifier on the same core.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmlp_scratch import MLPScratchRegressor
    >>> X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), MLPScratchRegressor(
    ...     hidden_layer_sizes=(64,), learning_rate_init=0.01, early_stopping=True,
    ...     max_iter=500, random_state=0))
    >>> reg.fit(X_train, y_train).score(X_test, y_test) > 0.85
    True
    """

    _parameter_constraints = {
        **BaseMLPScratch._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }
    _valid_losses = REGRESSION_LOSSES
    _numeric_targets = True
    _default_scoring_name = "R2"

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        huber_delta=1.0,
        init="glorot_uniform",
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        weight_decay=0.01,
        warmup_epochs=0,
        lr_step_size=10,
        lr_gamma=0.1,
        max_grad_norm=None,
        scoring=None,
        max_time=None,
    ):
        self._store_parameters(locals())

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None,
            sample_weight_val=None):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is trained in float32, anything else
            in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values; a 2-D ``y`` trains one output per column.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the mean loss.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set of your own. Its loss and score are recorded
            after every epoch; with ``early_stopping=True`` it is the set
            monitored, in place of a ``validation_fraction`` split.
            Stochastic solvers only.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``; required with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples in its loss and score.

        Returns
        -------
        self : MLPScratchRegressor
            The fitted estimator. If fitting raises, the estimator keeps
            exactly the state it had before the call.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit_all_or_nothing(X, y, sample_weight, incremental=False,
                                        validation=validation)

    @available_if(has_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of the stochastic solver over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLPScratchRegressor
            The updated estimator.
        """
        return self._fit_all_or_nothing(X, y, sample_weight, incremental=True)

    # ------------------------------------------------------ target hooks

    def _encode_targets(self, y, incremental, classes, reset, sample_weight):
        """Targets as a matrix with one column per output."""
        Y = self._target_matrix(y, "y")
        if not reset and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, but the network was "
                             f"fitted with {self.n_outputs_}.")
        return Y

    def _encode_validation_targets(self, y_val):
        return self._target_matrix(y_val, "y_val")

    def _target_matrix(self, y, name):
        """``y`` as (n_samples, n_outputs), checked against the loss's domain."""
        # validate_data has already rejected NaN and infinity
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if LOSSES[self.loss].non_negative_targets and Y.min() < 0:
            raise ValueError(
                f"loss={self.loss!r} needs non-negative targets (counts or rates); "
                f"{name} has negative values, down to {Y.min():g}. Use "
                "loss='squared_error' or 'huber' for targets of any sign.")
        return Y

    def _decode_outputs(self, P):
        """Predictions from network outputs: without the outputs' axis when there is one."""
        return P[..., 0] if self.n_outputs_ == 1 else P

    def _output_activation(self):
        return LOSSES[self.loss].output_activation

    def _loss_options(self):
        return {"delta": self.huber_delta}

    def _stratify(self, Y):
        return None

    def _default_score(self, y, P, sample_weight):
        return r2_score(y, self._decode_outputs(P), sample_weight=sample_weight)

    # -------------------------------------------------------------- predict

    def predict(self, X):
        """Predicted targets.

        Computed ``4096`` rows at a time, so the memory beyond the result does
        not grow with the number of samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when ``y`` was 1-D in ``fit``; in the dtype of the weights
            (float32 when trained on float32).
        """
        return self._decode_outputs(self._network_outputs(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        non_negative = LOSSES[self.loss].non_negative_targets
        tags.target_tags.positive_only = non_negative
        # Every loss trains several outputs. For poisson the tag stays False only
        # because scikit-learn's multi-output check draws negative targets
        # whatever positive_only says; test_regressor tests poisson's outputs.
        tags.target_tags.multi_output = not non_negative
        return tags
