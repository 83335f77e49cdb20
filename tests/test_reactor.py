"""Tests of cevnsfit.sources.reactor (Dresden-II reactor antineutrino spectra, SPEC section 8).

Run with CEVNSFIT_DATA pointing at the data releases, e.g.
``CEVNSFIT_DATA=/work/shared/data python -m pytest tests/test_reactor.py``.
"""

import numpy as np
import pytest

from cevnsfit import data
from cevnsfit.sources import reactor as r
from cevnsfit.sources.flux import Spectrum

PHI = 4.8e13


def _table(name):
    return np.loadtxt(data.path(name), comments=("#", "-", "N(", "Energy", "(MeV)"))


@pytest.mark.parametrize("model", r.MODELS)
def test_total_flux_and_type(model):
    s = r.reactor_spectrum(model)
    assert isinstance(s, Spectrum)
    assert s.flavour == "e" and s.antineutrino
    assert s.total() == pytest.approx(PHI, rel=1e-9)
    assert np.trapezoid(s.density, s.energies) == pytest.approx(PHI, rel=1e-9)
    assert s.energies[0] == pytest.approx(0.01) and np.max(np.diff(s.energies)) <= 0.005 + 1e-12
    assert r.reactor_spectrum(model, total_flux=1.0).total() == pytest.approx(1.0, rel=1e-9)
    # case-insensitive model name
    assert np.allclose(r.reactor_spectrum(model.upper()).density, s.density)


@pytest.mark.parametrize("model", r.MODELS)
def test_zero_above_10_mev(model):
    s = r.reactor_spectrum(model)
    assert s.energies[-1] == pytest.approx(10.0)
    assert s.density[-1] > 0  # the cut is at 10 MeV, not before
    assert np.all(s([10.0 + 1e-6, 10.5, 12.0, 50.0]) == 0)
    assert np.all(s.moments(10.0) == 0)
    s8 = r.reactor_spectrum(model, emax=8.0)
    assert s8.energies[-1] == pytest.approx(8.0) and s8(8.5) == 0
    assert s8.total() == pytest.approx(PHI, rel=1e-9)


def _ratio(a, b, mask):
    return a.density[mask] / b.density[mask]


def test_hmve_hmk_proportional_above_2_mev_only():
    hmve, hmk = r.reactor_spectrum("hmve"), r.reactor_spectrum("hmk")
    e = hmve.energies
    assert np.array_equal(e, hmk.energies)
    q = _ratio(hmve, hmk, e >= 2.0)
    assert np.ptp(q) / q.mean() < 1e-10
    q_low = _ratio(hmve, hmk, (e > 0.05) & (e < 1.9))
    assert np.ptp(q_low) / q_low.mean() > 0.1  # different low-energy parts


def test_hmk_efk_proportional_below_2_mev_only():
    hmk, efk = r.reactor_spectrum("hmk"), r.reactor_spectrum("efk")
    e = hmk.energies
    q = _ratio(hmk, efk, e < 2.0)
    assert np.ptp(q) / q.mean() < 1e-10
    q_high = _ratio(hmk, efk, (e >= 2.0) & (e < 8.0))
    assert np.ptp(q_high) / q_high.mean() > 0.02  # HM and EF differ above 2 MeV


def test_join_exactly_at_2_mev():
    # HMVE: Vogel-Engel below 2 MeV, Huber-Mueller from 2 MeV (a ~9 % step)
    e, parts = r.components("hmve")
    total = parts["high"] + parts["low"]
    f = np.array(r.DEFAULT_FISSION_FRACTIONS)
    ve = sum(fi * r.isotope_spectrum(i, "vogel_engel", 1.99) for fi, i in zip(f, r.ISOTOPES, strict=True))
    hm = sum(fi * r.isotope_spectrum(i, "huber_mueller", 2.0) for fi, i in zip(f, r.ISOTOPES, strict=True))
    assert np.interp(1.99, e, total) == pytest.approx(ve, rel=1e-6)
    assert np.interp(2.0, e, total) == pytest.approx(hm, rel=1e-12)
    assert hm / np.interp(2.0 - 1e-9, e, total) > 1.05  # the step is kept, not smoothed


