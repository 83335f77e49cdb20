"""Profiled fits in batches: a vectorised damped Gauss-Newton (Levenberg-Marquardt) minimiser.

A *problem* fixes which physics parameters are free, which physics parameters and nuisances are
held fixed (their values may differ from fit to fit) and which data sets enter; a *task* is one
fit of that problem: the fixed values, the starting point and optionally its own observed counts
(a pseudo-experiment).  :func:`solve` runs any number of tasks at once, every iteration one call
of each data set's :meth:`~cevnsfit.experiments.base.DataSet.jacobian_batch` for all of them:

    gradient  g = sum_bins dchi2/dN J + 2 (theta - c)/sigma^2
    Hessian   H = sum_bins w J J^T + 2/sigma^2        (w = 2/sigma_i^2 Gaussian,
                                                      w = 2 n_i/N_i^2 Poisson)

with J = dN/dtheta exact for every nuisance and physics parameter (no finite differences), arrays
of shape (n_fits, n_bins, n_parameters).  For a signed physics parameter p (the counts are
quadratic in it) the positive part of the residual term sum dchi2/dN d2N/dp2 that Gauss-Newton
drops is added to H_pp (exact, from the second-derivative directions of the monomials): without
it the iteration crawls along such a parameter when the fit leaves residuals.  A parameter that
enters only through its modulus (magnetic moments, transition radii/charges without a free
partner) is iterated in its square u = x^2 >= 0, in which the counts are linear
(dN/du = d2N/dx2 / 2, exact at x = 0), so the physical boundary is reached and handled exactly.

Each fit keeps its own damping, active set (parameters pushing against a bound stay there) and
convergence state: a step is accepted when it does not raise the chi^2 (damping / 10), else the
damping grows x 10 (14 refusals in a row end the fit); a fit has converged when the Newton
decrement g^T H^-1 g on the free subspace (twice the decrease still available) is below 2e-6, or
below 1e-5 with a step that changed the chi^2 by less than ``tol``.  Finished fits leave the
batch; a fit that does not converge is handed to the ``fallback`` (iminuit in
:class:`cevnsfit.inference.fit.Likelihood`).

Sequences of dependent fits -- a scan warm-started from its neighbour, an interval end refined
by regula falsi -- are *chains*: generators that yield a list of tasks and receive their
outcomes.  :func:`solve` advances every chain as soon as its tasks are done, so all chains of a
scan (every amplitude branch, both directions) share the batched iterations.  A single fit is
the n = 1 case of the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from ..physics.monomials import Points, parameter_index
from ..physics.parameters import MODULUS_ONLY, Params, default_limits, step_size
from .backends import one_blas_thread

#: convergence: Newton decrement below which a fit has converged
DECREMENT_TOL = 2e-6
#: ... or below this with a chi^2 change below ``tol``
DECREMENT_LOOSE = 1e-5
MAX_REFUSALS = 14


class Task(NamedTuple):
    """One fit: values of the fixed physics parameters and fixed nuisances (in the order of the
    problem's ``fixed_physics`` / ``fixed_nuisances``), the start (internal coordinates) and the
    row of the problem's ``observed`` arrays to fit (-1: the data)."""

    fixed_phys: np.ndarray
    fixed_nuis: np.ndarray
    start: np.ndarray
    obs: int = -1


class Outcome(NamedTuple):
    """A finished fit: parameters (internal coordinates), chi^2, converged, how ("lm",
    "minuit", "lm-failed") and a message."""

    theta: np.ndarray
    chi2: float
    converged: bool
    method: str = "lm"
    message: str = ""


def squared_parameters(free, base: Params, fixed=()) -> set:
    """The free parameters iterated in their square: magnetic moments, the light-mediator
    couplings (the counts depend on g^2 only), and transition radii/charges whose partners (the
    charge/radius and the flavour-changing NSI of the same pair) are neither free, nor fixed by
    the task, nor non-zero in ``base`` (the rate then depends on x^2 only)."""
    out = set()
    for p in free:
        if p not in MODULUS_ONLY:
            continue
        if p.startswith("mu_") or p in ("g_zp", "g_phi"):
            out.add(p)
            continue
        kind, suffix = p.split("_", 1)
        partners = [("q_" if kind == "r2" else "r2_") + suffix, f"eps_u_{suffix}", f"eps_d_{suffix}"]
        if all(q not in free and q not in fixed and getattr(base, q) == 0.0 for q in partners):
            out.add(p)
    return out


class Problem:
    """The parameter vector of a family of profiled fits (see the module docstring).

    Parameters
    ----------
    datasets : the data sets (their chi^2 add up)
    base : values of every physics parameter that is neither free nor fixed per task
    free_physics : names of the free physics parameters
    fixed_physics : physics parameters whose value each task gives
    fixed_nuisances : ``"<data set>.<nuisance>"`` names whose value each task gives
    observed : {data set name: (n_rows, n_bins) array} pseudo-data a task may refer to (by row)
    centres : {data set name: (n_rows, n_nuisances) array} the centres of the Gaussian priors of
        that data set's nuisances for each row (pseudo-experiments that also draw the auxiliary
        measurements); a free nuisance's column is ignored
    """

    def __init__(
        self,
        datasets,
        base: Params,
        free_physics=(),
        fixed_physics=(),
        fixed_nuisances=(),
        observed: dict | None = None,
        centres: dict | None = None,
    ):
        self.datasets = list(datasets)
        self.base = base
        self.free = list(free_physics)
        self.fixed_phys = list(fixed_physics)
        self.fixed_nuis = list(fixed_nuisances)
        self.observed = {k: np.asarray(v, float) for k, v in (observed or {}).items()}
        self.observed_src = observed
        self.centres_src = centres
        both = set(self.free) & set(self.fixed_phys)
        if both:
            raise ValueError(f"parameter(s) {sorted(both)} both free and fixed")
        self.squared = squared_parameters(self.free, base, self.fixed_phys)
        names = {d.name: d for d in self.datasets}
        for key in self.fixed_nuis:
            dname, _, nname = key.partition(".")
            if dname not in names or nname not in {n.name for n in names[dname].nuisances}:
                raise ValueError(f"cannot fix {key!r}: not a nuisance of {sorted(names)}")
        cols: list[tuple[str, str, int | None]] = []
        lo, hi, centre, inv_s2, scale = [], [], [], [], []
        for p in self.free:
            a, b = default_limits(p)
            sq = p in self.squared
            cols.append(("phys", p, None))
            lo.append(0.0 if sq else (-np.inf if a is None else a))
            hi.append(np.inf if (b is None or sq) else b)
            centre.append(0.0)
            inv_s2.append(0.0)
            scale.append(step_size(p) ** (2 if sq else 1))
        fixed_set = set(self.fixed_nuis)
        self.fixed_penalty_terms = []  # (j, central, sigma) of fixed nuisances with a prior
        for k, d in enumerate(self.datasets):
            for nu in d.nuisances:
                key = f"{d.name}.{nu.name}"
                if key in fixed_set:
                    if nu.sigma is not None:
                        self.fixed_penalty_terms.append((self.fixed_nuis.index(key), nu.central, nu.sigma))
                    continue
                cols.append(("nuis", nu.name, k))
                a, b = nu.bounds
                lo.append(a)
                hi.append(b)
                centre.append(nu.central)
                inv_s2.append(0.0 if nu.sigma is None else 1.0 / nu.sigma**2)
                scale.append(nu.scale)
        self.cols = cols
        self.n = len(cols)
        self.lo, self.hi = np.array(lo, float), np.array(hi, float)
        self.centre, self.inv_s2 = np.array(centre, float), np.array(inv_s2, float)
        self.scale = np.array(scale, float)
        self.names = [name if k is None else f"{self.datasets[k].name}.{name}" for kind, name, k in cols]
        # per-row prior centres: (n_rows, P) for the free columns, (n_rows, n_fixed) for fixed ones
        self._row_centres = self._row_centre_fixed = None
        if centres:
            rows = {np.shape(v)[0] for v in centres.values()}
            if len(rows) != 1:
                raise ValueError("centres: arrays of different lengths")
            nr = rows.pop()
            rc = np.tile(self.centre, (nr, 1))
            rf = np.tile(np.array([c for _, c, _ in self.fixed_penalty_terms], float), (nr, 1))
            for d in self.datasets:
                if d.name not in centres:
                    continue
                arr = np.asarray(centres[d.name], float)
                if arr.shape != (nr, len(d.nuisances)):
                    raise ValueError(f"centres of {d.name}: expected shape ({nr}, {len(d.nuisances)}), got {arr.shape}")
                for c, nu in enumerate(d.nuisances):
                    key = f"{d.name}.{nu.name}"
                    if key in self.names:
                        rc[:, self.names.index(key)] = arr[:, c]
                    elif key in self.fixed_nuis:
                        j = self.fixed_nuis.index(key)
                        for t, (jj, _, _) in enumerate(self.fixed_penalty_terms):
                            if jj == j:
                                rf[:, t] = arr[:, c]
            self._row_centres, self._row_centre_fixed = rc, rf
        idx = parameter_index()
        self._base_row = Points.from_params(base).V[0]
        self._free_pcols = np.array([idx[p] for p in self.free], dtype=int)
        self._sq_mask = np.array([p in self.squared for p in self.free], bool)
        self._fixed_pcols = np.array([idx[p] for p in self.fixed_phys], dtype=int)
        # per data set: where each nuisance comes from, and the Jacobian columns
        self._plans: list[dict[str, Any]] = []
        for d in self.datasets:
            source = {}
            wrt_n, cols_n = [], []
            for nu in d.nuisances:
                key = f"{d.name}.{nu.name}"
                if key in fixed_set:
                    source[nu.name] = ("fixed", self.fixed_nuis.index(key))
                else:
                    i = self.names.index(key)
                    source[nu.name] = ("theta", i)
                    wrt_n.append(nu.name)
                    cols_n.append(i)
            signed: list = []
            squared: list = []
            for i, p in enumerate(self.free):
                if p in d.sensitive_to:
                    (squared if p in self.squared else signed).append((p, i))
            jcols = cols_n + [i for _, i in signed] + [i for _, i in squared]
            self._plans.append(
                dict(
                    source=source,
                    wrt_n=wrt_n,
                    signed=signed,
                    squared=squared,
                    jcols=np.array(jcols, dtype=int),
                    wrt=wrt_n + [p for p, _ in signed] + [p for p, _ in squared],
                    curvature=[p for p, _ in signed] + [p for p, _ in squared],
                )
            )

    # -- conversions ----------------------------------------------------------------------------
    def task(self, start: dict | None = None, fixed: dict | None = None, obs: int = -1) -> Task:
        """A task from dicts: ``start`` {name: value} (physics names and "<ds>.<nuisance>"; the
        rest at ``base`` / the central values), ``fixed`` the values of the fixed names."""
        fixed = fixed or {}
        missing = [k for k in (*self.fixed_phys, *self.fixed_nuis) if k not in fixed]
        if missing:
            raise ValueError(f"no value given for the fixed parameter(s) {missing}")
        fp = np.array([float(fixed[k]) for k in self.fixed_phys])
        fn = np.array([float(fixed[k]) for k in self.fixed_nuis])
        return Task(fp, fn, self.to_internal(start or {}), obs)

    def to_internal(self, values: dict) -> np.ndarray:
        th = np.empty(self.n)
        for i, (kind, name, _k) in enumerate(self.cols):
            if kind == "phys":
                v = float(values.get(name, getattr(self.base, name)))
                th[i] = v * v if name in self.squared else v
            else:
                th[i] = float(values.get(self.names[i], self.centre[i]))
        return np.clip(th, self.lo, self.hi)

    def physical(self, theta: np.ndarray) -> np.ndarray:
        """Free physics values (…, n_free) from internal coordinates (square roots of u)."""
        x = theta[..., : len(self.free)]
        if self._sq_mask.any():
            x = np.where(self._sq_mask, np.sqrt(np.maximum(x, 0.0)), x)
        return x

    def values(self, theta: np.ndarray, task: Task) -> dict[str, float]:
        """{name: value} of a fit: free physics, nuisances and the fixed values."""
        out = {}
        x = self.physical(theta)
        for i, name in enumerate(self.names):
            out[name] = float(x[i]) if i < len(self.free) else float(theta[i])
        out.update({k: float(v) for k, v in zip(self.fixed_phys, task.fixed_phys, strict=True)})
        out.update({k: float(v) for k, v in zip(self.fixed_nuis, task.fixed_nuis, strict=True)})
        return out

    # -- the chi^2 and its derivatives ----------------------------------------------------------
    def points(self, theta, fixp) -> Points:
        m = theta.shape[0]
        V = np.empty((m, self._base_row.size))
        V[:] = self._base_row
        if self.free:
            V[:, self._free_pcols] = self.physical(theta)
        if self.fixed_phys:
            V[:, self._fixed_pcols] = fixp
        return Points.from_matrix(V)

    def evaluate(self, theta, fixp, fixn, obs, derivatives: bool = True):
        """chi^2 (m,), and with ``derivatives`` its gradient (m, P) and Gauss-Newton Hessian
        (m, P, P), for m parameter vectors."""
        m = theta.shape[0]
        pts = self.points(theta, fixp)
        centre = self.centre
        cfix = np.array([c for _, c, _ in self.fixed_penalty_terms], float)
        if self._row_centres is not None and self._row_centre_fixed is not None and np.any(obs >= 0):
            use = (obs >= 0)[:, None]
            centre = np.where(use, self._row_centres[np.maximum(obs, 0)], self.centre)
            cfix = np.where(use, self._row_centre_fixed[np.maximum(obs, 0)], cfix).T
        f = np.sum(self.inv_s2 * (theta - centre) ** 2, axis=1)
        for (j, _, s), c in zip(self.fixed_penalty_terms, cfix, strict=True):
            f = f + ((fixn[:, j] - c) / s) ** 2
        if derivatives:
            grad = 2.0 * self.inv_s2 * (theta - centre)
            H = np.zeros((m, self.n, self.n))
            H[:, np.arange(self.n), np.arange(self.n)] = 2.0 * self.inv_s2
        for d, plan in zip(self.datasets, self._plans, strict=True):
            nuis = {
                name: (theta[:, i] if kind == "theta" else fixn[:, i]) for name, (kind, i) in plan["source"].items()
            }
            ob = None
            if d.name in self.observed and np.any(obs >= 0):
                rows = self.observed[d.name]
                ob = np.where((obs >= 0)[:, None], rows[np.maximum(obs, 0)], d.observed)
            if not derivatives:
                f = f + np.atleast_1d(d.chi2_counts(d.expected_batch(pts, nuis), ob))
                continue
            jac = d.jacobian_batch(pts, nuis, wrt=plan["wrt"], curvature=plan["curvature"])
            e = jac.expected
            f = f + np.atleast_1d(d.chi2_counts(e, ob))
            g, w = d.chi2_gradient(e, ob)
            # dN/du for u = x^2: (dN/dx)/(2x), and d2N/dx2 / 2 at x = 0 (equal when N is linear
            # in u, as for a magnetic moment; a mediator coupling gives N quadratic in u)
            sq_cols = []
            for p, _ in plan["squared"]:
                x = pts.get(p)[:, None]
                sq_cols.append(np.where(x > 0.0, jac.d[p] / (2.0 * np.where(x > 0.0, x, 1.0)), 0.5 * jac.d2[p]))
            cols = [jac.d[name] for name in plan["wrt"][: len(plan["wrt"]) - len(plan["squared"])]] + sq_cols
            jc = plan["jcols"]
            if not cols:
                continue
            J = np.stack(cols, axis=-1)  # (m, B, P_k)
            grad[:, jc] += np.matmul(g[:, None, :], J)[:, 0]
            H[:, jc[:, None], jc[None, :]] += np.matmul(np.swapaxes(J, 1, 2) * w[:, None, :], J)
            for p, i in plan["signed"]:
                # residual curvature of a signed physics parameter (positive part only, so H
                # stays positive definite)
                H[:, i, i] += np.maximum(np.sum(g * jac.d2[p], axis=1), 0.0)
        if not derivatives:
            return f
        return f, grad, H


def _solve_scaled(H, g, free, lam):
    """Solve (H + lam diag(H)) x = -g on the free subspace (x = 0 elsewhere), Jacobi-scaled
    (Marquardt's damping); with ``lam`` None the undamped Newton step (tiny ridge).  Returns
    (x, g^T H^-1 g on the free subspace)."""
    m, P = g.shape
    dg = np.diagonal(H, axis1=1, axis2=2)
    d = np.sqrt(np.where(np.isfinite(dg) & (dg > 1e-12), dg, 1e-12))
    A = H / (d[:, :, None] * d[:, None, :])
    A = np.where(free[:, :, None] & free[:, None, :], A, 0.0)
    ii = np.arange(P)
    diag = A[:, ii, ii]
    A[:, ii, ii] = np.where(free, diag + (1e-12 if lam is None else lam[:, None]), 1.0)
    b = np.where(free, -g / d, 0.0)
    try:
        x = np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        x = np.empty_like(b)
        for r in range(m):
            try:
                x[r] = np.linalg.solve(A[r], b[r])
            except np.linalg.LinAlgError:
                x[r] = np.linalg.lstsq(A[r], b[r], rcond=None)[0]
    return x / d, np.sum(x * b, axis=1)


def _free_mask(theta, grad, lo, hi):
    return ~(((theta <= lo) & (grad > 0)) | ((theta >= hi) & (grad < 0)))


class _Batch:
    """The state of the fits in progress, one row each."""

    FIELDS = ("theta", "f", "grad", "H", "lam", "nrej", "nit", "dec", "fresh", "fixp", "fixn", "obs")

    def __init__(self, problem: Problem):
        P = problem.n
        self.owner: list = []
        self.tasks: list[Task] = []
        self.theta, self.f = np.empty((0, P)), np.empty(0)
        self.grad, self.H = np.empty((0, P)), np.empty((0, P, P))
        self.lam, self.dec = np.empty(0), np.empty(0)
        self.nrej, self.nit = np.empty(0, int), np.empty(0, int)
        self.fresh = np.empty(0, bool)
        self.fixp = np.empty((0, len(problem.fixed_phys)))
        self.fixn = np.empty((0, len(problem.fixed_nuis)))
        self.obs = np.empty(0, int)
        self.lo, self.hi, self.P = problem.lo, problem.hi, P

    def add(self, items) -> None:
        if not items:
            return
        k, P = len(items), self.P
        for o, t in items:
            self.owner.append(o)
            self.tasks.append(t)
        new = dict(
            theta=np.clip(np.stack([np.asarray(t.start, float) for _, t in items]), self.lo, self.hi),
            f=np.full(k, np.inf),
            grad=np.zeros((k, P)),
            H=np.zeros((k, P, P)),
            lam=np.full(k, 1e-3),
            nrej=np.zeros(k, int),
            nit=np.zeros(k, int),
            dec=np.full(k, np.inf),
            fresh=np.ones(k, bool),
            fixp=np.stack([np.asarray(t.fixed_phys, float).reshape(-1) for _, t in items]).reshape(k, -1),
            fixn=np.stack([np.asarray(t.fixed_nuis, float).reshape(-1) for _, t in items]).reshape(k, -1),
            obs=np.array([t.obs for _, t in items], int),
        )
        for name in self.FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))

    def keep(self, mask) -> None:
        self.owner[:] = [o for o, k in zip(self.owner, mask, strict=True) if k]
        self.tasks[:] = [t for t, k in zip(self.tasks, mask, strict=True) if k]
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name)[mask])


