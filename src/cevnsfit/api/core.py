"""The notebook face of cevnsfit: :func:`load` a data set, combine data sets in an
:class:`Analysis`, and get result objects (:mod:`cevnsfit.api.results`) back.

    import cevnsfit as cf
    d2 = cf.load("dresden2", qf="ybe")
    pred = d2.predict(mu_e=3.0)            # counts per bin and component, with bin edges
    pred.plot()
    ana = cf.Analysis(data=["csi", "ar"], model={"transitions": True})
    lim = ana.limit("r2_ee", cl=0.9)       # LimitResult: .intervals, .best_fit, .plot(), .to_json()

Physics parameters have one name each, with fixed units: ``sin2w``; ``mu_e``, ``mu_mu``,
``mu_tau`` in 10⁻¹⁰ μ_B; ``r2_ee``, ``r2_mumu``, ``r2_tautau``, ``r2_emu``, ``r2_etau``,
``r2_mutau`` in 10⁻³² cm² (diagonal radii are the total radius, SM value by default); ``q_ee``,
... in units of the elementary charge e.  Parameters not given stay at their Standard-Model
values.  The formulas and their references are in the physics documentation (docs/physics.md).
"""

from __future__ import annotations

import time

import numpy as np

from .results import ContourResult, FCContourResult, FitResult, LimitResult, PosteriorResult, Prediction, ScanResult

COMMON = ("es", "momentum_dependent", "form_factor")


def _meta(options=None) -> dict:
    from ..provenance import metadata

    return metadata(options)


