"""The new-physics menu through the data sets: templates rebuilt for neutron radii, mediator masses
and sterile oscillations against direct integration of the cross sections; the SM at the
defaults; options and refusals."""

import numpy as np
import pytest

from cevnsfit import experiments
from cevnsfit.inference import nonpolynomial
from cevnsfit.inference.templates import build_templates
from cevnsfit.physics import cevns, electron
from cevnsfit.physics.monomials import Points
from cevnsfit.physics.parameters import NEW_PHYSICS, Params
from cevnsfit.sources import oscillation


def _direct(spectrum, target, T, channel, p, opts, baseline):
    """int dE Phi(E) (1 - P_sterile(E)) dsigma/dT(E, T; p), Gauss-Legendre on every table cell."""

    def surv(E):
        return 1.0 - oscillation.probability(E, p, spectrum.flavour, baseline)

    if channel == "cevns":
        parts = [
            (
                w,
                iso.mass,
                lambda E, TT, iso=iso: cevns.dsigma_dT(E, TT, iso, spectrum.flavour, p, spectrum.antineutrino, opts),
            )
            for iso, w in target.isotopes()
        ]
    else:
        parts = [
            (
                c,
                None,
                lambda E, TT, el=el: electron.dsigma_dT(
                    E, TT, el, spectrum.flavour, p, spectrum.antineutrino, opts.momentum_dependent, opts.zp_model
                ),
            )
            for el, c in target.elements
        ]
    out = np.zeros_like(T)
    x, w = np.polynomial.legendre.leggauss(6)
    for weight, mass, dsig in parts:
        if spectrum.line is not None:
            E0 = np.array([spectrum.line])
            out += weight * spectrum.norm * surv(E0)[0] * dsig(np.full_like(T, spectrum.line), T)
            continue
        e = spectrum.energies
        for j, t in enumerate(T):
            emin = float(cevns.e_min(t, mass) if mass is not None else electron.e_min(t))
            a, b = np.maximum(e[:-1], emin), e[1:]
            ok = b > a
            a, b = a[ok], b[ok]
            E = 0.5 * (b - a)[None, :] * x[:, None] + 0.5 * (b + a)[None, :]
            out[j] += weight * np.sum(
                0.5 * (b - a)[None, :] * w[:, None] * spectrum(E) * surv(E) * dsig(E, np.full_like(E, t))
            )
    return out


POINTS = {
    "csi": Params(
        rn_cs=5.4,
        rn_i=4.7,
        eps_u_ee=0.05,
        eps_d_mumu=-0.04,
        eps_u_emu=0.03,
        g_zp=4e-5,
        m_zp=25.0,
        g_phi=3e-5,
        m_phi=8.0,
        dm2_41=3.0,
        ue4sq=0.1,
        umu4sq=0.05,
        sin2w=0.25,
    ),
    "ar": Params(rn_ar=3.9, eps_d_ee=0.1, g_zp=2e-5, m_zp=3.0, g_phi=1e-5, m_phi=40.0, dm2_41=20.0, umu4sq=0.2),
    "dresden2": Params(
        rn_ge=4.5,
        eps_u_ee=-0.05,
        eps_d_etau=0.02,
        g_zp=3e-6,
        m_zp=0.5,
        g_phi=2e-6,
        m_phi=1.0,
        dm2_41=1.5,
        ue4sq=0.15,
        r2_ee=2.0,
    ),
}


