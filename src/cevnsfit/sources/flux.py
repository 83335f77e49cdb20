"""Neutrino energy spectra of one flavour, and the flux moments the cross sections need.

Every cross section in this package depends on the neutrino energy E only through 1, 1/E and
1/E^2 (CEvNS: 1 - M T / 2E^2; magnetic moment: 1/T - 1/E; nu-e: (1 - T/E)^2 and m T / E^2).
The flux-averaged rate at recoil T is therefore a combination of the moments

    I_n(E_min) = integral_{E_min}^{inf} dE Phi(E) E^-n ,   n = 0, 1, 2,

with E_min(T) the smallest energy that can give recoil T.  :class:`Spectrum` computes them
exactly for a line and by cumulative trapezoidal integration on a fine grid otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import cumulative_trapezoid

_FLAVOURS = ("e", "mu", "tau")


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Energy spectrum of one neutrino species.

    Parameters
    ----------
    flavour : "e", "mu" or "tau"
    antineutrino : True for an antineutrino
    energies, density : a tabulated spectrum dN/dE [per MeV] on an increasing grid [MeV]
        (linear interpolation between points, zero outside); ignored for a line.
    line : energy [MeV] of a monochromatic line carrying ``norm`` neutrinos.
    norm : normalisation of a line (total number); for tables the density carries it.
    label : a name for plots and reports.
    """

    flavour: str
    antineutrino: bool
    energies: np.ndarray | None = None
    density: np.ndarray | None = None
    line: float | None = None
    norm: float = 1.0
    label: str = ""
    _cum: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        if self.flavour not in _FLAVOURS:
            raise ValueError(f"unknown flavour {self.flavour!r}; allowed: {_FLAVOURS}")
        if self.line is None:
            e = np.asarray(self.energies, float)
            d = np.asarray(self.density, float)
            if e.ndim != 1 or e.shape != d.shape or e.size < 2:
                raise ValueError("a tabulated spectrum needs 1D energies and density of equal length")
            if np.any(np.diff(e) <= 0):
                raise ValueError("spectrum energies must be strictly increasing")
            if not (np.all(np.isfinite(d)) and np.all(d >= 0)):
                raise ValueError("spectrum density must be finite and non-negative")
            if e[0] < 0:
                raise ValueError("spectrum energies must be non-negative")
            object.__setattr__(self, "energies", e)
            object.__setattr__(self, "density", d)
            # cumulative integrals from the top of the grid: C_n(E_k) = int_{E_k}^{E_max} Phi E^-n
            with np.errstate(divide="ignore", invalid="ignore"):
                cums = []
                for n in (0, 1, 2):
                    w = d * np.where(e > 0, e, np.inf) ** (-n) if n else d
                    w = np.nan_to_num(w)
                    c = cumulative_trapezoid(w[::-1], -e[::-1], initial=0.0)[::-1]
                    cums.append(c)
            object.__setattr__(self, "_cum", tuple(cums))
        else:
            if not (np.isfinite(self.line) and self.line > 0):
                raise ValueError("line energy must be positive and finite")

    @property
    def species(self) -> str:
        """e.g. ``"nu_e"`` or ``"nubar_mu"``."""
        return ("nubar_" if self.antineutrino else "nu_") + self.flavour

    @property
    def emax(self) -> float:
        return float(self.line) if self.line is not None else float(self.energies[-1])

    def __call__(self, energy) -> np.ndarray:
        """dN/dE at ``energy`` [MeV] (a line returns zeros: use :meth:`moments`)."""
        energy = np.asarray(energy, float)
        if self.line is not None:
            return np.zeros_like(energy)
        return np.interp(energy, self.energies, self.density, left=0.0, right=0.0)

    def total(self) -> float:
        """Integral of the spectrum over all energies."""
        return float(self.moments(0.0)[0])

    def mean_energy(self) -> float:
        if self.line is not None:
            return float(self.line)
        e, d = self.energies, self.density
        return float(np.trapezoid(e * d, e) / np.trapezoid(d, e))

    def moments(self, emin) -> np.ndarray:
        """I_n(E_min) = int_{E_min}^inf Phi(E) E^-n dE for n = 0, 1, 2; shape (3, *emin.shape)."""
        emin = np.asarray(emin, float)
        if self.line is not None:
            on = (emin < self.line).astype(float) * self.norm
            return np.stack([on, on / self.line, on / self.line**2])
        e, d = self.energies, self.density
        x = np.clip(emin, e[0], e[-1])
        k = np.clip(np.searchsorted(e, x, side="right") - 1, 0, e.size - 2)
        e0, e1 = e[k], e[k + 1]
        d0, d1 = d[k], d[k + 1]
        # exact integral of the linear interpolant from x to e1 (the piece of cell k above x)
        dx = e1 - e0
        slope = (d1 - d0) / dx
        out = []
        for n in (0, 1, 2):
            # integrand phi(E) E^-n with phi linear: integrate with 3-point Gauss-Legendre on [x, e1]
            a, b = x, e1
            half, mid = 0.5 * (b - a), 0.5 * (b + a)
            piece = 0.0
            for t, w in ((-0.7745966692414834, 5 / 9), (0.0, 8 / 9), (0.7745966692414834, 5 / 9)):
                ee = mid + half * t
                phi = d0 + slope * (ee - e0)
                piece = piece + w * half * phi * (ee ** (-n) if n else 1.0)
            val = self._cum[n][k + 1] + piece
            val = np.where(emin >= e[-1], 0.0, val)
            out.append(val)
        return np.stack(out)

    def scaled(self, factor: float, label: str | None = None) -> "Spectrum":
        """The same spectrum multiplied by ``factor``."""
        if self.line is not None:
            return Spectrum(self.flavour, self.antineutrino, line=self.line, norm=self.norm * factor,
                            label=label or self.label)
        return Spectrum(self.flavour, self.antineutrino, self.energies, self.density * factor,
                        label=label or self.label)
