"""Profile-likelihood scans, allowed intervals and contours (docs/physics.md, Statistics).

Δχ²(θ) = min over everything else of χ²(θ, ...) − χ²_min.  An allowed region at confidence level
CL is Δχ² ≤ the χ² quantile with as many degrees of freedom as scanned parameters (2.71 for one
at 90 %, 4.61 for two).  Every allowed interval is reported: a charge-radius fit often allows two
disjoint intervals, the second where the amplitude (g~ − Q) Z + g_n N returns to its SM size.

Each scan point is a profiled minimisation warm-started from its neighbour; profiled diagonal
charge radii are also started on their other amplitude branch (the "mirror", where the coherent
amplitude flips sign), one warm-started sweep per branch, and the lowest minimum is kept, so that
the scan does not stay in a local minimum.  All sweeps run at once: they are chains of the
batched profiler (:func:`cevnsfit.inference.nuisance.solve`), every iteration one evaluation of
the data sets for all of them.  A sweep that has merged with another (the same minimum at the same
point) or stays far above the lowest profile is stopped.  Interval ends are refined by regula
falsi warm-started from the neighbouring grid points on the winning branch, all ends at once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..constants import QTILDE_PER_R2_UNIT
from ..physics.couplings import gvn, gvp_no_radius
from ..physics.parameters import MODULUS_ONLY
from .fit import FitResult, Likelihood
from .nuisance import Task, solve
from .progress import Stage

#: a sweep is stopped when its chi^2 has been this far above the lowest profile at the same grid
#: points for PRUNE_POINTS points in a row (it cannot come back below it within the grid)
PRUNE_MARGIN = 50.0
PRUNE_POINTS = 4


def _chi2_ppf_1(cl: float) -> float:
    """x with P(chi^2_1 <= x) = cl: erf(sqrt(x/2)) = cl, by Newton's method on math.erf."""
    # start: the inverse of a rational approximation, then Newton in z = sqrt(x/2)
    z = math.sqrt(-math.log((1.0 - cl) / 2.0)) if cl > 0.5 else cl * math.sqrt(math.pi) / 2.0
    for _ in range(100):
        err = math.erf(z) - cl
        step = err / (2.0 / math.sqrt(math.pi) * math.exp(-z * z))
        z -= step
        if abs(step) < 1e-15 * max(1.0, z):
            break
    return 2.0 * z * z


def delta_chi2_threshold(cl: float, dof: int = 1) -> float:
    """χ² quantile: 2.706 (1 dof, 90 %), 4.605 (2 dof, 90 %).  Closed forms for 1 and 2 degrees
    of freedom (P(χ²₁ ≤ x) = erf(√(x/2)), P(χ²₂ ≤ x) = 1 − e^(−x/2)); scipy for more."""
    if not (0.0 < cl < 1.0):
        raise ValueError(f"confidence level must lie in (0, 1), got {cl}")
    if dof == 1:
        return _chi2_ppf_1(cl)
    if dof == 2:
        return -2.0 * math.log1p(-cl)
    from scipy.stats import chi2 as chi2_dist

    return float(chi2_dist.ppf(cl, dof))


def sigma_to_cl(n_sigma: float) -> float:
    """Two-sided Gaussian probability of n sigma (1σ: 0.6827): erf(n/√2)."""
    return math.erf(n_sigma / math.sqrt(2.0))


@dataclass
class Scan1D:
    param: str
    grid: np.ndarray
    chi2: np.ndarray
    converged: np.ndarray
    best: FitResult
    profiled: list[str]
    extra: dict = field(default_factory=dict)

    @property
    def delta(self) -> np.ndarray:
        return self.chi2 - self.best.chi2


