"""Elastic neutrino scattering on atomic electrons, with EM properties (docs/physics.md).

Free-electron approximation stepped by the number of electrons a deposit T_e can ionize
(Z_eff(T_e); edges from the X-ray data booklet, Thompson et al., LBNL 2009):

    dsigma/dT_e = Z_eff(T_e) G_F^2 m_e/(2 pi) [ (g_V + g_A)^2 + (g_V - g_A)^2 (1 - T_e/E)^2
                                                - (g_V^2 - g_A^2) m_e T_e / E^2 ]
                + Z_eff G_F^2 m_e/(2 pi) sum_{l' != l} |Q_ll'|^2 [1 + (1 - T_e/E)^2 - m_e T_e/E^2]
                + Z_eff pi alpha^2/m_e^2 (1/T_e - 1/E) (|mu_nu|/mu_B)^2

(Vogel & Engel, PRD 39 (1989) 3378; Kouzakov & Studenikin, PRD 95 (2017) 055013; Atzori
Corona et al. 2022, eqs. 2.7, 3.3, 5.3). Couplings: tree level from
:func:`cevnsfit.physics.couplings.electron_couplings`, plus the EM shift with the electron's
charge opposite to the proton's: g_V -> g_V + Q_ll, Q_ll = Q~ <r^2_ll> (the total radius, whose
SM value is the parameter default: the SM flavour-dependent radiative term is thus included) and
Q = -sqrt2 pi alpha q_nu / (G_F m_e T_e) for a millicharge.  Antineutrinos: g_A -> -g_A.
T_e <= 2E^2/(m_e + 2E).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import ALPHA, FLAVOURS, G_F, HBARC2_MEV2_CM2, M_E, MU_UNIT, QTILDE_PER_R2_UNIT
from . import mediators
from .charge_radius import radius_form_factor
from .couplings import electron_couplings
from .form_factors import momentum_transfer
from .parameters import MONOMIALS, Params

ES_PREF = G_F**2 * M_E / (2.0 * math.pi) * HBARC2_MEV2_CM2
MAG_PREF = math.pi * ALPHA**2 / M_E**2 * HBARC2_MEV2_CM2 * MU_UNIT**2
CHARGE_PREF = math.sqrt(2.0) * math.pi * ALPHA / G_F

# Z_eff steps: (edge [keV], electrons available for T_e > edge), descending. Below the last edge,
# the value of ``_ZEFF_FLOOR``. Ge, Cs, I from the X-ray data booklet edges listed in docs/physics.md;
# Ar from the X-ray data booklet
# (K 3.2059, L1 0.3263, L2 0.2506, L3 0.2484, M1 0.0293, M2,3 0.0159 keV).
_ZEFF = {
    "Ge": [
        (11.103, 32),
        (1.4146, 30),
        (1.2481, 28),
        (1.217, 26),
        (0.1801, 22),
        (0.1249, 20),
        (0.1208, 18),
        (0.0298, 14),
        (0.0292, 10),
    ],
    "Cs": [
        (35.99, 55),
        (5.71, 53),
        (5.36, 51),
        (5.01, 49),
        (1.21, 45),
        (1.07, 43),
        (1.0, 41),
        (0.74, 37),
        (0.73, 33),
        (0.23, 27),
        (0.17, 25),
        (0.16, 23),
    ],
    "I": [
        (33.17, 53),
        (5.19, 51),
        (4.86, 49),
        (4.56, 47),
        (1.07, 43),
        (0.93, 41),
        (0.88, 39),
        (0.63, 35),
        (0.62, 31),
        (0.19, 25),
        (0.124, 23),
        (0.123, 21),
    ],
    "Ar": [(3.2059, 18), (0.3263, 16), (0.2506, 14), (0.2484, 12), (0.0293, 8), (0.0159, 6)],
    # Xe, X-ray data booklet (Table 1-1): K 34.561, L1 5.453, L2 5.107, L3 4.786, M1 1.1487,
    # M2 1.0021, M3 0.9406, M4 0.6890, M5 0.6764, N1 0.2132, N2 0.1467, N3 0.1455, N4 0.0695,
    # N5 0.0675, O1 0.0233, O2 0.0134, O3 0.0121 keV
    "Xe": [
        (34.561, 54),
        (5.453, 52),
        (5.107, 50),
        (4.786, 48),
        (1.1487, 44),
        (1.0021, 42),
        (0.9406, 40),
        (0.689, 36),
        (0.6764, 32),
        (0.2132, 26),
        (0.1467, 24),
        (0.1455, 22),
        (0.0695, 18),
        (0.0675, 14),
        (0.0233, 8),
        (0.0134, 6),
        (0.0121, 4),
    ],
}
_ZEFF_FLOOR = {"Ge": 4, "Cs": 19, "I": 17, "Ar": 0, "Xe": 0}
ELEMENTS = tuple(_ZEFF)


def z_eff(element: str, T_e) -> np.ndarray:
    """Number of electrons of ``element`` that a deposit ``T_e`` [MeV] can ionize.

    A range "(X, previous edge]" counts the electrons with binding energy below T_e.
    """
    try:
        steps = _ZEFF[element]
    except KeyError:
        raise ValueError(f"no Z_eff table for {element!r}; allowed: {ELEMENTS}") from None
    t = np.asarray(T_e, float)
    edges = np.array([e * 1e-3 for e, _ in steps][::-1])  # ascending, MeV
    values = np.array([_ZEFF_FLOOR[element]] + [z for _, z in steps][::-1], float)
    # number of edges strictly below T_e
    idx = np.searchsorted(edges, t, side="left")
    return values[idx]


def t_max(E) -> np.ndarray:
    E = np.asarray(E, float)
    return 2.0 * E**2 / (M_E + 2.0 * E)


def e_min(T_e) -> np.ndarray:
    T_e = np.asarray(T_e, float)
    return 0.5 * (T_e + np.sqrt(T_e * T_e + 2.0 * M_E * T_e))


def _radius_ff(flavour, T, momentum_dependent):
    if not momentum_dependent:
        return np.ones_like(T)
    return radius_form_factor(flavour, momentum_transfer(T, M_E))


def dsigma_dT(
    E,
    T_e,
    element: str,
    flavour: str,
    params: Params | None = None,
    antineutrino: bool = False,
    momentum_dependent: bool = False,
    zp_model: str = "universal",
) -> np.ndarray:
    """dsigma/dT_e [cm^2/MeV per atom] for nu_l (nubar_l) of energy E on the electrons of ``element``.

    With the light mediators of :mod:`cevnsfit.physics.mediators`: a Z' shifts g_V by
    g^2 Q'_nu Q'_e / (sqrt2 G_F (2 m_e T_e + m^2)) (model ``zp_model``), a scalar adds
    Z_eff g_phi^4 m_e^2 T_e / (4 pi E^2 (2 m_e T_e + m^2)^2) without interference.  The quark
    NSI do not act on electrons."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {FLAVOURS}")
    p = params or Params()
    E = np.asarray(E, float)
    T = np.asarray(T_e, float)
    if np.any(~np.isfinite(E)) or np.any(E < 0) or np.any(~np.isfinite(T)) or np.any(T < 0):
        raise ValueError("energies must be finite and non-negative")
    E, T = np.broadcast_arrays(E, T)
    ok = (T > 0) & (T <= t_max(E))
    Ts, Es = np.where(ok, T, 1.0), np.where(ok, E, 1.0)
    gv, ga = electron_couplings(flavour, antineutrino, p.sin2w)

    def shift(r2, q, ff):
        return QTILDE_PER_R2_UNIT * r2 * ff - CHARGE_PREF * q / (M_E * Ts)

    gv = gv + shift(p.r2(flavour), p.q(flavour), _radius_ff(flavour, Ts, momentum_dependent))
    if p.g_zp != 0.0:
        gv = gv + mediators.vector_shift_electron(p.g_zp, p.m_zp, Ts, zp_model)
    y = 1.0 - Ts / Es
    x = M_E * Ts / Es**2
    weak = (gv + ga) ** 2 + (gv - ga) ** 2 * y**2 - (gv**2 - ga**2) * x
    trans = sum(shift(p.r2(flavour, o), p.q(flavour, o), 1.0) ** 2 for o in FLAVOURS if o != flavour)
    zeff = z_eff(_element_check(element), Ts)
    out = zeff * (ES_PREF * (weak + trans * (1.0 + y**2 - x)) + MAG_PREF * (1.0 / Ts - 1.0 / Es) * p.mu(flavour) ** 2)
    if p.g_phi != 0.0:
        out = out + zeff * p.g_phi**4 * mediators.scalar_es_kernel(Es, Ts, p.m_phi)
    return np.where(ok, out, 0.0)


