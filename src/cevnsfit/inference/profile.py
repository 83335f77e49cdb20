"""Profile-likelihood scans, allowed intervals and contours (docs/physics.md, Statistics).

Δχ²(θ) = min over everything else of χ²(θ, ...) − χ²_min.  An allowed region at confidence level
CL is Δχ² ≤ the χ² quantile with as many degrees of freedom as scanned parameters (2.71 for one
at 90 %, 4.61 for two).  Every allowed interval is reported: a charge-radius fit often allows two
disjoint intervals, the second where the amplitude (g~ − Q) Z + g_n N returns to its SM size.

Each scan point is a profiled minimisation warm-started from its neighbour; profiled diagonal
charge radii are also restarted from their SM value and their "mirror" (where the coherent
amplitude flips sign), and the lowest minimum is kept, so that the scan does not stay in a
local minimum.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2 as chi2_dist

from ..constants import QTILDE_PER_R2_UNIT
from ..physics.couplings import gvn, gvp_no_radius
from ..physics.parameters import MODULUS_ONLY
from .fit import FitResult, Likelihood


def delta_chi2_threshold(cl: float, dof: int = 1) -> float:
    """χ² quantile: 2.706 (1 dof, 90 %), 4.605 (2 dof, 90 %)."""
    if not (0.0 < cl < 1.0):
        raise ValueError(f"confidence level must lie in (0, 1), got {cl}")
    return float(chi2_dist.ppf(cl, dof))


def sigma_to_cl(n_sigma: float) -> float:
    """Two-sided Gaussian probability of n sigma (1σ: 0.6827)."""
    return float(chi2_dist.cdf(n_sigma**2, 1))


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
            for iso, _ in d.target.isotopes()[:1]:
                amp = g * iso.Z + gvn() * iso.N
                out.append(2.0 * amp / (QTILDE_PER_R2_UNIT * iso.Z) - base)
    return out


class Profiler:
    """Profiled χ² of a likelihood as a function of one or two of its physics parameters."""

    def __init__(self, lik: Likelihood, multi_start: bool = True):
        self.lik = lik
        self.multi_start = multi_start
        self.best: FitResult | None = None

    # -- global minimum ------------------------------------------------------------------
    def global_fit(self, extra_starts: list[dict] | None = None) -> FitResult:
        """Best fit, trying the SM start and the mirror starts of every free diagonal radius."""
        starts = [{}]
        if self.multi_start:
            for p in self.lik.poi:
                for v in _mirror_starts(self.lik, p, self.lik.datasets)[1:]:
                    starts.append({p: v})
        starts += extra_starts or []
        results = [self.lik.fit(start=s) for s in starts]
        best = min(results, key=lambda r: r.chi2)
        self.best = best
        return best

    # -- profile at fixed values ---------------------------------------------------------
    def branch_starts(self, fixed_names) -> list[dict]:
        """The best fit, and copies of it with each profiled diagonal radius moved to its other
        amplitude branch(es): the starting points of independent warm-started sweeps."""
        out = [dict(self.best.values)]
        if not self.multi_start:
            return out
        for p in self.lik.poi:
            if p in fixed_names or p not in ("r2_ee", "r2_mumu", "r2_tautau"):
                continue
            seen = [self.best.values[p]]
            for v in _mirror_starts(self.lik, p, self.lik.datasets):
                if all(abs(v - u) > 5.0 for u in seen):
                    seen.append(v)
                    s = dict(self.best.values)
                    s[p] = v
                    out.append(s)
        return out

    def profile_at(self, fixed: dict, warm: dict | None = None, multi: bool = True) -> FitResult:
        starts = [warm or self.best.values]
        if self.multi_start and multi:
            for p in self.lik.poi:
                if p in fixed or p not in ("r2_ee", "r2_mumu", "r2_tautau"):
                    continue
                # restart a profiled diagonal radius on the other branch(es) of the amplitude
                seen = [starts[0][p]]
                for v in _mirror_starts(self.lik, p, self.lik.datasets):
                    if all(abs(v - u) > 5.0 for u in seen):
                        seen.append(v)
                        s = dict(starts[0])
                        s[p] = v
                        starts.append(s)
        best = None
        for s in starts:
            r = self.lik.fit(start=s, fixed=fixed)
            if best is None or r.chi2 < best.chi2:
                best = r
        return best

    def scan(self, param: str, grid) -> Scan1D:
        if self.best is None:
            self.global_fit()
        grid = np.asarray(grid, float)
        chi2 = np.full(grid.size, np.inf)
        conv = np.zeros(grid.size, bool)
        # one warm-started sweep per amplitude branch of the profiled radii, walking outwards
        # from the point nearest the best fit; keep the lowest chi^2 at every point
        i0 = int(np.argmin(np.abs(grid - self.best.values[param])))
        values: list[dict | None] = [None] * grid.size
        for start in self.branch_starts({param}):
            for order in (range(i0, grid.size), range(i0 - 1, -1, -1)):
                warm = start
                for i in order:
                    r = self.profile_at({param: grid[i]}, warm, multi=False)
                    if r.converged:
                        warm = r.values
                    if r.chi2 < chi2[i] or (r.converged and not conv[i] and r.chi2 <= chi2[i] + 1e-6):
                        chi2[i], conv[i], values[i] = r.chi2, r.converged, r.values
        self._retry_failed(param, grid, chi2, conv, values)
        # the scan may find a lower minimum than the global fit: adopt it
        if chi2.min() < self.best.chi2 - 1e-6:
            j = int(np.argmin(chi2))
            self.best = self.profile_at({param: grid[j]})
            self.best = self.lik.fit(start=self.best.values)
        profiled = [p for p in self.lik.names if p != param]
        return Scan1D(param, grid, chi2, conv, self.best, profiled)

    def _retry_failed(self, param, grid, chi2, conv, values) -> None:
        """Points whose minimisation failed are restarted from their converged neighbours (both
        sides) and from the best fit, with the mirror starts of profiled radii; the lowest
        converged result replaces the failed one.  A failure left after this is reported."""
        for i in np.flatnonzero(~conv):
            starts = [values[j] for j in (i - 1, i + 1) if 0 <= j < grid.size and conv[j] and values[j]]
            starts.append(self.best.values)
            for st in starts:
                r = self.profile_at({param: grid[i]}, st)
                if r.converged and (not conv[i] or r.chi2 < chi2[i]):
                    chi2[i], conv[i], values[i] = r.chi2, True, r.values

    def refine_crossing(self, param: str, a: float, b: float, level: float, warm: dict, n_iter: int = 12) -> float:
        """Where Δχ² crosses ``level`` between grid points a and b: regula falsi (Illinois) on the
        profile, then linear interpolation in the final bracket."""
        fa = self.profile_at({param: a}, warm).chi2 - self.best.chi2 - level
        fb = self.profile_at({param: b}, warm).chi2 - self.best.chi2 - level
        if np.sign(fa) == np.sign(fb):
            return 0.5 * (a + b)
        side = 0
        for _ in range(n_iter):
            m = b - fb * (b - a) / (fb - fa)
            fm = self.profile_at({param: m}, warm).chi2 - self.best.chi2 - level
            if abs(fm) < 1e-3:
                return float(m)
            if np.sign(fm) == np.sign(fb):
                b, fb = m, fm
                if side == -1:
                    fa *= 0.5
                side = -1
            else:
                a, fa = m, fm
                if side == 1:
                    fb *= 0.5
                side = 1
        return float(b - fb * (b - a) / (fb - fa))


def intervals_from_scan(grid, delta, level: float, refine=None) -> list[list[float]]:
    """Every interval where Δχ² ≤ level, by linear interpolation between grid points (or the
    ``refine(a, b)`` callback). An interval reaching the end of the grid ends at the grid edge."""
    grid = np.asarray(grid, float)
    inside = np.asarray(delta) <= level
    out = []
    i = 0
    n = grid.size
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1

        def cross(k0, k1):
            if refine is not None:
                return refine(grid[k0], grid[k1])
            d0, d1 = delta[k0] - level, delta[k1] - level
            return grid[k0] + (grid[k1] - grid[k0]) * d0 / (d0 - d1)

        lo = grid[i] if i == 0 else cross(i - 1, i)
        hi = grid[j] if j == n - 1 else cross(j, j + 1)
        out.append([float(lo), float(hi)])
        i = j + 1
    return out


@dataclass
class Contour:
    params: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    chi2: np.ndarray        # shape (len(y), len(x))
    converged: np.ndarray
    best: FitResult

    @property
    def delta(self) -> np.ndarray:
        return self.chi2 - self.best.chi2


def profile_grid_2d(prof: Profiler, px: str, py: str, x, y) -> Contour:
    """Δχ² on a 2D grid, nuisances and other parameters profiled (serpentine warm starts)."""
    if prof.best is None:
        prof.global_fit()
    x, y = np.asarray(x, float), np.asarray(y, float)
    chi2 = np.full((y.size, x.size), np.inf)
    conv = np.zeros((y.size, x.size), bool)
    for start in prof.branch_starts({px, py}):
        row_start = start
        for j, yy in enumerate(y):
            order = range(x.size) if j % 2 == 0 else range(x.size - 1, -1, -1)
            warm = row_start
            first = True
            for i in order:
                r = prof.profile_at({px: x[i], py: yy}, warm, multi=False)
                warm = r.values
                if first:
                    row_start, first = r.values, False
                if r.chi2 < chi2[j, i]:
                    chi2[j, i], conv[j, i] = r.chi2, r.converged
    best = prof.best
    if chi2.min() < best.chi2 - 1e-6:
        j, i = np.unravel_index(np.argmin(chi2), chi2.shape)
        best = prof.lik.fit(start=prof.profile_at({px: x[i], py: y[j]}).values)
        prof.best = best
    return Contour((px, py), x, y, chi2, conv, best)


def modulus_only(name: str) -> bool:
    return name in MODULUS_ONLY


def warn(msg: str) -> None:
    warnings.warn(msg, RuntimeWarning, stacklevel=2)
