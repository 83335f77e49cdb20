"""The monomial table compiled into index arrays, and evaluated for arrays of parameter points.

Every rate is ``sum_m monomial_m(params) basis_m`` (:mod:`cevnsfit.physics.parameters`).  Each
monomial is a sum of *terms*, each term a product of two parameters (or of a parameter and the
constant 1): for flavour e, ``sR = sin2w * r2_ee``, ``TRR = r2_emu^2 + r2_etau^2``,
``mu2 = mu_e^2``.  :func:`compile_flavour` turns the table into three integer arrays -- the two
factors of every term (column indices into a parameter matrix whose column 0 is the constant 1)
and the monomial each term adds to -- so that for n points

    M = (V[:, a] * V[:, b]) @ S          (V: n x (1 + n_parameters), S: terms x monomials, 0/1)

is two array operations whatever the number of families, and the exact derivatives follow from
the same arrays: d(term)/dp = [a = p] V[:, b] + [b = p] V[:, a] and d2(term)/dp2 = 2 [a = b = p].
A variable may also be a function of one parameter (:data:`~cevnsfit.physics.parameters.DERIVED`,
e.g. g_zp^2, in which the light-mediator amplitude is linear): such columns are appended to V
for the evaluation and differentiated by the chain rule.

:class:`Points` holds n parameter points as such a matrix and returns, per flavour, the monomials
of each point along with their derivatives with respect to chosen parameters ("directions"),
shape (n, D, n_monomials): direction 0 is the value, then d/dp for each name of ``wrt``, then
d2/dp2 for each name of ``curvature``.  Because expected counts are linear in the monomials
(at fixed nuisances), a data set that contracts all D directions with its templates in one matrix
product gets the prediction and its exact physics-parameter Jacobian from the same contraction.
No :class:`~cevnsfit.physics.parameters.Params` object is built on this path.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from ..constants import FLAVOURS
from .parameters import (
    _DIAG,
    AMPLITUDE_VARIABLES,
    DERIVED,
    MONOMIALS,
    SQUARED_TERMS,
    TRANSITION_VARIABLES,
    Params,
    transition_name,
)


@cache
def parameter_names() -> tuple[str, ...]:
    return Params.names()


@cache
def parameter_index() -> dict[str, int]:
    """Column of each parameter in a :class:`Points` matrix (column 0 is the constant 1)."""
    return {n: i + 1 for i, n in enumerate(parameter_names())}


@cache
def column_index() -> dict[str, int]:
    """Columns of the evaluation matrix: the parameters (as :func:`parameter_index`), then the
    derived variables of :data:`~cevnsfit.physics.parameters.DERIVED`."""
    out = dict(parameter_index())
    for k, name in enumerate(DERIVED):
        out[name] = len(parameter_names()) + 1 + k
    return out


@cache
def _derived_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(derived column, its parameter's column, power) of every derived variable."""
    idx, cols = parameter_index(), column_index()
    return (
        np.array([cols[n] for n in DERIVED], dtype=int),
        np.array([idx[p] for p, _ in DERIVED.values()], dtype=int),
        np.array([float(k) for _, k in DERIVED.values()]),
    )


def _extended(V: np.ndarray) -> np.ndarray:
    """V with the derived-variable columns appended."""
    if not DERIVED:
        return V
    _, base, power = _derived_arrays()
    return np.concatenate([V, V[:, base] ** power], axis=1)


def _resolve(pattern: str | None, flavour: str, other: str | None = None) -> str | None:
    if pattern is None:
        return None
    out = pattern.replace("{ll}", _DIAG[flavour]).replace("{l}", flavour)
    if "{lx}" in out:
        assert other is not None, f"{pattern}: a transition pattern needs the other flavour"
        out = out.replace("{lx}", transition_name("x", flavour, other)[2:])
    return out


def monomial_terms(name: str, flavour: str) -> list[tuple[str | None, str | None]]:
    """The terms of monomial ``name`` for ``flavour``: pairs of parameter names (None = 1)."""
    if name in SQUARED_TERMS:
        ps = SQUARED_TERMS[name]
        return [(q, q) for q in (_resolve(x, flavour) for x in ((ps,) if isinstance(ps, str) else ps))]
    if name.startswith("T") and len(name) == 3 and all(c in TRANSITION_VARIABLES for c in name[1:]):
        return [
            (_resolve(TRANSITION_VARIABLES[name[1]], flavour, o), _resolve(TRANSITION_VARIABLES[name[2]], flavour, o))
            for o in FLAVOURS
            if o != flavour
        ]
    if name == "1":
        return [(None, None)]
    if not 1 <= len(name) <= 2 or not all(c in AMPLITUDE_VARIABLES for c in name):
        raise ValueError(
            f"monomial {name!r} is not a product of at most two amplitude variables "
            f"{tuple(AMPLITUDE_VARIABLES)}, a transition term T.. or one of {tuple(SQUARED_TERMS)}"
        )
    pv = [_resolve(AMPLITUDE_VARIABLES[c], flavour) for c in name]
    return [(pv[0], pv[1] if len(pv) == 2 else None)]


