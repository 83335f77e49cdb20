"""Solar neutrinos at Earth: Standard Solar Model fluxes, spectra and flavour composition.

* Fluxes: B16 Standard Solar Model (Vinyoles et al., ApJ 835 (2017) 202, Table 6), GS98
  composition by default, AGSS09met as the alternative, each with its fractional 1 sigma (used as
  Gaussian priors by the data sets); read from the public copy of the authors' flux table (PEANUTS,
  ``fluxes_b16.dat``), whose 17F GS98 entry (5.28) is replaced by the paper's 5.29e6.
* Spectral shapes (unit area): Bahcall's pp, hep, 13N, 15O, 17F tables (PRC 56 (1997) 3391; RMP 60
  (1988) 297), the 8B spectrum of Winter et al., PRC 73 (2006) 025503; lines pep 1.442 MeV and
  7Be 0.3843 / 0.8613 MeV with branchings 10.44 % / 89.56 %.  The tables are read from their public
  copies as published (PEANUTS; Bahcall's 1996 8B table) and normalised here to unit area on their
  own grid (trapezoid rule).
* Flavour composition: the adiabatic MSW survival probability, averaged over the production
  region of each component (B16 production distributions and electron density),

      P_ee(E) = cos^4 th13 < 1/2 + 1/2 cos 2th12^m(r) cos 2th12 >_r + sin^4 th13,
      cos 2th12^m = (cos 2th12 - b) / sqrt((cos 2th12 - b)^2 + sin^2 2th12),
      b = 2 sqrt2 G_F cos^2 th13 n_e(r) E / Dm^2_21

  (e.g. Maltoni & Smirnov, EPJA 52 (2016) 87).  Day-night (Earth matter) effects are neglected:
  they change P_ee by < 1 % (pp, 7Be) to ~3 % (8B, night) and average down further.  The
  non-electron part (1 - P_ee) is split into nu_mu and nu_tau by theta_23 (cos^2 th23 : sin^2 th23),
  the flavour-basis approximation that ignores the small nu_3 admixture's different mu/tau
  content.  Oscillation parameters: NuFIT 6.0, normal ordering, with SK atmospheric data
  (Esteban et al., JHEP 12 (2024) 216): sin^2 th12 = 0.308, sin^2 th13 = 0.02215,
  Dm^2_21 = 7.49e-5 eV^2 (the release's best-fit table, :data:`NUFIT_BEST_FIT`), sin^2 th23 = 0.470
  (the minimum of the release's chi^2 profile, read from the public copy of the NuFIT tables).

Each component at Earth is returned as three :class:`~cevnsfit.sources.flux.Spectrum` objects,
Phi(E) P_ee(E) (nu_e), Phi(E) (1 - P_ee(E)) cos^2 th23 (nu_mu) and Phi(E) (1 - P_ee(E)) sin^2 th23
(nu_tau), so that every flavour-dependent parameter (magnetic moments, charge radii,
millicharges, NSI) acts on its flavour's share.  Fluxes in cm^-2 s^-1 (lines: neutrinos
cm^-2 s^-1; continua: per MeV).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from .. import data
from ..constants import G_F, HBARC_MEV_CM
from .flux import Spectrum

#: B16 components, in the order of the production table
COMPONENTS = ("pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F")
SSM_MODELS = ("gs98", "agss09")
#: B16 total fluxes (Vinyoles et al. 2017, Table 6) as published by the authors in ``fluxes_b16.dat``
#: (public copy in PEANUTS): one row per component in the order of :data:`COMPONENTS`, columns
#: flux and fractional 1 sigma for GS98, then for AGSS09met; fluxes in units of 10^k cm^-2 s^-1
B16_FLUX_FILE = "solar/fluxes/peanuts/fluxes_b16.dat"
_B16_EXPONENT = {"pp": 10, "pep": 8, "hep": 3, "7Be": 9, "8B": 6, "13N": 8, "15O": 8, "17F": 6}
#: where the file differs from the paper's Table 6: its 17F GS98 flux reads 5.28, the paper (and every
#: other public transcription of it) 5.29 [10^6 cm^-2 s^-1]
_B16_ERRATA = {("gs98", "17F"): "5.29"}
#: 8B spectral shapes: Winter et al., PRC 73 (2006) 025503 (default; PEANUTS copy, dN/dE in 10^-3 / MeV)
#: or Bahcall et al., PRC 54, 411 (1996) (its table: E, best, +3 sigma, -3 sigma), which is 1 % softer
#: at 3-6.5 MeV and 5 % (12 MeV) to 12 % (14 MeV) less hard in the tail
B8_SHAPES = {"winter": "peanuts/8B_shape_Winter_et_al.csv", "bahcall": "bahcall_raw/8benergytab.txt"}
#: continuous spectra, public copies of the published tables (E [MeV], dN/dE, ...) under solar/spectra/:
#: pp, hep (Bahcall, PRC 56 (1997) 3391), 13N, 15O, 17F (Bahcall & Ulrich, RMP 60 (1988) 297) as
#: copied in PEANUTS; 8B from :data:`B8_SHAPES`
_SHAPE_FILE = {
    "pp": "peanuts/pp_shape.csv",
    "hep": "peanuts/hep_shape.csv",
    "8B": B8_SHAPES["winter"],
    "13N": "peanuts/n13_shape.csv",
    "15O": "peanuts/o15_shape.csv",
    "17F": "peanuts/f17_shape.csv",
}
#: NuFIT best fits, normal ordering, with SK (6.x: and IceCube) atmospheric data, from the releases'
#: parameter tables: (sin^2 th12, sin^2 th13, Dm^2_21 [eV^2]).  NuFIT 6.0: I. Esteban et al., JHEP 12
#: (2024) 216, arXiv:2410.05380; 5.0: I. Esteban et al., JHEP 09 (2020) 178, arXiv:2007.14792;
#: 5.1, 5.2, 5.3 (2021-2024) and 6.1 (2025): the updates published at www.nu-fit.org.
NUFIT_BEST_FIT = {
    "NuFIT 6.1": (0.3088, 0.02248, 7.537e-5),
    "NuFIT 6.0": (0.308, 0.02215, 7.49e-5),
    "NuFIT 5.3": (0.307, 0.02224, 7.41e-5),
    "NuFIT 5.2": (0.303, 0.02225, 7.41e-5),
    "NuFIT 5.1": (0.304, 0.02246, 7.42e-5),
    "NuFIT 5.0": (0.304, 0.02219, 7.42e-5),
}
#: lines: component -> ((energy [MeV], branching), ...)
LINES = {"pep": ((1.442, 1.0),), "7Be": ((0.3843, 0.1044), (0.8613, 0.8956))}
#: sqrt2 G_F (hbar c)^3 N_A [eV]: the MSW potential for n_e = 1 N_A / cm^3 (7.63e-14 eV)
_V_PER_NA = math.sqrt(2.0) * G_F * HBARC_MEV_CM**3 * 6.02214076e23 * 1e6


@dataclass(frozen=True)
class Oscillation:
    """Oscillation parameters (normal ordering; Dm^2_21 in eV^2)."""

    sin2_12: float = 0.308
    sin2_13: float = 0.02215
    dm2_21: float = 7.49e-5
    sin2_23: float = 0.470

    def __post_init__(self):
        for k in ("sin2_12", "sin2_13", "sin2_23"):
            v = getattr(self, k)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{k} must lie in [0, 1], got {v}")
        if not (np.isfinite(self.dm2_21) and self.dm2_21 > 0):
            raise ValueError(f"dm2_21 must be positive, got {self.dm2_21}")

    def vacuum_limit(self) -> float:
        """P_ee at low energy: cos^4 th13 (1 - sin^2 2th12 / 2) + sin^4 th13."""
        c13 = 1.0 - self.sin2_13
        s2_2th12 = 4.0 * self.sin2_12 * (1.0 - self.sin2_12)
        return c13**2 * (1.0 - 0.5 * s2_2th12) + self.sin2_13**2

    def msw_limit(self) -> float:
        """P_ee at high energy (full adiabatic conversion): sin^2 th12 cos^4 th13 + sin^4 th13."""
        return self.sin2_12 * (1.0 - self.sin2_13) ** 2 + self.sin2_13**2


@cache
def nufit(release: str = "NuFIT 6.0") -> Oscillation:
    """Oscillation parameters of a NuFIT release (normal ordering, with SK atmospheric data):
    theta_12, theta_13 and Dm^2_21 from the release's best-fit table (:data:`NUFIT_BEST_FIT`),
    sin^2 theta_23 at the minimum of its one-dimensional chi^2 profile (the NuFIT collaboration's
    chi^2 tables as collected by the Magnus code, ``nufit_chi2_magnus.json``)."""
    if release not in NUFIT_BEST_FIT:
        raise ValueError(f"unknown NuFIT release {release!r}; allowed: {', '.join(sorted(NUFIT_BEST_FIT))}")
    prof = json.loads(data.path("solar/survival/nufit/nufit_chi2_magnus.json").read_text())
    t23 = prof["releases"][release]["profiles"]["T23"]
    s23 = float(np.asarray(t23["x"])[int(np.argmin(t23["chi2"]))])
    return Oscillation(*NUFIT_BEST_FIT[release], s23)


@cache
def ssm_fluxes(model: str = "gs98") -> dict[str, tuple[float, float]]:
    """B16 total fluxes at 1 AU: component -> (flux [cm^-2 s^-1], fractional 1 sigma), read from
    the authors' table ``fluxes_b16.dat`` (:data:`B16_FLUX_FILE`; 17F GS98 as in the paper,
    :data:`_B16_ERRATA`)."""
    if model not in SSM_MODELS:
        raise ValueError(f"unknown solar model {model!r}; allowed: {', '.join(SSM_MODELS)}")
    rows = [
        line.split()
        for line in data.path(B16_FLUX_FILE).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(rows) != len(COMPONENTS) or any(len(r) != 4 for r in rows):
        raise data.DataError(
            f"{B16_FLUX_FILE}: expected {len(COMPONENTS)} rows of 4 numbers "
            f"(flux, sigma for GS98 and AGSS09met), got {[len(r) for r in rows]}"
        )
    k = SSM_MODELS.index(model)
    out = {}
    for c, r in zip(COMPONENTS, rows, strict=True):
        mantissa = _B16_ERRATA.get((model, c), r[2 * k])
        # decimal exponent appended to the printed mantissa: the same float as the paper's number
        out[c] = (float(f"{mantissa}e{_B16_EXPONENT[c]}"), float(r[2 * k + 1]))
    return out


@cache
def production(model: str = "gs98") -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """B16 production zones: radius r/R_sun, electron density [N_A cm^-3] and, per component, the
    fraction of neutrinos produced in each zone (sums to 1)."""
    if model not in SSM_MODELS:
        raise ValueError(f"unknown solar model {model!r}; allowed: {', '.join(SSM_MODELS)}")
    arr = np.loadtxt(data.path(f"solar/survival/b16_production/nudistr_b16_{model}.dat"), comments="#")
    if arr.ndim != 2 or arr.shape[1] != 12:
        raise data.DataError(f"nudistr_b16_{model}.dat: expected 12 columns, got {arr.shape}")
    r = arr[:, 0]
    ne = 10.0 ** arr[:, 2]
    # columns 5-12 are densities per unit r/R_sun (integral 1): zone fraction = column x dr
    dr = np.gradient(r)
    frac = {c: arr[:, 4 + k] * dr / np.sum(arr[:, 4 + k] * dr) for k, c in enumerate(COMPONENTS)}
    return r, ne, frac


def survival_probability(energy, component: str, osc: Oscillation | None = None, model: str = "gs98") -> np.ndarray:
    """Electron-neutrino survival probability P_ee(E) of ``component`` at energies ``energy``
    [MeV] (adiabatic MSW averaged over the production region; module docstring)."""
    osc = osc or Oscillation()
    if component not in COMPONENTS:
        raise ValueError(f"unknown solar component {component!r}; allowed: {', '.join(COMPONENTS)}")
    E = np.asarray(energy, float)
    if np.any(~np.isfinite(E)) or np.any(E < 0):
        raise ValueError("neutrino energies must be finite and non-negative")
    _, ne, frac = production(model)
    c13 = 1.0 - osc.sin2_13
    c2 = 1.0 - 2.0 * osc.sin2_12
    s2 = 4.0 * osc.sin2_12 * (1.0 - osc.sin2_12)
    w = frac[component]
    keep = w > 0
    beta = 2.0 * _V_PER_NA * c13 * ne[keep][None, :] * (E.reshape(-1, 1) * 1e6) / osc.dm2_21
    cos2m = (c2 - beta) / np.sqrt((c2 - beta) ** 2 + s2)
    p2 = (0.5 + 0.5 * cos2m * c2) @ w[keep]
    return (c13**2 * p2 + osc.sin2_13**2).reshape(E.shape)


def _normalised(path: str) -> tuple[np.ndarray, np.ndarray]:
    """A published spectrum table under solar/spectra/ (E [MeV] and dN/dE in its first two columns,
    separated by commas or blanks) normalised to unit area on its own grid (trapezoid rule);
    negative entries are set to 0, repeated energies dropped."""
    name = f"solar/spectra/{path}"
    with open(data.path(name)) as fh:
        arr = np.loadtxt((line.replace(",", " ") for line in fh), comments="#", usecols=(0, 1), ndmin=2)
    e, d = arr[:, 0], np.maximum(arr[:, 1], 0.0)
    e, idx = np.unique(e, return_index=True)
    area = np.trapezoid(d[idx], e) if e.size > 1 else 0.0
    if not area > 0:
        raise data.DataError(f"{name}: not a spectrum table ({e.size} energies, area {area})")
    return e, d[idx] / area


@cache
def shape(component: str, b8: str = "winter") -> tuple[np.ndarray, np.ndarray]:
    """Unit-area spectrum dN/dE [1/MeV] of a continuous component on its table grid [MeV]
    (``b8``: which 8B shape, :data:`B8_SHAPES`)."""
    if component not in _SHAPE_FILE:
        raise ValueError(f"{component!r} is not a continuous solar component; allowed: {', '.join(_SHAPE_FILE)}")
    if b8 not in B8_SHAPES:
        raise ValueError(f"unknown 8B spectrum {b8!r}; allowed: {', '.join(B8_SHAPES)}")
    return _normalised(B8_SHAPES[b8] if component == "8B" else _SHAPE_FILE[component])


def flavour_shares(p_ee, osc: Oscillation) -> dict[str, np.ndarray]:
    """Fractions of nu_e, nu_mu, nu_tau at Earth for survival probability ``p_ee``."""
    p = np.asarray(p_ee, float)
    return {"e": p, "mu": (1.0 - p) * (1.0 - osc.sin2_23), "tau": (1.0 - p) * osc.sin2_23}


def component_spectra(
    component: str,
    scale: float = 1.0,
    model: str = "gs98",
    osc: Oscillation | None = None,
    oscillate: bool = True,
    b8: str = "winter",
) -> list[Spectrum]:
    """The SSM flux of one component at Earth, one :class:`Spectrum` per flavour (nu_e, nu_mu,
    nu_tau; module docstring), times ``scale``.  ``oscillate=False`` gives the produced nu_e;
    ``b8`` chooses the 8B shape."""
    osc = osc or Oscillation()
    flux = ssm_fluxes(model)[component][0] * scale
    out = []
    if component in LINES:
        for _k, f in enumerate(("e", "mu", "tau")):
            for e_line, br in LINES[component]:
                p_line = float(survival_probability(e_line, component, osc, model)) if oscillate else 1.0
                share_line = float(flavour_shares(p_line, osc)[f])
                if share_line > 0:
                    label = f"{component} {e_line:g} MeV ({f})"
                    out.append(Spectrum(f, False, line=e_line, norm=flux * br * share_line, label=label))
        return out
    e, d = shape(component, b8)
    p = survival_probability(e, component, osc, model) if oscillate else np.ones_like(e)
    for f, share in flavour_shares(p, osc).items():
        if np.any(share > 0):
            out.append(Spectrum(f, False, e, flux * d * share, label=f"{component} ({f})"))
    return out


def solar_spectra(
    components=COMPONENTS, model: str = "gs98", osc: Oscillation | None = None
) -> dict[str, list[Spectrum]]:
    """component -> its per-flavour spectra at Earth (:func:`component_spectra`)."""
    return {c: component_spectra(c, 1.0, model, osc) for c in components}


def marker_energy(component: str, threshold: float = 0.0) -> float:
    """Where a component's P_ee point is drawn [MeV]: its strongest line, or the mean energy of
    its spectrum above ``threshold`` (e.g. 5 MeV for 8B, as measured by SNO and Super-K)."""
    if component in LINES:
        return float(max(LINES[component], key=lambda x: x[1])[0])
    e, d = shape(component)
    m = e >= threshold
    return float(np.trapezoid(e[m] * d[m], e[m]) / np.trapezoid(d[m], e[m]))