def _mirror_starts(lik: Likelihood, name: str, datasets) -> list[float]:
    """Starting values for a profiled diagonal radius: SM and the amplitude-flip 'mirror'."""
    base = getattr(lik.base, name)
    out = [base]
    if name in ("r2_ee", "r2_mumu", "r2_tautau"):
        g = gvp_no_radius()
        for d in datasets:
            target = getattr(d, "target", None)
            if target is None:
                continue
            for iso, _ in target.isotopes()[:1]:
                amp = g * iso.Z + gvn() * iso.N
                out.append(2.0 * amp / (QTILDE_PER_R2_UNIT * iso.Z) - base)
    return out


class _Best:
    """Lowest chi^2 per grid point over the sweeps, with the winning fit."""

    def __init__(self, n: int, stage: Stage | None = None):
        self.chi2 = np.full(n, np.inf)
        self.conv = np.zeros(n, bool)
        self.theta: list = [None] * n
        self.task: list = [None] * n
        self.stage = stage
        #: the grid index of each fit in flight (by task identity), for :meth:`dominated`
        self.index: dict = {}

    def offer(self, i, task, out) -> None:
        if self.stage is not None:
            self.stage.point(i)
        if out.chi2 < self.chi2[i] or (out.converged and not self.conv[i] and out.chi2 <= self.chi2[i] + 1e-6):
            self.chi2[i], self.conv[i], self.theta[i], self.task[i] = out.chi2, out.converged, out.theta, task

    def dominated(self, i, out) -> bool:
        """A fit at point i that did not converge and stopped above a converged fit there."""
        return not out.converged and bool(self.conv[i]) and out.chi2 > self.chi2[i]


def _needs_fallback(o, outs) -> bool:
    """A fit that did not converge and stopped below every converged fit among ``outs``."""
    return not o.converged and all(o.chi2 < x.chi2 for x in outs if x.converged)


