"""Where batches of work run: in this process, a local process pool, or a dask cluster.

:func:`iter_tasks` runs ``fn(*task)`` for a list of tasks on one of three back-ends and yields the
results in completion order:

``"serial"``
    in this process;
``"processes"``
    a local :class:`concurrent.futures.ProcessPoolExecutor` (``forkserver`` start method where
    available, else ``spawn``: scripts need an ``if __name__ == "__main__":`` guard);
``"dask"``
    an embedded :class:`dask.distributed.LocalCluster` on the loopback interface (one thread per
    worker process, no dashboard), or an existing scheduler given by address
    (``scheduler="tcp://127.0.0.1:8786"``).  Its workers must be able to import cevnsfit and find
    the data (``CEVNSFIT_DATA``; a worker without it inherits the caller's value).

The workers start before the tasks are known: ``tasks`` may be a function that returns them
(e.g. after a global fit in the calling process), and ``initializer`` -- ``(fn, args...)`` -- runs
once in every worker when it starts (e.g. installing data sets the caller built and sends, which
is far faster than each worker building them), so that nothing waits serially for the pool.
BLAS runs on one thread in every worker (:func:`single_thread_blas`): results then agree
bitwise between back-ends.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BACKENDS = ("serial", "processes", "dask")
DATA_ENV = "CEVNSFIT_DATA"

#: one task at a time per process: a dask worker with several threads shares the data sets
LOCK = threading.Lock()

_warned_threads = False


@contextmanager
def single_thread_blas():
    """Run BLAS/LAPACK on one thread: the result of a multithreaded matrix product depends on the
    number of threads (its partial sums are added in another order), and dask workers run with
    one BLAS thread, so every back-end must too for the results to agree bitwise.  Needs
    threadpoolctl; without it a RuntimeWarning says results may differ in the last digits."""
    global _warned_threads
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if not _warned_threads:
            _warned_threads = True
            warnings.warn(
                "threadpoolctl is not installed: the BLAS thread count is not pinned, so grid "
                "results may differ between back-ends in the last digits",
                RuntimeWarning,
                stacklevel=3,
            )
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


_CONTROLLER: list = []


@contextmanager
def one_blas_thread():
    """BLAS on one thread while profiling: the products of a batched fit are small (tens of rows
    by a few hundred columns), and a multithreaded BLAS spends more time waking and synchronising
    its threads than computing them -- ten times more on a machine whose cores are busy.  (A
    reusable threadpoolctl controller: entering costs microseconds.)"""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except ImportError:
            _CONTROLLER.append(None)
    ctl = _CONTROLLER[0]
    if ctl is None:
        yield
        return
    with ctl.limit(limits=1, user_api="blas"):
        yield


def adopt_data_dir(data_dir: str | None, force: bool = False) -> None:
    """In a worker: take the caller's CEVNSFIT_DATA if the worker has none; with ``force`` (our
    own pool, whose fork server may predate a change of the caller's environment) in any case."""
    if force:
        if data_dir:
            os.environ[DATA_ENV] = data_dir
        else:
            os.environ.pop(DATA_ENV, None)
    elif data_dir and not os.environ.get(DATA_ENV):
        os.environ[DATA_ENV] = data_dir


