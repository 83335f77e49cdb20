"""Profiled grid scans over N physics parameters, split into chunks and run in parallel.

A :class:`GridSpec` describes the scan: the analysis set-up, the scanned parameters with their grid
values, and the other free physics parameters that are profiled (by default every parameter of
the same families that the data sets measure, as in :func:`cevnsfit.inference.analysis.limit`).
Nuisances are always profiled.  :func:`grid_scan` cuts the grid (C order, flattened) into chunks
of ``chunk_size`` points and runs them on a back-end of :mod:`cevnsfit.inference.backends`
("serial", "processes" -- the default -- or "dask"); the data sets are built once, in the
calling process, and sent to the workers as they start, while the calling process computes the
global fit.

Each chunk is profiled in batches (:mod:`cevnsfit.inference.nuisance`): the grid is divided into
fixed blocks of :data:`BLOCK` consecutive points, and every point of a block -- with the mirror
starts of profiled diagonal radii -- is fitted in one batch from the global best fit, never
warm-started from a neighbour.  A chunk computes the blocks it overlaps (a chunk size that is a
multiple of :data:`BLOCK` wastes nothing), so every point is computed in the same batch whatever
the chunking, and the result is bitwise identical whatever the back-end, the number of workers
or the chunk size.  The price of starting every point from the global fit is robustness on very
wide grids: a point far from the best fit whose minimum is not reached from there shows up as
``converged == False`` or as a spike; refine such regions with a narrower grid.

Resuming: with ``out_dir`` every finished chunk is written atomically (:mod:`.scanstore`); a
rerun with the same directory and spec computes only the missing chunks; a different spec or
chunk size raises :class:`ValueError`.  Two runs must not write to the same directory at once.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..physics.parameters import MODULUS_ONLY, Params
from .analysis import Setup, free_parameters, physics_parameters, resolve_fixed
from .backends import BACKENDS, DATA_ENV, LOCK, adopt_data_dir, check_backend, iter_tasks, prestart, single_thread_blas
from .fit import FitResult, Likelihood
from .profile import Profiler, delta_chi2_threshold, intervals_from_scan
from .progress import Stage
from .scanstore import (
    SPEC_FILE,
    atomic_write_bytes,
    atomic_write_text,
    prepare_dir,
    read_chunk,
    write_chunk,
    write_header,
)

#: version of the on-disk layout of ``out_dir`` (part of the fingerprint)
FORMAT = 1
#: grid points profiled together in one batch (blocks aligned on the flat grid index)
BLOCK = 16
# names other modules use (kept for them)
_DATA_ENV = DATA_ENV
_LOCK = LOCK
_atomic_write_bytes = atomic_write_bytes
_atomic_write_text = atomic_write_text


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
            raise ValueError(
                "axes must be a sequence (one grid per parameter, in the order of params); "
                "use GridSpec.from_ranges or GridSpec.from_axes for a dict"
            )
        axes = tuple(self.axes)
        if len(axes) != len(params):
            raise ValueError(f"{len(params)} parameter(s) {list(params)} but {len(axes)} grid axis/axes")
        axes = tuple(_as_axis(p, a) for p, a in zip(params, axes, strict=True))
        fixed = resolve_fixed(dict(self.fixed))
        clash = [p for p in params if p in fixed]
        if clash:
            raise ValueError(f"parameter(s) {clash} are scanned: they cannot also be fixed")
        dss = self.setup.datasets()
        free = free_parameters(list(params), dss, self.setup.transitions)  # raises if not measured
        if self.profiled is None:
            profiled = tuple(p for p in free[len(params) :] if p not in fixed)
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
                raise ValueError(
                    f"profiled parameter(s) {unmeasured} are not measured by {list(self.setup.data)} "
                    f"(a flat direction cannot be profiled); they measure: {', '.join(sorted(measured))}"
                )
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "profiled", profiled)
        object.__setattr__(self, "fixed", tuple(sorted(fixed.items())))

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def from_axes(
        cls, setup: Setup, axes: Mapping[str, Sequence[float] | np.ndarray], profiled=None, fixed=None, free=None
    ) -> GridSpec:
        """``GridSpec.from_axes(setup, {"r2_ee": [...], "r2_emu": [...]})``; ``fixed``/``free`` as
        in :func:`cevnsfit.inference.analysis.physics_parameters` (``free`` adds profiled ones)."""
        fixed = resolve_fixed(fixed)
        if free and profiled is None:
            names = list(axes)
            poi, fixed = physics_parameters(names, setup.datasets(), setup.transitions, fixed, free)
            profiled = tuple(p for p in poi if p not in names)
        return cls(setup, tuple(axes), tuple(tuple(a) for a in axes.values()), profiled, tuple(sorted(fixed.items())))

    @classmethod
    def from_ranges(
        cls, setup: Setup, ranges: Mapping[str, tuple[float, float, int]], profiled=None, fixed=None, free=None
    ) -> GridSpec:
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
    def from_dict(cls, d: dict) -> GridSpec:
        return cls(
            Setup.from_dict(d["setup"]),
            tuple(d["params"]),
            tuple(tuple(a) for a in d["axes"]),
            tuple(d["profiled"]),
            tuple(sorted((d.get("fixed") or {}).items())),
        )

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
        return (*self.params, *(self.profiled or ()))

    def to_dict(self) -> dict:
        out = {
            "setup": self.setup.to_dict(),
            "params": list(self.params),
            "axes": [list(a) for a in self.axes],
            "profiled": list(self.profiled or ()),
        }
        if self.fixed:  # (absent when empty: the fingerprints of earlier scans stay valid)
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
#: data sets sent by the caller to this worker process (by :func:`_install_datasets`)
_INSTALLED: dict = {}


def _datasets(setup: Setup) -> tuple:
    """The data sets of a set-up, built with one BLAS thread and memoised per process (or, in a
    worker, those the caller built and sent: the same arrays, and no build per worker).

    They are built anew rather than taken from the cache of :func:`experiments.load`: building
    a data set involves matrix products whose last digits depend on the BLAS thread count that
    was in force when it was first loaded in this process.  (Mirrors :meth:`Setup.datasets`.)
    """
    hit = _INSTALLED.get(setup)
    return hit if hit is not None else _build_datasets(setup)


@lru_cache(maxsize=8)
def _build_datasets(setup: Setup) -> tuple:
    from .. import experiments

    load = getattr(experiments.load, "__wrapped__", experiments.load)
    with single_thread_blas():
        return tuple(
            load(
                n,
                es=setup.es,
                momentum_dependent=setup.momentum_dependent,
                form_factor=setup.form_factor,
                **setup.options_of(n),
            )
            for n in setup.data
        )


def _install_datasets(setup: Setup, datasets: tuple, data_dir: str | None = None, force_data_dir: bool = False) -> None:
    """Worker initializer: adopt the caller's data directory and its data sets."""
    adopt_data_dir(data_dir, force_data_dir)
    _INSTALLED[setup] = datasets


