"""The three data sets: response conservation, published event numbers, template assembly
against direct integration of the cross sections, symmetries (SPEC sections 8-10)."""

import json
from dataclasses import dataclass

import numpy as np
import pytest
from typer.testing import CliRunner

from cevnsfit import experiments
from cevnsfit.cli import app
from cevnsfit.detectors.response import gaussian_bin_matrix
from cevnsfit.experiments import ar as armod
from cevnsfit.experiments import csi as csimod
from cevnsfit.experiments import dresden2 as dmod
from cevnsfit.experiments.base import DataSet
from cevnsfit.inference.templates import build_templates
from cevnsfit.physics import cevns, electron
from cevnsfit.physics.parameters import Params
from cevnsfit.sources.flux import Spectrum

runner = CliRunner()
SM = Params.sm()


@pytest.fixture(scope="module")
def csi(data_available):
    return experiments.load("csi")


@pytest.fixture(scope="module")
def ar(data_available):
    return experiments.load("ar", es=True)


@pytest.fixture(scope="module")
def d2(data_available):
    return experiments.load("dresden2")


# --- response matrices --------------------------------------------------------------------
def test_csi_response_conserves_counts(csi):
    edges = np.concatenate([csimod.PE_EDGES, [1e6]])
    for resp in (
        csi.nuclear_response(edges=edges, efficiency=False),
        csi.electron_response(edges=edges, efficiency=False),
    ):
        np.testing.assert_allclose(resp.sum(axis=0), 1.0, atol=1e-9)
    # with efficiency and ROI edges: never more, and the efficiency is 0 at low PE
    full = csi.nuclear_response(efficiency=False)
    eff = csi.nuclear_response()
    assert np.all(eff <= full + 1e-15)
    assert csimod.energy_efficiency(3.0) == 0.0 and csimod.energy_efficiency(60.0) < 1.0


def test_csi_gamma_smearing_mean_is_light_yield():
    # mean PE = E_ee / 0.0749 = 13.35 PE/keVee
    e = np.array([1.0, 3.0])
    edges = np.linspace(0, 400, 4001)
    p = csimod.pe_response(e, edges)
    mean = (0.5 * (edges[1:] + edges[:-1]))[:, None] * p
    np.testing.assert_allclose(mean.sum(0), e * 13.351, rtol=2e-3)


def test_ar_and_dresden_responses_conserve_counts():
    e = np.array([0.5, 5.0, 40.0, 100.0])
    edges = np.concatenate([[-1e3], armod.E_EDGES, [1e4]])
    np.testing.assert_allclose(armod.energy_response(e, edges, with_efficiency=False).sum(0), 1.0, atol=1e-9)
    ee = np.array([0.01, 0.25, 1.3])
    edges = np.concatenate([[-10.0], dmod.E_EDGES, [10.0]])
    np.testing.assert_allclose(gaussian_bin_matrix(ee, dmod.resolution(ee), edges).sum(0), 1.0, atol=1e-12)
    # a line in the middle of the Dresden ROI lands in its own bin and neighbours, nowhere else
    p = gaussian_bin_matrix([0.8005], [dmod.resolution(0.8005)], dmod.E_EDGES)[:, 0]
    assert p.argmax() == 60 and p.sum() == pytest.approx(1.0, abs=1e-9)


def test_time_probabilities_cover_window(csi):
    tp = csi.exposure.time_probabilities(np.array([-5.0, 0, 6, 50.0]))
    for _kind, p in tp.items():
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
    tp = csi.time_probabilities()
    assert tp["nu_mu"].sum() > tp["nu_e"].sum()  # delayed partly beyond 6 us and time efficiency


# --- published numbers -------------------------------------------------------------------
def test_csi_published_numbers(csi):
    tot = csi.totals(SM)
    # SM prediction 333-341 events (COHERENT 2021, neutron radii Cs 5.01 fm, I 4.94 fm here): within 5 %
    assert 0.95 * 333 <= tot["cevns"] <= 1.05 * 341
    assert tot["brn"] == pytest.approx(18.0) and tot["nin"] == pytest.approx(5.6)
    assert tot["observed"] == 1578 and tot["ss"] == pytest.approx(1295, rel=1e-12)
    assert csi.target.r_neutron == {} and csi.target.isotopes()[0][0].r_neutron == 5.01