def solve(
    problem: Problem,
    chains: Iterable,
    fallback: Callable | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    stats: dict | None = None,
) -> None:
    """Run chains of fits (generators yielding lists of :class:`Task` and receiving lists of
    :class:`Outcome`) until every chain is exhausted; see the module docstring.  ``fallback(task,
    outcome)`` is called for a fit that did not converge and returns its replacement outcome."""
    with one_blas_thread():
        _solve(problem, chains, fallback, tol, max_iter, stats)


def _solve(problem, chains, fallback, tol, max_iter, stats) -> None:
    lo, hi = problem.lo, problem.hi
    waiting: list = []  # per chain: (generator, outcomes, n_pending)
    b = _Batch(problem)
    n_eval = n_rows = 0

    def pull(w, outcomes=None):
        chain = waiting[w][0]
        try:
            req = chain.send(outcomes) if outcomes is not None else next(chain)
        except StopIteration:
            waiting[w] = None
            return []
        req = list(req)
        if not req:
            raise ValueError("a chain yielded an empty list of tasks")
        waiting[w] = (chain, [None] * len(req), len(req))
        return [((w, j), t) for j, t in enumerate(req)]

    new = []
    for ch in chains:
        waiting.append((ch, None, 0))
        new += pull(len(waiting) - 1)
    b.add(new)
    while b.tasks:
        # trial points: the start of new fits, a damped Gauss-Newton step for the others
        trial = b.theta.copy()
        run = ~b.fresh
        if run.any():
            step, _ = _solve_scaled(b.H[run], b.grad[run], _free_mask(b.theta[run], b.grad[run], lo, hi), b.lam[run])
            trial[run] = np.clip(b.theta[run] + step, lo, hi)
        fn, gn, Hn = _evaluate_safe(problem, trial, b.fixp, b.fixn, b.obs)
        n_eval += 1
        n_rows += len(b.tasks)
        ok = np.isfinite(fn) & np.isfinite(gn).all(axis=1) & np.isfinite(Hn).all(axis=(1, 2))
        accept = ok & (b.fresh | (fn <= b.f))
        step_taken = accept & ~b.fresh
        df = np.subtract(b.f, fn, out=np.full_like(fn, np.inf), where=~b.fresh & ok)
        b.theta = np.where(accept[:, None], trial, b.theta)
        b.f = np.where(accept, fn, b.f)
        b.grad = np.where(accept[:, None], gn, b.grad)
        b.H = np.where(accept[:, None, None], Hn, b.H)
        b.nit = b.nit + step_taken
        b.lam = np.where(step_taken, np.maximum(b.lam / 10.0, 1e-10), np.where(accept, b.lam, b.lam * 10.0))
        b.nrej = np.where(accept, 0, b.nrej + 1)
        if accept.any():
            a = np.flatnonzero(accept)
            _, b.dec[a] = _solve_scaled(b.H[a], b.grad[a], _free_mask(b.theta[a], b.grad[a], lo, hi), None)
        # converged: a small Newton decrement (or a negligible change and a fairly small one)
        conv = accept & ((b.dec < DECREMENT_TOL) | ((df < tol) & (b.dec < DECREMENT_LOOSE)))
        stuck = ~b.fresh & ~accept & (b.nrej >= MAX_REFUSALS)
        conv |= stuck & (b.dec < DECREMENT_LOOSE)
        done = conv | stuck | (b.fresh & ~ok) | (b.nit >= max_iter)
        b.fresh = np.zeros(len(b.tasks), bool)
        if not done.any():
            continue
        finished = []
        for r in np.flatnonzero(done):
            out = Outcome(b.theta[r].copy(), float(b.f[r]), bool(conv[r]), "lm" if conv[r] else "lm-failed")
            if not conv[r] and fallback is not None:
                out = fallback(b.tasks[r], out)
            finished.append((b.owner[r], out))
        b.keep(~done)
        new = []
        for (w, j), out in finished:
            chain, outs, pending = waiting[w]
            outs[j] = out
            waiting[w] = (chain, outs, pending - 1)
            if pending == 1:
                new += pull(w, outs)
        b.add(new)
    if stats is not None:
        stats["iterations"] = stats.get("iterations", 0) + n_eval
        stats["evaluations"] = stats.get("evaluations", 0) + n_rows


