"""Coverage of Wilks and Feldman-Cousins intervals from pseudo-experiments
(cevnsfit.inference.coverage) on a Gaussian measurement with a constrained offset and the
boundary mu >= 0.  The fast test is a small sanity run; the slow one measures coverage to +-2 %."""

import math

import pytest

from cevnsfit.inference.coverage import coverage
from toymodels import GaussianWithOffset


def test_coverage_small_run_is_sane():
    """40 pseudo-experiments x 40 toys: both intervals cover 90 % within 3 binomial errors, and a
    truth on the boundary is never excluded by a value below it (the grid has none)."""
    r = coverage([GaussianWithOffset(x_obs=(0.5, 0.7))], "goff.mu", 2.0, n_pseudo=40, n_toys=40, seed=1)
    for m in ("wilks", "fc"):
        assert abs(r[m]["coverage"] - 0.9) < 3 * math.sqrt(0.09 / 40), m
    assert r["fits_failed"] == 0 and r["n_pseudo"] == 40


@pytest.mark.slow
@pytest.mark.parametrize("truth", [0.05, 1.0, 3.0])
def test_fc_covers_within_two_percent(truth):
    """900 pseudo-experiments (binomial error 1 %) x 300 toys each: FC covers 90 % +- 2 % at every
    tested truth, including next to the boundary where Wilks over-covers."""
    r = coverage(
        [GaussianWithOffset(x_obs=(0.5, 0.7))], "goff.mu", truth, n_pseudo=900, n_toys=300, seed=3, backend="processes"
    )
    print(
        f"\n[coverage] goff.mu = {truth}: Wilks {r['wilks']['coverage']:.3f}, FC {r['fc']['coverage']:.3f} "
        f"+- {r['fc']['error']:.3f} ({r['seconds']:.0f} s)"
    )
    assert abs(r["fc"]["coverage"] - 0.9) <= 0.02