@cache
def compile_flavour(flavour: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, S)`` for flavour: factor columns of every term and the (terms x monomials) 0/1
    matrix that sums terms into monomials."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {FLAVOURS}")
    idx = column_index()
    a, b, rows = [], [], []
    for m, name in enumerate(MONOMIALS):
        for pa, pb in monomial_terms(name, flavour):
            a.append(0 if pa is None else idx[pa])
            b.append(0 if pb is None else idx[pb])
            rows.append(m)
    S = np.zeros((len(rows), len(MONOMIALS)))
    S[np.arange(len(rows)), rows] = 1.0
    return np.array(a), np.array(b), S


@cache
def _table_parameters() -> frozenset:
    out: set = set()
    for f in FLAVOURS:
        for name in MONOMIALS:
            for pa, pb in monomial_terms(name, f):
                out.update(DERIVED[x][0] if x in DERIVED else x for x in (pa, pb) if x is not None)
    return frozenset(out)


#: every parameter that enters the rates through the monomial table
MONOMIAL_PARAMETERS = _table_parameters()


@cache
def _default_row() -> np.ndarray:
    row = np.empty(1 + len(parameter_names()))
    row[0] = 1.0
    row[1:] = list(Params().__dict__.values())
    row.setflags(write=False)
    return row


def _params_row(p: Params) -> np.ndarray:
    row = np.empty(1 + len(parameter_names()))
    row[0] = 1.0
    row[1:] = list(p.__dict__.values())  # the dataclass fields, in their order
    return row


