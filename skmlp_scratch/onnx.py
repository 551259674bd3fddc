"""Export to ONNX: our networks and table pipelines as graphs onnxruntime runs.

Importing this module registers a converter with skl2onnx for each model
part skl2onnx does not know: :class:`~skmlp_scratch.MLPScratchClassifier`,
:class:`~skmlp_scratch.MLPScratchRegressor`, the table pipeline's own steps
(:class:`~skmlp_scratch.tabular.SoftClip`, :class:`~skmlp_scratch.tabular.Cast`,
:class:`~skmlp_scratch.tabular.AsText`, :class:`~skmlp_scratch.tabular.LogTarget`),
:class:`~skmlp_scratch.tabular.PiecewiseLinearEncoder`, scikit-learn's
:class:`~sklearn.impute.MissingIndicator` and
:class:`~sklearn.compose.TransformedTargetRegressor`, and (through
:mod:`skmlp_scratch.onnx_ensemble`) the cross-fitted ensembles
:class:`~skmlp_scratch.ensemble.CrossFitClassifier` and
:class:`~skmlp_scratch.ensemble.CrossFitRegressor`. After that,
``skl2onnx.to_onnx(model, X[:1])`` converts a model, or a ``Pipeline`` that
ends in one, like any scikit-learn model. A table model converts through
:func:`to_onnx`, which declares its inputs itself, one per column: numeric
columns as float64, centred on their medians before the cast to float32 so
that large values keep their precision, the others as text by the
contract's cell-to-text rule. skl2onnx's own ``to_onnx`` guesses the inputs
from the DataFrame's dtypes, which the table model would misread (a boolean
as ``"1"``/``"0"``, float64 refused by onnxruntime's ``Imputer``): the table's
steps refuse such inputs at conversion, naming :func:`to_onnx`.

The network becomes one ``MatMul`` and one ``Add`` per layer followed by its
activation, each written from operators every runtime has (see
:data:`ONNX_ACTIVATIONS`); a classifier ends in skl2onnx's usual two
outputs, ``label`` and ``probabilities`` (a list of dicts unless the option
``zipmap`` is False), a regressor in one ``variable`` of shape
``(n_samples, n_outputs)``.

Needs the ``onnx`` extra: ``pip install "skmlp_scratch[onnx]"``.
"""

import contextvars
import copy

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.compose import TransformedTargetRegressor
from sklearn.impute import MissingIndicator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler

from ._activations import LEAKY_RELU_SLOPE
from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor
from .tabular import (
    AsText,
    Cast,
    LogTarget,
    PiecewiseLinearEncoder,
    SoftClip,
    TablePipeline,
)
from .tabular._contract import (
    IMPUTE,
    NUMERIC,
    cells_as_text,
    fitted_columns,
    is_table_model,
    preprocessor,
)
from .tabular._pipeline import _LevelEncoder, _SmearedTargetRegressor

try:
    import skl2onnx
    from onnx import TensorProto
    from skl2onnx.algebra import onnx_ops
    from skl2onnx.algebra.type_helper import guess_initial_types
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError('skmlp_scratch.onnx needs the onnx extra: '
                      'pip install "skmlp_scratch[onnx]"') from exc

__all__ = ["ONNX_ACTIVATIONS", "table_inputs", "to_onnx"]


class _Ops:
    """Builds ONNX operators of one opset computing in one float type.

    ``ops("Add", a, b)`` is skl2onnx's ``OnnxAdd(a, b, op_version=...)``;
    ``ops.constant(values)`` is an array of the graph's float type, which
    skl2onnx stores as an initializer.
    """

    def __init__(self, op_version, dtype):
        self.op_version = op_version
        self.dtype = np.dtype(dtype)

    def __call__(self, op_type, *inputs, **attributes):
        operator = getattr(onnx_ops, f"Onnx{op_type}")
        # ai.onnx.ml operators are versioned on their own and pass theirs
        attributes.setdefault("op_version", self.op_version)
        return operator(*inputs, **attributes)

    def constant(self, values):
        return np.asarray(values, dtype=self.dtype)


