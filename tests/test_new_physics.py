"""The new-physics menu in the direct cross sections: vector NSI, light vector and scalar mediators,
neutron radii -- against closed formulas written here from independent constants, limits and
symmetries.  (Sterile oscillations act on the flux: tests/test_oscillation.py.)"""

import math

import numpy as np
import pytest
from scipy.special import spherical_jn

from cevnsfit.physics import cevns, electron, mediators, neutron_radii, nsi, nuclei
from cevnsfit.physics.couplings import gvn, gvp_no_radius
from cevnsfit.physics.parameters import NEW_PHYSICS, Params

# independent constants (PDG / CODATA)
GF = 1.1663787e-5 * 1e-6  # MeV^-2
HC2 = (197.3269804e-13) ** 2  # MeV^2 cm^2
HBARC_FM = 197.3269804
ME = 0.51099895
ALPHA = 1 / 137.035999
QTILDE = math.sqrt(2) * math.pi * ALPHA / (3 * GF) * 1e-32 / HC2  # per 1e-32 cm^2

ISOTOPES = {iso.name: iso for el in ("Cs", "I", "Ar", "Ge", "Xe") for iso in nuclei.isotopes(el)}
CS, I127, AR, GE72 = ISOTOPES["Cs133"], ISOTOPES["I127"], ISOTOPES["Ar40"], ISOTOPES["Ge72"]
XE132 = ISOTOPES["Xe132"]
RNG = np.random.default_rng(20240612)


def helm(q_mev, r):
    """Helm form factor written independently (scipy's spherical Bessel j1)."""
    qf = np.asarray(q_mev) / HBARC_FM
    r0 = math.sqrt(5 / 3 * (r**2 - 3 * 0.81))
    x = qf * r0
    return 3 * spherical_jn(1, x) / x * np.exp(-0.5 * (qf * 0.9) ** 2)


def kin(iso, E, T):
    return GF**2 * iso.mass / math.pi * (1 - iso.mass * T / (2 * E**2)) * HC2


def equal_radii(iso):
    import dataclasses

    return dataclasses.replace(iso, r_neutron=iso.r_proton)


def random_nsi(scale=0.5):
    return {n: float(RNG.uniform(-scale, scale)) for n in nsi.names()}


# --- the SM point ---------------------------------------------------------------------------
def test_new_parameters_at_defaults_give_the_sm_exactly():
    explicit = Params.from_dict({n: getattr(Params(), n) for n in NEW_PHYSICS})
    E = np.array([5.0, 30.0, 50.0])
    for iso in ISOTOPES.values():
        T = 0.5 * cevns.t_max(E, iso.mass)
        for f in ("e", "mu", "tau"):
            ref = cevns.dsigma_dT(E, T, iso, f, Params())
            np.testing.assert_array_equal(cevns.dsigma_dT(E, T, iso, f, explicit), ref)
            # the SM amplitude written out
            q = np.sqrt(2 * iso.mass * T)
            amp = (gvp_no_radius() - QTILDE * Params().r2(f)) * iso.Z * helm(q, iso.r_proton) + gvn() * iso.N * helm(
                q, iso.r_neutron
            )
            np.testing.assert_allclose(ref, kin(iso, E, T) * amp**2, rtol=1e-9)
    for el in ("Cs", "Ge"):
        np.testing.assert_array_equal(
            electron.dsigma_dT(E, 1e-3, el, "e", explicit), electron.dsigma_dT(E, 1e-3, el, "e", Params())
        )
    # the neutron-radius defaults are the nuclear inputs themselves
    assert Params().rn_cs == CS.r_neutron and Params().rn_i == I127.r_neutron
    assert neutron_radii.neutron_radius(AR, Params()) == AR.r_neutron


def test_a_prediction_refuses_parameters_it_does_not_model():
    from cevnsfit.physics.monomials import MONOMIAL_PARAMETERS, Points

    Points.from_params(Params(r2_ee=3.0, mu_e=2.0, eps_u_ee=0.1, g_zp=1e-4)).check_only(MONOMIAL_PARAMETERS)
    for name, value in (("m_zp", 20.0), ("rn_cs", 5.5), ("ue4sq", 0.1)):
        with pytest.raises(ValueError, match=name):
            Points.from_params(Params.from_dict({name: value})).check_only(MONOMIAL_PARAMETERS)


