"""Model files in and output files out: the rules every command follows.

Reading a model. A file is read by what it holds, never by the spelling of
its name. A skops file (a zip archive, whatever its name) is loaded trusting
only skops' default types and the exact types of
:data:`~skmlp_scratch.tabular._contract.TRUSTED_TYPES`, so a file from
anywhere runs no code of its own; before any member is read, the archive's
declared sizes and every array's declared shape are checked (a 1 MB file
may not inflate to gigabytes, a network's weights have the shapes its own
attributes give them), and once loaded the model's parts are checked to fit
together, so that a damaged or tampered file fails with one line, not
inside ``predict``. A pickle (``model.joblib``) runs any code it holds as it
is loaded, and printing a warning first would come too late to stop it: it
is loaded only when its name says it is one (``.joblib``, ``.pkl``,
``.pickle``) and the user passes ``--trust-pickle``. Every other file is
refused unread. :func:`load_model` is the one way the command line loads a
saved model.

Writing a file. :func:`write_output` is the one way a command writes a file
the user named: never over one of the command's input files (the table, the
model), into a folder that exists, and through a temporary file renamed
into place once complete, so a failure leaves neither a half-written file
nor the temporary one behind.
"""

import contextlib
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from .._classifier import MLPScratchClassifier
from .._regressor import MLPScratchRegressor
from ..tabular import PiecewiseLinearEncoder
from ..tabular._contract import TRUSTED_TYPES, final_estimator, is_ensemble
from ._errors import CommandError

UNSAFE_MODEL_NOTE = (
    "A .skops model is loaded without running code from it, trusting only the "
    "types a model saved by train holds: it is the format to share. A .joblib "
    "or pickle model runs any code it holds when it is loaded, so it is loaded "
    "only with --trust-pickle.")

# names that say a file is a pickle; compared in lower case
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
PICKLE_NAMES = f"{', '.join(PICKLE_SUFFIXES[:-1])} or {PICKLE_SUFFIXES[-1]}"

# skops writes its members stored, not compressed, so their declared sizes
# add up to about the file's size; a file packed again with deflate shrinks
# its JSON schema by about ten. A zip bomb shrinks by a thousand or more.
MAX_INFLATION = 16
INFLATION_ALLOWANCE = 16 * 2**20  # bytes: small files may compress better

NETWORK_CLASSES = (MLPScratchClassifier, MLPScratchRegressor)


