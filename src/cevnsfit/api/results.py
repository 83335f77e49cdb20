"""Result objects: what :class:`cevnsfit.Analysis` and :meth:`cevnsfit.Data.predict` return.

Each is a dataclass with its numbers *and their units* (parameter units as in
:data:`cevnsfit.physics.parameters.UNITS`: magnetic moments in 10⁻¹⁰ μ_B, charge radii in
10⁻³² cm², millicharges in e), the warnings raised on the way, and ``meta`` -- package version,
git commit, date and every option (:func:`cevnsfit.provenance.metadata`).  They all have

* ``.to_dict()`` / ``.to_json(path=None)`` and ``Class.from_dict`` / ``Class.from_json`` (a
  lossless round trip; keys this version does not know are kept in ``extra``),
* ``.plot(ax=None)`` returning the matplotlib Axes (never selecting a backend),
* ``_repr_html_`` so that a notebook shows a table.

Intervals come from the profile likelihood: Δχ²(θ) = χ²(θ, profiled) − χ²_min, allowed where
Δχ² ≤ the χ² quantile of the CL (Wilks' theorem; 2.706 for one parameter at 90 % CL, 4.605 for
two); ``method`` names the construction so that Feldman–Cousins or Bayesian intervals can be
told apart, and ``expected`` holds the expected (Asimov) sensitivity when it was computed.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

WILKS = "profile likelihood (Wilks)"


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.4g}" if isinstance(x, (float, int)) else str(x)


def _intervals_text(iv) -> str:
    return " ∪ ".join(f"[{_fmt(a)}, {_fmt(b)}]" for a, b in iv) if iv else "none"


@dataclass
class Result:
    """Common behaviour of the result objects (see the module docstring)."""

    kind: ClassVar[str] = "result"

    def to_dict(self) -> dict:
        """Every field as JSON-able values (``extra`` merged in at the top level)."""
        out = {"kind": self.kind}
        for f in fields(self):
            if f.name == "extra":
                continue
            out[f.name] = _jsonable(getattr(self, f.name))
        out.update(_jsonable(getattr(self, "extra", {}) or {}))
        return out

    def to_json(self, path=None, indent: int | None = None) -> str:
        """The JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_dict(cls, d: dict):
        """Rebuild from :meth:`to_dict` output (or the dicts of :mod:`cevnsfit.inference.analysis`)."""
        d = dict(d)
        d.pop("kind", None)
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in d.items() if k in names and k != "extra"}
        extra = {k: v for k, v in d.items() if k not in names}
        extra.update(d.get("extra") or {})
        obj = cls(**known)
        if "extra" in names:
            setattr(obj, "extra", extra)  # noqa: B010  (subclasses with an ``extra`` field)
        return obj

    @classmethod
    def from_json(cls, text_or_path):
        """Rebuild from JSON text or a file holding it."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            text = Path(text).read_text()
        return cls.from_dict(json.loads(text))

    # -- display ---------------------------------------------------------------------------------
    def _rows(self) -> list[tuple[str, str]]:
        return []

    def _title(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        rows = self._rows()
        w = max((len(k) for k, _ in rows), default=0)
        return "\n".join([self._title()] + [f"  {k:{w}s}  {v}" for k, v in rows])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        return f"<b>{html.escape(self._title())}</b><table>{rows}</table>"


def _common_rows(r) -> list[tuple[str, str]]:
    rows = []
    opts = getattr(r, "options", None) or {}
    if opts:
        rows.append(("data", ", ".join(opts.get("data", []))))
        rows.append(("options", ", ".join(f"{k}={v}" for k, v in opts.items() if k != "data")))
    if getattr(r, "warnings", None):
        rows.append(("warnings", "; ".join(r.warnings)))
    meta = getattr(r, "meta", None) or {}
    if meta:
        rows.append(
            (
                "made with",
                f"cevnsfit {meta.get('cevnsfit')}"
                + (f" ({meta['git_commit'][:12]})" if meta.get("git_commit") else "")
                + f", {meta.get('date')}",
            )
        )
    return rows


@dataclass
class LimitResult(Result):
    """Allowed interval(s) of one parameter at confidence level ``cl``, everything else profiled.

    ``intervals``: every allowed interval [low, high] in ``unit`` (a charge radius often has
    two); ``best_fit``: the parameter at the global minimum ``chi2_min``; ``scan``: the profiled
    Δχ² curve {grid, delta_chi2}; ``delta_chi2``: the threshold of the CL; ``profiled``: the
    other free physics parameters; ``expected``: the expected (Asimov) intervals/curve when
    computed; ``method``: how the intervals were constructed.
    """

    kind: ClassVar[str] = "limit"
    param: str = ""
    unit: str = ""
    cl: float = 0.9
    intervals: list = field(default_factory=list)
    best_fit: float = float("nan")
    chi2_min: float = float("nan")
    delta_chi2: float | None = None
    converged: bool = False
    profiled: list = field(default_factory=list)
    scan: dict = field(default_factory=lambda: {"grid": [], "delta_chi2": []})
    options: dict = field(default_factory=dict)
    best_fit_all: dict = field(default_factory=dict)
    n_bins: int | None = None
    method: str = WILKS
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.intervals = [tuple(float(v) for v in iv) for iv in self.intervals]

    @property
    def expected(self) -> dict | None:
        """The expected (Asimov, SM truth) sensitivity when computed: {'intervals': ..., 'scan': ...}."""
        e = self.extra.get("expected")
        out = dict(e) if isinstance(e, dict) else {}
        if "expected_intervals" in self.extra:
            out.setdefault("intervals", self.extra["expected_intervals"])
        if "expected_scan" in self.extra:
            out.setdefault("scan", self.extra["expected_scan"])
        return out or None

    @property
    def upper_limit(self) -> float | None:
        """The upper end of the highest interval (for a modulus: the limit), or None."""
        return max(b for _, b in self.intervals) if self.intervals else None

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["intervals"] = [list(iv) for iv in self.intervals]
        return d

    def plot(self, ax=None, label: str | None = None, **kw):
        """Δχ² profile with the CL line and the intervals (expected curve dashed); for
        Feldman-Cousins the critical Δχ² of every tested value against Wilks', for Bayes the
        posterior with its credible set."""
        if self.method in ("fc", "bayes"):
            from ..report.interval_plots import interval_plot

            return interval_plot(self.to_dict(), ax=ax)
        from ..report.plots import plot_profile

        return plot_profile([self], ax=ax, labels=[label] if label else None, **kw)

    def _title(self):
        return f"{self.param}: {self.cl:.4g} CL allowed {_intervals_text(self.intervals)}" + (
            f" [{self.unit}]" if self.unit else ""
        )

    def _rows(self):
        rows = [
            ("parameter", f"{self.param}" + (f" [{self.unit}]" if self.unit else "")),
            ("CL", f"{self.cl:.4g} (Δχ² ≤ {_fmt(self.delta_chi2)})"),
            ("allowed", _intervals_text(self.intervals)),
            ("best fit", _fmt(self.best_fit)),
            ("χ²_min", f"{_fmt(self.chi2_min)} ({self.n_bins} bins)" if self.n_bins else _fmt(self.chi2_min)),
            ("profiled", ", ".join(self.profiled) or "nuisances only"),
            ("method", self.method),
            ("converged", str(self.converged)),
        ]
        if self.expected and self.expected.get("intervals") is not None:
            rows.append(("expected", _intervals_text(self.expected["intervals"])))
        return rows + _common_rows(self)


@dataclass
class ContourResult(Result):
    """Profiled Δχ² of two parameters on an n×n grid (``x``, ``y`` in ``units``), with the
    2-dof levels (90 % CL: 4.605; 1σ/2σ/3σ: 2.30, 6.18, 11.83) in ``levels``."""

    kind: ClassVar[str] = "contour"
    params: list = field(default_factory=list)
    units: list = field(default_factory=list)
    x: list = field(default_factory=list)
    y: list = field(default_factory=list)
    delta_chi2: list = field(default_factory=list)
    levels: dict = field(default_factory=dict)
    best_fit: dict = field(default_factory=dict)
    chi2_min: float = float("nan")
    converged: bool = False
    profiled: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    cl: float = 0.9
    method: str = WILKS
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def expected(self) -> dict | None:
        e = self.extra.get("expected")
        return e if isinstance(e, dict) else None

    @property
    def intervals(self) -> dict[str, list]:
        """The ``cl`` region (2 dof) projected on each axis: {param: [[low, high], ...]} (grid
        resolution)."""
        d = np.asarray(self.delta_chi2, float)
        inside = d <= self.levels.get("cl", self.levels.get("90%", 4.605))
        out = {}
        for k, (p, axis) in enumerate(zip(self.params, (self.x, self.y), strict=True)):
            mask = inside.any(axis=0) if k == 0 else inside.any(axis=1)
            vals = np.asarray(axis)
            ivs, start = [], None
            for i, m in enumerate(mask):
                if m and start is None:
                    start = i
                if (not m or i == len(mask) - 1) and start is not None:
                    end = i if m else i - 1
                    ivs.append((float(vals[start]), float(vals[end])))
                    start = None
            out[p] = ivs
        return out

    def plot(self, ax=None, label: str | None = None, **kw):
        """Filled 1σ/2σ/3σ regions, the 90 % CL contour, best fit and SM point."""
        from ..report.plots import plot_contour

        return plot_contour([self], ax=ax, labels=[label] if label else None, **kw)

    def _title(self):
        return f"contour of {self.params[0]} and {self.params[1]}" if self.params else "contour"

    def _rows(self):
        rows = [
            ("parameters", ", ".join(f"{p} [{u}]" if u else p for p, u in zip(self.params, self.units, strict=True))),
            ("grid", f"{len(self.x)} × {len(self.y)}"),
            ("best fit", ", ".join(f"{k} = {_fmt(v)}" for k, v in self.best_fit.items())),
            ("χ²_min", _fmt(self.chi2_min)),
        ]
        rows += [(f"{self.cl:.0%} CL range of {p}", _intervals_text(iv)) for p, iv in self.intervals.items()]
        rows += [
            ("profiled", ", ".join(self.profiled) or "nuisances only"),
            ("method", self.method),
            ("converged", str(self.converged)),
        ]
        return rows + _common_rows(self)


def _runs(mask) -> list[tuple[int, int]]:
    """[first, last] index runs of True in a 1D mask."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if (not m or i == len(mask) - 1) and start is not None:
            out.append((start, i if m else i - 1))
            start = None
    return out


