"""skmlp_scratch.tabular: reading tables, the preprocessing rules and the pipeline."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import QuantileTransformer, StandardScaler

from conftest import short_training
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor
from skmlp_scratch.tabular import (
    ENSEMBLE_DEFAULTS,
    NUMERIC_SCALERS,
    PORTFOLIO,
    TABLE_DEFAULTS,
    TableError,
    TableWarning,
    final_estimator,
    infer_task,
    make_preprocessor,
    make_tabular_pipeline,
    read_table,
    soft_clip,
)


def mixed_table(n=200, seed=0):
    """Numbers with gaps, a skewed column, text, a boolean and a rare-level column."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, size=n)
    age[:7] = np.nan
    city = rng.choice(["oslo", "rome", "lima"], size=n).astype(object)
    city[7:13] = None  # six gaps: enough for a level of its own
    rare = np.array(["common"] * (n - 3) + ["once", "twice", "twice"], dtype=object)
    return pd.DataFrame({"age": age, "income": rng.lognormal(10, 1, size=n),
                         "city": city, "member": rng.random(n) < 0.5, "tag": rare})


# ----------------------------------------------------------------- reading


def test_csv_and_parquet_read_the_same_table(tmp_path):
    table = mixed_table(20)
    table.to_csv(tmp_path / "t.csv", index=False)
    from_csv = read_table(tmp_path / "t.csv")
    assert from_csv.shape == (20, 5)
    pytest.importorskip("pyarrow")
    table.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), table)


def test_corrupt_parquet_is_a_table_error(tmp_path):
    pytest.importorskip("pyarrow")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(TableError, match="cannot read"):
        read_table(tmp_path / "bad.parquet")


def test_missing_pandas_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "skmlp_scratch\[tabular\]"'):
        read_table(tmp_path / "t.csv")


def test_missing_values_written_as_na_are_not_mixed_text(tmp_path):
    (tmp_path / "t.csv").write_text("x,y\n1,a\nNA,b\n,c\n4.5,d\n")
    with pytest.warns(TableWarning, match=r"column 'x': 'NA' read as missing"):
        table = read_table(tmp_path / "t.csv")
    assert table["x"].dtype.kind == "f" and table["x"].isna().sum() == 2


# ------------------------------------------------------------------- task


@pytest.mark.parametrize("y, task", [
    (["a", "b", "a"], "classification"),
    ([True, False, True], "classification"),
    ([0, 1, 1, 0], "classification"),  # two levels: a binary target
    ([1.0, 2.0, 1.0], "classification"),  # integers written as floats
    (np.arange(21) % 21, "regression"),  # too many levels to be class codes
    ([0.5, 1.25, 3.0], "regression"),
])
def test_infer_task(y, task):
    assert infer_task(pd.Series(y)) == task


@pytest.mark.parametrize("y", [
    pd.Series([0, 1, 2, 9, 0, 3], name="visits"),  # a count, 0-9
    pd.Series([0.0, 1.0, 2.0, 3.0, 7.0, 12.0], name="visits"),  # counts as floats
    pd.Series([12, 13, 18, 14, 16], name="visits"),  # years of schooling
])
def test_ordered_integer_levels_are_a_regression_said_aloud(y):
    with pytest.warns(TableWarning) as caught:
        assert infer_task(y) == "regression"
    message = str(caught[0].message)
    assert "'visits'" in message and f"{y.nunique()} integer levels" in message
    assert "--task classification" in message


@pytest.mark.parametrize("name", ["Type", "class", "GlassType", "species_label",
                                  "Kind of animal"])
def test_integer_levels_named_as_classes_are_class_codes_said_aloud(name):
    # Glass's types 1, 2, 3, 5, 6, 7 and Zoo's 1-7 are codes, not counts
    y = pd.Series([1, 2, 3, 5, 6, 7, 1, 2], name=name)
    with pytest.warns(TableWarning) as caught:
        assert infer_task(y) == "classification"
    message = str(caught[0].message)
    assert repr(name) in message and "6 integer levels" in message
    assert "--task regression" in message


