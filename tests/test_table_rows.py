"""Few rows of a table: the row plan gives what the pipeline gives, to the bit.

``TablePipeline.predict``/``predict_proba`` send a DataFrame of at most
``FEW_ROWS`` rows through a ``RowPlan`` instead of the ``ColumnTransformer``.
Each test compares it with the same fitted steps in a plain scikit-learn
``Pipeline``, one row at a time (the same batch shape reaches the network,
so equal inputs give equal outputs), on every kind of column and cell, and
checks that what the plan does not cover goes the pipeline's way, errors
included.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.pipeline import Pipeline

from conftest import short_training
from skmlp_scratch.tabular import FEW_ROWS, TablePipeline, make_tabular_pipeline
from skmlp_scratch.tabular._rows import RowPlan

N_ROWS = 120


def mixed_table(n=N_ROWS, seed=0):
    """Every kind of column the preprocessor meets, with gaps and rare levels."""
    rng = np.random.RandomState(seed)
    table = pd.DataFrame({
        "income": rng.lognormal(3, 1, n),
        "age": rng.randint(18, 80, n),
        "ratio": np.where(rng.rand(n) < 0.2, np.nan, rng.rand(n)),
        "city": rng.choice(["north", "south", "east", "west", "tiny"], n,
                           p=[0.4, 0.3, 0.2, 0.08, 0.02]),
        "owner": rng.rand(n) < 0.5,
        "plan": pd.Series(rng.choice(["a", "b", None], n), dtype="str"),
    })
    y = (table["income"] > 20) ^ (table["city"] == "south") ^ table["owner"]
    return table, np.where(y, "yes", "no")


def fitted(task="classification", ensemble=True, **options):
    table, y = mixed_table()
    if task == "regression":
        y = table["income"] * (1 + table["owner"]) + table["age"]
    model = make_tabular_pipeline(task=task, ensemble=ensemble, **options)
    small = {"n_folds": 3, "max_iter": 30, "batch_size": 32, "random_state": 0,
             "hidden_layer_sizes": (16,), "n_quantiles": 50}
    model.set_params(**{name: small[name.rsplit("__", 1)[-1]]
                        for name in model.get_params()
                        if name.rsplit("__", 1)[-1] in small and "__" in name})
    with short_training():
        return model.fit(table, y), table


def usual(model):
    """The same fitted steps in scikit-learn's own ``Pipeline``."""
    return Pipeline(model.steps)


def assert_row_by_row_equal(model, rows, method):
    for i in range(len(rows)):
        row = rows.iloc[[i]]
        np.testing.assert_array_equal(getattr(model, method)(row),
                                      getattr(usual(model), method)(row))


def plan_used(model, monkeypatch):
    """Count the rows that go through the plan."""
    calls = []
    transform = RowPlan.transform

    def counted(self, table):
        calls.append(len(table))
        return transform(self, table)
    monkeypatch.setattr(RowPlan, "transform", counted)
    return calls


@pytest.mark.parametrize("task, ensemble, options", [
    ("classification", True, {}),
    ("classification", False, {"numeric": "standard"}),
    ("classification", False, {"numeric": "quantile"}),
    ("regression", True, {}),
    ("regression", False, {"log_target": True}),
])
def test_each_row_is_predicted_as_the_pipeline_predicts_it(task, ensemble, options,
                                                            monkeypatch):
    model, table = fitted(task, ensemble, **options)
    assert isinstance(model, TablePipeline)
    calls = plan_used(model, monkeypatch)
    methods = ["predict", "predict_proba"] if task == "classification" else ["predict"]
    for method in methods:
        assert_row_by_row_equal(model, table.iloc[:25], method)
    assert len(calls) == 25 * len(methods)  # every row went through the plan
    # and the preprocessing of a batch is the ColumnTransformer's, to the bit
    plan = model._row_plan[1]
    np.testing.assert_array_equal(plan.transform(table), model[0].transform(table))


def test_cells_of_every_kind_one_row_at_a_time(monkeypatch):
    model, table = fitted()
    calls = plan_used(model, monkeypatch)
    rows = pd.DataFrame([
        # a row from a dict: the gaps are None, the columns of objects
        {"income": None, "age": 30, "ratio": None, "city": None, "owner": True,
         "plan": None},
        {"income": 12.5, "age": 41, "ratio": 0.25, "city": "unheard of", "owner": False,
         "plan": "a"},
        {"income": 1e9, "age": -3, "ratio": np.nan, "city": "tiny", "owner": None,
         "plan": ""},
        {"income": 0, "age": 2**40, "ratio": 1, "city": "missing", "owner": "True",
         "plan": "b"},
    ])
    assert_row_by_row_equal(model, rows, "predict_proba")
    assert len(calls) == len(rows)
    # the gap of a None is flagged as the gap of a NaN is
    gap = model[0].transform(rows.iloc[[0]])
    names = list(model[0].get_feature_names_out())
    assert gap[0, names.index("missingindicator_ratio")] == 1.0
    nan_row = rows.iloc[[0]].astype({"income": float, "ratio": float})
    np.testing.assert_array_equal(model.predict_proba(rows.iloc[[0]]),
                                  model.predict_proba(nan_row))


