"""Fits, profiles and intervals: Asimov closure, an analytic Gaussian toy, and the published
Dresden-II / COHERENT statements that SPEC section 12 lists."""

import copy
import json
from dataclasses import dataclass, replace

import numpy as np
import pytest
from scipy.stats import chi2 as chi2_dist
from typer.testing import CliRunner

from cevnsfit import experiments
from cevnsfit.cli import app
from cevnsfit.experiments.base import Axis, DataSet, Nuisance
from cevnsfit.inference.analysis import Setup, contour, limit
from cevnsfit.inference.fit import Likelihood
from cevnsfit.inference.profile import Profiler, delta_chi2_threshold, intervals_from_scan
from cevnsfit.physics.parameters import Params

runner = CliRunner()
SM = Params.sm()


# --- a Gaussian toy with an analytic answer ---------------------------------------------
@dataclass(eq=False)
class GaussianToy(DataSet):
    """Three bins, expected = a_i (1 + eta) + b_i (sin2w - 0.24); Gaussian errors and prior."""

    def __post_init__(self):
        self.name = "toy"
        self.axes = (Axis("x", "", np.array([0.0, 1.0, 2.0, 3.0])),)
        self.a = np.array([100.0, 50.0, 20.0])
        self.b = np.array([400.0, -100.0, 80.0])
        self.sig = np.array([5.0, 4.0, 3.0])
        self.observed = self.a + self.b * 0.01  # truth sin2w = 0.25
        self.nuisances = (Nuisance("eta", 0.0, 0.05, "toy normalisation"),)
        self.sensitive_to = ("sin2w",)
        self.statistic = "gaussian"

    def observed_errors(self):
        return self.sig

    def components(self, params, nuis=None):
        n = self._nuis(nuis)
        # linear in (sin2w, eta): the profiled chi2 is exactly quadratic
        return {"cevns": self.a * (1 + n["eta"]) + self.b * (params.sin2w - 0.24)}


def test_gaussian_toy_interval_is_analytic():
    toy = GaussianToy()
    lik = Likelihood([toy], poi=["sin2w"])
    prof = Profiler(lik)
    best = prof.global_fit()
    assert best.values["sin2w"] == pytest.approx(0.25, abs=5e-4)
    assert best.chi2 == pytest.approx(0.0, abs=1e-4)
    # linear model: chi2 is quadratic; with the Gaussian nuisance profiled the curvature is
    # that of the 2x2 Fisher matrix with the prior added
    J = np.stack([toy.b / toy.sig, toy.a / toy.sig], axis=1)  # d(pull)/d(s, eta) at the truth
    F = J.T @ J + np.diag([0.0, 1.0 / 0.05**2])
    sigma_s = np.sqrt(np.linalg.inv(F)[0, 0])
    level = delta_chi2_threshold(0.9, 1)
    grid = np.linspace(0.2, 0.3, 41)
    scan = prof.scan("sin2w", grid)
    iv = intervals_from_scan(
        grid,
        scan.chi2 - prof.best.chi2,
        level,
        lambda a, b: prof.refine_crossing("sin2w", a, b, level, prof.best.values, 30),
    )
    half = np.sqrt(level) * sigma_s
    assert len(iv) == 1
    assert iv[0][0] == pytest.approx(0.25 - half, rel=0, abs=2e-3 * half)
    assert iv[0][1] == pytest.approx(0.25 + half, rel=0, abs=2e-3 * half)


def test_failed_scan_points_are_restarted():
    """A scan point whose minimisation failed is redone from its converged neighbours: the
    repaired point is the true profile, not the failed value (here a made-up 1e3)."""
    toy = GaussianToy()
    prof = Profiler(Likelihood([toy], poi=["sin2w"]))
    prof.global_fit()
    grid = np.linspace(0.2, 0.3, 11)
    scan = prof.scan("sin2w", grid)
    assert scan.converged.all()
    from cevnsfit.inference.profile import _Best

    prob = scan.extra["problem"]
    best = _Best(grid.size)
    for i, g in enumerate(grid):
        r = prof.profile_at({"sin2w": g})
        t = prob.task(r.values, {"sin2w": g})
        best.chi2[i], best.conv[i], best.theta[i], best.task[i] = r.chi2, r.converged, t.start, t
    best.chi2[4], best.conv[4], best.theta[4] = 1e3, False, None
    prof._retry_failed("sin2w", grid, best, prob)
    assert best.conv[4] and best.theta[4] is not None
    assert best.chi2[4] == pytest.approx(scan.chi2[4], abs=1e-6)