@pytest.mark.parametrize("name", ["classroom_size", "subtype_count", "visits"])
def test_class_words_count_only_as_whole_words(name):
    with pytest.warns(TableWarning, match="--task classification"):
        assert infer_task(pd.Series([0, 1, 2, 3], name=name)) == "regression"


def test_a_class_name_does_not_turn_many_levels_or_fractions_into_classes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert infer_task(pd.Series(np.arange(21), name="type")) == "regression"
        assert infer_task(pd.Series([0.5, 1.0, 2.0], name="class")) == "regression"


@pytest.mark.parametrize("y", [["a", "b"], [0, 1, 0], [0.5, 2.25, 3.0],
                               np.arange(30)])
def test_certain_guesses_are_silent(y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        infer_task(pd.Series(y))


# ---------------------------------------------------------- preprocessing


def test_soft_clip_is_near_identity_inside_and_bounded_outside():
    x = np.array([-1e6, -30.0, -0.1, 0.0, 0.1, 30.0, 1e6])
    y = soft_clip(x)
    assert np.all(np.diff(y) > 0)  # order is kept
    assert np.all(np.abs(y) < 3)
    np.testing.assert_allclose(y[2:5], x[2:5], rtol=1e-3)
    np.testing.assert_allclose(soft_clip(-x), -y)


def test_soft_clip_sends_huge_values_to_the_bound_without_overflow():
    # (x / 3)**2 overflows above about 1e154: the squared form sent these to 0
    x = np.array([1e200, -1e300, np.finfo(np.float64).max, -np.finfo(np.float64).max])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = soft_clip(x)
    np.testing.assert_allclose(y, [3.0, -3.0, 3.0, -3.0], rtol=1e-15)
    assert soft_clip(np.float32([3e38]))[0] == np.float32(3.0)


def test_soft_clip_step_equals_the_function():
    from skmlp_scratch.tabular import SoftClip

    X = np.array([[-50.0, 0.5], [2.0, 1e250]])
    np.testing.assert_array_equal(SoftClip(bound=2.0).fit_transform(X), soft_clip(X, 2.0))
    with pytest.raises(ValueError, match="bound"):
        SoftClip(bound=0).fit(X)


@pytest.mark.parametrize("numeric", sorted(NUMERIC_SCALERS))
def test_preprocessor_encodes_every_column_by_its_rules(numeric):
    table = mixed_table()
    preprocessor = make_preprocessor(numeric=numeric)
    with warnings.catch_warnings():
        # 200 rows are fewer than the quantile scaler's 1000 quantiles: it says
        # so and uses 200, which is right for a table this small
        warnings.filterwarnings("ignore", "n_quantiles", UserWarning)
        Z = preprocessor.fit_transform(table)
    names = list(preprocessor.get_feature_names_out())
    assert Z.dtype == np.float32 and np.isfinite(Z).all()
    # numbers: the two columns, then a 0/1 missing-value flag for age only
    assert names[:3] == ["age", "income", "missingindicator_age"]
    np.testing.assert_array_equal(Z[:, 2], np.isnan(table["age"]))
    assert np.isfinite(Z[:, 0]).all()  # the gaps are imputed
    # text with a gap gets a "missing" level; booleans become two levels; the
    # levels seen fewer than 5 times are pooled in one infrequent column
    assert {"city_missing", "member_False", "member_True",
            "tag_common", "tag_infrequent_sklearn"} <= set(names)
    assert not any(name.startswith("tag_once") for name in names)


def test_high_cardinality_column_is_capped_at_max_categories():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"code": rng.choice([f"c{i}" for i in range(200)], size=2000)})
    Z = make_preprocessor(max_categories=10, min_frequency=1).fit_transform(table)
    assert Z.shape == (2000, 10)
    np.testing.assert_array_equal(Z.sum(axis=1), 1)


