"""Detector response: recoil-energy quadrature and the matrices P(bin | recoil) (docs/physics.md).

Expected counts in observable bin i are

    N_i = sum_j P(i | T_j) w_j dR/dT(T_j),

with (T_j, w_j) a quadrature of the recoil-energy integral (:func:`recoil_quadrature`) and P the
probability that a recoil T_j is observed in bin i: quenching, then resolution integrated over the
bin (never evaluated at the bin centre), times an efficiency.  Builders here are generic; the
experiment modules choose which to combine.
"""

from __future__ import annotations

import numpy as np

_GL = {n: np.polynomial.legendre.leggauss(n) for n in (4, 6, 8, 10)}


def recoil_quadrature(
    t_lo: float, t_hi: float, breakpoints=(), per_decade: int = 24, order: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for integrals over recoil energy in [t_lo, t_hi].

    Gauss-Legendre of ``order`` on log-spaced intervals (``per_decade`` per decade: the 1/T and
    1/T^2 terms of magnetic moments and millicharges grow at low T), split at every
    ``breakpoint`` where the integrand has a kink or step (kinematic end point of a line, Z_eff
    edges, the end of a quenching table), so that each piece is smooth.
    """
    if not (0 < t_lo < t_hi) or not np.isfinite(t_hi):
        raise ValueError(f"need 0 < t_lo < t_hi, got {t_lo}, {t_hi}")
    n = max(2, int(np.ceil(np.log10(t_hi / t_lo) * per_decade)) + 1)
    edges = np.geomspace(t_lo, t_hi, n)
    extra = [b for b in breakpoints if t_lo < b < t_hi]
    edges = np.unique(np.concatenate([edges, extra]))
    x, w = _GL[order]
    a, b = edges[:-1, None], edges[1:, None]
    nodes = 0.5 * (b - a) * x[None, :] + 0.5 * (b + a)
    weights = 0.5 * (b - a) * w[None, :]
    return nodes.ravel(), weights.ravel()


def gaussian_bin_matrix(mean, sigma, edges) -> np.ndarray:
    """P[i, j] = probability that a Gaussian (mean_j, sigma_j) falls in [edges_i, edges_i+1)."""
    mean = np.asarray(mean, float)[None, :]
    sigma = np.asarray(sigma, float)[None, :]
    if np.any(sigma <= 0):
        raise ValueError("resolution must be positive")
    from scipy.special import ndtr

    cdf = ndtr((np.asarray(edges, float)[:, None] - mean) / sigma)
    return np.diff(cdf, axis=0)


def gamma_cdf(x, mean, shape) -> np.ndarray:
    """CDF of a Gamma distribution with given mean and shape k (rate k/mean)."""
    x = np.maximum(np.asarray(x, float), 0.0)
    from scipy.special import gammainc

    return gammainc(shape, x * shape / mean)


def binned_with_efficiency(cdf, edges, efficiency=None, n_sub: int = 40) -> np.ndarray:
    """P[i, j] = int_{bin i} eps(x) p(x | j) dx for a smearing given by its CDF.

    ``cdf(x)`` returns the CDF at observable values x (shape (len(x), n_recoil)). Each bin is cut
    into ``n_sub`` sub-bins; the efficiency is taken at each sub-bin centre and the probability of
    the sub-bin is an exact CDF difference.
    """
    edges = np.asarray(edges, float)
    sub = np.concatenate(
        [np.linspace(edges[i], edges[i + 1], n_sub + 1)[:-1] for i in range(len(edges) - 1)] + [edges[-1:]]
    )
    c = cdf(sub)
    p = np.diff(c, axis=0)
    if efficiency is not None:
        mid = 0.5 * (sub[1:] + sub[:-1])
        p = p * np.asarray(efficiency(mid), float)[:, None]
    return p.reshape(len(edges) - 1, n_sub, -1).sum(axis=1)