class Data:
    """One data set with its model choices fixed and its templates built (see :func:`load`).

    Attributes: ``name``; ``options`` (every model choice, defaults filled in); ``dataset`` (the
    underlying :class:`cevnsfit.experiments.base.DataSet`); ``observed`` (counts shaped like the
    data: one array axis per observable); ``edges`` (bin edges per axis); ``axes`` (name, unit,
    edges); ``nuisances`` (name, central value, prior width -- None: free, source).
    ``a + b`` gives the list ``[a, b]`` for :class:`Analysis`.
    """

    def __init__(
        self, name: str, es: bool | None = None, momentum_dependent: bool = False, form_factor: str = "helm", **options
    ):
        from .. import experiments

        experiments.check_name(name)
        resolved = experiments.info(name).resolve(options)
        self.name = name
        self.es = es
        self.momentum_dependent = bool(momentum_dependent)
        self.form_factor = form_factor
        self.model_options = resolved
        self.dataset = experiments.load(
            name, es=es, momentum_dependent=momentum_dependent, form_factor=form_factor, **resolved
        )

    # -- what the data are --------------------------------------------------------------------
    @property
    def options(self) -> dict:
        from .. import experiments

        es = experiments.default_es(self.name) if self.es is None else bool(self.es)
        return {
            "es": es,
            "momentum_dependent": self.momentum_dependent,
            "form_factor": self.form_factor,
            **self.model_options,
        }

    @property
    def description(self) -> str:
        from .. import experiments

        return experiments.describe(self.name)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.dataset.shape

    @property
    def observed(self) -> np.ndarray:
        return np.asarray(self.dataset.observed, float).reshape(self.shape)

    @property
    def observed_errors(self) -> np.ndarray:
        return np.asarray(self.dataset.observed_errors(), float).reshape(self.shape)

    @property
    def edges(self) -> list[np.ndarray]:
        return [np.asarray(a.edges) for a in self.dataset.axes]

    @property
    def axes(self) -> list[dict]:
        return [{"name": a.name, "unit": a.unit, "edges": np.asarray(a.edges)} for a in self.dataset.axes]

    @property
    def nuisances(self) -> list[dict]:
        return [
            {"name": n.name, "central": n.central, "sigma": n.sigma, "source": n.source} for n in self.dataset.nuisances
        ]

    @property
    def count_unit(self) -> str:
        return getattr(self.dataset, "count_unit", "events")

    def __add__(self, other):
        if isinstance(other, Data):
            return [self, other]
        if isinstance(other, list):
            return [self, *other]
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, list):
            return [*other, self]
        return NotImplemented

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.model_options.items())
        return f"cevnsfit.load({self.name!r}{', ' + opts if opts else ''})"

    def _repr_html_(self) -> str:
        import html

        rows = [
            ("data set", self.description),
            ("bins", " × ".join(f"{a.n} in {a.name} [{a.unit}]" for a in self.dataset.axes)),
            ("observed", f"{self.observed.sum():.6g} {self.count_unit}"),
            ("options", ", ".join(f"{k}={v}" for k, v in self.options.items())),
            ("nuisances", ", ".join(n.name for n in self.dataset.nuisances)),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"

    # -- predictions --------------------------------------------------------------------------
    @staticmethod
    def _params(values: dict):
        from ..physics.parameters import Params

        return Params.from_dict(values)

    def _nuisances(self, params, nuisances, profile):
        from ..inference.fit import profile_nuisances

        warnings_ = []
        nuis = self.dataset.nuisance_defaults()
        fitted: list[str] = []
        if nuisances:
            nuis = self.dataset._nuis(nuisances)
        if profile is True or profile == "all":
            fitted = [n.name for n in self.dataset.nuisances]
        elif profile == "free":
            fitted = [n.name for n in self.dataset.nuisances if n.sigma is None and n.name not in (nuisances or {})]
        elif profile not in (False, None, "none"):
            raise ValueError(f"profile must be 'free', True/'all' or False, got {profile!r}")
        if fitted:
            res = profile_nuisances(self.dataset, params)
            keep = {k: v for k, v in res.values.items() if k in fitted}
            nuis.update(keep)
            if not res.converged:
                warnings_.append(f"background fit: {res.message}")
        return nuis, fitted, warnings_

    def predict(self, nuisances: dict | None = None, profile="free", **params) -> Prediction:
        """Expected counts per bin and component at the physics point ``params`` (names and
        units as in the module docstring; the others at their SM values).

        ``nuisances``: values of nuisance parameters (default: their central values);
        ``profile``: which nuisances are fitted to the data at this physics point -- ``"free"``
        (default: those without a prior, e.g. the Dresden-II background shape), ``True``
        (all) or ``False`` (none).  Returns a :class:`Prediction` with the components as arrays
        shaped like the data, the bin edges, the observed counts and the χ² at that point."""
        from .. import experiments
        from ..physics.parameters import UNITS

        t0 = time.perf_counter()
        p = self._params(params)
        self.dataset.point(p)  # refuse what the prediction does not model before fitting
        nuis, fitted, warnings_ = self._nuisances(p, nuisances, profile)
        comps = self.dataset.components(p, nuis)
        totals = {k: float(np.sum(v)) for k, v in comps.items()}
        totals["observed"] = float(np.sum(self.dataset.observed))
        chi2 = float(self.dataset.chi2(p, nuis))
        model = {
            **self.model_options,
            "es": "es" in comps,
            "momentum_dependent": self.momentum_dependent,
            "form_factor": self.form_factor,
        }
        extra = {"given": dict(params), "timing_s": {"evaluate": time.perf_counter() - t0}}
        epu = getattr(self.dataset, "events_per_unit", None)
        if epu is not None:
            extra["events_in_exposure"] = {k: v * epu for k, v in totals.items()}
        return Prediction(
            experiment=self.name,
            description=experiments.describe(self.name),
            model=model,
            params=p.to_dict(),
            units=dict(UNITS),
            nuisances={k: float(v) for k, v in nuis.items()},
            profiled_nuisances=fitted,
            totals=totals,
            count_unit=self.count_unit,
            axes=[{"name": a.name, "unit": a.unit, "edges": np.asarray(a.edges).tolist()} for a in self.dataset.axes],
            bins={k: np.asarray(v).reshape(self.shape).tolist() for k, v in comps.items()},
            observed=self.observed.tolist(),
            observed_errors=self.observed_errors.tolist(),
            signal_components=[k for k in self.dataset.signal_components if k in comps],
            chi2=chi2,
            warnings=warnings_,
            meta=_meta({"data": [self.name], **model}),
            extra=extra,
        )

    def chi2(self, nuisances: dict | None = None, profile=False, **params) -> float:
        """χ² of the data (data term + nuisance priors) at the physics point ``params``:
        at the given or central ``nuisances`` (default), or with them fitted (``profile=True``,
        or ``"free"`` for those without a prior)."""
        p = self._params(params)
        nuis, _, _ = self._nuisances(p, nuisances, profile)
        return float(self.dataset.chi2(p, nuis))


def load(
    name: str, es: bool | None = None, momentum_dependent: bool = False, form_factor: str = "helm", **options
) -> Data:
    """A data set, ready to predict and fit.

    ``name``: ``csi``, ``ar``, ``dresden2``, ... (``cevnsfit options`` lists them with their
    options); ``es``: include neutrino-electron scattering (None: the data set's default);
    ``momentum_dependent``: the running neutrino charge radius; ``form_factor``: ``helm``,
    ``klein_nystrand`` or ``symmetrized_fermi``; further keywords are the data set's own model
    options (e.g. ``qf="ybe"``, ``flux="hmk"`` for Dresden-II).  Built templates are cached
    in memory and on disk."""
    return Data(name, es=es, momentum_dependent=momentum_dependent, form_factor=form_factor, **options)


class Analysis:
    """Data sets and model choices, with the fits of the published analyses.

    ``data``: names or :class:`Data` objects (their options are taken over);
    ``model``: the model choices as in an analysis file's ``model:`` section (``es``,
    ``transitions``, ``momentum_dependent``, ``form_factor`` and the data sets' own options such
    as ``qf``); keywords do the same.  ``fixed``: {parameter: value or "sm"} held fixed;
    ``free``: parameters freed in addition to those each fit frees by default (the parameters
    of interest and the others of their family that the data measure, transitions only with
    ``transitions=True``).
    """

    def __init__(self, data, model: dict | None = None, fixed: dict | None = None, free=None, **options):
        from ..inference.analysis import Setup, resolve_fixed

        if isinstance(data, (str, Data)):
            data = [data]
        names, opts = [], {}
        for d in data:
            if isinstance(d, Data):
                names.append(d.name)
                opts.update(d.model_options)
                for k in COMMON:
                    opts.setdefault(k, getattr(d, k))
            else:
                names.append(str(d))
        opts.update(model or {})
        opts.update(options)
        common = {k: opts.pop(k) for k in ("es", "transitions", "momentum_dependent", "form_factor") if k in opts}
        self.setup = Setup(tuple(names), **common, **opts)
        self.fixed = resolve_fixed(fixed)
        self.free = list(free or [])
        for p in self.free:
            if p in self.fixed:
                raise ValueError(f"parameter {p} is both fixed and free")

    @classmethod
    def from_setup(cls, setup, fixed: dict | None = None, free=None) -> Analysis:
        """The analysis of a :class:`cevnsfit.inference.analysis.Setup`."""
        d = setup.to_dict()
        return cls(d.pop("data"), fixed=fixed, free=free, **d.pop("options"), **d)

    @classmethod
    def from_file(cls, path) -> Analysis:
        """The analysis of an analysis file (YAML, ``cevnsfit schema``)."""
        from ..config import load as load_config

        a = load_config(path)
        m = a.model
        return cls(
            a.data,
            es=m.es,
            transitions=m.transitions,
            momentum_dependent=m.momentum_dependent,
            form_factor=m.form_factor,
            fixed=getattr(a, "fixed", None),
            free=getattr(a, "free", None),
            **a.experiment_options(),
        )

    @property
    def data(self) -> list[str]:
        return list(self.setup.data)

    @property
    def options(self) -> dict:
        out = self.setup.options()
        if self.fixed:
            out["fixed"] = dict(self.fixed)
        if self.free:
            out["free"] = list(self.free)
        return out

    def __repr__(self) -> str:
        return f"cevnsfit.Analysis(data={self.data}, options={self.options})"

    def datasets(self) -> list[Data]:
        """The :class:`Data` objects of this analysis."""
        out = []
        for n in self.setup.data:
            d = Data.__new__(Data)
            d.name, d.es, d.momentum_dependent, d.form_factor = (
                n,
                self.setup.es,
                self.setup.momentum_dependent,
                self.setup.form_factor,
            )
            d.model_options = self.setup.options_of(n)
            d.dataset = next(x for x in self.setup.datasets() if x.name == n)
            out.append(d)
        return out

    # -- fits -----------------------------------------------------------------------------------
    def fit(self, params=()) -> FitResult:
        """Global fit with the physics parameters ``params`` (plus ``free``) free and every
        nuisance profiled; without parameters, the nuisance-only fit at the (fixed) physics point."""
        from ..inference.analysis import family, physics_parameters
        from ..inference.fit import Likelihood
        from ..inference.profile import Profiler
        from ..physics.parameters import UNITS

        t0 = time.perf_counter()
        params = [params] if isinstance(params, str) else list(params)
        for p in params:
            family(p)
        dss = self.setup.datasets()
        if params:
            free, fixed = physics_parameters(params, dss, self.setup.transitions, self.fixed, self.free)
        else:
            free, fixed = list(self.free), dict(self.fixed)
        lik = Likelihood(dss, poi=free, fixed=fixed)
        best = Profiler(lik).global_fit() if free else lik.fit()
        warnings_ = [] if best.converged else [f"fit: {best.message}"]
        return FitResult(
            best_fit={p: best.values[p] for p in free},
            errors={p: best.errors[p] for p in free if p in best.errors},
            nuisances={k: v for k, v in best.values.items() if "." in k},
            chi2_min=best.chi2,
            n_bins=int(sum(d.observed.size for d in dss)),
            converged=bool(best.converged),
            free=free,
            units={p: UNITS[p] for p in free},
            options=self.options,
            warnings=warnings_,
            seconds=time.perf_counter() - t0,
            meta=_meta(self.options),
        )

    def limit(
        self,
        param: str,
        cl: float = 0.9,
        points: int = 61,
        range=None,
        refine: bool = True,
        method: str = "wilks",
        toys: int = 1000,
        seed: int = 0,
        prior: str = "flat",
        backend: str = "serial",
        workers: int | None = None,
        scheduler: str | None = None,
        out=None,
        expected: bool = True,
        smooth: bool = True,
    ) -> LimitResult:
        """Allowed interval(s) of ``param`` at confidence level ``cl`` (profile likelihood,
        Δχ² ≤ χ²-quantile of 1 dof: 2.706 at 90 %), the other parameters of its family and every
        nuisance profiled; ``range``: (low, high) of the scan (default: found automatically);
        ``points``: scan points.  With ``expected`` (default) a Wilks result also holds the
        expected (Asimov, SM truth) interval and Δχ² curve (``.expected``; bands from
        pseudo-experiments: :meth:`expected_bands`).

        ``method="fc"``: Feldman-Cousins from ``toys`` pseudo-experiments per tested value (``points``
        tested values, default 40; ``seed``; ``backend``/``workers``/``scheduler`` as in :meth:`scan`;
        ``out``: directory for resumable toys); the critical Δχ² of every value is in ``scan``,
        regularised across the tested values unless ``smooth=False`` (the raw ones beside them).
        ``method="bayes"``: highest-posterior-density credible interval(s) with ``prior`` ("flat", or
        "flat-square" for moduli); the equal-tailed interval and the posterior are in ``extra``.
        ``param`` may also be a data set's nuisance ("csi2017.eta_cevns")."""
        from ..inference.analysis import limit

        if not (0.0 < cl < 1.0):
            raise ValueError(f"cl must lie in (0, 1), got {cl}")
        if points < 5:
            raise ValueError("points must be at least 5")
        if method != "wilks" or "." in param:
            from ..inference import methods

            d = methods.limit(
                self.setup,
                param,
                method=method,
                cl=cl,
                n_points=points if points != 61 else None,
                scan_range=range,
                toys=toys,
                seed=seed,
                prior=prior,
                backend=backend,
                n_workers=workers,
                scheduler=scheduler,
                out_dir=out,
                fixed=self.fixed,
                free=self.free,
                smooth=smooth,
            )
            return LimitResult.from_dict({**d, "meta": _meta(d.get("options"))})
        d = limit(
            self.setup,
            param,
            cl=cl,
            n_points=points,
            scan_range=range,
            refine=refine,
            fixed=self.fixed,
            free=self.free,
            expected=expected,
        )
        return LimitResult.from_dict({**d, "meta": _meta(d.get("options"))})

    def expected_bands(
        self,
        param: str,
        toys: int,
        cl: float = 0.9,
        seed: int = 0,
        points: int = 31,
        range=None,
        backend: str = "serial",
        workers: int | None = None,
        scheduler: str | None = None,
        progress=None,
    ) -> dict:
        """Median and ±1σ/±2σ of the limit on ``param`` over ``toys`` pseudo-experiments drawn at
        the SM truth (nuisances at their fit to the data), each scanned on ``points`` values,
        parallel on ``backend`` (serial, processes, dask): {"upper": {"median", "-1sigma", ...},
        "lower": {...}, "n_toys", "n_failed", ...} (:mod:`cevnsfit.inference.expected`)."""
        from ..inference.expected import expected_bands

        return expected_bands(
            self.setup,
            param,
            toys,
            cl=cl,
            fixed=self.fixed,
            free=self.free,
            seed=seed,
            n_points=points,
            scan_range=range,
            backend=backend,
            n_workers=workers,
            scheduler=scheduler,
            progress=progress,
        )

    def contour(
        self,
        a: str,
        b: str,
        points: int | None = None,
        x_range=None,
        y_range=None,
        cl: float = 0.9,
        scales=("linear", "linear"),
        method: str = "wilks",
        toys: int = 500,
        seed: int = 0,
        prior: str = "flat",
        nlive: int = 500,
        backend: str = "serial",
        workers: int | None = None,
        scheduler: str | None = None,
        out=None,
        progress=None,
        smooth: bool = True,
    ):
        """The ``cl`` region of ``a`` and ``b`` (2 dof) by ``method``, with ``fixed``/``free`` as for
        limits.

        ``"wilks"`` (default): profiled Δχ² on a ``points`` × ``points`` grid (default 25) with the
        1σ/2σ/3σ regions and the ``cl`` contour (Δχ² ≤ 4.605 at 90 %); ranges default to the 3σ
        region found automatically.  ``scales``: "linear" or "log" per axis (a log axis needs its
        range, e.g. ``contour("dm2_41", "umu4sq", x_range=(0.1, 1e3), scales=("log", "linear"))``).
        Returns a :class:`ContourResult`.

        ``"fc"``: Feldman-Cousins on a ``points`` × ``points`` grid (default 15) from ``toys``
        pseudo-experiments per grid point (``seed``; ``backend``/``workers``/``scheduler`` as in
        :meth:`scan`; ``out``: directory for resumable toys).  Returns an :class:`FCContourResult`
        with the critical Δχ² of every grid point beside Wilks' constant (regularised across the
        grid unless ``smooth=False``; the raw ones in ``extra``).

        ``"bayes"``: the 2D posterior (``prior``: "flat", or "flat-square" for moduli; ``nlive``
        live points, ``seed``) with its highest-posterior-density region and both marginals'
        credible intervals.  Returns a :class:`PosteriorResult` (``.corner()`` draws the corner plot)."""
        from ..inference import methods
        from ..inference.profile import delta_chi2_threshold

        if points is not None and points < 5:
            raise ValueError("points must be at least 5")
        if not (0.0 < cl < 1.0):
            raise ValueError(f"cl must lie in (0, 1), got {cl}")
        if method == "wilks":
            from ..inference.analysis import contour

            d = contour(
                self.setup,
                a,
                b,
                x_range=x_range,
                y_range=y_range,
                n=points or 25,
                fixed=self.fixed,
                free=self.free,
                scales=scales,
            )
            d["cl"] = cl
            d["levels"]["cl"] = delta_chi2_threshold(cl, 2)
            return ContourResult.from_dict({**d, "meta": _meta(d.get("options"))})
        if tuple(scales) != ("linear", "linear"):
            raise ValueError(f"scales={tuple(scales)} needs method='wilks'")
        d = methods.contour(
            self.setup,
            a,
            b,
            method=method,
            cl=cl,
            n=points,
            x_range=x_range,
            y_range=y_range,
            toys=toys,
            seed=seed,
            prior=prior,
            nlive=nlive,
            backend=backend,
            n_workers=workers,
            scheduler=scheduler,
            out_dir=out,
            progress=progress,
            fixed=self.fixed,
            free=self.free,
            smooth=smooth,
        )
        cls = FCContourResult if method == "fc" else PosteriorResult
        return cls.from_dict({**d, "meta": _meta(d.get("options"))})

    def exclusion(self, coupling: str, masses=(1e-3, 1e4, 40), cl: float = 0.9, each: bool = True):
        """Exclusion curves of a light mediator (``g_zp`` or ``g_phi``): at each mass the allowed
        couplings, everything else profiled, for the combined data sets and (``each``) every
        data set alone.  ``masses``: (low, high, n) log-spaced [MeV], or a list of masses."""
        from ..inference.exclusion import exclusion
        from .results import ExclusionResult

        if isinstance(masses, tuple) and len(masses) == 3:
            lo, hi, n = masses
            if not (0 < lo < hi) or int(n) < 2:
                raise ValueError(f"masses (low, high, n) need 0 < low < high and n >= 2, got {masses}")
            masses = np.geomspace(float(lo), float(hi), int(n))
        d = exclusion(self.setup, coupling, masses, cl=cl, fixed=self.fixed, free=self.free, each=each)
        return ExclusionResult.from_dict({**d, "meta": _meta(d.get("options"))})

    def scan(
        self,
        ranges: dict | None = None,
        cl: float = 0.9,
        backend: str = "serial",
        workers: int | None = None,
        chunk_size: int = 64,
        out=None,
        progress=None,
        scheduler: str | None = None,
        **more,
    ) -> ScanResult:
        """Profiled grid scan: ``ranges`` {param: (low, high, n)} (or keywords ``mu_e=(0, 5, 21)``);
        the other parameters of the scanned families are profiled.  ``backend``: ``serial``,
        ``processes`` or ``dask`` (``scheduler``: address of a running dask scheduler);
        ``out``: a directory that makes the scan resumable;
        ``progress``: called with the number of finished grid points."""
        from ..inference.distributed import GridSpec, grid_scan

        ranges = {**(ranges or {}), **more}
        if not ranges:
            raise ValueError("give at least one parameter range, e.g. scan(mu_e=(0, 5, 21))")
        spec = GridSpec.from_ranges(self.setup, ranges, fixed=self.fixed, free=self.free)
        res = grid_scan(
            spec,
            backend=backend,
            n_workers=workers,
            scheduler=scheduler,
            chunk_size=chunk_size,
            out_dir=out,
            progress=progress,
        )
        return ScanResult.from_grid(res, cl, meta=_meta(self.options))
