"""Bayesian credible intervals (cevnsfit.inference.bayes) against analytic posteriors."""

import numpy as np
import pytest

from toymodels import Counting, Gaussian

pytest.importorskip("dynesty")

from cevnsfit.inference.bayes import bayes_limit, hpd_intervals, weighted_quantile


def test_gaussian_flat_prior_gives_the_central_interval():
    """x ~ N(mu, 1), flat prior, x0 = 3 far from any bound: posterior N(3, 1); the 90 % HPD and
    equal-tailed intervals are both 3 -+ 1.645."""
    r = bayes_limit([Gaussian(x_obs=3.0, lower=None)], "gauss.mu", prior="flat", nlive=600, seed=1)
    lo, hi = r["equal_tailed"]
    assert lo == pytest.approx(1.355, abs=0.08) and hi == pytest.approx(4.645, abs=0.08)
    ((a, b),) = r["hpd_intervals"]
    assert a == pytest.approx(1.355, abs=0.1) and b == pytest.approx(4.645, abs=0.1)


def test_gaussian_at_the_boundary_gives_the_truncated_upper_limit():
    """mu >= 0, x0 = 0, flat prior: the posterior is a half-Gaussian; its 90 % quantile (and HPD
    end) is Phi^-1(0.95) = 1.645."""
    r = bayes_limit([Gaussian(x_obs=0.0, lower=0.0)], "gauss.mu", prior="flat", nlive=300, seed=2)
    assert r["upper_limit"] == pytest.approx(1.645, abs=0.08)
    ((a, b),) = r["hpd_intervals"]
    assert a == 0.0 and b == pytest.approx(1.645, abs=0.1)


def test_poisson_zero_events_flat_prior():
    """n = 0, b = 0, flat prior on s >= 0: posterior e^-s, 90 % upper limit ln 10 = 2.303."""
    r = bayes_limit([Counting(n_obs=0, b=0.0)], "count.s", prior="flat", nlive=300, seed=3)
    assert r["upper_limit"] == pytest.approx(np.log(10.0), abs=0.1)


def test_flat_square_prior_is_for_moduli_only():
    with pytest.raises(ValueError, match="flat-square"):
        bayes_limit([Gaussian(x_obs=1.0)], "gauss.mu", prior="flat-square", nlive=50)
    with pytest.raises(ValueError, match="unknown prior"):
        bayes_limit([Gaussian(x_obs=1.0)], "gauss.mu", prior="jeffreys", nlive=50)


def test_hpd_finds_two_islands_and_quantiles():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-60, 3, 20000), rng.normal(0, 3, 20000)])
    w = np.ones_like(x)
    iv = hpd_intervals(x, w, 0.9, -100, 40)
    assert len(iv) == 2 and iv[0][0] < -60 < iv[0][1] and iv[1][0] < 0 < iv[1][1]
    assert weighted_quantile(np.arange(101.0), np.ones(101), 0.5) == pytest.approx(50.0)
