"""The new-physics menu on the solar data sets, through the same keyed templates as the laboratory
ones: a heavy Z' on xenon equals its contact limit (NSI for 8B CEvNS, a flavour-universal shift of
the electron vector coupling -- the charge-radius term -- for solar nu-e scattering), light-mediator
exclusion curves with the solar data sets, and the sterile parameters refused with the reason."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from cevnsfit import experiments
from cevnsfit.cli import app
from cevnsfit.constants import G_F, QTILDE_PER_R2_UNIT
from cevnsfit.inference.exclusion import mass_scan
from cevnsfit.inference.fit import Likelihood
from cevnsfit.physics.charge_radius import r2_sm
from cevnsfit.physics.mediators import equivalent_nsi
from cevnsfit.physics.parameters import Params

runner = CliRunner()
HEAVY = 1e5  # MeV: |q|^2/m^2 < 1e-6 for 8B recoils on xenon, 2 m_e T/m^2 ~ 1e-12 for ES
CHI2_90 = 2.706  # 90 % CL, one degree of freedom (the raster scan at fixed mass)


@pytest.fixture(scope="module")
def b8(data_available):
    return experiments.load("xenonnt_8b")


@pytest.fixture(scope="module")
def er(data_available):
    return experiments.load("xenonnt_er")


def _nsi_of(g, m):
    """Universal Z' -> NSI eps^u = eps^d = g^2 / (sqrt2 G_F m^2) for every flavour (solar flux: e, mu, tau)."""
    eu, ed = equivalent_nsi(g, m, "universal")
    assert eu == pytest.approx(g**2 / (math.sqrt(2.0) * G_F * m**2), rel=1e-12) and ed == eu
    return {f"eps_{q}_{s}": eu for q in ("u", "d") for s in ("ee", "mumu", "tautau")}


def _radius_of(g, m):
    """Universal Z' in nu-e scattering shifts g_V by g^2 Q'_nu Q'_e / (sqrt2 G_F m^2) for every
    flavour; the charge radius shifts it by Q~ <r^2> (Q~ = sqrt2 pi alpha / (3 G_F)), so the same
    point is <r^2_ll> = <r^2_ll>_SM + g^2 / (sqrt2 G_F m^2 Q~)."""
    d = g**2 / (math.sqrt(2.0) * G_F * m**2) / QTILDE_PER_R2_UNIT
    return {f"r2_{s}": r2_sm(f) + d for f, s in (("e", "ee"), ("mu", "mumu"), ("tau", "tautau"))}


def _limit_is_the_contact_limit(ds, contact):
    res = mass_scan([ds], "g_zp", [HEAVY])
    g_lim = res["upper"][0]
    assert np.isfinite(g_lim) and g_lim > 0 and res["converged"][0]
    chi2 = Likelihood([ds], fixed=contact(g_lim, HEAVY)).fit().chi2
    assert chi2 - res["chi2_min"][0] == pytest.approx(CHI2_90, abs=0.02)
    # deep in the contact regime eps ~ g^2/m^2: the coupling limit grows as m
    assert mass_scan([ds], "g_zp", [2 * HEAVY])["upper"][0] / g_lim == pytest.approx(2.0, rel=1e-3)
    return g_lim


def test_heavy_mediator_on_8b_is_the_nsi_limit(b8):
    """8B CEvNS on xenon: a 100 GeV universal Z' predicts what the matching universal NSI predicts
    (|q|^2/m^2 < 1e-6), and the profiled chi^2 of that NSI point at the Z' limit sits on the 90 %
    threshold."""
    for g in (3e-2, 1e-1):
        a = b8.expected(Params(g_zp=g, m_zp=HEAVY))
        b = b8.expected(Params.from_dict(_nsi_of(g, HEAVY)))
        np.testing.assert_allclose(a, b, rtol=1e-5)
        assert not np.allclose(a, b8.expected(Params()), rtol=1e-3)  # the point does move the rate
    _limit_is_the_contact_limit(b8, _nsi_of)


