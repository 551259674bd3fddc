"""The contract of a fitted table model: what the command line and the export read.

A table model is the ``Pipeline`` of :func:`~skmlp_scratch.tabular.make_tabular_pipeline`
fitted on a DataFrame. Everything outside ``skmlp_scratch.tabular`` that needs
to know its inside (the command line reading rows for it, ``predict``
loading it from a file, the ONNX export) reads it here, and only here:

- the names of its steps and of the preprocessor's parts
  (:data:`PREPROCESS`, :data:`MODEL`, :data:`NUMERIC`, :data:`CATEGORICAL`);
- the columns each part was fitted on (:func:`fitted_columns`), the numeric
  columns' medians and the categorical columns' levels
  (:func:`numeric_medians`, :func:`categorical_levels`);
- the rule that turns a categorical cell into the text the encoder learnt
  (:func:`cells_as_text`), which the ONNX inputs follow too;
- the types a saved model holds beyond those skops trusts by default
  (:data:`TRUSTED_TYPES`), the only ones a ``.skops`` file may name;
- what the model at its end is: a network, or a cross-fitted ensemble of
  networks (:func:`final_estimator`, :func:`networks`), and the ensemble's
  out-of-fold predictions in the target's own units
  (:func:`out_of_fold_predictions`).
"""

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from ..ensemble import CrossFitClassifier, CrossFitRegressor

# the steps of the table pipeline, and the parts of its ColumnTransformer
PREPROCESS = "preprocess"
MODEL = "model"
NUMERIC = "numeric"
MISSING = "missing"
CATEGORICAL = "categorical"

# the steps inside the parts that hold what was learnt of each column
IMPUTE = "impute"
ENCODE = "encode"

TRUSTED_TYPES = frozenset({
    "numpy.dtype",
    "sklearn.compose._column_transformer.make_column_selector",
    "skmlp_scratch._classifier.MLPScratchClassifier",
    "skmlp_scratch._regressor.MLPScratchRegressor",
    "skmlp_scratch.ensemble.CrossFitClassifier",
    "skmlp_scratch.ensemble.CrossFitRegressor",
    "skmlp_scratch.tabular._encoders.PiecewiseLinearEncoder",
    "skmlp_scratch.tabular._pipeline.AsText",
    "skmlp_scratch.tabular._pipeline.Cast",
    "skmlp_scratch.tabular._pipeline.LogTarget",
    "skmlp_scratch.tabular._pipeline.SoftClip",
    "skmlp_scratch.tabular._pipeline._LevelEncoder",
    "skmlp_scratch.tabular._pipeline._SmearedTargetRegressor",
    "skmlp_scratch.tabular._rows.TablePipeline",
})
"""The types, beyond skops' defaults, that a model saved by ``train`` holds, by exact name.

A ``.skops`` file that names any other is refused unread.
``tests/test_cli_predict.py`` trains every kind of model ``train`` writes and
compares their files with this set both ways, so a step added to the table
pipeline fails there until its name is added here, and a name no model holds
any more fails until it is removed.
"""


def preprocessor(model):
    """The fitted ``ColumnTransformer`` of a table model, or None for any other model."""
    return getattr(model, "named_steps", {}).get(PREPROCESS)


def fitted_columns(model, part):
    """The columns one part of a fitted table model's preprocessor takes.

    Parameters
    ----------
    model : estimator
        A fitted pipeline from :func:`~skmlp_scratch.tabular.make_tabular_pipeline`,
        or any other estimator.
    part : {"numeric", "categorical"}
        The part of :func:`~skmlp_scratch.tabular.make_preprocessor`'s
        ``ColumnTransformer``.

    Returns
    -------
    columns : list of str
        Empty for a model without that part.
    """
    for name, _, columns in getattr(preprocessor(model), "transformers_", ()):
        if name == part:
            return [str(column) for column in columns]
    return []


def is_table_model(model):
    """Whether ``model`` reads a table: its preprocessor took named columns."""
    return bool(fitted_columns(model, NUMERIC) or fitted_columns(model, CATEGORICAL))


def numeric_medians(model):
    """The median each numeric column's gaps are filled with, in column order.

    Returns
    -------
    medians : ndarray of shape (n_numeric_columns,)
    """
    if not fitted_columns(model, NUMERIC):
        return np.empty(0)
    return preprocessor(model).named_transformers_[NUMERIC][IMPUTE].statistics_