@pytest.mark.parametrize(
    "name,channel", [("csi", "cevns"), ("csi", "es"), ("ar", "cevns"), ("dresden2", "cevns"), ("dresden2", "es")]
)
@pytest.mark.parametrize("model", ["universal", "b-l"])
def test_rebuilt_templates_match_direct_integration(name, channel, model, data_available):
    """Every non-polynomial family at once (neutron radius, Z' and scalar masses, sterile
    oscillation over the data set's distance spread) with NSI and EM terms on top: the keyed
    templates contracted with the monomials equal the direct integral of the cross sections."""
    ds = experiments.load(name, zp_model=model)
    spectra, target, scale, nodes, weights, response = ds.channel_inputs[channel]
    rng = np.random.default_rng(7)
    sub = np.sort(rng.choice(nodes.size, 5, replace=False))
    tmpl = build_templates(spectra, target, scale, nodes[sub], weights[sub], response[:, sub], channel, ds.opts)
    banks = nonpolynomial.KeyedBanks({"t": tmpl}, ds.baseline)
    p = POINTS[name]
    flavours = tuple(sorted({s.flavour for s in spectra}))
    got = nonpolynomial.contract(banks, Points.from_params(p), ds.radius_parameters(), flavours)["t"][0, 0]
    assert banks.builds == 2  # the shifted templates and their oscillating part
    for k, s in enumerate(spectra):
        rate = _direct(s, target, nodes[sub], channel, p, ds.opts, ds.baseline)
        direct = scale * response[:, sub] @ (rate * weights[sub])
        big = direct > 1e-9 * direct.max()
        np.testing.assert_allclose(got[k][big], direct[big], rtol=2e-5)
    # and at the SM point the nominal templates are used as they are
    nominal = nonpolynomial.contract(banks, Points.from_params(Params()), ds.radius_parameters(), flavours)["t"][0, 0]
    np.testing.assert_array_equal(nominal, tmpl.per_component(Params()))


@pytest.mark.parametrize("name", ["csi", "ar", "dresden2"])
def test_sm_exactly_at_the_defaults(name, data_available):
    ds = experiments.load(name)
    explicit = Params.from_dict({n: getattr(Params(), n) for n in NEW_PHYSICS})
    np.testing.assert_array_equal(ds.expected(explicit), ds.expected(Params()))
    # a coupling at zero makes its mass irrelevant, a zero mixing the oscillation
    np.testing.assert_array_equal(ds.expected(Params(m_zp=123.0, m_phi=0.5, dm2_41=7.0)), ds.expected(Params()))


def test_batched_points_with_different_keys(data_available):
    """Points with different radii / masses in one batch: each with its own templates."""
    ds = experiments.load("ar")
    pts = [Params(), Params(rn_ar=3.8), Params(g_zp=2e-5, m_zp=5.0), Params(rn_ar=3.8), Params(dm2_41=2.0, umu4sq=0.3)]
    values = {n: np.array([getattr(p, n) for p in pts]) for n in ("rn_ar", "g_zp", "m_zp", "dm2_41", "umu4sq")}
    batch = ds.expected_batch(values)
    for i, p in enumerate(pts):
        np.testing.assert_allclose(batch[i], ds.expected(p), rtol=1e-12)
    assert len({round(float(b.sum()), 6) for b in batch}) == 4


def test_csi_radius_tie(data_available):
    tied = experiments.load("csi", tie_csi_radius=True)
    free = experiments.load("csi")
    assert "rn_i" not in tied.sensitive_to and "rn_cs" in tied.sensitive_to
    with pytest.raises(ValueError, match="rn_i"):
        tied.expected(Params(rn_i=5.0))
    # tied: both nuclei at the common radius
    np.testing.assert_allclose(tied.expected(Params(rn_cs=5.3)), free.expected(Params(rn_cs=5.3, rn_i=5.3)), rtol=1e-12)


def test_parameters_a_data_set_does_not_measure(data_available):
    from cevnsfit.inference.analysis import Setup, free_parameters, physics_parameters

    dss = Setup(("dresden2",)).datasets()
    with pytest.raises(ValueError, match="umu4sq is not measured"):
        free_parameters(["umu4sq"], dss, False)
    with pytest.raises(ValueError, match="eps_u_mumu is not measured"):
        free_parameters(["eps_u_mumu"], dss, False)
    assert free_parameters(["eps_u_ee"], dss, False) == ["eps_u_ee"]  # others fixed
    assert physics_parameters(["rn_ge"], dss, False, free=["sin2w"]) == (["rn_ge", "sin2w"], {})
    # a data set without keyed templates refuses what it cannot model
    from cevnsfit.physics.monomials import MONOMIAL_PARAMETERS, Points

    with pytest.raises(ValueError, match="rn_cs"):
        Points.from_params(Params(rn_cs=5.5)).check_only(MONOMIAL_PARAMETERS)
