"""The scikit-learn estimator: validation, labels, and the training loop's driver.

This is the only module that imports scikit-learn. It turns user input into
arrays, hands them and ``self.coefs_`` / ``self.intercepts_`` to the NumPy core,
and stores what comes back as fitted attributes.
"""

import copy
import functools
import time
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, check_scoring
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - exercised in a subprocess by test_callbacks

    class CallbackSupportMixin:
        """Stand-in on a scikit-learn without ``sklearn.callback``: no ``set_callbacks``."""


from ._activations import HIDDEN_ACTIVATIONS, get_activation
from ._losses import USER_LOSSES, resolve_loss, sample_scale
from ._network import (
    INITIALIZERS,
    ParameterVector,
    Workspace,
    forward_chunked,
    init_params,
    layer_sizes,
    predict_proba_chunked,
)
from ._optimizers import OPTIMIZERS, SCHEDULES
from ._training import (
    DivergenceGuard,
    MinibatchSource,
    PlateauMonitor,
    fit_lbfgs,
    run_epoch,
    unflatten_into,
)

_STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)


def _has_stochastic_solver(estimator):
    if estimator.solver not in _STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers "
            f"{_STOCHASTIC_SOLVERS}, not for solver={estimator.solver!r}."
        )
    return True


def _copy_params(arrays):
    return [a.copy() for a in arrays]


class _NoCallbacks:
    """The callback context of a fit on a scikit-learn without the callback API."""

    def subcontext(self, *args, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


def _is_callback_bookkeeping(name):
    """Attributes the callback API keeps on the estimator: not learned state."""
    return name.startswith(("_skl_callbacks", "_callback_fit_ctx", "_parent_callback"))


def _plain_helper(helper, registry):
    """A training helper (optimizer, schedule) as plain data, by registry name."""
    name = next(key for key, cls in registry.items() if type(helper) is cls)
    return {"name": name, "attributes": dict(vars(helper))}


def _helper_from_plain(state, registry):
    helper = object.__new__(registry[state["name"]])
    vars(helper).update(state["attributes"])
    return helper


@dataclass
class _Validation:
    """A validation set: inputs, labels, their binarised targets, weights."""

    X: object
    y: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray = None


class MLPScratchClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier with a forward and backward pass in NumPy.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the parameters
    it shares have the same names, defaults and meaning, so the two can be
    swapped in a ``Pipeline`` or a parameter grid. It adds a choice of ``loss``,
    keeps float32 input in float32 end to end, checks for divergence after
    every batch, and leaves the estimator unchanged when ``fit`` fails.

    The loss minimised is the weighted mean over samples of the per-sample loss,
    plus ``0.5 * alpha * sum ||W||^2 / sum(sample_weight)``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer; ``(256, 128)`` means two hidden
        layers. An empty tuple gives a network without hidden layers
        (multinomial logistic regression).

    activation : {"relu", "leaky_relu", "elu", "gelu", "softplus", "tanh", \
"logistic", "sigmoid", "identity"} or list of str, default="relu"
        Activation of the hidden layers, or one per hidden layer.
        ``"sigmoid"`` is another name for ``"logistic"``; ``"leaky_relu"`` has
        slope 0.01 below zero, ``"elu"`` is ``exp(z) - 1`` there, ``"gelu"``
        is the exact ``z * Phi(z)`` and ``"softplus"`` is ``log(1 + exp(z))``.

    loss : {"log_loss", "squared_error"}, default="log_loss"
        ``"log_loss"`` is the cross-entropy of the output distribution
        (categorical for multiclass, Bernoulli per output for binary and
        multilabel). ``"squared_error"`` is half the mean squared difference
        between the output probabilities and the one-hot targets.

    solver : {"adam", "adamw", "sgd", "lbfgs"}, default="adam"
        ``"sgd"``, ``"adam"`` and ``"adamw"`` train on mini-batches;
        ``"adamw"`` is Adam with decoupled weight decay ``weight_decay``
        (Loshchilov & Hutter, 2019). ``"lbfgs"`` minimises the full-batch loss
        with SciPy's L-BFGS-B, often best on small data sets.

    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases).

    batch_size : int or "auto", default="auto"
        Mini-batch size for the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``. A size above the number of training samples is
        clipped to it with a warning.

    learning_rate : {"constant", "invscaling", "adaptive", "cosine", "step"}, \