def test_ar_published_numbers(ar):
    tot = ar.totals(SM)
    assert tot["cevns"] == pytest.approx(128, rel=0.10)
    assert tot["observed"] == 3752
    assert tot["brn"] == pytest.approx(497, rel=1e-4) and tot["ss"] == pytest.approx(3152, rel=1e-4)
    # its energy shape agrees with the release's CEvNS template
    ours = ar.components(SM)["cevns"].reshape(ar.shape)
    rel = ar.release_cevns.sum(axis=(1, 2))
    e_ours = ours.sum(axis=1) if ours.ndim == 2 else ours.sum(axis=(1, 2))
    np.testing.assert_allclose(e_ours[:3] / e_ours.sum(), rel[:3] / rel.sum(), atol=0.03)


def test_ar_3d_grid_sums_to_2d(data_available):
    a2, a3 = experiments.load("ar"), experiments.load("ar", ar_grid="3d")
    c2, c3 = a2.components(SM), a3.components(SM)
    for k in c2:
        np.testing.assert_allclose(c3[k].reshape(12, 8, 10).sum(axis=1).ravel(), c2[k], rtol=1e-10, atol=1e-12)
    assert a3.observed.sum() == 3752


def test_dresden_quenching_ordering(data_available):
    n = {qf: experiments.load("dresden2", qf=qf).totals(SM)["cevns"] for qf in dmod.QF_MODELS}
    assert n["fef"] > n["ybe"] > n["lindhard"]
    assert n["lindhard"] < 0.25 * n["fef"]


def test_dresden_flux_models_differ(data_available):
    n = {f: experiments.load("dresden2", flux=f).totals(SM)["cevns"] for f in ("hmve", "hmk", "efk")}
    # all normalised to 4.8e13: HMVE puts more of it above the CEvNS threshold (fewer low-energy nubar)
    assert n["hmve"] > n["hmk"] > 0 and n["hmve"] > n["efk"] > 0


def test_dresden_background_peaks_conserve_counts():
    """Each 71Ge peak puts exactly its amplitude x ratio into a wide enough window, wherever its
    centroid and whatever its width; L2 shares the L1 width; None keeps the SPEC section 10 shape."""
    wide = np.linspace(-1.0, 3.0, 4001)
    tot = dmod.background_shape(wide, 0.0, 0.0, 0.3, 1000.0)
    assert tot.sum() == pytest.approx(1000.0 * (1 + 0.008 + 0.16), rel=1e-9)
    moved = dmod.background_shape(wide, 0.0, 0.0, 0.3, 1000.0, l1_centre=1.29, l1_width=0.09)
    assert moved.sum() == pytest.approx(tot.sum(), rel=1e-9)
    centres = 0.5 * (wide[1:] + wide[:-1])
    near_l1 = np.abs(centres - 1.29) < 0.05
    assert centres[near_l1][np.argmax(moved[near_l1])] == pytest.approx(1.29, abs=1e-3)
    only_l2 = dmod.background_shape(wide, 0.0, 0.0, 0.3, 1000.0, {"L1": 0.0, "L2": 1.0, "M": 0.0}, l1_width=0.09)
    var = np.sum(only_l2 * (centres - 1.142) ** 2) / only_l2.sum()
    assert np.sqrt(var) == pytest.approx(0.09, rel=1e-3)
    e = dmod.E_EDGES
    np.testing.assert_array_equal(
        dmod.background_shape(e, 3.0, 50.0, 0.3, 900.0),
        dmod.background_shape(e, 3.0, 50.0, 0.3, 900.0, None, None, None),
    )


