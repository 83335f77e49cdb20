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
from .profile import Profiler, delta_chi2_threshold
from .progress import Stage, counted, labelled

#: mass parameter of each coupling
MASS_OF = {"g_zp": "m_zp", "g_phi": "m_phi"}


#: rungs of the bracketing ladder: u = u0 4^k, k = LADDER_LOW ... LADDER_HIGH, walked upwards
#: LADDER_CHUNK rungs per batch
LADDER_LOW, LADDER_HIGH, LADDER_CHUNK = -8, 12, 4


def _ladder(prob, i, m, u0, start, ref, level, coupling, mass, out):
    """A chain: the first u = u0 4^k (k from LADDER_LOW up) with Delta chi^2 > level -> out[i]."""
    from .nuisance import Task

    th = prob.task(start, {coupling: 0.0, mass: m}).start
    for k0 in range(LADDER_LOW, LADDER_HIGH + 1, LADDER_CHUNK):
        ks = list(range(k0, min(k0 + LADDER_CHUNK, LADDER_HIGH + 1)))
        outs = yield [Task(np.array([np.sqrt(u0 * 4.0**k), m]), np.empty(0), th) for k in ks]
        for k, o in zip(ks, outs, strict=True):
            if o.chi2 - ref > level:
                out[i] = u0 * 4.0**k
                return
        th = outs[-1].theta if outs[-1].converged else th


def u_scale(m: float) -> float:
    """A coupling^2 that shifts the nucleon couplings by ~0.01 at |q| ~ 10 MeV (the start of the
    bracketing ladder; the ladder spans 4^20 around it)."""
    from ..constants import G_F

    return 0.01 * np.sqrt(2.0) * G_F * (10.0**2 + m * m) / 3.0


def sm_return_points(datasets, coupling: str, mass: str, masses, base: dict, u_scales) -> list[list[float]]:
    """Per mass, the couplings^2 u* > 0 where a data set's total expected count returns to its
    value at u = 0: N(u) = a + b u + c u^2 exactly at fixed mass (three evaluations, nominal
    nuisances, all masses in one batch per data set); destructive interference only (b < 0 < c)."""
    from ..physics.monomials import Points

    masses = np.asarray(masses, float)
    us = np.asarray(u_scales, float)
    n = masses.size
    vals = {mass: np.tile(masses, 3), coupling: np.sqrt(np.concatenate([np.zeros(n), us, 2.0 * us]))}
    vals.update({k: np.full(3 * n, float(v)) for k, v in base.items()})
    out: list[list[float]] = [[] for _ in range(n)]
    for d in datasets:
        tot = d.expected_batch(Points(vals)).sum(axis=1).reshape(3, n)
        n0, n1, n2 = tot
        c = (n2 - 2.0 * n1 + n0) / (2.0 * us**2)
        b = (n1 - n0) / us - c * us
        for i in range(n):
            if c[i] > 0 and b[i] < 0:
                out[i].append(float(-b[i] / c[i]))
    return out


def _falsi(prob, k, m, bracket, ref, level, n_iter, out):
    """A chain: where Delta chi^2(g; m) crosses ``level`` between (g_a, chi2_a, theta_a) and
    (g_b, chi2_b, theta_b), by regula falsi (Illinois) on the profile, each new point fitted from
    the nearer end's fit."""
    from .nuisance import Task

    (a, ca, ta), (b, cb, tb) = bracket
    fa, fb = ca - ref - level, cb - ref - level
    if np.sign(fa) == np.sign(fb):
        out[k] = 0.5 * (a + b)
        return
    side = 0
    for _ in range(n_iter):
        g = b - fb * (b - a) / (fb - fa)
        start = ta if abs(g - a) <= abs(g - b) else tb
        (o,) = yield [Task(np.array([g, m]), np.empty(0), start)]
        fg = o.chi2 - ref - level
        if abs(fg) < 1e-3:
            out[k] = float(g)
            return
        if np.sign(fg) == np.sign(fb):
            b, fb, tb = g, fg, o.theta
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a, fa, ta = g, fg, o.theta
            if side == 1:
                fb *= 0.5
            side = 1
    out[k] = float(b - fb * (b - a) / (fb - fa))