def _element_check(element):
    if element not in _ZEFF:
        raise ValueError(f"no Z_eff table for {element!r}; allowed: {ELEMENTS}")
    return element


def basis_rates(
    T_e,
    moments,
    element: str,
    flavour: str,
    antineutrino: bool = False,
    momentum_dependent: bool = False,
    monomials=MONOMIALS,
    shape=None,
    zp_model: str = "universal",
) -> np.ndarray:
    """Flux-averaged ES rate at T_e decomposed on the monomials ``monomials`` (cf.
    :func:`cevnsfit.physics.cevns.basis_rates`; rows follow the names of the table).

    With gV = h_1 + 2 s + h_R R + h_C C + h_G g_zp^2 and y = 1 - T/E, x = m T/E^2, the bracket is
    gV^2 (1 + y^2 - x) + 2 gV gA (1 - y^2) + gA^2 (1 + y^2 + x); flux averages use
    <1> = I0, <y^2> = I0 - 2T I1 + T^2 I2, <x> = m T I2.  Quark NSI do not act on electrons
    (their rows are zero); the scalar mediator (``phi4``) carries m_e^2 T/(4 pi E^2 (2 m_e T + m^2)^2)
    (moment I2).  ``shape`` (:class:`cevnsfit.physics.cevns.Shape`) holds the mediator masses.
    """
    from .cevns import Shape, parse_monomial

    shape = shape or Shape()
    T = np.asarray(T_e, float)
    I0, I1, I2 = moments
    pos = T > 0
    Ts = np.where(pos, T, 1.0)
    gv0, ga = electron_couplings(flavour, antineutrino, 0.0)
    zeff = z_eff(_element_check(element), Ts)
    y2 = I0 - 2.0 * Ts * I1 + Ts**2 * I2
    x = M_E * Ts * I2
    P = I0 + y2 - x  # multiplies gV^2 (and |Q_trans|^2)
    D = I0 - y2  # multiplies 2 gV gA
    Pp = I0 + y2 + x  # multiplies gA^2
    zero = np.zeros_like(Ts)
    charge = -CHARGE_PREF / (M_E * Ts)
    h = {
        "1": np.full_like(Ts, gv0),
        "s": np.full_like(Ts, 2.0),
        "R": QTILDE_PER_R2_UNIT * _radius_ff(flavour, Ts, momentum_dependent),
        "C": charge,
        "u": zero,
        "d": zero,
        "G": mediators.vector_charges(zp_model)[2] * mediators.propagator(2.0 * M_E * Ts, shape.m_zp),
    }
    ht = {"R": np.full_like(Ts, QTILDE_PER_R2_UNIT), "C": charge, "u": zero, "d": zero}
    pref = ES_PREF * zeff
    out = np.empty((len(monomials),) + T.shape)
    for m, name in enumerate(monomials):
        kind, *args = parse_monomial(name)
        if kind == "amp":
            a, b = args
            v = h[a] * h[b] * P * (1.0 if a == b else 2.0)
            if a == "1":
                v = v + 2.0 * ga * h[b] * D + (ga**2 * Pp if b == "1" else 0.0)
            out[m] = pref * v
        elif kind == "trans":
            a, b = args
            out[m] = pref * ht[a] * ht[b] * P * (1.0 if a == b else 2.0)
        elif args[0] == "mu2":
            out[m] = zeff * MAG_PREF * (I0 / Ts - I1)
        else:
            out[m] = zeff * mediators.scalar_es_kernel(1.0, Ts, shape.m_phi) * I2
    return np.where(pos, out, 0.0)