def test_heavy_mediator_on_solar_es_is_the_charge_radius_limit(er):
    """Solar nu-e scattering: a heavy universal Z' is a flavour-universal shift of the electron
    vector coupling, the same shift as the charge radii <r^2_ll> moved by g^2/(sqrt2 G_F m^2 Q~)."""
    for g in (0.3, 1.0):
        a = er.expected(Params(g_zp=g, m_zp=HEAVY))
        b = er.expected(Params.from_dict(_radius_of(g, HEAVY)))
        np.testing.assert_allclose(a, b, rtol=1e-6)
        assert not np.allclose(a, er.expected(Params()), rtol=1e-5)
    _limit_is_the_contact_limit(er, _radius_of)


def test_exclusion_cli_with_the_solar_data_sets(data_available, tmp_path):
    """`cevnsfit exclusion` with both XENONnT data sets in the list: a curve for each data set and
    the combined one.  Below |q| ~ sqrt(2 m_e T) ~ 30 keV the Z' propagator of solar nu-e
    scattering is 1/(2 m_e T): the ER limit no longer moves with the mass; there the electron
    recoils (1/T_e^2 enhancement) beat argon's CEvNS (no ES) by orders of magnitude and carry the
    combined limit."""
    r = runner.invoke(
        app,
        [
            "exclusion",
            "--data",
            "xenonnt_8b,xenonnt_er,ar",
            "--coupling",
            "g_zp",
            "--masses",
            "1e-4,1e-3,2",
            "--json",
            "--plot",
            str(tmp_path / "ex.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output[r.output.index("{") :])
    curves = {tuple(c["data"]): np.array(c["upper"]) for c in d["curves"]}
    assert set(curves) == {("xenonnt_8b",), ("xenonnt_er",), ("ar",), ("xenonnt_8b", "xenonnt_er", "ar")}
    assert all(np.all(np.isfinite(u) & (u > 0)) for u in curves.values())
    er_lim = curves[("xenonnt_er",)]
    assert er_lim[1] == pytest.approx(er_lim[0], rel=2e-3)
    assert np.all(er_lim < curves[("ar",)] / 30) and np.all(er_lim < curves[("xenonnt_8b",)] / 30)
    np.testing.assert_allclose(curves[("xenonnt_8b", "xenonnt_er", "ar")], er_lim, rtol=0.05)
    assert (tmp_path / "ex.png").stat().st_size > 1000


@pytest.mark.parametrize("name", ["xenonnt_8b", "xenonnt_er"])
def test_sterile_parameters_are_refused_with_the_reason(name, data_available):
    """Solar neutrinos do not see short-baseline oscillations (averaged over 1 AU, and a fourth
    state would enter the solar survival probability): every sterile parameter is a clear error --
    predicting, limiting, fixing, and in a combination with a laboratory data set."""
    ds = experiments.load(name)
    with pytest.raises(ValueError, match=f"{name} is not sensitive to dm2_41, ue4sq: solar neutrinos"):
        ds.expected(Params(dm2_41=1.0, ue4sq=0.1))
    r = runner.invoke(app, ["predict", name, "--set", "umu4sq=0.1"])
    assert r.exit_code != 0 and "not sensitive to umu4sq" in r.output and "averaged" in r.output
    for args in (
        ["--param", "dm2_41", "--data", name],
        ["--param", "umu4sq", "--data", f"ar,{name}"],
        ["--param", "mu_nu", "--data", name, "--fix", "utau4sq=0.2"],
    ):
        r = runner.invoke(app, ["limit", *args, "--points", "5"])
        assert r.exit_code != 0 and f"{name} is not sensitive to" in r.output, r.output
    # the laboratory data sets alone still take them
    assert (
        experiments.load("ar").expected(Params(dm2_41=1.0, umu4sq=0.1)).sum()
        < experiments.load("ar").expected(Params()).sum()
    )


@pytest.mark.parametrize("name", ["xenonnt_8b", "xenonnt_er"])
def test_vanishing_coupling_is_the_sm(name, data_available):
    """g -> 0 recovers the SM at any mediator mass: exactly at g = 0 (the nominal templates), and
    continuously -- the vector shift interferes with the SM (change ~ g^2), the scalar does not
    (change ~ g^4), so halving g quarters / divides by 16 the change."""
    ds = experiments.load(name)
    sm = ds.expected(Params())
    # couplings well below the limits: g ~ c sqrt(|q|^2 + m^2) keeps the shift of the same size at every mass
    q, c = (15.0, 1e-8) if name == "xenonnt_8b" else (0.1, 1e-8 / 0.1)
    for m in (1e-3, 1.0, 100.0):
        np.testing.assert_array_equal(ds.expected(Params(g_zp=0.0, m_zp=m, g_phi=0.0, m_phi=m)), sm)
        g = c * math.hypot(q, m)
        for coupling, mass, power in (("g_zp", "m_zp", 2), ("g_phi", "m_phi", 4)):
            d1 = ds.expected(Params.from_dict({coupling: g, mass: m})).sum() - sm.sum()
            d2 = ds.expected(Params.from_dict({coupling: g / 2, mass: m})).sum() - sm.sum()
            assert 1e-10 * sm.sum() < abs(d1) < 1e-2 * sm.sum(), (coupling, m, d1)
            assert d1 / d2 == pytest.approx(2.0**power, rel=2e-3), (coupling, m)


def test_heavy_bl_mediator_on_8b_is_the_nsi(data_available):
    """B-L charges (Q'_nu = -1, Q'_u = Q'_d = 1/3): a heavy Z' is the NSI eps^u = eps^d =
    -g^2 / (3 sqrt2 G_F m^2) for every flavour -- constructive interference with the SM neutron
    coupling, the rate rises."""
    b8 = experiments.load("xenonnt_8b", zp_model="b-l")
    g = 0.05
    eu, ed = equivalent_nsi(g, HEAVY, "b-l")
    assert eu == ed == pytest.approx(-(g**2) / (3.0 * math.sqrt(2.0) * G_F * HEAVY**2), rel=1e-12)
    nsi = {f"eps_{q}_{s}": eu for q in ("u", "d") for s in ("ee", "mumu", "tautau")}
    a = b8.expected(Params(g_zp=g, m_zp=HEAVY))
    np.testing.assert_allclose(a, b8.expected(Params.from_dict(nsi)), rtol=1e-5)
    assert a.sum() > b8.expected(Params()).sum()


def test_xenon_neutron_radius_moves_the_8b_spectrum_as_the_form_factor_predicts(data_available):
    """rn_xe shifts every xenon isotope's R_n; at small |q| any form factor is 1 - |q|^2 R^2/6, so
    each 0.1-keV slice at recoil T changes by (1 + f_n x)^2 - 1 with x = -|q|^2 (2 R dR + dR^2)/6,
    |q|^2 = 2 M T and f_n = N g_V^n / (N g_V^n + Z g_V^p) the neutron share of the amplitude:
    -0.3 % at 0.5 keV for +0.3 fm.  The expansion holds to O(|q|^2 R^2) ~ 1-3 % of the change below
    1.5 keV."""
    from cevnsfit.experiments import xenonnt_release as rel
    from cevnsfit.physics.couplings import gvn, gvp_no_radius
    from cevnsfit.physics.neutron_radii import DEFAULTS
    from cevnsfit.physics.nuclei import isotopes

    b8 = experiments.load("xenonnt_8b")
    R, dR = DEFAULTS["rn_xe"], 0.3
    got = b8.slices(Params(rn_xe=R + dR)) / b8.slices(Params()) - 1.0
    isos = isotopes("Xe")
    w = np.array([i.abundance for i in isos]) / sum(i.abundance for i in isos)
    M, N = (float(np.sum(w * np.array([getattr(i, a) for i in isos]))) for a in ("mass", "N"))
    fn = N * gvn() / (N * gvn() + 54 * gvp_no_radius())
    q2 = 2.0 * M * rel.MONO_E * 1e-3 / 197.3269804**2  # fm^-2
    want = (1.0 - fn * q2 * (2 * R * dR + dR**2) / 6.0) ** 2 - 1.0
    low = rel.MONO_E <= 1.5
    np.testing.assert_allclose(got[low], want[low], rtol=0.03)
    assert np.all(np.diff(got) < 0) and got[0] == pytest.approx(-3.3e-3, rel=0.05)


def test_parameters_electron_recoils_do_not_measure(data_available):
    """Solar nu-e scattering has no nucleus: the NSI with quarks and the xenon neutron radius do not
    act on xenonnt_er (its prediction is unchanged) and a limit on one is a clear error; in a
    combination with a CEvNS data set they may float.  A radius of another element is not measured
    by the 8B data either."""
    from cevnsfit.inference.analysis import free_parameters

    er = experiments.load("xenonnt_er")
    sm = er.expected(Params())
    np.testing.assert_array_equal(er.expected(Params(eps_u_ee=0.3, eps_d_mumu=-0.2, rn_xe=5.5)), sm)
    for args in (
        ["--param", "eps_u_ee", "--data", "xenonnt_er"],
        ["--param", "rn_xe", "--data", "xenonnt_er"],
        ["--param", "rn_cs", "--data", "xenonnt_8b"],
    ):
        r = runner.invoke(app, ["limit", *args, "--points", "5"])
        assert r.exit_code != 0 and "is not measured by" in r.output, r.output
    assert "eps_u_ee" in free_parameters(["eps_u_ee"], [experiments.load("xenonnt_8b"), er], False)
    assert "rn_xe" in free_parameters(["rn_xe"], [experiments.load("xenonnt_8b"), er], False)


@pytest.mark.parametrize("name,h", [("ar", 1e-7), ("xenonnt_8b", 1e-7), ("xenonnt_er", 1e-9)])
def test_coupling_derivative_at_zero_carries_the_mass(name, h, data_available):
    """At g = 0 the rate is the SM one whatever the mass, but d2N/dg2 = 2 b (N = a + b g^2 + c g^4)
    holds the propagator of the mass: the profiler's derivative at g = 0 must equal the finite
    difference at that mass (it once used the default-mass templates there, wrong by 10 % for argon
    and 10^4 for the electron recoils at 1 keV, which sent every exclusion fit starting at g = 0
    to the MIGRAD fallback)."""
    ds = experiments.load(name)
    at = {"m_zp": np.array([1e-3])}
    jac = ds.jacobian_batch({"g_zp": np.array([0.0]), **at}, wrt=["g_zp"], curvature=["g_zp"])
    n0, n1, n2 = (ds.expected_batch({"g_zp": np.array([x]), **at}) for x in (0.0, h, 2 * h))
    two_b = 2.0 * (16.0 * (n1 - n0) - (n2 - n0)) / (12.0 * h * h)  # the x^4 term cancels
    np.testing.assert_allclose(jac.d2["g_zp"], two_b, rtol=1e-6, atol=1e-9 * np.abs(two_b).max())
    np.testing.assert_array_equal(jac.d["g_zp"], 0.0)


def test_shipped_solar_mediator_analyses():
    """The combined (laboratory + solar) light-mediator exclusions are shipped analysis files of the
    section beyond the papers, with every data set (each alone and combined)."""
    from cevnsfit.config import load, shipped

    files = {p.stem: p for p in shipped()}
    for name, model, couplings in (
        ("solar_mediators_universal", "universal", {"g_zp", "g_phi"}),
        ("solar_mediators_bl", "b-l", {"g_zp"}),
    ):
        a = load(files[name])
        assert a.section == "beyond" and set(a.data) == {"csi", "ar", "dresden2", "xenonnt_8b", "xenonnt_er"}
        assert a.model.zp_model == model and {e.coupling for e in a.exclusions} == couplings


def test_profiled_fit_on_a_yield_anchor_is_finished_there(b8):
    """The 8B yield morphing is bilinear between integer anchors of t_ly, t_qy, so the chi^2 has
    corners there, where Gauss-Newton cannot converge.  A fit whose minimum is such a corner (this
    light-Z' point: t_qy = -1) is finished with the nuisance held on the anchor and reported
    converged; it is a minimum: holding t_qy off the anchor on either side, the rest re-profiled,
    raises the chi^2."""
    lik = Likelihood([b8], poi=["g_zp", "m_zp"])
    at = {"g_zp": 3.6475e-5, "m_zp": 1e-3}
    res = lik.fit(fixed=at)
    assert res.converged and res.values["xenonnt_8b.t_qy"] == -1.0 and "kink" in res.message
    for off in (-0.02, 0.02):
        side = lik.fit(fixed={**at, "xenonnt_8b.t_qy": -1.0 + off})
        assert side.converged and side.chi2 > res.chi2 + 1e-6
