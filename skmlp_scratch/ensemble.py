"""Cross-fitted ensembles of networks, and greedy selection over configurations.

:class:`CrossFitClassifier` and :class:`CrossFitRegressor` fit each of a few
configurations (``estimators``) ``n_folds`` times: member ``j`` is trained on
every fold but ``j`` and early-stopped on fold ``j``, which it never trains
on. Every row is so predicted by one member that did not see it, its
*out-of-fold* prediction, and one fit gives an honest score on every row; the
ensemble predicts the mean of its members, which varies less than any one of
them does.

With several configurations, greedy ensemble selection (Caruana et al.,
"Ensemble selection from libraries of models", ICML 2004) weighs them by
their out-of-fold predictions: it starts from the best configuration and
adds, with replacement, the one whose addition most lowers the out-of-fold
loss of the running mean, for ``selection_rounds`` rounds, keeping the round
of least loss; a configuration's weight is its share of the picks.

Two parameters bound the cost on large tables. ``max_samples`` caps the rows a
member trains on: a member whose training folds hold more trains on a
random sample of them (stratified by class), and is still early-stopped on,
and predicts, its whole held-out fold, so the out-of-fold prediction covers
every row. ``time_limit`` bounds the whole fit: configurations are fitted in
order, a member still training at the limit stops after its epoch, and a
configuration that cannot start in time is left out; ``fold_notes_`` says
what was cut.

The fitted attributes are what a report needs: ``oof_predictions_`` and
``oof_scores_``, each configuration's and each member's out-of-fold scores
(``config_scores_``, ``member_scores_``), ``weights_`` and ``folds_``. Besides
the fitted members they are plain data (arrays, lists, dicts of numbers and
text), so a skops file asks its reader to trust only the classes of the
members and of the ensemble.
"""

import contextlib
import inspect
import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import issparse
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.ensemble._base import _BaseHeterogeneousEnsemble
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from ._base import BaseMLPScratch
from ._classifier import MLPScratchClassifier
from ._network import forward_stacked, stack_networks
from ._regressor import MLPScratchRegressor

__all__ = ["CrossFitClassifier", "CrossFitRegressor", "assign_folds", "sample_rows",
           "select_greedily"]

# a probability floor, so that the selection's log loss of a 0 stays finite
_EPS = 1e-15
# rows the stacked members run at a time: bounds their k sets of layer outputs
_STACKED_CHUNK = 4096
# the max_time of a member of the first configuration that starts after the
# time limit: positive, as max_time must be, so it trains one epoch and stops
_LAST_EPOCH_S = 1e-9


# ------------------------------------------------------------------ folds


def assign_folds(y_codes, n_samples, n_folds, rng):
    """Assign each row a fold, stratified by class when ``y_codes`` is given.

    The rows of each class are shuffled and dealt to the folds in turn, the
    deal going on from one class to the next, so each fold gets the floor or
    the ceiling of its share of every class and the folds differ in size by
    at most one row. A class of ``2 <= n_c < n_folds`` rows lies in ``n_c``
    folds, which still leaves one of its rows at least in every member's
    training folds. A class of one row cannot be held out and trained on
    both: that row gets fold ``-1``, in every member's training rows and in
    no validation fold.

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,) of int, or None
        Class index of each row; None for regression (plain shuffled folds).
    n_samples : int
        Number of rows.
    n_folds : int
        Number of folds, at least 2.
    rng : numpy.random.RandomState
        The fit's generator.

    Returns
    -------
    folds : ndarray of shape (n_samples,) of int
        Fold of each row in ``[0, n_folds)``, or ``-1``.
    """
    folds = np.full(n_samples, -1, dtype=np.intp)
    if y_codes is None:
        folds[rng.permutation(n_samples)] = np.arange(n_samples) % n_folds
        return folds
    start = 0
    for code in np.flatnonzero(np.bincount(y_codes) >= 2):
        rows = rng.permutation(np.flatnonzero(y_codes == code))
        folds[rows] = (start + np.arange(len(rows))) % n_folds
        start = (start + len(rows)) % n_folds
    return folds


