"""CEvNS cross section (SPEC section 6) against closed formulas, symmetries and the template basis."""

import numpy as np
import pytest
from scipy.integrate import quad

from cevnsfit.physics import cevns, nuclei
from cevnsfit.physics.parameters import Params, monomials
from cevnsfit.sources.flux import Spectrum

# independent constants for the reference formulas
GF = 1.1663787e-5 * 1e-6  # MeV^-2
HC2 = (197.3269804e-13) ** 2  # MeV^2 cm^2
ALPHA = 1 / 137.035999
ME = 0.51099895
S2 = 0.23863

CS = nuclei.isotopes("Cs")[0]
AR = nuclei.isotopes("Ar")[0]
ZERO = Params(r2_ee=0.0, r2_mumu=0.0, r2_tautau=0.0)  # no charge radius at all
E = np.array([20.0, 30.0, 50.0])
T = np.array([2e-3, 8e-3, 1.5e-2])


def helm_equal_radii(iso):
    import dataclasses

    return dataclasses.replace(iso, r_neutron=iso.r_proton)


def test_tree_level_is_weak_charge_formula():
    iso = helm_equal_radii(CS)
    got = cevns.dsigma_dT(E, T, iso, "mu", ZERO, opts=cevns.Options(radiative=False))
    from cevnsfit.physics.form_factors import helm

    F = helm(np.sqrt(2 * iso.mass * T), iso.r_proton)
    qw = iso.N - (1 - 4 * S2) * iso.Z
    ref = GF**2 * iso.mass / (4 * np.pi) * qw**2 * F**2 * (1 - iso.mass * T / (2 * E**2)) * HC2
    np.testing.assert_allclose(got, ref, rtol=1e-10)


@pytest.mark.parametrize("flavour,gp", [("e", 0.0381), ("mu", 0.0299)])
def test_sm_point_uses_published_couplings(flavour, gp):
    from cevnsfit.physics.form_factors import helm

    got = cevns.dsigma_dT(E, T, AR, flavour, Params.sm())
    q = np.sqrt(2 * AR.mass * T)
    amp = gp * AR.Z * helm(q, AR.r_proton) - 0.5117 * AR.N * helm(q, AR.r_neutron)
    ref = GF**2 * AR.mass / np.pi * amp**2 * (1 - AR.mass * T / (2 * E**2)) * HC2
    np.testing.assert_allclose(got, ref, rtol=3e-4)  # couplings published to 1e-4


def test_magnetic_moment_term_closed_formula_and_mu_squared():
    from cevnsfit.physics.form_factors import helm

    base = cevns.dsigma_dT(E, T, CS, "e", Params.sm())
    for mu in (3.0, 30.0):
        d = cevns.dsigma_dT(E, T, CS, "e", Params(mu_e=mu)) - base
        F = helm(np.sqrt(2 * CS.mass * T), CS.r_proton)
        ref = np.pi * ALPHA**2 / ME**2 * (1 / T - 1 / E) * CS.Z**2 * F**2 * (mu * 1e-10) ** 2 * HC2
        np.testing.assert_allclose(d, ref, rtol=1e-9)
    d3 = cevns.dsigma_dT(E, T, CS, "e", Params(mu_e=3.0)) - base
    d6 = cevns.dsigma_dT(E, T, CS, "e", Params(mu_e=6.0)) - base
    np.testing.assert_allclose(d6, 4 * d3, rtol=1e-9)
    # sign of mu is irrelevant; other flavours' moments do not act on nu_e
    np.testing.assert_allclose(cevns.dsigma_dT(E, T, CS, "e", Params(mu_e=-3.0)) - base, d3, rtol=1e-12)
    np.testing.assert_allclose(cevns.dsigma_dT(E, T, CS, "e", Params(mu_mu=50.0)), base, rtol=1e-14)


def test_charge_radius_is_coupling_shift():
    from cevnsfit.physics.form_factors import helm

    r2 = -20.0
    got = cevns.dsigma_dT(E, T, CS, "e", Params(r2_ee=r2))
    q = np.sqrt(2 * CS.mass * T)
    qt = np.sqrt(2) * np.pi * ALPHA / (3 * GF) * r2 * 1e-32 / HC2
    gtilde = 0.0381 + 0.023796 * (-0.8275)
    amp = (gtilde - qt) * CS.Z * helm(q, CS.r_proton) - 0.5117 * CS.N * helm(q, CS.r_neutron)
    ref = GF**2 * CS.mass / np.pi * amp**2 * (1 - CS.mass * T / (2 * E**2)) * HC2
    np.testing.assert_allclose(got, ref, rtol=5e-4)  # couplings published to 1e-4