def _evaluate_safe(problem, theta, fixp, fixn, obs):
    """:meth:`Problem.evaluate`; a data set raising for some rows (a parameter outside its
    domain) makes those rows non-finite instead of ending the batch."""
    with np.errstate(all="ignore"):
        try:
            return problem.evaluate(theta, fixp, fixn, obs)
        except (ValueError, FloatingPointError, ArithmeticError):
            if theta.shape[0] == 1:
                P = problem.n
                return np.full(1, np.inf), np.zeros((1, P)), np.zeros((1, P, P))
        out = [
            _evaluate_safe(problem, theta[i : i + 1], fixp[i : i + 1], fixn[i : i + 1], obs[i : i + 1])
            for i in range(theta.shape[0])
        ]
        return (
            np.concatenate([o[0] for o in out]),
            np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]),
        )


def solve_tasks(problem: Problem, tasks: list[Task], **kw) -> list[Outcome]:
    """Independent fits, all in one batch."""
    result: list = []

    def chain():
        result.extend((yield list(tasks)))

    if tasks:
        solve(problem, [chain()], **kw)
    return result


def lm_minimise(
    datasets,
    base: Params,
    free_physics=(),
    start: dict | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    fixed_nuisances: dict | None = None,
):
    """Minimise sum_d chi2_d over ``free_physics`` and every nuisance not in
    ``fixed_nuisances`` (``{"<dataset>.<nuisance>": value}``), the other physics parameters at
    ``base``: one fit, the n = 1 case of :func:`solve`.  Returns ``(chi2, values, converged)``."""
    fixed_nuisances = dict(fixed_nuisances or {})
    prob = Problem(datasets, base, free_physics, (), tuple(fixed_nuisances))
    t = prob.task(start, fixed_nuisances)
    out = solve_tasks(prob, [t], tol=tol, max_iter=max_iter)[0]
    return out.chi2, prob.values(out.theta, t), out.converged


__all__ = ["Outcome", "Problem", "Task", "lm_minimise", "solve", "solve_tasks", "squared_parameters"]
