"""XENONnT solar 8B CEvNS, science runs SR0 + SR1 + SR2 (official binned-likelihood release;
SR0+SR1: E. Aprile et al., PRL 133, 191002 (2024); SR0-SR2: arXiv:2604.06002).

Pipeline:

* Neutrinos: the solar 8B and hep fluxes at Earth with their flavour composition
  (:mod:`cevnsfit.sources.solar`; three per-flavour spectra per component, so flavour-dependent
  EM, NSI and mediator parameters act on each flavour's share).  8B flux: the SNO measurement
  5.25e6 cm^-2 s^-1 +- 3.81 % (B. Aharmim et al., PRC 88, 025501 (2013); the prior of the
  XENONnT likelihood) or the B16 SSM value with its 12 % (option ``b8_flux``); hep: B16.
  8B shape: Winter et al. 2006 (default) or Bahcall et al. 1996 (option ``b8_spectrum``; the
  release's own spectrum is reproduced with the latter to 1-3 %, docs/reproduction.md).
* CEvNS on natural xenon (9 isotopes, Helm form factors) -> the nuclear-recoil spectrum
  R(E_nr) [events/(t yr)], integrated over the 0.1-keV slice around each mono-energetic template
  energy E_i = 0.5, 0.6, ..., 5.0 keV (R_i); one tonne-year = 1000 kg x 365.25 days.
* Per science run s and bin b (3 x 3 x 3 x 3 in cS2, S2 shadow, S1 and S2 BDT scores):

      mu_sb = L_s [ (1 + a_AC,s) AC_sb + (1 + a_ER) ER_sb + (1 + a_NR) RG_sb(t_ly, t_qy)
                    + (1 + eps) sum_i R_i M_sib(t_ly, t_qy) ]

  with the release's templates (:mod:`.xenonnt_release`) and bilinear interpolation between the
  integer yield anchors (as blueice does).  Livetimes 1.174398, 2.342593, 3.249665 t yr.
* Nuisances, from the collaboration's 2024 likelihood configuration: signal efficiency eps 25 %
  (shared by every nuclear-recoil signal), the 8B flux, AC 9.04 % (SR0), 5.76 % (SR1), ER 100 %,
  neutrons 58 % (ER, neutron, eps, t_ly, t_qy shared by the runs), t_ly, t_qy ~ N(0, 1) within
  [-3, 3].  The SR2 AC uncertainty is not released: SR1's 5.76 % by default (the AC model is
  data-driven from the same kind of sidebands and SR2 is the longer run; option ``ac_sr2_sigma``).
  Normalisation multipliers cannot go negative.
* Poisson likelihood per bin (Baker-Cousins chi^2).

Neutrino-electron scattering is not part of this data set: its electron recoils belong to the
ER background template (whose normalisation is free within 100 %), and the release has no
electron-recoil response to fold a modified ES spectrum through.  The mono-energetic grid ends
at 5 keV: recoils above 5.05 keV (none for 8B, some for a light mediator) are not counted.

New physics: NSI with quarks, the light vector (universal or B-L, option ``zp_model``) and scalar
mediators and the xenon neutron radius ``rn_xe`` act on the recoil spectrum R(E_nr); the masses and
the radius through templates rebuilt per value (:mod:`cevnsfit.inference.nonpolynomial`), as for
the laboratory data sets.  Short-baseline sterile parameters are refused with the reason
(:data:`cevnsfit.experiments.menu.SOLAR_UNMODELLED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..constants import FLAVOURS
from ..detectors.response import recoil_quadrature
from ..inference.templates import build_templates
from ..physics import cevns
from ..physics.parameters import Params
from ..physics.target import Target
from ..sources import solar
from . import menu
from . import xenonnt_release as rel
from .base import Axis, DataSet, Nuisance
from .registry import ExperimentInfo, Option

#: seconds in a year (Julian) and atoms in a tonne of natural xenon make "per t yr"
YEAR_S = 365.25 * 86400.0
#: SNO combined 8B flux (PRC 88, 025501 (2013)) and the prior of the XENONnT likelihood
SNO_B8 = (5.25e6, 0.0381)
B8_FLUX = ("sno", "ssm")
AC_SIGMA = {"sr0": 0.0904, "sr1": 0.0576}
NUFIT = ("6.0", "6.1", "5.3", "5.2", "5.1", "5.0")
#: inner yield anchors [sigma]: the bilinear interpolation has kinks there, where profiled fits often end
ANCHORS = (-2.0, -1.0, 0.0, 1.0, 2.0)
#: every physics parameter: the solar flux has all three flavours at Earth
SOLAR_SENSITIVE = (
    "sin2w",
    "mu_e",
    "mu_mu",
    "mu_tau",
    "mu_nu",
    "r2_ee",
    "r2_mumu",
    "r2_tautau",
    "r2_emu",
    "r2_etau",
    "r2_mutau",
    "q_ee",
    "q_mumu",
    "q_tautau",
    "q_emu",
    "q_etau",
    "q_mutau",
)


def slice_edges_kev() -> np.ndarray:
    return np.concatenate([rel.MONO_E - 0.05, [rel.MONO_E[-1] + 0.05]])


@dataclass(eq=False)
class XenonNT8B(DataSet):
    """XENONnT SR0-SR2 8B CEvNS binned likelihood; see the module docstring."""

    signal_normalisation = "eta_b8"  # the 8B flux scales the CEvNS signal (a class attribute, not a field)

    b8_flux: str = "sno"
    ssm: str = "gs98"
    nufit: str = "6.0"
    ac_sr2_sigma: float = 0.0576
    b8_spectrum: str = "winter"
    opts: cevns.Options = field(default_factory=cevns.Options)
    per_decade: int = 60
    keyed_templates = True
    unmodelled_reasons = menu.SOLAR_UNMODELLED

    def __post_init__(self):
        if self.b8_flux not in B8_FLUX:
            raise ValueError(f"unknown 8B flux prior {self.b8_flux!r}; allowed: {', '.join(B8_FLUX)}")
        self.name = "xenonnt_8b"
        r = rel.release()
        self.run_edges = r["edges"]
        self.livetime = np.array([rel.LIVETIME[s] for s in rel.RUNS])
        self.ac = r["ac"] * self.livetime[:, None]
        self.er = r["er"] * self.livetime[:, None]
        self.rg = r["rg"] * self.livetime[:, None, None, None]  # (3, 7, 7, 81)
        self.mono = r["mono"] * self.livetime[:, None, None, None, None]  # (3, 7, 7, 46, 81)
        # the same as (t_ly, t_qy, slice, run x bin) matrices: the folding is one matrix product
        self.mono_mat = np.ascontiguousarray(self.mono.transpose(1, 2, 3, 0, 4).reshape(7, 7, rel.MONO_E.size, 243))
        self.observed = r["observed"].ravel().copy()
        self.axes = (Axis("science run", "", np.arange(4.0)),) + tuple(
            Axis(f"{a} bin", "", np.arange(4.0)) for a in rel.AXES
        )
        osc = solar.nufit(f"NuFIT {self.nufit}")
        fluxes = solar.ssm_fluxes(self.ssm)
        if self.b8_flux == "sno":
            b8_scale, b8_sigma = SNO_B8[0] / fluxes["8B"][0], SNO_B8[1]
        else:
            b8_scale, b8_sigma = 1.0, fluxes["8B"][1]
        spectra = solar.component_spectra("8B", b8_scale, self.ssm, osc, b8=self.b8_spectrum) + solar.component_spectra(
            "hep", 1.0, self.ssm, osc
        )
        self.n_b8 = 3
        self.target = Target((("Xe", 1),))
        scale = self.target.molecules(1000.0) * YEAR_S  # per tonne-year
        edges = slice_edges_kev() * 1e-3
        tn, wn = recoil_quadrature(edges[0], edges[-1], list(edges), per_decade=self.per_decade)
        slice_of = np.searchsorted(edges, tn) - 1
        response = (slice_of[None, :] == np.arange(rel.MONO_E.size)[:, None]).astype(float)
        self.channel_inputs = {"cevns": (spectra, self.target, scale, tn, wn, response)}
        self.templates = {"cevns": build_templates(*self.channel_inputs["cevns"], channel="cevns", opts=self.opts)}
        self.nuisances = (
            Nuisance(
                "eff_signal", 0.0, 0.25, "nuclear-recoil signal efficiency, 25 % (XENONnT 2024 likelihood)", (-0.5, 0.5)
            ),
            Nuisance(
                "eta_b8",
                0.0,
                b8_sigma,
                "8B flux, " + ("SNO 3.81 %" if self.b8_flux == "sno" else f"B16 SSM {b8_sigma:.0%}"),
            ),
            Nuisance("eta_ac_sr0", 0.0, AC_SIGMA["sr0"], "SR0 accidental coincidences, 9.04 %"),
            Nuisance("eta_ac_sr1", 0.0, AC_SIGMA["sr1"], "SR1 accidental coincidences, 5.76 %"),
            Nuisance(
                "eta_ac_sr2",
                0.0,
                self.ac_sr2_sigma,
                f"SR2 accidental coincidences (not released; {self.ac_sr2_sigma:.2%})",
            ),
            Nuisance("eta_er", 0.0, 1.0, "electronic-recoil background, 100 %"),
            Nuisance("eta_nr", 0.0, 0.58, "radiogenic neutrons, 58 %"),
            Nuisance("t_ly", 0.0, 1.0, "light-yield morphing (sigma units)", (-3.0, 3.0), ANCHORS),
            Nuisance("t_qy", 0.0, 1.0, "charge-yield morphing (sigma units)", (-3.0, 3.0), ANCHORS),
        )
        self.sensitive_to = SOLAR_SENSITIVE + menu.measured(self, FLAVOURS)

    # -----------------------------------------------------------------------------------------
    def slices(self, params: Params, eta_b8: float = 0.0) -> np.ndarray:
        """Recoil spectrum integrated over each mono-energetic slice [events/(t yr)], 8B + hep."""
        raw = self.contract_templates(self.point(params))["cevns"][0, 0]  # (K, 46)
        return (1.0 + eta_b8) * raw[: self.n_b8].sum(0) + raw[self.n_b8 :].sum(0)

    def _parts(self, points, nv: dict, derivatives: bool = False):
        """Components (n, D, 3, 81) for the signal, (n, 3, 81) for the backgrounds, and with
        ``derivatives`` the exact d expected / d nuisance (n, 243).  The yield morphing is done
        per cell of the (t_ly, t_qy) anchor grid that the points fall in."""
        raw = self.contract_templates(points)["cevns"]  # (n, D, K, 46)
        b8 = raw[:, :, : self.n_b8].sum(2)
        R = (1.0 + nv["eta_b8"])[:, None, None] * b8 + raw[:, :, self.n_b8 :].sum(2)  # (n, D, 46)
        n, D = R.shape[:2]
        eff = (1.0 + nv["eff_signal"])[:, None, None, None]
        sig = np.empty((n, D, 3, 81))
        rg = np.empty((n, 3, 81))
        d = {}
        if derivatives:
            for k in ("t_ly", "t_qy", "eta_b8_raw"):
                d[k] = np.zeros((n, 3, 81))
        tl, tq = np.clip(nv["t_ly"], -3.0, 3.0) + 3.0, np.clip(nv["t_qy"], -3.0, 3.0) + 3.0
        ci = np.minimum(np.floor(tl).astype(int), 5)
        cj = np.minimum(np.floor(tq).astype(int), 5)
        for i, j in set(zip(ci.tolist(), cj.tolist(), strict=True)):
            sel = np.flatnonzero((ci == i) & (cj == j))
            fx, fy = tl[sel] - i, tq[sel] - j
            corners = (
                (0, 0, (1 - fx) * (1 - fy), -(1 - fy), -(1 - fx)),
                (0, 1, (1 - fx) * fy, -fy, 1 - fx),
                (1, 0, fx * (1 - fy), 1 - fy, -fx),
                (1, 1, fx * fy, fy, fx),
            )
            Rs = R[sel]
            acc = np.zeros((sel.size, D, 243))
            rg[sel] = 0.0
            for di, dj, w, dwx, dwy in corners:
                m = self.mono_mat[i + di, j + dj]  # (46, 243)
                c = Rs @ m  # (n, D, 243)
                acc += w[:, None, None] * c
                rg[sel] += w[:, None, None] * self.rg[None, :, i + di, j + dj]
                if derivatives:
                    c0 = c[:, 0].reshape(-1, 3, 81) * eff[sel, 0]
                    r0 = (1.0 + nv["eta_nr"][sel])[:, None, None] * self.rg[None, :, i + di, j + dj]
                    # the inner one-sided derivative on the anchor range's ends (zero only beyond them, where
                    # the yields are clipped): at a bound the profiler must see which way the chi^2 goes
                    inside_l = (nv["t_ly"][sel] >= -3.0) & (nv["t_ly"][sel] <= 3.0)
                    inside_q = (nv["t_qy"][sel] >= -3.0) & (nv["t_qy"][sel] <= 3.0)
                    d["t_ly"][sel] += (inside_l * dwx)[:, None, None] * (c0 + r0)
                    d["t_qy"][sel] += (inside_q * dwy)[:, None, None] * (c0 + r0)
                    d["eta_b8_raw"][sel] += w[:, None, None] * (b8[sel, 0] @ m).reshape(-1, 3, 81)
            sig[sel] = eff[sel] * acc.reshape(sel.size, D, 3, 81)
        ac = self.ac[None] * (1.0 + np.stack([nv["eta_ac_sr0"], nv["eta_ac_sr1"], nv["eta_ac_sr2"]], 1))[:, :, None]
        er = (1.0 + nv["eta_er"])[:, None, None] * self.er[None]
        nr = (1.0 + nv["eta_nr"])[:, None, None] * rg
        if derivatives:
            out = {k: d[k].reshape(n, -1) for k in ("t_ly", "t_qy")}
            out["eta_b8"] = (eff[:, 0] * d["eta_b8_raw"]).reshape(n, -1)
            out["eff_signal"] = (sig[:, 0] / eff[:, 0]).reshape(n, -1)
            for r, key in enumerate(("eta_ac_sr0", "eta_ac_sr1", "eta_ac_sr2")):
                z = np.zeros((n, 3, 81))
                z[:, r] = self.ac[r]
                out[key] = z.reshape(n, -1)
            out["eta_er"] = np.broadcast_to(self.er.ravel(), (n, 243)).copy()
            out["eta_nr"] = rg.reshape(n, -1)
            d = out
        return sig, {"ac": ac, "er": er, "nr": nr}, d

    def predict_points(self, points, nuis: dict, derivatives: bool = False):
        sig, bkg, d = self._parts(points, nuis, derivatives)
        out = sig.reshape(sig.shape[0], sig.shape[1], -1).copy()
        out[:, 0] += sum(bkg.values()).reshape(out.shape[0], -1)
        return out, d

    def components(self, params: Params, nuis: dict | None = None) -> dict[str, np.ndarray]:
        nv = {k: np.full(1, float(v)) for k, v in self._nuis(nuis).items()}
        sig, bkg, _ = self._parts(self.point(params), nv)
        out = {k: v[0].ravel() for k, v in bkg.items()}
        out["cevns"] = sig[0, 0].ravel()
        return out

    def per_run(self, comps: dict) -> dict[str, np.ndarray]:
        """Totals per science run of each component and of the data."""
        out = {k: np.asarray(v).reshape(3, 81).sum(1) for k, v in comps.items()}
        out["observed"] = self.observed.reshape(3, 81).sum(1)
        return out


def _build(
    opts: cevns.Options,
    es: bool,
    b8_flux: str,
    ssm: str,
    nufit: str,
    ac_sr2_sigma: float,
    b8_spectrum: str,
    zp_model: str = "universal",
) -> XenonNT8B:
    return XenonNT8B(
        b8_flux=b8_flux,
        ssm=ssm,
        nufit=nufit,
        ac_sr2_sigma=ac_sr2_sigma,
        b8_spectrum=b8_spectrum,
        opts=menu.with_zp_model(opts, zp_model),
    )


def _check_sigma(v):
    if not 0.0 < v < 1.0:
        raise ValueError(f"ac_sr2_sigma must lie in (0, 1), got {v}")


SSM_OPTION = Option(
    "ssm",
    "gs98",
    "standard solar model of the fluxes and production regions: gs98 (B16-GS98) or agss09 (B16-AGSS09met)",
    choices=solar.SSM_MODELS,
)
NUFIT_OPTION = Option(
    "nufit",
    "6.0",
    "NuFIT release of the oscillation parameters (normal ordering, with SK atmospheric data)",
    choices=NUFIT,
)

INFO = ExperimentInfo(
    name="xenonnt_8b",
    title="XENONnT solar 8B CEvNS (SR0+SR1+SR2)",
    reference="PRL 133, 191002 (2024); arXiv:2604.06002; Zenodo 10.5281/zenodo.20576156",
    data_sets=("xenonnt_8b", "solar"),
    default_es=False,
    build=_build,
    options=(
        Option(
            "b8_flux",
            "sno",
            "8B flux and prior: sno (5.25e6 /cm2/s +- 3.81 %, the XENONnT likelihood's) or "
            "ssm (the solar model's, 12 %)",
            choices=B8_FLUX,
        ),
        Option(
            "b8_spectrum",
            "winter",
            "8B neutrino spectrum: winter (Winter et al. 2006) or bahcall (Bahcall et "
            "al. 1996, the shape of the XENONnT release's own CEvNS spectrum)",
            choices=tuple(solar.B8_SHAPES),
        ),
        SSM_OPTION,
        NUFIT_OPTION,
        Option(
            "ac_sr2_sigma",
            0.0576,
            "SR2 accidental-coincidence uncertainty (not released; default SR1's)",
            kind=float,
            check=_check_sigma,
        ),
        menu.ZP_MODEL,
    ),
)
