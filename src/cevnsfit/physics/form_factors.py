"""Nuclear form factors F(|q|) (docs/physics.md).  |q| in MeV, radii in fm; F(0) = 1.

* Helm (Helm, Phys. Rev. 104 (1956) 1466), default:
  F = 3 j1(q R0)/(q R0) exp(-q^2 s^2/2), s = 0.9 fm, R0^2 = (5/3)(R^2 - 3 s^2).
* Klein-Nystrand (Klein & Nystrand, PRC 60 (1999) 014903):
  F = 3 j1(q RA)/(q RA) / (1 + q^2 a^2), a = 0.7 fm, RA^2 = (5/3)(R^2 - 6 a^2).
* Symmetrized Fermi (Sprung & Martorell, J. Phys. A 30 (1997) 6525; Piekarewicz et al. 2016):
  F = 3/(qc [(qc)^2 + (pi q a)^2]) [pi q a / sinh(pi q a)]
      [pi q a / tanh(pi q a) sin(qc) - qc cos(qc)],  c^2 = (5/3)R^2 - (7/3)(pi a)^2, a = 0.52 fm.

R is the rms radius of the proton or neutron distribution.
"""

from __future__ import annotations

import numpy as np

from ..constants import HBARC_MEV_FM

FORM_FACTORS = ("helm", "klein_nystrand", "symmetrized_fermi")
HELM_S = 0.9
KN_A = 0.7
SF_A = 0.52


def _j1_over_x(x: np.ndarray) -> np.ndarray:
    """3 j1(x)/x, with its Taylor series below x = 1e-2 (1 - x^2/10 + x^4/280)."""
    x = np.asarray(x, float)
    small = np.abs(x) < 1e-2
    xs = np.where(small, 1.0, x)
    exact = 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    x2 = x * x
    series = 1.0 - x2 / 10.0 + x2 * x2 / 280.0
    return np.where(small, series, exact)


def helm(q, r_rms: float, s: float = HELM_S) -> np.ndarray:
    """Helm form factor at momentum transfer ``q`` [MeV] for rms radius ``r_rms`` [fm]."""
    qf = np.asarray(q, float) / HBARC_MEV_FM  # fm^-1
    r0 = np.sqrt(5.0 / 3.0 * (r_rms**2 - 3.0 * s**2))
    return _j1_over_x(qf * r0) * np.exp(-0.5 * (qf * s) ** 2)


def klein_nystrand(q, r_rms: float, a: float = KN_A) -> np.ndarray:
    """Klein-Nystrand form factor at ``q`` [MeV] for rms radius ``r_rms`` [fm]."""
    qf = np.asarray(q, float) / HBARC_MEV_FM
    ra = np.sqrt(5.0 / 3.0 * (r_rms**2 - 6.0 * a**2))
    return _j1_over_x(qf * ra) / (1.0 + (qf * a) ** 2)


def symmetrized_fermi(q, r_rms: float, a: float = SF_A) -> np.ndarray:
    """Symmetrized-Fermi form factor at ``q`` [MeV] for rms radius ``r_rms`` [fm]."""
    qf = np.asarray(q, float) / HBARC_MEV_FM
    c = np.sqrt(5.0 / 3.0 * r_rms**2 - 7.0 / 3.0 * (np.pi * a) ** 2)
    small = qf < 1e-4
    qq = np.where(small, 1.0, qf)
    qc = qq * c
    pqa = np.pi * qq * a
    val = 3.0 / (qc * (qc**2 + pqa**2)) * (pqa / np.sinh(pqa)) * (pqa / np.tanh(pqa) * np.sin(qc) - qc * np.cos(qc))
    # small-q expansion: F = 1 - q^2 <r^2>/6
    series = 1.0 - qf**2 * r_rms**2 / 6.0
    return np.where(small, series, val)


_DISPATCH = {"helm": helm, "klein_nystrand": klein_nystrand, "symmetrized_fermi": symmetrized_fermi}


def form_factor(name: str, q, r_rms: float) -> np.ndarray:
    """Form factor ``name`` (one of :data:`FORM_FACTORS`) at ``q`` [MeV] for radius ``r_rms`` [fm]."""
    try:
        f = _DISPATCH[name]
    except KeyError:
        raise ValueError(f"unknown form factor {name!r}; allowed: {FORM_FACTORS}") from None
    return f(q, r_rms)


def momentum_transfer(T, mass: float) -> np.ndarray:
    """|q| = sqrt(2 M T) [MeV] for recoil kinetic energy ``T`` [MeV] of a target of mass ``M``."""
    return np.sqrt(2.0 * mass * np.asarray(T, float))