def test_neutron_capture_part():
    c = r.capture_spectrum
    assert np.trapezoid(c(np.linspace(0, 2, 200001)), np.linspace(0, 2, 200001)) == pytest.approx(2.0, rel=1e-4)
    assert np.all(c([1.3, 1.5, 2.0, 5.0]) == 0)
    with_cap = r.reactor_spectrum("hmk")
    no_cap = r.reactor_spectrum("hmk", captures_per_fission=0.0)
    e = with_cap.energies
    above = e > 1.3
    q_above = _ratio(with_cap, no_cap, above)
    assert np.ptp(q_above) / q_above.mean() < 1e-10  # above 1.3 MeV only the normalisation changes
    assert q_above.mean() < 1.0
    # per fission: the capture part raises the spectrum below ~1.3 MeV, nowhere above
    e, parts = r.components("hmk")
    assert np.all(parts["capture"][e > 1.3] == 0)
    assert np.all(parts["capture"][(e > 0.03) & (e < 1.2)] > 0)
    assert np.trapezoid(parts["capture"], e) == pytest.approx(0.6 * 2.0, rel=1e-3)
    assert np.all(_ratio(with_cap, no_cap, (e > 0.25) & (e < 0.42)) > 1.2 * q_above.mean())
    # HMVE has no capture term: captures_per_fission has no effect
    assert np.allclose(r.reactor_spectrum("hmve", captures_per_fission=0.0).density, r.reactor_spectrum("hmve").density)


def test_capture_normalisation_against_kopeikin_total_spectrum():
    """Independent check of 2 nu-bar per capture: Kopeikin's total reactor spectrum (another file)
    exceeds the fission-only Kopeikin mixture in 0.1-1.3 MeV by ~0.6 captures x 2 nu-bar x shape."""
    kt = _table("reactor_spectra/kopeikin/kopeikin_total_reactor_spectrum.txt")
    e = np.linspace(0.1, 1.3, 24001)
    f = np.array(r.DEFAULT_FISSION_FRACTIONS)
    mix = sum(fi * r.isotope_spectrum(i, "kopeikin", e) for fi, i in zip(f, r.ISOTOPES, strict=True))
    excess = np.trapezoid(np.interp(e, kt[:, 0], kt[:, 1]) - mix, e)
    predicted = 0.6 * np.trapezoid(r.capture_spectrum(e), e)
    assert excess / predicted == pytest.approx(1.0, abs=0.2)  # ~0.96; 1 nu-bar/capture would give ~1.9
    # and the two agree above 2 MeV, so the fission parts are comparable
    e2 = np.linspace(2.0, 8.0, 601)
    mix2 = sum(fi * r.isotope_spectrum(i, "kopeikin", e2) for fi, i in zip(f, r.ISOTOPES, strict=True))
    assert np.trapezoid(np.interp(e2, kt[:, 0], kt[:, 1]), e2) / np.trapezoid(mix2, e2) == pytest.approx(1, abs=0.03)


@pytest.mark.parametrize("iso", r.ISOTOPES)
def test_exp_poly_extension_matches_tables_at_7_to_8_mev(iso):
    e = np.linspace(7.0, 8.0, 2001)
    table = r.isotope_spectrum(iso, "huber_mueller", e)
    fit = r.hm_fit(iso, e)
    assert np.trapezoid(fit, e) / np.trapezoid(table, e) == pytest.approx(1.0, abs=0.02)
    # whole 2-8 MeV range: ν̄/fission agree to 1.5 %
    e = np.linspace(2.0, 8.0, 6001)
    assert np.trapezoid(r.hm_fit(iso, e), e) / np.trapezoid(
        r.isotope_spectrum(iso, "huber_mueller", e), e
    ) == pytest.approx(1.0, abs=0.015)
    # the extension is the fit above 8 MeV and zero above 10 MeV
    ext = np.array([8.001, 9.0, 10.0])
    assert np.allclose(r.isotope_spectrum(iso, "huber_mueller", ext), r.hm_fit(iso, ext))
    assert r.isotope_spectrum(iso, "huber_mueller", 10.01) == 0


