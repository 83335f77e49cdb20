"""Combined chi^2 of any subset of data sets, minimised with iminuit (docs/physics.md, Statistics).

The physics parameters are shared by name between data sets; every data set keeps its own
nuisances, named ``"<dataset>.<nuisance>"``.  The chi^2 is the sum of each data set's data term
and its nuisance priors.  Parameters that are neither free nor fixed explicitly stay at their
SM values (:class:`cevnsfit.physics.parameters.Params`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..physics.parameters import MODULUS_ONLY, Params, default_limits, step_size  # noqa: F401


@dataclass
class FitResult:
    values: dict[str, float]
    chi2: float
    converged: bool
    message: str = ""
    errors: dict[str, float] = field(default_factory=dict)

    def physics(self, names) -> dict[str, float]:
        return {n: self.values[n] for n in names}


class Likelihood:
    """chi^2(physics parameters ``poi``, nuisances) summed over ``datasets``.

    Parameters
    ----------
    datasets : list of :class:`cevnsfit.experiments.base.DataSet`
    poi : names of free physics parameters
    fixed : values of other physics parameters (default: SM)
    """

    def __init__(self, datasets, poi=(), fixed: dict | None = None, profiler: str = "lm"):
        if not datasets:
            raise ValueError("need at least one data set")
        names = [d.name for d in datasets]
        if len(set(names)) != len(names):
            raise ValueError(f"data sets appear twice: {names}")
        self.datasets = list(datasets)
        self.poi = list(poi)
        unknown = [p for p in self.poi if p not in Params.names()]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: {', '.join(Params.names())}")
        self.base = Params.from_dict(fixed or {})
        if profiler not in ("lm", "minuit"):
            raise ValueError(f"unknown profiler {profiler!r}; allowed: lm, minuit")
        # "lm": each data set's nuisances are profiled inside every chi^2 call by a damped
        # Gauss-Newton iteration (inference.nuisance); "minuit": they are Minuit parameters
        self.profiler = profiler
        self.nuis_names = [f"{d.name}.{n.name}" for d in self.datasets for n in d.nuisances]
        self.names = self.poi + self.nuis_names
        self.n_fallbacks = 0
        self._slices = []
        i = len(self.poi)
        for d in self.datasets:
            self._slices.append((d, i, [n.name for n in d.nuisances]))
            i += len(d.nuisances)

    def split(self, x):
        params = (
            Params.from_dict(dict(zip(self.poi, x[: len(self.poi)], strict=True)), base=self.base)
            if self.poi
            else self.base
        )
        nuis = [(d, dict(zip(names, x[i : i + len(names)], strict=True))) for d, i, names in self._slices]
        return params, nuis

    def __call__(self, *x) -> float:
        if len(x) == 1 and np.ndim(x[0]) == 1:
            x = tuple(x[0])
        try:
            params, nuis = self.split(x)
        except ValueError:
            return 1e30
        total = 0.0
        for d, nv in nuis:
            total += d.chi2(params, nv)
        return total if math.isfinite(total) else 1e30

    def start(self, poi_start: dict | None = None) -> dict[str, float]:
        out = {p: getattr(self.base, p) for p in self.poi}
        out.update(poi_start or {})
        for d in self.datasets:
            for n in d.nuisances:
                out[f"{d.name}.{n.name}"] = n.central
        return out

    def limits(self, name: str):
        if name in self.poi:
            return default_limits(name)
        ds, nn = name.split(".", 1)
        for d in self.datasets:
            if d.name == ds:
                for n in d.nuisances:
                    if n.name == nn:
                        if n.limits is not None:
                            return n.limits
                        if n.name.startswith("eta_"):
                            return (-1.0, None)  # a normalisation cannot go negative
                        return (None, None)
        return (None, None)

    def minuit(self, start: dict, fixed: dict | None = None):
        from iminuit import Minuit

        start = {**self.start(), **{k: v for k, v in start.items() if k in self.names}}
        m = Minuit(self, *[start[n] for n in self.names], name=self.names)
        m.errordef = 1.0  # Minuit.LEAST_SQUARES: chi^2
        m.strategy = 1
        m.print_level = 0
        m.tol = 0.01  # EDM < 2e-5: profiled chi2 accurate to ~1e-4
        for n in self.names:
            lo, hi = self.limits(n)
            if lo is not None or hi is not None:
                m.limits[n] = (lo, hi)
            if n in self.poi:
                m.errors[n] = step_size(n) if getattr(self.base, n) == 0 else max(abs(start[n]) * 0.1, step_size(n))
            else:
                d, nn = n.split(".", 1)
                sig = next(x.sigma for x in next(z for z in self.datasets if z.name == d).nuisances if x.name == nn)
                m.errors[n] = 0.5 * sig if sig else max(abs(start[n]) * 0.1, 1e-3)
        for n, v in (fixed or {}).items():
            m.values[n] = v
            m.fixed[n] = True
        return m

    # -- profiled fits (batched Levenberg-Marquardt, iminuit as fallback) ------------------------
    def problem(self, fixed_names=(), observed: dict | None = None, centres: dict | None = None):
        """The :class:`~cevnsfit.inference.nuisance.Problem` with the parameters ``fixed_names``
        (physics parameters of ``poi`` and ``"<data set>.<nuisance>"`` names) held fixed per fit."""
        from .nuisance import Problem

        fixed_names = tuple(fixed_names)
        unknown = [k for k in fixed_names if k not in self.names]
        if unknown:
            raise ValueError(
                f"cannot fix {unknown}: not a free parameter or nuisance of this likelihood; "
                f"its parameters are: {', '.join(self.names)}"
            )
        key = (tuple(sorted(fixed_names)), id(observed), id(centres))
        cache = self.__dict__.setdefault("_problems", {})
        prob = cache.get(key)
        if prob is None or prob.observed_src is not observed or prob.centres_src is not centres:
            fp = [k for k in self.poi if k in fixed_names]
            fn = [k for k in self.nuis_names if k in fixed_names]
            prob = Problem(self.datasets, self.base, [p for p in self.poi if p not in fp], fp, fn, observed, centres)
            if len(cache) > 16:
                cache.clear()
            cache[key] = prob
        return prob

    def fallback(self, prob):
        """The replacement of a Levenberg-Marquardt fit that did not converge: MIGRAD (then
        SIMPLEX + MIGRAD) from where it stopped."""
        from .nuisance import Outcome

        def run(task, outcome):
            self.n_fallbacks += 1
            pinned = pin_kinks(self, prob, task, outcome)
            if pinned is not None:
                return pinned
            if task.obs >= 0:  # pseudo-data: the chi^2 of Likelihood.__call__ is the data's
                return outcome
            values = prob.values(outcome.theta, task)
            fixed = {k: values[k] for k in (*prob.fixed_phys, *prob.fixed_nuis)}
            res = run_minuit(self.minuit(values, fixed))
            if not math.isfinite(res.chi2) or (res.chi2 > outcome.chi2 and not res.converged):
                return outcome
            return Outcome(prob.to_internal(res.values), res.chi2, res.converged, "minuit", res.message)

        return run

    def result(self, prob, task, outcome) -> FitResult:
        msg = outcome.message or ("" if outcome.converged else "minimisation did not converge")
        return FitResult(prob.values(outcome.theta, task), float(outcome.chi2), bool(outcome.converged), msg)

    def fit(self, start: dict | None = None, fixed: dict | None = None) -> FitResult:
        """Minimise; ``fixed`` pins parameters (by name) at the given values.  One fit is the
        n = 1 case of :meth:`fit_batch`."""
        fixed = dict(fixed or {})
        st = self.start()
        st.update(start or {})
        st.update(fixed)
        if self.profiler == "minuit":
            unknown = [k for k in fixed if k not in self.names]
            if unknown:
                raise ValueError(
                    f"cannot fix {unknown}: not a free parameter or nuisance of this likelihood; "
                    f"its parameters are: {', '.join(self.names)}"
                )
            return run_minuit(self.minuit(st, fixed))
        from .nuisance import solve_tasks

        prob = self.problem(tuple(fixed))
        task = prob.task(st, fixed)
        out = solve_tasks(prob, [task], fallback=self.fallback(prob))[0]
        return self.result(prob, task, out)

    def fit_batch(
        self, fixed: dict | None = None, start=None, observed: dict | None = None, centres: dict | None = None
    ) -> BatchResult:
        """Many fits at once (a grid, pseudo-experiments): ``fixed`` maps names (physics
        parameters of ``poi``, ``"<data set>.<nuisance>"``) to (n,) arrays of values; ``start``
        is one dict of starting values for all, or a list of n dicts; ``observed`` maps data-set
        names to (n, n_bins) pseudo-data and ``centres`` to (n, n_nuisances) centres of the
        nuisance priors (drawn auxiliary measurements) -- fit i uses row i.  Returns a
        :class:`BatchResult`.  Without pseudo-data, fits that do not converge fall back to
        iminuit as in :meth:`fit`."""
        from .nuisance import solve_tasks

        fixed = {k: np.atleast_1d(np.asarray(v, float)) for k, v in (fixed or {}).items()}
        sizes = (
            {v.size for v in fixed.values()}
            | {np.shape(v)[0] for v in (observed or {}).values()}
            | {np.shape(v)[0] for v in (centres or {}).values()}
        )
        if isinstance(start, (list, tuple)):
            sizes.add(len(start))
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"fit_batch: arrays of different lengths {sorted(sizes)}")
        n = sizes.pop() if sizes else 1
        prob = self.problem(tuple(fixed), observed, centres)
        starts = start if isinstance(start, (list, tuple)) else [start or {}] * n
        tasks = []
        for i in range(n):
            fx = {k: float(v[i] if v.size > 1 else v[0]) for k, v in fixed.items()}
            st = {**self.start(), **(starts[i] or {}), **fx}
            tasks.append(prob.task(st, fx, i if (observed or centres) else -1))
        outs = solve_tasks(prob, tasks, fallback=self.fallback(prob))
        thetas = np.stack([o.theta for o in outs])
        x = prob.physical(thetas)
        values = {name: (x[:, i] if i < len(prob.free) else thetas[:, i]) for i, name in enumerate(prob.names)}
        for k, v in fixed.items():
            values[k] = np.broadcast_to(v, (n,)).copy()
        return BatchResult(values, np.array([o.chi2 for o in outs]), np.array([o.converged for o in outs]))


@dataclass
class BatchResult:
    """Results of :meth:`Likelihood.fit_batch`: ``values`` name -> (n,) array, ``chi2`` (n,),
    ``converged`` (n,)."""

    values: dict
    chi2: np.ndarray
    converged: np.ndarray

    def __len__(self) -> int:
        return self.chi2.size

    def __getitem__(self, i: int) -> FitResult:
        return FitResult({k: float(v[i]) for k, v in self.values.items()}, float(self.chi2[i]), bool(self.converged[i]))


#: a nuisance within this of one of its kinks is tried on it (Gauss-Newton steps along a
#: piecewise-linear direction land on the kink or bounce around it)
KINK_TOL = 0.05
#: the one-sided probe of a held kink
KINK_PROBE = 1e-5


def pin_kinks(lik: Likelihood, prob, task, outcome):
    """Finish a Levenberg-Marquardt fit that stopped with nuisances on (or next to) kinks of the
    prediction (:attr:`cevnsfit.experiments.base.Nuisance.kinks`, e.g. the anchors of a piecewise-
    linear template interpolation): there the chi^2 has a corner, the gradient does not vanish and
    the Newton decrement cannot converge, though the minimum along that nuisance is the corner
    itself.  The fit is redone with those nuisances held on their kinks (the others then converge
    as usual) and accepted if moving each held nuisance off its kink, to either side, raises the
    chi^2 (a V-shaped minimum; the other parameters are at their conditional optimum, so the
    first-order change decides); a nuisance that fails this test is released and the fit redone
    once.  Returns the finished :class:`~cevnsfit.inference.nuisance.Outcome`, or None when no
    nuisance sits near a kink or the held fit is not a minimum (the caller's fallback then applies)."""
    kinks = {f"{d.name}.{n.name}": getattr(n, "kinks", ()) for d in lik.datasets for n in d.nuisances}
    at = {}
    for i, name in enumerate(prob.names):
        ks = kinks.get(name, ())
        if ks:
            k = min(ks, key=lambda v: abs(v - outcome.theta[i]))
            if abs(k - outcome.theta[i]) <= KINK_TOL:
                at[name] = (i, float(k))
    for _ in range(2):
        if not at:
            return None
        res, failed = _held_fit(lik, prob, task, outcome, at)
        if res is not None:
            return res
        if not failed or failed == set(at):
            return None
        at = {k: v for k, v in at.items() if k not in failed}
    return None


def _held_fit(lik, prob, task, outcome, at):
    """(outcome, None) of the fit with the nuisances ``at`` ({name: (column, kink)}) held on their
    kinks if it is a minimum, else (None, the names whose one-sided probes did not both rise)."""
    from .nuisance import Outcome, solve_tasks

    values = prob.values(outcome.theta, task)
    fixed = {k: values[k] for k in (*prob.fixed_phys, *prob.fixed_nuis)}
    fixed.update({name: k for name, (_, k) in at.items()})
    sub = lik.problem(tuple(fixed), prob.observed_src, prob.centres_src)
    sub_task = sub.task({**values, **fixed}, fixed, task.obs)
    out = solve_tasks(sub, [sub_task])[0]
    if not out.converged:
        return None, set()
    theta = prob.to_internal(sub.values(out.theta, sub_task))
    rows, owner = [theta], [None]
    for name, (i, k) in at.items():
        for sign in (1.0, -1.0):
            t = theta.copy()
            t[i] = k + sign * KINK_PROBE
            if prob.lo[i] <= t[i] <= prob.hi[i]:
                rows.append(t)
                owner.append(name)
    m = len(rows)
    f = prob.evaluate(
        np.array(rows),
        np.tile(task.fixed_phys, (m, 1)),
        np.tile(task.fixed_nuis, (m, 1)),
        np.full(m, task.obs),
        derivatives=False,
    )
    if not np.all(np.isfinite(f)):
        return None, set()
    failed = {o for o, v in zip(owner[1:], f[1:], strict=True) if not v > f[0]}
    if failed or f[0] > outcome.chi2 + 1e-9:
        return None, failed
    return Outcome(theta, float(f[0]), True, "lm-kink", "held on the kink(s) of " + ", ".join(at)), None


def run_minuit(m, tries: int = 3) -> FitResult:
    """MIGRAD with retries (SIMPLEX then MIGRAD) until the minimum is valid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.migrad()
        k = 1
        while not m.valid and k < tries:
            m.simplex()
            m.migrad()
            k += 1
    msg = "" if m.valid else f"minimisation did not converge (edm={m.fmin.edm:.3g}, calls={m.nfcn})"
    return FitResult(
        dict(zip(m.parameters, (float(v) for v in m.values), strict=True)),
        float(m.fval),
        bool(m.valid),
        msg,
        dict(zip(m.parameters, (float(v) for v in m.errors), strict=True)),
    )


def profile_nuisances(dataset, params: Params) -> FitResult:
    """Best-fit nuisances of one data set at fixed physics parameters."""
    lik = Likelihood([dataset], fixed=params.to_dict())
    res = lik.fit()
    res.values = {k.split(".", 1)[1]: v for k, v in res.values.items()}
    return res