def _profiler(spec: GridSpec) -> Profiler:
    """A fresh likelihood for every block: no state of one batch reaches another."""
    return Profiler(Likelihood(list(_datasets(spec.setup)), poi=list(spec.poi), fixed=dict(spec.fixed)))


def global_fit(spec: GridSpec) -> FitResult:
    """The global best fit of the scan's likelihood (SM and mirror starts), from a fresh likelihood."""
    with single_thread_blas():
        return _profiler(spec).global_fit()


def profile_point(spec: GridSpec, fixed: dict[str, float], warm: dict[str, float]) -> FitResult:
    """Profiled fit at one grid point from ``warm`` (the global best fit) and, for profiled
    diagonal radii, the mirror starts: what a grid scan computes there (to rounding: the grid
    profiles its points in blocks of :data:`BLOCK`)."""
    with single_thread_blas():
        return _profile_point(spec, fixed, warm)


def _profile_point(spec, fixed, warm) -> FitResult:
    return _profiler(spec).profile_at(dict(fixed), dict(warm))


def _profile_points(spec, fixed_list, warm) -> list[FitResult]:
    """One block: every point (with its mirror starts) in one batch."""
    return _profiler(spec).profile_many([dict(f) for f in fixed_list], dict(warm))


def _block_fits(spec, warm, points, fixed_of):
    """The fits of one block; a numerical failure of the batch is isolated to its points by
    fitting them one by one (a failing point then gives None and its error)."""
    fixed_list = [fixed_of(p) for p in points]
    try:
        return [(r, None) for r in _profile_points(spec, fixed_list, warm)]
    except (ArithmeticError, ValueError):  # LinAlgError is a ValueError
        out: list[tuple[FitResult | None, str | None]] = []
        for fx in fixed_list:
            try:
                out.append((_profile_point(spec, fx, warm), None))
            except (ArithmeticError, ValueError) as exc:
                out.append((None, f"{fx}: {type(exc).__name__}: {exc}"))
        return out