class Profiler:
    """Profiled χ² of a likelihood as a function of one or two of its physics parameters."""

    def __init__(self, lik: Likelihood, multi_start: bool = True):
        self.lik = lik
        self.multi_start = multi_start
        self._best: FitResult | None = None
        self.stats: dict = {}

    @property
    def best(self) -> FitResult:
        """The global best fit (made by :meth:`global_fit` on first use)."""
        if self._best is None:
            return self.global_fit()
        return self._best

    @best.setter
    def best(self, value: FitResult) -> None:
        self._best = value

    # -- batched fits ------------------------------------------------------------------------
    def _solve(self, prob, chains, best: _Best | None = None) -> None:
        """Run chains; with ``best`` (sweeps of a scan), a fit that did not converge skips the
        fallback minimiser when it stopped above a converged fit of another sweep at the same
        point (its sweep then ends: :meth:`_sweep`)."""
        fallback = self.lik.fallback(prob)
        if best is not None:
            full = fallback

            def fallback(task, out):
                i = best.index.get(id(task))
                return out if i is not None and best.dominated(i, out) else full(task, out)

        solve(prob, chains, fallback=fallback, stats=self.stats)

    def fits(self, fixed_names, requests, stage: Stage | None = None) -> list[list[FitResult]]:
        """Independent fits in one batch: ``requests`` is a list of (fixed values, [start dicts]);
        returns, per request, the results of its starts.  ``stage``: advanced by one per request
        done (progress).

        A start whose Levenberg-Marquardt fit did not converge goes to the fallback minimiser
        only if it stopped below every converged start of its request: callers keep the lowest
        start, and a descent stopped above a converged minimum is not expected to end below it
        (typically a mirror start crawling on the other amplitude branch, where MIGRAD takes
        seconds per fit to reach the minimum the other start already found)."""
        prob = self.lik.problem(tuple(fixed_names))
        out: list = [None] * len(requests)
        deferred: list = []

        def finish(k, tasks, outs):
            out[k] = [self.lik.result(prob, t, o) for t, o in zip(tasks, outs, strict=True)]
            if stage is not None:
                stage.advance()

        def chain(k, fixed, starts):
            tasks = [prob.task({**self.lik.start(), **s, **fixed}, fixed) for s in starts]
            outs = yield tasks
            if any(_needs_fallback(o, outs) for o in outs):
                deferred.append((k, tasks, outs))
            else:
                finish(k, tasks, outs)

        solve(prob, [chain(k, fx, st) for k, (fx, st) in enumerate(requests)], fallback=None, stats=self.stats)
        fallback = self.lik.fallback(prob)
        for k, tasks, outs in deferred:
            finish(
                k, tasks, [fallback(t, o) if _needs_fallback(o, outs) else o for t, o in zip(tasks, outs, strict=True)]
            )
        return out

    # -- global minimum ------------------------------------------------------------------
    def global_fit(self, extra_starts: list[dict] | None = None) -> FitResult:
        """Best fit, trying the SM start and the mirror starts of every free diagonal radius."""
        starts: list[dict] = [{}]
        if self.multi_start:
            for p in self.lik.poi:
                for v in _mirror_starts(self.lik, p, self.lik.datasets)[1:]:
                    starts.append({p: v})
        starts += extra_starts or []
        results = self.fits((), [({}, starts)])[0]
        best = min(results, key=lambda r: r.chi2)
        self.best = best
        return best

    # -- profile at fixed values ---------------------------------------------------------
    def _mirrors(self, warm: dict, fixed_names) -> list[dict]:
        """``warm`` and copies with each profiled diagonal radius on its other amplitude branch."""
        out = [dict(warm)]
        if not self.multi_start:
            return out
        for p in self.lik.poi:
            if p in fixed_names or p not in ("r2_ee", "r2_mumu", "r2_tautau"):
                continue
            seen = [warm[p]]
            for v in _mirror_starts(self.lik, p, self.lik.datasets):
                if all(abs(v - u) > 5.0 for u in seen):
                    seen.append(v)
                    s = dict(warm)
                    s[p] = v
                    out.append(s)
        return out

    def branch_starts(self, fixed_names) -> list[dict]:
        """The best fit, and copies of it with each profiled diagonal radius moved to its other
        amplitude branch(es): the starting points of independent warm-started sweeps."""
        return self._mirrors(self.best.values, fixed_names)

    def profile_at(self, fixed: dict, warm: dict | None = None, multi: bool = True) -> FitResult:
        return self.profile_many([fixed], warm, multi)[0]

    def profile_many(self, fixed_list: list[dict], warm: dict | None = None, multi: bool = True) -> list[FitResult]:
        """Profiled fits at several points (same fixed names), each from ``warm`` (default: the
        best fit) and, with ``multi``, the mirror starts of the profiled radii; the lowest per
        point.  All in one batch."""
        if not fixed_list:
            return []
        names = tuple(fixed_list[0])
        warm = warm or self.best.values
        starts = self._mirrors(warm, names) if (self.multi_start and multi) else [dict(warm)]
        res = self.fits(names, [(fx, starts) for fx in fixed_list])
        return [min(r, key=lambda x: x.chi2) for r in res]

    def scan(self, param: str, grid) -> Scan1D:
        grid = np.asarray(grid, float)
        prob = self.lik.problem((param,))
        best = _Best(grid.size, Stage(f"profile of {param}", grid.size))
        # one warm-started sweep per amplitude branch of the profiled radii, walking outwards
        # from the point nearest the best fit; keep the lowest chi^2 at every point
        i0 = int(np.argmin(np.abs(grid - self.best.values[param])))
        starts = [prob.to_internal(s) for s in self.branch_starts({param})]
        tracks: dict = {}
        chains = []
        for _b, th in enumerate(starts):
            for order in (range(i0, grid.size), range(i0 - 1, -1, -1)):
                if len(order):
                    chains.append(self._sweep(prob, [((grid[i],), i) for i in order], th, best, tracks, order.step))
        self._solve(prob, chains, best)
        self._retry_failed(param, grid, best, prob)
        values: list = [
            prob.values(th, t) if th is not None else None for th, t in zip(best.theta, best.task, strict=True)
        ]
        chi2, conv = best.chi2, best.conv
        # the scan may find a lower minimum than the global fit: adopt it
        if chi2.min() < self.best.chi2 - 1e-6:
            j = int(np.argmin(chi2))
            self.best = self.lik.fit(start=values[j])
            if self.best.chi2 > chi2[j]:
                self.best = FitResult(values[j], float(chi2[j]), bool(conv[j]), "lowest scan point")
        profiled = [p for p in self.lik.names if p != param]
        return Scan1D(
            param, grid, chi2, conv, self.best, profiled, extra={"values": values, "theta": best.theta, "problem": prob}
        )

    def _sweep(self, prob, points, start, best: _Best, tracks: dict, track):
        """A chain: the points ``[(fixed values, index)]`` in order, each warm-started from the
        last converged one.  It stops when it reaches a point where another sweep of the same
        direction found the same minimum (merged), when it has stayed PRUNE_MARGIN above the
        lowest profile for PRUNE_POINTS points, or when its fit did not converge at a point where
        another sweep's did, lower (dominated: no fallback minimiser is spent on it)."""
        warm = start
        above = 0
        for fixed, i in points:
            task = Task(np.asarray(fixed, float), np.empty(0), warm)
            best.index[id(task)] = i
            (out,) = yield [task]
            del best.index[id(task)]
            if best.dominated(i, out):
                return
            best.offer(i, task, out)
            if out.converged:
                warm = out.theta
            # merged with another sweep: same direction, same point, same minimum
            seen = tracks.setdefault((track, i), [])
            if any(
                abs(f - out.chi2) < 1e-7 and np.all(np.abs(th - out.theta) <= 1e-4 * prob.scale + 1e-9)
                for f, th in seen
            ):
                return
            seen.append((out.chi2, out.theta))
            above = above + 1 if out.chi2 > best.chi2[i] + PRUNE_MARGIN else 0
            if above >= PRUNE_POINTS:
                return

    def _retry_failed(self, param, grid, best: _Best, prob) -> None:
        """Points whose minimisation failed are restarted from their converged neighbours (both
        sides) and from the best fit, with the mirror starts of profiled radii; the lowest
        converged result replaces the failed one.  A failure left after this is reported."""
        bad = np.flatnonzero(~best.conv)
        if bad.size == 0:
            return
        requests = []
        for i in bad:
            starts = [
                prob.values(best.theta[j], best.task[j])
                for j in (i - 1, i + 1)
                if 0 <= j < grid.size and best.conv[j] and best.theta[j] is not None
            ]
            starts.append(self.best.values)
            all_starts = [m for s in starts for m in self._mirrors(s, {param})]
            requests.append(({param: grid[i]}, all_starts))
        results = self.fits((param,), requests)
        for i, res in zip(bad, results, strict=True):
            for r in res:
                if r.converged and (not best.conv[i] or r.chi2 < best.chi2[i]):
                    t = prob.task(r.values, {param: grid[i]})
                    best.chi2[i], best.conv[i], best.theta[i], best.task[i] = r.chi2, True, t.start, t

    def refine_crossing(self, param: str, a: float, b: float, level: float, warm: dict, n_iter: int = 12) -> float:
        """Where Δχ² crosses ``level`` between grid points a and b: regula falsi (Illinois) on the
        profile, then linear interpolation in the final bracket (both ends profiled from
        ``warm`` with the mirror starts)."""
        ra, rb = self.profile_many([{param: a}, {param: b}], warm)
        prob = self.lik.problem((param,))
        ends = [
            (a, ra.chi2, prob.task(ra.values, {param: a}).start),
            (b, rb.chi2, prob.task(rb.values, {param: b}).start),
        ]
        return self.refine_crossings(param, [ends], level, n_iter)[0]

    def refine_crossings(self, param: str, brackets, level: float, n_iter: int = 6) -> list[float]:
        """All crossings at once.  ``brackets``: per crossing ``[(a, chi2_a, theta_a), (b, chi2_b,
        theta_b)]`` (theta: the profiled fit at the end, internal coordinates).  Each new point is
        fitted from the nearer end's fit, and from the other end's too when the two lie on
        different branches."""
        prob = self.lik.problem((param,))
        out: list = [None] * len(brackets)
        chains = [self._falsi(prob, k, br, level, n_iter, out) for k, br in enumerate(brackets)]
        self._solve(prob, chains)
        return out

    def _falsi(self, prob, k, bracket, level, n_iter, out):
        (a, ca, ta), (b, cb, tb) = bracket
        fa, fb = ca - self.best.chi2 - level, cb - self.best.chi2 - level
        if np.sign(fa) == np.sign(fb):
            out[k] = 0.5 * (a + b)
            return
        side = 0
        for _ in range(n_iter):
            m = b - fb * (b - a) / (fb - fa)
            near, far = (ta, tb) if abs(m - a) <= abs(m - b) else (tb, ta)
            starts = [near]
            nf = len(prob.free)
            if nf and np.any(np.abs(near[:nf] - far[:nf]) > prob.scale[:nf]):
                starts.append(far)
            outs = yield [Task(np.array([m]), np.empty(0), s) for s in starts]
            o = min(outs, key=lambda x: x.chi2)
            fm = o.chi2 - self.best.chi2 - level
            if abs(fm) < 1e-3:
                out[k] = float(m)
                return
            if np.sign(fm) == np.sign(fb):
                b, fb, tb = m, fm, o.theta
                if side == -1:
                    fa *= 0.5
                side = -1
            else:
                a, fa, ta = m, fm, o.theta
                if side == 1:
                    fb *= 0.5
                side = 1
        out[k] = float(b - fb * (b - a) / (fb - fa))


