"""Few rows through a fitted table model, without the DataFrame machinery.

A web service predicts one row per request. Through the ``Pipeline`` of
:func:`~skmlp_scratch.tabular.make_tabular_pipeline` that row costs several
milliseconds of column selection, pandas indexing and input checks in the
``ColumnTransformer`` for some microseconds of arithmetic. :class:`TablePipeline`
is that ``Pipeline`` with one addition: ``predict`` and ``predict_proba`` of
a DataFrame of at most :data:`FEW_ROWS` rows run a :class:`RowPlan`, the
fitted preprocessor read once into plain arrays (fill values, centres and
scales, each categorical level's encoded row) and applied with a handful of
NumPy operations, in the order and the float types the steps themselves
use, so that the model receives the same numbers to the bit.

The plan covers the preprocessors :func:`make_preprocessor` builds. A model
or a table it does not cover goes the usual way, which also raises the
usual errors: other steps at the head of a part, columns in another order or
missing, a numeric column that does not convert to float as the steps would
convert it, a value beyond the float range, an unseen level an encoder
refuses.
"""

import numpy as np
from sklearn import get_config
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.metaestimators import available_if

from ._contract import PREPROCESS, cells_as_text
from ._pipeline import AsText, Cast, _ElementwiseTransformer

FEW_ROWS = 1_000
"""Most rows :class:`TablePipeline` predicts through its :class:`RowPlan`.

Serving sizes; more rows go through the ``ColumnTransformer``, whose
per-call cost no longer matters next to the arithmetic, and whose encoders
look levels up without a Python loop over the rows.
"""


class _NotCovered(Exception):
    """The plan does not cover this model or these rows: the full pipeline runs."""


# ------------------------------------------------------------------- steps


def _first_step(step):
    """The function a part's first step applies to the raw cells of its columns.

    The first step is the one that reads the DataFrame's columns; its own
    input check decides how cells become numbers, so each kind covered here
    converts as that check does.
    """
    if isinstance(step, SimpleImputer):
        fill = _imputer_fill(step)
        return lambda cells: _filled(_as_float(cells), fill)
    if isinstance(step, Cast):
        # validate_data(dtype=None) keeps the cells as they are; Cast converts
        return lambda cells: _finite(_converted(cells, step.dtype), step)
    if isinstance(step, MissingIndicator):
        flag = _missing_flags(step)
        return lambda cells: flag(_numeric_only(cells))
    raise _NotCovered(type(step).__name__)


def _check_fitted_on_arrays(step):
    """Refuse a step that a pipeline would not hand a plain ndarray unchanged."""
    if hasattr(step, "feature_names_in_") or _output_config(step) != "default":
        raise _NotCovered(f"{type(step).__name__} fitted on a DataFrame or set to "
                          "output one")


def _output_config(estimator):
    """What ``estimator.transform`` returns: "default" (an ndarray), "pandas", ...

    Its own ``set_output`` choice, else the global ``transform_output``, as
    scikit-learn decides it.
    """
    own = getattr(estimator, "_sklearn_output_config", {})
    return own.get("transform", get_config()["transform_output"])


def _next_step(step):
    """The function a step after the first applies to its predecessor's array.

    Within a ``Pipeline`` a step receives the previous step's ndarray. The
    steps named here are applied directly, as their ``transform`` computes
    after its checks; any other step's own ``transform`` runs, which is
    exactly what the pipeline would call.
    """
    _check_fitted_on_arrays(step)
    if type(step) is RobustScaler:
        return lambda X: _robust_scaled(step, X)
    if type(step) is StandardScaler:
        return lambda X: _standard_scaled(step, X)
    if isinstance(step, MissingIndicator):
        return _missing_flags(step)
    if isinstance(step, _ElementwiseTransformer):
        return lambda X: step._apply(_finite(X, step))
    return step.transform


def _is_nan(value):
    return isinstance(value, float) and np.isnan(value)


def _converted(cells, dtype):
    try:
        return np.asarray(cells, dtype=dtype)
    except (TypeError, ValueError) as error:  # text in a numeric column
        raise _NotCovered(str(error)) from None


def _as_float(cells):
    """Numeric cells as float64, as ``check_array(dtype=FLOAT_DTYPES)`` reads them.

    A DataFrame of numbers of several types (or holding objects) becomes
    float64 there; one whose numeric columns are all float32 stays float32,
    a case the plan leaves to the pipeline (``cells`` is then float32).
    """
    if cells.dtype == np.float32:
        raise _NotCovered("float32 columns")
    X = _converted(cells, np.float64)
    if np.isinf(X).any():  # the imputer's check refuses infinity
        raise _NotCovered("infinity")
    return X


