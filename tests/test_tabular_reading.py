"""Reading real-world CSV files: nothing silent, each reading named or refused."""

import warnings

import numpy as np
import pandas as pd
import pytest

from skmlp_scratch.tabular import TableError, TableWarning, read_table, suspect_columns
from skmlp_scratch.tabular._reading import one_line, short_list


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_quietly(path, **options):
    """``read_table`` that fails if it warns: the reading needed no guess."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_table(path, **options)


# ------------------------------------------------ numbers written as text


@pytest.mark.parametrize("cells, expected, reading", [
    (['"12,345"', '"1,234,567"', "999"], [12345, 1234567, 999],
     "commas between thousands$"),
    (['"12,345.5"', '"2,000"', "7.25"], [12345.5, 2000, 7.25],
     "commas between thousands and decimal points"),
    (['"3,5"', '"12,345"', "7"], [3.5, 12.345, 7], "decimal commas"),
    (["1 234", "12 345 678", "5"], [1234, 12345678, 5], "spaces between thousands$"),
    (['"1.234,5"', '"2,25"', "3"], [1234.5, 2.25, 3],
     "points between thousands and decimal commas"),
])
def test_formatted_numbers_are_read_as_numbers_with_a_warning(tmp_path, cells,
                                                            expected, reading):
    path = write(tmp_path, "x,y\n" + "".join(f"{c},a\n" for c in cells))
    with pytest.warns(TableWarning, match=f"column 'x' read as numbers written with "
                                          f"{reading}"):
        table = read_table(path)
    assert table["x"].dtype.kind in "if"
    np.testing.assert_allclose(table["x"], expected)


def test_numbers_two_formats_fit_are_refused_naming_both(tmp_path):
    path = write(tmp_path, 'price,y\n"12,345",a\n"50,123",b\n')
    with pytest.raises(TableError, match=r"column 'price' holds numbers such as "
                                         r"'12,345' that read two ways: commas between "
                                         r"thousands or decimal commas.*--thousands"):
        read_table(path)


@pytest.mark.parametrize("options, expected", [
    ({"thousands": ","}, [12345, 50123]),
    ({"decimal": ","}, [12.345, 50.123]),
])
def test_the_user_settles_an_ambiguous_format(tmp_path, options, expected):
    path = write(tmp_path, 'price,y\n"12,345",a\n"50,123",b\n')
    with pytest.warns(TableWarning, match="read as numbers"):
        table = read_table(path, **options)
    np.testing.assert_allclose(table["price"], expected)


def test_a_target_of_formatted_prices_is_refused_until_its_format_is_named(tmp_path):
    # "12,000" is twelve thousand or twelve with a decimal comma: no guess
    prices = ['"12,000"', '"13,500"', '"9,750"', '"21,000"']
    path = write(tmp_path, "rooms,price\n" + "".join(
        f"{k},{p}\n" for k, p in enumerate(prices)))
    with pytest.raises(TableError, match="column 'price'.*read two ways"):
        read_table(path)
    with pytest.warns(TableWarning, match="'price' read as numbers"):
        table = read_table(path, thousands=",")
    assert table["price"].tolist() == [12000, 13500, 9750, 21000]


def test_numbers_with_a_stray_text_are_refused_as_mixed(tmp_path):
    path = write(tmp_path, "x,y\n" + "12,a\n7,b\n" * 20 + "unknown,c\n")
    with pytest.raises(TableError, match=r"column 'x' mixes numbers and text "
                                         r"\(e.g. '12' and 'unknown'\).*--na-values"):
        read_table(path)


def test_na_values_name_more_missing_markers(tmp_path):
    path = write(tmp_path, "x,y\n" + "12,a\n7,b\n" * 20 + "unknown,c\n")
    table = read_quietly(path, na_values=["unknown"])
    assert table["x"].isna().sum() == 1 and table["x"].dtype.kind == "f"


def test_numbers_among_common_text_are_categories(tmp_path):
    # required experience: none, some, or a number of years
    path = write(tmp_path, "minimum,y\n" + "none,a\nsome,b\n2,a\n5,b\n" * 5)
    with pytest.warns(TableWarning, match="'minimum' mixes numbers and text.*"
                                          "encoded as categories"):
        table = read_table(path)
    assert set(table["minimum"]) == {"none", "some", "2", "5"}


# ------------------------------------------------------------ missing cells


def test_na_is_a_level_in_text_and_missing_among_numbers(tmp_path):
    path = write(tmp_path, "region,sales\nNA,5\nEU,NA\nNA,7\nnull,8\n")
    with pytest.warns(TableWarning, match="column 'sales': 'NA' read as missing"):
        table = read_table(path)
    assert table["region"].tolist()[:3] == ["NA", "EU", "NA"]
    assert pd.isna(table["region"].iloc[3])  # "null" means missing everywhere
    assert table["sales"].isna().tolist() == [False, True, False, False]


# ------------------------------------------------------------- text cells


def test_surrounding_spaces_do_not_make_new_levels_or_names(tmp_path):
    path = write(tmp_path, " answer , x\nyes,1\nyes ,2\n  no,3\n")
    table = read_quietly(path)
    assert list(table.columns) == ["answer", "x"]
    assert table["answer"].tolist() == ["yes", "yes", "no"]


def test_codes_with_leading_zeros_stay_text(tmp_path):
    path = write(tmp_path, "code,x\n007,1\n012,2\n120,3\n")
    with pytest.warns(TableWarning, match="column 'code' holds codes with leading zeros"):
        table = read_table(path)
    assert table["code"].tolist() == ["007", "012", "120"]


def test_categorical_columns_stay_text_as_written(tmp_path):
    path = write(tmp_path, "class,x\n1,1\n2,2\n10,3\n")
    table = read_quietly(path, categorical=["class"])
    assert table["class"].tolist() == ["1", "2", "10"]
    assert table["x"].dtype == np.int64


# ------------------------------------------------------------------ header


def test_repeated_column_names_are_refused(tmp_path):
    path = write(tmp_path, "y,x,y\n1,2,3\n")
    with pytest.raises(TableError, match="more than one column named 'y'"):
        read_table(path)


def test_names_repeated_after_stripping_are_refused(tmp_path):
    path = write(tmp_path, "y,x,y \n1,2,3\n")
    with pytest.raises(TableError, match="more than one column named 'y'"):
        read_table(path)


def test_a_nameless_column_is_named_by_its_position(tmp_path):
    path = write(tmp_path, ",x,y\n0,2,3\n1,4,5\n")
    with pytest.warns(TableWarning, match="column 1 .* has no name; it is called "
                                          "'unnamed_1'"):
        table = read_table(path)
    assert list(table.columns) == ["unnamed_1", "x", "y"]


# --------------------------------------------------- separators, encodings


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_field_separator_is_found(tmp_path, delimiter):
    rows = [["a", "b", "label"], ["1", "2,5", "x"], ["3", "4,5", "y"]]
    path = write(tmp_path, "".join(delimiter.join(row) + "\n" for row in rows))
    with pytest.warns(TableWarning, match="decimal commas"):
        table = read_table(path)
    assert list(table.columns) == ["a", "b", "label"]
    assert table["b"].tolist() == [2.5, 4.5]


def test_a_file_in_another_encoding_names_it(tmp_path):
    path = write(tmp_path, "city,x\nZürich,1\nGenève,2\n", encoding="latin-1")
    with pytest.raises(TableError, match=r"is not utf-8 text \(byte 0xfc.*--encoding"):
        read_table(path)
    assert read_quietly(path, encoding="latin-1")["city"].tolist() == ["Zürich",
                                                                        "Genève"]


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n", encoding="utf-8-sig")
    assert list(read_quietly(path).columns) == ["x", "y"]


# ------------------------------------------------------- suspect columns


def test_dates_and_identifiers_are_named():
    n = 30
    table = pd.DataFrame({
        "when": [f"2024-01-{day:02d}" for day in range(1, n + 1)],
        "id": [f"c{k:04d}" for k in range(n)],
        "colour": ["red", "blue", "green"] * (n // 3),
        "x": np.arange(n, dtype=float)})
    assert suspect_columns(table) == {"when": "dates",
                                      "id": "a different value in every row"}


# ----------------------------------------------------------------- messages


def test_messages_fit_on_one_line_and_keep_their_end():
    text = "first line\nsecond " + "x" * 5000 + " what to do"
    line = one_line(text, limit=200)
    assert "\n" not in line and len(line) <= 200
    assert line.startswith("first line second") and line.endswith("what to do")


def test_long_lists_and_values_are_shortened():
    assert short_list(range(3)) == "0, 1, 2"
    assert short_list(range(160)).endswith("and 152 more")
    assert len(short_list(["y" * 100_000])) < 50


# ------------------------------------- issue 25: files that were misread


def test_rows_ending_in_a_delimiter_keep_every_column_in_place(tmp_path):
    # spreadsheets end each row in a delimiter: pandas took column a for the index
    path = write(tmp_path, "a,b,y\n1,2,0,\n3,4,1,\n5,6,0,\n")
    with pytest.warns(TableWarning, match="end in a delimiter"):
        table = read_table(path)
    assert list(table.columns) == ["a", "b", "y"]
    assert table.to_dict("list") == {"a": [1, 3, 5], "b": [2, 4, 6], "y": [0, 1, 0]}


def test_a_header_ending_in_a_delimiter_too_gives_no_nameless_column(tmp_path):
    path = write(tmp_path, "a,b,y,\n1,2,0,\n3,4,1,\n")
    with pytest.warns(TableWarning, match="end in a delimiter"):
        assert list(read_table(path).columns) == ["a", "b", "y"]


def test_a_value_beyond_the_header_is_refused_naming_its_row(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0,\n3,4,1,7\n")
    with pytest.raises(TableError, match=r"data row 2 has more fields than the header "
                                         r"names \(3\); '7' has no column"):
        read_table(path)


def test_a_header_wider_than_the_sample_is_read_whole(tmp_path):
    # 1,300 columns of long names: the header alone is about 100 KiB
    names = [f"question_{k:04d}_é_{'x' * 60}" for k in range(1300)] + ["target"]
    assert len(",".join(names).encode()) > 64 * 1024
    rows = [",".join([str(k % 7)] * 1300 + [str(k % 2)]) for k in range(5)]
    path = write(tmp_path, ",".join(names) + "\n" + "\n".join(rows) + "\n")
    table = read_quietly(path)
    assert list(table.columns) == names
    assert table["target"].tolist() == [0, 1, 0, 1, 0]


def test_a_character_across_the_64_kib_mark_is_not_an_encoding_error(tmp_path):
    # the two bytes of "é" are the 65,536th and 65,537th of the header
    name = "a" * (64 * 1024 - 1) + "é"
    path = write(tmp_path, f"{name},target\n1,0\n2,1\n")
    assert list(read_quietly(path).columns) == [name, "target"]


def test_line_endings_of_a_lone_carriage_return_are_read(tmp_path):
    path = write(tmp_path, "a,b,y\r1,2,x\r3,4,z\r")
    assert read_quietly(path).to_dict("list") == {"a": [1, 3], "b": [2, 4],
                                                   "y": ["x", "z"]}


@pytest.mark.parametrize("cells, expected, note", [
    (["12%", "5.5%", "100%", "0"], [12, 5.5, 100, 0], r"percentages \(12% read as 12\)"),
    (['"$1,200"', "$15.50", "-$3"], [1200, 15.5, -3],
     r"amounts \(the currency sign '\$' dropped\) written with commas between "
     "thousands and decimal points"),
    (["12 €", "\"1 500,25 €\"", "3 €"], [12, 1500.25, 3],
     r"amounts \(the currency sign '€' dropped\) written with spaces between "
     "thousands and decimal commas"),
    (["1\u2009200", "15\u2009000", "3"], [1200, 15000, 3], "spaces between thousands"),
    (["1\u202f200", "15\u202f000", "3"], [1200, 15000, 3], "spaces between thousands"),
])
def test_numbers_with_units_and_spaces_are_numbers_with_a_note(tmp_path, cells,
                                                            expected, note):
    path = write(tmp_path, "x,y\n" + "".join(f"{c},a\n" for c in cells))
    with pytest.warns(TableWarning, match=f"column 'x' read as .*{note}"):
        table = read_table(path)
    np.testing.assert_allclose(table["x"], expected)


@pytest.mark.parametrize("cells, reason", [
    (['"1,234.5"', '"1.234,5"', "3"], r"numbers written in two formats \(e.g. "
                                       r"'1,234.5' and '1.234,5'\)"),
    (["$3", "4 €"], r"numbers in different units \('\$', '€'"),
    (["12%", "0.5"], "percentages .* and numbers without %"),
])
def test_numbers_no_one_reading_fits_are_refused_never_categories(tmp_path, cells,
                                                                reason):
    path = write(tmp_path, "x,y\n" + "".join(f"{c},a\n" for c in cells))
    with pytest.raises(TableError, match=f"column 'x' holds {reason}"):
        read_table(path)


def test_thousands_separators_beside_missing_markers_are_numbers(tmp_path):
    path = write(tmp_path, 'x,y\n"1,200.50",a\nNA,b\n"3,400.25",a\n-,b\n')
    with pytest.warns(TableWarning) as caught:
        table = read_table(path)
    np.testing.assert_allclose(table["x"], [1200.5, np.nan, 3400.25, np.nan])
    notes = " ".join(str(w.message) for w in caught)
    assert "commas between thousands" in notes and "'-', 'NA' read as missing" in notes


def test_a_thousands_option_leaves_the_other_columns_detected(tmp_path):
    path = write(tmp_path, 'a,b,y\n"1,200",1.234.567,0\n"2,300",2.345.678,1\n')
    with pytest.warns(TableWarning) as caught:
        table = read_table(path, thousands=",")
    assert "column 'b' read as numbers written with points between thousands" in [
        str(w.message) for w in caught]
    assert table["a"].tolist() == [1200, 2300]
    assert table["b"].tolist() == [1234567, 2345678]


def test_decimals_with_leading_zeros_are_numbers_integer_codes_stay_text(tmp_path):
    path = write(tmp_path, "price,code\n000812.75,007\n001200.00,012\n000013.5,100\n")
    with pytest.warns(TableWarning, match="column 'code' holds codes"):
        table = read_table(path)
    np.testing.assert_allclose(table["price"], [812.75, 1200, 13.5])
    assert table["code"].tolist() == ["007", "012", "100"]


def test_numeric_columns_name_the_first_cell_that_is_not_a_number(tmp_path):
    path = write(tmp_path, "a,b\n1,x\n2.5,y\nabc,z\n")
    with pytest.raises(TableError, match=r"column 'a' is numeric, but its data row 3 "
                                         r"holds 'abc'"):
        read_quietly(path, numeric=["a"])


def test_a_numeric_column_without_values_is_read_as_gaps(tmp_path):
    path = write(tmp_path, "a,b\n,x\n,y\n")
    table = read_quietly(path, numeric=["a"])
    assert table["a"].dtype == np.float64 and table["a"].isna().all()