# ------------------------------------------------------------ activations
# Each entry maps a pre-activation to the activation of _activations.py.
# Where onnxruntime has the operator only for float32 (LeakyRelu, Elu,
# Softplus, Erf), the entry is written from operators it has for float64 too,
# so one graph serves both types.


def _identity(ops, z):
    return z


def _logistic(ops, z):
    return ops("Sigmoid", z)


def _tanh(ops, z):
    return ops("Tanh", z)


def _relu(ops, z):
    return ops("Relu", z)


def _leaky_relu(ops, z):
    # max(z, slope z) with 0 < slope < 1: z above 0, slope z below, exactly
    return ops("Max", z, ops("Mul", z, ops.constant(LEAKY_RELU_SLOPE)))


def _elu(ops, z):
    # max(z, 0) + exp(min(z, 0)) - 1: z above 0, exp(z) - 1 below; exp(z) - 1
    # in place of expm1 costs at most one unit of rounding in absolute terms
    one = ops.constant(1.0)
    negative = ops("Sub", ops("Exp", ops("Min", z, ops.constant(0.0))), one)
    return ops("Add", ops("Relu", z), negative)


def _softplus(ops, z):
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), no exp of a large number
    exp_minus_abs = ops("Exp", ops("Neg", ops("Abs", z)))
    tail = ops("Log", ops("Add", ops.constant(1.0), exp_minus_abs))
    return ops("Add", ops("Relu", z), tail)


def _gelu(ops, z):
    # z Phi(z) = z (1 + erf(z / sqrt 2)) / 2. onnxruntime has Erf for float32
    # only, so a float64 graph takes erf in float32 (an error below 1e-7 in
    # Phi) and the rest in float64
    scaled = ops("Mul", z, ops.constant(np.sqrt(0.5)))
    if ops.dtype == np.float64:
        erf = ops("Cast", ops("Erf", ops("Cast", scaled, to=TensorProto.FLOAT)),
                  to=TensorProto.DOUBLE)
    else:
        erf = ops("Erf", scaled)
    half_cdf = ops("Mul", ops("Add", erf, ops.constant(1.0)), ops.constant(0.5))
    return ops("Mul", z, half_cdf)


def _softmax(ops, z):
    return ops("Softmax", z, axis=-1)


def _exp(ops, z):
    return ops("Exp", z)


ONNX_ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
    "softmax": _softmax,
    "exp": _exp,
}
"""The ONNX form of each activation of the network: name -> builder.

A builder takes the graph's operator factory and a layer's pre-activations
and returns the layer's activations. Every name of the network's activation
registry needs an entry; converting a network with an activation that has
none stops with a ``ValueError`` naming it.
"""


def _onnx_activation(name):
    try:
        return ONNX_ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation {name!r} has no ONNX form: add an entry to "
                         "skmlp_scratch.onnx.ONNX_ACTIVATIONS") from None


def _forward(ops, inputs, network):
    """The network's outputs: per layer ``activation(A @ W + b)``.

    ``inputs`` are the operator's input variables: one matrix, or one per
    column when skl2onnx declares a DataFrame's columns one by one; those
    are put side by side in the graph's float type.
    """
    columns = [ops("Cast", X, to=_proto_type(ops.dtype)) for X in inputs]
    A = columns[0] if len(columns) == 1 else ops("Concat", *columns, axis=1)
    for W, b, activation in zip(network.coefs_, network.intercepts_,
                                network._layer_activations()):
        Z = ops("Add", ops("MatMul", A, ops.constant(W)), ops.constant(b))
        A = _onnx_activation(activation.name)(ops, Z)
    return A


# ------------------------------------------------------------ the networks


def _compute_dtype(operator):
    """float64 for float64 inputs, float32 for any other, as skl2onnx does."""
    is_double = any(isinstance(X.type, DoubleTensorType) for X in operator.inputs)
    return np.float64 if is_double else np.float32


def _tensor_type(dtype):
    return DoubleTensorType if np.dtype(dtype) == np.float64 else FloatTensorType


def _proto_type(dtype):
    return TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT


def _ops(operator, container):
    return _Ops(container.target_opset, _compute_dtype(operator))


