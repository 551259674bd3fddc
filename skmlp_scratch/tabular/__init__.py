"""Tables in, models out: reading a CSV or Parquet table and the pipeline that fits it.

A table of mixed numeric and categorical columns goes through a
:class:`~sklearn.compose.ColumnTransformer` before it reaches the network:

- **numeric columns** (pandas number dtypes, booleans excluded) are imputed
  with the column's median and scaled by one of :data:`NUMERIC_SCALERS` (see
  :func:`make_preprocessor`); every numeric column that had missing values
  at ``fit`` also gets an unscaled 0/1 column that flags them;
- **categorical columns** (text, ``category`` and boolean dtypes) are imputed
  with the level ``"missing"`` and one-hot encoded; levels seen in fewer than
  ``min_frequency`` training rows are pooled into one "infrequent" column, and
  a column with more than ``max_categories`` levels keeps its
  ``max_categories - 1`` most frequent ones and pools the rest, so a
  high-cardinality column cannot blow up the input layer. A level first seen
  at prediction time is encoded as "infrequent" (or as all zeros when no level
  was pooled), never an error.

Columns are chosen by dtype when the transformer is fitted, so one
preprocessor works for any table and inside
:class:`~sklearn.model_selection.GridSearchCV`. Identifier columns carry no
signal: leave them out of ``X``.

:func:`make_tabular_pipeline` puts the preprocessor and a model in one
:class:`~sklearn.pipeline.Pipeline`: by default a cross-fitted ensemble of
networks (:func:`make_table_model`, :data:`ENSEMBLE_DEFAULTS`), one network
with ``ensemble=False``; for regression the target is
standardised (and, if asked, log-transformed first) through
:class:`~sklearn.compose.TransformedTargetRegressor`, since a network fits a
target of unit scale far better than one in the hundreds.

Reading tables needs pandas, and Parquet files pyarrow
(``pip install "skmlp_scratch[tabular]"`` installs both).

The package has one module per part: ``_reading`` (:func:`read_table`,
:func:`infer_task`, :func:`suspect_columns`), ``_pipeline``
(:func:`make_preprocessor`, :func:`make_tabular_pipeline`, the transformers
they use, :data:`TABLE_DEFAULTS`) and ``_encoders``
(:class:`PiecewiseLinearEncoder`).
"""

from ._contract import final_estimator
from ._encoders import PiecewiseLinearEncoder
from ._pipeline import (
    ENSEMBLE_DEFAULTS,
    NUMERIC_SCALERS,
    PORTFOLIO,
    TABLE_DEFAULTS,
    AsText,
    Cast,
    LogTarget,
    SoftClip,
    make_preprocessor,
    make_table_model,
    make_tabular_pipeline,
    soft_clip,
)
from ._rows import FEW_ROWS, TablePipeline
from ._reading import (
    TableError,
    TableWarning,
    infer_task,
    read_table,
    suspect_columns,
)

__all__ = [
    "AsText",
    "Cast",
    "ENSEMBLE_DEFAULTS",
    "FEW_ROWS",
    "LogTarget",
    "NUMERIC_SCALERS",
    "PORTFOLIO",
    "PiecewiseLinearEncoder",
    "SoftClip",
    "TABLE_DEFAULTS",
    "TableError",
    "TablePipeline",
    "TableWarning",
    "final_estimator",
    "infer_task",
    "make_preprocessor",
    "make_table_model",
    "make_tabular_pipeline",
    "read_table",
    "soft_clip",
    "suspect_columns",
]

