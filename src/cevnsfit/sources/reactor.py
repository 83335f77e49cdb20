"""Reactor electron-antineutrino spectra for Dresden-II (docs/physics.md).

Three models, each a high-energy part (E >= 2 MeV) joined to a low-energy part (E < 2 MeV):

======  ==========================================  ==========================================
model   E >= 2 MeV                                  E < 2 MeV
======  ==========================================  ==========================================
hmve    Huber (235U, 239Pu, 241Pu) + Mueller (238U)  Vogel-Engel exp(a0 + a1 E + a2 E^2)
hmk     Huber + Mueller                             Kopeikin + nu-bar from n capture on 238U
efk     Estienne-Fallot 2019 (SM-2018)              Kopeikin + nu-bar from n capture on 238U
======  ==========================================  ==========================================

Sources: P. Huber, PRC 84, 024617 (2011); Th. A. Mueller et al., PRC 83, 054615 (2011);
P. Vogel & J. Engel, PRD 39, 3378 (1989); M. Estienne, M. Fallot et al., PRL 123, 022502 (2019);
V. I. Kopeikin, Phys. At. Nucl. 75, 143 (2012).  Dresden-II: Colaresi et al., PRL 129, 211802
(2022).  The files and their provenance are described in docs/data.md (release reactor_spectra).

Choices (all documented here, and in the docstrings below):

* Per fission, S(E) = sum_i f_i S_i(E) + c * S_cap(E) [nu-bar / MeV / fission]: the per-isotope
  spectra (nu-bar per fission of isotope i) are weighted by the fission fractions f_i, and the
  capture spectrum (nu-bar per capture) by c = captures per fission.  S_cap only enters the
  Kopeikin low-energy part (hmk, efk); it vanishes above its 1.29 MeV end point anyway.
* Capture spectrum: the digitised table integrates to 1.01, i.e. it is a unit-normalised shape.
  Each 238U(n,gamma) is followed by two beta decays (239U -> 239Np -> 239Pu), so it is rescaled
  to NU_PER_CAPTURE = 2 nu-bar per capture.  Cross-check (tested): Kopeikin's total reactor
  spectrum exceeds the fission-only Kopeikin mixture by ~1.1 nu-bar/fission in 0.1-1.3 MeV, i.e.
  0.6 captures x ~1.9 nu-bar; a unit-normalised capture spectrum would give only 0.58.
* Huber-Mueller: Huber's own distributed tables (*-anti-neutrino-flux-250keV.dat, 5 digits) for
  235U/239Pu/241Pu; Mueller's summation 238U spectrum, column "U238 450d" (equilibrium).  Tables
  are used on [2, 8] MeV; on (8, 10] MeV the published exp(5th-order polynomial) fits are used
  unchanged (switch exactly at 8 MeV; the fits lie 9-17 % below the last table point at 8.0 MeV,
  which is within the tables' 7-29 % errors there, and carry < 0.03 % of the nu-bar).
* Estienne-Fallot: the 450-day columns for 235U, 239Pu, 241Pu (and the only 238U one, 450 d):
  Dresden-II is a commercial BWR whose fuel has been irradiated for months to years, so
  long-lived fission products are near equilibrium.  Above 2 MeV, 450 d and 12 h/1.5 d differ
  by ~1 % in nu-bar per fission.  The 100-keV bin averages are treated as values at bin centres.
* Interpolation: log-linear (linear in log S vs E) for all tables of positive spectra; linear for
  the capture table (it reaches zero at its end point; a point (0, 0) is prepended since a beta
  nu-bar spectrum vanishes as E^2 at E -> 0).  Tables are zero outside their range.
* Join: the high part is used for E >= 2 MeV, the low part for E < 2 MeV.  The step at 2 MeV is
  kept (grid points at 2 MeV - 1e-9 MeV and 2 MeV); there is no smoothing.
* Grid: 0.01 MeV to emax (default 10 MeV) in 2 keV steps; the spectrum is zero outside.
* Normalisation (``normalisation``), two choices:

  - ``"total"``: the whole spectrum is scaled so that its trapezoidal integral over this grid
    equals ``total_flux`` (Dresden-II: 4.8e13 /cm^2/s, Colaresi et al. 2022; the procedure of
    the reference analyses).  4.8e13 corresponds to about 7.2 nu-bar per fission at 2.96 GW_th and
    10.39 m, i.e. to a spectrum with the capture nu-bar; a model with fewer nu-bar per fission
    (hmve: 5.24, no capture part) has its whole spectrum, also above the CEvNS threshold, scaled
    up to that total.
  - ``"fission"``: ``total_flux`` applied to the *fission* nu-bar alone (E < 2 MeV and E >= 2 MeV),
    the capture nu-bar added in their per-fission proportion.  This is how the public analysis
    code of Coloma et al., JHEP 05 (2022) 037 normalises the Dresden-II flux (each isotope's
    fission spectrum normalised to one, weighted by the fission fractions, times 4.8e13, the capture
    spectrum added on top); for hmve, which has no capture part, it is the same as ``"total"``.
  - ``"power"``: the physical flux, fission rate x spectrum per fission / (4 pi L^2), the fission
    rate being the thermal power over the mean energy released per fission,
    sum_i f_i E_i, with E_i from Ma et al., PRC 88, 014605 (2013) (:data:`ENERGY_PER_FISSION`;
    205.8 MeV for the default fractions).  2.96 GW_th and 10.39 m give 6.62e12 fissions
    /cm^2/s at the detector; hmve then gives 3.47e13, hmk 4.51e13, efk 4.47e13 nu-bar /cm^2/s.

Per fission (default fractions and 0.6 captures): hmve 5.24 nu-bar (1.61 above 2 MeV, 3.63
below, no capture), hmk 6.81 (1.61 + 4.00 + 1.20 from captures), efk 6.75 (1.55 + 4.00 + 1.20).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np

from .. import data
from .flux import Spectrum

MODELS = ("hmve", "hmk", "efk")
ISOTOPES = ("U235", "Pu239", "U238", "Pu241")  # order of docs/physics.md
DEFAULT_FISSION_FRACTIONS = (0.58, 0.29, 0.08, 0.05)
SOURCES = ("huber_mueller", "hm_fit", "vogel_engel", "kopeikin", "estienne_fallot")
E_JOIN = 2.0  # MeV, high part for E >= E_JOIN
E_TABLE_MAX = 8.0  # MeV, end of the Huber/Mueller tables
E_MAX = 10.0  # MeV, spectra are zero above
E_MIN = 0.01  # MeV, start of the grid
STEP = 0.002  # MeV, grid step
NU_PER_CAPTURE = 2.0  # 239U and 239Np beta decays
NORMALISATIONS = ("total", "power", "fission")
#: mean energy released per fission [MeV] (thermal reactor, neutrino energy excluded): X. B. Ma,
#: W. L. Zhong, L. Z. Wang, Y. X. Chen, J. Cao, Phys. Rev. C 88, 014605 (2013), Table VI
ENERGY_PER_FISSION = {"U235": 202.36, "Pu239": 211.12, "U238": 205.99, "Pu241": 214.26}
#: Dresden-II: thermal power [GW] and distance from the core to the detector [m] (Colaresi et al. 2022)
DRESDEN_POWER_GW, DRESDEN_DISTANCE_M = 2.96, 10.39
MEV_J = 1.602176634e-13

_FILES = {
    "huber": "reactor_spectra/huber2011/{iso}-anti-neutrino-flux-250keV.dat",
    "mueller": "reactor_spectra/mueller2011/mueller_et_al2011.txt",
    "ef": "reactor_spectra/estienne_fallot2019/estienne2018_SM2018_spectra.txt",
    "kopeikin": "reactor_spectra/low_energy/spectraMeV{iso}.txt",
    "capture": "reactor_spectra/low_energy/spectraMeVU238Ncapture.txt",
    "ve": "reactor_spectra/parametric/vogel_engel_1989_coefficients.txt",
    "hm_fit": "reactor_spectra/parametric/huber_mueller_2011_exp_poly5_coefficients.txt",
}
_MUELLER_U238_COL = 5  # "U238 450d"
_EF_COL = {"U235": 2, "Pu239": 4, "Pu241": 6, "U238": 7}  # the 450 d columns


@cache
def _rows(name: str) -> np.ndarray:
    """Numeric rows of a whitespace-separated table (header/comment lines skipped)."""
    rows = []
    for line in data.path(name).read_text().splitlines():
        tok = line.split()
        try:
            rows.append([float(t) for t in tok])
        except ValueError:
            continue
    width = max(len(r) for r in rows)
    return np.array([r for r in rows if len(r) == width])


@cache
def _coefficients(name: str) -> dict[str, np.ndarray]:
    """``isotope a0 a1 ...`` lines of a transcribed coefficient file."""
    out = {}
    for line in data.path(name).read_text().splitlines():
        tok = line.split()
        if tok and tok[0] in ISOTOPES:
            out[tok[0]] = np.array([float(t) for t in tok[1:]])
    return out


def _check_isotope(isotope: str) -> None:
    if isotope not in ISOTOPES:
        raise ValueError(f"unknown isotope {isotope!r}; allowed: {ISOTOPES}")


@cache
def _table(source: str, isotope: str) -> tuple[np.ndarray, np.ndarray]:
    """(E [MeV], nu-bar/MeV/fission) of one tabulated per-isotope spectrum."""
    if source == "huber_mueller":
        if isotope == "U238":
            t = _rows(_FILES["mueller"])
            return t[:, 0], t[:, _MUELLER_U238_COL]
        t = _rows(_FILES["huber"].format(iso=isotope))
        return t[:, 0], t[:, 1]
    if source == "kopeikin":
        t = _rows(_FILES["kopeikin"].format(iso=isotope))
        return t[:, 0], t[:, 1]
    if source == "estienne_fallot":
        t = _rows(_FILES["ef"])
        return t[:, 0], t[:, _EF_COL[isotope]]
    raise ValueError(f"no table for source {source!r}")


def _loglin(x: np.ndarray, y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Log-linear interpolation of a positive table; zero outside [x[0], x[-1]]."""
    out = np.exp(np.interp(e, x, np.log(y)))
    return np.where((e >= x[0]) & (e <= x[-1]), out, 0.0)


