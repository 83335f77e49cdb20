"""Detector targets: a molecule of one or more elements, each with its natural isotopes.

CEvNS happens on every isotope (weighted by count per molecule x abundance) and ES on the
atomic electrons of every element (Z_eff steps), so one function each turns a neutrino
spectrum into the recoil-spectrum basis per molecule that the templates are built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import AMU
from . import cevns, electron
from .nuclei import Isotope, isotopes, with_neutron_radius
from .parameters import MONOMIALS

AVOGADRO = 6.02214076e23


@dataclass(frozen=True)
class Target:
    """A detector medium, e.g. ``Target((("Cs", 1), ("I", 1)))`` for CsI.

    ``r_neutron`` overrides the neutron rms radius [fm] per element (e.g. ``{"Cs": 5.2}``);
    ``rn_shift`` then moves every isotope of an element by that many fm (the neutron-radius fit
    parameters, :mod:`cevnsfit.physics.neutron_radii`).
    """

    elements: tuple[tuple[str, int], ...]
    r_neutron: dict = field(default_factory=dict)
    proton_convention: str = "charge"
    rn_shift: dict = field(default_factory=dict)

    def __hash__(self):
        return hash(
            (
                self.elements,
                tuple(sorted(self.r_neutron.items())),
                self.proton_convention,
                tuple(sorted(self.rn_shift.items())),
            )
        )

    def isotopes(self) -> list[tuple[Isotope, float]]:
        """(isotope, number per molecule) for every isotope."""
        out = []
        for el, count in self.elements:
            for iso in isotopes(el, self.r_neutron.get(el), self.proton_convention):
                if self.rn_shift.get(el, 0.0):
                    iso = with_neutron_radius(iso, iso.r_neutron + self.rn_shift[el])
                out.append((iso, count * iso.abundance))
        return out

    def with_rn_shift(self, shifts: dict) -> Target:
        """The same target with the neutron radii of the given elements moved by ``shifts`` [fm]."""
        return replace(self, rn_shift={el: float(v) for el, v in shifts.items() if v})

    def molar_mass(self) -> float:
        """Grams per mole of molecules (from the isotope masses and abundances)."""
        return sum(w * (iso.mass + iso.Z * 0.51099895) / AMU for iso, w in self.isotopes())

    def molecules(self, mass_kg: float) -> float:
        """Number of molecules in ``mass_kg`` of the medium."""
        if not (np.isfinite(mass_kg) and mass_kg > 0):
            raise ValueError(f"detector mass must be positive, got {mass_kg}")
        return mass_kg * 1e3 / self.molar_mass() * AVOGADRO

    def max_recoil(self, e_max: float) -> float:
        """Largest nuclear recoil [MeV] any isotope can receive from a neutrino of e_max [MeV]."""
        return max(float(cevns.t_max(e_max, iso.mass)) for iso, _ in self.isotopes())


def cevns_basis(
    T, spectrum, target: Target, opts: cevns.Options = cevns.Options(), shape: cevns.Shape = cevns.Shape()
) -> np.ndarray:
    """CEvNS basis rates per molecule at nuclear recoils ``T`` [MeV]: shape (n_monomials, len(T)).

    Units: cm^2/MeV x the spectrum's normalisation (fluence or flux).
    """
    T = np.asarray(T, float)
    out = np.zeros((len(MONOMIALS), T.size))
    for iso, weight in target.isotopes():
        mom = spectrum.moments(cevns.e_min(T, iso.mass))
        out += weight * cevns.basis_rates(T, mom, iso, spectrum.flavour, opts, shape=shape)
    return out


def es_basis(
    T_e,
    spectrum,
    target: Target,
    momentum_dependent: bool = False,
    shape: cevns.Shape = cevns.Shape(),
    zp_model: str = "universal",
) -> np.ndarray:
    """ES basis rates per molecule at electron recoils ``T_e`` [MeV]: shape (n_monomials, len(T_e))."""
    T_e = np.asarray(T_e, float)
    mom = spectrum.moments(electron.e_min(T_e))
    out = np.zeros((len(MONOMIALS), T_e.size))
    for el, count in target.elements:
        out += count * electron.basis_rates(
            T_e, mom, el, spectrum.flavour, spectrum.antineutrino, momentum_dependent, shape=shape, zp_model=zp_model
        )
    return out


def zeff_edges(target: Target) -> list[float]:
    """All Z_eff edges [MeV] of the target's elements (break points of ES integrals)."""
    return sorted(e * 1e-3 for el, _ in target.elements for e, _z in electron._ZEFF[el])
