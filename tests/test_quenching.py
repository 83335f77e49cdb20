"""Tests for cevnsfit.detectors.quenching (run with CEVNSFIT_DATA pointing at the data)."""

import math

import numpy as np
import pytest

from cevnsfit.detectors.quenching import (
    CSI_VARIANTS,
    MODEL_NAMES,
    ArgonLinear,
    CsIPolynomial,
    GeTable,
    Lindhard,
    csi_coefficients,
    quenching_model,
)


def _all_models():
    models = [quenching_model(n) for n in MODEL_NAMES]
    models += [CsIPolynomial(v) for v in CSI_VARIANTS[1:]]
    models += [GeTable("fef", tail="clamp"), GeTable("ybe", tail="clamp"), Lindhard(k=0.162)]
    return models


ALL = _all_models()
IDS = [repr(m) + (f"-{m.tail}" if isinstance(m, GeTable) else "") for m in ALL]

# recoil energies [keVnr]: low, on/off table nodes, across the Ge table end and the CsI join
T_POINTS = np.array(
    [
        1e-4,
        3e-3,
        0.0537,
        0.2,
        0.4913,
        1.0,
        1.137,
        1.25,
        1.3891,
        2.0,
        3.333,
        4.4987,
        4.5,
        4.7,
        7.0,
        10.0,
        25.0,
        44.9,
        59.3,
        60.0,
        75.0,
        300.0,
    ]
)


@pytest.mark.parametrize("m", ALL, ids=IDS)
def test_inverse_roundtrip(m):
    e = m.eee(T_POINTS)
    back = m.recoil(e)
    np.testing.assert_allclose(back, T_POINTS, rtol=1e-9, atol=0)
    # and the other way round, on a dense E_ee grid
    ee = np.geomspace(1e-5, 20.0, 2001)
    np.testing.assert_allclose(m.eee(m.recoil(ee)), ee, rtol=1e-12, atol=0)


@pytest.mark.parametrize("m", ALL, ids=IDS)
def test_monotone_and_zero(m):
    t = np.linspace(0.0, 100.0, 200001)
    e = m.eee(t)
    assert e[0] == 0.0
    assert np.all(np.diff(e) > 0)
    assert np.all(m.jacobian(t[1:]) > 0)
    assert m.recoil(0.0) == 0.0


@pytest.mark.parametrize("m", ALL, ids=IDS)
def test_jacobian_vs_finite_difference(m):
    # avoid the points where the piecewise definitions join (Ge table end 4.5, CsI t_linear 60)
    # and the table nodes (PCHIP is C^1 but its 2nd derivative jumps there): off-grid points
    t = np.array(
        [
            0.0537,
            0.2013,
            0.4913,
            1.0047,
            1.137,
            1.2541,
            1.3891,
            2.0031,
            3.333,
            4.4037,
            4.7,
            7.0,
            10.0,
            25.0,
            44.9,
            59.3,
            75.0,
            300.0,
        ]
    )
    h = 1e-7 * t
    fd = (m.eee(t + h) - m.eee(t - h)) / (2 * h)
    np.testing.assert_allclose(m.jacobian(t), fd, rtol=1e-6, atol=0)


@pytest.mark.parametrize("m", ALL, ids=IDS)
def test_qf_definition(m):
    t = np.array([0.1, 1.0, 3.0, 20.0])
    np.testing.assert_allclose(m.qf(t), m.eee(t) / t, rtol=1e-14)
    assert np.isclose(m.qf(0.0), m.jacobian(0.0))


def test_scalar_and_shape():
    m = quenching_model("ar")
    assert isinstance(m.eee(10.0), float)
    assert isinstance(m.recoil(2.0), float)
    x = np.ones((3, 4))
    assert m.eee(x).shape == (3, 4)
    assert m.recoil(x).shape == (3, 4)


@pytest.mark.parametrize("bad", [np.nan, -1.0, [1.0, -0.1], [0.5, np.nan], np.inf])
@pytest.mark.parametrize("method", ["eee", "jacobian", "qf", "recoil"])
def test_invalid_input(bad, method):
    m = quenching_model("csi")
    with pytest.raises(ValueError, match="NaN|non-negative|finite"):
        getattr(m, method)(bad)


def test_unknown_name():
    with pytest.raises(ValueError, match="allowed"):
        quenching_model("xenon")
    with pytest.raises(ValueError, match="allowed"):
        CsIPolynomial("model2+")
    with pytest.raises(ValueError, match="allowed"):
        GeTable("dd")


# --- CsI ----------------------------------------------------------------------------------
def test_csi_coefficients_from_file():
    assert csi_coefficients("nominal") == (0.0554628, 4.30681, -111.707, 840.384)
    assert csi_coefficients("model0+") == (0.0613632, 3.51547, -85.5548, 595.562)
    assert csi_coefficients("model0-") == (0.0495624, 5.09815, -137.858, 1085.2)
    assert csi_coefficients("model1+") == (0.055413, 3.93597, -93.1045, 630.092)
    assert csi_coefficients("model1-") == (0.0555126, 4.67765, -130.309, 1050.68)


def test_csi_qf_at_10kev():
    # independent: x = 0.010 MeVnr; Eee[MeV] = a x + b x^2 + c x^3 + d x^4
    a, b, c, d = 0.0554628, 4.30681, -111.707, 840.384
    x = 0.010
    eee_mev = a * x + b * x**2 + c * x**3 + d * x**4
    qf = eee_mev / x  # = 0.08818...
    m = CsIPolynomial()
    assert m.qf(10.0) == pytest.approx(qf, rel=1e-12)
    assert m.eee(10.0) == pytest.approx(1e3 * eee_mev, rel=1e-12)
    assert m.qf(10.0) == pytest.approx(0.08820, abs=1e-5)


