"""What cevnsfit derives in code from the public solar files equals the tables the data curators
derived from the same files while staging the release (B16 fluxes in absolute units, unit-area
spectra, the NuFIT best fits, the xenon Z_eff step, the RRPA / stepping ratio), to the precision the
tables are printed with.

Those tables have no public download and are not registered: ``cevnsfit data fetch`` does not bring
them and cevnsfit never reads them.  The tests read them from the data directory when they are
there (checking their SHA-256 against the staged copies) and skip otherwise.
"""

import csv
import hashlib

import numpy as np
import pytest

from cevnsfit import data
from cevnsfit.experiments import xenonnt_er
from cevnsfit.physics import electron
from cevnsfit.sources import solar

#: SHA-256 of the staged derived tables (solar/MANIFEST.csv of the curated release)
STAGED = {
    "fluxes/b16_fluxes.csv": "43ab4d9c52b73ea4a51d6e18f54ab599688d3afa9224a05be529c5be2d885fb1",
    "spectra/normalised/13N.csv": "3c46e83788976200e94dc194d04c96e00a632e4057269fa0f8f7a9c2b46509ae",
    "spectra/normalised/15O.csv": "035084b06142f1959525dc01504157804792fc8940ab59db3344ea4fd8cc4b8b",
    "spectra/normalised/17F.csv": "a6c24aa105ee3426de90007be9a25e00d1bb6adc45b750b07347f833640b123a",
    "spectra/normalised/8B_Bahcall1996.csv": "3e62ecc57c50cf95f5d543ce78f3ce5fecce481d1905b5e3e411cc83d882a950",
    "spectra/normalised/8B_Winter2006.csv": "7e49a98755850ee9e03c441cfb23b50a660ffe35aeb102daf3cb2368fe246602",
    "spectra/normalised/hep.csv": "bcd8cfae699413d1e2d08b2b22736c2e979dc9e1fcbf4ef5c2cea5284830892c",
    "spectra/normalised/lines.csv": "23c2ba596166df1353c4171ee9136ce8bea6e56a0c8f5bbb8d040624c3ddb651",
    "spectra/normalised/pp.csv": "b0b1d84a3c322ddc163ad7f3e0ccfebed0174e8977a4dd4412368d19aff97a37",
    "survival/nufit_parameters.csv": "99c993407e03d61f9bc1326eeb9ff8b1c9ec9f50acc2dd56392baf624f4c1ebf",
    "xenon_atomic/derived/rrpa_over_step_ratio_snudd.csv": "ff59f9cac9d462f3ca054a524730b516191820500368ee03a79a0433645da379",
    "xenon_atomic/derived/xe_zeff_step_xdb.csv": "74841ce2fbc42dd39c5a3b6a1d42c6376e88536349b17860ea8238c88b4cea3e",
}


