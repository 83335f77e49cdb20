"""Nuclear form factors (SPEC section 3)."""

import numpy as np
import pytest

from cevnsfit.constants import HBARC_MEV_FM
from cevnsfit.physics import form_factors as ff
from cevnsfit.physics import nuclei


@pytest.mark.parametrize("name", ff.FORM_FACTORS)
def test_unity_at_zero_and_stable(name):
    q = np.array([0.0, 1e-12, 1e-8, 1e-4, 1e-2])
    f = ff.form_factor(name, q, 4.8)
    assert np.all(np.isfinite(f))
    np.testing.assert_allclose(f, 1.0, atol=1e-8)


@pytest.mark.parametrize("name", ff.FORM_FACTORS)
def test_small_q_expansion_gives_rms_radius(name):
    # F(q) = 1 - q^2 <r^2>/6 + ...: every parametrisation must reproduce the rms radius it is given
    R = 4.8
    q = 2.0  # MeV, qR ~ 0.05
    qf = q / HBARC_MEV_FM
    slope = (1 - ff.form_factor(name, q, R)) / qf**2
    assert slope == pytest.approx(R**2 / 6, rel=2e-3)


def test_helm_known_value():
    # Helm with R0 and s: F = 3 j1(x)/x exp(-q^2 s^2/2), evaluated by hand at q = 100 MeV for R = 5 fm
    R, s = 5.0, 0.9
    r0 = np.sqrt(5 / 3 * (R**2 - 3 * s**2))
    x = 100 / HBARC_MEV_FM * r0
    ref = 3 * (np.sin(x) - x * np.cos(x)) / x**3 * np.exp(-0.5 * (100 / HBARC_MEV_FM * s) ** 2)
    assert ff.helm(100.0, R) == pytest.approx(ref, rel=1e-12)


def test_models_agree_at_low_q_and_differ_at_high_q():
    q = np.array([10.0, 60.0])
    h, k, s = (ff.form_factor(n, q, 4.8) for n in ff.FORM_FACTORS)
    assert abs(h[0] - k[0]) < 1e-3 and abs(h[0] - s[0]) < 1e-3
    assert abs(h[1] - k[1]) > 1e-3


def test_unknown_form_factor():
    with pytest.raises(ValueError, match="helm"):
        ff.form_factor("gaussian", 1.0, 4.0)


def test_isotopes_and_radii():
    cs = nuclei.isotopes("Cs")[0]
    assert (cs.Z, cs.N) == (55, 78)
    # R_p^2 = R_ch^2 + 0.1161 N/Z
    assert cs.r_proton == pytest.approx(np.sqrt(4.8041**2 + 0.1161 * 78 / 55))
    cs_point = nuclei.isotopes("Cs", proton_convention="point")[0]
    assert cs_point.r_proton == pytest.approx(np.sqrt(4.8041**2 + 0.1161 * 78 / 55 - 0.7071))
    assert cs.r_neutron == 5.01 and nuclei.isotopes("I")[0].r_neutron == 4.94
    ge = nuclei.isotopes("Ge")
    assert sum(i.abundance for i in ge) == pytest.approx(1.0)
    assert all(i.r_neutron == pytest.approx(i.r_proton + 0.1) for i in ge)
    ar = nuclei.isotopes("Ar")
    assert sum(i.abundance for i in ar) == pytest.approx(1.0)
    # nuclear mass ~ A u within binding: Ar-40 M = 37211 MeV
    assert ar[0].mass == pytest.approx(37215.5, abs=1.0)
    with pytest.raises(ValueError, match="allowed"):
        nuclei.isotopes("Rn")
    with pytest.raises(ValueError):
        nuclei.isotopes("Cs", r_neutron=-1.0)
