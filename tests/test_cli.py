"""The ``skmlp-scratch train`` command line, run in-process and as ``python -m``."""

import contextlib
import gzip
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pytest

import skmlp_scratch._training as training_module
from skmlp_scratch import MLPScratchClassifier, MLPScratchRegressor
from skmlp_scratch._cli import main
from skmlp_scratch._cli.options import (
    effective_params,
    option_name,
    parse_layer_sizes,
    parse_value,
    summarize_parameters,
)
from skmlp_scratch._cli.parser import build_parser
from skmlp_scratch._cli.report import default_report_dir, format_confusion_matrix
from skmlp_scratch.datasets import load_dataset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = ["--epochs", "5", "--hidden", "32"]
# the skops copy of the model is written because the test extra installs skops
REPORT_WITHOUT_FIGURES = ["metrics.json", "model.joblib", "model.skops"]


def run_main(argv):
    """``main(argv)`` with its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def write_idx(path, array, gzipped=False):
    """Write ``array`` as an IDX file of unsigned bytes (gzipped if asked)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    payload = header + array.tobytes()
    path.write_bytes(gzip.compress(payload) if gzipped else payload)


def write_idx_dataset(directory, n_train=60, n_test=30, seed=0):
    """Four IDX files of 6x6 images, class k lit in rows 2k and 2k+1."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, n, gzipped in [("train", n_train, True), ("t10k", n_test, False)]:
        labels = np.arange(n) % 3
        images = rng.integers(0, 60, size=(n, 6, 6))
        for k in range(3):
            images[labels == k, 2 * k:2 * k + 2, :] += 180
        write_idx(directory / f"{prefix}-images-idx3-ubyte{'.gz' * gzipped}", images,
                  gzipped)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{'.gz' * (not gzipped)}",
                  labels, not gzipped)
    return directory


def read_metrics(report_dir):
    return json.loads((Path(report_dir) / "metrics.json").read_text())


# ------------------------------------------------------------- digits run


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("digits") / "report"
    code, out, err = run_main(["train", "--dataset", "digits", *SMALL,
                               "--report-dir", str(report_dir)])
    return code, out, err, report_dir


def test_digits_run_succeeds_and_prints_results(digits_run):
    code, out, err, report_dir = digits_run
    assert code == 0, err
    assert "hidden_layer_sizes=(32,)" in out  # effective parameters come first
    assert out.index("parameters:") < out.index("test accuracy")
    assert sum(line.startswith("Iteration ") for line in out.splitlines()) == 5
    assert "precision" in out and "recall" in out
    assert "true\\pred" in out
    assert f"report written to {report_dir}" in out
    assert "Traceback" not in err


def test_metrics_json_matches_the_saved_model(digits_run):
    _, _, _, report_dir = digits_run
    metrics = read_metrics(report_dir)
    model = joblib.load(report_dir / "model.joblib")
    X_train, X_test, y_train, y_test = load_dataset("digits")
    assert isinstance(model, MLPScratchClassifier)
    assert metrics["test_accuracy"] == pytest.approx(model.score(X_test, y_test))
    assert (metrics["n_train"], metrics["n_test"], metrics["n_features"]) == (
        len(y_train), len(y_test), X_test.shape[1])
    assert metrics["dataset"] == "digits"
    assert metrics["n_iter"] == model.n_iter_ == len(metrics["loss_curve"]) == 5
    assert len(metrics["validation_scores"]) == 5  # early stopping is the CLI default
    assert metrics["fit_seconds"] > 0
    assert metrics["parameters"] == json.loads(json.dumps(model.get_params()))
    assert metrics["parameters"]["hidden_layer_sizes"] == [32]
    assert metrics["parameters"]["batch_size"] == 128
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == len(y_test)
    assert np.trace(matrix) / matrix.sum() == pytest.approx(metrics["test_accuracy"])
    assert metrics["classification_report"]["accuracy"] == pytest.approx(
        metrics["test_accuracy"])
    assert set(metrics["versions"]) >= {"skmlp_scratch", "numpy", "sklearn"}


@pytest.mark.parametrize("name", ["curves.png", "confusion_matrix.png"])
def test_figures_are_valid_pngs(digits_run, name):
    image = pytest.importorskip("matplotlib.image")
    path = digits_run[3] / name
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100


def test_python_dash_m_runs_quietly_without_plots(tmp_path):
    report_dir = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "skmlp_scratch", "train", "--dataset", "digits",
         "--epochs", "2", "--hidden", "16", "--quiet", "--no-plots",
         "--report-dir", str(report_dir)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    assert not any(line.startswith("epoch ") for line in result.stdout.splitlines())
    assert sorted(p.name for p in report_dir.iterdir()) == REPORT_WITHOUT_FIGURES
    assert read_metrics(report_dir)["parameters"]["verbose"] is False


# ---------------------------------------------------------------- IDX run


def test_idx_directory_run_into_the_default_report_dir(tmp_path, monkeypatch):
    data = write_idx_dataset(tmp_path / "tiny idx")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["train", "--dataset", f"idx:{data}", "--hidden", "8",
                               "--epochs", "3", "--batch-size", "16", "--lr", "0.05",
                               "--no-plots", "--quiet"])
    assert code == 0, err
    (report_dir,) = (tmp_path / "runs").iterdir()
    assert report_dir.name.startswith("idx-tiny-idx-")
    metrics = read_metrics(report_dir)
    shape = (metrics["n_train"], metrics["n_test"], metrics["n_features"])
    assert shape == (60, 30, 36)
    assert metrics["classes"] == [0, 1, 2]
    assert metrics["parameters"]["learning_rate_init"] == 0.05
    assert metrics["n_iter"] == 3


# ------------------------------------------------------------------ errors


def test_bad_parameter_value_exits_2_naming_the_parameter(tmp_path):
    code, out, err = run_main(["train", "--dataset", "digits", "--activation", "nope",
                               "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "'activation'" in err and "nope" in err
    assert not (tmp_path / "r").exists()  # rejected before any data or output


def test_value_rejected_only_by_fit_exits_2_and_leaves_no_folder(tmp_path):
    code, _, err = run_main(["train", "--dataset", "digits", "--hidden", "0",
                             "--quiet", "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert "hidden_layer_sizes" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_failed_run_keeps_a_folder_that_existed_before(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, _ = run_main(["train", "--dataset", "digits", "--hidden", "0", "--quiet",
                           "--report-dir", str(tmp_path)])
    assert code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_divergence_exits_1_with_the_estimator_message(tmp_path):
    code, _, err = run_main(["train", "--dataset", "digits", "--hidden", "32",
                             "--solver", "sgd", "--lr", "1e12", "--quiet",
                             "--report-dir", str(tmp_path / "r")])
    assert code == 1
    assert err.startswith("error: Training diverged") and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_missing_idx_directory_exits_2_with_a_clear_message(tmp_path):
    missing = tmp_path / "nowhere"
    code, _, err = run_main(["train", "--dataset", f"idx:{missing}",
                             "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert str(missing) in err and "does not exist" in err
    assert "Traceback" not in err


def test_unknown_dataset_exits_2():
    code, _, err = run_main(["train", "--dataset", "cifar"])
    assert code == 2
    assert "unknown data set 'cifar'" in err


def test_regression_option_with_an_image_set_exits_2(tmp_path):
    code, _, err = run_main(["train", "--dataset", "digits", "--huber-delta", "2",
                             "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert "--huber-delta does not apply to MLPScratchClassifier" in err
    assert not (tmp_path / "r").exists()


def test_help_exits_0():
    code, out, _ = run_main(["train", "--help"])
    assert code == 0
    assert "--hidden" in out and "--learning-rate-init" in out


# ------------------------------------------------------- degraded and interrupted


def test_missing_matplotlib_skips_figures_and_writes_the_rest(tmp_path, monkeypatch):
    # None in sys.modules makes ``import matplotlib`` raise ImportError
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)
    code, _, err = run_main(["train", "--dataset", "digits", "--epochs", "1",
                             "--hidden", "8", "--quiet",
                             "--report-dir", str(tmp_path)])
    assert code == 0, err
    assert 'figures skipped' in err and 'pip install "skmlp_scratch[plot]"' in err
    assert sorted(p.name for p in tmp_path.iterdir()) == REPORT_WITHOUT_FIGURES


def test_interrupt_during_fit_still_reports(tmp_path, monkeypatch):
    real_run_epoch = training_module.run_epoch

    def interrupted_at_epoch_3(*args, epoch, **kwargs):
        if epoch == 3:
            raise KeyboardInterrupt
        return real_run_epoch(*args, epoch=epoch, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted_at_epoch_3)
    code, out, err = run_main(["train", "--dataset", "digits", *SMALL, "--quiet",
                               "--no-plots", "--report-dir", str(tmp_path)])
    assert code == 0, err
    assert "interrupted" in err
    metrics = read_metrics(tmp_path)
    assert metrics["n_iter"] == 2
    assert any("interrupted" in message for message in metrics["warnings"])


# ------------------------------------------------------------------ options


@pytest.mark.parametrize("estimator_class", [MLPScratchClassifier, MLPScratchRegressor])
def test_every_estimator_parameter_has_an_option(estimator_class):
    parser = build_parser()
    help_text = run_main(["train", "--help"])[1]
    for name in estimator_class().get_params():
        assert option_name(name) in help_text
        args = parser.parse_args(["train", option_name(name), "7"])
        params = effective_params(args, estimator_class)
        assert params[name] in (7, (7,))  # (7,) for the layer sizes


@pytest.mark.parametrize("estimator_class", [MLPScratchClassifier, MLPScratchRegressor])
def test_every_option_help_summarises_its_parameter(estimator_class):
    summaries = summarize_parameters(estimator_class.__doc__)
    assert set(summaries) >= set(estimator_class().get_params())
    assert all(text != name and text.endswith(".") for name, text in summaries.items())
    assert "One of relu, leaky_relu" in summaries["activation"]  # a two-line type
    help_text = " ".join(run_main(["train", "--help"])[1].split())
    assert "Activation of the hidden layers" in help_text
    assert "(default: 'adam'; tables: 'adamw')" in help_text


def test_effective_params_layer_cli_defaults_over_the_estimator():
    args = build_parser().parse_args(["train", "--hidden", "64,32", "--epochs", "3",
                                      "--lr", "0.01", "--quiet"])
    params = effective_params(args)
    assert set(params) == set(MLPScratchClassifier().get_params())
    assert params["hidden_layer_sizes"] == (64, 32)
    assert params["max_iter"] == 3
    assert params["learning_rate_init"] == 0.01
    assert params["verbose"] is False
    assert (params["batch_size"], params["early_stopping"], params["random_state"]) == (
        128, True, 0)
    defaults = effective_params(build_parser().parse_args(["train"]))
    assert defaults["hidden_layer_sizes"] == (256, 128)
    assert defaults["max_iter"] == 20 and defaults["verbose"] is True
    explicit = build_parser().parse_args(["train", "--quiet", "--verbose", "2"])
    assert effective_params(explicit)["verbose"] == 2


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("-1", -1), ("1e-3", 1e-3), ("0.5", 0.5), ("true", True),
    ("False", False), ("none", None), ("64,32", (64, 32)), ("64,", (64,)),
    ("auto", "auto"), ("tanh,relu", ("tanh", "relu")), ("0.2,0.1", (0.2, 0.1)),
    ("relu", "relu"),
])
def test_parse_value(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text, sizes", [
    ("256,128", (256, 128)), ("64", (64,)), ("", ()), ("none", ()), ("None", ()),
])
def test_parse_layer_sizes(text, sizes):
    assert parse_layer_sizes(text) == sizes


def test_confusion_matrix_table_is_aligned():
    table = format_confusion_matrix(np.array([[5, 120], [0, 7]]), ["cat", "dog"])
    lines = table.splitlines()
    assert lines[0].split() == ["true\\pred", "cat", "dog"]
    assert lines[1].split() == ["cat", "5", "120"]
    assert len({len(line) for line in lines}) == 1
    assert all(line.endswith(end) for line, end in zip(lines, ["dog", "120", "  7"]))


@pytest.mark.parametrize("dataset, stem", [
    ("mnist", "mnist"), ("fashion-mnist", "fashion-mnist"),
    ("idx:/data/Fashion MNIST/", "idx-Fashion-MNIST"), ("idx:~", "idx"),
])
def test_default_report_dir_is_a_safe_name(dataset, stem):
    path = default_report_dir(dataset, datetime(2024, 5, 6, 7, 8, 9))
    assert path == Path("runs") / f"{stem}-20240506-070809"
