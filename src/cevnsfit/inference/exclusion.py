"""Exclusion curves of a light mediator in the (mass, coupling) plane.

For every mass m of a grid the coupling g is scanned with the mass fixed and every nuisance
profiled, and the allowed intervals at confidence level CL are those where

    Delta chi^2(g; m) = chi^2(g; m) - min_g chi^2(g; m) <= chi^2_1dof(CL)      (2.71 at 90 %)

-- a raster scan: one degree of freedom at each mass, the convention of the light-mediator
literature (e.g. Cadeddu et al., JHEP 01 (2021) 116; Coloma et al., JHEP 05 (2022) 037).  The
exclusion curve is the upper end of the allowed interval that starts at g = 0.

At fixed mass the counts are a polynomial in u = g^2 (the Z' amplitude is linear in g^2; the
scalar rate is g^4), so the scan runs on a grid uniform in u.  A vector mediator whose charges
interfere destructively with the SM (the universal model: the Z' shift has the sign of the proton
coupling and the opposite sign of the dominant neutron one) has a second allowed region where the
coherent amplitude has changed sign and returned to its SM size; at fixed mass the total signal
of a data set is N(u) = a + b u + c u^2, so it returns to the SM count at u* = -b/c, and the grid
is refined around every such u* so that an island is seen and reported.
"""

from __future__ import annotations

import time

import numpy as np

from ..physics.parameters import UNITS
from .fit import Likelihood
from .profile import Profiler, delta_chi2_threshold, intervals_from_scan

#: mass parameter of each coupling
MASS_OF = {"g_zp": "m_zp", "g_phi": "m_phi"}


def _fixed_point_rate(datasets, coupling: str, base: dict, u: float) -> np.ndarray:
    from ..physics.parameters import Params

    p = Params.from_dict({**base, coupling: float(np.sqrt(u))})
    return np.array([float(np.sum(d.expected(p))) for d in datasets])


def sm_return_points(datasets, coupling: str, base: dict, u_scale: float) -> list[float]:
    """Couplings^2 u* > 0 where a data set's total expected count returns to its value at u = 0
    (N(u) = a + b u + c u^2 exactly, from three evaluations at the nominal nuisances)."""
    n0 = _fixed_point_rate(datasets, coupling, base, 0.0)
    n1 = _fixed_point_rate(datasets, coupling, base, u_scale)
    n2 = _fixed_point_rate(datasets, coupling, base, 2.0 * u_scale)
    c = (n2 - 2.0 * n1 + n0) / (2.0 * u_scale**2)
    b = (n1 - n0) / u_scale - c * u_scale
    out = []
    for bb, cc in zip(b, c):
        if cc > 0 and bb < 0:
            out.append(float(-bb / cc))
    return out


def _bracket(prof: Profiler, coupling: str, level: float, u0: float) -> float:
    """A u above the first excluded point: double u0 until Delta chi^2 > level (halve back if the
    first guess is already far above)."""
    best = prof.best.chi2

    def excluded(u):
        return prof.profile_at({coupling: float(np.sqrt(u))}).chi2 - best > level

    u = u0
    if excluded(u):
        for _ in range(40):
            if not excluded(u / 2.0):
                return u
            u /= 2.0
        return u
    for _ in range(80):
        u *= 2.0
        if excluded(u):
            return u
    return u