def _run_chunk(
    spec: GridSpec,
    warm: dict[str, float],
    i: int,
    start: int,
    stop: int,
    data_dir: str | None = None,
    force_data_dir: bool = False,
) -> dict:
    """Profiled chi^2 at flat grid indices [start, stop), computed block by block.

    ``data_dir`` is the caller's CEVNSFIT_DATA: a worker without one adopts it; with
    ``force_data_dir`` (our own pool, whose fork server may predate a change of the caller's
    environment) the worker follows the caller in any case.
    """
    adopt_data_dir(data_dir, force_data_dir)
    idx = np.arange(start, stop, dtype=np.int64)
    chi2 = np.full(idx.size, np.nan)
    conv = np.zeros(idx.size, bool)
    best = None
    errors = []

    def fixed_of(flat):
        multi = np.unravel_index(flat, spec.shape)
        return {p: spec.axes[k][int(multi[k])] for k, p in enumerate(spec.params)}

    with LOCK, single_thread_blas():
        for b0 in range(start // BLOCK * BLOCK, stop, BLOCK):
            block = range(b0, min(b0 + BLOCK, spec.size))
            for flat, (r, err) in zip(block, _block_fits(spec, warm, list(block), fixed_of), strict=True):
                if not start <= flat < stop:
                    continue
                if r is None:
                    # one bad point must not end a long scan: recorded as NaN, not converged
                    errors.append(err)
                    continue
                j = flat - start
                chi2[j], conv[j] = r.chi2, r.converged
                if best is None or r.chi2 < best.chi2:
                    best = r
    names = list(best.values) if best is not None else []
    return {
        "i": i,
        "indices": idx,
        "chi2": chi2,
        "converged": conv,
        "best_names": np.array(names, dtype=str),
        "best_values": np.array([best.values[n] for n in names] if best is not None else [], dtype=float),
        "errors": np.array(errors[:1] + [f"{len(errors)} failed point(s)"] if errors else [], dtype=str),
    }


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
    return FitResult(
        dict(d["values"]), float(d["chi2"]), bool(d["converged"]), d.get("message", ""), dict(d.get("errors", {}))
    )


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
        return self.spec.profiled or ()

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
            "params": list(self.params),
            "profiled": list(self.profiled or ()),
            "shape": list(self.chi2.shape),
            "axes": [list(a) for a in self.spec.axes],
            "chi2": self.chi2.tolist(),
            "delta_chi2": self.delta_chi2.tolist(),
            "converged": self.converged.tolist(),
            "chi2_min": self.best.chi2,
            "best_fit": self.best.values,
            "best": _fit_to_dict(self.best),
            "global_fit": _fit_to_dict(self.global_fit),
            "options": self.spec.setup.options(),
            "spec": self.spec.to_dict(),
            "fingerprint": self.spec.fingerprint(),
            "stats": self.stats,
        }

    def save(self, path) -> Path:
        """Write :meth:`to_dict` as JSON (atomically)."""
        path = Path(path)
        _atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def from_dict(cls, d: dict) -> GridResult:
        spec = GridSpec.from_dict(d["spec"])
        return cls(
            spec,
            np.asarray(d["chi2"], float).reshape(spec.shape),
            np.asarray(d["converged"], bool).reshape(spec.shape),
            _fit_from_dict(d["best"]),
            _fit_from_dict(d["global_fit"]),
            dict(d.get("stats", {})),
        )

    @classmethod
    def load(cls, path) -> GridResult:
        return cls.from_dict(json.loads(Path(path).read_text()))


