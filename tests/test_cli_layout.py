"""The command line's layout: commands over shared parts, never importing one another.

The imports are read with ``ast`` from the source files, so the test needs
nothing imported and catches imports inside functions too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "skmlp_scratch"
CLI_DIR = PACKAGE_DIR / "_cli"

# the modules that are commands (train on images, train on a table, predict,
# export); train hands a csv: data set to table, its own other half
COMMANDS = {"train", "table", "predict", "export"}
ALLOWED_BETWEEN_COMMANDS = {("train", "table")}
# parser assembles the commands' subparsers
ASSEMBLERS = {"parser"}

# what only skmlp_scratch/tabular/_contract.py may spell out
CONTRACT_NAMES = {"preprocess", "numeric", "missing", "categorical", "impute", "encode"}


def cli_imports(source):
    """The ``_cli`` modules ``source`` imports, by name (``from .x import y``, ``from . import x``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[-1] for alias in node.names
                         if alias.name.startswith("skmlp_scratch._cli."))
    return found


def contract_literals(source):
    """String constants of ``source`` that are step names of the table model."""
    return sorted({node.value for node in ast.walk(ast.parse(source))
                   if isinstance(node, ast.Constant) and node.value in CONTRACT_NAMES})


def cli_modules():
    return sorted(path.stem for path in CLI_DIR.glob("*.py"))


@pytest.mark.parametrize("module", cli_modules())
def test_commands_import_only_shared_parts(module):
    imported = cli_imports((CLI_DIR / f"{module}.py").read_text())
    if module in ASSEMBLERS:
        return
    commands = {name for name in imported & COMMANDS
                if (module, name) not in ALLOWED_BETWEEN_COMMANDS}
    assert commands == set(), f"{module} imports the command modules {commands}"


def test_the_commands_and_shared_parts_exist():
    modules = set(cli_modules())
    assert COMMANDS <= modules
    assert {"_errors", "_model_files", "_tables"} <= modules


@pytest.mark.parametrize("path", [*sorted(CLI_DIR.glob("*.py")), PACKAGE_DIR / "onnx.py"],
                         ids=lambda path: path.name)
def test_only_the_contract_names_the_table_model_s_steps(path):
    assert contract_literals(path.read_text()) == []


@pytest.mark.parametrize("source, expected", [
    ("from .predict import load_model", {"predict"}),
    ("from . import table, train", {"table", "train"}),
    ("def f():\n    from .export import compare\n", {"export"}),
    ("import skmlp_scratch._cli.predict", {"predict"}),
    ("from ..tabular import read_table\nfrom ._errors import CommandError", {"_errors"}),
])
def test_the_scan_sees_every_kind_of_import(source, expected):
    assert cli_imports(source) == expected


def test_the_literal_scan_sees_step_names():
    assert contract_literals('m.named_steps["preprocess"]; f(m, "numeric")') == [
        "numeric", "preprocess"]
    assert contract_literals('print("numeric columns")') == []
