"""Coverage of Wilks and Feldman-Cousins intervals, measured with pseudo-experiments.

At a true value theta_0 (with the nuisances and the other free parameters at their best fit to
the observed data at theta_0), M pseudo-experiments are drawn (:mod:`cevnsfit.inference.toys`).
For each one, t(theta_0) = chi^2(theta_0, profiled) - chi^2_min is computed, and

* the Wilks interval covers theta_0 when t(theta_0) <= the chi^2 quantile (2.71 at 90 %);
* the Feldman-Cousins interval covers theta_0 when t(theta_0) <= c(theta_0), the CL quantile of
  t over K toys generated at theta_0 *with the nuisances fitted to that pseudo-experiment* -- the
  construction a physicist holding that pseudo-data set would run.  (With the true nuisances
  instead the coverage would be CL by construction; the plug-in of fitted nuisances is what the
  study tests.)

Pseudo-experiment m uses the random streams (seed, m) and its toys (seed, m, k) (point index
``m``, toy index offset by 1 so that they differ from the pseudo-data's); the work is split over
the back-ends of :mod:`cevnsfit.inference.distributed` in tasks of pseudo-experiments.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from .distributed import _DATA_ENV, _LOCK, adopt_data_dir, iter_tasks, single_thread_blas
from .neyman import Problem, critical_value
from .profile import delta_chi2_threshold
from .toys import fit_toys, generate, toy_likelihood


def _run_pseudo(
    problem: Problem,
    name: str,
    truth: dict,
    cl: float,
    n_toys: int,
    seed: int,
    m0: int,
    m1: int,
    data_dir: str | None = None,
    force: bool = False,
) -> dict:
    adopt_data_dir(data_dir, force)
    out: dict = {
        "m0": m0,
        "t": np.empty(m1 - m0),
        "crit": np.full(m1 - m0, np.nan),
        "best": np.empty(m1 - m0),
        "converged": np.zeros(m1 - m0, bool),
    }
    with _LOCK, single_thread_blas():
        lik = problem.likelihood()
        pseudo = generate(lik, truth, seed, 0, range(m0, m1))
        fixed = {name: truth[name]}
        r = fit_toys(lik, pseudo, fixed, [dict(truth)])
        out["t"][:] = np.maximum(r["chi2_fixed"] - r["chi2_min"], 0.0)
        out["best"][:] = r["best"][:, 0]
        out["converged"][:] = r["converged"]
        if n_toys:
            for j in range(m1 - m0):
                # the nuisances fitted to this pseudo-experiment at the truth: the toys' generator
                tl = toy_likelihood(lik, pseudo, j)
                at = tl.fit(start=dict(truth), fixed=fixed)
                gen = {**at.values, **fixed}
                toys = generate(lik, gen, seed, 1 + m0 + j, range(n_toys))
                rt = fit_toys(lik, toys, fixed, [gen])
                out["crit"][j] = critical_value(np.maximum(rt["chi2_fixed"] - rt["chi2_min"], 0.0), cl)
    return out


def coverage(
    source,
    param: str,
    truth: float,
    cl: float = 0.9,
    n_pseudo: int = 200,
    n_toys: int = 200,
    seed: int = 0,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 10,
) -> dict:
    """Coverage of the Wilks and FC intervals of ``param`` at ``truth`` (module docstring);
    ``n_toys = 0`` measures Wilks only.  Returns the fractions with their binomial errors."""
    from .feldman_cousins import problem_for
    from .fit import Likelihood

    t0 = time.perf_counter()
    problem, dss = problem_for(source, [param])
    lik = Likelihood(dss, poi=list(problem.poi))
    at = lik.fit(start={param: truth}, fixed={param: truth})
    gen = {**at.values, param: float(truth)}
    tasks = [
        (
            problem,
            param,
            gen,
            cl,
            int(n_toys),
            int(seed),
            m0,
            min(m0 + chunk_size, n_pseudo),
            os.environ.get(_DATA_ENV),
            backend == "processes",
        )
        for m0 in range(0, n_pseudo, chunk_size)
    ]
    t = np.empty(n_pseudo)
    crit = np.empty(n_pseudo)
    best = np.empty(n_pseudo)
    conv = np.zeros(n_pseudo, bool)
    for res in iter_tasks(_run_pseudo, tasks, backend, n_workers, scheduler):
        sl = slice(res["m0"], res["m0"] + res["t"].size)
        t[sl], crit[sl], best[sl], conv[sl] = res["t"], res["crit"], res["best"], res["converged"]
    wilks = delta_chi2_threshold(cl, 1)

    def frac(k):
        p = k / n_pseudo
        return {"coverage": p, "error": math.sqrt(max(p * (1 - p), 1.0 / n_pseudo) / n_pseudo), "covered": int(k)}

    out = {
        "param": param,
        "truth": float(truth),
        "cl": cl,
        "n_pseudo": int(n_pseudo),
        "n_toys": int(n_toys),
        "seed": int(seed),
        "wilks": frac(int(np.sum(t <= wilks))),
        "wilks_delta_chi2": wilks,
        "generating_values": gen,
        "fits_failed": int((~conv).sum()),
        "seconds": 0.0,
    }
    if n_toys:
        from .feldman_cousins import TIE

        out["fc"] = frac(int(np.sum(t <= crit + TIE)))
        out["mean_critical_delta_chi2"] = float(np.nanmean(crit))
    out["seconds"] = time.perf_counter() - t0
    return out
