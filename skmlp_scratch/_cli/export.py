"""``skmlp-scratch export``: write a model saved by ``train`` as an ONNX file, checked.

``skmlp-scratch export --model runs/.../model.skops --output model.onnx``
converts the whole model (a table's preprocessing included) with
:func:`skmlp_scratch.onnx.to_onnx`, then runs the file with onnxruntime on a
sample of rows and prints the largest difference from the model's own
predictions. The rows are those of ``--dataset`` if given, otherwise made up:
for a table, values around each numeric column's median with some missing,
every level of each categorical column, a missing one and a level never seen;
for images, random pixels. A difference above :data:`TOLERANCE`, or a label
that differs, fails the command. The model is read by
:func:`~skmlp_scratch._cli.predict.load_model`, under the same trust rules as
``predict``.
"""

from pathlib import Path

import numpy as np
from sklearn.base import is_classifier

from ..tabular import final_estimator
from ..tabular._pipeline import fitted_columns
from .options import parse_table_name
from .predict import add_model_options, check_output, load_model, select_model_columns
from .report import CommandError
from .table import add_reading_options, read_command_table

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
    check_output(args.output, {args.model: "model file"})
    model = load_model(args.model, trust_pickle=args.trust_pickle)
    rows = (sample_rows(model) if args.dataset is None
            else select_model_columns(model, read_command_table(args.dataset, args,
                                                                model=model)))
    is_table = hasattr(rows, "columns")
    try:
        onnx_model = onnx.to_onnx(model, rows[:1], **export_options(model, rows))
    except ValueError as exc:
        raise CommandError(f"the model cannot be exported: {exc}") from None
    args.output.write_bytes(onnx_model.SerializeToString())
    difference, scale, same_labels = compare(model, onnx_model, rows, onnx, is_table)
    what = "probabilities" if same_labels is not None else "predictions"
    print(f"wrote {args.output}; onnxruntime against skmlp_scratch on {len(rows)} "
          f"rows: largest difference of the {what} {difference:.3g}"
          + ("" if same_labels is None else
             f", labels {'all equal' if same_labels else 'DIFFER'}"))
    if difference > TOLERANCE * scale or same_labels is False:
        raise CommandError(f"the ONNX file does not reproduce the model (tolerance "
                           f"{TOLERANCE:g}); please report it")
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
    parts = fitted_columns(model, "numeric") + fitted_columns(model, "categorical")
    if not parts:
        n_features = model.n_features_in_
        return rng.random((SAMPLE_ROWS, n_features)).astype(network_dtype(model))
    return sample_table(model, rng)


def sample_table(model, rng):
    import pandas as pd

    preprocessor = model.named_steps["preprocess"]
    columns = {}
    numeric = fitted_columns(model, "numeric")
    if numeric:
        medians = preprocessor.named_transformers_["numeric"]["impute"].statistics_
        for name, median in zip(numeric, medians):
            values = median + (abs(median) + 1) * rng.normal(size=SAMPLE_ROWS)
            values[::7] = np.nan
            columns[name] = values
    categorical = fitted_columns(model, "categorical")
    if categorical:
        encoder = preprocessor.named_transformers_["categorical"]["encode"]
        for name, levels in zip(categorical, encoder.categories_):
            known = [str(level) for level in levels]
            values = rng.choice(known + ["a level never seen", None], SAMPLE_ROWS)
            columns[name] = values.astype(object)
    return pd.DataFrame(columns)[[str(name) for name in model.feature_names_in_]]


def compare(model, onnx_model, rows, onnx, is_table):
    """Largest difference, the scale it is judged at, whether the labels agree.

    The scale is 1 for probabilities and the largest prediction (at least 1)
    for a regressor, whose units are the target's; the labels agree is None
    for a regressor.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    inputs = (onnx.table_inputs(model, rows) if is_table
              else {session.get_inputs()[0].name: rows})
    outputs = session.run(None, inputs)
    if is_classifier(model):
        labels, proba = outputs
        expected = model.predict(rows)
        difference = np.max(np.abs(proba - model.predict_proba(rows)))
        return float(difference), 1.0, bool(np.array_equal(labels, expected))
    expected = np.asarray(model.predict(rows), dtype=np.float64).reshape(len(rows), -1)
    scale = max(1.0, float(np.max(np.abs(expected))))
    return float(np.max(np.abs(outputs[0] - expected))), scale, None
