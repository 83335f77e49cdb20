"""Bayesian posteriors and credible intervals, sampled with dynesty (nested sampling).

Sampler: dynesty (Speagle, MNRAS 493 (2020) 3132; Koposov et al.), chosen because nested
sampling with multi-ellipsoid bounds finds and weights *separate modes* -- the two islands of a
charge-radius posterior (the coherent amplitude returns to its SM size at a large negative
radius) -- which an ensemble MCMC such as emcee mixes between poorly; because flat priors on a
bounded range are its natural input (the prior transform); because it also returns the evidence;
and because it is pure Python on numpy/scipy (ultranest needs a compiled extension and more
dependencies for the same job).  It is an optional extra: ``pip install 'cevnsfit[bayes]'``.

The posterior is p(theta, nu | data) ~ L(data | theta, nu) pi(theta) pi(nu), with everything that
floats in the frequentist analyses sampled (nothing profiled):

* tested parameters and the other free physics parameters of their family: ``prior="flat"`` is
  uniform in the parameter over the sampled range; ``prior="flat-square"`` is uniform in its
  square, for parameters that enter only through their modulus (|mu_nu|: the rate is linear in
  mu^2).  A charge radius <r^2> is itself the natural parameter: flat in <r^2>.  The credible
  interval depends on this choice; both are reported where they apply;
* nuisances with a Gaussian constraint: a Gaussian prior N(central, sigma) truncated to the
  physical range (a normalisation stays >= -1) -- the constraint term of the chi^2 becomes the
  prior, so it is not counted twice;
* free nuisances (the Dresden-II background shape): flat over the best fit +- 10 of its Hessian
  errors (within its limits), where the likelihood has fallen by exp(-50).

Ranges of the tested parameters: ``ranges`` or the region where the profile Delta chi^2 stays
below 25 (the prior is cut where the likelihood is already below exp(-12.5) of its maximum; the
diagonal charge radii use the frequentist scan range, which holds both islands).

Credible intervals: equal-tailed (the (1-CL)/2 and (1+CL)/2 weighted quantiles) and the
highest-posterior-density (HPD) set of a fine histogram -- which may be two intervals.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ..physics.parameters import UNITS
from .feldman_cousins import result_options
from .fit import Likelihood
from .profile import Profiler

PRIORS = ("flat", "flat-square")
#: proposals evolved together (their likelihood calls batched): a quarter of the live points, at
#: most 64 (a 2.3x faster CsI 2021 (mu_e, mu_mu) posterior than one at a time; 128 gains little)
MAX_QUEUE = 64


def queue_size_for(nlive: int) -> int:
    """The default queue size for ``nlive`` live points: min(64, nlive // 4), at least 1."""
    return max(1, min(MAX_QUEUE, int(nlive) // 4))


#: how far a free nuisance's flat prior reaches, in Hessian errors
FREE_NUISANCE_SPAN = 10.0


def _need_dynesty():
    from .._optional import require

    return require("dynesty", "bayes", "--method bayes (Bayesian posteriors)")


class Posterior:
    """The sampled posterior of a likelihood: parameter order ``names``, prior transform and
    log-likelihood for dynesty, and the weighted samples once :meth:`run` is done."""

    def __init__(self, lik: Likelihood, tested: list[str], prior: str, ranges: dict):
        from .feldman_cousins import is_nuisance

        if prior not in PRIORS:
            raise ValueError(f"unknown prior {prior!r}; allowed: {', '.join(PRIORS)}")
        self.lik = lik
        self.prior = prior
        self.names = list(lik.names)
        self.kind: list[str] = []
        lo_, hi_, mu_, sig_ = [], [], [], []  # per parameter, made arrays below
        best = (
            lik.fit()
            if lik.profiler == "minuit"
            else Likelihood(lik.datasets, lik.poi, lik.base.to_dict(), profiler="minuit").fit()
        )
        from ..physics.parameters import MODULUS_ONLY

        for n in self.names:
            lo, hi = lik.limits(n)
            lo = -np.inf if lo is None else float(lo)
            hi = np.inf if hi is None else float(hi)
            if n in ranges:
                a, b = map(float, ranges[n])
                lo, hi = max(lo, a), min(hi, b)
                if prior == "flat-square" and n in MODULUS_ONLY and not is_nuisance(n):
                    self.kind.append("square")
                else:
                    if prior == "flat-square" and n in tested:
                        raise ValueError(
                            f"prior flat-square applies to moduli (magnetic moments, transition parameters), not to {n}"
                        )
                    self.kind.append("flat")
                mu_.append(0.0)
                sig_.append(0.0)
            else:
                nu = self._nuisance(n)
                if nu is not None and nu.sigma:
                    self.kind.append("gauss")
                    mu_.append(nu.central)
                    sig_.append(nu.sigma)
                else:
                    err = best.errors.get(n, 0.0) or (nu.sigma if nu and nu.sigma else 0.0) or 1.0
                    c = best.values[n]
                    lo, hi = max(lo, c - FREE_NUISANCE_SPAN * err), min(hi, c + FREE_NUISANCE_SPAN * err)
                    self.kind.append("flat")
                    mu_.append(0.0)
                    sig_.append(0.0)
            if self.kind[-1] != "gauss" and not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
                raise ValueError(f"no finite prior range for {n}: give a range")
            lo_.append(lo)
            hi_.append(hi)
        self.lo, self.hi = np.array(lo_), np.array(hi_)
        self._kind = np.array([{"flat": 0, "square": 1, "gauss": 2}[k] for k in self.kind])
        self.mu, self.sig = np.array(mu_), np.array(sig_)
        g = np.array([k == "gauss" for k in self.kind])
        with np.errstate(invalid="ignore"):
            self._ulo = np.where(g, ndtr((self.lo - self.mu) / np.where(g, self.sig, 1.0)), 0.0)
            self._uhi = np.where(g, ndtr((self.hi - self.mu) / np.where(g, self.sig, 1.0)), 1.0)
        self.samples: np.ndarray | None = None
        self.weights: np.ndarray | None = None
        #: the fit problem of the posterior (set by :func:`posterior`, for batched evaluation)
        self.problem: Any = None

    def _nuisance(self, name):
        if "." not in name:
            return None
        d, n = name.split(".", 1)
        for ds in self.lik.datasets:
            if ds.name == d:
                return next(x for x in ds.nuisances if x.name == n)
        return None

    def transform(self, u: np.ndarray) -> np.ndarray:
        """The prior transform: unit-cube coordinates ``u`` (..., ndim) to parameter values."""
        u = np.asarray(u, float)
        with np.errstate(invalid="ignore", over="ignore"):
            flat = self.lo + u * (self.hi - self.lo)
            square = np.sqrt(self.lo**2 + u * (self.hi**2 - self.lo**2))
            gauss = self.mu + self.sig * ndtri(self._ulo + u * (self._uhi - self._ulo))
        return np.where(self._kind == 0, flat, np.where(self._kind == 1, square, gauss))

    def loglike_batch(self, X: np.ndarray) -> np.ndarray:
        """-chi^2/2 of the data terms only (the constraints are the priors) at n points (n, ndim):
        one batched evaluation of every data set
        (:meth:`cevnsfit.experiments.base.DataSet.expected_batch`).  A point
        outside a data set's domain gets -1e300."""
        X = np.atleast_2d(np.asarray(X, float))
        lik = self.lik
        try:
            with np.errstate(all="ignore"):
                values = {p: X[:, i] for i, p in enumerate(lik.poi)}
                tot = np.zeros(X.shape[0])
                for d, i0, names in lik._slices:
                    nuis = {nm: X[:, i0 + k] for k, nm in enumerate(names)}
                    tot = tot + np.atleast_1d(d.chi2_counts(d.expected_batch(values, nuis, base=lik.base)))
        except (ValueError, FloatingPointError, ArithmeticError):
            if X.shape[0] == 1:
                return np.full(1, -1e300)
            return np.concatenate([self.loglike_batch(X[i : i + 1]) for i in range(X.shape[0])])
        return np.where(np.isfinite(tot), -0.5 * tot, -1e300)

    def loglike(self, x: np.ndarray) -> float:
        """:meth:`loglike_batch` of one point."""
        return float(self.loglike_batch(np.asarray(x, float)[None, :])[0])

    def run(self, nlive: int = 500, seed: int = 0, dlogz: float = 0.1, queue_size: int | None = None) -> Posterior:
        """Nested sampling with dynesty (multi-ellipsoid bounds, its default proposals).  The
        likelihood calls of ``queue_size`` proposals at a time (default: :func:`queue_size_for`)
        are evaluated together (:class:`cevnsfit.inference.lockstep.LockstepPool`); 1 runs
        dynesty serially."""
        from .lockstep import LockstepPool

        dynesty = _need_dynesty()
        q = queue_size_for(nlive) if queue_size is None else int(queue_size)
        if q < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        kw = {}
        loglike = self.loglike
        if q > 1:
            pool = LockstepPool(self.loglike_batch, q)
            loglike = pool.loglike
            kw = dict(pool=pool, queue_size=q, use_pool={"prior_transform": False, "update_bound": False})
        sampler = dynesty.NestedSampler(
            loglike,
            self.transform,
            len(self.names),
            nlive=nlive,
            bound="multi",
            rstate=np.random.default_rng(seed),
            **kw,
        )
        sampler.run_nested(dlogz=dlogz, print_progress=False)
        res = sampler.results
        w = np.exp(res.logwt - res.logz[-1])
        self.samples, self.weights = np.asarray(res.samples), w / w.sum()
        self.logz, self.logz_err = float(res.logz[-1]), float(res.logzerr[-1])
        self.n_calls = int(np.sum(res.ncall))
        self.queue_size = q
        self.batches = (pool.n_rounds, pool.n_points) if q > 1 else None
        return self

    def column(self, name: str) -> np.ndarray:
        if self.samples is None:
            raise RuntimeError("the posterior has not been sampled yet: call run()")
        return self.samples[:, self.names.index(name)]


def weighted_quantile(x, w, q) -> np.ndarray:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    cw = (cw - 0.5 * w[order]) / cw[-1]
    return np.interp(q, cw, x[order])


def smoothed_density(x, w, lo: float, hi: float, bins: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Posterior density of weighted samples on [lo, hi]: a fine histogram smoothed with a
    Gaussian kernel (Scott's width for the effective sample size 1/sum w^2), reflected at both
    ends of the prior range so that a boundary (|mu| >= 0) keeps its density.  Returns the bin
    edges and the density."""
    w = w / w.sum()
    n_eff = 1.0 / np.sum(w**2)
    sd = np.sqrt(np.sum(w * (x - np.sum(w * x)) ** 2))
    h, edges = np.histogram(x, bins=bins, range=(lo, hi), weights=w)
    dx = edges[1] - edges[0]
    width = max(sd * n_eff ** (-0.2), dx) / dx  # kernel sigma in bins
    k = np.arange(-int(4 * width) - 1, int(4 * width) + 2)
    kern = np.exp(-0.5 * (k / width) ** 2)
    kern /= kern.sum()
    pad = k.size
    ext = np.concatenate([h[:pad][::-1], h, h[-pad:][::-1]])
    dens = np.convolve(ext, kern, mode="same")[pad : pad + bins]
    return edges, dens / (dens.sum() * dx)


def hpd_intervals(x, w, cl: float, lo: float, hi: float, bins: int = 400) -> list[list[float]]:
    """Highest-posterior-density set at ``cl`` of the smoothed density (:func:`smoothed_density`):
    the bins of highest density whose mass reaches ``cl``, merged into intervals (two islands give
    two intervals)."""
    edges, d = smoothed_density(x, w, lo, hi, bins)
    order = np.argsort(d)[::-1]
    mass = np.cumsum(d[order]) / d.sum()
    keep = np.zeros(bins, bool)
    keep[order[: int(np.searchsorted(mass, cl)) + 1]] = True
    out = []
    i = 0
    while i < bins:
        if keep[i]:
            j = i
            while j + 1 < bins and keep[j + 1]:
                j += 1
            out.append([float(edges[i]), float(edges[j + 1])])
            i = j + 1
        else:
            i += 1
    return out


def _prior_range(prof: Profiler, name: str, lo_phys) -> tuple[float, float]:
    from .analysis import R2_DIAG_RANGE, family
    from .feldman_cousins import bracket, is_nuisance

    if not is_nuisance(name) and family(name) == "r2" and name.split("_")[1] in ("ee", "mumu", "tautau"):
        return R2_DIAG_RANGE
    scale = {"sin2w": 0.005, "mu": 0.2, "r2": 0.5, "q": 1e-13}.get(name.split("_")[0], 0.05)
    return bracket(prof, name, 25.0, lo_phys, scale)


def sample(
    source,
    params,
    prior: str = "flat",
    ranges: dict | None = None,
    nlive: int = 500,
    seed: int = 0,
    fixed=None,
    free=None,
    queue_size: int | None = None,
):
    """Sample the posterior of ``params`` (and everything else that floats: which physics
    parameters do is decided as for Wilks, with ``fixed``/``free``,
    :func:`cevnsfit.inference.feldman_cousins.problem_for`); see the module docstring for the
    priors; ``queue_size`` as in :meth:`Posterior.run`.  Returns the :class:`Posterior`."""
    from .feldman_cousins import likelihood_of, lower_bound, problem_for

    problem, dss = problem_for(source, list(params), fixed=fixed, free=free)
    lik = likelihood_of(problem, dss)
    prof = Profiler(lik)
    prof.global_fit()
    ranges = dict(ranges or {})
    for p in list(problem.poi) + [p for p in params if p not in problem.poi]:
        if p not in ranges:
            ranges[p] = _prior_range(prof, p, lower_bound(lik, p))
    post = Posterior(lik, list(params), prior, ranges)
    post.problem = problem
    return post.run(nlive=nlive, seed=seed, queue_size=queue_size)


def bayes_limit(
    source,
    param: str,
    cl: float = 0.9,
    prior: str = "flat",
    scan_range=None,
    nlive: int = 500,
    seed: int = 0,
    fixed=None,
    free=None,
    queue_size: int | None = None,
) -> dict:
    """Credible intervals of ``param`` (HPD and equal-tailed) at ``cl``; a JSON-able dict."""
    t0 = time.perf_counter()
    if not (0.0 < cl < 1.0):
        raise ValueError(f"credibility level must lie in (0, 1), got {cl}")
    post = sample(
        source,
        [param],
        prior,
        {param: scan_range} if scan_range is not None else None,
        nlive,
        seed,
        fixed,
        free,
        queue_size,
    )
    x, w = post.column(param), post.weights
    i = post.names.index(param)
    lo, hi = float(post.lo[i]), float(post.hi[i])
    et = weighted_quantile(x, w, [(1 - cl) / 2, (1 + cl) / 2]).tolist()
    hpd = hpd_intervals(x, w, cl, lo, hi)
    edges, h = smoothed_density(x, w, lo, hi, 200)
    mean = float(np.sum(w * x))
    return {
        "method": "bayes",
        "param": param,
        "unit": UNITS.get(param, ""),
        "cl": cl,
        "prior": prior,
        "intervals": hpd,
        "hpd_intervals": hpd,
        "equal_tailed": et,
        "upper_limit": float(weighted_quantile(x, w, cl)),
        "mean": mean,
        "mode": float(0.5 * (edges[np.argmax(h)] + edges[np.argmax(h) + 1])),
        "prior_range": [lo, hi],
        "posterior": {"edges": edges.tolist(), "density": h.tolist()},
        "logz": post.logz,
        "logz_err": post.logz_err,
        "n_samples": int(x.size),
        "n_calls": post.n_calls,
        "sampled": post.names,
        "nlive": nlive,
        "seed": seed,
        "queue_size": post.queue_size,
        "options": result_options(source, post.lik.datasets, post.problem, free),
        "warnings": [],
        "seconds": time.perf_counter() - t0,
    }


def bayes_contour(
    source,
    px: str,
    py: str,
    cl: float = 0.9,
    prior: str = "flat",
    x_range=None,
    y_range=None,
    nlive: int = 500,
    seed: int = 0,
    bins: int = 40,
    fixed=None,
    free=None,
    queue_size: int | None = None,
) -> dict:
    """2D posterior of (px, py): the HPD region at ``cl`` on a ``bins`` x ``bins`` histogram, the 1D
    marginals with their credible intervals, and the samples for a corner plot."""
    t0 = time.perf_counter()
    ranges = {k: v for k, v in ((px, x_range), (py, y_range)) if v is not None}
    post = sample(source, [px, py], prior, ranges, nlive, seed, fixed, free, queue_size)
    x, y, w = post.column(px), post.column(py), post.weights
    ix, iy = post.names.index(px), post.names.index(py)
    h, xe, ye = np.histogram2d(
        x, y, bins=bins, range=[[post.lo[ix], post.hi[ix]], [post.lo[iy], post.hi[iy]]], weights=w
    )
    flat = np.sort(h.ravel())[::-1]
    level = float(flat[min(int(np.searchsorted(np.cumsum(flat), cl)), flat.size - 1)])
    marg = {}
    for p, v, i in ((px, x, ix), (py, y, iy)):
        marg[p] = {
            "hpd_intervals": hpd_intervals(v, w, cl, post.lo[i], post.hi[i]),
            "equal_tailed": weighted_quantile(v, w, [(1 - cl) / 2, (1 + cl) / 2]).tolist(),
        }
    keep = w > 1e-6 * w.max()
    return {
        "method": "bayes",
        "params": [px, py],
        "units": [UNITS.get(px, ""), UNITS.get(py, "")],
        "cl": cl,
        "prior": prior,
        "x_edges": xe.tolist(),
        "y_edges": ye.tolist(),
        "density": h.T.tolist(),
        "hpd_level": level,
        "marginals": marg,
        "samples": {"x": x[keep].tolist(), "y": y[keep].tolist(), "w": w[keep].tolist()},
        "logz": post.logz,
        "n_calls": post.n_calls,
        "sampled": post.names,
        "nlive": nlive,
        "seed": seed,
        "queue_size": post.queue_size,
        "options": result_options(source, post.lik.datasets, post.problem, free),
        "warnings": [],
        "seconds": time.perf_counter() - t0,
    }
