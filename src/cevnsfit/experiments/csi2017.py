"""COHERENT CsI[Na] 2017, the first observation of CEvNS (Akimov et al., Science 357, 1123 (2017),
arXiv:1708.01294; data release arXiv:1804.09459, Zenodo DOI 10.5281/zenodo.1228631).

Everything the release gives is read from it (``coherent_parameters.yaml`` and the grids):

* SNS pi-DAR, 0.08 +- 0.008 nu/flavour/POT, L = 19.3 m, 14.57 kg CsI[Na].  The release states the
  exposure as 7.47594 GWh of beam energy; protons on target follow with the SNS beam energy per
  proton of the CsI 2021 release (3.198e23 POT for 13.99 GWh, i.e. 0.983 GeV per proton):
  N_POT = 1.709e23.  (The paper quotes 1.76e23 POT; that would raise every prediction by 3 %.)
* Nuclear recoil T -> E_ee = QF T with the single quenching factor QF = 0.0878 +- 0.0166 ->
  photoelectrons with the light yield 13.348 PE/keVee.  The number n of photoelectrons is
  Poisson with mean QF LY T (the release gives no other smearing); n PE fall in the 1-PE bin
  [n, n+1) and the acceptance f(x) = a/(1 + exp(-k (x - x0))) H(x - 5) is applied, as the release
  prescribes, at that bin's centre n + 1/2 (a = 0.6655, k = 0.4942, x0 = 10.8507; H = 0 below
  5 PE, 1/2 in [5, 6), 1 above).  ES: T_e is E_ee (no quenching).
* Arrival times: the released PDFs of prompt (nu_mu) and delayed (nu_e, nubar_mu) neutrinos in
  0.5-us bins, used as they are.
* Analysis region: 6-30 PE in 2-PE bins x 0-6 us in 0.5-us bins (12 x 12), 547 events in the
  beam-on coincident (C) window, 405 in the anti-coincident (AC) window.
* Backgrounds: prompt neutrons (BRN) from the released PE distribution per GWh times the
  acceptance, times the released prompt-neutron arrival-time PDF, 25 % normalisation
  uncertainty; the steady state (SS) from the AC window of the same exposure (option
  ``csi2017_ss``): by default the product of its PE and time distributions (each summed over
  the other axis) normalised to its total -- beam-unrelated background has no PE-time
  correlation, and the product does not take the Poisson noise of 2.8 counts per bin as the
  truth -- with the Poisson uncertainty of that total (1/sqrt(405) = 5.0 %); ``raw`` uses the AC
  histogram bin by bin.  The beam-off C and AC windows (209 and 207 events) check that the AC
  window estimates the C window's steady state.
* Nuisances: the CEvNS normalisation, 12.2 % (neutrino flux 10 %, acceptance 5 %, form factor
  5 %, as in the paper) or free (option ``csi2017_signal=free``: the paper's fit of the CEvNS
  count); the quenching factor, +-1 sigma templates morphed in; BRN 25 %; SS 5.0 %.

Published: 134 +- 22 CEvNS events fitted, 173 +- 48 predicted.  With the 2021 data set it is not
independent (same detector, overlapping data): use it alone, not combined with ``csi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import yaml
from scipy.special import gammaln

from .. import data
from ..detectors.response import recoil_quadrature
from ..inference.templates import VariantStack, build_templates, morph_weights
from ..physics import cevns
from ..physics.monomials import Points
from ..physics.target import zeff_edges
from ..sources.oscillation import sns_baseline
from . import menu
from .base import Axis, DataSet, Nuisance
from .registry import ExperimentInfo, Option
from .snsbeam import SNSExposure, combine_energy_time_batch, nuclear_quadrature, setup_beam

DIR = "coherent_csi_2017"
#: the released grids: 25 PE bins (2 PE wide, centres 1..49) x 24 time bins (0.5 us, centres 0.25..11.75)
GRID_PE = np.arange(0.0, 50.1, 2.0)
GRID_T = np.arange(0.0, 12.01, 0.5)
#: analysis region (paper): 6-30 PE, t < 6 us
PE_EDGES = np.arange(6.0, 30.1, 2.0)
TIME_EDGES = np.arange(0.0, 6.01, 0.5)
MASS_KG = 14.57
#: POT per GWh of SNS beam energy, from the CsI 2021 release (3.198e23 POT in 13.99 GWh)
POT_PER_GWH = 3.198e23 / 13.99
#: CEvNS normalisation uncertainty besides the quenching factor (paper: flux 10 %, acceptance
#: 5 %, form factor 5 %)
SIGNAL_SIGMA = math.sqrt(0.10**2 + 0.05**2 + 0.05**2)
SS_MODELS = ("marginals", "raw")
SIGNAL_MODELS = ("prior", "free")
N_PE_MAX = 200  # photoelectron counts summed for the Poisson response (mean < 60 PE in the ROI)


@cache
def parameters() -> dict:
    """The release's ``coherent_parameters.yaml``, name -> entry."""
    raw = yaml.safe_load(data.path(f"{DIR}/coherent_parameters.yaml").read_text())
    if not isinstance(raw, dict) or "csiQF" not in raw:
        raise data.DataError(f"{DIR}/coherent_parameters.yaml: not the expected parameter file")
    return raw


