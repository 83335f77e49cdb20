"""Target nuclei: isotopes with abundances, masses and proton / neutron radii (docs/physics.md).

Nuclear mass = atomic mass (AME2020) x u minus Z m_e; electron binding (< 0.2 MeV for Cs) is
neglected, a 2e-6 relative effect.

Proton radius: the point-proton rms radius from the measured charge radius R_ch (Angeli &
Marinova, At. Data Nucl. Data Tables 99 (2013) 69; the values of docs/physics.md):

    R_p^2 = R_ch^2 - <r_n^2> N / Z                      ("charge" convention, default)
    R_p^2 = R_ch^2 - <r_n^2> N / Z - r_p^2              ("point" convention, also subtracting
                                                         the proton's own r_p^2 = 0.7071 fm^2)

with <r_n^2> = -0.1161 fm^2.  Neutron radii are inputs: nuclear-shell-model values for Cs and I
(5.01, 4.94 fm; Hoferichter et al., PRD 102 (2020) 074018), R_n = R_p + 0.1 fm for Ar, Ge and Xe.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..constants import AMU, M_E, R2_NEUTRON, R2_PROTON

PROTON_RADIUS_CONVENTIONS = ("charge", "point")

# element -> list of (A, abundance, atomic mass [u], charge radius [fm])
# Atomic masses: AME2020 (Wang et al., Chin. Phys. C 45 (2021) 030003).
# Charge radii: Angeli & Marinova 2013; Ar-36/38 from the same compilation.
_ISOTOPES = {
    "Cs": (55, [(133, 1.0, 132.905451961, 4.8041)]),
    "I": (53, [(127, 1.0, 126.904471840, 4.7500)]),
    "Ar": (
        18,
        [(40, 0.996, 39.9623831237, 3.4274), (36, 0.0034, 35.967545105, 3.3905), (38, 0.0006, 37.96273211, 3.4028)],
    ),
    "Ge": (
        32,
        [
            (70, 0.2057, 69.92424875, 4.0414),
            (72, 0.2745, 71.922075826, 4.0576),
            (73, 0.0775, 72.923458956, 4.0632),
            (74, 0.3650, 73.921177761, 4.0742),
            (76, 0.0773, 75.921402726, 4.0811),
        ],
    ),
    # natural xenon: IUPAC abundances (Meija et al., Pure Appl. Chem. 88 (2016) 293), AME2020
    # masses, charge radii of Angeli & Marinova (2013)
    "Xe": (
        54,
        [
            (124, 0.000952, 123.905892, 4.7661),
            (126, 0.000890, 125.9042983, 4.7722),
            (128, 0.019102, 127.903531, 4.7774),
            (129, 0.264006, 128.9047808611, 4.7775),
            (130, 0.040710, 129.903509349, 4.7818),
            (131, 0.212324, 130.90508406, 4.7808),
            (132, 0.269086, 131.9041550856, 4.7859),
            (134, 0.104357, 133.90539466, 4.7899),
            (136, 0.088573, 135.907214484, 4.7964),
        ],
    ),
}

#: Default neutron rms radii [fm] for Cs and I (nuclear shell model); others: R_p + 0.1 fm.
DEFAULT_RN = {"Cs": 5.01, "I": 4.94}
#: Neutron skin used for elements without a dedicated default [fm].
DEFAULT_SKIN = 0.1


@dataclass(frozen=True)
class Isotope:
    """One target isotope. Radii in fm, mass in MeV."""

    element: str
    Z: int
    A: int
    abundance: float
    mass: float
    r_charge: float
    r_proton: float
    r_neutron: float

    @property
    def N(self) -> int:
        return self.A - self.Z

    @property
    def name(self) -> str:
        return f"{self.element}{self.A}"


def proton_radius(r_charge: float, Z: int, N: int, convention: str = "charge") -> float:
    """Point-proton rms radius [fm] from the charge radius (see module docstring)."""
    if convention not in PROTON_RADIUS_CONVENTIONS:
        raise ValueError(f"unknown proton-radius convention {convention!r}; allowed: {PROTON_RADIUS_CONVENTIONS}")
    r2 = r_charge**2 - R2_NEUTRON * N / Z
    if convention == "point":
        r2 -= R2_PROTON
    return float(np.sqrt(r2))


def isotopes(element: str, r_neutron: float | None = None, proton_convention: str = "charge") -> list[Isotope]:
    """The isotopes of ``element`` with natural abundances.

    ``r_neutron`` overrides the neutron rms radius of every isotope [fm]; by default Cs and I use
    the shell-model values and other elements R_p + 0.1 fm.
    """
    if element not in _ISOTOPES:
        raise ValueError(f"unknown element {element!r}; allowed: {sorted(_ISOTOPES)}")
    if r_neutron is not None and not (np.isfinite(r_neutron) and r_neutron > 0):
        raise ValueError(f"neutron radius must be positive and finite, got {r_neutron}")
    Z, table = _ISOTOPES[element]
    out = []
    for A, ab, mass_u, rch in table:
        N = A - Z
        rp = proton_radius(rch, Z, N, proton_convention)
        if r_neutron is not None:
            rn = r_neutron
        else:
            rn = DEFAULT_RN.get(element, rp + DEFAULT_SKIN)
        out.append(Isotope(element, Z, A, ab, mass_u * AMU - Z * M_E, rch, rp, rn))
    return out


def with_neutron_radius(iso: Isotope, r_neutron: float) -> Isotope:
    return replace(iso, r_neutron=float(r_neutron))


def element_Z(element: str) -> int:
    if element not in _ISOTOPES:
        raise ValueError(f"unknown element {element!r}; allowed: {sorted(_ISOTOPES)}")
    return _ISOTOPES[element][0]
