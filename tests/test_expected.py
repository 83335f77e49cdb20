"""Expected sensitivity: Asimov intervals (SM truth, nuisances at their fitted values) beside every
observed 1D limit, and bands from pseudo-experiments.

Properties that hold by construction of an Asimov data set (Cowan et al., EPJC 71 (2011) 1554) and
can fail in an implementation: its best fit is the truth, so the expected interval contains the SM
value; the Asimov data of Asimov data are the same data, so on them the observed and expected
intervals agree; and the median limit of pseudo-experiments at the truth is close to the Asimov one.
"""

import numpy as np
import pytest

from cevnsfit.inference.analysis import Setup, limit, physics_parameters
from cevnsfit.inference.expected import asimov_datasets, expected_bands
from cevnsfit.physics.parameters import Params

SM = Params.sm()


@pytest.mark.parametrize("data,param", [(("dresden2",), "mu_e"), (("csi",), "r2_mumu"), (("csi",), "sin2w")])
def test_expected_contains_sm_and_equals_observed_on_asimov_data(data, param, data_available):
    setup = Setup(data)
    obs = limit(setup, param, n_points=41)
    assert obs["expected_intervals"] and obs["expected_scan"]["grid"]
    sm = getattr(SM, param)
    assert any(a - 1e-9 <= sm <= b + 1e-9 for a, b in obs["expected_intervals"])
    # the data replaced by their Asimov data set: the observed interval is the expected one
    dss = setup.datasets()
    free, fixed = physics_parameters([param], dss, setup.transitions)
    asimov = asimov_datasets(dss, free, fixed)
    on_asimov = limit(setup, param, n_points=41, datasets=asimov)
    assert on_asimov["chi2_min"] == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(on_asimov["intervals"], obs["expected_intervals"], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(on_asimov["expected_intervals"], on_asimov["intervals"], rtol=2e-3, atol=2e-3)


def test_expected_differs_from_observed_where_the_data_fluctuate(data_available):
    """Dresden-II mu_e: the data's CEvNS rate fits below the SM prediction, so the observed limit
    is stronger than the expected one."""
    res = limit(Setup(("dresden2",)), "mu_e")
    assert res["intervals"][0][1] < 0.9 * res["expected_intervals"][0][1]


def test_fixed_parameters_stay_fixed_in_the_expected_limit(data_available):
    """The Asimov truth keeps a fixed parameter at its fixed value: fixing r2_ee far from the SM
    changes the expected r2_mumu interval."""
    setup = Setup(("csi",))
    sm = limit(setup, "r2_mumu", n_points=41, fixed={"r2_ee": "sm"})
    far = limit(setup, "r2_mumu", n_points=41, fixed={"r2_ee": 20.0})
    assert sm["options"]["fixed"]["r2_ee"] == pytest.approx(SM.r2_ee)
    a, b = np.ravel(far["expected_intervals"]), np.ravel(sm["expected_intervals"])
    assert a.size != b.size or np.abs(a - b).max() > 0.5


def test_bands_bracket_the_asimov_limit(data_available):
    setup = Setup(("dresden2",))
    res = expected_bands(setup, "mu_e", n_toys=24, seed=3, n_points=21)
    up = res["upper"]
    assert res["n_failed"] == 0
    assert up["-2sigma"] <= up["-1sigma"] <= up["median"] <= up["+1sigma"] <= up["+2sigma"]
    asimov = limit(setup, "mu_e")["expected_intervals"][0][1]
    assert up["-1sigma"] < asimov < up["+1sigma"]
    assert up["median"] == pytest.approx(asimov, rel=0.2)
    # reproducible from the seed, whatever the chunking
    again = expected_bands(setup, "mu_e", n_toys=24, seed=3, n_points=21, chunk_size=7)
    assert again["upper"] == res["upper"]
