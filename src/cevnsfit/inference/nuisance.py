"""Fast profiling: a damped Gauss-Newton (Levenberg-Marquardt) minimiser for chi^2 sums.

Nuisances mostly enter the expected counts linearly (normalisations, the Dresden-II background
amplitudes) or smoothly (template morphing, timing offset, the epithermal slope, the Ge peak
shapes), and the physics parameters enter as low-order polynomials.  With J = dN/dtheta (exact
where the data set provides it, :meth:`DataSet.linear_derivatives`; otherwise forward
differences, computed only for the data sets a parameter acts on),

    gradient  g = sum_i dchi2/dN_i J_i + 2 (theta - c)/sigma^2
    Hessian   H = sum_i w_i J_i J_i^T + 2/sigma^2        (w = 2/sigma_i^2 Gaussian,
                                                         w = 2 n_i/N_i^2 Poisson)

plus, for a signed physics parameter p (the counts are quadratic in it), the positive part of the
residual term sum_i dchi2/dN_i d2N_i/dp2 that Gauss-Newton drops (from a central second
difference), the iteration converges in a handful of steps, each costing one evaluation of the
expected counts per parameter (three for a signed physics parameter): far fewer than a general
minimiser.  A parameter that enters only through
its modulus (magnetic moments, transition radii / charges) is iterated in its square u = x^2 >= 0,
in which the rate is linear, so the physical boundary x = 0 is reached and handled exactly.
iminuit remains the fallback whenever the iteration does not converge
(:class:`cevnsfit.inference.fit.Likelihood`).
"""

from __future__ import annotations

import numpy as np

from ..physics.parameters import MODULUS_ONLY, Params


def _weights(ds, expected):
    """dchi2/dN and the Gauss-Newton weights for the data set's statistic."""
    y = ds.observed
    if getattr(ds, "statistic", "poisson") == "gaussian":
        s2 = ds.observed_errors() ** 2
        return 2.0 * (expected - y) / s2, 2.0 / s2
    mu = np.maximum(expected, 1e-300)
    return 2.0 * (1.0 - y / mu), 2.0 * np.maximum(y, 0.5) / mu**2


class _Problem:
    """The parameter vector of a profiled fit: free physics parameters (internal coordinates) and
    every data set's nuisances."""

    def __init__(self, datasets, base: Params, free_physics, squared, fixed_nuis=None):
        self.datasets = datasets
        self.fixed_nuis = dict(fixed_nuis or {})
        self.base = base
        self.free = list(free_physics)
        self.squared = [p in squared for p in self.free]
        self.cols = []            # (kind, name, dataset index or None)
        for p in self.free:
            self.cols.append(("phys", p, None))
        for k, d in enumerate(datasets):
            for n in d.nuisances:
                if f"{d.name}.{n.name}" not in self.fixed_nuis:
                    self.cols.append(("nuis", n.name, k))
        self.centre = np.zeros(len(self.cols))
        self.inv_s2 = np.zeros(len(self.cols))
        self.lo = np.full(len(self.cols), -np.inf)
        self.hi = np.full(len(self.cols), np.inf)
        self.scale = np.ones(len(self.cols))
        from .fit import default_limits, step_size
        for i, (kind, name, k) in enumerate(self.cols):
            if kind == "phys":
                lo, hi = default_limits(name)
                sq = self.squared[i]
                self.lo[i] = 0.0 if sq else (-np.inf if lo is None else lo)
                self.hi[i] = np.inf if (hi is None or sq) else hi
                self.scale[i] = step_size(name) ** (2 if sq else 1)
            else:
                n = next(x for x in datasets[k].nuisances if x.name == name)
                self.centre[i] = n.central
                self.inv_s2[i] = 0.0 if n.sigma is None else 1.0 / n.sigma**2
                if n.limits:
                    self.lo[i], self.hi[i] = n.limits
                elif n.name.startswith("eta_"):
                    self.lo[i] = -1.0
                self.scale[i] = n.sigma if n.sigma else max(abs(n.central), 1e-3)
        # which data sets each physics column acts on
        self.acts = [[k for k, d in enumerate(datasets) if kind != "phys" or name in d.sensitive_to]
                     if kind == "phys" else [k] for kind, name, k in self.cols]

    def params(self, theta) -> Params:
        vals = {}
        for i, p in enumerate(self.free):
            v = theta[i]
            vals[p] = np.sqrt(max(v, 0.0)) if self.squared[i] else v
        return Params.from_dict(vals, base=self.base) if vals else self.base

    def nuis(self, theta, k) -> dict:
        out = {name: theta[i] for i, (kind, name, kk) in enumerate(self.cols) if kind == "nuis" and kk == k}
        prefix = self.datasets[k].name + "."
        out.update({key[len(prefix):]: v for key, v in self.fixed_nuis.items() if key.startswith(prefix)})
        return out

    def fixed_penalty(self) -> float:
        tot = 0.0
        for key, v in self.fixed_nuis.items():
            dname, nname = key.split(".", 1)
            for d in self.datasets:
                if d.name == dname:
                    tot += next(x for x in d.nuisances if x.name == nname).penalty(v)
        return tot

    def to_internal(self, values: dict) -> np.ndarray:
        th = np.empty(len(self.cols))
        for i, (kind, name, k) in enumerate(self.cols):
            if kind == "phys":
                v = values.get(name, getattr(self.base, name))
                th[i] = v * v if self.squared[i] else v
            else:
                th[i] = values.get(f"{self.datasets[k].name}.{name}", self.centre[i])
        return np.clip(th, self.lo, self.hi)

    def to_values(self, theta) -> dict:
        out = {}
        for i, (kind, name, k) in enumerate(self.cols):
            if kind == "phys":
                out[name] = float(np.sqrt(max(theta[i], 0.0)) if self.squared[i] else theta[i])
            else:
                out[f"{self.datasets[k].name}.{name}"] = float(theta[i])
        out.update({k: float(v) for k, v in self.fixed_nuis.items()})
        return out


