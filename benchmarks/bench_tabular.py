"""Real tables: our table models against gradient boosting, sklearn's MLP, RealMLP, TabM.

The tables are the CSV files of ``--data`` (default ``../shared/datasets/tabular``
of the checkout; see its README.md), read with ``read_table`` as the command
line reads them: six binary, four multiclass (up to 19 classes, some of a
handful of rows) and three regressions (``CPS1988`` and ``HousePrices`` with
skewed targets, ``Affairs`` a count with 75 % zeros). ``TABLES`` lists each
one's target and task.

Per seed (``--seeds``, default 0,1,2) each table gets one 80/20 split
(stratified for classification, ``random_state=seed``), shared by every
model. The models, all fitted with ``random_state=seed``:

* **ours**: ``make_tabular_pipeline(task=...)`` with its own network, the
  pipeline ``skmlp-scratch train --dataset csv:FILE --target T`` fits
  (``TABLE_DEFAULTS`` of :mod:`skmlp_scratch.tabular`); on the two skewed
  targets also with ``log_target=True`` (``--log-target``), which predicts
  ``exp`` of the mean log: the median, not the mean, of the fitted
  log-normal-like distribution;
* **sklearn MLP**: ``MLPClassifier`` / ``MLPRegressor`` in the same pipeline
  with the table defaults' architecture, batch size and epochs (the
  parameters of ``TABLE_DEFAULTS`` it has) and early stopping on a held-out
  10 % (patience 10, tol 1e-4);
* **HistGradientBoosting**: ``HistGradientBoostingClassifier`` / ``Regressor``
  with its defaults on the raw table, text columns as pandas ``category``
  and ``categorical_features="from_dtype"``;
* **RealMLP-TD** (Holzmüller et al., NeurIPS 2024) from ``pytabkit`` when it
  is importable (a benchmark-only peer: install it in the benchmark's own
  environment, never the package's): ``RealMLP_TD_Classifier`` /
  ``RealMLP_TD_Regressor`` with its defaults, ``device="cpu"`` and
  ``--threads`` threads, on the table with text columns as ``category``;
  pytabkit refuses missing numbers, so numeric gaps are filled with the
  column's training median and flagged by an indicator column first, as our
  preprocessor does. Without pytabkit the row is marked "not installed". Its
  256 epochs take 10 to 20 minutes a fit on the two large tables on two
  shared cores, so by default it runs on tables of at most 20,000 rows
  (``--realmlp-max-rows``, 0 for every table).

With ``--extras`` each table also gets ours with each numeric scaler
(``robust``, ``standard``, ``quantile``) and regularisers on top of the best
of them (``label_smoothing=0.1``, ``input_dropout=0.1``, ``input_noise=0.1``),
and ``--datasets`` may name ``fashion-mnist`` (5,000 training images of
``--images``, ours with regularisers against ``MLPClassifier``).

Scores: accuracy, balanced accuracy and log loss for classification; R^2
and mean absolute error on the raw scale of the target for regression.
Primary scores, which rank the models: log loss and R^2. Fit time: the CPU
seconds of the fitting process (``time.process_time``, all its threads) and
the wall seconds of ``fit`` of the whole pipeline, preprocessing included.
Each table runs in its own fresh worker process; warnings raised in fit or
scoring are counted per row, not printed. Reported: mean ± standard
deviation over the seeds, per table and as the mean rank of each model over
the tables; the result goes to ``benchmarks/results/tabular.md`` and
``.json`` (``--output``), with findings computed from the numbers.

Run (about 15 minutes on two cores; with ``--realmlp-max-rows 0`` about two
hours more), in an environment with the package and pytabkit::

    python benchmarks/bench_tabular.py --data ../shared/datasets/tabular

Smoke test (a few hundred rows per table, 5 epochs, one seed; written to the
temporary directory unless ``--output`` is given)::

    python benchmarks/bench_tabular.py --small

``--ensemble`` compares the cross-fitted ensembles instead (written to
``benchmarks/results/tabular_ensemble``): each configuration of
``skmlp_scratch.tabular.PORTFOLIO`` fitted as a ``CrossFit*`` ensemble of
``--n-folds`` members (and of each of ``--other-folds`` for the first
configuration), every portfolio of them weighted by greedy selection on
their out-of-fold predictions, against ``make_tabular_pipeline(
ensemble=False)`` (one network), HistGradientBoosting, LightGBM and CatBoost
with their defaults (text columns as categories), on the same splits: 10
(``--seeds-small``) on tables under 1,000 rows, ``--seeds`` on the others.
LightGBM and CatBoost are benchmark-only peers: install them in the
benchmark's own environment. Each table's result is kept in ``--cache``, so
a run can be resumed and ``--summarise-only`` rewrites the result; with
``--one-row`` the default table model is fitted once more on each cached
table's first split to time its one-row predictions::

    python benchmarks/bench_tabular.py --ensemble --seeds 0,1,2,3,4 \
        --other-folds 8 --threads 1

Every configuration trains on at most ``ENSEMBLE_DEFAULTS["max_samples"]``
rows a member, as the default does; ``--max-samples`` fits the portfolios
under other row budgets too (``none``: every row), on the same folds, and
``--peers`` runs fewer peers. A table's finished splits are kept as they
come (``<cache>/<table>.partial.json``). The large table as its own run,
written to ``benchmarks/results/tabular_fertility``::

    python benchmarks/bench_tabular.py --ensemble --datasets Fertility \
        --seeds 0,1,2,3,4 --portfolio network,bins --max-samples 50000,20000 \
        --threads 1 --output tabular_fertility

``--pytabkit`` adds the two pytabkit networks to that comparison without
fitting ours again (written to ``benchmarks/results/tabular_pytabkit``):
RealMLP-TD as above and **TabM-D** (Gorishniy et al., ICLR 2025):
``TabM_D_Classifier`` / ``TabM_D_Regressor`` with their defaults (32
weight-sharing members, early stopping with patience 16 on 20 % of the
training rows), ``device="cpu"``, with the same input handling as
RealMLP-TD. They are fitted on the splits of ``--ensemble`` (the same
``split_table``, seeds and rule of 10 splits under 1,000 rows) and paired with
the rows of ours, default and the other peers that the saved ``--ensemble``
result holds (``--reuse``, default ``benchmarks/results/tabular_ensemble.json``).
HistGradientBoosting, deterministic on these tables, is refitted on every
split, and the result states whether its scores equal the saved ones: the
check that the splits are the same. One fit on one thread of the shared
machine costs RealMLP-TD about 3 to 8 CPU seconds and TabM-D 9 to 61 on the
tables under 1,000 rows, and 15 and 87 on HMDA (2,380 rows), so the
committed result leaves out the tables where a fit costs more than a few
CPU minutes (its header says which splits each table ran, and why). A table's
result in ``--cache`` is saved after each split and a rerun fits only the
splits it lacks, so a run can be cut off, resumed or extended to more seeds::

    python benchmarks/bench_tabular.py --pytabkit --seeds 0,1,2 \
        --seeds-small 0,1,2,3,4 --threads 1 --datasets Sonar,Glass,...

``--resume`` extends a committed result without its cache: the per-seed rows
of the saved ``.json`` (both peers and the split check of each seed) go into
``--cache`` first, so only the (table, seed) splits that neither holds are
fitted, and the result is written from all of them::

    python benchmarks/bench_tabular.py --pytabkit --seeds 0,1,2,3,4 \
        --seeds-small 0,1,2,3,4,5,6,7,8,9 --threads 1 --datasets Sonar,... \
        --resume benchmarks/results/tabular_pytabkit.json
"""

import argparse
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _harness import (RESULTS, emit, limit_threads, machine_summary, markdown_table,
                      run_worker, write_result)

CHECKOUT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = CHECKOUT.parent / "shared" / "datasets" / "tabular"
DEFAULT_IMAGES = CHECKOUT.parent / "shared" / "datasets" / "fashion-mnist"
IMAGES = "fashion-mnist"


@dataclass(frozen=True)
class Table:
    file: str
    target: str
    task: str
    # a skewed positive target: ours is also fitted on its log (LOG_TARGET row)
    skewed: bool = False
    # identifier columns, dropped as the data's README says
    drop: tuple = ()


TABLES = {
    "CPS1988": Table("CPS1988.csv", "wage", "regression", skewed=True),
    "HMDA": Table("HMDA.csv", "deny", "classification"),
    "Shuttle": Table("Shuttle.csv", "Class", "classification"),
    "SmokeBan": Table("SmokeBan.csv", "smoker", "classification"),
    "HousePrices": Table("HousePrices.csv", "price", "regression", skewed=True),
    "SwissLabor": Table("SwissLabor.csv", "participation", "classification"),
    "ResumeNames": Table("ResumeNames.csv", "call", "classification"),
    "Affairs": Table("Affairs.csv", "affairs", "regression"),
    "PimaIndiansDiabetes2": Table("PimaIndiansDiabetes2.csv", "diabetes",
                                  "classification"),
    "Vehicle": Table("Vehicle.csv", "Class", "classification"),
    "Soybean": Table("Soybean.csv", "Class", "classification"),
    "Glass": Table("Glass.csv", "Type", "classification"),
    "Sonar": Table("Sonar.csv", "Class", "classification"),
    "CollegeDistance": Table("CollegeDistance.csv", "education", "regression"),
    "HealthInsurance": Table("HealthInsurance.csv", "insurance", "classification"),
    "PhDPublications": Table("PhDPublications.csv", "articles", "regression"),
    "TeachingRatings": Table("TeachingRatings.csv", "eval", "regression",
                             drop=("prof",)),
    "Medicaid1986": Table("Medicaid1986.csv", "visits", "regression"),
    "Fertility": Table("Fertility.csv", "morekids", "classification"),
    "Ionosphere": Table("Ionosphere.csv", "Class", "classification"),
    "Vowel": Table("Vowel.csv", "Class", "classification"),
    "DNA": Table("DNA.csv", "Class", "classification"),
}
OURS = "ours, table defaults"
LOG_TARGET = "ours, log target"
SKLEARN = "sklearn MLP"
HGB = "HistGradientBoosting"
REALMLP = "RealMLP-TD"
TABM = "TabM-D"
PEERS = (HGB, REALMLP, SKLEARN)
SCALERS = ("robust", "standard", "quantile")
TABLE_REGULARISERS = [{"label_smoothing": 0.1}, {"input_dropout": 0.1},
                      {"input_noise": 0.1}]
IMAGE_REGULARISERS = [{}, {"label_smoothing": 0.1}, {"input_dropout": 0.2},
                      {"input_noise": 0.1},
                      {"label_smoothing": 0.1, "input_dropout": 0.2, "input_noise": 0.1}]
# what scikit-learn's MLP takes from the table defaults, when they set it
SHARED = ("hidden_layer_sizes", "activation", "batch_size", "max_iter")
# scikit-learn's MLP stops on this rule, spelled out so it relies on no default
STOPPING = dict(early_stopping=True, n_iter_no_change=10, tol=1e-4,
                validation_fraction=0.1)
METRICS = {"classification": ("accuracy", "balanced_accuracy", "log_loss"),
           "regression": ("r2", "mae")}
# the score that ranks models: higher is better unless listed in LOWER_IS_BETTER
PRIMARY = {"classification": "log_loss", "regression": "r2"}
LOWER_IS_BETTER = {"log_loss", "mae"}
SMALL_ROWS = 600  # per table in --small (classes capped so rare ones survive)
SMALL_IMAGES = (500, 1000)  # training, test images in --small
SMALL_EPOCHS = 5
# RealMLP-TD trains 256 epochs in PyTorch: on two shared cores about 10
# minutes a fit on CPS1988 (28,155 rows) and more on Shuttle (58,000)
REALMLP_MAX_ROWS = 20_000


def default_scaler():
    """The preprocessor's default ``numeric``, read from its signature."""
    from skmlp_scratch.tabular import make_preprocessor

    return inspect.signature(make_preprocessor).parameters["numeric"].default


# ------------------------------------------------------------------ data


def load_table(name, args):
    """``X, y`` of one table; in ``--small`` a seeded subsample of it."""
    from skmlp_scratch.tabular import read_table

    spec = TABLES[name]
    table = read_table(Path(args.data) / spec.file)
    if args.small:
        table = small_subsample(table, spec)
    return table.drop(columns=[spec.target, *spec.drop]), table[spec.target]


