"""``skmlp-scratch`` on messy real-world tables: the model meant, or one clear line."""

import joblib
import numpy as np
import pandas as pd
import pytest

from test_cli import read_metrics, run_main
from test_cli_table import toy_table, train


def error_line(err):
    """The command's error: exactly one line, starting with ``error:``."""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def threshold_table(n=200, seed=0):
    """A label that is ``x > 50,000``, with ``x`` the only signal."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100_000, size=n)
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n),
                         "label": np.where(x > 50_000, "high", "low")})


def test_numbers_with_thousands_separators_stay_a_numeric_feature(tmp_path):
    table = threshold_table()
    table["x"] = [f"{value:,.2f}" for value in table["x"]]  # "12,345.67"
    table.to_csv(tmp_path / "t.csv", index=False)
    # one network scored on a test split: the reading, not the ensemble, is tested
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--hidden", "64", "--epochs", "100", "--single-network")
    assert code == 0, err
    assert "warning: column 'x' read as numbers written with commas between thousands" \
        in err
    metrics = read_metrics(tmp_path / "run")
    assert metrics["test_accuracy"] >= 0.9  # as text, one-hot encoded, x lost its order


def test_numbers_two_formats_fit_stop_with_the_options_to_say_which(tmp_path):
    (tmp_path / "t.csv").write_text('price,label\n"12,345",a\n"50,123",b\n"1,500",a\n')
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2
    assert "column 'price'" in error_line(err) and "--thousands" in err
    assert not (tmp_path / "run").exists()


def test_a_repeated_target_name_is_refused_not_leaked(tmp_path):
    table = toy_table()
    table.insert(0, "copy", table["label"])
    table.to_csv(tmp_path / "t.csv", index=False)
    text = (tmp_path / "t.csv").read_text().replace("copy,", "label,", 1)
    (tmp_path / "t.csv").write_text(text)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2 and "more than one column named 'label'" in error_line(err)


def test_labels_differing_in_surrounding_spaces_are_one_class(tmp_path):
    table = toy_table()
    table["label"] = [f"{label} " if k % 2 else label
                      for k, label in enumerate(table["label"])]
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert read_metrics(tmp_path / "run")["classes"] == ["big", "small"]


def test_a_true_false_target_with_blank_cells_trains_on_the_other_rows(tmp_path):
    table = toy_table()
    table["label"] = (table["label"] == "big").astype(object)
    table.loc[:9, "label"] = None
    table.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert "10 rows without a target value were left out" in out
    assert read_metrics(tmp_path / "run")["classes"] == ["False", "True"]


def test_a_class_named_na_is_a_class(tmp_path):
    table = toy_table()
    table["label"] = table["label"].map({"big": "NA", "small": "EU"})
    table.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert "left out" not in out
    metrics = read_metrics(tmp_path / "run")
    assert metrics["classes"] == ["EU", "NA"]
    assert metrics["n_train"] + metrics["n_test"] == len(table)


def test_class_codes_with_leading_zeros_come_back_as_written(tmp_path):
    table = toy_table()
    table["label"] = table["label"].map({"big": "001", "small": "010"})
    table["shop"] = np.where(np.arange(len(table)) % 2, "0042", "0107")
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--categorical", "shop")
    assert code == 0, err
    assert "column 'label' holds codes with leading zeros" in err
    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{tmp_path / 't.csv'}"])
    assert code == 0, err
    predicted = pd.read_csv(pd.io.common.StringIO(out), dtype=str)["prediction"]
    assert set(predicted) <= {"001", "010"}


def test_dates_and_identifiers_get_a_note_suggesting_drop(tmp_path):
    table = toy_table()
    table["day"] = [f"2024-03-{1 + k % 28:02d}" for k in range(len(table))]
    table["customer"] = [f"c{k:05d}" for k in range(len(table))]
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    note = next(line for line in err.splitlines() if line.startswith("note: columns"))
    assert "'day': dates" in note and "'customer': a different value in every row" \
        in note and "--drop day,customer" in note


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_are_read(tmp_path, delimiter):
    toy_table().to_csv(tmp_path / "t.csv", index=False, sep=delimiter)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert len(read_metrics(tmp_path / "run")["columns"]) == 4


def test_another_encoding_is_named_with_the_option_to_read_it(tmp_path):
    table = toy_table()
    table["colour"] = table["colour"].map({"red": "rötlich", "green": "grün",
                                           "blue": "blau"})
    table.to_csv(tmp_path / "t.csv", index=False, encoding="latin-1")
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2 and "is not utf-8 text" in error_line(err) and "--encoding" in err
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--encoding", "latin-1")
    assert code == 0, err


# ----------------------------------------------------------- huge values


def test_values_too_large_to_standardise_name_their_column(tmp_path):
    table = toy_table()
    table.loc[3, "weight"] = 1e200
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--numeric", "standard")
    assert code == 2
    line = error_line(err)
    assert "column 'weight' has values too large to scale with --numeric standard" in line
    assert "up to 1e+200" in line and "warning" not in err


def test_huge_values_are_clipped_to_the_bound_by_the_robust_scaling(tmp_path):
    table = toy_table()
    table.loc[3, "weight"] = 1e200
    table.loc[4, "weight"] = -1e300
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--refit")
    assert code == 0, err
    assert "overflow" not in err
    model = joblib.load(tmp_path / "run/model.joblib")
    preprocess = model.named_steps["preprocess"]
    inputs = preprocess.transform(table.drop(columns="label"))
    weight = list(preprocess.get_feature_names_out()).index("weight")
    # outliers like any other: at the bound of the soft clip, not at the median
    np.testing.assert_allclose(inputs[[3, 4], weight], [3.0, -3.0], rtol=1e-6)


def test_infinite_cells_name_their_column(tmp_path):
    table = toy_table()
    table["weight"] = table["weight"].astype(object)
    table.loc[3, "weight"] = "inf"
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2 and "column 'weight' holds infinite values" in error_line(err)


# -------------------------------------------------------------- messages


def test_a_huge_cell_gives_a_short_line(tmp_path):
    table = toy_table()
    table["size"] = table["size"].astype(object)
    table.loc[5, "size"] = "y" * 100_000  # one stray text among numbers
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2 and "column 'size' mixes numbers and text" in error_line(err)
    assert len(err) < 400


def test_many_classes_in_a_message_give_a_short_line(tmp_path):
    n = 160
    table = pd.DataFrame({"x": np.arange(n, dtype=float),
                          "label": [f"class_{k:03d}" for k in range(n)]})
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 2
    assert len(error_line(err)) <= 610


def test_warnings_are_lines_of_the_command_not_python_locations(tmp_path):
    (tmp_path / "t.csv").write_text(
        "x,label\n" + "".join(f"{k if k % 7 else 'NA'},{'ab'[k % 2]}\n" for k in range(60)))
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert "warning: column 'x': 'NA' read as missing among its numbers" in err
    assert ".py:" not in err and "Warning:" not in err


# ------------------------------------------------------- the saved model


def test_refit_saves_a_model_fitted_on_every_row(tmp_path):
    table = toy_table()
    table.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                           "--refit", "--single-network")
    assert code == 0, err
    assert "refitting on all 120 rows" in out
    metrics = read_metrics(tmp_path / "run")
    assert metrics["saved_model_rows"] == 120 and metrics["n_train"] == 96
    # both fits stop at FAST's 15 epochs: the first fit's warning is kept
    assert sum("Maximum iterations" in w for w in metrics["warnings"]) == 2
    model = joblib.load(tmp_path / "run/model.joblib")
    imputer = model.named_steps["preprocess"].named_transformers_["numeric"][0]
    # the imputer's medians are those of all rows, not of the training split
    np.testing.assert_allclose(imputer.statistics_,
                               table[["row_id", "size", "weight"]].median())


def test_without_refit_the_saved_model_rows_are_the_training_rows(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--single-network")
    assert code == 0, err
    assert read_metrics(tmp_path / "run")["saved_model_rows"] == 96


# ---------------------------------------------------------------- predict


def test_predict_names_a_numeric_column_that_holds_text(tmp_path):
    table = toy_table()
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    table["weight"] = "heavy"
    table.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{tmp_path / 'new.csv'}"])
    assert code == 2 and out == ""
    # the offending cell and its row, not a valid number of the column
    assert "column 'weight' is numeric, but its data row 1 holds 'heavy'" in \
        error_line(err)
    assert "categories" not in err  # no note about a step predict does not take


def test_predict_reads_categorical_codes_as_text_like_training(tmp_path):
    table = toy_table()
    table["shop"] = np.where(table["label"] == "big", "1", "2")
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label",
                         "--categorical", "shop", "--drop", "size,weight,colour",
                         "--hidden", "8", "--epochs", "60", "--single-network")
    assert code == 0, err
    # one blank cell would make pandas read the codes as 1.0 and 2.0, levels
    # the model has never seen; read as text like in training, they are 1, 2
    new = table.drop(columns="label")
    new.loc[0, "shop"] = None
    new.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run_main(["predict", "--model", str(tmp_path / "run/model.skops"),
                               "--dataset", f"csv:{tmp_path / 'new.csv'}"])
    assert code == 0, err
    predicted = pd.read_csv(pd.io.common.StringIO(out))["prediction"]
    assert (predicted[1:] == table["label"][1:]).all()


@pytest.mark.parametrize("options", [
    ["--target", "label"], ["--refit"], ["--categorical", "a"], ["--decimal", ","],
    ["--numeric", "standard"], ["--encoding", "latin-1"], ["--test-size", "0.3"],
])
def test_table_options_are_refused_with_images(tmp_path, options):
    code, _, err = run_main(["train", "--dataset", "digits", "--output",
                             str(tmp_path / "run"), *options])
    assert code == 2
    assert f"{options[0]}: for a table (--dataset csv:FILE), not for digits" \
        in error_line(err)
