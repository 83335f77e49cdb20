"""Neutron rms radii as fit parameters, and the weak charge of a nucleus.

One parameter per element, in fm: ``rn_cs``, ``rn_i``, ``rn_ar``, ``rn_ge``, ``rn_xe``.  Its value is the
abundance-weighted mean neutron rms radius of the element's isotopes; its default is the input
of :mod:`cevnsfit.physics.nuclei` (nuclear-shell-model radii 5.01 fm for 133Cs and 4.94 fm for
127I, Hoferichter et al., PRD 102 (2020) 074018; R_n = R_p + 0.1 fm for every Ar, Ge and Xe isotope,
with R_p from the charge radius in the default proton-radius convention).  A fitted value moves
every isotope of the element by the same amount, R_n(isotope) = R_n^default(isotope) +
(rn - rn^default): isotopes of one element share their neutron skin.  At the default the input
radii are used unchanged, so the Standard-Model prediction is recovered exactly.

The neutron radius enters only through the neutron form factor F_N(|q|; R_n) of the coherent
amplitude g_V^n N F_N (Helm, Klein-Nystrand or symmetrized Fermi): at |q| R_n << 1,
F_N = 1 - |q|^2 R_n^2 / 6 + ..., so a larger radius lowers the rate at large recoils.

Weak charge (tree-level normalisation Q_W = Z (1 - 4 sin^2 theta_W) - N):

    Q_W = 2 (Z g~_V^p + N g_V^n)

with the couplings of :mod:`cevnsfit.physics.couplings` (radiative corrections, no neutrino charge
radius in g~_V^p); e.g. Q_W(133Cs) = -77.8 at sin^2 theta_W = 0.23863.
"""

from __future__ import annotations

import numpy as np

from .couplings import gvn, gvp_no_radius
from .nuclei import isotopes

#: parameter name of each element's neutron radius
PARAM = {"Cs": "rn_cs", "I": "rn_i", "Ar": "rn_ar", "Ge": "rn_ge", "Xe": "rn_xe"}
ELEMENT = {v: k for k, v in PARAM.items()}
#: range of a fitted neutron radius [fm]: every form factor is defined above 2 fm (symmetrized
#: Fermi needs R > 1.93 fm), and 10 fm is twice any radius of these nuclei
RN_RANGE = (2.0, 10.0)


def default_radius(element: str) -> float:
    """Abundance-weighted mean default neutron rms radius [fm] of ``element``."""
    isos = isotopes(element)
    w = np.array([i.abundance for i in isos])
    return float(np.sum(w * np.array([i.r_neutron for i in isos])) / np.sum(w))


#: default value of each radius parameter [fm]
DEFAULTS = {PARAM[el]: default_radius(el) for el in PARAM}


def shift(params, element: str) -> float:
    """How far ``params`` moves the neutron radii of ``element`` from their defaults [fm]
    (0 for an element without a radius parameter)."""
    name = PARAM.get(element)
    if name is None:
        return 0.0
    return float(getattr(params, name)) - DEFAULTS[name]


def neutron_radius(iso, params) -> float:
    """Neutron rms radius [fm] of isotope ``iso`` at parameter point ``params``."""
    return float(iso.r_neutron) + shift(params, iso.element)


def check_radius(name: str, value: float) -> None:
    lo, hi = RN_RANGE
    if not (lo <= value <= hi):
        raise ValueError(f"neutron radius {name} = {value} fm lies outside [{lo}, {hi}] fm")


def weak_charge(Z: int, N: int, sin2w: float, radiative: bool = True) -> float:
    """Q_W = 2 (Z g~_V^p + N g_V^n) at ``sin2w`` (tree level: Z (1 - 4 s^2) - N)."""
    return 2.0 * (Z * gvp_no_radius(sin2w, radiative) + N * gvn(radiative))


def element_weak_charge(element: str, sin2w: float, radiative: bool = True) -> float:
    """Abundance-weighted weak charge of an element's natural isotopes."""
    isos = isotopes(element)
    w = np.array([i.abundance for i in isos])
    q = np.array([weak_charge(i.Z, i.N, sin2w, radiative) for i in isos])
    return float(np.sum(w * q) / np.sum(w))


def weak_charges(elements, best: float, intervals) -> dict:
    """{element: {"best": Q_W, "intervals": [[low, high], ...]}} for sin^2 theta_W at ``best`` and
    over its ``intervals`` (Q_W falls with sin^2 theta_W, so each interval maps onto one)."""
    out = {}
    for el in dict.fromkeys(elements):
        ivs = [sorted((element_weak_charge(el, a), element_weak_charge(el, b))) for a, b in intervals]
        out[el] = {"best": element_weak_charge(el, best), "intervals": ivs}
    return out
