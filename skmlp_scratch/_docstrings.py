"""Docstring sections both estimators share, so each parameter is described once.

An estimator's docstring names a section as ``<<SECTION_NAME>>`` on a line of
its own; :func:`fill_docstring` puts the text in.
"""

_NETWORK_PARAMETERS = """\
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer; ``(256, 128)`` means two hidden
        layers. An empty tuple gives a network without hidden layers
        (a generalised linear model: logistic or linear regression).

    activation : {"relu", "leaky_relu", "elu", "gelu", "softplus", "tanh", \
"logistic", "sigmoid", "identity"} or list of str, default="relu"
        Activation of the hidden layers, or one per hidden layer.
        ``"sigmoid"`` is another name for ``"logistic"``; ``"leaky_relu"`` has
        slope 0.01 below zero, ``"elu"`` is ``exp(z) - 1`` there, ``"gelu"``
        is the exact ``z * Phi(z)`` and ``"softplus"`` is ``log(1 + exp(z))``.
"""

_TRAINING_PARAMETERS = """\
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
        Initial step size of the stochastic solvers (``"sgd"``, ``"adam"``,
        ``"adamw"``).

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).

    shuffle : bool, default=True
        Whether to visit the samples in a new random order every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout, input noise and the
        early-stopping split. An int gives bit-identical results from run to run, and
        scikit-learn's initial weights and mini-batch order; as there, each
        ``fit`` or ``partial_fit`` call starts a generator afresh from it.

    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score with
        ``early_stopping``) that resets the ``n_iter_no_change`` count; the
        gradient tolerance of L-BFGS.

    verbose : bool or int, default=False
        Print a line per epoch (L-BFGS iteration) that starts as
        scikit-learn's, ``Iteration 3, loss = 0.12345678``, followed by the
        validation loss and score and the time per epoch.

    warm_start : bool, default=False
        Start ``fit`` from the weights of the previous fit.

    momentum : float, default=0.9
        Momentum of ``"sgd"``, between 0 and 1.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.

    early_stopping : bool, default=False
        Monitor a validation set (``X_val`` given to ``fit``, else a
        hold-out of ``validation_fraction`` of the training data, stratified
        by class for a classifier),
        stop when its score stops improving and restore the weights of the
        best epoch. Stochastic solvers only.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Adam's term for numerical stability.

    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement above ``tol`` before training stops (or,
        with ``learning_rate="adaptive"``, before the step size is lowered).
        ``np.inf`` never stops on a plateau.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.
"""

_FEATURE_PARAMETERS = """\
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

    input_dropout : float, default=0.0
        Inverted dropout on the input features, in [0, 1): during training
        each feature of each row is zeroed with this probability and the
        kept ones scaled by ``1 / (1 - input_dropout)``, with a fresh draw for
        every mini-batch. It keeps the network from leaning on any one
        feature, which helps with many redundant or noisy features (pixels,
        bags of words); 0.1 to 0.2 is usual. Predictions see the inputs as
        given. Stochastic solvers only. A sparse ``X`` is made dense one
        mini-batch at a time while it is on.

    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every input
        feature of every training row, drawn afresh for every mini-batch,
        in the units of the features as passed to ``fit`` (so standardise
        them first, e.g. with StandardScaler). Training on jittered copies
        of the data smooths the learned function, a regulariser akin to an
        L2 penalty on its input gradient (Bishop, 1995), useful on small
        data sets; try 0.05 to 0.3 for standardised features. With
        ``input_dropout`` too, features are dropped first and the noise is
        added to every entry. Predictions see the inputs as given.
        Stochastic solvers only. A sparse ``X`` is made dense one
        mini-batch at a time while it is on.

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
"""

_BUDGET_PARAMETERS = """\
    max_time : float or None, default=None
        Time budget in seconds for the stochastic solvers: training stops
        after the epoch that crosses it, with the best weights when early
        stopping is on and the last ones otherwise (a line says so with
        ``verbose``).
"""

_FITTED_ATTRIBUTES = """\
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
"""

_SHAPE_ATTRIBUTES = """\
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
"""

_SECTIONS = {
    "NETWORK_PARAMETERS": _NETWORK_PARAMETERS,
    "TRAINING_PARAMETERS": _TRAINING_PARAMETERS,
    "FEATURE_PARAMETERS": _FEATURE_PARAMETERS,
    "BUDGET_PARAMETERS": _BUDGET_PARAMETERS,
    "FITTED_ATTRIBUTES": _FITTED_ATTRIBUTES,
    "SHAPE_ATTRIBUTES": _SHAPE_ATTRIBUTES,
}


def fill_docstring(cls):
    """Class decorator: replace each ``<<NAME>>`` line of the docstring by its section."""
    doc = cls.__doc__
    for name, text in _SECTIONS.items():
        doc = doc.replace(f"    <<{name}>>\n", text)
    cls.__doc__ = doc
    return cls