def test_rows_the_plan_leaves_to_the_pipeline_come_out_the_same(monkeypatch):
    model, table = fitted(ensemble=False)
    calls = plan_used(model, monkeypatch)
    row = table.iloc[[5]]
    others = {
        "columns reordered": row[row.columns[::-1]],
        "an extra column": row.assign(extra=1),
        "float32 numbers": row.astype({"income": np.float32, "ratio": np.float32}),
        "nullable integers": row.astype({"age": "Int64"}),
        "a categorical dtype": row.astype({"city": "category"}),
        "too many rows": pd.concat([table] * (FEW_ROWS // N_ROWS + 1)),
    }
    for rows in others.values():
        np.testing.assert_array_equal(model.predict_proba(rows),
                                      usual(model).predict_proba(rows))
    assert calls == [1, 1, 1]  # the other types: begun, then declined


def assert_same_as_usual(model, row):
    """Equal outputs and the same warnings as the plain ``Pipeline``."""
    seen = []
    for pipeline in (model, usual(model)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen.append((pipeline.predict_proba(row), [str(w.message) for w in caught]))
    (ours, our_warnings), (theirs, their_warnings) = seen
    np.testing.assert_array_equal(ours, theirs)
    assert our_warnings == their_warnings
    return ours


def test_a_preprocessor_that_returns_dataframes_keeps_the_pipelines_path(monkeypatch):
    model, table = fitted(ensemble=False)
    calls = plan_used(model, monkeypatch)
    row = table.iloc[[2]]
    expected = usual(model).predict_proba(row)
    with config_context(transform_output="pandas"):
        np.testing.assert_array_equal(assert_same_as_usual(model, row), expected)
    model[0].set_output(transform="pandas")
    np.testing.assert_array_equal(assert_same_as_usual(model, row), expected)
    assert calls == []
    model[0].set_output(transform="default")
    with config_context(transform_output="pandas"):  # its own choice comes first
        np.testing.assert_array_equal(assert_same_as_usual(model, row), expected)
    assert calls == [1]


@pytest.mark.parametrize("change, match", [
    (lambda row: row.drop(columns="city"), "city"),
    (lambda row: row.assign(income="1,234.5"), "1,234.5"),
    (lambda row: row.assign(income=np.inf), "infinity"),
])
def test_bad_rows_raise_the_pipelines_error(change, match):
    model, table = fitted(ensemble=False)
    row = change(table.iloc[[0]])
    with pytest.raises(ValueError, match=match) as ours:
        model.predict(row)
    with pytest.raises(ValueError) as theirs:
        usual(model).predict(row)
    assert str(ours.value) == str(theirs.value)


def test_an_encoder_that_refuses_unseen_levels_still_refuses_them():
    model, table = fitted(ensemble=False)
    model[0].named_transformers_["categorical"]["encode"].handle_unknown = "error"
    vars(model).pop("_row_plan", None)
    np.testing.assert_array_equal(model.predict(table.iloc[[0]]),
                                  usual(model).predict(table.iloc[[0]]))
    with pytest.raises(ValueError, match="unknown categor"):
        model.predict(table.iloc[[0]].assign(city="unheard of"))


def test_a_refit_makes_a_new_plan_and_a_pickle_leaves_it_out():
    model, table = fitted(ensemble=False)
    row = table.iloc[[3]]
    model.predict(row)
    first = model._row_plan[1]
    shifted = table.assign(income=table["income"] * 100)
    with short_training():
        model.fit(shifted, model.predict(table))
    assert_row_by_row_equal(model, shifted.iloc[:5], "predict_proba")
    assert model._row_plan[1] is not first
    loaded = pickle.loads(pickle.dumps(model))
    assert "_row_plan" not in vars(loaded)
    np.testing.assert_array_equal(loaded.predict_proba(row), model.predict_proba(row))


def test_it_stays_a_pipeline():
    classifier, table = fitted(ensemble=False)
    regressor, _ = fitted("regression", ensemble=False)
    assert not hasattr(regressor, "predict_proba")
    assert hasattr(classifier, "predict_proba")
    assert isinstance(classifier[:1], TablePipeline)
    with pytest.raises(Exception, match="not fitted"):
        make_tabular_pipeline().predict(table.iloc[[0]])
