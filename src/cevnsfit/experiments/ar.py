"""COHERENT CENNS-10 liquid argon, analysis A (PRL 126 (2021) 012002, arXiv:2006.12659, data release).

Pipeline (docs/physics.md):

* SNS pi-DAR, r = 0.09 nu/flavour/POT, 13.8e22 POT, L = 27.5 m; 24.4 kg of natural Ar.
* Our own CEvNS (and optional ES) energy spectrum: nuclear recoil T -> E_ee = (0.246 + 0.00078
  T[keVnr]) T -> Gaussian resolution sigma = 0.58 sqrt(E_ee[keVee]) integrated over each 10 keVee
  bin -> acceptance efficiency at the reconstructed energy (CENNS10AnlAEfficiency.txt, linear
  interpolation; above its last point, 39.75 keVee, its last value).
* Arrival times from our pi-DAR timing model: POT trace of the release (Gaussian, mean 0.44 us,
  width 0.15 us) convolved with the pion / muon lifetimes, with a ``t_offset`` nuisance of
  0.2 us (the release's +-200 ns on the trace mean).  The time axis of the release has bins of
  0.5 us centred at 0.15, 0.65, ... us, i.e. edges -0.1, 0.4, ..., 4.9 us.
* F90 (pulse-shape) distribution: taken from the release's CEvNS template, conditional on the
  energy bin (the F90 of nuclear recoils depends on energy, not on the neutrino), with its
  +-1 sigma F90 variation as a nuisance.  ES (off by default) uses the same F90 shape: it would
  in reality be removed by the F90 cut, which is why it is off by default.
* Backgrounds: prompt BRN, delayed BRN and steady state from the release templates, with their
  normalisation priors (32 %, 100 %, 0.8 %) and the BRN shape variations (timing mean +-1 sigma,
  energy +-1 sigma, timing width one-sided).
* Binning: energy x time with F90 summed (``grid="2d"``, default) or the full 12 x 8 x 10 grid
  (``grid="3d"``).  CEvNS normalisation prior 13 % (the release's 128 +- 17 prediction: flux,
  quenching, efficiency, form factor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from .. import data
from ..detectors.quenching import ArgonLinear
from ..detectors.response import binned_with_efficiency, recoil_quadrature
from ..inference.templates import build_templates, morph_weights
from ..physics import cevns
from ..physics.monomials import Points
from ..physics.target import zeff_edges
from ..sources.oscillation import sns_baseline
from . import menu
from .base import Axis, DataSet, Nuisance, first, uniform
from .registry import ExperimentInfo, Option
from .snsbeam import SNSExposure, TimeBinning, combine_energy_time_batch, nuclear_quadrature, setup_beam

E_EDGES = np.arange(0.0, 121.0, 10.0)
F90_EDGES = np.linspace(0.5, 0.9, 9)
TIME_EDGES = np.arange(-0.1, 4.91, 0.5)
MASS_KG = 24.4
EXPOSURE = dict(r=0.09, n_pot=13.8e22, distance_m=27.5)
POT_T0_US, POT_SIGMA_US = 0.44, 0.15
RESOLUTION = 0.58
DIR = "coherent_ar_2020"


@cache
def grid_file(name: str) -> np.ndarray:
    """A release file on the 12 x 8 x 10 (energy, F90, time) grid as an array of that shape."""
    arr = np.loadtxt(data.path(f"{DIR}/{name}"))
    if arr.shape != (960, 4):
        raise data.DataError(f"{DIR}/{name}: expected 960 rows of (E, F90, t, value), got {arr.shape}")
    h = np.zeros((12, 8, 10))
    i = np.digitize(arr[:, 0], E_EDGES) - 1
    j = np.digitize(arr[:, 1], F90_EDGES) - 1
    k = np.digitize(arr[:, 2], TIME_EDGES) - 1
    if np.any((i < 0) | (i > 11) | (j < 0) | (j > 7) | (k < 0) | (k > 9)):
        raise data.DataError(f"{DIR}/{name}: bin centres outside the analysis grid")
    np.add.at(h, (i, j, k), arr[:, 3])
    return h


@cache
def efficiency_table() -> tuple[np.ndarray, np.ndarray]:
    arr = np.loadtxt(data.path(f"{DIR}/CENNS10AnlAEfficiency.txt"))
    return arr[:, 0], arr[:, 2]


def efficiency(eee_kev) -> np.ndarray:
    """Acceptance efficiency at reconstructed energy [keVee]; 0 below the table, last value above."""
    x, y = efficiency_table()
    return np.interp(np.asarray(eee_kev, float), x, y, left=0.0, right=y[-1])


def f90_shape(template: np.ndarray) -> np.ndarray:
    """P(F90 bin | energy bin) from a (E, F90, t) template; energy bins where the template is
    empty take the template's overall F90 distribution."""
    ef = template.sum(axis=2)
    overall = ef.sum(axis=0) / ef.sum()
    norm = ef.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = np.where(norm > 0, ef / np.where(norm > 0, norm, 1.0), overall[None, :])
    return cond


