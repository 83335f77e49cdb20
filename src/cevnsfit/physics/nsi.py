"""Vector non-standard interactions (NSI) of neutrinos with u and d quarks.

Effective Lagrangian (Barranco, Miranda, Rashba, PRD 73 (2006) 113001; Barranco et al., JHEP 12
(2005) 021):

    L_NSI = -2 sqrt2 G_F sum_{q = u, d} eps^{qV}_{ab} [nubar_a gamma^mu P_L nu_b] [qbar gamma_mu q]

A proton is (uud), a neutron (udd), so the vector NSI add to the nucleon couplings

    g_V^p(a b) += 2 eps^u_ab + eps^d_ab ,    g_V^n(a b) += eps^u_ab + 2 eps^d_ab .

The coherent amplitude of nu_a scattering into nu_b (the charge-radius / millicharge terms Q of
:mod:`cevnsfit.physics.cevns` included) is

    A_aa = (g~_V^p(a) - Q_aa + 2 eps^u_aa + eps^d_aa) Z F_Z + (g_V^n + eps^u_aa + 2 eps^d_aa) N F_N
    A_ab = (2 eps^u_ab + eps^d_ab - Q_ab) Z F_Z + (eps^u_ab + 2 eps^d_ab) N F_N          (b != a)

    dsigma/dT = G_F^2 M / pi (1 - M T / 2E^2) [ A_aa^2 + sum_{b != a} A_ab^2 ] + ...

Relative sign of NSI and EM terms.  The photon exchange of a neutrino charge radius couples to the
proton charge and enters the proton coupling as -Q (Q = Q~ <r^2> = sqrt2 pi alpha <r^2>/(3 G_F),
Atzori Corona et al., JHEP 09 (2022) 164, eq. 2.1), while an NSI with quarks enters with +eps.  A
flavour-changing NSI eps_ab and a transition charge radius / millicharge of the same pair add in
*one* amplitude A_ab with exactly the same relative sign as the diagonal ones: a positive
transition radius cancels a positive proton NSI, 2 eps^u_ab + eps^d_ab = Q_ab.  The transition EM
parameters are otherwise quoted through their modulus; with both families free the sign of the
NSI carries the relative sign.

Antineutrinos: the vector current is C-odd, so the whole amplitude (SM, EM and NSI) changes sign
together, and nubar scatters with the same rate (real eps, eps_ab = eps_ba).

For one diagonal pair the rate is unchanged on the line where the amplitude returns to its SM size
with the opposite sign (:func:`sm_mirror_line`): at zero momentum transfer

    (2 eps^u + eps^d) Z + (eps^u + 2 eps^d) N = -2 (g~_V^p Z + g_V^n N),

a second band parallel to eps^u = eps^d = 0, which is the two-band structure of every CEvNS
NSI fit.
"""

from __future__ import annotations

from ..constants import FLAVOURS

QUARKS = ("u", "d")
_DIAG = {"e": "ee", "mu": "mumu", "tau": "tautau"}
_PAIR = {frozenset(("e", "mu")): "emu", frozenset(("e", "tau")): "etau", frozenset(("mu", "tau")): "mutau"}


def name(quark: str, a: str, b: str | None = None) -> str:
    """Parameter name of eps^{quark V}_{ab}, e.g. ``name("u", "e", "mu") == "eps_u_emu"``."""
    if quark not in QUARKS:
        raise ValueError(f"unknown quark {quark!r}; allowed: {QUARKS}")
    if a not in FLAVOURS or (b is not None and b not in FLAVOURS):
        raise ValueError(f"unknown flavour in ({a!r}, {b!r}); allowed: {FLAVOURS}")
    pair = _DIAG[a] if b is None or b == a else _PAIR[frozenset((a, b))]
    return f"eps_{quark}_{pair}"


def names() -> tuple[str, ...]:
    """All NSI parameter names."""
    out = []
    for pair in ("ee", "mumu", "tautau", "emu", "etau", "mutau"):
        out += [f"eps_u_{pair}", f"eps_d_{pair}"]
    return tuple(out)


def nucleon_shifts(eps_u, eps_d):
    """(proton, neutron) coupling shifts (2 eps^u + eps^d, eps^u + 2 eps^d); arrays broadcast."""
    return 2.0 * eps_u + eps_d, eps_u + 2.0 * eps_d


def couplings(params, a: str, b: str | None = None):
    """(eps^u_ab, eps^d_ab) of a parameter point."""
    return params.eps("u", a, b), params.eps("d", a, b)


def sm_mirror_line(Z: int, N: int, gp: float, gn: float, eps_d=None, eps_u=None):
    """The other edge of the two-band structure at |q| -> 0: given eps^d (or eps^u), the value of
    the other coupling for which (2u + d) Z + (u + 2d) N = -2 (gp Z + gn N), i.e. the coherent
    amplitude equals minus its SM value (same rate).  Exactly one of ``eps_d``, ``eps_u`` given."""
    target = -2.0 * (gp * Z + gn * N)
    if (eps_d is None) == (eps_u is None):
        raise ValueError("give exactly one of eps_d, eps_u")
    if eps_d is not None:
        return (target - eps_d * (Z + 2.0 * N)) / (2.0 * Z + N)
    return (target - eps_u * (2.0 * Z + N)) / (Z + 2.0 * N)
