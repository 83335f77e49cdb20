"""The XENONnT solar-8B CEvNS binned-likelihood release, read once and cached as arrays.

Official release (CC-BY-4.0): XENONnT/cevns_data_release, Zenodo DOI 10.5281/zenodo.20576156
(arXiv:2604.06002; SR0 and SR1 as in PRL 133, 191002 (2024) and PRL 134, 111802 (2025)), plus
the 2024 SR0+SR1 configuration (XENONnT/light_wimp_data_release, Zenodo 10.5281/zenodo.14522706).

Per science run (SR0, SR1, SR2) the data are binned in 3 x 3 x 3 x 3 bins of (cS2, S2 shadow
quantile, S1 BDT score, S2 BDT score); the templates (HDF5, read with h5py) are:

* ``ac``, ``er``: accidental-coincidence and electronic-recoil backgrounds [events/(t yr) per bin];
* ``rg``: radiogenic neutrons on the 7 x 7 grid of the light- and charge-yield nuisances
  t_ly, t_qy in {-3, ..., 3} [events/(t yr) per bin];
* ``mono``: the response to mono-energetic nuclear recoils E = 0.5, 0.6, ..., 5.0 keV on the same
  yield grid: the dimensionless detection probability per bin.

:func:`release` reads the 6 900 files (every one through :func:`cevnsfit.data.path`, so a missing
or altered file is named with where to get it) into a few arrays and stores them in the package's
disk cache, keyed by the verified checksums of this release and the package code: a second load
reads one compact file.  The 2024 8B templates (SR0, SR1) are read too, for validation only: the
2026 and 2024 responses must not be mixed.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache

import numpy as np

from .. import data

SET = "xenonnt_8b"
ROOT = "xenonnt_8b/cevns_data_release"
OLD = "xenonnt_8b/light_wimp_data_release/data"
RUNS = ("sr0", "sr1", "sr2")
#: livetimes [t yr]: SR0, SR1 from the 2024 likelihood configuration, SR2 from the release's notebook
LIVETIME = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}
#: energies of the mono-energetic templates [keV]
MONO_E = np.round(np.arange(0.5, 5.0001, 0.1), 3)
#: the yield-nuisance anchors (t_ly and t_qy)
ANCHORS = np.arange(-3, 4)
AXES = ("cs2", "s2_shadow_s2_time_shadow", "s1_bdt_score", "s2_bdt_score")
CSV_COLUMNS = ("cs2", "s2_shadow_s2_time_shadow_quantile", "s1_bdt_score", "s2_bdt_score")


def _h5(rel: str):
    import h5py

    p = data.path(rel)
    try:
        with h5py.File(p, "r") as f:
            t = np.asarray(f["templates/template"], float)
            edges = [np.asarray(f[f"bins/{k}"], float) for k in range(4)]
    except (OSError, KeyError) as e:
        raise data.DataError(
            f"Data file {rel} is not a readable XENONnT template ({e}); it comes from: {data.registry()[rel]['source']}"
        ) from None
    if t.shape != (3, 3, 3, 3):
        raise data.DataError(f"Data file {rel}: template shape {t.shape}, expected (3, 3, 3, 3)")
    return t.ravel(), np.stack(edges)


def _yield_name(t, q) -> str:
    """File-name part of the light- and charge-yield anchors ``t``, ``q`` (integers, in sigma)."""
    return f"tly_{float(t):.1f}_tqy_{float(q):.1f}"


def _binning(run: str) -> np.ndarray:
    import yaml

    b = yaml.safe_load(data.path(f"{ROOT}/binning/{run}.yaml").read_text())
    return np.array(
        [b[k if k != "s2_shadow_s2_time_shadow" else "s2_shadow_s2_time_shadow_quantile"] for k in AXES], float
    )


def _observed(run: str, edges: np.ndarray) -> np.ndarray:
    with open(data.path(f"{ROOT}/data/{run}.csv")) as fh:
        rows = list(csv.DictReader(fh))
    ev = np.array([[float(r[c]) for c in CSV_COLUMNS] for r in rows]).reshape(-1, 4)
    h, _ = np.histogramdd(ev, bins=list(edges))
    return h.ravel()


def _read() -> dict:
    out: dict[str, list] = {"edges": [], "observed": [], "ac": [], "er": [], "rg": [], "mono": []}
    for run in RUNS:
        edges = _binning(run)
        d = f"{ROOT}/templates/{run}"
        ac, e_ac = _h5(f"{d}/ac/template_XENONnT_{run}_ac_cevns.h5")
        if not np.allclose(e_ac, edges, rtol=1e-7):
            raise data.DataError(f"{d}/ac: template bins differ from binning/{run}.yaml")
        er, _ = _h5(f"{d}/er/template_XENONnT_{run}_er_cevns.h5")
        rg = np.empty((7, 7, 81))
        mono = np.empty((7, 7, MONO_E.size, 81))
        for i, t in enumerate(ANCHORS):
            for j, q in enumerate(ANCHORS):
                rg[i, j] = _h5(f"{d}/rg/template_XENONnT_{run}_rg_cevns_{_yield_name(t, q)}.h5")[0]
                for k, e in enumerate(MONO_E):
                    mono[i, j, k] = _h5(f"{d}/mono/template_XENONnT_{run}_mono_{e:.3f}_cevns_{_yield_name(t, q)}.h5")[0]
        out["edges"].append(edges)
        out["observed"].append(_observed(run, edges))
        for name, v in (("ac", ac), ("er", er), ("rg", rg), ("mono", mono)):
            out[name].append(v)
    b8 = np.empty((2, 7, 7, 81))
    for r, run in enumerate(RUNS[:2]):
        for i, t in enumerate(ANCHORS):
            for j, q in enumerate(ANCHORS):
                b8[r, i, j] = _h5(f"{OLD}/b8/template_XENONnT_{run}_b8_cevns_{_yield_name(t, q)}.h5")[0]
    arrays = {k: np.stack(v) for k, v in out.items()}
    arrays["b8_2024"] = b8
    return arrays


@lru_cache(maxsize=1)
def release() -> dict[str, np.ndarray]:
    """The release as arrays (runs SR0, SR1, SR2 along the first axis; bins flattened, C order):
    ``edges`` (3, 4, 4), ``observed`` (3, 81), ``ac``, ``er`` (3, 81) and ``rg`` (3, 7, 7, 81)
    [events/(t yr)], ``mono`` (3, 7, 7, 46, 81) [probability], ``b8_2024`` (2, 7, 7, 81)
    [events/(t yr)]; yield-grid axes are (t_ly, t_qy) = -3 ... 3."""
    from .. import cache

    return cache.cached("xenonnt_8b_release", {"format": 1}, _read, sets=(SET,))


def release_spectrum_slices() -> np.ndarray:
    """The 8B CEvNS recoil spectrum of the 2024 configuration (``cevns_spectrum.json``: its CDF in
    E_nr and total rate) integrated over the 0.1-keV slice of each mono-energetic template
    [events/(t yr)]."""
    d = json.loads(data.path(f"{OLD}/signal/cevns_spectrum.json").read_text())
    if d.get("coordinate_name") != "cdf":
        raise data.DataError("cevns_spectrum.json: expected a CDF in recoil energy")
    cdf, e = np.asarray(d["coordinate_system"], float), np.asarray(d["map"], float)
    edges = np.concatenate([MONO_E - 0.05, [MONO_E[-1] + 0.05]])
    return float(d["rate"]) * np.diff(np.interp(edges, e, cdf, left=0.0, right=1.0))


def release_spectrum() -> tuple[np.ndarray, np.ndarray]:
    """(E_nr [keV], dR/dE [events/(t yr keV)]) of ``cevns_spectrum.json`` (finite differences of its CDF)."""
    d = json.loads(data.path(f"{OLD}/signal/cevns_spectrum.json").read_text())
    cdf, e = np.asarray(d["coordinate_system"], float), np.asarray(d["map"], float)
    mid = 0.5 * (e[1:] + e[:-1])
    return mid, float(d["rate"]) * np.diff(cdf) / np.diff(e)