def test_u235_exp_poly_fit_pointwise_7_to_7_5_mev():
    x, y = r._table("huber_mueller", "U235")
    m = (x >= 7.0) & (x <= 7.5)
    assert np.all(np.abs(r.hm_fit("U235", x[m]) / y[m] - 1) < 0.05)


def test_huber_files_agree():
    """Huber's distributed .dat files (used) vs huber2011_table.txt (3 digits; the small 241Pu
    values at 7-8 MeV are truncated to 2 digits there, hence the absolute tolerance)."""
    t = _table("reactor_spectra/huber2011/huber2011_table.txt")
    for col, iso in ((1, "U235"), (3, "Pu239"), (5, "Pu241")):
        x, y = r._table("huber_mueller", iso)
        assert np.allclose(x, t[:, 0])
        assert np.allclose(y, t[:, col], rtol=0.012, atol=1e-4)


def test_u235_nubar_per_fission_above_2_mev():
    """Huber's U235 table gives 1.69 nu-bar/fission in 2-8 MeV (not ~3.8).  Independent numbers:
    Vogel-Engel 1989 (fit to the older ILL data) gives 1.65, SM-2018 summation 1.59."""
    x, y = r._table("huber_mueller", "U235")
    n_table = np.trapezoid(y, x)
    assert n_table == pytest.approx(1.69, abs=0.01)
    e = np.linspace(2.0, 8.0, 6001)
    n_ve = np.trapezoid(r.isotope_spectrum("U235", "vogel_engel", e), e)
    n_ef = np.trapezoid(r.isotope_spectrum("U235", "estienne_fallot", e), e)
    assert n_table / n_ve == pytest.approx(1.0, abs=0.05)
    assert 0.90 < n_ef / n_table < 0.99  # summation below conversion (the "anomaly")


# Huber-Mueller IBD yields [1e-43 cm^2/fission]: 235U 6.69, 239Pu 4.36 (as quoted by Daya Bay,
# PRL 118, 251801 (2017)), 241Pu 6.04 (Huber 2011), 238U 10.10 (Mueller 2011 / Mention et al. 2011).
@pytest.mark.parametrize("iso,yield_", [("U235", 6.69), ("Pu239", 4.36), ("Pu241", 6.04), ("U238", 10.10)])
def test_ibd_yield_of_huber_mueller(iso, yield_):
    """Fold the HM spectrum with the Strumia-Vissani (PLB 564, 42 (2003)) approximate IBD cross
    section; checks the absolute nu-bar/MeV/fission scale and shape of the tables used."""
    me, delta = 0.51099895, 1.29333
    e = np.linspace(delta + me + 1e-6, 10.0, 200001)
    ee = e - delta
    pe = np.sqrt(np.clip(ee**2 - me**2, 0, None))
    ln = np.log(e)
    sigma = pe * ee * e ** (-0.07056 + 0.02018 * ln - 0.001953 * ln**3)  # 1e-43 cm^2
    spec = np.where(e < 2.0, r.hm_fit(iso, e), r.isotope_spectrum(iso, "huber_mueller", e))
    assert np.trapezoid(spec * sigma, e) == pytest.approx(yield_, rel=0.02)