@dataclass
class FCContourResult(Result):
    """A Feldman-Cousins region of two parameters on a grid (``x``, ``y`` in ``units``): at every
    grid point the observed profiled Δχ² (``delta_chi2``) and the critical value from ``n_toys``
    pseudo-experiments generated there (``critical_delta_chi2``); the point is in the region when
    Δχ² ≤ its critical value (``accepted``).  The Wilks region of the same scan (Δχ² ≤
    ``wilks_delta_chi2``, 4.605 at 90 %) is ``wilks_accepted``.  Arrays are indexed (y, x)."""

    kind: ClassVar[str] = "fc_contour"
    params: list = field(default_factory=list)
    units: list = field(default_factory=list)
    cl: float = 0.9
    x: list = field(default_factory=list)
    y: list = field(default_factory=list)
    delta_chi2: list = field(default_factory=list)
    critical_delta_chi2: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    wilks_accepted: list = field(default_factory=list)
    wilks_delta_chi2: float = float("nan")
    best_fit: dict = field(default_factory=dict)
    chi2_min: float = float("nan")
    profiled: list = field(default_factory=list)
    n_toys: int = 0
    seed: int = 0
    options: dict = field(default_factory=dict)
    toys: dict = field(default_factory=dict)
    method: str = "fc"
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def _projection(self, mask) -> dict[str, list]:
        inside = np.asarray(mask, bool)
        out = {}
        for k, (p, axis) in enumerate(zip(self.params, (self.x, self.y), strict=True)):
            m = inside.any(axis=0) if k == 0 else inside.any(axis=1)
            out[p] = [(float(axis[a]), float(axis[b])) for a, b in _runs(m)]
        return out

    @property
    def intervals(self) -> dict[str, list]:
        """The FC region projected on each axis: {param: [(low, high), ...]} (grid resolution)."""
        return self._projection(self.accepted)

    @property
    def wilks_intervals(self) -> dict[str, list]:
        """The Wilks region of the same scan projected on each axis."""
        return self._projection(self.wilks_accepted)

    def plot(self, ax=None, **kw):
        """The FC region against the Wilks region over the Δχ² map; returns the Axes."""
        from ..report.interval_plots import fc_region

        return fc_region(self.to_dict(), ax=ax)

    def plot_critical(self, ax=None):
        """The critical Δχ² of every grid point, coloured about Wilks' constant; returns the Axes."""
        from ..report.interval_plots import fc_critical_map

        return fc_critical_map(self.to_dict(), ax=ax)

    def _title(self):
        return f"Feldman-Cousins region of {self.params[0]} and {self.params[1]}" if self.params else "FC region"

    def _rows(self):
        crit = np.asarray(self.critical_delta_chi2, float)
        rows = [
            ("parameters", ", ".join(f"{p} [{u}]" if u else p for p, u in zip(self.params, self.units, strict=True))),
            ("grid", f"{len(self.x)} × {len(self.y)}, {self.n_toys} pseudo-experiments per point (seed {self.seed})"),
            ("best fit", ", ".join(f"{k} = {_fmt(v)}" for k, v in self.best_fit.items())),
            (
                "critical Δχ²",
                f"{_fmt(float(np.nanmin(crit)))} – {_fmt(float(np.nanmax(crit)))} (Wilks {_fmt(self.wilks_delta_chi2)})"
                if crit.size
                else "–",
            ),
        ]
        wi = self.wilks_intervals
        rows += [
            (f"{self.cl:.0%} CL range of {p}", _intervals_text(iv) + f" (Wilks {_intervals_text(wi[p])})")
            for p, iv in self.intervals.items()
        ]
        rows += [("profiled", ", ".join(self.profiled) or "nuisances only"), ("method", "Feldman-Cousins")]
        return rows + _common_rows(self)


