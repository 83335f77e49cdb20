"""Solar neutrino source and xenon target: published fluxes, MSW limits, flavour shares, Z_eff."""

import numpy as np
import pytest

from cevnsfit.sources import solar

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# B16 Table 6 (Vinyoles et al. 2017), GS98 and AGSS09met [cm^-2 s^-1]
B16_GS98 = {
    "pp": 5.98e10,
    "pep": 1.44e8,
    "hep": 7.98e3,
    "7Be": 4.93e9,
    "8B": 5.46e6,
    "13N": 2.78e8,
    "15O": 2.05e8,
    "17F": 5.29e6,
}
B16_AGSS09 = {"pp": 6.03e10, "7Be": 4.50e9, "8B": 4.50e6}


@pytest.mark.parametrize("component", solar.COMPONENTS)
def test_spectra_integrate_to_b16_flux(component):
    """Unoscillated and oscillated (all flavours) spectra both integrate to the B16 total flux."""
    for osc in (True, False):
        specs = solar.component_spectra(component, oscillate=osc)
        total = sum(s.total() for s in specs)
        assert total == pytest.approx(B16_GS98[component], rel=2e-4)


def test_agss09_fluxes():
    f = solar.ssm_fluxes("agss09")
    for c, v in B16_AGSS09.items():
        assert f[c][0] == pytest.approx(v)
    assert solar.ssm_fluxes("gs98")["8B"][1] == pytest.approx(0.12)
    with pytest.raises(ValueError, match="gs98"):
        solar.ssm_fluxes("bs05")


def test_nufit60_defaults():
    o = solar.nufit("NuFIT 6.0")
    assert (o.sin2_12, o.sin2_13, o.dm2_21) == (0.308, 0.02215, 7.49e-5)
    assert o.sin2_23 == pytest.approx(0.47, abs=0.005)
    assert o == solar.Oscillation()


@pytest.mark.parametrize("component", solar.COMPONENTS)
def test_pee_limits(component):
    """Vacuum-averaged at low energy, the MSW plateau sin^2 th12 cos^4 th13 + sin^4 th13 at high energy."""
    o = solar.Oscillation()
    lo, hi = solar.survival_probability(np.array([1e-4, 1e4]), component, o)
    c13 = 1 - o.sin2_13
    assert lo == pytest.approx(c13**2 * (1 - 0.5 * 4 * o.sin2_12 * (1 - o.sin2_12)) + o.sin2_13**2, rel=1e-4)
    assert hi == pytest.approx(o.sin2_12 * c13**2 + o.sin2_13**2, rel=1e-4)
    p = solar.survival_probability(np.geomspace(1e-3, 1e3, 200), component, o)
    assert np.all(np.diff(p) <= 1e-12)  # monotonic fall from vacuum to MSW


def test_pee_at_the_measured_points():
    """Borexino / SNO-era values: pp ~0.55, 7Be ~0.53, pep ~0.52, 8B(> 5 MeV) ~0.34 (independent
    numbers of the same adiabatic formula, e.g. Maltoni & Smirnov 2016, Fig. 5)."""
    o = solar.Oscillation()
    pee = {
        c: float(solar.survival_probability(solar.marker_energy(c, 5.0 if c == "8B" else 0.0), c, o))
        for c in ("pp", "7Be", "pep", "8B")
    }
    assert 0.53 < pee["pp"] < 0.56
    assert 0.51 < pee["7Be"] < 0.54
    assert 0.50 < pee["pep"] < 0.53
    assert 0.32 < pee["8B"] < 0.37
    assert pee["pp"] > pee["7Be"] > pee["pep"] > pee["8B"]


def test_flavour_shares_sum_to_one():
    o = solar.Oscillation(sin2_23=0.57)
    p = np.linspace(0, 1, 11)
    sh = solar.flavour_shares(p, o)
    assert np.allclose(sh["e"] + sh["mu"] + sh["tau"], 1.0)
    assert np.allclose(sh["mu"][:-1] / sh["tau"][:-1], 0.43 / 0.57)
    specs = solar.component_spectra("8B", osc=o)
    e = np.linspace(0.5, 14, 50)
    tot = sum(s(e) for s in specs)
    raw = solar.ssm_fluxes()["8B"][0] * np.interp(e, *solar.shape("8B"))
    assert np.allclose(tot, raw, rtol=1e-12)


