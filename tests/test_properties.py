"""Property-based tests (hypothesis) of the cross sections and of the three data sets' predictions.

* positivity and finiteness of dsigma/dT (CEvNS, nu-e) over the whole parameter space and of the
  expected counts for random parameters and nuisances;
* the SM point: ``Params.sm()`` is "no new physics" and reproduces the published SM couplings;
* sign symmetries of the modulus-only parameters (transition radii / charges, magnetic moments);
* nu versus nubar: CEvNS identical, nu-e differing only by g_A -> -g_A;
* the magnetic-moment signal grows strictly with |mu|;
* unit independence (in the spirit of wimprates): cross sections and an event count recomputed in
  the test in keV, with the magnetic moment in units of e/(2 m_e) and the charge radius in fm^2,
  from independently written constants, agree with the package (which works in MeV).

Ranges: the recoil energy has a floor of 1e-12 MeV (1 micro-eV): the EM terms grow as 1/T and
1/T^2 and genuinely diverge at T -> 0, so "finite" needs some floor; this one is 6 orders of
magnitude below any detector threshold.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.special import spherical_jn

from cevnsfit import experiments
from cevnsfit.inference.fit import Likelihood
from cevnsfit.physics import cevns, electron, nuclei
from cevnsfit.physics.charge_radius import r2_effective, r2_sm, radius_form_factor
from cevnsfit.physics.couplings import electron_couplings, gvn, gvp, gvp_no_radius
from cevnsfit.physics.form_factors import FORM_FACTORS
from cevnsfit.physics.parameters import MODULUS_ONLY, NEW_PHYSICS, Params

FLAVOURS = ("e", "mu", "tau")
PAIRS = ("emu", "etau", "mutau")
ISOTOPES = [iso for el in ("Cs", "I", "Ar", "Ge") for iso in nuclei.isotopes(el)]
SM = Params.sm()

# --- independently written constants (PDG / CODATA), used only in this file ---------------------
GF_GEV = 1.1663787e-5  # G_F [GeV^-2]
GF = GF_GEV * 1e-6  # [MeV^-2]
ALPHA = 1.0 / 137.035999
ME = 0.51099895  # [MeV]
HBARC_MEV_FM = 197.3269804  # [MeV fm]
HC2 = (HBARC_MEV_FM * 1e-13) ** 2  # (hbar c)^2 [MeV^2 cm^2]

# --- strategies ---------------------------------------------------------------------------
_f = dict(allow_nan=False, allow_infinity=False)


def params_st(mu_max=1e3, r2_max=200.0, q_max=1e-6, mu_min=0.0):
    """Any point of the parameter space (ranges as in the module docstring)."""
    kw = {"sin2w": st.floats(0.0, 1.0, **_f)}
    for f in FLAVOURS:
        kw[f"mu_{f}"] = st.floats(mu_min, mu_max, **_f)
    for s in ("ee", "mumu", "tautau") + PAIRS:
        kw[f"r2_{s}"] = st.floats(-r2_max, r2_max, **_f)
        kw[f"q_{s}"] = st.floats(-q_max, q_max, **_f)
    return st.builds(Params, **kw)


#: neutrino energy E in (0, 60] MeV
energy_st = st.floats(0.0, 60.0, exclude_min=True, **_f)
#: recoil T in [T_FLOOR, 0.1] MeV, log-uniform and uniform draws
T_FLOOR = 1e-12
recoil_st = st.one_of(st.floats(-12.0, -1.0, **_f).map(lambda x: 10.0**x), st.floats(T_FLOOR, 0.1, **_f))


def _recoils(T, tmax):
    """The drawn recoil, a log grid over the allowed range, and the kinematic end point itself
    (where the nu-e bracket is a perfect square and rounding could make it negative)."""
    grid = np.geomspace(T_FLOOR, 0.1, 40)
    edge = [tmax, np.nextafter(tmax, 0.0), np.nextafter(tmax, 1.0)] if tmax > T_FLOOR else []
    return np.concatenate([[T], grid, edge])


def _assert_nonneg_finite(x):
    x = np.asarray(x)
    assert np.all(np.isfinite(x)), x[~np.isfinite(x)]
    assert np.all(x >= 0.0), x[x < 0]


# ============================================================================================
# 1. cross sections: non-negative and finite everywhere
# ============================================================================================
@pytest.mark.parametrize("ff", FORM_FACTORS)
@pytest.mark.parametrize("mdep", [False, True])
@settings(max_examples=100, deadline=None)
@given(
    p=params_st(),
    E=energy_st,
    T=recoil_st,
    iso=st.sampled_from(ISOTOPES),
    flavour=st.sampled_from(FLAVOURS),
    anti=st.booleans(),
)
def test_cevns_cross_section_nonnegative_finite(ff, mdep, p, E, T, iso, flavour, anti):
    opts = cevns.Options(form_factor=ff, momentum_dependent=mdep)
    TT = _recoils(T, float(cevns.t_max(E, iso.mass)))
    ds = cevns.dsigma_dT(E, TT, iso, flavour, p, antineutrino=anti, opts=opts)
    _assert_nonneg_finite(ds)
    assert np.all(ds[TT > cevns.t_max(E, iso.mass)] == 0.0)


@pytest.mark.parametrize("mdep", [False, True])
@settings(max_examples=300, deadline=None)
@given(
    p=params_st(q_max=1e-9),
    E=energy_st,
    T=recoil_st,
    element=st.sampled_from(electron.ELEMENTS),
    flavour=st.sampled_from(FLAVOURS),
    anti=st.booleans(),
)
def test_es_cross_section_nonnegative_finite(mdep, p, E, T, element, flavour, anti):
    TT = _recoils(T, float(electron.t_max(E)))
    ds = electron.dsigma_dT(E, TT, element, flavour, p, antineutrino=anti, momentum_dependent=mdep)
    _assert_nonneg_finite(ds)
    assert np.all(ds[TT > electron.t_max(E)] == 0.0)


# ============================================================================================
# 2. expected counts of the three data sets
# ============================================================================================
NAMES = ("csi", "ar", "dresden2")
#: Nuisances that morph between released +-1 sigma templates (pyhf code 4p, additive over
#: variants; the morphed components are clipped at zero).
MORPHING = {"csi": ("qf0", "qf1", "eff"), "ar": ("brn_tmean", "brn_energy", "brn_twidth", "cevns_f90"), "dresden2": ()}


@pytest.fixture(scope="module")
def datasets(data_available):
    return {n: experiments.load(n) for n in NAMES} | {"ar_es": experiments.load("ar", es=True)}


def _nuisance_range(ds, n, n_sigma=3.0):
    """+-n_sigma around the central value (for free nuisances: their limits), intersected with what
    a fit may reach (:meth:`Likelihood.limits`: normalisations eta_* >= -1)."""
    lo, hi = Likelihood([ds]).limits(f"{ds.name}.{n.name}")
    if n.sigma is None:
        a, b = n.limits if n.limits is not None else (n.central - 10 * abs(n.central), n.central + 10 * abs(n.central))
    else:
        a, b = n.central - n_sigma * n.sigma, n.central + n_sigma * n.sigma
    return max(a, lo) if lo is not None else a, min(b, hi) if hi is not None else b


def nuisances_st(ds, morph=True):
    return st.fixed_dictionaries(
        {
            n.name: (
                st.floats(*_nuisance_range(ds, n), **_f)
                if morph or n.name not in MORPHING[ds.name]
                else st.just(n.central)
            )
            for n in ds.nuisances
        }
    )


@pytest.mark.parametrize("name", NAMES + ("ar_es",))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), p=params_st(mu_max=1e3, r2_max=200.0, q_max=1e-6))
def test_expected_counts_nonnegative_finite(datasets, name, data, p):
    ds = datasets[name]
    # any nuisances within +-3 sigma: finite everywhere
    nuis = data.draw(nuisances_st(ds), label="nuisances")
    comps = ds.components(p, nuis)
    for k, v in comps.items():
        assert v.shape == (int(np.prod(ds.shape)),), k
        assert np.all(np.isfinite(v)), k
    assert math.isfinite(ds.chi2(p, nuis))
    # and non-negative everywhere, template morphing included
    for v in ds.components(p, nuis).values():
        _assert_nonneg_finite(v)
    _assert_nonneg_finite(ds.expected(p, nuis))


# Additive morphing (linear beyond +-1 sigma) used to go below zero here (CsI 'eff' < -1.03, or the corner
# qf0=-1, qf1=+1, eff=-1; Ar 'brn_tmean' and 'brn_twidth' at +1 sigma): the morphed components are
# now clipped at zero.
@pytest.mark.parametrize(
    "name,nuis,p",
    [
        ("csi", {"eff": -1.5}, SM),
        ("csi", {"qf0": -1.0, "qf1": 1.0, "eff": -1.0}, Params(mu_e=300.0, mu_mu=300.0)),
        ("csi", {"qf0": -1.0, "qf1": 1.0, "eff": -1.0}, SM),
        ("ar", {"brn_tmean": 1.0, "brn_twidth": 1.0}, SM),
        ("ar", {"brn_tmean": 2.5}, SM),
        ("ar", {"brn_tmean": -2.5}, SM),
        ("ar", {"brn_twidth": 2.0}, SM),
    ],
)
def test_expected_counts_nonnegative_with_morphing(datasets, name, nuis, p):
    ds = datasets[name]
    _assert_nonneg_finite(ds.expected(p, nuis))
    for v in ds.components(p, nuis).values():
        _assert_nonneg_finite(v)


# ============================================================================================
# 3. the SM point
# ============================================================================================
EXPLICIT_SM = Params(
    mu_e=0.0,
    mu_mu=0.0,
    mu_tau=0.0,
    r2_ee=r2_sm("e"),
    r2_mumu=r2_sm("mu"),
    r2_tautau=r2_sm("tau"),
    r2_emu=0.0,
    r2_etau=0.0,
    r2_mutau=0.0,
    q_ee=0.0,
    q_mumu=0.0,
    q_tautau=0.0,
    q_emu=0.0,
    q_etau=0.0,
    q_mutau=0.0,
)


def test_sm_point_is_no_new_physics():
    assert Params.sm() == EXPLICIT_SM == Params()
    for name in Params.names():
        if name.startswith(("mu_", "q_")) or name.split("_", 1)[-1] in PAIRS:
            assert getattr(SM, name) == 0.0, name
    np.testing.assert_allclose([SM.r2_ee, SM.r2_mumu, SM.r2_tautau], [-0.8275, -0.4805, -0.2969], atol=1e-4)


def _helm_test(q_fm, r_rms, s=0.9):
    """Helm form factor written here: 3 j1(x)/x exp(-q^2 s^2/2), q in fm^-1."""
    r0 = math.sqrt(5.0 / 3.0 * (r_rms**2 - 3 * s * s))
    x = np.maximum(q_fm * r0, 1e-300)
    return 3.0 * spherical_jn(1, x) / x * np.exp(-0.5 * (q_fm * s) ** 2)


@pytest.mark.parametrize("mdep", [False, True])
@settings(max_examples=60, deadline=None)
@given(
    E=st.floats(1.0, 60.0, **_f),
    u=st.floats(1e-6, 1.0, **_f),
    iso=st.sampled_from(ISOTOPES),
    flavour=st.sampled_from(FLAVOURS),
    anti=st.booleans(),
)
def test_sm_cross_sections_are_the_sm_formulas(mdep, E, u, iso, flavour, anti):
    """At Params.sm() the CEvNS cross section is G_F^2 M/pi (1 - MT/2E^2) [g_V^p(nu_l) Z F + g_V^n N F]^2
    with the published g_V^p(nu_l) (SM charge radius included; with momentum dependence the running
    radius <r^2>^eff(q)), and nu-e is the tree-level formula with g_V -> g_V + Q~ <r^2>_SM."""
    T = u * float(cevns.t_max(E, iso.mass))
    q = math.sqrt(2 * iso.mass * T)
    fz, fn = _helm_test(q / HBARC_MEV_FM, iso.r_proton), _helm_test(q / HBARC_MEV_FM, iso.r_neutron)
    qt = math.sqrt(2) * math.pi * ALPHA / (3 * GF) * 1e-32 / HC2  # Q~ per 1e-32 cm^2
    g_p = gvp(flavour) if not mdep else gvp_no_radius() - qt * float(r2_effective(flavour, q))
    ref = (
        GF**2
        * iso.mass
        / math.pi
        * (1 - iso.mass * T / (2 * E * E))
        * (g_p * iso.Z * fz + gvn() * iso.N * fn) ** 2
        * HC2
    )
    opts = cevns.Options(momentum_dependent=mdep)
    for p in (SM, EXPLICIT_SM):
        assert float(cevns.dsigma_dT(E, T, iso, flavour, p, anti, opts)) == pytest.approx(ref, rel=1e-9)
    # nu-e on Ge at a keV-scale recoil
    Te = u * float(electron.t_max(E))
    gv, ga = electron_couplings(flavour, anti)
    gv = gv + qt * r2_sm(flavour) * (float(radius_form_factor(flavour, math.sqrt(2 * ME * Te))) if mdep else 1.0)
    y, x = 1 - Te / E, ME * Te / E**2
    ref_e = (
        electron.z_eff("Ge", Te)
        * GF**2
        * ME
        / (2 * math.pi)
        * HC2
        * ((gv + ga) ** 2 + (gv - ga) ** 2 * y * y - (gv * gv - ga * ga) * x)
    )
    for p in (SM, EXPLICIT_SM):
        got = float(electron.dsigma_dT(E, Te, "Ge", flavour, p, anti, mdep))
        assert got == pytest.approx(float(ref_e), rel=1e-9, abs=1e-12 * abs(float(ref_e)) + 1e-70)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sm_expected_counts(datasets, name, data):
    """The explicit SM point gives bit-identical predictions, at any nuisances; a parameter the
    data set is not sensitive to does not change them."""
    ds = datasets[name]
    nuis = data.draw(nuisances_st(ds))
    np.testing.assert_array_equal(ds.expected(SM, nuis), ds.expected(EXPLICIT_SM, nuis))
    # (the new-physics parameters have physical ranges and are checked by their own tests)
    insensitive = [n for n in Params.names() if n not in ds.sensitive_to and n not in NEW_PHYSICS]
    if insensitive:
        other = SM.with_(
            **{
                n: data.draw(st.floats(0.5, 50.0, **_f), label=n) * (1e-10 if n.startswith("q_") else 1)
                for n in insensitive
            }
        )
        np.testing.assert_array_equal(ds.expected(other, nuis), ds.expected(SM, nuis))


# ============================================================================================
# 4. sign symmetries of modulus-only parameters
# ============================================================================================
flips_st = st.tuples(st.sets(st.sampled_from(PAIRS)), st.sets(st.sampled_from(FLAVOURS)))


def _flip(p: Params, pairs, mus) -> Params:
    """Flip the sign of the transition radius AND charge of each pair in ``pairs`` and of mu_l."""
    kw = {}
    for s in pairs:
        kw[f"r2_{s}"] = -getattr(p, f"r2_{s}")
        kw[f"q_{s}"] = -getattr(p, f"q_{s}")
    for f in mus:
        kw[f"mu_{f}"] = -p.mu(f)
    return p.with_(**kw)


def test_modulus_only_list():
    # the mediator couplings enter as g^2 (vector) and g^4 (scalar); flavour-changing NSI are signed
    assert set(MODULUS_ONLY) == (
        {"mu_e", "mu_mu", "mu_tau", "mu_nu", "g_zp", "g_phi"} | {f"{k}_{s}" for k in ("r2", "q") for s in PAIRS}
    )


@settings(max_examples=200, deadline=None)
@given(
    p=params_st(mu_min=-1e3),
    flips=flips_st,
    E=st.floats(0.5, 60.0, **_f),
    u=st.floats(1e-6, 1.0, **_f),
    iso=st.sampled_from(ISOTOPES),
    element=st.sampled_from(electron.ELEMENTS),
    flavour=st.sampled_from(FLAVOURS),
    anti=st.booleans(),
    mdep=st.booleans(),
)
def test_cross_sections_even_in_transitions_and_moments(p, flips, E, u, iso, element, flavour, anti, mdep):
    q = _flip(p, *flips)
    opts = cevns.Options(momentum_dependent=mdep)
    T = u * cevns.t_max(E, iso.mass) * np.array([1e-3, 0.1, 1.0])
    np.testing.assert_allclose(
        cevns.dsigma_dT(E, T, iso, flavour, q, anti, opts),
        cevns.dsigma_dT(E, T, iso, flavour, p, anti, opts),
        rtol=1e-13,
        atol=0,
    )
    Te = u * electron.t_max(E) * np.array([1e-3, 0.1, 1.0])
    pe, qe = (
        x.with_(**{f"q_{s}": getattr(x, f"q_{s}") * 1e-3 for s in ("ee", "mumu", "tautau") + PAIRS}) for x in (p, q)
    )
    np.testing.assert_allclose(
        electron.dsigma_dT(E, Te, element, flavour, qe, anti, mdep),
        electron.dsigma_dT(E, Te, element, flavour, pe, anti, mdep),
        rtol=1e-13,
        atol=0,
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), p=params_st(mu_max=50, r2_max=100.0, q_max=1e-8, mu_min=-50), flips=flips_st)
def test_expected_counts_even_in_transitions_and_moments(datasets, name, data, p, flips):
    ds = datasets[name]
    nuis = data.draw(nuisances_st(ds))
    np.testing.assert_allclose(ds.expected(_flip(p, *flips), nuis), ds.expected(p, nuis), rtol=1e-12, atol=0)


@settings(max_examples=50, deadline=None)
@given(
    r2=st.floats(1.0, 50.0, **_f),
    qq=st.floats(1e-10, 1e-8, **_f),
    E=st.floats(5.0, 50.0, **_f),
    u=st.floats(0.05, 0.9, **_f),
    pair=st.sampled_from(["emu", "etau"]),
)
def test_single_transition_sign_flip(r2, qq, E, u, pair):
    """One transition parameter alone is sign-blind; a transition radius and a transition charge
    of the same pair add coherently in Q_ll', so with both non-zero their relative sign matters
    (the 'modulus' of each is only meaningful while the other family is held at zero, as the
    analyses do)."""
    iso = ISOTOPES[0]
    T = u * float(cevns.t_max(E, iso.mass))

    def xs(**kw):
        return float(cevns.dsigma_dT(E, T, iso, "e", Params(**kw)))

    assert xs(**{f"r2_{pair}": r2}) == xs(**{f"r2_{pair}": -r2})
    assert xs(**{f"q_{pair}": qq}) == xs(**{f"q_{pair}": -qq})
    same, opposite = xs(**{f"r2_{pair}": r2, f"q_{pair}": qq}), xs(**{f"r2_{pair}": -r2, f"q_{pair}": qq})
    assert abs(same - opposite) > 1e-6 * same
    assert xs(**{f"r2_{pair}": -r2, f"q_{pair}": -qq}) == same


# ============================================================================================
# 5. neutrino versus antineutrino
# ============================================================================================
@settings(max_examples=150, deadline=None)
@given(
    p=params_st(),
    E=energy_st,
    T=recoil_st,
    iso=st.sampled_from(ISOTOPES),
    flavour=st.sampled_from(FLAVOURS),
    ff=st.sampled_from(FORM_FACTORS),
    mdep=st.booleans(),
)
def test_cevns_same_for_nu_and_nubar(p, E, T, iso, flavour, ff, mdep):
    opts = cevns.Options(form_factor=ff, momentum_dependent=mdep)
    TT = _recoils(T, float(cevns.t_max(E, iso.mass)))
    np.testing.assert_array_equal(
        cevns.dsigma_dT(E, TT, iso, flavour, p, True, opts), cevns.dsigma_dT(E, TT, iso, flavour, p, False, opts)
    )


def _es_textbook(E, T, element, flavour, p, ga_sign, mdep):
    """nu-e written out here (Vogel & Engel 1989 + EM terms), with g_A -> ga_sign g_A(nu_l)."""
    gv = 2.0 * p.sin2w + (0.5 if flavour == "e" else -0.5)
    ga = ga_sign * (0.5 if flavour == "e" else -0.5)
    qt = math.sqrt(2) * math.pi * ALPHA / (3 * GF) * 1e-32 / HC2
    cp = math.sqrt(2) * math.pi * ALPHA / GF
    ff = radius_form_factor(flavour, np.sqrt(2 * ME * T)) if mdep else 1.0
    gv = gv + qt * p.r2(flavour) * ff - cp * p.q(flavour) / (ME * T)
    y, x = 1 - T / E, ME * T / E**2
    pref = electron.z_eff(element, T) * GF**2 * ME / (2 * math.pi) * HC2
    terms = [(gv + ga) ** 2, (gv - ga) ** 2 * y * y, -(gv * gv - ga * ga) * x]
    trans = sum((qt * p.r2(flavour, o) - cp * p.q(flavour, o) / (ME * T)) ** 2 for o in FLAVOURS if o != flavour)
    terms.append(trans * (1 + y * y - x))
    mag = electron.z_eff(element, T) * math.pi * ALPHA**2 / ME**2 * (1 / T - 1 / E) * (p.mu(flavour) * 1e-10) ** 2 * HC2
    value = pref * sum(terms) + mag
    scale = pref * sum(np.abs(t) for t in terms) + mag
    return value, scale, pref * 4 * gv * ga * (1 - y * y)


@settings(max_examples=200, deadline=None)
@given(
    p=params_st(q_max=1e-9),
    E=st.floats(0.01, 60.0, **_f),
    u=st.floats(1e-9, 1.0, **_f),
    element=st.sampled_from(electron.ELEMENTS),
    flavour=st.sampled_from(FLAVOURS),
    mdep=st.booleans(),
)
def test_es_nubar_is_ga_flip(p, E, u, element, flavour, mdep):
    T = np.array([u * float(electron.t_max(E))])
    assume(T[0] > 1e-12)
    nu = electron.dsigma_dT(E, T, element, flavour, p, False, mdep)
    nub = electron.dsigma_dT(E, T, element, flavour, p, True, mdep)
    for got, sign in ((nu, 1.0), (nub, -1.0)):
        ref, scale, _ = _es_textbook(E, T, element, flavour, p, sign, mdep)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=float(1e-12 * scale[0]))
    # the whole difference is the g_V g_A interference: 4 g_V g_A (1 - y^2) (EM moment and
    # transition terms cancel)
    _, scale, diff = _es_textbook(E, T, element, flavour, p, 1.0, mdep)
    np.testing.assert_allclose(nu - nub, diff, rtol=1e-8, atol=float(1e-12 * scale[0]))


# ============================================================================================
# 6. magnetic-moment signal grows strictly with |mu|
# ============================================================================================
@pytest.mark.parametrize(
    "name,mu", [("dresden2", "mu_e"), ("csi", "mu_e"), ("csi", "mu_mu"), ("ar", "mu_mu"), ("ar_es", "mu_e")]
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    a=st.floats(0.0, 100.0, **_f),
    b=st.floats(0.0, 100.0, **_f),
    sa=st.sampled_from([1.0, -1.0]),
    sb=st.sampled_from([1.0, -1.0]),
    p=params_st(mu_max=0.0, r2_max=50.0, q_max=1e-10),
)
def test_mu_signal_grows_with_modulus(datasets, name, mu, data, a, b, sa, sb, p):
    lo, hi = sorted((a, b))
    assume(hi * hi - lo * lo > 1e-2)  # resolvable against the total's rounding
    ds = datasets[name]
    # morphing nuisances at their centre: beyond it a morphed template can be negative in a bin
    # (see test_expected_counts_nonnegative_with_morphing) and then falls with mu^2 there
    nuis = data.draw(nuisances_st(ds, morph=False))
    small = ds.components(p.with_(**{mu: sa * lo}), nuis)
    big = ds.components(p.with_(**{mu: sb * hi}), nuis)
    sig_small = sum(small[k] for k in ds.signal_components if k in small)
    sig_big = sum(big[k] for k in ds.signal_components if k in big)
    assert sig_big.sum() > sig_small.sum()
    assert sum(big.values()).sum() > sum(small.values()).sum()
    assert np.all(sig_big >= sig_small * (1 - 1e-12))  # and in every bin
    for k in big:
        if k not in ds.signal_components:
            np.testing.assert_array_equal(big[k], small[k])  # backgrounds untouched


# ============================================================================================
# 7. unit independence: keV, mu in e/(2 m_e), <r^2> in fm^2, recomputed here
# ============================================================================================
KEV_PER_MEV = 1e3
GF_KEV = GF_GEV * 1e-12  # G_F [keV^-2]
ME_KEV = 510.99895
HBARC_KEV_FM = 197.3269804e3
HC2_KEV = (HBARC_KEV_FM * 1e-13) ** 2  # [keV^2 cm^2]
E_CHARGE = math.sqrt(4 * math.pi * ALPHA)  # Heaviside-Lorentz natural units
U_KEV = 931494.10242
#: Ge-72: Z, A, atomic mass [u] (AME2020)
GE72 = (32, 72, 71.922075826)


def _iso_ge72():
    iso = next(i for i in ISOTOPES if i.name == "Ge72")
    Z, _A, m_u = GE72
    m_keV = m_u * U_KEV - Z * ME_KEV
    assert iso.mass * KEV_PER_MEV == pytest.approx(m_keV, rel=1e-12)
    return iso, m_keV


def _cevns_kev(E, T, Z, N, M, rp, rn, r2_fm2, r2t_fm2, mu_nat, q_e, gp, gn):
    """dsigma/dT [cm^2/keV] with E, T, M in keV; <r^2> in fm^2; mu in keV^-1 (mu = x e/(2 m_e));
    millicharge in units of e. Cross section formula written in keV units."""
    qfm = np.sqrt(2 * M * T) / HBARC_KEV_FM  # |q| [fm^-1]
    fz, fn = _helm_test(qfm, rp), _helm_test(qfm, rn)
    r2_kev = r2_fm2 / HBARC_KEV_FM**2  # [keV^-2]
    Qr = math.sqrt(2) * math.pi * ALPHA / (3 * GF_KEV) * r2_kev
    Qc = -math.sqrt(2) * math.pi * ALPHA * q_e / (GF_KEV * M * T)
    Qt = math.sqrt(2) * math.pi * ALPHA / (3 * GF_KEV) * r2t_fm2 / HBARC_KEV_FM**2
    amp = (gp - Qr - Qc) * Z * fz + gn * N * fn
    weak = GF_KEV**2 * M / math.pi * (1 - M * T / (2 * E * E)) * (amp**2 + (Z * fz) ** 2 * Qt**2)
    mag = ALPHA * mu_nat**2 * (1 / T - 1 / E) * (Z * fz) ** 2  # = pi alpha^2/m_e^2 (mu/mu_B)^2 (...)
    return np.where(T <= 2 * E * E / (M + 2 * E), (weak + mag) * HC2_KEV, 0.0)


def _package_params(r2_fm2, r2t_fm2, mu_nat_kev, q_e, sin2w=0.23863):
    """Convert the test's inputs to the package's units by hand: 1 fm^2 = 1e-26 cm^2 = 1e6 x 1e-32 cm^2;
    mu [keV^-1] / mu_B [keV^-1] / 1e-10 with mu_B = e/(2 m_e)."""
    mu_b_kev = E_CHARGE / (2 * ME_KEV)
    return Params(
        sin2w=sin2w,
        r2_ee=r2_fm2 * 1e-26 / 1e-32,
        r2_emu=r2t_fm2 * 1e-26 / 1e-32,
        mu_e=mu_nat_kev / mu_b_kev / 1e-10,
        q_ee=q_e,
    )


@settings(max_examples=100, deadline=None)
@given(
    E_kev=st.floats(500.0, 50e3, **_f),
    u=st.floats(1e-4, 1.0, **_f),
    r2_fm2=st.floats(-5e-5, 5e-5, **_f),
    r2t_fm2=st.floats(-5e-5, 5e-5, **_f),
    x=st.floats(0.0, 100.0, **_f),
    q_e=st.floats(-1e-8, 1e-8, **_f),
)
def test_unit_independence_cevns_cross_section(E_kev, u, r2_fm2, r2t_fm2, x, q_e):
    iso, M = _iso_ge72()
    T_kev = u * 2 * E_kev**2 / (M + 2 * E_kev)
    mu_nat = x * 1e-10 * E_CHARGE / (2 * ME_KEV)  # x 1e-10 e/(2 m_e) [keV^-1]
    ours = _cevns_kev(
        E_kev, T_kev, iso.Z, iso.N, M, iso.r_proton, iso.r_neutron, r2_fm2, r2t_fm2, mu_nat, q_e, gvp_no_radius(), gvn()
    )
    p = _package_params(r2_fm2, r2t_fm2, mu_nat, q_e)
    assert p.mu_e == pytest.approx(x, rel=1e-12)
    pkg = cevns.dsigma_dT(E_kev / KEV_PER_MEV, T_kev / KEV_PER_MEV, iso, "e", p) / KEV_PER_MEV  # cm^2/MeV -> cm^2/keV
    assert float(pkg) == pytest.approx(float(ours), rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    E_kev=st.floats(100.0, 50e3, **_f),
    T_kev=st.floats(0.01, 50.0, **_f),
    r2_fm2=st.floats(-5e-5, 5e-5, **_f),
    x=st.floats(0.0, 100.0, **_f),
    anti=st.booleans(),
)
def test_unit_independence_es_cross_section(E_kev, T_kev, r2_fm2, x, anti):
    assume(T_kev <= 2 * E_kev**2 / (ME_KEV + 2 * E_kev))
    mu_nat = x * 1e-10 * E_CHARGE / (2 * ME_KEV)
    gv = 0.5 + 2 * 0.23863 + math.sqrt(2) * math.pi * ALPHA / (3 * GF_KEV) * r2_fm2 / HBARC_KEV_FM**2
    ga = -0.5 if anti else 0.5
    y = 1 - T_kev / E_kev
    zeff = float(electron.z_eff("Ge", T_kev / KEV_PER_MEV))
    ours = (
        zeff
        * HC2_KEV
        * (
            GF_KEV**2
            * ME_KEV
            / (2 * math.pi)
            * ((gv + ga) ** 2 + (gv - ga) ** 2 * y * y - (gv * gv - ga * ga) * ME_KEV * T_kev / E_kev**2)
            + ALPHA * mu_nat**2 * (1 / T_kev - 1 / E_kev)
        )
    )
    p = _package_params(r2_fm2, 0.0, mu_nat, 0.0)
    pkg = float(electron.dsigma_dT(E_kev / KEV_PER_MEV, T_kev / KEV_PER_MEV, "Ge", "e", p, anti)) / KEV_PER_MEV
    assert pkg == pytest.approx(ours, rel=1e-9)


@pytest.mark.parametrize("x,r2_fm2", [(0.0, -0.8275e-6), (5.0, -0.8275e-6), (0.0, 30e-6)])
def test_unit_independence_event_count(datasets, x, r2_fm2):
    """CEvNS events on 1 kg of Ge-72 in one day with 0.3 <= T <= 3 keV from the Dresden-II reactor flux:
    the package's flux moments (MeV) against a direct double integral over E and T in keV."""
    iso, M = _iso_ge72()
    spec = datasets["dresden2"].spectrum  # per MeV per cm^2 per s
    n_nuclei = 1.0 / (GE72[2] * 1.66053906660e-27)  # nuclei in 1 kg
    seconds = 86400.0
    t1, t2 = 0.3, 3.0  # keV
    xg, wg = np.polynomial.legendre.leggauss(8)
    # recoil quadrature: Gauss-Legendre on 40 log-spaced intervals (same in both unit systems)
    te = np.geomspace(t1, t2, 41)
    a, b = te[:-1], te[1:]
    T_kev = (0.5 * (b - a)[:, None] * xg + 0.5 * (b + a)[:, None]).ravel()
    wT_kev = (0.5 * (b - a)[:, None] * wg).ravel()
    mu_nat = x * 1e-10 * E_CHARGE / (2 * ME_KEV)
    # --- in the test, keV: rate(T) = int dE Phi(E) dsigma/dT over each cell of the table
    E_tab = spec.energies * KEV_PER_MEV
    phi_tab = spec.density / KEV_PER_MEV  # per keV
    xe, we = np.polynomial.legendre.leggauss(4)
    rate = np.zeros_like(T_kev)
    for j, t in enumerate(T_kev):
        emin = 0.5 * (t + math.sqrt(t * t + 2 * M * t))
        lo, hi = np.maximum(E_tab[:-1], emin), E_tab[1:]
        ok = hi > lo
        lo, hi = lo[ok], hi[ok]
        E = 0.5 * (hi - lo)[:, None] * xe + 0.5 * (hi + lo)[:, None]
        w = 0.5 * (hi - lo)[:, None] * we
        phi = np.interp(E, E_tab, phi_tab)
        ds = _cevns_kev(
            E, t, iso.Z, iso.N, M, iso.r_proton, iso.r_neutron, r2_fm2, 0.0, mu_nat, 0.0, gvp_no_radius(), gvn()
        )
        rate[j] = np.sum(w * phi * ds)  # per keV per s per nucleus
    ours = n_nuclei * seconds * np.sum(wT_kev * rate)
    # --- the package, MeV: flux moments and the 14 basis functions
    from cevnsfit.physics.parameters import monomials

    p = _package_params(r2_fm2, 0.0, mu_nat, 0.0)
    T = T_kev / KEV_PER_MEV
    basis = cevns.basis_rates(T, spec.moments(cevns.e_min(T, iso.mass)), iso, "e")
    pkg = n_nuclei * seconds * np.sum(wT_kev / KEV_PER_MEV * (monomials(p, "e") @ basis))
    assert ours > 0
    assert pkg == pytest.approx(ours, rel=1e-9)
