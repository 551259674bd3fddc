"""Options shared by the commands: estimator parameters, values, data set names.

Every parameter of the estimators has an option of the same name, with
dashes for underscores (``--learning-rate-init``), generated from
``get_params()`` so that a new parameter gets its option without an edit
here.
"""

import argparse
import inspect
import re
from pathlib import Path

from .._classifier import MLPScratchClassifier
from .._regressor import MLPScratchRegressor
from ..datasets import DATASETS
from ..tabular import TABLE_DEFAULTS as TABLE_NETWORK_DEFAULTS
from .report import CommandError

ESTIMATORS = {"classification": MLPScratchClassifier, "regression": MLPScratchRegressor}

# every option that sets an estimator parameter, either estimator's
ESTIMATOR_PARAMETERS = frozenset().union(
    *(estimator_class().get_params() for estimator_class in ESTIMATORS.values()))

# Where the command line departs from the estimator's defaults, for a useful
# first run on MNIST: a two-layer net, few epochs with a held-out score to
# watch, batches that keep the matrix products efficient, reproducible runs.
CLI_DEFAULTS = {
    "hidden_layer_sizes": (256, 128),
    "max_iter": 20,
    "batch_size": 128,
    "early_stopping": True,
    "random_state": 0,
    "verbose": True,  # progress per epoch, unless --quiet
}

# A table run starts from the table pipeline's network defaults
# (skmlp_scratch.tabular.TABLE_DEFAULTS), over those of the command line.
TABLE_DEFAULTS = {**CLI_DEFAULTS, **TABLE_NETWORK_DEFAULTS}

# Short names for the options typed most often: alias -> estimator parameter.
ALIASES = {
    "hidden": "hidden_layer_sizes",
    "epochs": "max_iter",
    "lr": "learning_rate_init",
}

TABLE_PREFIXES = ("csv:", "parquet:")


def add_estimator_options(parser):
    """Add one option per parameter of either estimator to ``parser``.

    Options are absent from the parsed namespace unless given, so that
    :func:`effective_params` can tell a typed value from a default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    # the classifier's defaults and texts where both estimators have a parameter
    defaults, summaries = {}, {}
    for estimator_class in reversed(ESTIMATORS.values()):
        defaults.update(estimator_class().get_params())
        summaries.update(summarize_parameters(estimator_class.__doc__))
    aliases = {name: alias for alias, name in ALIASES.items()}
    group = parser.add_argument_group(
        "estimator parameters",
        "Values are read as int, float, true/false, none, a comma list of ints, "
        "or else text; the estimator checks them. Defaults are the "
        "classifier's; a regression uses MLPScratchRegressor's.")
    for name in sorted(defaults):
        flags = [option_name(name)]
        if name in aliases:
            flags.insert(0, option_name(aliases[name]))
        default = CLI_DEFAULTS.get(name, defaults[name])
        for_tables = TABLE_DEFAULTS.get(name, default)
        default_text = f"{default!r}" + (
            f"; tables: {for_tables!r}" if for_tables != default else "")
        help_text = f"{summaries.get(name, name)} (default: {default_text})"
        group.add_argument(*flags, dest=name, default=argparse.SUPPRESS,
                           type=PARAMETER_PARSERS.get(name, parse_value),
                           metavar="VALUE", help=help_text.replace("%", "%%"))


def option_name(parameter):
    """``--learning-rate-init`` for ``learning_rate_init``."""
    return "--" + parameter.replace("_", "-")


def summarize_parameters(docstring):
    """First sentence of each parameter's description in a numpydoc docstring.

    Parameters
    ----------
    docstring : str or None

    Returns
    -------
    summaries : dict of str to str
        Parameter name to sentence, without reST markup, followed by the
        choices when the type is a set such as ``{"relu", "tanh"}``. A line
        such as ``beta_1, beta_2 : float`` gives both names the same text.
    """
    text = inspect.cleandoc(docstring or "")
    text = text.split("\nAttributes\n")[0]  # attributes use the same layout
    entries = re.findall(r"^(\w+(?:, \w+)*) : (.*)\n((?:    .*\n?)+)", text,
                         flags=re.MULTILINE)
    summaries = {}
    for names, kind, body in entries:
        words = " ".join(body.split()).replace("``", "")
        summary = re.split(r"(?<=\.)\s", words, maxsplit=1)[0]
        choices = re.match(r"\{(.*?)\}", kind)
        if choices:
            summary += " One of " + choices.group(1).replace('"', "") + "."
        for name in names.split(", "):
            summaries.setdefault(name, summary)
    return summaries


def parse_value(text):
    """Read an option's text as the Python value it most plausibly means.

    Parameters
    ----------
    text : str

    Returns
    -------
    value : int, float, bool, None, tuple or str
        ``"3"`` -> 3, ``"1e-3"`` -> 0.001, ``"true"`` -> True, ``"none"`` -> None,
        ``"64,32"`` -> (64, 32), ``"tanh,relu"`` -> ("tanh", "relu"),
        ``"0.2,0.1"`` -> (0.2, 0.1) (one value per hidden layer), anything
        else unchanged.
    """
    if "," in text:
        return tuple(parse_value(part) for part in text.split(",") if part.strip())
    lowered = text.strip().lower()
    words = {"true": True, "false": False, "none": None}
    if lowered in words:
        return words[lowered]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def parse_layer_sizes(text):
    """Read ``--hidden``: ``"256,128"`` -> (256, 128), ``""`` or ``"none"`` -> ().

    Parameters
    ----------
    text : str

    Returns
    -------
    sizes : tuple of int, or the value of :func:`parse_value`
        A value that is no list of ints is passed on for the estimator to
        reject with its own message.
    """
    value = parse_value(text)
    if value is None or value == "":
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    return value


# parameters whose text needs more than parse_value
PARAMETER_PARSERS = {"hidden_layer_sizes": parse_layer_sizes}


def parse_columns(text):
    """Read ``--drop``: ``"id, name"`` -> ("id", "name")."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_dataset_name(text):
    """Check a ``--dataset`` value: a known name, ``idx:DIRECTORY`` or ``csv:FILE``.

    Parameters
    ----------
    text : str

    Returns
    -------
    name : str
    """
    if text in DATASETS or (text.startswith("idx:") and len(text) > len("idx:")):
        return text
    if is_table_name(text):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}; choose one of {', '.join(DATASETS)}, "
        "idx:DIRECTORY or csv:FILE")