def value(name: str) -> float:
    return float(parameters()[name]["value"])


def acceptance_parameters() -> dict[str, float]:
    return {p["name"]: float(p["value"]) for p in parameters()["acceptanceEfficiency"]["parameters"]}


def acceptance(x) -> np.ndarray:
    """f(x) = a/(1 + exp(-k (x - x0))) H(x - 5), x in PE; H = 0 below 5, 1/2 in [5, 6), 1 above
    (the release's acceptance, to be taken at 1-PE bin centres)."""
    p = acceptance_parameters()
    x = np.asarray(x, float)
    step = np.where(x < 5.0, 0.0, np.where(x < 6.0, 0.5, 1.0))
    return p["a"] / (1.0 + np.exp(-p["k"] * (x - p["x_0"]))) * step


def pe_response(mean_pe, edges=PE_EDGES) -> np.ndarray:
    """P(PE bin | mean) for Poisson photoelectron counts n (bin [n, n+1)) times the acceptance at
    n + 1/2: shape (n_bins, n_means).  Bin edges must be integers."""
    lam = np.maximum(np.asarray(mean_pe, float), 1e-300)
    n = np.arange(N_PE_MAX)[:, None]
    pmf = np.exp(n * np.log(lam)[None, :] - lam[None, :] - gammaln(n + 1.0))
    pmf *= acceptance(np.arange(N_PE_MAX) + 0.5)[:, None]
    edges = np.asarray(edges)
    if np.any(edges != np.round(edges)) or edges[-1] > N_PE_MAX:
        raise ValueError(f"PE bin edges must be integers up to {N_PE_MAX}, got {edges.tolist()}")
    cum = np.concatenate([np.zeros((1, lam.size)), np.cumsum(pmf, axis=0)])
    return np.diff(cum[edges.astype(int)], axis=0)


@cache
def grid(name: str) -> np.ndarray:
    """A released (PE, time) count grid, shape (25, 24), from ``data_<name>.txt``."""
    arr = np.loadtxt(
        data.path(f"{DIR}/data_{name}.txt"), delimiter=",", comments="#", skiprows=1 if name.endswith("beamOff") else 0
    )
    if arr.shape != (600, 3):
        raise data.DataError(f"{DIR}/data_{name}.txt: expected 600 rows of (PE, t, counts), got {arr.shape}")
    i = np.digitize(arr[:, 0], GRID_PE) - 1
    j = np.digitize(arr[:, 1], GRID_T) - 1
    if np.any((i < 0) | (i > 24) | (j < 0) | (j > 23)):
        raise data.DataError(f"{DIR}/data_{name}.txt: bin centres outside the released grid")
    h = np.zeros((25, 24))
    np.add.at(h, (i, j), arr[:, 2])
    return h


def roi(h: np.ndarray) -> np.ndarray:
    """The analysis region (6-30 PE, t < 6 us) of a released grid: (12, 12)."""
    i0 = int(np.searchsorted(GRID_PE, PE_EDGES[0]))
    return h[i0 : i0 + PE_EDGES.size - 1, : TIME_EDGES.size - 1]


@cache
def arrival_pdf(kind: str) -> np.ndarray:
    """Released arrival-time PDF (``promptNeutrinos``, ``delayedNeutrinos``, ``promptNeutrons``) in
    the 24 bins of 0.5 us."""
    arr = np.loadtxt(data.path(f"{DIR}/arrivalTimePDF_{kind}.txt"), delimiter=",")
    if arr.shape != (24, 2) or not np.allclose(arr[:, 0], 0.5 * (GRID_T[1:] + GRID_T[:-1])):
        raise data.DataError(f"{DIR}/arrivalTimePDF_{kind}.txt: expected 24 bins of 0.5 us")
    return arr[:, 1]