@dataclass
class PosteriorResult(Result):
    """A sampled 2D posterior of two parameters (``params`` in ``units``) with the stated
    ``prior``: the weighted histogram ``density`` on ``x_edges`` × ``y_edges`` (indexed (y, x)),
    the highest-posterior-density region at ``cl`` (density ≥ ``hpd_level``), each marginal's
    HPD and equal-tailed credible intervals (``marginals``), the weighted ``samples`` (for a
    corner plot), the evidence ``logz`` and the sampler's bookkeeping."""

    kind: ClassVar[str] = "posterior"
    params: list = field(default_factory=list)
    units: list = field(default_factory=list)
    cl: float = 0.9
    prior: str = "flat"
    x_edges: list = field(default_factory=list)
    y_edges: list = field(default_factory=list)
    density: list = field(default_factory=list)
    hpd_level: float = float("nan")
    marginals: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)
    logz: float = float("nan")
    n_calls: int = 0
    sampled: list = field(default_factory=list)
    nlive: int = 0
    seed: int = 0
    options: dict = field(default_factory=dict)
    method: str = "bayes"
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def intervals(self) -> dict[str, list]:
        """Each parameter's marginal highest-posterior-density credible interval(s) at ``cl``."""
        return {p: [tuple(iv) for iv in m["hpd_intervals"]] for p, m in self.marginals.items()}

    @property
    def equal_tailed(self) -> dict[str, tuple]:
        """Each parameter's marginal equal-tailed credible interval at ``cl``."""
        return {p: tuple(m["equal_tailed"]) for p, m in self.marginals.items()}

    @property
    def region(self) -> np.ndarray:
        """The HPD region as a boolean mask of the histogram cells, indexed (y, x)."""
        return np.asarray(self.density, float) >= self.hpd_level

    def plot(self, ax=None, **kw):
        """The 2D posterior with its HPD region; returns the Axes."""
        from ..report.interval_plots import posterior_2d

        return posterior_2d(self.to_dict(), ax=ax)

    def corner(self, fig=None):
        """Corner plot (both marginals with their HPD intervals and the 2D posterior); returns the Figure."""
        from ..report.interval_plots import corner

        return corner(self.to_dict(), fig=fig)

    def _title(self):
        return (
            f"posterior of {self.params[0]} and {self.params[1]} (prior {self.prior})" if self.params else "posterior"
        )

    def _rows(self):
        rows = [
            ("parameters", ", ".join(f"{p} [{u}]" if u else p for p, u in zip(self.params, self.units, strict=True))),
            ("prior", self.prior),
        ]
        for p, m in self.marginals.items():
            et = m["equal_tailed"]
            rows.append(
                (
                    f"{self.cl:.0%} credible {p}",
                    f"HPD {_intervals_text(m['hpd_intervals'])}, equal-tailed [{_fmt(et[0])}, {_fmt(et[1])}]",
                )
            )
        rows += [
            ("sampled", ", ".join(self.sampled)),
            ("log evidence", _fmt(self.logz)),
            ("likelihood calls", str(self.n_calls)),
            ("method", f"Bayes (dynesty, {self.nlive} live points)"),
        ]
        return rows + _common_rows(self)