def _onnx_classes(classifier):
    """``classes_`` as ONNX labels: int64 for numbers and booleans, else text.

    Float labels are whole numbers: scikit-learn refuses others as
    continuous targets.
    """
    classes = classifier.classes_
    if classes.dtype.kind in "iubf":
        return classes.astype(np.int64)
    return np.array([str(label) for label in classes], dtype=object)


def _is_multilabel(classifier):
    return classifier._label_binarizer.y_type_ == "multilabel-indicator"


def _classifier_shapes(operator):
    classifier = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    n_classes = len(classifier.classes_)
    labels = _onnx_classes(classifier)
    label_type = StringTensorType if labels.dtype == object else Int64TensorType
    if _is_multilabel(classifier):
        # the indicator matrix, 0/1 per label, as predict returns it
        operator.outputs[0].type = Int64TensorType([n_rows, n_classes])
    else:
        operator.outputs[0].type = label_type([n_rows])
    proba_type = _tensor_type(_compute_dtype(operator))
    operator.outputs[1].type = proba_type([n_rows, n_classes])


def _convert_classifier(scope, operator, container):
    classifier = operator.raw_operator
    ops = _ops(operator, container)
    zipmap = container.get_options(classifier, {"zipmap": True})["zipmap"]
    if ops.dtype == np.float64 and zipmap is not False:
        raise ValueError(ZIPMAP_FLOAT64_MESSAGE)
    P = _forward(ops, operator.inputs, classifier)
    if classifier.out_activation_ == "logistic":
        # predict_proba keeps logistic outputs inside (0, 1) by one epsilon
        eps = np.finfo(ops.dtype).eps
        P = ops("Clip", P, ops.constant(eps), ops.constant(1 - eps))
    if classifier.n_outputs_ == 1:
        P = ops("Concat", ops("Sub", ops.constant(1.0), P), P, axis=1)
    if _is_multilabel(classifier):
        # a label is predicted where its probability exceeds one half
        labels = ops("Cast", ops("Greater", P, ops.constant(0.5)), to=TensorProto.INT64)
    else:
        # the first class of largest probability, as predict's argmax
        index = ops("ArgMax", P, axis=1, keepdims=0)
        labels = ops("Gather", _onnx_classes(classifier), index, axis=0)
    outputs = operator.outputs
    ops("Identity", labels, output_names=[outputs[0]]).add_to(scope, container)
    ops("Identity", P, output_names=[outputs[1]]).add_to(scope, container)


ZIPMAP_FLOAT64_MESSAGE = (
    "float64 inputs give float64 probabilities, which need options={'zipmap': "
    "False}: ONNX's ZipMap operator takes float32 only (or convert float32 inputs, "
    "e.g. X.astype(numpy.float32))")


def _regressor_shapes(operator):
    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = operator.raw_operator.n_outputs_
    output_type = _tensor_type(_compute_dtype(operator))
    operator.outputs[0].type = output_type([n_rows, n_outputs])


def _convert_regressor(scope, operator, container):
    ops = _ops(operator, container)
    Y = _forward(ops, operator.inputs, operator.raw_operator)
    ops("Identity", Y, output_names=[operator.outputs[0]]).add_to(scope, container)


# ------------------------------------------------------- the table's steps


def _same_shape(operator, tensor_type=None):
    """Output of the input's shape, of ``tensor_type`` (default: the input's type)."""
    input_type = operator.inputs[0].type
    tensor_type = tensor_type or input_type.__class__
    operator.outputs[0].type = tensor_type(list(input_type.shape))


def _soft_clip_shapes(operator):
    _same_shape(operator)


def _convert_soft_clip(scope, operator, container):
    ops = _ops(operator, container)
    X = operator.inputs[0]
    # x / hypot(1, x / bound) with hypot(1, t) = m sqrt((1/m)^2 + (t/m)^2),
    # m = max(1, |t|): nothing overflows, and huge x maps to +-bound
    t = ops("Div", X, ops.constant(operator.raw_operator.bound))
    m = ops("Max", ops.constant(1.0), ops("Abs", t))
    one_scaled = ops("Div", ops.constant(1.0), m)
    t_scaled = ops("Div", t, m)
    norm = ops("Sqrt", ops("Add", ops("Mul", one_scaled, one_scaled),
                           ops("Mul", t_scaled, t_scaled)))
    clipped = ops("Div", X, ops("Mul", m, norm), output_names=[operator.outputs[0]])
    clipped.add_to(scope, container)