@pytest.mark.parametrize(
    "name,value", [("m_zp", 0.0), ("m_phi", -1.0), ("ue4sq", 1.5), ("dm2_41", -1.0), ("rn_cs", 0.5), ("rn_ar", 20.0)]
)
def test_unphysical_values_are_clear_errors(name, value):
    with pytest.raises(ValueError, match=name):
        Params.from_dict({name: value})
    with pytest.raises(ValueError, match="<= 1"):
        Params(ue4sq=0.6, umu4sq=0.5)


# --- vector NSI -----------------------------------------------------------------------------
def nsi_closed_formula(E, T, iso, a, p):
    """A_aa^2 + sum_b A_ab^2 of Barranco et al. with the charge radius at its SM value."""
    q = np.sqrt(2 * iso.mass * T)
    fz, fn = helm(q, iso.r_proton), helm(q, iso.r_neutron)
    u, d = p.eps("u", a), p.eps("d", a)
    amp = (gvp_no_radius() - QTILDE * p.r2(a) + 2 * u + d) * iso.Z * fz + (gvn() + u + 2 * d) * iso.N * fn
    tot = amp**2
    for b in ("e", "mu", "tau"):
        if b != a:
            u, d = p.eps("u", a, b), p.eps("d", a, b)
            tot = tot + ((2 * u + d) * iso.Z * fz + (u + 2 * d) * iso.N * fn) ** 2
    return kin(iso, E, T) * tot


@pytest.mark.parametrize("iso", [CS, I127, AR, GE72], ids=lambda i: i.name)
def test_nsi_rate_equals_closed_formula_at_random_points(iso):
    for _ in range(20):
        p = Params.from_dict(random_nsi())
        E = RNG.uniform(3.0, 52.0, 8)
        T = RNG.uniform(0.01, 1.0, 8) * cevns.t_max(E, iso.mass)
        for a in ("e", "mu", "tau"):
            np.testing.assert_allclose(cevns.dsigma_dT(E, T, iso, a, p), nsi_closed_formula(E, T, iso, a, p), rtol=1e-9)


@pytest.mark.parametrize("name", ["Cs133", "I127", "Ar40", "Ge70", "Ge76"])
@pytest.mark.parametrize("flavour", ["e", "mu"])
def test_second_band_where_the_algebra_puts_it(name, flavour):
    """On the line (2u + d) Z + (u + 2d) N = -2 (g~p Z - Q Z + gn N) the amplitude is minus its
    SM value: the rate equals the SM one (exactly for equal proton and neutron form factors)."""
    iso = equal_radii(ISOTOPES[name])
    E = np.array([10.0, 30.0, 45.0])
    T = np.array([0.1, 0.5, 0.9]) * cevns.t_max(E, iso.mass)
    gp = gvp_no_radius() - QTILDE * Params().r2(flavour)
    sm = cevns.dsigma_dT(E, T, iso, flavour, Params())
    for eps_d in (-0.3, 0.0, 0.4):
        eps_u = nsi.sm_mirror_line(iso.Z, iso.N, gp, gvn(), eps_d=eps_d)
        p = Params.from_dict({nsi.name("u", flavour): eps_u, nsi.name("d", flavour): eps_d})
        np.testing.assert_allclose(cevns.dsigma_dT(E, T, iso, flavour, p), sm, rtol=1e-10)
        # and the inverse relation gives the same line
        assert nsi.sm_mirror_line(iso.Z, iso.N, gp, gvn(), eps_u=eps_u) == pytest.approx(eps_d, abs=1e-12)
    # off the line the rate differs
    p = Params.from_dict({nsi.name("u", flavour): 0.1})
    assert not np.allclose(cevns.dsigma_dT(E, T, iso, flavour, p), sm, rtol=1e-3, atol=0.0)
    # the line's slope in (eps_u, eps_d) is -(Z + 2N)/(2Z + N), for Cs133 -1.14
    du = nsi.sm_mirror_line(iso.Z, iso.N, gp, gvn(), eps_d=1.0) - nsi.sm_mirror_line(iso.Z, iso.N, gp, gvn(), eps_d=0.0)
    assert du == pytest.approx(-(iso.Z + 2 * iso.N) / (2 * iso.Z + iso.N))


