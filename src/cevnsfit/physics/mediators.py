"""Light mediators: a vector Z' and a scalar phi coupled to neutrinos, quarks and electrons.

Vector Z' (mass m, coupling g, charges Q'_f; Cerdeno et al., JHEP 05 (2016) 118; Cadeddu et al.,
JHEP 01 (2021) 116, arXiv:2008.05022).  The t-channel exchange adds a momentum-dependent shift to
the vector couplings (|q|^2 = 2 M T for a nuclear recoil, 2 m_e T_e for an electron recoil):

    delta g_V^p = g^2 Q'_nu (2 Q'_u + Q'_d) / (sqrt2 G_F (|q|^2 + m^2))
    delta g_V^n = g^2 Q'_nu (Q'_u + 2 Q'_d) / (sqrt2 G_F (|q|^2 + m^2))
    delta g_V^e = g^2 Q'_nu Q'_e / (sqrt2 G_F (2 m_e T_e + m^2))       (nu-e scattering)

It is flavour-diagonal and universal in the neutrino flavour, and identical for nu and nubar (like
the vector NSI it is part of the vector amplitude that changes sign as a whole).  Models
(:data:`VECTOR_MODELS`): ``universal`` (every Q' = 1) and ``b-l`` (Q'_nu = Q'_e = -1, Q'_u = Q'_d
= 1/3).  For m >> |q| the shift is a vector NSI with eps^q_aa = g^2 Q'_nu Q'_q / (sqrt2 G_F m^2)
(:func:`equivalent_nsi`); for m << |q| it falls as 1/|q|^2 and the new-physics rate as 1/|q|^4.

Scalar phi (mass m; couplings g_phi^nu g_phi^q = g_phi^nu g_phi^e = g_phi^2, one universal coupling
to every fermion as in Atzori Corona et al., JHEP 05 (2022) 109, arXiv:2202.11002; Farzan et al.,
JHEP 05 (2018) 066).  Helicity-flipping, so it adds to the vector cross section without
interference:

    dsigma/dT   = Q_phi(T)^2 M^2 T / (4 pi E^2 (2 M T + m^2)^2)
    Q_phi(T)    = g_phi^2 [ Z C_p F_Z(|q|) + N C_n F_N(|q|) ],   C_N = sum_q m_N f^N_Tq / m_q
    dsigma/dT_e = Z_eff(T_e) g_phi^4 m_e^2 T_e / (4 pi E^2 (2 m_e T_e + m^2)^2)

The nuclear form factor of the scalar charge: each nucleon's scalar charge is distributed like its
nucleons, so protons carry F_Z and neutrons F_N (the same form factors as the vector amplitude);
the resulting factor is the scalar-charge-weighted mean (Z C_p F_Z + N C_n F_N)/(Z C_p + N C_n),
close to the nucleon-number-weighted (Z F_Z + N F_N)/A since C_p ~ C_n.

Nucleon scalar form factors f^N_Tq = <N| m_q qbar q |N>/m_N (:data:`SCALAR_FORM_FACTORS`):
u and d from the Roy-Steiner analysis of pion-nucleon scattering (Hoferichter, Ruiz de Elvira,
Kubis, Meissner, PRL 115 (2015) 092301: f^p_u = 0.0208, f^p_d = 0.0411, f^n_u = 0.0189,
f^n_d = 0.0451), s from lattice QCD (Junnarkar & Walker-Loud, PRD 87 (2013) 114510: f_s = 0.043);
each heavy quark Q = c, b, t through the trace anomaly, f_TQ = (2/27) f_TG with
f_TG = 1 - f_Tu - f_Td - f_Ts (Shifman, Vainshtein, Zakharov, PLB 78 (1978) 443).  Quark masses:
PDG 2022 (MS-bar: m_u = 2.16, m_d = 4.67, m_s = 93.4 MeV at 2 GeV; m_c = 1.27, m_b = 4.18 GeV;
m_t = 172.69 GeV).  This gives C_p = 17.79 and C_n = 17.79.

Units: masses and energies in MeV; cross sections in cm^2/MeV per nucleus (per atom for ES).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import G_F, HBARC2_MEV2_CM2, M_E

#: Z' charges (Q'_nu, Q'_u, Q'_d, Q'_e) of each vector-mediator model
VECTOR_MODELS = {"universal": (1.0, 1.0, 1.0, 1.0), "b-l": (-1.0, 1.0 / 3.0, 1.0 / 3.0, -1.0)}

#: f^N_Tq for the light quarks (see module docstring)
SCALAR_FORM_FACTORS = {"p": {"u": 0.0208, "d": 0.0411, "s": 0.043}, "n": {"u": 0.0189, "d": 0.0451, "s": 0.043}}
#: quark masses [MeV] (PDG 2022)
QUARK_MASSES = {"u": 2.16, "d": 4.67, "s": 93.4, "c": 1270.0, "b": 4180.0, "t": 172690.0}
#: nucleon masses [MeV] (PDG)
NUCLEON_MASSES = {"p": 938.27208816, "n": 939.56542052}
#: 1/(sqrt2 G_F) [MeV^2]: the Z' coupling shift is g^2 Q'Q' x this / (|q|^2 + m^2)
_INV_SQRT2_GF = 1.0 / (math.sqrt(2.0) * G_F)


def check_model(model: str) -> str:
    if model not in VECTOR_MODELS:
        raise ValueError(f"unknown vector-mediator model {model!r}; allowed: {', '.join(VECTOR_MODELS)}")
    return model


def _check_mass(m) -> np.ndarray:
    m = np.asarray(m, float)
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise ValueError(f"mediator mass must be positive and finite [MeV], got {m}")
    return m


def propagator(q2, m) -> np.ndarray:
    """1/(sqrt2 G_F (|q|^2 + m^2)): dimensionless per unit g^2; ``q2`` = |q|^2 [MeV^2], m [MeV]."""
    m = _check_mass(m)
    return _INV_SQRT2_GF / (np.asarray(q2, float) + m * m)


def vector_charges(model: str = "universal") -> tuple[float, float, float]:
    """(proton, neutron, electron) charge products Q'_nu (2Q'_u + Q'_d), Q'_nu (Q'_u + 2Q'_d),
    Q'_nu Q'_e of a model."""
    qn, qu, qd, qe = VECTOR_MODELS[check_model(model)]
    return qn * (2.0 * qu + qd), qn * (qu + 2.0 * qd), qn * qe


def vector_shift_nucleon(g, m, q2, model: str = "universal"):
    """(delta g_V^p, delta g_V^n) of a Z' with coupling ``g`` and mass ``m`` [MeV] at |q|^2 [MeV^2]."""
    cp, cn, _ = vector_charges(model)
    x = np.asarray(g, float) ** 2 * propagator(q2, m)
    return cp * x, cn * x