def mass_scan(
    datasets,
    coupling: str,
    masses,
    cl: float = 0.9,
    fixed: dict | None = None,
    free=(),
    n_grid: int = 17,
    n_iter: int = 6,
) -> dict:
    """Allowed intervals of ``coupling`` at each mass of ``masses`` (its mass parameter fixed),
    nuisances and the parameters ``free`` profiled; see the module docstring.  Every mass is
    fitted in the same batches of the profiler: the global fits, the bracketing ladders, the
    grids and the refinement of the interval ends.  Returns ``{"masses", "upper", "intervals",
    "chi2_min", "converged"}``."""
    from .nuisance import solve

    if coupling not in MASS_OF:
        raise ValueError(f"an exclusion curve needs a mediator coupling ({', '.join(MASS_OF)}), got {coupling!r}")
    mass = MASS_OF[coupling]
    level = delta_chi2_threshold(cl, 1)
    masses = np.asarray(masses, float)
    if masses.ndim != 1 or masses.size < 1 or np.any(~np.isfinite(masses)) or np.any(masses <= 0):
        raise ValueError("masses must be a non-empty list of positive numbers [MeV]")
    fixed = {k: float(v) for k, v in dict(fixed or {}).items() if k not in (coupling, mass)}
    lik = Likelihood(datasets, poi=[coupling, mass, *free], fixed=fixed)
    prof = Profiler(lik, multi_start=False)
    nm = masses.size
    # 1. the best fit at every mass (coupling free)
    best = [
        min(r, key=lambda x: x.chi2)
        for r in prof.fits(
            (mass,), [({mass: float(m)}, [{coupling: 0.0}]) for m in masses], stage=Stage("best fit at each mass", nm)
        )
    ]
    ref = np.array([b.chi2 for b in best])
    # 2. bracketing ladders: walk up u = u0 4^k, LADDER_CHUNK rungs at a time, to the first rung
    #    above the level (no fallback minimiser: a rung far above the level need not converge)
    u0 = np.array([u_scale(m) for m in masses])
    prob = lik.problem((coupling, mass))
    u_hi = u0 * 4.0**LADDER_HIGH
    chains = [
        _ladder(prob, i, float(masses[i]), u0[i], best[i].values, ref[i], level, coupling, mass, u_hi)
        for i in range(nm)
    ]
    solve(prob, counted(chains, Stage("bracketing the coupling at each mass", nm)), fallback=None, stats=prof.stats)
    # 3. the grid per mass (uniform in u = g^2, refined around the amplitude-flip islands)
    islands = sm_return_points(datasets, coupling, mass, masses, fixed, u_hi)
    grids = []
    for i in range(nm):
        gu = list(np.linspace(0.0, 2.0 * u_hi[i], n_grid))
        for us in islands[i]:
            if us < 50.0 * u_hi[i]:
                gu += list(us * np.linspace(0.8, 1.2, 13)) + [1.4 * us]
        grids.append(np.sqrt(np.unique(gu)))
    requests = [({coupling: float(g), mass: float(masses[i])}, [best[i].values]) for i in range(nm) for g in grids[i]]
    flat = [
        min(r, key=lambda x: x.chi2)
        for r in prof.fits((coupling, mass), requests, stage=Stage("coupling grids", len(requests)))
    ]
    per, pos = [], 0
    for i in range(nm):
        rs = flat[pos : pos + grids[i].size]
        pos += grids[i].size
        per.append(rs)
        low = min(r.chi2 for r in rs)
        if low < ref[i] - 1e-6:  # the grid found a lower minimum than the global fit
            ref[i] = low
    # 4. interval ends refined by regula falsi, every crossing of every mass at once
    from .profile import _interval_indices

    crossings, chains, spans = {}, [], []
    for i in range(nm):
        delta = np.array([r.chi2 for r in per[i]]) - ref[i]
        runs, brackets = _interval_indices(grids[i], delta, level)
        spans.append((runs, brackets, delta))
        for pair in brackets:
            for kk in pair:
                if kk is None or (i, kk) in crossings:
                    continue
                k0, k1 = kk
                ends = []
                for k in (k0, k1):
                    r = per[i][k]
                    ends.append(
                        (grids[i][k], r.chi2, prob.task(r.values, {coupling: grids[i][k], mass: masses[i]}).start)
                    )
                crossings[(i, kk)] = len(chains)
                chains.append((i, ends))
    out: list = [None] * len(chains)
    falsi = [_falsi(prob, j, float(masses[i]), ends, ref[i], level, n_iter, out) for j, (i, ends) in enumerate(chains)]
    solve(prob, counted(falsi, Stage("interval ends", len(falsi))), fallback=lik.fallback(prob), stats=prof.stats)
    upper, intervals, conv = [], [], []
    for i in range(nm):
        runs, brackets, delta = spans[i]
        g = grids[i]
        iv = [
            [
                float(g[a] if lo is None else out[crossings[(i, lo)]]),
                float(g[b] if hi is None else out[crossings[(i, hi)]]),
            ]
            for (a, b), (lo, hi) in zip(runs, brackets, strict=True)
        ]
        intervals.append(iv)
        upper.append(float(iv[0][1]) if iv and iv[0][0] <= g[0] + 1e-30 else float("nan"))
        conv.append(bool(best[i].converged and all(r.converged for r in per[i])))
    return {
        "masses": masses.tolist(),
        "upper": upper,
        "intervals": intervals,
        "chi2_min": ref.tolist(),
        "converged": conv,
    }


