"""``skmlp-scratch predict``: a saved model applied to a table; which files it loads."""

import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmlp_scratch import MLPScratchClassifier
from skmlp_scratch._cli._model_files import load_model
from skmlp_scratch.tabular._contract import TRUSTED_TYPES as TRAINED_MODEL_TYPES
from skmlp_scratch.tabular import NUMERIC_SCALERS
from skmlp_scratch.tabular._contract import networks
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
    code, _, err = train(toy_model / "toy.csv", tmp_path / "run", "--target", "weight",
                         "--drop", "label")
    assert code == 0, err
    code, _, err = predict(tmp_path / "run/model.skops", toy_model / "toy.csv",
                           "--proba")
    assert code == 2 and "--proba needs a classifier" in err


def test_model_that_is_not_ours_exits_2(tmp_path, toy_model):
    foreign = make_pipeline(LogisticRegression()).fit([[0.0], [1.0]], [0, 1])
    joblib.dump(foreign, tmp_path / "other.joblib")
    code, _, err = predict(tmp_path / "other.joblib", toy_model / "toy.csv",
                           "--trust-pickle")
    assert code == 2 and "not a fitted model saved by 'skmlp-scratch train'" in err

    (tmp_path / "text.joblib").write_text("not a model")
    code, _, err = predict(tmp_path / "text.joblib", toy_model / "toy.csv",
                           "--trust-pickle")
    assert code == 2 and "is not a readable joblib model file" in err

    with zipfile.ZipFile(tmp_path / "other.skops", "w") as archive:
        archive.writestr("notes.txt", "a zip archive, but not a skops file")
    code, _, err = predict(tmp_path / "other.skops", toy_model / "toy.csv")
    assert code == 2 and "is not a readable skops model file" in err

    code, _, err = predict(tmp_path / "missing.skops", toy_model / "toy.csv")
    assert code == 2 and "no such model file" in err


def test_predict_help_says_why_pickles_need_trust():
    code, out, _ = run_main(["predict", "--help"])
    assert code == 0
    text = " ".join(out.split())
    assert "--trust-pickle" in text and "runs any code it holds" in text


# ------------------------------------- which model files are loaded, and how


class MakesMarker:
    """Unpickling it creates the directory ``marker``: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def write_code_pickle(path, marker):
    path.write_bytes(pickle.dumps(MakesMarker(marker)))
    return path


def assert_one_error_line(err, *parts):
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for part in parts:
        assert part in err


def test_the_marker_pickle_runs_code_when_trusted(tmp_path, toy_model):
    # the control for the tests below: a trusted pickle named as one is loaded,
    # and loading it creates the marker
    marker = tmp_path / "ran"
    model = write_code_pickle(tmp_path / "model.joblib", marker)
    code, _, err = predict(model, toy_model / "toy.csv", "--trust-pickle")
    assert marker.is_dir()
    assert code == 2 and "holds a NoneType, not a fitted model" in err


@pytest.mark.parametrize("name", ["model.SKOPS", "model.Skops", "model.skops",
                                  "model.txt", "model", "model.joblib.txt"])
@pytest.mark.parametrize("trust", [[], ["--trust-pickle"]])
def test_a_pickle_not_named_as_one_is_refused_unread(tmp_path, toy_model, name, trust):
    marker = tmp_path / "ran"
    model = write_code_pickle(tmp_path / name, marker)
    code, out, err = predict(model, toy_model / "toy.csv", *trust)
    assert code == 2 and out == ""
    assert_one_error_line(err, str(model), "not a skops model file",
                          ".joblib, .pkl or .pickle with --trust-pickle")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["model.joblib", "model.JOBLIB", "model.pkl",
                                  "model.pickle"])
def test_a_pickle_is_loaded_only_with_trust_pickle(tmp_path, toy_model, name):
    marker = tmp_path / "ran"
    model = write_code_pickle(tmp_path / name, marker)
    code, out, err = predict(model, toy_model / "toy.csv")
    assert code == 2 and out == ""
    assert_one_error_line(err, str(model), "named as a pickle", "add --trust-pickle")
    assert not marker.exists()


def test_a_trusted_joblib_model_predicts_like_its_skops_twin(toy_model):
    code, from_skops, err = predict(toy_model / "run/model.skops", toy_model / "toy.csv",
                                    "--proba")
    assert code == 0, err
    code, from_joblib, err = predict(toy_model / "run/model.joblib",
                                     toy_model / "toy.csv", "--proba", "--trust-pickle")
    assert code == 0, err
    assert from_joblib == from_skops and from_skops.count("\n") == 121


@pytest.mark.parametrize("name", ["model.SKOPS", "model.joblib", "model.bin", "model"])
def test_a_skops_file_is_read_as_skops_whatever_its_name(tmp_path, toy_model, name):
    model = tmp_path / name
    shutil.copyfile(toy_model / "run/model.skops", model)
    code, expected, err = predict(toy_model / "run/model.skops", toy_model / "toy.csv")
    assert code == 0, err
    code, out, err = predict(model, toy_model / "toy.csv")
    assert code == 0, err
    assert out == expected


# --------------------------------------------------- types a .skops file may hold


def typed_table(n=60, seed=0):
    """Numbers with gaps, text, booleans and the targets of every task."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    size[[1, 7]] = np.nan
    return pd.DataFrame({
        "size": size, "count": rng.integers(0, 9, size=n),
        "colour": rng.choice(["red", "green"], size=n), "member": size > 0,
        "label": np.where(rng.normal(size=n) > 0, "yes", "no"),
        "price": rng.gamma(2.0, size=n) + 0.1})


