"""COHERENT CsI 2017 (Akimov et al., Science 357, 1123 (2017); data release arXiv:1804.09459)."""

import numpy as np
import pytest

from cevnsfit import experiments
from cevnsfit.experiments import csi2017 as m
from cevnsfit.inference.fit import Likelihood
from cevnsfit.physics.parameters import Params


@pytest.fixture(scope="module")
def ds(data_available):
    return experiments.load("csi2017")


def test_release_counts_in_the_analysis_region(data_available):
    """The release's counts in 6-30 PE, t < 6 us: 547 coincident, 405 anti-coincident (beam on);
    209 / 207 beam off (arXiv:1804.09459)."""
    assert m.roi(m.grid("coincidence_beamOn")).sum() == 547
    assert m.roi(m.grid("anticoincidence_beamOn")).sum() == 405
    assert m.roi(m.grid("coincidence_beamOff")).sum() == 209
    assert m.roi(m.grid("anticoincidence_beamOff")).sum() == 207
    assert m.grid("coincidence_beamOn").sum() == 1207 and m.grid("anticoincidence_beamOn").sum() == 1032


def test_data_set_layout(ds):
    assert ds.shape == (12, 12) and ds.observed.sum() == 547
    # the steady state conserves the anti-coincident total, whatever its model
    assert ds.ss.sum() == pytest.approx(405.0)
    raw = experiments.load("csi2017", csi2017_ss="raw")
    np.testing.assert_array_equal(raw.ss, m.roi(m.grid("anticoincidence_beamOn")).ravel())
    # its PE and time marginals are those of the AC data
    np.testing.assert_allclose(ds.ss.reshape(12, 12).sum(axis=0), raw.ss.reshape(12, 12).sum(axis=0))


def test_release_parameters_are_read(data_available):
    assert m.value("csiQF") == 0.0878 and m.value("csiLightYield") == 13.348
    assert m.value("beamExposure") == 7.47594 and m.value("distanceToTarget") == 19.3
    assert m.acceptance_parameters() == {"a": 0.6655, "k": 0.4942, "x_0": 10.8507}


def test_acceptance_and_poisson_response(data_available):
    # the step: 0 below 5 PE, 1/2 in [5, 6); the logistic's midpoint at x0 with height a/2
    assert m.acceptance(4.5) == 0.0
    assert m.acceptance(5.5) == pytest.approx(0.5 * 0.6655 / (1 + np.exp(-0.4942 * (5.5 - 10.8507))))
    assert m.acceptance(10.8507) == pytest.approx(0.6655 / 2)
    # without acceptance the Poisson response over all PE counts sums to one
    lam = np.array([0.3, 5.0, 17.0, 40.0])
    edges = np.arange(0, m.N_PE_MAX + 1)
    saved = m.acceptance
    try:
        m.acceptance = lambda x: np.ones_like(np.asarray(x, float))
        p = m.pe_response(lam, edges)
    finally:
        m.acceptance = saved
    np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(p.T @ (edges[:-1]), lam, rtol=1e-10)  # mean n = lambda


def test_time_pdfs_and_brn(ds):
    for kind in ("promptNeutrinos", "delayedNeutrinos", "promptNeutrons"):
        assert m.arrival_pdf(kind).sum() == pytest.approx(1.0, abs=1e-6)
    # released prompt-neutron PDF: 29.9 neutrons before acceptance in 7.47594 GWh (0-50 PE)
    pe = np.loadtxt(m.data.path("coherent_csi_2017/promptPDF.txt"), delimiter=",", comments="#")
    assert pe[:, 1].sum() * 7.47594 == pytest.approx(29.9, abs=0.05)
    assert 0 < ds.brn.sum() < 29.9 * 0.67


def test_sm_prediction_against_published(ds):
    """SM prediction: 173 +- 48 CEvNS events (Akimov et al. 2017).  Ours: 163.8 (-5 %), inside the
    published uncertainty; the quenching factor's +-1 sigma moves it by about +-20 %."""
    sm = ds.components(Params.sm())
    n = sm["cevns"].sum()
    print(f"\n[csi2017] SM CEvNS prediction {n:.1f} (published 173 +- 48)")
    assert abs(n - 173.0) < 48.0
    assert n == pytest.approx(163.8, rel=0.01)  # regression of our number (documented)
    lo = ds.components(Params.sm(), {"qf": -1.0})["cevns"].sum()
    hi = ds.components(Params.sm(), {"qf": 1.0})["cevns"].sum()
    assert lo < n < hi
    assert sm["es"].sum() < 1e-3 * n  # electron recoils are far below 6 PE


def test_fitted_cevns_count_against_published(data_available):
    """Fitted CEvNS count with a free normalisation: 134 +- 22 (Akimov et al. 2017).  Ours:
    129.7 (-3 %); CEvNS over background only by Delta chi^2 = 39 (6.3 sigma; published 6.7)."""
    ds = experiments.load("csi2017", csi2017_signal="free")
    lik = Likelihood([ds])
    best = lik.fit()
    nu = {k.split(".", 1)[1]: v for k, v in best.values.items()}
    n = ds.components(Params.sm(), nu)["cevns"].sum()
    print(f"\n[csi2017] fitted CEvNS count {n:.1f} (published 134 +- 22)")
    assert abs(n - 134.0) < 22.0
    none = lik.fit(fixed={"csi2017.eta_cevns": -1.0})
    assert none.chi2 - best.chi2 > 25.0


def test_csi2017_is_an_ordinary_data_set(data_available):
    """Registered through its module alone: listed, described, its options validated."""
    assert "csi2017" in experiments.NAMES
    assert "2017" in experiments.describe("csi2017")
    with pytest.raises(ValueError, match="csi2017_ss"):
        experiments.load("csi2017", csi2017_ss="smooth")
    with pytest.raises(ValueError, match="applies to csi2017"):
        experiments.split_options(["csi"], {"csi2017_signal": "free"})


def test_rate_vs_n_frees_the_declared_signal_normalisation(data_available):
    """The rate-vs-N summary fits the CEvNS rate through the data set's declared
    ``signal_normalisation``: for CsI 2017 the same fit as the free-signal option (1 + eta =
    0.743, with the quenching factor pulled +0.33 sigma: 129.7 events; published 134 / 173 =
    0.77 +- 0.13), with a Minuit error; a data set without CEvNS (XENONnT electron recoils) is
    left out."""
    from cevnsfit.report.summary_plots import rate_vs_n

    ds = experiments.load("csi2017")
    assert ds.signal_normalisation == "eta_cevns"
    (row,) = rate_vs_n([ds])
    free = Likelihood([experiments.load("csi2017", csi2017_signal="free")]).fit()
    assert row["ratio"] == pytest.approx(1.0 + free.values["csi2017.eta_cevns"], abs=2e-3)
    assert abs(row["ratio"] - 134.0 / 173.0) < 0.13 and 0.08 < row["ratio_error"] < 0.2
    assert row["N"] == pytest.approx(76.0, abs=1.0)
    if "xenonnt_er" in experiments.NAMES:
        er = experiments.load("xenonnt_er")
        assert er.signal_normalisation is None and rate_vs_n([er]) == []