def brn_template() -> np.ndarray:
    """Prompt neutrons in the analysis region: released PE distribution per GWh (1-PE bins) x
    acceptance at the bin centres x exposure, times the released arrival-time PDF; (12 x 12)."""
    pe = np.loadtxt(data.path(f"{DIR}/promptPDF.txt"), delimiter=",", comments="#")
    if pe.ndim != 2 or pe.shape[1] != 2 or not np.allclose(np.diff(pe[:, 0]), 1.0):
        raise data.DataError(f"{DIR}/promptPDF.txt: expected (PE bin centre, neutrons per GWh) in 1-PE bins")
    counts = pe[:, 1] * acceptance(pe[:, 0]) * value("beamExposure")
    energy = np.histogram(pe[:, 0], bins=PE_EDGES, weights=counts)[0]
    return np.outer(energy, arrival_pdf("promptNeutrons")[: TIME_EDGES.size - 1])


def ss_template(model: str) -> np.ndarray:
    """Steady-state background in the analysis region from the beam-on AC window (12 x 12)."""
    ac = roi(grid("anticoincidence_beamOn"))
    if model == "raw":
        return ac
    return np.outer(ac.sum(axis=1), ac.sum(axis=0)) / ac.sum()


@dataclass(eq=False)
class CsI2017(DataSet):
    """COHERENT CsI 2017 with its model choices; see the module docstring."""

    signal_normalisation = "eta_cevns"  # a class attribute, not a field

    opts: cevns.Options = field(default_factory=cevns.Options)
    es: bool = True
    ss_model: str = "marginals"
    signal: str = "prior"
    r_neutron: dict = field(default_factory=dict)
    per_decade: int = 24
    tie_csi_radius: bool = False
    keyed_templates = True

    def __post_init__(self):
        self.name = "csi2017"
        self.statistic = "poisson"
        self.axes = (Axis("pe", "PE", PE_EDGES), Axis("time", "us", TIME_EDGES))
        self.observed = roi(grid("coincidence_beamOn")).ravel()
        self.ss = ss_template(self.ss_model).ravel()
        self.brn = brn_template().ravel()
        self.qf = value("csiQF")
        self.qf_sigma = float(parameters()["csiQF"]["uncertainty"])
        self.light_yield = value("csiLightYield")
        r = value("neutrinosPerProton")
        exposure = SNSExposure(
            r=r, n_pot=value("beamExposure") * POT_PER_GWH, distance_m=value("distanceToTarget"), t0=0.0, sigma=0.0
        )
        setup_beam(self, exposure, (("Cs", 1), ("I", 1)), MASS_KG)
        self.baseline = sns_baseline(exposure.distance_m)
        self.sensitive_to += menu.measured(self, ("e", "mu"))
        n_ac = float(self.ss.sum())
        flux_sigma = float(parameters()["neutrinosPerProton"]["uncertainty"]) / r
        brn_sigma = float(parameters()["promptNeutronNormalization"]["uncertainty"])
        self.nuisances = (
            Nuisance(
                "eta_cevns",
                0.0,
                SIGNAL_SIGMA if self.signal == "prior" else None,
                f"CEvNS normalisation: flux {flux_sigma:.0%}, acceptance 5%, form factor 5% (Akimov et al. 2017)"
                if self.signal == "prior"
                else "CEvNS normalisation, free",
            ),
            Nuisance("qf", 0.0, 1.0, f"quenching factor {self.qf} +- {self.qf_sigma} (release), in sigma"),
            Nuisance("eta_brn", 0.0, brn_sigma, f"prompt-neutron normalisation {brn_sigma:.0%} (release)"),
            Nuisance(
                "eta_ss",
                0.0,
                1.0 / math.sqrt(n_ac),
                f"steady state: Poisson error of the {n_ac:.0f} anti-coincident events",
            ),
        )
        tn, wn = nuclear_quadrature(self.target, self.per_decade)
        te, we = recoil_quadrature(1e-4, 0.01, zeff_edges(self.target), per_decade=self.per_decade)
        cevns_variants = {}
        for key, qf in (("nominal", self.qf), ("qf+", self.qf + self.qf_sigma), ("qf-", self.qf - self.qf_sigma)):
            resp = pe_response(qf * self.light_yield * tn * 1e3)
            cevns_variants[(key, "nominal")] = build_templates(
                self.spectra, self.target, self.n_molecules, tn, wn, resp, "cevns", self.opts
            )
            if key == "nominal":
                self.channel_inputs["cevns"] = (self.spectra, self.target, self.n_molecules, tn, wn, resp)
        self.templates = {"cevns": cevns_variants}
        self._stack = VariantStack(cevns_variants)
        if self.es:
            resp = pe_response(self.light_yield * te * 1e3)
            self.channel_inputs["es"] = (self.spectra, self.target, self.n_molecules, te, we, resp)
            self.templates["es"] = build_templates(*self.channel_inputs["es"], channel="es", opts=self.opts)
        self.tprob = {
            "prompt": arrival_pdf("promptNeutrinos")[: TIME_EDGES.size - 1],
            "delayed": arrival_pdf("delayedNeutrinos")[: TIME_EDGES.size - 1],
        }
        self._tmat = np.stack([self.tprob[k] for k in self.kinds])  # (K, T)

    # --------------------------------------------------------------------------------------
    def radius_parameters(self) -> dict[str, str]:
        return menu.csi_radius_parameters(self.tie_csi_radius)

    def _parts(self, points: Points, nv: dict, derivatives: bool = False):
        """Signal per channel (n, D, B) (normalisation applied), backgrounds {name: (n, B)} and,
        with ``derivatives``, the exact derivatives of the expected counts by nuisance: the
        CEvNS quenching-factor variants morphed (pyhf code 4p, counts >= 0), the released
        arrival-time PDFs, the normalisations."""
        n = points.n
        raw = self.contract_templates(points)  # cevns (n, D, 3, K, E); es (n, D, K, E)
        ix = self._stack.index
        v = raw["cevns"]
        nom, plus, minus = (v[:, :, ix[(k, "nominal")]] for k in ("nominal", "qf+", "qf-"))
        (wn, wp, wm), (dn, dp, dm) = morph_weights(nv["qf"])
        w = lambda a: a[:, None, None, None]  # noqa: E731
        morphed = w(wn) * nom + w(wp) * plus + w(wm) * minus
        energy = {"cevns": np.maximum(morphed, 0.0)}
        if self.es:
            energy["es"] = raw["es"]
        tk = np.broadcast_to(self._tmat, (n,) + self._tmat.shape)
        norm = (1.0 + nv["eta_cevns"])[:, None, None]
        sig = {ch: norm * combine_energy_time_batch(e, tk) for ch, e in energy.items()}
        bkg = {"brn": (1.0 + nv["eta_brn"])[:, None] * self.brn, "ss": (1.0 + nv["eta_ss"])[:, None] * self.ss}
        d = None
        if derivatives:
            e0 = sum(e[:, :1] for e in energy.values())
            d = {
                "eta_cevns": combine_energy_time_batch(e0, tk)[:, 0],
                "eta_brn": np.broadcast_to(self.brn, (n, self.brn.size)),
                "eta_ss": np.broadcast_to(self.ss, (n, self.ss.size)),
            }
            dmorph = (morphed[:, :1] > 0.0) * (w(dn) * nom[:, :1] + w(dp) * plus[:, :1] + w(dm) * minus[:, :1])
            d["qf"] = norm[:, 0] * combine_energy_time_batch(dmorph, tk)[:, 0]
        return sig, bkg, d

    def predict_points(self, points: Points, nuis: dict, derivatives: bool = False):
        sig, bkg, d = self._parts(points, nuis, derivatives)
        out = sum(sig.values())
        out[:, 0] += sum(bkg.values())
        return out, d


