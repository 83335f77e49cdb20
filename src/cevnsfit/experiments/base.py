"""What every data set provides: binned expected counts for any parameters and nuisances, the
observed counts, its nuisance parameters, and its chi^2.

An experiment module defines a subclass of :class:`DataSet`; everything outside ``experiments/``
talks to data sets only through this interface, so a new data set is one new module plus an
entry in :data:`cevnsfit.experiments.REGISTRY` (see the end of this docstring).

The batched interface (what the fits call)
------------------------------------------
Fits, scans, contours and pseudo-experiments evaluate many points at once.  Every data set
answers, for n points,

``expected_batch(values, nuis=None, base=None) -> ndarray (n, n_bins)``
    ``values`` maps physics parameter names to (n,) arrays (or scalars; the others take
    ``base``'s value, default the SM), ``nuis`` maps nuisance names to (n,) arrays or scalars
    (the others take their central value).  The bins are flattened in C order of ``axes``.

``jacobian_batch(values, nuis=None, base=None, wrt=(), curvature=()) -> Derivatives``
    ``Derivatives(expected, d, d2)``: the expected counts (n, n_bins); ``d[name]`` = d expected /
    d name (n, n_bins) for every name of ``wrt`` (nuisances and physics parameters);
    ``d2[name]`` = d^2 expected / d name^2 for every physics parameter of ``curvature``.

``chi2_counts(expected, observed=None)`` / ``chi2_gradient(expected, observed=None)``
    the data term of the chi^2 over the last axis, and its derivative d chi2 / d expected with
    the Gauss-Newton weights (the profiler's Hessian is J^T diag(w) J).  ``observed`` (n, n_bins)
    replaces the data (pseudo-experiments).

The base class implements all of them from :meth:`DataSet.components` alone (a loop over points,
and central finite differences over points for the derivatives), so a data set that only
implements ``components`` works everywhere -- slowly.  The fast path is one method,

``predict_points(points, nuis, derivatives) -> (out, dnuis)``
    ``points`` is a :class:`cevnsfit.physics.monomials.Points`: n parameter points whose
    ``points.monomials(flavour)`` (n, D, n_monomials) carries D directions -- the value, then the
    first derivatives with respect to ``points.wrt``, then the second derivatives with respect to
    ``points.curvature``.  ``nuis`` maps *every* nuisance name to an (n,) array.  Return ``out``
    (n, D, n_bins): the expected counts (direction 0) and the same linear map applied to the
    other directions (expected counts are linear in the monomials at fixed nuisances, so
    contracting all D directions with the templates at once gives the exact physics Jacobian for
    the price of one matrix product); with ``derivatives`` also ``dnuis``, d expected / d nuisance
    (n, n_bins) for every nuisance whose derivative is known exactly -- the base class takes
    finite differences for the nuisances left out.  :class:`cevnsfit.inference.templates.TemplateBank`
    does the contraction; :func:`cevnsfit.inference.templates.morph_weights` gives the weights of
    template morphing and their derivatives for arrays of nuisance values.

How to add a data set
---------------------
1. A module ``experiments/<name>.py`` with a ``@dataclass(eq=False)`` subclass of
   :class:`DataSet` whose ``__post_init__`` sets ``name``, ``axes``, ``observed``, ``nuisances``
   (:class:`Nuisance`: central value, Gaussian prior width or None for free, limits),
   ``statistic`` ("poisson" or "gaussian", or override :meth:`chi2_counts` and
   :meth:`chi2_gradient` for another likelihood), ``sensitive_to`` (the physics parameters it
   measures) and its templates (:func:`cevnsfit.inference.templates.build_templates`); as class
   attributes ``signal_normalisation`` (the nuisance that normalises its CEvNS signal, if any)
   and ``count_unit`` (if the counts are not events).
2. Implement :meth:`components` (expected counts per named component for one
   :class:`~cevnsfit.physics.parameters.Params`: used by ``predict``, plots and totals).
3. For speed implement :meth:`predict_points` (above) on a batched ``_parts(points, nv,
   derivatives)``; the base class's ``components`` is then its n = 1 case (one code path).
   Physics parameters that do not enter through the monomials (e.g. a parameter interpolated on
   a template grid) are added to :attr:`parameters` (otherwise a point that moves them is refused) and, if
   ``predict_points`` differentiates them exactly, to :attr:`analytic_parameters` (otherwise
   they are differentiated numerically).
4. Declare it with ``INFO = ExperimentInfo(...)`` (:mod:`cevnsfit.experiments.registry`) and add
   it to :data:`cevnsfit.experiments.REGISTRY`; add it to the cases of the tests that compare
   ``jacobian_batch`` with finite differences and ``expected_batch`` with ``components``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from ..physics.monomials import MONOMIAL_PARAMETERS, Points
from ..physics.parameters import Params, step_size

if TYPE_CHECKING:
    from ..physics.target import Target
    from ..sources.flux import Spectrum


@dataclass(frozen=True)
class Nuisance:
    """A nuisance parameter: value ``central`` with Gaussian prior width ``sigma`` (None: free).

    ``source`` says where the number comes from. Values are in the natural unit of the
    nuisance (fractional normalisation shifts, sigma multiples of a template variation, microseconds).
    ``limits`` bound it; a normalisation shift ``eta_*`` without limits stays >= -1.
    ``kinks`` are values where the prediction's derivative in it jumps (the anchors of a
    piecewise-linear template interpolation): a profiled fit whose minimum sits on one is finished
    with the nuisance held there (:func:`cevnsfit.inference.fit.pin_kinks`).
    """

    name: str
    central: float
    sigma: float | None
    source: str
    limits: tuple[float, float] | None = None
    kinks: tuple[float, ...] = ()

    def penalty(self, value):
        """((value - central) / sigma)^2, 0 for a free nuisance (float or array)."""
        if self.sigma is None:
            return 0.0 * value
        return ((value - self.central) / self.sigma) ** 2

    @property
    def bounds(self) -> tuple[float, float]:
        if self.limits is not None:
            return self.limits
        return (-1.0, np.inf) if self.name.startswith("eta_") else (-np.inf, np.inf)

    @property
    def scale(self) -> float:
        """Natural step of the nuisance (its prior width, or its size when free)."""
        return self.sigma if self.sigma else max(abs(self.central), 1e-3)


@dataclass(frozen=True)
class Axis:
    """One observable axis: name, unit and bin edges."""

    name: str
    unit: str
    edges: np.ndarray

    @property
    def n(self) -> int:
        return len(self.edges) - 1


def uniform(*arrays) -> bool:
    """Whether every (n,) nuisance array holds one value for all points (a scalar broadcast by
    :meth:`DataSet.nuisance_arrays`: stride 0): a data set may then compute what depends only on
    those nuisances once and broadcast it."""
    return all(a.shape[0] <= 1 or a.strides[0] == 0 for a in arrays)


def first(a: np.ndarray) -> np.ndarray:
    """The first entry of an (n, ...) array, keeping the axis: (1, ...)."""
    return a[:1]


class Derivatives(NamedTuple):
    """Expected counts (n, n_bins) with first (``d``) and second (``d2``) derivatives by name."""

    expected: np.ndarray
    d: dict
    d2: dict


def poisson_chi2(expected: np.ndarray, observed: np.ndarray):
    """Poisson chi^2 = 2 sum [N_th - N_obs + N_obs ln(N_obs/N_th)] (Baker & Cousins 1984), summed
    over the last axis: a float for one prediction, an array for a stack of them."""
    mu = np.maximum(expected, 1e-300)
    n = observed
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.where(n > 0, n * np.log(n / mu), 0.0)
    out = 2.0 * np.sum(mu - n + log_term, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def poisson_gradient(expected: np.ndarray, observed: np.ndarray):
    """d chi2 / d N = 2 (1 - n/N) and the Gauss-Newton weights 2 max(n, 1/2) / N^2 (the Fisher
    information at the data; a bin with n = 0 keeps a small positive weight)."""
    mu = np.maximum(expected, 1e-300)
    return 2.0 * (1.0 - observed / mu), 2.0 * np.maximum(observed, 0.5) / mu**2


def gaussian_chi2(expected: np.ndarray, observed: np.ndarray, sigma: np.ndarray):
    """sum ((N_th - N_obs) / sigma)^2 over the last axis (float, or array for a stack)."""
    out = np.sum(((expected - observed) / sigma) ** 2, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


@dataclass
class DataSet:
    """A data set with its model choices fixed and its templates built (see the module
    docstring for the interface and how to add one).

    Subclasses set ``name``, ``axes``, ``observed``, ``nuisances`` and implement
    :meth:`components` (expected counts per named component, flattened over the bins in C order
    of ``axes``), and for speed :meth:`predict_points`.
    """

    name: str = field(init=False, default="")
    axes: tuple[Axis, ...] = field(init=False, default=())
    observed: np.ndarray = field(init=False, default=None)  # type: ignore[arg-type]  # set by the subclass
    nuisances: tuple[Nuisance, ...] = field(init=False, default=())
    signal_components: tuple[str, ...] = ("cevns", "es")
    #: for each channel, what its nominal templates were built from:
    #: (spectra, target, scale, nodes, weights, response) -- used to validate the templates
    channel_inputs: dict[str, tuple[Any, Any, float, Any, Any, np.ndarray]] = field(init=False, default_factory=dict)

    # the physics parameters this data set is sensitive to (others do not change its prediction)
    sensitive_to: tuple[str, ...] = field(init=False, default=())
    #: distribution of the source-detector distance (:class:`cevnsfit.sources.oscillation.Baseline`);
    #: None: sterile oscillations are not modelled
    baseline: object = field(init=False, default=None)
    #: a data set that contracts its templates through :meth:`contract_templates` models the
    #: non-polynomial parameters too (neutron radii, mediator masses, sterile oscillations)
    keyed_templates = False
    #: physics parameters the data set is by nature not sensitive to, each with the reason: a point
    #: or a fit that moves one is refused with that reason (:meth:`check_points`)
    unmodelled_reasons: ClassVar[dict[str, str]] = {}

    # set while a data set builds itself (``__post_init__``), not by the constructor:
    #: the target (isotopes, masses, radii)
    target: Target = field(init=False, repr=False)
    #: the neutrino spectra reaching the detector (per flavour, nu / nubar, time kind)
    spectra: list[Spectrum] = field(init=False, repr=False)
    #: number of target molecules (or atoms) in the fiducial mass
    n_molecules: float = field(init=False, repr=False)
    #: signal templates per channel ("cevns", "es"); a channel may hold a dict of variants
    templates: dict[str, Any] = field(init=False, repr=False)
    #: beam data sets: the SNS exposure (:class:`cevnsfit.experiments.snsbeam.SNSExposure`) and
    #: the arrival-time kind of each spectrum (prompt / delayed)
    exposure: Any = field(init=False, repr=False)
    kinds: tuple[str, ...] = field(init=False, repr=False)

    def nominal_templates(self, channel: str):
        """The :class:`~cevnsfit.inference.templates.ComponentTemplates` of ``channel`` at nominal
        nuisances (before any time or normalisation factor)."""
        t = self.templates[channel]
        return t if not isinstance(t, dict) else t[("nominal", "nominal")]

    def components(self, params: Params, nuis: dict | None = None) -> dict[str, np.ndarray]:
        """Expected counts per component (``cevns``, ``es`` and each background by name): the
        n = 1 case of the batched :meth:`_parts` (signal channels of shape (n, D, bins),
        backgrounds (n, bins)).  A data set implements either this or :meth:`_parts` (or
        overrides this when its parts are shaped otherwise)."""
        nv = {k: np.full(1, float(v)) for k, v in self._nuis(nuis).items()}
        sig, bkg, _ = self._parts(self.point(params), nv)
        out = {ch: v[0, 0] for ch, v in sig.items()}
        out.update({k: v[0] for k, v in bkg.items()})
        return out

    def _parts(self, points: Points, nv: dict, derivatives: bool = False):
        """``(signal, backgrounds, derivatives)`` for n points and (n,) arrays of nuisance values:
        the batched prediction of the fast data sets (see :meth:`components`)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither components() nor _parts()")

    #: "poisson" (counts; Baker-Cousins chi^2) or "gaussian" (with :meth:`observed_errors`)
    statistic: str = field(init=False, default="poisson")
    #: the unit of the counts per bin (shown on plots and in predictions)
    count_unit: ClassVar[str] = "events"
    #: the nuisance that normalises the CEvNS signal -- expected CEvNS counts x (1 + value): a
    #: neutrino-flux or signal normalisation (for XENONnT the 8B flux, 99.6 % of its solar CEvNS)
    #: -- or None when there is none (e.g. electron recoils only).  Fits of the CEvNS rate itself
    #: (the rate-vs-N summary) free this nuisance.
    signal_normalisation: ClassVar[str | None] = None

    # --- the likelihood of the counts ---------------------------------------------------------
    def chi2_counts(self, expected: np.ndarray, observed: np.ndarray | None = None):
        """The data term of the chi^2 for total expected counts (flattened bins; a stack of
        predictions along leading axes gives an array).  ``observed`` replaces the data."""
        obs = self.observed if observed is None else observed
        if self.statistic == "gaussian":
            return gaussian_chi2(expected, obs, self.observed_errors())
        return poisson_chi2(expected, obs)

    def chi2_gradient(self, expected: np.ndarray, observed: np.ndarray | None = None):
        """``(g, w)``: d chi2_counts / d expected and the Gauss-Newton weights, same shape as
        ``expected``."""
        obs = self.observed if observed is None else observed
        if self.statistic == "gaussian":
            s2 = self.observed_errors() ** 2
            return 2.0 * (expected - obs) / s2, np.broadcast_to(2.0 / s2, np.shape(expected))
        return poisson_gradient(expected, obs)

    # ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.n for a in self.axes)

    @property
    def n_bins(self) -> int:
        return int(np.prod(self.shape))

    def nuisance_defaults(self) -> dict[str, float]:
        return {n.name: n.central for n in self.nuisances}

    def _nuis(self, nuis: dict | None) -> dict[str, float]:
        out = self.nuisance_defaults()
        if nuis:
            unknown = set(nuis) - set(out)
            if unknown:
                raise ValueError(f"unknown nuisance(s) {sorted(unknown)} for {self.name}; allowed: {sorted(out)}")
            out.update(nuis)
        return out

    def nuisance_arrays(self, nuis: dict | None, n: int) -> dict[str, np.ndarray]:
        """Every nuisance as an (n,) float array: the given values (scalars or (n,) arrays)
        broadcast, the others at their central value."""
        out = {}
        given = nuis or {}
        for nu in self.nuisances:
            v = given.get(nu.name, nu.central)
            out[nu.name] = np.broadcast_to(np.asarray(v, float), (n,))
        if len(given) > len(out) or any(k not in out for k in given):
            unknown = sorted(set(given) - set(out))
            raise ValueError(f"unknown nuisance(s) {unknown} for {self.name}; allowed: {sorted(out)}")
        return out

    # --- the fast path (override) -------------------------------------------------------------
    def predict_points(self, points: Points, nuis: dict[str, np.ndarray], derivatives: bool = False):
        """Expected counts with their physics directions, (n, points.D, n_bins), and with
        ``derivatives`` the exact d expected / d nuisance (n, n_bins) by name; see the module
        docstring.  Not implemented in the base class (the batched methods then fall back to
        :meth:`components`)."""
        raise NotImplementedError

    @property
    def parameters(self) -> frozenset:
        """Physics parameters the prediction models (others must stay at their defaults: a
        point that moves one is refused with a ValueError rather than silently ignored)."""
        hit = self.__dict__.get("_memo_parameters")
        if hit is None:
            hit = MONOMIAL_PARAMETERS | self.nonpolynomial_parameters() if self.keyed_templates else MONOMIAL_PARAMETERS
            self.__dict__["_memo_parameters"] = hit
        return hit

    # --- the non-polynomial parameters (:mod:`cevnsfit.inference.nonpolynomial`) ------------------
    def radius_parameters(self) -> dict[str, str]:
        """Element -> its neutron-radius parameter, for the target's elements."""
        from ..physics.neutron_radii import PARAM

        return {el: PARAM[el] for el, _ in self.target.elements if el in PARAM}

    def nonpolynomial_parameters(self) -> frozenset:
        """Neutron radii, mediator masses and (with a baseline) the sterile state.  The radii of
        elements the target does not hold are modelled too (they change nothing), so that a
        combined fit can float them; a radius the data set deliberately ties to another is not."""
        from ..physics.neutron_radii import PARAM

        own = self.radius_parameters()
        names = {p for el, p in PARAM.items() if el not in own} | set(own.values()) | {"m_zp", "m_phi"}
        if self.baseline is not None:
            names |= {"dm2_41", "ue4sq", "umu4sq", "utau4sq"}
        return frozenset(names)

    def contract_templates(self, points: Points) -> dict:
        """The template entries (``self.templates``; a dict of variants is a VariantStack)
        contracted with the points' monomials -- each point with the templates of its neutron
        radii, mediator masses and sterile oscillation: {entry: (n, D, ..., K, B)}."""
        from ..inference import nonpolynomial

        setup = self.__dict__.get("_memo_keyed")
        if setup is None:
            banks = nonpolynomial.KeyedBanks(self.templates, self.baseline)
            flavours = ()
            if self.baseline is not None:
                flavours = tuple(
                    sorted({f for b in nonpolynomial.bank_entries(self.templates).values() for f in b.flavours})
                )
            setup = self.__dict__["_memo_keyed"] = (banks, self.radius_parameters(), flavours)
        banks, radii, flavours = setup
        return nonpolynomial.contract(banks, points, radii, flavours)

    @property
    def analytic_parameters(self) -> frozenset:
        """Physics parameters that :meth:`predict_points` differentiates exactly (through the
        monomial directions of ``points``); the others are differentiated numerically."""
        return MONOMIAL_PARAMETERS

    def point(self, params: Params) -> Points:
        """One validated point as :class:`Points` (refusing parameters the data set does not
        model; see :attr:`parameters`)."""
        pts = Points.from_params(params)
        self.check_points(pts)
        return pts

    def check_points(self, pts: Points) -> None:
        """ValueError if the points move a parameter the prediction does not model (:attr:`parameters`),
        with the reason when the data set is by nature not sensitive to it (:attr:`unmodelled_reasons`)."""
        bad = pts.moved(self.parameters)
        if not bad:
            return
        why = [p for p in bad if p in self.unmodelled_reasons]
        if why:
            raise ValueError(not_sensitive_message(self, why))
        pts.check_only(self.parameters)

    def _fast(self) -> bool:
        return type(self).predict_points is not DataSet.predict_points

    def linear_derivatives(self, params: Params, nuis: dict, comps: dict) -> dict[str, np.ndarray]:
        """Exact d(expected)/d(nuisance) at one point (those :meth:`predict_points` provides)."""
        if not self._fast():
            return {}
        nv = {k: np.full(1, float(v)) for k, v in self._nuis(nuis).items()}
        return {k: v[0] for k, v in self.predict_points(Points.from_params(params), nv, derivatives=True)[1].items()}

    # --- single points ------------------------------------------------------------------------
    def expected(self, params: Params, nuis: dict | None = None) -> np.ndarray:
        """Total expected counts per bin (flattened)."""
        if self._fast():
            nv = self._nuis(nuis)
            arr = {k: np.full(1, float(v)) for k, v in nv.items()}
            return self.predict_points(self.point(params), arr)[0][0, 0]
        self.point(params)  # refuse what the prediction does not model
        return np.sum(list(self.components(params, nuis).values()), axis=0)

    def chi2(self, params: Params, nuis: dict | None = None) -> float:
        """chi^2 of the data given physics parameters and nuisances (including the priors)."""
        return self.chi2_counts(self.expected(params, nuis)) + self.penalty(nuis)

    def penalty(self, nuis: dict | None = None) -> float:
        values = self._nuis(nuis)
        return float(sum(n.penalty(values[n.name]) for n in self.nuisances))

    def totals(self, params: Params, nuis: dict | None = None) -> dict[str, float]:
        self.point(params)  # refuse what the prediction does not model
        comps = self.components(params, nuis)
        out = {k: float(np.sum(v)) for k, v in comps.items()}
        out["observed"] = float(np.sum(self.observed))
        return out

    def observed_errors(self) -> np.ndarray:
        """Uncertainty of each observed bin (Poisson sqrt(N) unless the release gives errors)."""
        return np.sqrt(np.maximum(self.observed, 1.0))

    # --- many points ----------------------------------------------------------------------------
    @staticmethod
    def _points(values, base, wrt=(), curvature=()) -> Points:
        if isinstance(values, Points):
            if wrt or curvature:
                return Points.from_matrix(values.V, wrt, curvature)
            return values
        return Points(values, base, wrt, curvature)

    def expected_batch(self, values, nuis: dict | None = None, base: Params | None = None) -> np.ndarray:
        """Expected counts (n_points, n_bins) for n physics points (``values``: name -> (n,) array,
        or a :class:`Points`) and nuisances (name -> scalar or (n,) array)."""
        from ..inference.backends import one_blas_thread

        pts = self._points(values, base)
        self.check_points(pts)
        nv = self.nuisance_arrays(nuis, pts.n)
        if not self._fast():
            return self._expected_loop(pts, nv)
        with one_blas_thread():  # small products: threads cost more than they save
            return self.predict_points(pts, nv)[0][:, 0]

    def _expected_loop(self, pts: Points, nv: dict) -> np.ndarray:
        return np.stack(
            [
                sum(self.components(pts.params(i), {k: float(v[i]) for k, v in nv.items()}).values())
                for i in range(pts.n)
            ]
        )

    def chi2_batch(
        self, values, nuis: dict | None = None, base: Params | None = None, observed: np.ndarray | None = None
    ) -> np.ndarray:
        """chi^2 (data term + priors) for many points (see :meth:`expected_batch`)."""
        e = self.expected_batch(values, nuis, base)
        return np.atleast_1d(self.chi2_counts(e, observed)) + self.penalty_batch(nuis, e.shape[0])

    def penalty_batch(self, nuis: dict | None, n: int) -> np.ndarray:
        nv = self.nuisance_arrays(nuis, n)
        out = np.zeros(n)
        for nu in self.nuisances:
            if nu.sigma is not None:
                out = out + nu.penalty(nv[nu.name])
        return out

    def jacobian_batch(
        self, values, nuis: dict | None = None, base: Params | None = None, wrt=(), curvature=()
    ) -> Derivatives:
        """Expected counts and their derivatives for n points (see the module docstring):
        d/dname for every name of ``wrt`` (nuisances or physics parameters), d2/dname2 for every
        physics parameter of ``curvature``.  Exact where :meth:`predict_points` provides them,
        central finite differences (one batched evaluation) elsewhere."""
        nuis_names = {nu.name for nu in self.nuisances}
        wrt_n = [w for w in wrt if w in nuis_names]
        wrt_p = [w for w in wrt if w not in nuis_names]
        pts0 = self._points(values, base)
        self.check_points(pts0)
        nv = self.nuisance_arrays(nuis, pts0.n)
        fast = self._fast()
        exact = self.analytic_parameters if fast else frozenset()
        ap = [p for p in wrt_p if p in exact]
        ac = [p for p in curvature if p in exact]
        d, d2 = {}, {}
        if fast:
            from ..inference.backends import one_blas_thread

            pts = Points.from_matrix(pts0.V, ap, ac)
            with one_blas_thread():
                out, dn = self.predict_points(pts, nv, derivatives=bool(wrt_n))
            expected = out[:, 0]
            for j, p in enumerate(ap):
                d[p] = out[:, 1 + j]
            for j, p in enumerate(ac):
                d2[p] = out[:, 1 + len(ap) + j]
            for k in wrt_n:
                if k in dn:
                    d[k] = dn[k]
        else:
            expected = self._expected_loop(pts0, nv)
        todo_n = [k for k in wrt_n if k not in d]
        todo_p = [p for p in wrt_p if p not in d]
        todo_c = [p for p in curvature if p not in d2]
        if todo_n or todo_p or todo_c:
            self._finite_differences(pts0, nv, todo_n, todo_p, todo_c, d, d2)
        return Derivatives(expected, d, d2)

    def _finite_differences(self, pts: Points, nv: dict, nuis_names, phys, curv, d: dict, d2: dict) -> None:
        """Central differences for the listed columns, all perturbed points in one evaluation."""
        from ..physics.monomials import parameter_index

        n = pts.n
        idx = parameter_index()
        by_name = {nu.name: nu for nu in self.nuisances}
        rows_V, rows_N, cols = [], [], []
        for k in nuis_names:
            nu = by_name[k]
            lo, hi = nu.bounds
            h = 1e-5 * np.maximum(nu.scale, np.abs(nv[k]))
            up, dn = np.clip(nv[k] + h, lo, hi), np.clip(nv[k] - h, lo, hi)
            for v in (up, dn):
                rows_V.append(pts.V)
                rows_N.append({**nv, k: v})
            cols.append(("nuis", k, up - dn))
        for p in dict.fromkeys([*phys, *curv]):
            x = pts.V[:, idx[p]]
            h = 1e-4 * np.maximum(step_size(p), np.abs(x))
            for sgn in (1.0, -1.0):
                V = pts.V.copy()
                V[:, idx[p]] = x + sgn * h
                rows_V.append(V)
                rows_N.append(nv)
            cols.append(("phys", p, h))
        if any(c[0] == "phys" and c[1] in curv for c in cols):
            rows_V.append(pts.V)
            rows_N.append(nv)
        big = Points.from_matrix(np.concatenate(rows_V))
        N = {k: np.concatenate([r[k] for r in rows_N]) for k in nv}
        ev = self.predict_points(big, N)[0][:, 0] if self._fast() else self._expected_loop(big, N)
        ev = ev.reshape(len(rows_V), n, -1)
        for j, (kind, name, h) in enumerate(cols):
            up, dn = ev[2 * j], ev[2 * j + 1]
            if kind == "nuis":
                d[name] = (up - dn) / h[:, None]
                continue
            if name in phys:
                d[name] = (up - dn) / (2.0 * h)[:, None]
            if name in curv:
                d2[name] = (up - 2.0 * ev[-1] + dn) / (h**2)[:, None]

    # -- the template cache ------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict]:
        """(JSON-able description, numpy arrays) of this built data set -- its templates,
        axes, nuisances and inputs -- as the on-disk template cache stores it
        (:mod:`cevnsfit.state`: no pickle, reading it runs no code).  Every data set gets this
        for free, as long as it holds data (arrays, numbers, strings, containers, cevnsfit
        objects), not functions."""
        from ..state import encode

        return encode(self)

    @classmethod
    def from_state(cls, desc: dict, arrays: dict) -> DataSet:
        """The data set stored by :meth:`to_state`."""
        from ..state import StateError, decode

        obj = decode(desc, arrays)
        if not isinstance(obj, cls):
            raise StateError(f"stored state holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj


def not_sensitive_message(ds, names) -> str:
    """The error for parameters ``names`` that data set ``ds`` is by nature not sensitive to."""
    reasons = dict.fromkeys(ds.unmodelled_reasons[p] for p in names)
    return f"{ds.name} is not sensitive to {', '.join(names)}: " + "; ".join(reasons)
