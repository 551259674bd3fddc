"""Every file a user hands the command line, every file it writes (issue 25).

Tables read as written or refused by one line, model files checked before
they are read, outputs never over an input and never half-written.
"""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from test_cli import read_metrics, run_main
from test_cli_messy_tables import error_line
from test_cli_predict import predict, toy_model  # noqa: F401 (a fixture)
from test_cli_table import toy_table, train

skops_io = pytest.importorskip("skops.io")


def export(model, output, *options):
    return run_main(["export", "--model", str(model), "--output", str(output),
                     *options])


def probabilities(model, dataset, tmp_path):
    code, out, err = predict(model, dataset, "--proba", "--output",
                             str(tmp_path / "p.csv"))
    assert code == 0, err
    return pd.read_csv(tmp_path / "p.csv")


# ------------------------------------------------------------ tables in


def test_rows_ending_in_a_delimiter_predict_as_the_same_rows(tmp_path, toy_model):
    rows = toy_table(n=20, seed=3).drop(columns="label")
    rows.to_csv(tmp_path / "plain.csv", index=False)
    text = (tmp_path / "plain.csv").read_text().splitlines()
    # the header as written, each data row ending in a delimiter
    (tmp_path / "trailing.csv").write_text("\n".join([text[0]] + [
        line + "," for line in text[1:]]) + "\n")
    model = toy_model / "run/model.skops"
    expected = probabilities(model, tmp_path / "plain.csv", tmp_path)
    got = probabilities(model, tmp_path / "trailing.csv", tmp_path)
    pd.testing.assert_frame_equal(got, expected)


def test_a_table_with_carriage_return_line_ends_trains(tmp_path):
    toy_table().to_csv(tmp_path / "t.csv", index=False, lineterminator="\r")
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    assert read_metrics(tmp_path / "run")["columns"] == ["row_id", "size", "weight",
                                                         "colour"]


def test_a_price_target_with_leading_zeros_is_a_regression(tmp_path):
    table = toy_table()
    table["price"] = [f"{100 + 10 * s:09.2f}" for s in table["size"]]  # 000112.34
    table.drop(columns="label").to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "price")
    assert code == 0, err
    assert read_metrics(tmp_path / "run")["task"] == "regression"


def test_integer_labels_with_a_blank_cell_come_back_as_integers(tmp_path):
    table = toy_table()
    table["label"] = np.where(table["label"] == "big", 2, 1).astype(object)
    table.loc[3, "label"] = None  # read as a float column because of the gap
    table.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = train(tmp_path / "t.csv", tmp_path / "run", "--target", "label")
    assert code == 0, err
    table.drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    code, out, err = predict(tmp_path / "run/model.skops", tmp_path / "new.csv")
    assert code == 0, err
    assert set(out.split()[1:]) <= {"1", "2"}, out  # not 1.0 and 2.0


def test_a_numeric_column_entirely_blank_at_predict_is_imputed(tmp_path, toy_model):
    rows = toy_table(n=10, seed=4).drop(columns="label")
    rows["weight"] = None
    rows.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = predict(toy_model / "run/model.skops", tmp_path / "new.csv")
    assert code == 0, err
    assert len(out.split()) == 11


def test_rows_entirely_missing_at_predict_are_predicted(tmp_path, toy_model):
    (tmp_path / "new.csv").write_text("row_id,size,weight,colour\n,,,\n,,,\n")
    code, out, err = predict(toy_model / "run/model.skops", tmp_path / "new.csv")
    assert code == 0, err
    assert out.split()[0] == "prediction" and len(out.split()) == 3


def test_a_text_cell_in_a_numeric_column_is_named_at_predict(tmp_path, toy_model):
    rows = toy_table(n=10, seed=4).drop(columns="label").astype({"weight": object})
    rows.loc[6, "weight"] = "heavy"
    rows.to_csv(tmp_path / "new.csv", index=False)
    code, _, err = predict(toy_model / "run/model.skops", tmp_path / "new.csv")
    assert code == 2
    assert "column 'weight' is numeric, but its data row 7 holds 'heavy'" in \
        error_line(err)
    assert "categories" not in err


