"""--method wilks|fc|bayes through the command line, analysis files and the Python functions."""

import json

import pytest
from typer.testing import CliRunner

from cevnsfit.cli import app
from cevnsfit.config import ConfigError, parse
from cevnsfit.inference import methods
from cevnsfit.inference.analysis import Setup
from cevnsfit.report.reproduce import run_analysis

runner = CliRunner()
BASE = ["limit", "--data", "csi2017", "--option", "csi2017_signal=free", "--param", "csi2017.eta_cevns"]


def test_fc_limit_on_the_command_line(data_available, tmp_path):
    r = runner.invoke(
        app,
        BASE
        + [
            "--method",
            "fc",
            "--toys",
            "8",
            "--points",
            "6",
            "--seed",
            "3",
            "--json",
            "--plot",
            str(tmp_path / "fc.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.splitlines()[0])
    assert d["method"] == "fc" and d["n_toys"] == 8 and len(d["scan"]["critical_delta_chi2"]) == 6
    assert d["wilks_intervals"] and (tmp_path / "fc.png").stat().st_size > 0
    # a normalisation never goes below -1 (no negative event count)
    assert min(d["scan"]["grid"]) >= -1.0
    # regularised critical values by default, the raw ones beside them; --no-smooth: the raw ones
    assert d["smoothing"]["method"] == "local-linear" and len(d["scan"]["critical_delta_chi2_raw"]) == 6
    r = runner.invoke(
        app, BASE + ["--method", "fc", "--toys", "8", "--points", "6", "--seed", "3", "--json", "--no-smooth"]
    )
    assert r.exit_code == 0, r.output
    raw = json.loads(r.stdout.splitlines()[0])
    assert raw["smoothing"] is None and raw["scan"]["critical_delta_chi2"] == d["scan"]["critical_delta_chi2_raw"]


def test_wilks_on_a_nuisance_matches_the_fitted_count(data_available):
    """1 sigma interval of the free CsI 2017 normalisation: N = 129.7 (+15/-19) events of 163.8."""
    res = methods.limit(Setup(("csi2017",), csi2017_signal="free"), "csi2017.eta_cevns", cl=0.6827)
    ((a, b),) = res["intervals"]
    assert a < res["best_fit"] < b and -0.45 < a < -0.25 and -0.2 < b < 0.0


def test_bayes_limit_on_the_command_line(data_available):
    pytest.importorskip("dynesty")
    r = runner.invoke(app, BASE + ["--method", "bayes", "--nlive", "100", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.splitlines()[0])
    assert d["method"] == "bayes" and d["prior"] == "flat" and d["hpd_intervals"]


def test_bad_method_and_prior_are_clear_errors(data_available):
    r = runner.invoke(app, BASE + ["--method", "neyman"])
    assert r.exit_code != 0 and "unknown method 'neyman'" in r.output
    r = runner.invoke(
        app, ["limit", "--data", "dresden2", "--param", "mu_e", "--method", "bayes", "--prior", "jeffreys"]
    )
    assert r.exit_code != 0 and "unknown prior" in r.output


def test_analysis_file_methods(data_available):
    a = parse(
        "name: t\ndata: [csi2017]\nmodel: {csi2017_signal: free}\n"
        "limits:\n- {param: csi2017.eta_cevns, methods: [wilks, fc], toys: 10, points: 7}\n"
    )
    out = run_analysis(a, quick=True)
    assert [x["method"] for x in out["limits"]] == ["wilks", "fc"]
    assert all(x["intervals"] for x in out["limits"])
    assert out["limits"][1]["smoothing"]["method"] == "local-linear"
    assert (
        parse("name: t\ndata: [dresden2]\nlimits:\n- {param: mu_e, methods: [fc], smooth: false}\n").limits[0].smooth
        is False
    )
    with pytest.raises(ConfigError, match="methods"):
        parse("name: t\ndata: [dresden2]\nlimits:\n- {param: mu_e, methods: [neyman]}\n")
    with pytest.raises(ConfigError, match="unknown data set"):
        parse("name: t\ndata: [dresden2]\nlimits:\n- {param: xenon.eta, methods: [fc]}\n")


def test_fc_and_bayes_contours_on_the_command_line(data_available, tmp_path):
    """contour --method fc: the FC and Wilks regions on the grid (the best fit of (|mu_e|,
    |mu_mu|) at the boundary (0, 0) is inside both); --method bayes: the HPD region and a corner
    plot, marginal intervals never below |mu| = 0."""
    base = ["contour", "--data", "csi2017", "--param", "mu_e", "--param", "mu_mu", "--range", "0,60", "--range", "0,40"]
    r = runner.invoke(
        app, base + ["--method", "fc", "--points", "5", "--toys", "12", "--json", "--plot", str(tmp_path / "fc.png")]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.splitlines()[0])
    assert d["method"] == "fc" and d["accepted"][0][0] and d["wilks_accepted"][0][0]
    assert len(d["critical_delta_chi2_raw"]) == 5 and (tmp_path / "fc.png").stat().st_size > 0
    pytest.importorskip("dynesty")
    r = runner.invoke(app, base + ["--method", "bayes", "--nlive", "10"])
    assert r.exit_code != 0 and "--nlive must be at least 20" in r.output
    r = runner.invoke(
        app, base + ["--method", "bayes", "--nlive", "60", "--seed", "1", "--plot", str(tmp_path / "corner.png")]
    )
    assert r.exit_code == 0, r.output
    assert "mu_e: 90% HPD [0" in r.output and "mu_mu: 90% HPD [0" in r.output
    assert (tmp_path / "corner.png").stat().st_size > 0


def test_analysis_file_contour_methods(data_available):
    a = parse(
        "name: t\ndata: [csi2017]\ncontours:\n- {params: [mu_e, mu_mu], ranges: [[0, 60], [0, 40]], "
        "methods: [wilks, fc, bayes], toys: 10, points: 7}\n"
    )
    if not _has_dynesty():
        a.contours[0].methods = ["wilks", "fc"]
    out = run_analysis(a, quick=True)
    assert not out.get("errors"), out.get("errors")
    got = [c.get("method") for c in out["contours"]]
    assert got == a.contours[0].methods
    fc = out["contours"][1]
    assert fc["smoothing"] and fc["accepted"][0][0]


def _has_dynesty() -> bool:
    try:
        import dynesty  # noqa: F401
    except ImportError:
        return False
    return True
