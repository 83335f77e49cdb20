"""The published analyses as functions: 1D limits and 2D contours with everything else profiled.

In every analysis (as in Atzori Corona et al., JHEP 09 (2022) 164) the parameters of one family
(magnetic moments, charge radii, millicharges) that the chosen data sets measure float together;
the limit on one is obtained by profiling the others.  Transition parameters are fixed to zero or
profiled.  Parameters of the other families stay at their SM values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import experiments
from ..physics.parameters import UNITS, Params, default_limits
from .fit import Likelihood
from .profile import Contour, Profiler, delta_chi2_threshold, modulus_only, profile_grid_2d, scan_intervals, sigma_to_cl
from .progress import Stage, labelled

#: parameter families; the flavour-universal moment mu_nu is a family of its own (a limit on it
#: keeps the flavoured moments at zero, and a limit on mu_e does not profile mu_nu).  The
#: new-physics families: vector NSI (eps), light vector (zp) and scalar (phi) mediators, neutron
#: radii (rn), the sterile state (sterile).
FAMILIES = ("sin2w", "mu", "mu_nu", "r2", "q", "eps", "zp", "phi", "rn", "sterile")
#: families whose members are not profiled together by default: each limit or contour varies its
#: own parameters with the rest of the family fixed (e.g. a 1D limit on eps_u_ee with every other
#: eps at 0, the convention of the NSI literature); ``free`` adds parameters explicitly
SOLO_FAMILIES = ("eps", "zp", "phi", "rn", "sterile")
_FAMILY_OF = {
    "g_zp": "zp",
    "m_zp": "zp",
    "g_phi": "phi",
    "m_phi": "phi",
    "dm2_41": "sterile",
    "ue4sq": "sterile",
    "umu4sq": "sterile",
    "utau4sq": "sterile",
}
#: scan range of a diagonal charge radius [1e-32 cm^2]: wide enough for the second interval near -60
R2_DIAG_RANGE = (-120.0, 80.0)
#: scan range of a diagonal NSI coupling: wide enough for the second band, where the coherent
#: amplitude returns to its SM size (eps ~ 0.35-0.45 for Cs, I, Ar and Ge)
EPS_DIAG_RANGE = (-0.6, 1.0)
#: rungs of the scan-range ladder profiled per batch
LADDER = 8
TRANSITION_SUFFIXES = ("emu", "etau", "mutau")


def family(name: str) -> str:
    if name in ("sin2w", "mu_nu"):
        return name
    if name in _FAMILY_OF:
        return _FAMILY_OF[name]
    fam = name.split("_", 1)[0]
    if fam not in FAMILIES or name not in Params.names():
        raise ValueError(f"unknown parameter {name!r}; allowed: {', '.join(Params.names())}")
    return fam


def is_transition(name: str) -> bool:
    """A transition EM parameter (r2_emu, q_etau, ...); flavour-changing NSI are signed couplings
    of their own family, not transition parameters."""
    return not name.startswith("eps_") and name.split("_", 1)[-1] in TRANSITION_SUFFIXES


@dataclass(frozen=True, init=False)
class Setup:
    """Data sets and model choices of an analysis.

    ``Setup(("dresden2", "csi"), qf="ybe", es=False)``: the common choices (``es`` -- None means
    each data set's default --, ``transitions``, ``momentum_dependent``, ``form_factor``) are
    fields; every other keyword is a data set's own model option (declared in its module,
    :mod:`cevnsfit.experiments.registry`) and must belong to at least one of the data sets.
    ``model_options`` holds them validated, with defaults filled in, per data set.
    """

    data: tuple[str, ...]
    es: bool | None
    transitions: bool
    momentum_dependent: bool
    form_factor: str
    model_options: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]

    def __init__(
        self,
        data,
        es: bool | None = None,
        transitions: bool = False,
        momentum_dependent: bool = False,
        form_factor: str = "helm",
        model_options=None,
        **options,
    ):
        names = tuple(data)
        if not names:
            raise ValueError(f"no data set given; allowed: {', '.join(experiments.NAMES)}")
        for n in names:
            experiments.check_name(n)
        if len(set(names)) != len(names):
            raise ValueError(f"a data set is listed twice: {list(names)}")
        given = {}
        for k, v in dict(model_options or {}).items():
            given.update(v if isinstance(v, dict) else {k: v})
        given.update(options)
        per = experiments.split_options(names, given)
        object.__setattr__(self, "data", names)
        object.__setattr__(self, "es", es)
        object.__setattr__(self, "transitions", bool(transitions))
        object.__setattr__(self, "momentum_dependent", bool(momentum_dependent))
        object.__setattr__(self, "form_factor", form_factor)
        object.__setattr__(self, "model_options", tuple((n, tuple(sorted(per[n].items()))) for n in names))

    def options_of(self, name: str) -> dict:
        """The model options of data set ``name`` (validated, defaults filled in)."""
        return dict(dict(self.model_options)[name])

    def option(self, key: str, default=None):
        """The value of a data set option, from the first data set that has it (else ``default``)."""
        for _, items in self.model_options:
            d = dict(items)
            if key in d:
                return d[key]
        return default

    def datasets(self):
        return [
            experiments.load(
                n,
                es=self.es,
                momentum_dependent=self.momentum_dependent,
                form_factor=self.form_factor,
                **self.options_of(n),
            )
            for n in self.data
        ]

    def to_dict(self) -> dict:
        """The arguments that rebuild this set-up (``Setup.from_dict``)."""
        flat = {}
        for _, items in self.model_options:
            flat.update(dict(items))
        return {
            "data": list(self.data),
            "es": self.es,
            "transitions": self.transitions,
            "momentum_dependent": self.momentum_dependent,
            "form_factor": self.form_factor,
            "options": flat,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Setup:
        d = dict(d)
        opts = d.pop("options", {}) or {}
        return cls(tuple(d.pop("data")), **d, **opts)

    def options(self) -> dict:
        """Every model choice, for results (JSON-able)."""
        out = {
            "data": list(self.data),
            "es": {n: (experiments.default_es(n) if self.es is None else self.es) for n in self.data},
            "transitions": self.transitions,
            "momentum_dependent": self.momentum_dependent,
            "form_factor": self.form_factor,
        }
        for _n, items in self.model_options:
            for k, v in items:
                out[k] = v
        return out


def subsetup(setup: Setup, names) -> Setup:
    """The same analysis choices for a subset ``names`` of the data sets (each keeps its options)."""
    names = tuple(names)
    missing = [n for n in names if n not in setup.data]
    if missing:
        raise ValueError(f"data set(s) {missing} are not part of the analysis {list(setup.data)}")
    opts = {}
    for n in names:
        opts.update(setup.options_of(n))
    return Setup(
        names,
        es=setup.es,
        transitions=setup.transitions,
        momentum_dependent=setup.momentum_dependent,
        form_factor=setup.form_factor,
        **opts,
    )


def _options(setup: Setup, fixed: dict) -> dict:
    out = setup.options()
    if fixed:
        out["fixed"] = dict(fixed)
    return out


def free_parameters(params_of_interest, datasets, transitions: bool) -> list[str]:
    """The parameters of interest plus every parameter of the same families that the data sets
    measure (transitions only if ``transitions``; none for the :data:`SOLO_FAMILIES`)."""
    measured = set()
    for d in datasets:
        measured.update(d.sensitive_to)
    fams = {family(p) for p in params_of_interest} - set(SOLO_FAMILIES)
    out = list(params_of_interest)
    for p in Params.names():
        if p in out or p not in measured or family(p) not in fams:
            continue
        if is_transition(p) and not transitions:
            continue
        out.append(p)
    refuse_unmodelled(params_of_interest, datasets)
    for p in params_of_interest:
        if p not in measured:
            raise ValueError(
                f"parameter {p} is not measured by {[d.name for d in datasets]}; "
                f"they measure: {', '.join(sorted(measured))}"
            )
    refuse_unmodelled(out, datasets)
    return out


def refuse_unmodelled(names, datasets) -> None:
    """ValueError, with the reason, if a data set is by nature not sensitive to one of ``names``
    (e.g. solar neutrinos and short-baseline sterile oscillations): a fit that floats it together
    with that data set would silently treat it as absent there."""
    from ..experiments.base import not_sensitive_message

    for d in datasets:
        bad = [p for p in names if p in getattr(d, "unmodelled_reasons", {})]
        if bad:
            raise ValueError(not_sensitive_message(d, bad))


def resolve_fixed(fixed) -> dict[str, float]:
    """``{name: value or "sm"/None}`` -> ``{name: value}`` (SM values filled in); unknown names
    are a ValueError listing the allowed ones."""
    out = {}
    sm = Params.sm()
    for k, v in dict(fixed or {}).items():
        if k not in Params.names():
            raise ValueError(f"cannot fix {k!r}: not a physics parameter; allowed: {', '.join(Params.names())}")
        if v is None or (isinstance(v, str) and v.strip().lower() == "sm"):
            out[k] = float(getattr(sm, k))
        else:
            try:
                out[k] = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"fixed value of {k} must be a number or 'sm', got {v!r}") from None
    Params.from_dict(out)  # validates the values (e.g. sin2w in [0, 1])
    return out


def physics_parameters(params_of_interest, datasets, transitions: bool, fixed=None, free=None):
    """(free physics parameters, fixed values): :func:`free_parameters` with the user's choices --
    ``fixed`` ({name: value or 'sm'}) removed from the free ones and held at that value, ``free``
    (names) added.  A parameter both fixed and free, or a fixed parameter of interest, is an error."""
    fixed = resolve_fixed(fixed)
    free = list(free or [])
    for p in free:
        family(p)
        if p in fixed:
            raise ValueError(f"parameter {p} is both fixed and free")
    for p in params_of_interest:
        if p in fixed:
            raise ValueError(f"parameter {p} is scanned: it cannot also be fixed")
    out = free_parameters(params_of_interest, datasets, transitions)
    measured = set().union(*(d.sensitive_to for d in datasets))
    refuse_unmodelled(free, datasets)
    for p in free:
        if p not in measured:
            raise ValueError(f"parameter {p} is not measured by {[d.name for d in datasets]}: it cannot be free")
        if p not in out:
            out.append(p)
    return [p for p in out if p not in fixed], fixed


def check_range(param: str, rng, what: str = "scan range") -> tuple[tuple[float, float] | None, list[str]]:
    """A user's (low, high) for ``param``: finite, high > low; for a parameter that enters only
    through its modulus (magnetic moments, transition radii and charges) a range below 0 is
    refused and one reaching below 0 is clipped at 0 with a warning (returned)."""
    if rng is None:
        return None, []
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise ValueError(f"{what} of {param} must be two numbers (low, high), got {rng!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"{what} of {param} must be finite with high > low, got [{lo:g}, {hi:g}]")
    warns = []
    if modulus_only(param):
        if hi <= 0:
            raise ValueError(
                f"{param} enters only through its modulus (>= 0): the {what} [{lo:g}, {hi:g}] holds no allowed value"
            )
        if lo < 0:
            warns.append(
                f"{param} enters only through its modulus: the {what} is clipped at 0 ([{lo:g}, {hi:g}] -> [0, {hi:g}])"
            )
            lo = 0.0
    if param == "sin2w" and (lo < 0 or hi > 1):
        raise ValueError(f"sin2w lies in [0, 1]; the {what} [{lo:g}, {hi:g}] reaches outside")
    blo, bhi = default_limits(param)
    if param != "sin2w" and ((blo is not None and lo < blo) or (bhi is not None and hi > bhi)):
        raise ValueError(
            f"{param} lies in [{blo if blo is not None else '-inf'}, {bhi if bhi is not None else 'inf'}]; "
            f"the {what} [{lo:g}, {hi:g}] reaches outside"
        )
    return (lo, hi), warns


def _lo_phys(param: str) -> float | None:
    """The physical boundary a scan starts at: 0 for a modulus, a mixing or Delta m^2."""
    lo = default_limits(param)[0]
    return 0.0 if (modulus_only(param) or (lo == 0.0 and param != "sin2w")) else None


def _scan_range(prof: Profiler, param: str, level: float, lo_phys: float | None) -> tuple[float, float]:
    """Bracket the allowed region: step out from the best fit, doubling, until Δχ² > 2 level.

    The doubling ladders of both directions are profiled in one batch (``LADDER`` rungs at a
    time): the result is that of walking them one by one."""
    if family(param) == "r2" and not is_transition(param):
        return R2_DIAG_RANGE
    if family(param) == "eps" and param.split("_")[-1] in ("ee", "mumu", "tautau"):
        return EPS_DIAG_RANGE
    best = prof.best.values[param]
    err = prof.best.errors.get(param, 0.0)
    scale = {
        "sin2w": 0.005,
        "mu": 0.2,
        "mu_nu": 0.2,
        "r2": 0.5,
        "q": 1e-13,
        "eps": 0.02,
        "zp": 1e-6,
        "phi": 1e-6,
        "rn": 0.1,
        "sterile": 0.02,
    }[family(param)]
    if param in ("m_zp", "m_phi", "dm2_41"):
        scale = max(0.1 * abs(best), 1e-3)
    step = max(err if np.isfinite(err) and err > 0 else 0.0, scale)

    def clipped(x):
        """The rung, and whether it stops the walk without a fit (a physical boundary)."""
        if lo_phys is not None and x < lo_phys:
            return lo_phys, True
        lo_b, hi_b = default_limits(param)
        if (lo_b is not None and x < lo_b) or (hi_b is not None and x > hi_b):
            return min(max(x, lo_b if lo_b is not None else x), hi_b if hi_b is not None else x), True
        return x, False

    def excluded(xs):
        res = prof.profile_many([{param: x} for x in xs])
        return [r.chi2 - prof.best.chi2 > 2.0 * level for r in res]

    ends: dict = {}
    todo = {}
    for direction in (-1.0, 1.0):
        if lo_phys is not None and direction < 0 and best - lo_phys < 1e-12:
            ends[direction] = lo_phys
        else:
            todo[direction] = 0  # next rung k: x = best + direction step 2^k
    while todo:
        rungs = {}
        for direction, k0 in todo.items():
            xs = []
            for k in range(k0, min(k0 + LADDER, 60)):
                x, stop = clipped(best + direction * step * 2.0**k)
                xs.append((k, x, stop))
                if stop:
                    break
            rungs[direction] = xs
        flat = [(d, k, x) for d, xs in rungs.items() for k, x, stop in xs if not stop]
        verdict = dict(zip([(d, k) for d, k, _ in flat], excluded([x for _, _, x in flat]), strict=True))
        for direction, xs in rungs.items():
            for k, x, stop in xs:
                if stop or verdict[(direction, k)]:
                    ends[direction] = (x, k, stop)
                    break
            else:
                if xs[-1][0] >= 59:
                    ends[direction] = (xs[-1][1], xs[-1][0], True)
        todo = {d: rungs[d][-1][0] + 1 for d in todo if d not in ends}
    out = []
    for direction in (-1.0, 1.0):
        e = ends[direction]
        if not isinstance(e, tuple):
            out.append(e)
            continue
        x, k, stop = e
        if k == 0 and not stop:
            # the first step already overshoots (a parameter error estimated at a boundary can
            # be far too large): halve it back until the next halving would be allowed, so the
            # scan is no more than twice the excluded edge
            halves = [best + direction * step / 2.0**j for j in range(1, 61)]
            ex = excluded(halves[:LADDER])
            j = next((q for q, e_ in enumerate(ex) if not e_), None)
            if j is None:
                ex = ex + excluded(halves[LADDER:])
                j = next((q for q, e_ in enumerate(ex) if not e_), len(halves) - 1)
            x = best + direction * step / 2.0**j
        out.append(x)
    if family(param) == "q" and lo_phys is None:
        # a signed millicharge interferes with the SM amplitude: the rate is a + b q + c q^2, so an
        # excess can be matched by q of either sign -> scan symmetrically about 0, wide enough
        # for both branches
        r = 2.0 * max(abs(out[0]), abs(out[1]))
        return -r, r
    return out[0], out[1]


def limit(
    setup: Setup,
    param: str,
    cl: float = 0.9,
    n_points: int = 61,
    scan_range=None,
    refine: bool = True,
    fixed=None,
    free=None,
    expected: bool = True,
    datasets=None,
) -> dict:
    """1D profiled allowed intervals of ``param`` at confidence level ``cl``; a JSON-able dict.
    ``fixed``/``free``: see :func:`physics_parameters`.  With ``expected`` the result also holds
    the expected (Asimov, SM truth) ``expected_intervals`` and ``expected_scan``
    (:mod:`cevnsfit.inference.expected`).  ``datasets``: the built data sets to fit instead of
    the set-up's (e.g. pseudo-data)."""
    t0 = time.perf_counter()
    level = delta_chi2_threshold(cl, 1)
    family(param)
    scan_range, range_warnings = check_range(param, scan_range)
    dss = setup.datasets() if datasets is None else list(datasets)
    free, fixed = physics_parameters([param], dss, setup.transitions, fixed, free)
    lik = Likelihood(dss, poi=free, fixed=fixed)
    prof = Profiler(lik)
    Stage("global fit")
    best = prof.global_fit()
    lo_phys = _lo_phys(param)
    if scan_range is None:
        Stage(f"bracketing the allowed range of {param}")
        lo, hi = _scan_range(prof, param, level, lo_phys)
    else:
        lo, hi = map(float, scan_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"scan range must be finite with high > low, got {scan_range}")
    grid = np.linspace(lo, hi, n_points)
    if lo_phys is not None:
        grid = np.unique(np.concatenate([[max(lo_phys, lo)], grid]))
    scan = prof.scan(param, grid)
    best = prof.best
    delta = scan.chi2 - best.chi2

    if refine:
        Stage("interval ends")
    intervals = scan_intervals(prof, scan, level, refine)
    warnings_ = list(range_warnings)
    if not best.converged:
        warnings_.append(f"global fit: {best.message}")
    if not np.all(scan.converged):
        bad = grid[~scan.converged]
        warnings_.append(f"minimisation did not converge at {bad.size} scan point(s), e.g. {param}={bad[0]:.4g}")
    for a, b in intervals:
        if (a <= grid[0] and (lo_phys is None or grid[0] > lo_phys)) or b >= grid[-1]:
            warnings_.append(
                f"an interval [{a:.4g}, {b:.4g}] reaches the edge of the scanned range "
                f"[{grid[0]:.4g}, {grid[-1]:.4g}]: the limit may lie beyond it"
            )
    if not intervals:
        warnings_.append("no point of the scan is allowed at this CL")
    extra = {}
    if param == "sin2w" and intervals:
        from ..physics.neutron_radii import weak_charges

        elements = [el for d in dss for el, _ in getattr(getattr(d, "target", None), "elements", ())]
        extra["weak_charge"] = weak_charges(elements, best.values[param], intervals)
    out = {
        "param": param,
        "unit": UNITS[param],
        "cl": cl,
        "delta_chi2": level,
        "best_fit": best.values[param],
        "chi2_min": best.chi2,
        "intervals": intervals,
        "converged": bool(best.converged and np.all(scan.converged)),
        "profiled": [p for p in free if p != param],
        "options": _options(setup, fixed),
        "scan": {"grid": grid.tolist(), "delta_chi2": delta.tolist()},
        "best_fit_all": best.values,
        "n_bins": int(sum(d.observed.size for d in dss)),
        "warnings": warnings_,
        **extra,
    }
    if expected:
        from .expected import expected_limit

        with labelled("expected (Asimov): "):
            out.update(
                expected_limit(
                    setup, param, dss, free, fixed, cl=cl, n_points=n_points, scan_range=scan_range, refine=refine
                )
            )
    out["seconds"] = time.perf_counter() - t0
    return out


