"""The classifier: labels in, probabilities and labels out.

Everything a fit does that does not depend on the task lives in
:class:`~._base.BaseMLPScratch`; this module adds what only a classifier
needs: encoding labels as the network's outputs (one-hot, or one column per
binary label), choosing softmax or logistic outputs, class weights, the
accuracy a validation set is scored by, and ``predict_proba``.
"""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from ._base import BaseMLPScratch, has_stochastic_solver
from ._docstrings import fill_docstring
from ._losses import USER_LOSSES, smooth_targets


@fill_docstring
class MLPScratchClassifier(ClassifierMixin, BaseMLPScratch):
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
    <<NETWORK_PARAMETERS>>

    loss : {"log_loss", "squared_error"}, default="log_loss"
        ``"log_loss"`` is the cross-entropy of the output distribution
        (categorical for multiclass, Bernoulli per output for binary and
        multilabel). ``"squared_error"`` is half the mean squared difference
        between the output probabilities and the one-hot targets.

    label_smoothing : float, default=0.0
        Label smoothing for ``loss="log_loss"``, in [0, 1): training targets
        are mixed with the uniform distribution, a one-hot row over ``K``
        classes becoming ``(1 - label_smoothing) * y + label_smoothing / K``
        (softmax output), each binary or multilabel column
        ``(1 - label_smoothing) * y + label_smoothing / 2`` (logistic output).
        The network then stops pushing its probabilities towards 0 and 1,
        which tempers over-confident predictions and the weights' growth on
        separable or noisily labelled data (Szegedy et al., 2016); 0.05 to 0.1
        is usual. Only training targets change: the reported training loss is
        the cross-entropy to the smoothed targets (it no longer reaches 0),
        validation scores and losses use the labels as given. A nonzero value
        with ``loss="squared_error"`` raises a ValueError.

    <<TRAINING_PARAMETERS>>

    <<FEATURE_PARAMETERS>>

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

    <<BUDGET_PARAMETERS>>

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    <<FITTED_ATTRIBUTES>>
    <<SHAPE_ATTRIBUTES>>
    out_activation_ : str
        Output activation: ``"softmax"`` (multiclass) or ``"logistic"``
        (binary, multilabel).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The MLP classifier of scikit-learn itself.

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
        **BaseMLPScratch._parameter_constraints,
        "loss": [StrOptions(set(USER_LOSSES))],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }
    _valid_losses = USER_LOSSES
    _numeric_targets = False
    _default_scoring_name = "accuracy"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="log_loss",
        label_smoothing=0.0,
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
        input_dropout=0.0,
        input_noise=0.0,
        weight_decay=0.01,
        warmup_epochs=0,
        lr_step_size=10,
        lr_gamma=0.1,
        max_grad_norm=None,
        scoring=None,
        class_weight=None,
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

    @available_if(has_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the stochastic solver over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a binary indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear in ``y``; required on the first call,
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLPScratchClassifier
            The updated estimator.
        """
        return self._fit_all_or_nothing(X, y, sample_weight, incremental=True,
                                        classes=classes)

    # ------------------------------------------------------ target hooks

    def _encode_targets(self, y, incremental, classes, reset, sample_weight):
        """Labels as network outputs: one-hot, or one column per binary label."""
        check_classification_targets(y)
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
            self._check_same_classes(y)
        else:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
            self._check_two_classes(y, sample_weight)
        return self._label_binarizer.transform(y)

    def _training_targets(self, Y):
        """Encoded targets with ``label_smoothing`` applied."""
        return smooth_targets(Y, self.label_smoothing, self.out_activation_)

    def _check_regularisers(self):
        super()._check_regularisers()
        if self.label_smoothing and self.loss != "log_loss":
            raise ValueError(
                f"label_smoothing applies to loss='log_loss' only; got "
                f"label_smoothing={self.label_smoothing!r} with loss={self.loss!r}. "
                "Set label_smoothing=0 or loss='log_loss'.")

    def _encode_validation_targets(self, y_val):
        check_classification_targets(y_val)
        self._check_known_classes(y_val, "y_val has classes not seen in y")
        return self._label_binarizer.transform(y_val)

    def _decode_outputs(self, P):
        """Labels (or an indicator matrix) from network outputs or encoded targets.

        ``LabelBinarizer.inverse_transform``'s own rules (the first largest
        output, or a threshold of 0.5), applied directly for one or several
        classes: its checks cost more than a small prediction itself.
        """
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_.take(P.argmax(axis=1))
        if y_type == "binary":
            return self.classes_.take((P.ravel() > 0.5).astype(np.intp))
        return self._label_binarizer.inverse_transform(P)

    def _output_activation(self):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return "softmax" if multiclass else "logistic"

    def _stratify(self, Y):
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        if Y.shape[1] == 1:
            # binary: the encoded column as booleans, as scikit-learn's
            # MLPClassifier stratifies, which gives its split (and its message,
            # whose classes read 'False' and 'True'); scikit-learn 1.9 does
            # not stratify several classes, we do, by label
            return Y.astype(bool)
        return self._decode_outputs(Y)

    def _default_score(self, y, P, sample_weight):
        return accuracy_score(y, self._decode_outputs(P), sample_weight=sample_weight)

    def _adjust_sample_weight(self, y, sample_weight, incremental):
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
        dtype = np.float64 if sample_weight is None else sample_weight.dtype
        weights = compute_sample_weight(self.class_weight, y).astype(dtype, copy=False)
        return weights if sample_weight is None else sample_weight * weights

    def _check_known_classes(self, y, message):
        classes = unique_labels(y)
        if len(np.setdiff1d(classes, self.classes_)):
            raise ValueError(f"{message}: expected {self.classes_}, got {classes}.")

    def _check_same_classes(self, y):
        """A warm start goes on with the output layer it has: one unit per class."""
        classes = unique_labels(y)
        if set(classes) != set(self.classes_):
            # scikit-learn's sentence first, so a match= written for its MLPs matches
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{classes}. Set warm_start=False to train afresh on these classes.")

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

    # -------------------------------------------------------------- predict

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            For multilabel problems, the probability of each label on its own.
            Logistic outputs are kept strictly inside (0, 1), by the machine
            epsilon of their dtype, as the logistic function is in exact
            arithmetic.
        """
        return self._probabilities(self._network_outputs(X))

    def _probabilities(self, P):
        """``predict_proba`` from network outputs ``P`` of shape (..., n_outputs).

        ``P`` may be overwritten; leading axes (one per stacked network) are kept.
        """
        if self.out_activation_ == "logistic":
            eps = float(np.finfo(P.dtype).eps)
            np.clip(P, eps, 1.0 - eps, out=P)
        if self.n_outputs_ == 1:
            P = np.concatenate([1 - P, P], axis=-1)
        return P

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The logarithm of each class probability.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Labels from ``classes_``; an indicator matrix for multilabel problems.
        """
        return self._decode_outputs(self._network_outputs(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