def sample_rows(rows, y_codes, size, rng):
    """A random sample of ``size`` of ``rows``, stratified by class.

    Each class gets its share of ``size``, rounded by largest remainders
    (Hamilton's method) so the shares add up to ``size``, and at least one
    row, so no class of ``rows`` goes missing from a member's training rows:
    the sample holds ``size`` rows, plus one for each class whose share
    rounds to none.

    Parameters
    ----------
    rows : ndarray of shape (n_rows,) of int
        Row indices, more than ``size`` of them.
    y_codes : ndarray of shape (n_samples,) of int, or None
        Class index of every row of the table; None for regression (a plain
        random sample).
    size : int
        Rows wanted.
    rng : numpy.random.RandomState
        The fit's generator.

    Returns
    -------
    sample : ndarray of int
        A sorted subset of ``rows``.
    """
    if y_codes is None:
        return np.sort(rng.choice(rows, size, replace=False))
    codes = y_codes[rows]
    present, counts = np.unique(codes, return_counts=True)
    exact = counts * size / len(rows)
    shares = np.floor(exact).astype(np.intp)
    # the rows the floors leave go to the largest remainders, the first class on a tie
    shares[np.argsort(shares - exact, kind="stable")[:size - shares.sum()]] += 1
    shares = np.maximum(shares, 1)
    picked = [rng.choice(rows[codes == code], share, replace=False)
              for code, share in zip(present, shares)]
    return np.sort(np.concatenate(picked))


# -------------------------------------------------------------- selection


def select_greedily(predictions, loss, rounds):
    """Weigh configurations by greedy ensemble selection with replacement.

    Caruana et al. (2004): start from the configuration of least loss; at
    each further round add the one that minimises the loss of the mean of
    the picks so far plus it (a configuration may be picked again, which
    raises its weight). Of the ``rounds`` nested ensembles the one of least
    loss is kept, the earliest on a tie.

    Parameters
    ----------
    predictions : list of ndarray, each of shape (n_samples, ...)
        Out-of-fold predictions of each configuration.
    loss : callable
        ``loss(P) -> float`` of a prediction of the same shape; lower is better.
    rounds : int
        Picks, at least 1.

    Returns
    -------
    weights : ndarray of shape (n_configs,)
        Non-negative, summing to 1: each configuration's share of the picks.
    """
    counts = np.zeros(len(predictions), dtype=np.intp)
    total = np.zeros_like(predictions[0], dtype=np.float64)
    best_loss, best_counts = np.inf, None
    for size in range(1, rounds + 1):
        trial = [loss((total + P) / size) for P in predictions]
        pick = int(np.argmin(trial))
        counts[pick] += 1
        total += predictions[pick]
        if trial[pick] < best_loss:
            best_loss, best_counts = trial[pick], counts.copy()
    return best_counts / best_counts.sum()


# ---------------------------------------------------------------- members


def _seed_member(member, seed):
    """Set every ``random_state`` of ``member`` (its steps' too) to ``seed``."""
    names = [k for k in member.get_params(deep=True)
             if k == "random_state" or k.endswith("__random_state")]
    member.set_params(**dict.fromkeys(names, seed))


def _fit_with_validation(member, X, y, X_val, y_val):
    """Fit ``member`` on ``(X, y)``, early-stopped on ``(X_val, y_val)``.

    An estimator whose ``fit`` takes ``X_val`` and ``y_val`` (the networks)
    gets them; the steps before the last of a ``Pipeline`` are fitted on
    ``X`` and transform ``X_val`` for it; any other estimator is fitted on
    ``(X, y)`` alone.
    """
    final = member
    if isinstance(member, Pipeline):
        head, final = member[:-1], member.steps[-1][1]
        X = head.fit_transform(X, y)
        X_val = head.transform(X_val)
    if {"X_val", "y_val"} <= set(inspect.signature(final.fit).parameters):
        final.fit(X, y, X_val=X_val, y_val=y_val)
    else:
        final.fit(X, y)
    return member


