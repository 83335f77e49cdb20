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
from typing import ClassVar

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
        nuis.append({k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
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
    return [d.expected(params, n) for d, n in zip(lik.datasets, nuis, strict=True)]


def generate(lik: Likelihood, values: dict, seed: int, point: int, toys: range) -> Toys:
    """Pseudo-experiments ``toys`` (indices) of ``point`` at ``values`` (module docstring)."""
    means = expected(lik, values)
    _, nuis = split_values(lik, values)
    obs = [np.empty((len(toys), m.size)) for m in means]
    cen = [np.empty((len(toys), len(d.nuisances))) for d in lik.datasets]
    for r, j in enumerate(toys):
        rng = rng_for(seed, point, j)
        for k, (d, m) in enumerate(zip(lik.datasets, means, strict=True)):
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
    cen = [
        np.array([[nuis[k].get(n.name, n.central) if n.sigma else n.central for n in d.nuisances]])
        for k, d in enumerate(lik.datasets)
    ]
    return Toys([m[None, :] for m in means], cen)


def toy_datasets(lik: Likelihood, toys: Toys, j: int) -> list:
    """Shallow copies of the data sets with pseudo-experiment ``j``'s observations and
    constraint centres (templates shared)."""
    out = []
    for k, d in enumerate(lik.datasets):
        t = copy.copy(d)
        t.observed = toys.observed[k][j]
        t.nuisances = tuple(
            replace(n, central=float(c)) if n.sigma else n for n, c in zip(d.nuisances, toys.centres[k][j], strict=True)
        )
        out.append(t)
    return out


def toy_likelihood(lik: Likelihood, toys: Toys, j: int) -> Likelihood:
    return Likelihood(toy_datasets(lik, toys, j), poi=lik.poi, fixed=lik.base.to_dict(), profiler=lik.profiler)


def _toy_problem(lik: Likelihood, toys: Toys, rows: np.ndarray, fixed_names):
    """The batched-profiler problem (:class:`cevnsfit.inference.nuisance.Problem`) of the
    pseudo-experiments ``rows`` of ``toys``, with ``fixed_names`` held fixed: task ``r`` fits
    row ``rows[r]``'s observations *and* its constraint centres (the Gaussian prior terms of each
    pseudo-experiment sit at its drawn auxiliary measurements)."""

    fp = [k for k in lik.poi if k in fixed_names]
    fn = [k for k in lik.nuis_names if k in fixed_names]
    observed = {d.name: toys.observed[k][rows] for k, d in enumerate(lik.datasets)}
    prob = _RowCentres(lik.datasets, lik.base, [p for p in lik.poi if p not in fp], fp, fn, observed)
    col = {f"{d.name}.{n.name}": (k, c) for k, d in enumerate(lik.datasets) for c, n in enumerate(d.nuisances)}
    cen = np.tile(prob.centre, (rows.size, 1))
    for i, name in enumerate(prob.names):
        if name in col:
            k, c = col[name]
            cen[:, i] = toys.centres[k][rows, c]
    prob.row_centre = cen
    prob.row_fixed_centre = {
        j: toys.centres[col[prob.fixed_nuis[j]][0]][rows, col[prob.fixed_nuis[j]][1]]
        for j, _, _ in prob.fixed_penalty_terms
    }
    return prob


def _row_centres_class():
    from .nuisance import Problem

    class RowCentres(Problem):
        """A :class:`Problem` whose Gaussian constraint centres differ per pseudo-data row."""

        row_centre = None
        row_fixed_centre: ClassVar[dict] = {}

        def evaluate(self, theta, fixp, fixn, obs, derivatives: bool = True):
            out = super().evaluate(theta, fixp, fixn, obs, derivatives)
            rows = np.asarray(obs) >= 0
            if self.row_centre is None or not rows.any():
                return out
            idx = np.maximum(obs, 0)
            c = np.where(rows[:, None], self.row_centre[idx], self.centre)
            df = np.sum(self.inv_s2 * ((theta - c) ** 2 - (theta - self.centre) ** 2), axis=1)
            for j, c0, sig in self.fixed_penalty_terms:
                cj = np.where(rows, self.row_fixed_centre[j][idx], c0)
                df = df + ((fixn[:, j] - cj) / sig) ** 2 - ((fixn[:, j] - c0) / sig) ** 2
            if not derivatives:
                return out + df
            f, g, H = out
            return f + df, g + 2.0 * self.inv_s2 * (self.centre - c), H

    return RowCentres


class _Lazy:
    cls: type | None = None


def _RowCentres(*a, **k):
    if _Lazy.cls is None:
        _Lazy.cls = _row_centres_class()
    return _Lazy.cls(*a, **k)


def _mirror_variants(lik: Likelihood, starts: list[dict], names) -> list[dict]:
    """``starts`` and copies with each free diagonal radius of ``names`` on its other amplitude
    branch(es) (values more than 5 apart)."""
    from .profile import _mirror_starts

    out = [dict(s) for s in starts]
    for p in names:
        if p not in ("r2_ee", "r2_mumu", "r2_tautau"):
            continue
        for s in list(out):
            seen = [s.get(p, getattr(lik.base, p))]
            for v in _mirror_starts(lik, p, lik.datasets):
                if all(abs(v - u) > 5.0 for u in seen):
                    seen.append(v)
                    out.append({**s, p: v})
    return out


def fit_toys(lik: Likelihood, toys: Toys, fixed: dict, starts: list[dict], mirror: bool = True) -> dict:
    """For every pseudo-experiment: chi^2 with ``fixed`` (names -> values) and everything else
    profiled, and the global minimum (every free parameter and nuisance profiled, including the
    fixed ones), each from ``starts`` (plus the other amplitude branch of every profiled diagonal
    charge radius when ``mirror``); the lowest of the starts is kept.  All fits are one call of the
    batched profiler (:func:`cevnsfit.inference.nuisance.solve_tasks`); identical pseudo-experiments
    (frequent for small counts) are fitted once; where the lowest fit of a pseudo-experiment did
    not converge it is redone with iminuit.  Returns arrays ``chi2_fixed``, ``chi2_min``
    (<= chi2_fixed), ``best`` (the fitted value of each fixed name at the minimum, (n, n_fixed))
    and ``converged``."""
    from .nuisance import Outcome, solve_tasks

    n = toys.n
    names = list(fixed)
    first: dict = {}
    which = np.empty(n, int)
    for j in range(n):
        which[j] = first.setdefault(toys.key(j), len(first))
    rows = np.array(sorted({int(np.flatnonzero(which == u)[0]) for u in range(len(first))}))
    m = rows.size

    def fallback(prob, rowmap):
        def run(task, outcome):
            if outcome.converged:
                return outcome
            tl = toy_likelihood(lik, toys, int(rowmap[task.obs]))
            tl.profiler = "minuit"
            vals = prob.values(outcome.theta, task)
            fx = {k: vals[k] for k in (*prob.fixed_phys, *prob.fixed_nuis)}
            res = tl.fit(start=vals, fixed=fx)
            if not np.isfinite(res.chi2) or (res.chi2 > outcome.chi2 and not res.converged):
                return outcome
            return Outcome(prob.to_internal(res.values), res.chi2, res.converged, "minuit", res.message)

        return run

    def best_of(prob, per_row: list[list[dict]], fixed_vals: dict):
        tasks, owner = [], []
        for r, ss in enumerate(per_row):
            for s in ss:
                tasks.append(prob.task({**lik.start(), **s, **fixed_vals}, fixed_vals, r))
                owner.append(r)
        outs = solve_tasks(prob, tasks)
        # iminuit (20-50x dearer) only for the one fit of a row that did not converge and could be
        # its minimum: the lowest failed one, if lower than every converged start of the row.  A
        # failed fit above a converged one is a start ending elsewhere (e.g. in the other island);
        # several starts failing at the same point need one refit
        lowest = [np.inf] * m
        for r, o in zip(owner, outs, strict=True):
            if o.converged:
                lowest[r] = min(lowest[r], o.chi2)
        cand: dict = {}
        for k, (r, o) in enumerate(zip(owner, outs, strict=True)):
            if not o.converged and o.chi2 < lowest[r] and (r not in cand or o.chi2 < outs[cand[r]].chi2):
                cand[r] = k
        redo = fallback(prob, rows)
        if cand:
            # first a fresh batched run from where each stopped (its damping restarts)
            ks = list(cand.values())
            again = solve_tasks(prob, [tasks[k]._replace(start=outs[k].theta.copy()) for k in ks])
            for k, o in zip(ks, again, strict=True):
                outs[k] = o if o.converged and o.chi2 <= outs[k].chi2 + 1e-9 else redo(tasks[k], outs[k])
        best: list = [None] * m
        for r, t, o in zip(owner, tasks, outs, strict=True):
            if best[r] is None or o.chi2 < best[r][1].chi2:
                best[r] = (t, o)
        return best

    profiled = [p for p in lik.poi if p not in fixed]
    pa = _toy_problem(lik, toys, rows, names)
    sa = _mirror_variants(lik, starts, profiled) if mirror else [dict(s) for s in starts]
    at = best_of(pa, [sa] * m, dict(fixed))
    pb = _toy_problem(lik, toys, rows, ())
    per_row = []
    for r in range(m):
        t, o = at[r]
        ss = [pa.values(o.theta, t)] + [dict(s) for s in starts]
        per_row.append(_mirror_variants(lik, ss, lik.poi) if mirror else ss)
    glob = best_of(pb, per_row, {})
    chi2_fixed = np.array([o.chi2 for _, o in at])
    chi2_min = np.array([min(o.chi2, a.chi2) for (_, o), (_, a) in zip(glob, at, strict=True)])
    best = np.array(
        [
            [(pb.values(o.theta, t) if o.chi2 <= a.chi2 else pa.values(a.theta, ta))[p] for p in names]
            for (t, o), (ta, a) in zip(glob, at, strict=True)
        ]
    ).reshape(m, len(names))
    conv = np.array([bool(o.converged and a.converged) for (_, o), (_, a) in zip(glob, at, strict=True)])
    return {"chi2_fixed": chi2_fixed[which], "chi2_min": chi2_min[which], "best": best[which], "converged": conv[which]}
