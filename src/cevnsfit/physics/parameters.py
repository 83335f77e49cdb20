"""The physics parameters: one name each, everywhere (config, code, output).

=============  ==============  ================================================================
name           unit            meaning
=============  ==============  ================================================================
sin2w          --              sin^2 theta_W in the tree-level couplings (default 0.23863)
mu_e, mu_mu,   1e-10 mu_B      effective magnetic moment |mu_{nu_l}| (default 0)
mu_tau
mu_nu          1e-10 mu_B      one magnetic moment common to every flavour (default 0): the
                               flavour l sees mu_eff,l^2 = mu_l^2 + mu_nu^2
r2_ee, r2_mumu 1e-32 cm^2      *total* diagonal charge radius <r^2_{nu_l l}> (default: the SM
r2_tautau                      value -0.8275, -0.4805, -0.2969); signed
r2_emu, ...    1e-32 cm^2      transition charge radius; enters through its modulus (default 0)
q_ee, q_mumu,  e               diagonal millicharge (default 0); signed
q_tautau
q_emu, ...     e               transition millicharge; enters through its modulus (default 0)
eps_u_ee, ...  --              vector NSI with u / d quarks, eps^{qV}_{ab} (default 0); signed.
                               Diagonal ee, mumu, tautau and flavour-changing emu, etau, mutau
                               (:mod:`cevnsfit.physics.nsi`)
g_zp, m_zp     --, MeV         light vector mediator Z': coupling (enters as g^2) and mass
                               (default 0, 10 MeV); charges from the model option
                               (:mod:`cevnsfit.physics.mediators`)
g_phi, m_phi   --, MeV         light scalar mediator: coupling g_phi^2 = g^nu g^q = g^nu g^e
                               (enters as g^4) and mass (default 0, 10 MeV)
rn_cs, rn_i,   fm              neutron rms radius of each element (default: the shell-model
rn_ar, rn_ge,                  values 5.01, 4.94 fm, and R_p + 0.1 fm for Ar, Ge, Xe, abundance-
rn_xe                          weighted; :mod:`cevnsfit.physics.neutron_radii`)
dm2_41         eV^2            3+1 sterile mass splitting (default 0)
ue4sq, umu4sq, --              |U_e4|^2, |U_mu4|^2, |U_tau4|^2 (default 0); sum <= 1
utau4sq                        (:mod:`cevnsfit.sources.oscillation`)
=============  ==============  ================================================================

A transition radius and the transition charge of the same pair add coherently in Q_ll', so
"through its modulus" holds for one of them while the other is zero (as in every shipped
analysis); with both free their relative sign matters.

"No new physics" therefore means: magnetic moments, millicharges and transition radii zero and
diagonal radii at their SM values (:meth:`Params.sm`).  The diagonal radius is the total radius
(docs/physics.md), so a fit's SM point sits at <r^2> = <r^2>_SM.

Every rate in the package is a polynomial in these parameters (docs/physics.md): for a
neutrino of flavour l the coherent amplitude is linear in (1, sin2w, r2_ll, q_ll), transitions
add |Q_ll'|^2 quadratic in (r2_ll', q_ll'), and the magnetic moment adds mu_l^2 + mu_nu^2
(the moments add incoherently: a flavour-universal moment mu_nu is a common floor under the
flavoured ones, so with mu_e = mu_mu = mu_tau = 0 it is the moment solar experiments quote).
:func:`monomials` returns the 14 monomials, in the order of :data:`MONOMIALS`, that multiply the
precomputed basis rates (templates); the table below (:data:`AMPLITUDE_VARIABLES` ...) defines
them and :class:`cevnsfit.physics.monomials.Points` evaluates them, with their derivatives, for
arrays of parameter points (the fast path of the fits).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..constants import FLAVOURS, SIN2W_0
from .charge_radius import r2_sm
from .neutron_radii import DEFAULTS as RN_DEFAULTS
from .neutron_radii import RN_RANGE

_PAIR = {
    ("e", "mu"): "emu",
    ("mu", "e"): "emu",
    ("e", "tau"): "etau",
    ("tau", "e"): "etau",
    ("mu", "tau"): "mutau",
    ("tau", "mu"): "mutau",
}
_DIAG = {"e": "ee", "mu": "mumu", "tau": "tautau"}

UNITS = {"sin2w": ""}
DESCRIPTIONS = {"sin2w": "weak mixing angle sin^2 theta_W (tree-level term)"}
for _f in FLAVOURS:
    UNITS[f"mu_{_f}"] = "1e-10 mu_B"
    DESCRIPTIONS[f"mu_{_f}"] = f"effective magnetic moment |mu_nu_{_f}|"
UNITS["mu_nu"] = "1e-10 mu_B"
DESCRIPTIONS["mu_nu"] = "magnetic moment common to every flavour (mu_eff,l^2 = mu_l^2 + mu_nu^2)"
for _s in ("ee", "mumu", "tautau", "emu", "etau", "mutau"):
    UNITS[f"r2_{_s}"] = "1e-32 cm^2"
    UNITS[f"q_{_s}"] = "e"
    kind = "diagonal" if _s in _DIAG.values() else "transition"
    DESCRIPTIONS[f"r2_{_s}"] = f"{kind} neutrino charge radius <r^2_{_s}>"
    DESCRIPTIONS[f"q_{_s}"] = f"{kind} neutrino millicharge q_{_s}"

# --- the new-physics menu beyond EM properties (NSI, mediators, neutron radii, sterile) -------
NSI_PAIRS = ("ee", "mumu", "tautau", "emu", "etau", "mutau")
for _s in NSI_PAIRS:
    for _q in ("u", "d"):
        UNITS[f"eps_{_q}_{_s}"] = ""
        DESCRIPTIONS[f"eps_{_q}_{_s}"] = (
            f"vector NSI with {_q} quarks, {'diagonal' if _s in _DIAG.values() else 'flavour-changing'} eps^{_q}V_{_s}"
        )
UNITS.update(
    g_zp="",
    m_zp="MeV",
    g_phi="",
    m_phi="MeV",
    rn_cs="fm",
    rn_i="fm",
    rn_ar="fm",
    rn_ge="fm",
    rn_xe="fm",
    dm2_41="eV^2",
    ue4sq="",
    umu4sq="",
    utau4sq="",
)
DESCRIPTIONS.update(
    g_zp="light vector mediator Z' coupling g (model charges: analysis option)",
    m_zp="light vector mediator Z' mass",
    g_phi="light scalar mediator coupling g_phi (g_phi^2 = g^nu g^q = g^nu g^e)",
    m_phi="light scalar mediator mass",
    rn_cs="neutron rms radius of Cs",
    rn_i="neutron rms radius of I",
    rn_ar="neutron rms radius of Ar (abundance-weighted)",
    rn_ge="neutron rms radius of Ge (abundance-weighted)",
    rn_xe="neutron rms radius of Xe (abundance-weighted)",
    dm2_41="3+1 sterile mass splitting Delta m^2_41",
    ue4sq="active-sterile mixing |U_e4|^2",
    umu4sq="active-sterile mixing |U_mu4|^2",
    utau4sq="active-sterile mixing |U_tau4|^2",
)
#: default mediator mass [MeV] (irrelevant while the coupling is 0)
DEFAULT_MEDIATOR_MASS = 10.0

#: parameters entering only through their modulus (sign-symmetric)
MODULUS_ONLY = tuple(
    n
    for n in UNITS
    if n.startswith("mu_") or (n.split("_", 1)[-1] in ("emu", "etau", "mutau") and not n.startswith("eps_"))
) + ("g_zp", "g_phi")
#: physical ranges of parameters that have one (None: unbounded on that side)
BOUNDS = {
    "sin2w": (0.0, 1.0),
    "m_zp": (1e-6, None),
    "m_phi": (1e-6, None),
    "dm2_41": (0.0, None),
    "ue4sq": (0.0, 1.0),
    "umu4sq": (0.0, 1.0),
    "utau4sq": (0.0, 1.0),
    "rn_cs": RN_RANGE,
    "rn_i": RN_RANGE,
    "rn_ar": RN_RANGE,
    "rn_ge": RN_RANGE,
    "rn_xe": RN_RANGE,
}
#: the parameters of the new-physics menu
NEW_PHYSICS = tuple(n for n in UNITS if n.startswith("eps_")) + (
    "g_zp",
    "m_zp",
    "g_phi",
    "m_phi",
    "rn_cs",
    "rn_i",
    "rn_ar",
    "rn_ge",
    "rn_xe",
    "dm2_41",
    "ue4sq",
    "umu4sq",
    "utau4sq",
)

# --- the monomial table ------------------------------------------------------------------
# A rate is sum_m monomial_m(params) x basis_m.  The monomials are products of the variables
# below; this table is the only place that says how parameters enter the rates, and
# :mod:`cevnsfit.physics.monomials` compiles it into index arrays evaluated for arrays of points.
# Adding a family that enters an amplitude linearly is adding variables here and monomial names
# to MONOMIALS (and the matching rows to the basis rates of physics/cevns.py and electron.py).

#: The coherent amplitude of a neutrino of flavour l is linear in these variables: symbol ->
#: parameter ("{ll}": the flavour's diagonal suffix ee/mumu/tautau; None: the constant 1; a
#: key of DERIVED: a function of a parameter).  u, d: vector NSI (:mod:`.nsi`); G: the light
#: vector mediator, whose amplitude is linear in g_zp^2 (:mod:`.mediators`).
AMPLITUDE_VARIABLES = {
    "1": None,
    "s": "sin2w",
    "R": "r2_{ll}",
    "C": "q_{ll}",
    "u": "eps_u_{ll}",
    "d": "eps_d_{ll}",
    "G": "g_zp^2",
}
#: The transition amplitude l -> x (x != l) is linear in these ("{lx}": the pair's suffix,
#: emu/etau/mutau); its square is summed over x.  A flavour-changing NSI and the transition EM
#: parameters of the same pair share this one amplitude.
TRANSITION_VARIABLES = {"R": "r2_{lx}", "C": "q_{lx}", "u": "eps_u_{lx}", "d": "eps_d_{lx}"}
#: Terms of the rate that do not interfere with the amplitudes: name -> the parameters whose
#: squares add up to it ("{l}": the flavour): the effective magnetic moment squared
#: mu_l^2 + mu_nu^2, and the light scalar mediator (g_phi^2)^2.
SQUARED_TERMS = {"mu2": ("mu_{l}", "mu_nu"), "phi4": ("g_phi^2",)}
#: Variables that are functions of one parameter: name -> (parameter, power).  The rates are
#: polynomials in them; :mod:`.monomials` differentiates them by the chain rule.
DERIVED = {"g_zp^2": ("g_zp", 2), "g_phi^2": ("g_phi", 2)}


def _pairs(symbols) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(symbols) for b in symbols[i:]]


#: Order of the monomials multiplying the basis rates of a neutrino of flavour l.  A name is a
#: product of amplitude variables ("1" alone is the constant, "sR" = s R), "T" + two transition
#: variables (summed over the other flavours), or a key of SQUARED_TERMS.  The 14 EM monomials
#: come first, then every product that involves a new-physics variable.
MONOMIALS: tuple[str, ...] = ("1", "s", "R", "C", "ss", "sR", "sC", "RR", "RC", "CC", "TRR", "TRC", "TCC", "mu2")
MONOMIALS = (
    MONOMIALS
    + tuple((b if a == "1" else a + b) for a, b in _pairs(tuple(AMPLITUDE_VARIABLES)) if {a, b} & {"u", "d", "G"})
    + tuple("T" + a + b for a, b in _pairs(tuple(TRANSITION_VARIABLES)) if {a, b} & {"u", "d"})
    + ("phi4",)
)
#: index pairs (j, k) of the amplitude variables (0: 1, 1: s, 2: R, 3: C) for the first 10 monomials
AMPLITUDE_PAIRS = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
N_MONOMIALS = len(MONOMIALS)


def diag_name(kind: str, flavour: str) -> str:
    return f"{kind}_{_DIAG[flavour]}"


def transition_name(kind: str, a: str, b: str) -> str:
    return f"{kind}_{_PAIR[(a, b)]}"


@dataclass(frozen=True)
class Params:
    """A point in parameter space (units in the module docstring)."""

    sin2w: float = SIN2W_0
    mu_e: float = 0.0
    mu_mu: float = 0.0
    mu_tau: float = 0.0
    mu_nu: float = 0.0
    r2_ee: float = r2_sm("e")
    r2_mumu: float = r2_sm("mu")
    r2_tautau: float = r2_sm("tau")
    r2_emu: float = 0.0
    r2_etau: float = 0.0
    r2_mutau: float = 0.0
    q_ee: float = 0.0
    q_mumu: float = 0.0
    q_tautau: float = 0.0
    q_emu: float = 0.0
    q_etau: float = 0.0
    q_mutau: float = 0.0
    eps_u_ee: float = 0.0
    eps_d_ee: float = 0.0
    eps_u_mumu: float = 0.0
    eps_d_mumu: float = 0.0
    eps_u_tautau: float = 0.0
    eps_d_tautau: float = 0.0
    eps_u_emu: float = 0.0
    eps_d_emu: float = 0.0
    eps_u_etau: float = 0.0
    eps_d_etau: float = 0.0
    eps_u_mutau: float = 0.0
    eps_d_mutau: float = 0.0
    g_zp: float = 0.0
    m_zp: float = DEFAULT_MEDIATOR_MASS
    g_phi: float = 0.0
    m_phi: float = DEFAULT_MEDIATOR_MASS
    rn_cs: float = RN_DEFAULTS["rn_cs"]
    rn_i: float = RN_DEFAULTS["rn_i"]
    rn_ar: float = RN_DEFAULTS["rn_ar"]
    rn_ge: float = RN_DEFAULTS["rn_ge"]
    rn_xe: float = RN_DEFAULTS["rn_xe"]
    dm2_41: float = 0.0
    ue4sq: float = 0.0
    umu4sq: float = 0.0
    utau4sq: float = 0.0

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
                raise ValueError(f"parameter {f.name} must be a finite number, got {v!r}")
        if not 0.0 <= self.sin2w <= 1.0:
            raise ValueError(f"sin2w must lie in [0, 1], got {self.sin2w}")
        check_bounds({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def sm(cls) -> Params:
        """The Standard Model point."""
        return cls()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, values: dict | None = None, base: Params | None = None) -> Params:
        """Build from ``{name: value}``; unknown names raise ValueError listing the allowed ones."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(cls.names()))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: {', '.join(cls.names())}")
        base = base or cls()
        clean = {}
        for k, v in values.items():
            try:
                clean[k] = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"parameter {k} must be a number, got {v!r}") from None
        return replace(base, **clean)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def with_(self, **kw) -> Params:
        return Params.from_dict(kw, base=self)

    # accessors -------------------------------------------------------------------------
    def mu(self, flavour: str) -> float:
        """Effective magnetic moment seen by flavour l: sqrt(mu_l^2 + mu_nu^2)."""
        return math.hypot(getattr(self, f"mu_{flavour}"), self.mu_nu)

    def r2(self, a: str, b: str | None = None) -> float:
        return getattr(self, diag_name("r2", a) if b is None or a == b else transition_name("r2", a, b))

    def q(self, a: str, b: str | None = None) -> float:
        return getattr(self, diag_name("q", a) if b is None or a == b else transition_name("q", a, b))

    def eps(self, quark: str, a: str, b: str | None = None) -> float:
        """Vector NSI eps^{qV}_{ab} (``quark`` "u" or "d"; symmetric in a, b)."""
        return getattr(
            self, diag_name(f"eps_{quark}", a) if b is None or a == b else transition_name(f"eps_{quark}", a, b)
        )

    def mixing(self, flavour: str) -> float:
        """|U_{l4}|^2 of the sterile state."""
        return getattr(self, {"e": "ue4sq", "mu": "umu4sq", "tau": "utau4sq"}[flavour])

    def non_default(self) -> dict[str, float]:
        """The parameters that differ from their defaults."""
        d = Params()
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != getattr(d, f.name)}