def test_dresden_peak_models(data_available):
    fitted, fixed = experiments.load("dresden2"), experiments.load("dresden2", peaks="fixed")
    names = {n.name for n in fitted.nuisances} - {n.name for n in fixed.nuisances}
    assert names == {"l1_centre", "l1_width"}
    # at the nominal centroid and the resolution width the two models are the same background
    # (up to the L2 peak, 0.8 % of L1, which takes the L1 width: 70.8 instead of 70.5 eV)
    nominal = {"l1_centre": dmod.PEAKS_KEV["L1"], "l1_width": float(dmod.resolution(dmod.PEAKS_KEV["L1"]))}
    a = fitted.components(SM, nominal)["background"]
    b = fixed.components(SM)["background"]
    np.testing.assert_allclose(a, b, rtol=5e-4)
    assert not np.allclose(fitted.components(SM, {**nominal, "l1_centre": 1.29})["background"], b, rtol=1e-2)
    with pytest.raises(ValueError, match="peak model"):
        dmod.Dresden2(peaks="gaussian")
    with pytest.raises(ValueError, match="peak_ratios"):
        dmod.Dresden2(peak_ratios=(("L1", 1.0), ("L2", -0.008), ("M", 0.16)))
    with pytest.raises(ValueError, match="peak_ratios"):
        dmod.Dresden2(peak_ratios=(("L1", 1.0), ("M", 0.16)))
    r = runner.invoke(app, ["limit", "--data", "csi", "--param", "mu_mu", "--peaks", "fixed"])
    assert r.exit_code != 0 and "option 'peaks' applies to dresden2" in r.output
    r = runner.invoke(app, ["predict", "dresden2", "--peaks", "gauss"])
    assert r.exit_code != 0 and "unknown value 'gauss' for option 'peaks'" in r.output and "fitted, fixed" in r.output
    r = runner.invoke(app, ["predict", "dresden2", "--option", "qf=ybe", "--qf", "fef"])
    assert r.exit_code != 0 and "given twice" in r.output
    r = runner.invoke(app, ["predict", "csi", "--option", "colour=red"])
    assert r.exit_code != 0 and "unknown option 'colour'" in r.output


def test_dresden_es_em_terms_grow_at_low_energy(d2):
    centres = 0.5 * (dmod.E_EDGES[1:] + dmod.E_EDGES[:-1])
    base = d2.components(SM)["es"]
    mag = d2.components(Params(mu_e=5.0))["es"] - base
    chg = d2.components(Params(q_emu=1e-12))["es"] - base
    # 0.5 and 1.0 keV: both have Z_eff = 22, and the 70 eV resolution barely reshapes the spectrum there
    i3, i6 = np.searchsorted(centres, 0.5), np.searchsorted(centres, 1.0)
    assert mag[i3] / mag[i6] == pytest.approx(centres[i6] / centres[i3], rel=0.05)  # 1/T
    assert chg[i3] / chg[i6] == pytest.approx((centres[i6] / centres[i3]) ** 2, rel=0.08)  # 1/T^2


# --- templates against direct integration ------------------------------------------------
def _direct_rate(spectrum, target, T, channel, params, opts):
    """int dE Phi(E) dsigma/dT(E, T) with Gauss-Legendre on every cell of the spectrum's own table,
    starting each target's integral at its own kinematic threshold."""
    if channel == "cevns":
        parts = [
            (
                w,
                iso.mass,
                lambda E, TT, iso=iso: cevns.dsigma_dT(
                    E, TT, iso, spectrum.flavour, params, spectrum.antineutrino, opts
                ),
            )
            for iso, w in target.isotopes()
        ]
    else:
        parts = [
            (
                c,
                None,
                lambda E, TT, el=el: electron.dsigma_dT(
                    E, TT, el, spectrum.flavour, params, spectrum.antineutrino, opts.momentum_dependent
                ),
            )
            for el, c in target.elements
        ]
    out = np.zeros_like(T)
    x, w = np.polynomial.legendre.leggauss(5)
    for weight, mass, dsig in parts:
        if spectrum.line is not None:
            out += weight * spectrum.norm * dsig(np.full_like(T, spectrum.line), T)
            continue
        e = spectrum.energies
        for j, t in enumerate(T):
            emin = float(cevns.e_min(t, mass) if mass is not None else electron.e_min(t))
            a, b = np.maximum(e[:-1], emin), e[1:]
            ok = b > a
            a, b = a[ok], b[ok]
            E = 0.5 * (b - a)[None, :] * x[:, None] + 0.5 * (b + a)[None, :]
            out[j] += weight * np.sum(0.5 * (b - a)[None, :] * w[:, None] * spectrum(E) * dsig(E, np.full_like(E, t)))
    return out


