"""3+1 sterile disappearance at short baseline: limits, distance averaging against direct
quadrature and Monte Carlo, and the flux-weighted CEvNS reduction against a direct double integral."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from cevnsfit.physics import cevns, nuclei
from cevnsfit.physics.parameters import Params, monomials
from cevnsfit.sources import oscillation as osc
from cevnsfit.sources import reactor, sns

# Delta m^2 L / 4E in natural units with hbar c = 197.3269804 MeV fm, written out
K = 1e-12 / (4 * 197.3269804e-15)  # per (eV^2 m / MeV) = 1.26693


def test_phase_constant():
    assert osc.PHASE == pytest.approx(1.26693, rel=1e-5)
    assert osc.PHASE == pytest.approx(K, rel=1e-12)


def test_point_baseline_is_the_textbook_formula():
    p = Params(dm2_41=1.7, ue4sq=0.05, umu4sq=0.02, utau4sq=0.01)
    E = np.array([3.0, 10.0, 30.0])
    for f, u in (("e", 0.05), ("mu", 0.02), ("tau", 0.01)):
        ref = 4 * u * (1 - 0.08) * np.sin(K * 1.7 * 19.3 / E) ** 2
        np.testing.assert_allclose(osc.probability(E, p, f, osc.Baseline.point(19.3)), ref, rtol=1e-12)


@pytest.mark.parametrize(
    "baseline",
    [osc.sns_baseline(19.3), osc.sns_baseline(27.5), osc.reactor_baseline(10.39)],
    ids=["csi", "ar", "reactor"],
)
def test_limits_of_small_and_large_dm2(baseline):
    p0 = Params(dm2_41=1e-9, ue4sq=0.1, umu4sq=0.05)
    E = np.array([1.0, 5.0, 30.0, 52.0])
    assert np.all(osc.probability(E, p0, "e", baseline) < 1e-15)
    assert np.all(osc.probability(E, Params(ue4sq=0.1), "e", baseline) == 0.0)
    big = Params(dm2_41=3e4, ue4sq=0.1, umu4sq=0.05)
    for f, u in (("e", 0.1), ("mu", 0.05)):
        np.testing.assert_allclose(osc.probability(E, big, f, baseline), 2 * u * (1 - 0.15), rtol=2e-3)
    assert np.all(osc.probability(E, big, "tau", baseline) == 0.0)


def test_uniform_average_equals_quadrature():
    b = osc.Baseline.uniform(19.3, 0.5)
    for dm2 in (0.3, 4.0, 40.0, 400.0):
        for E in (5.0, 29.8, 50.0):
            ref = quad(lambda L: np.sin(K * dm2 * L / E) ** 2, 18.8, 19.8, limit=400)[0] / 1.0
            assert float(b.sin2_average(np.array([E]), dm2)[0]) == pytest.approx(ref, abs=1e-10)


def test_reactor_core_average_equals_monte_carlo():
    """The cylindrical-core histogram against points drawn uniformly in the cylinder."""
    b = osc.reactor_baseline(10.39)
    rng = np.random.default_rng(1)
    n = 400_000
    r = 2.0 * np.sqrt(rng.random(n))
    phi = 2 * np.pi * rng.random(n)
    z = 3.66 * (rng.random(n) - 0.5)
    L = np.sqrt((10.39 - r * np.cos(phi)) ** 2 + (r * np.sin(phi)) ** 2 + z**2)
    assert b.mean == pytest.approx(L.mean(), abs=2e-3)
    for dm2, E in ((0.5, 3.0), (2.0, 2.0), (5.0, 6.0)):
        mc = np.mean(np.sin(K * dm2 * L / E) ** 2)
        assert float(b.sin2_average(np.array([E]), dm2)[0]) == pytest.approx(mc, abs=5e-3)


def _direct_rate(iso, spectrum, p, baseline, T):
    """int dE Phi(E) (1 - P(E)) dsigma/dT, by adaptive quadrature."""
    f = spectrum.flavour

    def integrand(E):
        return float(
            spectrum(np.array([E]))[0]
            * (1 - osc.probability(np.array([E]), p, f, baseline)[0])
            * cevns.dsigma_dT(E, T, iso, f, p)
        )

    emin = float(cevns.e_min(T, iso.mass))
    return quad(integrand, emin, spectrum.emax, limit=800, epsabs=0, epsrel=1e-7)[0]


@pytest.mark.parametrize("dm2", [0.5, 3.0, 30.0])
def test_flux_weighted_reduction_equals_direct_integration_sns(dm2):
    """Template route: rate = (SM basis of Phi) - 4|U|^2|U_s|^2 (SM basis of Phi <sin^2>), with flux
    moments of the oscillating part; against the double integral with P(E) inside."""
    iso = nuclei.isotopes("Cs")[0]
    b = osc.sns_baseline(19.3)
    p = Params(dm2_41=dm2, ue4sq=0.2)
    nue = sns.pion_dar_spectra(1.0)[1]
    part = osc.oscillating_part(nue, dm2, b)
    amp = osc.sterile_amplitude(p, "e")
    for T in (2e-3, 1e-2, 2.5e-2):
        Ta = np.array([T])
        m = monomials(Params(), "e")
        full = m @ cevns.basis_rates(Ta, nue.moments(cevns.e_min(Ta, iso.mass)), iso, "e")
        osc_part = m @ cevns.basis_rates(Ta, part.moments(cevns.e_min(Ta, iso.mass)), iso, "e")
        got = float(full[0] - amp * osc_part[0])
        assert got == pytest.approx(_direct_rate(iso, nue, p, b, T), rel=2e-5)
        assert got < float(full[0])
    # the prompt line: an exact factor
    prompt = sns.pion_dar_spectra(1.0)[0]
    s = float(b.sin2_average(np.array([sns.E_PROMPT]), dm2)[0])
    assert osc.oscillating_part(prompt, dm2, b).norm == pytest.approx(prompt.norm * s, rel=1e-14)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # kinks at the table's nodes
def test_flux_weighted_reduction_equals_direct_integration_reactor():
    ge = nuclei.isotopes("Ge")[1]
    b = osc.reactor_baseline(10.39)
    spec = reactor.reactor_spectrum("hmve")
    p = Params(dm2_41=1.3, ue4sq=0.15)
    part = osc.oscillating_part(spec, 1.3, b)
    amp = osc.sterile_amplitude(p, "e")
    m = monomials(Params(), "e")
    for T in (2e-4, 1e-3):
        Ta = np.array([T])
        full = m @ cevns.basis_rates(Ta, spec.moments(cevns.e_min(Ta, ge.mass)), ge, "e")
        op = m @ cevns.basis_rates(Ta, part.moments(cevns.e_min(Ta, ge.mass)), ge, "e")
        assert float(full[0] - amp * op[0]) == pytest.approx(_direct_rate(ge, spec, p, b, T), rel=1e-4)


def test_bad_inputs():
    with pytest.raises(ValueError):
        osc.Baseline.uniform(19.3, 0.5).sin2_average(np.array([10.0]), -1.0)
    with pytest.raises(ValueError):
        osc.reactor_baseline(1.0)  # detector inside the core
    with pytest.raises(ValueError):
        osc.sterile_amplitude(Params(), "x")
    assert math.isclose(osc.sterile_amplitude(Params(ue4sq=0.25), "e"), 0.75)