def check_bounds(values: dict) -> None:
    """Every value inside its physical range (:data:`BOUNDS`); arrays are checked elementwise.
    The mixings must also satisfy |U_e4|^2 + |U_mu4|^2 + |U_tau4|^2 <= 1."""
    for name, (lo, hi) in BOUNDS.items():
        if name not in values or name == "sin2w":
            continue
        v = np.asarray(values[name], float)
        if (lo is not None and np.any(v < lo)) or (hi is not None and np.any(v > hi)):
            rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise ValueError(f"parameter {name} must lie in {rng} {UNITS[name]}".rstrip() + f", got {values[name]}")
    if all(k in values for k in ("ue4sq", "umu4sq", "utau4sq")):
        tot = (
            np.asarray(values["ue4sq"], float)
            + np.asarray(values["umu4sq"], float)
            + np.asarray(values["utau4sq"], float)
        )
        if np.any(tot > 1.0 + 1e-12):
            raise ValueError(f"the sterile mixings must satisfy ue4sq + umu4sq + utau4sq <= 1, got {tot}")


def default_limits(name: str) -> tuple[float | None, float | None]:
    """Physical ranges: sin2w in [0, 1]; moduli (magnetic moments, transition parameters,
    mediator couplings) >= 0; masses > 0, neutron radii, mixings and Delta m^2 as
    :data:`BOUNDS`."""
    if name in BOUNDS:
        return BOUNDS[name]
    if name in MODULUS_ONLY:
        return (0.0, None)
    return (None, None)


