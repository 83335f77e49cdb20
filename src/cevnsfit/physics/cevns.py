"""Coherent elastic neutrino-nucleus scattering with electromagnetic properties (docs/physics.md).

For nu_l (or nubar_l) of energy E on a nucleus (Z, N, M), recoil T <= T_max = 2E^2/(M + 2E)
(Atzori Corona et al., JHEP 09 (2022) 164, eqs. 2.1, 3.1, 4.1, 5.1):

    dsigma/dT = G_F^2 M/pi (1 - M T/(2E^2)) { [(g~_V^p - Q_ll) Z F_Z + g_V^n N F_N]^2
                                              + Z^2 F_Z^2 sum_{l' != l} |Q_ll'|^2 }
              + pi alpha^2/m_e^2 (1/T - 1/E) Z^2 F_Z^2 (|mu_{nu_l}|/mu_B)^2

with Q_ll' = Q~ <r^2_{nu_ll'}> [x F_nu(T) for the diagonal radius with momentum dependence]
           + (2 sqrt2 pi alpha/(G_F q^2)) q_{nu_ll'},  q^2 = -2 M T.
g~_V^p is g_V^p(nu_l) without the SM charge-radius term: the radius is a parameter (its SM value
is the default, see :mod:`cevnsfit.physics.parameters`).  Antineutrinos: same formula.

The new-physics menu extends the amplitudes (:func:`dsigma_dT`; formulas and references in
:mod:`cevnsfit.physics.nsi` and :mod:`cevnsfit.physics.mediators`):

    A_ll  = (g~_V^p - Q_ll + 2 eps^u_ll + eps^d_ll + dg^p_Z'(q)) Z F_Z
            + (g_V^n + eps^u_ll + 2 eps^d_ll + dg^n_Z'(q)) N F_N(R_n)
    A_ll' = (2 eps^u_ll' + eps^d_ll' - Q_ll') Z F_Z + (eps^u_ll' + 2 eps^d_ll') N F_N(R_n)
    dsigma/dT = G_F^2 M/pi (1 - MT/2E^2) [A_ll^2 + sum_{l' != l} A_ll'^2] + (magnetic moment)
              + g_phi^4 (Z C_p F_Z + N C_n F_N)^2 M^2 T / (4 pi E^2 (2MT + m_phi^2)^2)

with the neutron radius of :mod:`cevnsfit.physics.neutron_radii` in F_N.  For nubar the vector
amplitudes change sign as a whole (SM, EM, NSI and Z' alike) and the scalar term does not depend
on it, so nu and nubar scatter alike.  Sterile oscillations act on the flux
(:mod:`cevnsfit.sources.oscillation`), not here.

Two implementations live here and are tested against each other:

* :func:`dsigma_dT` - the formula above, directly, for given (E, T) and parameters;
* :func:`basis_rates` - the flux-averaged rate at recoil T decomposed into 14 basis functions
  multiplying the monomials of :func:`cevnsfit.physics.parameters.monomials`.  It uses the flux
  moments I_n(E_min) = int_{E_min} Phi(E) E^-n dE (n = 0, 1, 2) of
  :meth:`cevnsfit.sources.flux.Spectrum.moments`, since 1 - MT/2E^2 and 1/T - 1/E are linear in
  1, 1/E, 1/E^2.

All energies in MeV; cross sections in cm^2/MeV per nucleus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import ALPHA, FLAVOURS, G_F, HBARC2_MEV2_CM2, M_E, MU_UNIT, QTILDE_PER_R2_UNIT, RHO_NC
from . import mediators, nsi
from .charge_radius import radius_form_factor
from .couplings import gvn, gvp_no_radius
from .form_factors import form_factor, momentum_transfer
from .neutron_radii import neutron_radius
from .nuclei import Isotope
from .parameters import DEFAULT_MEDIATOR_MASS, MONOMIALS, Params

#: pi alpha^2 / m_e^2 in cm^2 (times 1/MeV from 1/T - 1/E) per (1e-10 mu_B)^2
MAG_PREF = math.pi * ALPHA**2 / M_E**2 * HBARC2_MEV2_CM2 * MU_UNIT**2
#: sqrt2 pi alpha / G_F [MeV^2]: millicharge coupling shift is this x q / (M T)
CHARGE_PREF = math.sqrt(2.0) * math.pi * ALPHA / G_F


@dataclass(frozen=True)
class Options:
    """Model choices that are not polynomial parameters.

    form_factor : "helm", "klein_nystrand" or "symmetrized_fermi"
    momentum_dependent : multiply the diagonal radius by F_nu(q) (arXiv:2402.16709)
    radiative : radiative corrections in the couplings (False: tree level, rho = 1)
    zp_model : charges of the light vector mediator, "universal" or "b-l"
        (:data:`cevnsfit.physics.mediators.VECTOR_MODELS`)
    """

    form_factor: str = "helm"
    momentum_dependent: bool = False
    radiative: bool = True
    zp_model: str = "universal"


def t_max(E, mass: float) -> np.ndarray:
    """Maximum recoil T_max = 2E^2/(M + 2E) [MeV]."""
    E = np.asarray(E, float)
    return 2.0 * E**2 / (mass + 2.0 * E)


def e_min(T, mass: float) -> np.ndarray:
    """Smallest neutrino energy giving recoil T: (T + sqrt(T^2 + 2 M T))/2 [MeV]."""
    T = np.asarray(T, float)
    return 0.5 * (T + np.sqrt(T * T + 2.0 * mass * T))


def _check_energies(E, T):
    E = np.asarray(E, float)
    T = np.asarray(T, float)
    if np.any(~np.isfinite(E)) or np.any(E < 0):
        raise ValueError("neutrino energies must be finite and non-negative")
    if np.any(~np.isfinite(T)) or np.any(T < 0):
        raise ValueError("recoil energies must be finite and non-negative")
    return E, T


def _radius_ff(flavour: str, iso: Isotope, T, opts: Options):
    if not opts.momentum_dependent:
        return np.ones_like(np.asarray(T, float))
    return radius_form_factor(flavour, momentum_transfer(T, iso.mass))


def dsigma_dT(
    E,
    T,
    iso: Isotope,
    flavour: str,
    params: Params | None = None,
    antineutrino: bool = False,
    opts: Options = Options(),
) -> np.ndarray:
    """dsigma/dT [cm^2/MeV] for nu_l (or nubar_l) of energy E [MeV] giving a recoil T [MeV].

    The reference implementation of every term (module docstring): SM, EM properties, vector
    NSI, light vector and scalar mediators, the neutron radius.  For ``antineutrino`` the vector
    amplitudes are computed with the opposite overall sign (docs/physics.md; nsi module), which
    leaves the rate unchanged.  Zero above T_max and at T = 0.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {FLAVOURS}")
    p = params or Params()
    E, T = _check_energies(E, T)
    E, T = np.broadcast_arrays(E, T)
    ok = (T > 0) & (T <= t_max(E, iso.mass))
    Ts = np.where(ok, T, 1.0)
    Es = np.where(ok, E, 1.0)
    q = momentum_transfer(Ts, iso.mass)
    fz = form_factor(opts.form_factor, q, iso.r_proton)
    fn = form_factor(opts.form_factor, q, neutron_radius(iso, p))
    ffnu = _radius_ff(flavour, iso, Ts, opts)
    xi = -1.0 if antineutrino else 1.0  # the vector amplitude's overall sign

    def q_shift(r2, qnu, ff):
        return QTILDE_PER_R2_UNIT * r2 * ff - CHARGE_PREF * qnu / (iso.mass * Ts)

    dp, dn = nsi.nucleon_shifts(*nsi.couplings(p, flavour))
    if p.g_zp != 0.0:
        zp, zn = mediators.vector_shift_nucleon(p.g_zp, p.m_zp, q * q, opts.zp_model)
        dp, dn = dp + zp, dn + zn
    gp = gvp_no_radius(p.sin2w, opts.radiative) - q_shift(p.r2(flavour), p.q(flavour), ffnu) + dp
    amp = xi * (gp * iso.Z * fz + (gvn(opts.radiative) + dn) * iso.N * fn)
    trans = 0.0
    for o in FLAVOURS:
        if o == flavour:
            continue
        tp, tn = nsi.nucleon_shifts(*nsi.couplings(p, flavour, o))
        a_t = xi * ((tp - q_shift(p.r2(flavour, o), p.q(flavour, o), 1.0)) * iso.Z * fz + tn * iso.N * fn)
        trans = trans + a_t**2
    weak = G_F**2 * iso.mass / math.pi * HBARC2_MEV2_CM2 * (1.0 - iso.mass * Ts / (2.0 * Es**2))
    weak = weak * (amp**2 + trans)
    mag = MAG_PREF * (1.0 / Ts - 1.0 / Es) * (iso.Z * fz) ** 2 * p.mu(flavour) ** 2
    out = weak + mag
    if p.g_phi != 0.0:
        charge = p.g_phi**2 * mediators.scalar_charge(iso.Z, iso.N, fz, fn)
        out = out + charge**2 * mediators.scalar_kernel(Es, Ts, iso.mass, p.m_phi)
    return np.where(ok, out, 0.0)