def energy_response(eee_kev, edges=E_EDGES, with_efficiency=True) -> np.ndarray:
    """P(energy bin | E_ee) with sigma = 0.58 sqrt(E_ee), efficiency at the reconstructed energy."""
    from scipy.special import ndtr

    e = np.maximum(np.asarray(eee_kev, float), 1e-9)
    sig = RESOLUTION * np.sqrt(e)
    return binned_with_efficiency(
        lambda x: ndtr((x[:, None] - e[None, :]) / sig[None, :]),
        edges,
        efficiency if with_efficiency else None,
        n_sub=40,
    )


@dataclass(eq=False)
class Ar2020(DataSet):
    """COHERENT CENNS-10 LAr analysis A; see the module docstring."""

    signal_normalisation = "eta_cevns"  # a class attribute, not a field

    opts: cevns.Options = field(default_factory=cevns.Options)
    es: bool = False
    grid: str = "2d"
    r_neutron: dict = field(default_factory=dict)
    per_decade: int = 24
    keyed_templates = True

    def __post_init__(self):
        if self.grid not in ("2d", "3d"):
            raise ValueError(f"unknown grid {self.grid!r}; allowed: 2d, 3d")
        self.name = "ar"
        self.statistic = "poisson"
        self.axes = (
            (Axis("energy", "keVee", E_EDGES), Axis("time", "us", TIME_EDGES))
            if self.grid == "2d"
            else (Axis("energy", "keVee", E_EDGES), Axis("f90", "", F90_EDGES), Axis("time", "us", TIME_EDGES))
        )
        self.observed = self._project(grid_file("datanobkgsub.txt"))
        self.release_cevns = grid_file("cevnspdf.txt")
        bg = {"brn": "brnpdf.txt", "delbrn": "delbrnpdf.txt", "ss": "bkgpdf.txt"}
        self.bkg = {k: self._project(grid_file(f)) for k, f in bg.items()}
        self.brn_var = {
            "brn_tmean": (
                self._project(grid_file("SystErrors/brnpdf+1sigBRNTimingMean.txt")),
                self._project(grid_file("SystErrors/brnpdf-1sigBRNTimingMean.txt")),
            ),
            "brn_energy": (
                self._project(grid_file("SystErrors/brnpdf+1sigEnergy.txt")),
                self._project(grid_file("SystErrors/brnpdf-1sigEnergy.txt")),
            ),
        }
        width = self._project(grid_file("SystErrors/brnpdfBRNTimingWidthSyst.txt"))
        self.brn_var["brn_twidth"] = (width, 2.0 * self.bkg["brn"] - width)  # one-sided, mirrored
        self.f90 = {
            "nominal": f90_shape(self.release_cevns),
            "+": f90_shape(grid_file("SystErrors/cevnspdf+1sigF90.txt")),
            "-": f90_shape(grid_file("SystErrors/cevnspdf-1sigF90.txt")),
        }
        setup_beam(self, SNSExposure(t0=POT_T0_US, sigma=POT_SIGMA_US, **EXPOSURE), (("Ar", 1),), MASS_KG)
        self.baseline = sns_baseline(EXPOSURE["distance_m"])
        self.sensitive_to += menu.measured(self, ("e", "mu"))
        self.nuisances = (
            Nuisance("eta_cevns", 0.0, 0.13, "CEvNS normalisation 13% (release prediction 128 +- 17)"),
            Nuisance("eta_brn", 0.0, 0.32, "prompt BRN normalisation (497 +- 160, LArParametersAnlA.yaml)"),
            Nuisance("eta_delbrn", 0.0, 1.0, "delayed BRN normalisation (33 +- 33)"),
            Nuisance("eta_ss", 0.0, 0.008, "steady state normalisation (3154 +- 25)"),
            Nuisance("brn_tmean", 0.0, 1.0, "BRN timing mean +-1 sigma shape (SystErrors/)"),
            Nuisance("brn_energy", 0.0, 1.0, "BRN energy +-1 sigma shape (SystErrors/)"),
            Nuisance("brn_twidth", 0.0, 1.0, "BRN timing width shape, one-sided, mirrored (SystErrors/)"),
            Nuisance("cevns_f90", 0.0, 1.0, "CEvNS F90 +-1 sigma shape (SystErrors/)"),
            Nuisance("t_offset", 0.0, 0.2, "neutrino arrival-time offset [us]: POT trace mean 440 +- 200 ns"),
        )
        tn, wn = self.nuclear_quadrature()
        eee = ArgonLinear().eee(tn * 1e3)
        self.channel_inputs = {"cevns": (self.spectra, self.target, self.n_molecules, tn, wn, energy_response(eee))}
        if self.es:
            te, we = self.electron_quadrature()
            self.channel_inputs["es"] = (self.spectra, self.target, self.n_molecules, te, we, energy_response(te * 1e3))
        self.templates = {
            ch: build_templates(*inp, channel=ch, opts=self.opts) for ch, inp in self.channel_inputs.items()
        }
        self._timing = TimeBinning(self.exposure, TIME_EDGES)

    def _project(self, h3: np.ndarray) -> np.ndarray:
        return (h3.sum(axis=1) if self.grid == "2d" else h3).ravel()

    def nuclear_quadrature(self):
        return nuclear_quadrature(self.target, self.per_decade)

    def electron_quadrature(self):
        return recoil_quadrature(1e-4, 0.2, zeff_edges(self.target), per_decade=self.per_decade)

    # predictions ----------------------------------------------------------------------------
    def _brn_variants(self):
        """The BRN morphing variants stacked: names, nominal (B,), plus (3, B), minus (3, B)."""
        keys = tuple(self.brn_var)
        return (
            keys,
            self.bkg["brn"],
            np.stack([self.brn_var[k][0] for k in keys]),
            np.stack([self.brn_var[k][1] for k in keys]),
        )

    def _backgrounds(self, nv: dict, derivatives: bool = False):
        """Backgrounds (name -> (n, B)) at (n,) nuisance arrays, and their exact derivatives."""
        keys, nom, plus, minus = self._brn_variants()
        names = (*keys, "eta_brn", "eta_delbrn", "eta_ss")
        n = nv["eta_brn"].shape[0]
        if n > 1 and uniform(*(nv[k] for k in names)):  # the same backgrounds for every point
            out, d = self._backgrounds({k: first(nv[k]) for k in names}, derivatives)
            bc = lambda a: np.broadcast_to(a, (n,) + a.shape[1:])  # noqa: E731
            return {k: bc(v) for k, v in out.items()}, (None if d is None else {k: bc(v) for k, v in d.items()})
        w, dw = zip(*(morph_weights(nv[k]) for k in keys), strict=True)  # per key: ((n,) x 3), ((n,) x 3)
        wn = np.stack([x[0] for x in w], axis=1)  # (n, 3)
        wp = np.stack([x[1] for x in w], axis=1)
        wm = np.stack([x[2] for x in w], axis=1)
        morphed = (1.0 + (wn - 1.0).sum(axis=1))[:, None] * nom + wp @ plus + wm @ minus
        brn_norm = 1.0 + nv["eta_brn"]
        brn = np.maximum(morphed, 0.0)  # morphing may cross zero
        out = {
            "brn": brn_norm[:, None] * brn,
            "delbrn": (1.0 + nv["eta_delbrn"])[:, None] * self.bkg["delbrn"],
            "ss": (1.0 + nv["eta_ss"])[:, None] * self.bkg["ss"],
        }
        if not derivatives:
            return out, None
        pos = (morphed > 0.0) * brn_norm[:, None]
        d = {
            "eta_brn": brn,
            "eta_delbrn": np.broadcast_to(self.bkg["delbrn"], brn.shape),
            "eta_ss": np.broadcast_to(self.bkg["ss"], brn.shape),
        }
        for j, k in enumerate(keys):
            dn, dp_, dm = dw[j]
            d[k] = pos * (dn[:, None] * nom + dp_[:, None] * plus[j] + dm[:, None] * minus[j])
        return out, d

    def _f90(self, x, derivatives: bool = False):
        """P(F90 bin | energy bin) (n, E, F) at the F90 nuisance values, and d/dx."""
        (wn, wp, wm), (dn, dp_, dm) = morph_weights(x)
        nom, plus, minus = self.f90["nominal"], self.f90["+"], self.f90["-"]
        m = wn[:, None, None] * nom + wp[:, None, None] * plus + wm[:, None, None] * minus
        f = np.maximum(m, 0.0)
        if not derivatives:
            return f, None
        return f, (m > 0.0) * (dn[:, None, None] * nom + dp_[:, None, None] * plus + dm[:, None, None] * minus)

    def _parts(self, points: Points, nv: dict, derivatives: bool = False):
        """Signal per channel (n, D, B) (normalisation applied), backgrounds {name: (n, B)} and,
        with ``derivatives``, the exact derivatives of the expected counts by nuisance."""
        n = points.n
        norm = (1.0 + nv["eta_cevns"])[:, None, None]
        raw = self.contract_templates(points)  # channel -> (n, D, K, E)
        p, dp = self._timing.batch(nv["t_offset"], derivatives)
        kidx = [self._timing.kinds.index(k) for k in self.kinds]
        tk = np.broadcast_to(p[:1, kidx], (p.shape[0], len(kidx), p.shape[2])) if p.strides[0] == 0 else p[:, kidx]
        f90 = df90 = None
        if self.grid == "3d":
            f90, df90 = self._f90(nv["cevns_f90"], derivatives)

        def spread(energy, tprob, f):
            et = combine_energy_time_batch(energy, tprob)  # (n, D, E T)
            if f is None:
                return et
            nT = tprob.shape[-1]
            et = et.reshape(n, energy.shape[1], -1, 1, nT) * f[:, None, :, :, None]
            return et.reshape(n, energy.shape[1], -1)

        sig = {ch: norm * spread(v, tk, f90) for ch, v in raw.items()}
        bkg, d = self._backgrounds(nv, derivatives)
        if derivatives:
            e0 = sum(v[:, :1] for v in raw.values())  # (n, 1, K, E)
            unnorm = spread(e0, tk, f90)[:, 0]
            d["eta_cevns"] = unnorm
            d["t_offset"] = norm[:, 0] * spread(e0, dp[:, kidx], f90)[:, 0]
            if self.grid == "3d":
                d["cevns_f90"] = norm[:, 0] * spread(e0, tk, df90)[:, 0]
            else:  # the F90 shape is summed over on the 2D grid
                d["cevns_f90"] = np.zeros_like(unnorm)
        return sig, bkg, d

    def predict_points(self, points: Points, nuis: dict, derivatives: bool = False):
        sig, bkg, d = self._parts(points, nuis, derivatives)
        out = sum(sig.values())
        out[:, 0] += sum(bkg.values())
        return out, d


def _build(opts: cevns.Options, es: bool, ar_grid: str, zp_model: str = "universal") -> Ar2020:
    return Ar2020(opts=menu.with_zp_model(opts, zp_model), es=es, grid=ar_grid)


INFO = ExperimentInfo(
    name="ar",
    title="COHERENT CENNS-10 LAr 2020, analysis A",
    reference="PRL 126, 012002 (2021), arXiv:2003.10630",
    data_sets=("coherent_ar_2020",),
    # the F90 pulse-shape cut removes electron recoils: ES off by default
    default_es=False,
    build=_build,
    options=(
        Option(
            "ar_grid",
            "2d",
            "Ar binning: 2d (energy x time, F90 summed) or 3d (energy x F90 x time)",
            choices=("2d", "3d"),
        ),
        menu.ZP_MODEL,
    ),
)