@pytest.mark.parametrize(
    "name,channel", [("csi", "cevns"), ("csi", "es"), ("ar", "cevns"), ("dresden2", "cevns"), ("dresden2", "es")]
)
@pytest.mark.parametrize("mdep", [False, True])
def test_template_assembly_matches_direct_integration(name, channel, mdep, data_available):
    ds = experiments.load(name, momentum_dependent=mdep)
    spectra, target, scale, nodes, weights, response = ds.channel_inputs[channel]
    rng = np.random.default_rng(abs(hash((name, channel, mdep))) % 2**32)
    sub = np.sort(rng.choice(nodes.size, 6, replace=False))
    tmpl = build_templates(spectra, target, scale, nodes[sub], weights[sub], response[:, sub], channel, ds.opts)
    for _ in range(2):
        p = Params(
            sin2w=rng.uniform(0.2, 0.3),
            mu_e=rng.uniform(0, 30),
            mu_mu=rng.uniform(0, 30),
            r2_ee=rng.uniform(-50, 20),
            r2_mumu=rng.uniform(-50, 20),
            r2_emu=rng.uniform(-20, 20),
            r2_etau=rng.uniform(-20, 20),
            r2_mutau=rng.uniform(-20, 20),
            q_ee=rng.uniform(-1e-9, 1e-9),
            q_mumu=rng.uniform(-1e-9, 1e-9),
            q_emu=rng.uniform(-1e-9, 1e-9),
            q_etau=rng.uniform(-1e-9, 1e-9),
        )
        if channel == "es":  # electron recoils probe much smaller charges
            p = p.with_(q_ee=p.q_ee * 1e-3, q_mumu=p.q_mumu * 1e-3, q_emu=p.q_emu * 1e-3, q_etau=p.q_etau * 1e-3)
        assembled = tmpl.per_component(p)
        for k, s in enumerate(spectra):
            rate = _direct_rate(s, target, nodes[sub], channel, p, ds.opts)
            direct = scale * response[:, sub] @ (rate * weights[sub])
            big = direct > 1e-12 * direct.max()
            np.testing.assert_allclose(assembled[k][big], direct[big], rtol=1e-6)


# --- symmetries and the SM point --------------------------------------------------------
def test_neutrino_and_antineutrino_cevns_templates_equal(csi):
    s_nu = csi.spectra[2]
    s_nubar = Spectrum("mu", False, s_nu.energies, s_nu.density)
    _, target, scale, nodes, weights, response = csi.channel_inputs["cevns"]
    a = build_templates([s_nu], target, scale, nodes, weights, response, "cevns")
    b = build_templates([s_nubar], target, scale, nodes, weights, response, "cevns")
    np.testing.assert_allclose(a.data, b.data, rtol=1e-14)
    # ES: g_A flips sign; for T_e << E (keV recoils, 30 MeV neutrinos) the two differ only at
    # order T_e/E, i.e. ~1e-5 here
    _spectra, target, scale, nodes, weights, response = csi.channel_inputs["es"]
    a = build_templates([s_nu], target, scale, nodes, weights, response, "es").per_component(SM)
    b = build_templates([s_nubar], target, scale, nodes, weights, response, "es").per_component(SM)
    rel = np.abs(a - b).max() / np.abs(a).max()
    assert 1e-7 < rel < 1e-3