@contextlib.contextmanager
def _time_limited(member, deadline):
    """Stop ``member``'s training at ``deadline`` (``time.time()``), if it can.

    A network (also at the end of a ``Pipeline``) has ``max_time``: lowered,
    for this fit only, to the seconds left, so that training stops after the
    epoch that crosses the deadline, with the weights of its best epoch when
    early stopping is on. Any other estimator trains to its end.
    """
    names = [k for k in member.get_params(deep=True)
             if k == "max_time" or k.endswith("__max_time")]
    if deadline is None or not names:
        yield
        return
    own = member.get_params(deep=True)
    left = max(deadline - time.time(), _LAST_EPOCH_S)
    member.set_params(**{k: left if own[k] is None else min(own[k], left)
                         for k in names})
    try:
        yield
    finally:
        member.set_params(**{k: own[k] for k in names})  # the configured value again


def _fit_member(member, X, y, train, valid, seed, predict, deadline=None,
                skippable=False):
    """One member: fitted on rows ``train``, its predictions of rows ``valid``.

    Returns ``(member, predictions, stopped)``, ``stopped`` True when it was
    still training at ``deadline``; or None, without fitting, when the
    deadline has passed and the member is ``skippable``.
    """
    if deadline is not None and skippable and time.time() >= deadline:
        return None
    _seed_member(member, seed)
    with _time_limited(member, deadline):
        _fit_with_validation(member, X[train], y[train], X[valid], y[valid])
    stopped = deadline is not None and time.time() >= deadline
    return member, predict(member, X[valid]), stopped


def _encoders_and_network(member):
    """A member as (the steps before its network, the network), or None.

    A network on its own has no steps before it; a ``Pipeline`` member (the
    ``bins`` configuration's encoder and network) has its transformers,
    ``"passthrough"`` steps left out. None for a member that does not end
    in one of our networks.
    """
    steps = [step for _, step in member.steps] if isinstance(member, Pipeline) else [
        member]
    if not isinstance(steps[-1], BaseMLPScratch):
        return None
    return [step for step in steps[:-1] if step not in (None, "passthrough")], steps[-1]


def _network_signature(member):
    """What members must share to be stacked, or None for a member that cannot be."""
    parts = _encoders_and_network(member)
    if parts is None:
        return None
    encoders, network = parts
    # members with encoders of their own may differ in inputs: padded to the most
    shapes = [W.shape for W in network.coefs_]
    if encoders:
        shapes[0] = shapes[0][1:]
    return (len(encoders) > 0, type(network), network.coefs_[0].dtype, tuple(shapes),
            tuple(a.name for a in network._layer_activations()))


def _encoded(encoders, X):
    """``X`` through a member's transformers, dense, for its network."""
    for encoder in encoders:
        X = encoder.transform(X)
    return X.toarray() if issparse(X) else X


# ---------------------------------------------------------------- the base


