"""Templates for the parameters that do not enter the rates polynomially.

The monomial engine (:mod:`cevnsfit.physics.monomials`) covers every parameter in which the rate
is a polynomial: sin^2 theta_W, the EM properties, the NSI and the mediator couplings.  Four
families are different:

* the neutron radii ``rn_*`` enter through the neutron form factor F_N(|q|; R_n) inside the
  recoil integral;
* the mediator masses ``m_zp``, ``m_phi`` through the propagator 1/(|q|^2 + m^2) inside it;
* the sterile oscillation ``dm2_41`` through sin^2(Delta m^2 L / 4E) inside the flux integral,
  with the mixings entering as the factor 4|U_a4|^2 (1 - sum |U|^2) of each flavour.

For these the templates are *rebuilt exactly* for every value met (no interpolation, so no
interpolation error): the basis rates are recomputed at the recoil nodes with the shifted neutron
radii, the mediator masses, or the oscillating part of the flux (:func:`rebuild`), and folded
with the stored detector responses (:class:`~cevnsfit.inference.templates.Recipe`).  A rebuild
costs a few milliseconds (one basis evaluation per spectrum and node set, one matrix product per
response variant; measured in benchmarks/), far less than a profiled fit, and the results are
memoised per value (:class:`KeyedBanks`), so a mass scan builds each mass once.  The
alternative, templates on a grid of values with interpolation, would trade this exactness for an
interpolation error to be bounded -- not worth it at this cost.

Only the parameters that act are part of the key: a mediator mass only while its coupling is
non-zero or differentiated (the derivatives in g at g = 0 carry the propagator of the mass), the
oscillation only while a mixing of the data set's flavours is non-zero.  For a
sterile state the expected counts of a component of flavour a are

    N = M . T(Phi) - 4 |U_a4|^2 (1 - |U_e4|^2 - |U_mu4|^2 - |U_tau4|^2) M . T(Phi <sin^2>)

(:mod:`cevnsfit.sources.oscillation`): two contractions with the monomials M.  The derivatives
with respect to the non-polynomial parameters are taken numerically by the data-set interface.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..physics.cevns import Shape
from ..physics.monomials import Points, parameter_index
from ..physics.neutron_radii import default_radius
from ..physics.parameters import DEFAULT_MEDIATOR_MASS
from .templates import ComponentTemplates, TemplateBank, VariantStack, channel_basis

STERILE = ("ue4sq", "umu4sq", "utau4sq")
#: the mediator couplings and their masses
_COUPLINGS = {"g_zp": "m_zp", "g_phi": "m_phi"}
_MIXING = {"e": "ue4sq", "mu": "umu4sq", "tau": "utau4sq"}


@dataclass(frozen=True)
class Key:
    """The non-polynomial parameter values one set of templates is built for."""

    rn_shift: tuple = ()  # ((element, shift [fm]), ...)
    m_zp: float = DEFAULT_MEDIATOR_MASS
    m_phi: float = DEFAULT_MEDIATOR_MASS
    dm2: float = 0.0  # > 0: the oscillating part of the flux at this Delta m^2

    @property
    def nominal(self) -> bool:
        return self == Key()


_NOMINAL_KEY = Key()


def rebuild(templates, key: Key, baseline=None):
    """The templates structure (a dict of :class:`ComponentTemplates`, possibly nested) rebuilt
    for ``key``: neutron radii shifted, mediator masses set, and with ``key.dm2 > 0`` the flux
    replaced by its oscillating part Phi <sin^2(Delta m^2 L/4E)> over ``baseline``."""
    from ..sources.oscillation import oscillating_part

    shape = Shape(m_zp=key.m_zp, m_phi=key.m_phi)
    memo: dict = {}

    def spectra_of(recipe):
        if key.dm2 <= 0.0:
            return recipe.spectra
        k = ("spectra",) + tuple(id(x) for x in recipe.spectra)
        if k not in memo:
            if baseline is None:
                raise ValueError("sterile oscillations need the data set's source-detector distance")
            memo[k] = tuple(oscillating_part(s, key.dm2, baseline) for s in recipe.spectra)
        return memo[k]

    def one(t: ComponentTemplates) -> ComponentTemplates:
        r = t.recipe
        if r is None:
            raise ValueError("these templates cannot be rebuilt for new-physics parameters (no recipe)")
        target = r.target.with_rn_shift(dict(key.rn_shift)) if key.rn_shift else r.target
        bk = ("basis", tuple(id(x) for x in r.spectra), id(r.target), id(r.nodes), r.channel, r.momentum_dependent)
        if bk not in memo:
            memo[bk] = channel_basis(spectra_of(r), target, r.nodes, r.channel, r.opts, r.momentum_dependent, shape)
        data = r.scale * np.einsum("kmn,bn->kmb", memo[bk] * r.weights, r.response)
        return ComponentTemplates(t.flavours, data, replace(r, target=target))

    def walk(obj):
        if isinstance(obj, ComponentTemplates):
            return one(obj)
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        return obj

    return walk(templates)


def bank_entries(templates) -> dict:
    """TemplateBank entries of a templates structure: a dict of variants becomes a VariantStack."""
    return {ch: (VariantStack(t) if isinstance(t, dict) else t) for ch, t in templates.items()}


class KeyedBanks:
    """The template banks of one data set per :class:`Key`, built on demand and memoised
    (least-recently-used, at most ``size``)."""

    def __init__(self, templates, baseline=None, size: int = 256):
        self.templates = templates
        self.baseline = baseline
        self.size = size
        self._banks: dict = {}  # insertion-ordered: the first entry is the least recently used
        self.builds = 0

    def bank(self, key: Key) -> TemplateBank:
        hit = self._banks.pop(key, None)
        if hit is not None:
            self._banks[key] = hit
            return hit
        t = self.templates if key.nominal else rebuild(self.templates, key, self.baseline)
        bank = TemplateBank(bank_entries(t))
        self.builds += 0 if key.nominal else 1
        self._banks[key] = bank
        if len(self._banks) > self.size:
            self._banks.pop(next(iter(self._banks)))
        return bank


def radius_keys(points: Points, radius_parameters: dict) -> list[tuple[str, np.ndarray]]:
    """(element, shift (n,)) for every element with a radius parameter (``radius_parameters``:
    element -> parameter name; two elements may share one parameter)."""
    idx = parameter_index()
    out = []
    for el, name in radius_parameters.items():
        out.append((el, points.V[:, idx[name]] - default_radius(el)))
    return out


def point_keys(points: Points, radius_parameters: dict, sterile_flavours) -> tuple[list[Key], np.ndarray]:
    """The distinct keys of n points and the index of each point's key."""
    idx = parameter_index()
    V = points.V
    cols = []
    names = []
    for el, shift in radius_keys(points, radius_parameters):
        cols.append(np.where(np.abs(shift) < 1e-12, 0.0, shift))
        names.append(el)
    # a mediator mass acts while its coupling is non-zero -- or while the points carry derivative
    # directions in the coupling: at g = 0 the rate is the SM one, but d/dg and d2/dg2 are not (they
    # hold the propagator of this mass)
    directions = set(points.wrt) | set(points.curvature)
    for coupling, mass in _COUPLINGS.items():
        acts = (V[:, idx[coupling]] != 0.0) | (coupling in directions)
        cols.append(np.where(acts, V[:, idx[mass]], DEFAULT_MEDIATOR_MASS))
    if sterile_flavours:
        mix = sum(V[:, idx[_MIXING[f]]] != 0.0 for f in sterile_flavours)
        cols.append(np.where(mix > 0, V[:, idx["dm2_41"]], 0.0))
    else:
        cols.append(np.zeros(points.n))
    K = np.stack(cols, axis=1)
    if points.n == 1 or not np.any(K != K[0]):
        uniq, inverse = K[:1], np.zeros(points.n, dtype=int)
    else:
        uniq, inverse = np.unique(K, axis=0, return_inverse=True)
    keys = []
    for row in uniq:
        rn = tuple((el, float(v)) for el, v in zip(names, row[: len(names)], strict=True) if v != 0.0)
        keys.append(Key(rn, float(row[len(names)]), float(row[len(names) + 1]), float(row[len(names) + 2])))
    return keys, np.asarray(inverse).ravel()