@dataclass
class FitResult(Result):
    """A global fit: ``best_fit`` physics parameters (with ``errors`` from the Hessian when
    known), the fitted ``nuisances`` per data set, ``chi2_min`` over ``n_bins`` bins."""

    kind: ClassVar[str] = "fit"
    best_fit: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    nuisances: dict = field(default_factory=dict)
    chi2_min: float = float("nan")
    n_bins: int | None = None
    converged: bool = False
    free: list = field(default_factory=list)
    units: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def plot(self, ax=None, **kw):
        """The fitted physics parameters with their errors (one row each)."""
        from ..report.style import new_axes, param_label, style

        with style():
            ax = new_axes(ax, figsize=(5.5, 0.5 * max(len(self.best_fit), 1) + 1.2))
            names = list(self.best_fit)
            for k, p in enumerate(names):
                ax.errorbar([self.best_fit[p]], [k], xerr=[self.errors.get(p, 0.0) or 0.0], fmt="o", capsize=3)
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels([param_label(p) for p in names])
            ax.set_xlabel("best fit")
        return ax

    def _title(self):
        return (
            "fit: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in self.best_fit.items())
            if self.best_fit
            else "fit (nuisances only)"
        )

    def _rows(self):
        rows = [
            (
                f"{p}" + (f" [{self.units.get(p)}]" if self.units.get(p) else ""),
                f"{_fmt(v)}" + (f" ± {_fmt(self.errors[p])}" if self.errors.get(p) else ""),
            )
            for p, v in self.best_fit.items()
        ]
        rows += [("χ²_min", f"{_fmt(self.chi2_min)} ({self.n_bins} bins)"), ("converged", str(self.converged))]
        return rows + _common_rows(self)


