"""Coverage of the profiled 90 % CL interval on pseudo-experiments (Dresden-II, mu_e).

Analysis: Dresden-II with its defaults (Fef quenching, HMVE flux, CEvNS + ES), free mu_e, the five
nuisances profiled, Gaussian chi^2 with the released errors.  Pseudo-data: the expected counts at
the true mu_e, with the nuisances at their best fit to the real data at that mu_e
(:func:`cevnsfit.inference.fit.profile_nuisances`), fluctuated bin by bin with the released
errors (``observed_errors()``).  For each pseudo-experiment, Delta chi^2(truth) = chi^2(mu_e fixed
at the truth, nuisances profiled) - chi^2(global fit); the 90 % CL interval {Delta chi^2 <= 2.706}
covers the truth when Delta chi^2(truth) <= 2.706.

Physical boundary: mu_e enters only as mu_e^2 = s >= 0, and the rate is linear in s.  Away from the
boundary Wilks' theorem holds (Delta chi^2(truth) ~ chi^2_1, coverage 90 %); near it the fit
sticks at s = 0 for downward fluctuations and the interval over-covers.  The default truth,
mu_e = 4 (s = 16, about 3.4 sigma_s from s = 0), is far enough; the slow study also runs
mu_e = 2 (s = 4, 0.8 sigma_s from the boundary) and compares with the coverage the boundary
predicts for a Gaussian estimator of s truncated at 0 (about 0.93).
"""

import copy
import math

import numpy as np
import pytest
from scipy.stats import binomtest, kstest, norm
from scipy.stats import chi2 as chi2_dist

from cevnsfit import experiments
from cevnsfit.inference.fit import Likelihood, profile_nuisances
from cevnsfit.inference.profile import delta_chi2_threshold
from cevnsfit.physics.parameters import Params

LEVEL = delta_chi2_threshold(0.9, 1)  # 2.706
TRUTH = 4.0  # 1e-10 mu_B, away from the boundary
TRUTH_NEAR_BOUNDARY = 2.0
#: pseudo-experiments: default run, full study (slow), near the boundary (slow; fits there are slower)
N_FAST, N_FULL, N_BOUNDARY = 100, 1000, 500


@pytest.fixture(scope="module")
def d2(data_available):
    ds = experiments.load("dresden2")
    assert (ds.qf, ds.flux, ds.es) == ("fef", "hmve", True)
    return ds


def toy_generator(ds, truth: float):
    """Mean of the pseudo-data at mu_e = truth, with the nuisances fitted to the real data there."""
    params = Params.sm().with_(mu_e=truth)
    nuis = profile_nuisances(ds, params)
    assert nuis.converged, nuis.message
    return ds.expected(params, nuis.values), ds.observed_errors()


def delta_chi2_at_truth(ds, observed, truth: float) -> dict:
    """Profiled Delta chi^2 at the truth for one pseudo-data set."""
    toy = copy.copy(ds)
    toy.observed = observed
    lik = Likelihood([toy], poi=["mu_e"])
    # several starts for the global fit (the minimum may sit on the boundary mu_e = 0)
    fits = [lik.fit(start={"mu_e": s}) for s in (truth, 0.5 * truth, 0.0)]
    best = min(fits, key=lambda r: r.chi2)
    at_truth = lik.fit(start={"mu_e": truth}, fixed={"mu_e": truth})
    chi2_min = min(best.chi2, at_truth.chi2)
    return {
        "delta": at_truth.chi2 - chi2_min,
        "mu_hat": best.values["mu_e"],
        "converged": best.converged and at_truth.converged,
        "inconsistent": best.chi2 - at_truth.chi2 > 1e-3,
    }  # global fit above a constrained one


def run_toys(ds, truth: float, n: int, seed: int) -> dict:
    mean, err = toy_generator(ds, truth)
    rng = np.random.default_rng(seed)
    rows = [delta_chi2_at_truth(ds, mean + err * rng.standard_normal(mean.size), truth) for _ in range(n)]
    delta = np.array([r["delta"] for r in rows])
    k = int(np.sum(delta <= LEVEL))
    cov = k / n
    return {
        "n": n,
        "k": k,
        "coverage": cov,
        "error": math.sqrt(cov * (1 - cov) / n),
        "delta": delta,
        "mu_hat": np.array([r["mu_hat"] for r in rows]),
        "n_failed": sum(not r["converged"] for r in rows),
        "n_inconsistent": sum(r["inconsistent"] for r in rows),
    }