def test_unseen_levels_and_gaps_at_transform_time_do_not_fail():
    preprocessor = make_preprocessor().fit(mixed_table())
    new = mixed_table(10, seed=1)
    new.loc[0, "city"] = "tokyo"
    new.loc[1, "income"] = np.nan
    Z = preprocessor.transform(new)
    assert np.isfinite(Z).all()
    city = [i for i, n in enumerate(preprocessor.get_feature_names_out())
            if n.startswith("city_")]
    assert Z[0, city].sum() == 0  # no city level was pooled: an unseen one is all zeros


def test_robust_scaling_keeps_an_outlier_from_dominating():
    table = pd.DataFrame({"x": np.r_[np.linspace(0, 1, 99), 1e6]})
    robust = make_preprocessor(numeric="robust").fit_transform(table)[:, 0]
    standard = make_preprocessor(numeric="standard").fit_transform(table)[:, 0]
    assert robust.max() <= 3 and np.ptp(robust[:99]) > 1.5
    assert np.ptp(standard[:99]) < 0.01  # squeezed to nothing by the outlier


def test_pandas_missing_markers_of_every_dtype_become_the_missing_level():
    table = pd.DataFrame({
        "s": pd.array(["a", None, "b", "a"], dtype="string"),
        "b": pd.array([True, None, False, True], dtype="boolean"),
        "c": pd.Categorical(["x", None, "y", "x"])})
    preprocessor = make_preprocessor(min_frequency=1).fit(table)
    names = set(preprocessor.get_feature_names_out())
    assert {"s_missing", "b_missing", "c_missing"} <= names
    assert not any("<NA>" in name or "nan" in name for name in names)


def test_float64_on_request():
    Z = make_preprocessor(dtype="float64").fit_transform(mixed_table())
    assert Z.dtype == np.float64


def test_unknown_scaler_is_refused():
    with pytest.raises(ValueError, match="numeric must be one of"):
        make_preprocessor(numeric="minmax")


# --------------------------------------------------------------- pipeline


def test_pipeline_fits_in_a_grid_search_with_estimator_and_encoder_parameters():
    table = mixed_table()
    y = (table["income"] > table["income"].median()).map({True: "rich", False: "poor"})
    pipeline = make_tabular_pipeline(MLPScratchClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=500, random_state=0))
    search = GridSearchCV(pipeline, {
        "model__alpha": [1e-4, 1e-1],
        "preprocess__categorical__encode__min_frequency": [1, 5],
        "preprocess__numeric__scale": [StandardScaler(), QuantileTransformer(n_quantiles=50)]}, cv=2)
    with short_training():  # L-BFGS's iteration count is not what is tested
        search.fit(table, y)
    assert search.best_estimator_.score(table, y) > 0.8
    assert set(search.predict(table)) <= {"rich", "poor"}


def test_regression_pipeline_scales_and_logs_the_target():
    table = mixed_table()
    y = table["income"].to_numpy()
    pipeline = make_tabular_pipeline(
        MLPScratchRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300,
                            random_state=0), task="regression", log_target=True)
    with short_training():  # L-BFGS needs 195 iterations here, 327 elsewhere
        pipeline.fit(table, y)
    network = final_estimator(pipeline)
    assert isinstance(network, MLPScratchRegressor) and hasattr(network, "coefs_")
    assert isinstance(pipeline[-1], TransformedTargetRegressor)
    # the network saw log(y) standardised: mean 0, unit spread
    inner = pipeline[-1].transformer_.transform(y.reshape(-1, 1)).ravel()
    np.testing.assert_allclose([inner.mean(), inner.std()], [0, 1], atol=1e-6)
    assert pipeline.score(table, y) > 0.9
    assert np.all(pipeline.predict(table) > 0)


