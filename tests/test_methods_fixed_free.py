"""``fixed``/``free`` (the papers' parameter conventions) act on Feldman-Cousins and Bayes through
the same code path as on Wilks: the command line, analysis files and the Python API; and the
Python API's Feldman-Cousins and Bayesian contours as result objects."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cevnsfit as cf
from cevnsfit.cli import app
from cevnsfit.config import parse
from cevnsfit.inference import methods
from cevnsfit.inference.analysis import Setup
from cevnsfit.inference.feldman_cousins import profile_scan
from cevnsfit.inference.fit import Likelihood
from cevnsfit.report.reproduce import run_analysis

runner = CliRunner()
CSI17 = Setup(("csi2017",))


def test_fc_with_a_fixed_parameter_is_the_fit_with_it_held(data_available):
    """|mu_mumu| from CsI 2017 with mu_e held at 0 (the papers' convention): the observed profile
    of the FC construction is chi^2 with mu_e = 0 (a direct fit), and profiling mu_e instead can
    only lower the chi^2 at every tested value."""
    grid = [0.0, 8.0, 16.0, 24.0]
    held = profile_scan(CSI17, "mu_mu", grid=grid, fixed={"mu_e": "sm"})
    free = profile_scan(CSI17, "mu_mu", grid=grid)
    assert list(held["problem"].poi) == ["mu_mu"] and dict(held["problem"].fixed) == {"mu_e": 0.0}
    assert "mu_e" in free["problem"].poi
    lik = Likelihood(CSI17.datasets(), poi=["mu_mu"], fixed={"mu_e": 0.0}, profiler="minuit")
    direct = np.array([lik.fit(start={"mu_mu": g}, fixed={"mu_mu": g}).chi2 for g in grid])
    np.testing.assert_allclose(held["delta"] + held["chi2_min"], direct, atol=2e-3)
    assert np.all(free["delta"] + free["chi2_min"] <= direct + 1e-6)


def test_fc_and_bayes_take_fix_and_free_on_the_command_line(data_available):
    base = ["limit", "--data", "csi2017", "--param", "mu_mu", "--fix", "mu_e", "--json", "--points", "5"]
    r = runner.invoke(app, base + ["--method", "fc", "--toys", "5"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.splitlines()[0])
    assert d["profiled"] == [] and d["options"]["fixed"] == {"mu_e": 0.0}
    # freeing a parameter of another family adds it to the profiled ones
    r = runner.invoke(
        app,
        [
            "limit",
            "--data",
            "csi2017",
            "--param",
            "mu_mu",
            "--free",
            "r2_ee",
            "--method",
            "fc",
            "--toys",
            "5",
            "--points",
            "5",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["profiled"] == ["mu_e", "r2_ee"]
    r = runner.invoke(app, ["limit", "--data", "csi2017", "--param", "mu_mu", "--fix", "mu_mu", "--method", "fc"])
    assert r.exit_code != 0 and "scanned" in r.output


def test_bayes_samples_what_wilks_profiles(data_available):
    pytest.importorskip("dynesty")
    res = methods.limit(CSI17, "mu_mu", method="bayes", nlive=60, fixed={"mu_e": 0.0})
    assert "mu_e" not in res["sampled"] and res["options"]["fixed"] == {"mu_e": 0.0}
    res = methods.limit(CSI17, "mu_mu", method="bayes", nlive=60)
    assert "mu_e" in res["sampled"]


def test_analysis_file_fixed_reaches_fc(data_available):
    a = parse(
        "name: t\ndata: [csi2017]\nfixed: {mu_e: sm}\n"
        "limits:\n- {param: mu_mu, methods: [wilks, fc], toys: 10, points: 7}\n"
    )
    out = run_analysis(a, quick=True)
    assert [x["method"] for x in out["limits"]] == ["wilks", "fc"]
    for x in out["limits"]:
        assert x["profiled"] == [] and x["options"]["fixed"] == {"mu_e": 0.0}


def test_api_fc_contour_result(data_available, tmp_path):
    """Analysis(...).contour(method="fc"): the critical Delta chi^2 of every grid point beside
    Wilks' 4.61, a region that holds the best fit, plots and a lossless JSON round trip."""
    import matplotlib

    matplotlib.use("Agg")
    res = cf.Analysis(["csi2017"]).contour(
        "mu_e", "mu_mu", method="fc", points=5, toys=12, x_range=(0, 60), y_range=(0, 40)
    )
    assert isinstance(res, cf.FCContourResult) and res.profiled == []
    crit = np.asarray(res.critical_delta_chi2)
    assert crit.shape == (5, 5) and np.all(np.isfinite(crit)) and res.wilks_delta_chi2 == pytest.approx(4.605, abs=1e-3)
    acc = np.asarray(res.accepted)
    np.testing.assert_array_equal(acc, np.asarray(res.delta_chi2) <= crit + 1e-5)
    assert acc[0, 0]  # (0, 0): the best fit of |mu| sits at the boundary
    assert set(res.intervals) == {"mu_e", "mu_mu"} and res.intervals["mu_e"][0][0] == 0.0
    back = cf.from_dict(json.loads(res.to_json()))
    assert isinstance(back, cf.FCContourResult) and back.critical_delta_chi2 == res.critical_delta_chi2
    ax = res.plot()
    assert ax.get_xlabel() and ax.get_ylabel()
    ax2 = res.plot_critical()
    assert ax2.figure is not ax.figure
    assert "Feldman-Cousins" in res._repr_html_()


def test_api_bayes_contour_result(data_available):
    pytest.importorskip("dynesty")
    import matplotlib

    matplotlib.use("Agg")
    res = cf.Analysis(["csi2017"]).contour(
        "mu_e", "mu_mu", method="bayes", nlive=60, seed=1, x_range=(0, 80), y_range=(0, 60)
    )
    assert isinstance(res, cf.PosteriorResult) and res.prior == "flat"
    dens = np.asarray(res.density)
    # the HPD region holds the stated posterior mass
    assert dens[res.region].sum() / dens.sum() == pytest.approx(0.9, abs=0.03)
    for p in ("mu_e", "mu_mu"):
        (lo, hi), *_ = res.intervals[p]
        a, b = res.equal_tailed[p]
        assert 0.0 <= lo < hi and a < b
    back = cf.from_dict(json.loads(res.to_json()))
    assert isinstance(back, cf.PosteriorResult) and back.marginals == res.marginals
    assert res.plot().get_xlabel()
    assert len(res.corner().axes) == 4