def test_nu_and_nubar_alike_with_every_term():
    for _ in range(10):
        p = Params.from_dict(
            {
                **random_nsi(),
                "g_zp": 3e-5,
                "m_zp": float(RNG.uniform(1, 100)),
                "g_phi": 2e-5,
                "r2_emu": 5.0,
                "q_ee": 1e-9,
                "mu_e": 10.0,
                "rn_cs": 5.3,
            }
        )
        E = RNG.uniform(3.0, 52.0, 6)
        T = RNG.uniform(0.01, 1.0, 6) * cevns.t_max(E, CS.mass)
        for a in ("e", "mu"):
            np.testing.assert_array_equal(
                cevns.dsigma_dT(E, T, CS, a, p, antineutrino=True), cevns.dsigma_dT(E, T, CS, a, p, antineutrino=False)
            )


def test_transition_radius_and_flavour_changing_nsi_share_one_amplitude():
    """The documented relative sign: 2 eps^u_emu + eps^d_emu = Q~ <r^2_emu> with
    eps^u + 2 eps^d = 0 cancels the transition amplitude completely; the opposite sign doubles it."""
    r2 = 20.0
    Q = QTILDE * r2
    eps_d, eps_u = -Q / 3, 2 * Q / 3
    E = np.array([20.0, 40.0])
    T = np.array([0.2, 0.6]) * cevns.t_max(E, CS.mass)
    none = cevns.dsigma_dT(E, T, CS, "e", Params())
    only_r = cevns.dsigma_dT(E, T, CS, "e", Params(r2_emu=r2))
    both = cevns.dsigma_dT(E, T, CS, "e", Params(r2_emu=r2, eps_u_emu=eps_u, eps_d_emu=eps_d))
    flipped = cevns.dsigma_dT(E, T, CS, "e", Params(r2_emu=r2, eps_u_emu=-eps_u, eps_d_emu=-eps_d))
    np.testing.assert_allclose(both, none, rtol=1e-12)
    np.testing.assert_allclose(flipped - none, 4 * (only_r - none), rtol=1e-9)


# --- light vector mediator ------------------------------------------------------------------
@pytest.mark.parametrize("model", ["universal", "b-l"])
@pytest.mark.parametrize("iso", [CS, AR, GE72], ids=lambda i: i.name)
def test_heavy_vector_mediator_is_nsi_with_eps_g2_over_m2(model, iso):
    m, g = 3e5, 0.3  # m >> |q| (< 200 MeV here)
    eu, ed = mediators.equivalent_nsi(g, m, model)
    qn, qu, _qd, _ = mediators.VECTOR_MODELS[model]
    assert eu == pytest.approx(g**2 * qn * qu / (math.sqrt(2) * GF * m**2), rel=1e-12)
    opts = cevns.Options(zp_model=model)
    E = np.array([5.0, 30.0, 50.0])
    T = np.array([0.05, 0.5, 0.95]) * cevns.t_max(E, iso.mass)
    qmax2 = float(np.max(2 * iso.mass * T))
    for a in ("e", "mu"):
        zp = cevns.dsigma_dT(E, T, iso, a, Params(g_zp=g, m_zp=m), opts=opts)
        ref = cevns.dsigma_dT(E, T, iso, a, Params.from_dict({nsi.name("u", a): eu, nsi.name("d", a): ed}))
        sm = cevns.dsigma_dT(E, T, iso, a, Params())
        assert np.all(np.abs(zp / sm - 1) > 1e-3)  # a visible effect ...
        # ... equal to the NSI one up to O(|q|^2/m^2) (amplified where the amplitude nearly cancels)
        np.testing.assert_allclose(zp, ref, rtol=10 * qmax2 / m**2)