# ------------------------------------------------------------------------------------------
# the driver
# ------------------------------------------------------------------------------------------
def grid_scan(
    spec: GridSpec,
    backend: str = "processes",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 64,
    out_dir=None,
    progress: Callable[[int], object] | None = None,
) -> GridResult:
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
    check_backend(backend, scheduler)
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
    head = prepare_dir(out, spec.fingerprint(), spec.to_dict(), chunk_size) if out is not None else None
    fits: dict = {}

    def best_fit() -> FitResult:
        """The global fit (stored in ``out_dir``'s header, else computed here once)."""
        if "best0" not in fits:
            if head is not None:
                fits["best0"] = _fit_from_dict(head["global_fit"])
            else:
                fits["best0"] = global_fit(spec)
                if out is not None:
                    write_header(
                        out,
                        {
                            "format": FORMAT,
                            "fingerprint": spec.fingerprint(),
                            "spec": spec.to_dict(),
                            "chunk_size": chunk_size,
                            "n_points": spec.size,
                            "n_chunks": spec.n_chunks(chunk_size),
                            "global_fit": _fit_to_dict(fits["best0"]),
                        },
                    )
        return fits["best0"]

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
            chunk_best.append(
                (
                    float(np.nanmin(res["chi2"])),
                    dict(zip(res["best_names"].tolist(), res["best_values"].tolist(), strict=True)),
                )
            )
        if res["errors"].size:
            failures.append(res["errors"].tolist())
        n_done += res["indices"].size

    for i in range(n_chunks):
        start, stop = spec.chunk_bounds(i, chunk_size)
        res = read_chunk(out, i, start, stop) if out is not None else None
        if res is None:
            missing.append((i, start, stop))
        else:
            take(res)
    n_reused = n_chunks - len(missing)
    stage = Stage("grid points", spec.size)
    stage.update(n_done)
    if progress is not None:
        progress(n_done)

    if missing:
        data_dir = os.environ.get(DATA_ENV)
        force = backend == "processes"

        def tasks():  # called once the workers are starting (and loading the data sets)
            warm = dict(best_fit().values)
            return [(spec, warm, i, start, stop, data_dir, force) for i, start, stop in missing]

        prestart(backend, (__name__,))
        # the workers receive the data sets built here (once, with one BLAS thread) when they start
        init = None if backend == "serial" else (_install_datasets, spec.setup, _datasets(spec.setup), data_dir, force)
        it = iter_tasks(
            _run_chunk,
            tasks,
            backend,
            n_workers,
            scheduler,
            n_tasks=len(missing),
            initializer=init,
            preload=(__name__,),
        )
        try:
            for res in it:
                if out is not None:
                    write_chunk(out, res)
                take(res)
                stage.update(n_done)
                if progress is not None:
                    progress(n_done)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    # the grid may reach below the global fit (another branch): refit from its lowest point
    best0 = best_fit()
    best = best0
    if chunk_best:
        gmin, gvals = min(chunk_best, key=lambda t: t[0])
        if gmin < best0.chi2 - 1e-6:
            with single_thread_blas():
                refit = _profiler(spec).lik.fit(start=gvals)
            best = refit if refit.chi2 <= gmin else FitResult(gvals, gmin, True, "lowest grid point")

    n_failed = int(np.isnan(chi2).sum())
    if n_failed:
        warnings.warn(
            f"the profiled fit failed at {n_failed} grid point(s) (chi2 = NaN, converged = False); "
            f"first: {failures[0][0] if failures else 'non-finite chi2'}",
            RuntimeWarning,
            stacklevel=2,
        )
    shape = spec.shape
    stats = {
        "backend": backend,
        "n_workers": None if backend == "serial" or scheduler is not None else n_workers,
        "scheduler": scheduler,
        "chunk_size": chunk_size,
        "n_chunks": n_chunks,
        "chunks_computed": len(missing),
        "chunks_reused": n_reused,
        "points_computed": int(sum(b - a for _, a, b in missing)),
        "points_failed": n_failed,
        "seconds": time.perf_counter() - t0,
    }
    return GridResult(spec, chi2.reshape(shape), conv.reshape(shape), best, best0, stats)


__all__ = [
    "BACKENDS",
    "BLOCK",
    "SPEC_FILE",
    "GridResult",
    "GridSpec",
    "adopt_data_dir",
    "global_fit",
    "grid_scan",
    "iter_tasks",
    "profile_point",
    "single_thread_blas",
]