def _cast_shapes(operator):
    _same_shape(operator, _tensor_type(np.dtype(operator.raw_operator.dtype)))


def _convert_cast(scope, operator, container):
    ops = _ops(operator, container)
    ops("Cast", operator.inputs[0], to=_proto_type(operator.raw_operator.dtype),
        output_names=[operator.outputs[0]]).add_to(scope, container)


def _as_text_shapes(operator):
    if not isinstance(operator.inputs[0].type, StringTensorType):
        raise ValueError("AsText: the categorical columns of an ONNX table are text "
                         "inputs (a missing value as the empty string); got "
                         f"{operator.inputs[0].type}")
    _same_shape(operator)


def _convert_as_text(scope, operator, container):
    # the text arrives as text, a missing value as "", which AsText's
    # imputer reads as missing
    ops = _ops(operator, container)
    ops("Identity", operator.inputs[0],
        output_names=[operator.outputs[0]]).add_to(scope, container)


def _missing_indicator_shapes(operator):
    indicator = operator.raw_operator
    missing = indicator.missing_values
    if not (isinstance(missing, float) and np.isnan(missing)):
        raise ValueError("MissingIndicator converts to ONNX with missing_values=np.nan "
                         f"only; got {indicator.missing_values!r}")
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = BooleanTensorType([n_rows, len(indicator.features_)])


def _convert_missing_indicator(scope, operator, container):
    ops = _ops(operator, container)
    features = np.asarray(operator.raw_operator.features_, dtype=np.int64)
    flags = ops("IsNaN", ops("Gather", operator.inputs[0], features, axis=1))
    ops("Identity", flags, output_names=[operator.outputs[0]]).add_to(scope, container)


def _level_encoder_shapes(operator):
    encoder = operator.raw_operator
    if encoder.drop_idx_ is not None or encoder.sparse_output:
        raise ValueError("the table's one-hot encoder converts to ONNX with drop=None "
                         "and sparse_output=False only")
    n_rows = operator.inputs[0].get_first_dimension()
    n_columns = sum(width for _, width, _ in _encoded_levels(encoder))
    output_type = _tensor_type(np.dtype(encoder.dtype))
    operator.outputs[0].type = output_type([n_rows, n_columns])


def _encoded_levels(encoder):
    """Per input column: each level's output column, the width, an unseen level's.

    The infrequent levels share one column, after the frequent ones; an
    unseen level goes there too, or where there is none, to the column
    ``width``, which ONNX's OneHot encodes as all zeros.
    """
    for index, levels in enumerate(encoder.categories_):
        infrequent = (encoder.infrequent_categories_[index]
                      if encoder._infrequent_enabled else None)
        rare = [] if infrequent is None else [str(level) for level in infrequent]
        frequent = [str(level) for level in levels if str(level) not in set(rare)]
        columns = {level: k for k, level in enumerate(frequent)}
        columns.update(dict.fromkeys(rare, len(frequent)))
        width = len(frequent) + bool(rare)
        yield columns, width, len(frequent)


def _convert_level_encoder(scope, operator, container):
    encoder = operator.raw_operator
    ops = _Ops(container.target_opset, np.dtype(encoder.dtype))
    encoded = []
    for index, (columns, width, unseen) in enumerate(_encoded_levels(encoder)):
        text = ops("Gather", operator.inputs[0], np.array([index], dtype=np.int64),
                   axis=1)
        position = ops("LabelEncoder", text, op_version=2,
                       keys_strings=list(columns), values_int64s=list(columns.values()),
                       default_int64=unseen)
        one_hot = ops("OneHot", position, np.array(width, dtype=np.int64),
                      ops.constant([0.0, 1.0]), axis=-1)
        # (n, 1) indices give (n, 1, width): drop the middle axis
        encoded.append(ops("Reshape", one_hot, np.array([-1, width], dtype=np.int64)))
    ops("Concat", *encoded, axis=1,
        output_names=[operator.outputs[0]]).add_to(scope, container)