def test_fission_fractions_matter_and_inputs():
    _e, _p = r.components("hmk")
    d = dict(zip(r.ISOTOPES, r.DEFAULT_FISSION_FRACTIONS, strict=True))
    assert np.allclose(r.reactor_spectrum("hmk", d).density, r.reactor_spectrum("hmk").density)
    # pure 239Pu is softer than pure 235U above 2 MeV
    u = r.reactor_spectrum("hmk", {"U235": 1.0})
    pu = r.reactor_spectrum("hmk", {"Pu239": 1.0})
    assert u.moments(2.0)[0] / u.moments(5.0)[0] < pu.moments(2.0)[0] / pu.moments(5.0)[0]
    # a sum within 0.01 of 1 is normalised
    near = r.reactor_spectrum("hmk", (0.585, 0.29, 0.08, 0.05))
    assert near.total() == pytest.approx(PHI)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(fission_fractions=(0.6, 0.3, 0.2, -0.1)),
        dict(fission_fractions=(np.nan, 0.3, 0.2, 0.5)),
        dict(fission_fractions=(0.5, 0.3, 0.1, 0.0)),  # sums to 0.9
        dict(fission_fractions=(0.5, 0.5)),
        dict(fission_fractions={"Th232": 1.0}),
        dict(total_flux=-1.0),
        dict(total_flux=np.nan),
        dict(captures_per_fission=-0.1),
        dict(emax=11.0),
        dict(emax=1.5),
    ],
)
def test_invalid_inputs_raise(kwargs):
    with pytest.raises(ValueError):
        r.reactor_spectrum("hmk", **kwargs)


def test_unknown_model_lists_allowed_names():
    with pytest.raises(ValueError) as err:
        r.reactor_spectrum("huber")
    for name in r.MODELS:
        assert name in str(err.value)
    with pytest.raises(ValueError):
        r.isotope_spectrum("U233", "kopeikin", 1.0)
    with pytest.raises(ValueError):
        r.isotope_spectrum("U235", "ill", 1.0)


# --- normalisation: total, power, fission ----------------------------------------------------
#: energy released per fission [MeV], Ma et al., PRC 88, 014605 (2013)
MA2013 = {"U235": 202.36, "Pu239": 211.12, "U238": 205.99, "Pu241": 214.26}


def _table_integral(x, y, lo, hi):
    """Integral of a table, log-linearly interpolated, over [lo, hi] (independent of the module)."""
    e = np.linspace(max(lo, x[0]), min(hi, x[-1]), 200001)
    return np.trapezoid(np.exp(np.interp(e, x, np.log(y))), e)


def _numeric_rows(name, width):
    rows = []
    for line in data.path(name).read_text().splitlines():
        try:
            v = [float(x) for x in line.split()]
        except ValueError:
            continue
        if len(v) == width:
            rows.append(v)
    return np.array(rows)


def _per_fission_from_tables(model):
    """nu-bar per fission of a model from its raw tables: the high part from the Huber / Mueller
    (or Estienne-Fallot) tables on 2-8 (10) MeV plus the published fits on 8-10 MeV, the low part
    from the Vogel-Engel formula or Kopeikin's tables on 0.01-2 MeV, 0.6 x 2 capture nu-bar."""
    f = dict(zip(r.ISOTOPES, r.DEFAULT_FISSION_FRACTIONS, strict=True))
    ve = {
        "U235": (0.870, -0.160, -0.0910),
        "U238": (0.976, -0.162, -0.0790),
        "Pu239": (0.896, -0.239, -0.0981),
        "Pu241": (0.793, -0.080, -0.1085),
    }  # Vogel & Engel 1989
    high = low = 0.0
    for iso, fi in f.items():
        if model == "efk":
            t = _numeric_rows(r._FILES["ef"], 8)
            high += fi * _table_integral(t[:, 0], t[:, r._EF_COL[iso]], 2.0, 10.0)
        else:
            if iso == "U238":
                t = _table(r._FILES["mueller"])
                x, y = t[:, 0], t[:, 5]
            else:
                t = np.loadtxt(data.path(r._FILES["huber"].format(iso=iso)), comments="#")
                x, y = t[:, 0], t[:, 1]
            e = np.linspace(8.0, 10.0, 20001)
            high += fi * (_table_integral(x, y, 2.0, 8.0) + np.trapezoid(r.hm_fit(iso, e), e))
        if model == "hmve":
            e = np.linspace(0.01, 2.0, 200001)
            a0, a1, a2 = ve[iso]
            low += fi * np.trapezoid(np.exp(a0 + a1 * e + a2 * e**2), e)
        else:
            t = np.loadtxt(data.path(r._FILES["kopeikin"].format(iso=iso)))
            low += fi * _table_integral(t[:, 0], t[:, 1], 0.01, 2.0)
    capture = 0.0 if model == "hmve" else 0.6 * 2.0
    return high, low, capture