def _numeric_only(cells):
    """Cells as float for ``MissingIndicator``, which reads objects its own way.

    ``MissingIndicator`` keeps an object array as objects, where ``None`` is
    not missing (only NaN is); numbers it reads as float.
    """
    if cells.dtype.kind not in "iuf":
        raise _NotCovered("object cells for MissingIndicator")
    return np.asarray(cells, dtype=np.float64)


def _finite(X, step):
    """``X``, if ``step``'s check would accept its values; else the pipeline runs."""
    if step._validation.get("ensure_all_finite", True) is True and not np.isfinite(
            X).all():
        raise _NotCovered("a value that is not finite")
    return X


def _imputer_fill(imputer):
    """The value the imputer puts in each column's gap, as ``transform`` puts it.

    Read by imputing a row of gaps: the statistics in the type the imputer
    casts them to, and a column without statistic (dropped) shows as a
    narrower output, which the plan does not cover.
    """
    if not _is_nan(imputer.missing_values) or imputer.add_indicator:
        raise _NotCovered("an imputer of other missing values or with indicator")
    names = getattr(imputer, "feature_names_in_", None)
    gaps = np.full((1, imputer.n_features_in_), np.nan)
    if names is not None:
        import pandas as pd

        gaps = pd.DataFrame(gaps, columns=names)
    fill = imputer.transform(gaps)
    if fill.shape != (1, imputer.n_features_in_) or not np.isfinite(fill).all():
        raise _NotCovered("an imputer that drops a column")
    return fill


def _filled(X, fill):
    np.copyto(X, fill, where=np.isnan(X))
    return X


def _robust_scaled(scaler, X):
    # RobustScaler.transform: in place, centre and scale in their own float64
    if scaler.with_centering:
        X -= scaler.center_
    if scaler.with_scaling:
        X /= scaler.scale_
    return X


def _standard_scaled(scaler, X):
    # StandardScaler.transform: in place, mean and scale cast to X's type first
    if scaler.with_mean:
        X -= scaler.mean_.astype(X.dtype)
    if scaler.with_std:
        X /= scaler.scale_.astype(X.dtype)
    return X


def _missing_flags(indicator):
    """``MissingIndicator.transform`` of float input: NaN flags of its columns."""
    if not _is_nan(indicator.missing_values) or indicator.sparse is True:
        raise _NotCovered("a MissingIndicator of other missing values or sparse output")
    columns = indicator.features_

    def flag(X):
        missing = np.isnan(X)
        if indicator.error_on_new and missing.any(axis=0).sum() > missing[:, columns].any(
                axis=0).sum():
            raise _NotCovered("a gap in a column that had none")
        return missing[:, columns]
    return flag


# ------------------------------------------------------------- categories


class _Levels:
    """A categorical part after its text step, as one lookup table per column.

    The steps after ``AsText`` (imputer, encoder) treat each column on its
    own, so each column's encoded row for every text it can meet is read by
    running those steps once on all of them: every level the encoder knows,
    the empty text (a missing cell) and one text it has never seen, which
    gives the row of every unseen level. A text the steps refuse (an unseen
    level, for an encoder with ``handle_unknown="error"``) has no row: a row
    holding it goes through the pipeline, which raises its error.
    """

    _UNSEEN = "\x00unseen level\x00"

    def __init__(self, steps, n_columns):
        *head, encoder = steps
        if not all(isinstance(step, SimpleImputer) for step in head) or not isinstance(
                encoder, (OneHotEncoder, OrdinalEncoder)) or encoder.n_features_in_ != (
                    n_columns):
            raise _NotCovered("a categorical part of other steps")
        for step in steps:
            _check_fitted_on_arrays(step)
        if not all(isinstance(level, str) for levels in encoder.categories_
                   for level in levels):
            raise _NotCovered("levels that are not text")
        known = [list(levels) for levels in encoder.categories_]
        if any(self._UNSEEN in levels for levels in known):
            raise _NotCovered("a level that looks like the unseen marker")
        # a missing cell's "" and an unseen level, where the steps accept them
        texts = [levels + [text for text in ("", self._UNSEEN)
                           if _accepted(steps, known, j, text)]
                 for j, levels in enumerate(known)]
        n_rows = max(len(levels) for levels in texts)
        probe = np.array([levels + levels[:1] * (n_rows - len(levels)) for levels in texts],
                         dtype=object).T
        encoded = probe
        for step in steps:
            encoded = step.transform(encoded)
        blocks = _column_blocks(encoder, n_columns)
        self.tables = [np.ascontiguousarray(encoded[:, block]) for block in blocks]
        self.blocks = blocks
        self.rows = [{text: row for row, text in enumerate(levels)} for levels in texts]
        self.unseen = [rows.get(self._UNSEEN) for rows in self.rows]
        self.width, self.dtype = encoded.shape[1], encoded.dtype

    def __call__(self, text):
        out = np.empty((text.shape[0], self.width), dtype=self.dtype)
        for j, (rows, unseen, table, block) in enumerate(zip(
                self.rows, self.unseen, self.tables, self.blocks)):
            found = [rows.get(cell, unseen) for cell in text[:, j]]  # few rows
            if None in found:
                raise _NotCovered("a level the encoder refuses")
            out[:, block] = table[found]
        return out