def test_oscillation_bad_input():
    with pytest.raises(ValueError, match="sin2_12"):
        solar.Oscillation(sin2_12=1.2)
    with pytest.raises(ValueError, match="release"):
        solar.nufit("NuFIT 9.9")
    with pytest.raises(ValueError, match="component"):
        solar.survival_probability(1.0, "B8")


def test_xenon_isotopes():
    from cevnsfit.physics.nuclei import isotopes
    from cevnsfit.physics.target import Target

    iso = isotopes("Xe")
    assert sum(i.abundance for i in iso) == pytest.approx(1.0, abs=1e-6)
    assert [i.A for i in iso] == [124, 126, 128, 129, 130, 131, 132, 134, 136]
    # standard atomic weight of xenon, 131.293(6)
    assert Target((("Xe", 1),)).molar_mass() == pytest.approx(131.293, abs=0.01)


def xdb_zeff_steps(element: str) -> list[tuple[float, int]]:
    """Z_eff steps built from the X-ray Data Booklet Table 1-1 (public copy of its electron binding
    energies, eV): (edge [keV], electrons with binding energy <= edge), descending; each subshell
    holds 2j + 1 electrons (s: 2, p1/2: 2, p3/2: 4, d3/2: 4, d5/2: 6, ...)."""
    import csv

    from cevnsfit import data

    with open(data.path("solar/xenon_atomic/xdb/electron_binding_energies.csv"), newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["element"] == element)
    shells = []
    for label, value in row.items():
        if label in ("atomic number", "element") or not value.strip():
            continue
        sub = label.split()[1]  # e.g. "2p3/2", "1s"
        occ = 2 if sub.endswith("s") else int(sub[2:].split("/")[0]) + 1
        shells.append((float(value), occ))
    # the ground-state configuration fills every listed subshell: Z electrons in all
    assert sum(o for _, o in shells) == int(row["atomic number"])
    return [(b / 1e3, sum(o for bb, o in shells if bb <= b)) for b in sorted({b for b, _ in shells}, reverse=True)]


def test_xenon_zeff_is_built_from_the_xray_data_booklet():
    """Z_eff of xenon equals the step function built from the X-ray Data Booklet edges (its public
    copy, a registered file), and steps at them."""
    from cevnsfit.physics import electron

    steps = xdb_zeff_steps("Xe")
    assert len(steps) == len(electron._ZEFF["Xe"]) == 17 and electron._ZEFF_FLOOR["Xe"] == 0
    for (edge, z), (edge_code, z_code) in zip(steps, electron._ZEFF["Xe"], strict=True):
        assert edge_code == pytest.approx(edge, rel=1e-12) and z_code == z
        assert electron.z_eff("Xe", edge * 1e-3 * (1 + 1e-9)) == z  # just above the edge
    assert electron.z_eff("Xe", 0.0121e-3 * (1 - 1e-9)) == 0  # below the outermost 5p3/2
    # in the 1-30 keV window: 44 below the L3 edge, 52 above L1
    assert electron.z_eff("Xe", 4.7e-3) == 44 and electron.z_eff("Xe", 4.8e-3) == 48
    assert electron.z_eff("Xe", 6e-3) == 52


def test_common_magnetic_moment():
    """mu_nu adds in quadrature to each flavoured moment: (mu_e=3, mu_nu=4) is mu_e=5 for nu_e and
    mu=4 for nu_mu, in the direct cross section and in the template monomials alike."""
    from cevnsfit.physics import cevns, electron
    from cevnsfit.physics.nuclei import isotopes
    from cevnsfit.physics.parameters import MONOMIALS, Params, monomials, monomials_batch

    iso = isotopes("Xe")[6]
    E, T = 10.0, np.array([1e-6, 3e-6])
    a = cevns.dsigma_dT(E, T, iso, "e", Params(mu_e=3.0, mu_nu=4.0))
    b = cevns.dsigma_dT(E, T, iso, "e", Params(mu_e=5.0))
    assert np.allclose(a, b, rtol=1e-12)
    a = electron.dsigma_dT(1.0, 1e-2, "Xe", "mu", Params(mu_nu=4.0))
    b = electron.dsigma_dT(1.0, 1e-2, "Xe", "mu", Params(mu_mu=4.0))
    assert a == pytest.approx(float(b), rel=1e-12)
    k = MONOMIALS.index("mu2")
    assert monomials(Params(mu_e=3.0, mu_nu=4.0), "e")[k] == pytest.approx(25.0)
    assert monomials_batch({"mu_nu": np.array([1.0, 2.0])}, "tau")[:, k] == pytest.approx([1.0, 4.0])
