"""Expected sensitivity: the interval a limit would give if the data were what the Standard Model
predicts.

*Asimov* (Cowan, Cranmer, Gross & Vitells, EPJC 71 (2011) 1554): the SM truth -- every free
physics parameter at its SM value, fixed ones at their fixed values -- with the nuisances at their
best fit to the observed data at that point ("nuisances at their fitted values"); the data of
every data set replaced by its expected counts there and each nuisance prior centred on its fitted
value (:func:`cevnsfit.inference.toys.asimov`).  The same limit computed on these data is the
median expected interval: it contains the SM value (Delta chi^2 = 0 there), and on data that
are themselves an Asimov data set it equals the observed interval.

*Bands*: the median and the 68 % / 95 % ranges (+-1 sigma / +-2 sigma) of the limit over
pseudo-experiments drawn at the same truth (:func:`cevnsfit.inference.toys.generate`: Poisson or
Gaussian data, nuisance constraints fluctuated), each analysed like the data, run on a back-end of
:mod:`cevnsfit.inference.distributed` (serial, processes, dask).  Each pseudo-experiment has its
own random stream (seed, toy), so the bands do not depend on the back-end or the chunking.

A physicist comparing with a published limit sees at once whether a difference comes from the
data (observed against expected) or from the sensitivity (expected against the published one).
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..physics.parameters import Params
from .fit import Likelihood
from .progress import Stage, muted
from .toys import asimov, generate, toy_datasets

#: quantiles of the bands: median, +-1 sigma, +-2 sigma (two-sided Gaussian probabilities)
BAND_QUANTILES = {"-2sigma": 0.02275, "-1sigma": 0.15866, "median": 0.5, "+1sigma": 0.84134, "+2sigma": 0.97725}


def sm_truth(datasets, free: list[str], fixed: dict) -> tuple[Likelihood, dict]:
    """The likelihood of ``datasets`` with ``free`` physics parameters, and the truth of the
    expected sensitivity: the free parameters at their SM values (``fixed`` ones at theirs) and
    every nuisance at its best fit to the observed data there."""
    lik = Likelihood(list(datasets), poi=list(free), fixed=dict(fixed))
    sm = Params.sm()
    at_sm = {p: float(fixed.get(p, getattr(sm, p))) for p in free}
    fit = lik.fit(start=at_sm, fixed=at_sm) if free else lik.fit()
    return lik, {**at_sm, **fit.values}


def asimov_datasets(datasets, free: list[str], fixed: dict) -> list:
    """The data sets with their Asimov data at the SM truth (module docstring); templates shared."""
    lik, truth = sm_truth(datasets, free, fixed)
    return toy_datasets(lik, asimov(lik, truth), 0)


def expected_limit(setup, param: str, datasets, free: list[str], fixed: dict, **limit_kw) -> dict:
    """The Asimov expected counterpart of a 1D limit: ``expected_intervals``, ``expected_scan``
    ({grid, delta_chi2}), ``expected_best_fit`` and ``expected_warnings``, for merging into the
    observed result.  ``limit_kw`` are those of :func:`cevnsfit.inference.analysis.limit`."""
    from .analysis import limit

    data = asimov_datasets(datasets, free, fixed)
    res = limit(
        setup, param, datasets=data, expected=False, fixed=fixed, free=[p for p in free if p != param], **limit_kw
    )
    return {
        "expected_intervals": res["intervals"],
        "expected_scan": res["scan"],
        "expected_best_fit": res["best_fit"],
        "expected_warnings": res["warnings"],
    }


def _limit_of_toys(
    setup,
    param: str,
    free: tuple,
    fixed: tuple,
    truth: dict,
    seed: int,
    j0: int,
    j1: int,
    cl: float,
    n_points: int,
    scan_range,
    data_dir: str | None = None,
    force_data_dir: bool = False,
) -> dict:
    """Limits of pseudo-experiments [j0, j1) at ``truth`` (runs in a worker)."""
    from .analysis import limit
    from .backends import LOCK, adopt_data_dir, single_thread_blas
    from .distributed import _datasets

    adopt_data_dir(data_dir, force_data_dir)
    lo, hi = np.full(j1 - j0, np.nan), np.full(j1 - j0, np.nan)
    with LOCK, single_thread_blas(), muted():  # (counted by the caller, per pseudo-experiment)
        lik = Likelihood(list(_datasets(setup)), poi=list(free), fixed=dict(fixed))
        toys = generate(lik, truth, seed, 0, range(j0, j1))
        for r in range(j1 - j0):
            data = toy_datasets(lik, toys, r)
            try:
                res = limit(
                    setup,
                    param,
                    cl=cl,
                    n_points=n_points,
                    scan_range=scan_range,
                    refine=False,
                    datasets=data,
                    expected=False,
                    fixed=dict(fixed),
                    free=[p for p in free if p != param],
                )
            except Exception:  # a failed pseudo-experiment is left out (counted)
                continue
            if res["intervals"]:
                lo[r] = min(a for a, _ in res["intervals"])
                hi[r] = max(b for _, b in res["intervals"])
    return {"j0": j0, "lower": lo, "upper": hi}


def expected_bands(
    setup,
    param: str,
    n_toys: int,
    cl: float = 0.9,
    fixed=None,
    free=None,
    seed: int = 0,
    n_points: int = 31,
    scan_range=None,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 10,
    progress=None,
) -> dict:
    """Median and +-1/2 sigma of the limit on ``param`` over ``n_toys`` pseudo-experiments at the
    SM truth (module docstring).  Returns {"upper": {quantile name: value}, "lower": {...},
    "n_toys", "n_failed", "seed", "seconds"}; "upper" is the upper end of the highest allowed
    interval (the limit of a modulus), "lower" the lower end of the lowest one.  Each toy's limit is
    found on ``n_points`` scan points (without refinement of the crossings)."""
    from .analysis import physics_parameters
    from .backends import DATA_ENV, iter_tasks

    t0 = time.perf_counter()
    if isinstance(n_toys, bool) or int(n_toys) != n_toys or n_toys < 1:
        raise ValueError(f"the number of pseudo-experiments must be a positive integer, got {n_toys!r}")
    dss = setup.datasets()
    free_, fixed_ = physics_parameters([param], dss, setup.transitions, fixed, free)
    _, truth = sm_truth(dss, free_, fixed_)
    tasks = [
        (
            setup,
            param,
            tuple(free_),
            tuple(sorted(fixed_.items())),
            truth,
            int(seed),
            j0,
            min(j0 + chunk_size, int(n_toys)),
            cl,
            n_points,
            scan_range,
            os.environ.get(DATA_ENV),
            backend == "processes",
        )
        for j0 in range(0, int(n_toys), chunk_size)
    ]
    lower, upper = np.full(int(n_toys), np.nan), np.full(int(n_toys), np.nan)
    done = 0
    stage = Stage("limits of pseudo-experiments", int(n_toys))
    for res in iter_tasks(_limit_of_toys, tasks, backend, n_workers, scheduler):
        j0 = int(res["j0"])
        lower[j0 : j0 + res["lower"].size] = res["lower"]
        upper[j0 : j0 + res["upper"].size] = res["upper"]
        done += res["upper"].size
        stage.update(done)
        if progress is not None:
            progress(done)
    ok = np.isfinite(upper)

    def bands(v):
        return {k: float(np.quantile(v[ok], q)) for k, q in BAND_QUANTILES.items()} if ok.any() else {}

    return {
        "upper": bands(upper),
        "lower": bands(lower),
        "n_toys": int(n_toys),
        "n_failed": int((~ok).sum()),
        "seed": int(seed),
        "backend": backend,
        "seconds": time.perf_counter() - t0,
    }
