"""A Dask cluster on this machine whose workers do not fight over the cores.

Needs the ``dask`` extra (``pip install "skmlp_scratch[dask]"``). A
hyper-parameter search through joblib's Dask backend runs one fit per worker
thread; if each fit also starts one BLAS thread per core, a machine with
``k`` cores runs ``k`` times too many threads and matrix products slow down
badly. :func:`local_cluster` starts one single-threaded worker process per
core with BLAS limited to one thread. On a remote cluster, give the workers
the same environment (``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
MKL_NUM_THREADS=1 dask worker ADDRESS --nthreads 1``).
"""

import os

__all__ = ["blas_threads", "local_cluster"]

# the variables OpenBLAS, MKL and OpenMP read when a process starts
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def local_cluster(n_workers=None, blas_threads_per_worker=1, **kwargs):
    """Start a ``distributed.LocalCluster`` of single-threaded worker processes.

    Parameters
    ----------
    n_workers : int or None, default=None
        Worker processes; None for one per core.
    blas_threads_per_worker : int, default=1
        BLAS / OpenMP threads each worker may start.
    **kwargs
        Passed on to ``LocalCluster`` (e.g. ``memory_limit``).

    Returns
    -------
    cluster : distributed.LocalCluster
        Use it as a context manager, or ``close()`` it when done.
    """
    from distributed import LocalCluster

    environment = {name: str(blas_threads_per_worker) for name in BLAS_THREAD_VARIABLES}
    options = dict(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                   processes=True, dashboard_address=None, env=environment)
    return LocalCluster(**{**options, **kwargs})


def blas_threads():
    """Count the BLAS threads this process may use; call it in a worker to check.

    Returns
    -------
    n_threads : int or None
        The largest thread count of the BLAS libraries loaded in this process,
        None when no BLAS library is loaded.
    """
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"), default=None)