def test_light_vector_mediator_scales_as_one_over_q4():
    """For m << |q| the Z'-squared term ~ 1/|q|^4: at fixed E and F ~ 1 (|q| < 2 MeV) it scales
    as 1/T^2 (quadratic coefficient in g^2 from three couplings)."""
    m = 1e-4
    E = 50.0
    T = np.array([2e-7, 8e-7])  # |q| = 0.22, 0.44 MeV >> m
    x = np.array([0.0, 1e-10, 2e-10])  # g^2
    s = np.stack([cevns.dsigma_dT(E, T, CS, "mu", Params(g_zp=math.sqrt(v), m_zp=m)) for v in x])
    quad = (s[2] - 2 * s[1] + s[0]) / (2 * (x[1] - x[0]) ** 2)
    assert quad[0] / quad[1] == pytest.approx((T[1] / T[0]) ** 2, rel=1e-4)
    # and it is the closed formula: kin (3 (Z + N) / (sqrt2 GF q^2))^2 x F^2
    q2 = 2 * CS.mass * T
    F = helm(np.sqrt(q2), CS.r_proton) * CS.Z + helm(np.sqrt(q2), CS.r_neutron) * CS.N
    ref = kin(CS, E, T) * (3 * F / (math.sqrt(2) * GF * (q2 + m * m))) ** 2
    np.testing.assert_allclose(quad, ref, rtol=1e-4)


def test_es_vector_mediator_grows_as_one_over_te2_and_scalar_as_one_over_te():
    m, E = 1e-5, 5.0
    T = np.array([2e-3, 8e-3])  # same Z_eff step for Ge (> 1.41 keV, < 11.1 keV)
    z = electron.z_eff("Ge", T)
    assert z[0] == z[1]
    x = np.array([0.0, 1e-12, 2e-12])
    s = np.stack([electron.dsigma_dT(E, T, "Ge", "e", Params(g_zp=math.sqrt(v), m_zp=m)) for v in x])
    quad = (s[2] - 2 * s[1] + s[0]) / (2 * (x[1] - x[0]) ** 2)
    y = 1 - T / E
    bracket = 1 + y**2 - ME * T / E**2
    ref = z * GF**2 * ME / (2 * math.pi) * HC2 * (1 / (math.sqrt(2) * GF * (2 * ME * T + m * m))) ** 2 * bracket
    np.testing.assert_allclose(quad, ref, rtol=1e-5)
    assert quad[0] / quad[1] == pytest.approx((T[1] / T[0]) ** 2 * bracket[0] / bracket[1], rel=1e-5)
    g = 1e-6
    sc = electron.dsigma_dT(E, T, "Ge", "e", Params(g_phi=g, m_phi=m)) - electron.dsigma_dT(E, T, "Ge", "e", Params())
    ref = z * g**4 * ME**2 * T / (4 * math.pi * E**2 * (2 * ME * T + m * m) ** 2) * HC2
    np.testing.assert_allclose(sc, ref, rtol=1e-6)
    assert sc[0] / sc[1] == pytest.approx(T[1] / T[0], rel=1e-6)


# --- light scalar mediator ------------------------------------------------------------------
def test_scalar_nucleon_charges_from_the_compilation():
    """C_N = m_N [sum_{u,d,s} f_Tq/m_q + 2/27 f_TG sum_{c,b,t} 1/m_Q] with the quoted inputs."""
    mq = dict(u=2.16, d=4.67, s=93.4, c=1270.0, b=4180.0, t=172690.0)
    for nuc, fu, fd, mN in (("p", 0.0208, 0.0411, 938.272), ("n", 0.0189, 0.0451, 939.565)):
        fg = 1 - fu - fd - 0.043
        ref = mN * (fu / mq["u"] + fd / mq["d"] + 0.043 / mq["s"] + 2 / 27 * fg * sum(1 / mq[q] for q in "cbt"))
        assert mediators.nucleon_scalar_charge(nuc) == pytest.approx(ref, rel=1e-6)
    assert 17.0 < mediators.C_P < 18.5 and 17.0 < mediators.C_N < 18.5


def test_scalar_does_not_interfere_and_equals_closed_formula():
    g, m = 5e-5, 7.0
    E = np.array([10.0, 30.0, 50.0])
    for iso in (CS, AR, GE72):
        T = np.array([0.1, 0.5, 0.9]) * cevns.t_max(E, iso.mass)
        q2 = 2 * iso.mass * T
        charge = g**2 * (
            iso.Z * mediators.C_P * helm(np.sqrt(q2), iso.r_proton)
            + iso.N * mediators.C_N * helm(np.sqrt(q2), iso.r_neutron)
        )
        ref = charge**2 * iso.mass**2 * T / (4 * math.pi * E**2 * (q2 + m * m) ** 2) * HC2
        for other in (
            Params(),
            Params(sin2w=0.3),
            Params.from_dict(random_nsi()),
            Params(g_zp=1e-4, m_zp=20.0),
            Params(mu_e=30.0, r2_emu=10.0),
        ):
            with_phi = other.with_(g_phi=g, m_phi=m)
            d = cevns.dsigma_dT(E, T, iso, "e", with_phi) - cevns.dsigma_dT(E, T, iso, "e", other)
            np.testing.assert_allclose(d, ref, rtol=1e-7)