# every kind of model ``train`` can write: (name, its data set, train options)
TRAINED_KINDS = [
    ("classifier", "table", ["--target", "label", "--drop", "price"]),
    ("regressor", "table", ["--target", "price", "--drop", "label"]),
    ("log target", "table", ["--target", "price", "--drop", "label", "--log-target"]),
    ("boolean target", "table", ["--target", "member", "--drop", "label,price"]),
    ("numbers only", "table", ["--target", "label", "--drop", "colour,member,price"]),
    ("text only", "table", ["--target", "label", "--drop", "size,count,price"]),
    ("refit, float64", "table", ["--target", "label", "--drop", "price", "--refit",
                                 "--test-size", "0.2", "--dtype", "float64"]),
    ("one network", "table", ["--target", "label", "--drop", "price",
                              "--single-network"]),
    ("one network, log target", "table", ["--target", "price", "--drop", "label",
                                          "--log-target", "--single-network"]),
    *[(f"--numeric {scaler}{gaps}", data, ["--target", "label", "--drop", "price",
                                            "--numeric", scaler])
      for scaler in NUMERIC_SCALERS
      for gaps, data in [("", "table"), (", no gaps", "full table")]],
    ("images", "digits", []),
]


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory):
    """The model.skops of each kind of model ``train`` writes, by kind."""
    folder = tmp_path_factory.mktemp("kinds")
    typed_table().to_csv(folder / "table.csv", index=False)
    typed_table().dropna().to_csv(folder / "full table.csv", index=False)
    models = {}
    for k, (kind, data, options) in enumerate(TRAINED_KINDS):
        dataset = "digits" if data == "digits" else f"csv:{folder / data}.csv"
        one_network = data == "digits" or "--single-network" in options
        folds = [] if one_network else ["--folds", "2"]
        code, _, err = run_main(["train", "--dataset", dataset, "--epochs", "2",
                                 "--hidden", "4", "--quiet", "--no-plots", *folds,
                                 "--output", str(folder / str(k)), *options])
        assert code == 0, f"{kind}: {err}"
        models[kind] = folder / str(k) / "model.skops"
    return models


def test_trusted_types_are_exactly_those_of_the_models_train_writes(trained_models):
    # beyond skops' own defaults; both ways, so the list stays exact
    held = {kind: set(skops_io.get_untrusted_types(file=path))
            for kind, path in trained_models.items()}
    missing = set().union(*held.values()) - TRAINED_MODEL_TYPES
    assert not missing, (f"models that train writes hold {sorted(missing)}; "
                         "add them to TRAINED_MODEL_TYPES")
    unused = TRAINED_MODEL_TYPES - set().union(*held.values())
    assert not unused, (f"no model that train writes holds {sorted(unused)}; "
                        "remove them from TRAINED_MODEL_TYPES")


