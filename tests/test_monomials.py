"""The monomial table: its compiled evaluation against the monomials written out by hand, and its
exact derivatives against finite differences."""

import numpy as np
import pytest

from cevnsfit.constants import FLAVOURS
from cevnsfit.physics.monomials import MONOMIAL_PARAMETERS, Points, monomial_terms, parameter_index
from cevnsfit.physics.parameters import MONOMIALS, NEW_PHYSICS, Params, monomials


def _by_hand(p: Params, f: str) -> np.ndarray:
    """The 14 monomials of SPEC section 13 written out (amplitude 1, s, R, C; transitions summed)."""
    s, R, C = p.sin2w, p.r2(f), p.q(f)
    o = [x for x in FLAVOURS if x != f]
    tr = sum(p.r2(f, x) ** 2 for x in o)
    trc = sum(p.r2(f, x) * p.q(f, x) for x in o)
    tc = sum(p.q(f, x) ** 2 for x in o)
    return np.array([1.0, s, R, C, s * s, s * R, s * C, R * R, R * C, C * C, tr, trc, tc, p.mu(f) ** 2])


def _random_params(rng) -> Params:
    vals = {n: float(rng.normal(0, 3)) for n in sorted(MONOMIAL_PARAMETERS)}
    vals["sin2w"] = float(rng.uniform(0.2, 0.3))
    return Params(**vals)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_table_reproduces_the_monomials(flavour):
    rng = np.random.default_rng(7)
    ps = [_random_params(rng) for _ in range(5)]
    for p in ps:
        np.testing.assert_allclose(monomials(p, flavour), _by_hand(p, flavour), rtol=1e-15, atol=0)
    values = {n: np.array([getattr(p, n) for p in ps]) for n in MONOMIAL_PARAMETERS}
    batch = Points(values).monomials(flavour)[:, 0]
    np.testing.assert_allclose(batch, np.stack([_by_hand(p, flavour) for p in ps]), rtol=1e-15)


def test_table_terms_and_parameters():
    assert monomial_terms("TRC", "mu") == [("r2_emu", "q_emu"), ("r2_mutau", "q_mutau")]
    assert monomial_terms("sR", "tau") == [("sin2w", "r2_tautau")]
    assert monomial_terms("mu2", "e") == [("mu_e", "mu_e"), ("mu_nu", "mu_nu")]
    assert MONOMIAL_PARAMETERS == frozenset(n for n in Params.names() if n not in NEW_PHYSICS)
    assert len(MONOMIALS) == 14
    with pytest.raises(ValueError, match="amplitude variables"):
        monomial_terms("sX", "e")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_derivative_directions(flavour):
    """d/dp and d2/dp2 of every monomial for every parameter equal central differences (exact
    for the quadratic monomials up to rounding)."""
    rng = np.random.default_rng(3)
    ps = [_random_params(rng) for _ in range(3)]
    values = {n: np.array([getattr(p, n) for p in ps]) for n in MONOMIAL_PARAMETERS}
    names = tuple(sorted(MONOMIAL_PARAMETERS))
    pts = Points(values, wrt=names, curvature=names)
    m = pts.monomials(flavour)
    assert m.shape == (3, 1 + 2 * len(names), 14)
    idx = parameter_index()
    h = 1e-3
    for j, p in enumerate(names):
        up, dn = pts.V.copy(), pts.V.copy()
        up[:, idx[p]] += h
        dn[:, idx[p]] -= h
        mu, md = Points.from_matrix(up).monomials(flavour)[:, 0], Points.from_matrix(dn).monomials(flavour)[:, 0]
        np.testing.assert_allclose(m[:, 1 + j], (mu - md) / (2 * h), atol=1e-9, err_msg=p)
        np.testing.assert_allclose(m[:, 1 + len(names) + j], (mu - 2 * m[:, 0] + md) / h**2, atol=1e-6, err_msg=p)


def test_points_validation():
    with pytest.raises(ValueError, match="allowed"):
        Points({"mu_x": 1.0})
    with pytest.raises(ValueError, match="finite"):
        Points({"mu_e": np.array([1.0, np.nan])})
    with pytest.raises(ValueError, match="lengths"):
        Points({"mu_e": np.zeros(2), "mu_mu": np.zeros(3)})
    p = Points({"mu_e": np.array([1.0, 2.0])}, base=Params(r2_ee=-3.0))
    assert p.n == 2 and p.params(1).mu_e == 2.0 and p.params(0).r2_ee == -3.0


def test_unmodelled_parameters_are_refused():
    """A parameter outside the table (a new-physics one) away from its default is an error, never
    silently ignored; at its default it is fine."""
    Points({"eps_u_ee": 0.0}).check_only(MONOMIAL_PARAMETERS)
    with pytest.raises(ValueError, match="eps_u_ee"):
        Points({"eps_u_ee": np.array([0.0, 0.1])}).check_only(MONOMIAL_PARAMETERS)
    with pytest.raises(ValueError, match="not available"):
        monomials(Params(eps_d_ee=0.2), "e")