def test_scan_range_recovers_from_an_overshooting_first_step(data_available):
    """A modulus whose error estimate is far too large (as at a boundary) still gets a scan range
    that ends within a few times its limit, not at the first, huge step."""
    from cevnsfit.inference.analysis import _scan_range

    prof = Profiler(Likelihood([experiments.load("dresden2")], poi=["mu_e"]))
    prof.global_fit()
    prof.best.errors["mu_e"] = 1e3
    level = delta_chi2_threshold(0.9, 1)
    lo, hi = _scan_range(prof, "mu_e", level, 0.0)
    assert lo == 0.0
    assert 2.25 < hi < 4 * 2.25


def test_fixing_an_unknown_parameter_is_an_error():
    lik = Likelihood([GaussianToy()], poi=["sin2w"])
    with pytest.raises(ValueError, match="toy.etaa"):
        lik.fit(fixed={"toy.etaa": 0.1})
    assert lik.fit(fixed={"toy.eta": 0.1}).values["toy.eta"] == 0.1


def test_threshold_values():
    assert delta_chi2_threshold(0.9, 1) == pytest.approx(2.7055, abs=1e-3)
    assert delta_chi2_threshold(0.9, 2) == pytest.approx(4.6052, abs=1e-3)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        delta_chi2_threshold(1.2)


def test_intervals_two_disjoint():
    g = np.linspace(-10, 10, 201)
    d = np.minimum((g - 5) ** 2, (g + 5) ** 2)
    iv = intervals_from_scan(g, d, 1.0)
    assert len(iv) == 2
    np.testing.assert_allclose(iv, [[-6, -4], [4, 6]], atol=1e-2)


# --- Asimov closure on the real data sets ------------------------------------------------
def _asimov(ds, truth: Params):
    a = copy.copy(ds)
    a.observed = ds.expected(truth)
    return a


@pytest.mark.parametrize(
    "name,param,value", [("dresden2", "mu_e", 4.0), ("csi", "sin2w", 0.25), ("ar", "r2_mumu", 10.0)]
)
def test_asimov_fit_returns_truth(name, param, value, data_available):
    ds = experiments.load(name)
    truth = SM.with_(**{param: value})
    a = _asimov(ds, truth)
    lik = Likelihood([a], poi=[param])
    res = Profiler(lik).global_fit(extra_starts=[{param: value * 0.9}])
    assert res.converged
    assert res.values[param] == pytest.approx(value, rel=2e-3)
    assert res.chi2 == pytest.approx(0.0, abs=1e-4)
    # and at the truth, the profiled chi2 is the minimum
    at_truth = lik.fit(fixed={param: value}, start={param: value})
    assert at_truth.chi2 - res.chi2 == pytest.approx(0.0, abs=1e-4)


# --- published statements ----------------------------------------------------------------
@pytest.fixture(scope="module")
def mu_limits(data_available):
    out = {}
    for key, setup in {
        "fef": Setup(("dresden2",)),
        "fef_noes": Setup(("dresden2",), es=False),
        "ybe": Setup(("dresden2",), qf="ybe"),
    }.items():
        out[key] = limit(setup, "mu_e", n_points=41)
    return out


def test_dresden_mu_limit_published(mu_limits):
    """|mu_nue| < 2.13e-10 mu_B (Fef, CEvNS + ES, 90 % CL; Coloma et al. 2022) within 15 %."""
    assert mu_limits["fef"]["intervals"][-1][1] == pytest.approx(2.13, rel=0.15)