def exclusion(
    setup,
    coupling: str,
    masses,
    cl: float = 0.9,
    fixed: dict | None = None,
    free=None,
    each: bool = True,
    n_grid: int = 17,
) -> dict:
    """Exclusion curves of ``coupling`` over ``masses`` [MeV] for the combined data sets of
    ``setup`` and, with ``each``, for every data set alone (the same model options): a JSON-able
    dict with one curve per data-set combination."""
    from .analysis import physics_parameters, subsetup

    if coupling not in MASS_OF:
        raise ValueError(f"an exclusion curve needs a mediator coupling ({', '.join(MASS_OF)}), got {coupling!r}")
    t0 = time.perf_counter()
    combos = [tuple(setup.data)]
    if each and len(setup.data) > 1:
        combos = [(n,) for n in setup.data] + combos
    curves: list = []
    for combo in combos:
        s = subsetup(setup, combo)
        dss = s.datasets()
        others, fixed_values = physics_parameters([coupling], dss, s.transitions, fixed, free)
        if MASS_OF[coupling] in fixed_values:
            raise ValueError(f"the exclusion curve scans {MASS_OF[coupling]}: it cannot also be fixed")
        t1 = time.perf_counter()
        with labelled(f"{'+'.join(combo)} ({len(curves) + 1}/{len(combos)}): "):
            res = mass_scan(dss, coupling, masses, cl, fixed_values, [p for p in others if p != coupling], n_grid)
        res.update(data=list(combo), seconds=time.perf_counter() - t1)
        curves.append(res)
    return {
        "coupling": coupling,
        "mass": MASS_OF[coupling],
        "units": [UNITS[MASS_OF[coupling]], UNITS[coupling]],
        "cl": cl,
        "delta_chi2": delta_chi2_threshold(cl, 1),
        "fixed": dict(fixed or {}),
        "free": list(free or []),
        "curves": curves,
        "options": setup.options(),
        "seconds": time.perf_counter() - t0,
        "warnings": [
            f"{'+'.join(c['data'])}: not converged at {sum(not x for x in c['converged'])} mass(es)"
            for c in curves
            if not all(c["converged"])
        ],
    }