def _residual_curvature(evaluate, theta, i, prob, exps, gw) -> float:
    """sum_k sum_bins dchi2/dN d2N/dtheta_i^2 by a central second difference (exact, up to
    rounding, for the quadratic dependence of the counts on a physics parameter)."""
    h = 1e-3 * max(prob.scale[i], abs(theta[i]))
    if theta[i] - h < prob.lo[i] or theta[i] + h > prob.hi[i]:
        return 0.0
    tp, tm = theta.copy(), theta.copy()
    tp[i] += h
    tm[i] -= h
    ep, em = evaluate(tp, prob.acts[i], exps), evaluate(tm, prob.acts[i], exps)
    return float(sum(gw[k][0] @ ((ep[k] - 2.0 * exps[k] + em[k]) / h**2) for k in prob.acts[i]))


def lm_minimise(datasets, base: Params, free_physics=(), start: dict | None = None,
                tol: float = 1e-10, max_iter: int = 100, fixed_nuisances: dict | None = None):
    """Minimise sum_d chi2_d over ``free_physics`` (physics parameter names) and all nuisances
    not in ``fixed_nuisances`` (``{"<dataset>.<nuisance>": value}``), the other physics
    parameters fixed at ``base``.  Returns ``(chi2, values, converged)`` with
    values keyed by physics name and ``"<dataset>.<nuisance>"``."""
    free = list(free_physics)
    # iterate moduli in their square when no other parameter multiplies them (TRC monomial)
    squared = set()
    for p in free:
        if p in MODULUS_ONLY:
            if p.startswith("mu_") or p in ("g_zp", "g_phi"):   # no partner multiplies them
                squared.add(p)
            else:
                kind, suffix = p.split("_", 1)
                partner = ("q_" if kind == "r2" else "r2_") + suffix
                if partner not in free and getattr(base, partner) == 0.0:
                    squared.add(p)
    prob = _Problem(datasets, base, free, squared, fixed_nuisances)
    const = prob.fixed_penalty()
    theta = prob.to_internal(start or {})
    # a squared modulus exactly at 0 is a stationary point in x but not in u = x^2: fine

    lin = [None] * len(datasets)     # linear derivatives at the current point

    kept = {}                        # components of the last evaluation with keep=True

    def evaluate(th, which=None, cache=None, keep=False):
        params = prob.params(th)
        exps = list(cache) if cache is not None else [None] * len(datasets)
        for k, d in enumerate(datasets):
            if which is None or k in which:
                nv = prob.nuis(th, k)
                comps = d.components(params, nv)
                exps[k] = sum(comps.values())
                if keep:
                    kept[k] = (params, nv, comps)
        return exps

    def update_linear():
        """Exact Jacobian columns at the point of the last kept evaluation (an accepted step:
        they are not computed for trial steps that get rejected)."""
        for k, d in enumerate(datasets):
            lin[k] = d.linear_derivatives(*kept[k])

    def chi2(th, exps):
        tot = sum(d.chi2_counts(e) for d, e in zip(datasets, exps))
        return tot + const + float(np.sum(prob.inv_s2 * (th - prob.centre) ** 2))

    exps = evaluate(theta, keep=True)
    update_linear()
    f = chi2(theta, exps)
    lam = 1e-3
    converged = False
    n = theta.size
    for _ in range(max_iter):
        gw = [_weights(d, e) for d, e in zip(datasets, exps)]
        grad = 2.0 * prob.inv_s2 * (theta - prob.centre)
        H = np.diag(2.0 * prob.inv_s2)
        cols = []
        curv = np.zeros(n)
        for i in range(n):
            kind, name, kk = prob.cols[i]
            if kind == "nuis" and lin[kk] is not None and name in lin[kk]:
                cols.append({kk: lin[kk][name]})
                continue
            h = 1e-6 * max(prob.scale[i], abs(theta[i]))
            t2 = theta.copy()
            if t2[i] + h > prob.hi[i]:
                h = -h
            t2[i] += h
            e2 = evaluate(t2, prob.acts[i], exps)
            cols.append({k: (e2[k] - exps[k]) / h for k in prob.acts[i]})
            if kind == "phys" and not prob.squared[i]:
                curv[i] = _residual_curvature(evaluate, theta, i, prob, exps, gw)
        for k in range(len(datasets)):
            idx = [i for i in range(n) if k in cols[i]]
            if not idx:
                continue
            J = np.stack([cols[i][k] for i in idx], axis=1)
            g, w = gw[k]
            grad[idx] += J.T @ g
            H[np.ix_(idx, idx)] += (J * w[:, None]).T @ J
        # the counts are quadratic in a signed physics parameter (a radius, a charge, sin2w): add
        # the residual term sum_i dchi2/dN_i d2N_i/dp2 that Gauss-Newton drops -- it matters when
        # the fit leaves residuals, and without it the iteration crawls along such a parameter.
        # Only a positive term is added, so H stays positive definite.
        H[np.diag_indices(n)] += np.maximum(curv, 0.0)
        if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(H))):
            converged = False
            break
        improved = False
        # active set: parameters at a bound whose gradient pushes outwards stay there
        active = ((theta <= prob.lo) & (grad > 0)) | ((theta >= prob.hi) & (grad < 0))
        fr = np.flatnonzero(~active)
        for _try in range(14):
            Hf = H[np.ix_(fr, fr)]
            A = Hf + lam * np.diag(np.maximum(np.diag(Hf), 1e-12))
            step = np.zeros(n)
            try:
                step[fr] = -np.linalg.solve(A, grad[fr])
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            if not np.all(np.isfinite(step)):
                lam *= 10.0
                continue
            new = np.clip(theta + step, prob.lo, prob.hi)
            try:
                e_new = evaluate(new, keep=True)
                f_new = chi2(new, e_new)
            except (ValueError, FloatingPointError):   # e.g. a parameter outside its domain
                lam *= 10.0
                continue
            if np.isfinite(f_new) and f_new <= f:
                improved = True
                df = f - f_new
                theta, f, exps = new, f_new, e_new
                update_linear()
                lam = max(lam / 10.0, 1e-10)
                break
            lam *= 10.0
        # Newton decrement on the free subspace (components pushing against a bound do not count)
        try:
            gf = grad[fr]
            newton_dec = float(gf @ np.linalg.lstsq(H[np.ix_(fr, fr)] + 1e-12 * np.eye(fr.size), gf, rcond=None)[0])
        except np.linalg.LinAlgError:
            newton_dec = np.inf
        if not improved:
            converged = newton_dec < 1e-5
            break
        # stop when the remaining decrease (about half the Newton decrement) is negligible for
        # any Delta chi^2 threshold, or when a step no longer changes chi^2
        if newton_dec < 2e-6 or (df < tol and newton_dec < 1e-5):
            converged = True
            break
    return f, prob.to_values(theta), converged