def small_subsample(table, spec):
    """About ``SMALL_ROWS`` rows; every class keeps at least 10 (or all it has)."""
    if spec.task == "regression":
        return table.sample(n=min(SMALL_ROWS, len(table)), random_state=0)
    counts = table[spec.target].value_counts()
    per_class = max(10, SMALL_ROWS // len(counts))
    rng = np.random.default_rng(0)
    keep = [rng.choice(rows, size=min(per_class, len(rows)), replace=False)
            for rows in table.groupby(spec.target).indices.values()]
    return table.iloc[np.sort(np.concatenate(keep))]


def split_table(X, y, spec, seed):
    from sklearn.model_selection import train_test_split

    stratify = y if spec.task == "classification" else None
    return train_test_split(X, y, test_size=0.2, stratify=stratify, random_state=seed)


def as_categories(X):
    """The table with every non-numeric column as pandas ``category``."""
    import pandas as pd

    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return X.astype({c: "category" for c in text})


def load_images(args, seed):
    """A stratified subsample of the training images, and the test images."""
    from sklearn.model_selection import train_test_split

    from skmlp_scratch.datasets import load_idx

    X, X_test, y, y_test = load_idx(args.images, dtype=np.float32)
    n_train, n_test = SMALL_IMAGES if args.small else (args.image_rows, len(X_test))
    X, _, y, _ = train_test_split(X, y, train_size=n_train, stratify=y,
                                  random_state=seed)
    return X, X_test[:n_test], y, y_test[:n_test]


# ------------------------------------------------------------------ models


def table_network_defaults():
    from skmlp_scratch.tabular import TABLE_DEFAULTS

    return TABLE_DEFAULTS


def mlp_params(kind, args, seed):
    """The shared hyperparameters: the table defaults' architecture, batch, epochs."""
    defaults = table_network_defaults()
    shared = {k: defaults[k] for k in SHARED if k in defaults}
    params = dict(shared, random_state=seed, **STOPPING)
    if args.small:
        params["max_iter"] = SMALL_EPOCHS
    return params


def make_mlp(kind, task, args, seed, extra=None):
    """Ours or scikit-learn's MLP for ``task`` with the shared hyperparameters."""
    if kind == "ours":
        from skmlp_scratch import MLPScratchClassifier as Classifier
        from skmlp_scratch import MLPScratchRegressor as Regressor
    else:
        from sklearn.neural_network import MLPClassifier as Classifier
        from sklearn.neural_network import MLPRegressor as Regressor
    estimator = Classifier if task == "classification" else Regressor
    return estimator(**mlp_params(kind, args, seed), **(extra or {}))


def mlp_pipeline(kind, spec, scaler, args, seed, extra=None):
    from skmlp_scratch.tabular import make_tabular_pipeline

    return make_tabular_pipeline(make_mlp(kind, spec.task, args, seed, extra),
                                 task=spec.task, numeric=scaler)


def ours_pipeline(spec, args, seed, log_target=False):
    """The pipeline the command line fits: ``make_tabular_pipeline``'s own network."""
    from skmlp_scratch.tabular import final_estimator, make_tabular_pipeline

    model = make_tabular_pipeline(task=spec.task, log_target=log_target)
    final_estimator(model).set_params(
        random_state=seed, **({"max_iter": SMALL_EPOCHS} if args.small else {}))
    return model


def hgb_model(spec, seed, log_target=False, small=False):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import (HistGradientBoostingClassifier,
                                  HistGradientBoostingRegressor)

    # defaults, but for the smoke test's few iterations
    params = dict(categorical_features="from_dtype", random_state=seed,
                  **({"max_iter": 10} if small else {}))
    if spec.task == "classification":
        return HistGradientBoostingClassifier(**params)
    model = HistGradientBoostingRegressor(**params)
    if log_target:
        model = TransformedTargetRegressor(regressor=model, func=np.log,
                                           inverse_func=np.exp)
    return model


def realmlp_installed():
    try:
        import pytabkit  # noqa: F401
    except ImportError:
        return False
    return True


def realmlp_model(spec, seed, args):
    """RealMLP-TD with its defaults, after median imputation of numeric gaps."""
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    estimator = RealMLP_TD_Classifier if spec.task == "classification" else (
        RealMLP_TD_Regressor)
    return pytabkit_pipeline(estimator, seed, args)


def tabm_model(spec, seed, args):
    """TabM-D with its defaults, after the same imputation as RealMLP-TD."""
    from pytabkit import TabM_D_Classifier, TabM_D_Regressor

    estimator = TabM_D_Classifier if spec.task == "classification" else TabM_D_Regressor
    return pytabkit_pipeline(estimator, seed, args)


def pytabkit_pipeline(estimator, seed, args):
    """A pytabkit estimator with its defaults on CPU, numeric gaps filled first.

    pytabkit refuses missing numbers: each numeric column's gaps get its
    training median and an indicator column, as our preprocessor does.
    """
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    params = dict(random_state=seed, n_threads=args.threads, device="cpu", verbosity=0,
                  **({"n_epochs": SMALL_EPOCHS} if args.small else {}))
    # pandas output keeps the category columns' dtype, which pytabkit reads
    impute = ColumnTransformer(
        [("numeric", SimpleImputer(strategy="median", add_indicator=True,
                                   keep_empty_features=True),
          make_column_selector(dtype_include="number"))],
        remainder="passthrough", verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(impute, estimator(**params))


def missing_params(kind_estimator, extra):
    """The names in ``extra`` that the estimator does not have (yet)."""
    return sorted(set(extra) - set(kind_estimator.get_params()))


def describe_extra(extra):
    return " + ".join(f"{k}={v:g}" for k, v in extra.items())


# ------------------------------------------------------------------ scoring


def score(model, X_test, y_test, task):
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, log_loss,
                                 mean_absolute_error, r2_score)

    if task == "regression":
        predicted = model.predict(X_test)
        return {"r2": r2_score(y_test, predicted),
                "mae": mean_absolute_error(y_test, predicted)}
    proba = model.predict_proba(X_test)
    predicted = model.classes_[np.argmax(proba, axis=1)]
    return {"accuracy": accuracy_score(y_test, predicted),
            "balanced_accuracy": balanced_accuracy_score(y_test, predicted),
            "log_loss": log_loss(y_test, proba, labels=model.classes_)}


def iterations(model):
    """Epochs of a network, boosting iterations of HistGradientBoosting."""
    from skmlp_scratch.tabular import final_estimator

    return int(getattr(final_estimator(model), "n_iter_", 0))


def fit_and_score(model, X, y, X_test, y_test, task, retries):
    """Fit a clone of ``model`` and score it; refit when others took the CPU.

    Returns the attempt with the least interference (the fastest clean
    one): fit time, scores, iterations, the warnings raised by category
    name, ``others_cores`` (see :class:`OtherLoad`) and ``attempts``.
    """
    from sklearn.base import clone

    attempts = []
    for _ in range(1 + retries):
        if retries:
            wait_for_quiet()
        attempts.append(fit_once(clone(model), X, y, X_test, y_test, task))
        if attempts[-1]["others_cores"] <= BUSY_CORES:
            break
    kept = min(attempts, key=lambda r: (r["others_cores"] > BUSY_CORES, r["fit_s"]))
    return {**kept, "attempts": len(attempts)}


def fit_once(model, X, y, X_test, y_test, task):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with OtherLoad() as load:
            start, cpu_start = time.perf_counter(), time.process_time()
            model.fit(X, y)
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
        scores = score(model, X_test, y_test, task)
    counts = {}
    for w in caught:
        counts[w.category.__name__] = counts.get(w.category.__name__, 0) + 1
    return {"fit_s": seconds, "cpu_s": cpu_seconds, "iters": iterations(model),
            "warnings": counts,
            "others_cores": load.cores, **{k: float(v) for k, v in scores.items()}}


# ------------------------------------------------------------ interference

# Other processes on the machine (a test run, another benchmark) slow a fit
# several-fold: two BLAS threads on two shared cores wait on each other. A
# fit during which they took more than this many cores on average is re-run.
BUSY_CORES = 0.2
QUIET_WAIT_S = 60  # longest wait for a quiet machine before a fit


def machine_cpu_seconds():
    """CPU time all processes have used, plus time stolen by the hypervisor."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(v) for v in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """Cores that other processes used on average while the block ran.

    The machine's busy time (``/proc/stat``, 10 ms ticks) less this
    process's own CPU time, over the wall time: 0 on an idle machine, about
    1 when another single-threaded job ran throughout. CPU time the
    hypervisor gave to other machines (``steal``) counts as others'.
    """

    def __enter__(self):
        self.start = (time.perf_counter(), machine_cpu_seconds(), time.process_time())
        return self

    def __exit__(self, *exc):
        wall, machine, own = (time.perf_counter() - self.start[0],
                              machine_cpu_seconds() - self.start[1],
                              time.process_time() - self.start[2])
        # less 3 ticks, so /proc/stat's 10 ms resolution does not flag short fits
        slack = 3 / os.sysconf("SC_CLK_TCK")
        self.cores = max(0.0, machine - own - slack) / wall


def wait_for_quiet(sample_s=0.3):
    """Return once others use under ``BUSY_CORES`` cores, or after ``QUIET_WAIT_S``."""
    deadline = time.perf_counter() + QUIET_WAIT_S
    while time.perf_counter() < deadline:
        with OtherLoad() as load:
            time.sleep(sample_s)
        if load.cores <= BUSY_CORES:
            return


# ------------------------------------------------------------------ workers


def table_worker(name, args):
    """All models on one table, every seed: ``{row: [result per seed]}``."""
    spec = TABLES[name]
    X, y = load_table(name, args)
    splits = {seed: split_table(X, y, spec, seed) for seed in args.seeds}
    rows, notes = {}, []

    def run(row, make, natural_input=False):
        for seed, (X_train, X_test, y_train, y_test) in splits.items():
            if natural_input:
                X_train, X_test = as_categories(X_train), as_categories(X_test)
            print(f"  {name} seed {seed}: {row}", file=sys.stderr, flush=True)
            result = fit_and_score(make(seed), X_train, y_train, X_test, y_test,
                                   spec.task, args.retries)
            rows.setdefault(row, []).append({"seed": seed, **result})

    def run_or_reuse(row, make, natural_input=False):
        saved = (reused_rows(args.reuse, name, row, args.seeds)
                 if args.reuse and row in args.reuse_models else None)
        if saved:
            rows[row] = saved
            notes.append(f"{row}: rows reused from `{relative(args.reuse)}` (same "
                         "splits and seeds; its fit times are that run's)")
        else:
            run(row, make, natural_input)
        return saved

    default = default_scaler()
    warm_up(X, y, spec, args, default)
    run(OURS, lambda s: ours_pipeline(spec, args, s))
    if spec.skewed:
        run(LOG_TARGET, lambda s: ours_pipeline(spec, args, s, log_target=True))
    run_or_reuse(SKLEARN, lambda s: mlp_pipeline("sklearn", spec, default, args, s))
    run_or_reuse(HGB, lambda s: hgb_model(spec, s, small=args.small), natural_input=True)
    if (args.reuse and REALMLP in args.reuse_models
            and reused_rows(args.reuse, name, REALMLP, args.seeds)):
        run_or_reuse(REALMLP, None)
    elif args.realmlp_max_rows and len(X) > args.realmlp_max_rows:
        notes.append(f"{REALMLP}: not run, the table has more than "
                     f"--realmlp-max-rows {args.realmlp_max_rows} rows (its 256 epochs "
                     "take 10 to 20 minutes a fit on two shared cores)")
    elif realmlp_installed():
        run(REALMLP, lambda s: realmlp_model(spec, s, args), natural_input=True)
    else:
        notes.append(f"{REALMLP}: not installed (pytabkit cannot be imported)")
    best = None
    if args.extras:
        best = extra_rows(run, rows, spec, args, notes, name)
    return {"task": spec.task, "n_rows": len(X), "n_columns": X.shape[1],
            "default_scaler": default, "best_scaler": best, "rows": rows,
            "notes": notes}


def reused_rows(path, name, row, seeds):
    """``row``'s results on table ``name`` in a saved result, if it has every seed."""
    saved = json.loads(Path(path).read_text())["results"].get(name, {})
    results = saved.get("rows", {}).get(row, [])
    by_seed = {r["seed"]: r for r in results}
    if not set(seeds) <= set(by_seed):
        return None
    return [by_seed[seed] for seed in seeds]


def extra_rows(run, rows, spec, args, notes, name):
    """``--extras``: ours per scaler, then regularisers on the best scaler.

    Returns the best scaler, the one of highest mean R^2 or lowest mean log
    loss on the test rows: fine for comparing defaults, no way to tune.
    """
    for scaler in SCALERS:
        run(f"ours, {scaler}",
            lambda s, sc=scaler: mlp_pipeline("ours", spec, sc, args, s))
    if spec.skewed:
        run(f"{HGB}, log target", lambda s: hgb_model(spec, s, True, args.small),
            natural_input=True)
    best = best_scaler(rows, spec)
    for extra in TABLE_REGULARISERS:
        if "label_smoothing" in extra and spec.task != "classification":
            continue
        missing = missing_params(make_mlp("ours", spec.task, args, 0), extra)
        if missing:
            notes.append(skip_note(name, extra, missing))
            continue
        run(f"ours, {best} + {describe_extra(extra)}",
            lambda s, e=extra: mlp_pipeline("ours", spec, best, args, s, e))
    return best


def warm_up(X, y, spec, args, scaler):
    """Fit each kind of model once, untimed, on a few rows.

    The first fit in a process pays for lazy imports and for starting the
    BLAS, OpenMP and PyTorch thread pools; without this the first row
    measured would carry that cost and the rows after it would not.
    """
    rows = np.random.default_rng(0).permutation(len(X))[:300]
    X, y = X.iloc[rows], y.iloc[rows]
    quick = argparse.Namespace(**dict(vars(args), small=True))
    models = [mlp_pipeline(kind, spec, scaler, quick, 0) for kind in ("ours", "sklearn")]
    models.append(ours_pipeline(spec, quick, 0))
    natural = [hgb_model(spec, 0, small=True)]
    if realmlp_installed():
        natural.append(realmlp_model(spec, 0, quick))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in models:
            model.fit(X, y)
        for model in natural:
            model.fit(as_categories(X), y)


def image_worker(args):
    """Ours with each regulariser set and scikit-learn's MLP on Fashion-MNIST."""
    rows, notes, n = {}, [], None
    for seed in args.seeds:
        X, X_test, y, y_test = load_images(args, seed)
        if seed == args.seeds[0]:
            warm_up_images(X, y, args)
        n = (len(X), len(X_test), X.shape[1])
        for extra in IMAGE_REGULARISERS:
            missing = missing_params(make_mlp("ours", "classification", args, 0), extra)
            if missing:
                if seed == args.seeds[0]:
                    notes.append(skip_note(IMAGES, extra, missing))
                continue
            row = f"ours + {describe_extra(extra)}" if extra else "ours"
            print(f"  {IMAGES} seed {seed}: {row}", file=sys.stderr, flush=True)
            result = fit_and_score(make_mlp("ours", "classification", args, seed, extra),
                                   X, y, X_test, y_test, "classification", args.retries)
            rows.setdefault(row, []).append({"seed": seed, **result})
        print(f"  {IMAGES} seed {seed}: sklearn MLP", file=sys.stderr, flush=True)
        result = fit_and_score(make_mlp("sklearn", "classification", args, seed),
                               X, y, X_test, y_test, "classification", args.retries)
        rows.setdefault("sklearn MLP", []).append({"seed": seed, **result})
    return {"task": "classification", "n_rows": n[0], "n_test": n[1],
            "n_columns": n[2], "rows": rows, "notes": notes}


def warm_up_images(X, y, args):
    """Both networks once, untimed, on a few images (see :func:`warm_up`)."""
    quick = argparse.Namespace(**dict(vars(args), small=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("ours", "sklearn"):
            make_mlp(kind, "classification", quick, 0).fit(X[:300], y[:300])


def skip_note(dataset, extra, missing):
    note = (f"{dataset}: row '{describe_extra(extra)}' skipped: the estimator has no "
            f"parameter {', '.join(missing)} yet")
    print(note, file=sys.stderr, flush=True)
    return note


def best_scaler(rows, spec):
    """The scaler whose ours-row has the best mean primary score."""
    metric = PRIMARY[spec.task]
    sign = -1 if metric in LOWER_IS_BETTER else 1
    return max(SCALERS, key=lambda s: sign * mean(rows[f"ours, {s}"], metric))


def worker(args):
    limit_threads(args.threads)
    if args.pytabkit:
        emit(pytabkit_worker(args.worker, args))
    elif args.ensemble and args.one_row:
        emit(one_row_worker(args.worker, args))
    elif args.ensemble:
        emit(ensemble_worker(args.worker, args))
    else:
        emit(image_worker(args) if args.worker == IMAGES
             else table_worker(args.worker, args))


# ====================================================== --ensemble: the new default
#
# Ours as cross-fitted ensembles against one network, HistGradientBoosting,
# LightGBM and CatBoost, on the same splits. Each configuration of the
# portfolio (skmlp_scratch.tabular.PORTFOLIO) is fitted as its own ensemble
# with the split's seed, so every configuration gets the same folds (the
# folds are the first draw of the seed); ensembles of several configurations
# are then formed from their out-of-fold predictions by greedy selection,
# exactly as one CrossFit* of those configurations does, and their fit time is
# the sum of their configurations'. Results go to one JSON file per table
# under --cache, so an interrupted run keeps what it finished and
# --summarise-only writes the table from what is there.

ONE_NETWORK = "ours, one network"
LIGHTGBM = "LightGBM"
CATBOOST = "CatBoost"
ENSEMBLE_PEERS = (ONE_NETWORK, HGB, LIGHTGBM, CATBOOST)


def combo_name(configs, n_folds):
    return f"ours, {'+'.join(configs)} x{n_folds}"


def combos(portfolio):
    """The portfolios compared: each configuration alone, the network with each
    other one, and all of them."""
    first, *others = portfolio
    found = [(c,) for c in portfolio] + [(first, o) for o in others]
    if len(portfolio) > 2:
        found.append(tuple(portfolio))
    return found


def config_pipeline(spec, name, n_folds, seed, max_samples):
    from skmlp_scratch.tabular import PORTFOLIO, make_tabular_pipeline
    from skmlp_scratch.ensemble import CrossFitClassifier, CrossFitRegressor

    ensemble = CrossFitClassifier if spec.task == "classification" else CrossFitRegressor
    # a row budget leaves the tables under it as they were, and gives every
    # configuration the same rows of each fold (drawn after the folds)
    model = ensemble([(name, PORTFOLIO[name](spec.task))], n_folds=n_folds,
                     max_samples=max_samples, random_state=seed)
    return make_tabular_pipeline(model, task=spec.task)


def capped_name(name, max_samples):
    """A variant's row name: as it is under the default row budget, else with its own."""
    if max_samples == default_max_samples():
        return name
    return f"{name}, max_samples={'none' if max_samples is None else max_samples}"


def one_network(spec, seed, small):
    from skmlp_scratch.tabular import final_estimator, make_tabular_pipeline

    model = make_tabular_pipeline(task=spec.task, ensemble=False)
    final_estimator(model).set_params(random_state=seed,
                                      **({"max_iter": SMALL_EPOCHS} if small else {}))
    return model


def lightgbm_model(spec, seed, args):
    import lightgbm

    estimator = (lightgbm.LGBMClassifier if spec.task == "classification"
                 else lightgbm.LGBMRegressor)
    return estimator(random_state=seed, n_jobs=args.threads, verbose=-1,
                     **({"n_estimators": 10} if args.small else {}))


class CatBoostOnTable:
    """CatBoost with its defaults, text columns named as categorical features.

    CatBoost takes categories as text without gaps, so a missing category
    becomes the text "missing"; numeric gaps it handles itself.
    """

    def __init__(self, task, seed, threads, small):
        import catboost

        estimator = (catboost.CatBoostClassifier if task == "classification"
                     else catboost.CatBoostRegressor)
        self.model = estimator(random_seed=seed, thread_count=threads, verbose=0,
                               allow_writing_files=False,
                               **({"iterations": 10} if small else {}))

    @staticmethod
    def _text(X):
        import pandas as pd

        text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        return X.astype({c: str for c in text}).replace({c: {"nan": "missing"}
                                                        for c in text}), text

    def fit(self, X, y):
        X, text = self._text(X)
        self.model.fit(X, y, cat_features=text)
        self.classes_ = getattr(self.model, "classes_", None)
        return self

    def predict(self, X):
        predicted = self.model.predict(self._text(X)[0])
        return np.ravel(predicted)

    def predict_proba(self, X):
        return self.model.predict_proba(self._text(X)[0])


def ensemble_scores(task, y_test, prediction, classes=None):
    from sklearn.metrics import accuracy_score, log_loss, r2_score

    if task == "regression":
        return {"r2": float(r2_score(y_test, prediction))}
    return {"accuracy": float(accuracy_score(y_test, classes[prediction.argmax(axis=1)])),
            "log_loss": float(log_loss(y_test, prediction, labels=classes))}


def timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(X, y)
        return {"fit_s": time.perf_counter() - start,
                "cpu_s": time.process_time() - cpu_start}


ONE_ROW_REPEATS = 25  # --one-row: timed one-row predictions of the default


def one_row_times(model, X, task, repeats=5):
    """Milliseconds of each of ``repeats`` predictions of ``X``'s first row."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predicted(model, X.iloc[:1], task)
        times.append(1000 * (time.perf_counter() - start))
    return times


def one_row_ms(model, X, task):
    """Median milliseconds of five predictions of one row."""
    return statistics.median(one_row_times(model, X, task))


def one_row_worker(name, args):
    """The default table model fitted on the first split of ``name``, and the
    median milliseconds of a one-row prediction (--one-row).

    A first prediction is left out of the timing: it builds the pipeline's
    row plan, which every later call of the fitted model reuses.
    """
    from skmlp_scratch.tabular import final_estimator, make_tabular_pipeline

    spec = TABLES[name]
    X, y = load_table(name, args)
    seed = (args.seeds_small if len(X) < 1000 else args.seeds)[0]
    X_train, X_test, y_train, _ = split_table(X, y, spec, seed)
    model = make_tabular_pipeline(task=spec.task)
    final_estimator(model).set_params(random_state=seed)
    timed_fit(model, X_train, y_train)
    predicted(model, X_test.iloc[:1], spec.task)
    times = one_row_times(model, X_test, spec.task, ONE_ROW_REPEATS)
    return {"seed": seed, "ms": statistics.median(times), "fastest_ms": min(times)}


def predicted(model, X, task):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.predict(X) if task == "regression" else model.predict_proba(X)


def oof_and_held(model):
    """A fitted configuration's out-of-fold predictions, and the rows held out.

    For regression they are on the scale the ensemble fits: the standardised
    target of the pipeline's ``TransformedTargetRegressor``.
    """
    from skmlp_scratch.tabular import final_estimator

    ensemble = final_estimator(model)
    return ensemble.oof_predictions_, ensemble.folds_ >= 0


def ensemble_worker(name, args):
    """Every model of the --ensemble comparison on one table, every seed.

    With ``--partial FILE`` each finished seed is saved there and a seed found
    there is not run again, so a long table resumes where it stopped.
    """
    spec = TABLES[name]
    X, y = load_table(name, args)
    partial = Path(args.partial) if args.partial else None
    saved = (json.loads(partial.read_text()) if partial and partial.exists()
             else {"rows": {}, "weights": {}, "seeds": []})
    rows, weights = saved["rows"], saved["weights"]
    for seed in args.seeds_small if len(X) < 1000 else args.seeds:
        if seed in saved["seeds"]:
            continue
        ensemble_seed(spec, name, X, y, seed, args, rows, weights)
        saved["seeds"].append(seed)
        if partial:
            partial.write_text(json.dumps(saved))
    return {"task": spec.task, "n_rows": len(X), "n_columns": X.shape[1],
            "rows": rows, "weights": weights}


def ensemble_seed(spec, name, X, y, seed, args, rows, weights):
    """One split of the --ensemble comparison: its results added to ``rows``."""
    from skmlp_scratch.tabular import PORTFOLIO

    portfolio = args.portfolio or list(PORTFOLIO)
    X_train, X_test, y_train, y_test = split_table(X, y, spec, seed)
    y_train = np.asarray(y_train)
    classes = np.unique(y_train) if spec.task == "classification" else None
    for cap in args.max_samples:
        fits = {}
        for config in portfolio:
            for n_folds in ([args.n_folds] + [k for k in args.other_folds
                                              if config == portfolio[0]
                                              and cap == args.max_samples[0]]):
                row = capped_name(combo_name((config,), n_folds), cap)
                print(f"  {name} seed {seed}: {row}", file=sys.stderr, flush=True)
                model = config_pipeline(spec, config, n_folds, seed, cap)
                timing = timed_fit(model, X_train, y_train)
                fits[config, n_folds] = (model, timing, predicted(model, X_test,
                                                                  spec.task))
                if n_folds != args.n_folds:
                    rows.setdefault(row, []).append(
                        {"seed": seed, **timing,
                         **ensemble_scores(spec.task, y_test,
                                           fits[config, n_folds][2], classes)})
        add_selections(spec, fits, portfolio, y_train, y_test, classes, seed, cap,
                       args, rows, weights)
        rows[capped_name(combo_name(combos(portfolio)[0], args.n_folds), cap)][-1][
            "predict_ms"] = one_row_ms(fits[portfolio[0], args.n_folds][0], X_test,
                                       spec.task)
    for peer in map(PEER_KEYS.get, args.peers):
        make, natural = PEER_MODELS[peer]
        model = make(spec, seed, args)
        print(f"  {name} seed {seed}: {peer}", file=sys.stderr, flush=True)
        X_fit, X_score = ((as_categories(X_train), as_categories(X_test)) if natural
                          else (X_train, X_test))
        timing = timed_fit(model, X_fit, y_train)
        rows.setdefault(peer, []).append(
            {"seed": seed, **timing, "predict_ms": one_row_ms(model, X_score, spec.task),
             **ensemble_scores(spec.task, y_test,
                               predicted(model, X_score, spec.task),
                               classes if classes is None else model.classes_)})


def add_selections(spec, fits, portfolio, y_train, y_test, classes, seed, cap, args,
                   rows, weights):
    """Each portfolio of the fitted configurations, weighted by greedy selection
    on their out-of-fold predictions as one ``CrossFit*`` of them would be."""
    from skmlp_scratch.ensemble import select_greedily

    target = (np.searchsorted(classes, y_train) if classes is not None else None)
    for combo in combos(portfolio):
        members = [fits[c, args.n_folds] for c in combo]
        oof = [oof_and_held(m)[0] for m, _, _ in members]
        held = oof_and_held(members[0][0])[1]
        if spec.task == "classification":
            loss = lambda P: -np.mean(np.log(np.maximum(  # noqa: E731
                P[np.arange(len(P)), target[held]], 1e-15)))
        else:
            scaled = members[0][0][-1].transformer_.transform(
                y_train.reshape(-1, 1)).ravel()
            loss = lambda P: float(np.mean((P - scaled[held]) ** 2))  # noqa: E731
        w = select_greedily([P[held] for P in oof], loss, 25)
        prediction = sum(wi * p for wi, (_, _, p) in zip(w, members))
        row = capped_name(combo_name(combo, args.n_folds), cap)
        weights.setdefault(row, []).append(w.tolist())
        rows.setdefault(row, []).append(
            {"seed": seed, "cpu_s": sum(t["cpu_s"] for _, t, _ in members),
             "fit_s": sum(t["fit_s"] for _, t, _ in members),
             **ensemble_scores(spec.task, y_test, prediction, classes)})


# each peer: factory(spec, seed, args) of the unfitted model, and whether it
# takes the text columns as pandas categories
PEER_MODELS = {
    ONE_NETWORK: (lambda spec, seed, args: one_network(spec, seed, args.small), False),
    HGB: (lambda spec, seed, args: hgb_model(spec, seed, small=args.small), True),
    LIGHTGBM: (lightgbm_model, True),
    CATBOOST: (lambda spec, seed, args: CatBoostOnTable(spec.task, seed, args.threads,
                                                         args.small), False),
}
# the peers as --peers names them
PEER_KEYS = dict(zip(("network", "hgb", "lightgbm", "catboost"), ENSEMBLE_PEERS))


ENSEMBLE_METRICS = {"classification": ("accuracy", "log_loss"), "regression": ("r2",)}


def paired_se(a, b, metric):
    """Mean of ``a - b`` over the shared seeds and its standard error."""
    by_seed = {r["seed"]: r[metric] for r in b}
    diffs = [r[metric] - by_seed[r["seed"]] for r in a if r["seed"] in by_seed]
    se = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("nan")
    return statistics.fmean(diffs), se, len(diffs)


def level_verdict(d, se, metric):
    """Level when the paired difference is within two standard errors of 0;
    no verdict from a single split, which has no standard error."""
    if not np.isfinite(se):
        return "one split"
    if abs(d) <= 2 * se:
        return "level"
    return "ahead" if (d < 0) == (metric in LOWER_IS_BETTER) else "behind"


def versus_rows(results, ours, peers, label=str):
    """Ours against each peer, a row per table and score: the means, then the
    paired differences with their verdicts; and the verdicts by (peer, metric)."""
    table_rows, tally = [], {}
    for name, result in results.items():
        rows = result["rows"]
        if ours not in rows:
            continue
        for metric in ENSEMBLE_METRICS[result["task"]]:
            cells = [label(name), f"{result['n_rows']:,} ({len(rows[ours])})",
                     HEADERS[metric], cell(rows[ours], metric)]
            cells += [cell(rows[p], metric) if p in rows else "-" for p in peers]
            for peer in peers:
                if peer not in rows:
                    cells.append("-")
                    continue
                d, se, n = paired_se(rows[ours], rows[peer], metric)
                v = level_verdict(d, se, metric)
                tally.setdefault((peer, metric), []).append(v)
                digits = DIGITS[metric]
                cells.append(f"{d:+.{digits}f} ± {se:.{digits}f} ({v})")
            table_rows.append(cells)
    return table_rows, tally


def tally_lines(tally):
    """The verdicts of :func:`versus_rows` counted, a line per peer and score."""
    return ["Tally over the tables run (ahead / level / behind):", "",
            *(f"- vs {peer}, {HEADERS[metric]}: {v.count('ahead')} / "
              f"{v.count('level')} / {v.count('behind')}"
              for (peer, metric), v in sorted(tally.items()))]


def default_row():
    from skmlp_scratch.tabular import ENSEMBLE_DEFAULTS

    return combo_name(ENSEMBLE_DEFAULTS["portfolio"], ENSEMBLE_DEFAULTS["n_folds"])


def default_max_samples():
    from skmlp_scratch.tabular import ENSEMBLE_DEFAULTS

    return ENSEMBLE_DEFAULTS["max_samples"]


def stays_behind_lines(results, ours):
    """Each table-score where ours, default is behind a peer beyond two
    standard errors, with the best every variant of ours fitted there did."""
    rows = []
    for name, result in results.items():
        for metric in ENSEMBLE_METRICS[result["task"]]:
            for peer in ENSEMBLE_PEERS:
                if peer not in result["rows"] or ours not in result["rows"]:
                    continue
                d, se, _ = paired_se(result["rows"][ours], result["rows"][peer], metric)
                if level_verdict(d, se, metric) != "behind":
                    continue
                tried = {v: paired_se(r, result["rows"][peer], metric)
                         for v, r in result["rows"].items()
                         if v.startswith("ours, ") and v != ours}
                sign = -1 if metric in LOWER_IS_BETTER else 1
                best = max(tried, key=lambda v: sign * tried[v][0])
                digits = DIGITS[metric]
                bd, bse, _ = tried[best]
                rows.append([name, HEADERS[metric], peer,
                             f"{d:+.{digits}f} ± {se:.{digits}f}", str(len(tried)),
                             f"`{best}`: {bd:+.{digits}f} ± {bse:.{digits}f} "
                             f"({level_verdict(bd, bse, metric)})"])
    if not rows:
        return []
    return ["", "## Where ours, default stays behind", "",
            "Each table-score where the default is behind a peer beyond two standard "
            "errors, and the best of the other variants of ours fitted on the same "
            "splits (every portfolio and fold count below, and one network) against "
            "that peer. What else was tried there, and why it stays behind, is in the "
            "user guide (Choosing parameters, The table ensemble), with "
            "`benchmarks/probe_portfolio.py` and `benchmarks/probe_temperature.py`.",
            "", markdown_table(["table", "score", "peer", "ours, default - peer",
                                "variants tried", "best variant - peer"], rows)]


def summarise_ensemble(results, args):
    ours = default_row()
    lines = [
        "# Real tables: the cross-fitted ensemble against one network and gradient "
        "boosting",
        "",
        f"Machine: {machine_summary(args.threads)}.",
        f"Data: `{relative(args.data)}`. One 80/20 split per seed (stratified for "
        "classification), the same for every model: seeds "
        f"{','.join(map(str, args.seeds_small))} on tables under 1,000 rows, "
        f"{','.join(map(str, args.seeds))} on the others. Ours: "
        "`make_tabular_pipeline`'s preprocessing, then cross-fitted ensembles of the "
        "configurations of `skmlp_scratch.tabular.PORTFOLIO` (`network`: "
        "TABLE_DEFAULTS; `bins`: piecewise-linear encoding, then that network; "
        "`deep`: 3 x 256 units, dropout 0.15), each member early-stopped on its own "
        f"fold and trained on at most {default_max_samples():,} rows of the others (a "
        "sample on larger tables: ENSEMBLE_DEFAULTS' max_samples); `a+b xk` is "
        "greedy ensemble selection (25 rounds) over their out-of-fold predictions, "
        "fit time the sum of theirs. **Ours, default** is "
        f"`{ours}` (ENSEMBLE_DEFAULTS). One network: `make_tabular_pipeline("
        "ensemble=False)`. HistGradientBoosting, LightGBM and CatBoost: defaults, "
        "text columns as categories. Fit CPU seconds of the process (all threads, "
        f"--threads {args.threads}); one-row prediction in ms (median of 5). The "
        "splits a table ran are in brackets after its rows.",
        *([""] + [args.note] if args.note else []),
        "",
        "Paired difference: ours, default minus the model, mean over the seeds ± its "
        "standard error (sd / sqrt(n)); **level** when within two standard errors of "
        "0; accuracy and R^2 higher is better, log loss lower.",
        "",
    ]
    header = ["table", "rows (splits)", "score", "ours, default", *ENSEMBLE_PEERS,
              *(f"ours - {p}" for p in ENSEMBLE_PEERS)]
    table_rows, tally = versus_rows(
        results, ours, ENSEMBLE_PEERS,
        label=lambda name: name + (" (chosen on)" if name in DECIDE_TABLES else ""))
    lines += ["## Ours, default, against each peer", "",
              markdown_table(header, table_rows), "", *tally_lines(tally)]
    lines += stays_behind_lines(results, ours)
    lines += ["", "## Every portfolio and fold count, against one network", "",
              "Mean over the seeds; in brackets the paired difference to one network "
              "± its standard error.", ""]
    variants = sorted({row for r in results.values() for row in r["rows"]
                       if row.startswith("ours, ") and row != ONE_NETWORK})
    header = ["table", "score", ONE_NETWORK, *variants]
    variant_rows = []
    for name, result in results.items():
        rows = result["rows"]
        for metric in ENSEMBLE_METRICS[result["task"]]:
            cells = [name, HEADERS[metric], cell(rows[ONE_NETWORK], metric)]
            for v in variants:
                if v not in rows:
                    cells.append("-")
                    continue
                d, se, _ = paired_se(rows[v], rows[ONE_NETWORK], metric)
                digits = DIGITS[metric]
                cells.append(f"{mean(rows[v], metric):.{digits}f} "
                             f"({d:+.{digits}f} ± {se:.{digits}f})")
            variant_rows.append(cells)
    lines += [markdown_table(header, variant_rows), ""]
    lines += ["## Fit and prediction time", "",
              "Mean fit CPU seconds; ours, default over one network and over LightGBM "
              "(ratio of means); one-row prediction in ms, the whole pipeline from a "
              "one-row DataFrame: ours, the default table model (`--one-row`: "
              f"fitted on the table's first split, median of {ONE_ROW_REPEATS} "
              "predictions after one that builds its row plan; - where not run), and "
              "LightGBM (median of 5, the mean over the splits).", ""]
    time_rows = []
    for name, result in results.items():
        rows = result["rows"]
        if ours not in rows:
            continue
        cpu = {m: mean(rows[m], "cpu_s") for m in (ours, *ENSEMBLE_PEERS) if m in rows}
        one_row = result.get("one_row")
        time_rows.append([
            name, *(f"{cpu[m]:.1f}" if m in cpu else "-"
                    for m in (ours, ONE_NETWORK, LIGHTGBM, CATBOOST)),
            *(f"{cpu[ours] / cpu[m]:.1f}" if m in cpu else "-"
              for m in (ONE_NETWORK, LIGHTGBM)),
            f"{one_row['ms']:.2f}" if one_row else "-",
            f"{statistics.fmean(r['predict_ms'] for r in rows[LIGHTGBM]):.2f}"
            if LIGHTGBM in rows else "-"])
    lines += [markdown_table(["table", "ours CPU s", "one network CPU s",
                              "LightGBM CPU s", "CatBoost CPU s", "ours / one network",
                              "ours / LightGBM", "ours 1-row ms",
                              "LightGBM 1-row ms"],
                             time_rows), ""]
    lines += budget_lines(results)
    if any(name in results for name in DECIDE_TABLES):  # not on a table run alone
        lines += choice_lines(results, args)
    lines += ["## Selection weights", "",
              "Mean weight of each configuration over the seeds, as greedy selection "
              "set them on the out-of-fold predictions.", ""]
    for row in (ours, combo_name(tuple(_portfolio()), args.n_folds)):
        names = row.removeprefix("ours, ").rsplit(" ", 1)[0].split("+")
        for name, result in results.items():
            w = result["weights"].get(row)
            if w:
                shares = ", ".join(f"{n} {v:.2f}" for n, v in zip(names,
                                                                   np.mean(w, axis=0)))
                lines.append(f"- {name}, `{row}`: {shares} ({len(w)} seeds)")
    lines += ["", f"Not run: {', '.join(sorted(set(TABLES) - set(results))) or 'none'}.",
              "", "Command: `python benchmarks/bench_tabular.py --ensemble --datasets "
              f"{','.join(results)} --seeds {','.join(map(str, args.seeds))} "
              f"--seeds-small {','.join(map(str, args.seeds_small))} --n-folds "
              f"{args.n_folds} --threads {args.threads}"
              + (f" --portfolio {','.join(args.portfolio)}" if args.portfolio else "")
              + (f" --max-samples {','.join(map(cap_text, args.max_samples))}"
                 if args.max_samples != [default_max_samples()] else "")
              + (f" --peers {','.join(args.peers)}"
                 if args.peers != list(PEER_KEYS) else "")
              + (f" --output {output_name(args.output)}"
                 if Path(args.output) != RESULTS / "tabular_ensemble" else "")
              + "`" + (", then the same with `--one-row`"
                       if any("one_row" in r for r in results.values()) else ""), ""]
    text = "\n".join(lines)
    write_result(args.output, text, {"results": results,
                                     "settings": {"seeds": args.seeds,
                                                  "seeds_small": args.seeds_small,
                                                  "n_folds": args.n_folds,
                                                  "max_samples": args.max_samples,
                                                  "peers": args.peers}})


def output_name(output):
    """``--output`` as a command names it: relative to the results folder."""
    path = RESULTS / output
    return path.relative_to(RESULTS) if path.is_relative_to(RESULTS) else relative(path)


def budget_lines(results):
    """The default against itself under other row budgets, where some were run."""
    ours = default_row()
    table_rows = []
    for name, result in results.items():
        rows = result["rows"]
        for row in sorted(r for r in rows if r.startswith(f"{ours}, max_samples=")):
            cap = row.rsplit("=", 1)[1]
            for metric in ENSEMBLE_METRICS[result["task"]]:
                d, se, n = paired_se(rows[row], rows[ours], metric)
                digits = DIGITS[metric]
                table_rows.append([
                    name, cap, HEADERS[metric], cell(rows[row], metric),
                    cell(rows[ours], metric),
                    f"{d:+.{digits}f} ± {se:.{digits}f} ({level_verdict(d, se, metric)})",
                    f"{mean(rows[row], 'cpu_s'):.0f} / {mean(rows[ours], 'cpu_s'):.0f}"])
    if not table_rows:
        return []
    return ["## Row budget", "",
            f"The default under another row budget (`max_samples`) against the "
            f"default's {default_max_samples():,}, on the same splits and folds: "
            "scores, paired difference (other minus default) and fit CPU seconds.", "",
            markdown_table(["table", "max_samples", "score", "that budget",
                            f"{default_max_samples():,}", "difference",
                            "CPU s (that / default)"], table_rows), ""]


# the tables the default portfolio and fold count were chosen on; the others
# check the choice
DECIDE_TABLES = ("Glass", "Sonar", "SwissLabor", "Vehicle", "HousePrices", "Affairs")


def variant_ranks(results, tables, base):
    """Each ensemble variant's mean rank over ``tables`` and their scores (1 =
    best), its count of table-scores ahead of / behind ``base`` beyond two
    standard errors, and its mean fit CPU seconds. Variants fitted on every
    one of the tables only."""
    found = [results[t] for t in tables]
    variants = set.intersection(*(
        {v for v in r["rows"] if v.startswith("ours, ") and v != ONE_NETWORK}
        for r in found)) if found else set()
    ranks, versus = {}, {}
    for result in found:
        rows = result["rows"]
        for metric in ENSEMBLE_METRICS[result["task"]]:
            sign = -1 if metric in LOWER_IS_BETTER else 1
            value = {v: sign * mean(rows[v], metric) for v in variants}
            for v in variants:
                better = sum(o > value[v] for o in value.values())
                ties = sum(o == value[v] for o in value.values())
                ranks.setdefault(v, []).append(better + (ties + 1) / 2)
                d, se, _ = paired_se(rows[v], rows[base], metric)
                versus.setdefault(v, []).append(level_verdict(d, se, metric))
    cpu = {v: statistics.fmean(mean(r["rows"][v], "cpu_s") for r in found)
           for v in variants}
    return {v: (statistics.fmean(ranks[v]), versus[v].count("ahead"),
                versus[v].count("behind"), len(ranks[v]), cpu[v]) for v in ranks}


def choice_lines(results, args):
    base = combo_name(("network",), args.n_folds)
    full = combo_name(tuple(_portfolio()), args.n_folds)
    decide = [t for t in DECIDE_TABLES if t in results]
    checked = [t for t in results if t not in DECIDE_TABLES
               and full in results[t]["rows"]]
    lines = ["## How the default was chosen", "",
             f"Chosen on {', '.join(decide)}; checked on {', '.join(checked)} (the "
             "tables run with the whole portfolio; the largest fit only some of it). "
             "Each ensemble variant's mean rank among the variants, over the tables "
             f"and their scores (1 = best), on how many table-scores it is ahead of / "
             f"behind `{base}` beyond two standard errors, and its mean fit CPU "
             "seconds over the tables.", ""]
    chosen, check = variant_ranks(results, decide, base), variant_ranks(results,
                                                                        checked, base)
    header = ["variant", "rank, chosen on", "ahead / behind", "CPU s",
              "rank, checked on", "ahead / behind", "CPU s"]
    rows = []
    for v in sorted(chosen, key=lambda v: chosen[v][0]):
        c = check.get(v)
        rows.append([v, f"{chosen[v][0]:.2f}",
                     f"{chosen[v][1]} / {chosen[v][2]} of {chosen[v][3]}",
                     f"{chosen[v][4]:.1f}",
                     f"{c[0]:.2f}" if c else "not run",
                     f"{c[1]} / {c[2]} of {c[3]}" if c else "-",
                     f"{c[4]:.1f}" if c else "-"])
    lines += [markdown_table(header, rows), ""]
    ours = default_row()
    if full != ours:
        verdicts, ratios = [], []
        for result in results.values():
            rows_ = result["rows"]
            if full not in rows_ or ours not in rows_:
                continue
            ratios.append(mean(rows_[full], "cpu_s") / mean(rows_[ours], "cpu_s"))
            for metric in ENSEMBLE_METRICS[result["task"]]:
                d, se, _ = paired_se(rows_[full], rows_[ours], metric)
                verdicts.append(level_verdict(d, se, metric))
    if full != ours and ratios:
        lines += [f"`{full}` against the default `{ours}`, paired on every table "
                  f"run with both: ahead on {verdicts.count('ahead')}, level on "
                  f"{verdicts.count('level')}, behind on {verdicts.count('behind')} "
                  f"table-scores, at {statistics.fmean(ratios):.1f} times its fit CPU "
                  "seconds.", ""]
    return lines


def _portfolio():
    from skmlp_scratch.tabular import PORTFOLIO

    return PORTFOLIO


def run_ensemble(args):
    """--ensemble or --pytabkit: one worker per table not yet in --cache, then
    the result from what the cache holds."""
    if args.pytabkit and not args.summarise_only and not realmlp_installed():
        sys.exit("--pytabkit: pytabkit cannot be imported; install it in the "
                 "benchmark's own environment")
    mode = "--pytabkit" if args.pytabkit else "--ensemble"
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if args.resume:
        resume_cache(cache, Path(args.resume), args.datasets)
    results = {}
    for name in args.datasets:
        path = cache / f"{name}.json"
        if not args.summarise_only and (not path.exists() or args.pytabkit and (
                missing_splits(json.loads(path.read_text()), args))):
            print(f"running {name}", flush=True)
            # --ensemble keeps a table's finished splits in a side file;
            # --pytabkit rewrites the table's own file after each split
            partial = cache / f"{name}.partial.json"
            resume = ["--partial", str(partial)] if mode == "--ensemble" else []
            result = run_worker(__file__, [name, mode, *resume, *ensemble_arguments(args)],
                                args.threads)
            path.write_text(json.dumps(result))
            partial.unlink(missing_ok=True)
        if path.exists() and args.one_row and not args.pytabkit:
            result = json.loads(path.read_text())
            if "one_row" not in result:
                print(f"one row: {name}", flush=True)
                result["one_row"] = run_worker(
                    __file__, [name, mode, "--one-row", *ensemble_arguments(args)],
                    args.threads)
                path.write_text(json.dumps(result))
        if path.exists():
            results[name] = json.loads(path.read_text())
    (summarise_pytabkit if args.pytabkit else summarise_ensemble)(results, args)


def ensemble_arguments(args):
    return ["--data", str(args.data), "--cache", str(args.cache),
            "--seeds", ",".join(map(str, args.seeds)),
            "--seeds-small", ",".join(map(str, args.seeds_small)),
            "--n-folds", str(args.n_folds),
            "--other-folds", ",".join(map(str, args.other_folds)),
            *(["--portfolio", ",".join(args.portfolio)] if args.portfolio else []),
            "--max-samples", ",".join(map(cap_text, args.max_samples)),
            "--peers", ",".join(args.peers),
            "--threads", str(args.threads)] + (["--small"] if args.small else [])


def cap_text(max_samples):
    return "none" if max_samples is None else str(max_samples)


def cap_list(text):
    """``--max-samples``: comma-separated row budgets, ``none`` for no budget."""
    return [None if v.strip().lower() == "none" else int(v) for v in text.split(",")]


# ============================================= --pytabkit: RealMLP-TD and TabM-D
#
# pytabkit's two networks on the splits of --ensemble (split_table with the
# split's seed; --seeds-small on tables under 1,000 rows, --seeds on the
# others), paired with the rows of ours and the other peers that a saved
# --ensemble result holds (--reuse), so ours is not fitted again. The splits
# are the same when the table, the seed and split_table are; to show it,
# HistGradientBoosting (deterministic on these tables) is refitted on every
# split and its scores are compared with the saved ones.

PYTABKIT_PEERS = (REALMLP, TABM)
SPLIT_CHECK = f"{HGB}, refitted"
ENSEMBLE_RESULT = RESULTS / "tabular_ensemble.json"


def pytabkit_worker(name, args):
    """RealMLP-TD, TabM-D and the split check on one table, every seed.

    The table's result in ``--cache`` is rewritten after each split and read
    back first, so a run cut off keeps the splits it finished and a rerun fits
    only the splits missing (also when it asks for more seeds).
    """
    spec = TABLES[name]
    X, y = load_table(name, args)
    path = Path(args.cache) / f"{name}.json"
    result = json.loads(path.read_text()) if path.exists() else {
        "task": spec.task, "n_rows": len(X), "n_columns": X.shape[1],
        "rows": {}, "notes": [], "splits": []}
    todo = missing_splits(result, args)
    if todo:
        warm_up_pytabkit(X, y, spec, args)
    makers = {SPLIT_CHECK: lambda s: hgb_model(spec, s, small=args.small),
              REALMLP: lambda s: realmlp_model(spec, s, args),
              TABM: lambda s: tabm_model(spec, s, args)}
    for seed in todo:
        X_train, X_test, y_train, y_test = split_table(X, y, spec, seed)
        X_train, X_test = as_categories(X_train), as_categories(X_test)
        y_train = np.asarray(y_train)
        for row, make in makers.items():
            print(f"  {name} seed {seed}: {row}", file=sys.stderr, flush=True)
            model = make(seed)
            try:
                timing = timed_fit(model, X_train, y_train)
            except Exception as error:  # a peer that fails is a result to report
                result["notes"].append(f"{row}, seed {seed}: fit failed with "
                                       f"{type(error).__name__}: "
                                       f"{str(error).splitlines()[0]}")
                continue
            classes = None if spec.task == "regression" else model.classes_
            scores = ensemble_scores(spec.task, y_test,
                                     predicted(model, X_test, spec.task), classes)
            result["rows"].setdefault(row, []).append(
                {"seed": seed, **timing, **scores,
                 "predict_ms": one_row_ms(model, X_test, spec.task)})
        result["splits"].append(seed)
        path.write_text(json.dumps(result))
    return result


def resume_cache(cache, saved_path, names):
    """Seed ``--cache`` with the splits a saved ``--pytabkit`` result holds.

    Each table of ``names`` in the saved ``.json`` gets, in its cache file,
    the saved splits that file lacks (every row of that seed: the split check
    and both peers, so the models stay paired on the same splits); splits the
    cache holds already are kept as they are. :func:`pytabkit_worker` then
    fits only the (table, seed) pairs missing from both.
    """
    saved = json.loads(saved_path.read_text())["results"]
    for name in names:
        if name not in saved:
            continue
        path = cache / f"{name}.json"
        old = saved[name]
        new = json.loads(path.read_text()) if path.exists() else dict(
            old, rows={}, notes=[], splits=[])
        added = [seed for seed in old["splits"] if seed not in new["splits"]]
        for row, results in old["rows"].items():
            new["rows"].setdefault(row, []).extend(
                r for r in results if r["seed"] in added)
            new["rows"][row].sort(key=lambda r: r["seed"])
        new["notes"] += [note for note in old["notes"] if note not in new["notes"]]
        new["splits"] = sorted(new["splits"] + added)
        path.write_text(json.dumps(new))


def missing_splits(result, args):
    """The seeds of a table's splits (``--seeds-small`` under 1,000 rows,
    ``--seeds`` above) that its cached ``--pytabkit`` result does not hold."""
    wanted = args.seeds_small if result["n_rows"] < 1000 else args.seeds
    return [seed for seed in wanted if seed not in result.get("splits", [])]


def warm_up_pytabkit(X, y, spec, args):
    """Both pytabkit models once, untimed, on a few rows (see :func:`warm_up`)."""
    rows = np.random.default_rng(0).permutation(len(X))[:300]
    X, y = as_categories(X.iloc[rows]), np.asarray(y.iloc[rows])
    quick = argparse.Namespace(**dict(vars(args), small=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (realmlp_model, tabm_model):
            make(spec, 0, quick).fit(X, y)


def paired_with_saved(results, saved_path):
    """Each table's rows: pytabkit's from ``results``, ours and the other peers
    from the saved --ensemble result, on the seeds both have; and the split
    check, the largest difference between refitted and saved
    HistGradientBoosting scores over those seeds (0 when the splits agree)."""
    reused = (default_row(), *ENSEMBLE_PEERS)
    merged, checks = {}, {}
    for name, result in results.items():
        seeds = [r["seed"] for r in result["rows"].get(SPLIT_CHECK, [])]
        saved = {row: reused_rows(saved_path, name, row, seeds) for row in reused}
        if not seeds or saved[HGB] is None:
            continue
        metrics = ENSEMBLE_METRICS[result["task"]]
        checks[name] = max(abs(a[m] - b[m]) for a, b in zip(result["rows"][SPLIT_CHECK],
                                                           saved[HGB]) for m in metrics)
        merged[name] = dict(result, rows={
            **{row: r for row, r in saved.items() if r is not None},
            **{row: result["rows"][row] for row in PYTABKIT_PEERS
               if row in result["rows"]}})
    return merged, checks


def neural_behind_catboost_lines(merged, ours):
    """Where ours, default is behind CatBoost: how far behind it the two
    published neural defaults are on the same splits."""
    rows = []
    models = (ours, *PYTABKIT_PEERS)
    for name, result in merged.items():
        catboost = result["rows"].get(CATBOOST)
        for metric in ENSEMBLE_METRICS[result["task"]] if catboost else ():
            d, se, _ = paired_se(result["rows"][ours], catboost, metric)
            if level_verdict(d, se, metric) != "behind":
                continue
            cells = [name, HEADERS[metric]]
            for model in models:
                if model not in result["rows"]:
                    cells.append("-")
                    continue
                d, se, n = paired_se(result["rows"][model], catboost, metric)
                digits = DIGITS[metric]
                cells.append(f"{d:+.{digits}f} ± {se:.{digits}f} "
                             f"({level_verdict(d, se, metric)}, {n})")
            rows.append(cells)
    if not rows:
        return []
    return ["", "## Where ours stays behind CatBoost, the neural peers", "",
            "Each table-score where ours, default is behind CatBoost beyond two "
            "standard errors, and each neural model minus CatBoost on the same "
            "splits (paired, ± its standard error; the verdict and the number of "
            "splits in brackets).", "",
            markdown_table(["table", "score", *(f"{m} - CatBoost" for m in models)],
                           rows)]


def summarise_pytabkit(results, args):
    """The --pytabkit result: ours, default against RealMLP-TD and TabM-D."""
    saved_path = Path(args.reuse) if args.reuse else ENSEMBLE_RESULT
    merged, checks = paired_with_saved(results, saved_path)
    ours = default_row()
    lines = [
        "# Real tables: the cross-fitted ensemble against RealMLP-TD and TabM-D",
        "",
        f"Machine: {machine_summary(args.threads)}{realmlp_versions()}.",
        f"Data: `{relative(args.data)}`. The splits of `{relative(saved_path)}` "
        "(`--ensemble`): one 80/20 split per seed (stratified for classification, "
        f"`split_table`), {splits_run(merged, ours)}; every model is paired on the "
        "splits its table ran, and only those. **Ours, default** "
        f"(`{ours}`, ENSEMBLE_DEFAULTS) and its scores and fit times are that "
        "result's rows, not fitted again. RealMLP-TD (Holzmüller et al., 2024) and "
        "TabM-D (Gorishniy et al., 2025): pytabkit's `RealMLP_TD_*` and `TabM_D_*` "
        "with their defaults, `device=\"cpu\"`, text columns as categories, numeric "
        "gaps filled with the training median plus an indicator column; each "
        "holds out 20 % of its training rows for its own early stopping or "
        "best-epoch choice. Fit CPU seconds of the process (all threads, --threads "
        f"{args.threads}); one-row prediction in ms (median of 5).",
        "",
        "Same splits: HistGradientBoosting, refitted on every split here, gives the "
        "saved run's scores "
        + ("exactly on every table (largest difference "
           f"{max(checks.values()):.1e})." if checks and max(checks.values()) < 1e-12
           else "with these largest differences: " + ", ".join(
               f"{t} {d:.1e}" for t, d in checks.items()) + "."),
        *([""] + [args.note] if args.note else []),
        "",
        "Paired difference: ours, default minus the model, mean over the splits ± its "
        "standard error (sd / sqrt(n)); **level** when within two standard errors of "
        "0; accuracy and R^2 higher is better, log loss lower.",
        "",
    ]
    header = ["table", "rows (splits)", "score", "ours, default", *PYTABKIT_PEERS,
              *(f"ours - {p}" for p in PYTABKIT_PEERS)]
    table_rows, tally = versus_rows(merged, ours, PYTABKIT_PEERS)
    lines += ["## Ours, default, against each peer", "",
              markdown_table(header, table_rows), "", *tally_lines(tally)]
    lines += neural_behind_catboost_lines(merged, ours)
    lines += ["", "## Fit and prediction time", "",
              "Mean fit CPU seconds over the splits (ours and LightGBM: the saved "
              "run's, on the same shared machine), ours / peer (ratio of means), and "
              "the peers' one-row prediction in ms.", ""]
    time_rows = []
    for name, result in merged.items():
        rows = result["rows"]
        cpu = {m: mean(rows[m], "cpu_s") for m in (ours, LIGHTGBM, *PYTABKIT_PEERS)
               if m in rows}
        peers = [p for p in PYTABKIT_PEERS if p in rows]
        time_rows.append([
            name, f"{cpu[ours]:.1f}", f"{cpu[LIGHTGBM]:.2f}",
            *(f"{cpu[p]:.1f}" if p in peers else "-" for p in PYTABKIT_PEERS),
            *(f"{cpu[ours] / cpu[p]:.2f}" if p in peers else "-" for p in PYTABKIT_PEERS),
            *(f"{mean(rows[p], 'predict_ms'):.1f}" if p in peers else "-"
              for p in PYTABKIT_PEERS)])
    header = ["table", "ours CPU s", "LightGBM CPU s",
              *(f"{p} CPU s" for p in PYTABKIT_PEERS),
              *(f"ours / {p}" for p in PYTABKIT_PEERS),
              *(f"{p} 1-row ms" for p in PYTABKIT_PEERS)]
    lines += [markdown_table(header, time_rows), ""]
    notes = [f"- {name}: {note}" for name, r in results.items() for note in r["notes"]]
    lines += ["Failed fits:", "", *notes, ""] if notes else []
    lines += [f"Not run: {', '.join(t for t in TABLES if t not in merged) or 'none'}.",
              "", "Command: `python benchmarks/bench_tabular.py --pytabkit --datasets "
              f"{','.join(merged)} --seeds {','.join(map(str, args.seeds))} "
              f"--seeds-small {','.join(map(str, args.seeds_small))} --threads "
              f"{args.threads} --reuse {relative(saved_path)}"
              + (" --note NOTE`, NOTE being the paragraph \"How this result was run\" "
                 "above" if args.note else "`")
              + ("; run in steps, each one extending the last with `--resume "
                 f"{relative(args.resume)}`, which keeps its splits and fits only the "
                 "missing ones" if args.resume else "") + ".", ""]
    write_result(args.output, "\n".join(lines),
                 {"results": results, "split_check": checks,
                  "settings": {"seeds": args.seeds, "seeds_small": args.seeds_small,
                               "threads": args.threads,
                               "reuse": relative(saved_path), "note": args.note,
                               "resume": args.resume and relative(args.resume)}})


def splits_run(merged, ours):
    """Which seeds' splits each table ran, tables that ran the same grouped."""
    groups = {}
    for name, result in merged.items():
        seeds = tuple(r["seed"] for r in result["rows"][ours])
        groups.setdefault(seeds, []).append(name)
    return "; ".join(f"seeds {','.join(map(str, seeds))} on {', '.join(names)}"
                     for seeds, names in groups.items())


# ------------------------------------------------------------------ summary


def mean(results, key):
    return statistics.fmean(r[key] for r in results)


def spread(results, key):
    values = [r[key] for r in results]
    return statistics.stdev(values) if len(values) > 1 else 0.0


DIGITS = {"accuracy": 4, "balanced_accuracy": 4, "log_loss": 4, "r2": 4, "mae": 1,
          "fit_s": 1, "cpu_s": 1}
HEADERS = {"accuracy": "accuracy", "balanced_accuracy": "balanced acc",
           "log_loss": "log loss", "r2": "R^2", "mae": "MAE"}


def cell(results, key):
    digits = DIGITS[key]
    return f"{mean(results, key):.{digits}f} ± {spread(results, key):.{digits}f}"


def warning_cell(results):
    totals = {}
    for r in results:
        for category, count in r["warnings"].items():
            totals[category] = totals.get(category, 0) + count
    return ", ".join(f"{c} x{n}" for c, n in sorted(totals.items())) or "-"


def is_network(row):
    return not row.startswith(HGB)


def reference_row(rows):
    return next(row for row in rows if row.startswith(SKLEARN))


def ours_default_row(name, result):
    return "ours" if name == IMAGES else OURS


def dataset_table(result):
    rows = result["rows"]
    metrics = METRICS[result["task"]]
    sklearn_cpu = mean(rows[reference_row(rows)], "cpu_s")
    header = ["model", *(HEADERS[m] for m in metrics), "fit CPU s", "fit wall s",
              "CPU / sklearn MLP", "epochs (iters)", "warnings"]
    lines = []
    for row, results in rows.items():
        lines.append([row, *(cell(results, m) for m in metrics), cell(results, "cpu_s"),
                      cell(results, "fit_s"),
                      f"{mean(results, 'cpu_s') / sklearn_cpu:.2f}",
                      f"{mean(results, 'iters'):.0f}" if "RealMLP" not in row else "-",
                      warning_cell(results)])
    return markdown_table(header, lines)



def paired(rows, a, b, metric):
    """Mean and standard deviation over the seeds of ``a - b`` (same splits)."""
    diffs = [ra[metric] - rb[metric] for ra, rb in zip(rows[a], rows[b], strict=True)]
    return statistics.fmean(diffs), (statistics.stdev(diffs) if len(diffs) > 1 else 0.0)


def signed_pair(rows, a, b, metric):
    d, sd = paired(rows, a, b, metric)
    digits = DIGITS[metric]
    return f"{d:+.{digits}f} ± {sd:.{digits}f}"


def diff_text(rows, a, b, metric):
    return f"{HEADERS[metric]} {signed_pair(rows, a, b, metric)}"


def verdict(rows, a, b, metric):
    """``a`` against ``b`` on ``metric``: identical, within noise, better or worse.

    Within noise: the mean paired difference is no larger than its standard
    deviation over the seeds.
    """
    d, sd = paired(rows, a, b, metric)
    if abs(d) < 0.5 * 10 ** -DIGITS[metric]:
        return "same"
    if abs(d) <= sd:
        return "within noise"
    return "better" if (d < 0) == (metric in LOWER_IS_BETTER) else "worse"


def time_ratio(rows, a, b, key="cpu_s"):
    """Mean fit time of ``a`` over that of ``b``: CPU seconds unless ``key`` says."""
    return mean(rows[a], key) / mean(rows[b], key)


MAIN = (OURS, *PEERS)


def present(rows):
    return [model for model in MAIN if model in rows]


def mean_ranks(tables, metric_of):
    """Mean rank of each model over the tables, 1 = best, ties sharing their ranks.

    Ranked on the mean over the seeds of ``metric_of(task)``; a table whose
    task gives None is left out. Returns ``{model: (mean rank, tables)}``.
    """
    ranks = {}
    for result in tables.values():
        metric = metric_of(result["task"])
        if metric is None:
            continue
        sign = 1 if metric in LOWER_IS_BETTER else -1
        value = {m: sign * mean(result["rows"][m], metric)
                 for m in present(result["rows"])}
        for model, v in value.items():
            better = sum(other < v for other in value.values())
            ties = sum(other == v for other in value.values())
            ranks.setdefault(model, []).append(better + (ties + 1) / 2)
    return {m: (statistics.fmean(r), len(r)) for m, r in ranks.items()}


def rank_line(tables, metric_of, what):
    ranks = mean_ranks(tables, metric_of)
    if not ranks:
        return None
    n = max(count for _, count in ranks.values())
    order = sorted(ranks, key=lambda m: ranks[m][0])
    return (f"- Mean rank by {what} over {n} tables (1 = best): "
            + ", ".join(f"**{m}** {ranks[m][0]:.2f}" for m in order) + ".")


def best_peer(rows, metric):
    peers = [m for m in PEERS if m in rows]
    return best_first(rows, peers, metric)[0]


def overview_table(tables):
    """One line per table: each model's primary score, and ours against the best peer."""
    header = ["table", "task (target)", "rows", "score", *MAIN,
              "ours - best peer (paired)"]
    lines = []
    for name, result in tables.items():
        rows, task = result["rows"], result["task"]
        target = TABLES[name].target
        for metric in METRICS[task][::-1] if task == "classification" else ("r2",):
            if metric == "balanced_accuracy":
                continue
            peer = best_peer(rows, metric)
            lines.append([
                name, f"{task} (`{target}`)", f"{result['n_rows']:,}", HEADERS[metric],
                *(cell(rows[m], metric) if m in rows else "not run" for m in MAIN),
                f"{signed_pair(rows, OURS, peer, metric)} vs {peer}: "
                f"{verdict(rows, OURS, peer, metric)}"])
    return markdown_table(header, lines)


def peer_table(tables):
    """Ours minus each peer per table, paired over the seeds, with a verdict."""
    header = ["table", "score", *(f"ours - {p}" for p in PEERS)]
    lines = []
    for name, result in tables.items():
        rows, task = result["rows"], result["task"]
        metrics = ("log_loss", "accuracy") if task == "classification" else ("r2", "mae")
        for metric in metrics:
            lines.append([name, HEADERS[metric], *(
                f"{signed_pair(rows, OURS, p, metric)} ({verdict(rows, OURS, p, metric)})"
                if p in rows else "-" for p in PEERS)])
    return markdown_table(header, lines)


def time_table(tables):
    """Fit CPU seconds of ours and its ratio to each peer's, per table."""
    header = ["table", "ours CPU s", "ours wall s", *(f"ours / {p}" for p in PEERS)]
    lines, logs = [], {p: [] for p in PEERS}
    for name, result in tables.items():
        rows = result["rows"]
        ratios = {p: time_ratio(rows, OURS, p) for p in PEERS if p in rows}
        for p, r in ratios.items():
            logs[p].append(np.log(r))
        lines.append([name, cell(rows[OURS], "cpu_s"), cell(rows[OURS], "fit_s"),
                      *(f"{ratios[p]:.2f}" if p in ratios else "-" for p in PEERS)])
    lines.append(["geometric mean", "", "", *(
        f"{np.exp(statistics.fmean(logs[p])):.2f}" if logs[p] else "-" for p in PEERS)])
    return markdown_table(header, lines)


def behind_lines(tables):
    """Where ours is below the best peer beyond the noise, on the primary score."""
    level, behind = [], []
    for name, result in tables.items():
        rows, metric = result["rows"], PRIMARY[result["task"]]
        peer = best_peer(rows, metric)
        if verdict(rows, OURS, peer, metric) == "worse":
            behind.append(f"{name} ({HEADERS[metric]} {signed_pair(rows, OURS, peer, metric)}"
                          f" against {peer})")
        else:
            level.append(name)
    return [f"- By the primary score ours is at or above the best peer within the seed "
            f"noise on {len(level)} of {len(tables)} tables"
            + (f"; behind on {', '.join(behind)}." if behind else ".")]


def best_first(rows, candidates, metric):
    sign = 1 if metric in LOWER_IS_BETTER else -1
    return sorted(candidates, key=lambda r: sign * mean(rows[r], metric))


def scaler_findings(tables):
    """Best scaler per table, each against the default; overall by mean rank."""
    lines, ranks = [], {s: [] for s in SCALERS}
    for name, result in tables.items():
        rows, task = result["rows"], result["task"]
        metric, default = PRIMARY[task], f"ours, {result['default_scaler']}"
        order = best_first(rows, [f"ours, {s}" for s in SCALERS], metric)
        for rank, row in enumerate(order, 1):
            ranks[row[len("ours, "):]].append(rank)
        others = [
            f"{row[len('ours, '):]} {signed_pair(rows, row, default, metric)}"
            f" ({verdict(rows, row, default, metric)}"
            + (f"; balanced acc {verdict(rows, row, default, 'balanced_accuracy')}"
               if task == "classification" else "") + ")"
            for row in order if row != default]
        lines.append(f"- **{name}**: best by {HEADERS[metric]}: **{order[0][6:]}** "
                     f"({mean(rows[order[0]], metric):.4f}). Against the default "
                     f"{result['default_scaler']} ({mean(rows[default], metric):.4f}): "
                     + "; ".join(others) + ".")
    overall = sorted(SCALERS, key=lambda s: statistics.fmean(ranks[s]))
    lines.append("- Overall, mean rank over the tables (1 = best): " + ", ".join(
        f"{s} {statistics.fmean(ranks[s]):.2f}" for s in overall) + ".")
    lines.append("- Against the default, beyond the seed noise: " + "; ".join(
        scaler_tally(tables, verdict_name) for verdict_name in ("better", "worse"))
        + ".")
    return lines


def scaler_tally(tables, wanted):
    """Which scalers are ``wanted`` ("better" / "worse") than the default, where."""
    hits = []
    for name, result in tables.items():
        rows, metric = result["rows"], PRIMARY[result["task"]]
        default = f"ours, {result['default_scaler']}"
        hits += [f"{s} on {name}" for s in SCALERS
                 if f"ours, {s}" != default
                 and verdict(rows, f"ours, {s}", default, metric) == wanted]
    return f"{wanted}: " + (", ".join(hits) if hits else "none")


def regulariser_findings(results):
    """Each regulariser row against the same model without it."""
    lines = []
    for name, result in results.items():
        rows, task = result["rows"], result["task"]
        base = "ours" if name == IMAGES else f"ours, {result['best_scaler']}"
        for row in rows:
            if not row.startswith(base + " + "):
                continue
            lines.append(
                f"- **{name}**, {row[len(base) + 3:]}: "
                + ", ".join(diff_text(rows, row, base, m) for m in METRICS[task])
                + f" ({HEADERS[PRIMARY[task]]} {verdict(rows, row, base, PRIMARY[task])}"
                + (f", accuracy {verdict(rows, row, base, 'accuracy')}"
                   if task == "classification" else "")
                + f"); fit time x{time_ratio(rows, row, base):.2f}.")
        lines += [f"- {note}" for note in result["notes"]]
    return lines


def log_target_lines(tables):
    """Ours on the log of a skewed target against ours on the target itself."""
    return [f"- **{name}**, `log_target=True` - table defaults: "
            + ", ".join(diff_text(result["rows"], LOG_TARGET, OURS, m)
                        for m in METRICS["regression"])
            + f" (R^2 {verdict(result['rows'], LOG_TARGET, OURS, 'r2')})."
            for name, result in tables.items() if LOG_TARGET in result["rows"]]


def findings(results):
    tables = {k: v for k, v in results.items() if k != IMAGES}
    n_seeds = len(next(iter(results.values()))["rows"][reference_row(
        next(iter(results.values()))["rows"])])
    lines = ["## Findings (computed from the numbers above)", "",
             f"Differences are paired (same split and seed), mean ± std over "
             f"{n_seeds} seeds; 'within noise' means |mean| <= std. Fit times "
             "vary more than scores, between seeds (the ± above) and between runs on a "
             "shared machine, so a time ratio between about 0.7 and 1.4 is no evidence "
             "of a difference.", ""]
    if tables:
        lines += [line for line in (
            rank_line(tables, PRIMARY.get, "the primary score (log loss, R^2)"),
            rank_line(tables, lambda t: "accuracy" if t == "classification" else None,
                      "accuracy (classification)"),
            rank_line(tables, lambda t: "balanced_accuracy" if t == "classification"
                      else None, "balanced accuracy (classification)"),
        ) if line] + behind_lines(tables) + log_target_lines(tables) + [""]
    extra_tables = {k: v for k, v in tables.items() if v.get("best_scaler")}
    if extra_tables:
        lines += ["Numeric scaler of ours (--extras; primary score: R^2 for regression, "
                  "log loss for classification):", "", *scaler_findings(extra_tables), ""]
    regularisers = regulariser_findings(
        {k: v for k, v in results.items() if k == IMAGES or v.get("best_scaler")})
    if regularisers:
        lines += ["Regularisers against the same model without them (--extras):", "",
                  *regularisers, ""]
    return lines


# ------------------------------------------------------------------ driver


def relative(path):
    """``path`` relative to the checkout, as the result file names it."""
    return os.path.relpath(Path(path).resolve(), CHECKOUT)


def reproduce_command(args):
    parts = ["python benchmarks/bench_tabular.py"]
    defaults = vars(parse_args(["--small"] if args.small else []))
    for key in ("data", "images"):
        if Path(getattr(args, key)).resolve() != Path(defaults[key]).resolve():
            parts.append(f"--{key} {relative(getattr(args, key))}")
    for key in ("seeds", "datasets", "image_rows", "threads", "retries",
                "realmlp_max_rows"):
        value = getattr(args, key)
        if value != defaults[key]:
            text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value
            parts.append(f"--{key.replace('_', '-')} {text}")
    if args.reuse:
        parts.append(f"--reuse {relative(args.reuse)} --reuse-models "
                     f"'{','.join(args.reuse_models)}'")
    parts += [f"--{flag}" for flag in ("extras", "small") if getattr(args, flag)]
    return " ".join(parts)


def interference_note(result):
    fits = [r for results in result["rows"].values() for r in results]
    rerun = sum(r["attempts"] > 1 for r in fits)
    still = [r["others_cores"] for r in fits if r["others_cores"] > BUSY_CORES]
    text = (f"Interference: {rerun} of {len(fits)} fits re-run because other processes "
            f"took more than {BUSY_CORES} cores during them")
    if still:
        text += (f"; {len(still)} kept fits still shared the machine (up to "
                 f"{max(still):.1f} cores), their times are too high")
    return text + "."


def describe_dataset(name, result):
    if name == IMAGES:
        return (f"## {name}: {result['n_rows']:,} training images (stratified "
                f"subsample per seed), {result['n_test']:,} test images, "
                f"{result['n_columns']} pixels")
    spec = TABLES[name]
    extras = (f"; regulariser rows on the best scaler, {result['best_scaler']}"
              if result.get("best_scaler") else "")
    return (f"## {name}: {result['n_rows']:,} rows, {result['n_columns']} columns, "
            f"{spec.task} of `{spec.target}`" + extras)


def summarise(results, args, seconds):
    sections = []
    for name, result in results.items():
        sections += [describe_dataset(name, result), "", dataset_table(result), "",
                     interference_note(result), ""]
        sections += [f"Note: {note}" for note in result["notes"]]
        sections += [""] if result["notes"] else []
    tables = {k: v for k, v in results.items() if k != IMAGES}
    overview = []
    if tables:
        overview = [
            "## All tables: primary scores", "",
            "Mean ± std over the seeds; the last column is ours minus the best peer "
            "on that score, paired over the seeds; 'not run': see the table's note "
            "below.", "", overview_table(tables), "",
            "## Ours against each peer", "", peer_table(tables), "",
            "## Fit time", "",
            "Fit CPU seconds of ours (the process's, all threads; wall seconds beside) "
            "and ours / peer of the mean CPU seconds.", "", time_table(tables), ""]
    shared = mlp_params("sklearn", args, 0)
    text = "\n".join([
        "# Real tables: our table defaults against HistGradientBoosting, RealMLP-TD "
        "and scikit-learn's MLP" + (" (--small smoke test)" if args.small else ""),
        "",
        f"Machine: {machine_summary(args.threads)}{realmlp_versions()}.",
        f"Data: `{relative(args.data)}`. Seeds {', '.join(map(str, args.seeds))}: one "
        "80/20 split per seed (stratified for classification) shared by every model; "
        "mean ± standard deviation over the seeds. Ours: `make_tabular_pipeline`'s "
        "own network, TABLE_DEFAULTS = "
        + ", ".join(f"{k}={v!r}" for k, v in table_network_defaults().items())
        + ". sklearn MLP in the same pipeline: "
        + ", ".join(f"{k}={v!r}" for k, v in shared.items() if k != "random_state")
        + ". HistGradientBoosting and RealMLP-TD: their defaults, text columns as "
        f"categories. Whole run {seconds / 60:.1f} min.",
        "",
        *overview,
        *findings(results),
        *sections,
        f"Reproduce: `{reproduce_command(args)}`",
        "",
    ])
    settings = {k: v for k, v in vars(args).items()
                if k not in ("worker", "output", "from_json")}
    settings.update(data=relative(args.data), images=relative(args.images),
                    reuse=args.reuse and relative(args.reuse))
    # resolved: an --output relative to the working folder stays there
    write_result(Path(args.output).resolve(), text,
                 {"settings": settings, "seconds": seconds, "results": results})


def realmlp_versions():
    """pytabkit's and PyTorch's versions, or that pytabkit is missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f", pytabkit {version('pytabkit')}"
    except PackageNotFoundError:
        return ", pytabkit not installed"


def run_all(args):
    start = time.perf_counter()
    results = {}
    for name in args.datasets:
        print(f"running {name}", flush=True)
        results[name] = run_worker(__file__, [name, *worker_arguments(args)],
                                   args.threads)
    summarise(results, args, time.perf_counter() - start)


def worker_arguments(args):
    arguments = ["--data", str(args.data), "--images", str(args.images),
                 "--seeds", ",".join(map(str, args.seeds)),
                 "--image-rows", str(args.image_rows), "--threads", str(args.threads),
                 "--retries", str(args.retries),
                 "--realmlp-max-rows", str(args.realmlp_max_rows)]
    if args.reuse:
        arguments += ["--reuse", str(args.reuse),
                      "--reuse-models", ",".join(args.reuse_models)]
    return arguments + [f"--{flag}" for flag in ("extras", "small") if getattr(args, flag)]


def int_list(text):
    return [int(v) for v in text.split(",")]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA),
                        help="folder of the tables (default: ../shared/datasets/tabular "
                             "of the checkout)")
    parser.add_argument("--images", default=str(DEFAULT_IMAGES),
                        help="folder of the Fashion-MNIST IDX files (default: "
                             "../shared/datasets/fashion-mnist of the checkout)")
    parser.add_argument("--datasets", default=list(TABLES),
                        type=lambda s: s.split(","),
                        help=f"comma-separated subset of {', '.join([*TABLES, IMAGES])} "
                             "(default: every table)")
    parser.add_argument("--seeds", default=[0, 1, 2], type=int_list,
                        help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--small", action="store_true",
                        help=f"smoke test: a few hundred rows, {SMALL_EPOCHS} epochs, "
                             "seed 0")
    parser.add_argument("--extras", action="store_true",
                        help="also ours per numeric scaler and with regularisers")
    parser.add_argument("--realmlp-max-rows", type=int, default=REALMLP_MAX_ROWS,
                        metavar="N",
                        help=f"fit {REALMLP} only on tables of at most N rows; 0: on "
                             f"every table (default {REALMLP_MAX_ROWS})")
    parser.add_argument("--reuse", default=None, metavar="JSON",
                        help="take the rows of --reuse-models from this saved result "
                             "(same seeds) instead of fitting them again: neither our "
                             "defaults nor the splits change them")
    parser.add_argument("--reuse-models", default=[REALMLP],
                        type=lambda s: s.split(","),
                        help=f"comma-separated peers that --reuse takes: any of "
                             f"{', '.join(PEERS)} (default {REALMLP})")
    parser.add_argument("--output", default=None,
                        help="result file, .md and .json (default "
                             "benchmarks/results/tabular; with --small a temporary file)")
    parser.add_argument("--image-rows", type=int, default=5000,
                        help="Fashion-MNIST training images (default 5000)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS / OpenMP threads (default 2)")
    parser.add_argument("--retries", type=int, default=2,
                        help="re-runs of a fit during which other processes took "
                             f"more than {BUSY_CORES} cores (default 2)")
    parser.add_argument("--from-json", default=None,
                        help="rewrite the result file from this saved .json, no fits")
    parser.add_argument("--ensemble", action="store_true",
                        help="compare the cross-fitted ensembles (every portfolio of "
                             "PORTFOLIO) with one network, HistGradientBoosting, "
                             "LightGBM and CatBoost; written to "
                             "benchmarks/results/tabular_ensemble")
    parser.add_argument("--seeds-small", default=list(range(10)), type=int_list,
                        help="--ensemble: seeds on tables under 1,000 rows (default "
                             "0-9; --seeds on the others)")
    parser.add_argument("--n-folds", type=int, default=5,
                        help="--ensemble: folds of every configuration (default 5)")
    parser.add_argument("--other-folds", default=[], type=lambda t: [
                        int(v) for v in t.split(",") if v],
                        help="--ensemble: other fold counts, for the first "
                             "configuration only (e.g. 8)")
    parser.add_argument("--portfolio", default=None, type=lambda t: t.split(","),
                        help="--ensemble: the configurations fitted, in order (default: "
                             "all of PORTFOLIO; fewer on large tables)")
    parser.add_argument("--pytabkit", action="store_true",
                        help=f"fit {REALMLP} and {TABM} (pytabkit) on the --ensemble "
                             "splits and pair them with ours and the other peers of "
                             "--reuse (default benchmarks/results/tabular_ensemble"
                             ".json); written to benchmarks/results/tabular_pytabkit")
    parser.add_argument("--resume", default=None, metavar="JSON",
                        help="--pytabkit: keep the per-seed rows of this saved "
                             "--pytabkit result (e.g. benchmarks/results/"
                             "tabular_pytabkit.json): they are copied into --cache "
                             "and only the (table, seed) splits missing from both "
                             "are fitted")
    parser.add_argument("--cache", default=None,
                        help="--ensemble, --pytabkit: folder of one JSON result per "
                             "table; a table found there is not run again (default: "
                             "tabular_ensemble or tabular_pytabkit in the temporary "
                             "directory)")
    parser.add_argument("--max-samples", default=None, type=cap_list,
                        help="--ensemble: comma-separated row budgets of every "
                             "configuration (max_samples; none: every row), the "
                             "first also for --other-folds (default: "
                             "ENSEMBLE_DEFAULTS' max_samples)")
    parser.add_argument("--peers", default=list(PEER_KEYS), type=lambda t: t.split(","),
                        help=f"--ensemble: comma-separated peers among "
                             f"{', '.join(PEER_KEYS)} (default: all)")
    parser.add_argument("--partial", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--note", default=None,
                        help="--ensemble: a paragraph added to the result's header "
                             "(what was left out and why)")
    parser.add_argument("--one-row", action="store_true",
                        help="--ensemble: fit the default table model on the first split "
                             "of each table in --cache that has no one-row time yet, and "
                             "time its one-row predictions (the result's 'ours 1-row ms')")
    parser.add_argument("--summarise-only", action="store_true",
                        help="--ensemble: write the result from --cache, no fits")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if set(args.reuse_models) - set(PEERS):
        parser.error(f"--reuse-models: choose from {', '.join(PEERS)}")
    if set(args.peers) - set(PEER_KEYS):
        parser.error(f"--peers: choose from {', '.join(PEER_KEYS)}")
    if args.max_samples is None:
        args.max_samples = [default_max_samples()]
    unknown = set(args.datasets) - {*TABLES, IMAGES}
    if unknown:
        parser.error(f"unknown data sets {sorted(unknown)}; choose from "
                     f"{', '.join([*TABLES, IMAGES])}")
    if args.small:
        # a smoke test: only what was not set on the command line changes
        given = {a.split("=")[0] for a in (sys.argv[1:] if argv is None else argv)}
        if "--seeds" not in given:
            args.seeds = [0]
        if "--retries" not in given:
            args.retries = 0
    mode = ("tabular_pytabkit" if args.pytabkit
            else "tabular_ensemble" if args.ensemble else "tabular")
    if args.cache is None:
        args.cache = str(Path(tempfile.gettempdir()) / mode)
    if args.output is None:
        name = mode
        args.output = (Path(tempfile.gettempdir()) / f"{name}_small" if args.small
                       else RESULTS / name)
    return args


def resummarise(args):
    """Write the result file again from a saved ``.json``, without fitting."""
    saved = json.loads(Path(args.from_json).read_text())
    settings = dict(saved["settings"], output=args.output, worker=None, from_json=None)
    settings.setdefault("extras", False)
    settings.setdefault("realmlp_max_rows", 0)
    settings.setdefault("reuse_models", [REALMLP])
    for key in ("data", "images", "reuse"):
        if settings.get(key):
            settings[key] = str((CHECKOUT / settings[key]).resolve())
    summarise(saved["results"], argparse.Namespace(**settings), saved["seconds"])


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        resummarise(args)
    elif (args.ensemble or args.pytabkit) and not args.worker:
        run_ensemble(args)
    else:
        (worker if args.worker else run_all)(args)


if __name__ == "__main__":
    main()