@dataclass(frozen=True)
class Shape:
    """The parameters that enter the basis rates non-polynomially (templates are built per value):
    the light-mediator masses [MeV].  (Neutron radii enter through the isotope's radius,
    sterile oscillations through the flux.)"""

    m_zp: float = DEFAULT_MEDIATOR_MASS
    m_phi: float = DEFAULT_MEDIATOR_MASS


def parse_monomial(name: str):
    """("amp", a, b) for a product of two diagonal amplitude variables ("1" alone is (1, 1), "s"
    is (1, s), "sR" is (s, R)), ("trans", a, b) for "T" + two transition variables, or
    ("squared", name) for a term without interference ("mu2", "phi4")."""
    if name in ("mu2", "phi4"):
        return ("squared", name)
    if name.startswith("T") and len(name) == 3:
        return ("trans", name[1], name[2])
    if name == "1":
        return ("amp", "1", "1")
    if len(name) == 1:
        return ("amp", "1", name)
    if len(name) == 2:
        return ("amp", name[0], name[1])
    raise ValueError(f"cannot parse monomial {name!r}")


def amplitude_coefficients(T, iso: Isotope, flavour: str, opts: Options = Options(), shape: Shape = Shape()):
    """The coherent amplitudes as linear functions of the amplitude variables, at recoils T:
    ``(diag, trans, fz, fn)`` where ``diag[v]`` multiplies variable v in A_ll (v = "1", "s" =
    sin2w, "R" = r2_ll, "C" = q_ll, "u" = eps_u_ll, "d" = eps_d_ll, "G" = g_zp^2) and
    ``trans[v]`` in A_ll' (v = "R", "C", "u", "d"); see the module docstring."""
    q = momentum_transfer(T, iso.mass)
    fz = form_factor(opts.form_factor, q, iso.r_proton)
    fn = form_factor(opts.form_factor, q, iso.r_neutron)
    zf, nf = iso.Z * fz, iso.N * fn
    rho = RHO_NC if opts.radiative else 1.0
    charge = CHARGE_PREF / (iso.mass * T) * zf
    cp, cn, _ = mediators.vector_charges(opts.zp_model)
    prop = mediators.propagator(q * q, shape.m_zp)
    diag = {
        "1": gvp_no_radius(0.0, opts.radiative) * zf + gvn(opts.radiative) * nf,
        "s": -2.0 * rho * zf,
        "R": -QTILDE_PER_R2_UNIT * _radius_ff(flavour, iso, T, opts) * zf,
        "C": charge,
        "u": 2.0 * zf + nf,
        "d": zf + 2.0 * nf,
        "G": (cp * zf + cn * nf) * prop,
    }
    trans = {"R": -QTILDE_PER_R2_UNIT * zf, "C": charge, "u": diag["u"], "d": diag["d"]}
    return diag, trans, fz, fn