def intervals_from_scan(grid, delta, level: float, refine=None) -> list[list[float]]:
    """Every interval where Δχ² ≤ level, by linear interpolation between grid points (or the
    ``refine(a, b)`` callback). An interval reaching the end of the grid ends at the grid edge."""
    grid = np.asarray(grid, float)
    out = []
    for (i, j), (lo_k, hi_k) in zip(*_interval_indices(grid, delta, level), strict=True):

        def cross(k0, k1):
            if refine is not None:
                return refine(grid[k0], grid[k1])
            d0, d1 = delta[k0] - level, delta[k1] - level
            return grid[k0] + (grid[k1] - grid[k0]) * d0 / (d0 - d1)

        lo = grid[i] if lo_k is None else cross(*lo_k)
        hi = grid[j] if hi_k is None else cross(*hi_k)
        out.append([float(lo), float(hi)])
    return out


def _interval_indices(grid, delta, level):
    """The runs [i, j] of grid points with Δχ² ≤ level, and the brackets (k0, k1) of their ends
    (None at the edge of the grid)."""
    inside = np.asarray(delta) <= level
    runs, brackets = [], []
    i, n = 0, len(grid)
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        runs.append((i, j))
        brackets.append((None if i == 0 else (i - 1, i), None if j == n - 1 else (j, j + 1)))
        i = j + 1
    return runs, brackets