def test_dresden_mu_published_ratios(mu_limits):
    """YBe roughly a factor of two weaker than Fef; removing ES weakens the limit by about 10 %."""
    up = {k: v["intervals"][-1][1] for k, v in mu_limits.items()}
    assert up["ybe"] / up["fef"] == pytest.approx(2.0, rel=0.25)
    assert up["fef_noes"] / up["fef"] == pytest.approx(1.10, abs=0.05)


def test_dresden_mu_limit_structure(mu_limits):
    fef = mu_limits["fef"]
    assert fef["converged"] and fef["intervals"][0][0] == 0.0
    up = fef["intervals"][-1][1]
    assert 1.0 < up < 5.0  # 1e-10 mu_B: an order of magnitude beyond COHERENT
    # removing ES weakens the limit; YBe (lower quenching) is weaker than Fef
    assert mu_limits["fef_noes"]["intervals"][-1][1] > up
    assert mu_limits["ybe"]["intervals"][-1][1] > up


def _cevns_preference(qf="fef", peaks="fitted"):
    """Delta chi^2 and p-value of background only against background + SM CEvNS (Wilks, 1 dof)."""
    ds = experiments.load("dresden2", qf=qf, peaks=peaks)
    lik = Likelihood([ds])
    with_cevns = lik.fit()
    # background only: the reactor signal switched off (flux scale -1), without charging the
    # flux-normalisation prior for it
    without = lik.fit(fixed={"dresden2.eta_flux": -1.0}, start={"dresden2.eta_flux": -1.0})
    prior = ds.penalty({"eta_flux": -1.0})
    assert prior == pytest.approx((1.0 / 0.02) ** 2)
    assert with_cevns.converged and without.converged
    dchi2 = without.chi2 - prior - with_cevns.chi2
    return dchi2, chi2_dist.sf(dchi2, 1)


def test_dresden_prefers_cevns(data_available):
    """The Rx-ON data prefer background + SM CEvNS over background only (Fef: Delta chi^2 = 7.6)."""
    dchi2, p = _cevns_preference()
    assert 0 < dchi2 < 100  # a real preference, not an artefact of the prior
    assert p < 0.05


@pytest.mark.xfail(
    strict=True,
    reason="reproduction gap (docs/reproduction.md): with the fitted 71Ge peaks the "
    "Rx-ON data prefer CEvNS at p = 5.9e-3 (Delta chi^2 = 7.6), not p < 1.2e-3",
)
def test_dresden_prefers_cevns_published(data_available):
    """Published (Colaresi et al. 2022): CEvNS preferred over background only at p < 1.2e-3."""
    assert _cevns_preference()[1] < 1.2e-3


def test_dresden_background_model(data_available):
    """The 71Ge peak shapes: with the L1 centroid and width free the SM fit of the Rx-ON spectrum
    has chi^2 = 103.7 for 130 bins -- an independent implementation of the same background model
    (public code of Coloma et al. 2022) finds 103.8 -- with the L1 line 4-5 eV below its nominal
    1.297 keV and its width within 3 % of the resolution formula.  SPEC section 10 read literally
    (nominal centroids, widths from the formula) leaves that offset in the residuals."""
    from cevnsfit.experiments.dresden2 import PEAKS_KEV, resolution

    fitted = Likelihood([experiments.load("dresden2")]).fit()
    fixed = Likelihood([experiments.load("dresden2", peaks="fixed")]).fit()
    assert fitted.converged and fixed.converged
    assert fitted.chi2 == pytest.approx(103.8, abs=2.0)
    assert fixed.chi2 > 200.0
    shift = fitted.values["dresden2.l1_centre"] - PEAKS_KEV["L1"]
    assert -0.008 < shift < -0.002
    assert fitted.values["dresden2.l1_width"] == pytest.approx(float(resolution(PEAKS_KEV["L1"])), rel=0.03)