class Points:
    """n physics parameter points as an (n, 1 + n_parameters) matrix, with derivative directions.

    Parameters
    ----------
    values : {name: scalar or (n,) array} -- parameters that differ from ``base``
    base : :class:`Params` (default: the SM point) for every other parameter
    wrt : parameter names: directions d/dp (first derivatives), in this order
    curvature : parameter names: directions d2/dp2 (second derivatives), in this order
    """

    __slots__ = ("D", "V", "_cache", "curvature", "n", "wrt")

    def __init__(self, values=None, base: Params | None = None, wrt=(), curvature=()):
        idx = parameter_index()
        values = values or {}
        unknown = [k for k in values if k not in idx]
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; allowed: {', '.join(parameter_names())}")
        n = 1
        for v in values.values():
            s = np.size(v)
            if s != 1:
                if n != 1 and s != n:
                    raise ValueError(f"parameter arrays of different lengths ({n} and {s})")
                n = s
        row = _default_row() if base is None else _params_row(base)
        V = np.empty((n, row.size))
        V[:] = row
        for k, v in values.items():
            V[:, idx[k]] = v
        if not np.isfinite(V).all():
            bad = [k for k in values if not np.all(np.isfinite(V[:, idx[k]]))]
            raise ValueError(f"parameter(s) {bad} must be finite")
        self._init(V, wrt, curvature)

    def _init(self, V, wrt, curvature):
        idx = parameter_index()
        for p in (*wrt, *curvature):
            if p not in idx:
                raise ValueError(f"unknown parameter {p!r}; allowed: {', '.join(parameter_names())}")
        self.V = V
        self.n = V.shape[0]
        self.wrt = tuple(wrt)
        self.curvature = tuple(curvature)
        self.D = 1 + len(self.wrt) + len(self.curvature)
        self._cache = {}

    @classmethod
    def from_params(cls, p: Params, wrt=(), curvature=()) -> Points:
        """One point (n = 1) from a validated :class:`Params`."""
        self = cls.__new__(cls)
        self._init(_params_row(p)[None, :], wrt, curvature)
        return self

    @classmethod
    def from_matrix(cls, V: np.ndarray, wrt=(), curvature=()) -> Points:
        """From a ready (n, 1 + n_parameters) matrix (column 0 must hold 1)."""
        self = cls.__new__(cls)
        self._init(V, wrt, curvature)
        return self

    def moved(self, allowed: frozenset) -> list[str]:
        """The parameters outside ``allowed`` that differ from their default at any point (sorted)."""
        cols = _outside(allowed)
        if not cols.size or not np.any(self.V[:, cols] != _default_row()[cols]):
            return []
        names = parameter_names()
        return sorted({names[c - 1] for c in cols if np.any(self.V[:, c] != _default_row()[c])})

    def check_only(self, allowed: frozenset) -> None:
        """ValueError if a parameter outside ``allowed`` differs from its default at any point
        (a prediction that does not model a parameter must refuse it, never ignore it)."""
        bad = self.moved(allowed)
        if bad:
            raise ValueError(
                f"parameter(s) {', '.join(bad)} are not modelled by this prediction "
                "(they must stay at their defaults here)"
            )

    def get(self, name: str) -> np.ndarray:
        """The (n,) values of one parameter."""
        return self.V[:, parameter_index()[name]]

    def params(self, i: int = 0) -> Params:
        """Point ``i`` as a validated :class:`Params` (not for hot loops)."""
        return Params(**dict(zip(parameter_names(), self.V[i, 1:].tolist(), strict=True)))

    def monomials(self, flavour: str) -> np.ndarray:
        """(n, D, n_monomials): the monomials of ``flavour`` and their derivative directions."""
        hit = self._cache.get(flavour)
        if hit is not None:
            return hit
        a, b, S = compile_flavour(flavour)
        W = _extended(self.V)
        Wa, Wb = W[:, a], W[:, b]
        if self.D == 1:
            out = ((Wa * Wb) @ S)[:, None, :]
        else:
            out = np.empty((self.n, self.D, S.shape[1]))
            out[:, 0] = (Wa * Wb) @ S
            k = 1
            if self.wrt:
                da, db, _, _ = self._factor_derivatives(a, b, self.wrt)  # (n, P, terms)
                d = da * Wb[:, None, :] + db * Wa[:, None, :]
                out[:, k : k + len(self.wrt)] = d @ S
                k += len(self.wrt)
            if self.curvature:
                da, db, d2a, d2b = self._factor_derivatives(a, b, self.curvature)
                d2 = d2a * Wb[:, None, :] + 2.0 * da * db + d2b * Wa[:, None, :]
                out[:, k:] = d2 @ S
        self._cache[flavour] = out
        return out

    def _factor_derivatives(self, a, b, names):
        """First and second derivatives of the two factors of every term with respect to each
        parameter of ``names``: (n, P, terms) arrays da, db, d2a, d2b (a derived variable x^k
        contributes k x^(k-1) and k (k-1) x^(k-2))."""
        idx = parameter_index()
        cols = np.array([idx[p] for p in names])
        da = np.broadcast_to((a[None, :] == cols[:, None]).astype(float), (self.n, cols.size, a.size)).copy()
        db = np.broadcast_to((b[None, :] == cols[:, None]).astype(float), (self.n, cols.size, b.size)).copy()
        d2a = np.zeros_like(da)
        d2b = np.zeros_like(db)
        dcol, base, power = _derived_arrays()
        for c, pcol, k in zip(dcol, base, power, strict=True):
            hit = np.flatnonzero(cols == pcol)
            if hit.size == 0:
                continue
            x = self.V[:, pcol][:, None]
            first = k * x ** (k - 1.0)
            second = k * (k - 1.0) * x ** (k - 2.0)
            for j in hit:
                da[:, j] += first * (a == c)[None, :]
                db[:, j] += first * (b == c)[None, :]
                d2a[:, j] += second * (a == c)[None, :]
                d2b[:, j] += second * (b == c)[None, :]
        return da, db, d2a, d2b


@lru_cache(maxsize=64)
def _outside(allowed: frozenset) -> np.ndarray:
    return np.array([i for n, i in parameter_index().items() if n not in allowed], dtype=int)


def monomials(p: Params, flavour: str) -> np.ndarray:
    """The 14 monomials (:data:`~cevnsfit.physics.parameters.MONOMIALS`) of parameter point
    ``p`` for neutrino flavour ``flavour``."""
    pts = Points.from_params(p)
    pts.check_only(MONOMIAL_PARAMETERS)
    return pts.monomials(flavour)[0, 0]


def monomials_batch(values: dict, flavour: str, base: Params | None = None) -> np.ndarray:
    """Monomials for many points at once: ``values`` maps parameter names to equal-length arrays
    (missing names take ``base``'s value). Returns shape (n_points, 14)."""
    pts = Points(values, base)
    pts.check_only(MONOMIAL_PARAMETERS)
    return pts.monomials(flavour)[:, 0, :]
