"""Quenching: the electron-equivalent energy E_ee seen for a nuclear recoil of energy T.

Units everywhere: nuclear recoil energy T in keVnr, electron-equivalent energy E_ee in keVee,
quenching factor QF = E_ee / T (dimensionless), Jacobian dE_ee/dT in keVee/keVnr.

Every model is a :class:`QuenchingModel` with the vectorised methods

* :meth:`~QuenchingModel.eee`       T -> E_ee(T)
* :meth:`~QuenchingModel.recoil`    E_ee -> T (the inverse; needs E_ee(T) strictly increasing)
* :meth:`~QuenchingModel.jacobian`  T -> dE_ee/dT
* :meth:`~QuenchingModel.qf`        T -> E_ee/T  (at T = 0 the limit dE_ee/dT(0))

Inputs are validated: NaN, infinite or negative energies raise :class:`ValueError`.
Scalars in give floats out; arrays give arrays of the same shape.

Models (docs/physics.md)
-----------------------
:class:`CsIPolynomial`
    COHERENT CsI[Na] 2021: E_ee = a x + b x^2 + c x^3 + d x^4, x = T in MeVnr, E_ee in MeVee,
    coefficients (nominal and four +-1 sigma variants) from the data release file
    ``coherent_csi_2021/scintRespCoefficients.txt`` (arXiv:2110.07730v2 ancillary files).
    dE_ee/dT > 0 for every T >= 0 for all five coefficient sets (the cubic dE/dx has one negative
    real root and a complex pair), but above ~60 keVnr the quartic turns up unphysically
    (QF 0.09 at 60 keVnr -> 0.21 at 100 keVnr).  The polynomial is therefore used on
    [0, ``t_linear``] (default 60 keVnr, which covers the SNS kinematic endpoints: T_max ~45 keVnr
    for Cs and ~47 keVnr for I from 52.8 MeV neutrinos) and continued *linearly* above it
    (E_ee and dE_ee/dT continuous at ``t_linear``).
:class:`ArgonLinear`
    COHERENT CENNS-10 LAr 2020 (Analysis A): E_ee = (a + b T) T with a = 0.246, b = 0.00078
    keVnr^-1 (``LArParametersAnlA.yaml``).  Inverse in closed form.
:class:`GeTable`
    Germanium Fef (iron-filtered neutrons) and YBe (photo-neutron) quenching curves of
    Collar, Kavner & Lewis, PRD 103, 122003 (2021), as used by Dresden-II (PRL 129, 211802),
    tabulated in ``ge_quenching/QF_Fef_YBe.txt`` on 0 <= T <= 4.5 keVnr in 0.01 keVnr steps.
    Interpolation: monotone cubic Hermite (PCHIP) of E_ee = T * QF(T) through the table nodes, so
    E_ee is C^1, monotone, and the Jacobian (the interpolant's derivative) is continuous.  The
    table starts at QF(0) = 0.4361 (Fef) / 0.3774 (YBe): finite, so E_ee -> QF(0) T as T -> 0.

    *Monotonicity.*  YBe: E_ee(T) strictly increases on the table.  Fef: it does NOT.  Below
    1.35 keVnr Fef is the linear fit QF = 0.4361 - 0.192 T, so E_ee = T QF peaks at
    T = 1.14 keVnr (E_ee = 0.2476 keVee), dips to 0.2404 keVee at 1.35 keVnr where the Lindhard
    (k = 0.157) branch takes over, and exceeds 0.2476 keVee again only from T = 1.39 keVnr.  With
    ``monotone=True`` (default) only the table nodes that are strict running maxima of E_ee are
    kept (here the 24 nodes 1.15 ... 1.38 keVnr are dropped) and the PCHIP runs through the rest:
    on 1.14-1.39 keVnr E_ee rises slowly from 0.2476 to 0.2484 keVee (dE_ee/dT ~ 3e-4 ... 1e-2).
    This is the least change that makes the inverse exist: E_ee differs from the published curve
    only on 1.13-1.40 keVnr (PCHIP slopes of the neighbouring cells), where it lies above it by at
    most 8.5 eV ee (and below it by at most 0.3 eV), small against the Dresden-II
    resolution (~70 eV).  Beware: a spectrum converted with 1/Jacobian piles up in that 0.8 eV
    wide E_ee interval (the published curve has the same feature: a fold, i.e. an integrable
    1/sqrt spike); smear with the resolution before binning.  ``monotone=False`` keeps the
    published curve: :meth:`eee` is then exact but :meth:`recoil` raises and the Jacobian is
    negative on 1.14-1.35 keVnr.  Folding the response by integrating over T
    (sum over dT dR/dT * P(obs | E_ee(T))) needs neither inverse nor Jacobian and works for both.
    Away from the 1.35 keVnr kink the PCHIP of E_ee agrees with linear interpolation of QF to
    < 3e-5 relative (6.5e-4 next to the kink).

    *Above 4.5 keVnr* (``tail="lindhard"``, default): Lindhard k = 0.157, Z = 32 scaled to match
    the table at 4.5 keVnr (scale 0.99994 for Fef -- Fef *is* Lindhard k = 0.157 above
    1.35 keVnr -- and 1.0443 for YBe, keeping YBe's rising trend).  ``tail="clamp"`` keeps QF fixed
    at the last tabulated value instead.  Reactor CEvNS recoils in Ge stop at ~3 keVnr, so the tail
    only matters for inverting E_ee above ~0.94 keVee.
:class:`Lindhard`
    Q = k g(eps) / (1 + k g(eps)), g = 3 eps^0.15 + 0.7 eps^0.6 + eps, eps = 11.5 Z^(-7/3) T[keV]
    (Lindhard et al. 1963).  Default k = 0.157, Z = 32 (Ge).  Jacobian analytic:
    dE/dT = Q + k (0.45 eps^0.15 + 0.42 eps^0.6 + eps) / (1 + k g)^2.

:func:`quenching_model` builds a model from a name: "csi", "ar", "fef", "ybe", "lindhard".
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from functools import cache

import numpy as np

from cevnsfit import data

__all__ = [
    "CSI_VARIANTS",
    "GE_TABLES",
    "MODEL_NAMES",
    "ArgonLinear",
    "CsIPolynomial",
    "GeTable",
    "Lindhard",
    "QuenchingModel",
    "csi_coefficients",
    "quenching_model",
]

CSI_FILE = "coherent_csi_2021/scintRespCoefficients.txt"
GE_FILE = "ge_quenching/QF_Fef_YBe.txt"

#: CsI scintillation-response variants in scintRespCoefficients.txt.
CSI_VARIANTS = ("nominal", "model0+", "model0-", "model1+", "model1-")
#: Ge QF tables (column of QF_Fef_YBe.txt: 1 = Fef, 2 = YBe).
GE_TABLES = {"fef": 1, "ybe": 2}
#: Names accepted by :func:`quenching_model`.
MODEL_NAMES = ("csi", "ar", "fef", "ybe", "lindhard")


def _as_energy(x, what: str) -> tuple[np.ndarray, bool]:
    """Validated float array of energies (and whether the input was a scalar)."""
    arr = np.asarray(x, dtype=float)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{what} contains NaN")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{what} must be finite")
    if np.any(arr < 0):
        raise ValueError(f"{what} must be non-negative (got min {arr.min()!r})")
    return arr, arr.ndim == 0


def _out(arr: np.ndarray, scalar: bool):
    return float(arr) if scalar else arr


class QuenchingModel(ABC):
    """E_ee(T) for nuclear recoils: T in keVnr, E_ee in keVee.

    Subclasses implement :meth:`_eee` and :meth:`_jacobian` on validated float arrays; the
    generic inverse :meth:`_recoil` is a safeguarded (bracketed) Newton iteration started from a
    dense monotone table, accurate to ~1e-13 relative.  Subclasses may override it.
    """

    #: short name
    name: str = ""
    #: upper end [keVnr] of the dense table used to start the inverse (doubling beyond it).
    _t_table_max: float = 100.0

    # --- to implement -----------------------------------------------------------------------
    @abstractmethod
    def _eee(self, t: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _jacobian(self, t: np.ndarray) -> np.ndarray: ...

    # --- public API -------------------------------------------------------------------------
    def eee(self, t):
        """Electron-equivalent energy E_ee [keVee] for recoil energy ``t`` [keVnr]."""
        t, s = _as_energy(t, "recoil energy T [keVnr]")
        return _out(self._eee(t), s)

    def jacobian(self, t):
        """dE_ee/dT [keVee/keVnr] at recoil energy ``t`` [keVnr]."""
        t, s = _as_energy(t, "recoil energy T [keVnr]")
        return _out(self._jacobian(t), s)

    def qf(self, t):
        """Quenching factor E_ee/T at ``t`` [keVnr]; at T = 0 the limit dE_ee/dT(0)."""
        t, s = _as_energy(t, "recoil energy T [keVnr]")
        pos = t > 0
        safe = np.where(pos, t, 1.0)
        q = np.where(pos, self._eee(safe) / safe, self._jacobian(np.zeros_like(t)))
        return _out(q, s)

    def recoil(self, eee):
        """Inverse: the recoil energy T [keVnr] giving E_ee = ``eee`` [keVee]."""
        e, s = _as_energy(eee, "electron-equivalent energy E_ee [keVee]")
        return _out(self._recoil(e), s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # --- generic inverse --------------------------------------------------------------------
    def _grid(self):
        g = getattr(self, "_inv_grid", None)
        if g is None:
            t = np.concatenate([[0.0], np.geomspace(1e-6, self._t_table_max, 6000)])
            e = self._eee(t)
            if np.any(np.diff(e) <= 0):
                raise ValueError(
                    f"{self!r}: E_ee(T) is not strictly increasing on [0, {self._t_table_max}] keVnr; "
                    "the inverse does not exist"
                )
            g = (t, e)
            self._inv_grid = g
        return g

    def _recoil(self, e: np.ndarray) -> np.ndarray:
        shape = e.shape
        e = e.ravel()
        tg, eg = self._grid()
        k = np.clip(np.searchsorted(eg, e, side="right") - 1, 0, tg.size - 2)
        lo, hi = tg[k].copy(), tg[k + 1].copy()
        # above the table: double the upper bracket until it is above the target
        out_ = e >= eg[-1]
        if np.any(out_):
            lo[out_] = tg[-1]
            hi[out_] = 2.0 * tg[-1]
            for _ in range(2000):
                need = out_ & (self._eee(hi) < e)
                if not np.any(need):
                    break
                lo[need] = hi[need]
                hi[need] *= 2.0
            else:  # pragma: no cover
                raise ValueError(f"{self!r}: cannot bracket the inverse for E_ee up to {e.max()}")
        # start from linear interpolation inside the bracket
        elo, ehi = self._eee(lo), self._eee(hi)
        w = np.where(ehi > elo, (e - elo) / np.where(ehi > elo, ehi - elo, 1.0), 0.5)
        t = lo + np.clip(w, 0.0, 1.0) * (hi - lo)
        done = e == 0
        t[done] = 0.0
        for _ in range(200):
            f = self._eee(t) - e
            lo = np.where(f < 0, t, lo)
            hi = np.where(f > 0, t, hi)
            d = self._jacobian(t)
            with np.errstate(divide="ignore", invalid="ignore"):
                tn = t - f / d
            bad = ~((tn > lo) & (tn < hi)) | ~np.isfinite(tn)
            tn = np.where(bad, 0.5 * (lo + hi), tn)
            tn = np.where(done | (f == 0), t, tn)
            conv = np.abs(tn - t) <= 1e-14 * np.abs(tn) + 1e-300
            t = tn
            done = done | conv
            if np.all(done):
                break
        return t.reshape(shape)


# =============================================================================================
# CsI[Na]
# =============================================================================================
@cache
def _read_csi_file() -> dict[str, tuple[float, float, float, float]]:
    """Parse scintRespCoefficients.txt: comment lines name the coefficient line that follows."""
    out: dict[str, tuple[float, float, float, float]] = {}
    label = None
    for line in data.path(CSI_FILE).read_text().splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            if "nominal" in s.lower():
                label = "nominal"
            else:
                m = re.search(r"syst\w*\s+model\s+(\d+)\s*,\s*([+-])\s*1\s*sigma", s, re.I)
                label = f"model{m.group(1)}{m.group(2)}" if m else None
            continue
        vals = tuple(float(v) for v in s.split())
        if label is None or len(vals) != 4:
            raise ValueError(f"{CSI_FILE}: cannot interpret line {line!r}")
        out[label] = vals
        label = None
    if set(out) != set(CSI_VARIANTS):
        raise ValueError(f"{CSI_FILE}: expected variants {CSI_VARIANTS}, found {tuple(out)}")
    return out


def csi_coefficients(variant: str = "nominal") -> tuple[float, float, float, float]:
    """(a, b, c, d) of E_ee[MeVee] = a x + b x^2 + c x^3 + d x^4, x = T[MeVnr], for ``variant``."""
    if variant not in CSI_VARIANTS:
        raise ValueError(f"unknown CsI quenching variant {variant!r}; allowed: {CSI_VARIANTS}")
    return _read_csi_file()[variant]


class CsIPolynomial(QuenchingModel):
    """COHERENT CsI[Na] 2021 scintillation response (quartic in T, linear above ``t_linear``).

    E_ee[MeVee] = a x + b x^2 + c x^3 + d x^4, x = T[MeVnr] (scintRespCoefficients.txt,
    arXiv:2110.07730v2 ancillary files).  In keV: E_ee = 1e3 * poly(T / 1e3).

    Parameters
    ----------
    variant : one of :data:`CSI_VARIANTS` ("nominal", "model0+", "model0-", "model1+", "model1-").
    t_linear : keVnr; above it E_ee is continued linearly with the slope at ``t_linear``
        (default 60 keVnr: beyond the SNS endpoints ~45-47 keVnr, before the quartic turns up).
    coefficients : optional (a, b, c, d) overriding the file (same units as the file).

    Raises ValueError if dE_ee/dT is not positive on [0, t_linear].
    """

    _t_table_max = 200.0

    def __init__(self, variant: str = "nominal", t_linear: float = 60.0, coefficients=None):
        if coefficients is None:
            coefficients = csi_coefficients(variant)
            self.name = f"csi:{variant}"
        else:
            variant = "custom"
            self.name = "csi:custom"
        a, b, c, d = (float(v) for v in coefficients)
        if not (np.isfinite(t_linear) and t_linear > 0):
            raise ValueError("t_linear must be positive and finite [keVnr]")
        self.variant = variant
        self.coefficients = (a, b, c, d)
        self.t_linear = float(t_linear)
        # coefficients of E_ee[keVee] in powers of T[keVnr]
        self._p = np.array([a, b * 1e-3, c * 1e-6, d * 1e-9])
        # monotonicity on [0, t_linear]: real roots of dE/dT inside the interval, and the sign
        dp = np.polynomial.Polynomial(self._p * np.arange(1, 5))
        roots = dp.roots()
        real = roots[np.abs(roots.imag) < 1e-12].real
        inside = real[(real >= 0) & (real <= self.t_linear)]
        if inside.size or dp(0.0) <= 0 or dp(self.t_linear) <= 0:
            raise ValueError(f"CsI polynomial {self.coefficients} is not increasing on [0, {t_linear}] keVnr")
        self._e_lin = float(self._poly(np.array(self.t_linear)))
        self._s_lin = float(self._dpoly(np.array(self.t_linear)))

    def _poly(self, t):
        a, b, c, d = self._p
        return t * (a + t * (b + t * (c + t * d)))

    def _dpoly(self, t):
        a, b, c, d = self._p
        return a + t * (2 * b + t * (3 * c + t * 4 * d))

    def _eee(self, t):
        return np.where(t <= self.t_linear, self._poly(t), self._e_lin + self._s_lin * (t - self.t_linear))

    def _jacobian(self, t):
        return np.where(t <= self.t_linear, self._dpoly(t), self._s_lin)


# =============================================================================================
# Argon
# =============================================================================================
class ArgonLinear(QuenchingModel):
    """COHERENT CENNS-10 LAr: QF = a + b T, E_ee = (a + b T) T (T in keVnr).

    Defaults a = 0.246, b = 0.00078 keVnr^-1 (LArParametersAnlA.yaml; uncertainties 0.006 and
    0.00009).  Requires a > 0, b >= 0 (then E_ee is increasing for all T >= 0).
    Inverse: T = 2 E / (a + sqrt(a^2 + 4 b E)) (the cancellation-free root of b T^2 + a T - E).
    """

    _t_table_max = 1000.0

    def __init__(self, a: float = 0.246, b: float = 0.00078):
        a, b = float(a), float(b)
        if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b >= 0):
            raise ValueError("ArgonLinear needs a > 0 and b >= 0")
        self.a, self.b = a, b
        self.name = "ar"

    def _eee(self, t):
        return (self.a + self.b * t) * t

    def _jacobian(self, t):
        return self.a + 2.0 * self.b * t

    def _recoil(self, e):
        return 2.0 * e / (self.a + np.sqrt(self.a**2 + 4.0 * self.b * e))


# =============================================================================================
# Lindhard
# =============================================================================================
class Lindhard(QuenchingModel):
    """Lindhard quenching: Q = k g / (1 + k g), g = 3 eps^0.15 + 0.7 eps^0.6 + eps,
    eps = 11.5 Z^(-7/3) T[keV]  (J. Lindhard et al., Mat. Fys. Medd. 33 (1963) 10).

    Defaults k = 0.157, Z = 32 (germanium; CONUS favours k = 0.162 +- 0.004).
    E_ee = Q T; dE_ee/dT = Q + k (0.45 eps^0.15 + 0.42 eps^0.6 + eps) / (1 + k g)^2 (analytic).
    E_ee ~ T^1.15 as T -> 0, so dE_ee/dT(0) = QF(0) = 0.  The formula is commonly trusted down to
    ~0.25 keVnr in Ge; below that it is an extrapolation.
    """

    _t_table_max = 1000.0

    def __init__(self, k: float = 0.157, Z: float = 32):
        k, Z = float(k), float(Z)
        if not (k > 0 and Z > 0 and np.isfinite(k) and np.isfinite(Z)):
            raise ValueError("Lindhard needs k > 0 and Z > 0")
        self.k, self.Z = k, Z
        self._c = 11.5 * Z ** (-7.0 / 3.0)
        self.name = f"lindhard(k={k:g},Z={Z:g})"

    def _parts(self, t):
        eps = self._c * t
        e15, e60 = eps**0.15, eps**0.6
        g = 3.0 * e15 + 0.7 * e60 + eps
        return eps, e15, e60, g

    def quench(self, t: np.ndarray) -> np.ndarray:
        """Q(T) for validated arrays (also used by the Ge table tails)."""
        _, _, _, g = self._parts(t)
        return self.k * g / (1.0 + self.k * g)

    def _eee(self, t):
        return self.quench(t) * t

    def _jacobian(self, t):
        eps, e15, e60, g = self._parts(t)
        kg1 = 1.0 + self.k * g
        return self.k * g / kg1 + self.k * (0.45 * e15 + 0.42 * e60 + eps) / kg1**2


# =============================================================================================
# Germanium tables
# =============================================================================================
@cache
def _read_ge_table() -> np.ndarray:
    tab = np.loadtxt(data.path(GE_FILE))
    if tab.ndim != 2 or tab.shape[1] < 3 or np.any(np.diff(tab[:, 0]) <= 0):
        raise ValueError(f"{GE_FILE}: expected columns T[keVnr], QF Fef, QF YBe on an increasing grid")
    return tab


class PiecewiseCubic:
    """A piecewise polynomial (scipy's PPoly layout: breakpoints ``x``, coefficients ``c`` of shape
    (degree + 1, n_intervals), highest power first) evaluated with numpy by Horner's rule, NaN
    outside [x[0], x[-1]].  Stored as plain arrays, so that a built data set holding one is read
    back without importing scipy.interpolate."""

    def __init__(self, x, c):
        self.x = np.asarray(x, float)
        self.c = np.asarray(c, float)

    def __call__(self, t):
        t = np.asarray(t, float)
        i = np.clip(np.searchsorted(self.x, t, side="right") - 1, 0, self.x.size - 2)
        dx = t - self.x[i]
        out = self.c[0, i]
        for k in range(1, self.c.shape[0]):
            out = out * dx + self.c[k, i]
        return np.where((t >= self.x[0]) & (t <= self.x[-1]), out, np.nan)


class GeTable(QuenchingModel):
    """Germanium QF table (Collar et al., PRD 103, 122003 (2021)) interpolated monotonically.

    Parameters
    ----------
    name : "fef" or "ybe"
    monotone : keep only nodes where E_ee = T QF is a strict running maximum (default True; see
        the module docstring: changes Fef on 1.13-1.40 keVnr by at most 8.5 eV ee, YBe not at all).
    tail : beyond the table (4.5 keVnr) "lindhard" (Lindhard k = 0.157, Z = 32 scaled to the last
        tabulated QF; default) or "clamp" (QF fixed at the last value).

    Attributes
    ----------
    t_nodes, e_nodes : the nodes the PCHIP of E_ee(T) passes through.
    dropped_nodes : T [keVnr] of table nodes removed by the monotone fix.
    t_end, qf_end : last tabulated T and QF; tail_scale : Lindhard scale factor of the tail.
    """

    _t_table_max = 50.0

    def __init__(self, name: str = "fef", monotone: bool = True, tail: str = "lindhard"):
        key = str(name).lower()
        if key not in GE_TABLES:
            raise ValueError(f"unknown Ge QF table {name!r}; allowed: {tuple(GE_TABLES)}")
        if tail not in ("lindhard", "clamp"):
            raise ValueError("tail must be 'lindhard' or 'clamp'")
        tab = _read_ge_table()
        t = tab[:, 0]
        q = tab[:, GE_TABLES[key]]
        if np.any(q <= 0) or t[0] != 0.0:
            raise ValueError(f"{GE_FILE}: QF must be positive and the grid start at 0")
        e = t * q
        if monotone:
            keep = np.zeros(t.size, bool)
            best = -np.inf
            for i, ei in enumerate(e):
                if ei > best:
                    keep[i] = True
                    best = ei
        else:
            keep = np.ones(t.size, bool)
        self.name = key
        self.monotone = bool(monotone)
        self.tail = tail
        self.t_nodes, self.e_nodes = t[keep], e[keep]
        self.dropped_nodes = t[~keep]
        self.t_end, self.qf_end = float(t[-1]), float(q[-1])
        from scipy.interpolate import PchipInterpolator

        pchip = PchipInterpolator(self.t_nodes, self.e_nodes, extrapolate=False)
        self._pchip = PiecewiseCubic(pchip.x, pchip.c)
        self._dpchip = PiecewiseCubic(pchip.x, pchip.derivative().c)
        self._lind = Lindhard(0.157, 32)
        lend = float(self._lind.quench(np.array(self.t_end)))
        self.tail_scale = self.qf_end / lend if tail == "lindhard" else None

    def _eee(self, t):
        inside = t <= self.t_end
        ti = np.where(inside, t, self.t_end)
        ein = self._pchip(ti)
        to = np.where(inside, self.t_end, t)
        if self.tail == "lindhard":
            eout = self.tail_scale * self._lind.quench(to) * to
        else:
            eout = self.qf_end * to
        return np.where(inside, ein, eout)

    def _jacobian(self, t):
        inside = t <= self.t_end
        ti = np.where(inside, t, self.t_end)
        din = self._dpchip(ti)
        to = np.where(inside, self.t_end, t)
        dout = self.tail_scale * self._lind._jacobian(to) if self.tail == "lindhard" else np.full_like(to, self.qf_end)
        return np.where(inside, din, dout)

    def _recoil(self, e):
        if not self.monotone:
            raise ValueError(
                f"GeTable({self.name!r}, monotone=False): E_ee(T) is not monotonic, so the inverse "
                "is not defined; use monotone=True or fold over T"
            )
        return super()._recoil(e)


# =============================================================================================
# Factory
# =============================================================================================
def quenching_model(name: str, **kw) -> QuenchingModel:
    """Build a quenching model by name.

    "csi" -> :class:`CsIPolynomial` (kw: variant, t_linear, coefficients);
    "ar" -> :class:`ArgonLinear` (a, b); "fef" / "ybe" -> :class:`GeTable` (monotone, tail);
    "lindhard" -> :class:`Lindhard` (k, Z).
    """
    key = str(name).lower()
    if key == "csi":
        return CsIPolynomial(**kw)
    if key == "ar":
        return ArgonLinear(**kw)
    if key in GE_TABLES:
        return GeTable(key, **kw)
    if key == "lindhard":
        return Lindhard(**kw)
    raise ValueError(f"unknown quenching model {name!r}; allowed: {MODEL_NAMES}")