class _BaseCrossFit(_BaseHeterogeneousEnsemble):
    """What the cross-fitted classifier and regressor share; not for direct use.

    A subclass sets ``_default_network`` and the hooks ``_check_targets``,
    ``_member_predict`` (one member), ``_stacked_predict`` (a configuration's
    networks evaluated together, the same numbers with a leading member axis),
    ``_selection_loss`` and ``_scores``. scikit-learn's
    base of heterogeneous ensembles gives ``get_params`` and ``set_params``
    over the named configurations, as for ``VotingClassifier``.
    """

    _parameter_constraints = {
        "estimators": [None, list],
        "n_folds": [Interval(Integral, 2, None, closed="left")],
        "max_samples": [None, Interval(Integral, 1, None, closed="left")],
        "time_limit": [None, Interval(Real, 0, None, closed="neither")],
        "selection_rounds": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
    }

    def __init__(self, estimators=None, *, n_folds=5, max_samples=None, time_limit=None,
                 selection_rounds=25, n_jobs=None, random_state=None):
        self.estimators = estimators
        self.n_folds = n_folds
        self.max_samples = max_samples
        self.time_limit = time_limit
        self.selection_rounds = selection_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    def _configurations(self):
        if self.estimators is None:
            return [("network", self._default_network())]
        if not self.estimators:
            raise ValueError("estimators is empty; give at least one (name, "
                             "estimator) pair, or None for the default network.")
        if not all(isinstance(e, tuple) and len(e) == 2 for e in self.estimators):
            raise ValueError("estimators must be a list of (name, estimator) pairs; "
                             f"got {self.estimators!r}.")
        names, estimators = zip(*self.estimators)
        self._validate_names(names)
        for name, estimator in self.estimators:
            if not hasattr(estimator, "fit"):
                raise ValueError(f"estimators entry {name!r} is not an estimator (it "
                                 f"has no fit method): {estimator!r}.")
        return list(self.estimators)

    def _fit_all_or_nothing(self, X, y):
        # learned state only changes once every member is fitted
        params = self.get_params(deep=False)
        saved = {k: v for k, v in vars(self).items() if k not in params}
        try:
            return self._fit(X, y)
        except BaseException:
            for key in [k for k in vars(self) if k not in params]:
                delattr(self, key)
            vars(self).update(saved)
            raise

    def _fit(self, X, y):
        # wall-clock time, not a monotonic clock: members fitted by joblib in
        # other processes compare it with their own clock
        deadline = None if self.time_limit is None else time.time() + self.time_limit
        configurations = self._configurations()
        X, y = validate_data(self, X, y, accept_sparse="csr",
                             dtype=(np.float64, np.float32),
                             multi_output=self._multi_output_targets,
                             y_numeric=self._multi_output_targets)
        y, y_codes, target = self._check_targets(y)
        rng = check_random_state(self.random_state)
        # the folds first, then the seeds: one random_state gives both
        folds, n_folds, notes = self._make_folds(y_codes, len(y), rng)
        training = self._training_rows(folds, n_folds, y_codes, rng, notes)
        seeds = rng.randint(np.iinfo(np.int32).max, size=(len(configurations), n_folds))
        kept, members, oof = self._fit_members(configurations, X, y, folds, training,
                                               seeds, deadline, notes)
        configurations = [configurations[m] for m in kept]
        held = folds >= 0
        weights = select_greedily([P[held] for P in oof],
                                  lambda P: self._selection_loss(target[held], P),
                                  self.selection_rounds)
        ensemble_oof = sum(w * P for w, P in zip(weights, oof))
        self._store_fit(configurations, members, oof, ensemble_oof, weights, folds,
                        n_folds, notes, y, held)
        return self

    def _training_rows(self, folds, n_folds, y_codes, rng, notes):
        """Each member's training rows: every fold but its own, capped at ``max_samples``.

        The sample is drawn only when a member has more rows than
        ``max_samples``, so a table under the cap gets the folds, seeds and
        members of a fit without it.
        """
        rows = [np.flatnonzero(folds != j) for j in range(n_folds)]
        largest = max(len(r) for r in rows)
        if self.max_samples is None or largest <= self.max_samples:
            return rows
        rows = [r if len(r) <= self.max_samples
                else sample_rows(r, y_codes, self.max_samples, rng) for r in rows]
        notes.append(
            f"max_samples={self.max_samples}: each member trains on "
            f"{max(len(r) for r in rows):,} of the {largest:,} rows of its training "
            f"folds, drawn at random{'' if y_codes is None else ' by class'}, and is "
            "early-stopped on, and predicts, its whole held-out fold.")
        return rows

    def _fit_members(self, configurations, X, y, folds, training, seeds, deadline,
                     notes):
        """The configurations fitted in full, their members and out-of-fold predictions.

        Returns ``kept``, the indices of the configurations fitted in full,
        ``members[m][j]`` and ``oof[m]`` of shape (n_samples, ...) for each
        of them: row ``i`` of fold ``j`` predicted by ``members[m][j]``; a
        row of fold -1, which no member held out, by the mean of them all.
        Past ``deadline`` the members of the first configuration still train
        (one epoch at least), those of the others are skipped and their
        configuration left out; both are told in ``notes``.
        """
        n_folds = seeds.shape[1]
        tasks = [(m, j) for m in range(len(configurations)) for j in range(n_folds)]
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(clone(configurations[m][1]), X, y, training[j],
                                 np.flatnonzero(folds == j), int(seeds[m, j]),
                                 type(self)._member_predict, deadline, m > 0)
            for m, j in tasks)
        # results[m][j]: (member, predictions, stopped), or None if skipped
        results = [fitted[m * n_folds:(m + 1) * n_folds]
                   for m in range(len(configurations))]
        kept = [m for m, row in enumerate(results) if None not in row]
        self._note_time_limit([name for name, _ in configurations], results, kept, notes)
        members = [[member for member, _, _ in results[m]] for m in kept]
        oof = [None] * len(kept)
        for i, m in enumerate(kept):
            for j, (_, P, _) in enumerate(results[m]):
                if oof[i] is None:
                    oof[i] = np.zeros((len(y), *P.shape[1:]), dtype=np.float64)
                oof[i][folds == j] = P
        unheld = folds < 0
        if unheld.any():
            for m, row in enumerate(members):
                oof[m][unheld] = np.mean([self._member_predict(e, X[unheld])
                                          for e in row], axis=0)
        return kept, members, oof

    def _note_time_limit(self, names, results, kept, notes):
        """Say in ``notes`` what ``time_limit`` cut: members stopped, configurations."""
        for m in kept:
            stopped = sum(stop for _, _, stop in results[m])
            if stopped:
                notes.append(
                    f"time_limit={self.time_limit:g} s: {stopped} of the "
                    f"{len(results[m])} members of configuration {names[m]!r} were "
                    "still training at the limit and stopped there (a network after "
                    "its running epoch, with the weights of its best epoch under "
                    "early stopping).")
        left_out = [names[m] for m in range(len(names)) if m not in kept]
        if left_out:
            notes.append(
                f"time_limit={self.time_limit:g} s: configurations {left_out} left "
                "out, their members could not all start before the limit.")

    def _make_folds(self, y_codes, n_samples, rng):
        """``folds``, the number of folds, and the notes a report should print."""
        notes = []
        can_hold = n_samples if y_codes is None else int(
            np.bincount(y_codes)[np.bincount(y_codes) >= 2].sum())
        if can_hold < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 rows it can hold out "
                f"(classes of 2 rows or more); got n_samples={n_samples}.")
        n_folds = min(self.n_folds, can_hold)
        if n_folds < self.n_folds:
            notes.append(f"n_folds={self.n_folds} lowered to {n_folds}: only "
                         f"{can_hold} rows can be held out.")
        folds = assign_folds(y_codes, n_samples, n_folds, rng)
        if y_codes is not None:
            counts = np.bincount(y_codes)
            small = self.classes_[(counts >= 2) & (counts < n_folds)]
            single = self.classes_[counts == 1]
            if len(small):
                notes.append(f"classes {small.tolist()} have fewer rows than the "
                             f"{n_folds} folds: folds are stratified, but those "
                             "classes are missing from some folds' validation rows.")
            if len(single):
                notes.append(f"classes {single.tolist()} have a single row: it is "
                             "in every member's training rows, held out by none, "
                             "and its out-of-fold prediction is in-sample.")
        return folds, n_folds, notes

    def _store_fit(self, configurations, members, oof, ensemble_oof, weights, folds,
                   n_folds, notes, y, held):
        self.config_names_ = [name for name, _ in configurations]
        self.weights_ = weights
        # every member is kept, those of weight 0 too: predict skips them, and
        # a report can still show what each configuration predicts
        self.estimators_ = members
        self.folds_ = folds
        self.n_folds_ = n_folds
        self.fold_notes_ = notes
        self.oof_predictions_ = ensemble_oof
        self.oof_scores_ = self._scores(y[held], ensemble_oof[held])
        self.config_scores_ = [self._scores(y[held], P[held]) for P in oof]
        self.member_scores_ = [
            [self._scores(y[folds == j], P[folds == j]) for j in range(n_folds)]
            for P in oof]
        self._stacked = {}  # filled by predict, see _stacked_members

    # -------------------------------------------------------------- predict

    # the networks' own input check, for the same reason: a finite float
    # ndarray of the fitted width skips validate_data (about 60 microseconds,
    # more than the stacked members of a one-row prediction take)
    _validated_X = BaseMLPScratch._validated_X

    def _mean_prediction(self, X):
        """The weighted mean over configurations of their members' mean."""
        X = self._validated_X(X)
        total = 0.0
        for m, (weight, members) in enumerate(zip(self.weights_, self.estimators_)):
            if weight == 0:
                continue
            stacked = self._stacked_members(m)
            P = ([self._member_predict(e, X) for e in members] if stacked is None
                 else self._stacked_predict(stacked, X))
            total = total + weight * np.mean(P, axis=0, dtype=np.float64)
        return total

    def _stacked_members(self, m):
        """Configuration ``m``'s members stacked for one pass, or None.

        Members whose networks are of one class with the same layer shapes,
        dtype and activations are stacked once, at the first prediction
        (:func:`~skmlp_scratch._network.stack_networks`), and kept until the
        next fit; a pickle leaves them out. A ``Pipeline`` member's
        transformers (each fitted on its own folds) encode the rows for its
        network first, and the encodings go through the networks side by
        side; encodings of different widths (a column with fewer distinct
        quantiles in some folds) are padded with zeros, and the first
        layers with rows of zeros. Any other configuration gives None and is
        predicted member by member.
        """
        cache = vars(self).setdefault("_stacked", {})
        if m not in cache:
            members = self.estimators_[m]
            signatures = {_network_signature(e) for e in members}
            cache[m] = None
            if len(members) > 1 and len(signatures) == 1 and None not in signatures:
                parts = [_encoders_and_network(e) for e in members]
                networks = [network for _, network in parts]
                encoders = [steps for steps, _ in parts] if parts[0][0] else None
                n_features = (max(e.coefs_[0].shape[0] for e in networks)
                              if encoders else None)
                params = stack_networks([(e.coefs_, e.intercepts_) for e in networks],
                                        n_features)
                cache[m] = (networks[0], *params, networks[0]._layer_activations(),
                            encoders)
        return cache[m]

    def _stacked_forward(self, stacked, X):
        """The stacked networks' outputs, of shape (k, n_samples, n_outputs)."""
        first, coefs, intercepts, activations, encoders = stacked

        def forward(X):
            if encoders is not None:  # each network reads its own encoding
                encoded = [_encoded(steps, X) for steps in encoders]
                X = np.zeros((len(encoded), X.shape[0], coefs[0].shape[0]),
                             dtype=np.result_type(*encoded))
                for j, X_j in enumerate(encoded):  # zeros meet the padded weights
                    X[j, :, :X_j.shape[1]] = X_j
            return forward_stacked(X, coefs, intercepts, activations)

        if X.shape[0] <= _STACKED_CHUNK:
            return forward(X)
        return np.concatenate([forward(X[start:start + _STACKED_CHUNK])
                               for start in range(0, X.shape[0], _STACKED_CHUNK)],
                              axis=1)

    def __getstate__(self):
        # the stacked weights copy the members': rebuilt at the first prediction
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k != "_stacked"}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_PARAMETERS = """
    Parameters
    ----------
    estimators : list of (str, estimator) or None, default=None
        The configurations, each cross-fitted on the same folds: a name and an
        unfitted estimator. An estimator whose ``fit`` takes ``X_val`` and
        ``y_val`` (:class:`~skmlp_scratch.MLPScratchClassifier`,
        :class:`~skmlp_scratch.MLPScratchRegressor`) is early-stopped on its
        held-out fold when its ``early_stopping=True``; the transformers of a
        ``Pipeline`` are fitted on the training folds and transform the held-out
        fold for its last step. None: one network{default}, named
        ``"network"``. A grid reaches a configuration's parameters as
        ``name__param``.
    n_folds : int, default=5
        Folds, and members per configuration; fewer if fewer rows can be held
        out (see ``n_folds_``).
    max_samples : int or None, default=None
        Rows a member trains on at most. A member whose training folds hold
        more trains on a random sample of ``max_samples`` of them (by class:
        each class its share, one row at least; see :func:`sample_rows`),
        drawn once per fold, the
        same for every configuration; it is still early-stopped on, and
        predicts, its whole held-out fold. The fit's cost then stops growing
        with the table's rows. None: every row of the training folds. A table
        whose members all have ``max_samples`` rows or fewer is fitted exactly
        as with None.
    time_limit : float or None, default=None
        Seconds the whole fit may take. Configurations are fitted in the
        order of ``estimators``; a network still training at the limit stops
        after its running epoch (through its ``max_time``), and a
        configuration whose members cannot all start before it is left out;
        the members of the first configuration always train, one epoch at
        least, so the ensemble is usable. ``fold_notes_`` says what was cut.
        A fit cut by the limit depends on the machine's speed; None (no
        limit) keeps the fit bit-identical for a given ``random_state``.
    selection_rounds : int, default=25
        Rounds of greedy ensemble selection over the configurations (unused
        with one).
    n_jobs : int or None, default=None
        Members fitted at once, by :mod:`joblib`; None is 1 unless in a
        ``joblib.parallel_config`` context, -1 is every core. The fitted
        ensemble does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Draws the folds and each member's seed (which replaces the member's own
        ``random_state``); an int gives a bit-identical ensemble at every fit.
"""