def sterile_factors(points: Points, flavours) -> np.ndarray:
    """4 |U_a4|^2 (1 - sum |U|^2) per point and component flavour: (n, K)."""
    idx = parameter_index()
    V = points.V
    us = 1.0 - sum(V[:, idx[c]] for c in STERILE)
    return np.stack([4.0 * V[:, idx[_MIXING[f]]] * us for f in flavours], axis=1)


def _nominal_test(radius_parameters: tuple, sterile_flavours: tuple):
    """(columns, reference values) such that a point whose columns equal the references (to
    1e-12) has the nominal key: neutron radii at their defaults, no mediator coupling, no mixing
    of the given flavours."""
    hit = _NOMINAL.get((radius_parameters, sterile_flavours))
    if hit is None:
        idx = parameter_index()
        cols = [idx[name] for _, name in radius_parameters] + [idx["g_zp"], idx["g_phi"]]
        ref = [default_radius(el) for el, _ in radius_parameters] + [0.0, 0.0]
        cols += [idx[_MIXING[f]] for f in sterile_flavours]
        ref += [0.0] * len(sterile_flavours)
        hit = _NOMINAL[(radius_parameters, sterile_flavours)] = (np.array(cols, int), np.array(ref, float))
    return hit


_NOMINAL: dict = {}


def contract(banks: KeyedBanks, points: Points, radius_parameters: dict, sterile_flavours=()) -> dict:
    """Every template entry contracted with the points' monomials, each point with the templates of
    its own key, the sterile disappearance subtracted: {entry: (n, D, ..., K, B)} as
    :meth:`TemplateBank.contract`."""
    cols, ref = _nominal_test(tuple(radius_parameters.items()), tuple(sterile_flavours))
    differentiated = any(c in points.wrt or c in points.curvature for c in _COUPLINGS)
    if not differentiated and np.all(np.abs(points.V[:, cols] - ref) < 1e-12):  # the common case: no new physics
        return banks.bank(_NOMINAL_KEY).contract(points)
    keys, inv = point_keys(points, radius_parameters, sterile_flavours)
    out: dict = {}
    for j, key in enumerate(keys):
        sel = slice(None) if len(keys) == 1 else np.flatnonzero(inv == j)
        pts = points if len(keys) == 1 else Points.from_matrix(points.V[sel], points.wrt, points.curvature)
        base_key = replace(key, dm2=0.0)
        bank = banks.bank(base_key)
        raw = bank.contract(pts)
        if key.dm2 > 0.0:
            osc = banks.bank(key).contract(pts)
            for entry, arr in raw.items():
                fl = _entry_flavours(bank, entry)
                A = sterile_factors(pts, fl)  # (n, K)
                shape = (A.shape[0],) + (1,) * (arr.ndim - 3) + (A.shape[1], 1)
                raw[entry] = arr - A.reshape(shape) * osc[entry]
        if len(keys) == 1:
            return raw
        if not out:
            out = {k: np.empty((points.n,) + v.shape[1:]) for k, v in raw.items()}
        for k, v in raw.items():
            out[k][sel] = v
    return out


def _entry_flavours(bank: TemplateBank, entry) -> tuple[str, ...]:
    return bank.entry_flavours[entry]