def add_model_options(parser):
    """Add ``--model`` and ``--trust-pickle``, the options of :func:`load_model`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("--model", required=True, type=Path, metavar="FILE",
                        help="model.skops (or, with --trust-pickle, model.joblib) "
                             "from a train report")
    parser.add_argument("--trust-pickle", action="store_true",
                        help=f"load a pickle model ({PICKLE_NAMES}): a pickle "
                             "runs any code it holds as it is loaded, before any "
                             "check or warning could stop it, so give this only "
                             "for a file you made or whose source you trust")


# ------------------------------------------------------------ loading


def load_model(path, *, trust_pickle=False):
    """A fitted model saved by ``train``, read by its content.

    A zip archive is read as a skops file whatever its name
    (:func:`load_skops`). Anything else is unpickled only if its name ends
    in one of :data:`PICKLE_SUFFIXES` and ``trust_pickle`` is true, and
    refused unread otherwise.

    Parameters
    ----------
    path : Path
    trust_pickle : bool, default=False
        Whether the user trusts a pickle (``--trust-pickle``): loading one
        runs any code it holds.

    Returns
    -------
    model : estimator
        A fitted MLPScratchClassifier or MLPScratchRegressor, or a pipeline
        that ends in one or in a cross-fitted ensemble of them, whose parts
        fit together.

    Raises
    ------
    CommandError
        If the file is missing, unreadable, not trusted, not one of ours, or
        its parts do not fit together.
    """
    if not path.is_file():
        raise CommandError(f"no such model file: {path}")
    if zipfile.is_zipfile(path):
        model = load_skops(path)
    elif path.suffix.lower() not in PICKLE_SUFFIXES:
        raise CommandError(f"{path} is not a skops model file (those are zip "
                           "archives) and its name does not say it is a pickle: give "
                           f"a .skops model, or a pickle named {PICKLE_NAMES} with "
                           "--trust-pickle")
    elif not trust_pickle:
        raise CommandError(f"{path} is named as a pickle, and a pickle runs any code "
                           "it holds when loaded: add --trust-pickle if you made it "
                           "or trust its source, or use the model.skops of its "
                           "train report")
    else:
        model = load_joblib(path)
    check_model(model, path)
    return model


def load_joblib(path):
    """Unpickle ``path`` with joblib: trusted files only (see ``UNSAFE_MODEL_NOTE``)."""
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # a pickle may fail in any way at all
        raise CommandError(f"{path} is not a readable joblib model file "
                           f"({type(exc).__name__}: {exc})") from None


def load_skops(path):
    """Load ``path`` with skops.io, trusting only ``TRUSTED_TYPES`` beyond its own.

    The archive is checked first (:func:`check_archive`), then read once, so
    the types checked are those loaded.

    Raises
    ------
    CommandError
        If skops is not installed, the file is not a skops file, would
        inflate beyond its size, or holds a type that is neither trusted by
        skops nor in ``TRUSTED_TYPES``.
    """
    try:
        import skops.io
    except ImportError:
        raise CommandError('loading .skops models needs skops: pip install '
                           '"skmlp_scratch[persist]"') from None
    check_archive(path)
    try:
        content = path.read_bytes()
        untrusted = skops.io.get_untrusted_types(data=content)
    except Exception as exc:  # a corrupt zip or schema fails in many ways
        raise unreadable(path, exc) from None
    foreign = sorted(set(untrusted) - TRUSTED_TYPES)
    if foreign:
        shown = ", ".join(foreign[:4]) + (
            f" and {len(foreign) - 4} more" if len(foreign) > 4 else "")
        raise CommandError(f"refusing to load {path}: it holds types that a model "
                           f"saved by 'skmlp-scratch train' does not: {shown}")
    try:
        return skops.io.loads(content, trusted=untrusted)
    except Exception as exc:  # trusted types only, but their stored state may be bad
        raise unreadable(path, exc) from None


def unreadable(path, exc):
    """The ``CommandError`` for a model file that fails to load with ``exc``."""
    return CommandError(f"{path} is not a readable skops model file "
                        f"({type(exc).__name__}: {exc})")


def check_archive(path):
    """Refuse a skops archive whose members would inflate past what its size allows.

    Reads only the zip directory, the schema (once its declared size is
    known to be sound) and the first bytes of each array member, its
    ``.npy`` header: an array's declared shape must match the member's
    declared size, and a network's weights and biases must have the shapes
    its own attributes (``n_features_in_``, ``hidden_layer_sizes``,
    ``n_outputs_``) give them, every member of an ensemble included.

    Raises
    ------
    CommandError
        Naming the member at fault.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(member.file_size for member in members)
            allowed = MAX_INFLATION * path.stat().st_size + INFLATION_ALLOWANCE
            if declared > allowed:
                raise CommandError(
                    f"refusing to load {path}: its members would inflate to "
                    f"{declared / 2**20:,.0f} MiB from a file of "
                    f"{path.stat().st_size / 2**20:,.1f} MiB; a model file is not "
                    "compressed that much")
            shapes = {member.filename: array_header(archive, member)
                      for member in members if member.filename.endswith(".npy")}
            schema = json.loads(archive.read("schema.json"))
    except CommandError:
        raise
    except Exception as exc:  # a corrupt zip, header or schema fails in many ways
        raise unreadable(path, exc) from None
    try:
        expected = list(expected_network_shapes(schema))
    except Exception as exc:  # a tampered schema fails in many ways
        raise unreadable(path, exc) from None
    for name, shape in expected:
        if name in shapes and shapes[name] != shape:
            raise CommandError(
                f"refusing to load {path}: its array {name} has shape {shapes[name]} "
                f"where the network's own sizes give {shape}")


