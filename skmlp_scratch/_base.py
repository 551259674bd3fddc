"""What both estimators share: parameters, validation, the all-or-nothing fit,
the training driver and persistence.

:class:`BaseMLPScratch` drives a fit from user input to fitted attributes: it
validates the parameters and the data, draws or keeps the weights, hands
arrays to the NumPy core (:func:`~._training.fit_stochastic` or
:func:`~._training.fit_lbfgs`) and stores what comes back. A subclass adds
only what depends on the task: how targets become the network's outputs and
back, the output activation, the default loss and score, and ``predict``.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._activations import HIDDEN_ACTIVATIONS, get_activation
from ._callbacks import CallbackSupportMixin, FitTasks, is_callback_bookkeeping
from ._losses import resolve_loss
from ._network import INITIALIZERS, forward_chunked, init_params, layer_sizes
from ._optimizers import OPTIMIZERS, SCHEDULES
from ._training import (
    TrainingProgress,
    ValidationSet,
    fit_lbfgs,
    fit_stochastic,
    unflatten_into,
)

STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)

# the input dtypes the network computes in, in native byte order
_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def is_plain_float_input(estimator, X):
    """Whether ``X`` is what ``validate_data`` would pass unchanged to ``estimator``.

    True for a C- or F-ordered float32 or float64 ndarray of native byte
    order, two-dimensional, not empty, of the fitted width, all values
    finite, given to an estimator fitted without feature names: what
    serving sends one row at a time, and what a table model's preprocessor
    hands its network. ``validate_data`` (about 60 microseconds, more than a
    small network's prediction) may then be skipped; anything else goes
    through it, to be converted, refused or warned about.
    """
    # a byte-swapped array is converted by validate_data, and a model fitted
    # with feature names warns about an ndarray; a sum that is finite proves
    # every value finite (the shortcut validate_data takes too), and one that
    # overflows is rechecked there
    return (type(X) is np.ndarray and X.dtype in _NATIVE_FLOATS and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == getattr(estimator, "n_features_in_", None)
            and not hasattr(estimator, "feature_names_in_")
            and bool(np.isfinite(X.sum())))


# The hyper-parameters the optimizers and schedules read, by name.
_OPTIMIZER_SETTINGS = ("learning_rate_init", "momentum", "nesterovs_momentum", "beta_1",
                       "beta_2", "epsilon", "weight_decay", "power_t", "max_iter",
                       "lr_step_size", "lr_gamma", "warmup_epochs")


def has_stochastic_solver(estimator):
    """``available_if`` check of ``partial_fit``: a stochastic solver is set."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers "
            f"{STOCHASTIC_SOLVERS}, not for solver={estimator.solver!r}."
        )
    return True


class _Validation:
    """A validation set as the estimator sees it: the core's, plus targets as given."""

    def __init__(self, X, y, Y, sample_weight=None):
        self.y = y
        self.core = ValidationSet(X, Y, sample_weight)


