"""The new-physics menu as ordinary parameters of the analyses: exclusion curves (heavy mediator =
NSI with eps = g^2/(sqrt2 G_F m^2)), neutron-radius and sterile fits, weak charges, the analysis
files, the API and the command line."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from cevnsfit import experiments
from cevnsfit.cli import app
from cevnsfit.inference.analysis import Setup, limit
from cevnsfit.inference.exclusion import mass_scan
from cevnsfit.physics.mediators import equivalent_nsi
from cevnsfit.physics.parameters import Params

runner = CliRunner()
GF = 1.1663787e-11  # MeV^-2


def _nsi_of(g, m):
    """The flavour-universal NSI point equivalent to a heavy universal Z'."""
    eu, ed = equivalent_nsi(g, m, "universal")
    assert eu == pytest.approx(g**2 / (math.sqrt(2) * GF * m**2), rel=1e-12) and ed == eu
    return {f"eps_{q}_{s}": e for q, e in (("u", eu), ("d", ed)) for s in ("ee", "mumu", "tautau")}


def test_heavy_mediator_limit_is_the_nsi_limit(data_available):
    """At m = 100 GeV >> |q| the Z' exclusion on argon (no ES) equals the limit on the matching
    universal NSI: the predictions agree to |q|^2/m^2 ~ 1e-6 and the profiled chi^2 of the NSI
    point at eps(g_limit) sits on the 90 % CL threshold."""
    ds = experiments.load("ar")
    m = 1e5
    for g in (1e-3, 3e-3):
        np.testing.assert_allclose(
            ds.expected(Params(g_zp=g, m_zp=m)), ds.expected(Params.from_dict(_nsi_of(g, m))), rtol=1e-5
        )
    res = mass_scan([ds], "g_zp", [m])
    g_lim = res["upper"][0]
    assert np.isfinite(g_lim) and g_lim > 0
    from cevnsfit.inference.fit import Likelihood

    lik = Likelihood([ds], fixed=_nsi_of(g_lim, m))
    chi2_nsi = lik.fit().chi2
    assert chi2_nsi - res["chi2_min"][0] == pytest.approx(2.706, abs=0.02)
    # the limit scales as m at large mass (eps ~ g^2/m^2)
    res2 = mass_scan([ds], "g_zp", [2 * m])
    assert res2["upper"][0] / g_lim == pytest.approx(2.0, rel=1e-3)


def test_light_mediator_limit_does_not_depend_on_the_mass(data_available):
    """For m << |q| (argon: |q| > 10 MeV above threshold) the propagator is 1/|q|^2: the limit no
    longer moves with m."""
    res = mass_scan([experiments.load("ar")], "g_phi", [1e-3, 1e-1])
    assert res["upper"][0] == pytest.approx(res["upper"][1], rel=1e-3)


def test_neutron_radius_and_sin2w_fits(data_available):
    r = limit(Setup(("ar",)), "rn_ar", n_points=21)
    assert r["intervals"] and all(2.0 <= a < b <= 10.0 for a, b in r["intervals"])
    s = limit(Setup(("ar",)), "sin2w", n_points=21, free=["rn_ar"])
    assert "rn_ar" in s["profiled"]
    qw = s["weak_charge"]["Ar"]
    # Q_W = 2 (Z g~p + N gn) ~ -N for argon, and it falls as sin2w grows
    assert -24 < qw["best"] < -18
    ((a, b),) = s["weak_charge"]["Ar"]["intervals"][:1]
    assert a < qw["best"] < b


def test_limit_fixed_and_free_validation(data_available):
    with pytest.raises(ValueError, match="umu4sq is not measured"):
        limit(Setup(("dresden2",)), "umu4sq")
    with pytest.raises(ValueError, match="m_zp"):
        limit(Setup(("ar",)), "g_zp", fixed={"m_zp": -1.0})
    with pytest.raises(ValueError, match="lies in"):
        limit(Setup(("ar",)), "rn_ar", scan_range=(1.0, 5.0))


def test_exclusion_api_and_json_round_trip(data_available):
    import cevnsfit as cf
    from cevnsfit.api import ExclusionResult, from_dict

    res = cf.Analysis(["ar", "dresden2"]).exclusion("g_phi", masses=(1.0, 100.0, 3))
    assert [c["data"] for c in res.curves] == [["ar"], ["dresden2"], ["ar", "dresden2"]]
    comb = res.curve()
    assert len(comb["masses"]) == 3 and all(u > 0 for u in comb["upper"])
    # (the combined curve need not lie below both single ones: argon's excess over the SM pulls
    # the combined minimum to g > 0)
    back = from_dict(json.loads(res.to_json()))
    assert isinstance(back, ExclusionResult) and back.curves == json.loads(res.to_json())["curves"]
    with pytest.raises(ValueError, match="coupling"):
        cf.Analysis(["ar"]).exclusion("mu_e")