def hm_fit(isotope: str, energies) -> np.ndarray:
    """exp(sum_k a_k E^k), k = 0..5: Huber 2011 (235U, 239Pu, 241Pu) / Mueller 2011 (238U) fits,
    nu-bar/MeV/fission, evaluated at every energy given (published range of validity 2-8 MeV)."""
    _check_isotope(isotope)
    a = _coefficients(_FILES["hm_fit"])[isotope]
    return np.exp(np.polyval(a[::-1], np.asarray(energies, float)))


def isotope_spectrum(isotope: str, source: str, energies) -> np.ndarray:
    """nu-bar per MeV per fission of ``isotope`` at ``energies`` [MeV] from one source.

    source:
      * "huber_mueller": Huber (235U, 239Pu, 241Pu) / Mueller 450 d (238U) table on [2, 8] MeV,
        extended on (8, 10] MeV with :func:`hm_fit`; zero elsewhere.
      * "hm_fit": the exp-poly5 fit alone, everywhere.
      * "vogel_engel": exp(a0 + a1 E + a2 E^2), Vogel & Engel 1989, for E > 0.
      * "kopeikin": Kopeikin's per-isotope table (0.0078-8 MeV), used below 2 MeV.
      * "estienne_fallot": SM-2018 450 d columns (0.05-10.05 MeV bin centres).
    """
    _check_isotope(isotope)
    e = np.asarray(energies, float)
    if source == "huber_mueller":
        table = _loglin(*_table(source, isotope), e)
        ext = np.where((e > E_TABLE_MAX) & (e <= E_MAX), hm_fit(isotope, e), 0.0)
        return np.where(e <= E_TABLE_MAX, table, ext)
    if source == "hm_fit":
        return hm_fit(isotope, e)
    if source == "vogel_engel":
        a = _coefficients(_FILES["ve"])[isotope]
        return np.where(e > 0, np.exp(a[0] + a[1] * e + a[2] * e**2), 0.0)
    if source in ("kopeikin", "estienne_fallot"):
        return _loglin(*_table(source, isotope), e)
    raise ValueError(f"unknown source {source!r}; allowed: {SOURCES}")