_ATTRIBUTES = """
    estimators_ : list of list of estimator
        ``estimators_[m][j]``: configuration ``m`` fitted on every fold but
        ``j``; those of a configuration of weight 0 are kept but not used.
    config_names_ : list of str
        The configurations' names, in the order of ``estimators``: all of
        them, unless ``time_limit`` left some out (``fold_notes_`` names
        them).
    weights_ : ndarray of shape (n_configs,)
        Each configuration's weight in the mean, from greedy selection; sums
        to 1.
    folds_ : ndarray of shape (n_samples,)
        The fold of each training row, or -1 for a row held out by no member.
    n_folds_ : int
        Folds used.
    fold_notes_ : list of str
        What the fit could not do as asked (fewer folds, small classes) and
        what bounded it (``max_samples``, ``time_limit``), in words for a
        report; empty when nothing.
    oof_predictions_ : ndarray of shape {oof_shape}
        The ensemble's out-of-fold prediction of each training row: each
        configuration's member that did not train on the row, weighted by
        ``weights_``.
    oof_scores_ : dict of str to float
        The ensemble's out-of-fold scores ({scores}), over the rows held out.
    config_scores_ : list of dict
        The same for each configuration alone.
    member_scores_ : list of list of dict
        ``member_scores_[m][j]``: member ``j`` of configuration ``m`` scored
        on its own fold, the fold it was early-stopped on.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.
"""


