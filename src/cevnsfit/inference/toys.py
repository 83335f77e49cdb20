"""Pseudo-experiments: data sets drawn from the model at a given point, and their profiled fits.

A pseudo-experiment at (physics parameters, nuisances) replaces

* each data set's observed counts by a draw from its statistic around the expected counts:
  Poisson for counting data; Gaussian with the released errors for data given as rates with
  errors (Dresden-II);
* each Gaussian-constrained nuisance's central value (its *auxiliary measurement*, the "global
  observable") by a draw from N(value at the point, sigma).  The constraint term is a
  measurement like the data: without fluctuating it the toys would understate the spread of
  the fit and give critical values below Wilks' even in the asymptotic limit (Cranmer,
  CERN-2008-001 p. 1; the ATLAS/CMS procedure of 2011, ATL-PHYS-PUB-2011-011).

Seeds: pseudo-experiment ``j`` of point ``i`` uses the stream
``SeedSequence(seed, spawn_key=(i, j))`` -- a seed per point and toy, not per worker, so the
draws do not depend on how the work is split (chunks, back-end, number of workers).

:func:`fit_toys` computes, for many pseudo-experiments at once, the profiled chi^2 at fixed
values and the global minimum.  It is the one place where pseudo-experiments are fitted: today
a loop over :meth:`Likelihood.fit`, identical observations (frequent for small counts) fitted once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from ..physics.parameters import Params
from .fit import Likelihood


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """The random stream of pseudo-experiment ``key`` (e.g. (point, toy)) under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)))


def split_values(lik: Likelihood, values: dict) -> tuple[Params, list[dict]]:
    """Physics parameters and per-data-set nuisances of a full set of likelihood values
    (``{physics name: value, "<dataset>.<nuisance>": value}``; missing ones at base / central)."""
    phys = {k: v for k, v in values.items() if "." not in k}
    params = Params.from_dict(phys, base=lik.base)
    nuis = []
    for d in lik.datasets:
        prefix = d.name + "."
        nuis.append({k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)})
    return params, nuis


@dataclass
class Toys:
    """Pseudo-experiments of one point: ``observed[k]`` is (n, n_bins_k) for data set k,
    ``centres[k]`` (n, n_nuisances_k) the drawn central values of its nuisances (free ones keep
    theirs)."""

    observed: list
    centres: list

    @property
    def n(self) -> int:
        return self.observed[0].shape[0]

    def key(self, j: int) -> bytes:
        return b"".join(o[j].tobytes() for o in self.observed) + b"".join(c[j].tobytes() for c in self.centres)


def expected(lik: Likelihood, values: dict) -> list[np.ndarray]:
    """Expected counts of every data set of ``lik`` at ``values``."""
    params, nuis = split_values(lik, values)
    return [d.expected(params, n) for d, n in zip(lik.datasets, nuis)]


def generate(lik: Likelihood, values: dict, seed: int, point: int, toys: range) -> Toys:
    """Pseudo-experiments ``toys`` (indices) of ``point`` at ``values`` (module docstring)."""
    means = expected(lik, values)
    _, nuis = split_values(lik, values)
    obs = [np.empty((len(toys), m.size)) for m in means]
    cen = [np.empty((len(toys), len(d.nuisances))) for d in lik.datasets]
    for r, j in enumerate(toys):
        rng = rng_for(seed, point, j)
        for k, (d, m) in enumerate(zip(lik.datasets, means)):
            if getattr(d, "statistic", "poisson") == "gaussian":
                obs[k][r] = m + d.observed_errors() * rng.standard_normal(m.size)
            else:
                obs[k][r] = rng.poisson(np.maximum(m, 0.0))
        for k, d in enumerate(lik.datasets):
            for c, n in enumerate(d.nuisances):
                at = nuis[k].get(n.name, n.central)
                cen[k][r, c] = at + n.sigma * rng.standard_normal() if n.sigma else n.central
    return Toys(obs, cen)


def asimov(lik: Likelihood, values: dict) -> Toys:
    """The Asimov data set of ``values``: expected counts as data, constraints at the values."""
    means = expected(lik, values)
    _, nuis = split_values(lik, values)
    cen = [np.array([[nuis[k].get(n.name, n.central) if n.sigma else n.central for n in d.nuisances]])
           for k, d in enumerate(lik.datasets)]
    return Toys([m[None, :] for m in means], cen)


def toy_datasets(lik: Likelihood, toys: Toys, j: int) -> list:
    """Shallow copies of the data sets with pseudo-experiment ``j``'s observations and
    constraint centres (templates shared)."""
    out = []
    for k, d in enumerate(lik.datasets):
        t = copy.copy(d)
        t.observed = toys.observed[k][j]
        t.nuisances = tuple(replace(n, central=float(c)) if n.sigma else n
                            for n, c in zip(d.nuisances, toys.centres[k][j]))
        out.append(t)
    return out


def toy_likelihood(lik: Likelihood, toys: Toys, j: int) -> Likelihood:
    return Likelihood(toy_datasets(lik, toys, j), poi=lik.poi, fixed=lik.base.to_dict(), profiler=lik.profiler)


def fit_toys(lik: Likelihood, toys: Toys, fixed: dict, starts: list[dict], mirror: bool = True) -> dict:
    """For every pseudo-experiment: chi^2 with ``fixed`` (names -> values) and everything else
    profiled, and the global minimum (every free parameter and nuisance profiled, including the
    fixed ones), each from ``starts`` (plus the mirror starts of profiled diagonal radii when
    ``mirror``); the lower of several starts is kept.  Returns arrays ``chi2_fixed``,
    ``chi2_min`` (<= chi2_fixed), ``best`` (the fitted value of each fixed name at the minimum,
    (n, n_fixed)) and ``converged``."""
    from .profile import Profiler, _mirror_starts

    n = toys.n
    out = {"chi2_fixed": np.empty(n), "chi2_min": np.empty(n), "best": np.empty((n, len(fixed))),
           "converged": np.zeros(n, bool)}
    memo: dict = {}
    names = list(fixed)
    radii = [p for p in lik.poi if p in ("r2_ee", "r2_mumu", "r2_tautau")] if mirror else []
    for j in range(n):
        key = toys.key(j)
        hit = memo.get(key)
        if hit is None:
            tl = toy_likelihood(lik, toys, j)
            prof = Profiler(tl, multi_start=mirror)
            at = None
            for s in starts:
                r = prof.profile_at(dict(fixed), dict(s), multi=mirror)
                if at is None or r.chi2 < at.chi2:
                    at = r
            glob = at
            gstarts = [dict(at.values)] + [dict(s) for s in starts]
            for p in radii:      # the other amplitude branch of a free diagonal radius
                for v in _mirror_starts(tl, p, tl.datasets)[1:]:
                    gstarts.append({**at.values, p: v})
            for s in gstarts:
                r = tl.fit(start=s)
                if r.chi2 < glob.chi2 or glob is at and r.chi2 <= glob.chi2:
                    glob = r
            hit = (at.chi2, glob.chi2, [glob.values[p] for p in names], bool(at.converged and glob.converged))
            memo[key] = hit
        out["chi2_fixed"][j], out["chi2_min"][j], out["best"][j], out["converged"][j] = hit
    return out
