"""The argument parser of ``skmlp-scratch``: one subcommand per command module.

Each command module has an ``add_parser(commands)`` that adds its subcommand,
with its options and the function that runs it, to the subparsers
``commands``; a new command is one more module and one more entry in
``COMMANDS``.

A command module is imported only when its command is chosen: ``train``
builds an option per estimator parameter, which imports scikit-learn, and
``predict`` reads tables with pandas. ``skmlp-scratch --help``, ``--version``
and a misspelt command import none of it and answer at once.
"""

import argparse
import importlib

from .. import __version__

# command -> (its module in this package, its line in the top-level help),
# in the order of the help text; tests/test_cli_startup.py checks that each
# line is the help its module gives to its parser
COMMANDS = {
    "train": ("train", "train on a data set and write a report"),
    "predict": ("predict", "predict with a model saved by train"),
    "export": ("export", "write a model saved by train as an ONNX file"),
}


class LazyCommands(argparse._SubParsersAction):
    """Subparsers whose options are added only when their command is parsed.

    Each command starts as an empty parser carrying its help line, enough
    for the top-level ``--help`` and for argparse's check of the command
    name. Parsing a command imports its module, whose ``add_parser`` puts
    the real parser in the empty one's place.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        self.load(values[0])
        super().__call__(parser, namespace, values, option_string)

    def load(self, name):
        """Replace the placeholder parser of ``name`` by its module's, once.

        Parameters
        ----------
        name : str
            A key of ``COMMANDS``.

        Returns
        -------
        parser : argparse.ArgumentParser
            The command's full parser.
        """
        parser = self._name_parser_map[name]
        if getattr(parser, "loaded", False):
            return parser
        module = importlib.import_module(f".{COMMANDS[name][0]}", __package__)
        del self._name_parser_map[name]  # argparse refuses a name twice
        n_listed = len(self._choices_actions)
        module.add_parser(self)
        # keep the placeholder's line in the top-level help, listed in order
        del self._choices_actions[n_listed:]
        parser = self._name_parser_map[name]
        parser.loaded = True
        return parser


def build_parser(prog=None, *, load_all=False):
    """The argument parser with a subcommand per entry of ``COMMANDS``.

    Parameters
    ----------
    prog : str, default=None
        Program name for usage messages; None lets argparse derive it from
        ``sys.argv[0]``.
    load_all : bool, default=False
        Add every command's options now rather than when the command is
        parsed (for tools that read the whole parser).

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Train a NumPy multilayer perceptron on images or on "
                               "a table, and predict with it.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     action=LazyCommands)
    for name, (_, help_line) in COMMANDS.items():
        commands.add_parser(name, help=help_line)
    if load_all:
        for name in COMMANDS:
            commands.load(name)
    return parser