def test_millicharge_closed_formula():
    from cevnsfit.physics.form_factors import helm

    qnu = 3e-9
    got = cevns.dsigma_dT(E, T, CS, "mu", Params(q_mumu=qnu))
    q = np.sqrt(2 * CS.mass * T)
    shift = -np.sqrt(2) * np.pi * ALPHA * qnu / (GF * CS.mass * T)  # Q = 2 sqrt2 pi alpha q / (G_F q^2)
    amp = (0.0299 - shift) * CS.Z * helm(q, CS.r_proton) - 0.5117 * CS.N * helm(q, CS.r_neutron)
    ref = GF**2 * CS.mass / np.pi * amp**2 * (1 - CS.mass * T / (2 * E**2)) * HC2
    np.testing.assert_allclose(got, ref, rtol=3e-4)


@pytest.mark.parametrize("name,val", [("r2_emu", 15.0), ("r2_etau", -7.0), ("q_emu", 2e-9), ("q_etau", -4e-9)])
def test_transitions_even_and_incoherent(name, val):
    plus = cevns.dsigma_dT(E, T, CS, "e", Params.sm().with_(**{name: val}))
    minus = cevns.dsigma_dT(E, T, CS, "e", Params.sm().with_(**{name: -val}))
    base = cevns.dsigma_dT(E, T, CS, "e", Params.sm())
    np.testing.assert_allclose(plus, minus, rtol=1e-12)
    assert np.all(plus > base)
    # symmetric: r2_emu acts on nu_mu as on nu_e
    if name.endswith("emu"):
        assert np.all(
            cevns.dsigma_dT(E, T, CS, "mu", Params.sm().with_(**{name: val}))
            > cevns.dsigma_dT(E, T, CS, "mu", Params.sm())
        )


def test_neutrino_antineutrino_equal():
    p = Params(mu_mu=20, r2_mumu=3.0, q_mumu=1e-9, r2_mutau=4)
    np.testing.assert_array_equal(
        cevns.dsigma_dT(E, T, CS, "mu", p), cevns.dsigma_dT(E, T, CS, "mu", p, antineutrino=True)
    )


def test_zero_above_tmax_and_at_zero():
    tm = cevns.t_max(30.0, CS.mass)
    assert cevns.dsigma_dT(30.0, tm * 1.0001, CS, "e", Params(mu_e=100)) == 0.0
    assert cevns.dsigma_dT(30.0, tm * 0.999, CS, "e") > 0
    assert cevns.dsigma_dT(30.0, 0.0, CS, "e", Params(mu_e=100)) == 0.0
    assert cevns.e_min(tm, CS.mass) == pytest.approx(30.0)


def test_bad_energies_raise():
    with pytest.raises(ValueError):
        cevns.dsigma_dT(-1.0, 1e-3, CS, "e")
    with pytest.raises(ValueError):
        cevns.dsigma_dT(10.0, np.nan, CS, "e")
    with pytest.raises(ValueError, match="allowed"):
        cevns.dsigma_dT(10.0, 1e-3, CS, "sterile")


def test_momentum_dependent_sm_uses_running_radius():
    from cevnsfit.physics import charge_radius as cr
    from cevnsfit.physics.form_factors import helm

    opts = cevns.Options(momentum_dependent=True)
    got = cevns.dsigma_dT(E, T, CS, "e", Params.sm(), opts=opts)
    q = np.sqrt(2 * CS.mass * T)
    gp = 0.0381 + 0.023796 * (-0.8275) - 0.023796 * cr.r2_effective("e", q)
    amp = gp * CS.Z * helm(q, CS.r_proton) - 0.5117 * CS.N * helm(q, CS.r_neutron)
    ref = GF**2 * CS.mass / np.pi * amp**2 * (1 - CS.mass * T / (2 * E**2)) * HC2
    np.testing.assert_allclose(got, ref, rtol=3e-4)


def _michel_nue():
    m = 105.6583755
    e = np.linspace(0, m / 2, 20001)
    return Spectrum("e", False, e, (e / m) ** 2 * (0.5 - e / m) * 192 / m)


@pytest.mark.parametrize("mdep", [False, True])
def test_basis_matches_direct_integration(mdep):
    rng = np.random.default_rng(1)
    s = _michel_nue()
    opts = cevns.Options(momentum_dependent=mdep)
    for _ in range(4):
        p = Params(
            sin2w=rng.uniform(0.2, 0.3),
            mu_e=rng.uniform(0, 50),
            r2_ee=rng.uniform(-60, 20),
            r2_emu=rng.uniform(-20, 20),
            r2_etau=rng.uniform(-20, 20),
            q_ee=rng.uniform(-1e-8, 1e-8),
            q_emu=rng.uniform(-1e-8, 1e-8),
        )
        for T_ in (5e-4, 4e-3, 1.8e-2):
            emin = cevns.e_min(T_, CS.mass)
            direct = quad(
                lambda x: s(x) * cevns.dsigma_dT(x, T_, CS, "e", p, opts=opts), emin, s.emax, epsrel=1e-11, limit=200
            )[0]
            basis = cevns.basis_rates(np.array([T_]), s.moments(np.array([emin])), CS, "e", opts)
            assert monomials(p, "e") @ basis[:, 0] == pytest.approx(direct, rel=1e-7)
