"""Which configurations should the default table ensemble hold? A probe.

``bench_tabular.py --ensemble`` compared the configurations of
``skmlp_scratch.tabular.PORTFOLIO`` (``network``, ``bins``, ``deep``). This
probe adds candidates that are not in it, each chosen for a reason given
before any was fitted, and asks which of them, added to the default
``network+bins``, lowers the test loss on tables the choice was not made on:

* ``linear``: no hidden layer, a (multinomial) logistic or linear regression
  trained by the same loop; some tables carry little more than additive,
  linear signal, which a wide network fits with more variance;
* ``gam``: the piecewise-linear encoding of every column, then no hidden
  layer: a generalised additive model, one learned curve per column and no
  interactions (the model family of explainable boosting machines);
* ``dropout``: the default network with dropout 0.3, for tables of many
  correlated columns where the network overfits.

The linear members learn at ``learning_rate_init=0.01`` (a convex loss; at
the networks' 0.001 a tiny table's few hundred steps stop short of the
optimum). Everything else is the default's: the same preprocessing, folds,
early stopping and greedy selection (25 rounds on out-of-fold predictions).

Each configuration is cross-fitted once per split and its out-of-fold and
test predictions are kept (``--cache``), so every portfolio of them is
weighed offline exactly as one ``CrossFit*`` of it would weigh them. The
splits are those of ``bench_tabular.py --ensemble`` (10 on tables under
1,000 rows, 5 on the others); CatBoost's scores on them are read from
``benchmarks/results/tabular_ensemble.json``. Decided on the six tables the
default was chosen on, checked on the others.

Nothing in the package changes; this tells whether a configuration is
worth adding. Run (about half an hour on one thread)::

    python benchmarks/probe_portfolio.py
"""

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from _harness import limit_threads, machine_summary, markdown_table, write_result
from bench_tabular import (DEFAULT_DATA, ENSEMBLE_METRICS, HEADERS, TABLES,
                           ensemble_scores, load_table, oof_and_held, predicted,
                           split_table, timed_fit)

DECIDE = ("Glass", "Sonar", "SwissLabor", "Vehicle", "HousePrices", "Affairs")
CHECK = ("Ionosphere", "TeachingRatings", "PhDPublications", "Medicaid1986",
         "PimaIndiansDiabetes2", "Vowel", "Soybean", "HMDA", "DNA", "CollegeDistance",
         "ResumeNames", "HealthInsurance", "SmokeBan")
BASE = ("network", "bins")
CANDIDATES = ("deep", "linear", "gam", "dropout")
SAVED = Path(__file__).parent / "results" / "tabular_ensemble.json"


def candidate(name, task):
    """An unfitted configuration: PORTFOLIO's own, or one of this probe's."""
    from sklearn.pipeline import make_pipeline

    from skmlp_scratch.tabular import PORTFOLIO, PiecewiseLinearEncoder
    from skmlp_scratch.tabular._pipeline import _network

    if name in PORTFOLIO:
        return PORTFOLIO[name](task)
    linear = dict(hidden_layer_sizes=(), learning_rate_init=0.01)
    return {"linear": lambda: _network(task, **linear),
            "gam": lambda: make_pipeline(PiecewiseLinearEncoder(n_bins=16),
                                         _network(task, **linear)),
            "dropout": lambda: _network(task, dropout=0.3)}[name]()


def fit_configuration(spec, name, X_train, y_train, X_test, seed):
    """One configuration cross-fitted as the default fits it: its out-of-fold
    predictions (on the rows some member held out), test predictions and CPU s."""
    from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor
    from skmlp_scratch.tabular import ENSEMBLE_DEFAULTS, make_tabular_pipeline

    ensemble = (CrossFitClassifier if spec.task == "classification"
                else CrossFitRegressor)
    model = make_tabular_pipeline(
        ensemble([(name, candidate(name, spec.task))],
                 n_folds=ENSEMBLE_DEFAULTS["n_folds"],
                 max_samples=ENSEMBLE_DEFAULTS["max_samples"], random_state=seed),
        task=spec.task)
    timing = timed_fit(model, X_train, y_train)
    oof, held = oof_and_held(model)
    target = None
    if spec.task == "regression":  # the scale the ensemble selects on
        target = model[-1].transformer_.transform(
            np.asarray(y_train, dtype=float).reshape(-1, 1)).ravel()
    return {"oof": oof, "held": held, "test": predicted(model, X_test, spec.task),
            "cpu_s": timing["cpu_s"], "target": target}