def parse_table_name(text):
    """Check a ``predict --dataset`` value: ``csv:FILE`` (or ``parquet:FILE``)."""
    if is_table_name(text):
        return text
    raise argparse.ArgumentTypeError(
        f"predict reads a table: give csv:FILE, not {text!r}")


def is_table_name(text):
    """Whether ``text`` names a table: ``csv:FILE`` or ``parquet:FILE``."""
    return any(text.startswith(prefix) and len(text) > len(prefix)
               for prefix in TABLE_PREFIXES)


def table_path(dataset):
    """The file of a ``csv:FILE`` data set name."""
    return Path(dataset.partition(":")[2]).expanduser()


def effective_params(args, estimator_class=MLPScratchClassifier, defaults=CLI_DEFAULTS):
    """The estimator parameters of a run: typed, else CLI, else estimator defaults.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``train`` arguments.
    estimator_class : type, default=MLPScratchClassifier
        The estimator the run trains.
    defaults : dict, default=CLI_DEFAULTS
        The command line's own defaults, over the estimator's.

    Returns
    -------
    params : dict
        One entry per parameter of ``estimator_class``.

    Raises
    ------
    CommandError
        If an option was given that ``estimator_class`` has no parameter for,
        such as ``--class-weight`` in a regression.
    """
    params = estimator_class().get_params()
    typed = {k: v for k, v in vars(args).items() if k in ESTIMATOR_PARAMETERS}
    foreign = sorted(set(typed) - set(params))
    if foreign:
        raise CommandError(
            f"{', '.join(map(option_name, foreign))} does not apply to "
            f"{estimator_class.__name__}")
    params.update({k: v for k, v in defaults.items() if k in params})
    if args.quiet:
        params["verbose"] = False
    params.update(typed)
    return params


def make_estimator(estimator_class, params):
    """An estimator with ``params``, checked before any data is loaded.

    Parameters
    ----------
    estimator_class : type
    params : dict

    Returns
    -------
    estimator : MLPScratchClassifier or MLPScratchRegressor

    Raises
    ------
    CommandError
        If the estimator's own validation rejects a value.
    """
    estimator = estimator_class(**params)
    try:
        # fit validates too, but only after MNIST has been read: fail in a second
        estimator._validate_params()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return estimator
