"""3+1 sterile-neutrino disappearance at short baseline, averaged over the source-detector distance.

With a fourth, sterile mass state (Delta m^2_41 >> Delta m^2_31) the probability that a nu_a
(or nubar_a) of energy E has become sterile after a distance L is (e.g. Giunti & Lasserre,
Ann. Rev. Nucl. Part. Sci. 69 (2019) 163, eq. 17; Kosmas et al., PRD 96 (2017) 063013)

    P(nu_a -> nu_s) = 4 |U_a4|^2 |U_s4|^2 sin^2(Delta m^2_41 L / 4E),
    |U_s4|^2 = 1 - |U_e4|^2 - |U_mu4|^2 - |U_tau4|^2,
    Delta m^2_41 L / 4E = 1.26693 Delta m^2_41[eV^2] L[m] / E[MeV].

A neutral-current process (CEvNS) sees the whole active flux, so each flavour's flux is reduced
by P(nu_a -> nu_s); active-to-active transitions 4|U_a4|^2 |U_b4|^2 sin^2(...) change only the
flavour label, to which CEvNS is blind up to the flavour dependence of the SM charge radius
(a 0.2 % effect on the rate at |U|^2 = 0.1), and are neglected here -- also for nu-e scattering,
which is a small part of every signal considered.

A source or a detector is not a point: the phase is averaged over the distribution of L,
described here as a histogram (uniform density inside each bin).  Inside a bin [c - w/2, c + w/2]

    <sin^2(k L)> = sin^2(k c) + cos(2 k c) (1 - sinc(k w)) / 2,     sinc(x) = sin(x)/x,

exact, and free of cancellation at small k.  As Delta m^2 -> 0, P -> 0; for Delta m^2 L / E >> 1
over the spread, <sin^2> -> 1/2 and P -> 2 |U_a4|^2 (1 - sum |U|^2).

Distance spreads assumed (:func:`sns_baseline`, :func:`reactor_baseline`):

* SNS (COHERENT): L uniform in L_0 +- 0.5 m (the pion-stopping region in the mercury target, a
  few tens of cm, plus the depth of the detector: 34 cm for the CsI crystal, ~0.5 m for the
  CENNS-10 argon volume).
* Reactor (Dresden-II): the core as a uniform cylinder of radius 2.0 m and height 3.66 m (a BWR
  core of ~4 m diameter with 12-ft fuel), the detector at L_0 = 10.39 m from its centre in its
  mid-plane; L then spreads over about 8.4-12.5 m (a 40-bin histogram of the volume integral).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import FLAVOURS, HBARC_MEV_FM
from .flux import Spectrum

#: Delta m^2 L / (4E) per eV^2 m / MeV: 1e-12 / (4 hbar c [MeV m])
PHASE = 1e-12 / (4.0 * HBARC_MEV_FM * 1e-15)
#: half-width of the uniform distance spread at the SNS [m]
SNS_HALF_WIDTH_M = 0.5
#: Dresden-II core as a uniform cylinder: radius, height [m]
REACTOR_CORE_M = (2.0, 3.66)


@dataclass(frozen=True, eq=False)
class Baseline:
    """Distribution of the source-detector distance: bins ``centres`` [m] of ``widths`` [m]
    (uniform inside) with probabilities ``weights`` (normalised to 1)."""

    centres: np.ndarray
    widths: np.ndarray
    weights: np.ndarray
    label: str = ""

    def __post_init__(self):
        c, w, p = (np.atleast_1d(np.asarray(v, float)) for v in (self.centres, self.widths, self.weights))
        if not (c.shape == w.shape == p.shape and c.ndim == 1 and c.size):
            raise ValueError("baseline centres, widths and weights need the same 1D shape")
        if np.any(c - w / 2 <= 0) or np.any(w < 0) or np.any(p < 0) or p.sum() <= 0:
            raise ValueError("baseline bins must lie at positive distances with non-negative weights")
        object.__setattr__(self, "centres", c)
        object.__setattr__(self, "widths", w)
        object.__setattr__(self, "weights", p / p.sum())

    @property
    def mean(self) -> float:
        return float(np.sum(self.weights * self.centres))

    @classmethod
    def point(cls, L: float) -> Baseline:
        return cls(np.array([L]), np.zeros(1), np.ones(1), f"{L} m")

    @classmethod
    def uniform(cls, L0: float, half_width: float) -> Baseline:
        return cls(np.array([L0]), np.array([2.0 * half_width]), np.ones(1), f"{L0} +- {half_width} m (uniform)")

    def sin2_average(self, E, dm2) -> np.ndarray:
        """<sin^2(1.26693 dm2 L / E)> over the distance distribution; E [MeV] (array), dm2 [eV^2]."""
        E = np.asarray(E, float)
        if not (np.isfinite(dm2) and dm2 >= 0):
            raise ValueError(f"dm2_41 must be finite and non-negative [eV^2], got {dm2}")
        if np.any(~np.isfinite(E)) or np.any(E <= 0):
            raise ValueError("neutrino energies must be positive")
        k = PHASE * dm2 / E[..., None]  # rad per m
        x = k * self.widths
        small = np.abs(x) < 1e-3
        xs = np.where(small, 1.0, x)
        one_minus_sinc = np.where(small, x * x / 6.0 - x**4 / 120.0, 1.0 - np.sin(xs) / xs)
        kc = k * self.centres
        val = np.sin(kc) ** 2 + 0.5 * np.cos(2.0 * kc) * one_minus_sinc
        return val @ self.weights


def sns_baseline(L0: float, half_width: float = SNS_HALF_WIDTH_M) -> Baseline:
    """The SNS source-detector distance: uniform in L0 +- half_width [m]."""
    return Baseline.uniform(L0, half_width)


def reactor_baseline(
    L0: float, radius: float = REACTOR_CORE_M[0], height: float = REACTOR_CORE_M[1], n_bins: int = 40, n_quad: int = 48
) -> Baseline:
    """Distance from a uniform cylindrical core (axis vertical, centre at L0 [m] from the detector,
    detector in the mid-plane) to the detector, as a histogram of ``n_bins`` bins.  The volume is
    integrated by Gauss-Legendre quadrature in (r^2, phi, z) with ``n_quad`` nodes each."""
    if not (L0 > radius > 0 and height > 0):
        raise ValueError("the detector must lie outside the core: L0 > radius > 0, height > 0")
    x, w = np.polynomial.legendre.leggauss(n_quad)
    u = 0.5 * (x + 1.0)  # in (0, 1)
    wu = 0.5 * w
    r = radius * np.sqrt(u)  # uniform in area: r^2 uniform
    phi = 2.0 * np.pi * u
    z = height * (u - 0.5)
    R, P, Zc = np.meshgrid(r, phi, z, indexing="ij")
    W = wu[:, None, None] * wu[None, :, None] * wu[None, None, :]
    L = np.sqrt((L0 - R * np.cos(P)) ** 2 + (R * np.sin(P)) ** 2 + Zc**2)
    edges = np.linspace(L.min(), L.max(), n_bins + 1)
    h, _ = np.histogram(L.ravel(), bins=edges, weights=W.ravel())
    centres = 0.5 * (edges[1:] + edges[:-1])
    return Baseline(centres, np.diff(edges), h, f"cylindrical core r = {radius} m, h = {height} m at {L0} m")


def sterile_amplitude(params, flavour: str):
    """4 |U_a4|^2 (1 - |U_e4|^2 - |U_mu4|^2 - |U_tau4|^2): the amplitude of P(nu_a -> nu_s)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {FLAVOURS}")
    us = 1.0 - params.ue4sq - params.umu4sq - params.utau4sq
    return 4.0 * params.mixing(flavour) * us