def mass_scan(datasets, coupling: str, masses, cl: float = 0.9, fixed: dict | None = None, free=(),
              n_grid: int = 17, u_start: float = 1e-10) -> dict:
    """Allowed intervals of ``coupling`` at each mass of ``masses`` (its mass parameter fixed),
    nuisances and the parameters ``free`` profiled; see the module docstring.  Returns
    ``{"masses", "upper", "intervals", "chi2_min", "converged"}``."""
    if coupling not in MASS_OF:
        raise ValueError(f"an exclusion curve needs a mediator coupling ({', '.join(MASS_OF)}), got {coupling!r}")
    mass = MASS_OF[coupling]
    level = delta_chi2_threshold(cl, 1)
    masses = np.asarray(masses, float)
    if masses.ndim != 1 or masses.size < 1 or np.any(~np.isfinite(masses)) or np.any(masses <= 0):
        raise ValueError("masses must be a non-empty list of positive numbers [MeV]")
    fixed = dict(fixed or {})
    upper, intervals, chi2_min, conv = [], [], [], []
    u_guess = u_start
    prev_m = None
    for m in masses:
        base = {**fixed, mass: float(m)}
        lik = Likelihood(datasets, poi=[coupling, *free], fixed=base)
        prof = Profiler(lik)
        best = prof.global_fit()
        if prev_m is not None:
            # the limit scales as (|q|^2 + m^2): follow it from the previous mass
            q2 = 100.0**2
            u_guess = max(u_guess * (q2 + m * m) / (q2 + prev_m * prev_m), 1e-16)
        u_hi = _bracket(prof, coupling, level, u_guess)
        grid_u = list(np.linspace(0.0, 2.0 * u_hi, n_grid))
        for us in sm_return_points(datasets, coupling, base, u_hi):
            if us < 50.0 * u_hi:
                grid_u += list(us * np.linspace(0.8, 1.2, 13))
                grid_u += [1.4 * us]
        grid_u = np.unique(np.asarray(grid_u))
        grid = np.sqrt(grid_u)
        scan = prof.scan(coupling, grid)
        delta = scan.chi2 - prof.best.chi2

        def refine(a, b, prof=prof):
            return prof.refine_crossing(coupling, a, b, level, prof.best.values, n_iter=6)

        iv = intervals_from_scan(grid, delta, level, refine)
        first = next((b for a, b in iv if a <= grid[0] + 1e-30), iv[0][1] if iv else float("nan"))
        upper.append(float(first))
        intervals.append(iv)
        chi2_min.append(float(prof.best.chi2))
        conv.append(bool(prof.best.converged and np.all(scan.converged)))
        if np.isfinite(first) and first > 0:
            u_guess = first**2
        prev_m = m
    return {"masses": masses.tolist(), "upper": upper, "intervals": intervals, "chi2_min": chi2_min,
            "converged": conv}


def exclusion(setup, coupling: str, masses, cl: float = 0.9, fixed: dict | None = None, free=None,
              each: bool = True, n_grid: int = 17) -> dict:
    """Exclusion curves of ``coupling`` over ``masses`` [MeV] for the combined data sets of
    ``setup`` and, with ``each``, for every data set alone (the same model options): a JSON-able
    dict with one curve per data-set combination."""
    from .analysis import physics_parameters, subsetup

    t0 = time.perf_counter()
    combos = [tuple(setup.data)]
    if each and len(setup.data) > 1:
        combos = [(n,) for n in setup.data] + combos
    curves = []
    for combo in combos:
        s = subsetup(setup, combo)
        dss = s.datasets()
        others, fixed_values = physics_parameters([coupling], dss, s.transitions, fixed, free)
        if MASS_OF[coupling] in fixed_values:
            raise ValueError(f"the exclusion curve scans {MASS_OF[coupling]}: it cannot also be fixed")
        t1 = time.perf_counter()
        res = mass_scan(dss, coupling, masses, cl, fixed_values, [p for p in others if p != coupling], n_grid)
        res.update(data=list(combo), seconds=time.perf_counter() - t1)
        curves.append(res)
    return {"coupling": coupling, "mass": MASS_OF[coupling], "units": [UNITS[MASS_OF[coupling]], UNITS[coupling]],
            "cl": cl, "delta_chi2": delta_chi2_threshold(cl, 1), "fixed": dict(fixed or {}), "free": list(free or []),
            "curves": curves, "options": setup.options(), "seconds": time.perf_counter() - t0,
            "warnings": [f"{'+'.join(c['data'])}: not converged at {sum(not x for x in c['converged'])} mass(es)"
                         for c in curves if not all(c["converged"])]}