def contour(
    setup: Setup,
    px: str,
    py: str,
    x_range=None,
    y_range=None,
    n: int = 25,
    fixed=None,
    free=None,
    scales=("linear", "linear"),
) -> dict:
    """Profiled Δχ² on an n x n grid of (px, py) with 90 % CL and 1/2/3 sigma levels (2 dof).
    ``fixed``/``free``: see :func:`physics_parameters`; ``scales`` "linear" or "log" per axis (a
    log axis needs an explicit positive range, e.g. Delta m^2 or a mediator mass)."""
    t0 = time.perf_counter()
    if px == py:
        raise ValueError("contour needs two different parameters")
    scales = tuple(scales)
    if len(scales) != 2 or any(sc not in ("linear", "log") for sc in scales):
        raise ValueError(f"axis scales must be two of linear, log; got {scales}")
    family(px), family(py)
    x_range, wx = check_range(px, x_range, "x range")
    y_range, wy = check_range(py, y_range, "y range")
    dss = setup.datasets()
    free, fixed = physics_parameters([px, py], dss, setup.transitions, fixed, free)
    lik = Likelihood(dss, poi=free, fixed=fixed)
    prof = Profiler(lik)
    Stage("global fit")
    prof.global_fit()
    level = delta_chi2_threshold(0.9, 2)
    ranges = []
    for p, r, sc in ((px, x_range, scales[0]), (py, y_range, scales[1])):
        if r is None:
            if sc == "log":
                raise ValueError(f"a log axis of {p} needs an explicit range")
            Stage(f"bracketing the 3 sigma range of {p}")
            r = _scan_range(prof, p, delta_chi2_threshold(sigma_to_cl(3), 2), _lo_phys(p))
        ranges.append(r)
    axes = []
    for (lo, hi), sc, p in zip(ranges, scales, (px, py), strict=True):
        if sc == "log" and not (lo > 0 and hi > lo):
            raise ValueError(f"a log axis of {p} needs 0 < low < high, got [{lo:g}, {hi:g}]")
        axes.append(np.geomspace(lo, hi, n) if sc == "log" else np.linspace(lo, hi, n))
    x, y = axes
    c: Contour = profile_grid_2d(prof, px, py, x, y)
    levels = {
        "90%": level,
        "1sigma": delta_chi2_threshold(sigma_to_cl(1), 2),
        "2sigma": delta_chi2_threshold(sigma_to_cl(2), 2),
        "3sigma": delta_chi2_threshold(sigma_to_cl(3), 2),
    }
    # the projection of the 90 % region onto each axis (for comparison with 1D limits use 1-dof levels)
    warnings_ = wx + wy
    if not c.best.converged:
        warnings_.append(f"global fit: {c.best.message}")
    if not np.all(c.converged):
        warnings_.append(f"minimisation did not converge at {int((~c.converged).sum())} grid point(s)")
    inside = c.delta <= levels["3sigma"]
    edge = np.zeros_like(inside)
    edge[-1, :] = edge[:, -1] = True
    # a modulus starting at 0 is a physical boundary, not an edge of the scan
    if not (_lo_phys(py) is not None and y[0] <= 0.0):
        edge[0, :] = True
    if not (_lo_phys(px) is not None and x[0] <= 0.0):
        edge[:, 0] = True
    if np.any(inside & edge):
        warnings_.append("the 3 sigma region touches the edge of the grid")
    return {
        "params": [px, py],
        "units": [UNITS[px], UNITS[py]],
        "x": x.tolist(),
        "y": y.tolist(),
        "delta_chi2": c.delta.tolist(),
        "levels": levels,
        "best_fit": {px: c.best.values[px], py: c.best.values[py]},
        "chi2_min": c.best.chi2,
        "converged": bool(c.best.converged and np.all(c.converged)),
        "profiled": [p for p in free if p not in (px, py)],
        "options": _options(setup, fixed),
        "scales": list(scales),
        "warnings": warnings_,
        "seconds": time.perf_counter() - t0,
    }