def _build(
    opts: cevns.Options,
    es: bool,
    csi2017_ss: str,
    csi2017_signal: str,
    zp_model: str = "universal",
    tie_csi_radius: bool = False,
) -> CsI2017:
    return CsI2017(
        opts=menu.with_zp_model(opts, zp_model),
        es=es,
        ss_model=csi2017_ss,
        signal=csi2017_signal,
        tie_csi_radius=tie_csi_radius,
    )


INFO = ExperimentInfo(
    name="csi2017",
    title="COHERENT CsI[Na] 2017 (first observation)",
    reference="Science 357, 1123 (2017), arXiv:1708.01294; data release arXiv:1804.09459",
    data_sets=("coherent_csi_2017",),
    default_es=True,
    build=_build,
    options=(
        Option(
            "csi2017_ss",
            "marginals",
            "CsI 2017 steady state from the anti-coincident window: marginals "
            "(its PE x time marginals, smooth) or raw (the histogram bin by bin)",
            choices=SS_MODELS,
        ),
        Option(
            "csi2017_signal",
            "prior",
            "CsI 2017 CEvNS normalisation: prior (12% flux, acceptance, form "
            "factor) or free (the paper's fit of the CEvNS count)",
            choices=SIGNAL_MODELS,
        ),
        menu.ZP_MODEL,
        menu.TIE_CSI_RADIUS,
    ),
)
