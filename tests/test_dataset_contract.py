"""What every registered data set must satisfy, whatever it is: run over ``experiments.NAMES``,
so that a new data set (one module + one registry line) is checked without editing any test.

- its batched expectation equals the point-by-point one;
- the exact Jacobian columns it gives the profiler equal central finite differences;
- its chi^2 is the Poisson / Gaussian formula of its statistic plus the nuisance priors;
- the options it declares validate and its description is complete.
"""

import numpy as np
import pytest

from cevnsfit import experiments
from cevnsfit.experiments.base import gaussian_chi2, poisson_chi2
from cevnsfit.physics.parameters import Params


def _moved(ds) -> dict:
    """Every nuisance moved off its central value: +0.3 sigma, or +1 % for a free one."""
    out = {}
    for n in ds.nuisances:
        step = 0.3 * n.sigma if n.sigma else 0.01 * (abs(n.central) or 1.0)
        v = n.central + step
        if n.limits is not None:
            v = min(max(v, n.limits[0]), n.limits[1])
        out[n.name] = v
    return out


@pytest.fixture(scope="module", params=experiments.NAMES)
def ds(request, data_available):
    return experiments.load(request.param)


def test_declaration(ds):
    inf = experiments.info(ds.name)
    assert inf.title and inf.reference and inf.data_sets
    assert inf.resolve({}) == inf.defaults()
    assert ds.observed.size == int(np.prod(ds.shape))
    assert set(ds.sensitive_to) <= set(Params.names())


def test_batched_matches_pointwise(ds):
    nuis = _moved(ds)
    values = {
        "mu_e": np.array([0.0, 3.0, 10.0]),
        "r2_ee": np.array([0.0, -20.0, 5.0]),
        "sin2w": np.array([0.23, 0.25, 0.21]),
    }
    batch = ds.expected_batch(values, nuis)
    want = np.stack(
        [ds.expected(Params(mu_e=a, r2_ee=b, sin2w=c), nuis) for a, b, c in zip(*values.values(), strict=True)]
    )
    np.testing.assert_allclose(batch, want, rtol=1e-10, atol=1e-12 * want.max())


def test_chi2_is_its_statistic_plus_priors(ds):
    nuis = _moved(ds)
    p = Params(mu_e=2.0)
    e = ds.expected(p, nuis)
    data = (
        gaussian_chi2(e, ds.observed, ds.observed_errors())
        if ds.statistic == "gaussian"
        else poisson_chi2(e, ds.observed)
    )
    prior = sum(((nuis[n.name] - n.central) / n.sigma) ** 2 for n in ds.nuisances if n.sigma)
    assert ds.chi2(p, nuis) == pytest.approx(data + prior, rel=1e-12)


def test_exact_derivatives_match_finite_differences(ds):
    p = Params(mu_e=3.0, mu_mu=4.0)
    full = {**ds.nuisance_defaults(), **_moved(ds)}
    derivs = ds.linear_derivatives(p, full, ds.components(p, full))
    for key, d in derivs.items():
        h = 1e-5 * max(1.0, abs(full[key]))
        up = ds.expected(p, {**full, key: full[key] + h})
        dn = ds.expected(p, {**full, key: full[key] - h})
        # atol: the derivative's scale, or the rounding floor of the difference (eps |N| / h) for a
        # nuisance whose effect is ~1e-9 of the counts (e.g. the hep flux in solar nu-e scattering)
        floor = 1e-13 * np.abs(up).max() / h
        np.testing.assert_allclose(
            d, (up - dn) / (2 * h), rtol=1e-5, atol=max(1e-6 * np.abs(d).max(), floor), err_msg=key
        )


def test_every_nuisance_has_an_exact_derivative(ds):
    """The profiler needs no finite differences: every nuisance has an exact Jacobian column."""
    p = Params(mu_e=3.0, mu_mu=4.0)
    full = {**ds.nuisance_defaults(), **_moved(ds)}
    derivs = ds.linear_derivatives(p, full, ds.components(p, full))
    assert set(derivs) == {n.name for n in ds.nuisances}