def step_size(name: str) -> float:
    """Natural scale of a parameter (starting steps of fits, finite-difference steps)."""
    if name == "sin2w":
        return 0.01
    if name.startswith("mu_"):
        return 1.0
    if name.startswith("r2_"):
        return 1.0
    if name.startswith("q_"):
        return 1e-10
    if name in ("g_zp", "g_phi"):
        return 1e-5
    if name.startswith(("eps_", "rn_")) or name in ("ue4sq", "umu4sq", "utau4sq"):
        return 0.01
    if name in ("m_zp", "m_phi", "dm2_41"):
        return 1.0
    return 0.1


def monomials(p: Params, flavour: str) -> np.ndarray:
    """The 14 monomials (:data:`MONOMIALS`) of parameter point ``p`` for neutrino flavour
    ``flavour`` (evaluated by :mod:`cevnsfit.physics.monomials`)."""
    from .monomials import monomials as _monomials

    return _monomials(p, flavour)


def monomials_batch(values: dict, flavour: str, base: Params | None = None) -> np.ndarray:
    """Monomials for many points at once: ``values`` maps parameter names to equal-length arrays
    (missing names take ``base``'s value). Returns shape (n_points, 14)."""
    from .monomials import monomials_batch as _batch

    return _batch(values, flavour, base)