def _accepted(steps, known, j, text):
    """Whether the steps take ``text`` in column ``j`` (known levels elsewhere)."""
    row = np.array([[levels[0] for levels in known]], dtype=object)
    row[0, j] = text
    try:
        for step in steps:
            row = step.transform(row)
    except ValueError:  # an encoder that refuses unseen levels
        return False
    return True


def _column_blocks(encoder, n_columns):
    """The output columns of each input column of an encoder, as slices."""
    names = [f"c{j}" for j in range(n_columns)]
    if isinstance(encoder, OrdinalEncoder):
        return [slice(j, j + 1) for j in range(n_columns)]
    outputs = list(encoder.get_feature_names_out(names))
    counts = [sum(name.startswith(f"{prefix}_") for name in outputs) for prefix in names]
    if sum(counts) != len(outputs):
        raise _NotCovered("an encoder whose output names do not tell its columns")
    ends = np.cumsum(counts)
    return [slice(end - count, end) for end, count in zip(ends, counts)]


# ------------------------------------------------------------------- plan


class RowPlan:
    """A fitted table preprocessor as NumPy operations on a few DataFrame rows.

    Built from a fitted ``ColumnTransformer`` of
    :func:`~skmlp_scratch.tabular.make_preprocessor` (or one of the same
    kinds of parts) by :meth:`from_preprocessor`; :meth:`transform` gives
    what the ``ColumnTransformer``'s ``transform`` gives for the same rows.

    Parameters
    ----------
    columns : list of str
        The columns the preprocessor was fitted on, in order.
    parts : list of (ndarray of int, list of callable)
        Each part's input columns (positions in ``columns``) and the
        functions its steps apply, in output order.
    """

    def __init__(self, columns, parts):
        self.columns = columns
        self.parts = parts

    @classmethod
    def from_preprocessor(cls, preprocessor):
        """The plan of a fitted ``ColumnTransformer``.

        Raises
        ------
        _NotCovered
            If a part is of a kind the plan does not cover.
        """
        if type(preprocessor) is not ColumnTransformer or not hasattr(
                preprocessor, "transformers_") or preprocessor.sparse_output_:
            raise _NotCovered("another preprocessor")
        columns = [str(name) for name in getattr(preprocessor, "feature_names_in_", [])]
        position = {name: j for j, name in enumerate(columns)}
        parts = []
        for _, transformer, part_columns in preprocessor.transformers_:
            if isinstance(transformer, str) and transformer == "drop":
                continue
            if isinstance(transformer, str) or not isinstance(part_columns, list) or any(
                    not isinstance(name, str) for name in part_columns):
                raise _NotCovered("a part that passes columns through or picks them by "
                                  "position")
            if not part_columns:
                continue
            steps = _flat_steps(transformer)
            index = np.array([position[name] for name in part_columns])
            if isinstance(steps[0], AsText):
                functions = [cells_as_text, _Levels(steps[1:], len(index))]
            else:
                functions = [_first_step(steps[0])]
                functions += [_next_step(step) for step in steps[1:]]
            parts.append((index, functions))
        if not parts:
            raise _NotCovered("a preprocessor without columns")
        return cls(columns, parts)

    def transform(self, table):
        """The preprocessor's output for the rows of ``table``.

        Parameters
        ----------
        table : pandas.DataFrame of shape (n_samples, n_columns)
            With exactly the fitted columns, in the fitted order.

        Returns
        -------
        X : ndarray of shape (n_samples, n_outputs)

        Raises
        ------
        _NotCovered
            If a cell is one the plan leaves to the preprocessor.
        """
        dtypes = list(table.dtypes)
        if not all(_covered_type(dtype) for dtype in dtypes):
            raise _NotCovered("a column of another type")
        cells = table.to_numpy()
        outputs = []
        for index, functions in self.parts:
            X = _part_cells(cells, [dtypes[j] for j in index], index)
            for function in functions:
                X = function(X)
            outputs.append(X)
        return np.hstack(outputs)


def _flat_steps(transformer):
    """A part's steps in the order they run, pipelines within it unpacked."""
    if not isinstance(transformer, Pipeline):
        return [transformer]
    return [inner for _, step in transformer.steps if step not in (None, "passthrough")
            for inner in _flat_steps(step)]