def test_csi_linear_continuation():
    m = CsIPolynomial(t_linear=60.0)
    s = m.jacobian(60.0)
    assert m.eee(80.0) == pytest.approx(m.eee(60.0) + 20.0 * s, rel=1e-13)
    assert m.jacobian(90.0) == s
    # below t_linear: the polynomial itself
    p = CsIPolynomial(t_linear=1000.0)
    assert m.eee(45.0) == p.eee(45.0)


def test_csi_custom_non_monotone_rejected():
    with pytest.raises(ValueError, match="not increasing"):
        CsIPolynomial(coefficients=(0.05, 0.0, -100.0, 0.0), t_linear=60.0)


# --- Ar -----------------------------------------------------------------------------------
def test_argon_values():
    m = ArgonLinear()
    assert m.eee(20.0) == pytest.approx((0.246 + 0.00078 * 20.0) * 20.0, rel=1e-15)
    assert m.qf(50.0) == pytest.approx(0.246 + 0.039, rel=1e-15)


# --- Lindhard -----------------------------------------------------------------------------
def test_lindhard_hand_value():
    # Ge, k = 0.157, T = 1 keV, computed step by step
    eps = 11.5 * 32 ** (-7 / 3) * 1.0
    assert eps == pytest.approx(0.00353738, rel=1e-5)  # 11.5 / 2**(35/3)
    g = 3 * eps**0.15 + 0.7 * eps**0.6 + eps
    q = 0.157 * g / (1 + 0.157 * g)
    m = Lindhard(k=0.157, Z=32)
    assert m.qf(1.0) == pytest.approx(q, rel=1e-14)
    assert m.qf(1.0) == pytest.approx(0.17099, abs=1e-5)
    # a larger value: T = 10 keV -> Q ~ 0.234
    assert m.qf(10.0) == pytest.approx(0.2341, abs=2e-4)


# --- Ge tables ----------------------------------------------------------------------------
def test_fef_above_ybe_at_low_energy():
    fef, ybe = GeTable("fef"), GeTable("ybe")
    assert fef.qf(0.5) > ybe.qf(0.5)
    assert fef.qf(0.5) == pytest.approx(0.4361 - 0.192 * 0.5, abs=2e-4)  # the linear Fef fit
    assert ybe.qf(0.5) == pytest.approx(0.24776, abs=1e-5)  # table node


def test_ge_table_nodes_reproduced():
    tab = np.loadtxt(__import__("cevnsfit").data.path("ge_quenching/QF_Fef_YBe.txt"))
    ybe = GeTable("ybe")
    np.testing.assert_allclose(ybe.eee(tab[:, 0]), tab[:, 0] * tab[:, 2], rtol=1e-12, atol=1e-15)
    fef = GeTable("fef")
    keep = (tab[:, 0] < 1.145) | (tab[:, 0] > 1.385)
    np.testing.assert_allclose(fef.eee(tab[keep, 0]), tab[keep, 0] * tab[keep, 1], rtol=1e-12, atol=1e-15)


def test_fef_monotone_fix():
    raw = GeTable("fef", monotone=False)
    fixed = GeTable("fef")
    np.testing.assert_allclose(fixed.dropped_nodes, np.round(np.arange(1.15, 1.385, 0.01), 2))
    # the published Fef curve folds back: negative Jacobian between 1.14 and 1.35 keVnr
    assert raw.jacobian(1.25) < 0
    with pytest.raises(ValueError, match="not monotonic"):
        raw.recoil(0.245)
    t = np.linspace(0, 4.5, 45001)
    diff = fixed.eee(t) - raw.eee(t)
    assert diff.max() < 0.0086e-0  # keVee: < 8.6 eV
    assert diff.min() > -0.0003  # PCHIP may dip below the published curve by < 0.3 eV
    # PCHIP slopes change one cell beyond the dropped nodes: 1.13-1.40 keVnr
    assert np.all(diff[(t <= 1.13) | (t >= 1.40)] == pytest.approx(0.0, abs=1e-12))


def test_ge_tails():
    lin = Lindhard(0.157, 32)
    fef = GeTable("fef")
    # Fef above the table is Lindhard k = 0.157 (scale ~1 for continuity)
    assert fef.tail_scale == pytest.approx(1.0, abs=1e-4)
    assert fef.qf(8.0) == pytest.approx(lin.qf(8.0), rel=1e-4)
    ybe = GeTable("ybe")
    assert ybe.qf(4.5) == pytest.approx(0.21862, rel=1e-12)
    assert ybe.qf(8.0) == pytest.approx(ybe.tail_scale * lin.qf(8.0), rel=1e-12)
    clamp = GeTable("ybe", tail="clamp")
    assert clamp.qf(8.0) == pytest.approx(0.21862, rel=1e-14)
    # continuity at the table end
    for m in (fef, ybe, clamp):
        assert m.eee(4.5 + 1e-12) == pytest.approx(m.eee(4.5), rel=1e-10)


def test_factory_kwargs():
    assert quenching_model("CsI", variant="model1-").variant == "model1-"
    assert quenching_model("lindhard", k=0.162).k == 0.162
    assert quenching_model("ar", a=0.25).a == 0.25
    assert quenching_model("ybe", tail="clamp").tail == "clamp"
    assert math.isclose(quenching_model("fef").qf(0.0), 0.4361, rel_tol=1e-3)
