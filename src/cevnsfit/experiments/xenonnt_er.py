"""XENONnT SR0 low-energy electronic recoils (E. Aprile et al., PRL 129, 161805 (2022); the
collaboration's data release: events, total efficiency, best-fit background model B0).

Pipeline:

* Neutrinos: every solar component (pp, pep, hep, 7Be, 8B, 13N, 15O, 17F) at Earth, split into
  flavours with the MSW survival probability of its production region
  (:mod:`cevnsfit.sources.solar`); B16-GS98 fluxes (AGSS09met as option ``ssm``), each with its
  SSM uncertainty as a Gaussian prior.
* Elastic neutrino-electron scattering on xenon (:mod:`cevnsfit.physics.electron`): free-electron
  cross section with the EM terms, times Z_eff(T), the number of electrons with binding energy
  below T (X-ray data booklet edges; 44 below 4.79 keV, 52 above 5.45 keV).  An ab-initio (RRPA)
  calculation is not tabulated publicly; option ``zeff=rrpa`` multiplies the stepping
  approximation by the ratio of two digitised low-energy xenon ES rates (RRPA over stepping, as
  shipped by the SNuDD code: 0.84 at 0.3 keV, 0.86-0.89 at 1-5 keV, 0.82 at 10 keV, 0.69 at 28 keV)
  -- a documented, qualitative systematic, not a calculation.
* Detector: Gaussian resolution sigma(E) = 0.310 sqrt(E) + 0.0037 E [keV] (the XENON1T formula,
  arXiv:2006.09721 eq. 1, used by the public recasts of this release, which has none; option
  ``resolution_scale`` scales it: 0.9 and 1.1 are the +-10 % systematic), integrated over each
  reconstructed-energy bin with the released total efficiency applied at the reconstructed energy.
* 29 bins of 1 keV in 1-30 keV; exposure 1.16 t yr (433 events).
* Background: the released best fit B0 is the *detected* total, including the SM solar-neutrino
  ES.  The model is (1 + a_B) (B0 - ES_SM) + ES(parameters), with ES_SM our SM prediction through
  the same response and a_B free.  Poisson likelihood (Baker-Cousins chi^2).

CEvNS does not contribute: solar-neutrino nuclear recoils lie below 1 keV of electron-equivalent
energy.  With the es option off this data set has no signal: that is an error.

New physics: the light vector and scalar mediators act through the ES cross section (propagator
1/(2 m_e T + m^2); the templates are rebuilt per mediator mass like those of the laboratory data
sets, :mod:`cevnsfit.inference.nonpolynomial`).  The NSI with quarks and the xenon neutron radius
do not act on electron recoils: this data set does not measure them (a limit on one is an error),
though a combined fit may float them.  Short-baseline sterile parameters are refused with the
reason (:data:`cevnsfit.experiments.menu.SOLAR_UNMODELLED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy.special import ndtr

from .. import data
from ..constants import FLAVOURS
from ..detectors.response import binned_with_efficiency, recoil_quadrature
from ..inference.templates import build_templates
from ..physics import cevns
from ..physics.parameters import Params
from ..physics.target import Target, zeff_edges
from ..sources import solar
from . import menu
from .base import Axis, DataSet, Nuisance
from .registry import ExperimentInfo, Option
from .xenonnt_8b import NUFIT_OPTION, SOLAR_SENSITIVE, SSM_OPTION, YEAR_S

DIR = "xenonnt_er_sr0"
EXPOSURE_TYR = 1.16
E_EDGES = np.arange(1.0, 30.001, 1.0)
RES_A, RES_B = 0.310, 0.0037
ZEFF_MODELS = ("step", "rrpa")
#: the recoil range folded [keV]: the resolution carries recoils from below 1 keV and above 30 keV in
T_RANGE_KEV = (0.15, 45.0)


def resolution(e_kev, scale: float = 1.0) -> np.ndarray:
    """sigma(E) [keV] = scale (0.310 sqrt(E) + 0.0037 E)."""
    e = np.maximum(np.asarray(e_kev, float), 1e-6)
    return scale * (RES_A * np.sqrt(e) + RES_B * e)


@cache
def release() -> dict[str, np.ndarray]:
    """Events [keV], efficiency table (E_rec [keV], efficiency), B0 (centres, events/(t yr keV))."""
    ev = np.loadtxt(data.path(f"{DIR}/data_unbinned_1to30kev.txt"))
    eff = np.loadtxt(data.path(f"{DIR}/efficiency.txt"))
    b0 = np.loadtxt(data.path(f"{DIR}/bkg_model.txt"))
    if ev.ndim != 1 or eff.ndim != 2 or eff.shape[1] != 2 or b0.ndim != 2 or b0.shape[1] != 2:
        raise data.DataError(
            f"{DIR}: unexpected file layout (events {ev.shape}, efficiency {eff.shape}, B0 {b0.shape})"
        )
    return {"events": ev, "efficiency": eff, "b0": b0}


def b0_binned(edges=E_EDGES, exposure: float = EXPOSURE_TYR) -> np.ndarray:
    """The released background model B0 in the analysis bins [events]: its 0.1-keV rows summed."""
    b0 = release()["b0"]
    idx = np.searchsorted(edges, b0[:, 0], side="right") - 1
    out = np.zeros(len(edges) - 1)
    ok = (idx >= 0) & (idx < out.size)
    np.add.at(out, idx[ok], b0[ok, 1] * 0.1 * exposure)
    return out


#: the two digitised xenon ES rates shipped by the SNuDD code (E_R [keV], rate; same units): RRPA and
#: the stepping approximation; SNuDD's "RRPA scaling" is their ratio
RRPA_RATE_FILES = ("solar/xenon_atomic/snudd/lz_rrpa_rate.txt", "solar/xenon_atomic/snudd/lz_pp_step.txt")


def _rrpa_table() -> tuple[np.ndarray, np.ndarray]:
    """(T [keV], RRPA / stepping): the RRPA curve over the stepping curve linearly interpolated to
    the RRPA curve's energies (0.25-28 keV)."""
    rrpa, step = (np.loadtxt(data.path(f), comments="#", ndmin=2) for f in RRPA_RATE_FILES)
    for f, a in zip(RRPA_RATE_FILES, (rrpa, step), strict=True):
        if a.shape[1] != 2 or a.shape[0] < 2 or np.any(np.diff(a[:, 0]) <= 0) or np.any(a[:, 1] <= 0):
            raise data.DataError(f"{f}: expected two columns (increasing energy [keV], positive rate), got {a.shape}")
    return rrpa[:, 0], rrpa[:, 1] / np.interp(rrpa[:, 0], step[:, 0], step[:, 1])


