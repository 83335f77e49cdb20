"""Couplings and SM charge radii against the published numbers (SPEC sections 4-5)."""

import numpy as np
import pytest

from cevnsfit.constants import QTILDE_PER_R2_UNIT
from cevnsfit.physics import charge_radius as cr
from cevnsfit.physics import couplings as c


@pytest.mark.parametrize("flavour,value", [("e", 0.0381), ("mu", 0.0299), ("tau", 0.0255)])
def test_proton_couplings_published(flavour, value):
    # Atzori Corona et al., JHEP 09 (2022) 164, from Erler & Su radiative corrections
    assert c.gvp(flavour) == pytest.approx(value, abs=2e-4)


def test_neutron_coupling_published():
    assert c.gvn() == pytest.approx(-0.5117, abs=2e-4)


def test_tree_level_limit():
    assert c.gvp("e", radiative=False) == pytest.approx(0.0227, abs=1e-4)
    assert c.gvp("mu", radiative=False) == c.gvp("e", radiative=False)
    assert c.gvn(radiative=False) == -0.5
    # tree level is exactly 1/2 - 2 s^2
    assert c.gvp("tau", 0.25, radiative=False) == pytest.approx(0.0)


def test_sin2w_enters_only_tree_term():
    # d g_V^p / d s^2 = -2 rho with rho = 1.00063, and g_V^n does not depend on it
    d = c.gvp("e", 0.24) - c.gvp("e", 0.23)
    assert d / 0.01 == pytest.approx(-2 * 1.00063, rel=1e-9)


def test_flavour_dependence_is_the_sm_charge_radius():
    # -2 phi_{nu_l W} = -Q~ <r^2>_SM: removing it gives the same coupling for every flavour (~0.0184-0.0186)
    for f in ("e", "mu", "tau"):
        assert c.gvp(f) + QTILDE_PER_R2_UNIT * cr.r2_sm(f) == pytest.approx(c.gvp_no_radius(), abs=1e-12)
    assert c.gvp_no_radius() == pytest.approx(0.0185, abs=3e-4)


def test_qtilde_value():
    assert QTILDE_PER_R2_UNIT == pytest.approx(0.023796, abs=2e-6)


def test_electron_couplings():
    gv, ga = c.electron_couplings("e", sin2w=0.25)
    assert (gv, ga) == (1.0, 0.5)
    gv, ga = c.electron_couplings("mu", antineutrino=True, sin2w=0.25)
    assert (gv, ga) == (0.0, 0.5)
    with pytest.raises(ValueError, match="allowed"):
        c.electron_couplings("sterile")


@pytest.mark.parametrize("flavour,value", [("e", -0.8275), ("mu", -0.4805), ("tau", -0.2969)])
def test_sm_radii(flavour, value):
    assert cr.r2_sm(flavour) == pytest.approx(value, abs=2e-4)


@pytest.mark.parametrize(
    "flavour,values",
    [
        ("e", [-0.8275, -0.7314, -0.6430, -0.5834, -0.5384]),
        ("mu", [-0.4805, -0.4805, -0.4803, -0.4791, -0.4752]),
    ],
)
def test_effective_radii_published(flavour, values):
    # arXiv:2402.16709 values quoted in SPEC section 5 at |q| = 0, 5, 20, 50, 100 MeV
    got = cr.r2_effective(flavour, np.array([0.0, 5.0, 20.0, 50.0, 100.0]))
    np.testing.assert_allclose(got, values, atol=2e-3)


def test_running_radius_q_to_zero():
    for f in ("e", "mu", "tau"):
        assert cr.r2_effective(f, 1e-6) == pytest.approx(cr.r2_sm(f), rel=1e-9)
        assert cr.radius_form_factor(f, 0.0) == pytest.approx(1.0)


def test_vacuum_polarisation_closed_form_against_quadrature():
    from scipy.integrate import quad

    for a in (1e-5, 5e-4, 2e-3, 0.3, 10.0, 1e4, 1e7):
        ref = quad(lambda x: x * (1 - x) * np.log1p(a * x * (1 - x)), 0, 1, epsabs=0, epsrel=1e-12, limit=400)[0]
        assert cr.vacuum_polarisation_integral(a) == pytest.approx(ref, rel=1e-8)