# ------------------------------------------------------------ model files


def rewrite_member(source, target, name, transform, compression=zipfile.ZIP_STORED):
    """Copy a skops archive, member ``name`` replaced by ``transform(its bytes)``."""
    with zipfile.ZipFile(source) as old, \
            zipfile.ZipFile(target, "w", compression=compression) as new:
        for member in old.infolist():
            data = old.read(member.filename)
            new.writestr(member.filename, transform(data) if member.filename == name
                         else data)


def network_array(path, attribute, index=None):
    """The archive member of the classifier's ``attribute`` (item ``index`` of a list)."""
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("__class__") == "MLPScratchClassifier":
                entry = node["content"]["content"][attribute]
                return entry["content"][index]["file"] if index is not None \
                    else entry["file"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError("no classifier in the schema")


def npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_schema_zip_bomb_is_refused_before_it_is_read(tmp_path, toy_model):
    source = toy_model / "run/model.skops"
    # 64 MiB of spaces after the schema's JSON: valid JSON, deflated to < 1 MB
    rewrite_member(source, tmp_path / "bomb.skops", "schema.json",
                   lambda data: data + b" " * (64 * 2**20), zipfile.ZIP_DEFLATED)
    assert (tmp_path / "bomb.skops").stat().st_size < 2**20
    code, _, err = predict(tmp_path / "bomb.skops", toy_model / "toy.csv")
    assert code == 2
    with zipfile.ZipFile(tmp_path / "bomb.skops") as archive:
        declared = sum(member.file_size for member in archive.infolist())
    assert declared > 64 * 2**20
    assert f"would inflate to {declared / 2**20:,.0f} MiB" in error_line(err)


def test_an_array_declaring_more_than_it_holds_is_refused(tmp_path, toy_model):
    source = toy_model / "run/model.skops"
    member = network_array(source, "coefs_", 0)
    # a header that claims 10**10 values, over the member's few bytes
    header = npy_bytes(np.zeros((2, 3)))
    fake = header.replace(b"(2, 3)", b"(10000000000, 1)")
    rewrite_member(source, tmp_path / "bomb.skops", member, lambda data: fake)
    code, _, err = predict(tmp_path / "bomb.skops", toy_model / "toy.csv")
    assert code == 2
    assert "not a readable skops model file" in error_line(err)
    assert "does not fill" in err


def test_an_inflated_weight_array_is_refused(tmp_path, toy_model):
    source = toy_model / "run/model.skops"
    member = network_array(source, "coefs_", 0)
    with zipfile.ZipFile(source) as archive:
        shape = np.load(archive.open(member)).shape
    big = np.zeros((shape[0], 50 * shape[1]), dtype=np.float32)
    rewrite_member(source, tmp_path / "big.skops", member, lambda data: npy_bytes(big),
                   zipfile.ZIP_DEFLATED)
    code, _, err = predict(tmp_path / "big.skops", toy_model / "toy.csv")
    assert code == 2
    assert f"has shape {big.shape} where the network's own sizes give {shape}" in \
        error_line(err)


def test_tampered_classes_are_refused_in_one_line(tmp_path, toy_model):
    source = toy_model / "run/model.skops"
    member = network_array(source, "classes_")
    rewrite_member(source, tmp_path / "t.skops", member,
                   lambda data: npy_bytes(np.array(["big", "small", "medium"])))
    code, _, err = predict(tmp_path / "t.skops", toy_model / "toy.csv")
    assert code == 2
    assert "is damaged: " in error_line(err) and "classes_" in error_line(err)


@pytest.mark.parametrize("step, node", [
    # a trusted class, not an instance, where the preprocessor belongs: it
    # loads, and its transform fails when predict calls it
    (0, {"__class__": "SoftClip", "__module__": "skmlp_scratch.tabular._pipeline",
         "__loader__": "TypeNode", "__id__": 5}),
    (1, {"__class__": "MLPScratchClassifier", "__module__": "skmlp_scratch._classifier",
         "__loader__": "TypeNode", "__id__": 5}),
    (1, {"__class__": "dtype", "__module__": "numpy", "__loader__": "TypeNode",
         "__id__": 5}),
])
def test_a_schema_naming_a_trusted_type_in_the_wrong_place_fails_in_one_line(
        tmp_path, toy_model, step, node):
    source = toy_model / "run/model.skops"

    def retype(data):
        schema = json.loads(data)
        schema["content"]["content"]["steps"]["content"][step]["content"][1] = node
        return json.dumps(schema).encode()

    rewrite_member(source, tmp_path / "t.skops", "schema.json", retype)
    code, _, err = predict(tmp_path / "t.skops", toy_model / "toy.csv")
    assert code == 2
    error_line(err)


# ------------------------------------------------------------ files out


def test_export_refuses_to_write_over_its_input_table(tmp_path, toy_model):
    table = tmp_path / "toy.csv"
    table.write_bytes((toy_model / "toy.csv").read_bytes())
    before = table.read_bytes()
    code, _, err = export(toy_model / "run/model.skops", table,
                          "--dataset", f"csv:{table}")
    assert code == 2
    assert "is the input table" in error_line(err)
    assert table.read_bytes() == before


def test_export_into_a_missing_folder_is_one_line(tmp_path, toy_model):
    code, _, err = export(toy_model / "run/model.skops", tmp_path / "no/such/m.onnx")
    assert code == 2
    assert "does not exist" in error_line(err)
    assert not (tmp_path / "no").exists()


def test_a_failed_export_leaves_no_file(tmp_path, toy_model, monkeypatch):
    import skmlp_scratch._cli.export as export_command

    # the check finds a difference: nothing may be written
    monkeypatch.setattr(export_command, "compare",
                        lambda *args: (1.0, 1.0, False))
    code, _, err = export(toy_model / "run/model.skops", tmp_path / "m.onnx")
    assert code == 2
    assert "was not written" in error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_an_export_onnxruntime_cannot_run_fails_in_one_line(tmp_path, toy_model,
                                                          monkeypatch):
    import skmlp_scratch.onnx as onnx_module

    real = onnx_module.to_onnx

    def broken(*args, **kwargs):  # a graph whose first node names a missing input
        model = real(*args, **kwargs)
        model.graph.node[0].input[0] = "no_such_input"
        return model

    monkeypatch.setattr(onnx_module, "to_onnx", broken)
    code, _, err = export(toy_model / "run/model.skops", tmp_path / "m.onnx")
    assert code == 2
    assert "onnxruntime cannot run the exported model" in error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_predict_write_keeps_the_old_output(tmp_path, toy_model, monkeypatch):
    output = tmp_path / "p.csv"
    output.write_text("the previous predictions\n")

    def fail(self, path, *args, **kwargs):
        path.write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    code, _, err = predict(toy_model / "run/model.skops", toy_model / "toy.csv",
                           "--output", str(output))
    assert code == 2
    assert "cannot write" in error_line(err) and "disk full" in err
    assert output.read_text() == "the previous predictions\n"
    assert list(tmp_path.iterdir()) == [output]


def test_train_refuses_a_report_folder_whose_files_would_overwrite_its_table(tmp_path):
    # the table is called model.skops, in the folder the report goes to
    toy_table().to_csv(tmp_path / "model.skops", index=False)
    before = (tmp_path / "model.skops").read_bytes()
    code, _, err = train(tmp_path / "model.skops", tmp_path, "--target", "label")
    assert code == 2
    assert "the report file" in error_line(err) and "is the input table" in err
    assert (tmp_path / "model.skops").read_bytes() == before
