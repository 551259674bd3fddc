"""Every script in examples/ runs to the end and saves a valid PNG figure.

The scripts are found by listing the folder, so a new example is tested
without anyone adding it here. Each runs in its own interpreter, as a user
would run it, in ``--small`` mode so the whole file takes seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Scripts that take no options and save no figure, run as they are. quickstart
# is the README's first command: it prints a report in about two seconds, so
# it is checked for exiting cleanly, not for a figure it was never meant to make.
PLAIN_SCRIPTS = {"quickstart.py"}

def discover_examples():
    # a leading underscore marks a helper module shared by the scripts
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def run_example(name, args, cwd):
    # the Agg backend draws without a display; cwd is the test's own folder, so
    # a script that ignored --out would still leave nothing in the repository
    env = {**os.environ, "MPLBACKEND": "Agg"}
    # the checkout under test comes first on the path, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(EXAMPLES.parent), os.environ.get("PYTHONPATH")]))
    # one BLAS thread: --small's matrices are too small to gain from more, and
    # on a machine shared with other jobs, BLAS threads waiting for a busy core
    # have made a two-second script take ten
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(variable, "1")
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def describe(result):
    return f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n" \
           f"--- stderr\n{result.stderr}"


def test_examples_are_found():
    names = discover_examples()
    assert "pipeline_mnist.py" in names
    assert not PLAIN_SCRIPTS - set(names), "a plain script listed here was removed"


def test_shipped_tables_name_their_source():
    # the examples' tables travel with the repository, so each one states
    # where it comes from and under which terms
    readme = (EXAMPLES / "data" / "README.md").read_text(encoding="utf-8")
    tables = sorted(p.name for p in (EXAMPLES / "data").glob("*.csv"))
    assert tables, "the examples on real tables need their shipped tables"
    assert [name for name in tables if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("name", discover_examples())
def test_example_runs(name, tmp_path):
    if name in PLAIN_SCRIPTS:
        result = run_example(name, [], tmp_path)
        assert result.returncode == 0, describe(result)
        return

    result = run_example(name, ["--small", "--out", str(tmp_path)], tmp_path)
    assert result.returncode == 0, describe(result)
    # --small is what a newcomer runs first; a solver warning there would read
    # as something wrong with the library rather than with the tiny budget
    assert "ConvergenceWarning" not in result.stderr, describe(result)
    figures = list(tmp_path.rglob("*.png"))
    assert figures, f"{name} saved no .png figure\n{describe(result)}"
    for figure in figures:
        assert figure.read_bytes()[:8] == PNG_SIGNATURE, f"{figure} is not a PNG"