@dataclass
class ScanResult(Result):
    """A profiled N-dimensional grid scan (:func:`cevnsfit.inference.distributed.grid_scan`):
    ``chi2`` on the grid ``axes`` of ``params``; ``intervals`` projected at ``cl`` (1 dof)."""

    kind: ClassVar[str] = "scan"
    params: list = field(default_factory=list)
    axes: list = field(default_factory=list)
    chi2: list = field(default_factory=list)
    delta_chi2: list = field(default_factory=list)
    converged: list = field(default_factory=list)
    chi2_min: float = float("nan")
    best_fit: dict = field(default_factory=dict)
    profiled: list = field(default_factory=list)
    cl: float = 0.9
    intervals: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    method: str = WILKS
    warnings: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_grid(cls, grid, cl: float = 0.9, meta: dict | None = None) -> ScanResult:
        """From a :class:`~cevnsfit.inference.distributed.GridResult`."""
        d = grid.to_dict()
        n_bad = int((~np.asarray(grid.converged)).sum())
        return cls.from_dict(
            {
                **d,
                "cl": cl,
                "intervals": {p: grid.intervals_1d(p, cl) for p in grid.params},
                "warnings": [f"{n_bad} grid point(s) did not converge"] if n_bad else [],
                "meta": meta or {},
            }
        )

    def grid_result(self):
        """The :class:`~cevnsfit.inference.distributed.GridResult` (for its projections)."""
        from ..inference.distributed import GridResult

        return GridResult.from_dict(self.to_dict())

    def plot(self, ax=None, params=None, **kw):
        """One scanned parameter: its projected Δχ² profile; two or more: the 2D contour of the
        first two (others profiled by minimising over the grid)."""
        from ..inference.profile import delta_chi2_threshold, sigma_to_cl
        from ..report.plots import plot_contour, plot_profile

        params = list(params or self.params[:2])
        g = self.grid_result()
        if len(params) == 1:
            p = params[0]
            k = self.params.index(p)
            d = {
                "param": p,
                "cl": self.cl,
                "delta_chi2": delta_chi2_threshold(self.cl, 1),
                "scan": {"grid": list(self.axes[k]), "delta_chi2": g.project(p).tolist()},
                "intervals": self.intervals.get(p, []),
                "options": self.options,
            }
            return plot_profile([d], ax=ax, **kw)
        px, py = params
        z = g.project(py, px)
        lv = {"90%": delta_chi2_threshold(0.9, 2)}
        for n in (1, 2, 3):
            lv[f"{n}sigma"] = delta_chi2_threshold(sigma_to_cl(n), 2)
        d = {
            "params": [px, py],
            "x": list(self.axes[self.params.index(px)]),
            "y": list(self.axes[self.params.index(py)]),
            "delta_chi2": z.tolist(),
            "levels": lv,
            "best_fit": {px: self.best_fit[px], py: self.best_fit[py]},
            "options": self.options,
        }
        return plot_contour([d], ax=ax, **kw)

    def _title(self):
        return f"grid scan of {', '.join(self.params)}"

    def _rows(self):
        rows = [
            ("grid", " × ".join(str(len(a)) for a in self.axes)),
            ("best fit", ", ".join(f"{k} = {_fmt(v)}" for k, v in self.best_fit.items() if k in self.params)),
            ("χ²_min", _fmt(self.chi2_min)),
        ]
        rows += [(f"{self.cl:.0%} CL {p}", _intervals_text(iv)) for p, iv in self.intervals.items()]
        return rows + _common_rows(self)


