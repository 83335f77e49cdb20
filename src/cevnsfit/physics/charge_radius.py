"""The neutrino charge radius in the Standard Model, and its momentum dependence (docs/physics.md).

* Bernabeu, Papavassiliou, Vidal, PRL 89 (2002) 101802; Nucl. Phys. B 680 (2004) 450:

      <r^2_{nu_l}>_SM = -G_F / (2 sqrt2 pi^2) [3 - 2 ln(m_l^2 / M_W^2)]

* Momentum dependence (Atzori Corona et al., JHEP 05 (2024) 271, arXiv:2402.16709), q^2 = -|q|^2:

      R_l(q^2) = int_0^1 dx x(1-x) ln[(m_l^2 - q^2 x(1-x)) / M_W^2]
      <r^2_{nu_l}>^eff(q^2) = -G_F / (2 sqrt2 pi^2) [3 - 12 R_l(q^2)]

  R_l is evaluated in closed form (the one-loop vacuum-polarisation integral):
  with a = |q|^2/m^2 and beta = sqrt(1 + 4/a),

      int_0^1 x(1-x) ln(1 + a x(1-x)) dx = -5/18 + 2/(3a) + (1/6)(1 - 2/a) beta ln[(beta+1)/(beta-1)],

  switching to the Taylor series a/30 - a^2/280 + a^3/1890 for a < 1e-3.

Radii are returned in units of 1e-32 cm^2.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import G_F, HBARC2_MEV2_CM2, LEPTON_MASS, M_W, QTILDE_PER_R2_UNIT, R2_UNIT_CM2

_PREF_CM2 = G_F / (2.0 * math.sqrt(2.0) * math.pi**2) * HBARC2_MEV2_CM2 / R2_UNIT_CM2


def _lepton_mass(flavour: str) -> float:
    try:
        return LEPTON_MASS[flavour]
    except KeyError:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {tuple(LEPTON_MASS)}") from None


def r2_sm(flavour: str) -> float:
    """SM charge radius <r^2_{nu_l}> [1e-32 cm^2] at q^2 = 0: -0.8275, -0.4805, -0.2969 for e, mu, tau."""
    m = _lepton_mass(flavour)
    return -_PREF_CM2 * (3.0 - 2.0 * math.log(m**2 / M_W**2))


def vacuum_polarisation_integral(a) -> np.ndarray:
    """int_0^1 x(1-x) ln(1 + a x(1-x)) dx for a = |q|^2/m^2 >= 0 (closed form, vectorised)."""
    a = np.asarray(a, float)
    if np.any(a < 0) or np.any(~np.isfinite(a)):
        raise ValueError("|q|^2/m^2 must be non-negative and finite")
    small = a < 1e-3
    aa = np.where(small, 1.0, a)
    beta = np.sqrt(1.0 + 4.0 / aa)
    # ln((beta+1)/(beta-1)) with beta-1 = (4/a)/(beta+1), stable for large a
    log_term = np.log((beta + 1.0) ** 2 * aa / 4.0)
    exact = -5.0 / 18.0 + 2.0 / (3.0 * aa) + (1.0 - 2.0 / aa) * beta * log_term / 6.0
    series = a / 30.0 - a**2 / 280.0 + a**3 / 1890.0
    return np.where(small, series, exact)


def running_integral(flavour: str, q) -> np.ndarray:
    """R_l(q^2) of arXiv:2402.16709 at |q| = ``q`` [MeV] (space-like, q^2 = -|q|^2)."""
    m = _lepton_mass(flavour)
    q = np.asarray(q, float)
    return math.log(m**2 / M_W**2) / 6.0 + vacuum_polarisation_integral(q**2 / m**2)


def r2_effective(flavour: str, q) -> np.ndarray:
    """Effective SM charge radius <r^2>^eff(|q|) [1e-32 cm^2]; tends to :func:`r2_sm` as q -> 0."""
    return -_PREF_CM2 * (3.0 - 12.0 * running_integral(flavour, q))


def radius_form_factor(flavour: str, q) -> np.ndarray:
    """F_{nu_l}(q) = <r^2>^eff(q) / <r^2>_SM, multiplying a fitted q^2 = 0 radius (arXiv:2402.16709)."""
    return r2_effective(flavour, q) / r2_sm(flavour)


def qtilde(r2) -> np.ndarray:
    """Vector-coupling shift Q~ = sqrt2 pi alpha/(3 G_F) <r^2> for <r^2> in 1e-32 cm^2 (0.023796 per unit)."""
    return QTILDE_PER_R2_UNIT * np.asarray(r2, float)
