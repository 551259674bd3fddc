"""What a table's width costs: ``read_table`` and ``skmlp-scratch train`` on wide tables.

Synthetic tables of ``--rows`` rows (default 500) and each width of
``--widths`` (default 500, 2,000 and 10,000 columns), and a 0/1 target, of
two kinds: ``numbers``, nine columns in ten of numbers with three decimals
and one in ten of three text levels; ``survey``, a survey export's four
kinds of answers in turn (agree/disagree/neutral with blanks, 1-5 with
``NA``, a number with one decimal, yes/no). For each, in fresh processes,
interleaved over ``--repeats``
rounds (default 2): the CPU seconds of ``read_table`` on the file, and of the
whole ``skmlp-scratch train --dataset csv:... --epochs 2 --no-plots --quiet``
(reading, checks, preprocessing, two epochs of the network, the report and
both model files). With ``--before CHECKOUT`` the same runs use the package of
that checkout too, side by side (e.g. a worktree of the previous commit), and
the table gives the ratio.

CPU seconds, not wall seconds, since the machine may be shared; BLAS runs on
one thread in every process. The result goes to
``benchmarks/results/<--result>.md`` (default ``wide_tables``).

Run, for the committed results (about 10 and 4 minutes on two cores)::

    python benchmarks/bench_wide_tables.py --before /path/to/older/checkout
    python benchmarks/bench_wide_tables.py --before /path/to/older/checkout \
        --tables survey --rows 3000 --widths 2000 --result wide_tables_3000_rows
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
RESULTS = HERE / "results"

READ = """
import time, warnings
from skmlp_scratch.tabular import read_table
started = time.process_time()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    read_table({path!r})
print(time.process_time() - started)
"""

TRAIN = """
import contextlib, io, time
from skmlp_scratch._cli import main
started = time.process_time()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(["train", "--dataset", "csv:{path}", "--target", "y", "--output",
                 {report!r}, "--epochs", "2", "--no-plots", "--quiet"])
assert code == 0, code
print(time.process_time() - started)
"""


def write_table(path, kind, n_rows, n_columns, seed=0):
    """A synthetic table of ``kind`` ("numbers" or "survey") and a 0/1 target."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    survey = [lambda: rng.choice(["agree", "disagree", "neutral", ""], n_rows),
              lambda: rng.choice(["1", "2", "3", "4", "5", "NA"], n_rows),
              lambda: rng.normal(50, 10, n_rows).round(1),
              lambda: rng.choice(["yes", "no"], n_rows)]
    columns = {}
    for k in range(n_columns):
        if kind == "survey":
            columns[f"q{k}"] = survey[k % 4]()
        else:
            columns[f"c{k}"] = (rng.choice(["low", "mid", "high"], n_rows)
                                if k % 10 == 0 else rng.normal(size=n_rows).round(3))
    columns["y"] = rng.integers(0, 2, n_rows)
    pd.DataFrame(columns).to_csv(path, index=False)


def cpu_seconds(code, checkout, folder):
    """CPU seconds printed by ``code`` run in a fresh process on ``checkout``'s package.

    The process runs in ``folder``: ``python -c`` puts its working folder
    first on the path, before ``PYTHONPATH``, and a checkout there would win.
    """
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    check = (f"import skmlp_scratch\nassert skmlp_scratch.__file__.startswith("
             f"{str(checkout)!r}), skmlp_scratch.__file__\n")
    done = subprocess.run([sys.executable, "-c", check + code], env=env, cwd=folder,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def measure(kinds, widths, n_rows, repeats, versions):
    """``{(kind, width, step, version): [seconds, ...]}``, runs interleaved by round."""
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            for width in widths:
                path = Path(folder) / f"{kind}{width}.csv"
                write_table(path, kind, n_rows, width)
                for round_ in range(repeats):
                    for version, checkout in versions.items():
                        report = str(Path(folder) / f"run-{version}-{width}-{round_}")
                        for step, code in [
                                ("read_table", READ.format(path=str(path))),
                                ("train", TRAIN.format(path=path, report=report))]:
                            seconds = cpu_seconds(code, checkout, folder)
                            times.setdefault((kind, width, step, version),
                                             []).append(seconds)
                            print(f"{kind:<8} {width:>6} columns, {step:<10} "
                                  f"{version:<7} {seconds:7.2f} s", flush=True)
    return times


def report(times, kinds, widths, n_rows, versions):
    """The markdown table: fastest and median per version, and their ratio."""
    names = list(versions)
    header = ["table", "columns", "step",
              *[f"{v}: fastest / median CPU s" for v in names]]
    if len(names) == 2:
        header.append(f"{names[1]} / {names[0]} (fastest)")
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for kind, width in [(kind, width) for kind in kinds for width in widths]:
        for step in ("read_table", "train"):
            cells = [kind, f"{width:,}", step]
            fastest = []
            for version in names:
                seconds = times[(kind, width, step, version)]
                fastest.append(min(seconds))
                cells.append(f"{min(seconds):.2f} / {statistics.median(seconds):.2f}")
            if len(names) == 2:
                cells.append(f"{fastest[1] / fastest[0]:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
    measured = ", ".join(f"{name}: commit {commit_of(checkout)}"
                         for name, checkout in versions.items())
    return (f"# Wide tables: CPU seconds by width ({n_rows} rows)\n\n"
            f"{__doc__.split(chr(10) + chr(10))[1]}\n\nMeasured: {measured}.\n\n"
            + "\n".join(lines) + "\n")


def commit_of(checkout):
    """The short commit a checkout is at, or "?" outside git."""
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default="numbers,survey")
    parser.add_argument("--widths", default="500,2000,10000")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout to run side by side")
    parser.add_argument("--result", default="wide_tables",
                        help="name of the result file in benchmarks/results")
    args = parser.parse_args(argv)
    widths = [int(width) for width in args.widths.split(",")]
    versions = {"this": CHECKOUT}
    if args.before is not None:
        versions = {"before": args.before.resolve(), "this": CHECKOUT}
    kinds = args.tables.split(",")
    times = measure(kinds, widths, args.rows, args.repeats, versions)
    text = report(times, kinds, widths, args.rows, versions)
    (RESULTS / f"{args.result}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
