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


def test_lockstep_pool_batches_and_equals_the_serial_map():
    """Calls that each evaluate the likelihood a different number of times: the pool's results
    equal the serial map's, the evaluations come in batches, and an error reaches the caller."""
    from cevnsfit.inference.lockstep import LockstepPool

    calls = []

    def batch(X):
        calls.append(X.shape[0])
        return -0.5 * np.sum(X**2, axis=1)

    pool = LockstepPool(batch, 8)

    def walk(k):
        rng = np.random.default_rng(k)
        x, total = np.zeros(2), 0.0
        for _ in range(3 + k % 4):
            x = x + rng.standard_normal(2)
            total += pool.loglike(x)
        return total

    serial = [walk(k) for k in range(8)]
    n_serial = len(calls)
    calls.clear()
    assert pool.map(walk, range(8)) == serial
    assert sum(calls) == n_serial and len(calls) == 6 and max(calls) == 8  # 6 rounds: the longest walk

    def bad(k):
        if k == 3:
            raise RuntimeError("boom")
        return pool.loglike(np.ones(2))

    with pytest.raises(RuntimeError, match="boom"):
        pool.map(bad, range(5))


def test_batched_sampling_is_reproducible_and_agrees_with_serial():
    """The same seed gives the same samples (batches formed in the proposals' order, not the
    threads'); one proposal at a time (queue_size=1, dynesty's serial run) gives the same
    interval within the sampling error."""
    from cevnsfit.inference.bayes import sample

    ds = [Gaussian(x_obs=3.0, lower=None)]
    a = sample(ds, ["gauss.mu"], nlive=200, seed=4)
    b = sample(ds, ["gauss.mu"], nlive=200, seed=4)
    assert a.queue_size == 50 and a.batches[0] < a.batches[1]
    np.testing.assert_array_equal(a.samples, b.samples)
    serial = sample(ds, ["gauss.mu"], nlive=200, seed=4, queue_size=1)
    assert serial.batches is None
    for post in (a, serial):
        lo, hi = weighted_quantile(post.column("gauss.mu"), post.weights, [0.05, 0.95])
        assert lo == pytest.approx(1.355, abs=0.12) and hi == pytest.approx(4.645, abs=0.12)


def test_batched_likelihood_equals_the_pointwise_one(data_available):
    """CsI 2017, every nuisance and mu_e, mu_mu drawn from the prior: the batched -chi^2/2 equals
    the data set's own chi^2 (data term; the priors are the priors) point by point."""
    from cevnsfit import experiments
    from cevnsfit.inference.bayes import Posterior
    from cevnsfit.inference.fit import Likelihood
    from cevnsfit.physics.parameters import Params

    ds = experiments.load("csi2017")
    lik = Likelihood([ds], poi=["mu_e", "mu_mu"])
    post = Posterior(lik, ["mu_e", "mu_mu"], "flat", {"mu_e": (0.0, 60.0), "mu_mu": (0.0, 40.0)})
    U = np.random.default_rng(0).random((16, len(post.names)))
    X = post.transform(U)
    assert np.all(X[:, :2] >= 0) and np.all(X[:, 0] <= 60.0)
    got = post.loglike_batch(X)
    for x, g in zip(X, got, strict=True):
        nuis = {k.split(".", 1)[1]: v for k, v in zip(post.names[2:], x[2:], strict=True)}
        want = -0.5 * ds.chi2_counts(ds.expected(Params(mu_e=x[0], mu_mu=x[1]), nuis))
        assert g == pytest.approx(want, rel=1e-11)
