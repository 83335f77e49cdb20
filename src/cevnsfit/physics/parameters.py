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
=============  ==============  ================================================================

A transition radius and the transition charge of the same pair add coherently in Q_ll', so
"through its modulus" holds for one of them while the other is zero (as in every shipped
analysis); with both free their relative sign matters.

"No new physics" therefore means: magnetic moments, millicharges and transition radii zero and
diagonal radii at their SM values (:meth:`Params.sm`).  The diagonal radius is the total radius
as in SPEC section 5, so a fit's SM point sits at <r^2> = <r^2>_SM.

Every rate in the package is a polynomial in these parameters (SPEC section 13): for a
neutrino of flavour l the coherent amplitude is linear in (1, sin2w, r2_ll, q_ll), transitions
add |Q_ll'|^2 quadratic in (r2_ll', q_ll'), and the magnetic moment adds mu_l^2 + mu_nu^2
(the moments add incoherently: a flavour-universal moment mu_nu is a common floor under the
flavoured ones, so with mu_e = mu_mu = mu_tau = 0 it is the moment solar experiments quote).
:func:`monomials` returns the 14 monomials, in the order of :data:`MONOMIALS`, that multiply the
precomputed basis rates (templates).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..constants import FLAVOURS, SIN2W_0
from .charge_radius import r2_sm

_PAIR = {("e", "mu"): "emu", ("mu", "e"): "emu", ("e", "tau"): "etau", ("tau", "e"): "etau",
         ("mu", "tau"): "mutau", ("tau", "mu"): "mutau"}
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

#: parameters entering only through their modulus (sign-symmetric)
MODULUS_ONLY = tuple(n for n in UNITS if n.startswith("mu_")
                     or n.split("_", 1)[-1] in ("emu", "etau", "mutau"))

#: Order of the 14 monomials multiplying the basis rates of a neutrino of flavour l.
#: Amplitude variables: 1, s = sin2w, R = r2_ll, C = q_ll; transitions T**: sum over l' != l.
MONOMIALS = ("1", "s", "R", "C", "ss", "sR", "sC", "RR", "RC", "CC", "TRR", "TRC", "TCC", "mu2")
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

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
                raise ValueError(f"parameter {f.name} must be a finite number, got {v!r}")
        if not 0.0 <= self.sin2w <= 1.0:
            raise ValueError(f"sin2w must lie in [0, 1], got {self.sin2w}")

    @classmethod
    def sm(cls) -> "Params":
        """The Standard Model point."""
        return cls()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, values: dict | None = None, base: "Params | None" = None) -> "Params":
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

    def with_(self, **kw) -> "Params":
        return Params.from_dict(kw, base=self)

    # accessors -------------------------------------------------------------------------
    def mu(self, flavour: str) -> float:
        """Effective magnetic moment seen by flavour l: sqrt(mu_l^2 + mu_nu^2)."""
        return math.hypot(getattr(self, f"mu_{flavour}"), self.mu_nu)

    def r2(self, a: str, b: str | None = None) -> float:
        return getattr(self, diag_name("r2", a) if b is None or a == b else transition_name("r2", a, b))

    def q(self, a: str, b: str | None = None) -> float:
        return getattr(self, diag_name("q", a) if b is None or a == b else transition_name("q", a, b))


def monomials(p: Params, flavour: str) -> np.ndarray:
    """The 14 monomials (:data:`MONOMIALS`) of parameter point ``p`` for neutrino flavour ``flavour``."""
    s, R, C = p.sin2w, p.r2(flavour), p.q(flavour)
    others = [f for f in FLAVOURS if f != flavour]
    tr = sum(p.r2(flavour, o) ** 2 for o in others)
    trc = sum(p.r2(flavour, o) * p.q(flavour, o) for o in others)
    tc = sum(p.q(flavour, o) ** 2 for o in others)
    return np.array([1.0, s, R, C, s * s, s * R, s * C, R * R, R * C, C * C, tr, trc, tc,
                     p.mu(flavour) ** 2])


def monomials_batch(values: dict[str, np.ndarray], flavour: str, base: Params | None = None) -> np.ndarray:
    """Monomials for many points at once: ``values`` maps parameter names to equal-length arrays
    (missing names take ``base``'s value). Returns shape (n_points, 14)."""
    base = base or Params()
    unknown = sorted(set(values) - set(Params.names()))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; allowed: {', '.join(Params.names())}")
    n = max((np.size(v) for v in values.values()), default=1)

    def get(name):
        v = np.asarray(values.get(name, getattr(base, name)), float)
        if not np.all(np.isfinite(v)):
            raise ValueError(f"parameter {name} must be finite")
        return np.broadcast_to(v, (n,))

    s, R, C = get("sin2w"), get(diag_name("r2", flavour)), get(diag_name("q", flavour))
    others = [f for f in FLAVOURS if f != flavour]
    tr = sum(get(transition_name("r2", flavour, o)) ** 2 for o in others)
    trc = sum(get(transition_name("r2", flavour, o)) * get(transition_name("q", flavour, o)) for o in others)
    tc = sum(get(transition_name("q", flavour, o)) ** 2 for o in others)
    mu2 = get(f"mu_{flavour}") ** 2 + get("mu_nu") ** 2
    one = np.ones(n)
    return np.stack([one, s, R, C, s * s, s * R, s * C, R * R, R * C, C * C, tr, trc, tc, mu2], axis=1)