def test_csi_fitted_cevns_events(data_available):
    """With the CEvNS normalisation free, the fitted number is close to COHERENT's 306 +- 20."""
    ds = experiments.load("csi")
    free = copy.copy(ds)
    free.nuisances = tuple(replace(n, sigma=None) if n.name == "eta_cevns" else n for n in ds.nuisances)
    res = Likelihood([free]).fit()
    assert res.converged
    n_fit = free.components(SM, {k.split(".", 1)[1]: v for k, v in res.values.items()})["cevns"].sum()
    assert n_fit == pytest.approx(306, abs=25)


def test_es_tightens_dresden_millicharge(data_available):
    es = limit(Setup(("dresden2",)), "q_ee", n_points=61, refine=False)
    no = limit(Setup(("dresden2",), es=False), "q_ee", n_points=41, refine=False)
    width_es = max(abs(b) for iv in es["intervals"] for b in iv)
    width_no = max(abs(b) for iv in no["intervals"] for b in iv)
    # ES (1/T^2 on electrons) improves the limit by more than two orders of magnitude (published)
    assert width_no / width_es > 100


def test_limit_is_projection_of_contour(data_available):
    setup = Setup(("dresden2",), transitions=True)
    con = contour(setup, "r2_ee", "r2_emu", n=21)
    x = np.array(con["x"])
    lim = limit(setup, "r2_ee", n_points=x.size, scan_range=(x[0], x[-1]), refine=False)
    np.testing.assert_allclose(lim["scan"]["grid"], x)
    d2 = np.array(con["delta_chi2"]).min(axis=0)  # projection: min over the r2_emu grid
    d1 = np.array(lim["scan"]["delta_chi2"])
    inside = d1 < 10
    # the grid projection can only overestimate the profile; they agree to the grid resolution
    assert np.all(d2[inside] >= d1[inside] - 0.05)
    assert np.median(np.abs(d2[inside] - d1[inside])) < 0.5
    level = delta_chi2_threshold(0.9, 1)
    proj = intervals_from_scan(x, d2, level)
    ours = lim["intervals"]
    assert len(proj) == len(ours)
    step = x[1] - x[0]
    for (a, b), (c, e) in zip(proj, ours, strict=True):
        assert abs(a - c) < step and abs(b - e) < step


# --- command line ------------------------------------------------------------------------
def test_limit_cli_json(data_available):
    r = runner.invoke(app, ["limit", "--data", "dresden2", "--param", "mu_e", "--json", "--points", "21"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for k in ("param", "unit", "best_fit", "chi2_min", "cl", "intervals", "converged", "options"):
        assert k in d
    assert d["unit"] == "1e-10 mu_B" and d["intervals"][0][0] == 0.0 and d["cl"] == 0.9
    assert d["options"]["qf"] == "fef" and d["options"]["flux"] == "hmve" and d["options"]["es"] == {"dresden2": True}


@pytest.mark.parametrize(
    "args,msg",
    [
        (["--data", "csi,xenon", "--param", "mu_e"], "allowed"),
        (["--data", "csi", "--param", "mu_x"], "allowed"),
        (["--data", "csi", "--param", "mu_e", "--cl", "1.5"], "(0, 1)"),
        (["--data", "csi", "--param", "mu_e", "--qf", "ybe"], "dresden2"),
        (["--data", "dresden2", "--param", "mu_mu"], "not measured"),
        (["--data", "dresden2", "--param", "mu_e", "--range", "3,1"], "high > low"),
    ],
)
def test_limit_cli_bad_input(args, msg, data_available):
    r = runner.invoke(app, ["limit", *args])
    assert r.exit_code != 0
    assert msg in r.output


def test_reproduce_quick_subset(tmp_path, data_available):
    r = runner.invoke(app, ["reproduce", "--only", "mu_dresden2_fef", "--quick", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for f in ("results.md", "results.tex", "results.csv", "results.json"):
        assert (tmp_path / f).stat().st_size > 100
    rows = json.loads((tmp_path / "results.json").read_text())
    assert {r["analysis"] for r in rows} == {"mu_dresden2_fef_es", "mu_dresden2_fef_noes"}
    assert list((tmp_path / "plots").glob("profile_*.png"))
    assert (tmp_path / "plots" / "comparison_mu_e.png").exists()