@pytest.mark.parametrize("model", r.MODELS)
def test_power_normalisation_from_tables_and_energy_per_fission(model):
    high, low, capture = _per_fission_from_tables(model)
    n = r.nu_per_fission(model)
    assert n["high"] == pytest.approx(high, rel=2e-3)
    assert n["low"] == pytest.approx(low, rel=2e-3)
    assert n["capture"] == pytest.approx(capture, rel=2e-3)
    # fission rate at the detector: 2.96 GW / <E_fission> / (4 pi (10.39 m)^2)
    f = dict(zip(r.ISOTOPES, r.DEFAULT_FISSION_FRACTIONS, strict=True))
    e_fission = sum(fi * MA2013[i] for i, fi in f.items())
    assert e_fission == pytest.approx(205.78, abs=0.01)
    rate = 2.96e9 / (e_fission * 1.602176634e-13) / (4 * np.pi * 1039.0**2)
    assert r.fission_flux() == pytest.approx(rate, rel=1e-12)
    s = r.reactor_spectrum(model, normalisation="power")
    assert s.total() == pytest.approx(rate * (high + low + capture), rel=2e-3)
    # and the experiment's 4.8e13 is about 7.2 nu-bar per fission at this fission rate
    assert PHI / rate == pytest.approx(7.25, abs=0.05)


def test_per_fission_numbers_and_kopeikin_total_spectrum():
    """hmve lacks the ~1.2 capture nu-bar and has 9 % fewer fission nu-bar below 2 MeV than
    Kopeikin's summation tables; hmk agrees with Kopeikin's total reactor spectrum (another file,
    which includes the capture nu-bar) to 3 % in nu-bar per fission and above 1.8 MeV."""
    n = {m: r.nu_per_fission(m) for m in r.MODELS}
    assert n["hmve"]["capture"] == 0.0 and n["hmk"]["capture"] == pytest.approx(1.2, rel=1e-3)
    assert n["hmve"]["low"] / n["hmk"]["low"] == pytest.approx(0.906, abs=0.01)
    assert n["hmve"]["high"] == n["hmk"]["high"]
    kt = _table("reactor_spectra/kopeikin/kopeikin_total_reactor_spectrum.txt")
    total = _table_integral(kt[:, 0], kt[:, 1], 0.01, 9.0)
    above = _table_integral(kt[:, 0], kt[:, 1], 1.8, 9.0)
    assert n["hmk"]["total"] == pytest.approx(total, rel=0.03)
    assert n["hmk"]["above_1.8"] == pytest.approx(above, rel=0.03)
    # under "total", hmve's whole spectrum is scaled up by the missing low-energy nu-bar
    scale = n["hmk"]["total"] / n["hmve"]["total"]
    assert scale == pytest.approx(1.30, abs=0.01)


@pytest.mark.parametrize("model", r.MODELS)
def test_fission_normalisation(model):
    s = r.reactor_spectrum(model, normalisation="fission")
    e, parts = r.components(model)
    k = s.density / (parts["high"] + parts["low"] + parts["capture"])
    k = k[np.isfinite(k)]
    assert np.allclose(k, k[0], rtol=1e-12)  # one factor for every part
    assert k[0] * np.trapezoid(parts["high"] + parts["low"], e) == pytest.approx(PHI, rel=1e-12)
    if model == "hmve":
        np.testing.assert_allclose(s.density, r.reactor_spectrum(model).density, rtol=1e-12)
    with pytest.raises(ValueError, match="allowed: total, power, fission"):
        r.reactor_spectrum(model, normalisation="thermal")