def rrpa_ratio(t_kev) -> np.ndarray:
    """The digitised RRPA / stepping ratio (module docstring; :func:`_rrpa_table`), constant
    outside its range."""
    t, r = _rrpa_table()
    return np.interp(t_kev, t, r)


@dataclass(eq=False)
class XenonNTER(DataSet):
    """XENONnT SR0 electron recoils, 1-30 keV; see the module docstring."""

    ssm: str = "gs98"
    nufit: str = "6.0"
    zeff: str = "step"
    resolution_scale: float = 1.0
    opts: cevns.Options = field(default_factory=cevns.Options)
    per_decade: int = 40
    keyed_templates = True
    unmodelled_reasons = menu.SOLAR_UNMODELLED

    def __post_init__(self):
        if self.zeff not in ZEFF_MODELS:
            raise ValueError(f"unknown Z_eff model {self.zeff!r}; allowed: {', '.join(ZEFF_MODELS)}")
        if not (np.isfinite(self.resolution_scale) and 0.2 <= self.resolution_scale <= 5.0):
            raise ValueError(f"resolution_scale must lie in [0.2, 5], got {self.resolution_scale}")
        self.name = "xenonnt_er"
        rel = release()
        self.observed = np.histogram(rel["events"], bins=E_EDGES)[0].astype(float)
        self.axes = (Axis("energy", "keV", E_EDGES),)
        osc = solar.nufit(f"NuFIT {self.nufit}")
        fluxes = solar.ssm_fluxes(self.ssm)
        self.spectra, component_of = [], []
        for c in solar.COMPONENTS:
            for s in solar.component_spectra(c, 1.0, self.ssm, osc):
                self.spectra.append(s)
                component_of.append(c)
        #: the solar component (pp, 7Be, ...) of each spectrum
        self.component_of = np.array(component_of)
        self.target = Target((("Xe", 1),))
        scale = self.target.molecules(1000.0) * YEAR_S * EXPOSURE_TYR
        t_lo, t_hi = (x * 1e-3 for x in T_RANGE_KEV)
        te, we = recoil_quadrature(t_lo, t_hi, zeff_edges(self.target), per_decade=self.per_decade)
        tk = te * 1e3
        if self.zeff == "rrpa":
            we = we * rrpa_ratio(tk)
        eff = rel["efficiency"]
        sig = resolution(tk, self.resolution_scale)
        response = binned_with_efficiency(
            lambda x: ndtr((x[:, None] - tk[None, :]) / sig[None, :]),
            E_EDGES,
            lambda x: np.interp(x, eff[:, 0], eff[:, 1], left=0.0, right=eff[-1, 1]),
            n_sub=20,
        )
        self.channel_inputs = {"es": (self.spectra, self.target, scale, te, we, response)}
        self.templates = {"es": build_templates(*self.channel_inputs["es"], channel="es", opts=self.opts)}
        self.b0 = b0_binned()
        self.es_sm = self.contract_templates(self.point(Params()))["es"][0, 0].sum(0)
        self.background = self.b0 - self.es_sm
        if np.any(self.background < 0):
            bad = E_EDGES[:-1][self.background < 0]
            raise ValueError(f"the SM solar ES exceeds the released background model B0 at {bad} keV")
        self.flux_sigma = {c: fluxes[c][1] for c in solar.COMPONENTS}
        self.nuisances = (
            Nuisance("bkg_norm", 0.0, None, "normalisation of B0 minus the SM solar ES, free", (-1.0, 10.0)),
        ) + tuple(
            Nuisance(
                f"eta_{c.lower()}", 0.0, self.flux_sigma[c], f"{c} solar flux, B16-{self.ssm} {self.flux_sigma[c]:.1%}"
            )
            for c in solar.COMPONENTS
        )
        self._flux_keys = [f"eta_{c.lower()}" for c in solar.COMPONENTS]
        self._index = {c: np.flatnonzero(self.component_of == c) for c in solar.COMPONENTS}
        # electron recoils only: the mediators act, the NSI with quarks and the xenon neutron radius do not
        self.sensitive_to = SOLAR_SENSITIVE + menu.measured(self, FLAVOURS, nuclear=False)

    # -----------------------------------------------------------------------------------------
    def _parts(self, points, nv: dict, derivatives: bool = False):
        raw = self.contract_templates(points)["es"]  # (n, D, K, B)
        f = np.ones((raw.shape[0], len(self.spectra)))
        for c, key in zip(solar.COMPONENTS, self._flux_keys, strict=True):
            f[:, self._index[c]] = (1.0 + nv[key])[:, None]
        es = np.matmul(f[:, None, None, :], raw)[:, :, 0, :]  # (n, D, B)
        bkg = (1.0 + nv["bkg_norm"])[:, None] * self.background[None]
        d = {}
        if derivatives:
            d["bkg_norm"] = np.broadcast_to(self.background, bkg.shape).copy()
            for c, key in zip(solar.COMPONENTS, self._flux_keys, strict=True):
                d[key] = raw[:, 0, self._index[c]].sum(1)
        return es, bkg, d

    def predict_points(self, points, nuis: dict, derivatives: bool = False):
        es, bkg, d = self._parts(points, nuis, derivatives)
        es[:, 0] += bkg
        return es, d

    def components(self, params: Params, nuis: dict | None = None) -> dict[str, np.ndarray]:
        nv = {k: np.full(1, float(v)) for k, v in self._nuis(nuis).items()}
        es, bkg, _ = self._parts(self.point(params), nv)
        return {"background": bkg[0], "es": es[0, 0]}

    def es_by_component(self, params: Params) -> dict[str, np.ndarray]:
        """The ES spectrum of each solar component [events per bin] at nominal fluxes."""
        per = self.contract_templates(self.point(params))["es"][0, 0]
        return {c: per[self._index[c]].sum(0) for c in solar.COMPONENTS}