def test_every_kind_of_trained_model_loads(trained_models):
    for kind, path in trained_models.items():
        fitted = networks(load_model(path))
        assert fitted and all(network.coefs_[0].shape[1] == 4
                              for _, network in fitted), kind


def tampered_model(toy_model, *functions):
    """The toy model's pipeline with a FunctionTransformer of each function in front."""
    pipeline = skops_io.load(toy_model / "run/model.skops", trusted=TRAINED_MODEL_TYPES)
    hooks = [(f"hook{k}", FunctionTransformer(f)) for k, f in enumerate(functions)]
    return Pipeline([*hooks, *pipeline.steps])


def test_skops_model_calling_a_library_function_is_refused(tmp_path, toy_model, capsys):
    # numpy.info prints to standard output when the pipeline calls it, so an
    # empty output proves it was not called
    path = tmp_path / "tampered.skops"
    skops_io.dump(tampered_model(toy_model, np.info), path)
    code, out, err = predict(path, toy_model / "toy.csv")
    assert code == 2 and out == ""
    assert_one_error_line(err, "refusing to load", "numpy.info")
    # the control: loaded trusting its types, the file's first step calls it
    trusting = skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))
    trusting[0].transform(toy_table())
    assert "Two-dimensional, size-mutable" in capsys.readouterr().out


def test_skops_model_with_a_foreign_function_is_refused(tmp_path, toy_model):
    # json.loads stands for any callable outside scikit-learn and skmlp_scratch:
    # loading it is exactly what a tampered model file would ask for
    model = Pipeline([("hook", FunctionTransformer(json.loads)),
                      ("model", MLPScratchClassifier())])
    skops_io.dump(model, tmp_path / "tampered.skops")
    code, _, err = predict(tmp_path / "tampered.skops", toy_model / "toy.csv")
    assert code == 2
    assert_one_error_line(err, "refusing to load", "json.loads")


def test_many_untrusted_types_are_named_shortened(tmp_path, toy_model):
    functions = [np.info, np.save, np.load, json.loads, json.dumps, os.getcwd]
    skops_io.dump(tampered_model(toy_model, *functions), tmp_path / "tampered.skops")
    code, _, err = predict(tmp_path / "tampered.skops", toy_model / "toy.csv")
    assert code == 2
    assert_one_error_line(err, "refusing to load", "and 2 more")
    assert sum(name in err for name in ["numpy.info", "numpy.save", "numpy.load",
                                        "json.loads", "json.dumps", "getcwd"]) == 4


# ---------------------------------------------------- output over an input


def test_output_that_is_the_input_table_is_refused(tmp_path, toy_model, monkeypatch):
    table = tmp_path / "data" / "new.csv"
    table.parent.mkdir()
    toy_table(n=10).to_csv(table, index=False)
    original = table.read_bytes()
    (tmp_path / "link.csv").symlink_to(table)
    monkeypatch.chdir(tmp_path)
    for output in [table, tmp_path / "link.csv", tmp_path / "data/../data/new.csv",
                   "data/new.csv", "./data//new.csv"]:
        code, out, err = predict(toy_model / "run/model.skops", table, "--output",
                                 str(output))
        assert code == 2 and out == ""
        assert_one_error_line(err, f"--output {Path(output)}", "is the input table",
                              "choose another file")
        assert table.read_bytes() == original
    # the other way round: the table named through the link, the output the file
    code, _, err = predict(toy_model / "run/model.skops", "link.csv", "--output",
                           str(table))
    assert code == 2 and "is the input table" in err
    assert table.read_bytes() == original


def test_output_that_is_the_model_file_is_refused(tmp_path, toy_model):
    model = tmp_path / "model.skops"
    shutil.copyfile(toy_model / "run/model.skops", model)
    original = model.read_bytes()
    code, _, err = predict(model, toy_model / "toy.csv", "--output",
                           str(tmp_path / "." / "model.skops"))
    assert code == 2
    assert_one_error_line(err, "is the model file", "choose another file")
    assert model.read_bytes() == original
