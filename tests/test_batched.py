"""Batched profiling equals one fit at a time: the same chi^2 (to 1e-6) and the same intervals for
every kind of shipped analysis, the same fits of pseudo-experiments, and scans whose points are
true minima of the single-point fit."""

import copy
from dataclasses import replace

import numpy as np
import pytest

from cevnsfit import experiments
from cevnsfit.inference.analysis import Setup, free_parameters, limit
from cevnsfit.inference.fit import Likelihood
from cevnsfit.inference.profile import Profiler, delta_chi2_threshold, intervals_from_scan

# one case per kind of shipped analysis: (data sets, set-up options, scanned parameter(s), grid(s))
CASES = {
    "mu (modulus, Dresden-II)": (("dresden2",), {}, ("mu_e",), (np.linspace(0.0, 4.0, 13),)),
    "mu 2D (CsI + Ar)": (("csi", "ar"), {}, ("mu_e", "mu_mu"), (np.linspace(0, 30, 5), np.linspace(0, 30, 5))),
    "r2 diagonal, two branches (CsI + Ar)": (("csi", "ar"), {}, ("r2_ee",), (np.linspace(-80, 40, 13),)),
    "r2 with transitions (Dresden-II)": (("dresden2",), {"transitions": True}, ("r2_ee",), (np.linspace(-80, 40, 11),)),
    "r2 transition (CsI + Ar)": (("csi", "ar"), {"transitions": True}, ("r2_emu",), (np.linspace(0, 40, 5),)),
    "r2 momentum-dependent (Dresden-II)": (
        ("dresden2",),
        {"momentum_dependent": True},
        ("r2_ee",),
        (np.linspace(-80, 40, 11),),
    ),
    "q millicharge (Dresden-II)": (("dresden2",), {}, ("q_ee",), (np.linspace(-3e-11, 3e-11, 11),)),
    "sin2w (CsI)": (("csi",), {}, ("sin2w",), (np.linspace(0.15, 0.35, 11),)),
    "combined r2 (CsI + Ar + Dresden-II)": (("csi", "ar", "dresden2"), {}, ("r2_mumu",), (np.linspace(-70, 20, 10),)),
    # the analyses beyond the papers: NSI, neutron radius, sterile state, solar data sets
    "NSI eps_u_ee, two bands (CsI + Ar)": (("csi", "ar"), {}, ("eps_u_ee",), (np.linspace(-0.6, 1.0, 9),)),
    "neutron radius (Ar)": (("ar",), {}, ("rn_ar",), (np.linspace(2.0, 6.0, 7),)),
    "sterile 2D (Dresden-II)": (
        ("dresden2",),
        {},
        ("dm2_41", "ue4sq"),
        (np.geomspace(0.1, 100.0, 4), np.linspace(0, 0.5, 4)),
    ),
    "universal moment (XENONnT ER)": (("xenonnt_er",), {}, ("mu_nu",), (np.linspace(0.0, 0.15, 7),)),
    "millicharge (XENONnT 8B + ER)": (("xenonnt_8b", "xenonnt_er"), {}, ("q_ee",), (np.linspace(-1e-12, 1e-12, 7),)),
}


def _profiler(data, opts, params):
    setup = Setup(data, **opts)
    dss = setup.datasets()
    lik = Likelihood(dss, poi=free_parameters(list(params), dss, setup.transitions))
    prof = Profiler(lik)
    prof.global_fit()
    return prof


