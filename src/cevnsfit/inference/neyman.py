"""Neyman constructions with pseudo-experiments: the machinery behind Feldman-Cousins intervals.

For every tested point theta_i (one or two parameters) the test statistic is the profile
likelihood ratio t(theta) = chi^2(theta, nuisances profiled) - chi^2_min, the global minimum
taken over the physical region only (Feldman & Cousins, PRD 57 (1998) 3873: likelihood-ratio
ordering; with nuisances profiled in each pseudo-experiment, the "profile construction" of
Cranmer (CERN-2008-001) and of the LHC and neutrino-oscillation practice).  Pseudo-experiments
are drawn at theta_i with the nuisances (and the other free physics parameters) at their best fit
to the observed data at theta_i (:mod:`cevnsfit.inference.toys`), and each is fitted twice:
at theta_i and globally.  The critical value c_i is the CL quantile of their t (the smallest value
whose empirical CDF reaches CL -- the discrete construction of Feldman & Cousins), and theta_i is
accepted when the observed t(theta_i) <= c_i.  Wilks' theorem is the special case c_i = the chi^2
quantile (2.71 for one parameter at 90 %).

:func:`neyman_scan` runs the pseudo-experiments on a back-end of
:mod:`cevnsfit.inference.distributed` (serial, processes, dask), in tasks of ``chunk_size`` toys of
one point.  Each toy has its own random stream (seed, point, toy), and every fit of a toy starts
from the same values whatever the task, so the result is bitwise identical across back-ends,
numbers of workers and chunkings.  With ``out_dir`` every finished task is written atomically
(``toys_<point>_<first toy>.npz``, beside ``spec.json`` with a fingerprint of the construction):
a rerun computes only the missing tasks; a different construction in the same directory is an
error.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .distributed import (
    _DATA_ENV,
    _LOCK,
    _atomic_write_bytes,
    _atomic_write_text,
    _datasets,
    adopt_data_dir,
    iter_tasks,
    single_thread_blas,
)
from .fit import Likelihood
from .progress import Stage
from .toys import fit_toys, generate

FORMAT = 1


@dataclass(frozen=True)
class Problem:
    """What the pseudo-experiments fit: the data sets (an analysis :class:`Setup`, rebuilt in each
    worker, or the data-set objects themselves), the free physics parameters ``poi`` (tested ones
    and profiled ones) and the fixed physics values ``fixed``."""

    source: Any  # Setup or tuple of DataSets
    poi: tuple[str, ...]
    fixed: tuple[tuple[str, float], ...] = ()

    def datasets(self) -> list:
        from .analysis import Setup

        if isinstance(self.source, Setup):
            return list(_datasets(self.source))
        return list(self.source)

    def likelihood(self) -> Likelihood:
        return Likelihood(self.datasets(), poi=list(self.poi), fixed=dict(self.fixed))

    def describe(self) -> dict:
        from .analysis import Setup

        if isinstance(self.source, Setup):
            src = self.source.to_dict()
        else:
            src = {
                "datasets": [d.name for d in self.source],
                "observed_sha256": [
                    hashlib.sha256(np.asarray(d.observed, float).tobytes()).hexdigest() for d in self.source
                ],
            }
        return {"source": src, "poi": list(self.poi), "fixed": dict(self.fixed)}


def critical_value(t: np.ndarray, cl: float) -> float:
    """Smallest toy statistic whose empirical CDF reaches ``cl`` (failed toys, NaN, left out)."""
    t = np.sort(t[np.isfinite(t)])
    if t.size == 0:
        return float("nan")
    k = int(np.ceil(cl * t.size)) - 1
    return float(t[max(k, 0)])


def critical_value_band(t: np.ndarray, cl: float) -> tuple[float, float]:
    """68 % Monte-Carlo range of the critical value from the binomial spread of the order
    statistic (k +- sqrt(N cl (1 - cl)))."""
    t = np.sort(t[np.isfinite(t)])
    n = t.size
    if n == 0:
        return float("nan"), float("nan")
    k = cl * n
    d = np.sqrt(n * cl * (1 - cl))
    lo, hi = int(np.clip(np.ceil(k - d) - 1, 0, n - 1)), int(np.clip(np.ceil(k + d) - 1, 0, n - 1))
    return float(t[lo]), float(t[hi])


def _run_toys(
    problem: Problem,
    names: tuple,
    point: int,
    gen: dict,
    starts: list,
    seed: int,
    j0: int,
    j1: int,
    data_dir: str | None = None,
    force_data_dir: bool = False,
) -> dict:
    """Pseudo-experiments [j0, j1) of point ``point`` generated at ``gen``; their statistic."""
    adopt_data_dir(data_dir, force_data_dir)
    with _LOCK, single_thread_blas():
        lik = problem.likelihood()
        toys = generate(lik, gen, seed, point, range(j0, j1))
        fixed = {n: gen[n] for n in names}
        r = fit_toys(lik, toys, fixed, starts)
    t = np.maximum(r["chi2_fixed"] - r["chi2_min"], 0.0)
    return {"point": point, "j0": j0, "t": t, "best": r["best"], "converged": r["converged"]}


def _task_path(out: Path, point: int, j0: int) -> Path:
    return out / f"toys_{point}_{j0}.npz"


def neyman_scan(
    problem: Problem,
    names: tuple[str, ...],
    gens: list[dict],
    n_toys: int,
    seed: int = 0,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 250,
    out_dir=None,
    progress=None,
) -> dict:
    """Toy statistics at every point: ``gens[i]`` holds the generating values of point i (the tested
    ``names`` and every profiled parameter and nuisance).  Returns ``t`` (n_points, n_toys),
    ``best`` (n_points, n_toys, len(names)), ``converged`` and ``stats``."""
    t0 = time.perf_counter()
    if isinstance(n_toys, bool) or int(n_toys) != n_toys or n_toys < 1:
        raise ValueError(f"the number of toys must be a positive integer, got {n_toys!r}")
    if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    n_toys, chunk_size = int(n_toys), int(chunk_size)
    npts = len(gens)
    t = np.full((npts, n_toys), np.nan)
    best = np.full((npts, n_toys, len(names)), np.nan)
    conv = np.zeros((npts, n_toys), bool)
    out = Path(out_dir) if out_dir is not None else None
    spec = {
        "format": FORMAT,
        "problem": problem.describe(),
        "names": list(names),
        "gens": gens,
        "n_toys": n_toys,
        "seed": int(seed),
        "chunk_size": chunk_size,
    }
    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True, default=float).encode()).hexdigest()
    if out is not None:
        if out.exists() and not out.is_dir():
            raise ValueError(f"out_dir {out} exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        head = out / "spec.json"
        if head.exists():
            try:
                stored = json.loads(head.read_text())["fingerprint"]
            except (ValueError, KeyError):
                raise ValueError(f"{head} is not a pseudo-experiment header; use an empty directory") from None
            if stored != fingerprint:
                raise ValueError(
                    f"out_dir {out} holds pseudo-experiments of a different construction; "
                    "use another directory or remove it"
                )
        else:
            if any(out.glob("toys_*.npz")):
                raise ValueError(f"out_dir {out} holds toy files but no spec.json; use an empty directory")
            _atomic_write_text(head, json.dumps({"fingerprint": fingerprint, **spec}, indent=1, default=float))
    done = 0

    def take(res):
        nonlocal done
        i, j0 = int(res["point"]), int(res["j0"])
        j1 = j0 + res["t"].size
        t[i, j0:j1], best[i, j0:j1], conv[i, j0:j1] = res["t"], res["best"], res["converged"]
        done += j1 - j0

    tasks = []
    starts_of = []
    for i, g in enumerate(gens):
        starts_of.append([dict(g)])
        for j0 in range(0, n_toys, chunk_size):
            j1 = min(j0 + chunk_size, n_toys)
            if out is not None and _task_path(out, i, j0).exists():
                try:
                    with np.load(_task_path(out, i, j0)) as z:
                        res = {k: z[k] for k in ("point", "j0", "t", "best", "converged")}
                    if res["t"].size == j1 - j0:
                        take(res)
                        continue
                except Exception:  # unreadable: recompute
                    pass
            tasks.append(
                (
                    problem,
                    tuple(names),
                    i,
                    dict(g),
                    starts_of[i],
                    int(seed),
                    j0,
                    j1,
                    os.environ.get(_DATA_ENV),
                    backend == "processes",
                )
            )
    n_reused = done
    stage = Stage("pseudo-experiments", npts * n_toys)
    stage.update(done)
    if progress is not None:
        progress(done)
    it = iter_tasks(_run_toys, tasks, backend, n_workers, scheduler)
    try:
        for res in it:
            if out is not None:
                arrays = {k: np.asarray(res[k]) for k in ("point", "j0", "t", "best", "converged")}
                _atomic_write_bytes(
                    _task_path(out, int(res["point"]), int(res["j0"])), lambda fh, a=arrays: np.savez(fh, **a)
                )
            take(res)
            stage.update(done)
            if progress is not None:
                progress(done)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    stats = {
        "backend": backend,
        "n_workers": None if backend == "serial" else (n_workers or os.cpu_count()),
        "n_points": npts,
        "n_toys": n_toys,
        "chunk_size": chunk_size,
        "tasks_computed": len(tasks),
        "toys_reused": n_reused,
        "toys_failed": int((~conv).sum()),
        "seed": int(seed),
        "seconds": time.perf_counter() - t0,
    }
    return {"t": t, "best": best, "converged": conv, "stats": stats}
