"""The monomial table: its compiled evaluation against the monomials written out by hand, and its
exact derivatives against finite differences."""

import numpy as np
import pytest

from cevnsfit.constants import FLAVOURS
from cevnsfit.physics.monomials import MONOMIAL_PARAMETERS, Points, monomial_terms, parameter_index
from cevnsfit.physics.parameters import MONOMIALS, Params, monomials


def _by_hand(p: Params, f: str) -> np.ndarray:
    """The 14 monomials of SPEC section 13 written out (amplitude 1, s, R, C; transitions summed)."""
    s, R, C = p.sin2w, p.r2(f), p.q(f)
    o = [x for x in FLAVOURS if x != f]
    tr = sum(p.r2(f, x) ** 2 for x in o)
    trc = sum(p.r2(f, x) * p.q(f, x) for x in o)
    tc = sum(p.q(f, x) ** 2 for x in o)
    return np.array([1.0, s, R, C, s * s, s * R, s * C, R * R, R * C, C * C, tr, trc, tc, p.mu(f) ** 2])


def _random_params(rng) -> Params:
    """Random values for every parameter of the monomial table (the others keep their defaults:
    masses, radii and mixings have physical ranges)."""
    vals = {n: float(rng.normal(0, 3)) for n in sorted(MONOMIAL_PARAMETERS)}
    vals["sin2w"] = float(rng.uniform(0.2, 0.3))
    return Params(**vals)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_table_reproduces_the_monomials(flavour):
    rng = np.random.default_rng(7)
    ps = [_random_params(rng) for _ in range(5)]
    for p in ps:
        np.testing.assert_allclose(monomials(p, flavour)[:14], _by_hand(p, flavour), rtol=1e-15, atol=0)
    values = {n: np.array([getattr(p, n) for p in ps]) for n in MONOMIAL_PARAMETERS}
    batch = Points(values).monomials(flavour)[:, 0, :14]
    np.testing.assert_allclose(batch, np.stack([_by_hand(p, flavour) for p in ps]), rtol=1e-15)


def test_table_terms_and_parameters():
    assert monomial_terms("TRC", "mu") == [("r2_emu", "q_emu"), ("r2_mutau", "q_mutau")]
    assert monomial_terms("sR", "tau") == [("sin2w", "r2_tautau")]
    assert monomial_terms("mu2", "e") == [("mu_e", "mu_e"), ("mu_nu", "mu_nu")]
    assert monomial_terms("G", "e") == [("g_zp^2", None)]
    assert monomial_terms("phi4", "mu") == [("g_phi^2", "g_phi^2")]
    assert monomial_terms("TRu", "e") == [("r2_emu", "eps_u_emu"), ("r2_etau", "eps_u_etau")]
    # the table covers sin2w, the EM properties, the NSI and the mediator couplings; masses,
    # neutron radii and sterile mixing enter non-polynomially (templates per value)
    assert MONOMIAL_PARAMETERS == frozenset(
        n for n in Params.names() if not (n.startswith(("m_", "rn_")) or n in ("dm2_41", "ue4sq", "umu4sq", "utau4sq"))
    )
    assert len(MONOMIALS) == 40 and MONOMIALS[:14] == (
        "1",
        "s",
        "R",
        "C",
        "ss",
        "sR",
        "sC",
        "RR",
        "RC",
        "CC",
        "TRR",
        "TRC",
        "TCC",
        "mu2",
    )
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
    assert m.shape == (3, 1 + 2 * len(names), len(MONOMIALS))
    idx = parameter_index()

    def differences(p, h):
        up, dn = pts.V.copy(), pts.V.copy()
        up[:, idx[p]] += h
        dn[:, idx[p]] -= h
        mu, md = Points.from_matrix(up).monomials(flavour)[:, 0], Points.from_matrix(dn).monomials(flavour)[:, 0]
        return (mu - md) / (2 * h), (mu - 2 * m[:, 0] + md) / h**2

    h = 1e-3
    for j, p in enumerate(names):
        # central differences are exact for the quadratic monomials; for g^4 (the scalar
        # mediator) one Richardson step removes the O(h^2) term
        d1, d2 = differences(p, h)
        e1, e2 = differences(p, h / 2)
        np.testing.assert_allclose(m[:, 1 + j], (4 * e1 - d1) / 3, atol=1e-9, rtol=1e-7, err_msg=p)
        np.testing.assert_allclose(m[:, 1 + len(names) + j], (4 * e2 - d2) / 3, atol=1e-5, rtol=1e-6, err_msg=p)


def test_points_validation():
    with pytest.raises(ValueError, match="allowed"):
        Points({"mu_x": 1.0})
    with pytest.raises(ValueError, match="finite"):
        Points({"mu_e": np.array([1.0, np.nan])})
    with pytest.raises(ValueError, match="lengths"):
        Points({"mu_e": np.zeros(2), "mu_mu": np.zeros(3)})
    p = Points({"mu_e": np.array([1.0, 2.0])}, base=Params(r2_ee=-3.0))
    assert p.n == 2 and p.params(1).mu_e == 2.0 and p.params(0).r2_ee == -3.0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_new_physics_monomials_by_hand(flavour):
    """The NSI, Z' (linear in g^2) and scalar (g^4) monomials against products written out."""
    rng = np.random.default_rng(11)
    p = _random_params(rng)
    m = dict(zip(MONOMIALS, monomials(p, flavour), strict=True))
    u, d, G = p.eps("u", flavour), p.eps("d", flavour), p.g_zp**2
    s, R = p.sin2w, p.r2(flavour)
    assert m["u"] == pytest.approx(u) and m["G"] == pytest.approx(G)
    assert m["sG"] == pytest.approx(s * G) and m["GG"] == pytest.approx(G * G) and m["Rd"] == pytest.approx(R * d)
    assert m["phi4"] == pytest.approx(p.g_phi**4)
    o = [x for x in FLAVOURS if x != flavour]
    assert m["TRu"] == pytest.approx(sum(p.r2(flavour, x) * p.eps("u", flavour, x) for x in o))
    assert m["Tdd"] == pytest.approx(sum(p.eps("d", flavour, x) ** 2 for x in o))


def test_unmodelled_parameters_are_refused():
    """A parameter outside the table (a new-physics one) away from its default is an error, never
    silently ignored; at its default it is fine."""
    Points({"m_zp": 10.0}).check_only(MONOMIAL_PARAMETERS)
    with pytest.raises(ValueError, match="rn_cs"):
        Points({"rn_cs": np.array([5.01, 5.2])}).check_only(MONOMIAL_PARAMETERS)
    with pytest.raises(ValueError, match="not modelled"):
        monomials(Params(m_zp=20.0), "e")