# --- neutron radius -------------------------------------------------------------------------
@pytest.mark.parametrize("name,iso", [("rn_cs", CS), ("rn_i", I127), ("rn_ar", AR), ("rn_ge", GE72), ("rn_xe", XE132)])
def test_neutron_radius_moves_the_rate_as_the_form_factor_predicts(name, iso):
    """dsigma(R_n + dR)/dsigma(R_n) = [(gp Z F_Z + gn N F_N(R_n + dR)) / (gp Z F_Z + gn N F_N(R_n))]^2."""
    d = 0.1
    p = Params.from_dict({name: getattr(Params(), name) + d})
    E = np.array([20.0, 35.0, 50.0])
    T = np.array([0.2, 0.5, 0.8]) * cevns.t_max(E, iso.mass)
    q = np.sqrt(2 * iso.mass * T)
    gp = gvp_no_radius() - QTILDE * Params().r2("mu")
    ratio = (
        (gp * iso.Z * helm(q, iso.r_proton) + gvn() * iso.N * helm(q, iso.r_neutron + d))
        / (gp * iso.Z * helm(q, iso.r_proton) + gvn() * iso.N * helm(q, iso.r_neutron))
    ) ** 2
    got = cevns.dsigma_dT(E, T, iso, "mu", p) / cevns.dsigma_dT(E, T, iso, "mu", Params())
    np.testing.assert_allclose(got, ratio, rtol=1e-9)
    assert np.all(got < 1)  # a larger neutron distribution lowers the rate at finite |q|


def test_csi_rate_moves_a_few_percent_per_tenth_of_a_fermi():
    """The pi-DAR CEvNS rate on Cs above a 5 keVnr threshold falls by 2-4 % per +0.1 fm of R_n
    (the size SPEC section 2 and every CsI neutron-radius fit quote)."""
    from cevnsfit.sources import sns

    T = np.geomspace(5e-3, 0.04, 400)

    def rate(p):
        r = cevns.dsigma_dT(sns.E_PROMPT, T, CS, "mu", p)
        E = np.linspace(1.0, sns.E_MAX_DELAYED, 800)
        for s in sns.pion_dar_spectra(1.0)[1:]:
            r = r + np.trapezoid(s(E)[:, None] * cevns.dsigma_dT(E[:, None], T[None, :], CS, s.flavour, p), E, axis=0)
        return np.trapezoid(r, T)

    change = rate(Params(rn_cs=5.11)) / rate(Params()) - 1
    assert -0.04 < change < -0.02


def test_weak_charge():
    # tree level: Z (1 - 4 s^2) - N
    assert neutron_radii.weak_charge(55, 78, 0.25, radiative=False) == pytest.approx(-78.0)
    assert neutron_radii.weak_charge(18, 22, 0.23863, radiative=False) == pytest.approx(18 * (1 - 4 * 0.23863) - 22)
    # with radiative corrections: 2 (Z g~p + N gn)
    assert neutron_radii.weak_charge(55, 78, 0.23863) == pytest.approx(2 * (55 * gvp_no_radius() + 78 * gvn()))


# --- the table-driven basis rates with the new families ---------------------------------------
#: the full menu's monomials, written out here (products of the diagonal amplitude variables
#: 1, s, R, C, u, d, G; transition pairs of R, C, u, d; mu2; phi4)
_DIAG_VARS = ("1", "s", "R", "C", "u", "d", "G")
_TRANS_VARS = ("R", "C", "u", "d")
FULL_MONOMIALS = (
    tuple(
        ("1" if a == b == "1" else (b if a == "1" else a + b)) for i, a in enumerate(_DIAG_VARS) for b in _DIAG_VARS[i:]
    )
    + tuple("T" + a + b for i, a in enumerate(_TRANS_VARS) for b in _TRANS_VARS[i:])
    + ("mu2", "phi4")
)