def basis_rates(
    T, moments, iso: Isotope, flavour: str, opts: Options = Options(), monomials=MONOMIALS, shape: Shape = Shape()
) -> np.ndarray:
    """Flux-averaged CEvNS rate at recoil T decomposed on the monomials ``monomials`` (names of
    the table in :mod:`cevnsfit.physics.parameters`; each row follows its name, so the basis
    follows the table).

    ``moments`` has shape (3, *T.shape): I_0, I_1, I_2 of the neutrino spectrum evaluated at
    E_min(T) (see :func:`e_min`). Returns shape (n_monomials, *T.shape) in cm^2/MeV x [flux
    units]; the rate is ``monomials(params, flavour) @ basis``.  The vector part carries
    1 - MT/2E^2 (moments I_0 - MT I_2/2), the magnetic moment 1/T - 1/E (I_0/T - I_1), the scalar
    mediator 1/E^2 (I_2).
    """
    T = np.asarray(T, float)
    I0, I1, I2 = moments
    pos = T > 0
    Ts = np.where(pos, T, 1.0)
    diag, trans, fz, fn = amplitude_coefficients(Ts, iso, flavour, opts, shape)
    kin = G_F**2 * iso.mass / math.pi * HBARC2_MEV2_CM2 * (I0 - 0.5 * iso.mass * Ts * I2)
    out = np.empty((len(monomials),) + T.shape)
    for m, name in enumerate(monomials):
        kind, *args = parse_monomial(name)
        if kind == "amp" or kind == "trans":
            c = diag if kind == "amp" else trans
            a, b = args
            out[m] = kin * c[a] * c[b] * (1.0 if a == b else 2.0)
        elif args[0] == "mu2":
            out[m] = MAG_PREF * (iso.Z * fz) ** 2 * (I0 / Ts - I1)
        else:  # phi4: g_phi^4 (Z C_p F_Z + N C_n F_N)^2 M^2 T / (4 pi E^2 (2MT + m^2)^2)
            out[m] = (
                mediators.scalar_charge(iso.Z, iso.N, fz, fn) ** 2
                * mediators.scalar_kernel(1.0, Ts, iso.mass, shape.m_phi)
                * I2
            )
    return np.where(pos, out, 0.0)
