"""COHERENT CsI[Na] 2021 (PRL 129 (2022) 081801, arXiv:2110.07730; data release = its ancillary files).

Pipeline:

* SNS pi-DAR, r = 0.0848 nu/flavour/POT, 3.198e23 POT, L = 19.3 m; 14.6 kg CsI.
* Nuclear recoil T -> E_ee(T) from the release's quenching polynomial (nominal, and the +-1 sigma
  variants of its two systematic models) -> photoelectrons x with the Gamma smearing
  P(x | E_ee) (shape 1 + 9.56 E_ee, mean E_ee/0.0749 PE, i.e. 13.35 PE/keVee) -> energy efficiency
  eps(x) (nominal and +-1 sigma), integrated over each PE bin.  ES: T_e is E_ee (no quenching).
* Arrival times (option ``timing``):

  - ``release`` (default): the arrival-time profile of each flavour from the SNS flux of the
    release (snsFlux2D.root; :mod:`cevnsfit.sources.snsflux`): the real POT trace, the pion and
    muon decay times and decays in flight, as COHERENT simulated them.  Its t = 0 is the origin of
    the histogram; a ``t_offset`` nuisance (prior 0.06 +- 0.1 us, see below) relates it to t_rec.
  - ``model``: our POT-trace model -- a Gaussian POT trace (mean 0.661 us, the mean of the
    released BRN timing PDF, whose prompt neutrons follow the protons; width 0.15 us) convolved
    with tau_pi (prompt nu_mu) and tau_mu (delayed) -- with a ``t_offset`` nuisance of 0.1 us.

  Either way the energy spectra are the analytic pi-DAR ones, and the arrival-time distribution
  is multiplied by the time efficiency (1 below 0.52 us, exp(-0.0494 (t - 0.52)) above).
* 9 x 11 PE x time bins; observed counts from dataBeamOnC.txt (all its events have t_rec < 6 us:
  the copy we have stops there, so nothing beyond the ROI can be used), BRN and NIN from the
  released PDFs (energy PDF x time PDF x time efficiency), normalised to 18 and 5.6 events.
* Steady-state (beam-unrelated) background from the anti-coincident (AC) data, dataBeamOnAC.txt
  (same exposure; option ``steady_state``):

  - ``flat`` (default): beam-unrelated background is flat in time, so its model is the AC energy
    distribution (summed over time) x a flat time distribution x the time efficiency, normalised
    to the AC total (2.1 % prior).  The AC data follow the time efficiency (a flat time
    distribution without it fits them worse and biases the signal by several %).  The Poisson
    noise of the 99 AC bins (about 28 % per bin) no longer enters the prediction as if it were
    signal-free truth -- only that of the 9 energy sums (about 8 %) does.
  - ``template``: the AC histogram bin by bin, as an exact template (the previous default), kept
    for comparison.

The ``t_offset`` prior with the release flux: public fits of this release float the offset between
the flux histogram and t_rec -- BarbeauGroup/cohfit (code of COHERENT members) with a prior of
60 +- 100 ns, Newtrinos.jl uniformly in +-500 ns.  We take cohfit's 0.06 +- 0.1 us.  The data
alone (prior removed) put the offset at +0.08 +- 0.045 us, so the prior hardly matters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from .. import data
from ..detectors.quenching import CSI_VARIANTS, CsIPolynomial
from ..detectors.response import binned_with_efficiency, gamma_cdf, recoil_quadrature
from ..inference.templates import VariantStack, build_templates, morph_weights
from ..physics import cevns
from ..physics.monomials import Points
from ..physics.target import zeff_edges
from ..sources.oscillation import sns_baseline
from ..sources.snsflux import ReleaseTimeProfile
from . import menu
from .base import Axis, DataSet, Nuisance
from .registry import ExperimentInfo, Option
from .snsbeam import (
    PotTraceProfile,
    SNSExposure,
    TimeBinning,
    combine_energy_time_batch,
    nuclear_quadrature,
    setup_beam,
)

PE_EDGES = np.array([0, 8, 12, 16, 20, 24, 32, 40, 50, 60], float)
TIME_EDGES = np.array([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 2, 4, 6], float)
MASS_KG = 14.6
EXPOSURE = dict(r=0.0848, n_pot=3.198e23, distance_m=19.3)
POT_T0_US = 0.661  # mean of the released BRN timing PDF (see module docstring)
POT_SIGMA_US = 0.15  # SNS POT trace width (Ar release; the BRN PDF has 0.156 us)
BRN_EVENTS, NIN_EVENTS = 18.0, 5.6
GAMMA_A, GAMMA_B = 0.0749, 9.56
EFF_VARIANTS = ("nominal", "+", "-")
TIMING_MODELS = ("release", "model")
STEADY_STATE_MODELS = ("flat", "template")
#: t_offset prior [us]: release flux -- 60 +- 100 ns, the prior of BarbeauGroup/cohfit (COHERENT
#: members' public fit code) for this release; POT-trace model -- 0 +- 0.1 us
T_OFFSET_PRIOR_US = {"release": (0.06, 0.1), "model": (0.0, 0.1)}


def time_efficiency(t) -> np.ndarray:
    """CsI time efficiency: 1 for t < 0.52 us, exp(-0.0494 (t - 0.52)/us) after."""
    t = np.asarray(t, float)
    return np.where(t < 0.52, 1.0, np.exp(-0.0494 * (t - 0.52)))


@cache
def efficiency_coefficients() -> dict[str, tuple[float, ...]]:
    rows = [
        tuple(float(v) for v in line.split())
        for line in data.path("coherent_csi_2021/effCoefficients.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(rows) != 3 or any(len(r) != 4 for r in rows):
        raise data.DataError("coherent_csi_2021/effCoefficients.txt: expected 3 rows of 4 coefficients")
    return dict(zip(EFF_VARIANTS, rows, strict=True))


def energy_efficiency(x, variant: str = "nominal") -> np.ndarray:
    """eps(x) = a/(1 + exp(-b (x - c))) + d, x in PE, clipped at zero."""
    a, b, c, d = efficiency_coefficients()[variant]
    return np.clip(a / (1.0 + np.exp(-b * (np.asarray(x, float) - c))) + d, 0.0, None)


def pe_response(eee_kev, edges=PE_EDGES, efficiency=None) -> np.ndarray:
    """P(PE bin | E_ee) with the Gamma smearing, times the efficiency if given: (n_bins, n_E)."""
    e = np.maximum(np.asarray(eee_kev, float), 1e-12)
    mean = e / GAMMA_A
    shape = 1.0 + GAMMA_B * e
    return binned_with_efficiency(lambda x: gamma_cdf(x[:, None], mean[None, :], shape[None, :]), edges, efficiency)


@cache
def _events(name: str) -> np.ndarray:
    arr = np.loadtxt(data.path(f"coherent_csi_2021/{name}"), comments="#")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise data.DataError(f"coherent_csi_2021/{name}: expected two columns (PE, time)")
    return arr


def histogram(name: str) -> np.ndarray:
    ev = _events(name)
    h, _, _ = np.histogram2d(ev[:, 0], ev[:, 1], bins=[PE_EDGES, TIME_EDGES])
    return h


def _rebin_pdf(centres, values, edges) -> np.ndarray:
    """Integrate a PDF given in uniform bins (by centre) over arbitrary edges (linear in the
    cumulative sum, i.e. uniform within each original bin)."""
    w = centres[1] - centres[0]
    lo = centres - w / 2
    cum = np.concatenate([[0.0], np.cumsum(values)])
    grid = np.concatenate([lo, [lo[-1] + w]])
    return np.diff(np.interp(edges, grid, cum))


@cache
def background_template(kind: str) -> np.ndarray:
    """BRN or NIN (kind = "brn" / "nin") in the 9 x 11 bins: energy PDF x time PDF x time
    efficiency, normalised to the expected events in the ROI (18 BRN, 5.6 NIN)."""
    pe = np.loadtxt(data.path(f"coherent_csi_2021/{kind}PE.txt"))
    tr = np.loadtxt(data.path(f"coherent_csi_2021/{kind}Trec.txt"))
    e = _rebin_pdf(pe[:, 0], pe[:, 1], PE_EDGES)
    # time: apply the efficiency on the fine 10 ns bins before rebinning
    t = _rebin_pdf(tr[:, 0], tr[:, 1] * time_efficiency(tr[:, 0]), TIME_EDGES)
    h = np.outer(e, t)
    total = {"brn": BRN_EVENTS, "nin": NIN_EVENTS}[kind]
    return h * (total / h.sum())


def steady_state_flat(ac: np.ndarray, n_sub: int = 50) -> np.ndarray:
    """Beam-unrelated background from the anti-coincident histogram ``ac`` (PE x time): its energy
    distribution summed over time, spread over time flat x the time efficiency, with the AC total:
    SS_jt = (sum_t AC_jt) w_t, w_t = int_bin_t eps_t(t) dt / int_0^6us eps_t(t) dt (midpoint rule on
    ``n_sub`` sub-bins per time bin, relative error < 1e-6).  Conserves sum_jt SS_jt = sum_jt AC_jt."""
    w = np.array(
        [
            np.mean(time_efficiency(np.linspace(a, b, 2 * n_sub + 1)[1::2])) * (b - a)
            for a, b in itertools.pairwise(TIME_EDGES)
        ]
    )
    return np.outer(ac.sum(axis=1), w / w.sum())


@dataclass(eq=False)
class CsI2021(DataSet):
    """COHERENT CsI 2021 with its model choices; see the module docstring."""

    signal_normalisation = "eta_cevns"  # the flux normalisation (a class attribute, not a field)

    opts: cevns.Options = field(default_factory=cevns.Options)
    es: bool = True
    r_neutron: dict = field(default_factory=dict)
    t0: float = POT_T0_US
    per_decade: int = 24
    tie_csi_radius: bool = False
    keyed_templates = True
    timing: str = "release"
    steady_state: str = "flat"

    def __post_init__(self):
        if self.timing not in TIMING_MODELS:
            raise ValueError(f"unknown CsI timing model {self.timing!r}; allowed: {', '.join(TIMING_MODELS)}")
        if self.steady_state not in STEADY_STATE_MODELS:
            raise ValueError(
                f"unknown CsI steady-state model {self.steady_state!r}; allowed: {', '.join(STEADY_STATE_MODELS)}"
            )
        self.name = "csi"
        self.statistic = "poisson"
        self.axes = (Axis("pe", "PE", PE_EDGES), Axis("time", "us", TIME_EDGES))
        self.observed = histogram("dataBeamOnC.txt").ravel()
        self.ac = histogram("dataBeamOnAC.txt")
        self.ss = (steady_state_flat(self.ac) if self.steady_state == "flat" else self.ac).ravel()
        self.brn = background_template("brn").ravel()
        self.nin = background_template("nin").ravel()
        setup_beam(self, SNSExposure(t0=self.t0, sigma=POT_SIGMA_US, **EXPOSURE), (("Cs", 1), ("I", 1)), MASS_KG)
        self.baseline = sns_baseline(EXPOSURE["distance_m"])
        self.sensitive_to += menu.measured(self, ("e", "mu"))
        self.time_profile = (
            ReleaseTimeProfile() if self.timing == "release" else PotTraceProfile(self.exposure.t0, self.exposure.sigma)
        )
        self.kinds = tuple(self.time_profile.kind_of(s.species) for s in self.spectra)
        t_source = (
            "offset between the release's SNS flux histogram and t_rec [us]"
            if self.timing == "release"
            else "neutrino arrival-time offset [us] (POT-trace model, mean from the BRN timing)"
        )
        self.nuisances = (
            Nuisance("eta_cevns", 0.0, 0.10, "neutrino flux: r = 0.0848 +- 10% (COHERENT 2021)"),
            Nuisance("eta_brn", 0.0, 0.25, "BRN normalisation, 25% (COHERENT 2021)"),
            Nuisance("eta_nin", 0.0, 0.35, "NIN normalisation, 35% (COHERENT 2021)"),
            Nuisance("eta_ss", 0.0, 0.021, "steady state from anti-coincident data, 2.1% (COHERENT 2021)"),
            Nuisance("qf0", 0.0, 1.0, "quenching syst. model 0, +-1 sigma curves (scintRespCoefficients.txt)"),
            Nuisance("qf1", 0.0, 1.0, "quenching syst. model 1, +-1 sigma curves (scintRespCoefficients.txt)"),
            Nuisance("eff", 0.0, 1.0, "energy efficiency +-1 sigma curves (effCoefficients.txt)"),
            Nuisance("t_offset", *T_OFFSET_PRIOR_US[self.timing], t_source),
        )
        self._build()

    # templates ---------------------------------------------------------------------------
    def nuclear_quadrature(self):
        return nuclear_quadrature(self.target, self.per_decade)

    def electron_quadrature(self):
        return recoil_quadrature(1e-4, 0.02, zeff_edges(self.target), per_decade=self.per_decade)

    def nuclear_response(self, qf_variant="nominal", eff_variant="nominal", edges=PE_EDGES, efficiency=True):
        nodes, _ = self.nuclear_quadrature()
        eee = CsIPolynomial(qf_variant).eee(nodes * 1e3)
        eff = (lambda x: energy_efficiency(x, eff_variant)) if efficiency else None
        return pe_response(eee, edges, eff)

    def electron_response(self, eff_variant="nominal", edges=PE_EDGES, efficiency=True):
        nodes, _ = self.electron_quadrature()
        eff = (lambda x: energy_efficiency(x, eff_variant)) if efficiency else None
        return pe_response(nodes * 1e3, edges, eff)

    def _build(self):
        tn, wn = self.nuclear_quadrature()
        te, we = self.electron_quadrature()
        self.templates = {"cevns": {}, "es": {}}
        variants = (
            [("nominal", "nominal")]
            + [(q, "nominal") for q in CSI_VARIANTS[1:]]
            + [("nominal", e) for e in EFF_VARIANTS[1:]]
        )
        for qv, ev in variants:
            self.templates["cevns"][(qv, ev)] = build_templates(
                self.spectra, self.target, self.n_molecules, tn, wn, self.nuclear_response(qv, ev), "cevns", self.opts
            )
        self.channel_inputs = {
            "cevns": (self.spectra, self.target, self.n_molecules, tn, wn, self.nuclear_response()),
            "es": (self.spectra, self.target, self.n_molecules, te, we, self.electron_response()),
        }
        for ev in EFF_VARIANTS:
            self.templates["es"][("nominal", ev)] = build_templates(
                self.spectra, self.target, self.n_molecules, te, we, self.electron_response(ev), "es", self.opts
            )
        self._stacks = {ch: VariantStack(t) for ch, t in self.templates.items()}
        self._timing = TimeBinning(self.time_profile, TIME_EDGES, time_efficiency)

    # predictions ----------------------------------------------------------------------------
    def _channels(self) -> tuple[str, ...]:
        return ("cevns", "es") if self.es else ("cevns",)

    def _morphs(self, channel: str) -> list[tuple[str, tuple, tuple]]:
        """(nuisance, plus variant key, minus variant key) of the template morphing of a channel:
        the energy efficiency (both channels) and the two quenching models (CEvNS only)."""
        out = [("eff", ("nominal", "+"), ("nominal", "-"))]
        if channel == "cevns":
            out += [(key, (f"model{i}+", "nominal"), (f"model{i}-", "nominal")) for i, key in enumerate(("qf0", "qf1"))]
        return out

    def _morphed(self, channel: str, v: np.ndarray, nv: dict, derivatives: bool = False):
        """Morph the template variants ``v`` (n, D, n_variants, n_comp, n_E) at the (n,) nuisance
        arrays ``nv``: energy counts (n, D, n_comp, n_E), clipped at zero (additive morphing can
        cross zero far out); with ``derivatives`` also their exact derivatives (n, n_comp, n_E)
        with respect to the morphing nuisances."""
        ix = self._stacks[channel].index
        nom = v[:, :, ix[("nominal", "nominal")]]
        out = nom.copy()
        grads = {}
        for key, kp, km in self._morphs(channel):
            plus, minus = v[:, :, ix[kp]], v[:, :, ix[km]]
            (wn, wp, wm), (dn, dp_, dm) = morph_weights(nv[key])
            out += (
                (wn - 1.0)[:, None, None, None] * nom + wp[:, None, None, None] * plus + wm[:, None, None, None] * minus
            )
            if derivatives:
                grads[key] = (
                    dn[:, None, None] * nom[:, 0] + dp_[:, None, None] * plus[:, 0] + dm[:, None, None] * minus[:, 0]
                )
        positive = out[:, :1] > 0.0
        counts = out * positive  # = max(out, 0) for the value, and its directions
        return counts, {k: g * positive[:, 0] for k, g in grads.items()}

    def _backgrounds(self, nv: dict) -> dict[str, np.ndarray]:
        return {
            "brn": (1.0 + nv["eta_brn"])[:, None] * self.brn,
            "nin": (1.0 + nv["eta_nin"])[:, None] * self.nin,
            "ss": (1.0 + nv["eta_ss"])[:, None] * self.ss,
        }

    def time_probabilities(self, offset: float = 0.0):
        """{arrival-time kind: probability to be recorded in each time bin (x time efficiency)}."""
        return self._timing(offset)

    def time_probabilities_batch(self, offsets, derivative: bool = False) -> np.ndarray:
        """Time-bin probabilities of each template component (prompt nu_mu, delayed nu_e, delayed
        nubar_mu, in template order) for an array of timing offsets [us], shape
        (n, n_components, n_time_bins); with ``derivative`` their exact derivatives with respect
        to the offset (continuous in the offset)."""
        return self._timing.per_component(self.kinds, offsets, derivative)

    def _parts(self, points: Points, nv: dict, derivatives: bool = False):
        """Signal per channel (n, D, B) (normalisation applied), backgrounds {name: (n, B)} and,
        with ``derivatives``, the exact derivatives of the expected counts by nuisance."""
        raw = self.contract_templates(points)  # channel -> (n, D, V, K, E)
        p, dp = self._timing.batch(nv["t_offset"], derivatives)
        kidx = [self._timing.kinds.index(k) for k in self.kinds]
        tk = np.broadcast_to(p[:1, kidx], (p.shape[0], len(kidx), p.shape[2])) if p.strides[0] == 0 else p[:, kidx]
        norm = 1.0 + nv["eta_cevns"]
        sig: dict[str, np.ndarray] = {}
        d: dict[str, np.ndarray] = {}
        counts0: Any = 0.0
        for ch in self._channels():
            counts, grads = self._morphed(ch, raw[ch], nv, derivatives)
            sig[ch] = norm[:, None, None] * combine_energy_time_batch(counts, tk)
            if derivatives:
                counts0 = counts0 + counts[:, :1]
                for key, g in grads.items():
                    dk = norm[:, None] * combine_energy_time_batch(g[:, None], tk)[:, 0]
                    d[key] = d[key] + dk if key in d else dk
        bkg = self._backgrounds(nv)
        if derivatives:
            d["eta_cevns"] = combine_energy_time_batch(counts0, tk)[:, 0]
            d["t_offset"] = norm[:, None] * combine_energy_time_batch(counts0, dp[:, kidx])[:, 0]
            shape = d["eta_cevns"].shape
            d.update(
                {
                    "eta_brn": np.broadcast_to(self.brn, shape),
                    "eta_nin": np.broadcast_to(self.nin, shape),
                    "eta_ss": np.broadcast_to(self.ss, shape),
                }
            )
        return sig, bkg, d

    def predict_points(self, points: Points, nuis: dict, derivatives: bool = False):
        sig, bkg, d = self._parts(points, nuis, derivatives)
        out = sum(sig.values())
        out[:, 0] += sum(bkg.values())
        return out, d

    # DataSet interface ------------------------------------------------------------------
    def radius_parameters(self) -> dict[str, str]:
        return menu.csi_radius_parameters(self.tie_csi_radius)


def _build(
    opts: cevns.Options,
    es: bool,
    timing: str,
    steady_state: str,
    zp_model: str = "universal",
    tie_csi_radius: bool = False,
) -> CsI2021:
    return CsI2021(
        opts=menu.with_zp_model(opts, zp_model),
        es=es,
        timing=timing,
        steady_state=steady_state,
        tie_csi_radius=tie_csi_radius,
    )


INFO = ExperimentInfo(
    name="csi",
    title="COHERENT CsI[Na] 2021",
    reference="PRL 129, 081801 (2022), arXiv:2110.07730",
    data_sets=("coherent_csi_2021", "coherent_csi_2021_snsflux"),
    default_es=True,
    build=_build,
    options=(
        Option(
            "timing",
            "release",
            "CsI neutrino arrival times: release (the SNS flux of the data release, "
            "per flavour) or model (Gaussian POT trace x pion and muon decay)",
            choices=TIMING_MODELS,
        ),
        Option(
            "steady_state",
            "flat",
            "CsI beam-unrelated background: flat (AC energy distribution, flat in time x "
            "time efficiency, AC total) or template (the AC histogram bin by bin)",
            choices=STEADY_STATE_MODELS,
        ),
        menu.ZP_MODEL,
        menu.TIE_CSI_RADIUS,
    ),
)