def full_monomials(p, f):
    """Monomial values written out by hand (independent of the package's table)."""
    diag = {"1": 1.0, "s": p.sin2w, "R": p.r2(f), "C": p.q(f), "u": p.eps("u", f), "d": p.eps("d", f), "G": p.g_zp**2}
    others = [o for o in ("e", "mu", "tau") if o != f]
    trans = {o: {"R": p.r2(f, o), "C": p.q(f, o), "u": p.eps("u", f, o), "d": p.eps("d", f, o)} for o in others}
    out = []
    for name in FULL_MONOMIALS:
        if name == "mu2":
            out.append(p.mu(f) ** 2)
        elif name == "phi4":
            out.append(p.g_phi**4)
        elif name.startswith("T"):
            out.append(sum(trans[o][name[1]] * trans[o][name[2]] for o in others))
        elif name == "1":
            out.append(1.0)
        elif len(name) == 1:
            out.append(diag[name])
        else:
            out.append(diag[name[0]] * diag[name[1]])
    return np.array(out)


def random_point(rng):
    return Params.from_dict(
        {
            **{n: float(rng.uniform(-0.3, 0.3)) for n in nsi.names()},
            "sin2w": rng.uniform(0.2, 0.3),
            "mu_e": rng.uniform(0, 30),
            "r2_ee": rng.uniform(-40, 20),
            "r2_emu": rng.uniform(0, 20),
            "q_ee": rng.uniform(-1e-9, 1e-9),
            "q_etau": rng.uniform(0, 1e-9),
            "g_zp": rng.uniform(0, 3e-4),
            "m_zp": rng.uniform(1, 200),
            "g_phi": rng.uniform(0, 3e-4),
            "m_phi": rng.uniform(1, 200),
            "rn_cs": rng.uniform(4.5, 5.8),
        }
    )


@pytest.mark.parametrize("model", ["universal", "b-l"])
def test_full_menu_basis_matches_direct_integration(model):
    """Every new family through the table-driven basis rates equals the flux integral of the
    direct cross section (CEvNS on Cs with the neutron radius applied to the isotope)."""
    from scipy.integrate import quad

    from cevnsfit.sources.flux import Spectrum

    m = 105.6583755
    e = np.linspace(0.0, m / 2, 20001)
    s = Spectrum("e", False, e, (e / m) ** 2 * (0.5 - e / m) * 192 / m)
    opts = cevns.Options(zp_model=model)
    rng = np.random.default_rng(5)
    for _ in range(3):
        p = random_point(rng)
        iso = nuclei.with_neutron_radius(CS, neutron_radii.neutron_radius(CS, p))
        shape = cevns.Shape(m_zp=p.m_zp, m_phi=p.m_phi)
        for T_ in (5e-4, 4e-3, 1.8e-2):
            emin = cevns.e_min(T_, CS.mass)
            direct = quad(
                lambda x: s(x) * cevns.dsigma_dT(x, T_, CS, "e", p, opts=opts), emin, s.emax, epsrel=1e-11, limit=200
            )[0]
            basis = cevns.basis_rates(
                np.array([T_]), s.moments(np.array([emin])), iso, "e", opts, FULL_MONOMIALS, shape
            )
            assert full_monomials(p, "e") @ basis[:, 0] == pytest.approx(direct, rel=1e-7)


@pytest.mark.parametrize("anti", [False, True])
def test_full_menu_es_basis_matches_direct_integration(anti):
    from scipy.integrate import quad

    from cevnsfit.sources.flux import Spectrum

    e = np.linspace(0.0, 10.0, 20001)
    s = Spectrum("e", anti, e, np.exp(-e))
    rng = np.random.default_rng(6)
    for _ in range(3):
        p = random_point(rng)
        shape = cevns.Shape(m_zp=p.m_zp, m_phi=p.m_phi)
        for T_ in (3e-4, 5e-3, 0.3):
            emin = electron.e_min(T_)
            direct = quad(
                lambda x: s(x) * electron.dsigma_dT(x, T_, "Cs", "e", p, antineutrino=anti),
                emin,
                10.0,
                epsrel=1e-11,
                limit=200,
            )[0]
            basis = electron.basis_rates(
                np.array([T_]), s.moments(np.array([emin])), "Cs", "e", anti, monomials=FULL_MONOMIALS, shape=shape
            )
            assert full_monomials(p, "e") @ basis[:, 0] == pytest.approx(direct, rel=1e-7)