def scan_intervals(
    prof: Profiler, scan: Scan1D, level: float, refine: bool = True, n_iter: int = 6
) -> list[list[float]]:
    """The allowed intervals of a scan, their ends refined (all at once) from the neighbouring
    grid points on the winning branch."""
    grid, delta = scan.grid, scan.chi2 - prof.best.chi2
    if not refine:
        return intervals_from_scan(grid, delta, level)
    runs, brackets = _interval_indices(grid, delta, level)
    need = sorted({b for pair in brackets for b in pair if b is not None})
    theta = scan.extra["theta"]
    ok = [kk for kk in need if theta[kk[0]] is not None and theta[kk[1]] is not None]
    refined = dict(
        zip(
            ok,
            prof.refine_crossings(
                scan.param,
                [[(grid[k0], scan.chi2[k0], theta[k0]), (grid[k1], scan.chi2[k1], theta[k1])] for k0, k1 in ok],
                level,
                n_iter,
            ),
            strict=True,
        )
    )

    def cross(kk):
        if kk in refined:
            return refined[kk]
        k0, k1 = kk
        d0, d1 = delta[k0] - level, delta[k1] - level
        return grid[k0] + (grid[k1] - grid[k0]) * d0 / (d0 - d1)

    return [
        [float(grid[i] if lo is None else cross(lo)), float(grid[j] if hi is None else cross(hi))]
        for (i, j), (lo, hi) in zip(runs, brackets, strict=True)
    ]


