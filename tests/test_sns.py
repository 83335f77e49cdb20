"""Tests for cevnsfit.sources.sns (pi-DAR spectra and arrival-time distributions)."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from cevnsfit.constants import M_MU, M_PI, TAU_MU_US, TAU_PI_US
from cevnsfit.sources.sns import (
    AR_POT_MEAN_US,
    AR_POT_SIGMA_US,
    E_MAX_DELAYED,
    E_PROMPT,
    delayed_time_cdf,
    delayed_time_pdf,
    fluence_per_flavour,
    nue_density,
    numubar_density,
    pion_dar_spectra,
    prompt_time_cdf,
    prompt_time_pdf,
    time_bin_probabilities,
    time_cdf,
    time_pdf,
)

T0, SIG = AR_POT_MEAN_US, AR_POT_SIGMA_US


# --- energy spectra ------------------------------------------------------------------------
def test_prompt_line_energy():
    assert E_PROMPT == pytest.approx(29.79, abs=0.01)
    # two-body decay: E0 = m_pi/2 (1 - m_mu^2/m_pi^2)
    assert E_PROMPT == pytest.approx(0.5 * M_PI * (1 - (M_MU / M_PI) ** 2), rel=1e-14)
    assert E_MAX_DELAYED == pytest.approx(52.829, abs=1e-3)


@pytest.mark.parametrize("fluence", [1.0, 5.79e14])
def test_spectra_normalised(fluence):
    sp = pion_dar_spectra(fluence)
    assert [s.species for s in sp] == ["nu_mu", "nu_e", "nubar_mu"]
    for s in sp:
        assert s.total() == pytest.approx(fluence, rel=1e-7)
    assert sp[0].line == E_PROMPT
    assert sp[1].energies.size >= 20001
    assert sp[1].energies[0] == 0.0 and sp[1].energies[-1] == pytest.approx(M_MU / 2, rel=1e-15)


def test_spectra_shapes_independently_normalised():
    # the analytic densities integrate to one and vanish at the endpoints
    for f in (nue_density, numubar_density):
        val, _ = quad(f, 0.0, M_MU / 2, epsabs=0, epsrel=1e-13)
        assert val == pytest.approx(1.0, rel=1e-12)
        assert f(M_MU / 2 + 1e-9) == 0.0 and f(-1.0) == 0.0
    assert nue_density(M_MU / 2) == pytest.approx(0.0, abs=1e-15)


def test_mean_energies():
    sp = pion_dar_spectra()
    assert sp[0].mean_energy() == pytest.approx(29.79, abs=0.01)
    # nu_e: 192 m int_0^1/2 x^3 (1/2 - x) dx = 192 m (1/128 - 1/160) = 3 m / 10
    assert sp[1].mean_energy() == pytest.approx(0.3 * M_MU, rel=1e-7)
    assert sp[1].mean_energy() == pytest.approx(31.70, abs=0.01)
    # nubar_mu: 64 m int_0^1/2 x^3 (3/4 - x) dx = 64 m (3/256 - 1/160) = 7 m / 20
    assert sp[2].mean_energy() == pytest.approx(0.35 * M_MU, rel=1e-7)
    num, _ = quad(lambda e: e * numubar_density(e), 0, M_MU / 2, epsrel=1e-13)
    assert sp[2].mean_energy() == pytest.approx(num, rel=1e-7)
    assert num == pytest.approx(36.98, abs=0.01)


def test_moments_of_delayed_spectrum():
    # I_1(E_min) of the tabulated spectrum vs quad of the analytic density
    s = pion_dar_spectra()[1]
    for emin in (0.5, 10.0, 40.3, 52.0):
        ref, _ = quad(lambda e: nue_density(e) / e, emin, M_MU / 2, epsrel=1e-12)
        assert s.moments(emin)[1] == pytest.approx(ref, rel=1e-6)


def test_fluence_per_flavour():
    # CsI 2021: 0.0848 * 3.198e23 / (4 pi (1930 cm)^2)
    phi = fluence_per_flavour(0.0848, 3.198e23, 19.3)
    assert phi == pytest.approx(0.0848 * 3.198e23 / (4 * math.pi * 1930.0**2), rel=1e-14)
    assert phi == pytest.approx(5.794e14, rel=1e-3)
    with pytest.raises(ValueError):
        fluence_per_flavour(0.09, 1e22, 0.0)


# --- arrival times --------------------------------------------------------------------------
def _brute_force(t, t0, sigma, taus):
    """Gaussian (x) exponentials by discrete convolution on a fine grid (numpy FFT).

    Each exponential is discretised with its exact cell probabilities w_k = P(k dt < s < (k+1) dt),
    which act at the cell centre (k + 1/2) dt; the Gaussian is sampled half a cell earlier per
    exponential, so the result is second-order accurate on the grid t."""
    dt = t[1] - t[0]
    p = np.exp(-0.5 * ((t - len(taus) * dt / 2 - t0) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    n = t.size
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    k = np.arange(n)
    for tau in taus:
        w = np.exp(-k * dt / tau) * (-np.expm1(-dt / tau))
        p = np.fft.irfft(np.fft.rfft(p, nfft) * np.fft.rfft(w, nfft), nfft)[:n]
    return p


@pytest.mark.parametrize("sigma", [SIG, 0.05, 0.4])
def test_pdfs_match_brute_force_convolution(sigma):
    t = np.arange(-3.0, 45.0, 2e-4)
    sel = (t > -0.5) & (t < 12.0)
    bp = _brute_force(t, T0, sigma, [TAU_PI_US])
    pp = prompt_time_pdf(t, T0, sigma)
    assert np.max(np.abs(bp - pp)[sel]) < 1e-4 * pp.max()
    bd = _brute_force(t, T0, sigma, [TAU_PI_US, TAU_MU_US])
    pd = delayed_time_pdf(t, T0, sigma)
    assert np.max(np.abs(bd - pd)[sel]) < 1e-4 * pd.max()


@pytest.mark.parametrize("t", [-0.1, 0.3, 0.44, 0.6, 1.0, 3.0, 8.0])
def test_pdfs_match_quad_convolution(t):
    g = lambda x: math.exp(-0.5 * ((x - T0) / SIG) ** 2) / (SIG * math.sqrt(2 * math.pi))  # noqa: E731
    pr, _ = quad(
        lambda s: g(t - s) * math.exp(-s / TAU_PI_US) / TAU_PI_US, 0, 50 * TAU_PI_US, epsabs=0, epsrel=1e-12, limit=200
    )
    assert prompt_time_pdf(t, T0, SIG) == pytest.approx(pr, rel=1e-8, abs=1e-14)
    h = lambda s: (math.exp(-s / TAU_MU_US) - math.exp(-s / TAU_PI_US)) / (TAU_MU_US - TAU_PI_US)  # noqa: E731
    # the two-exponential kernel itself (difference of EMGs identity)
    de, _ = quad(lambda s: g(t - s) * h(s), 0, 60.0, points=[max(t - T0, 0) + 1e-9], epsabs=0, epsrel=1e-11, limit=500)
    assert delayed_time_pdf(t, T0, SIG) == pytest.approx(de, rel=1e-7, abs=1e-14)


@pytest.mark.parametrize("pdf", [prompt_time_pdf, delayed_time_pdf])
@pytest.mark.parametrize("sigma", [SIG, 0.01, 1.0])
def test_pdfs_normalised(pdf, sigma):
    val, _ = quad(
        lambda x: pdf(x, T0, sigma), -20, 80, points=[T0, T0 + 0.1, T0 + 3], limit=1000, epsabs=1e-13, epsrel=1e-12
    )
    assert val == pytest.approx(1.0, abs=1e-8)


def test_mean_times():
    mp, _ = quad(lambda x: x * prompt_time_pdf(x, T0, SIG), -5, 80, points=[T0], limit=500, epsrel=1e-12)
    md, _ = quad(lambda x: x * delayed_time_pdf(x, T0, SIG), -5, 80, points=[T0], limit=500, epsrel=1e-12)
    assert mp == pytest.approx(T0 + TAU_PI_US, abs=1e-8)
    assert md - mp == pytest.approx(TAU_MU_US, abs=1e-7)


@pytest.mark.parametrize("kind", ["prompt", "delayed"])
def test_cdf_is_integral_of_pdf(kind):
    for t in (-0.2, 0.3, 0.44, 0.52, 1.0, 2.5, 6.0, 12.0):
        val, _ = quad(
            lambda x: time_pdf(x, kind, T0, SIG),
            -10.0,
            t,
            points=[min(T0, t - 1e-9)],
            limit=500,
            epsabs=1e-14,
            epsrel=1e-12,
        )
        assert time_cdf(t, kind, T0, SIG) == pytest.approx(val, abs=1e-10)
    assert time_cdf(-1e3, kind, T0, SIG) == 0.0
    assert time_cdf(1e4, kind, T0, SIG) == 1.0
    c = time_cdf(np.linspace(-2, 20, 5001), kind, T0, SIG)
    assert np.all(np.diff(c) >= -1e-16)


def test_extreme_times_stable():
    t = np.array([-1e4, -50.0, -1.0, 100.0, 1e4, 1e6])
    for f in (prompt_time_pdf, delayed_time_pdf, prompt_time_cdf, delayed_time_cdf):
        v = f(t, T0, SIG)
        assert np.all(np.isfinite(v)) and np.all(v >= 0)


def test_narrow_gaussian_limit():
    # sigma -> 0: prompt -> f_pi(t - t0); delayed -> (e^-u/tau_mu - e^-u/tau_pi)/(tau_mu - tau_pi)
    u = np.array([0.05, 0.2, 1.0, 4.0])
    sig = 1e-4
    np.testing.assert_allclose(prompt_time_pdf(T0 + u, T0, sig), np.exp(-u / TAU_PI_US) / TAU_PI_US, rtol=1e-3)
    h = (np.exp(-u / TAU_MU_US) - np.exp(-u / TAU_PI_US)) / (TAU_MU_US - TAU_PI_US)
    np.testing.assert_allclose(delayed_time_pdf(T0 + u, T0, sig), h, rtol=1e-4)


def test_time_bin_probabilities():
    edges = np.array([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 2, 4, 6])
    for kind, species in (("prompt", "nu_mu"), ("delayed", "nu_e"), ("delayed", "nubar_mu")):
        p = time_bin_probabilities(edges, kind, T0, SIG)
        assert p.shape == (11,)
        assert np.all(p >= 0)
        assert p.sum() == pytest.approx(time_cdf(6.0, kind, T0, SIG) - time_cdf(0.0, kind, T0, SIG), rel=1e-13)
        np.testing.assert_array_equal(p, time_bin_probabilities(edges, species, T0, SIG))
        for i in (0, 3, 8, 10):
            ref, _ = quad(
                lambda x: time_pdf(x, kind, T0, SIG), edges[i], edges[i + 1], epsabs=1e-14, epsrel=1e-11, limit=200
            )
            assert p[i] == pytest.approx(ref, abs=1e-11)
    # prompt neutrinos are (almost) all inside 0-1 us (only the t < 0 tail, < Phi(-0.44/0.15) =
    # 0.0017, is lost); delayed ~ 1 - exp(-6/2.2) inside 0-6 us
    assert 0.998 < time_bin_probabilities(edges, "prompt", T0, SIG)[:8].sum() < 0.9990
    assert time_bin_probabilities(edges, "delayed", T0, SIG).sum() == pytest.approx(0.92, abs=0.02)
    # a timing offset dt is a shift of t0 == shifting all edges by -dt
    dt = 0.137
    np.testing.assert_allclose(
        time_bin_probabilities(edges, "delayed", T0 + dt, SIG),
        time_bin_probabilities(edges - dt, "delayed", T0, SIG),
        rtol=1e-12,
        atol=1e-15,
    )


def test_time_errors():
    with pytest.raises(ValueError, match="allowed"):
        time_bin_probabilities([0, 1], "nu_tau", T0, SIG)
    with pytest.raises(ValueError):
        time_bin_probabilities([1, 0], "prompt", T0, SIG)
    with pytest.raises(ValueError):
        prompt_time_pdf(1.0, T0, 0.0)
