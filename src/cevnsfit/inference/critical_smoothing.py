"""Regularised Feldman-Cousins critical values: Monte-Carlo noise removed, structure kept.

The critical value c_i of tested point i is the CL quantile of N toy statistics; its Monte-Carlo
error sigma_i (from the binomial spread of the order statistic, :func:`critical_value_band`) is
~0.1-0.2 in Delta chi^2 at 500-2000 toys.  Where the observed Delta chi^2 runs close to the
critical values over several tested points, that noise alone can flip a point in or out and
create spurious interval pieces (e.g. a piece one grid step wide beside the real end).

For a smooth likelihood c(theta) is a smooth function of the tested point (it varies with the
distribution of the statistic, which moves smoothly with theta).  We therefore replace each c_i by
a *local-linear* regression of its neighbours -- weighted least squares of c_j = a + b.(x_j - x_i)
with weights K(|x_j - x_i| / h) / sigma_j^2, K a Gaussian kernel whose width h is
``width`` grid steps (1.5 by default; grid steps per axis) -- and limit the change to
``max_shift`` Monte-Carlo errors of the raw value:

    c_i(final) = c_i + clip(a_i - c_i, -max_shift sigma_i, +max_shift sigma_i).

Local-linear regression has no bias for a linear trend, also at the ends of the grid (a kernel
average has); the clip makes the regularisation unable to move a critical value by more than its
own Monte-Carlo uncertainty, so a real feature of c(theta) that is sharper than the kernel (a
discrete Poisson quantile jumping, the edge of a second island) is kept wherever it is
resolved by the toys, and an atom of a discrete statistic (few events: the critical value is
one of the few values the statistic takes, :func:`mc_error` = 0) is kept exactly.  The raw
values (and the intervals they give) are reported beside the regularised ones.  (Cf. the
neutrino-oscillation Feldman-Cousins analyses, e.g. T2K, PRD 96 (2017) 092006, and NOvA,
PRL 123 (2019) 151803, which compute the critical Delta chi^2 on coarse grids and interpolate
between them.)
"""

from __future__ import annotations

import numpy as np

#: kernel width in grid steps and the largest change, in Monte-Carlo errors of the raw value
WIDTH = 1.5
MAX_SHIFT = 2.0
#: a critical value on which at least this fraction of the toys sit is an atom of a discrete
#: statistic (small counts): it is exact, not noisy (:func:`mc_error` returns 0)
ATOM = 0.01


def mc_error(t: np.ndarray, cl: float) -> float:
    """Monte-Carlo error of the critical value of toy statistics ``t``: half the 68 % range of the
    order statistic (binomial spread k +- sqrt(N cl (1 - cl))), or 0 when the critical value is an
    atom of a discrete statistic (at least ``ATOM`` of the toys, and two or more, equal it: with few events the
    statistic takes few values, the quantile is one of them, and no value between two atoms is
    a better estimate -- smoothing would invent one)."""
    from .neyman import critical_value, critical_value_band

    t = np.asarray(t, float)
    t = t[np.isfinite(t)]
    if t.size == 0:
        return float("nan")
    c = critical_value(t, cl)
    ties = int(np.sum(np.abs(t - c) <= 1e-9 * (1.0 + abs(c))))
    if ties >= 2 and ties >= ATOM * t.size:  # the quantile itself is always one toy
        return 0.0
    lo, hi = critical_value_band(t, cl)
    return 0.5 * (hi - lo)


def grid_steps(coords: np.ndarray) -> np.ndarray:
    """Per axis, the median spacing of the distinct tested values (1 where there is one value)."""
    out = []
    for k in range(coords.shape[1]):
        u = np.unique(coords[:, k])
        d = np.diff(u)
        out.append(float(np.median(d)) if d.size else 1.0)
    return np.where(np.asarray(out) > 0, out, 1.0)


def smooth_critical(coords, crit, sigma, width: float = WIDTH, max_shift: float = MAX_SHIFT) -> np.ndarray:
    """Regularised critical values (module docstring).  ``coords`` (n, d) tested points (d = 1
    or 2), ``crit`` (n,) raw critical values, ``sigma`` (n,) their Monte-Carlo errors
    (:func:`mc_error`; 0 keeps a value as it is, and gives it the largest weight).  NaN
    critical values (no converged toy) are left out of the fits and stay NaN."""
    x = np.asarray(coords, float)
    if x.ndim == 1:
        x = x[:, None]
    c = np.asarray(crit, float)
    s = np.asarray(sigma, float)
    n, dim = x.shape
    ok = np.isfinite(c) & np.isfinite(s)
    if n < 3 or ok.sum() < dim + 2:
        return c.copy()
    z = x / grid_steps(x[ok])
    floor = max(1e-3 * float(np.nanmedian(s[ok])) if np.any(s[ok] > 0) else 1e-6, 1e-9)
    inv = 1.0 / np.maximum(s, floor) ** 2
    out = c.copy()
    for i in np.flatnonzero(ok):
        dz = z[ok] - z[i]
        w = np.exp(-0.5 * np.sum(dz**2, axis=1) / width**2) * inv[ok]
        A = np.concatenate([np.ones((dz.shape[0], 1)), dz], axis=1)
        sw = np.sqrt(w)
        coef, *_ = np.linalg.lstsq(A * sw[:, None], c[ok] * sw, rcond=None)
        lim = max_shift * s[i]
        out[i] = c[i] + float(np.clip(coef[0] - c[i], -lim, lim))
    return out