@dataclass
class Contour:
    params: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    chi2: np.ndarray  # shape (len(y), len(x))
    converged: np.ndarray
    best: FitResult

    @property
    def delta(self) -> np.ndarray:
        return self.chi2 - self.best.chi2


def profile_grid_2d(prof: Profiler, px: str, py: str, x, y) -> Contour:
    """Δχ² on a 2D grid, nuisances and other parameters profiled.  For every amplitude branch,
    sweeps along the row nearest the best fit (outwards from it), then from each point of that
    row sweeps up and down its column, each point warm-started from its neighbour; all sweeps
    of a phase run at once."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    prob = prof.lik.problem((px, py))
    best = _Best(x.size * y.size, Stage(f"grid of {px} x {py}", x.size * y.size))

    def fixed(i, j):
        v = {px: x[i], py: y[j]}
        return tuple(v[p] for p in prob.fixed_phys)

    i0 = int(np.argmin(np.abs(x - prof.best.values[px])))
    j0 = int(np.argmin(np.abs(y - prof.best.values[py])))
    starts = [prob.to_internal(s) for s in prof.branch_starts({px, py})]
    row: list[dict] = [dict() for _ in starts]  # per branch: i -> theta at (j0, i)

    def sweep_row(b, th, order_i):
        warm = th
        for i in order_i:
            task = Task(np.asarray(fixed(i, j0), float), np.empty(0), warm)
            (out,) = yield [task]
            best.offer(j0 * x.size + i, task, out)
            if out.converged:
                warm = out.theta
            row[b][i] = warm

    chains = []
    for b, th in enumerate(starts):
        for o in (range(i0, x.size), range(i0 - 1, -1, -1)):
            if len(o):
                chains.append(sweep_row(b, th, o))
    prof._solve(prob, chains)
    tracks: dict = {}
    chains = []
    for b in range(len(starts)):
        for i in range(x.size):
            for o in (range(j0 + 1, y.size), range(j0 - 1, -1, -1)):
                if len(o):
                    pts = [(fixed(i, j), j * x.size + i) for j in o]
                    chains.append(prof._sweep(prob, pts, row[b][i], best, tracks, (i, o.step)))
    prof._solve(prob, chains, best)
    chi2 = best.chi2.reshape(y.size, x.size)
    conv = best.conv.reshape(y.size, x.size)
    out_best = prof.best
    if chi2.min() < out_best.chi2 - 1e-6:
        k = int(np.argmin(best.chi2))
        vals = prob.values(best.theta[k], best.task[k])
        out_best = prof.lik.fit(start=vals)
        if out_best.chi2 > best.chi2[k]:
            out_best = FitResult(vals, float(best.chi2[k]), bool(best.conv[k]), "lowest grid point")
        prof.best = out_best
    return Contour((px, py), x, y, chi2, conv, out_best)


def modulus_only(name: str) -> bool:
    return name in MODULUS_ONLY


def warn(msg: str) -> None:
    warnings.warn(msg, RuntimeWarning, stacklevel=2)
