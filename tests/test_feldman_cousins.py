"""Feldman-Cousins intervals from pseudo-experiments (cevnsfit.inference.feldman_cousins).

Published/analytic answers: Feldman & Cousins, PRD 57 (1998) 3873, Table IV (Poisson, 90 % CL)
and the Gaussian with mu >= 0 (Table X), and the Wilks interval of a Gaussian far from the boundary.
"""

import numpy as np
import pytest

from cevnsfit.inference.analysis import Setup
from cevnsfit.inference.feldman_cousins import fc_limit
from cevnsfit.inference.neyman import critical_value
from cevnsfit.inference.toys import Toys, rng_for
from toymodels import Counting, Gaussian


def _accepted(res):
    d = np.array(res["scan"]["delta_chi2"])
    c = np.array(res["scan"]["critical_delta_chi2"])
    return d <= c + 1e-5


def test_critical_value_is_the_discrete_quantile():
    # smallest value whose empirical CDF reaches CL
    t = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 5.0, 7.0])
    assert critical_value(t, 0.9) == 5.0
    assert critical_value(t, 0.5) == 1.0
    assert critical_value(np.array([np.nan, 1.0]), 0.9) == 1.0


def test_seed_per_point_and_toy():
    a = rng_for(7, 3, 11).standard_normal(3)
    np.testing.assert_array_equal(a, rng_for(7, 3, 11).standard_normal(3))
    assert not np.array_equal(a, rng_for(7, 3, 12).standard_normal(3))
    assert not np.array_equal(a, rng_for(7, 4, 11).standard_normal(3))
    assert Toys([np.zeros((2, 1))], [np.zeros((2, 0))]).n == 2


@pytest.mark.parametrize("n,b,lo,hi", [(0, 0.0, 0.0, 2.44), (3, 0.0, 1.10, 7.42), (0, 3.0, 0.0, 1.08)])
def test_poisson_counting_reproduces_the_fc_table(n, b, lo, hi):
    """Feldman & Cousins Table IV (90 % CL): n = 0, b = 0 -> [0, 2.44]; n = 3, b = 0 ->
    [1.10, 7.42]; n = 0, b = 3 -> [0, 1.08].  2000 toys per tested value; the values tested
    sit 0.15 inside and outside each published end (the toys' Monte-Carlo error on an end is
    about 0.1 here)."""
    tested = sorted({max(lo - 0.15, 0.0), lo + 0.15, hi - 0.15, hi + 0.15} | ({lo} if lo == 0 else set()))
    res = fc_limit([Counting(n_obs=n, b=b)], "count.s", n_toys=2000, grid=tested, seed=5)
    acc = dict(zip(res["scan"]["grid"], _accepted(res), strict=True))
    assert acc[hi - 0.15] and not acc[hi + 0.15]
    if lo == 0:
        assert acc[0.0] and acc[0.15]
    else:
        assert not acc[lo - 0.15] and acc[lo + 0.15]
    # the interval never includes unphysical values
    assert all(a >= 0 for a, _ in res["intervals"])


@pytest.mark.parametrize("x0,lo,hi", [(3.0, 1.355, 4.645), (0.0, 0.0, 1.645)])
def test_gaussian_fc_and_wilks_agree_with_the_analytic_interval(x0, lo, hi):
    """x ~ N(mu, 1), mu >= 0: far from the boundary FC and Wilks both give x0 -+ 1.645
    (Feldman & Cousins Table X: [1.36, 4.64] at x0 = 3); at x0 = 0 both give [0, 1.64]."""
    tested = sorted({lo + 0.25, hi - 0.25, hi + 0.25} | ({lo - 0.25} if lo > 0 else {0.0}))
    res = fc_limit([Gaussian(x_obs=x0)], "gauss.mu", n_toys=400, grid=tested, seed=2)
    acc = dict(zip(res["scan"]["grid"], _accepted(res), strict=True))
    assert acc[hi - 0.25] and not acc[hi + 0.25] and acc[lo + 0.25]
    if lo > 0:
        assert not acc[lo - 0.25]
    w = res["wilks_intervals"]
    assert len(w) == 1 and w[0][1] == pytest.approx(hi, abs=0.02)


