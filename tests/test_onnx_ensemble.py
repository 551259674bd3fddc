"""ONNX export of the cross-fitted ensembles: onnxruntime against predict."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import fit_quietly
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor
from skmlp_scratch.tabular import make_tabular_pipeline

onnxruntime = pytest.importorskip(
    "onnxruntime", reason='the onnx extra: pip install "skmlp_scratch[onnx]"')
skmlp_onnx = pytest.importorskip("skmlp_scratch.onnx")
pytest.importorskip("skmlp_scratch.onnx_ensemble")

from test_onnx import run_onnx  # noqa: E402 (after the skips)


def data(n_samples=90, seed=0):
    return np.random.default_rng(seed).normal(size=(n_samples, 4)).astype(np.float32)


def network(kind, **params):
    return kind(**{"hidden_layer_sizes": (8,), "early_stopping": True,
                   "max_iter": 20, "learning_rate_init": 0.01, **params})


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_ensemble_matches(n_classes):
    X = data()
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (n_classes == 3) * (
        X[:, 1] > 0.5)]
    # two configurations of different widths, so both weights and shapes matter
    model = CrossFitClassifier(
        [("small", network(MLPScratchClassifier)),
         ("wide", network(MLPScratchClassifier, hidden_layer_sizes=(16, 8)))],
        n_folds=3, random_state=0)
    fit_quietly(model, X, y)
    model.weights_ = np.array([0.25, 0.75])  # both used, whatever selection chose
    labels, proba = run_onnx(skmlp_onnx.to_onnx(model, X[:1],
                                                options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(X))


def test_regressor_ensemble_in_a_table_pipeline_matches():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=120),
                          "colour": rng.choice(["red", "blue"], 120)})
    y = 3 * table["x"] + (table["colour"] == "red") + rng.normal(0, 0.1, 120)
    model = make_tabular_pipeline(
        CrossFitRegressor([("net", network(MLPScratchRegressor))], n_folds=3,
                          random_state=0), task="regression")
    fit_quietly(model, table, y)
    (predicted,) = run_onnx(skmlp_onnx.to_onnx(model, table.iloc[:1]),
                            skmlp_onnx.table_inputs(model, table))
    np.testing.assert_allclose(predicted[:, 0], model.predict(table), rtol=1e-4,
                               atol=1e-4)


def test_the_default_table_ensemble_exports_with_its_encoder():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    # a point mass at 0, where the piecewise-linear encoding has an edge
    spending = np.where(rng.random(150) < 0.5, 0.0, rng.exponential(50, 150))
    table = pd.DataFrame({"spending": spending, "region": rng.choice(["n", "s"], 150)})
    y = np.where(spending > 0, "buys", "not")
    model = make_tabular_pipeline(task="classification")
    for _, config in model[-1].estimators:
        network = config[-1] if hasattr(config, "steps") else config
        network.set_params(max_iter=10, batch_size=32)
    fit_quietly(model.set_params(model__random_state=0), table, y)
    model[-1].weights_ = np.array([0.5, 0.5])  # both configurations in the graph
    onnx_model = skmlp_onnx.to_onnx(model, table.iloc[:1], options={"zipmap": False})
    labels, proba = run_onnx(onnx_model, skmlp_onnx.table_inputs(model, table))
    np.testing.assert_allclose(proba, model.predict_proba(table), atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(table))


def test_an_ensemble_with_another_pipeline_member_is_refused_by_name():
    X = data()
    y = X[:, 0] > 0
    scaled = make_pipeline(StandardScaler(), network(MLPScratchClassifier))
    model = CrossFitClassifier([("scaled", scaled)], n_folds=3, random_state=0)
    fit_quietly(model, X, y)
    with pytest.raises(ValueError, match="configuration 'scaled'"):
        skmlp_onnx.to_onnx(model, X[:1])