def test_sm_point_and_em_parameters(csi, d2):
    for ds in (csi, d2):
        sm = ds.expected(SM)
        off = Params(mu_e=0, mu_mu=0, q_ee=0, q_mumu=0, r2_emu=0, r2_etau=0, r2_mutau=0)
        np.testing.assert_array_equal(ds.expected(off), sm)
        # transition parameters: even in their sign
        np.testing.assert_allclose(ds.expected(SM.with_(r2_emu=5.0)), ds.expected(SM.with_(r2_emu=-5.0)), rtol=1e-12)
        # the magnetic-moment signal grows as mu^2
        d1 = ds.components(Params(mu_e=3.0))["cevns"].sum() - ds.components(SM)["cevns"].sum()
        d2_ = ds.components(Params(mu_e=6.0))["cevns"].sum() - ds.components(SM)["cevns"].sum()
        assert d2_ == pytest.approx(4 * d1, rel=1e-9)
    # the SM includes the charge radius: dropping it changes the CsI prediction
    assert abs(csi.totals(Params(r2_ee=0.0, r2_mumu=0.0))["cevns"] - csi.totals(SM)["cevns"]) > 1.0
    # Dresden-II (reactor nubar_e) does not see nu_mu properties
    np.testing.assert_array_equal(d2.expected(Params(mu_mu=50, r2_mumu=10)), d2.expected(SM))


def test_nuisance_variants_reproduce_templates(csi):
    plus = csi.components(SM, {"qf0": 1.0})["cevns"]
    direct = csi.templates["cevns"][("model0+", "nominal")].per_component(SM)
    from cevnsfit.experiments.snsbeam import combine_energy_time

    tp = csi.time_probabilities(csi.nuisance_defaults()["t_offset"])
    np.testing.assert_allclose(plus, combine_energy_time(direct, csi.kinds, tp), rtol=1e-12)
    with pytest.raises(ValueError, match="allowed"):
        csi.components(SM, {"qf9": 1.0})


def test_time_offset_moves_signal(csi):
    early = csi.components(SM, {"t_offset": -0.3})["cevns"].reshape(csi.shape).sum(0)
    late = csi.components(SM, {"t_offset": 0.3})["cevns"].reshape(csi.shape).sum(0)
    assert early[:4].sum() > late[:4].sum()