class _Centre(BaseEstimator):
    """``x - centre`` in the input's float type, then float32: the numeric inputs' first step.

    Inserted by :func:`to_onnx` at the head of a copy of the table's numeric
    part, whose imputer and scaler are shifted by the same centre, so that a
    column of Unix times or amounts in the millions keeps its precision: the
    subtraction happens in float64, where the digits are, and only the
    small differences are cast to float32.
    """

    def __init__(self, centre):
        self.centre = centre


def _centre_shapes(operator):
    _same_shape(operator, FloatTensorType)


def _convert_centre(scope, operator, container):
    X = operator.inputs[0]
    ops = _Ops(container.target_opset, _compute_dtype(operator))
    centred = ops("Sub", X, ops.constant(operator.raw_operator.centre))
    ops("Cast", centred, to=TensorProto.FLOAT,
        output_names=[operator.outputs[0]]).add_to(scope, container)


def _centred(model):
    """A copy of a table model whose numeric part subtracts its medians first.

    The medians go from the imputer's statistics and from the scaler's centre
    (RobustScaler's ``center_``, StandardScaler's ``mean_``), so the copy
    computes the same numbers; with any other scaler the centre is 0.
    """
    numeric = preprocessor(model).named_transformers_.get(NUMERIC)
    if not fitted_columns(model, NUMERIC) or not isinstance(numeric, Pipeline) or \
            IMPUTE not in numeric.named_steps:
        return model
    model = copy.deepcopy(model)
    numeric = preprocessor(model).named_transformers_[NUMERIC]
    imputer = numeric.named_steps[IMPUTE]
    centre = np.nan_to_num(np.asarray(imputer.statistics_, dtype=np.float64))
    scaler = numeric.steps[1][1]
    if isinstance(scaler, Pipeline):
        scaler = scaler.steps[0][1]
    if isinstance(scaler, RobustScaler) and scaler.center_ is not None:
        scaler.center_ = scaler.center_ - centre
    elif isinstance(scaler, StandardScaler) and scaler.mean_ is not None:
        scaler.mean_ = scaler.mean_ - centre
    else:
        centre = np.zeros_like(centre)
    imputer.statistics_ = imputer.statistics_ - centre
    numeric.steps.insert(0, ("centre", _Centre(centre)))
    return model


# which conversion is under way: ours, which declares a table's inputs, or
# skl2onnx's own to_onnx, which guesses them from the DataFrame's dtypes
_DECLARED_INPUTS = contextvars.ContextVar("skmlp_scratch_declared_inputs",
                                          default=False)


def _check_guessed_inputs(scope):
    """Refuse table inputs that skl2onnx guessed and the model would misread.

    ``skl2onnx.to_onnx(model, table[:1])`` declares a boolean column as
    booleans, which ONNX turns into the text ``"1"``/``"0"`` where the model
    learnt ``"True"``/``"False"``, and float64 or integer columns as such,
    which onnxruntime's ``Imputer`` cannot take. Our :func:`to_onnx` declares
    every column itself.
    """
    if _DECLARED_INPUTS.get():
        return
    for variable in scope.input_variables:
        if isinstance(variable.type, BooleanTensorType):
            problem = ("booleans, which ONNX turns into the text '1'/'0' where the "
                       "model learnt 'True'/'False'")
        elif not isinstance(variable.type, (FloatTensorType, StringTensorType)):
            kind = type(variable.type).__name__.removesuffix("TensorType").lower()
            problem = (f"{kind} numbers, which onnxruntime's Imputer cannot take "
                       "(it has float32 kernels only)")
        else:
            continue
        raise ValueError(
            f"skl2onnx declares the column {variable.raw_name!r} as {problem}: "
            "convert a table model with skmlp_scratch.onnx.to_onnx(model, X[:1]), "
            "which declares each column as the model reads it, and feed it "
            "skmlp_scratch.onnx.table_inputs(model, X)")


def _piecewise_linear_shapes(operator):
    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = int(operator.raw_operator.n_bins_.sum())
    operator.outputs[0].type = _tensor_type(_compute_dtype(operator))([n_rows, n_outputs])