@cache
def _capture_table() -> tuple[np.ndarray, np.ndarray]:
    t = _rows(_FILES["capture"])
    t = t[np.argsort(t[:, 0], kind="stable")]  # the digitised points are not all in order
    x, y = np.r_[0.0, t[:, 0]], np.r_[0.0, t[:, 1]]
    return x, y * NU_PER_CAPTURE / np.trapezoid(y, x)


def capture_spectrum(energies) -> np.ndarray:
    """nu-bar per MeV per neutron capture on 238U (239U and 239Np beta decays; Kopeikin 2012),
    normalised to NU_PER_CAPTURE = 2; linear interpolation, zero above the 1.29 MeV end point."""
    x, y = _capture_table()
    return np.interp(np.asarray(energies, float), x, y, left=0.0, right=0.0)


def _fractions(fission_fractions) -> np.ndarray:
    if fission_fractions is None:
        f = np.array(DEFAULT_FISSION_FRACTIONS, float)
    elif isinstance(fission_fractions, Mapping):
        unknown = set(fission_fractions) - set(ISOTOPES)
        if unknown:
            raise ValueError(f"unknown isotopes {sorted(unknown)}; allowed: {ISOTOPES}")
        f = np.array([float(fission_fractions.get(i, 0.0)) for i in ISOTOPES])
    else:
        f = np.asarray(fission_fractions, float)
        if f.shape != (4,):
            raise ValueError(f"fission_fractions needs 4 values in the order {ISOTOPES}")
    if not np.all(np.isfinite(f)) or np.any(f < 0):
        raise ValueError(f"fission fractions must be finite and non-negative, got {f}")
    if abs(f.sum() - 1.0) > 0.01:
        raise ValueError(f"fission fractions must sum to 1 (within 0.01), got {f.sum():.4f}")
    return f / f.sum()


