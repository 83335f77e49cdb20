"""Maintainer tool: (re)write the per-release registry files ``src/cevnsfit/registry/<set>.json``
from a directory holding the public data releases.

    python tools/make_registry.py ../shared/data

Each registry file records, for one data release ("set"): its title, the publication to cite,
its official origin, a pinned public copy, its licence, and the SHA-256 and size of every file
cevnsfit may read.  The descriptions live in ``SETS`` below; the checksums are computed from the
files.  Never commit the data files themselves.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "cevnsfit" / "registry"

SETS = {
    "coherent_csi_2021": dict(
        title="COHERENT CsI[Na] 2021 full data set (ancillary files of arXiv:2110.07730v2)",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 129, 081801 (2022), arXiv:2110.07730",
        origin="https://arxiv.org/src/2110.07730v2/anc/",
        mirror="https://raw.githubusercontent.com/philippeller/Newtrinos.jl/653141ba6e05dd920fd0a795eb82e3de626076ce/src/experiments/coherent/coherent_2020/csi/",
        license="COHERENT Collaboration public data release (arXiv ancillary files)",
        include=["coherent_csi_2021/*.txt"]),
    "coherent_csi_2021_snsflux": dict(
        title="SNS neutrino flux of COHERENT CsI 2021 in energy x time, tables derived from the release's snsFlux2D.root",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 129, 081801 (2022), arXiv:2110.07730",
        origin=None,
        mirror="derived from the pickles of BarbeauGroup/chi2_pull_test (commit 1b83dc7269a27ff90f2c510c7b4cbf7f5c2cd22c, flux/flux_dict.pkl); "
               "the official snsFlux2D.root (arXiv:2110.07730v2 ancillary files) is the primary source: with it the tables "
               "can be derived again (projections of the four convolved_energy_time_of_* histograms, renormalised to 0.0848 nu/flavour/POT)",
        license="COHERENT Collaboration public data release",
        include=["coherent_csi_2021/snsflux/*.csv"]),
    "coherent_ar_2020": dict(
        title="COHERENT CENNS-10 liquid argon 2020, Analysis A data release",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 126, 012002 (2021), arXiv:2003.10630; data release arXiv:2006.12659",
        origin="https://doi.org/10.5281/zenodo.3903810",
        mirror="https://raw.githubusercontent.com/athompson-git/CENNS10/30d243430167e73dc8582b474f445f3acf880d36/Data/",
        license="COHERENT Collaboration public data release",
        include=["coherent_ar_2020/**/*"]),
    "coherent_csi_2017": dict(
        title="COHERENT CsI[Na] 2017 first observation data release",
        cite="D. Akimov et al. (COHERENT), Science 357, 1123 (2017), arXiv:1708.01294; data release arXiv:1804.09459",
        origin="https://doi.org/10.5281/zenodo.1228631",
        mirror="https://raw.githubusercontent.com/athompson-tamu/pyCEvNS/e895d2f03d7d4741567bc0f745ba44d034dfd85e/pyCEvNS/data/",
        license="COHERENT Collaboration public data release",
        include=["coherent_csi_2017/*"]),
    "dresden2_2022": dict(
        title="Dresden-II reactor germanium data release (Rx-ON / Rx-OFF spectra)",
        cite="J. Colaresi et al., Phys. Rev. Lett. 129, 211802 (2022), arXiv:2202.09672",
        origin="data release of arXiv:2202.09672",
        mirror="https://raw.githubusercontent.com/LeireLarizgoitia/Reactor_CEnuNS/2242059ec1784d3f70d89add2f3bd7d63ef20239/",
        license="Dresden-II authors' public data release",
        include=["dresden2_2022/*"]),
    "ge_quenching": dict(
        title="Germanium quenching factor curves (Fef and YBe)",
        cite="J. I. Collar, A. R. L. Kavner, C. M. Lewis, Phys. Rev. D 103, 122003 (2021)",
        origin="tables of Phys. Rev. D 103, 122003",
        mirror="https://raw.githubusercontent.com/LeireLarizgoitia/Reactor_CEnuNS/2242059ec1784d3f70d89add2f3bd7d63ef20239/",
        license="published tables",
        include=["ge_quenching/*"]),
    "reactor_spectra": dict(
        title="Reactor antineutrino spectra: Huber 2011, Mueller 2011, Estienne-Fallot 2019, Kopeikin, Vogel-Engel 1989",
        cite="P. Huber, PRC 84, 024617 (2011); Th. A. Mueller et al., PRC 83, 054615 (2011); M. Estienne et al., PRL 123, 022502 (2019); "
             "V. I. Kopeikin, Phys. At. Nucl. 75, 143 (2012); P. Vogel, J. Engel, PRD 39, 3378 (1989)",
        origin="the cited papers' tables",
        mirror="several public repositories (joejohnston203/ricochet_cevns_spectra, geoneutrinos/reactors, "
               "schedges/reactorNuSpectrumGenerator, LeireLarizgoitia/Reactor_CEnuNS); see docs/data.md",
        license="published tables",
        include=["reactor_spectra/**/*"]),
    "xenonnt_8b": dict(
        title="XENONnT solar 8B CEvNS binned-likelihood release (SR0+SR1+SR2) and the 2024 SR0+SR1 configuration",
        cite="E. Aprile et al. (XENON), Phys. Rev. Lett. 133, 191002 (2024), arXiv:2408.02877; arXiv:2604.06002; "
             "Zenodo 10.5281/zenodo.20576156 and 10.5281/zenodo.14522706",
        origin="https://github.com/XENONnT/cevns_data_release (Zenodo 10.5281/zenodo.20576156); "
               "https://github.com/XENONnT/light_wimp_data_release (Zenodo 10.5281/zenodo.14522706)",
        mirror="https://raw.githubusercontent.com/XENONnT/cevns_data_release/60d230dd7a5646fd4aa2368c5fdfba575ee0cb88/ and "
               "https://raw.githubusercontent.com/XENONnT/light_wimp_data_release/a09cd8fd77570dc2095f65f094fbcc114b634dfc/",
        license="CC-BY-4.0 (cevns_data_release); light_wimp_data_release: cite PRL 134, 111802",
        include=["xenonnt_8b/**/*"], exclude=["xenonnt_8b/MANIFEST.sha256"]),
    "xenonnt_er_sr0": dict(
        title="XENONnT SR0 low-energy electronic recoils (events, efficiency, background model)",
        cite="E. Aprile et al. (XENON), Phys. Rev. Lett. 129, 161805 (2022), arXiv:2207.11330",
        origin="XENON Collaboration data release on Zenodo (XENONnT_ER_v2.zip; record id not known)",
        mirror="https://raw.githubusercontent.com/yuanguanwen/Chameleon_Detection/8394853ccd62014c514ba8aa117675b6376b0845/XENONnT/",
        license="XENON Collaboration public data release",
        include=["xenonnt_er_sr0/*"]),
    "solar": dict(
        title="Solar neutrino inputs: B16 SSM fluxes and production distributions, spectral shapes, NuFIT parameters, xenon shell edges",
        cite="N. Vinyoles et al., ApJ 835, 202 (2017); J. N. Bahcall's tables; W. T. Winter et al., PRC 73, 025503 (2006); "
             "I. Esteban et al. (NuFIT 6.0), JHEP 12 (2024) 216; X-ray Data Booklet",
        origin="the cited tables; solar/MANIFEST.csv names the repository, commit and path of every file",
        mirror="see solar/MANIFEST.csv",
        license="various (GPL-3.0 / LGPL-3.0 copies of published tables; see each folder's LICENSE)",
        include=["solar/**/*"]),
}


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(data_dir: str) -> None:
    data = Path(data_dir).resolve()
    ROOT.mkdir(parents=True, exist_ok=True)
    claimed: set[str] = set()
    for name, meta in SETS.items():
        files = set()
        for pattern in meta["include"]:
            files.update(p for p in data.glob(pattern) if p.is_file())
        rels = sorted(p.relative_to(data).as_posix() for p in files)
        rels = [r for r in rels if r not in meta.get("exclude", []) and r not in claimed
                and not (name == "coherent_csi_2021" and r.startswith("coherent_csi_2021/snsflux/"))]
        claimed.update(rels)
        out = {k: v for k, v in meta.items() if k not in ("include", "exclude")}
        out["set"] = name
        out["files"] = {r: {"sha256": sha256(data / r), "size": (data / r).stat().st_size} for r in rels}
        (ROOT / f"{name}.json").write_text(json.dumps(out, indent=0, sort_keys=False) + "\n")
        print(f"{name}: {len(rels)} files")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