#: cases of the fast suite's length only when marked slow (building the XENONnT 8B templates)
SLOW = {"millicharge (XENONnT 8B + ER)"}


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in CASES])
def test_batched_equals_single_point(data_available, case):
    """Every grid point with its mirror starts in one batch, and each point alone (the n = 1
    case): the same profiled chi^2 to 1e-6, hence the same allowed intervals."""
    data, opts, params, axes = CASES[case]
    prof = _profiler(data, opts, params)
    mesh = np.meshgrid(*axes, indexing="ij")
    fixed = [dict(zip(params, (float(m.flat[i]) for m in mesh), strict=True)) for i in range(mesh[0].size)]
    batched = np.array([r.chi2 for r in prof.profile_many(fixed)])
    single = np.array([prof.profile_at(f).chi2 for f in fixed])
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-6)
    if len(params) == 1:
        level = delta_chi2_threshold(0.9, 1)
        grid = axes[0]
        ib = intervals_from_scan(grid, batched - prof.best.chi2, level)
        isg = intervals_from_scan(grid, single - prof.best.chi2, level)
        assert len(ib) == len(isg)
        np.testing.assert_allclose(ib, isg, rtol=0, atol=1e-6 * (grid[1] - grid[0]))


@pytest.mark.parametrize(
    "case", ["r2 diagonal, two branches (CsI + Ar)", "r2 with transitions (Dresden-II)", "q millicharge (Dresden-II)"]
)
def test_scan_points_are_single_point_minima(data_available, case):
    """The warm-started sweeps (all branches, both directions, in one batch) end at minima: a
    single-point fit started at each scan point's fit returns its chi^2 (to 1e-6)."""
    data, opts, params, axes = CASES[case]
    prof = _profiler(data, opts, params)
    scan = prof.scan(params[0], axes[0])
    assert scan.converged.all()
    for g, c, v in zip(scan.grid, scan.chi2, scan.extra["values"], strict=True):
        again = prof.lik.fit(start=v, fixed={params[0]: g})
        assert again.chi2 == pytest.approx(c, abs=1e-6)
        assert again.chi2 <= c + 1e-6


def test_limit_intervals_unchanged_by_refinement_batching(data_available):
    """Interval ends refined all at once from the neighbouring points equal those refined one by
    one (regula falsi from the best fit with the mirror starts)."""
    setup = Setup(("csi", "ar"))
    res = limit(setup, "r2_ee", n_points=41)
    dss = setup.datasets()
    prof = Profiler(Likelihood(dss, poi=free_parameters(["r2_ee"], dss, False)))
    prof.global_fit()
    level = delta_chi2_threshold(0.9, 1)
    grid, delta = np.array(res["scan"]["grid"]), np.array(res["scan"]["delta_chi2"])
    one_by_one = intervals_from_scan(
        grid, delta, level, lambda a, b: prof.refine_crossing("r2_ee", a, b, level, prof.best.values, 6)
    )
    assert len(res["intervals"]) == len(one_by_one) == 2
    np.testing.assert_allclose(res["intervals"], one_by_one, atol=2e-3 * (grid[1] - grid[0]))


def test_pseudo_experiments_batched(data_available):
    """fit_batch with pseudo-data and drawn prior centres equals fitting each pseudo-experiment
    alone (a likelihood of the data set with that observation and those centres)."""
    ds = experiments.load("csi")
    lik = Likelihood([ds], poi=["mu_mu"])
    rng = np.random.default_rng(11)
    mean = ds.expected(lik.base)
    n = 6
    obs = rng.poisson(mean, size=(n, mean.size)).astype(float)
    cen = np.array(
        [
            [nu.central + (nu.sigma or 0.0) * rng.standard_normal() if nu.sigma else nu.central for nu in ds.nuisances]
            for _ in range(n)
        ]
    )
    fixed = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 25.0])
    batch = lik.fit_batch({"mu_mu": fixed}, observed={"csi": obs}, centres={"csi": cen})
    assert batch.converged.all()
    for j in range(n):
        toy = copy.copy(ds)
        toy.observed = obs[j]
        toy.nuisances = tuple(
            replace(nu, central=float(c)) if nu.sigma else nu for nu, c in zip(ds.nuisances, cen[j], strict=True)
        )
        one = Likelihood([toy], poi=["mu_mu"]).fit(fixed={"mu_mu": fixed[j]})
        assert batch.chi2[j] == pytest.approx(one.chi2, abs=1e-6)
