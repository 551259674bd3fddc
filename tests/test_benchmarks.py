"""The table benchmark's bookkeeping: ``--resume`` keeps saved splits and fits
only the missing ones. No model is fitted and pytabkit is not needed."""

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench_tabular():
    """``benchmarks/bench_tabular.py`` as a module (it imports ``_harness``
    from its own folder, as when run as a script)."""
    if not (BENCHMARKS / "bench_tabular.py").exists():
        pytest.skip("benchmarks/ is not part of this installation")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_tabular", BENCHMARKS / "bench_tabular.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def table_result(seeds, value, n_rows=500):
    """A ``--pytabkit`` table result holding ``seeds``, every score ``value``."""
    rows = {row: [{"seed": s, "accuracy": value, "log_loss": value} for s in seeds]
            for row in ("HistGradientBoosting, refitted", "RealMLP-TD", "TabM-D")}
    return {"task": "classification", "n_rows": n_rows, "n_columns": 3,
            "rows": rows, "notes": [], "splits": list(seeds)}


def test_resume_keeps_cached_splits_and_adds_saved_ones(bench_tabular, tmp_path):
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"results": {"A": table_result([0, 1], 0.5),
                                             "B": table_result([0], 0.7),
                                             "C": table_result([0], 0.9)}}))
    cache = tmp_path / "cache"
    cache.mkdir()
    # the cache already holds A's seeds 1 and 2, with other scores
    (cache / "A.json").write_text(json.dumps(table_result([1, 2], 0.6)))

    bench_tabular.resume_cache(cache, saved, ["A", "B"])

    a = json.loads((cache / "A.json").read_text())
    assert a["splits"] == [0, 1, 2]
    for results in a["rows"].values():
        # seed 0 from the saved result; seeds 1 and 2 as the cache had them
        assert [(r["seed"], r["accuracy"]) for r in results] == [
            (0, 0.5), (1, 0.6), (2, 0.6)]
    b = json.loads((cache / "B.json").read_text())
    assert b["splits"] == [0] and b["n_rows"] == 500
    assert not (cache / "C.json").exists()  # not among the tables asked for

    args = argparse.Namespace(seeds=[0, 1, 2], seeds_small=[0, 1, 2, 3])
    assert bench_tabular.missing_splits(a, args) == [3]
    assert bench_tabular.missing_splits(b, args) == [1, 2, 3]


def test_resume_is_idempotent(bench_tabular, tmp_path):
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"results": {"A": table_result([0, 3], 0.5)}}))
    cache = tmp_path / "cache"
    cache.mkdir()
    bench_tabular.resume_cache(cache, saved, ["A"])
    once = (cache / "A.json").read_text()
    bench_tabular.resume_cache(cache, saved, ["A"])
    assert (cache / "A.json").read_text() == once


def scored(values):
    """Rows of a model over seeds 0, 1, ...: accuracy ``v``, log loss ``1 - v``."""
    return [{"seed": s, "accuracy": v, "log_loss": 1 - v} for s, v in enumerate(values)]


def test_behind_sections_list_the_table_scores_behind_catboost_beyond_the_noise(
        bench_tabular):
    ours = bench_tabular.default_row()
    rows = {ours: scored([0.70, 0.72, 0.71, 0.69]),
            "CatBoost": scored([0.80, 0.83, 0.80, 0.79]),
            "ours, network x5": scored([0.75, 0.76, 0.74, 0.73]),
            "RealMLP-TD": scored([0.60, 0.61, 0.62, 0.60]),
            "TabM-D": scored([0.79, 0.80, 0.81, 0.79])}
    results = {"T": {"task": "classification", "rows": rows}}
    ensemble = "\n".join(bench_tabular.stays_behind_lines(results, ours))
    assert "| T | accuracy | CatBoost |" in ensemble
    assert "| T | log loss | CatBoost |" in ensemble
    assert "`ours, network x5`: -0.0600" in ensemble  # the best variant tried
    neural = "\n".join(bench_tabular.neural_behind_catboost_lines(results, ours))
    assert "| T | accuracy | -0.1000 ± 0.0041 (behind, 4) | -0.1975" in neural
    # level with CatBoost within two standard errors: neither section has a row
    rows["CatBoost"] = scored([0.70, 0.73, 0.70, 0.69])
    assert bench_tabular.stays_behind_lines(results, ours) == []
    assert bench_tabular.neural_behind_catboost_lines(results, ours) == []