def log_normal_table(n=600, seed=0):
    """A target whose log is linear in x plus noise of spread 0.8."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=n)
    return pd.DataFrame({"x": x}), np.exp(1.0 + x + rng.normal(0, 0.8, size=n))


def test_log_target_smearing_factor_is_duans_estimate():
    table, y = log_normal_table()
    pipeline = make_tabular_pipeline(
        MLPScratchRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200,
                            random_state=0), task="regression", log_target=True)
    pipeline.fit(table, y)
    model = pipeline[-1]
    # exp of the network's prediction of log y, computed step by step
    inputs = pipeline["preprocess"].transform(table)
    log_scale = model.transformer_.inverse_transform(
        model.regressor_.predict(inputs).reshape(-1, 1)).ravel()
    factor = np.mean(y / log_scale)
    np.testing.assert_allclose(model.smearing_, factor, rtol=1e-10)
    np.testing.assert_allclose(pipeline.predict(table), log_scale * factor, rtol=1e-10)
    # exp of the mean log is close to the median, exp(0.8^2 / 2) = 1.38 below
    # the mean; smeared, the predictions' mean is the target's again
    assert log_scale.mean() / y.mean() < 0.85
    assert pipeline.predict(table).mean() == pytest.approx(y.mean(), rel=0.02)


def test_log_target_refuses_non_positive_values_and_classification():
    pipeline = make_tabular_pipeline(MLPScratchRegressor(max_iter=2), task="regression",
                                     log_target=True)
    with pytest.raises(ValueError, match="positive target"):
        pipeline.fit(mixed_table(), np.r_[0.0, np.ones(199)])
    with pytest.raises(ValueError, match="needs task='regression'"):
        make_tabular_pipeline(task="classification", log_target=True)


def test_default_estimator_follows_the_task():
    assert isinstance(final_estimator(make_tabular_pipeline()), CrossFitClassifier)
    assert isinstance(final_estimator(make_tabular_pipeline(task="regression")),
                      CrossFitRegressor)
    # one network is one option away
    network = final_estimator(make_tabular_pipeline(ensemble=False))
    assert isinstance(network, MLPScratchClassifier)
    assert network.get_params() == MLPScratchClassifier(**TABLE_DEFAULTS).get_params()
    assert isinstance(final_estimator(make_tabular_pipeline(task="regression",
                                                            ensemble=False)),
                      MLPScratchRegressor)
    with pytest.raises(ValueError, match="task must be"):
        make_tabular_pipeline(task="ranking")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_default_ensemble_holds_the_default_portfolio(task):
    ensemble = final_estimator(make_tabular_pipeline(task=task))
    assert ensemble.n_folds == ENSEMBLE_DEFAULTS["n_folds"]
    names = [name for name, _ in ensemble.estimators]
    assert names == list(ENSEMBLE_DEFAULTS["portfolio"])
    for name, config in ensemble.estimators:
        reference = PORTFOLIO[name](task)
        assert type(config) is type(reference)
        assert plain_params(config) == plain_params(reference)


def plain_params(estimator):
    """Deep parameters but the estimator objects, which compare by identity."""
    return {key: value for key, value in estimator.get_params(deep=True).items()
            if not hasattr(value, "get_params") and key != "steps"}


@pytest.mark.parametrize("name", sorted(PORTFOLIO))
def test_every_portfolio_configuration_fits_a_table_in_an_ensemble(name):
    table = mixed_table()
    y = (table["income"] > table["income"].median()).map({True: "rich", False: "poor"})
    config = PORTFOLIO[name]("classification")
    network = config[-1] if hasattr(config, "steps") else config
    network.set_params(max_iter=5)  # fitting, not converging, is the point
    model = make_tabular_pipeline(CrossFitClassifier([(name, config)], n_folds=3,
                                                     random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(table, y)
    assert final_estimator(model).oof_predictions_.shape == (len(table), 2)
    assert set(model.predict(table)) <= {"rich", "poor"}


def test_skops_round_trip_trusts_only_known_packages(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    table = mixed_table()
    y = table.pop("member")
    pipeline = make_tabular_pipeline(MLPScratchClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0))
    # 50 lbfgs iterations are too few to converge on this table
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        pipeline.fit(table, y)
    skops_io.dump(pipeline, tmp_path / "m.skops")
    untrusted = skops_io.get_untrusted_types(file=tmp_path / "m.skops")
    assert {name.split(".")[0] for name in untrusted} <= {"skmlp_scratch", "sklearn",
                                                          "numpy"}
    loaded = skops_io.load(tmp_path / "m.skops", trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(table),
                                  pipeline.predict_proba(table))
