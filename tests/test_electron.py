"""Neutrino-electron scattering and Z_eff (SPEC section 7)."""

import numpy as np
import pytest
from scipy.integrate import quad

from cevnsfit.physics import electron
from cevnsfit.physics.parameters import Params, monomials
from cevnsfit.sources.flux import Spectrum

GF = 1.1663787e-11
HC2 = (197.3269804e-13) ** 2
ALPHA = 1 / 137.035999
ME = 0.51099895
ZERO = Params(r2_ee=0.0, r2_mumu=0.0, r2_tautau=0.0)


def free_electron(E, T, gv, ga):
    # 't Hooft / textbook formula per electron
    return (
        GF**2
        * ME
        / (2 * np.pi)
        * ((gv + ga) ** 2 + (gv - ga) ** 2 * (1 - T / E) ** 2 - (gv**2 - ga**2) * ME * T / E**2)
        * HC2
    )


@pytest.mark.parametrize(
    "flavour,anti,gv,ga",
    [
        ("e", False, 0.5 + 2 * 0.23863, 0.5),
        ("e", True, 0.5 + 2 * 0.23863, -0.5),
        ("mu", False, -0.5 + 2 * 0.23863, -0.5),
        ("mu", True, -0.5 + 2 * 0.23863, 0.5),
    ],
)
def test_free_electron_times_zeff(flavour, anti, gv, ga):
    E, T = 2.0, np.array([1e-3, 1e-2, 0.5])  # keV to hundreds of keV on Ge
    got = electron.dsigma_dT(E, T, "Ge", flavour, ZERO, antineutrino=anti)
    np.testing.assert_allclose(got, electron.z_eff("Ge", T) * free_electron(E, T, gv, ga), rtol=1e-12)


@pytest.mark.parametrize(
    "element,steps",
    [
        (
            "Ge",
            [
                (11.103, 32, 30),
                (1.4146, 30, 28),
                (1.2481, 28, 26),
                (1.217, 26, 22),
                (0.1801, 22, 20),
                (0.1249, 20, 18),
                (0.1208, 18, 14),
                (0.0298, 14, 10),
                (0.0292, 10, 4),
            ],
        ),
        ("Cs", [(35.99, 55, 53), (5.71, 53, 51), (1.0, 41, 37), (0.16, 23, 19)]),
        ("I", [(33.17, 53, 51), (0.123, 21, 17)]),
        ("Ar", [(3.2059, 18, 16)]),
    ],
)
def test_zeff_steps_at_edges(element, steps):
    for edge, above, at_or_below in steps:
        t = edge * 1e-3
        assert electron.z_eff(element, t * (1 + 1e-9)) == above
        assert electron.z_eff(element, t) == at_or_below


def test_em_terms_closed_formulas():
    E, T = 1.5, np.array([3e-4, 1e-3, 1e-2])
    base = electron.dsigma_dT(E, T, "Ge", "e", antineutrino=True)
    z = electron.z_eff("Ge", T)
    mag = electron.dsigma_dT(E, T, "Ge", "e", Params(mu_e=2.0), antineutrino=True) - base
    np.testing.assert_allclose(mag, z * np.pi * ALPHA**2 / ME**2 * (1 / T - 1 / E) * 4e-20 * HC2, rtol=1e-9)
    # transition charge: Z_eff pi alpha^2/(m_e T^2) [1 + (1-T/E)^2 - m T/E^2] |q|^2
    q = 1e-12
    tr = electron.dsigma_dT(E, T, "Ge", "e", Params(q_emu=q), antineutrino=True) - base
    ref = z * np.pi * ALPHA**2 / (ME * T**2) * (1 + (1 - T / E) ** 2 - ME * T / E**2) * q**2 * HC2
    np.testing.assert_allclose(tr, ref, rtol=1e-8)
    # transition radius: Z_eff pi alpha^2 m_e/9 [..] |r^2|^2
    r2 = 10.0
    tr = electron.dsigma_dT(E, T, "Ge", "e", Params(r2_etau=r2), antineutrino=True) - base
    ref = z * np.pi * ALPHA**2 * ME / 9 * (1 + (1 - T / E) ** 2 - ME * T / E**2) * (r2 * 1e-32 / HC2) ** 2 * HC2
    np.testing.assert_allclose(tr, ref, rtol=1e-8)


def test_millicharge_and_moment_grow_at_low_energy():
    E = 3.0
    T = np.array([2e-4, 4e-4])
    base = electron.dsigma_dT(E, T, "Ge", "e", antineutrino=True)
    mag = electron.dsigma_dT(E, T, "Ge", "e", Params(mu_e=10), antineutrino=True) - base
    assert mag[0] / mag[1] == pytest.approx(2.0, rel=1e-3)  # 1/T
    tr = electron.dsigma_dT(E, T, "Ge", "e", Params(q_emu=1e-12), antineutrino=True) - base
    assert tr[0] / tr[1] == pytest.approx(4.0, rel=1e-3)  # 1/T^2


@pytest.mark.parametrize("anti", [False, True])
def test_basis_matches_direct_integration(anti):
    e = np.linspace(0.0, 10.0, 20001)
    s = Spectrum("e", anti, e, np.exp(-e))
    rng = np.random.default_rng(2)
    for _ in range(4):
        p = Params(
            sin2w=rng.uniform(0.2, 0.3),
            mu_e=rng.uniform(0, 50),
            r2_ee=rng.uniform(-60, 20),
            r2_emu=rng.uniform(-20, 20),
            q_ee=rng.uniform(-1e-11, 1e-11),
            q_etau=rng.uniform(-1e-11, 1e-11),
        )
        for T_ in (3e-4, 5e-3, 0.3):
            emin = electron.e_min(T_)
            direct = quad(
                lambda x: s(x) * electron.dsigma_dT(x, T_, "Cs", "e", p, antineutrino=anti),
                emin,
                10.0,
                epsrel=1e-11,
                limit=200,
            )[0]
            basis = electron.basis_rates(np.array([T_]), s.moments(np.array([emin])), "Cs", "e", anti)
            assert monomials(p, "e") @ basis[:, 0] == pytest.approx(direct, rel=1e-7)