def test_cli(data_available, tmp_path):
    r = runner.invoke(app, ["limit", "--data", "ar", "--param", "g_zp", "--fix", "m_zp=50", "--points", "11", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(next(line for line in r.output.splitlines() if line.startswith("{")))
    assert d["options"]["fixed"] == {"m_zp": 50.0} and d["intervals"][0][0] == 0.0
    r = runner.invoke(app, ["limit", "--data", "ar", "--param", "g_zp", "--fix", "m_zp=heavy"])
    assert r.exit_code != 0 and "m_zp" in r.output
    r = runner.invoke(app, ["limit", "--data", "ar", "--param", "g_zp", "--fix", "m_zp=-5"])
    assert r.exit_code != 0 and "m_zp" in r.output
    r = runner.invoke(
        app,
        [
            "exclusion",
            "--data",
            "ar",
            "--coupling",
            "g_zp",
            "--masses",
            "1,100,3",
            "--json",
            "--plot",
            str(tmp_path / "ex.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "ex.png").stat().st_size > 1000
    r = runner.invoke(app, ["exclusion", "--data", "ar", "--coupling", "g_zp", "--masses", "1,100"])
    assert r.exit_code != 0 and "LOW,HIGH,N" in r.output
    r = runner.invoke(
        app,
        [
            "contour",
            "--data",
            "ar",
            "--param",
            "dm2_41",
            "--param",
            "umu4sq",
            "--range",
            "1,1000",
            "--range",
            "0,0.5",
            "--scales",
            "log,linear",
            "--points",
            "5",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(next(line for line in r.output.splitlines() if line.startswith("{")))
    assert d["x"][1] / d["x"][0] == pytest.approx(d["x"][2] / d["x"][1])  # log-spaced
    r = runner.invoke(app, ["predict", "dresden2", "--set", "umu4sq=0.1", "--set", "dm2_41=1", "--json"])
    assert r.exit_code == 0, r.output  # modelled (through unitarity), only not measured alone


def test_analysis_files_of_the_menu():
    from cevnsfit.config import ConfigError, parse, shipped

    names = {p.stem for p in shipped()}
    for n in (
        "nsi_coherent",
        "nsi_dresden2",
        "nsi_combined",
        "mediators_universal",
        "mediators_bl",
        "rn_csi",
        "rn_csi_sin2w_free",
        "sin2w_csi_rn_free",
        "rn_ar",
        "sterile_coherent",
        "sterile_dresden2",
    ):
        assert n in names
    a = parse("name: x\ndata: [ar]\nsection: beyond\nfree: [sin2w]\nexclusions:\n- {coupling: g_zp, points: 5}\n")
    assert a.section == "beyond" and a.exclusions[0].masses == (1e-3, 1e4)
    for bad, msg in (
        ("exclusions:\n- {coupling: mu_e}\n", "coupling"),
        ("exclusions:\n- {coupling: g_zp, masses: [10, 1]}\n", "masses"),
        ("fixed: {sin2w: 0.3}\nfree: [sin2w]\nlimits:\n- {param: mu_mu}\n", "both fixed and free"),
        ("contours:\n- {params: [dm2_41, umu4sq], scales: [log, cubic]}\n", "scales"),
    ):
        with pytest.raises(ConfigError, match=msg):
            parse("name: x\ndata: [ar]\n" + bad)


def test_log_axis_contour_plot_with_sm_at_zero(tmp_path, data_available):
    """A sterile region on a log Delta m^2 axis: the SM point (Delta m^2 = 0) cannot be drawn there
    and must not blow the figure up; a best fit far along a flat valley is named, not drawn."""
    import matplotlib.image as mpimg

    from cevnsfit.report.plots import contour_plot

    c = {
        "params": ["dm2_41", "umu4sq"],
        "x": [0.1, 1.0, 10.0],
        "y": [0.0, 0.25, 0.5],
        "delta_chi2": [[0, 1, 2], [3, 5, 7], [9, 12, 15]],
        "levels": {"90%": 4.6, "1sigma": 2.3, "2sigma": 6.2, "3sigma": 11.8},
        "best_fit": {"dm2_41": 0.1, "umu4sq": 0.0},
        "options": {"data": ["csi", "ar"]},
        "scales": ["log", "linear"],
    }
    contour_plot([c], str(tmp_path / "s.png"))
    h, w = mpimg.imread(str(tmp_path / "s.png")).shape[:2]
    assert w < 2000 and h < 2000
    c2 = dict(
        c,
        params=["eps_u_ee", "eps_d_ee"],
        x=[-0.6, 0.2, 1.0],
        y=[-0.6, 0.2, 1.0],
        scales=["linear", "linear"],
        best_fit={"eps_u_ee": -2.0, "eps_d_ee": 1.9},
    )
    from cevnsfit.report.plots import plot_contour

    ax = plot_contour([c2])
    assert ax.get_xlim()[0] >= -0.61
    assert any("best fit outside" in t.get_text() for t in ax.get_legend().get_texts())


def test_csi2017_neutron_radius_published(data_available):
    """R_n(CsI) from the COHERENT CsI 2017 data (one radius, sin2w fixed), 1 sigma: published
    5.5 +0.9 -1.1 fm (Cadeddu, Giunti, Li, Zhang, PRL 120 (2018) 072501).  Tolerance (stated in
    docs/reproduction.md): central value within 0.4 fm, each half-width within 20 %."""
    r = limit(Setup(("csi2017",), tie_csi_radius=True), "rn_cs", cl=0.6827, n_points=41)
    ((lo, hi),) = r["intervals"]
    best = r["best_fit"]
    assert abs(best - 5.5) < 0.4
    assert (hi - best) == pytest.approx(0.9, rel=0.2) and (best - lo) == pytest.approx(1.1, rel=0.2)