def _grid(emax: float) -> np.ndarray:
    n_lo = round((E_JOIN - E_MIN) / STEP)
    n_hi = int(np.ceil((emax - E_JOIN) / STEP - 1e-9))
    lo = np.append(np.linspace(E_MIN, E_JOIN, n_lo + 1)[:-1], E_JOIN - 1e-9)
    return np.concatenate([lo, np.linspace(E_JOIN, emax, n_hi + 1)])


def components(
    model: str = "hmve", fission_fractions=None, captures_per_fission: float = 0.6, emax: float = E_MAX
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The un-normalised parts of a model on its energy grid, in nu-bar/MeV/fission.

    Returns ``(energies, {"high": ..., "low": ..., "capture": ...})``: fission nu-bar at
    E >= 2 MeV, fission nu-bar at E < 2 MeV, and captures_per_fission x capture spectrum (zero
    for hmve).  Their sum is the per-fission spectrum; integrate with ``np.trapezoid``.
    """
    model = model.lower() if isinstance(model, str) else model
    if model not in MODELS:
        raise ValueError(f"unknown reactor model {model!r}; allowed: {MODELS}")
    f = _fractions(fission_fractions)
    c = float(captures_per_fission)
    if not (np.isfinite(c) and c >= 0):
        raise ValueError(f"captures_per_fission must be finite and >= 0, got {captures_per_fission}")
    emax = float(emax)
    if not (np.isfinite(emax) and E_JOIN < emax <= E_MAX):
        raise ValueError(f"emax must be in ({E_JOIN}, {E_MAX}] MeV, got {emax}")
    e = _grid(emax)
    hi_src = "estienne_fallot" if model == "efk" else "huber_mueller"
    lo_src = "vogel_engel" if model == "hmve" else "kopeikin"
    high = sum(fi * isotope_spectrum(i, hi_src, e) for fi, i in zip(f, ISOTOPES, strict=True))
    low = sum(fi * isotope_spectrum(i, lo_src, e) for fi, i in zip(f, ISOTOPES, strict=True))
    cap = c * capture_spectrum(e) if model != "hmve" else np.zeros_like(e)
    above = e >= E_JOIN
    return e, {
        "high": np.where(above, high, 0.0),
        "low": np.where(above, 0.0, low),
        "capture": np.where(above, 0.0, cap),
    }


def fission_flux(
    fission_fractions=None, thermal_power_gw: float = DRESDEN_POWER_GW, distance_m: float = DRESDEN_DISTANCE_M
) -> float:
    """Fissions per cm^2 per s at the detector: P / (sum_i f_i E_i) / (4 pi L^2), with the energies
    per fission of :data:`ENERGY_PER_FISSION` (Ma et al. 2013).  Dresden-II: 6.62e12."""
    f = _fractions(fission_fractions)
    p, d = float(thermal_power_gw), float(distance_m)
    if not (np.isfinite(p) and p > 0 and np.isfinite(d) and d > 0):
        raise ValueError(f"thermal power and distance must be positive, got {thermal_power_gw} GW, {distance_m} m")
    e_fission = sum(fi * ENERGY_PER_FISSION[i] for fi, i in zip(f, ISOTOPES, strict=True)) * MEV_J
    return p * 1e9 / e_fission / (4.0 * np.pi * (100.0 * d) ** 2)


def nu_per_fission(
    model: str = "hmve", fission_fractions=None, captures_per_fission: float = 0.6, emax: float = E_MAX
) -> dict[str, float]:
    """nu-bar per fission of a model by part: {"high": E >= 2 MeV, "low": fission nu-bar below,
    "capture": from 238U neutron captures, "total": their sum, "above_1.8": E > 1.8 MeV}
    (trapezoidal integrals over the model's grid)."""
    e, parts = components(model, fission_fractions, captures_per_fission, emax)
    out = {k: float(np.trapezoid(v, e)) for k, v in parts.items()}
    out["total"] = out["high"] + out["low"] + out["capture"]
    s = parts["high"] + parts["low"] + parts["capture"]
    out["above_1.8"] = float(np.trapezoid(np.where(e >= 1.8, s, 0.0), e))
    return out


def reactor_spectrum(
    model: str = "hmve",
    fission_fractions=None,
    captures_per_fission: float = 0.6,
    total_flux: float = 4.8e13,
    emax: float = E_MAX,
    normalisation: str = "total",
    thermal_power_gw: float = DRESDEN_POWER_GW,
    distance_m: float = DRESDEN_DISTANCE_M,
) -> Spectrum:
    """Dresden-II electron-antineutrino flux spectrum dPhi/dE [nu-bar cm^-2 s^-1 MeV^-1].

    Parameters
    ----------
    model : "hmve", "hmk" or "efk" (case-insensitive); see the module docstring.
    fission_fractions : None (default (0.58, 0.29, 0.08, 0.05)), 4 numbers in the order
        (U235, Pu239, U238, Pu241), or a mapping isotope -> fraction (missing isotopes = 0).
        Negative or non-finite values raise ValueError; a sum differing from 1 by more than 0.01
        raises ValueError, a smaller deviation is normalised away.
    captures_per_fission : 238U neutron captures per fission (default 0.6), each giving 2 nu-bar.
    total_flux : with ``normalisation="total"``, the integral of the spectrum over 0.01 MeV..emax
        [nu-bar cm^-2 s^-1], > 0.
    emax : end of the spectrum [MeV], in (2, 10]; the spectrum is zero above.
    normalisation : "total" (scaled to ``total_flux``), "fission" (its fission nu-bar scaled to
        ``total_flux``) or "power" (fission rate from ``thermal_power_gw`` at ``distance_m`` x
        spectrum per fission); see the module docstring.
    """
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown reactor flux normalisation {normalisation!r}; allowed: {', '.join(NORMALISATIONS)}")
    tf = float(total_flux)
    if not (np.isfinite(tf) and tf > 0):
        raise ValueError(f"total_flux must be positive and finite, got {total_flux}")
    e, parts = components(model, fission_fractions, captures_per_fission, emax)
    per_fission = parts["high"] + parts["low"] + parts["capture"]
    if normalisation == "total":
        scale = tf / np.trapezoid(per_fission, e)
    elif normalisation == "fission":
        scale = tf / np.trapezoid(parts["high"] + parts["low"], e)
    else:
        scale = fission_flux(fission_fractions, thermal_power_gw, distance_m)
    return Spectrum(
        flavour="e",
        antineutrino=True,
        energies=e,
        density=per_fission * scale,
        label=f"Dresden-II reactor nubar_e ({model.upper()}, {normalisation})",
    )
