"""The command line starts without importing what the command does not need.

Each check runs in a fresh interpreter (the test process has imported
everything already) and reads its ``sys.modules`` after the command.
"""

import argparse
import importlib
import json
import subprocess
import sys

import pytest

import skmlp_scratch
from skmlp_scratch._cli.parser import COMMANDS, build_parser

HEAVY = ("sklearn", "pandas", "scipy", "matplotlib", "onnx", "onnxruntime", "skl2onnx")
# what no command loads before it runs: figures and export come later, if at all
NEVER_AT_START = ("matplotlib", "onnx", "onnxruntime", "skl2onnx")

PROBE = """
import contextlib, io, json, sys
from skmlp_scratch._cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(sys.argv[1:]) if len(sys.argv) > 1 else None
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(*argv):
    """Exit code and top-level packages imported by ``main(argv)`` in a new process."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    packages = {name.partition(".")[0] for name in result["modules"]}
    return result["code"], packages


@pytest.mark.parametrize("argv, code", [
    ((), None),  # importing the command module alone
    (("--help",), 0),
    (("--version",), 0),
    (("trian",), 2),  # a misspelt command
    (("--no-such-option",), 2),
])
def test_help_and_usage_errors_import_no_heavy_package(argv, code):
    exit_code, packages = modules_after(*argv)
    assert exit_code == code
    assert packages.isdisjoint(HEAVY), sorted(packages & set(HEAVY))


@pytest.mark.parametrize("argv", [("train", "--help"), ("predict", "--help"),
                                  ("export", "--help"),
                                  ("train", "--no-such-option")])
def test_commands_import_neither_plotting_nor_onnx_at_start(argv):
    exit_code, packages = modules_after(*argv)
    assert exit_code in (0, 2)
    assert "sklearn" in packages  # the probe can see what a command imports
    assert packages.isdisjoint(NEVER_AT_START), sorted(packages & set(NEVER_AT_START))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_top_level_help_line_is_the_command_modules_own(name):
    # the top-level help is written in parser.py so that it needs no command
    # module; it must say what the module says
    module_name, help_line = COMMANDS[name]
    module = importlib.import_module(f"skmlp_scratch._cli.{module_name}")
    commands = argparse.ArgumentParser().add_subparsers()
    module.add_parser(commands)
    assert [(a.dest, a.help) for a in commands._choices_actions] == [(name, help_line)]


def plain_values(args):
    """The parsed values, less the parser's own objects (actions, functions)."""
    plain = (str, int, float, bool, type(None), tuple)
    return {k: v for k, v in vars(args).items() if isinstance(v, plain)
            and not (isinstance(v, tuple) and any(isinstance(a, argparse.Action)
                                                  for a in v))}


def test_lazy_parser_parses_as_the_fully_built_one():
    argv = ["train", "--hidden", "64,32", "--epochs", "3", "--quiet"]
    lazy = build_parser().parse_args(argv)
    full = build_parser(load_all=True).parse_args(argv)
    assert plain_values(lazy) == plain_values(full)
    assert len(plain_values(lazy)) > 10 and lazy.run is full.run
    assert lazy.hidden_layer_sizes == (64, 32) and lazy.max_iter == 3


def test_top_level_help_lists_every_command_once(capsys):
    parser = build_parser(load_all=True)  # loading must not list a command twice
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    out = capsys.readouterr().out
    for name, (_, help_line) in COMMANDS.items():
        assert out.count(help_line) == 1


def test_package_exports_its_public_names_on_first_use():
    from skmlp_scratch._classifier import MLPScratchClassifier

    assert skmlp_scratch.MLPScratchClassifier is MLPScratchClassifier
    assert set(skmlp_scratch.__all__) <= set(dir(skmlp_scratch))
    with pytest.raises(AttributeError, match="no attribute 'MLPClassifier'"):
        skmlp_scratch.MLPClassifier  # noqa: B018