def array_header(archive, member):
    """The shape an ``.npy`` member declares, checked against its declared size."""
    with archive.open(member) as file:
        version = np.lib.format.read_magic(file)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"{member.filename}: npy format {version}")
        shape, _, dtype = read_header(file)
        offset = file.tell()
    if dtype.hasobject:
        raise ValueError(f"{member.filename} holds Python objects")
    if offset + math.prod(shape) * dtype.itemsize != member.file_size:
        raise ValueError(f"{member.filename} declares shape {shape} of {dtype}, "
                         f"which does not fill its {member.file_size} bytes")
    return tuple(shape)


def expected_network_shapes(schema):
    """``(member, shape)`` of each weight and bias of each network in a skops schema.

    The shapes follow from the network's own attributes: layer sizes
    ``n_features_in_, *hidden_layer_sizes, n_outputs_``, weights of shape
    ``(fan_in, fan_out)``, biases ``(fan_out,)``.
    """
    for node in schema_nodes(schema):
        if node.get("__class__") not in {c.__name__ for c in NETWORK_CLASSES}:
            continue
        attributes = node.get("content", {})
        attributes = attributes.get("content") if isinstance(attributes, dict) else None
        if not isinstance(attributes, dict) or "coefs_" not in attributes:
            continue  # an unfitted network, or not an object: checked once loaded
        sizes = [json_value(attributes["n_features_in_"]),
                 *json_value(attributes["hidden_layer_sizes"]),
                 json_value(attributes["n_outputs_"])]
        if not all(isinstance(size, int) and size > 0 for size in sizes):
            raise ValueError(f"a network with layer sizes {sizes}")
        for key, shape_of in [("coefs_", lambda k: (sizes[k], sizes[k + 1])),
                              ("intercepts_", lambda k: (sizes[k + 1],))]:
            arrays = attributes[key]["content"]
            if len(arrays) != len(sizes) - 1:
                raise ValueError(f"{key} of {len(arrays)} arrays for {len(sizes)} "
                                 "layers")
            for k, array in enumerate(arrays):
                yield array["file"], shape_of(k)


def schema_nodes(node):
    """Every node of a skops schema, depth first."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def json_value(node):
    """The value of a skops schema's JSON node, or tuple or list of them."""
    if node.get("__loader__") == "JsonNode":
        return json.loads(node["content"])
    if node.get("__loader__") in {"TupleNode", "ListNode"}:
        return [json_value(child) for child in node["content"]]
    raise ValueError(f"a {node.get('__class__')} where numbers belong")


def check_model(model, path):
    """Refuse a loaded model whose parts do not fit together.

    A tampered file may hold trusted types in the wrong places, or a network
    whose arrays disagree with one another: that fails here, as one line,
    rather than with a traceback inside ``predict``.

    Raises
    ------
    CommandError
    """
    try:
        problem = estimator_problem(final_estimator(model)) or parts_problem(model)
    except Exception as exc:  # a tampered structure fails in many ways
        problem = f"{type(exc).__name__}: {exc}"
    if problem == "not ours":
        raise CommandError(f"{path} holds a {type(model).__name__}, not a fitted model "
                           "saved by 'skmlp-scratch train'")
    if problem:
        raise CommandError(f"{path} is damaged: {problem}")


def parts_problem(model, name="the model"):
    """What is wrong with the steps of a loaded pipeline, or None.

    Each step, each part of a ``ColumnTransformer`` and the regressor and
    transformer of a ``TransformedTargetRegressor`` must be an estimator
    object: a skops schema may name a trusted class where its instance
    belongs.
    """
    if isinstance(model, type) or not hasattr(model, "get_params"):
        return f"{name} is {model!r}, not a fitted step"
    if isinstance(model, Pipeline):
        parts = list(model.steps)
    elif isinstance(model, ColumnTransformer):
        parts = [(part, transformer) for part, transformer, _ in model.transformers_
                 if not (isinstance(transformer, str)
                         and transformer in {"drop", "passthrough"})]
    elif isinstance(model, TransformedTargetRegressor):
        parts = [("regressor_", model.regressor_), ("transformer_", model.transformer_)]
    else:
        return None
    for part_name, part in parts:
        problem = parts_problem(part, f"its step {part_name!r}")
        if problem:
            return problem
    return None