def predicted_coverage(ds, truth: float) -> float:
    """Coverage for a Gaussian estimator of s = mu_e^2 truncated at s >= 0, with sigma_s from the
    Asimov data set: Delta chi^2_Asimov(s = 0) = (s_true / sigma_s)^2."""
    mean, _ = toy_generator(ds, truth)
    asimov = copy.copy(ds)
    asimov.observed = mean
    lik = Likelihood([asimov], poi=["mu_e"])
    d0 = lik.fit(fixed={"mu_e": 0.0}).chi2 - lik.fit(start={"mu_e": truth}).chi2
    s0 = truth**2
    sig = s0 / math.sqrt(d0)
    k = math.sqrt(LEVEL)
    # s_hat >= 0: covered if |s_hat - s0| <= k sigma; s_hat < 0 (fit at 0): covered if
    # (s0 - s_hat)^2 - s_hat^2 <= k^2 sigma^2, i.e. s_hat >= (s0^2 - k^2 sigma^2) / (2 s0)
    p = norm.cdf(s0 + k * sig, s0, sig) - norm.cdf(max(s0 - k * sig, 0.0), s0, sig)
    c = (s0 * s0 - k * k * sig * sig) / (2 * s0)
    if c < 0:
        p += norm.cdf(0.0, s0, sig) - norm.cdf(c, s0, sig)
    return p


def _report(tag, res, pred=None):
    extra = f", predicted {pred:.3f}" if pred is not None else ""
    print(
        f"\n[coverage] {tag}: {res['k']}/{res['n']} = {res['coverage']:.3f} +- {res['error']:.3f}{extra}; "
        f"mean Delta chi2 = {res['delta'].mean():.3f}; mu_hat = 0 in {np.mean(res['mu_hat'] < 1e-3):.1%}; "
        f"failed fits {res['n_failed']}"
    )


def _check_sane(res):
    assert res["n_failed"] == 0
    assert res["n_inconsistent"] == 0
    assert np.all(np.isfinite(res["delta"])) and np.all(res["delta"] >= -1e-6)


# --- default run ---------------------------------------------------------------------
def test_coverage_dresden_mu_e_fast(d2):
    res = run_toys(d2, TRUTH, n=N_FAST, seed=20240501)
    _report(f"Dresden-II mu_e = {TRUTH}, fast", res)
    _check_sane(res)
    # 90 % up to binomial fluctuations: two-sided binomial p > 1e-3 (k in [79, 98] for 100 toys)
    assert binomtest(res["k"], res["n"], 0.9).pvalue > 1e-3
    # Wilks: the whole Delta chi^2 distribution is chi^2 with one degree of freedom
    assert kstest(res["delta"], chi2_dist(1).cdf).pvalue > 1e-3
    # and the toys' best fits scatter around the truth
    assert abs(np.median(res["mu_hat"]) - TRUTH) < 0.5


def test_predicted_coverage_away_from_boundary(d2):
    assert predicted_coverage(d2, TRUTH) == pytest.approx(0.90, abs=2e-3)
    assert predicted_coverage(d2, TRUTH_NEAR_BOUNDARY) > 0.91


# --- full study --------------------------------------------------------------------------------
@pytest.mark.slow
def test_coverage_dresden_mu_e_full(d2):
    res = run_toys(d2, TRUTH, n=N_FULL, seed=7)
    _report(f"Dresden-II mu_e = {TRUTH}, full", res, predicted_coverage(d2, TRUTH))
    _check_sane(res)
    assert abs(res["coverage"] - 0.9) < 3 * math.sqrt(0.09 / res["n"])
    assert kstest(res["delta"], chi2_dist(1).cdf).pvalue > 1e-3


@pytest.mark.slow
def test_coverage_dresden_mu_e_near_boundary(d2):
    """Near mu_e = 0 the interval over-covers, as the truncated-Gaussian model predicts."""
    res = run_toys(d2, TRUTH_NEAR_BOUNDARY, n=N_BOUNDARY, seed=11)
    pred = predicted_coverage(d2, TRUTH_NEAR_BOUNDARY)
    _report(f"Dresden-II mu_e = {TRUTH_NEAR_BOUNDARY}, near the boundary", res, pred)
    _check_sane(res)
    assert abs(res["coverage"] - pred) < 3 * math.sqrt(pred * (1 - pred) / res["n"])
    assert res["coverage"] >= 0.9 - 3 * math.sqrt(0.09 / res["n"])