def probability(E, params, flavour: str, baseline: Baseline) -> np.ndarray:
    """P(nu_a -> nu_s) averaged over ``baseline`` at energies E [MeV]."""
    amp = sterile_amplitude(params, flavour)
    if amp == 0.0 or params.dm2_41 == 0.0:
        return np.zeros_like(np.asarray(E, float))
    return amp * baseline.sin2_average(E, params.dm2_41)


def oscillating_part(spectrum: Spectrum, dm2: float, baseline: Baseline, n_grid: int = 20001) -> Spectrum:
    """The spectrum times <sin^2(Delta m^2 L/4E)>: its rate, times -4|U_a4|^2 |U_s4|^2, is what the
    sterile state removes.  A line stays a line (weighted at its energy); a table is resampled on
    ``n_grid`` points (or its own grid if finer) so the oscillation is resolved where it is not
    averaged out by the distance spread."""
    if spectrum.line is not None:
        s_line = float(baseline.sin2_average(np.array([spectrum.line]), dm2)[0])
        return Spectrum(
            spectrum.flavour,
            spectrum.antineutrino,
            line=spectrum.line,
            norm=spectrum.norm * s_line,
            label=f"{spectrum.label} x sin2",
        )
    e = spectrum.table()[0]
    if e.size < n_grid:
        e = np.unique(np.concatenate([e, np.linspace(e[0], e[-1], n_grid)]))
    d = spectrum(e)
    pos = e > 0
    s = np.zeros_like(e)
    s[pos] = baseline.sin2_average(e[pos], dm2)
    return Spectrum(spectrum.flavour, spectrum.antineutrino, e, d * s, label=f"{spectrum.label} x sin2")