def split_fits(name, seed, configs, args):
    """Every configuration on one split, from the cache when it is there."""
    spec = TABLES[name]
    X, y = load_table(name, args)
    X_train, X_test, y_train, y_test = split_table(X, y, spec, seed)
    fits = {}
    for config in configs:
        path = Path(args.cache) / f"{name}_{seed}_{config}.npz"
        if not path.exists():
            print(f"  {name} seed {seed}: {config}", file=sys.stderr, flush=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = fit_configuration(spec, config, X_train, y_train, X_test, seed)
            np.savez(path, **{k: (np.nan if v is None else v) for k, v in fit.items()})
        fits[config] = dict(np.load(path, allow_pickle=False))
    return spec, np.asarray(y_train), np.asarray(y_test), fits


def combined(spec, y_train, y_test, fits, combo):
    """The portfolio ``combo`` weighed by greedy selection: its test scores,
    weights and CPU seconds."""
    from skmlp_scratch.ensemble import select_greedily

    held = fits[combo[0]]["held"].astype(bool)
    if spec.task == "classification":
        classes = np.unique(y_train)
        codes = np.searchsorted(classes, y_train)[held]
        loss = lambda P: -np.mean(np.log(np.maximum(  # noqa: E731
            P[np.arange(len(P)), codes], 1e-15)))
    else:
        classes, target = None, fits[combo[0]]["target"][held]
        loss = lambda P: float(np.mean((P - target) ** 2))  # noqa: E731
    weights = select_greedily([fits[c]["oof"][held] for c in combo], loss, 25)
    prediction = sum(w * fits[c]["test"] for w, c in zip(weights, combo))
    return {**ensemble_scores(spec.task, y_test, prediction, classes),
            "weights": weights.tolist(),
            "cpu_s": float(sum(fits[c]["cpu_s"] for c in combo))}


def portfolios():
    """The default, the default with each candidate, and with each pair of them."""
    return [BASE] + [BASE + (c,) for c in CANDIDATES] + [
        BASE + pair for pair in itertools.combinations(CANDIDATES, 2)]


def label(combo):
    return "+".join(combo)


SIGN = {"accuracy": 1, "log_loss": -1, "r2": 1}


def paired(a, b, metric):
    """Mean of ``a - b`` (better when positive) and its standard error."""
    d = [SIGN[metric] * (x[metric] - y[metric]) for x, y in zip(a, b)]
    return statistics.fmean(d), statistics.stdev(d) / len(d) ** 0.5


def verdict(d, se):
    return "level" if abs(d) <= 2 * se else ("ahead" if d > 0 else "behind")


def summary(results, tables):
    """Per portfolio: mean rank among the portfolios over the tables' scores,
    and ahead / level / behind the default, paired by split."""
    combos = [label(c) for c in portfolios()]
    ranks, verdicts = {c: [] for c in combos}, {c: [] for c in combos}
    for name in tables:
        if name not in results:
            continue
        runs = results[name]["runs"]
        for metric in ENSEMBLE_METRICS[results[name]["task"]]:
            means = {c: statistics.fmean(r[c][metric] for r in runs) for c in combos}
            order = sorted(combos, key=lambda c: -SIGN[metric] * means[c])
            for c in combos:
                ranks[c].append(order.index(c) + 1)
                if c != label(BASE):
                    verdicts[c].append(verdict(*paired([r[c] for r in runs],
                                                       [r[label(BASE)] for r in runs],
                                                       metric)))
    return {c: (statistics.fmean(ranks[c]) if ranks[c] else float("nan"),
                [verdicts[c].count(v) for v in ("ahead", "level", "behind")])
            for c in combos}


def catboost_rows(results):
    """The default and each candidate portfolio against CatBoost, paired by
    split, and the last row: on how many table-scores each is behind it."""
    saved = json.loads(SAVED.read_text())["results"]
    rows, behind = [], [0] * len(portfolios())
    for name, result in results.items():
        peer = {r["seed"]: r for r in saved[name]["rows"]["CatBoost"]}
        runs = result["runs"]
        for metric in ENSEMBLE_METRICS[result["task"]]:
            cells = [name, HEADERS[metric]]
            for i, combo in enumerate(portfolios()):
                ours = [r[label(combo)] for r in runs]
                d, se = paired(ours, [peer[r["seed"]] for r in runs], metric)
                cells.append(f"{d:+.4f} ± {se:.4f} ({verdict(d, se)})")
                behind[i] += verdict(d, se) == "behind"
            rows.append(cells)
    return rows + [["behind CatBoost on", "", *map(str, behind)]]


def finding(decide, check):
    """The portfolio chosen on the decided-on tables, and how it fared on the others."""
    chosen = min(decide, key=lambda c: decide[c][0])
    best_checked = min(check, key=lambda c: check[c][0])
    return (f"Chosen on the tables decided on (best mean rank): `{chosen}`, "
            f"{decide[chosen][0]:.2f}; on the checked tables it ranks "
            f"{check[chosen][0]:.2f}, and the best there is `{best_checked}` "
            f"({check[best_checked][0]:.2f}, against `{label(BASE)}` "
            "{} / {} / {}).".format(*check[best_checked][1]))


def described():
    """The docstring's account of the candidates, as Markdown."""
    intro, items, rates = __doc__.split("\n\n")[1:4]
    items = ["- " + " ".join(line.strip() for line in item.splitlines())
             for item in items.removeprefix("* ").split("\n* ")]
    return [intro.replace("\n", " "), "", *items, "", rates.replace("\n", " ")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--datasets", default=",".join(DECIDE + CHECK))
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir())
                                               / "probe_portfolio"))
    parser.add_argument("--name", default="probe_portfolio")
    args = parser.parse_args(argv)
    args.small = False
    limit_threads(1)
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    configs = BASE + CANDIDATES
    results = {}
    for name in args.datasets.split(","):
        X, _ = load_table(name, args)
        seeds = range(10) if len(X) < 1_000 else range(5)
        runs = []
        for seed in seeds:
            spec, y_train, y_test, fits = split_fits(name, seed, configs, args)
            runs.append({"seed": seed, **{label(c): combined(spec, y_train, y_test,
                                                             fits, c)
                                          for c in portfolios()}})
        results[name] = {"task": TABLES[name].task, "n_rows": len(X), "runs": runs}
        print(name, {c: round(v[0], 2) for c, v in
                     summary(results, [name]).items()}, flush=True)
    decide, check = summary(results, DECIDE), summary(results, CHECK)
    rank_rows = [[label(c), f"{decide[label(c)][0]:.2f}",
                  "{} / {} / {}".format(*decide[label(c)][1]),
                  f"{check[label(c)][0]:.2f}", "{} / {} / {}".format(*check[label(c)][1]),
                  f"{statistics.fmean(r[label(c)]['cpu_s'] for t in results.values() for r in t['runs']):.1f}"]
                 for c in portfolios()]
    text = "\n".join([
        "# Probe: candidate configurations for the default table ensemble",
        "", f"Machine: {machine_summary(1)}.", "",
        *described(), "",
        "Splits of `bench_tabular.py --ensemble`: 10 on tables under 1,000 rows, "
        "5 on the others. Decided on " + ", ".join(DECIDE) + "; checked on "
        + ", ".join(n for n in CHECK if n in results) + ".", "",
        "## Mean rank and paired verdicts against the default", "",
        "Mean rank among the portfolios over the tables and their scores (1 = best); "
        "ahead / level / behind `network+bins` by the paired difference over the "
        "splits and two standard errors; mean fit CPU seconds over every split.", "",
        markdown_table(["portfolio", "rank, decided on", "vs default, decided on",
                        "rank, checked on", "vs default, checked on", "CPU s"],
                       rank_rows),
        "", finding(decide, check), "", "## Against CatBoost", "",
        "Ours minus CatBoost (better when positive: accuracy, R^2, and log loss "
        "with its sign turned), paired by split, ± its standard error.", "",
        markdown_table(["table", "score", *map(label, portfolios())],
                       catboost_rows(results)),
        "", "Reproduce: `python benchmarks/probe_portfolio.py`", ""])
    write_result(args.name, text, {"results": results})


if __name__ == "__main__":
    main()
