"""What every data set provides: binned expected counts for any parameters and nuisances, the
observed counts, its nuisance parameters, and its chi^2 (SPEC section 11).

An experiment module defines a subclass of :class:`DataSet`; everything outside ``experiments/``
talks to data sets only through this interface, so a fourth data set is one new module plus an
entry in :data:`cevnsfit.experiments.REGISTRY`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..physics.parameters import Params


@dataclass(frozen=True)
class Nuisance:
    """A nuisance parameter: value ``central`` with Gaussian prior width ``sigma`` (None: free).

    ``source`` says where the number comes from. Values are in the natural unit of the
    nuisance (fractional normalisation shifts, sigma multiples of a template variation, microseconds).
    """

    name: str
    central: float
    sigma: float | None
    source: str
    limits: tuple[float, float] | None = None

    def penalty(self, value: float) -> float:
        if self.sigma is None:
            return 0.0
        return ((value - self.central) / self.sigma) ** 2


@dataclass(frozen=True)
class Axis:
    """One observable axis: name, unit and bin edges."""

    name: str
    unit: str
    edges: np.ndarray

    @property
    def n(self) -> int:
        return len(self.edges) - 1


def poisson_chi2(expected: np.ndarray, observed: np.ndarray):
    """Poisson chi^2 = 2 sum [N_th - N_obs + N_obs ln(N_obs/N_th)] (Baker & Cousins 1984), summed
    over the last axis: a float for one prediction, an array for a stack of them."""
    mu = np.maximum(expected, 1e-300)
    n = observed
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.where(n > 0, n * np.log(n / mu), 0.0)
    out = 2.0 * np.sum(mu - n + log_term, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def gaussian_chi2(expected: np.ndarray, observed: np.ndarray, sigma: np.ndarray):
    """sum ((N_th - N_obs) / sigma)^2 over the last axis (float, or array for a stack)."""
    out = np.sum(((expected - observed) / sigma) ** 2, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


@dataclass
class DataSet(ABC):
    """A data set with its model choices fixed and its templates built.

    Subclasses set ``name``, ``axes``, ``observed``, ``nuisances`` and implement
    :meth:`components` (expected counts per named component, flattened over the bins in C order
    of ``axes``) and :meth:`chi2_counts`.
    """

    name: str = field(init=False, default="")
    axes: tuple[Axis, ...] = field(init=False, default=())
    observed: np.ndarray = field(init=False, default=None)
    nuisances: tuple[Nuisance, ...] = field(init=False, default=())
    signal_components: tuple[str, ...] = ("cevns", "es")
    #: for each channel, what its nominal templates were built from:
    #: (spectra, target, scale, nodes, weights, response) -- used to validate the templates
    channel_inputs: dict = field(init=False, default_factory=dict)

    # the physics parameters this data set is sensitive to (others do not change its prediction)
    sensitive_to: tuple[str, ...] = field(init=False, default=())

    def nominal_templates(self, channel: str):
        """The :class:`~cevnsfit.inference.templates.ComponentTemplates` of ``channel`` at nominal
        nuisances (before any time or normalisation factor)."""
        t = self.templates[channel]
        return t if not isinstance(t, dict) else t[("nominal", "nominal")]

    @abstractmethod
    def components(self, params: Params, nuis: dict | None = None) -> dict[str, np.ndarray]:
        """Expected counts per component (``cevns``, ``es`` and each background by name)."""

    #: "poisson" (counts; Baker-Cousins chi^2) or "gaussian" (with :meth:`observed_errors`)
    statistic: str = field(init=False, default="poisson")

    def chi2_counts(self, expected: np.ndarray):
        """The data term of the chi^2 for total expected counts (flattened bins; a stack of
        predictions along leading axes gives an array)."""
        if self.statistic == "gaussian":
            return gaussian_chi2(expected, self.observed, self.observed_errors())
        return poisson_chi2(expected, self.observed)

    # ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.n for a in self.axes)

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

    def expected(self, params: Params, nuis: dict | None = None) -> np.ndarray:
        """Total expected counts per bin (flattened)."""
        return sum(self.components(params, nuis).values())

    def linear_derivatives(self, params: Params, nuis: dict, comps: dict) -> dict[str, np.ndarray]:
        """d(expected)/d(nuisance) at this point (``comps`` are its components) for the nuisances
        whose derivative is known exactly -- those that enter linearly, and smooth template
        morphing; used by the fast profiler instead of finite differences. Default: none."""
        return {}

    def expected_batch(self, values: dict, nuis: dict | None = None, base: Params | None = None) -> np.ndarray:
        """Expected counts for many physics points at once: ``values`` maps parameter names to
        equal-length arrays; returns (n_points, n_bins).  Data sets override this with a
        vectorised contraction; this fallback loops."""
        base = base or Params()
        n = max((np.size(v) for v in values.values()), default=1)
        cols = {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in values.items()}
        return np.stack([self.expected(Params.from_dict({k: c[i] for k, c in cols.items()}, base=base), nuis)
                         for i in range(n)])

    def chi2_batch(self, values: dict, nuis: dict | None = None, base: Params | None = None) -> np.ndarray:
        """chi^2 (data term + priors) for many physics points at fixed nuisances."""
        return np.atleast_1d(self.chi2_counts(self.expected_batch(values, nuis, base))) + self.penalty(nuis)

    def observed_errors(self) -> np.ndarray:
        """Uncertainty of each observed bin (Poisson sqrt(N) unless the release gives errors)."""
        return np.sqrt(np.maximum(self.observed, 1.0))

    def penalty(self, nuis: dict | None = None) -> float:
        values = self._nuis(nuis)
        return float(sum(n.penalty(values[n.name]) for n in self.nuisances))

    def chi2(self, params: Params, nuis: dict | None = None) -> float:
        """chi^2 of the data given physics parameters and nuisances (including the priors)."""
        return self.chi2_counts(self.expected(params, nuis)) + self.penalty(nuis)

    def totals(self, params: Params, nuis: dict | None = None) -> dict[str, float]:
        comps = self.components(params, nuis)
        out = {k: float(np.sum(v)) for k, v in comps.items()}
        out["observed"] = float(np.sum(self.observed))
        return out

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
    def from_state(cls, desc: dict, arrays: dict) -> "DataSet":
        """The data set stored by :meth:`to_state`."""
        from ..state import StateError, decode

        obj = decode(desc, arrays)
        if not isinstance(obj, cls):
            raise StateError(f"stored state holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj
