"""Feldman-Cousins intervals (1D) and regions (2D) with nuisances profiled, from pseudo-experiments.

Feldman & Cousins, PRD 57 (1998) 3873, with the profile-likelihood ordering and toys at the
best-fit nuisances of each tested point (:mod:`cevnsfit.inference.neyman`).  The physical region
is respected by construction: moduli (magnetic moments, transition parameters) are scanned and
fitted at >= 0, normalisations at >= -1 (no negative event count), so an interval never contains
an unphysical value, and near a boundary it turns from an upper limit into a two-sided interval
without the flip-flopping of a choice made after seeing the data.

The tested parameter is a physics parameter (``mu_e``, ``r2_ee``, ``sin2w``, ...) or a nuisance of
a data set named ``"<data set>.<nuisance>"`` (e.g. ``csi2017.eta_cevns``, the CsI 2017 CEvNS
normalisation when the option ``csi2017_signal=free`` removes its prior).  The other parameters of
the same family that the data sets measure float, as in the Wilks analyses
(:func:`cevnsfit.inference.analysis.free_parameters`).

Results are JSON-able dicts with the Wilks intervals of the same scan beside the FC ones, the
critical value of every tested point (with its Monte-Carlo 68 % range), and the toy statistics'
bookkeeping (back-end, seed, time).
"""

from __future__ import annotations

import time

import numpy as np

from ..physics.parameters import UNITS, Params
from .analysis import Setup, modulus_only
from .critical_smoothing import MAX_SHIFT, WIDTH, mc_error, smooth_critical
from .fit import Likelihood, default_limits
from .neyman import Problem, critical_value, critical_value_band, neyman_scan
from .profile import Profiler, delta_chi2_threshold, intervals_from_scan

#: observed and toy statistics equal to this (absolute, in chi^2) count as ties, which are
#: accepted as in the discrete construction of Feldman & Cousins (the same counts give the same
#: statistic up to the minimiser's tolerance)
TIE = 1e-5
#: how critical values are regularised across tested points (:mod:`.critical_smoothing`)
SMOOTHING = {"method": "local-linear", "width_grid_steps": WIDTH, "max_shift_mc_errors": MAX_SHIFT}


def is_nuisance(name: str) -> bool:
    return "." in name


def problem_for(source, params, transitions: bool | None = None, fixed=None, free=None) -> tuple[Problem, list]:
    """The :class:`Problem` of testing ``params`` (physics or "<data set>.<nuisance>" names) on
    ``source`` (a :class:`Setup` or a list of data sets), and its data sets.  Which physics
    parameters float is decided as for Wilks (:func:`cevnsfit.inference.analysis.physics_parameters`):
    the tested ones and the others of their families that the data measure, minus ``fixed``
    ({name: value or "sm"}, held at that value), plus ``free`` (names)."""
    from .analysis import physics_parameters

    if isinstance(source, Setup):
        dss = source.datasets()
        transitions = source.transitions if transitions is None else transitions
    else:
        dss = list(source)
        source = tuple(dss)
    phys = [p for p in params if not is_nuisance(p)]
    for p in params:
        if is_nuisance(p):
            d, n = p.split(".", 1)
            names = {x.name: [u.name for u in x.nuisances] for x in dss}
            if d not in names or n not in names[d]:
                allowed = ", ".join(f"{k}.{v}" for k, vs in names.items() for v in vs)
                raise ValueError(f"{p!r} is not a nuisance of the data sets; allowed: {allowed}")
        elif p not in Params.names():
            raise ValueError(f"unknown parameter {p!r}; allowed: {', '.join(Params.names())}")
    poi, fx = physics_parameters(phys, dss, bool(transitions), fixed, free)
    return Problem(source, tuple(poi), tuple(sorted(fx.items()))), dss


def likelihood_of(problem: Problem, dss) -> Likelihood:
    """The likelihood of ``problem`` on the built data sets ``dss`` (its free parameters, the fixed
    ones at their values)."""
    return Likelihood(dss, poi=list(problem.poi), fixed=dict(problem.fixed))


def result_options(source, dss, problem: Problem, free=None) -> dict:
    """The model choices of a result (JSON-able), with the fixed and freed physics parameters."""
    out = source.options() if isinstance(source, Setup) else {"data": [d.name for d in dss]}
    if problem.fixed:
        out["fixed"] = dict(problem.fixed)
    if free:
        out["free"] = list(free)
    return out