class BaseMLPScratch(CallbackSupportMixin, BaseEstimator):
    """Base of the multilayer perceptrons; not for direct use.

    Subclasses define ``__init__`` with their parameters, the class attribute
    ``_default_scoring_name`` and the hooks ``_encode_targets``,
    ``_encode_validation_targets``, ``_output_activation``, ``_resolve_loss``,
    ``_stratify``, ``_default_score`` and ``_decode_outputs``.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({*STOCHASTIC_SOLVERS, "lbfgs"})],
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
        # np.inf, as scikit-learn allows: never stop on a plateau
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS))],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "scoring": [None, str, callable],
        "max_time": [None, Interval(Real, 0, None, closed="neither")],
    }

    def _store_parameters(self, arguments):
        """Store ``__init__``'s arguments, each as the attribute of its name, and nothing else.

        Parameters
        ----------
        arguments : dict
            ``locals()`` at the top of a subclass's ``__init__``.
        """
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # ------------------------------------------------------------------ fit

    def _fit_all_or_nothing(self, X, y, sample_weight, incremental, classes=None,
                            validation=(None, None, None)):
        # Every attribute fit may touch is learned state; parameters stay as set,
        # and so do the callbacks and the callback API's own bookkeeping.
        params = self.get_params(deep=False)

        def learned(name):
            return name not in params and not is_callback_bookkeeping(name)

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
        self._check_regularisers()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        keep_weights = (incremental or self.warm_start) and hasattr(self, "coefs_")
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True,
                             y_numeric=self._numeric_targets,
                             dtype=(np.float64, np.float32), reset=not keep_weights)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        sample_weight = self._checked_sample_weight(sample_weight, X)
        Y = self._encode_targets(y, incremental, classes, not keep_weights, sample_weight)
        sample_weight = self._adjust_sample_weight(y, sample_weight, incremental)
        validation = self._validate_validation_data(*validation, X.dtype)
        if self.scoring not in (None, "loss"):
            check_scoring(self, self.scoring)  # an unknown name fails before training

        # a generator made afresh from random_state at every call, partial_fit and
        # warm starts included, as scikit-learn's MLPs do: an int seed then gives
        # their mini-batch order in every call
        rng = check_random_state(self.random_state)
        if keep_weights:
            if self.coefs_[0].dtype != X.dtype:
                X = X.astype(self.coefs_[0].dtype)
        else:
            self._initialize(X, Y, hidden, rng)
        Y = Y.astype(X.dtype)
        activations = self._layer_activations()
        loss = self._resolve_loss()
        lbfgs = self.solver == "lbfgs"
        # one subtask per epoch or L-BFGS iteration (scipy's callback leaves
        # one more, empty, at the end)
        tasks = FitTasks(self, 1 if incremental else self.max_iter + lbfgs, X,
                         lambda: self._decode_outputs(Y), sample_weight,
                         "iteration" if lbfgs else "epoch")
        tasks.begin_fit()
        # Non-finite values are caught by the training steps themselves, which
        # raise TrainingDivergedError naming the epoch; NumPy's own overflow
        # warnings on the way there would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if lbfgs:
                self._fit_lbfgs(X, Y, sample_weight, activations, loss, tasks)
            else:
                self._fit_stochastic(X, Y, sample_weight, activations, loss, rng,
                                     incremental, validation, tasks)
        tasks.end_fit()
        return self

    def _validated_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, one per hidden "
                f"layer; got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    @staticmethod
    def _per_layer(value, n_hidden):
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

    def _check_regularisers(self):
        """Reject regularisers the solver cannot apply; a subclass adds its own."""
        for name in ("input_dropout", "input_noise"):
            if self.solver == "lbfgs" and getattr(self, name):
                raise ValueError(
                    f"{name} needs a stochastic solver ('sgd', 'adam' or 'adamw'); "
                    "solver='lbfgs' minimises one fixed loss, and fresh noise at "
                    f"every evaluation would break its line search. Set {name}=0 "
                    "or choose a stochastic solver.")

    def _training_targets(self, Y):
        """The targets training fits, from the encoded ones; a classifier smooths them.

        Validation and the early-stopping split use the encoded targets as they
        are, so only training sees the change.
        """
        return Y

    @staticmethod
    def _checked_sample_weight(sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        if not sample_weight.any():
            raise ValueError("sample_weight is zero for every sample; at least "
                             "one sample needs a positive weight.")
        return sample_weight

    def _adjust_sample_weight(self, y, sample_weight, incremental):
        """The weights training uses; a classifier multiplies in ``class_weight``."""
        return sample_weight

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
                                     multi_output=True, y_numeric=self._numeric_targets,
                                     dtype=dtype, reset=False)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, X_val, dtype=X_val.dtype, ensure_non_negative=True)
        # targets in the training dtype once, not at every epoch's evaluation
        Y_val = self._encode_validation_targets(y_val).astype(dtype)
        return _Validation(X_val, y_val, Y_val, sample_weight_val)

    def _initialize(self, X, Y, hidden, rng):
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = self._output_activation()
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
        self._progress = None  # stochastic training's record, made at its first epoch
        self._publish_progress()

    def _layer_activations(self):
        n_hidden = self.n_layers_ - 2
        hidden = [get_activation(a) for a in self._per_layer(self.activation, n_hidden)]
        return hidden + [get_activation(self.out_activation_)]

    # ------------------------------------------------------------- L-BFGS

    def _fit_lbfgs(self, X, Y, sample_weight, activations, loss, tasks):
        Y = self._training_targets(Y)
        tasks.begin_step()

        def on_iteration(x):
            stop = tasks.end_step(lambda: self._weights_from_flat(x))
            tasks.begin_step()
            return stop

        result = fit_lbfgs(X, Y, sample_weight, self.coefs_, self.intercepts_,
                           activations, loss, self.alpha, self.max_iter, self.max_fun,
                           self.tol, self.verbose, on_iteration=on_iteration)
        tasks.close_step()
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        self.loss_curve_ = list(result.loss_curve)
        self.best_loss_ = min(self.loss_curve_, default=self.loss_)
        if result.interrupted:
            warnings.warn("Training interrupted by user. Keeping the weights of the "
                          f"last completed L-BFGS iteration ({self.n_iter_}).")
        elif result.status != 0 and not result.stopped_by_callback:
            self._warn_lbfgs_not_converged(result)

    def _warn_lbfgs_not_converged(self, result):
        # the first line is scikit-learn's own, so users' warning filters match
        message = (f"lbfgs failed to converge after {min(self.n_iter_, self.max_iter)} "
                   f"iteration(s) (status={result.status}):\n{result.message}\n")
        if self.n_iter_ >= self.max_iter:
            message += ("\nIncrease the number of iterations to improve the "
                        f"convergence (max_iter={self.max_iter}).")
        message += ("\nScaling the data, e.g. with StandardScaler in a Pipeline, "
                    "usually helps.")
        warnings.warn(message, ConvergenceWarning)

    def _weights_from_flat(self, x):
        arrays = [np.empty_like(a) for a in self.coefs_ + self.intercepts_]
        unflatten_into(x, arrays)
        n_layers = len(self.coefs_)
        return {"coefs_": arrays[:n_layers], "intercepts_": arrays[n_layers:]}

    # --------------------------------------------------------- stochastic

    def _fit_stochastic(self, X, Y, sample_weight, activations, loss, rng, incremental,
                        validation, tasks):
        X, Y, sample_weight, validation = self._validation_split(X, Y, sample_weight,
                                                                 rng, validation)
        Y = self._training_targets(Y)  # after the split: validation keeps hard targets
        progress = self._continue_progress(incremental)
        tasks.begin_step()

        def on_epoch(is_last, vector):
            stop = tasks.end_step(lambda: self._weights_from_flat(vector))
            if not (stop or is_last):
                tasks.begin_step()
            return stop

        # the estimator's own lists are updated in place, so a scorer or a
        # callback reading coefs_ during training sees the current weights
        result = fit_stochastic(
            X, Y, sample_weight, self.coefs_, self.intercepts_, activations, loss,
            self.alpha, progress, rng, batch_size=self._batch_size(X.shape[0]),
            shuffle=self.shuffle, max_epochs=1 if incremental else self.max_iter,
            dropout=self._per_layer(self.dropout, self.n_layers_ - 2),
            input_dropout=self.input_dropout, input_noise=self.input_noise,
            max_grad_norm=self.max_grad_norm,
            validation=None if validation is None else validation.core,
            score=None if validation is None else self._validation_scorer(validation),
            on_epoch=on_epoch, max_time=self.max_time,
            restore_best=self.early_stopping, verbose=self.verbose,
            score_name=self._default_scoring_name if self.scoring is None else "score")
        self.n_iter_ = result.n_iter
        if result.loss is not None:
            self.loss_ = result.loss
        self._publish_progress()
        if result.stop == "interrupted":
            warnings.warn("Training interrupted by user. Keeping the weights of the "
                          "last completed epoch.")
        # a cosine schedule is meant to end at max_iter, with a rate of 0
        elif (result.stop == "max_iter" and not incremental
              and self.learning_rate != "cosine"):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _continue_progress(self, incremental):
        """The training record to go on with: the last call's, or a new one.

        None also when the fitted attributes were set by hand rather than by
        ``fit`` (as scikit-learn's own tests set them): training starts a
        record then.
        """
        if getattr(self, "_progress", None) is None:
            self._progress = TrainingProgress(self.tol, self.n_iter_no_change,
                                              self.early_stopping)
        progress = self._progress
        progress.watch(self.tol, self.n_iter_no_change, self.early_stopping)
        if not incremental or progress.optimizer is None:
            settings = {name: getattr(self, name) for name in _OPTIMIZER_SETTINGS}
            n_weights = sum(W.size for W in self.coefs_)
            n_parameters = n_weights + sum(b.size for b in self.intercepts_)
            progress.start_schedule(self.solver, settings, self.learning_rate,
                                    n_parameters, n_weights, self.coefs_[0].dtype)
        return progress

    def _publish_progress(self):
        """Copy the training record into the fitted attributes users read."""
        progress = self._progress
        self.t_ = 0 if progress is None else progress.n_samples_seen
        if progress is None:
            self.loss_curve_, self.history_ = [], []
            self.validation_scores_ = [] if self.early_stopping else None
            self.validation_loss_curve_ = [] if self.early_stopping else None
            self.best_loss_ = None if self.early_stopping else np.inf
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.best_epoch_ = None
            return
        self.loss_curve_ = list(progress.loss_curve)
        self.history_ = [dict(record) for record in progress.history]
        self.validation_scores_ = (None if progress.validation_scores is None
                                   else list(progress.validation_scores))
        self.validation_loss_curve_ = (None if progress.validation_losses is None
                                       else list(progress.validation_losses))
        self.best_epoch_ = progress.best_epoch
        if progress.monitor_validation:
            self.best_loss_, self.best_validation_score_ = None, progress.best_score
        else:
            self.best_loss_, self.best_validation_score_ = -progress.best_score, None

    def _validation_scorer(self, validation):
        """``score(P, loss)``: the validation score from the network's outputs."""
        sw = validation.core.sample_weight

        def score(P, loss_value):
            if self.scoring is None:
                return self._default_score(validation.y, P, sw)
            if self.scoring == "loss":
                return -loss_value
            kwargs = {} if sw is None else {"sample_weight": sw}
            return check_scoring(self, self.scoring)(self, validation.core.X,
                                                     validation.y, **kwargs)

        return score

    def _validation_split(self, X, Y, sample_weight, rng, validation):
        """Training arrays and the validation set: the user's, a split, or None."""
        if validation is not None or not self.early_stopping:
            return X, Y, sample_weight, validation
        arrays = [X, Y] + ([] if sample_weight is None else [sample_weight])
        stratify = self._stratify(Y)
        try:
            parts = train_test_split(*arrays, test_size=self.validation_fraction,
                                     random_state=rng, stratify=stratify)
        except ValueError as exc:
            # scikit-learn's message first (its MLPs raise it as it is), ours after
            raise ValueError(
                f"{str(exc).rstrip('. ')}; early_stopping could not hold out "
                f"validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples"
                f"{self._rare_labels_note(Y, stratify)}. Increase validation_fraction "
                "or the number of samples, pass X_val and y_val, or set "
                "early_stopping=False."
            ) from exc
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        sw_tr, sw_val = parts[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        return (X_tr, Y_tr, sw_tr,
                _Validation(X_val, self._decode_outputs(Y_val), Y_val, sw_val))

    def _rare_labels_note(self, Y, stratify):
        """Name the labels a stratified split cannot divide, as the user wrote them."""
        if stratify is None:
            return ""
        labels, counts = np.unique(self._decode_outputs(Y), return_counts=True)
        if (counts >= 2).all():
            return ""
        return (f" stratified by class (fewer than 2 samples of the labels "
                f"{labels[counts < 2].tolist()})")

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(f"batch_size={self.batch_size} is larger than the "
                          f"{n_samples} training samples; it is clipped to "
                          f"{n_samples}.")
        return min(self.batch_size, n_samples)

    # --------------------------------------------------------- persistence

    def __getstate__(self):
        # Plain data (dicts, arrays, numbers) in place of the training record,
        # so a skops file asks its reader to trust the estimator's class alone,
        # and a pickle names no private class.
        state = dict(super().__getstate__())  # a copy: it may be our own __dict__
        if state.get("_progress") is not None:
            state["_progress"] = state["_progress"].to_plain()
        # callbacks watch a fit; they are not part of the model
        return {k: v for k, v in state.items() if not is_callback_bookkeeping(k)}

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("_progress"), dict):
            state["_progress"] = TrainingProgress.from_plain(state["_progress"])
        super().__setstate__(state)

    # ---------------------------------------------------------- inspection

    def hidden_representation(self, X, layer=-1):
        """Compute the activations of a hidden layer: embeddings for plots or models.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
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
        X = self._validated_X(X)
        depth = layer % n_hidden + 1
        return forward_chunked(X, self.coefs_, self.intercepts_,
                               self._layer_activations(), depth=depth)

    # -------------------------------------------------------------- predict

    def _validated_X(self, X):
        """``X`` as the network reads it, checked as ``validate_data`` checks it.

        A float ndarray of the fitted width, for a model fitted without
        feature names, is what serving sends one row at a time; it is
        returned as it is when every value is finite, which is all that
        ``validate_data`` (about 60 microseconds) would find out about it.
        Anything else, including such an array holding NaN or infinity,
        goes through ``check_is_fitted`` and ``validate_data``, which raise
        or warn as scikit-learn's estimators do.
        """
        if is_plain_float_input(self, X):
            return X
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr",
                             dtype=(np.float64, np.float32), reset=False)

    def _network_outputs(self, X):
        """The network's outputs for ``X``, ``chunk_size`` rows at a time."""
        X = self._validated_X(X)
        return forward_chunked(X, self.coefs_, self.intercepts_,
                               self._layer_activations())

    def _resolve_loss(self):
        return resolve_loss(self.loss, self.out_activation_, valid=self._valid_losses,
                            **self._loss_options())

    def _loss_options(self):
        return {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
