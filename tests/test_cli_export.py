"""``skmlp-scratch export``: a model from ``train`` as an ONNX file reproducing it."""

import re

import numpy as np
import pytest

from skmlp_scratch._cli._model_files import load_model
from test_cli import run_main
from test_cli_table import toy_table, train

onnxruntime = pytest.importorskip(
    "onnxruntime", reason='the onnx extra: pip install "skmlp_scratch[onnx]"')
pytest.importorskip("skl2onnx")
pytest.importorskip("skops")
from skmlp_scratch.onnx import table_inputs  # after the skip

DIFFERENCE = re.compile(r"largest difference of the (\w+) ([-+.e\d]+)")


def export(model, output, *options):
    return run_main(["export", "--model", str(model), "--output", str(output),
                     *options])


def session(path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def printed_difference(out):
    match = DIFFERENCE.search(out)
    assert match, out
    return match.group(1), float(match.group(2))


@pytest.fixture(scope="module")
def table_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table")
    toy_table().to_csv(folder / "toy.csv", index=False)
    code, _, err = train(folder / "toy.csv", folder / "run", "--target", "label",
                         "--drop", "row_id")
    assert code == 0, err
    return folder


def test_table_model_exports_and_matches(tmp_path, table_model):
    code, out, err = export(table_model / "run/model.skops", tmp_path / "toy.onnx")
    assert code == 0, err
    what, difference = printed_difference(out)
    assert what == "probabilities" and difference < 1e-5
    assert "labels all equal" in out
    # the file works on its own: the table's rows, one input per column
    model = load_model(table_model / "run/model.skops")
    rows = toy_table().drop(columns=["row_id", "label"])
    labels, proba = session(tmp_path / "toy.onnx").run(None, table_inputs(model, rows))
    np.testing.assert_array_equal(labels, model.predict(rows))
    np.testing.assert_allclose(proba, model.predict_proba(rows), atol=1e-5)


def test_trusted_pickle_checked_on_given_rows(tmp_path, table_model):
    # the pickle, which load_model reads with --trust-pickle, as predict does
    code, out, err = export(table_model / "run/model.joblib", tmp_path / "toy.onnx",
                            "--trust-pickle",
                            "--dataset", f"csv:{table_model / 'toy.csv'}")
    assert code == 0, err
    assert f"on {len(toy_table())} rows" in out


def test_pickle_needs_trust(tmp_path, table_model):
    code, out, err = export(table_model / "run/model.joblib", tmp_path / "toy.onnx")
    assert code == 2 and "--trust-pickle" in err
    assert not (tmp_path / "toy.onnx").exists()


def test_image_model_exports_and_matches(tmp_path):
    code, _, err = run_main(["train", "--dataset", "digits",
                             "--output", str(tmp_path / "run"), "--hidden", "16",
                             "--epochs", "3", "--quiet", "--no-plots"])
    assert code == 0, err
    code, out, err = export(tmp_path / "run/model.skops", tmp_path / "digits.onnx")
    assert code == 0, err
    what, difference = printed_difference(out)
    assert what == "probabilities" and difference < 1e-5
    assert "labels all equal" in out
    model = load_model(tmp_path / "run/model.skops")
    X = np.random.default_rng(0).random((20, model.n_features_in_)).astype(
        model.coefs_[0].dtype)
    labels, _ = session(tmp_path / "digits.onnx").run(None, {"X": X})
    np.testing.assert_array_equal(labels, model.predict(X))


def test_output_over_the_model_is_refused(tmp_path, table_model):
    model = table_model / "run/model.joblib"
    code, _, err = export(model, model, "--trust-pickle")
    assert code == 2 and "--output" in err


def test_log_target_regression_exports_and_matches(tmp_path, table_model):
    code, _, err = train(table_model / "toy.csv", tmp_path / "run",
                         "--target", "weight", "--drop", "row_id", "--log-target")
    assert code == 0, err
    code, out, err = export(tmp_path / "run/model.joblib", tmp_path / "weight.onnx",
                            "--trust-pickle")
    assert code == 0, err
    what, difference = printed_difference(out)
    assert what == "predictions" and difference < 1e-4
    model = load_model(tmp_path / "run/model.joblib", trust_pickle=True)
    rows = toy_table().drop(columns=["row_id", "weight"])
    inputs = table_inputs(model, rows)
    (predicted,) = session(tmp_path / "weight.onnx").run(None, inputs)
    np.testing.assert_allclose(predicted[:, 0], model.predict(rows), rtol=1e-5)