def lower_bound(lik: Likelihood, name: str) -> float | None:
    """Physical lower end of a tested parameter (modulus >= 0, normalisation >= -1)."""
    if is_nuisance(name):
        lo = lik.limits(name)[0]
        return None if lo is None else float(lo)
    if modulus_only(name):
        return 0.0
    lo = default_limits(name)[0]
    return None if lo is None else float(lo)


def bracket(prof: Profiler, name: str, level: float, lo_phys: float | None, scale: float) -> tuple[float, float]:
    """Scan range: step out from the best fit (``scale``, doubling) until Delta chi^2 > level, on
    both sides (or to the physical lower end)."""
    best = prof.best.values[name]
    ends = []
    for direction in (-1.0, 1.0):
        h, x = scale, best
        for _ in range(60):
            x = best + direction * h
            if lo_phys is not None and x <= lo_phys:
                x = lo_phys
                break
            if prof.profile_at({name: x}).chi2 - prof.best.chi2 > level:
                break
            h *= 2.0
        ends.append(x)
    return ends[0], ends[1]


def observed_profile(prof: Profiler, names, points: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Profiled chi^2 and the best-fit values (the toys' generating point) at every point, each
    fit warm-started from its neighbour in the order given and from the global best fit."""
    chi2 = np.empty(len(points))
    values = []
    warm = dict(prof.best.values)
    for i, pt in enumerate(points):
        fixed = dict(zip(names, map(float, pt), strict=True))
        r = prof.profile_at(fixed, warm)
        r2 = prof.profile_at(fixed, prof.best.values)
        if r2.chi2 < r.chi2:
            r = r2
        warm = r.values
        chi2[i] = r.chi2
        values.append({**r.values, **fixed})
    return chi2, values


def _ordered(n: int, i0: int) -> list[int]:
    """Indices walking outwards from i0 (right, then left), for warm starts."""
    return list(range(i0, n)) + list(range(i0 - 1, -1, -1))


def profile_scan(
    source, param: str, cl: float = 0.9, n_points: int = 40, scan_range=None, grid=None, fixed=None, free=None
) -> dict:
    """The observed profile of ``param`` on the tested grid (the first half of :func:`fc_limit`,
    and the Wilks interval of a tested nuisance): ``grid``, ``delta`` (Delta chi^2), ``gens``
    (the best-fit values at each point: the toys' generating points), ``best``, ``chi2_min``,
    ``problem``, ``data sets`` and the physical lower end ``lo_phys``.  ``fixed``/``free``: see
    :func:`problem_for`."""
    if not (0.0 < cl < 1.0):
        raise ValueError(f"confidence level must lie in (0, 1), got {cl}")
    problem, dss = problem_for(source, [param], fixed=fixed, free=free)
    lik = likelihood_of(problem, dss)
    prof = Profiler(lik)
    best = prof.global_fit()
    wilks = delta_chi2_threshold(cl, 1)
    lo_phys = lower_bound(lik, param)
    if grid is not None:
        grid = np.unique(np.asarray(grid, float))
    else:
        if scan_range is None:
            from .analysis import R2_DIAG_RANGE, family

            if not is_nuisance(param) and family(param) == "r2" and param.split("_")[1] not in ("emu", "etau", "mutau"):
                scan_range = R2_DIAG_RANGE
            else:
                scale = {"sin2w": 0.005, "mu": 0.2, "r2": 0.5, "q": 1e-13}.get(param.split("_")[0], 0.05)
                scan_range = bracket(prof, param, max(2.0 * wilks, wilks + 3.0), lo_phys, scale)
        lo, hi = map(float, scan_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"scan range must be finite with high > low, got {scan_range}")
        if lo_phys is not None:
            lo = max(lo, lo_phys)
        grid = np.linspace(lo, hi, int(n_points))
    if lo_phys is not None and grid[0] < lo_phys:
        raise ValueError(f"{param} cannot be below {lo_phys:g}: the scan grid starts at {grid[0]:g}")
    i0 = int(np.argmin(np.abs(grid - best.values[param])))
    order = _ordered(grid.size, i0)
    chi2_o, gens_o = observed_profile(prof, [param], grid[order, None])
    chi2 = np.empty(grid.size)
    gens: list = [None] * grid.size
    chi2[order] = chi2_o
    for k, i in enumerate(order):
        gens[i] = gens_o[k]
    if chi2.min() < prof.best.chi2:
        prof.best = lik.fit(start=gens[int(np.argmin(chi2))])
        best = prof.best
    chi2_min = min(best.chi2, float(chi2.min()))
    return {
        "grid": grid,
        "delta": chi2 - chi2_min,
        "gens": gens,
        "best": best,
        "chi2_min": chi2_min,
        "problem": problem,
        "datasets": dss,
        "lo_phys": lo_phys,
        "wilks": wilks,
    }


def wilks_scan_limit(
    source, param: str, cl: float = 0.9, n_points: int = 61, scan_range=None, fixed=None, free=None
) -> dict:
    """Wilks interval(s) from :func:`profile_scan` (for tested nuisances, which
    :func:`cevnsfit.inference.analysis.limit` does not take)."""
    t0 = time.perf_counter()
    ps = profile_scan(source, param, cl, n_points, scan_range, fixed=fixed, free=free)
    grid, delta = ps["grid"], ps["delta"]
    return {
        "method": "wilks",
        "param": param,
        "unit": UNITS.get(param, ""),
        "cl": cl,
        "delta_chi2": ps["wilks"],
        "best_fit": ps["best"].values[param],
        "chi2_min": ps["chi2_min"],
        "intervals": intervals_from_scan(grid, delta, ps["wilks"]),
        "converged": bool(ps["best"].converged),
        "profiled": [p for p in ps["problem"].poi if p != param],
        "scan": {"grid": grid.tolist(), "delta_chi2": delta.tolist()},
        "options": result_options(source, ps["datasets"], ps["problem"], free),
        "warnings": [],
        "seconds": time.perf_counter() - t0,
    }


def fc_limit(
    source,
    param: str,
    cl: float = 0.9,
    n_toys: int = 1000,
    n_points: int = 40,
    scan_range=None,
    seed: int = 0,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 250,
    out_dir=None,
    progress=None,
    grid=None,
    fixed=None,
    free=None,
    smooth: bool = True,
) -> dict:
    """Feldman-Cousins interval(s) of ``param`` at ``cl`` (see the module docstring).

    ``source``: a :class:`Setup` or a list of data sets; ``n_points`` tested values over
    ``scan_range`` (default: where the observed Delta chi^2 stays below max(2 x Wilks, Wilks + 3))
    or the explicit ``grid``; ``n_toys`` pseudo-experiments per value; the back-end arguments as in
    :func:`cevnsfit.inference.distributed.grid_scan`; ``fixed``/``free`` as for Wilks
    (:func:`problem_for`).  With ``smooth`` (default) the critical values are regularised across
    the tested values (:mod:`cevnsfit.inference.critical_smoothing`: Monte-Carlo noise cannot
    create interval pieces); the raw ones and the intervals they give are kept in the result.
    """
    t0 = time.perf_counter()
    ps = profile_scan(source, param, cl, n_points, scan_range, grid, fixed=fixed, free=free)
    grid, delta, gens, best, chi2_min = ps["grid"], ps["delta"], ps["gens"], ps["best"], ps["chi2_min"]
    problem, dss, lo_phys, wilks = ps["problem"], ps["datasets"], ps["lo_phys"], ps["wilks"]
    toys = neyman_scan(
        problem, (param,), gens, n_toys, seed, backend, n_workers, scheduler, chunk_size, out_dir, progress
    )
    raw = np.array([critical_value(t, cl) for t in toys["t"]])
    band = np.array([critical_value_band(t, cl) for t in toys["t"]])
    crit = smooth_critical(grid, raw, np.array([mc_error(t, cl) for t in toys["t"]])) if smooth else raw
    pval = np.array([np.mean(t[np.isfinite(t)] >= d) for t, d in zip(toys["t"], delta, strict=True)])
    fc = intervals_from_scan(grid, delta - crit, TIE)
    wi = intervals_from_scan(grid, delta, wilks)
    warnings_ = []
    for a, b in fc:
        if (a <= grid[0] and (lo_phys is None or grid[0] > lo_phys)) or b >= grid[-1]:
            warnings_.append(
                f"an FC interval [{a:.4g}, {b:.4g}] reaches the edge of the tested range "
                f"[{grid[0]:.4g}, {grid[-1]:.4g}]"
            )
    if toys["stats"]["toys_failed"]:
        warnings_.append(f"{toys['stats']['toys_failed']} pseudo-experiment fit(s) did not converge")
    unit = UNITS.get(param, "")
    return {
        "method": "fc",
        "param": param,
        "unit": unit,
        "cl": cl,
        "best_fit": best.values[param],
        "chi2_min": chi2_min,
        "intervals": fc,
        "wilks_intervals": wi,
        "wilks_delta_chi2": wilks,
        "scan": {
            "grid": grid.tolist(),
            "delta_chi2": delta.tolist(),
            "critical_delta_chi2": crit.tolist(),
            "critical_delta_chi2_raw": raw.tolist(),
            "critical_band": band.tolist(),
            "p_value": pval.tolist(),
        },
        "smoothing": SMOOTHING if smooth else None,
        "intervals_unsmoothed": intervals_from_scan(grid, delta - raw, TIE) if smooth else fc,
        "profiled": [p for p in problem.poi if p != param],
        "n_toys": int(n_toys),
        "seed": int(seed),
        "options": result_options(source, dss, problem, free),
        "toys": toys["stats"],
        "warnings": warnings_,
        "seconds": time.perf_counter() - t0,
    }


def fc_contour(
    source,
    px: str,
    py: str,
    cl: float = 0.9,
    n_toys: int = 500,
    n: int = 15,
    x_range=None,
    y_range=None,
    seed: int = 0,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 250,
    out_dir=None,
    progress=None,
    fixed=None,
    free=None,
    smooth: bool = True,
) -> dict:
    """Feldman-Cousins region of two parameters at ``cl`` on an n x n grid (the 2D option: e.g.
    the (mu_e, mu_mu) contour); the Wilks region (4.61 at 90 %) of the same scan beside it."""
    t0 = time.perf_counter()
    if px == py:
        raise ValueError("a contour needs two different parameters")
    problem, dss = problem_for(source, [px, py], fixed=fixed, free=free)
    lik = likelihood_of(problem, dss)
    prof = Profiler(lik)
    best = prof.global_fit()
    wilks = delta_chi2_threshold(cl, 2)
    axes = []
    for p, r in ((px, x_range), (py, y_range)):
        lo_phys = lower_bound(lik, p)
        if r is None:
            scale = {"sin2w": 0.005, "mu": 0.2, "r2": 0.5, "q": 1e-13}.get(p.split("_")[0], 0.05)
            r = bracket(prof, p, 2.0 * wilks, lo_phys, scale)
        lo, hi = map(float, r)
        if lo_phys is not None:
            lo = max(lo, lo_phys)
        axes.append(np.linspace(lo, hi, int(n)))
    x, y = axes
    # serpentine order for warm starts
    pts, idx = [], []
    for j in range(y.size):
        for i in range(x.size) if j % 2 == 0 else range(x.size - 1, -1, -1):
            pts.append((x[i], y[j]))
            idx.append((j, i))
    chi2_o, gens = observed_profile(prof, [px, py], np.array(pts))
    chi2_min = min(best.chi2, float(chi2_o.min()))
    toys = neyman_scan(
        problem, (px, py), gens, n_toys, seed, backend, n_workers, scheduler, chunk_size, out_dir, progress
    )
    delta = np.empty((y.size, x.size))
    raw = np.empty_like(delta)
    sig = np.empty_like(delta)
    for k, (j, i) in enumerate(idx):
        delta[j, i] = chi2_o[k] - chi2_min
        raw[j, i] = critical_value(toys["t"][k], cl)
        sig[j, i] = mc_error(toys["t"][k], cl)
    if smooth:
        X, Y = np.meshgrid(x, y)
        crit = smooth_critical(np.c_[X.ravel(), Y.ravel()], raw.ravel(), sig.ravel()).reshape(raw.shape)
    else:
        crit = raw
    return {
        "method": "fc",
        "params": [px, py],
        "units": [UNITS.get(px, ""), UNITS.get(py, "")],
        "cl": cl,
        "x": x.tolist(),
        "y": y.tolist(),
        "delta_chi2": delta.tolist(),
        "critical_delta_chi2": crit.tolist(),
        "critical_delta_chi2_raw": raw.tolist(),
        "smoothing": SMOOTHING if smooth else None,
        "accepted": (delta <= crit + TIE).tolist(),
        "wilks_accepted": (delta <= wilks).tolist(),
        "wilks_delta_chi2": wilks,
        "best_fit": {px: best.values[px], py: best.values[py]},
        "chi2_min": chi2_min,
        "profiled": [p for p in problem.poi if p not in (px, py)],
        "n_toys": int(n_toys),
        "seed": int(seed),
        "options": result_options(source, dss, problem, free),
        "toys": toys["stats"],
        "warnings": [],
        "seconds": time.perf_counter() - t0,
    }
