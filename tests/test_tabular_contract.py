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
    networks,
    numeric_medians,
    out_of_fold_predictions,
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
    model = make_tabular_pipeline(ensemble=False).set_params(
        model__max_iter=3, model__batch_size=32, model__random_state=0)
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


def quick_ensemble(task):
    """The default table ensemble, two folds of a few epochs."""
    model = make_tabular_pipeline(task=task)
    ensemble = final_estimator(model)
    for _, config in ensemble.estimators:
        network = config[-1] if hasattr(config, "steps") else config
        network.set_params(max_iter=3, hidden_layer_sizes=(4,), batch_size=16)
    ensemble.set_params(n_folds=2, random_state=0)
    return model


def test_networks_of_an_ensemble_are_its_members_in_order():
    table = frame()
    model = fit_quietly(quick_ensemble("classification"), table, table["x"] > 0)
    ensemble = final_estimator(model)
    fitted = networks(model)
    assert [name for name, _ in fitted] == [
        "network fold 1", "network fold 2", "bins fold 1", "bins fold 2"]
    members = [m[-1] if hasattr(m, "steps") else m
               for row in ensemble.estimators_ for m in row]
    assert all(a is b for (_, a), b in zip(fitted, members))
    assert networks(model.set_params(model=final_estimator(model).estimators_[0][0])) \
        == [("network", ensemble.estimators_[0][0])]


@pytest.mark.parametrize("log_target", [False, True])
def test_out_of_fold_predictions_are_in_the_targets_units(log_target):
    table = frame()
    y = np.exp(table["x"]) * 10
    model = make_tabular_pipeline(task="regression", log_target=log_target)
    ensemble = quick_ensemble("regression")[-1].regressor
    model.set_params(model__regressor=ensemble)
    fit_quietly(model, table, y)
    target = model[-1]
    scaler = target.transformer_[-1] if log_target else target.transformer_
    expected = target.regressor_.oof_predictions_ * scaler.scale_ + scaler.mean_
    if log_target:
        expected = np.exp(expected) * target.smearing_
    np.testing.assert_allclose(out_of_fold_predictions(model), expected, rtol=1e-12)
    # a classifier's are its probabilities; a single network has none
    assert out_of_fold_predictions(make_tabular_pipeline(ensemble=False)) is None
