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
1 - sum |U|^2, and are not measured).
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
_MIXING = {"e": "ue4sq", "mu": "umu4sq", "tau": "utau4sq"}
_PAIRS = {("e", "mu"): "emu", ("e", "tau"): "etau", ("mu", "tau"): "mutau"}
_DIAG = {"e": "ee", "mu": "mumu", "tau": "tautau"}


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


def measured(ds, flavours) -> tuple[str, ...]:
    """The new-physics parameters data set ``ds`` (its target, its baseline) measures with a
    source of ``flavours``."""
    out = list(nsi_measured(flavours)) + ["g_zp", "m_zp", "g_phi", "m_phi"]
    out += list(dict.fromkeys(ds.radius_parameters().values()))
    if ds.baseline is not None:
        out += ["dm2_41"] + [_MIXING[f] for f in FLAVOURS if f in flavours]
    return tuple(out)
