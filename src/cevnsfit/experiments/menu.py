"""What the data sets share about the new-physics menu: its model options and which of its
parameters a source measures.

* ``zp_model``: the charges of the light vector mediator (universal or B-L,
  :data:`cevnsfit.physics.mediators.VECTOR_MODELS`), an option of every data set that models it
  (one definition, so a combined fit uses one model).
* ``tie_csi_radius``: one neutron radius for Cs and I (the CsI data sets): ``rn_cs`` is then the
  radius of both nuclei and ``rn_i`` is not a parameter of the data set.

A source of neutrino flavours F measures the diagonal NSI of each flavour in F and the
flavour-changing ones of every pair with one member in F; the mediator couplings and masses; the
neutron radii of its target; and, with a known source-detector distance, the sterile mass
splitting and the mixings of the flavours in F (the other mixings enter only through unitarity,
1 - sum |U|^2, and are not measured).  A solar source measures none of the sterile parameters
(:data:`SOLAR_UNMODELLED`: refused with the reason).
"""

from __future__ import annotations

from dataclasses import replace

from ..constants import FLAVOURS
from ..physics.mediators import VECTOR_MODELS
from .registry import Option

ZP_MODEL = Option(
    "zp_model",
    "universal",
    "charges of the light vector mediator Z' (universal: all 1; b-l: Q'_nu = Q'_e = -1, Q'_q = 1/3)",
    choices=tuple(VECTOR_MODELS),
)
TIE_CSI_RADIUS = Option(
    "tie_csi_radius",
    False,
    "one neutron radius for Cs and I: rn_cs is the CsI radius (rn_i then not a parameter)",
    kind=bool,
)


def csi_radius_parameters(tie: bool) -> dict[str, str]:
    """The neutron-radius parameter of Cs and of I in a CsI data set: each its own (``rn_cs``,
    ``rn_i``), or both ``rn_cs`` with ``tie_csi_radius``."""
    return {"Cs": "rn_cs", "I": "rn_cs"} if tie else {"Cs": "rn_cs", "I": "rn_i"}


_MIXING = {"e": "ue4sq", "mu": "umu4sq", "tau": "utau4sq"}
_PAIRS = {("e", "mu"): "emu", ("e", "tau"): "etau", ("mu", "tau"): "mutau"}
_DIAG = {"e": "ee", "mu": "mumu", "tau": "tautau"}


#: why solar neutrinos do not measure short-baseline sterile oscillations (the data sets' refusal)
SOLAR_STERILE = (
    "solar neutrinos do not constrain short-baseline (3+1) sterile oscillations: over the Sun-Earth distance and "
    "the production region the oscillation with any Delta m^2_41 a laboratory fit probes is fully averaged (no "
    "dependence on dm2_41), and the averaged active-sterile mixing would enter through a four-flavour solar "
    "survival probability, while the flavour composition here is the three-flavour MSW one (NuFIT); fit the "
    "sterile parameters with the laboratory data sets only"
)
#: the sterile parameters every solar data set refuses, with that reason
SOLAR_UNMODELLED = {p: SOLAR_STERILE for p in ("dm2_41", "ue4sq", "umu4sq", "utau4sq")}


def with_zp_model(opts, zp_model: str):
    """The cross-section options with the Z' model set."""
    return replace(opts, zp_model=zp_model)


def nsi_measured(flavours) -> tuple[str, ...]:
    out = []
    for f in FLAVOURS:
        if f in flavours:
            out += [f"eps_u_{_DIAG[f]}", f"eps_d_{_DIAG[f]}"]
    for (a, b), s in _PAIRS.items():
        if a in flavours or b in flavours:
            out += [f"eps_u_{s}", f"eps_d_{s}"]
    return tuple(out)


def measured(ds, flavours, nuclear: bool = True) -> tuple[str, ...]:
    """The new-physics parameters data set ``ds`` (its target, its baseline) measures with a
    source of ``flavours``.  ``nuclear=False``: the data set sees neutrino-electron scattering only
    (no nucleus in the amplitude), so neither the NSI with quarks nor the neutron radii act on it --
    they stay parameters a combined fit can float (its prediction does not depend on them) but it
    does not measure them."""
    out = list(nsi_measured(flavours)) if nuclear else []
    out += ["g_zp", "m_zp", "g_phi", "m_phi"]
    if nuclear:
        out += list(dict.fromkeys(ds.radius_parameters().values()))
    if ds.baseline is not None:
        out += ["dm2_41"] + [_MIXING[f] for f in FLAVOURS if f in flavours]
    return tuple(out)
