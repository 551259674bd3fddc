"""``train`` on a table with the cross-fitted ensemble: out-of-fold scores, the saved model."""

import io
import json
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split

from skmlp_scratch._cli._model_files import load_model, schema_nodes
from skmlp_scratch.ensemble import CrossFitClassifier
from skmlp_scratch.tabular import ENSEMBLE_DEFAULTS
from skmlp_scratch.tabular._contract import final_estimator, networks
from test_cli import read_metrics, run_main
from test_cli_files import npy_bytes, rewrite_member
from test_cli_messy_tables import error_line
from test_cli_table import toy_table, train

skops_io = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    """The toy table and an ensemble trained on every row of it, two folds."""
    folder = tmp_path_factory.mktemp("ensemble")
    toy_table().to_csv(folder / "toy.csv", index=False)
    code, out, err = train(folder / "toy.csv", folder / "run", "--target", "label",
                           "--drop", "row_id")
    assert code == 0, err
    return folder, out


def test_oof_scores_are_those_of_the_saved_models_oof_predictions(classifier_run):
    folder, out = classifier_run
    metrics = read_metrics(folder / "run")
    ensemble = final_estimator(load_model(folder / "run/model.skops"))
    assert isinstance(ensemble, CrossFitClassifier)
    y = toy_table()["label"].to_numpy()  # every row, in order: no test split
    proba = ensemble.oof_predictions_
    labels = ensemble.classes_[proba.argmax(axis=1)]
    assert metrics["model"] == "ensemble" and metrics["n_test"] == 0
    assert metrics["saved_model_rows"] == metrics["n_oof"] == len(y) == 120
    assert metrics["test_size"] is None
    assert not any(name.startswith("test_") for name in metrics if name != "test_size")
    assert metrics["oof_accuracy"] == pytest.approx(accuracy_score(y, labels))
    assert metrics["oof_balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(y, labels))
    assert metrics["oof_log_loss"] == pytest.approx(
        log_loss(y, proba, labels=ensemble.classes_))
    assert f"accuracy {metrics['oof_accuracy']:.4f}" in out
    assert "120 rows, every one fitted and scored out of fold" in out
    # each configuration's weight and scores, each member's, as the ensemble has them
    summary = metrics["ensemble"]
    assert [c["name"] for c in summary["configurations"]] == ensemble.config_names_
    assert [c["weight"] for c in summary["configurations"]] == pytest.approx(
        ensemble.weights_)
    for config, scores, members in zip(summary["configurations"],
                                       ensemble.config_scores_,
                                       ensemble.member_scores_):
        assert config["oof_scores"] == pytest.approx(scores)
        assert [m["scores"] for m in config["members"]] == members
    # the report's details are of the out-of-fold predictions
    assert metrics["classification_report_rows"] == "out-of-fold"
    matrix = np.array(metrics["confusion_matrix"])
    assert np.trace(matrix) / matrix.sum() == pytest.approx(metrics["oof_accuracy"])


def test_curves_and_fit_time_are_the_saved_models_members(classifier_run):
    folder, _ = classifier_run
    metrics = read_metrics(folder / "run")
    fitted = networks(load_model(folder / "run/model.skops"))
    assert len(fitted) == 4  # two configurations x two folds
    assert [c["member"] for c in metrics["curves"]] == [name for name, _ in fitted]
    for curve, (_, network) in zip(metrics["curves"], fitted):
        assert curve["n_iter"] == network.n_iter_ == len(curve["loss_curve"])
        assert curve["loss_curve"] == pytest.approx(network.loss_curve_)
    assert metrics["fit_seconds"] > 0 and "evaluated_fit_seconds" not in metrics


def test_predict_with_the_saved_ensemble_is_the_pipelines(classifier_run, tmp_path):
    folder, _ = classifier_run
    model = joblib.load(folder / "run/model.joblib")
    code, out, err = run_main(["predict", "--model", str(folder / "run/model.skops"),
                               "--dataset", f"csv:{folder / 'toy.csv'}", "--proba"])
    assert code == 0, err
    written = pd.read_csv(io.StringIO(out))
    table = toy_table()
    np.testing.assert_array_equal(written["prediction"], model.predict(table))
    np.testing.assert_allclose(written[["proba_big", "proba_small"]],
                               model.predict_proba(table), rtol=1e-12)


def test_export_of_the_ensemble_matches_onnxruntime(classifier_run, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    skmlp_onnx = pytest.importorskip("skmlp_scratch.onnx")
    folder, _ = classifier_run
    code, out, err = run_main(["export", "--model", str(folder / "run/model.skops"),
                               "--output", str(tmp_path / "m.onnx"),
                               "--dataset", f"csv:{folder / 'toy.csv'}"])
    assert code == 0, err
    assert "labels all equal" in out
    model = joblib.load(folder / "run/model.joblib")
    table = toy_table()
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"),
                                           providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, skmlp_onnx.table_inputs(model, table))
    np.testing.assert_allclose(proba, model.predict_proba(table), atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(table))


def test_importing_skmlp_scratch_onnx_alone_registers_the_ensembles():
    pytest.importorskip("skl2onnx")
    code = ("import skl2onnx, skmlp_scratch.onnx\n"
            "from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor\n"
            "print(skl2onnx.get_model_alias(CrossFitClassifier),"
            " skl2onnx.get_model_alias(CrossFitRegressor))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == ["SkmlpScratchCrossFitClassifier",
                                     "SkmlpScratchCrossFitRegressor"]


@pytest.mark.parametrize("log_target", [False, True])
def test_regression_oof_scores_are_in_the_targets_units(tmp_path, log_target):
    table = toy_table()
    table["price"] = np.exp(table["size"]) * 100 + 50 * table["weight"]
    table.to_csv(tmp_path / "t.csv", index=False)
    options = ["--target", "price", "--drop", "label,row_id", "--test-size", "0.25"]
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", *options,
                           *(["--log-target"] if log_target else []))
    assert code == 0, err
    metrics = read_metrics(tmp_path / "run")
    model = joblib.load(tmp_path / "run/model.joblib")
    target = model[-1]
    oof = target.regressor_.oof_predictions_.reshape(-1, 1)
    # the network's target: standardised, after log if asked; back by hand
    scaler = target.transformer_[-1] if log_target else target.transformer_
    values = (oof * scaler.scale_ + scaler.mean_).ravel()
    if log_target:
        values = np.exp(values) * target.smearing_
    # the training rows, 90 of 120, are the saved model's: no --refit
    assert metrics["n_train"] == metrics["n_oof"] == metrics["saved_model_rows"] == 90
    assert metrics["n_test"] == 30 and "test_r2" in metrics and "test R²" in out
    # the training rows as the command line draws them: train_test_split with
    # the network's random_state (0), unstratified for a regression
    train_rows, _ = train_test_split(np.arange(len(table)), test_size=0.25,
                                     random_state=0)
    y = table["price"].to_numpy()[train_rows]
    assert metrics["oof_r2"] == pytest.approx(r2_score(y, values))
    assert metrics["oof_mae"] == pytest.approx(mean_absolute_error(y, values))
    assert metrics["oof_rmse"] == pytest.approx(root_mean_squared_error(y, values))
    expected = "standardised log target" if log_target else "standardised target"
    assert metrics["ensemble"]["scores_scale"] == expected


