"""Would temperature scaling of the table ensemble lower its log loss? A probe.

The default table model (``make_tabular_pipeline``, a cross-fitted ensemble)
is fitted on the same 80/20 splits as ``bench_tabular.py --ensemble`` on the
classification tables under 10,000 rows. One temperature ``T`` is then fitted
to the ensemble's out-of-fold probabilities ``P`` (every training row
predicted by the members that did not train on it): the probabilities
``P ** (1 / T)``, renormalised, that have the least out-of-fold log loss
(``T`` searched on a log scale between 1/8 and 8). The test split's log loss
with and without ``T`` is compared, paired by split. Accuracy does not move:
a temperature keeps each row's most probable class.

One caution the probe measures rather than assumes: an out-of-fold
probability comes from one member per configuration, while a test row is
predicted by the mean of all of them, which is already less confident, so
a ``T`` fitted out of fold may over-soften the test predictions.

Nothing in the package changes; this only tells whether the idea is worth
building. Run (a few CPU minutes, one thread)::

    python benchmarks/probe_temperature.py
"""

import argparse
import statistics
import warnings

import numpy as np

from _harness import limit_threads, machine_summary, markdown_table, write_result
from bench_tabular import DEFAULT_DATA, TABLES, load_table, split_table

CLASSIFICATION = ("Glass", "Sonar", "SwissLabor", "Vehicle", "Ionosphere",
                  "PimaIndiansDiabetes2", "Vowel", "Soybean", "HMDA", "DNA",
                  "ResumeNames", "HealthInsurance", "SmokeBan")


def tempered(P, T):
    """``P ** (1 / T)``, each row renormalised, computed on logs."""
    logits = np.log(np.clip(P, 1e-15, 1.0)) / T
    logits -= logits.max(axis=1, keepdims=True)
    Q = np.exp(logits)
    return Q / Q.sum(axis=1, keepdims=True)


def log_loss_of(P, codes):
    return float(-np.mean(np.log(np.clip(P[np.arange(len(codes)), codes], 1e-15, 1.0))))


def fit_temperature(P, codes):
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(lambda log_t: log_loss_of(tempered(P, np.exp(log_t)), codes),
                            bounds=(-np.log(8), np.log(8)), method="bounded")
    return float(np.exp(found.x))


def one_split(X, y, spec, seed):
    from skmlp_scratch.tabular import final_estimator, make_tabular_pipeline

    X_train, X_test, y_train, y_test = split_table(X, y, spec, seed)
    model = make_tabular_pipeline(task="classification")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train)
        P_test = model.predict_proba(X_test)
    ensemble = final_estimator(model)
    classes = list(ensemble.classes_)
    held = ensemble.folds_ >= 0
    train_codes = np.array([classes.index(v) for v in y_train])[held]
    test_codes = np.array([classes.index(v) for v in y_test])
    T = fit_temperature(ensemble.oof_predictions_[held], train_codes)
    return {"T": T, "plain": log_loss_of(P_test, test_codes),
            "tempered": log_loss_of(tempered(P_test, T), test_codes)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--datasets", default=",".join(CLASSIFICATION))
    parser.add_argument("--name", default="probe_temperature")
    args = parser.parse_args(argv)
    args.small = False
    limit_threads(1)
    results, rows = {}, []
    for name in args.datasets.split(","):
        spec = TABLES[name]
        X, y = load_table(name, args)
        seeds = range(10) if len(X) < 1_000 else range(5)
        runs = [one_split(X, y, spec, seed) for seed in seeds]
        results[name] = runs
        diff = [r["tempered"] - r["plain"] for r in runs]
        se = statistics.stdev(diff) / len(diff) ** 0.5
        verdict = ("level" if abs(np.mean(diff)) <= 2 * se
                   else "lower" if np.mean(diff) < 0 else "higher")
        rows.append([name, f"{len(X):,} ({len(runs)})",
                     f"{statistics.median(r['T'] for r in runs):.2f}",
                     f"{np.mean([r['plain'] for r in runs]):.4f}",
                     f"{np.mean([r['tempered'] for r in runs]):.4f}",
                     f"{np.mean(diff):+.4f} ± {se:.4f} ({verdict})"])
        print(rows[-1], flush=True)
    text = "\n".join([
        "# Probe: temperature scaling of the default table ensemble, fitted out of fold",
        "", f"Machine: {machine_summary(1)}.", "",
        "The default table model on the `bench_tabular.py --ensemble` splits (10 on "
        "tables under 1,000 rows, 5 on the others); one temperature fitted to the "
        "ensemble's out-of-fold probabilities, then applied to the test split's. "
        "Test log loss, mean over the splits; the paired difference (tempered minus "
        "plain) ± its standard error, level within two.", "",
        markdown_table(["table", "rows (splits)", "median T", "log loss, plain",
                        "log loss, tempered", "tempered - plain"], rows),
        "", "Reproduce: `python benchmarks/probe_temperature.py`", ""])
    write_result(args.name, text, {"results": results})


if __name__ == "__main__":
    main()
