"""ONNX export: onnxruntime's predictions of every kind of model against ours."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import fit_quietly
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch._activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from skmlp_scratch.tabular import NUMERIC_SCALERS, SoftClip, make_tabular_pipeline

onnxruntime = pytest.importorskip(
    "onnxruntime", reason='the onnx extra: pip install "skmlp_scratch[onnx]"')
skl2onnx = pytest.importorskip("skl2onnx")
skmlp_onnx = pytest.importorskip("skmlp_scratch.onnx")

# float32 to float32 rounding; float64 to float64 rounding, except gelu,
# whose erf onnxruntime computes in float32 only (see docs: deploying.rst)
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
GELU_FLOAT64_TOLERANCE = 1e-7


def run_onnx(onnx_model, inputs):
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    if not isinstance(inputs, dict):
        inputs = {session.get_inputs()[0].name: inputs}
    return session.run(None, inputs)


def data(dtype=np.float64, n_samples=80, n_features=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_samples, n_features)).astype(dtype)


def three_labels(X):
    return np.where(X[:, 0] > 0, "up", np.where(X[:, 1] > 0, "left", "down"))


def tolerance(dtype, activations):
    if dtype == np.float64 and "gelu" in activations:
        return GELU_FLOAT64_TOLERANCE
    return TOLERANCE[dtype]


def check_classifier(model, X, atol):
    onnx_model = skmlp_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    labels, proba = run_onnx(onnx_model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=atol)
    assert proba.dtype == X.dtype


def check_regressor(model, X, atol):
    (y,) = run_onnx(skmlp_onnx.to_onnx(model, X[:1]), X)
    expected = model.predict(X).reshape(len(X), -1)
    assert y.shape == expected.shape and y.dtype == X.dtype
    np.testing.assert_allclose(y, expected, rtol=atol, atol=atol)


def test_every_activation_has_an_onnx_form():
    assert set(skmlp_onnx.ONNX_ACTIVATIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_each_hidden_activation_matches(activation, dtype):
    X = data(dtype)
    model = MLPScratchClassifier(hidden_layer_sizes=(7, 4), activation=activation,
                                 max_iter=30, random_state=0)
    fit_quietly(model, X, three_labels(X))
    check_classifier(model, X, tolerance(dtype, [activation]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_layer_activations_match(dtype):
    X = data(dtype)
    layers = ["gelu", "elu", "softplus", "leaky_relu"]
    model = MLPScratchRegressor(hidden_layer_sizes=(6, 5, 4, 3), activation=layers,
                                max_iter=30, random_state=0)
    fit_quietly(model, X, X[:, 0] ** 2)
    check_regressor(model, X, tolerance(dtype, layers))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_int_labels_logistic_output(dtype):
    X = data(dtype)
    y = np.where(X[:, 0] + X[:, 2] > 0, 7, -3)
    model = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(5,), max_iter=30,
                                             random_state=0), X, y)
    assert model.out_activation_ == "logistic"
    check_classifier(model, X, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multilabel_gives_the_indicator_matrix(dtype):
    X = data(dtype)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.5, X[:, 0] + X[:, 1] > 0]).astype(int)
    model = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(6,), max_iter=30,
                                             random_state=0), X, Y)
    check_classifier(model, X, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regression_output_shape(n_outputs, dtype):
    X = data(dtype)
    y = X[:, :n_outputs] * 2 + 1
    model = MLPScratchRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    fit_quietly(model, X, y.ravel() if n_outputs == 1 else y)
    check_regressor(model, X, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_exp_output(dtype):
    X = data(dtype)
    counts = np.random.default_rng(1).poisson(np.exp(X[:, 0]))
    model = fit_quietly(MLPScratchRegressor(loss="poisson", hidden_layer_sizes=(6,),
                                            max_iter=30, random_state=0), X, counts)
    assert model.out_activation_ == "exp"
    check_regressor(model, X, TOLERANCE[dtype])


def test_zipmap_gives_one_dict_per_row():
    X = data(np.float32)
    model = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(5,), max_iter=20,
                                             random_state=0), X, three_labels(X))
    labels, rows = run_onnx(skmlp_onnx.to_onnx(model, X[:1]), X)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(labels, model.predict(X))
    for row, expected in zip(rows, proba):
        assert list(row) == list(model.classes_)
        np.testing.assert_allclose(list(row.values()), expected, atol=1e-5)


def test_skl2onnx_converts_a_pipeline_holding_ours():
    X = data(np.float32) * 10 + 3
    model = make_pipeline(StandardScaler(), MLPScratchClassifier(
        hidden_layer_sizes=(5,), activation="gelu", max_iter=20, random_state=0))
    fit_quietly(model, X, three_labels(X - 3))
    onnx_model = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    labels, proba = run_onnx(onnx_model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)


def test_an_activation_without_onnx_form_is_named(monkeypatch):
    X = data()
    model = fit_quietly(MLPScratchRegressor(hidden_layer_sizes=(3,), activation="elu",
                                            max_iter=5, random_state=0), X, X[:, 0])
    monkeypatch.delitem(skmlp_onnx.ONNX_ACTIVATIONS, "elu")
    with pytest.raises(ValueError, match="activation 'elu' has no ONNX form"):
        skmlp_onnx.to_onnx(model, X[:1])


def test_float64_zipmap_is_refused():
    X = data()
    model = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(3,), max_iter=5,
                                             random_state=0), X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="zipmap"):
        skmlp_onnx.to_onnx(model, X[:1])


def test_soft_clip_graph_maps_huge_values_to_the_bound():
    X = np.array([[0.0], [1.0], [-7.0], [1e200], [-1e300], [np.finfo(float).max]])
    step = SoftClip().fit(X)
    (clipped,) = run_onnx(skl2onnx.to_onnx(step, X[:1]), X)
    np.testing.assert_allclose(clipped, step.transform(X), rtol=1e-15)
    np.testing.assert_allclose(clipped[3:, 0], [3.0, -3.0, 3.0], rtol=1e-15)


# ----------------------------------------------------------------- tables


def table(n_rows=240, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.lognormal(3, 1, n_rows),
        "age": rng.integers(18, 80, n_rows),
        "city": rng.choice(["paris", "lyon", "nice", "metz", "pau"], n_rows,
                           p=[0.4, 0.3, 0.2, 0.08, 0.02]),
        "member": rng.choice([True, False], n_rows),
    })
    frame.loc[::9, "income"] = np.nan
    frame.loc[::11, "city"] = None
    return frame


def new_rows(frame):
    """Rows with gaps in every column and a level never seen in fit."""
    rows = frame.iloc[:12].copy()
    rows.loc[rows.index[0], "city"] = "brest"
    rows.loc[rows.index[1], "age"] = np.nan
    rows.loc[rows.index[2], "income"] = np.nan
    rows.loc[rows.index[3], "city"] = None
    return rows


@pytest.mark.parametrize("numeric", ["robust", "standard"])
def test_table_classifier_matches(numeric):
    frame = table()
    y = np.where(frame["age"] > 50, "old", "young")
    model = make_tabular_pipeline(task="classification", numeric=numeric, ensemble=False,
                                  min_frequency=10)
    fit_quietly(model.set_params(model__max_iter=20), frame, y)
    rows = new_rows(frame)
    onnx_model = skmlp_onnx.to_onnx(model, frame.iloc[:1], options={"zipmap": False})
    labels, proba = run_onnx(onnx_model, skmlp_onnx.table_inputs(model, rows))
    np.testing.assert_array_equal(labels, model.predict(rows))
    np.testing.assert_allclose(proba, model.predict_proba(rows), atol=1e-5)


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("numeric", ["robust", "standard"])
def test_table_regressor_matches(numeric, log_target):
    frame = table()
    y = frame["age"] * 3.0 + np.where(frame["member"], 50.0, 10.0)
    model = make_tabular_pipeline(task="regression", numeric=numeric, ensemble=False,
                                  log_target=log_target)
    fit_quietly(model.set_params(model__regressor__max_iter=20), frame, y)
    rows = new_rows(frame)
    (predicted,) = run_onnx(skmlp_onnx.to_onnx(model, frame.iloc[:1]),
                            skmlp_onnx.table_inputs(model, rows))
    assert predicted.shape == (len(rows), 1)
    np.testing.assert_allclose(predicted[:, 0], model.predict(rows), rtol=1e-5)
    with pytest.raises(ValueError, match="float32 numeric inputs"):
        skmlp_onnx.to_onnx(model, frame.iloc[:1], dtype=np.float64)


def test_every_numeric_scaler_converts_or_is_named():
    frame = table()
    y = frame["age"] > 50
    for numeric in NUMERIC_SCALERS:
        model = make_tabular_pipeline(task="classification", numeric=numeric,
                                      ensemble=False)
        if numeric == "quantile":  # fewer quantiles than the table's rows
            model.set_params(preprocess__numeric__scale__n_quantiles=100)
        fit_quietly(model.set_params(model__max_iter=5), frame, y)
        if numeric == "quantile":
            with pytest.raises(ValueError, match="numeric='quantile'"):
                skmlp_onnx.to_onnx(model, frame.iloc[:1])
        else:
            labels, _ = run_onnx(skmlp_onnx.to_onnx(model, frame.iloc[:1]),
                                 skmlp_onnx.table_inputs(model, frame))
            np.testing.assert_array_equal(labels, model.predict(frame))


def test_table_inputs_are_one_per_column():
    frame = table()
    model = make_tabular_pipeline(task="classification", ensemble=False)
    fit_quietly(model.set_params(model__max_iter=5), frame, frame["age"] > 50)
    onnx_model = skmlp_onnx.to_onnx(model, frame.iloc[:1])
    names = [i.name for i in onnx_model.graph.input]
    assert names == list(frame.columns)
    inputs = skmlp_onnx.table_inputs(model, new_rows(frame))
    assert inputs["income"].dtype == np.float32 and np.isnan(inputs["income"][2, 0])
    assert inputs["city"][3, 0] == "" and inputs["member"][0, 0] in ("True", "False")


def test_network_fitted_on_a_dataframe_takes_one_matrix():
    pd = pytest.importorskip("pandas")
    X = data(np.float32)
    frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(X.shape[1])])
    model = fit_quietly(MLPScratchRegressor(hidden_layer_sizes=(4,), max_iter=10,
                                            random_state=0), frame, X[:, 0])
    onnx_model = skmlp_onnx.to_onnx(model, frame[:1])
    assert [i.name for i in onnx_model.graph.input] == ["X"]
    (y,) = run_onnx(onnx_model, X)
    np.testing.assert_allclose(y[:, 0], model.predict(frame), atol=1e-5)