@dataclass
class Prediction(Result):
    """Expected counts per bin of one data set at a physics point: ``bins`` {component: counts}
    and ``observed`` (shaped like the data: one array axis per observable axis, whose bin
    ``edges`` and units are in ``axes``), in ``count_unit``; ``totals`` summed over bins."""

    kind: ClassVar[str] = "prediction"
    experiment: str = ""
    description: str = ""
    model: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    nuisances: dict = field(default_factory=dict)
    profiled_nuisances: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    count_unit: str = "events"
    axes: list = field(default_factory=list)
    bins: dict = field(default_factory=dict)
    observed: list = field(default_factory=list)
    observed_errors: list = field(default_factory=list)
    signal_components: list = field(default_factory=lambda: ["cevns", "es"])
    chi2: float | None = None
    warnings: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def edges(self) -> list[np.ndarray]:
        """Bin edges of each observable axis (in the units of ``axes``)."""
        return [np.asarray(a["edges"], float) for a in self.axes]

    @property
    def components(self) -> dict[str, np.ndarray]:
        """Expected counts per component as arrays shaped like the data."""
        return {k: np.asarray(v, float) for k, v in self.bins.items()}

    @property
    def total(self) -> np.ndarray:
        """Total expected counts per bin."""
        return np.sum(list(self.components.values()), axis=0)

    def plot(self, axes=None, title: str | None = None):
        """Stacked components against the data with a background-subtracted residual panel;
        returns the (2, n_axes) array of Axes."""
        from ..report.plots import plot_prediction

        return plot_prediction(self, axes=axes, title=title)

    def _title(self):
        return self.description or self.experiment

    def _rows(self):
        rows = [(k, f"{v:.4g} {self.count_unit}") for k, v in self.totals.items()]
        if self.params:
            nonsm = {k: v for k, v in self.params.items() if k in self.extra.get("given", self.params)}
            rows.append(("parameters", ", ".join(f"{k}={_fmt(v)}" for k, v in nonsm.items()) or "SM"))
        if self.chi2 is not None:
            rows.append(("χ²", _fmt(self.chi2)))
        return rows + [(k, v) for k, v in _common_rows(self) if k != "data"]