def categorical_levels(model):
    """The levels the encoder learnt for each categorical column, as text.

    Returns
    -------
    levels : list of list of str
        One list per column of ``fitted_columns(model, "categorical")``.
    """
    if not fitted_columns(model, CATEGORICAL):
        return []
    encoder = preprocessor(model).named_transformers_[CATEGORICAL][ENCODE]
    return [[str(level) for level in levels] for levels in encoder.categories_]


def cells_as_text(values):
    """Categorical cells as the encoder's text: ``str`` of each, a missing one ``""``.

    Every missing marker pandas knows (None, NaN, ``pd.NA``, ``NaT``) becomes
    the empty string; booleans become ``"True"`` and ``"False"``, integers
    ``"3"``. The table pipeline's ``AsText`` step applies it, and so do the
    inputs of an exported model (:func:`skmlp_scratch.onnx.table_inputs`).

    Parameters
    ----------
    values : array-like
        Any shape.

    Returns
    -------
    text : ndarray of object, of the shape of ``values``
    """
    import pandas as pd  # present: a table model was fitted on a DataFrame

    values = np.asarray(values, dtype=object)
    missing = pd.isna(values)
    text = values.astype(str).astype(object)
    text[missing] = ""
    return text


def final_estimator(model):
    """The network, ensemble (or other estimator) at the end of a tabular pipeline.

    Parameters
    ----------
    model : estimator
        A pipeline from :func:`~skmlp_scratch.tabular.make_tabular_pipeline`,
        fitted or not, or an estimator on its own.

    Returns
    -------
    estimator : estimator
        The fitted ``regressor_`` of a fitted ``TransformedTargetRegressor``,
        its ``regressor`` if unfitted.
    """
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, TransformedTargetRegressor):
        return getattr(model, "regressor_", model.regressor)
    return model


def networks(model):
    """Every network a fitted model predicts with, named, in a fixed order.

    Parameters
    ----------
    model : estimator
        A fitted table pipeline, a cross-fitted ensemble, or a network.

    Returns
    -------
    networks : list of (str, estimator)
        ``("network", network)`` for a single network; for an ensemble one
        entry per member, ``("<configuration> fold <j>", network)`` with ``j``
        from 1, the network taken from the end of a member that is a
        ``Pipeline`` (the ``bins`` configuration's encoder and network), in
        the order of ``estimators_`` (members of weight 0 included). Empty for
        an estimator that is neither.
    """
    estimator = final_estimator(model)
    if not is_ensemble(estimator):
        return [("network", estimator)] if hasattr(estimator, "coefs_") else []
    return [(f"{name} fold {j + 1}", member[-1] if isinstance(member, Pipeline)
             else member)
            for name, members in zip(estimator.config_names_, estimator.estimators_)
            for j, member in enumerate(members)]


def is_ensemble(estimator):
    """Whether ``estimator`` is a cross-fitted ensemble (fitted or not)."""
    return isinstance(estimator, (CrossFitClassifier, CrossFitRegressor))


def out_of_fold_predictions(model):
    """The out-of-fold predictions of a fitted ensemble model, in the target's units.

    An ensemble inside a table regression's ``TransformedTargetRegressor``
    learns the standardised (or log) target, and so are its
    ``oof_predictions_``: here they go back through the target transform
    (and a log target's smearing factor), as ``predict`` does.

    Parameters
    ----------
    model : estimator
        A fitted table pipeline or ensemble.

    Returns
    -------
    oof : ndarray of shape (n_samples, n_classes) or (n_samples,), or None
        Probabilities (columns in the order of ``classes_``) or values of
        each training row, from the members that did not train on it; None
        when the model is not an ensemble.
    """
    estimator = final_estimator(model)
    if not is_ensemble(estimator):
        return None
    oof = estimator.oof_predictions_
    last = model[-1] if isinstance(model, Pipeline) else model
    if not isinstance(last, TransformedTargetRegressor):
        return oof
    values = last.transformer_.inverse_transform(oof.reshape(len(oof), -1))
    values = values * getattr(last, "smearing_", 1.0)
    return values.reshape(oof.shape)
