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
    # float64: centred in the graph before the cast to float32
    assert inputs["income"].dtype == np.float64 and np.isnan(inputs["income"][2, 0])
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


# ------------------------------------- issue 25: never silently wrong


def fitted_table_classifier(frame, y, **options):
    model = make_tabular_pipeline(task="classification", ensemble=False, **options)
    return fit_quietly(model.set_params(model__max_iter=30, model__random_state=0),
                       frame, y)


@pytest.mark.parametrize("column, kind", [("member", "booleans"),
                                          ("income", "double numbers")])
def test_skl2onnx_guessing_a_table_s_inputs_is_refused_naming_ours(column, kind):
    # skl2onnx declares a bool column as booleans (fed to the encoder as
    # "1"/"0" where it learnt "True"/"False") and a float64 column as doubles
    # (which onnxruntime's Imputer cannot load): both refused, naming ours
    frame = table()[[column, "city"]].astype({"city": object})
    model = fitted_table_classifier(frame, table()["age"] > 50)
    frame = frame.fillna({"city": "paris"})  # text, which skl2onnx declares right
    with pytest.raises(ValueError, match=f"declares the column '{column}' as {kind}.*"
                                         r"skmlp_scratch.onnx.to_onnx\(model"):
        skl2onnx.to_onnx(model, frame[:1], options={"zipmap": False})
    # ours is exact on the same model
    labels, _ = run_onnx(skmlp_onnx.to_onnx(model, frame[:1], options={"zipmap": False}),
                         skmlp_onnx.table_inputs(model, table()[[column, "city"]]))
    np.testing.assert_array_equal(labels, model.predict(table()[[column, "city"]]))


def test_skl2onnx_converts_a_network_fitted_on_a_dataframe_it_can_load():
    pd = pytest.importorskip("pandas")
    X = data(np.float64)
    frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(X.shape[1])])
    model = fit_quietly(MLPScratchClassifier(hidden_layer_sizes=(4,), max_iter=10,
                                             random_state=0), frame, three_labels(X))
    # one input per column, as skl2onnx declares a DataFrame: put side by side
    onnx_model = skl2onnx.to_onnx(model, frame[:1], options={"zipmap": False})
    _, proba = run_onnx(onnx_model, {name: frame[[name]].to_numpy()
                                     for name in frame.columns})
    np.testing.assert_allclose(proba, model.predict_proba(frame), atol=1e-10)
    # float64 probabilities cannot go through ZipMap: stopped at conversion
    with pytest.raises(ValueError, match="ZipMap operator takes float32 only"):
        skl2onnx.to_onnx(model, frame[:1])


def test_large_magnitude_columns_keep_their_precision():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    # Unix times and amounts in the millions: float32 spacing there is 128
    # and 0.25, a visible share of the columns' spread
    frame = pd.DataFrame({"time": 1.7e9 + rng.uniform(0, 1e6, 400),
                          "amount": 3e6 + rng.normal(0, 1e3, 400)})
    y = (frame["time"] - 1.7005e9) / 1e5 + (frame["amount"] - 3e6) / 1e3
    for task, target in [("classification", y > 0), ("regression", y)]:
        model = make_tabular_pipeline(task=task, ensemble=False)
        network = "model" if task == "classification" else "model__regressor"
        fit_quietly(model.set_params(**{f"{network}__max_iter": 30,
                                        f"{network}__random_state": 0}), frame, target)
        onnx_model = skmlp_onnx.to_onnx(model, frame[:1], options={"zipmap": False}
                                        if task == "classification" else None)
        outputs = run_onnx(onnx_model, skmlp_onnx.table_inputs(model, frame))
        if task == "classification":
            np.testing.assert_allclose(outputs[1], model.predict_proba(frame),
                                       atol=1e-6)
        else:
            expected = model.predict(frame)
            np.testing.assert_allclose(outputs[0][:, 0], expected,
                                       atol=1e-6 * np.abs(expected).max())


def test_a_users_column_transformer_around_ours_converts_through_our_helper():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    frame = table().dropna()
    y = np.where(frame["age"] > 50, "old", "young")
    model = make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), ["income", "age"]),
                           ("levels", OneHotEncoder(handle_unknown="ignore",
                                                    sparse_output=False),
                            ["city"])]),
        MLPScratchClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0))
    fit_quietly(model, frame, y)
    rows = frame[["income", "age", "city"]].astype({"age": np.float64})
    fit_quietly(model, rows, y)
    ours = skmlp_onnx.to_onnx(model, rows[:1], options={"zipmap": False})
    theirs = skl2onnx.to_onnx(model, rows[:1], options={"zipmap": False})
    inputs = {name: rows[[name]].to_numpy() for name in ["income", "age"]}
    inputs["city"] = rows[["city"]].to_numpy().astype(object)
    for onnx_model in (ours, theirs):
        labels, proba = run_onnx(onnx_model, inputs)
        np.testing.assert_array_equal(labels, model.predict(rows))
        np.testing.assert_allclose(proba, model.predict_proba(rows), atol=1e-10)


# -------------------------------- the table transformers, each exported


def table_transformer_classes():
    """Every transformer class defined in skmlp_scratch.tabular's modules."""
    import inspect

    from sklearn.base import TransformerMixin

    import skmlp_scratch.tabular._encoders as encoders
    import skmlp_scratch.tabular._pipeline as pipeline

    return sorted({cls for module in (encoders, pipeline)
                   for _, cls in inspect.getmembers(module, inspect.isclass)
                   if issubclass(cls, TransformerMixin)
                   and cls.__module__ == module.__name__
                   and not cls.__name__.startswith("_Elementwise")},
                  key=lambda cls: cls.__name__)


def test_every_table_transformer_converts_or_is_refused_by_name():
    # each in a pipeline before a regressor, checked against onnxruntime; a
    # new transformer class fails here until it converts or is refused
    from skmlp_scratch.tabular import AsText, Cast, LogTarget, PiecewiseLinearEncoder
    from skmlp_scratch.tabular._pipeline import _LevelEncoder

    X = data(np.float32, n_samples=120, n_features=3)
    y = X[:, 0] - X[:, 1]
    levels = np.where(X > 0, "a", "b").astype(object)
    cases = {
        SoftClip: (SoftClip(), X),
        Cast: (Cast("float32"), X),
        PiecewiseLinearEncoder: (PiecewiseLinearEncoder(n_bins=8), X),
        _LevelEncoder: (_LevelEncoder(sparse_output=False, dtype=np.float32), levels),
        AsText: None,  # text in, text out: the table tests convert it
        LogTarget: None,  # a target transform: test_table_regressor_matches
    }
    assert set(cases) == set(table_transformer_classes())
    for cls, case in cases.items():
        if case is None:
            continue
        step, inputs = case
        model = fit_quietly(make_pipeline(step, MLPScratchRegressor(
            hidden_layer_sizes=(4,), max_iter=10, random_state=0)), inputs, y)
        try:
            onnx_model = skmlp_onnx.to_onnx(model, inputs[:1])
        except ValueError as exc:
            assert cls.__name__ in str(exc)
            continue
        if inputs.dtype == object:
            initial = [("X", skl2onnx.common.data_types.StringTensorType([None, 3]))]
            onnx_model = skl2onnx.convert_sklearn(model, initial_types=initial)
        (predicted,) = run_onnx(onnx_model, inputs)
        np.testing.assert_allclose(predicted[:, 0], model.predict(inputs), atol=1e-5,
                                   err_msg=cls.__name__)