def test_shared_nuisances_equal_per_point_ones(ds):
    """Nuisances given once for all points (computed once and broadcast) give the same counts and
    Jacobians as the same values given point by point."""
    nuis = _moved(ds)
    values = {"mu_e": np.array([0.0, 3.0, 10.0, 1.0]), "sin2w": np.array([0.23, 0.25, 0.21, 0.24])}
    per_point = {k: np.full(4, v) for k, v in nuis.items()}
    np.testing.assert_allclose(
        ds.expected_batch(values, nuis), ds.expected_batch(values, per_point), rtol=1e-12, atol=0
    )
    wrt = [n.name for n in ds.nuisances]
    shared, each = ds.jacobian_batch(values, nuis, wrt=wrt), ds.jacobian_batch(values, per_point, wrt=wrt)
    np.testing.assert_allclose(shared.expected, each.expected, rtol=1e-12, atol=0)
    for k in wrt:
        scale = np.abs(each.d[k]).max()
        np.testing.assert_allclose(shared.d[k], each.d[k], rtol=1e-12, atol=1e-14 * scale, err_msg=k)


def test_signal_normalisation_scales_the_cevns_signal(ds):
    """A data set with CEvNS names the nuisance that normalises it (the rate-vs-N summary frees
    it): a nuisance of the data set, on which the CEvNS counts depend linearly, scaling at least
    95 % of them (all for a flux normalisation; the 8B part of XENONnT's solar CEvNS)."""
    comps = ds.components(Params.sm())
    if "cevns" not in comps:
        assert ds.signal_normalisation is None or ds.signal_normalisation in {n.name for n in ds.nuisances}
        return
    norm = ds.signal_normalisation
    assert norm in {n.name for n in ds.nuisances}, f"{ds.name}: signal_normalisation {norm!r} is not a nuisance"
    central = {n.name: n.central for n in ds.nuisances}
    c0 = comps["cevns"]
    c1 = ds.components(Params.sm(), {**central, norm: central[norm] + 0.1})["cevns"]
    c2 = ds.components(Params.sm(), {**central, norm: central[norm] + 0.2})["cevns"]
    np.testing.assert_allclose(c2 - c1, c1 - c0, rtol=1e-8, atol=1e-12 * c0.max())  # linear
    share = (c1 - c0).sum() / (0.1 * c0.sum() / (1.0 + central[norm]))
    assert 0.95 <= share <= 1.0 + 1e-9


#: model options that change a data set's nuisances or the code computing their derivatives
VARIANTS = [
    ("dresden2", {"peaks": "fixed"}),
    ("csi", {"timing": "model"}),
    ("csi", {"steady_state": "template"}),
    ("ar", {"ar_grid": "3d"}),
    ("csi2017", {"csi2017_ss": "raw"}),
    ("csi2017", {"csi2017_signal": "free"}),
    ("xenonnt_er", {"zeff": "rrpa"}),
]


@pytest.mark.parametrize("name,options", VARIANTS, ids=[f"{n}-{next(iter(o.values()))}" for n, o in VARIANTS])
def test_exact_derivatives_of_model_variants(name, options, data_available):
    """The exact Jacobian of every nuisance equals central finite differences, and nuisances
    shared by all points give what per-point ones give, under the model options too."""
    ds = experiments.load(name, **options)
    p = Params(mu_e=3.0, mu_mu=4.0)
    full = {**ds.nuisance_defaults(), **_moved(ds)}
    derivs = ds.linear_derivatives(p, full, ds.components(p, full))
    assert set(derivs) == {n.name for n in ds.nuisances}
    for key, d in derivs.items():
        h = 1e-5 * max(1.0, abs(full[key]))
        up = ds.expected(p, {**full, key: full[key] + h})
        dn = ds.expected(p, {**full, key: full[key] - h})
        floor = 1e-13 * np.abs(up).max() / h
        np.testing.assert_allclose(
            d, (up - dn) / (2 * h), rtol=1e-5, atol=max(1e-6 * np.abs(d).max(), floor), err_msg=key
        )
    values = {"mu_e": np.array([0.0, 3.0, 10.0])}
    per_point = {k: np.full(3, v) for k, v in full.items()}
    np.testing.assert_allclose(ds.expected_batch(values, full), ds.expected_batch(values, per_point), rtol=1e-12)
