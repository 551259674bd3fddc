"""``skmlp-scratch predict``: applying a saved model to a table, and which files it loads."""

import json

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmlp_scratch import MLPScratchClassifier
from test_cli import run_main
from test_cli_table import toy_table, train

skops_io = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    """A report folder trained on the toy table."""
    folder = tmp_path_factory.mktemp("toy")
    toy_table().to_csv(folder / "toy.csv", index=False)
    code, _, err = train(folder / "toy.csv", folder / "run", "--target", "label",
                         "--drop", "row_id")
    assert code == 0, err
    return folder


def predict(model, dataset, *options):
    return run_main(["predict", "--model", str(model), "--dataset", f"csv:{dataset}",
                     *options])


def test_predict_keeps_the_id_handles_unseen_levels_and_ignores_extra_columns(
        tmp_path, toy_model):
    new = toy_table(n=10, seed=1)
    new.loc[0, "colour"] = "purple"  # a level the model never saw
    new["comment"] = "extra"
    new.drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run_main(["predict", "--model", str(toy_model / "run/model.skops"),
                             "--dataset", f"csv:{tmp_path / 'new.csv'}", "--id", "row_id",
                             "--output", str(tmp_path / "pred.csv")])
    assert code == 0, err
    assert "'comment'" in err and "ignoring" in err
    written = pd.read_csv(tmp_path / "pred.csv")
    assert list(written.columns) == ["row_id", "prediction"]
    assert written["row_id"].tolist() == list(range(10))
    assert set(written["prediction"]) <= {"big", "small"}


# ------------------------------------------------------------ bad models


def test_predict_names_the_missing_columns(tmp_path, toy_model):
    toy_table().drop(columns=["size", "colour"]).to_csv(tmp_path / "x.csv", index=False)
    code, out, err = predict(toy_model / "run/model.skops", tmp_path / "x.csv")
    assert code == 2
    assert "missing from the table: 'size', 'colour'" in err
    assert out == ""


def test_predict_proba_of_a_regressor_exits_2(tmp_path, toy_model):
    table = toy_table()
    code, _, err = train(toy_model / "toy.csv", tmp_path / "run", "--target", "weight",
                         "--drop", "label")
    assert code == 0, err
    code, _, err = predict(tmp_path / "run/model.joblib", toy_model / "toy.csv",
                           "--proba")
    assert code == 2 and "--proba needs a classifier" in err
    assert len(table) == 120


def test_model_that_is_not_ours_exits_2(tmp_path, toy_model):
    foreign = make_pipeline(LogisticRegression()).fit([[0.0], [1.0]], [0, 1])
    joblib.dump(foreign, tmp_path / "other.joblib")
    code, _, err = predict(tmp_path / "other.joblib", toy_model / "toy.csv")
    assert code == 2 and "not a fitted model saved by 'skmlp-scratch train'" in err

    (tmp_path / "text.joblib").write_text("not a model")
    code, _, err = predict(tmp_path / "text.joblib", toy_model / "toy.csv")
    assert code == 2 and "is not a readable joblib model file" in err

    (tmp_path / "text.skops").write_text("not a model")
    code, _, err = predict(tmp_path / "text.skops", toy_model / "toy.csv")
    assert code == 2 and "is not a readable skops model file" in err

    code, _, err = predict(tmp_path / "missing.skops", toy_model / "toy.csv")
    assert code == 2 and "no such model file" in err


def test_skops_model_with_a_foreign_function_is_refused(tmp_path, toy_model):
    # json.loads stands for any callable outside scikit-learn and skmlp_scratch:
    # loading it is exactly what a tampered model file would ask for
    model = Pipeline([("hook", FunctionTransformer(json.loads)),
                      ("model", MLPScratchClassifier())])
    skops_io.dump(model, tmp_path / "tampered.skops")
    code, _, err = predict(tmp_path / "tampered.skops", toy_model / "toy.csv")
    assert code == 2
    assert "refusing to load" in err and "json.loads" in err


def test_predict_help_warns_about_pickled_models():
    code, out, _ = run_main(["predict", "--help"])
    assert code == 0
    assert "runs code when it is loaded" in " ".join(out.split())
