"""Start-up cost of the command line: ``--help``, argument errors, ``predict --help``.

A user waits for the command line's imports before it prints anything, even
for ``--help`` or a mistyped option. Each command below runs many times as a
fresh process, the commands taking turns (the order reversed every other
round, so a busier stretch of the machine falls on all of them); the table
gives the CPU seconds (user + system, read from ``getrusage`` of the
children, so time the process spent waiting for a busy core does not count)
and the wall seconds of each, fastest and median, and the ratio of each
command's median CPU to that of ``python -c "import sklearn.base"``, the
reference the target is set against (``--help`` at most 0.5 of it).

A second table lists, from ``python -X importtime``, the heaviest modules
that ``skmlp-scratch --help`` imports, and whether scikit-learn, pandas,
matplotlib and onnx are among them for each command.

``--compare DIR`` adds rows for another checkout's package (its folder
holding ``skmlp_scratch/``, put first on ``PYTHONPATH``), such as the
previous release, to show the change side by side in the same run.

Run (about a minute)::

    python benchmarks/bench_startup.py
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import machine_summary, markdown_table, write_result

PYTHON = sys.executable
# the installed script where there is one, else the same entry point through -m
SCRIPT = Path(PYTHON).with_name("skmlp-scratch")
CLI = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "skmlp_scratch"]

# label -> argv; the command line's rows exit with 0 (help) or 2 (usage error)
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -c 'import sklearn.base'": [PYTHON, "-c", "import sklearn.base"],
    "skmlp-scratch --help": [*CLI, "--help"],
    "skmlp-scratch --version": [*CLI, "--version"],
    "skmlp-scratch trian (unknown command)": [*CLI, "trian"],
    "skmlp-scratch train --no-such-option": [*CLI, "train", "--no-such-option"],
    "skmlp-scratch predict --help": [*CLI, "predict", "--help"],
}
REFERENCE = "python -c 'import sklearn.base'"
WATCHED = ("sklearn", "pandas", "matplotlib", "onnx", "onnxruntime", "skl2onnx")


def run_once(argv, env):
    """CPU and wall seconds of one run of ``argv`` as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def environments(compare):
    """label suffix -> environment: this checkout, and ``compare`` if given."""
    envs = {"": dict(os.environ)}
    if compare:
        path = str(Path(compare).resolve())
        envs[f" [{Path(compare).name}]"] = dict(
            os.environ, PYTHONPATH=os.pathsep.join(
                [path, *filter(None, [os.environ.get("PYTHONPATH")])]))
    return envs


def time_commands(repeats, compare):
    """``{label: {"cpu": [...], "wall": [...]}}`` over interleaved rounds."""
    cases = []
    for suffix, env in environments(compare).items():
        for label, argv in COMMANDS.items():
            own = label.startswith("skmlp-scratch")
            if own or not suffix:  # the reference rows do not depend on the checkout
                cases.append((label + suffix, argv, env))
    times = {label: {"cpu": [], "wall": []} for label, _, _ in cases}
    for _, argv, env in cases:  # warm the file cache once, untimed
        run_once(argv, env)
    for round_ in range(repeats):
        for label, argv, env in cases if round_ % 2 == 0 else cases[::-1]:
            cpu, wall = run_once(argv, env)
            times[label]["cpu"].append(cpu)
            times[label]["wall"].append(wall)
    return times


def imports_of(argv, env):
    """``(module, cumulative µs, depth)`` of each import of ``argv`` (-X importtime)."""
    env = dict(env, PYTHONPROFILEIMPORTTIME="1")  # -X importtime, for scripts too
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    rows = re.findall(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", done.stderr)
    return [(name, int(cumulative), len(indent)) for cumulative, indent, name in rows]


def import_report(compare):
    """The heaviest top-level imports of ``--help``, and the watched packages."""
    env = environments(None)[""]
    modules = imports_of(COMMANDS["skmlp-scratch --help"], env)
    top = sorted(((n, us) for n, us, depth in modules if depth == 1),
                 key=lambda row: -row[1])[:8]
    watched = {}
    for suffix, env in environments(compare).items():
        for label, argv in COMMANDS.items():
            if label.startswith("skmlp-scratch"):
                names = {n for n, _, _ in imports_of(argv, env)}
                watched[label + suffix] = [w for w in WATCHED if w in names]
    return top, watched


def summarise(times, top, watched, args):
    reference = statistics.median(times[REFERENCE]["cpu"])
    rows, stats = [], {}
    for label, t in times.items():
        s = {"cpu_fastest": min(t["cpu"]), "cpu_median": statistics.median(t["cpu"]),
             "wall_fastest": min(t["wall"]),
             "wall_median": statistics.median(t["wall"])}
        s["cpu_median_over_reference"] = s["cpu_median"] / reference
        stats[label] = s
        rows.append([f"`{label}`", f"{s['cpu_fastest']:.3f}", f"{s['cpu_median']:.3f}",
                     f"{s['wall_fastest']:.3f}", f"{s['wall_median']:.3f}",
                     f"{s['cpu_median_over_reference']:.2f}",
                     (", ".join(watched[label]) or "none") if label in watched
                     else "-"])
    header = ["command", "CPU s, fastest", "CPU s, median", "wall s, fastest",
              "wall s, median", "median CPU / import sklearn.base",
              "of sklearn, pandas, matplotlib, onnx: imported"]
    help_ratio = stats["skmlp-scratch --help"]["cpu_median_over_reference"]
    load = os.getloadavg()
    text = "\n".join([
        "# Start-up of the command line",
        "",
        f"Machine: {machine_summary(1)}.",
        f"Load average (1, 5, 15 min) when the run ended: "
        f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores.",
        f"{args.repeats} interleaved rounds of fresh processes per command; CPU is "
        "user + system seconds of the process.",
        "",
        markdown_table(header, rows),
        "",
        f"`skmlp-scratch --help` costs {help_ratio:.2f} of the CPU of "
        f"`import sklearn.base` (target: at most 0.5).",
        "",
        "Heaviest top-level imports of `skmlp-scratch --help` "
        "(`python -X importtime`, cumulative):",
        "",
        markdown_table(["module", "ms"], [[f"`{n}`", f"{us / 1000:.1f}"]
                                          for n, us in top]),
        "",
        "Reproduce: `python benchmarks/bench_startup.py"
        + (" --compare DIR`, DIR holding the `skmlp_scratch/` folder of the "
           f"checkout labelled [{Path(args.compare).name}]" if args.compare else "`"),
        "",
    ])
    # the folder's name only: a result file names no path of this machine
    settings = dict(vars(args), compare=args.compare and Path(args.compare).name)
    data = {"settings": settings, "command_line": [Path(a).name for a in CLI],
            "load_average": load, "commands": stats, "imports_of_help": top,
            "watched_imports": watched, "times": times}
    write_result(args.name, text, data)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15,
                        help="rounds of every command (default: 15)")
    parser.add_argument("--compare", default=None, metavar="DIR",
                        help="also time the package of this checkout (a folder "
                             "holding skmlp_scratch/)")
    parser.add_argument("--name", default="startup",
                        help="result file name under benchmarks/results/")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    times = time_commands(args.repeats, args.compare)
    top, watched = import_report(args.compare)
    summarise(times, top, watched, args)


if __name__ == "__main__":
    sys.exit(main())