def staged_rows(rel: str) -> list[dict[str, str]]:
    """The rows of a staged derived table (comment lines dropped); skip if it is not there."""
    p = data.data_dir() / "solar" / rel
    if not p.is_file():
        pytest.skip(f"the staged table solar/{rel} is not in the data directory")
    assert hashlib.sha256(p.read_bytes()).hexdigest() == STAGED[rel], f"solar/{rel} is not the staged table"
    with open(p, newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_derived_tables_are_not_registered():
    """cevnsfit reads none of them: they are not in the registry (so 'data fetch' and 'data
    verify' do not ask for them)."""
    reg = data.registry()
    assert not [f"solar/{rel}" for rel in STAGED if f"solar/{rel}" in reg]
    assert not [n for n in reg if n.startswith("solar/") and ("/derived/" in n or "/normalised/" in n)]


def test_b16_fluxes_equal_the_staged_table():
    """Every flux and uncertainty, both models, to the last printed digit (17F GS98 = 5.29e6 in both)."""
    rows = staged_rows("fluxes/b16_fluxes.csv")
    assert [r["component"] for r in rows] == list(solar.COMPONENTS)
    for model, (fcol, ucol) in {
        "gs98": ("flux_GS98_cm2s", "rel_unc_GS98"),
        "agss09": ("flux_AGSS09met_cm2s", "rel_unc_AGSS09met"),
    }.items():
        fluxes = solar.ssm_fluxes(model)
        for r in rows:
            assert fluxes[r["component"]] == (float(r[fcol]), float(r[ucol])), (model, r["component"])
    assert solar.ssm_fluxes("gs98")["17F"][0] == 5.29e6


def test_nufit_best_fits_equal_the_staged_table():
    """The NuFIT constants in the code (with SK atmospheric data, normal ordering) are the staged
    transcription of the releases' tables, and every release it lists is offered."""
    rows = [r for r in staged_rows("survival/nufit_parameters.csv") if r["category"] == "with_SK"]
    assert {r["release"] for r in rows} == set(solar.NUFIT_BEST_FIT)
    for r in rows:
        o = solar.nufit(r["release"])
        assert (o.sin2_12, o.sin2_13, o.dm2_21) == (
            float(r["sin2_theta12"]),
            float(r["sin2_theta13"]),
            float(r["dm2_21_eV2"]),
        ), r["release"]


@pytest.mark.parametrize(
    "component, b8, table",
    [
        ("pp", "winter", "pp.csv"),
        ("hep", "winter", "hep.csv"),
        ("13N", "winter", "13N.csv"),
        ("15O", "winter", "15O.csv"),
        ("17F", "winter", "17F.csv"),
        ("8B", "winter", "8B_Winter2006.csv"),
        ("8B", "bahcall", "8B_Bahcall1996.csv"),
    ],
)
def test_unit_area_spectra_equal_the_staged_tables(component, b8, table):
    """Same grid, same values to the 8 significant digits the staged tables print."""
    rows = staged_rows(f"spectra/normalised/{table}")
    col = list(rows[0])[1]
    e_st = np.array([float(r["E_MeV"]) for r in rows])
    d_st = np.array([float(r[col]) for r in rows])
    e, d = solar.shape(component, b8)
    np.testing.assert_array_equal(e, e_st)
    np.testing.assert_allclose(d, d_st, rtol=1e-7, atol=1e-7 * d_st.max())


def test_lines_equal_the_staged_table():
    rows = staged_rows("spectra/normalised/lines.csv")
    want = {(r["component"].split("_")[0], float(r["E_MeV"]), float(r["branching"])) for r in rows}
    assert want == {(c, e, br) for c, lines in solar.LINES.items() for e, br in lines}


def test_xenon_zeff_step_equals_the_staged_table():
    """The Z_eff step (X-ray Data Booklet edges) over the staged table's ranges [T_min, T_max)."""
    rows = staged_rows("xenon_atomic/derived/xe_zeff_step_xdb.csv")
    lo = np.array([float(r["T_min_eV"]) for r in rows])
    assert lo[0] == 0.0 and len(rows) == len(electron._ZEFF["Xe"]) + 1
    edges = sorted(e * 1e3 for e, _ in electron._ZEFF["Xe"])
    np.testing.assert_allclose(lo[1:], edges, rtol=1e-12)
    for r in rows:
        t_lo, t_hi = float(r["T_min_eV"]), float(r["T_max_eV"])
        inside = t_lo * (1 + 1e-9) + 1e-9 if not np.isfinite(t_hi) else 0.5 * (t_lo + t_hi)
        assert electron.z_eff("Xe", inside * 1e-6) == int(r["Zeff"]), r


def test_rrpa_ratio_equals_the_staged_table():
    """The ratio of SNuDD's two digitised rates, on the same energies, to the 5 decimals (energies:
    6 significant digits) the staged table prints."""
    rows = staged_rows("xenon_atomic/derived/rrpa_over_step_ratio_snudd.csv")
    t_st = np.array([float(r["T_keV"]) for r in rows])
    r_st = np.array([float(r["ratio"]) for r in rows])
    t, r = xenonnt_er._rrpa_table()
    np.testing.assert_allclose(t, t_st, rtol=5e-6)
    np.testing.assert_allclose(r, r_st, rtol=0, atol=5e-6)
    assert xenonnt_er.rrpa_ratio(1e3) == pytest.approx(r_st[-1], abs=5e-6)  # constant beyond its range
