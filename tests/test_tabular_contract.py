"""The fitted table model's contract (tabular/_contract.py) against the pipeline itself."""

import numpy as np
import pandas as pd
import pytest

from conftest import fit_quietly
from skmlp_scratch.tabular import AsText, final_estimator, make_tabular_pipeline
from skmlp_scratch.tabular._contract import (
    CATEGORICAL,
    ENCODE,
    IMPUTE,
    MISSING,
    MODEL,
    NUMERIC,
    PREPROCESS,
    categorical_levels,
    cells_as_text,
    fitted_columns,
    is_table_model,
    numeric_medians,
)


def frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "flag": rng.random(n) > 0.5,
                         "city": rng.choice(["a", "b"], n).astype(object)})


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_contract_names_the_pipeline_s_steps(task):
    pipeline = make_tabular_pipeline(task=task)
    assert [name for name, _ in pipeline.steps] == [PREPROCESS, MODEL]
    parts = {name: steps for name, steps, _ in pipeline[PREPROCESS].transformers}
    assert set(parts) == {NUMERIC, MISSING, CATEGORICAL}
    assert IMPUTE in parts[NUMERIC].named_steps
    assert ENCODE in parts[CATEGORICAL].named_steps


def test_fitted_columns_medians_and_levels_are_read_from_the_fitted_model():
    table = frame()
    model = make_tabular_pipeline().set_params(model__max_iter=3, model__batch_size=32,
                                               model__random_state=0)
    fit_quietly(model, table, table["x"] > 0)
    assert is_table_model(model) and not is_table_model(final_estimator(model))
    assert fitted_columns(model, NUMERIC) == ["x"]
    assert fitted_columns(model, CATEGORICAL) == ["flag", "city"]
    np.testing.assert_allclose(numeric_medians(model), [table["x"].median()])
    assert categorical_levels(model) == [["False", "True"], ["a", "b"]]


def test_cells_become_the_text_the_encoder_learnt():
    values = np.array([[True, None], [3, np.nan], ["a", pd.NA]], dtype=object)
    assert cells_as_text(values).tolist() == [["True", ""], ["3", ""], ["a", ""]]
    # the pipeline's step applies the same rule
    np.testing.assert_array_equal(AsText().fit(values).transform(values),
                                  cells_as_text(values))
