"""CsI 2021 with the SNS flux of its data release and the flat steady-state background.

Physics checked against numbers computed elsewhere: the release's flux normalisation
(0.0848 nu/flavour/POT, COHERENT 2021), the mean arrival time of its prompt nu_mu (0.50 us, read
from the table), the muon lifetime (PDG) in the delayed arrival times, the published SM
prediction; the steady-state model's conservation of the anti-coincident total."""

import copy
import math

import numpy as np
import pytest

from cevnsfit import experiments
from cevnsfit.constants import TAU_MU_US
from cevnsfit.experiments import csi as csimod
from cevnsfit.experiments.snsbeam import TimeBinning
from cevnsfit.inference.fit import Likelihood
from cevnsfit.physics.parameters import Params
from cevnsfit.sources import snsflux

SM = Params.sm()


@pytest.fixture(scope="module")
def csi(data_available):
    return experiments.load("csi")


@pytest.fixture(scope="module")
def profile(data_available):
    return snsflux.ReleaseTimeProfile()


def test_defaults_are_release_flux_and_flat_steady_state(csi):
    assert (csi.timing, csi.steady_state) == ("release", "flat")
    assert csi.kinds == ("nu_mu", "nu_e", "nubar_mu")
    assert "coherent_csi_2021_snsflux" in experiments.info("csi").data_sets


def test_release_flux_normalisation_per_flavour(csi, profile):
    # the release's table: 0.0848 nu per POT per flavour (COHERENT 2021)
    _, _, table = snsflux.table_2d()
    for s in snsflux.SPECIES:
        assert table[s].sum() == pytest.approx(0.0848, rel=1e-5)
    # our fluence per flavour: r N_POT / (4 pi L^2), every species carries it
    fluence = 0.0848 * 3.198e23 / (4 * math.pi * 1930.0**2)
    for spec in csi.spectra:
        assert spec.total() == pytest.approx(fluence, rel=1e-6)
    # and the arrival-time profiles lose nothing: over a window holding everything, without the
    # time efficiency, every species arrives with probability 1
    wide = TimeBinning(profile, [-1.0, 3.0, 20.0])
    for _kind, p in wide(0.37).items():
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_prompt_mean_and_muon_lifetime(profile):
    t = np.linspace(0.0, 15.0, 150001)
    pdf = {k: profile.pdf(t, k) for k in profile.kinds}
    for k in profile.kinds:
        assert np.trapezoid(pdf[k], t) == pytest.approx(1.0, abs=1e-6)
    mean = {k: np.trapezoid(t * pdf[k], t) for k in profile.kinds}
    # the table's prompt nu_mu arrive on average 0.501 us after its origin
    assert mean["nu_mu"] == pytest.approx(0.501, abs=0.005)
    assert mean["nu_mu"] == pytest.approx(profile.mean("nu_mu"), abs=1e-4)
    # delayed: one muon lifetime later, for an exponential truncated at the 15 us end of the table
    T = 15.0 - mean["nu_mu"]
    trunc = TAU_MU_US - T * math.exp(-T / TAU_MU_US) / (1 - math.exp(-T / TAU_MU_US))
    for k in ("nu_e", "nubar_mu"):
        assert mean[k] - mean["nu_mu"] == pytest.approx(trunc, abs=0.01)
        # and the tail falls with the muon lifetime
        sel = (t > 3.0) & (t < 12.0)
        slope = np.polyfit(t[sel], np.log(pdf[k][sel]), 1)[0]
        assert -1.0 / slope == pytest.approx(TAU_MU_US, rel=0.01)


def test_sm_prediction_published(csi):
    # SM prediction 333-341 events (COHERENT 2021): within 5 %
    n = csi.totals(SM)["cevns"]
    assert 0.95 * 333 <= n <= 1.05 * 341


def test_time_probabilities_batch_and_exact_derivatives(csi):
    offsets = np.array([-0.2, -0.0123, 0.0, 0.06, 0.1234, 0.3])
    p = csi.time_probabilities_batch(offsets)
    assert p.shape == (offsets.size, 3, csimod.TIME_EDGES.size - 1)
    for i, dt in enumerate(offsets):
        single = csi.time_probabilities(dt)
        for k, kind in enumerate(csi.kinds):
            np.testing.assert_allclose(p[i, k], single[kind], rtol=1e-13, atol=1e-16)
    d = csi.time_probabilities_batch(offsets, derivative=True)
    h = 1e-6
    fd = (csi.time_probabilities_batch(offsets + h) - csi.time_probabilities_batch(offsets - h)) / (2 * h)
    np.testing.assert_allclose(d, fd, rtol=1e-5, atol=1e-6)


