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

_FLAVOURS = ("e", "mu", "tau")


def _cell_integrals(a, b, fa, fb):
    """int_a^b f(E) E^-n dE for n = 0, 1, 2 with f linear between (a, fa) and (b, fb).

    Closed forms with f = c + s E:  n=0: (fa + fb)(b - a)/2;  n=1: c ln(b/a) + s (b - a);
    n=2: c (1/a - 1/b) + s ln(b/a).  A cell starting at E = 0 (where Phi/E^n is finite only
    for spectra vanishing fast enough) falls back to the trapezoid with the integrand taken as 0
    at E = 0.
    """
    a, b, fa, fb = (np.asarray(v, float) for v in (a, b, fa, fb))
    h = b - a
    i0 = 0.5 * (fa + fb) * h
    zero = a <= 0
    aa = np.where(zero, 1.0, a)
    bb = np.where(h > 0, b, aa + 1.0)
    s = np.where(h > 0, (fb - fa) / np.where(h > 0, h, 1.0), 0.0)
    c = fa - s * aa
    log = np.log1p((bb - aa) / aa)
    i1 = np.where(h > 0, c * log + s * h, 0.0)
    i2 = np.where(h > 0, c * (1.0 / aa - 1.0 / bb) + s * log, 0.0)
    b_safe = np.where(b > 0, b, 1.0)
    i1 = np.where(zero, 0.5 * fb / b_safe * h, i1)
    i2 = np.where(zero, 0.5 * fb / b_safe**2 * h, i2)
    return i0, i1, i2


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
            # cumulative integrals from the top of the grid: C_n(E_k) = int_{E_k}^{E_max} Phi E^-n,
            # exact for the linear interpolant (closed forms in :func:`_cell_integrals`)
            cells = _cell_integrals(e[:-1], e[1:], d[:-1], d[1:])
            cums = [np.concatenate([np.cumsum(c[::-1])[::-1], [0.0]]) for c in cells]
            object.__setattr__(self, "_cum", tuple(cums))
        else:
            if not (np.isfinite(self.line) and self.line > 0):
                raise ValueError("line energy must be positive and finite")

    @property
    def species(self) -> str:
        """e.g. ``"nu_e"`` or ``"nubar_mu"``."""
        return ("nubar_" if self.antineutrino else "nu_") + self.flavour

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """``(energies [MeV], density [per MeV])`` of a tabulated spectrum (a line has none)."""
        if self.energies is None or self.density is None:
            raise ValueError(f"{self.label or self.species}: a line spectrum has no table")
        return self.energies, self.density

    @property
    def emax(self) -> float:
        return float(self.line) if self.line is not None else float(self.table()[0][-1])

    def __call__(self, energy) -> np.ndarray:
        """dN/dE at ``energy`` [MeV] (a line returns zeros: use :meth:`moments`)."""
        energy = np.asarray(energy, float)
        if self.line is not None:
            return np.zeros_like(energy)
        e, d = self.table()
        return np.asarray(np.interp(energy, e, d, left=0.0, right=0.0))

    def total(self) -> float:
        """Integral of the spectrum over all energies."""
        return float(self.moments(0.0)[0])

    def mean_energy(self) -> float:
        if self.line is not None:
            return float(self.line)
        e, d = self.table()
        return float(np.trapezoid(e * d, e) / np.trapezoid(d, e))

    def moments(self, emin) -> np.ndarray:
        """I_n(E_min) = int_{E_min}^inf Phi(E) E^-n dE for n = 0, 1, 2; shape (3, *emin.shape)."""
        emin = np.asarray(emin, float)
        if self.line is not None:
            on = (emin < self.line).astype(float) * self.norm
            return np.stack([on, on / self.line, on / self.line**2])
        e, d = self.table()
        x = np.clip(emin, e[0], e[-1])
        k = np.clip(np.searchsorted(e, x, side="right") - 1, 0, e.size - 2)
        e0, e1 = e[k], e[k + 1]
        d0, d1 = d[k], d[k + 1]
        # exact integral of the linear interpolant from x to the top of cell k
        slope = (d1 - d0) / (e1 - e0)
        pieces = _cell_integrals(x, e1, d0 + slope * (x - e0), d1)
        out = []
        for n in (0, 1, 2):
            val = self._cum[n][k + 1] + pieces[n]
            out.append(np.where(emin >= e[-1], 0.0, val))
        return np.stack(out)

    def scaled(self, factor: float, label: str | None = None) -> Spectrum:
        """The same spectrum multiplied by ``factor``."""
        if self.line is not None:
            return Spectrum(
                self.flavour, self.antineutrino, line=self.line, norm=self.norm * factor, label=label or self.label
            )
        e, d = self.table()
        return Spectrum(self.flavour, self.antineutrino, e, d * factor, label=label or self.label)
