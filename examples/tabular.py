"""A table of your own, end to end
================================

Your own table through a scikit-learn pipeline: read, preprocess, search, score.

HMDA (Boston mortgage applications, shipped with the examples:
``examples/data/README.md`` gives the source) holds 2,380 applications, whether each was denied (``deny``, yes for 12 %)
and thirteen columns beside it: debt and loan-to-value ratios and
credit-history scores as numbers, flags such as ``selfemp`` and ``single`` as
yes/no text. ``skmlp_scratch.tabular`` takes such a table as it comes:
``read_table`` reads the CSV, ``infer_task`` sees that yes/no labels make a
classification task, and ``make_tabular_pipeline`` puts a ``ColumnTransformer``
(numeric columns imputed and scaled, text columns one-hot encoded, chosen by
dtype) before ``MLPScratchClassifier`` in one ``Pipeline``, fitted on the
training rows only. ``GridSearchCV`` then compares the three numeric scalings,
``class_weight`` None against "balanced", and the L2 strength ``alpha``.

With 88 % of the applications accepted, a model that always says "no" is
88 % accurate and useless, so the search ranks by balanced accuracy (the mean
of the recall of each class: 0.5 for that model) and records ROC AUC beside it.

The script prints the columns the network sees, the cross-validated scores of
every candidate, and the test accuracy, balanced accuracy and ROC AUC of the
best network and of a logistic regression in the same preprocessing, and
saves ``tabular.png``: the ROC and precision-recall curves of both on the
test set, with a dot where each one's ``predict`` (a probability of 0.5)
lies on its ROC curve.

Run it with::

    python examples/tabular.py                    # 15-30 s on 2 cores
    python examples/tabular.py --data /path/to/another/HMDA.csv
    python examples/tabular.py --small            # a few seconds

class_weight="balanced" is what lifts balanced accuracy (from about 0.62 to
0.73): it moves the decision threshold towards the rare class. It leaves ROC
AUC, which looks at the ranking of the applications and not at a threshold,
about where it was; so does the choice of scaler. The logistic regression
ranks about as well as the network: on thirteen columns of this kind there is
little non-linear structure left for hidden units to find.
"""

import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (PrecisionRecallDisplay, RocCurveDisplay,
                             accuracy_score, balanced_accuracy_score, roc_auc_score)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from _common import EXAMPLE_TABLES, make_simple_parser, read_table, save_figure
from skmlp_scratch import MLPScratchClassifier
from skmlp_scratch.tabular import NUMERIC_SCALERS, infer_task, make_tabular_pipeline

TARGET = "deny"
POSITIVE = "yes"
SCALE_STEP = "preprocess__numeric__scale"

# "scaler" names an entry of NUMERIC_SCALERS, the step the grid sets as
# preprocess__numeric__scale; the other names are the network's parameters
FULL_GRID = {
    "scaler": ["robust", "standard", "quantile"],
    "class_weight": [None, "balanced"],
    "alpha": [1e-4, 1e-2, 1.0],
}
SMALL_GRID = {
    "scaler": ["robust", "standard"],
    "class_weight": [None, "balanced"],
    "alpha": [1e-4],
}


def load_applications(args):
    """Stratified train and test split: features as a DataFrame, labels as yes/no."""
    table = read_table(args.data)  # skmlp_scratch.tabular's, exiting with a hint
    y = table.pop(TARGET)
    # stratified, so that the 12 % of denials is 12 % of the test rows too,
    # not left to chance on 595 rows
    X_train, X_test, y_train, y_test = train_test_split(
        table, y, test_size=0.25, stratify=y, random_state=0)
    print(f"{args.data.name}: {len(y_train)} training and {len(y_test)} test rows, "
          f"{table.shape[1]} columns; target {TARGET!r}: {infer_task(y)}, "
          f"{np.mean(y == POSITIVE):.0%} {POSITIVE!r}")
    return X_train, X_test, y_train, y_test


def make_network(args):
    """The classifier at the end of every candidate pipeline."""
    return MLPScratchClassifier(
        hidden_layer_sizes=(16,) if args.small else (32,),
        # early stopping keeps the weights of the best epoch on a stratified
        # tenth of each fit's rows; it watches the validation log loss because
        # accuracy on ~140 rows, 88 % of them "no", hardly moves between epochs
        early_stopping=True, scoring="loss",
        max_iter=50 if args.small else 200, random_state=0)


def search_grid(grid):
    """``grid`` in the pipeline's parameter names, and the name of each scaler.

    Returns
    -------
    param_grid : dict
        For ``GridSearchCV``: ``"preprocess__numeric__scale"`` lists one scaler
        per name, the other names get the ``"model__"`` prefix of the network.
    scaler_of : dict
        ``id(scaler) -> name``, to print a candidate readably:
        ``cv_results_["params"]`` holds the grid's own objects, not clones.
    """
    scalers = [NUMERIC_SCALERS[name]() for name in grid["scaler"]]
    param_grid = {SCALE_STEP: scalers}
    param_grid.update({f"model__{name}": values for name, values in grid.items()
                       if name != "scaler"})
    scaler_of = {id(s): name for s, name in zip(scalers, grid["scaler"])}
    return param_grid, scaler_of


def describe(params, scaler_of):
    """A candidate's parameters as short text, its scaler by name."""
    return ", ".join(f"scaler={scaler_of[id(value)]}" if key == SCALE_STEP
                     else f"{key.removeprefix('model__')}={value}"
                     for key, value in params.items())


