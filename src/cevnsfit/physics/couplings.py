"""Neutrino-nucleon and neutrino-electron vector couplings (docs/physics.md).

Nucleon couplings with the universal radiative corrections of Erler & Su, Prog. Part. Nucl. Phys.
71 (2013) 119, arXiv:1303.5522 (as used by Atzori Corona et al. 2022, eqs. 2.3-2.4):

    g_V^p(nu_l) = rho (1/2 - 2 s^2) + 2 boxWW_x + boxWW - 2 phi_{nu_l W}
                  + rho (2 boxZZ^{uL} + boxZZ^{dL} - 2 boxZZ^{uR} - boxZZ^{dR})
    g_V^n       = -rho/2 + 2 boxWW + boxWW_x
                  + rho (2 boxZZ^{dL} + boxZZ^{uL} - 2 boxZZ^{dR} - boxZZ^{uR})

``boxWW`` is the W-box (□_WW), ``boxWW_x`` the crossed W-box (⊠_WW), ``boxZZ`` the crossed Z-boxes.
The flavour-dependent term -2 phi_{nu_l W} equals -Q~ <r^2_{nu_l}>_SM, the SM neutrino charge
radius (section 5); :func:`gvp_no_radius` returns g_V^p with that term removed (g~_V^p), the
coupling used when the charge radius is a parameter.

``sin2w`` replaces the low-energy value only in the tree-level term; the corrections stay.
``radiative=False`` gives the tree level: rho = 1, no boxes, no charge radius.
"""

from __future__ import annotations

import math

from ..constants import (
    ALPHA,
    ALPHA_HAT_Z,
    ALPHA_S_MW,
    ALPHA_S_MZ,
    C2_HAT_Z,
    LEPTON_MASS,
    M_W,
    RHO_NC,
    S2_HAT_Z,
    SIN2W_0,
)
from .charge_radius import qtilde, r2_sm

NU_FLAVOURS = ("e", "mu", "tau")


def box_ww() -> float:
    """□_WW = -alpha_Z/(2 pi s_Z^2) [1 - alpha_s(M_W)/(2 pi)]."""
    return -ALPHA_HAT_Z / (2.0 * math.pi * S2_HAT_Z) * (1.0 - ALPHA_S_MW / (2.0 * math.pi))


def crossed_box_ww() -> float:
    """⊠_WW = alpha_Z/(8 pi s_Z^2) [1 + alpha_s(M_W)/pi]."""
    return ALPHA_HAT_Z / (8.0 * math.pi * S2_HAT_Z) * (1.0 + ALPHA_S_MW / math.pi)


def crossed_box_zz(quark: str, chirality: str) -> float:
    """⊠_ZZ^{fX} = -3 alpha_Z/(8 pi s_Z^2 c_Z^2) (g_X^f)^2 [1 - alpha_s(M_Z)/pi]."""
    g = {
        ("u", "L"): 0.5 - 2.0 / 3.0 * S2_HAT_Z,
        ("u", "R"): -2.0 / 3.0 * S2_HAT_Z,
        ("d", "L"): -0.5 + 1.0 / 3.0 * S2_HAT_Z,
        ("d", "R"): 1.0 / 3.0 * S2_HAT_Z,
    }[(quark, chirality)]
    return -3.0 * ALPHA_HAT_Z / (8.0 * math.pi * S2_HAT_Z * C2_HAT_Z) * g**2 * (1.0 - ALPHA_S_MZ / math.pi)


def phi_nu_w(flavour: str) -> float:
    """phi_{nu_l W} = -(alpha/6 pi) [ln(M_W^2/m_l^2) + 3/2]."""
    if flavour not in LEPTON_MASS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {NU_FLAVOURS}")
    m = LEPTON_MASS[flavour]
    return -ALPHA / (6.0 * math.pi) * (math.log(M_W**2 / m**2) + 1.5)


def _check_sin2w(sin2w: float) -> None:
    if not (math.isfinite(sin2w) and 0.0 <= sin2w <= 1.0):
        raise ValueError(f"sin2w must be in [0, 1], got {sin2w}")


def gvp_no_radius(sin2w: float = SIN2W_0, radiative: bool = True) -> float:
    """g~_V^p: the proton vector coupling without the neutrino charge-radius term (flavour-blind)."""
    _check_sin2w(sin2w)
    if not radiative:
        return 0.5 - 2.0 * sin2w
    zz = (
        2.0 * crossed_box_zz("u", "L")
        + crossed_box_zz("d", "L")
        - 2.0 * crossed_box_zz("u", "R")
        - crossed_box_zz("d", "R")
    )
    return RHO_NC * (0.5 - 2.0 * sin2w) + 2.0 * crossed_box_ww() + box_ww() + RHO_NC * zz


def gvp(flavour: str, sin2w: float = SIN2W_0, radiative: bool = True) -> float:
    """g_V^p(nu_l) including the SM charge radius: 0.0381, 0.0299, 0.0255 for e, mu, tau."""
    if flavour not in NU_FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {NU_FLAVOURS}")
    if not radiative:
        return gvp_no_radius(sin2w, radiative=False)
    return gvp_no_radius(sin2w) - 2.0 * phi_nu_w(flavour)


def gvn(radiative: bool = True) -> float:
    """g_V^n = -0.5117 (tree level -1/2); independent of sin^2 theta_W."""
    if not radiative:
        return -0.5
    zz = (
        2.0 * crossed_box_zz("d", "L")
        + crossed_box_zz("u", "L")
        - 2.0 * crossed_box_zz("d", "R")
        - crossed_box_zz("u", "R")
    )
    return -RHO_NC / 2.0 + 2.0 * box_ww() + crossed_box_ww() + RHO_NC * zz


def sm_radius_shift(flavour: str, radiative: bool = True) -> float:
    """Q~(<r^2>_SM): the part of g_V^p(nu_l) due to the SM charge radius, with sign: g_V^p = g~ - this."""
    return float(qtilde(r2_sm(flavour))) if radiative else 0.0


def electron_couplings(flavour: str, antineutrino: bool = False, sin2w: float = SIN2W_0) -> tuple[float, float]:
    """Tree-level (g_V, g_A) for nu_l - e scattering (charged + neutral current for nu_e).

    nu_e: g_V = 1/2 + 2 s^2, g_A = 1/2; nu_mu, nu_tau: g_V = -1/2 + 2 s^2, g_A = -1/2;
    antineutrinos: g_A -> -g_A.  The flavour-dependent SM charge radius enters separately as
    g_V -> g_V + Q~ <r^2_{nu_l}> (see :mod:`cevnsfit.physics.electron`).
    """
    if flavour not in NU_FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {NU_FLAVOURS}")
    _check_sin2w(sin2w)
    if flavour == "e":
        gv, ga = 0.5 + 2.0 * sin2w, 0.5
    else:
        gv, ga = -0.5 + 2.0 * sin2w, -0.5
    return gv, (-ga if antineutrino else ga)
