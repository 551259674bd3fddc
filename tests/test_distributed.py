"""A hyper-parameter search on a real Dask cluster: separate worker processes,
talking over loopback, through joblib's Dask backend."""

import os

import numpy as np
import pytest
from distributed import Client
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skmlp_scratch import MLPScratchClassifier
from skmlp_scratch.distributed import blas_threads, local_cluster
from conftest import short_training

# distributed warns when making its scratch folders takes over a second, which
# on a machine busy with other jobs it sometimes does: a fact about the
# machine, not about this code, so it must not fail the run
pytestmark = pytest.mark.filterwarnings(
    "ignore:Creating scratch directories is taking a surprisingly long time:UserWarning")


@pytest.fixture(scope="module")
def client():
    with local_cluster(n_workers=2) as cluster, Client(cluster) as client:
        yield client


def _search():
    return GridSearchCV(
        MLPScratchClassifier((16,), max_iter=15, random_state=0),
        {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}, cv=3)


def test_grid_search_on_dask_equals_the_sequential_search(client):
    X, y = make_classification(300, 8, n_informative=5, n_classes=3, random_state=0)
    X = X.astype(np.float32)
    with short_training():
        sequential = _search().fit(X, y)
        with parallel_config(backend="dask"):
            distributed = _search().fit(X, y)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(distributed.cv_results_[key],
                                   sequential.cv_results_[key], rtol=1e-6)
    assert distributed.best_params_ == sequential.best_params_


def test_workers_are_separate_processes_with_one_blas_thread_each(client):
    pids = client.run(os.getpid)
    assert len(pids) == 2 and os.getpid() not in pids.values()
    assert set(client.run(blas_threads).values()) == {1}