def vector_shift_electron(g, m, T_e, model: str = "universal") -> np.ndarray:
    """delta g_V of nu-e scattering: g^2 Q'_nu Q'_e / (sqrt2 G_F (2 m_e T_e + m^2)), T_e in MeV."""
    _, _, ce = vector_charges(model)
    return ce * np.asarray(g, float) ** 2 * propagator(2.0 * M_E * np.asarray(T_e, float), m)


def equivalent_nsi(g, m, model: str = "universal") -> tuple[float, float]:
    """(eps^u_aa, eps^d_aa) that a heavy Z' (m >> |q|) amounts to, for every flavour a:
    eps^q = g^2 Q'_nu Q'_q / (sqrt2 G_F m^2)."""
    qn, qu, qd, _ = VECTOR_MODELS[check_model(model)]
    x = float(g) ** 2 * float(propagator(0.0, m))
    return qn * qu * x, qn * qd * x


def nucleon_scalar_charge(nucleon: str) -> float:
    """C_N = sum_q m_N f^N_Tq / m_q over u, d, s and the heavy quarks (f_TQ = 2/27 f_TG)."""
    f = SCALAR_FORM_FACTORS[nucleon]
    m_n = NUCLEON_MASSES[nucleon]
    light = sum(f[q] / QUARK_MASSES[q] for q in ("u", "d", "s"))
    f_tg = 1.0 - sum(f.values())
    heavy = 2.0 / 27.0 * f_tg * sum(1.0 / QUARK_MASSES[q] for q in ("c", "b", "t"))
    return m_n * (light + heavy)


#: scalar charges of the proton and the neutron
C_P = nucleon_scalar_charge("p")
C_N = nucleon_scalar_charge("n")


def scalar_charge(Z: int, N: int, fz=1.0, fn=1.0) -> np.ndarray:
    """Q_phi / g_phi^2 = Z C_p F_Z + N C_n F_N (form factors at the recoil's |q|; 1 at q = 0)."""
    return Z * C_P * np.asarray(fz, float) + N * C_N * np.asarray(fn, float)


def scalar_kernel(E, T, mass: float, m) -> np.ndarray:
    """M^2 T / (4 pi E^2 (2 M T + m^2)^2) in cm^2/MeV: the scalar cross section per unit
    (g_phi^2 Q_phi/g_phi^2)^2 = g_phi^4 (Q_phi/g_phi^2)^2, on a target of mass ``mass`` [MeV]."""
    m = _check_mass(m)
    E = np.asarray(E, float)
    T = np.asarray(T, float)
    return mass**2 * T / (4.0 * math.pi * E**2 * (2.0 * mass * T + m * m) ** 2) * HBARC2_MEV2_CM2


def scalar_es_kernel(E, T_e, m) -> np.ndarray:
    """m_e^2 T_e / (4 pi E^2 (2 m_e T_e + m^2)^2) in cm^2/MeV: the scalar nu-e cross section per
    electron per unit g_phi^4."""
    return scalar_kernel(E, T_e, M_E, m)