def _convert_piecewise_linear(scope, operator, container):
    # clip((x_j - lower_t) / width_t, 0, 1) for every bin t of every column j,
    # one Gather laying out each bin's column, as transform does
    encoder = operator.raw_operator
    ops = _ops(operator, container)
    column = np.repeat(np.arange(encoder.n_features_in_), encoder.n_bins_)
    lower = np.concatenate([edges[:-1] for edges in encoder.bin_edges_])
    width = np.concatenate([np.diff(edges) for edges in encoder.bin_edges_])
    X = ops("Cast", operator.inputs[0], to=_proto_type(ops.dtype))
    spread = ops("Div", ops("Sub", ops("Gather", X, column.astype(np.int64), axis=1),
                            ops.constant(lower)), ops.constant(width))
    ops("Clip", spread, ops.constant(0.0), ops.constant(1.0),
        output_names=[operator.outputs[0]]).add_to(scope, container)


# --------------------------------------------------- the target transform


def _inverse_standard_scaler(ops, Y, scaler):
    if scaler.scale_ is not None:
        Y = ops("Mul", Y, ops.constant(scaler.scale_))
    if scaler.mean_ is not None:
        Y = ops("Add", Y, ops.constant(scaler.mean_))
    return Y


def _inverse_log_target(ops, Y, transformer):
    return ops("Exp", Y)


def _inverse_pipeline(ops, Y, pipeline):
    for _, step in reversed(pipeline.steps):
        Y = _inverse_transform(ops, Y, step)
    return Y


INVERSE_TRANSFORMS = {
    StandardScaler: _inverse_standard_scaler,
    LogTarget: _inverse_log_target,
    Pipeline: _inverse_pipeline,
}
# how a TransformedTargetRegressor's fitted transformer is undone in ONNX


def _inverse_transform(ops, Y, transformer):
    try:
        inverse = INVERSE_TRANSFORMS[type(transformer)]
    except KeyError:
        known = ", ".join(sorted(kind.__name__ for kind in INVERSE_TRANSFORMS))
        raise ValueError(f"TransformedTargetRegressor: no ONNX form for the target "
                         f"transformer {type(transformer).__name__}; known: "
                         f"{known}") from None
    return inverse(ops, Y, transformer)


def _target_regressor_shapes(operator):
    n_rows = operator.inputs[0].get_first_dimension()
    regressor = operator.raw_operator.regressor_
    n_outputs = getattr(regressor, "n_outputs_", 1)
    output_type = _tensor_type(_compute_dtype(operator))
    operator.outputs[0].type = output_type([n_rows, n_outputs])


def _convert_target_regressor(scope, operator, container):
    model = operator.raw_operator
    ops = _ops(operator, container)
    Y = OnnxSubEstimator(model.regressor_, operator.inputs[0],
                         op_version=ops.op_version)
    Y = _inverse_transform(ops, Y, model.transformer_)
    if hasattr(model, "smearing_"):  # a log target's smearing factor
        Y = ops("Mul", Y, ops.constant(np.atleast_1d(model.smearing_)))
    ops("Identity", Y, output_names=[operator.outputs[0]]).add_to(scope, container)


# ------------------------------------------------------------ registration


def _declaring_output(output_type, check_inputs=False):
    """A skl2onnx parser whose one output is ``output_type(model)`` from the start.

    skl2onnx declares a step's output while parsing, from its input's type
    (a float for any other); the next step's type is chosen from it there,
    so a step that outputs text or another float type must say so then.
    With ``check_inputs``, the step is one of a table's and refuses the
    inputs skl2onnx's own ``to_onnx`` guesses wrong
    (:func:`_check_guessed_inputs`).
    """
    def parse(scope, model, inputs, custom_parsers=None):
        if check_inputs:
            _check_guessed_inputs(scope)
        alias = skl2onnx.get_model_alias(type(model))
        operator = scope.declare_local_operator(alias, model)
        operator.inputs = inputs
        operator.outputs.append(scope.declare_local_variable("variable",
                                                            output_type(model)()))
        return operator.outputs
    return parse