def test_results_do_not_depend_on_chunking_and_are_reproducible():
    ds = [Gaussian(x_obs=1.0)]
    a = fc_limit(ds, "gauss.mu", n_toys=40, grid=[0.5, 2.0], seed=9, chunk_size=40)
    b = fc_limit(ds, "gauss.mu", n_toys=40, grid=[0.5, 2.0], seed=9, chunk_size=7)
    c = fc_limit(ds, "gauss.mu", n_toys=40, grid=[0.5, 2.0], seed=10, chunk_size=40)
    assert a["scan"]["critical_delta_chi2"] == b["scan"]["critical_delta_chi2"]
    assert a["scan"]["critical_delta_chi2"] != c["scan"]["critical_delta_chi2"]


def test_resume_reuses_finished_toys(tmp_path):
    ds = [Gaussian(x_obs=1.0)]
    a = fc_limit(ds, "gauss.mu", n_toys=30, grid=[0.5, 2.0], seed=4, chunk_size=10, out_dir=tmp_path)
    assert a["toys"]["toys_reused"] == 0 and a["toys"]["tasks_computed"] == 6
    (tmp_path / "toys_1_10.npz").unlink()
    b = fc_limit(ds, "gauss.mu", n_toys=30, grid=[0.5, 2.0], seed=4, chunk_size=10, out_dir=tmp_path)
    assert b["toys"]["toys_reused"] == 50 and b["toys"]["tasks_computed"] == 1
    assert a["scan"]["critical_delta_chi2"] == b["scan"]["critical_delta_chi2"]
    with pytest.raises(ValueError, match="different construction"):
        fc_limit(ds, "gauss.mu", n_toys=30, grid=[0.5, 2.0], seed=5, chunk_size=10, out_dir=tmp_path)


def test_unknown_nuisance_is_a_clear_error():
    with pytest.raises(ValueError, match="not a nuisance"):
        fc_limit([Gaussian()], "gauss.sigma", n_toys=5, grid=[0.0, 1.0])


def test_bitwise_identical_across_backends(data_available):
    """The same seed gives bitwise the same toy statistics on the serial, process and dask
    back-ends (seeds per point and toy; every toy fitted from the same start)."""
    s = Setup(("dresden2",))
    kw = dict(n_toys=6, grid=[0.5, 2.5], seed=123, chunk_size=4)
    ref = fc_limit(s, "mu_e", backend="serial", **kw)
    for backend in ("processes", "dask"):
        other = fc_limit(s, "mu_e", backend=backend, n_workers=2, **kw)
        assert other["scan"]["critical_delta_chi2"] == ref["scan"]["critical_delta_chi2"], backend
        assert other["scan"]["p_value"] == ref["scan"]["p_value"], backend


def test_fc_region_in_two_parameters():
    """The 2D option: a Feldman-Cousins region on a grid, with the Wilks region (4.61) beside it;
    the best fit is inside both, a far corner outside both."""
    from cevnsfit.inference.feldman_cousins import fc_contour
    from toymodels import GaussianWithOffset

    r = fc_contour(
        [GaussianWithOffset(x_obs=(2.0, 2.2))],
        "goff.mu",
        "goff.b",
        n_toys=30,
        n=5,
        x_range=(0.0, 5.0),
        y_range=(-2.0, 2.0),
        seed=1,
    )
    acc, wacc = np.array(r["accepted"]), np.array(r["wilks_accepted"])
    assert acc.shape == (5, 5) and r["wilks_delta_chi2"] == pytest.approx(4.605, abs=1e-3)
    assert acc[2, 2] and wacc[2, 2]  # (mu, b) = (2.5, 0): next to the best fit (2.1, 0)
    assert not acc[0, 4] and not wacc[0, 4]  # (5, -2): far away
    assert min(r["x"]) >= 0.0