def mp_context(preload=()):
    """The multiprocessing context of the process pool: forkserver (importing ``preload`` once in
    the fork server, not in every worker) where available, else spawn."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # only takes effect before the fork server starts; "__main__" keeps the default behaviour
        ctx.set_forkserver_preload(["__main__", __name__, *preload])
        return ctx
    return mp.get_context("spawn")


def prestart(backend: str, preload=()) -> None:
    """Start what a back-end needs before its workers, in the background: the fork server of
    the process pool boots and imports ``preload`` while the caller prepares the work."""
    if backend != "processes":
        return
    ctx = mp_context(preload)
    if ctx.get_start_method() == "forkserver":
        import threading
        from multiprocessing import forkserver

        threading.Thread(target=forkserver.ensure_running, daemon=True).start()


def _resolve(tasks) -> list:
    return list(tasks() if callable(tasks) else tasks)


def _iter_serial(fn, tasks) -> Iterator:
    for t in _resolve(tasks):
        yield fn(*t)


def _iter_processes(fn, tasks, n_workers: int, initializer=None, preload=()) -> Iterator:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # workers ignore SIGINT: Ctrl-C reaches the whole process group, and the caller stops the
    # pool itself (cevnsfit.runlog.stoppable) after keeping the finished results
    ex = ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=mp_context(preload),
        initializer=_init_worker,
        initargs=tuple(initializer or ()),
    )
    try:
        futures = [ex.submit(fn, *t) for t in _resolve(tasks)]
        for f in as_completed(futures):
            yield f.result()
    except (KeyboardInterrupt, GeneratorExit):
        # stopped (Ctrl-C, or the caller abandons the results): the running tasks are not
        # waited for -- their workers ignore SIGINT and would otherwise run them to the end
        _terminate_workers(ex)
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _init_worker(fn=None, *args) -> None:
    """Process-pool worker initialiser: ignore SIGINT, then run the caller's ``fn(*args)``."""
    from ..runlog import ignore_sigint

    ignore_sigint()
    if fn is not None:
        fn(*args)


def _terminate_workers(ex) -> None:
    """Terminate the worker processes of a ProcessPoolExecutor (``terminate_workers`` from Python 3.14)."""
    stop = getattr(ex, "terminate_workers", None)
    if stop is not None:
        stop()
        return
    for p in list((getattr(ex, "_processes", None) or {}).values()):
        if p.is_alive():
            p.terminate()


def _iter_dask(fn, tasks, n_workers: int, scheduler: str | None, initializer=None) -> Iterator:
    from .._optional import require

    require("distributed", "dask", "the 'dask' backend")
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.WARNING,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        if initializer is not None:
            client.run(*initializer)  # every worker present now
            client.register_worker_callbacks(setup=_DaskSetup(initializer))  # and any joining later
        futures = [client.submit(fn, *t, pure=False) for t in _resolve(tasks)]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            client.cancel([f for f in futures if not f.done()])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _DaskSetup:
    """A worker set-up callback running ``initializer`` (picklable, unlike a closure)."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, dask_worker=None):
        self.initializer[0](*self.initializer[1:])


def check_backend(backend: str, scheduler: str | None = None) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if scheduler is not None:
        if backend != "dask":
            raise ValueError(f"scheduler= needs backend='dask' (got backend={backend!r})")
        if not isinstance(scheduler, str) or not scheduler:
            raise ValueError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786', got {scheduler!r}")


def iter_tasks(
    fn: Callable,
    tasks,
    backend: str = "processes",
    n_workers: int | None = None,
    scheduler: str | None = None,
    initializer=None,
    n_tasks: int | None = None,
    preload=(),
) -> Iterator:
    """Run ``fn(*task)`` for every task on a back-end and yield the results in completion order
    (see the module docstring).  ``fn`` must be importable (a module-level function) for the
    process and dask back-ends.  ``tasks``: a list, or a function returning it (called once the
    workers are starting); ``n_tasks`` (if known) caps the number of workers; ``initializer``:
    ``(fn, args...)`` run once in each worker when it starts (not in the serial back-end);
    ``preload``: modules the fork server imports."""
    check_backend(backend, scheduler)
    if not callable(tasks):
        tasks = list(tasks)
        n_tasks = len(tasks)
        if not tasks:
            return iter(())
    n_workers = n_workers or os.cpu_count() or 1
    if n_tasks is not None:
        n_workers = max(1, min(n_workers, n_tasks))
    if backend == "serial":
        return _iter_serial(fn, tasks)
    if backend == "processes":
        return _iter_processes(fn, tasks, n_workers, initializer, preload)
    return _iter_dask(fn, tasks, n_workers, scheduler, initializer)


__all__ = [
    "BACKENDS",
    "DATA_ENV",
    "LOCK",
    "adopt_data_dir",
    "check_backend",
    "iter_tasks",
    "mp_context",
    "one_blas_thread",
    "prestart",
    "single_thread_blas",
]