def print_ranking(search, scaler_of):
    """Every candidate of ``search``, best first, with both cross-validated scores."""
    results = search.cv_results_
    order = np.argsort(results["rank_test_balanced_accuracy"], kind="stable")
    print(f"{'rank':>4}  {'CV balanced acc.':>16}  {'CV ROC AUC':>10}  {'fit s':>5}  "
          "parameters")
    for i in order:
        mean = results["mean_test_balanced_accuracy"][i]
        std = results["std_test_balanced_accuracy"][i]
        print(f"{results['rank_test_balanced_accuracy'][i]:>4}  {mean:.3f} +- {std:.3f}"
              f"    {results['mean_test_roc_auc'][i]:>10.3f}  "
              f"{results['mean_fit_time'][i]:>5.2f}  "
              f"{describe(results['params'][i], scaler_of)}")


def score_on_test(model, X_test, y_test):
    """Accuracy, balanced accuracy and ROC AUC of ``model`` on the test rows."""
    y_pred = model.predict(X_test)
    # ROC AUC scores the predicted probability of "yes", the column of
    # classes_ that holds it (classes are sorted: "no", "yes")
    column = list(model.classes_).index(POSITIVE)
    y_score = model.predict_proba(X_test)[:, column]
    return {"accuracy": accuracy_score(y_test, y_pred),
            "balanced accuracy": balanced_accuracy_score(y_test, y_pred),
            "ROC AUC": roc_auc_score(y_test == POSITIVE, y_score)}


def plot_curves(models, X_test, y_test):
    """ROC and precision-recall curves of each of ``models`` on the test rows."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    roc_ax, pr_ax = fig.subplots(1, 2)
    denied = np.asarray(y_test) == POSITIVE
    for i, (name, model) in enumerate(models.items()):
        # the chance line once per panel: the diagonal, and the share of
        # denials, which is the precision of guessing at random
        last = i == len(models) - 1
        roc = RocCurveDisplay.from_estimator(
            model, X_test, y_test, pos_label=POSITIVE, name=name, ax=roc_ax,
            plot_chance_level=last)
        PrecisionRecallDisplay.from_estimator(model, X_test, y_test,
                                              pos_label=POSITIVE, name=name,
                                              ax=pr_ax, plot_chance_level=last)
        # where predict() sits on the curve: its threshold of 0.5 on the
        # probability of "yes", which class weights move along the curve
        y_pred = model.predict(X_test)
        fpr = np.mean(y_pred[~denied] == POSITIVE)
        tpr = np.mean(y_pred[denied] == POSITIVE)
        roc_ax.plot(fpr, tpr, "o", color=roc.line_.get_color(), markersize=8,
                    label=f"{name}: predict()")
    roc_ax.legend(loc="lower right")
    roc_ax.set_title("ROC curve (test set)")
    pr_ax.set_title(f"precision-recall of {TARGET}={POSITIVE!r} (test set)")
    return fig


def main(argv=None):
    parser = make_simple_parser(
        __doc__, small_help="a 2 x 2 grid of a 16-unit network, 3 folds, at most "
                            "50 epochs")
    parser.add_argument(
        "--data", type=Path, default=EXAMPLE_TABLES / "HMDA.csv",
        help="a table with HMDA's columns as CSV; default: the copy shipped in "
             "examples/data")
    args = parser.parse_args(argv)
    X_train, X_test, y_train, y_test = load_applications(args)

    grid = SMALL_GRID if args.small else FULL_GRID
    param_grid, scaler_of = search_grid(grid)
    pipeline = make_tabular_pipeline(make_network(args), task="classification")
    # class_weight="balanced" weighs each denial by 2095 / 285, about 7 times
    # an acceptance, so both classes carry the same total weight in the loss;
    # without it the network gains most by predicting "no", and a probability
    # above 0.5 for "yes" is rare. The search shows what that does to each score.
    search = GridSearchCV(
        pipeline, param_grid, scoring=["balanced_accuracy", "roc_auc"],
        refit="balanced_accuracy",
        cv=StratifiedKFold(n_splits=3 if args.small else 5, shuffle=True,
                           random_state=0))
    with warnings.catch_warnings():
        if args.small:
            # --small caps training at 50 epochs; a fit that early stopping has
            # not ended by then is expected there, not a sign of trouble
            warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)

    best = search.best_estimator_
    names = best[:-1].get_feature_names_out()
    print(f"the network sees {len(names)} columns: {', '.join(names)}")
    print_ranking(search, scaler_of)
    best_text = describe(search.best_params_, scaler_of)
    print(f"best: {best_text}; refitted in {best[-1].n_iter_} epochs, "
          f"{search.refit_time_:.1f} s")

    # the baseline gets the best candidate's preprocessing and class weights,
    # so the comparison is between the two models and nothing else
    best_scaler = scaler_of[id(search.best_params_[SCALE_STEP])]
    baseline = make_tabular_pipeline(
        LogisticRegression(class_weight=search.best_params_["model__class_weight"],
                           max_iter=1000),
        task="classification", numeric=best_scaler)
    baseline.fit(X_train, y_train)
    models = {"MLPScratchClassifier": best, "LogisticRegression": baseline}
    print(f"{'test set':<22}  {'accuracy':>8}  {'balanced acc.':>13}  {'ROC AUC':>7}")
    for name, model in models.items():
        scores = score_on_test(model, X_test, y_test)
        print(f"{name:<22}  {scores['accuracy']:>8.3f}  "
              f"{scores['balanced accuracy']:>13.3f}  {scores['ROC AUC']:>7.3f}")
    print(f"(always answering 'no' is {np.mean(y_test != POSITIVE):.3f} accurate, "
          f"0.5 balanced)")

    fig = plot_curves(models, X_test, y_test)
    fig.suptitle(f"HMDA mortgage denials: best network ({best_text}) against "
                 f"logistic regression, {len(y_train)} training rows")
    save_figure(fig, args, "tabular.png")


if __name__ == "__main__":
    main()