def estimator_problem(estimator):
    """What is wrong with the loaded network or ensemble at a model's end, or None."""
    if is_ensemble(estimator):
        return ensemble_problem(estimator)
    return network_problem(estimator)


def ensemble_problem(ensemble):
    """What is wrong with a loaded cross-fitted ensemble, or None.

    Its weights must be one per configuration, non-negative and summing to
    1, each configuration must hold ``n_folds_`` members, and each member
    must be a sound network (after its encoder, in a ``Pipeline``) that
    takes the ensemble's columns and, for a classifier, predicts its labels.
    """
    if not hasattr(ensemble, "estimators_"):
        return "not ours"
    names, rows, weights = ensemble.config_names_, ensemble.estimators_, ensemble.weights_
    if not (isinstance(weights, np.ndarray) and weights.ndim == 1
            and len(weights) == len(rows) == len(names)):
        return (f"the ensemble has {len(names)} configurations, {len(rows)} rows of "
                "members and weights_ that do not match")
    if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)
            and abs(weights.sum() - 1) < 1e-6):
        return f"weights_ {weights.tolist()} are not non-negative and summing to 1"
    classes = getattr(ensemble, "classes_", None)
    for name, members in zip(names, rows):
        if not isinstance(members, list) or len(members) != ensemble.n_folds_:
            return (f"configuration {name!r} does not hold n_folds_="
                    f"{ensemble.n_folds_} members")
        for j, member in enumerate(members):
            where = f"member {j + 1} of configuration {name!r}"
            problem = member_problem(member, ensemble.n_features_in_, classes)
            if problem:
                return f"{where}: {problem}"
    return None


def member_problem(member, n_features, classes):
    """What is wrong with one member of an ensemble, or None."""
    network = member[-1] if isinstance(member, Pipeline) else member
    problem = network_problem(network)
    if problem == "not ours":
        return f"a {type(network).__name__} where a fitted network belongs"
    problem = problem or parts_problem(member)
    if problem:
        return problem
    if isinstance(member, Pipeline):
        encoder = member[0]
        if not isinstance(encoder, PiecewiseLinearEncoder) or len(member) != 2:
            return "a pipeline other than an encoder and a network"
        edges = encoder.bin_edges_
        if len(edges) != encoder.n_features_in_ or any(
                len(e) != n + 1 for e, n in zip(edges, encoder.n_bins_)):
            return "the encoder's bin edges do not match its bins"
        if int(np.sum(encoder.n_bins_)) != network.n_features_in_:
            return (f"the encoder gives {int(np.sum(encoder.n_bins_))} columns to a "
                    f"network of {network.n_features_in_} inputs")
    first = member[0] if isinstance(member, Pipeline) else member
    if first.n_features_in_ != n_features:
        return f"it takes other columns than the ensemble's {n_features}"
    if classes is not None and not np.array_equal(network.classes_, classes):
        return "its classes_ are not the ensemble's"
    return None


def network_problem(network):
    """What is wrong with a loaded network's fitted state, or None."""
    if not isinstance(network, NETWORK_CLASSES) or not hasattr(network, "coefs_"):
        return "not ours"
    coefs, intercepts = list(network.coefs_), list(network.intercepts_)
    if len(coefs) != len(intercepts) or not coefs:
        return f"{len(coefs)} weight matrices for {len(intercepts)} bias vectors"
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        if not (isinstance(W, np.ndarray) and isinstance(b, np.ndarray)) or \
                W.ndim != 2 or b.shape != (W.shape[1],) or \
                (k and W.shape[0] != coefs[k - 1].shape[1]):
            return f"the weights of layer {k + 1} do not fit those around them"
    if coefs[0].shape[0] != network.n_features_in_:
        return (f"n_features_in_ is {network.n_features_in_} but the first layer "
                f"takes {coefs[0].shape[0]} inputs")
    if coefs[-1].shape[1] != network.n_outputs_:
        return (f"n_outputs_ is {network.n_outputs_} but the last layer gives "
                f"{coefs[-1].shape[1]}")
    if isinstance(network, MLPScratchClassifier):
        return classes_problem(network)
    return None