def test_offset_derivative_is_smooth(csi, profile):
    """The interpolated CDF is a C2 spline: the offset derivative has no jumps where the offset
    crosses the 10-ns knots of the table (a piecewise-linear CDF would jump there), and even its
    own derivative is continuous, so central differences are accurate to O(h^2) at a knot."""
    offsets = np.linspace(0.0, 0.05, 2001)  # 25 ps steps, crossing 5 knots
    d = csi.time_probabilities_batch(offsets, derivative=True)
    assert np.abs(np.diff(d, axis=0)).max() < 2e-3 * np.abs(d).max()
    for dt in (0.05, 0.09, 0.1):  # sub-bin edges minus dt on knots
        h = 1e-5
        fd = (csi.time_probabilities_batch([dt + h]) - csi.time_probabilities_batch([dt - h])) / (2 * h)
        np.testing.assert_allclose(csi.time_probabilities_batch([dt], derivative=True), fd, rtol=1e-6, atol=1e-8)
    # the spline stays a distribution: density >= -1e-10 per us, CDF from 0 to 1
    t = np.linspace(-0.5, 16.0, 40001)
    for k in profile.kinds:
        assert profile.pdf(t, k).min() > -1e-10
        assert profile.cdf(t, k)[0] == 0.0 and profile.cdf(t, k)[-1] == 1.0


def test_timing_model_option_still_available(data_available):
    m = experiments.load("csi", timing="model")
    assert m.kinds == ("prompt", "delayed", "delayed")
    assert m.time_probabilities_batch([0.0]).shape == (1, 3, 11)
    # the two timing models agree on the SM prediction to a few per cent
    rel = experiments.load("csi").totals(SM)["cevns"]
    assert m.totals(SM)["cevns"] == pytest.approx(rel, rel=0.03)
    with pytest.raises(ValueError, match="allowed: release, model"):
        experiments.load("csi", timing="gauss")


# --- steady state ---------------------------------------------------------------------------
def test_flat_steady_state_conserves_ac(csi):
    ss = csi.ss.reshape(csi.shape)
    assert csi.ac.sum() == 1295
    assert ss.sum() == pytest.approx(1295.0, rel=1e-12)
    np.testing.assert_allclose(ss.sum(axis=1), csi.ac.sum(axis=1), rtol=1e-12)
    # flat in time x time efficiency: per microsecond, constant before 0.52 us, then falling
    width = np.diff(csimod.TIME_EDGES)
    per_us = ss.sum(axis=0) / width
    np.testing.assert_allclose(per_us[:4], per_us[0], rtol=1e-12)
    t_mid = np.array([1.5, 3.0, 5.0])
    ratio = per_us[-3:] / per_us[0]
    np.testing.assert_allclose(ratio, np.exp(-0.0494 * (t_mid - 0.52)), rtol=2e-3)
    tmpl = experiments.load("csi", steady_state="template")
    np.testing.assert_array_equal(tmpl.ss, csi.ac.ravel())


def _fitted_cevns(ds) -> float:
    res = Likelihood([ds]).fit()
    assert res.converged
    return ds.components(SM, {k.split(".", 1)[1]: v for k, v in res.values.items()})["cevns"].sum()


def test_ac_counting_noise_no_longer_enters_as_truth(data_available):
    """Pseudo AC data drawn (Poisson) from a beam-unrelated background that is flat in time: with
    the AC histogram as a bin-by-bin template the counting noise of all 99 bins moves the fitted
    CEvNS number; the flat model takes only the 9 energy sums and the total from the AC data,
    so the same noise moves it much less.  Also: a fluctuation of the AC data in time alone does
    not move the flat model at all."""
    models = {m: experiments.load("csi", steady_state=m) for m in ("template", "flat")}
    truth = csimod.steady_state_flat(models["flat"].ac)
    rng = np.random.default_rng(20240501)
    fitted = {m: [] for m in models}
    for _ in range(40):
        ac = rng.poisson(truth).astype(float)
        for m, ds in models.items():
            toy = copy.copy(ds)
            toy.ac = ac
            toy.ss = (csimod.steady_state_flat(ac) if m == "flat" else ac).ravel()
            fitted[m].append(_fitted_cevns(toy))
    spread = {m: float(np.std(v)) for m, v in fitted.items()}
    assert spread["flat"] < 0.85 * spread["template"]
    # time-only fluctuation: 30 % of the prompt-region AC counts moved to late bins of the same PE bins
    ac = models["flat"].ac.copy()
    moved = 0.3 * ac[:5, :4]
    ac[:5, :4] -= moved
    ac[:5, -3:] += moved.sum(axis=1)[:, None] / 3.0
    np.testing.assert_allclose(csimod.steady_state_flat(ac), truth, rtol=1e-12)