# -------------------------------------------------------------- classifier


class CrossFitClassifier(ClassifierMixin, _BaseCrossFit):
    __doc__ = """Cross-fitted ensemble classifier: the mean of k networks' probabilities.

    Each configuration is fitted ``n_folds`` times on folds stratified by
    class, each member on all folds but one and early-stopped on that one;
    the prediction is the mean of the members' probabilities, weighted across
    configurations by greedy ensemble selection on the out-of-fold
    probabilities. A class too small for every fold is noted in
    ``fold_notes_``, never refused.
""" + _PARAMETERS.format(default=" (``MLPScratchClassifier(early_stopping=True)``)") + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.""" + _ATTRIBUTES.format(
        oof_shape="(n_samples, n_classes)",
        scores="``log_loss`` and ``accuracy``") + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmlp_scratch import MLPScratchClassifier
    >>> from skmlp_scratch.ensemble import CrossFitClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> network = MLPScratchClassifier((16,), early_stopping=True, max_iter=300,
    ...                                learning_rate_init=0.01)
    >>> model = CrossFitClassifier([("net", network)], random_state=0).fit(X, y)
    >>> model.oof_predictions_.shape
    (150, 3)
    >>> model.oof_scores_["accuracy"] > 0.8
    True
    """

    _multi_output_targets = False

    @staticmethod
    def _default_network():
        return MLPScratchClassifier(early_stopping=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit every member, select the weights, keep the out-of-fold scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : CrossFitClassifier
            The fitted ensemble. If fitting raises, the ensemble keeps exactly
            the state it had before the call.
        """
        return self._fit_all_or_nothing(X, y)

    def _check_targets(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 "
                             f"classes; got only one class: {self.classes_[0]}.")
        return y, y_codes, y_codes

    @staticmethod
    def _member_predict(member, X):
        return CrossFitClassifier._rescaled(member.predict_proba(X))

    def _stacked_predict(self, stacked, X):
        # the members' predict_proba, of shape (k, n_samples, n_classes)
        return self._rescaled(stacked[0]._probabilities(self._stacked_forward(stacked, X)))

    @staticmethod
    def _rescaled(P):
        # float32 probabilities sum to 1 within float32's precision only:
        # rescaled in float64, their means sum to 1 as scikit-learn's metrics expect
        P = np.asarray(P, dtype=np.float64)
        return P / P.sum(axis=-1, keepdims=True)

    @staticmethod
    def _selection_loss(y_codes, P):
        return -np.mean(np.log(np.maximum(P[np.arange(len(y_codes)), y_codes], _EPS)))

    def _scores(self, y, P):
        if len(y) == 0:
            return {"log_loss": float("nan"), "accuracy": float("nan")}
        return {"log_loss": float(log_loss(y, P, labels=self.classes_)),
                "accuracy": float(accuracy_score(y, self.classes_[P.argmax(axis=1)]))}

    def predict_proba(self, X):
        """Class probabilities: the weighted mean of the members'.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``; float64.
        """
        return self._mean_prediction(X)

    def predict(self, X):
        """Predict the labels of the highest mean probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks that the ensemble is fitted first
        return self.classes_[proba.argmax(axis=1)]


# --------------------------------------------------------------- regressor


class CrossFitRegressor(RegressorMixin, _BaseCrossFit):
    __doc__ = """Cross-fitted ensemble regressor: the mean of k networks' predictions.

    Each configuration is fitted ``n_folds`` times on shuffled folds, each
    member on all folds but one and early-stopped on that one; the prediction
    is the mean of the members', weighted across configurations by greedy
    ensemble selection on the out-of-fold squared error.
""" + _PARAMETERS.format(default=" (``MLPScratchRegressor(early_stopping=True)``)") + """
    Attributes
    ----------""" + _ATTRIBUTES.format(
        oof_shape="(n_samples,) or (n_samples, n_outputs)",
        scores="``r2`` and ``squared_error``, the mean over rows and outputs") + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skmlp_scratch import MLPScratchRegressor
    >>> from skmlp_scratch.ensemble import CrossFitRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> network = MLPScratchRegressor(hidden_layer_sizes=(32,), early_stopping=True,
    ...                               max_iter=500, learning_rate_init=0.01)
    >>> model = CrossFitRegressor([("net", network)], random_state=0).fit(X, y / 100)
    >>> model.oof_scores_["r2"] > 0.9
    True
    """

    _multi_output_targets = True

    @staticmethod
    def _default_network():
        return MLPScratchRegressor(early_stopping=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit every member, select the weights, keep the out-of-fold scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : CrossFitRegressor
            The fitted ensemble. If fitting raises, the ensemble keeps exactly
            the state it had before the call.
        """
        return self._fit_all_or_nothing(X, y)

    def _check_targets(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y, None, y

    @staticmethod
    def _member_predict(member, X):
        return member.predict(X)

    def _stacked_predict(self, stacked, X):
        # the members' predict, of shape (k, n_samples, ...)
        return stacked[0]._decode_outputs(self._stacked_forward(stacked, X))

    @staticmethod
    def _selection_loss(y, P):
        return float(np.mean((P - y) ** 2))

    @staticmethod
    def _scores(y, P):
        if len(y) < 2:
            return {"r2": float("nan"), "squared_error": float("nan")}
        return {"r2": float(r2_score(y, P)),
                "squared_error": float(np.mean((P - y) ** 2))}

    def predict(self, X):
        """Predict targets: the weighted mean of the members'.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            In float64.
        """
        return self._mean_prediction(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