default="constant"
        Schedule of the step size, for every stochastic solver (scikit-learn
        applies it to ``"sgd"`` only). ``"invscaling"`` divides
        ``learning_rate_init`` by ``(t + 1) ** power_t``, ``t`` being the
        samples seen; ``"adaptive"`` divides it by 5 each time
        ``n_iter_no_change`` epochs pass without improvement; ``"cosine"``
        anneals it to 0 over ``max_iter`` epochs along half a cosine (so
        reaching ``max_iter`` is the plan and raises no ConvergenceWarning);
        ``"step"`` multiplies it by ``lr_gamma`` every ``lr_step_size``
        epochs. Any of them can start with ``warmup_epochs`` of linear warm-up.

    learning_rate_init : float, default=0.001
        Initial step size of ``"sgd"`` and ``"adam"``.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).

    shuffle : bool, default=True
        Whether to visit the samples in a new random order every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the early-stopping split. An
        int gives bit-identical results from run to run.

    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score with
        ``early_stopping``) that resets the ``n_iter_no_change`` count; the
        gradient tolerance of L-BFGS.

    verbose : bool or int, default=False
        Print the loss (and validation score) after every epoch.

    warm_start : bool, default=False
        Start ``fit`` from the weights of the previous fit.

    momentum : float, default=0.9
        Momentum of ``"sgd"``, between 0 and 1.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.

    early_stopping : bool, default=False
        Monitor a validation set (``X_val`` given to ``fit``, else a
        stratified hold-out of ``validation_fraction`` of the training data),
        stop when its score stops improving and restore the weights of the
        best epoch. Stochastic solvers only.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Adam's term for numerical stability.

    n_iter_no_change : int, default=10
        Epochs without an improvement above ``tol`` before training stops (or,
        with ``learning_rate="adaptive"``, before the step size is lowered).

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.

    init : {"glorot_uniform", "he_normal", "he_uniform", "lecun_normal"}, \
