"""Analytic toy data sets for the statistics tests: a Poisson counting experiment with known
background and a Gaussian measurement with a physical boundary."""

from dataclasses import dataclass

import numpy as np

from cevnsfit.experiments.base import Axis, DataSet, Nuisance


@dataclass(eq=False)
class Counting(DataSet):
    """n ~ Poisson(s + b), s >= 0 the tested 'count.s' (Feldman & Cousins 1998, section IV)."""

    n_obs: float = 0.0
    b: float = 0.0

    def __post_init__(self):
        self.name = "count"
        self.statistic = "poisson"
        self.axes = (Axis("n", "", np.array([0.0, 1.0])),)
        self.observed = np.array([float(self.n_obs)])
        # b = 0 exactly would make the expectation vanish at s = 0; 1e-6 changes no digit quoted
        self.b = max(self.b, 1e-6)
        self.nuisances = (Nuisance("s", 1.0, None, "signal mean", (0.0, 1e3)),)

    def components(self, params, nuis=None):
        n = self._nuis(nuis)
        return {"signal": np.array([n["s"]]), "bkg": np.array([self.b])}

    def linear_derivatives(self, params, nuis, comps):
        return {"s": np.array([1.0])}


@dataclass(eq=False)
class Gaussian(DataSet):
    """x ~ N(mu, 1), the tested 'gauss.mu' >= ``lower`` (None: unbounded)."""

    x_obs: float = 0.0
    lower: float | None = 0.0

    def __post_init__(self):
        self.name = "gauss"
        self.statistic = "gaussian"
        self.axes = (Axis("x", "", np.array([0.0, 1.0])),)
        self.observed = np.array([float(self.x_obs)])
        self.nuisances = (Nuisance("mu", 1.0, None, "mean", None if self.lower is None else (self.lower, 1e3)),)

    def observed_errors(self):
        return np.ones(1)

    def components(self, params, nuis=None):
        return {"signal": np.array([self._nuis(nuis)["mu"]])}

    def linear_derivatives(self, params, nuis, comps):
        return {"mu": np.array([1.0])}


@dataclass(eq=False)
class GaussianWithOffset(DataSet):
    """x ~ N(mu + b, 1) in each of two bins, mu >= 0 the tested 'goff.mu', b a shared offset
    with a Gaussian constraint of width 0.5 (its auxiliary measurement)."""

    x_obs: tuple = (0.0, 0.0)

    def __post_init__(self):
        self.name = "goff"
        self.statistic = "gaussian"
        self.axes = (Axis("x", "", np.array([0.0, 1.0, 2.0])),)
        self.observed = np.asarray(self.x_obs, float)
        self.nuisances = (Nuisance("mu", 1.0, None, "mean", (0.0, 1e3)), Nuisance("b", 0.0, 0.5, "offset, constrained"))

    def observed_errors(self):
        return np.ones(2)

    def components(self, params, nuis=None):
        n = self._nuis(nuis)
        return {"signal": np.full(2, n["mu"]), "offset": np.full(2, n["b"])}

    def linear_derivatives(self, params, nuis, comps):
        return {"mu": np.ones(2), "b": np.ones(2)}
