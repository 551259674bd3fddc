"""``skmlp-scratch export``: write a model saved by ``train`` as an ONNX file, checked.

``skmlp-scratch export --model runs/.../model.skops --output model.onnx``
converts the whole model (a table's preprocessing included) with
:func:`skmlp_scratch.onnx.to_onnx`, then runs the file with onnxruntime on a
sample of rows and prints the largest difference from the model's own
predictions. The rows are those of ``--dataset`` if given, otherwise made up:
for a table, values around each numeric column's median with some missing,
every level of each categorical column, a missing one and a level never seen;
for images, random pixels. A difference above :data:`TOLERANCE`, or a label
that differs, fails the command, and so does a file onnxruntime cannot
run: the file is written only once it has passed, through
:func:`~skmlp_scratch._cli._model_files.write_output`, so a failed export
leaves no file behind and never writes over the model or the table. The
model is read by :func:`~skmlp_scratch._cli._model_files.load_model`, under
the same trust rules as ``predict``.
"""

from pathlib import Path

import numpy as np
from sklearn.base import is_classifier

from ..tabular._contract import (
    CATEGORICAL,
    NUMERIC,
    categorical_levels,
    final_estimator,
    fitted_columns,
    is_table_model,
    numeric_medians,
)
from ._errors import CommandError
from ._model_files import add_model_options, check_output, load_model, write_output
from ._tables import add_reading_options, read_command_table, select_model_columns
from .options import parse_table_name, table_path

# onnxruntime computes a table in float32: its differences from ours are
# float32 rounding, about 1e-7 of each value; 1e-4 leaves a wide margin
TOLERANCE = 1e-4

# rows of the made-up sample
SAMPLE_ROWS = 64

ONNX_HINT = 'pip install "skmlp_scratch[onnx]"'


def add_parser(commands):
    """Add the ``export`` subcommand to the subparsers ``commands``.

    Parameters
    ----------
    commands : argparse._SubParsersAction
    """
    parser = commands.add_parser(
        "export", help="write a model saved by train as an ONNX file",
        description="Convert a model saved by 'skmlp-scratch train' (with its "
                    "table preprocessing) to ONNX, run the file with onnxruntime "
                    "on a sample of rows and print the largest difference from "
                    "the model's own predictions. Needs " + ONNX_HINT + ".",
        epilog="Example: skmlp-scratch export --model runs/wages/model.skops "
               "--output wages.onnx",
        allow_abbrev=False)
    add_model_options(parser)
    parser.add_argument("--output", required=True, type=Path, metavar="FILE",
                        help="the ONNX file to write")
    parser.add_argument("--dataset", default=None, type=parse_table_name,
                        metavar="csv:FILE", help="check on the rows of this table "
                        "(default: made-up rows)")
    add_reading_options(parser.add_argument_group(
        "reading the table",
        "The model's categorical columns are always read as text."))
    parser.set_defaults(run=run_export)


def run_export(args):
    """Carry out ``export``: convert, write, check.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    exit_code : int
    """
    onnx = import_onnx()
    inputs = {args.model: "model file"}
    if args.dataset is not None:
        inputs[table_path(args.dataset)] = "input table"
    check_output(args.output, inputs)
    model = load_model(args.model, trust_pickle=args.trust_pickle)
    rows = (sample_rows(model) if args.dataset is None
            else select_model_columns(model, read_command_table(args.dataset, args,
                                                                model=model)))
    is_table = hasattr(rows, "columns")
    try:
        onnx_model = onnx.to_onnx(model, rows[:1], **export_options(model, rows))
    except ValueError as exc:
        raise CommandError(f"the model cannot be exported: {exc}") from None
    content = onnx_model.SerializeToString()
    difference, scale, same_labels = compare(model, content, rows, onnx, is_table)
    what = "probabilities" if same_labels is not None else "predictions"
    source = "of the table" if args.dataset is not None else "made up"
    print(f"onnxruntime against skmlp_scratch on {len(rows)} rows ({source}): "
          f"largest difference of the {what} {difference:.3g}"
          + ("" if same_labels is None else
             f", labels {'all equal' if same_labels else 'DIFFER'}"))
    if not difference <= TOLERANCE * scale or same_labels is False:
        raise CommandError(f"the ONNX file does not reproduce the model (tolerance "
                           f"{TOLERANCE:g}), so {args.output} was not written; "
                           "please report it")
    write_output(args.output, content)
    print(f"wrote {args.output}")
    return 0


def import_onnx():
    try:
        from .. import onnx
    except ImportError:
        raise CommandError(f"export needs the onnx extra: {ONNX_HINT}") from None
    return onnx


def export_options(model, rows):
    """``to_onnx``'s keywords: probabilities as a matrix, the network's float type."""
    options = {"options": {"zipmap": False}} if is_classifier(model) else {}
    if not hasattr(rows, "columns"):
        options["dtype"] = rows.dtype
    return options


def network_dtype(model):
    return final_estimator(model).coefs_[0].dtype


def sample_rows(model):
    """Made-up rows the model accepts: a DataFrame for a table, else an array."""
    rng = np.random.default_rng(0)
    if not is_table_model(model):
        n_features = model.n_features_in_
        return rng.random((SAMPLE_ROWS, n_features)).astype(network_dtype(model))
    return sample_table(model, rng)


def sample_table(model, rng):
    import pandas as pd

    columns = {}
    for name, median in zip(fitted_columns(model, NUMERIC), numeric_medians(model)):
        values = median + (abs(median) + 1) * rng.normal(size=SAMPLE_ROWS)
        values[::7] = np.nan
        columns[name] = values
    for name, levels in zip(fitted_columns(model, CATEGORICAL),
                            categorical_levels(model)):
        values = rng.choice(levels + ["a level never seen", None], SAMPLE_ROWS)
        columns[name] = values.astype(object)
    return pd.DataFrame(columns)[[str(name) for name in model.feature_names_in_]]


def compare(model, content, rows, onnx, is_table):
    """Largest difference, the scale it is judged at, whether the labels agree.

    The scale is 1 for probabilities and the largest prediction (at least 1)
    for a regressor, whose units are the target's; the labels agree is None
    for a regressor.

    Raises
    ------
    CommandError
        If onnxruntime cannot load or run the file.
    """
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(content,
                                               providers=["CPUExecutionProvider"])
        inputs = (onnx.table_inputs(model, rows) if is_table
                  else {session.get_inputs()[0].name: rows})
        outputs = session.run(None, inputs)
    except Exception as exc:  # onnxruntime's errors share no base class of ours
        raise CommandError(f"onnxruntime cannot run the exported model, so nothing "
                           f"was written: {exc}; please report it") from None
    if is_classifier(model):
        labels, proba = outputs
        expected = model.predict(rows)
        difference = np.max(np.abs(proba - model.predict_proba(rows)))
        return float(difference), 1.0, bool(np.array_equal(labels, expected))
    expected = np.asarray(model.predict(rows), dtype=np.float64).reshape(len(rows), -1)
    scale = max(1.0, float(np.max(np.abs(expected))))
    return float(np.max(np.abs(outputs[0] - expected))), scale, None