def _covered_type(dtype):
    """Numbers, booleans, objects and pandas' text: the types the plan reads as the steps do.

    Left to the pipeline: pandas' nullable and categorical types, dates.
    """
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iufbO"
    import pandas as pd  # present: the table is a DataFrame

    return isinstance(dtype, pd.StringDtype)


def _part_cells(cells, dtypes, index):
    """The cells of a part's columns, typed as the part's own input check types them.

    A part of numeric columns of numpy number types reads them as their
    common type (``np.result_type``, as ``check_array`` does for a
    DataFrame); any other mix is read as objects.
    """
    if all(isinstance(dtype, np.dtype) and dtype.kind in "iuf" for dtype in dtypes):
        return np.asarray(cells[:, index], dtype=np.result_type(*dtypes))
    return np.asarray(cells[:, index], dtype=object)


# --------------------------------------------------------------- pipeline


class TablePipeline(Pipeline):
    """A table model's ``Pipeline``: few rows predicted through a :class:`RowPlan`.

    What :func:`~skmlp_scratch.tabular.make_tabular_pipeline` returns. It is a
    scikit-learn ``Pipeline`` in every respect (parameters, fitting,
    ``GridSearchCV``, saving, ONNX export); ``predict`` and ``predict_proba``
    of a DataFrame of at most :data:`FEW_ROWS` rows, with the fitted columns
    in their fitted order, send it through the preprocessor's plan instead of
    its ``ColumnTransformer``: the same numbers, in a fraction of the time.
    The plan is made at the first such prediction after the preprocessor is
    fitted and kept until it is fitted again; a pickle or a ``.skops`` file
    leaves it out. Rows or
    models the plan does not cover, and ``**params``, go through the
    ``Pipeline`` as usual.

    Parameters
    ----------
    steps : list of (str, estimator)
        As ``Pipeline``: ``"preprocess"`` then ``"model"`` in a table model.
    transform_input : list of str, default=None
        As ``Pipeline``: the names of the metadata the steps before the last
        transform too.
    memory : str or object with the joblib.Memory interface, default=None
        As ``Pipeline``: where fitted transformers are cached.
    verbose : bool, default=False
        As ``Pipeline``: print the time each step takes to fit.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skmlp_scratch.tabular import make_tabular_pipeline
    >>> table = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5,
    ...                       "colour": ["red", "blue"] * 10})
    >>> model = make_tabular_pipeline(ensemble=False).set_params(
    ...     model__solver="lbfgs", model__random_state=0).fit(table, [0, 1, 1, 0] * 5)
    >>> row = pd.DataFrame({"x": [1.0], "colour": ["red"]})
    >>> usual = model[-1].predict_proba(model[0].transform(row))
    >>> np.array_equal(model.predict_proba(row), usual)
    True
    """

    def _plan(self, X, params):
        """The plan for ``X``, or None when the pipeline's own path must run."""
        if params or not hasattr(X, "columns") or not 0 < len(X) <= FEW_ROWS or len(
                self.steps) != 2 or self.steps[0][0] != PREPROCESS:
            return None
        preprocessor = self.steps[0][1]
        fitted = getattr(preprocessor, "transformers_", None)
        if fitted is None or _output_config(preprocessor) != "default":
            return None  # unfitted (the pipeline says so) or asked for DataFrames
        # made for this fit of the preprocessor: a refit makes a new transformers_
        made_for, plan = vars(self).get("_row_plan", (None, None))
        if made_for is not fitted:
            try:
                plan = RowPlan.from_preprocessor(preprocessor)
            except _NotCovered:
                plan = None
            self._row_plan = (fitted, plan)
        if plan is None or X.columns.tolist() != plan.columns:
            return None
        return plan

    def _predicted(self, method, X, params):
        plan = self._plan(X, params)
        if plan is not None:
            try:
                Z = plan.transform(X)
            except _NotCovered:
                pass
            else:
                return getattr(self.steps[-1][1], method)(Z)
        return getattr(super(), method)(X, **params)

    @available_if(lambda self: hasattr(self._final_estimator, "predict"))
    def predict(self, X, **params):
        """Predict with the final estimator after the preprocessor.

        As ``Pipeline.predict``; few rows of a table go through the plan.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_columns)
        **params : dict
            Passed as ``Pipeline.predict`` passes them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._predicted("predict", X, params)

    @available_if(lambda self: hasattr(self._final_estimator, "predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities of the final estimator after the preprocessor.

        As ``Pipeline.predict_proba``; few rows of a table go through the plan.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_columns)
        **params : dict
            Passed as ``Pipeline.predict_proba`` passes them.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._predicted("predict_proba", X, params)

    def __getstate__(self):
        # the plan copies the fitted statistics: rebuilt at the first prediction
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k != "_row_plan"}