# --- command line ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["csi"],
        ["ar"],
        ["dresden2", "--qf", "ybe", "--flux", "efk"],
        ["dresden2", "--qf", "lindhard", "--set", "mu_e=2"],
    ],
)
def test_predict_json(args, tmp_path, data_available):
    plot = tmp_path / "p.png"
    r = runner.invoke(app, ["predict", *args, "--json", "--plot", str(plot)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["experiment"] == args[0]
    for k in ("cevns", "observed"):
        assert k in d["totals"]
    assert len(d["axes"]) >= 1 and "edges" in d["axes"][0]
    assert np.array(d["bins"]["cevns"]).shape == tuple(len(a["edges"]) - 1 for a in d["axes"])
    assert plot.stat().st_size > 10000


def test_predict_bad_input(data_available):
    r = runner.invoke(app, ["predict", "xenon"])
    assert r.exit_code != 0 and "allowed" in r.output
    r = runner.invoke(app, ["predict", "dresden2", "--qf", "lind"])
    assert r.exit_code != 0 and "lindhard" in r.output
    r = runner.invoke(app, ["predict", "csi", "--set", "mu_e=nan"])
    assert r.exit_code != 0 and "finite" in r.output
    r = runner.invoke(app, ["predict", "csi", "--set", "mu_e"])
    assert r.exit_code != 0 and "NAME=VALUE" in r.output
    r = runner.invoke(app, ["predict", "ar", "--flux", "efk"])
    assert r.exit_code != 0 and "dresden2" in r.output


# --- template morphing --------------------------------------------------------------------
def test_morphing_code4p():
    """Vertical morphing (pyhf/HistFactory code 4p): the +-1 sigma templates at x = +-1, linear
    beyond, and continuous first and second derivatives everywhere (no kink at x = 0)."""
    from cevnsfit.inference.templates import interpolate_variants as f

    nom, plus, minus = np.array([10.0, 5.0]), np.array([12.0, 4.0]), np.array([9.0, 5.5])
    np.testing.assert_allclose(f(nom, plus, minus, 0.0), nom)
    np.testing.assert_allclose(f(nom, plus, minus, 1.0), plus)
    np.testing.assert_allclose(f(nom, plus, minus, -1.0), minus)
    np.testing.assert_allclose(f(nom, plus, minus, 2.5), plus + 1.5 * (plus - nom))
    np.testing.assert_allclose(f(nom, plus, minus, -3.0), minus - 2.0 * (nom - minus))
    h = 1e-4
    for x0 in (-1.0, 0.0, 1.0):
        left = (f(nom, plus, minus, x0) - f(nom, plus, minus, x0 - h)) / h
        right = (f(nom, plus, minus, x0 + h) - f(nom, plus, minus, x0)) / h
        np.testing.assert_allclose(left, right, atol=1e-3)
        d2l = (f(nom, plus, minus, x0) - 2 * f(nom, plus, minus, x0 - h) + f(nom, plus, minus, x0 - 2 * h)) / h**2
        d2r = (f(nom, plus, minus, x0 + 2 * h) - 2 * f(nom, plus, minus, x0 + h) + f(nom, plus, minus, x0)) / h**2
        np.testing.assert_allclose(d2l, d2r, atol=2e-2)


JACOBIAN_CASES = [
    ("csi", {}),
    ("csi", {"es": False}),
    ("ar", {}),
    ("ar", {"ar_grid": "3d", "es": True}),
    ("dresden2", {}),
    ("dresden2", {"peaks": "fixed", "qf": "ybe"}),
    ("xenonnt_8b", {}),
    ("xenonnt_er", {}),
]


def _nuisance_points(ds, n, seed=0):
    """n nuisance points spread over a few prior widths (inside the limits), and away from the
    kinks of the morphing at +-1."""
    rng = np.random.default_rng(seed)
    out = {}
    for nu in ds.nuisances:
        s = nu.sigma if nu.sigma else max(abs(nu.central) * 0.05, 1e-3)
        v = nu.central + s * rng.uniform(-1.6, 1.6, n)
        v = np.where(np.abs(np.abs(v - nu.central) / s - 1.0) < 0.05, v + 0.1 * s, v)
        lo, hi = nu.bounds
        out[nu.name] = np.clip(v, lo + 0.1 * s, hi - 0.1 * s)
    return out


@pytest.mark.parametrize("name,kw", JACOBIAN_CASES)
def test_jacobian_matches_finite_differences(data_available, name, kw):
    """The analytic Jacobian of every nuisance and of the physics parameters (and the second
    derivatives the profiler adds to its Hessian) equal central finite differences, for every
    data set, at several points at once."""
    ds = experiments.load(name, **kw)
    n = 3
    values = {
        "mu_e": np.array([0.5, 3.0, 7.0]),
        "r2_ee": np.array([-5.0, -30.0, 4.0]),
        "sin2w": np.array([0.23, 0.25, 0.21]),
        "r2_emu": np.array([0.0, 6.0, 2.0]),
        "mu_mu": np.array([1.0, 0.0, 4.0]),
        "q_ee": np.array([0.0, 3e-12, -1e-12]),
    }
    nuis = _nuisance_points(ds, n)
    names = [nu.name for nu in ds.nuisances]
    phys = [p for p in values if p in ds.sensitive_to]
    jac = ds.jacobian_batch(values, nuis, wrt=names + phys, curvature=phys)
    base = ds.expected_batch(values, nuis)
    np.testing.assert_allclose(jac.expected, base, rtol=1e-13)
    assert set(jac.d) == set(names + phys) and set(jac.d2) == set(phys)
    scale = np.abs(base).max()
    for k in names:
        nu = next(x for x in ds.nuisances if x.name == k)
        h = 1e-6 * (nu.sigma or max(abs(nu.central), 1e-3))
        up = ds.expected_batch(values, {**nuis, k: nuis[k] + h})
        dn = ds.expected_batch(values, {**nuis, k: nuis[k] - h})
        fd = (up - dn) / (2 * h)
        np.testing.assert_allclose(jac.d[k], fd, rtol=1e-5, atol=1e-7 * np.abs(fd).max() + 1e-9 * scale / h, err_msg=k)
    for p in phys:
        h = {"sin2w": 1e-5, "q_ee": 1e-13}.get(p, 1e-4)
        up = ds.expected_batch({**values, p: values[p] + h}, nuis)
        dn = ds.expected_batch({**values, p: values[p] - h}, nuis)
        fd = (up - dn) / (2 * h)
        np.testing.assert_allclose(jac.d[p], fd, rtol=1e-5, atol=1e-7 * np.abs(fd).max() + 1e-10, err_msg=p)
        fd2 = (up - 2 * base + dn) / h**2
        np.testing.assert_allclose(
            jac.d2[p], fd2, rtol=1e-3, atol=1e-3 * np.abs(jac.d2[p]).max() + 1e-6 * scale / h**2, err_msg=p
        )


@dataclass(eq=False)
class _ComponentsOnly(DataSet):
    """A data set that implements only ``components`` (delegating to a real one): the base class
    must provide the batched interface from it."""

    inner: object = None

    def __post_init__(self):
        for k in ("name", "axes", "observed", "nuisances", "statistic", "sensitive_to"):
            setattr(self, k, getattr(self.inner, k))

    def observed_errors(self):
        return self.inner.observed_errors()

    def components(self, params, nuis=None):
        return self.inner.components(params, nuis)


@pytest.mark.parametrize("name", ["dresden2", "ar"])
def test_generic_batched_fallback(data_available, name):
    """A data set with only ``components`` gets expected_batch and jacobian_batch (finite
    differences over points) that agree with the fast analytic path."""
    ds = experiments.load(name)
    slow = _ComponentsOnly(inner=ds)
    values = {"mu_e": np.array([1.0, 4.0]), "r2_ee": np.array([-3.0, 8.0])}
    nuis = _nuisance_points(ds, 2, seed=4)
    names = [nu.name for nu in ds.nuisances]
    fast = ds.jacobian_batch(values, nuis, wrt=names + ["r2_ee"], curvature=["r2_ee"])
    gen = slow.jacobian_batch(values, nuis, wrt=names + ["r2_ee"], curvature=["r2_ee"])
    np.testing.assert_allclose(gen.expected, fast.expected, rtol=1e-12)
    for k in names + ["r2_ee"]:
        np.testing.assert_allclose(
            gen.d[k], fast.d[k], rtol=2e-4, atol=1e-6 * np.abs(fast.d[k]).max() + 1e-12, err_msg=k
        )
    np.testing.assert_allclose(gen.d2["r2_ee"], fast.d2["r2_ee"], rtol=1e-3, atol=1e-3 * np.abs(fast.d2["r2_ee"]).max())
    np.testing.assert_allclose(slow.chi2_batch(values, nuis), ds.chi2_batch(values, nuis), rtol=1e-12)


@pytest.mark.parametrize(
    "name,kw,nuis",
    [
        ("csi", {}, {"qf0": 0.4, "eff": -0.7, "t_offset": 0.03, "eta_cevns": 0.05}),
        ("ar", {}, {"cevns_f90": 0.5, "brn_tmean": -0.3, "t_offset": 0.02, "eta_cevns": 0.1}),
        ("ar", {"ar_grid": "3d", "es": True}, {"cevns_f90": -0.8, "brn_energy": 0.6}),
        ("dresden2", {}, {"l1_centre": 1.294, "eta_flux": -0.01}),
    ],
)
def test_batched_expectation_matches_pointwise(data_available, name, kw, nuis):
    """expected_batch / chi2_batch (vectorised over physics points) equal the point-by-point values."""
    ds = experiments.load(name, **kw)
    full = {**ds.nuisance_defaults(), **nuis}
    values = {
        "mu_e": np.array([0.0, 3.0, 10.0]),
        "r2_ee": np.array([0.0, -20.0, 5.0]),
        "sin2w": np.array([0.23, 0.25, 0.21]),
    }
    batch = ds.expected_batch(values, full)
    pts = [Params(mu_e=m, r2_ee=r, sin2w=s) for m, r, s in zip(*values.values(), strict=True)]
    want = np.stack([ds.expected(p, full) for p in pts])
    np.testing.assert_allclose(batch, want, rtol=1e-10, atol=1e-12 * want.max())
    np.testing.assert_allclose(ds.chi2_batch(values, full), [ds.chi2(p, full) for p in pts], rtol=1e-10)
