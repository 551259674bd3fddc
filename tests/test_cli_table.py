"""``skmlp-scratch train --dataset csv:...`` on tables (predict: test_cli_predict.py)."""

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor

from skmlp_scratch.ensemble import CrossFitRegressor
from test_cli import read_metrics, run_main

skops_io = pytest.importorskip("skops.io")

TABLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "tabular"
needs_shared_tables = pytest.mark.skipif(
    not (TABLES / "HMDA.csv").is_file(),
    reason="the real tables of ../shared/datasets/tabular are not beside the checkout")
# small networks, few epochs, and two folds of the ensemble (four networks)
FAST_NETWORK = ["--hidden", "16", "--epochs", "15", "--quiet"]
FAST = [*FAST_NETWORK, "--folds", "2"]


def write_slice(name, tmp_path, n_rows):
    """The first ``n_rows`` of a shared table, shuffled first so every class appears."""
    table = pd.read_csv(TABLES / name).sample(frac=1.0, random_state=0)
    path = tmp_path / name
    table.head(n_rows).to_csv(path, index=False)
    return path


def toy_table(n=120, seed=0):
    """Numbers, a text category and a text target that depends on both."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(size + (colour == "red") > 0.5, "big", "small")
    return pd.DataFrame({"row_id": np.arange(n), "size": size,
                         "weight": rng.gamma(2.0, size=n), "colour": colour,
                         "label": label})


@pytest.fixture
def toy_csv(tmp_path):
    path = tmp_path / "toy.csv"
    toy_table().to_csv(path, index=False)
    return path


def train(dataset, report_dir, *options):
    fast = FAST_NETWORK if "--single-network" in options else FAST
    return run_main(["train", "--dataset", f"csv:{dataset}", "--output", str(report_dir),
                     *fast, "--no-plots", *options])


# ------------------------------------------------------- the real tables


@needs_shared_tables
def test_binary_table_trains_and_predicts_from_the_skops_file(tmp_path):
    data = write_slice("HMDA.csv", tmp_path, 600)
    code, out, err = run_main(["train", "--dataset", f"csv:{data}", "--target", "deny",
                               "--output", str(tmp_path / "run"), *FAST])
    assert code == 0, err
    # the ensemble, fitted on every row, scored out of fold
    assert "classification" in out and "out-of-fold scores on 600 rows" in out
    assert "balanced accuracy" in out and "true\\pred" in out
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["confusion_matrix.png", "curves.png", "metrics.json",
                     "model.joblib", "model.skops"]
    metrics = read_metrics(tmp_path / "run")
    assert metrics["task"] == "classification" and metrics["target"] == "deny"
    assert metrics["n_train"] + metrics["n_test"] == 600
    assert set(metrics["classes"]) == {"no", "yes"}

    code, _, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                             "--dataset", f"csv:{data}", "--proba",
                             "--output", str(tmp_path / "pred.csv")])
    assert code == 0, err
    assert "ignoring columns the model was not trained on: 'deny'" in err
    written = pd.read_csv(tmp_path / "pred.csv")
    assert list(written.columns) == ["prediction", "proba_no", "proba_yes"]
    model = joblib.load(tmp_path / "run/model.joblib")
    table = pd.read_csv(data)
    np.testing.assert_array_equal(written["prediction"], model.predict(table))
    np.testing.assert_allclose(written[["proba_no", "proba_yes"]],
                               model.predict_proba(table), rtol=1e-6)


@needs_shared_tables
def test_regression_table_with_log_target(tmp_path):
    data = write_slice("CPS1988.csv", tmp_path, 800)
    code, out, err = run_main(["train", "--dataset", f"csv:{data}", "--target", "wage",
                               "--log-target", "--output", str(tmp_path / "run"), *FAST,
                               "--test-size", "0.2"])
    assert code == 0, err
    assert "regression, log" in out and "test R²" in out and "test MAE" in out
    assert (tmp_path / "run/predictions.png").is_file()
    metrics = read_metrics(tmp_path / "run")
    assert metrics["task"] == "regression" and metrics["log_target"] is True
    assert (metrics["numeric_scaling"], metrics["test_size"]) == ("robust", 0.2)
    assert "huber_delta" in metrics["parameters"]  # the regressor was trained
    model = joblib.load(tmp_path / "run/model.joblib")
    assert isinstance(model[-1], TransformedTargetRegressor)
    assert isinstance(model[-1].regressor_, CrossFitRegressor)

    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{data}"])
    assert code == 0, err
    predicted = pd.read_csv(pd.io.common.StringIO(out))["prediction"]
    assert (predicted > 0).all()  # exp of the network's output
    np.testing.assert_allclose(predicted, model.predict(pd.read_csv(data)), rtol=1e-5)


@needs_shared_tables
def test_multiclass_table_keeps_its_rare_classes_in_both_parts(tmp_path):
    table = pd.read_csv(TABLES / "Shuttle.csv").groupby("Class").head(300)
    table.to_csv(tmp_path / "shuttle.csv", index=False)
    code, out, err = train(tmp_path / "shuttle.csv", tmp_path / "run", "--target",
                           "Class")
    assert code == 0, err
    metrics = read_metrics(tmp_path / "run")
    assert len(metrics["classes"]) == 7
    support = [metrics["classification_report"][c]["support"] for c in metrics["classes"]]
    assert min(support) >= 2  # stratified: even a 10-row class is tested


def test_class_of_one_row_trains_in_the_ensemble_and_is_noted(tmp_path):
    table = toy_table()
    table.loc[0, "label"] = "rare"
    table.to_csv(tmp_path / "rare.csv", index=False)
    code, out, err = train(tmp_path / "rare.csv", tmp_path / "a", "--target", "label")
    assert code == 0, err
    assert "classes ['rare'] have a single row" in out
    # that row is held out by no member: the out-of-fold scores leave it out
    assert "out-of-fold scores on 119 rows" in out
    assert read_metrics(tmp_path / "a")["n_oof"] == 119


def test_class_of_one_row_splits_unstratified_or_asks_for_no_early_stopping(tmp_path):
    table = toy_table()
    table.loc[0, "label"] = "rare"
    table.to_csv(tmp_path / "rare.csv", index=False)
    code, _, err = train(tmp_path / "rare.csv", tmp_path / "a", "--target", "label",
                         "--single-network")
    assert code == 2
    assert "not stratified" in err and "set early_stopping=False" in err
    code, _, err = train(tmp_path / "rare.csv", tmp_path / "b", "--target", "label",
                         "--single-network", "--early-stopping", "false")
    assert code == 0, err


# ----------------------------------------------------- choices and defaults


def test_task_is_inferred_and_can_be_overridden(tmp_path):
    table = toy_table()
    table["grade"] = (table["size"] > 0).astype(int) + (table["weight"] > 2)
    path = tmp_path / "grades.csv"
    table.drop(columns="label").to_csv(path, index=False)
    # ordered integer levels (0, 1, 2) are a regression, and the guess is said
    code, out, err = train(path, tmp_path / "a", "--target", "grade")
    assert code == 0, err
    assert read_metrics(tmp_path / "a")["task"] == "regression"
    assert "3 integer levels" in err and "--task classification" in err
    code, out, err = train(path, tmp_path / "b", "--target", "grade",
                           "--task", "classification")
    assert code == 0, err
    assert read_metrics(tmp_path / "b")["task"] == "classification"
    assert "integer levels" not in err
    # the same codes in a column named as classes are taken for classes
    path = tmp_path / "types.csv"
    table.drop(columns="label").rename(columns={"grade": "Type"}).to_csv(path,
                                                                         index=False)
    code, out, err = train(path, tmp_path / "c", "--target", "Type")
    assert code == 0, err
    assert read_metrics(tmp_path / "c")["task"] == "classification"
    assert "class codes" in err and "--task regression" in err


def test_table_runs_use_the_table_defaults_unless_told_otherwise(tmp_path, toy_csv):
    code, _, err = train(toy_csv, tmp_path / "a", "--target", "label")
    assert code == 0, err
    parameters = read_metrics(tmp_path / "a")["parameters"]
    assert (parameters["solver"], parameters["scoring"]) == ("adamw", "loss")
    assert parameters["early_stopping"] is True and parameters["max_iter"] == 15
    code, _, err = train(toy_csv, tmp_path / "b", "--target", "label", "--solver",
                         "adam", "--scoring", "none")
    assert code == 0, err
    parameters = read_metrics(tmp_path / "b")["parameters"]
    assert (parameters["solver"], parameters["scoring"]) == ("adam", None)


def test_rows_without_target_are_dropped_and_counted(tmp_path):
    table = toy_table()
    table.loc[[3, 50, 99], "label"] = np.nan
    path = tmp_path / "gaps.csv"
    table.to_csv(path, index=False)
    code, out, err = train(path, tmp_path / "run", "--target", "label", "--drop", "row_id")
    assert code == 0, err
    assert "3 rows without a target value were left out" in out
    metrics = read_metrics(tmp_path / "run")
    assert metrics["rows_without_target"] == 3
    assert metrics["n_train"] + metrics["n_test"] == 117
    assert "row_id" not in metrics["columns"]


# ------------------------------------------------------------ bad tables


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("", "is empty"),
    ("a,b,label\n", "has a header but no data rows"),
    ("size,label\n" + "1,x\n3,y\n" * 20 + "unknown,y\n",
     "column 'size' mixes numbers and text"),
])
def test_unusable_file_exits_2_without_a_folder(tmp_path, content, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    code, _, err = train(path, tmp_path / "run", "--target", "label")
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("options, message", [
    ([], "a table needs --target COLUMN"),
    (["--target", "price"], "no column 'price'"),
    (["--target", "label", "--drop", "nope"], "no column 'nope'"),
    (["--target", "label", "--task", "regression"], "regression needs a numeric target"),
    (["--target", "label", "--log-target"], "--log-target applies to regression"),
    (["--target", "size", "--task", "regression", "--log-target"],
     "--log-target needs a positive target"),
    (["--target", "weight", "--class-weight", "balanced"],
     "--class-weight does not apply to MLPScratchRegressor"),
    (["--target", "label", "--hidden", "0"], "hidden_layer_sizes"),
    (["--target", "label", "--test-size", "1.5"], "--test-size"),
])
def test_bad_target_or_option_exits_2_without_a_folder(tmp_path, toy_csv, options,
                                                       message):
    code, _, err = train(toy_csv, tmp_path / "run", *options)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_missing_target_lists_the_columns(tmp_path, toy_csv):
    _, _, err = train(toy_csv, tmp_path / "run", "--target", "price")
    assert "'row_id', 'size', 'weight', 'colour', 'label'" in err


@pytest.mark.parametrize("values, message", [
    (["yes"] * 6, "has one class only ('yes')"),
    ([np.nan] * 6, "has no values"),
])
def test_target_without_two_classes_exits_2(tmp_path, values, message):
    path = tmp_path / "one.csv"
    pd.DataFrame({"x": np.arange(6.0), "label": values}).to_csv(path, index=False)
    code, _, err = train(path, tmp_path / "run", "--target", "label")
    assert code == 2 and message in err
    assert not (tmp_path / "run").exists()