default="glorot_uniform"
        Weight initialisation. ``"glorot_uniform"`` is scikit-learn's (same
        ``random_state``, same weights). For the relu family (``"relu"``,
        ``"leaky_relu"``, ``"elu"``, ``"gelu"``) ``"he_normal"`` is the usual
        choice (He et al., 2015): it keeps the variance of deep relu layers
        from shrinking. ``"lecun_normal"`` suits tanh-like activations.

    dropout : float or list of float, default=0.0
        Inverted-dropout rate of the hidden layers, one value for all or one
        per hidden layer, in [0, 1): during training each unit is zeroed with
        this probability and the kept ones scaled by ``1 / (1 - rate)``;
        predictions are deterministic and use every unit. Stochastic solvers
        only.

    weight_decay : float, default=0.01
        Decoupled weight decay of ``"adamw"``: each step multiplies the
        weights (not the biases) by ``1 - learning_rate * weight_decay``.
        Ignored by the other solvers, whose penalty is ``alpha``.

    warmup_epochs : int, default=0
        Epochs of linear warm-up of the learning rate, from
        ``learning_rate_init / (warmup_epochs + 1)`` up to the schedule.

    lr_step_size : int, default=10
        Epochs between two decays of ``learning_rate="step"``.

    lr_gamma : float, default=0.1
        Factor of each decay of ``learning_rate="step"``, in (0, 1].

    max_grad_norm : float or None, default=None
        Clip every mini-batch gradient to this global L2 norm (Pascanu et
        al., 2013). None: no clipping.

    scoring : str, callable or None, default=None
        What the validation set is scored by, and early stopping monitors:
        None for accuracy (scikit-learn's choice), ``"loss"`` for the
        validation loss (recorded as its negative, so higher is better), or
        any scikit-learn scorer name or ``scorer(estimator, X, y)`` callable.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``:
        ``{label: weight}``, or ``"balanced"`` for
        ``n_samples / (n_classes * count(label))``. Not for multilabel
        targets; ``"balanced"`` is not available to ``partial_fit``.

    max_time : float or None, default=None
        Time budget in seconds for the stochastic solvers: training stops
        after the epoch that crosses it, with the best weights when early
        stopping is on and the last ones otherwise (a line says so with
        ``verbose``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        Weight matrices, one per layer.
    intercepts_ : list of ndarray of shape (fan_out,)
        Bias vectors, one per layer.
    loss_ : float
        Loss at the end of training (the last epoch's mean loss for the
        stochastic solvers).
    loss_curve_ : list of float
        Loss after every epoch (every iteration for ``"lbfgs"``).
    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.
    validation_scores_ : list of float or None
        Validation score (see ``scoring``) after every epoch, when a
        validation set was used.
    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 term) after every epoch, when a
        validation set was used.
    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``.
    best_epoch_ : int or None
        Epoch (counted along ``loss_curve_``, from 1) with the best monitored
        quantity: the validation score with ``early_stopping`` (its weights are
        the ones kept), else the training loss. None for ``"lbfgs"``.
    history_ : list of dict
        One record per epoch of the stochastic solvers, as plain data:
        ``epoch``, ``train_loss``, ``val_loss``, ``val_score`` (None without
        a validation set), ``learning_rate`` and ``epoch_time`` in seconds.
        ``pandas.DataFrame(clf.history_)`` makes it a table.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last call.
    t_ : int
        Training samples seen by the stochastic solvers, over all calls.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Output activation: ``"softmax"`` (multiclass) or ``"logistic"``
        (binary, multilabel).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmlp_scratch import MLPScratchClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPScratchClassifier(hidden_layer_sizes=(64,), early_stopping=True,
    ...                            random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "loss": [StrOptions(set(USER_LOSSES))],
        "solver": [StrOptions({*_STOCHASTIC_SOLVERS, "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS))],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "scoring": [None, str, callable],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "max_time": [None, Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="log_loss",
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
        init="glorot_uniform",
        dropout=0.0,
        weight_decay=0.01,
        warmup_epochs=0,
        lr_step_size=10,
        lr_gamma=0.1,
        max_grad_norm=None,
        scoring=None,
        class_weight=None,
        max_time=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.init = init
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.max_grad_norm = max_grad_norm
        self.scoring = scoring
        self.class_weight = class_weight
        self.max_time = max_time

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
            Class labels, or a binary indicator matrix for multilabel problems.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the mean loss; multiplied
            by the ``class_weight`` of each sample's class.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set of your own (the convention of scikit-learn's
            ``HistGradientBoostingClassifier``). Its loss and score are
            recorded after every epoch; with ``early_stopping=True`` it is
            the set monitored, in place of a ``validation_fraction`` split.
            Stochastic solvers only.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Labels of ``X_val``; required with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples in its loss and score.

        Returns
        -------
        self : MLPScratchClassifier
            The fitted estimator. If fitting raises, the estimator keeps
            exactly the state it had before the call.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit_all_or_nothing(X, y, sample_weight, incremental=False,
                                        validation=validation)

    @available_if(_has_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the stochastic solver over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear in ``y``; required on the first call,
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MLPScratchClassifier
        """
        return self._fit_all_or_nothing(X, y, sample_weight, incremental=True,
                                        classes=classes)

    def _fit_all_or_nothing(self, X, y, sample_weight, incremental, classes=None,
                            validation=(None, None, None)):
        # Every attribute fit may touch is learned state; parameters stay as set,
        # and so do the callbacks and the callback API's own bookkeeping.
        params = self.get_params(deep=False)

        def learned(name):
            return name not in params and not _is_callback_bookkeeping(name)

        saved = {k: copy.deepcopy(v) for k, v in vars(self).items() if learned(k)}
        try:
            return self._fit(X, y, sample_weight, incremental, classes, validation)
        except BaseException:
            for key in [k for k in vars(self) if learned(k)]:
                delattr(self, key)
            vars(self).update(saved)
            raise

    def _fit(self, X, y, sample_weight, incremental, classes, validation):
        hidden = self._validated_hidden_layer_sizes()
        self._check_per_layer_params(len(hidden))
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        keep_weights = (incremental or self.warm_start) and hasattr(self, "coefs_")
        X, Y, sample_weight = self._validate_training_data(
            X, y, sample_weight, incremental, classes, reset=not keep_weights)
        sample_weight = self._apply_class_weight(y, sample_weight, incremental)
        validation = self._validate_validation_data(*validation, X.dtype)
        if self.scoring not in (None, "loss"):
            check_scoring(self, self.scoring)  # an unknown name fails before training

        if keep_weights:
            rng = self._rng
            if self.coefs_[0].dtype != X.dtype:
                X = X.astype(self.coefs_[0].dtype)
        else:
            rng = check_random_state(self.random_state)
            self._initialize(X, Y, hidden, rng)
        Y = Y.astype(X.dtype)
        activations = self._layer_activations()
        loss = resolve_loss(self.loss, self.out_activation_)
        # one subtask per epoch or L-BFGS iteration (scipy's callback leaves
        # one more, empty, at the end)
        callbacks = self._start_callbacks(
            max_subtasks=1 if incremental else self.max_iter + (self.solver == "lbfgs"))
        hook_data = self._hook_data(X, Y, sample_weight)
        callbacks.call_on_fit_task_begin(estimator=self, **hook_data)

        # Non-finite values are caught by the training steps themselves, which
        # raise TrainingDivergedError naming the epoch; NumPy's own overflow
        # warnings on the way there would only be noise.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, sample_weight, activations, loss, callbacks,
                                hook_data)
            else:
                self._fit_stochastic(X, Y, sample_weight, activations, loss, rng,
                                     incremental, validation, callbacks)
        self._rng = rng
        callbacks.call_on_fit_task_end(estimator=self, **hook_data,
                                       reconstruction_attributes={})
        return self

    def _start_callbacks(self, max_subtasks):
        """The root callback context of this fit (a no-op without the API)."""
        if not hasattr(self, "_init_callback_context"):
            return _NoCallbacks()
        return self._init_callback_context(max_subtasks=max_subtasks)

    def _hook_data(self, X, Y, sample_weight):
        """What the callback hooks of a task receive: its data, labels lazily."""
        labels = functools.cache(lambda: self._labels_from_outputs(Y))
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        return {"X": X, "y": labels, "metadata": metadata}

    def _validated_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, one per hidden "
                f"layer; got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _per_layer(self, value, n_hidden):
        """A per-hidden-layer parameter as a list, a single value repeated."""
        return list(value) if isinstance(value, (list, tuple)) else [value] * n_hidden

    def _check_per_layer_params(self, n_hidden):
        for name in ("activation", "dropout"):
            value = getattr(self, name)
            if isinstance(value, (list, tuple)) and len(value) != n_hidden:
                raise ValueError(
                    f"{name} has {len(value)} entries but hidden_layer_sizes has "
                    f"{n_hidden} layers; give one {name} per hidden layer, or a "
                    "single value for all.")
        for a in self._per_layer(self.activation, n_hidden):
            if a not in HIDDEN_ACTIVATIONS:
                raise ValueError(f"activation entries must be among "
                                 f"{sorted(HIDDEN_ACTIVATIONS)}; got {a!r}.")
        for rate in self._per_layer(self.dropout, n_hidden):
            if not (isinstance(rate, Real) and 0 <= rate < 1):
                raise ValueError(f"dropout rates must be numbers in [0, 1); got "
                                 f"{rate!r}.")
        if self.solver == "lbfgs" and any(self._per_layer(self.dropout, n_hidden)):
            raise ValueError("dropout needs a stochastic solver ('sgd', 'adam' or "
                             "'adamw'); solver='lbfgs' minimises one fixed loss.")

    def _validate_training_data(self, X, y, sample_weight, incremental, classes, reset):
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every sample; at least "
                                 "one sample needs a positive weight.")

        if incremental:
            if _check_partial_fit_first_call(self, classes):
                multilabel = type_of_target(y) == "multilabel-indicator"
                self._label_binarizer = LabelBinarizer().fit(y if multilabel
                                                             else self.classes_)
                self.classes_ = self._label_binarizer.classes_
                if not multilabel and len(self.classes_) < 2:
                    raise ValueError("`classes` must hold at least 2 classes; got "
                                     f"{self.classes_}.")
            self._check_known_classes(y, "`y` has classes not in `classes_` (given to "
                                         "the first partial_fit)")
        elif self.warm_start and not reset:
            self._check_known_classes(y, "warm_start needs `y` to have the classes of "
                                         "the previous fit", exact=True)
        else:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
            self._check_two_classes(y, sample_weight)
        return X, self._label_binarizer.transform(y), sample_weight

    def _apply_class_weight(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel targets; "
                             "pass per-sample weights in sample_weight instead.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the class counts of the whole data "
                "set, which partial_fit never sees; pass a dict of weights, e.g. "
                "from sklearn.utils.class_weight.compute_class_weight.")
        unknown = set(self.class_weight) - set(self.classes_) if isinstance(
            self.class_weight, dict) else set()
        if unknown:
            raise ValueError(f"class_weight has classes not in the data: "
                             f"{sorted(unknown, key=str)}; classes are {self.classes_}.")
        weights = compute_sample_weight(self.class_weight, y).astype(
            self._dtype_of(sample_weight, y), copy=False)
        return weights if sample_weight is None else sample_weight * weights

    @staticmethod
    def _dtype_of(sample_weight, y):
        return np.float64 if sample_weight is None else sample_weight.dtype

    def _validate_validation_data(self, X_val, y_val, sample_weight_val, dtype):
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val was given without X_val and y_val.")
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val go together: pass both or neither.")
        if self.solver == "lbfgs":
            raise ValueError("X_val needs a stochastic solver ('sgd', 'adam' or "
                             "'adamw'); solver='lbfgs' runs no epochs to monitor.")
        X_val, y_val = validate_data(self, X_val, y_val, accept_sparse="csr",
                                     multi_output=True, dtype=dtype, reset=False)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        self._check_known_classes(y_val, "y_val has classes not seen in y")
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, X_val, dtype=X_val.dtype, ensure_non_negative=True)
        # targets in the training dtype once, not at every epoch's evaluation
        return _Validation(X_val, y_val,
                           self._label_binarizer.transform(y_val).astype(dtype),
                           sample_weight_val)

    def _check_known_classes(self, y, message, exact=False):
        classes = unique_labels(y)
        unknown = np.setdiff1d(classes, self.classes_)
        if len(unknown) or (exact and len(classes) != len(self.classes_)):
            raise ValueError(f"{message}: expected {self.classes_}, got {classes}.")

    def _check_two_classes(self, y, sample_weight):
        if y.ndim == 2:  # multilabel: each column is its own binary problem
            return
        present = self.classes_
        if sample_weight is not None:
            present = np.unique(y[sample_weight > 0])
        if len(present) < 2:
            raise ValueError(
                "MLPScratchClassifier needs samples of at least 2 classes (with "
                f"positive sample_weight); got only one class: {present[0]}."
            )

    def _initialize(self, X, Y, hidden, rng):
        self.n_outputs_ = Y.shape[1]
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        self.out_activation_ = "softmax" if multiclass else "logistic"
        sizes = layer_sizes(X.shape[1], hidden, self.n_outputs_)
        self.n_layers_ = len(sizes)
        hidden_acts = self._layer_activations()[:-1]
        # Glorot's factor per weight matrix: the layer's own activation, and for
        # the output matrix the last hidden one (scikit-learn's choice)
        per_matrix = (hidden_acts + hidden_acts[-1:] if hidden_acts
                      else [get_activation(self._per_layer(self.activation, 1)[0])])
        self.coefs_, self.intercepts_ = init_params(sizes, per_matrix, X.dtype, rng,
                                                    init=self.init)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.history_ = []
        self._divergence_references = (None, None)  # see DivergenceGuard
        self._reset_monitoring()
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _reset_monitoring(self):
        # early stopping watches the validation score, otherwise the training loss
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self.best_epoch_ = None
        self._no_improvement_count = 0

    def _layer_activations(self):
        n_hidden = self.n_layers_ - 2
        hidden = [get_activation(a) for a in self._per_layer(self.activation, n_hidden)]
        return hidden + [get_activation(self.out_activation_)]

    # ------------------------------------------------------------- L-BFGS

    def _fit_lbfgs(self, X, Y, sample_weight, activations, loss, callbacks, hook_data):
        on_iteration, close = self._lbfgs_iteration_tasks(callbacks, hook_data)
        result = fit_lbfgs(X, Y, sample_weight, self.coefs_, self.intercepts_,
                           activations, loss, self.alpha, self.max_iter, self.max_fun,
                           self.tol, self.verbose, on_iteration=on_iteration)
        close()
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        self.loss_curve_ = list(result.loss_curve)
        self.best_loss_ = min(self.loss_curve_, default=self.loss_)
        if result.interrupted:
            warnings.warn("Training interrupted by the user; keeping the weights of "
                          f"the last completed L-BFGS iteration ({self.n_iter_}).")
        elif result.stopped_by_callback:
            pass  # a callback asked for it: not a failure to converge
        elif result.status == 1:
            warnings.warn(
                f"lbfgs stopped after max_iter={self.max_iter} iterations or "
                f"max_fun={self.max_fun} loss evaluations without converging "
                f"({result.message}). Increase max_iter / max_fun or scale the data.",
                ConvergenceWarning,
            )
        elif result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iterations "
                f"({result.message}). Scaling the data, e.g. with StandardScaler, "
                "usually helps.",
                ConvergenceWarning,
            )

    def _lbfgs_iteration_tasks(self, callbacks, hook_data):
        """Callback tasks around L-BFGS iterations, which SciPy reports at their end.

        Returns ``on_iteration(x)``, which ends the running task with the
        iterate ``x``, begins the next and returns whether a callback asked to
        stop, and ``close()``, which ends the last task, one SciPy never ran.
        """
        task = callbacks.subcontext(task_name="iteration")
        task.call_on_fit_task_begin(estimator=self, **hook_data)

        def on_iteration(x):
            nonlocal task
            stop = task.call_on_fit_task_end(
                estimator=self, **hook_data,
                reconstruction_attributes=lambda: self._weights_from_flat(x))
            task = callbacks.subcontext(task_name="iteration")
            task.call_on_fit_task_begin(estimator=self, **hook_data)
            return stop

        def close():
            task.call_on_fit_task_end(estimator=self)

        return on_iteration, close

    def _weights_from_flat(self, x):
        arrays = [np.empty_like(a) for a in self.coefs_ + self.intercepts_]
        unflatten_into(x, arrays)
        n_layers = len(self.coefs_)
        return {"coefs_": arrays[:n_layers], "intercepts_": arrays[n_layers:]}

    # --------------------------------------------------------- stochastic

    def _fit_stochastic(self, X, Y, sample_weight, activations, loss, rng, incremental,
                        validation, callbacks):
        X, Y, sample_weight, validation = self._validation_split(X, Y, sample_weight,
                                                                 rng, validation)
        hook_data = self._hook_data(X, Y, sample_weight)
        guard = DivergenceGuard(references=self._divergence_references)
        batch_size = self._batch_size(X.shape[0])
        # during training coefs_ and intercepts_ are views of one vector, the
        # array the optimizer steps; the end of fit puts owned copies back
        params = ParameterVector(self.coefs_, self.intercepts_)
        self.coefs_, self.intercepts_ = params.coefs, params.intercepts
        if not (incremental and hasattr(self, "_optimizer")):
            self._start_schedule(params)
        batches = MinibatchSource(X, Y, sample_weight, batch_size, self.shuffle)
        sizes = [X.shape[1]] + [W.shape[1] for W in self.coefs_]
        workspace = Workspace(sizes, batch_size, X.dtype, activations,
                              dropout=self._per_layer(self.dropout, len(sizes) - 2))
        self._continue_records(validation)
        monitor = PlateauMonitor(self.tol, count=self._no_improvement_count,
                                 best=self._best_monitored_score())
        best = last = (_copy_params(self.coefs_), _copy_params(self.intercepts_))
        self.n_iter_ = 0
        n_epochs = 1 if incremental else self.max_iter
        started = time.perf_counter()
        try:
            for _ in range(n_epochs):
                epoch_started = time.perf_counter()
                task = callbacks.subcontext(task_name="epoch")
                task.call_on_fit_task_begin(estimator=self, **hook_data)
                self.loss_ = run_epoch(batches, rng, params, activations, loss,
                                       self.alpha, self._optimizer, workspace,
                                       epoch=self.n_iter_ + 1,
                                       max_grad_norm=self.max_grad_norm, guard=guard)
                self._divergence_references = guard.references
                self.n_iter_ += 1
                self.t_ += X.shape[0]
                last = (_copy_params(self.coefs_), _copy_params(self.intercepts_))
                if self._end_epoch(monitor, validation, loss,
                                   time.perf_counter() - epoch_started):
                    best = last
                stop_requested = task.call_on_fit_task_end(
                    estimator=self, **hook_data,
                    reconstruction_attributes=lambda: {"coefs_": last[0],
                                                       "intercepts_": last[1]})
                if self.verbose:
                    self._print_progress(n_epochs, time.perf_counter() - started)
                if (stop_requested or self._should_stop(monitor)
                        or self._out_of_time(started)):
                    break
            else:
                # a cosine schedule is meant to end at max_iter, with a rate of 0
                if not incremental and self.learning_rate != "cosine":
                    warnings.warn(
                        f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by the user; keeping the weights of "
                          "the last completed epoch.")
        self.coefs_, self.intercepts_ = best if self.early_stopping else last

    def _validation_split(self, X, Y, sample_weight, rng, validation):
        """Training arrays and the validation set: the user's, a split, or None."""
        if validation is not None or not self.early_stopping:
            return X, Y, sample_weight, validation
        single_output = self._label_binarizer.y_type_ != "multilabel-indicator"
        stratify = self._label_binarizer.inverse_transform(Y) if single_output else None
        arrays = [X, Y] + ([] if sample_weight is None else [sample_weight])
        try:
            parts = train_test_split(*arrays, test_size=self.validation_fraction,
                                     random_state=rng, stratify=stratify)
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples with every "
                f"class represented: {exc} Increase validation_fraction or the "
                "number of samples, pass X_val and y_val, or set early_stopping=False."
            ) from exc
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        sw_tr, sw_val = parts[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        y_val = self._label_binarizer.inverse_transform(Y_val)
        return X_tr, Y_tr, sw_tr, _Validation(X_val, y_val, Y_val, sw_val)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(f"batch_size={self.batch_size} is larger than the "
                          f"{n_samples} training samples; it is clipped to "
                          f"{n_samples}.")
        return min(self.batch_size, n_samples)

    def _start_schedule(self, params):
        """A new optimizer for ``params.vector`` and a new learning-rate schedule."""
        vector = [params.vector]
        if self.solver == "sgd":
            self._optimizer = OPTIMIZERS["sgd"](vector, self.learning_rate_init,
                                                self.momentum, self.nesterovs_momentum)
        elif self.solver == "adam":
            self._optimizer = OPTIMIZERS["adam"](vector, self.learning_rate_init,
                                                 self.beta_1, self.beta_2, self.epsilon)
        else:
            # decoupled decay on the weights, which lead the vector; not the biases
            n_weights = sum(W.size for W in params.coefs)
            self._optimizer = OPTIMIZERS["adamw"](
                vector, self.learning_rate_init, self.beta_1, self.beta_2,
                self.epsilon, self.weight_decay, n_decayed=[n_weights])
        self._schedule = SCHEDULES[self.learning_rate](
            self.learning_rate_init, power_t=self.power_t, max_epochs=self.max_iter,
            step_size=self.lr_step_size, gamma=self.lr_gamma,
            warmup_epochs=self.warmup_epochs)
        self._schedule_epoch = 0
        self._optimizer.learning_rate = self._schedule.rate(0, self.t_)

    def _continue_records(self, validation):
        if self.early_stopping != (self.best_validation_score_ is not None):
            self._reset_monitoring()  # a warm start that switched early_stopping
        self.loss_curve_ = list(self.loss_curve_)
        self.history_ = list(self.history_)
        if validation is not None:
            self.validation_scores_ = list(self.validation_scores_ or [])
            self.validation_loss_curve_ = list(self.validation_loss_curve_ or [])

    def _best_monitored_score(self):
        if self.early_stopping:
            return self.best_validation_score_
        return -self.best_loss_

    def _evaluate(self, validation, loss):
        """Loss and score of the current weights on the validation set."""
        P = predict_proba_chunked(validation.X, self.coefs_, self.intercepts_,
                                  self._layer_activations())
        sw = validation.sample_weight
        scale, _ = sample_scale(sw, P.shape[0], P.dtype)
        value = loss.value(validation.Y, P, scale)
        if self.scoring is None:
            score = accuracy_score(validation.y, self._labels_from_outputs(P),
                                   sample_weight=sw)
        elif self.scoring == "loss":
            score = -value
        else:
            kwargs = {} if sw is None else {"sample_weight": sw}
            score = check_scoring(self, self.scoring)(self, validation.X, validation.y,
                                                      **kwargs)
        return float(value), float(score)

    def _end_epoch(self, monitor, validation, loss, seconds):
        """Record the epoch and step the schedule; return whether it is the best."""
        self.loss_curve_.append(self.loss_)
        record = {"epoch": len(self.loss_curve_), "train_loss": self.loss_,
                  "val_loss": None, "val_score": None,
                  "learning_rate": self._optimizer.learning_rate, "epoch_time": seconds}
        if validation is not None:
            record["val_loss"], record["val_score"] = self._evaluate(validation, loss)
            self.validation_loss_curve_.append(record["val_loss"])
            self.validation_scores_.append(record["val_score"])
        self.history_.append(record)
        if self.early_stopping:
            is_best = monitor.update(record["val_score"])
            self.best_validation_score_ = monitor.best
        else:
            is_best = monitor.update(-self.loss_)
            self.best_loss_ = -monitor.best
        if is_best:
            self.best_epoch_ = record["epoch"]
        self._no_improvement_count = monitor.count
        self._schedule_epoch += 1
        self._optimizer.learning_rate = self._schedule.rate(self._schedule_epoch, self.t_)
        return is_best

    def _print_progress(self, n_epochs, elapsed):
        line = f"epoch {self.n_iter_}/{n_epochs}  loss {self.loss_:.6f}"
        last = self.history_[-1]
        if last["val_score"] is not None:
            name = "val acc" if self.scoring is None else "val score"
            line += f"  val loss {last['val_loss']:.6f}  {name} {last['val_score']:.4f}"
        per_epoch = elapsed / self.n_iter_
        # an upper bound: a plateau may stop training before n_epochs
        left = per_epoch * (n_epochs - self.n_iter_)
        print(f"{line}  {per_epoch:.2f} s/epoch  elapsed {elapsed:.1f} s  "
              f"at most {left:.1f} s left", flush=True)

    def _should_stop(self, monitor):
        if monitor.count <= self.n_iter_no_change:
            return False
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        stop = self._schedule.on_plateau(self.verbose)
        if self.verbose:
            print(message + (" Stopping." if stop else ""))
        if not stop:
            monitor.count = self._no_improvement_count = 0
            self._optimizer.learning_rate = self._schedule.rate(self._schedule_epoch,
                                                                self.t_)
        return stop

    def _out_of_time(self, started):
        elapsed = time.perf_counter() - started
        if self.max_time is None or elapsed < self.max_time:
            return False
        if self.verbose:
            kept = "best" if self.early_stopping else "last"
            print(f"max_time={self.max_time} s reached after epoch {self.n_iter_} "
                  f"({elapsed:.1f} s); stopping with the {kept} weights.", flush=True)
        return True

    # --------------------------------------------------------- persistence

    def __getstate__(self):
        # Plain data (dicts, arrays, numbers) in place of the optimizer, the
        # schedule and the generator, so a skops file asks its reader to trust
        # this class alone, and a pickle names no private class.
        state = dict(super().__getstate__())  # a copy: it may be our own __dict__
        if "_optimizer" in state:
            state["_optimizer"] = _plain_helper(state["_optimizer"], OPTIMIZERS)
            state["_schedule"] = _plain_helper(state["_schedule"], SCHEDULES)
        if "_rng" in state:
            state["_rng"] = {"mt19937_state": state["_rng"].get_state()}
        # callbacks watch a fit; they are not part of the model
        return {k: v for k, v in state.items() if not _is_callback_bookkeeping(k)}

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("_optimizer"), dict):
            state["_optimizer"] = _helper_from_plain(state["_optimizer"], OPTIMIZERS)
            state["_schedule"] = _helper_from_plain(state["_schedule"], SCHEDULES)
        if isinstance(state.get("_rng"), dict):
            rng = np.random.RandomState()
            rng.set_state(state["_rng"]["mt19937_state"])
            state["_rng"] = rng
        super().__setstate__(state)

    # ---------------------------------------------------------- inspection

    def hidden_representation(self, X, layer=-1):
        """Activations of a hidden layer: embeddings for plots or other models.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        layer : int, default=-1
            Which hidden layer, counted from 0 (the first) as in
            ``hidden_layer_sizes``; negative values count from the last.

        Returns
        -------
        A : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The layer's output ``f(Z)``, as the next layer sees it at
            prediction time (no dropout).
        """
        check_is_fitted(self)
        n_hidden = self.n_layers_ - 2
        if not isinstance(layer, Integral) or not -n_hidden <= layer < n_hidden:
            raise ValueError(f"layer must be an integer in [{-n_hidden}, {n_hidden}) "
                             f"for this network with {n_hidden} hidden layers; got "
                             f"{layer!r}.")
        X = validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32),
                          reset=False)
        depth = layer % n_hidden + 1
        return forward_chunked(X, self.coefs_, self.intercepts_,
                               self._layer_activations(), depth=depth)

    # -------------------------------------------------------------- predict

    def _network_outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32),
                          reset=False)
        return predict_proba_chunked(X, self.coefs_, self.intercepts_,
                                     self._layer_activations())

    def _labels_from_outputs(self, P):
        return self._label_binarizer.inverse_transform(
            P.ravel() if self.n_outputs_ == 1 else P)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            For multilabel problems, the probability of each label on its own.
        """
        P = self._network_outputs(X)
        if self.n_outputs_ == 1:
            P = np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Labels from ``classes_``; an indicator matrix for multilabel problems.
        """
        return self._labels_from_outputs(self._network_outputs(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