_CONVERTERS = (
    # (class, alias, shape calculator, converter, options, parser)
    (MLPScratchClassifier, "SkmlpScratchClassifier", _classifier_shapes,
     _convert_classifier, {"zipmap": [True, False, "columns"],
                           "output_class_labels": [False, True],
                           # skl2onnx's tail reads it; labels are always classes_
                           "nocl": [False]}, None),
    (MLPScratchRegressor, "SkmlpScratchRegressor", _regressor_shapes,
     _convert_regressor, None, None),
    (SoftClip, "SkmlpScratchSoftClip", _soft_clip_shapes, _convert_soft_clip, None,
     None),
    (Cast, "SkmlpScratchCast", _cast_shapes, _convert_cast, None,
     _declaring_output(lambda cast: _tensor_type(np.dtype(cast.dtype)), True)),
    (AsText, "SkmlpScratchAsText", _as_text_shapes, _convert_as_text, None,
     _declaring_output(lambda as_text: StringTensorType, True)),
    (PiecewiseLinearEncoder, "SkmlpScratchPiecewiseLinearEncoder",
     _piecewise_linear_shapes, _convert_piecewise_linear, None, None),
    (_Centre, "SkmlpScratchCentre", _centre_shapes, _convert_centre, None,
     _declaring_output(lambda centre: FloatTensorType)),
    (_LevelEncoder, "SkmlpScratchLevelEncoder", _level_encoder_shapes,
     _convert_level_encoder, None, None),
    (MissingIndicator, "SkmlpScratchMissingIndicator", _missing_indicator_shapes,
     _convert_missing_indicator, None, None),
    (TransformedTargetRegressor, "SkmlpScratchTransformedTargetRegressor",
     _target_regressor_shapes, _convert_target_regressor, None, None),
    (_SmearedTargetRegressor, "SkmlpScratchSmearedTargetRegressor",
     _target_regressor_shapes, _convert_target_regressor, None, None),
)


def _register():
    for model_class, alias, shapes, converter, options, parser in _CONVERTERS:
        skl2onnx.update_registered_converter(model_class, alias, shapes, converter,
                                             options=options, parser=parser)


_register()


# ------------------------------------------------------------- converting


def _unconvertible(model):
    """Refuse, by name, the steps that have no ONNX form."""
    parts = model.get_params(deep=True).values() if hasattr(model, "get_params") else ()
    for part in [model, *parts]:
        normal = getattr(part, "output_distribution", None) == "normal"
        if isinstance(part, QuantileTransformer) and normal:
            raise ValueError(
                "numeric='quantile' (QuantileTransformer with output_distribution="
                "'normal') cannot be exported to ONNX, which has no inverse normal "
                "CDF; train with numeric='robust' or 'standard' to export")


def _is_table(model, X):
    """Whether ``X`` is a table for ``model``'s preprocessor, one input per column.

    A DataFrame given to a model without it (a network fitted on a numeric
    DataFrame) is one matrix input like an array.
    """
    return hasattr(X, "columns") and is_table_model(model)


def _table_columns(model, table):
    """Each input column of ``model`` and whether it is numeric."""
    numeric = set(fitted_columns(model, NUMERIC))
    names = getattr(model, "feature_names_in_", table.columns)
    return [(str(name), str(name) in numeric) for name in names]


def table_inputs(model, table, dtype=np.float64):
    """The onnxruntime inputs of a table: one array per column the model reads.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted pipeline from :func:`~skmlp_scratch.tabular.make_tabular_pipeline`.
    table : pandas.DataFrame of shape (n_samples, n_columns)
        The rows, with at least the columns the model was fitted on.
    dtype : numpy.dtype, default=numpy.float64
        Type of the numeric columns: float64, the type of an exported
        table's numeric inputs, which are centred before they are cast to
        float32 (a model converted by skl2onnx's own ``to_onnx`` with
        float32 ``initial_types`` takes float32).

    Returns
    -------
    inputs : dict of str to ndarray of shape (n_samples, 1)
        Keyed by column name: a numeric column as ``dtype`` (a missing value
        as NaN), a categorical one as text (``str`` of each level, a missing
        value as the empty string).
    """
    import pandas as pd

    inputs = {}
    for name, numeric in _table_columns(model, table):
        column = table[name]
        if numeric:
            values = pd.to_numeric(column).to_numpy(dtype=dtype, na_value=np.nan)
        else:
            values = cells_as_text(column)
        inputs[name] = values.reshape(-1, 1)
    return inputs