def test_refit_changes_nothing_without_a_test_split(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--refit")
    assert code == 0, err
    assert "--refit changes nothing here" in err
    assert "refitting" not in out
    metrics = read_metrics(tmp_path / "run")
    assert metrics["saved_model_rows"] == metrics["n_oof"] == 120


def test_refit_after_a_test_split_reports_the_saved_model(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--test-size", "0.2", "--refit")
    assert code == 0, err
    assert "refitting on all 120 rows" in out and "(the saved model)" in out
    metrics = read_metrics(tmp_path / "run")
    # test scores from the first fit; out-of-fold scores and curves of the saved one
    assert metrics["n_test"] == 24 and "test_accuracy" in metrics
    assert metrics["saved_model_rows"] == metrics["n_oof"] == 120
    assert metrics["evaluated_fit_seconds"] > 0
    saved = final_estimator(load_model(tmp_path / "run/model.skops"))
    assert len(saved.folds_) == 120
    assert [c["n_iter"] for c in metrics["curves"]] == [
        network.n_iter_ for _, network in networks(load_model(
            tmp_path / "run/model.skops"))]


def test_a_tiny_table_with_a_class_of_two_rows_trains(tmp_path):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=30),
                          "colour": rng.choice(["red", "blue"], 30)})
    table["label"] = np.where(table["x"] > 0, "up", "down")
    table.loc[[3, 17], "label"] = "rare"
    table.to_csv(tmp_path / "t.csv", index=False)
    # the default five folds, where the rare class cannot be in every fold
    code, out, err = run_main(["train", "--dataset", f"csv:{tmp_path / 't.csv'}",
                               "--target", "label", "--output", str(tmp_path / "run"),
                               "--hidden", "8", "--epochs", "5", "--quiet",
                               "--no-plots"])
    assert code == 0, err
    assert "classes ['rare'] have fewer rows than the 5 folds" in out
    assert read_metrics(tmp_path / "run")["n_oof"] == 30
    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{tmp_path / 't.csv'}"])
    assert code == 0, err
    assert set(pd.read_csv(io.StringIO(out))["prediction"]) <= {"up", "down", "rare"}


@pytest.mark.parametrize("options, message", [
    (["--single-network", "--folds", "3"], "--folds: for the ensemble"),
    (["--single-network", "--portfolio", "bins"], "--portfolio: for the ensemble"),
    (["--single-network", "--time-limit", "60", "--n-jobs", "2"],
     "--time-limit, --n-jobs: for the ensemble"),
    (["--single-network", "--max-samples", "none"], "--max-samples: for the ensemble"),
    (["--folds", "1"], "--folds must be at least 2"),
    (["--portfolio", "network,forest"], "unknown configuration 'forest'"),
    (["--time-limit", "0"], "--time-limit must be a positive number of seconds; got 0"),
    (["--time-limit", "-3"], "--time-limit must be a positive number of seconds"),
    (["--time-limit", "inf"], "--time-limit must be a positive number of seconds"),
    (["--time-limit", "soon"], "argument --time-limit: invalid float value: 'soon'"),
    (["--n-jobs", "0"], "--n-jobs must be a number of processes, or -1"),
    (["--max-samples", "0"], "argument --max-samples: expected a positive number"),
])
def test_ensemble_options_are_checked(tmp_path, options, message):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run_main(["train", "--dataset", f"csv:{tmp_path / 't.csv'}",
                             "--target", "label", "--output", str(tmp_path / "run"),
                             *options])
    assert code == 2
    assert message in err