def _build(
    opts: cevns.Options, es: bool, ssm: str, nufit: str, zeff: str, resolution_scale: float, zp_model: str = "universal"
) -> XenonNTER:
    if not es:
        raise ValueError("xenonnt_er measures electron recoils: neutrino-electron scattering cannot be switched off")
    return XenonNTER(
        ssm=ssm, nufit=nufit, zeff=zeff, resolution_scale=resolution_scale, opts=menu.with_zp_model(opts, zp_model)
    )


def _check_scale(v):
    if not 0.2 <= v <= 5.0:
        raise ValueError(f"resolution_scale must lie in [0.2, 5], got {v}")


INFO = ExperimentInfo(
    name="xenonnt_er",
    title="XENONnT SR0 electron recoils (solar nu-e scattering)",
    reference="PRL 129, 161805 (2022), arXiv:2207.11330",
    data_sets=("xenonnt_er_sr0", "solar"),
    default_es=True,
    build=_build,
    options=(
        SSM_OPTION,
        NUFIT_OPTION,
        Option(
            "zeff",
            "step",
            "xenon ES atomic model: step (Z_eff from the shell edges) or rrpa (scaled by a "
            "digitised RRPA/stepping ratio; qualitative)",
            choices=ZEFF_MODELS,
        ),
        Option(
            "resolution_scale",
            1.0,
            "factor on the energy resolution sigma(E) = 0.310 sqrt(E) + 0.0037 E (0.9 / 1.1: the +-10 % systematic)",
            kind=float,
            check=_check_scale,
        ),
        menu.ZP_MODEL,
    ),
)
