"""Regularised Feldman-Cousins critical values (cevnsfit.inference.critical_smoothing).

Analytic answers: the Monte-Carlo error of a sample quantile is sqrt(cl (1 - cl) / N) / f(q)
(the asymptotic variance of an order statistic); local-linear regression reproduces a linear
trend exactly; for a Gaussian measurement far from a boundary the true critical value is the
chi^2_1 quantile 2.706 at every tested value (Wilks is exact there).
"""

import numpy as np
import pytest
from scipy import stats

from cevnsfit.inference.critical_smoothing import MAX_SHIFT, mc_error, smooth_critical
from cevnsfit.inference.feldman_cousins import fc_limit
from toymodels import Gaussian


def test_mc_error_is_the_order_statistic_spread():
    rng = np.random.default_rng(3)
    n = 4000
    t = rng.chisquare(1, n)
    q = stats.chi2.ppf(0.9, 1)
    expected = np.sqrt(0.9 * 0.1 / n) / stats.chi2.pdf(q, 1)  # 0.098
    assert mc_error(t, 0.9) == pytest.approx(expected, rel=0.25)


def test_mc_error_of_an_atom_is_zero():
    """A discrete statistic (few events) puts many toys on the same value: the quantile is
    exact, not noisy."""
    t = np.repeat([0.0, 0.4, 1.3, 2.9, 5.0], [300, 300, 250, 100, 50]).astype(float)
    assert mc_error(t, 0.9) == 0.0
    assert np.isnan(mc_error(np.array([np.nan, np.nan]), 0.9))
    # the quantile of a continuous sample is itself one toy: that is not an atom, at any N
    assert mc_error(np.random.default_rng(1).chisquare(1, 50), 0.9) > 0


def test_linear_trend_is_kept_exactly_also_at_the_ends():
    x = np.linspace(0.0, 4.0, 21)
    c = 1.5 + 0.3 * x
    np.testing.assert_allclose(smooth_critical(x, c, np.full_like(x, 0.1)), c, atol=1e-10)
    X, Y = np.meshgrid(np.linspace(0, 1, 6), np.linspace(-2, 2, 5))
    pts = np.c_[X.ravel(), Y.ravel()]
    c2 = 4.6 + 0.5 * pts[:, 0] - 0.2 * pts[:, 1]
    np.testing.assert_allclose(smooth_critical(pts, c2, np.full(len(c2), 0.2)), c2, atol=1e-10)


def test_noise_is_reduced_and_no_value_moves_more_than_its_allowed_shift():
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 6.0, 40)
    truth = 2.706 + 0.0 * x
    sig = np.full_like(x, 0.15)
    raw = truth + rng.normal(0.0, 0.15, x.size)
    out = smooth_critical(x, raw, sig)
    rms = lambda v: float(np.sqrt(np.mean((v - truth) ** 2)))  # noqa: E731
    assert rms(out) < rms(raw) / 1.5
    assert np.all(np.abs(out - raw) <= MAX_SHIFT * sig + 1e-12)


def test_a_resolved_step_is_kept_and_atoms_and_nans_are_untouched():
    x = np.arange(20.0)
    raw = np.where(x < 10, 1.0, 3.0)  # a jump of 20 Monte-Carlo errors
    sig = np.full_like(x, 0.1)
    sig[3] = 0.0  # an atom
    raw[15] = np.nan
    out = smooth_critical(x, raw, sig)
    assert out[3] == raw[3] and np.isnan(out[15])
    assert np.all(np.abs(out - raw)[np.isfinite(raw)] <= MAX_SHIFT * 0.1 + 1e-12)
    assert np.all(out[:10] < 1.3) and np.all(out[10:][np.isfinite(out[10:])] > 2.7)


def test_fc_limit_reports_raw_and_regularised_critical_values(tmp_path):
    """Gaussian measurement x0 = 5 far from the boundary: the true critical value is 2.706 at
    every tested value; the regularised values are closer to it than the raw ones (100 toys
    each), the raw values and the intervals they give are kept, and smooth=False is the raw
    construction (from the same, resumed toys)."""
    grid = np.linspace(3.0, 7.0, 13)
    kw = dict(n_toys=100, grid=grid, seed=8, out_dir=tmp_path)
    s = fc_limit([Gaussian(x_obs=5.0)], "gauss.mu", **kw)
    r = fc_limit([Gaussian(x_obs=5.0)], "gauss.mu", smooth=False, **kw)
    raw = np.array(s["scan"]["critical_delta_chi2_raw"])
    crit = np.array(s["scan"]["critical_delta_chi2"])
    np.testing.assert_array_equal(raw, r["scan"]["critical_delta_chi2"])
    assert r["toys"]["tasks_computed"] == 0
    assert r["smoothing"] is None and s["smoothing"]["method"] == "local-linear"
    q = stats.chi2.ppf(0.9, 1)
    assert np.sqrt(np.mean((crit - q) ** 2)) < np.sqrt(np.mean((raw - q) ** 2))
    assert s["intervals_unsmoothed"] == r["intervals"]
    ((lo, hi),) = s["intervals"]
    assert lo == pytest.approx(5.0 - 1.645, abs=0.25) and hi == pytest.approx(5.0 + 1.645, abs=0.25)