def test_the_ensemble_options_reach_the_saved_model(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--time-limit", "600", "--max-samples", "50", "--n-jobs", "2")
    assert code == 0, err
    ensemble = final_estimator(load_model(tmp_path / "run/model.skops"))
    assert (ensemble.time_limit, ensemble.max_samples, ensemble.n_jobs) == (600, 50, 2)
    assert ("at most 50 training rows per network, time limit 600 s, 2 jobs"
            in out)
    # two folds of 120 rows: each network trains on 50 of its 60, and says so
    assert "note: max_samples=50: each member trains on 50 of the 60 rows" in out
    code, out, err = train(tmp_path / "t.csv", tmp_path / "default", "--target", "label")
    assert code == 0, err
    ensemble = final_estimator(load_model(tmp_path / "default/model.skops"))
    assert ensemble.max_samples == ENSEMBLE_DEFAULTS["max_samples"]
    assert (ensemble.time_limit, ensemble.n_jobs) == (None, None)


def test_n_jobs_gives_the_same_model(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    models = []
    for n_jobs in ("1", "2"):
        code, _, err = train(tmp_path / "t.csv", tmp_path / n_jobs, "--target", "label",
                             "--n-jobs", n_jobs)
        assert code == 0, err
        models.append(final_estimator(load_model(tmp_path / n_jobs / "model.skops")))
    one, two = models
    assert (one.n_jobs, two.n_jobs) == (1, 2)
    np.testing.assert_array_equal(one.oof_predictions_, two.oof_predictions_)
    for a, b in zip(networks(one), networks(two)):
        for W_a, W_b in zip(a[1].coefs_, b[1].coefs_):
            np.testing.assert_array_equal(W_a, W_b)


def test_a_time_limit_gives_a_usable_model_and_says_what_it_cut(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--time-limit", "1e-6")
    assert code == 0, err
    assert ("time_limit=1e-06 s: 2 of the 2 members of configuration 'network' "
            "were still training") in out
    assert "configurations ['bins'] left out" in out
    metrics = read_metrics(tmp_path / "run")
    assert [c["name"] for c in metrics["ensemble"]["configurations"]] == ["network"]
    assert any("left out" in note for note in metrics["ensemble"]["fold_notes"])
    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{tmp_path / 't.csv'}"])
    assert code == 0, err
    assert set(pd.read_csv(io.StringIO(out))["prediction"]) <= {"big", "small"}


def test_single_network_keeps_the_test_split(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--single-network")
    assert code == 0, err
    metrics = read_metrics(tmp_path / "run")
    assert metrics["model"] == "network" and metrics["test_size"] == 0.2
    assert metrics["n_test"] == 24 and "oof_accuracy" not in metrics
    assert "out-of-fold" not in out and "test accuracy" in out


def test_members_are_all_shape_checked_in_the_file(classifier_run, tmp_path):
    folder, _ = classifier_run
    source = folder / "run/model.skops"
    with zipfile.ZipFile(source) as archive:
        schema = json.loads(archive.read("schema.json"))
    # every member's first weight matrix: each one, enlarged, is refused
    files = [node["content"]["content"]["coefs_"]["content"][0]["file"]
             for node in schema_nodes(schema) if node.get("__class__") == "MLPScratchClassifier"
             and isinstance(node.get("content"), dict)
             and "coefs_" in node["content"].get("content", {})]
    assert len(files) == 4
    for k, member in enumerate(files):
        with zipfile.ZipFile(source) as archive:
            shape = np.load(archive.open(member)).shape
        big = np.zeros((shape[0], 2 * shape[1]), dtype=np.float32)
        rewrite_member(source, tmp_path / f"{k}.skops", member,
                       lambda data, big=big: npy_bytes(big))
        code, _, err = run_main(["predict", "--model", str(tmp_path / f"{k}.skops"),
                                 "--dataset", f"csv:{folder / 'toy.csv'}"])
        assert code == 2
        assert f"where the network's own sizes give {shape}" in error_line(err)


def test_an_ensemble_whose_weights_do_not_fit_is_refused(classifier_run, tmp_path):
    folder, _ = classifier_run
    model = load_model(folder / "run/model.skops")
    final_estimator(model).weights_ = np.array([1.0])  # two configurations
    skops_io.dump(model, tmp_path / "t.skops")
    code, _, err = run_main(["predict", "--model", str(tmp_path / "t.skops"),
                             "--dataset", f"csv:{folder / 'toy.csv'}"])
    assert code == 2
    assert "is damaged: the ensemble has 2 configurations" in error_line(err)


