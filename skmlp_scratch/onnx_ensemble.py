"""Export cross-fitted ensembles to ONNX, the averaging in the graph.

Importing this module (which :mod:`skmlp_scratch.onnx` does, once its own
converters are registered) registers a converter for
:class:`~skmlp_scratch.ensemble.CrossFitClassifier` and
:class:`~skmlp_scratch.ensemble.CrossFitRegressor`; then
``skmlp_scratch.onnx.to_onnx(model, X[:1])`` converts an ensemble, or a
table pipeline that ends in one, as it converts a network.

Every member of a configuration of positive weight becomes its own chain of
``MatMul``, ``Add`` and activation, the same graph a single network exports,
and the outputs are summed with the weights ``weights_[m] / n_folds_``: the
mean of the members' probabilities (then the ``ArgMax`` label) or values,
as ``predict_proba`` and ``predict`` compute it. A member is a network, or
a ``Pipeline`` of a :class:`~skmlp_scratch.tabular.PiecewiseLinearEncoder`
and a network (the ``bins`` configuration), whose encoding is written in the
graph as ``transform`` computes it: one ``Gather`` of the bins' columns, a
``Sub``, a ``Div`` and a ``Clip``. Any other member is refused by name.

Needs the ``onnx`` extra: ``pip install "skmlp_scratch[onnx]"``.
"""

import numpy as np
import skl2onnx
from skl2onnx.common.data_types import Int64TensorType, StringTensorType

from sklearn.pipeline import Pipeline

from . import onnx as _onnx
from ._classifier import MLPScratchClassifier
from ._regressor import MLPScratchRegressor
from .ensemble import CrossFitClassifier, CrossFitRegressor
from .tabular import PiecewiseLinearEncoder

__all__ = []  # importing the module is its whole use


_NETWORKS = (MLPScratchClassifier, MLPScratchRegressor)


def _exportable(member):
    """A network, or a Pipeline of a piecewise-linear encoder and a network."""
    if isinstance(member, Pipeline):
        steps = [step for _, step in member.steps]
        return (len(steps) == 2 and isinstance(steps[0], PiecewiseLinearEncoder)
                and isinstance(steps[1], _NETWORKS))
    return isinstance(member, _NETWORKS)


def _weighted_members(ensemble):
    """``(weight, member)`` of every member predict uses; refuses the others."""
    pairs = []
    for name, weight, members in zip(ensemble.config_names_, ensemble.weights_,
                                     ensemble.estimators_):
        if weight <= 0:
            continue
        for member in members:
            if not _exportable(member):
                raise ValueError(
                    f"configuration {name!r} of the ensemble is a {member!r}, which "
                    "has no ONNX converter; members that export are networks, "
                    "alone or after a PiecewiseLinearEncoder")
            pairs.append((weight / len(members), member))
    return pairs


def _piecewise_linear(ops, X, encoder):
    """``PiecewiseLinearEncoder.transform``: ``clip((x[:, c] - lower) / width, 0, 1)``."""
    column = np.repeat(np.arange(encoder.n_features_in_), encoder.n_bins_)
    lower = np.concatenate([e[:-1] for e in encoder.bin_edges_])
    width = np.concatenate([np.diff(e) for e in encoder.bin_edges_])
    X = ops("Cast", X, to=_onnx._proto_type(ops.dtype))
    gathered = ops("Gather", X, column.astype(np.int64), axis=1)
    shares = ops("Div", ops("Sub", gathered, ops.constant(lower)), ops.constant(width))
    return ops("Clip", shares, ops.constant(0.0), ops.constant(1.0))


def _member_outputs(ops, X, member):
    """The member's network outputs, after its encoder when it has one."""
    if isinstance(member, Pipeline):
        X = _piecewise_linear(ops, X, member.steps[0][1])
        member = member.steps[-1][1]
    # _forward takes the operator's input variables, a list: here one matrix
    return _onnx._forward(ops, [X], member), member


def _member_probabilities(ops, X, member):
    P, member = _member_outputs(ops, X, member)
    if member.out_activation_ == "logistic":  # binary: one output, P(class 1)
        eps = np.finfo(ops.dtype).eps
        P = ops("Clip", P, ops.constant(eps), ops.constant(1 - eps))
        P = ops("Concat", ops("Sub", ops.constant(1.0), P), P, axis=1)
    return P


def _weighted_sum(ops, X, ensemble, member_output):
    total = None
    for weight, member in _weighted_members(ensemble):
        term = ops("Mul", member_output(ops, X, member), ops.constant(weight))
        total = term if total is None else ops("Add", total, term)
    return total


def _classifier_shapes(operator):
    ensemble = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    labels = _onnx._onnx_classes(ensemble)
    label_type = StringTensorType if labels.dtype == object else Int64TensorType
    operator.outputs[0].type = label_type([n_rows])
    proba_type = _onnx._tensor_type(_onnx._compute_dtype(operator))
    operator.outputs[1].type = proba_type([n_rows, len(ensemble.classes_)])


def _convert_classifier(scope, operator, container):
    ensemble = operator.raw_operator
    ops = _onnx._ops(operator, container)
    P = _weighted_sum(ops, operator.inputs[0], ensemble, _member_probabilities)
    # the first class of largest mean probability, as predict's argmax
    index = ops("ArgMax", P, axis=1, keepdims=0)
    labels = ops("Gather", _onnx._onnx_classes(ensemble), index, axis=0)
    outputs = operator.outputs
    ops("Identity", labels, output_names=[outputs[0]]).add_to(scope, container)
    ops("Identity", P, output_names=[outputs[1]]).add_to(scope, container)


def _regressor_shapes(operator):
    ensemble = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = ensemble.oof_predictions_.reshape(len(ensemble.folds_), -1).shape[1]
    output_type = _onnx._tensor_type(_onnx._compute_dtype(operator))
    operator.outputs[0].type = output_type([n_rows, n_outputs])


def _convert_regressor(scope, operator, container):
    ops = _onnx._ops(operator, container)
    Y = _weighted_sum(ops, operator.inputs[0], operator.raw_operator,
                      lambda ops, X, member: _member_outputs(ops, X, member)[0])
    ops("Identity", Y, output_names=[operator.outputs[0]]).add_to(scope, container)


def _register():
    skl2onnx.update_registered_converter(
        CrossFitClassifier, "SkmlpScratchCrossFitClassifier", _classifier_shapes,
        _convert_classifier, options={"zipmap": [True, False, "columns"],
                                      "output_class_labels": [False, True],
                                      "nocl": [False]})
    skl2onnx.update_registered_converter(
        CrossFitRegressor, "SkmlpScratchCrossFitRegressor", _regressor_shapes,
        _convert_regressor)


_register()
