"""The argument parser of ``skmlp-scratch``: one subcommand per command module.

Each command module has an ``add_parser(commands)`` that adds its subcommand,
with its options and the function that runs it, to the subparsers
``commands``; a new command is one more module and one more entry in
``COMMANDS``.
"""

import argparse

from .. import __version__
from . import export, predict, train

# the command modules, in the order of the help text
COMMANDS = (train, predict, export)


def build_parser(prog=None):
    """The argument parser with a subcommand per module of ``COMMANDS``.

    Parameters
    ----------
    prog : str, default=None
        Program name for usage messages; None lets argparse derive it from
        ``sys.argv[0]``.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Train a NumPy multilayer perceptron on images or on "
                               "a table, and predict with it.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser
