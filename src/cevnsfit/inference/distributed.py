"""Profiled grid scans over N physics parameters, split into chunks and run in parallel.

A :class:`GridSpec` describes the scan: the analysis set-up, the scanned parameters with their grid
values, and the other free physics parameters that are profiled (by default every parameter of
the same families that the data sets measure, as in :func:`cevnsfit.inference.analysis.limit`).
Nuisances are always profiled.  :func:`grid_scan` cuts the grid (C order, flattened) into chunks
of ``chunk_size`` points and runs them on one of three back-ends:

``"serial"``
    in this process;
``"processes"`` (default)
    a local :class:`concurrent.futures.ProcessPoolExecutor` (``forkserver`` start method where
    available, else ``spawn``: scripts need an ``if __name__ == "__main__":`` guard);
``"dask"``
    an embedded :class:`dask.distributed.LocalCluster` on the loopback interface (one thread
    per worker process, no dashboard), or an existing scheduler given by address
    (``scheduler="tcp://127.0.0.1:8786"``).  Its workers must be able to import cevnsfit and
    find the data (``CEVNSFIT_DATA``; a worker without it inherits the caller's value).

Determinism: the global best fit is computed once, up front, in the calling process; every grid
point is minimised from that same start (plus the mirror starts of profiled diagonal radii, as
:meth:`~cevnsfit.inference.profile.Profiler.profile_at` does), with a freshly built likelihood,
never warm-started from a neighbour.  The result is therefore bitwise identical whatever the
back-end, the number of workers or the chunking.  The price is robustness on very wide grids:
a point far from the best fit whose minimum is not reached from the best-fit start shows up as
``converged == False`` or as a spike; refine such regions with a narrower grid.

Resuming: with ``out_dir`` every finished chunk is written atomically as ``chunk_<i>.npz``
(flat indices, chi2, converged, the profiled values at the chunk's lowest point) next to
``spec.json`` (a SHA-256 fingerprint of the spec, the chunk size and the global fit).  A rerun
with the same directory and spec computes only the missing chunks; a different spec or chunk
size raises :class:`ValueError`.  Two runs must not write to the same directory at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..physics.parameters import MODULUS_ONLY, Params
from .analysis import Setup, free_parameters, physics_parameters, resolve_fixed
from .fit import FitResult, Likelihood
from .profile import Profiler, delta_chi2_threshold, intervals_from_scan

BACKENDS = ("serial", "processes", "dask")
#: version of the on-disk layout of ``out_dir`` (part of the fingerprint)
FORMAT = 1
SPEC_FILE = "spec.json"
_DATA_ENV = "CEVNSFIT_DATA"


# ------------------------------------------------------------------------------------------
# the scan description
# ------------------------------------------------------------------------------------------
def _as_axis(name: str, values) -> tuple[float, ...]:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"grid values of {name} must be numbers: {exc}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"grid values of {name} must be a 1D sequence, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"the grid of {name} is empty: give at least one value")
    bad = arr[~np.isfinite(arr)]
    if bad.size:
        raise ValueError(f"the grid of {name} holds non-finite value(s) {bad.tolist()}")
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise ValueError(f"the grid of {name} must be strictly increasing (sorted, no repeats)")
    if name in MODULUS_ONLY and arr[0] < 0:
        raise ValueError(f"{name} enters only through its modulus: grid values must be >= 0, got {arr[0]:g}")
    if name == "sin2w" and (arr[0] < 0 or arr[-1] > 1):
        raise ValueError(f"sin2w grid values must lie in [0, 1], got [{arr[0]:g}, {arr[-1]:g}]")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class GridSpec:
    """Picklable, hashable description of a profiled grid scan.

    Parameters
    ----------
    setup : the analysis set-up (data sets and model choices)
    params : names of the scanned physics parameters (one grid axis each)
    axes : grid values of each scanned parameter, strictly increasing
    profiled : other free physics parameters, profiled at every grid point.  ``None`` (default):
        every parameter of the scanned parameters' families that the data sets measure
        (transition ones only if ``setup.transitions``), as in :func:`analysis.free_parameters`,
        except the fixed ones.
    fixed : physics parameters held fixed, ``{name: value or "sm"}`` (or (name, value) pairs);
        the others not scanned or profiled stay at their SM values.
    """

    setup: Setup
    params: tuple[str, ...]
    axes: tuple[tuple[float, ...], ...]
    profiled: tuple[str, ...] | None = None
    fixed: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        if not isinstance(self.setup, Setup):
            raise ValueError(f"setup must be a cevnsfit.inference.analysis.Setup, got {type(self.setup).__name__}")
        params = (self.params,) if isinstance(self.params, str) else tuple(self.params)
        if not params:
            raise ValueError("no parameter to scan: give at least one")
        allowed = Params.names()
        unknown = [p for p in params if p not in allowed]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: {', '.join(allowed)}")
        dup = sorted({p for p in params if params.count(p) > 1})
        if dup:
            raise ValueError(f"parameter(s) {dup} scanned twice")
        if isinstance(self.axes, Mapping):
            raise ValueError("axes must be a sequence (one grid per parameter, in the order of params); "
                             "use GridSpec.from_ranges or GridSpec.from_axes for a dict")
        axes = tuple(self.axes)
        if len(axes) != len(params):
            raise ValueError(f"{len(params)} parameter(s) {list(params)} but {len(axes)} grid axis/axes")
        axes = tuple(_as_axis(p, a) for p, a in zip(params, axes))
        fixed = resolve_fixed(dict(self.fixed))
        clash = [p for p in params if p in fixed]
        if clash:
            raise ValueError(f"parameter(s) {clash} are scanned: they cannot also be fixed")
        dss = self.setup.datasets()
        free = free_parameters(list(params), dss, self.setup.transitions)   # raises if not measured
        if self.profiled is None:
            profiled = tuple(p for p in free[len(params):] if p not in fixed)
        else:
            profiled = (self.profiled,) if isinstance(self.profiled, str) else tuple(self.profiled)
            unknown = [p for p in profiled if p not in allowed]
            if unknown:
                raise ValueError(f"unknown profiled parameter(s) {unknown}; allowed: {', '.join(allowed)}")
            both = [p for p in profiled if p in params]
            if both:
                raise ValueError(f"parameter(s) {both} are both scanned and profiled")
            both = [p for p in profiled if p in fixed]
            if both:
                raise ValueError(f"parameter(s) {both} are both fixed and profiled")
            dup = sorted({p for p in profiled if profiled.count(p) > 1})
            if dup:
                raise ValueError(f"profiled parameter(s) {dup} listed twice")
            measured = set().union(*(d.sensitive_to for d in dss))
            unmeasured = [p for p in profiled if p not in measured]
            if unmeasured:
                raise ValueError(f"profiled parameter(s) {unmeasured} are not measured by {list(self.setup.data)} "
                                 f"(a flat direction cannot be profiled); they measure: {', '.join(sorted(measured))}")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "profiled", profiled)
        object.__setattr__(self, "fixed", tuple(sorted(fixed.items())))

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def from_axes(cls, setup: Setup, axes: Mapping[str, Sequence[float]], profiled=None, fixed=None,
                  free=None) -> "GridSpec":
        """``GridSpec.from_axes(setup, {"r2_ee": [...], "r2_emu": [...]})``; ``fixed``/``free`` as
        in :func:`cevnsfit.inference.analysis.physics_parameters` (``free`` adds profiled ones)."""
        fixed = resolve_fixed(fixed)
        if free and profiled is None:
            names = list(axes)
            poi, fixed = physics_parameters(names, setup.datasets(), setup.transitions, fixed, free)
            profiled = tuple(p for p in poi if p not in names)
        return cls(setup, tuple(axes), tuple(axes.values()), profiled, tuple(sorted(fixed.items())))

    @classmethod
    def from_ranges(cls, setup: Setup, ranges: Mapping[str, tuple[float, float, int]], profiled=None, fixed=None,
                    free=None) -> "GridSpec":
        """``GridSpec.from_ranges(setup, {"r2_ee": (-80, 40, 25), ...})``: ``np.linspace`` grids."""
        axes = {}
        for p, r in ranges.items():
            try:
                lo, hi, n = r
                lo, hi = float(lo), float(hi)
            except (TypeError, ValueError):
                raise ValueError(f"range of {p} must be (low, high, n_points), got {r!r}") from None
            if int(n) != n or n < 1:
                raise ValueError(f"number of grid points of {p} must be a positive integer, got {n!r}")
            if not (math.isfinite(lo) and math.isfinite(hi)) or (n > 1 and not hi > lo):
                raise ValueError(f"range of {p} must be finite with high > low, got ({lo}, {hi})")
            axes[p] = np.linspace(lo, hi, int(n))
        return cls.from_axes(setup, axes, profiled, fixed, free)

    @classmethod
    def from_dict(cls, d: dict) -> "GridSpec":
        return cls(Setup.from_dict(d["setup"]), tuple(d["params"]), tuple(tuple(a) for a in d["axes"]),
                   tuple(d["profiled"]), tuple(sorted((d.get("fixed") or {}).items())))

    # -- derived -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        """Number of grid points (the total a progress bar counts to)."""
        return int(np.prod(self.shape))

    @property
    def poi(self) -> tuple[str, ...]:
        """Free physics parameters of the likelihood: scanned, then profiled."""
        return (*self.params, *self.profiled)

    def to_dict(self) -> dict:
        out = {"setup": self.setup.to_dict(), "params": list(self.params), "axes": [list(a) for a in self.axes],
               "profiled": list(self.profiled)}
        if self.fixed:      # (absent when empty: the fingerprints of earlier scans stay valid)
            out["fixed"] = dict(self.fixed)
        return out

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the spec (floats written exactly)."""
        text = json.dumps({"format": FORMAT, **self.to_dict()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def n_chunks(self, chunk_size: int) -> int:
        return -(-self.size // chunk_size)

    def chunk_bounds(self, i: int, chunk_size: int) -> tuple[int, int]:
        return i * chunk_size, min((i + 1) * chunk_size, self.size)


# ------------------------------------------------------------------------------------------
# the work of one chunk (runs in a worker)
# ------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _datasets(setup: Setup) -> tuple:
    """The data sets of a set-up, built with one BLAS thread and memoised per process.

    They are built anew rather than taken from the cache of :func:`experiments.load`: building
    a data set involves matrix products whose last digits depend on the BLAS thread count that
    was in force when it was first loaded in this process.  (Mirrors :meth:`Setup.datasets`.)
    """
    from .. import experiments

    load = getattr(experiments.load, "__wrapped__", experiments.load)
    with single_thread_blas():
        return tuple(load(n, es=setup.es, momentum_dependent=setup.momentum_dependent,
                          form_factor=setup.form_factor, **setup.options_of(n))
                     for n in setup.data)


def _profiler(spec: GridSpec) -> Profiler:
    """A fresh likelihood for every grid point: the likelihood may keep state between calls
    (warm starts of its nuisance profiling), which would make a point depend on the points
    computed before it in the same process."""
    return Profiler(Likelihood(list(_datasets(spec.setup)), poi=list(spec.poi), fixed=dict(spec.fixed)))


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
            warnings.warn("threadpoolctl is not installed: the BLAS thread count is not pinned, so grid "
                          "results may differ between back-ends in the last digits", RuntimeWarning, stacklevel=3)
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def global_fit(spec: GridSpec) -> FitResult:
    """The global best fit of the scan's likelihood (SM and mirror starts), from a fresh likelihood."""
    with single_thread_blas():
        return _profiler(spec).global_fit()


def profile_point(spec: GridSpec, fixed: dict[str, float], warm: dict[str, float]) -> FitResult:
    """Profiled fit at one grid point from ``warm`` (the global best fit) and, for profiled
    diagonal radii, the mirror starts; exactly what a grid scan computes there."""
    with single_thread_blas():
        return _profile_point(spec, fixed, warm)


def _profile_point(spec, fixed, warm) -> FitResult:
    return _profiler(spec).profile_at(dict(fixed), dict(warm))


# one chunk at a time per process: a dask worker with several threads shares the data sets
_LOCK = threading.Lock()


def adopt_data_dir(data_dir: str | None, force: bool = False) -> None:
    """In a worker: take the caller's CEVNSFIT_DATA if the worker has none; with ``force`` (our
    own pool, whose fork server may predate a change of the caller's environment) in any case."""
    if force:
        if data_dir:
            os.environ[_DATA_ENV] = data_dir
        else:
            os.environ.pop(_DATA_ENV, None)
    elif data_dir and not os.environ.get(_DATA_ENV):
        os.environ[_DATA_ENV] = data_dir


def _run_chunk(spec: GridSpec, warm: dict[str, float], i: int, start: int, stop: int,
               data_dir: str | None = None, force_data_dir: bool = False) -> dict:
    """Profiled chi^2 at flat grid indices [start, stop).

    ``data_dir`` is the caller's CEVNSFIT_DATA: a worker without one adopts it; with
    ``force_data_dir`` (our own pool, whose fork server may predate a change of the caller's
    environment) the worker follows the caller in any case.
    """
    adopt_data_dir(data_dir, force_data_dir)
    idx = np.arange(start, stop, dtype=np.int64)
    multi = np.unravel_index(idx, spec.shape)
    chi2 = np.full(idx.size, np.nan)
    conv = np.zeros(idx.size, bool)
    best = None
    errors = []
    with _LOCK, single_thread_blas():
        for j in range(idx.size):
            fixed = {p: spec.axes[k][int(multi[k][j])] for k, p in enumerate(spec.params)}
            try:
                r = _profile_point(spec, fixed, warm)
            except (ArithmeticError, ValueError) as exc:   # numerical failure (LinAlgError is a ValueError)
                # one bad point must not end a long scan: recorded as NaN, not converged
                errors.append(f"{fixed}: {type(exc).__name__}: {exc}")
                continue
            chi2[j], conv[j] = r.chi2, r.converged
            if best is None or r.chi2 < best.chi2:
                best = r
    names = list(best.values) if best is not None else []
    return {"i": i, "indices": idx, "chi2": chi2, "converged": conv,
            "best_names": np.array(names, dtype=str),
            "best_values": np.array([best.values[n] for n in names], dtype=float),
            "errors": np.array(errors[:1] + [f"{len(errors)} failed point(s)"] if errors else [], dtype=str)}


# ------------------------------------------------------------------------------------------
# back-ends: each yields finished chunks in completion order
# ------------------------------------------------------------------------------------------
def _mp_context():
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # import the package once in the fork server, not in every worker (only takes effect
        # before the fork server starts; "__main__" keeps the default behaviour)
        ctx.set_forkserver_preload(["__main__", __name__])
        return ctx
    return mp.get_context("spawn")


def _iter_serial(tasks, fn=None) -> Iterator[dict]:
    fn = fn or _run_chunk
    for t in tasks:
        yield fn(*t)


def _iter_processes(tasks, n_workers: int, fn=None) -> Iterator[dict]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    fn = fn or _run_chunk
    ex = ProcessPoolExecutor(max_workers=min(n_workers, len(tasks)), mp_context=_mp_context())
    try:
        futures = [ex.submit(fn, *t) for t in tasks]
        for f in as_completed(futures):
            yield f.result()
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _iter_dask(tasks, n_workers: int, scheduler: str | None, fn=None) -> Iterator[dict]:
    from .._optional import require

    require("distributed", "dask", "the 'dask' backend")
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=min(n_workers, len(tasks)), threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=logging.WARNING)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(fn or _run_chunk, *t, pure=False) for t in tasks]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            client.cancel([f for f in futures if not f.done()])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def iter_tasks(fn, tasks, backend: str = "processes", n_workers: int | None = None,
               scheduler: str | None = None) -> Iterator:
    """Run ``fn(*task)`` for every task on a back-end ("serial", "processes", "dask"; see the
    module docstring) and yield the results in completion order.  ``fn`` must be importable
    (a module-level function) for the process and dask back-ends."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler= needs backend='dask' (got backend={backend!r})")
    tasks = list(tasks)
    if not tasks:
        return iter(())
    n_workers = n_workers or os.cpu_count() or 1
    if backend == "serial":
        return _iter_serial(tasks, fn)
    if backend == "processes":
        return _iter_processes(tasks, n_workers, fn)
    return _iter_dask(tasks, n_workers, scheduler, fn)


# ------------------------------------------------------------------------------------------
# the result
# ------------------------------------------------------------------------------------------
def _nanmin(a: np.ndarray, axis) -> np.ndarray:
    """Minimum ignoring failed (NaN) points; NaN where all are NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(a, axis=axis)


def _fit_to_dict(r: FitResult) -> dict:
    return {"values": r.values, "chi2": r.chi2, "converged": r.converged, "message": r.message, "errors": r.errors}


def _fit_from_dict(d: dict) -> FitResult:
    return FitResult(dict(d["values"]), float(d["chi2"]), bool(d["converged"]), d.get("message", ""),
                     dict(d.get("errors", {})))


@dataclass
class GridResult:
    """Profiled chi^2 on the grid of ``spec`` (array axes in the order of ``spec.params``).

    ``best`` is the lower of the global fit and a fit started from the lowest grid point;
    ``global_fit`` is the up-front fit every grid point started from.
    """

    spec: GridSpec
    chi2: np.ndarray
    converged: np.ndarray
    best: FitResult
    global_fit: FitResult
    stats: dict = field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
        return self.spec.params

    @property
    def axes(self) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(a) for a in self.spec.axes)

    @property
    def profiled(self) -> tuple[str, ...]:
        return self.spec.profiled

    @property
    def delta_chi2(self) -> np.ndarray:
        return self.chi2 - self.best.chi2

    def _axis(self, param: str) -> int:
        if param not in self.params:
            raise ValueError(f"{param!r} is not a scanned parameter; scanned: {', '.join(self.params)}")
        return self.params.index(param)

    def project(self, *params: str) -> np.ndarray:
        """Δχ² profiled over the other scanned parameters (minimum over their axes), with the
        remaining axes in the order given."""
        if not params or len(set(params)) != len(params):
            raise ValueError(f"give distinct scanned parameters, got {list(params)}")
        keep = [self._axis(p) for p in params]
        other = tuple(k for k in range(len(self.params)) if k not in keep)
        d = _nanmin(self.delta_chi2, other) if other else self.delta_chi2
        order = sorted(keep)
        return np.transpose(d, [order.index(k) for k in keep])

    def intervals_1d(self, param: str, cl: float = 0.9) -> list[list[float]]:
        """Allowed intervals of ``param`` at ``cl`` (1 dof), everything else profiled; linear
        interpolation between grid points; an interval reaching the grid edge ends there."""
        k = self._axis(param)
        return intervals_from_scan(self.spec.axes[k], self.project(param), delta_chi2_threshold(cl, 1))

    def to_dict(self) -> dict:
        return {
            "params": list(self.params), "profiled": list(self.profiled), "shape": list(self.chi2.shape),
            "axes": [list(a) for a in self.spec.axes], "chi2": self.chi2.tolist(),
            "delta_chi2": self.delta_chi2.tolist(), "converged": self.converged.tolist(),
            "chi2_min": self.best.chi2, "best_fit": self.best.values, "best": _fit_to_dict(self.best),
            "global_fit": _fit_to_dict(self.global_fit), "options": self.spec.setup.options(),
            "spec": self.spec.to_dict(), "fingerprint": self.spec.fingerprint(), "stats": self.stats,
        }

    def save(self, path) -> Path:
        """Write :meth:`to_dict` as JSON (atomically)."""
        path = Path(path)
        _atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def from_dict(cls, d: dict) -> "GridResult":
        spec = GridSpec.from_dict(d["spec"])
        return cls(spec, np.asarray(d["chi2"], float).reshape(spec.shape),
                   np.asarray(d["converged"], bool).reshape(spec.shape), _fit_from_dict(d["best"]),
                   _fit_from_dict(d["global_fit"]), dict(d.get("stats", {})))

    @classmethod
    def load(cls, path) -> "GridResult":
        return cls.from_dict(json.loads(Path(path).read_text()))


# ------------------------------------------------------------------------------------------
# on-disk chunks
# ------------------------------------------------------------------------------------------
def _atomic_write_bytes(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write_bytes(path, lambda fh: fh.write(text.encode()))


_CHUNK_KEYS = ("indices", "chi2", "converged", "best_names", "best_values", "errors")


def _chunk_path(out_dir: Path, i: int) -> Path:
    return out_dir / f"chunk_{i}.npz"


def _write_chunk(out_dir: Path, res: dict) -> None:
    arrays = {k: res[k] for k in _CHUNK_KEYS}
    _atomic_write_bytes(_chunk_path(out_dir, res["i"]), lambda fh: np.savez(fh, **arrays))


def _read_chunk(out_dir: Path, i: int, start: int, stop: int) -> dict | None:
    """A finished chunk, or None if missing or unreadable/inconsistent (then it is recomputed)."""
    path = _chunk_path(out_dir, i)
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            res = {"i": i, **{k: z[k] for k in _CHUNK_KEYS}}
    except Exception:
        return None
    if (res["indices"].shape != (stop - start,) or not np.array_equal(res["indices"], np.arange(start, stop))
            or res["chi2"].shape != res["indices"].shape or res["converged"].shape != res["indices"].shape
            or res["best_names"].shape != res["best_values"].shape):
        return None
    return res


def _describe(d: dict) -> str:
    shape = [len(a) for a in d["axes"]]
    return f"data {d['setup']['data']}, params {d['params']}, grid {shape}, profiled {d['profiled']}"


def _prepare_dir(out_dir: Path, spec: GridSpec, chunk_size: int) -> dict | None:
    """Check ``out_dir`` against the spec; the stored header (with the global fit) or None."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {out_dir} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".chunk_*.npz.*.tmp"):   # left by an interrupted write
        stale.unlink(missing_ok=True)
    head_path = out_dir / SPEC_FILE
    if not head_path.exists():
        if any(out_dir.glob("chunk_*.npz")):
            raise ValueError(f"out_dir {out_dir} holds chunk files but no {SPEC_FILE}: "
                             "they cannot be matched to a spec; use an empty directory")
        return None
    try:
        head = json.loads(head_path.read_text())
        stored = head["fingerprint"]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{head_path} is not a grid-scan header ({exc}); use an empty directory") from None
    if stored != spec.fingerprint():
        raise ValueError(f"out_dir {out_dir} holds a different scan ({_describe(head['spec'])}) than the one "
                         f"requested ({_describe(spec.to_dict())}); use another directory or remove it")
    if head.get("chunk_size") != chunk_size:
        raise ValueError(f"out_dir {out_dir} was written with chunk_size={head.get('chunk_size')}; "
                         f"resume with the same chunk_size (got {chunk_size})")
    return head


# ------------------------------------------------------------------------------------------
# the driver
# ------------------------------------------------------------------------------------------
def grid_scan(spec: GridSpec, backend: str = "processes", n_workers: int | None = None,
              scheduler: str | None = None, chunk_size: int = 64, out_dir=None,
              progress: Callable[[int], object] | None = None) -> GridResult:
    """Profiled chi^2 at every point of ``spec``'s grid.

    Parameters
    ----------
    backend : "serial", "processes" (default) or "dask"
    n_workers : worker processes (default ``os.cpu_count()``); ignored by "serial" and when
        connecting to an existing dask ``scheduler`` (its workers are used)
    scheduler : address of a running dask scheduler (backend "dask" only); default: an
        embedded ``LocalCluster`` on 127.0.0.1
    chunk_size : grid points per task
    out_dir : directory for resumable chunk files (see the module docstring)
    progress : called with the number of finished grid points (reused ones included) once at
        the start and after every chunk; the total is ``spec.size``
    """
    t0 = time.perf_counter()
    if not isinstance(spec, GridSpec):
        raise ValueError(f"spec must be a GridSpec, got {type(spec).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if scheduler is not None:
        if backend != "dask":
            raise ValueError(f"scheduler= needs backend='dask' (got backend={backend!r})")
        if not isinstance(scheduler, str) or not scheduler:
            raise ValueError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786', got {scheduler!r}")
    if n_workers is None:
        n_workers = os.cpu_count() or 1
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable taking the number of finished points")
    n_workers, chunk_size = int(n_workers), int(chunk_size)

    out = Path(out_dir) if out_dir is not None else None
    head = _prepare_dir(out, spec, chunk_size) if out is not None else None
    if head is not None:
        best0 = _fit_from_dict(head["global_fit"])
    else:
        best0 = global_fit(spec)
        if out is not None:
            head = {"format": FORMAT, "fingerprint": spec.fingerprint(), "spec": spec.to_dict(),
                    "chunk_size": chunk_size, "n_points": spec.size, "n_chunks": spec.n_chunks(chunk_size),
                    "global_fit": _fit_to_dict(best0)}
            _atomic_write_text(out / SPEC_FILE, json.dumps(head, indent=1))

    chi2 = np.full(spec.size, np.nan)
    conv = np.zeros(spec.size, bool)
    chunk_best: list[tuple[float, dict]] = []
    failures: list[list[str]] = []
    n_chunks = spec.n_chunks(chunk_size)
    missing = []
    n_done = 0

    def take(res):
        nonlocal n_done
        sl = slice(int(res["indices"][0]), int(res["indices"][-1]) + 1)
        chi2[sl], conv[sl] = res["chi2"], res["converged"]
        if res["best_names"].size:
            chunk_best.append((float(np.nanmin(res["chi2"])),
                               dict(zip(res["best_names"].tolist(), res["best_values"].tolist()))))
        if res["errors"].size:
            failures.append(res["errors"].tolist())
        n_done += res["indices"].size

    for i in range(n_chunks):
        start, stop = spec.chunk_bounds(i, chunk_size)
        res = _read_chunk(out, i, start, stop) if out is not None else None
        if res is None:
            missing.append((i, start, stop))
        else:
            take(res)
    n_reused = n_chunks - len(missing)
    if progress is not None:
        progress(n_done)

    if missing:
        warm = dict(best0.values)
        data_dir = os.environ.get(_DATA_ENV)
        force = backend == "processes"
        tasks = [(spec, warm, i, start, stop, data_dir, force) for i, start, stop in missing]
        if backend == "serial":
            it = _iter_serial(tasks)
        elif backend == "processes":
            it = _iter_processes(tasks, n_workers)
        else:
            it = _iter_dask(tasks, n_workers, scheduler)
        try:
            for res in it:
                if out is not None:
                    _write_chunk(out, res)
                take(res)
                if progress is not None:
                    progress(n_done)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    # the grid may reach below the global fit (another branch): refit from its lowest point
    best = best0
    if chunk_best:
        gmin, gvals = min(chunk_best, key=lambda t: t[0])
        if gmin < best0.chi2 - 1e-6:
            with single_thread_blas():
                refit = _profiler(spec).lik.fit(start=gvals)
            best = refit if refit.chi2 <= gmin else FitResult(gvals, gmin, True, "lowest grid point")

    n_failed = int(np.isnan(chi2).sum())
    if n_failed:
        warnings.warn(f"the profiled fit failed at {n_failed} grid point(s) (chi2 = NaN, converged = False); "
                      f"first: {failures[0][0] if failures else 'non-finite chi2'}", RuntimeWarning, stacklevel=2)
    shape = spec.shape
    stats = {"backend": backend, "n_workers": None if backend == "serial" or scheduler is not None else n_workers,
             "scheduler": scheduler, "chunk_size": chunk_size, "n_chunks": n_chunks,
             "chunks_computed": len(missing), "chunks_reused": n_reused,
             "points_computed": int(sum(b - a for _, a, b in missing)), "points_failed": n_failed,
             "seconds": time.perf_counter() - t0}
    return GridResult(spec, chi2.reshape(shape), conv.reshape(shape), best, best0, stats)


__all__ = ["BACKENDS", "GridResult", "GridSpec", "adopt_data_dir", "global_fit", "grid_scan", "iter_tasks",
           "profile_point", "single_thread_blas"]
