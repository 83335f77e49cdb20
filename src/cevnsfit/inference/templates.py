"""Signal templates: expected counts decomposed on the parameter monomials (SPEC section 13).

Every rate is a polynomial in the physics parameters; for a neutrino of flavour l it is
``monomials(params, l) @ basis`` with the 14 monomials of :mod:`cevnsfit.physics.parameters`.
Integrating each basis function through the flux, cross section and detector response once
gives, per *component* (a group of neutrinos sharing flavour and time profile), an array of shape
(14, n_bins).  Expected counts for any parameter point are then a contraction: no integral is
redone inside a fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..physics.parameters import N_MONOMIALS, Params, monomials, monomials_batch


@dataclass(frozen=True, eq=False)
class ComponentTemplates:
    """Templates of one interaction channel ("cevns" or "es").

    ``data`` has shape (n_components, 14, n_bins); ``flavours[k]`` is the neutrino flavour of
    component k (its parameters are those of that flavour).
    """

    flavours: tuple[str, ...]
    data: np.ndarray

    def __post_init__(self):
        if self.data.ndim != 3 or self.data.shape[1] != N_MONOMIALS or self.data.shape[0] != len(self.flavours):
            raise ValueError(f"template array has shape {self.data.shape}, expected "
                             f"({len(self.flavours)}, {N_MONOMIALS}, n_bins)")

    @property
    def n_bins(self) -> int:
        return self.data.shape[2]

    def monomial_matrix(self, params: Params) -> np.ndarray:
        """(n_components, 14) monomials of ``params``."""
        if len(self.flavours) == 1:
            return monomials(params, self.flavours[0])[None, :]
        cache = {f: monomials(params, f) for f in set(self.flavours)}
        return np.stack([cache[f] for f in self.flavours])

    def per_component(self, params: Params) -> np.ndarray:
        """Expected counts per component: (n_components, n_bins)."""
        return np.einsum("km,kmb->kb", self.monomial_matrix(params), self.data)

    def per_component_batch(self, values: dict, base: Params | None = None) -> np.ndarray:
        """Many points: ``values`` maps names to arrays of length n -> (n, n_components, n_bins)."""
        cache = {f: monomials_batch(values, f, base) for f in set(self.flavours)}
        m = np.stack([cache[f] for f in self.flavours], axis=1)       # (n, k, 14)
        return np.einsum("nkm,kmb->nkb", m, self.data)

    def __add__(self, other: "ComponentTemplates") -> "ComponentTemplates":
        if self.flavours != other.flavours:
            raise ValueError("cannot add templates of different components")
        return ComponentTemplates(self.flavours, self.data + other.data)

    def scaled(self, factor) -> "ComponentTemplates":
        return ComponentTemplates(self.flavours, self.data * factor)


class VariantStack:
    """Several :class:`ComponentTemplates` of the same components (nominal and nuisance variants),
    contracted with the monomials in one operation: ``per_component(params)`` has shape
    (n_variants, n_components, n_bins)."""

    def __init__(self, variants: dict):
        self.keys = list(variants)
        first = variants[self.keys[0]]
        self.flavours = first.flavours
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.data = np.stack([variants[k].data for k in self.keys])       # (V, K, 14, B)
        self._unique = sorted(set(self.flavours))
        self._fidx = np.array([self._unique.index(f) for f in self.flavours])

    def monomial_matrix(self, params: Params) -> np.ndarray:
        m = np.stack([monomials(params, f) for f in self._unique])
        return m[self._fidx]

    def per_component(self, params: Params) -> np.ndarray:
        return np.einsum("km,vkmb->vkb", self.monomial_matrix(params), self.data)

    def per_component_batch(self, values: dict, base: Params | None = None) -> np.ndarray:
        """Many parameter points: (n_points, n_variants, n_components, n_bins)."""
        m = {f: monomials_batch(values, f, base) for f in self._unique}
        mm = np.stack([m[f] for f in self.flavours], axis=1)           # (n, K, 14)
        return np.einsum("nkm,vkmb->nvkb", mm, self.data)


def interpolate_variants(nominal: np.ndarray, plus: np.ndarray, minus: np.ndarray, x: float) -> np.ndarray:
    """Vertical template morphing in the nuisance ``x`` (x = +-1 gives the +-1 sigma variants,
    x = 0 the nominal), smooth at x = 0: HistFactory/pyhf interpolation code "4p".

    Outside [-1, 1] it is linear (the +-1 sigma differences extrapolated); inside, with
    d+ = plus - nominal, d- = nominal - minus, S = (d+ + d-)/2, A = (d+ - d-)/16,

        nominal + x (S + x A (15 - 10 x^2 + 3 x^4)),

    which meets the linear pieces at +-1 with equal first and second derivatives.  (Piecewise-
    linear morphing has a kink at x = 0 that stalls gradient-based profiling there.)"""
    if x > 1.0:
        return plus + (x - 1.0) * (plus - nominal)
    if x < -1.0:
        return minus + (x + 1.0) * (nominal - minus)
    # = nominal + alpha d+ + beta d-, with scalar weights (fewer array operations)
    q = x * x * (15.0 + x * x * (3.0 * x * x - 10.0)) / 16.0
    alpha, beta = 0.5 * x + q, 0.5 * x - q
    return (1.0 - alpha + beta) * nominal + alpha * plus - beta * minus


def interpolate_variants_derivative(nominal: np.ndarray, plus: np.ndarray, minus: np.ndarray, x: float) -> np.ndarray:
    """d/dx of :func:`interpolate_variants` (exact: the analytic Jacobian column of a morphing
    nuisance for the profiler)."""
    if x > 1.0:
        return plus - nominal
    if x < -1.0:
        return nominal - minus
    dq = x * (30.0 + x * x * (18.0 * x * x - 40.0)) / 16.0
    da, db = 0.5 + dq, 0.5 - dq
    return (db - da) * nominal + da * plus - db * minus


def build_templates(spectra, target, scale: float, nodes, weights, response: np.ndarray,
                    channel: str = "cevns", opts=None, momentum_dependent: bool = False) -> ComponentTemplates:
    """Integrate the basis rates of each spectrum through a response matrix.

    Parameters
    ----------
    spectra : list of :class:`cevnsfit.sources.flux.Spectrum` (one component each)
    target : :class:`cevnsfit.physics.target.Target`
    scale : number of molecules x exposure factor (e.g. seconds of running for a flux in /cm^2/s)
    nodes, weights : recoil-energy quadrature [MeV] (nuclear for CEvNS, electron for ES)
    response : P(bin | recoil) at the nodes, shape (n_bins, n_nodes)
    channel : "cevns" or "es"
    """
    from ..physics import cevns as _cevns
    from ..physics.target import cevns_basis, es_basis

    opts = opts or _cevns.Options()
    out = []
    for s in spectra:
        if channel == "cevns":
            b = cevns_basis(nodes, s, target, opts)
        elif channel == "es":
            b = es_basis(nodes, s, target, momentum_dependent or opts.momentum_dependent)
        else:
            raise ValueError(f"unknown channel {channel!r}; allowed: cevns, es")
        out.append(scale * (b * weights[None, :]) @ response.T)
    return ComponentTemplates(tuple(s.flavour for s in spectra), np.stack(out))
