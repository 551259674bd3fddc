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
  (:data:`TRUSTED_TYPES`), the only ones a ``.skops`` file may name.
"""

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline

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
    "skmlp_scratch.tabular._pipeline.AsText",
    "skmlp_scratch.tabular._pipeline.Cast",
    "skmlp_scratch.tabular._pipeline.LogTarget",
    "skmlp_scratch.tabular._pipeline.SoftClip",
    "skmlp_scratch.tabular._pipeline._LevelEncoder",
    "skmlp_scratch.tabular._pipeline._SmearedTargetRegressor",
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
    """The network (or other estimator) at the end of a tabular pipeline.

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