def _initial_types(model, X, dtype):
    """skl2onnx's input declarations: one per table column, or one matrix.

    A table's numeric columns are float64: they are centred in float64 and
    only then cast to the graph's float32 (:class:`_Centre`). A DataFrame
    with text columns for any other model (a user's own ``ColumnTransformer``)
    gets one input per column, typed as skl2onnx's ``to_onnx`` types them.
    """
    if _is_table(model, X):
        column_type = {True: DoubleTensorType, False: StringTensorType}
        return [(name, column_type[numeric]([None, 1]))
                for name, numeric in _table_columns(model, X)]
    if hasattr(X, "columns") and not all(kind in "biuf" for kind in
                                         (dtype.kind for dtype in X.dtypes)):
        return guess_initial_types(X, None)
    n_features = np.asarray(X).shape[1]
    return [("X", _tensor_type(dtype)([None, n_features]))]


def to_onnx(model, X, *, dtype=None, options=None, target_opset=None):
    """Convert a fitted model, or a pipeline ending in one, to ONNX.

    Parameters
    ----------
    model : estimator
        A fitted ``MLPScratchClassifier``, ``MLPScratchRegressor``, a pipeline
        of scikit-learn transformers ending in one, or a pipeline from
        :func:`~skmlp_scratch.tabular.make_tabular_pipeline`.
    X : array-like of shape (n_samples, n_features) or pandas.DataFrame
        A sample of the input, for its types. For a table pipeline, a
        DataFrame: one input per column the model reads, of shape
        ``(n_samples, 1)``, numeric columns as floats and the others as text
        (see :func:`table_inputs`). For any other model, one input ``X`` of
        shape ``(n_samples, n_features)``.
    dtype : {numpy.float32, numpy.float64}, default=None
        Float type of the numeric inputs and of the computation; None takes
        an array's own type when it is float64, float32 otherwise. A table
        computes in float32 only (onnxruntime's ``Imputer`` has no float64
        kernel); its numeric inputs are float64 whatever ``dtype``, centred
        before the cast to float32.
    options : dict, default=None
        Conversion options of skl2onnx, such as ``{"zipmap": False}`` for the
        probabilities of a classifier as a matrix instead of a list of dicts.
    target_opset : int, default=None
        ONNX opset of the graph; None takes the newest skl2onnx was tested with.

    Returns
    -------
    onnx_model : onnx.ModelProto
        Outputs ``label`` and ``probabilities`` for a classifier, ``variable``
        of shape ``(n_samples, n_outputs)`` for a regressor.

    Raises
    ------
    ValueError
        If a step of ``model`` has no ONNX form: a ``numeric='quantile'``
        table pipeline, an activation without an entry in
        :data:`ONNX_ACTIVATIONS`; or if ``dtype`` is float64 for a classifier
        whose ``options`` keep skl2onnx's ``zipmap`` (float32 only).
    """
    if dtype is None:
        is_double = not _is_table(model, X) and np.asarray(X).dtype == np.float64
        dtype = np.float64 if is_double else np.float32
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if _is_table(model, X) and dtype == np.float64:
        raise ValueError("a table exports with float32 numeric inputs: onnxruntime's "
                         "Imputer, which fills the gaps, has no float64 kernel")
    _unconvertible(model)
    zipmap = (options or {}).get("zipmap", True) is not False
    if is_classifier(model) and dtype == np.float64 and zipmap:
        raise ValueError(ZIPMAP_FLOAT64_MESSAGE)
    if isinstance(model, TablePipeline):  # skl2onnx reads options by exact type
        model = Pipeline(model.steps)
    initial_types = _initial_types(model, X, dtype)
    if _is_table(model, X):
        model = _centred(model)
    declared = _DECLARED_INPUTS.set(True)
    try:
        return skl2onnx.convert_sklearn(model, initial_types=initial_types,
                                        options=options, target_opset=target_opset)
    finally:
        _DECLARED_INPUTS.reset(declared)


# The ensembles' converters (skmlp_scratch/onnx_ensemble.py) are built on the
# helpers above and registered when that module is imported: importing it
# here, once they exist, makes to_onnx and skmlp-scratch export convert the
# default table model, whose end is a cross-fitted ensemble.
from . import onnx_ensemble  # noqa: E402, F401
