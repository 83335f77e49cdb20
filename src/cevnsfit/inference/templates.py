"""Signal templates: expected counts decomposed on the parameter monomials (docs/physics.md).

Every rate is a polynomial in the physics parameters; for a neutrino of flavour l it is
``monomials(params, l) @ basis`` with the monomials of :mod:`cevnsfit.physics.parameters`.
Integrating each basis function through the flux, cross section and detector response once
gives, per *component* (a group of neutrinos sharing flavour and time profile), an array of shape
(n_monomials, n_bins).  (Neutron radii, mediator masses and sterile oscillations enter
non-polynomially: templates per value, :mod:`cevnsfit.inference.nonpolynomial`.)  Expected counts
for any parameter point are then a contraction: no integral is redone inside a fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..physics.monomials import Points
from ..physics.parameters import N_MONOMIALS, Params


@dataclass(frozen=True, eq=False)
class Recipe:
    """What a set of templates was integrated from (:func:`build_templates`'s arguments), so that it
    can be rebuilt for other values of the parameters that do not enter polynomially (neutron
    radii, mediator masses, sterile oscillations: :mod:`cevnsfit.inference.nonpolynomial`)."""

    spectra: tuple
    target: Any
    scale: float
    nodes: np.ndarray
    weights: np.ndarray
    response: np.ndarray
    channel: str
    opts: object
    momentum_dependent: bool = False


@dataclass(frozen=True, eq=False)
class ComponentTemplates:
    """Templates of one interaction channel ("cevns" or "es").

    ``data`` has shape (n_components, n_monomials, n_bins); ``flavours[k]`` is the neutrino
    flavour of component k (its parameters are those of that flavour).  ``recipe`` (if known)
    is what they were built from.
    """

    flavours: tuple[str, ...]
    data: np.ndarray
    recipe: Recipe | None = None

    def __post_init__(self):
        if self.data.ndim != 3 or self.data.shape[1] != N_MONOMIALS or self.data.shape[0] != len(self.flavours):
            raise ValueError(
                f"template array has shape {self.data.shape}, expected ({len(self.flavours)}, {N_MONOMIALS}, n_bins)"
            )

    @property
    def n_bins(self) -> int:
        return self.data.shape[2]

    def monomial_matrix(self, params: Params) -> np.ndarray:
        """(n_components, 14) monomials of ``params``."""
        pts = Points.from_params(params)
        return np.stack([pts.monomials(f)[0, 0] for f in self.flavours])

    def per_component(self, params: Params) -> np.ndarray:
        """Expected counts per component: (n_components, n_bins)."""
        return TemplateBank({"t": self}).contract(Points.from_params(params))["t"][0, 0]

    def per_component_batch(self, values, base: Params | None = None) -> np.ndarray:
        """Many points: ``values`` maps names to arrays of length n -> (n, n_components, n_bins)."""
        pts = values if isinstance(values, Points) else Points(values, base)
        return TemplateBank({"t": self}).contract(pts)["t"][:, 0]

    def __add__(self, other: ComponentTemplates) -> ComponentTemplates:
        if self.flavours != other.flavours:
            raise ValueError("cannot add templates of different components")
        return ComponentTemplates(self.flavours, self.data + other.data)

    def scaled(self, factor) -> ComponentTemplates:
        return ComponentTemplates(self.flavours, self.data * factor)


class VariantStack:
    """Several :class:`ComponentTemplates` of the same components (nominal and nuisance variants):
    ``data`` has shape (n_variants, n_components, 14, n_bins), ``index[key]`` the variant's row."""

    def __init__(self, variants: dict):
        self.keys = list(variants)
        first = variants[self.keys[0]]
        self.flavours = first.flavours
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.data = np.stack([variants[k].data for k in self.keys])  # (V, K, 14, B)

    def per_component(self, params: Params) -> np.ndarray:
        """(n_variants, n_components, n_bins) at one point."""
        return TemplateBank({"t": self}).contract(Points.from_params(params))["t"][0, 0]

    def per_component_batch(self, values, base: Params | None = None) -> np.ndarray:
        """Many parameter points: (n_points, n_variants, n_components, n_bins)."""
        pts = values if isinstance(values, Points) else Points(values, base)
        return TemplateBank({"t": self}).contract(pts)["t"][:, 0]


class TemplateBank:
    """Template arrays contracted with the monomials of their components' flavours in one matrix
    product.

    ``entries`` maps a key to a :class:`ComponentTemplates` (data (K, 14, B)), a
    :class:`VariantStack` (data (V, K, 14, B)) or a pair ``(flavours, data)``.  The templates are
    laid out once as a block matrix with one block of 14 rows per neutrino flavour, so that for
    n points with D derivative directions (:class:`~cevnsfit.physics.monomials.Points`)

        (n D, n_flavours 14) @ (n_flavours 14, sum of the entries' sizes)

    gives every entry at once; :meth:`contract` returns views of shape (n, D, *entry shape without
    the monomial axis), e.g. (n, D, V, K, B).
    """

    def __init__(self, entries: dict):
        self.keys = list(entries)
        items = []
        for k in self.keys:
            e = entries[k]
            flavours, data = e if isinstance(e, tuple) else (e.flavours, e.data)
            data = np.asarray(data, float)
            if data.ndim == 3:
                data = data[None]
            if data.shape[1] != len(flavours) or data.shape[2] != N_MONOMIALS:
                raise ValueError(
                    f"templates {k!r}: shape {data.shape} does not match {len(flavours)} components "
                    f"x {N_MONOMIALS} monomials"
                )
            items.append((k, tuple(flavours), data, np.asarray(e.data if not isinstance(e, tuple) else e[1]).ndim))
        self.flavours = tuple(sorted({f for _, fl, _, _ in items for f in fl}))
        #: the component flavours of each entry
        self.entry_flavours = {k: fl for k, fl, _, _ in items}
        fpos = {f: i for i, f in enumerate(self.flavours)}
        blocks, self._slices = [], {}
        col = 0
        for k, fl, data, ndim in items:
            V, K, M, B = data.shape
            block = np.zeros((len(self.flavours) * M, V, K, B))
            for j, f in enumerate(fl):
                r = fpos[f] * M
                block[r : r + M, :, j, :] = np.moveaxis(data[:, j], 1, 0)
            blocks.append(block.reshape(block.shape[0], -1))
            shape = (V, K, B) if ndim == 4 else (K, B)
            self._slices[k] = (col, col + V * K * B, shape)
            col += V * K * B
        self.matrix = np.ascontiguousarray(np.concatenate(blocks, axis=1))

    def contract(self, points: Points) -> dict:
        """{key: (n, D, *shape)} for the points and their directions."""
        if len(self.flavours) == 1:
            m = points.monomials(self.flavours[0])
        else:
            m = np.concatenate([points.monomials(f) for f in self.flavours], axis=-1)
        n, D = m.shape[:2]
        out = (m.reshape(n * D, -1) @ self.matrix).reshape(n, D, -1)
        return {k: out[:, :, a:b].reshape(n, D, *shape) for k, (a, b, shape) in self._slices.items()}


def morph_weights(x):
    """Weights of :func:`interpolate_variants` for arrays of nuisance values ``x``:
    ``(w, dw)`` with ``w = (w_nominal, w_plus, w_minus)`` such that the morphed template is
    w_nominal nominal + w_plus plus + w_minus minus, and ``dw`` their derivatives in x."""
    x = np.asarray(x, float)
    x2 = x * x
    q = x2 * (15.0 + x2 * (3.0 * x2 - 10.0)) / 16.0
    dq = x * (30.0 + x2 * (18.0 * x2 - 40.0)) / 16.0
    alpha, beta = 0.5 * x + q, 0.5 * x - q
    da, db = 0.5 + dq, 0.5 - dq
    w = [1.0 - alpha + beta, alpha, -beta]
    dw = [db - da, da, -db]
    outside = np.abs(x) > 1.0
    if outside.any():  # linear beyond +-1 sigma
        hi, lo = x > 1.0, x < -1.0
        for k, (h, ll, dh, dl) in enumerate(((1.0 - x, 1.0 + x, -1.0, 1.0), (x, 0.0, 1.0, 0.0), (0.0, -x, 0.0, -1.0))):
            w[k] = np.where(hi, h, np.where(lo, ll, w[k]))
            dw[k] = np.where(hi, dh, np.where(lo, dl, dw[k]))
    return tuple(w), tuple(dw)


def interpolate_variants(nominal: np.ndarray, plus: np.ndarray, minus: np.ndarray, x: float) -> np.ndarray:
    """Vertical template morphing in the nuisance ``x`` (x = +-1 gives the +-1 sigma variants,
    x = 0 the nominal), smooth at x = 0: HistFactory/pyhf interpolation code "4p".

    Outside [-1, 1] it is linear (the +-1 sigma differences extrapolated); inside, with
    d+ = plus - nominal, d- = nominal - minus, S = (d+ + d-)/2, A = (d+ - d-)/16,

        nominal + x (S + x A (15 - 10 x^2 + 3 x^4)),

    which meets the linear pieces at +-1 with equal first and second derivatives.  (Piecewise-
    linear morphing has a kink at x = 0 that stalls gradient-based profiling there.)  The
    weights of the three templates are :func:`morph_weights`."""
    (wn, wp, wm), _ = morph_weights(x)
    return wn * nominal + wp * plus + wm * minus


def interpolate_variants_derivative(nominal: np.ndarray, plus: np.ndarray, minus: np.ndarray, x: float) -> np.ndarray:
    """d/dx of :func:`interpolate_variants` (exact)."""
    _, (dn, dp, dm) = morph_weights(x)
    return dn * nominal + dp * plus + dm * minus


def build_templates(
    spectra,
    target,
    scale: float,
    nodes,
    weights,
    response: np.ndarray,
    channel: str = "cevns",
    opts=None,
    momentum_dependent: bool = False,
    shape=None,
) -> ComponentTemplates:
    """Integrate the basis rates of each spectrum through a response matrix.

    Parameters
    ----------
    spectra : list of :class:`cevnsfit.sources.flux.Spectrum` (one component each)
    target : :class:`cevnsfit.physics.target.Target`
    scale : number of molecules x exposure factor (e.g. seconds of running for a flux in /cm^2/s)
    nodes, weights : recoil-energy quadrature [MeV] (nuclear for CEvNS, electron for ES)
    response : P(bin | recoil) at the nodes, shape (n_bins, n_nodes)
    channel : "cevns" or "es"
    shape : :class:`cevnsfit.physics.cevns.Shape`, the light-mediator masses (default values
        if None)
    """
    from ..physics import cevns as _cevns

    opts = opts or _cevns.Options()
    basis = channel_basis(spectra, target, nodes, channel, opts, momentum_dependent, shape)
    data = scale * np.einsum("kmn,bn->kmb", basis * weights, response)
    recipe = Recipe(tuple(spectra), target, scale, nodes, weights, response, channel, opts, momentum_dependent)
    return ComponentTemplates(tuple(s.flavour for s in spectra), data, recipe)


def channel_basis(spectra, target, nodes, channel: str, opts, momentum_dependent: bool = False, shape=None):
    """Basis rates (n_spectra, n_monomials, n_nodes) of every spectrum at the recoil nodes."""
    from ..physics import cevns as _cevns
    from ..physics.target import cevns_basis, es_basis

    shape = shape or _cevns.Shape()
    if channel == "cevns":
        return np.stack([cevns_basis(nodes, s, target, opts, shape) for s in spectra])
    if channel == "es":
        return np.stack(
            [
                es_basis(nodes, s, target, momentum_dependent or opts.momentum_dependent, shape, opts.zp_model)
                for s in spectra
            ]
        )
    raise ValueError(f"unknown channel {channel!r}; allowed: cevns, es")