def classes_problem(classifier):
    """What is wrong with a loaded classifier's labels, or None."""
    classes = classifier.classes_
    binarizer = classifier._label_binarizer
    if not isinstance(classes, np.ndarray) or classes.ndim != 1 or \
            not np.array_equal(classes, binarizer.classes_):
        return "classes_ is not the labels the network was fitted on"
    if len(np.unique(classes)) != len(classes):
        return "classes_ repeats a label"
    width = classifier.n_outputs_
    expected = 2 if (width == 1 and binarizer.y_type_ == "binary") else width
    if len(classes) != expected:
        return (f"classes_ holds {len(classes)} labels for a network of "
                f"{width} output{'s' if width > 1 else ''}")
    return None


# ------------------------------------------------------------ writing


def check_output(output, inputs):
    """Refuse an output file that is one of the command's inputs or has no folder.

    Parameters
    ----------
    output : Path or None
        The file to write; None writes to standard output.
    inputs : dict of Path to str
        Each input file and what it is, for the message.

    Raises
    ------
    CommandError
        If ``output`` is one of ``inputs``, however either is spelled (a
        symlink, ``..`` or another spelling of the same file), is a folder,
        or its folder does not exist.
    """
    if output is None:
        return
    refuse_inputs(output, inputs)
    if output.is_dir():
        raise CommandError(f"--output {output} is a folder; name a file in it")
    if not output.parent.is_dir():
        raise CommandError(f"--output {output}: the folder {output.parent} does not "
                           "exist; create it first or choose another file")


def refuse_inputs(output, inputs, what="--output"):
    """Refuse an output file that is one of ``inputs``, however either is spelled.

    Parameters
    ----------
    output : Path
    inputs : dict of Path to str
        Each input file and what it is, for the message.
    what : str, default="--output"
        What names ``output``, for the message.

    Raises
    ------
    CommandError
    """
    for path, role in inputs.items():
        if path is not None and is_same_file(output, path):
            raise CommandError(f"{what} {output} is the {role} {path}: writing "
                               "would overwrite it; choose another file")


def is_same_file(path, other):
    """Whether ``path`` and ``other`` name one file (or would, once it exists)."""
    try:
        # the same inode: symlinks, hard links, a case-insensitive file system
        return path.samefile(other)
    except OSError:  # one is missing: then only the same spelled-out path counts
        return path.resolve() == other.resolve()


@contextlib.contextmanager
def output_file(output):
    """A temporary file beside ``output``, renamed to it when the block succeeds.

    The block writes the temporary path it is given. If it raises, the
    temporary file is removed and ``output`` is as it was; the rename is
    atomic, so ``output`` is never seen half-written.

    Parameters
    ----------
    output : Path
        Checked first with :func:`check_output`.

    Yields
    ------
    temporary : Path

    Raises
    ------
    CommandError
        If the file cannot be written.
    """
    try:
        # the output's suffix kept last, for writers that read the format there
        handle, name = tempfile.mkstemp(prefix=f".{output.stem}.",
                                        suffix=f".partial{output.suffix}",
                                        dir=output.parent)
        # mkstemp makes the file private; the output gets the usual mode
        os.fchmod(handle, 0o666 & ~current_umask())
        os.close(handle)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, output)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)


def current_umask():
    """The process's file mode mask (read by setting it, and set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_output(output, data):
    """Write ``data`` (bytes or text) to ``output`` through :func:`output_file`."""
    with output_file(output) as temporary:
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            temporary.write_text(data)