@dataclass
class ExclusionResult(Result):
    """Exclusion curves of a light mediator: for each data-set combination in ``curves``, the
    ``masses`` [MeV], the ``upper`` end of the allowed coupling interval that starts at 0 (the
    curve; excluded above) and every allowed interval per mass (``intervals``: islands above the
    curve where the amplitude has flipped), at confidence level ``cl`` (1 dof per mass)."""

    kind: ClassVar[str] = "exclusion"
    coupling: str = ""
    mass: str = ""
    units: list = field(default_factory=list)
    cl: float = 0.9
    delta_chi2: float = float("nan")
    curves: list = field(default_factory=list)
    fixed: dict = field(default_factory=dict)
    free: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def curve(self, data=None) -> dict:
        """The curve of one data-set combination (default: the combined one, listed last)."""
        if data is None:
            return self.curves[-1]
        want = [data] if isinstance(data, str) else list(data)
        for c in self.curves:
            if list(c["data"]) == want:
                return c
        raise KeyError(f"no curve for {want}; available: {[c['data'] for c in self.curves]}")

    def plot(self, ax=None, **kw):
        """Log-log exclusion curves, one per data-set combination."""
        from ..report.plots import plot_exclusion

        return plot_exclusion(self, ax=ax, **kw)

    def _title(self):
        return f"exclusion curves of {self.coupling} over {self.mass}"

    def _rows(self):
        rows = [("CL", f"{self.cl:.4g} (Δχ² = {_fmt(self.delta_chi2)}, 1 dof per mass)")]
        for c in self.curves:
            m, up = np.asarray(c["masses"]), np.asarray(c["upper"])
            j = [0, m.size // 2, m.size - 1]
            rows.append(
                (
                    "+".join(c["data"]),
                    ", ".join(f"{_fmt(up[k])} at {_fmt(m[k])} MeV" for k in j) + f" ({c['seconds']:.1f} s)",
                )
            )
        return rows + _common_rows(self)


RESULT_TYPES: dict[str, Any] = {
    c.kind: c
    for c in (
        LimitResult,
        ContourResult,
        FCContourResult,
        PosteriorResult,
        FitResult,
        ScanResult,
        Prediction,
        ExclusionResult,
    )
}


def from_dict(d: dict):
    """The result object of a dict written by ``to_dict`` (by its ``kind``)."""
    try:
        return RESULT_TYPES[d["kind"]].from_dict(d)
    except KeyError:
        raise ValueError(f"not a cevnsfit result (kind {d.get('kind')!r}); known: {', '.join(RESULT_TYPES)}") from None
