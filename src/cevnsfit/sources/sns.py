"""Neutrinos from pion decay at rest (pi-DAR) at the SNS: energy spectra and arrival times.

Energy spectra (docs/physics.md), each normalised to one neutrino (times ``fluence``):

* prompt nu_mu from pi+ -> mu+ nu_mu: a line at E0 = (m_pi^2 - m_mu^2) / (2 m_pi) = 29.792 MeV;
* delayed nu_e from mu+ -> e+ nu_e nubar_mu:  (192/m_mu) (E/m_mu)^2 (1/2 - E/m_mu),
* delayed nubar_mu:                           (64/m_mu) (E/m_mu)^2 (3/4 - E/m_mu),
  both for 0 < E < m_mu/2 (Michel spectra without radiative corrections, electron mass neglected).
  Mean energies: <E_nue> = 3 m_mu / 10 = 31.70 MeV, <E_nubarmu> = 7 m_mu / 20 = 36.98 MeV
  (x = E/m_mu: 192 int_0^1/2 x^3 (1/2 - x) dx = 3/10, 64 int_0^1/2 x^3 (3/4 - x) dx = 7/20).

The delayed spectra are tabulated on ``n_grid`` (default 20001) equally spaced points of
[0, m_mu/2] and handed to :class:`cevnsfit.sources.flux.Spectrum`, which interpolates linearly.
Fluence per flavour: Phi = r N_POT / (4 pi L^2) (:func:`fluence_per_flavour`).

Arrival times (microseconds).  The proton-on-target (POT) trace is a Gaussian G(t; t0, sigma)
(CENNS-10 LAr release: t0 = 0.44 +- 0.2 us, sigma = 0.15 us).  With the exponential decay laws
f_tau(t) = exp(-t/tau)/tau (t > 0) of the pion (tau_pi = 26.033 ns) and muon (tau_mu = 2.19698 us):

* prompt nu_mu:       p_P(t) = G * f_pi = EMG(t; t0, sigma, tau_pi)
* delayed nu_e, nubar_mu: p_D(t) = G * f_pi * f_mu.  Since
  f_pi * f_mu (t) = (e^(-t/tau_mu) - e^(-t/tau_pi)) / (tau_mu - tau_pi)
                  = (tau_mu f_mu - tau_pi f_pi) / (tau_mu - tau_pi),
  p_D(t) = (tau_mu EMG(t; tau_mu) - tau_pi EMG(t; tau_pi)) / (tau_mu - tau_pi).

EMG is the exponentially-modified Gaussian; with u = t - t0, z = (sigma/tau - u/sigma)/sqrt(2):

  EMG(t) = (1/tau) exp(sigma^2/(2 tau^2) - u/tau) Phi(u/sigma - sigma/tau)
         = (1/(2 tau)) exp(-u^2/(2 sigma^2)) erfcx(z)         (used for z >= 0: no overflow)
         = (1/(2 tau)) exp(sigma^2/(2 tau^2) - u/tau) erfc(z)  (used for z < 0: erfc(z) in (1, 2])

and its CDF is F(t) = Phi(u/sigma) - tau EMG(t).  Hence the delayed CDF is
F_D(t) = Phi(u/sigma) - (tau_mu^2 EMG_mu - tau_pi^2 EMG_pi) / (tau_mu - tau_pi).
Means: <t>_P = t0 + tau_pi, <t>_D = t0 + tau_pi + tau_mu.

:func:`time_bin_probabilities` gives the probability of each time bin as a CDF difference, so a
timing-offset nuisance is just a shift of ``t0`` (cheap, exact).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc, erfcx, ndtr

from cevnsfit.constants import M_MU, M_PI, TAU_MU_US, TAU_PI_US
from cevnsfit.sources.flux import Spectrum

__all__ = [
    "AR_POT_MEAN_US",
    "AR_POT_SIGMA_US",
    "E_MAX_DELAYED",
    "E_PROMPT",
    "SPECIES_TIME_KIND",
    "TIME_KINDS",
    "delayed_time_cdf",
    "delayed_time_pdf",
    "emg_cdf",
    "emg_pdf",
    "fluence_per_flavour",
    "nue_density",
    "numubar_density",
    "pion_dar_spectra",
    "prompt_time_cdf",
    "prompt_time_pdf",
    "time_bin_probabilities",
    "time_cdf",
    "time_pdf",
]

#: Energy of the prompt nu_mu line [MeV]: (m_pi^2 - m_mu^2) / (2 m_pi) = 29.792 MeV.
E_PROMPT = (M_PI**2 - M_MU**2) / (2.0 * M_PI)
#: Endpoint of the delayed spectra [MeV]: m_mu / 2 = 52.83 MeV.
E_MAX_DELAYED = M_MU / 2.0
#: CENNS-10 LAr 2020 release (LArParametersAnlA.yaml): Gaussian POT trace mean and width [us].
AR_POT_MEAN_US = 0.44
AR_POT_SIGMA_US = 0.15

#: Arrival-time kinds and the species that follow them.
TIME_KINDS = ("prompt", "delayed")
SPECIES_TIME_KIND = {"nu_mu": "prompt", "nu_e": "delayed", "nubar_mu": "delayed"}


# --- energy spectra ------------------------------------------------------------------------
def nue_density(energy) -> np.ndarray:
    """Delayed nu_e spectrum dN/dE [1/MeV], unit normalised: (192/m)(E/m)^2 (1/2 - E/m), 0 < E < m/2."""
    x = np.asarray(energy, float) / M_MU
    return np.where((x >= 0) & (x <= 0.5), 192.0 / M_MU * x**2 * (0.5 - x), 0.0)


def numubar_density(energy) -> np.ndarray:
    """Delayed nubar_mu spectrum dN/dE [1/MeV], unit normalised: (64/m)(E/m)^2 (3/4 - E/m), 0 < E < m/2."""
    x = np.asarray(energy, float) / M_MU
    return np.where((x >= 0) & (x <= 0.5), 64.0 / M_MU * x**2 * (0.75 - x), 0.0)


def pion_dar_spectra(fluence: float = 1.0, n_grid: int = 20001) -> list[Spectrum]:
    """The three pi-DAR species, each integrating to ``fluence`` (e.g. nu / cm^2 per flavour).

    Returns ``[prompt nu_mu (line at E_PROMPT), delayed nu_e, delayed nubar_mu]``; the delayed
    spectra are tabulated on ``n_grid`` equally spaced energies of [0, m_mu/2] MeV.
    """
    if not (np.isfinite(fluence) and fluence >= 0):
        raise ValueError("fluence must be finite and non-negative")
    if n_grid < 2001:
        raise ValueError("n_grid must be >= 2001 (default 20001)")
    e = np.linspace(0.0, E_MAX_DELAYED, int(n_grid))
    return [
        Spectrum("mu", False, line=E_PROMPT, norm=float(fluence), label="SNS prompt nu_mu"),
        Spectrum("e", False, e, fluence * nue_density(e), label="SNS delayed nu_e"),
        Spectrum("mu", True, e, fluence * numubar_density(e), label="SNS delayed nubar_mu"),
    ]


def fluence_per_flavour(r: float, n_pot: float, distance_m: float) -> float:
    """Neutrino fluence per flavour [cm^-2]: r N_POT / (4 pi L^2), L = ``distance_m`` in metres.

    ``r``: neutrinos per flavour per proton on target (CsI 2021: 0.0848; Ar 2020: 0.09).
    E.g. CsI 2021: fluence_per_flavour(0.0848, 3.198e23, 19.3) = 5.8e14 cm^-2.
    """
    if not (r >= 0 and n_pot >= 0 and distance_m > 0):
        raise ValueError("need r >= 0, n_pot >= 0 and distance_m > 0")
    l_cm = 100.0 * distance_m
    return float(r * n_pot / (4.0 * math.pi * l_cm**2))


# --- arrival times --------------------------------------------------------------------------
def _check(sigma, tau):
    if not (np.all(np.asarray(sigma) > 0) and np.all(np.isfinite(sigma))):
        raise ValueError("sigma (POT trace width, us) must be positive and finite")
    if not (tau > 0 and np.isfinite(tau)):
        raise ValueError("lifetimes must be positive and finite")


def emg_pdf(t, t0, sigma, tau) -> np.ndarray:
    """Exponentially-modified Gaussian: N(t0, sigma) convolved with exp(-t/tau)/tau (t, t0, sigma,
    tau in the same unit).  Numerically stable for any t (erfcx for z >= 0, erfc for z < 0)."""
    _check(sigma, tau)
    u = np.asarray(t, float) - t0
    sigma = np.asarray(sigma, float)
    z = (sigma / tau - u / sigma) / math.sqrt(2.0)
    with np.errstate(over="ignore", under="ignore"):
        pos = (np.exp(-0.5 * (u / sigma) ** 2) * erfcx(np.maximum(z, 0.0))) / (2.0 * tau)
        # z < 0 means u > sigma^2/tau, so there the exponent sigma^2/(2 tau^2) - u/tau is
        # < -sigma^2/(2 tau^2) < 0; the cap only guards the discarded branch of np.where
        neg = np.exp(np.minimum(0.5 * (sigma / tau) ** 2 - u / tau, 700.0)) * erfc(np.minimum(z, 0.0)) / (2.0 * tau)
    return np.where(z >= 0, pos, neg)


def emg_cdf(t, t0, sigma, tau) -> np.ndarray:
    """CDF of :func:`emg_pdf`: Phi((t - t0)/sigma) - tau * EMG(t)."""
    u = np.asarray(t, float) - t0
    return np.clip(ndtr(u / np.asarray(sigma, float)) - tau * emg_pdf(t, t0, sigma, tau), 0.0, 1.0)


def prompt_time_pdf(t, t0: float, sigma: float, tau_pi: float = TAU_PI_US) -> np.ndarray:
    """Arrival-time density [1/us] of prompt nu_mu: Gaussian(t0, sigma) (x) exp(tau_pi); t in us."""
    return emg_pdf(t, t0, sigma, tau_pi)


def prompt_time_cdf(t, t0: float, sigma: float, tau_pi: float = TAU_PI_US) -> np.ndarray:
    """P(arrival < t) for prompt nu_mu (closed form)."""
    return emg_cdf(t, t0, sigma, tau_pi)


def delayed_time_pdf(t, t0: float, sigma: float, tau_pi: float = TAU_PI_US, tau_mu: float = TAU_MU_US) -> np.ndarray:
    """Arrival-time density [1/us] of delayed nu_e / nubar_mu:
    Gaussian (x) exp(tau_pi) (x) exp(tau_mu) = (tau_mu EMG_mu - tau_pi EMG_pi) / (tau_mu - tau_pi)."""
    _check(sigma, tau_mu)
    if tau_mu == tau_pi:
        raise ValueError("tau_mu and tau_pi must differ")
    p = (tau_mu * emg_pdf(t, t0, sigma, tau_mu) - tau_pi * emg_pdf(t, t0, sigma, tau_pi)) / (tau_mu - tau_pi)
    return np.maximum(p, 0.0)


def delayed_time_cdf(t, t0: float, sigma: float, tau_pi: float = TAU_PI_US, tau_mu: float = TAU_MU_US) -> np.ndarray:
    """P(arrival < t) for delayed nu_e / nubar_mu:
    Phi((t - t0)/sigma) - (tau_mu^2 EMG_mu - tau_pi^2 EMG_pi) / (tau_mu - tau_pi)."""
    _check(sigma, tau_mu)
    if tau_mu == tau_pi:
        raise ValueError("tau_mu and tau_pi must differ")
    u = np.asarray(t, float) - t0
    c = ndtr(u / np.asarray(sigma, float)) - (
        tau_mu**2 * emg_pdf(t, t0, sigma, tau_mu) - tau_pi**2 * emg_pdf(t, t0, sigma, tau_pi)
    ) / (tau_mu - tau_pi)
    return np.clip(c, 0.0, 1.0)


def _kind(kind: str) -> str:
    k = SPECIES_TIME_KIND.get(kind, kind)
    if k not in TIME_KINDS:
        raise ValueError(
            f"unknown time distribution {kind!r}; allowed: {TIME_KINDS} or species {tuple(SPECIES_TIME_KIND)}"
        )
    return k


def time_pdf(t, kind: str, t0: float, sigma: float, **taus) -> np.ndarray:
    """Arrival-time density for ``kind`` = "prompt" / "delayed" (or a species name "nu_mu",
    "nu_e", "nubar_mu")."""
    return (prompt_time_pdf if _kind(kind) == "prompt" else delayed_time_pdf)(t, t0, sigma, **taus)


def time_cdf(t, kind: str, t0: float, sigma: float, **taus) -> np.ndarray:
    """Arrival-time CDF for ``kind`` (see :func:`time_pdf`)."""
    return (prompt_time_cdf if _kind(kind) == "prompt" else delayed_time_cdf)(t, t0, sigma, **taus)


def time_bin_probabilities(edges, kind: str, t0: float, sigma: float, **taus) -> np.ndarray:
    """Probability of arriving in each bin [edges[i], edges[i+1]) [us] (CDF differences).

    ``edges`` must be increasing; a timing offset is applied by shifting ``t0``.  The result does
    not sum to one unless the edges cover the whole distribution.
    """
    edges = np.asarray(edges, float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
        raise ValueError("edges must be a finite, strictly increasing 1D array with >= 2 entries")
    return np.maximum(np.diff(time_cdf(edges, kind, t0, sigma, **taus)), 0.0)
