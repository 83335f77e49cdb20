"""Plots of predictions and results; each draws on matplotlib Axes and returns them.

* :func:`plot_prediction` -- expected components stacked against the data, one column per
  observable axis, with a background-subtracted residual panel below (data minus every
  background component against the predicted signal, as the COHERENT and Dresden-II papers
  show their steady-state- or background-subtracted spectra);
* :func:`plot_profile` -- profiled Δχ² of 1D limits, with the CL line, the allowed intervals
  and the expected (Asimov) curve dashed when the result carries one;
* :func:`plot_contour` -- filled 1σ/2σ/3σ regions and the 90 % CL contour (2 dof), the best fit
  and the Standard-Model point;
* :func:`plot_comparison` -- 90 % CL intervals beside other experiments', on a log scale for
  moduli and a symmetric-log scale for signed millicharges.

No function selects a backend or writes a file: :func:`cevnsfit.report.style.save` does, and the
command line calls it.  All draw in the project style (:mod:`cevnsfit.report.style`).
Results may be the API's result objects or their ``to_dict()`` form.
"""

from __future__ import annotations

import numpy as np

from .style import (
    COLOURS,
    COMPONENT_LABELS,
    SIGMA_FILLS,
    axis_label,
    experiment_label,
    new_axes,
    param_label,
    save,
    style,
)

__all__ = [
    "comparison_plot",
    "contour_plot",
    "exclusion_plot",
    "plot_comparison",
    "plot_contour",
    "plot_exclusion",
    "plot_prediction",
    "plot_profile",
    "profile_plot",
    "stacked_prediction",
]

BACKGROUND_ORDER = ("ss", "background", "brn", "delbrn", "nin")


def _d(res) -> dict:
    return res.to_dict() if hasattr(res, "to_dict") else res


def _project(arr, shape, axis):
    a = np.asarray(arr, float).reshape(shape)
    other = tuple(i for i in range(len(shape)) if i != axis)
    return a.sum(axis=other) if other else a


def _wrap(title: str, width: int = 72) -> str:
    import textwrap

    return "\n".join("\n".join(textwrap.wrap(line, width)) for line in title.split("\n")) or title


def _signal_region(edges, signal, frac=0.9):
    """Smallest central range holding ``frac`` of the predicted signal (for shading)."""
    s = np.clip(np.asarray(signal, float), 0, None)
    if s.sum() <= 0:
        return None
    c = np.concatenate([[0.0], np.cumsum(s)]) / s.sum()
    lo = np.interp((1 - frac) / 2, c, edges)
    hi = np.interp(1 - (1 - frac) / 2, c, edges)
    return lo, hi


def plot_prediction(pred, axes=None, title: str | None = None):
    """Components stacked (backgrounds first, then the signal) against the observed counts, one
    column per observable axis (multi-dimensional data projected), and below each the data minus
    every background component with the predicted signal.  Unequal bins are shown per unit of the
    axis, equal bins per bin, in the data set's count unit.  The band holding 90 % of the
    predicted signal is shaded.  ``pred``: a :class:`cevnsfit.api.Prediction` (or its dict).
    Returns the (2, n_axes) array of Axes."""
    import matplotlib.pyplot as plt

    d = _d(pred)
    ax_info = d["axes"]
    shape = tuple(len(a["edges"]) - 1 for a in ax_info)
    comps = {k: np.asarray(v, float).reshape(shape) for k, v in d["bins"].items()}
    obs = np.asarray(d["observed"], float).reshape(shape)
    err2 = np.asarray(d["observed_errors"], float).reshape(shape) ** 2
    signal = [k for k in d.get("signal_components", ("cevns", "es")) if k in comps]
    backgrounds = [k for k in comps if k not in signal]
    backgrounds.sort(key=lambda k: BACKGROUND_ORDER.index(k) if k in BACKGROUND_ORDER else 99)
    unit = d.get("count_unit", "events")
    n_ax = len(ax_info)
    with style():
        if axes is None:
            fig, axes = plt.subplots(
                2,
                n_ax,
                figsize=(max(5.4 * n_ax, 6.6), 5.8),
                squeeze=False,
                sharex="col",
                gridspec_kw={"height_ratios": [3, 1.6], "hspace": 0.06},
            )
        else:
            axes = np.asarray(axes).reshape(2, n_ax)
            fig = axes[0, 0].figure
        for i, a in enumerate(ax_info):
            top, bot = axes[0, i], axes[1, i]
            edges = np.asarray(a["edges"], float)
            width = np.diff(edges)
            uniform = np.allclose(width, width[0])
            per = np.ones_like(width) if uniform else width
            bottom = np.zeros(len(edges) - 1)
            for k in backgrounds + signal:
                v = _project(comps[k], shape, i) / per
                tot = float(comps[k].sum())
                if tot < 1e-3 * max(float(obs.sum()), 1.0) and k in signal and k != "cevns":
                    label = f"{COMPONENT_LABELS.get(k, k)} ({tot:.2g})"
                else:
                    label = f"{COMPONENT_LABELS.get(k, k)} ({tot:.4g})"
                top.stairs(
                    bottom + v, edges, baseline=bottom, fill=True, color=COLOURS.get(k), label=label, alpha=0.85, lw=0
                )
                bottom = bottom + v
            top.stairs(bottom, edges, color="k", lw=1.0, label="total prediction")
            o = _project(obs, shape, i)
            e = np.sqrt(_project(err2, shape, i))
            centres = 0.5 * (edges[1:] + edges[:-1])
            top.errorbar(
                centres, o / per, yerr=e / per, fmt="o", ms=3, color="k", elinewidth=1, label=f"data ({obs.sum():.4g})"
            )
            ylab = f"{unit} per bin" if uniform else f"{unit} / {a['unit'] or 'unit'}"
            if unit != "events" and uniform:
                ylab = unit
            elif not uniform:
                from .style import unit_tex

                ylab = f"{unit} / {unit_tex(a['unit'])}"
            top.set_ylabel(ylab)
            top.set_ylim(bottom=0, top=1.6 * max(float(np.max(bottom)), float(np.max((o + e) / per))))
            # residual: data minus every background component, against the predicted signal
            bkg = sum((_project(comps[k], shape, i) for k in backgrounds), np.zeros(len(edges) - 1))
            sig = sum((_project(comps[k], shape, i) for k in signal), np.zeros(len(edges) - 1))
            bot.axhline(0, color="0.4", lw=0.8)
            bot.stairs(sig / per, edges, color=COLOURS["cevns"], lw=1.6, label="predicted signal")
            bot.errorbar(
                centres,
                (o - bkg) / per,
                yerr=e / per,
                fmt="o",
                ms=3,
                color="k",
                elinewidth=1,
                label="data − background",
            )
            bot.set_ylabel("data − bkg.")
            bot.set_xlabel(axis_label(a["name"], a["unit"]))
            bot.set_xlim(edges[0], edges[-1])
            region = _signal_region(edges, sig)
            if region is not None and (region[1] - region[0]) < 0.45 * (edges[-1] - edges[0]):
                for ax_ in (top, bot):
                    ax_.axvspan(
                        *region,
                        color="#fff3c4",
                        zorder=-10,
                        lw=0,
                        label="90 % of predicted signal" if ax_ is top else None,
                    )
        axes[0, 0].legend(loc="upper right", ncol=2, fontsize=7.5)
        axes[1, 0].legend(loc="upper right", fontsize=7.5)
        if title is None:
            title = d.get("title") or d.get("description", "")
            given = d.get("given") or {}
            point = ", ".join(f"{k} = {v:g}" for k, v in given.items()) if given else "Standard Model"
            opts = ", ".join(
                f"{k}={v}"
                for k, v in (d.get("model") or {}).items()
                if k not in ("es", "momentum_dependent", "form_factor") and v is not None
            )
            title = f"{title}\n{point}" + (f"  ({opts})" if opts else "")
        if title:
            # above the top panels, however many lines it wraps to (the figure grows to hold it)
            top = max(ax_.get_position().y1 for ax_ in axes[0])
            fig.suptitle(_wrap(title, int(11 * fig.get_figwidth())), fontsize=10.5, y=top + 0.015, va="bottom")
    return axes


def _expected_scan(d: dict):
    e = d.get("expected")
    if isinstance(e, dict) and isinstance(e.get("scan"), dict):
        return e["scan"]
    if isinstance(d.get("expected_scan"), dict):
        return d["expected_scan"]
    return None


def plot_profile(results, ax=None, labels=None, title: str | None = None, intervals: bool = True):
    """Profiled Δχ² of one or more 1D limits (same parameter) with the CL line; the expected
    (Asimov) curve, when present, dashed in the same colour; the allowed intervals of the first
    result shaded.  Returns the Axes."""
    if not isinstance(results, (list, tuple)):
        results = [results]
    ds = [_d(r) for r in results]
    with style():
        ax = new_axes(ax)
        level = ds[0]["delta_chi2"]
        top = max(3.0 * level, 1.0)
        for k, d in enumerate(ds):
            g, y = np.asarray(d["scan"]["grid"]), np.asarray(d["scan"]["delta_chi2"])
            label = labels[k] if labels else experiment_label(d["options"]["data"])
            (line,) = ax.plot(g, y, label=f"{label}: observed")
            ex = _expected_scan(d)
            if ex:
                ax.plot(ex["grid"], ex["delta_chi2"], ls="--", color=line.get_color(), label=f"{label}: expected")
            if intervals and k == 0:
                for a, b in d["intervals"]:
                    ax.axvspan(a, b, color=line.get_color(), alpha=0.08, lw=0)
        ax.axhline(level, color="k", ls=":", lw=1, label=f"{ds[0]['cl']:.0%} CL ($\\Delta\\chi^2$ = {level:.2f})")
        ax.set_ylim(0, top)
        grid = np.asarray(ds[0]["scan"]["grid"])
        if grid.size:
            ax.set_xlim(grid.min(), grid.max())
        ax.set_xlabel(param_label(ds[0]["param"]))
        ax.set_ylabel(r"$\Delta\chi^2$")
        ax.legend(loc="upper center")
        if title:
            ax.set_title(_wrap(title))
    return ax


def _sm_value(param: str) -> float:
    from ..physics.parameters import Params

    return float(getattr(Params.sm(), param))


def plot_contour(results, ax=None, labels=None, title: str | None = None, sm: bool = True, filled=None):
    """2D profiled regions.  One result: filled 1σ, 2σ and 3σ regions (Δχ² ≤ 2.30, 6.18, 11.83)
    and the 90 % CL contour (Δχ² ≤ 4.61) as a solid line; several: their 90 % CL (solid) and 1σ
    (dashed) lines in one colour each.  The best fit is marked (+) and the Standard-Model point
    (★) when ``sm``; the axes cover the scanned grid and the best fit.  Returns the Axes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if not isinstance(results, (list, tuple)):
        results = [results]
    ds = [_d(r) for r in results]
    filled = len(ds) == 1 if filled is None else filled
    scales = ds[0].get("scales") or ("linear", "linear")

    def shown(x, y, gx, gy) -> bool:
        """A marker is drawn if it can be on the axes: positive on a log axis, and not so far
        outside the grid (a minimum along a flat valley of the chi^2) that it would squash the
        regions -- such a best fit is named in the legend instead."""
        for v, g, sc in ((x, gx, scales[0]), (y, gy, scales[1])):
            if sc == "log":
                if v <= 0 or not (min(g) / 10 <= v <= 10 * max(g)):
                    return False
            elif not (min(g) - 0.5 * (max(g) - min(g)) <= v <= max(g) + 0.5 * (max(g) - min(g))):
                return False
        return True

    with style():
        ax = new_axes(ax, figsize=(6.0, 4.8))
        colours = [c["color"] for c in __import__("matplotlib").rcParams["axes.prop_cycle"]]
        handles: list = []
        xs, ys, gx, gy = [], [], [], []
        for k, d in enumerate(ds):
            x, y, z = np.asarray(d["x"]), np.asarray(d["y"]), np.asarray(d["delta_chi2"], float)
            z = np.where(np.isfinite(z), z, np.nanmax(z) if np.isfinite(z).any() else 1e9)
            lv = d["levels"]
            main = lv.get("cl", lv["90%"])
            cl_text = f"{100 * d.get('cl', 0.9):.4g} % CL"
            px, py = d["params"]
            label = labels[k] if labels else experiment_label(d["options"]["data"])
            c = "k" if filled else colours[k % len(colours)]
            if filled:
                ax.contourf(
                    x,
                    y,
                    z,
                    levels=[-1e-9, lv["1sigma"], lv["2sigma"], lv["3sigma"]],
                    colors=list(SIGMA_FILLS),
                    extend="neither",
                )
                handles += [
                    Patch(color=SIGMA_FILLS[0], label=r"1$\sigma$"),
                    Patch(color=SIGMA_FILLS[1], label=r"2$\sigma$"),
                    Patch(color=SIGMA_FILLS[2], label=r"3$\sigma$"),
                ]
                ax.contour(x, y, z, levels=[main], colors=["#d62728"], linewidths=2.0)
                handles.append(Line2D([], [], color="#d62728", lw=2, label=f"{label}: {cl_text}"))
            else:
                ax.contour(x, y, z, levels=[main], colors=[c], linewidths=2.0)
                ax.contour(x, y, z, levels=[lv["1sigma"]], colors=[c], linewidths=1.0, linestyles="dashed")
                handles.append(Line2D([], [], color=c, lw=2, label=f"{label}: {cl_text}"))
            bf = d["best_fit"]
            gx += [x.min(), x.max()]
            gy += [y.min(), y.max()]
            if shown(bf[px], bf[py], [x.min(), x.max()], [y.min(), y.max()]):
                ax.plot(
                    [bf[px]],
                    [bf[py]],
                    marker="+",
                    ms=11,
                    mew=2,
                    color="k" if filled else c,
                    ls="none",
                    clip_on=False,
                    zorder=5,
                )
                xs.append(bf[px])
                ys.append(bf[py])
            else:
                handles.append(Line2D([], [], ls="none", label=f"best fit outside: ({bf[px]:.3g}, {bf[py]:.3g})"))
        handles.append(Line2D([], [], marker="+", ms=10, mew=2, color="k", ls="none", label="best fit"))
        if not filled and len(ds) > 1:
            handles.append(Line2D([], [], color="0.3", lw=1, ls="--", label=r"1$\sigma$"))
        px, py = ds[0]["params"]
        if sm and shown(_sm_value(px), _sm_value(py), gx, gy):
            sx, sy = _sm_value(px), _sm_value(py)
            ax.plot(
                [sx],
                [sy],
                marker="*",
                ms=13,
                color="#ffbf00",
                mec="k",
                mew=0.8,
                ls="none",
                zorder=6,
                clip_on=False,
                label="SM",
            )
            handles.append(Line2D([], [], marker="*", ms=12, color="#ffbf00", mec="k", ls="none", label="SM"))
            xs.append(sx)
            ys.append(sy)
        # the grid, widened just enough to show a best fit or SM point outside it (never clipped)
        for grid, pts, setter in ((gx, xs, ax.set_xlim), (gy, ys, ax.set_ylim)):
            lo, hi = min(grid + pts), max(grid + pts)
            span = (hi - lo) or 1.0
            setter(lo - 0.04 * span if lo < min(grid) else lo, hi + 0.04 * span if hi > max(grid) else hi)
        if scales[0] == "log":
            ax.set_xscale("log")
            ax.set_xlim(min(gx), max(gx))
        if scales[1] == "log":
            ax.set_yscale("log")
            ax.set_ylim(min(gy), max(gy))
        ax.set_xlabel(param_label(px))
        ax.set_ylabel(param_label(py))
        ax.legend(handles=handles, loc="best", title="profiled $\\Delta\\chi^2$, 2 dof", title_fontsize=8)
        if title:
            ax.set_title(_wrap(title))
    return ax


def plot_comparison(param: str, ours, others, ax=None, title: str | None = None):
    """Horizontal bars: the 90 % CL intervals of this work (every disjoint piece; ``ours`` is a
    list of (label, intervals)) beside other experiments' (``others``: (label, low, high)).
    Moduli (magnetic moments, transition radii and charges) on a log scale, signed millicharges on
    a symmetric-log scale, so that bounds orders of magnitude apart are all visible."""
    from ..physics.parameters import MODULUS_ONLY

    rows = [(name, [list(iv) for iv in ivs], "#D55E00") for name, ivs in ours] + [
        (name, [[lo, hi]], "0.45") for name, lo, hi in others
    ]
    modulus = param in MODULUS_ONLY
    signed_q = param.startswith("q_") and not modulus
    with style():
        ax = new_axes(ax, figsize=(6.6, 0.42 * len(rows) + 1.3))
        ends = [abs(v) for _, ivs, _ in rows for iv in ivs for v in iv if v != 0]
        if modulus and ends:
            floor = min(ends) / 10.0
            ax.set_xscale("log")
            for k, (_name, ivs, colour) in enumerate(rows):
                for a, b in ivs:
                    ax.plot([max(a, floor), b], [k, k], lw=6, color=colour, solid_capstyle="butt")
                    ax.annotate(
                        f"{b:.3g}", (b, k), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7.5
                    )
            ax.set_xlim(floor, max(ends) * 8)
        else:
            if signed_q and ends:
                ax.set_xscale("symlog", linthresh=min(ends) / 3.0)
            for k, (_name, ivs, colour) in enumerate(rows):
                for a, b in ivs:
                    ax.plot([a, b], [k, k], lw=6, color=colour, solid_capstyle="butt")
            ax.axvline(0, color="k", lw=0.6)
            if not signed_q:
                ax.axvline(_sm_value(param), color="#009E73", lw=1, ls="--", label="SM")
                ax.legend(loc="lower right")
            if signed_q and ends:
                m = max(ends) * 3
                ax.set_xlim(-m, m)
                lin = min(ends) / 3.0
                k0, k1 = int(np.ceil(np.log10(lin))) + 1, int(np.floor(np.log10(m)))
                dec = [10.0**k for k in range(k0, k1 + 1)]
                dec = dec[::-1][:: max(1, int(np.ceil(len(dec) / 3)))][::-1]  # at most 3 decades a side
                ax.set_xticks([-d for d in dec[::-1]] + [0.0] + dec)
                ax.xaxis.set_minor_locator(__import__("matplotlib").ticker.NullLocator())
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r[0] for r in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.tick_params(axis="y", which="both", length=0)
        ax.invert_yaxis()
        ax.set_xlabel(param_label(param))
        ax.set_title(title or "90 % CL: this work (orange) and other experiments (grey)")
    return ax


def plot_exclusion(result, ax=None, title: str | None = None):
    """Exclusion curves of a light mediator in the (mass, coupling) plane, log-log: one line per
    data-set combination (the upper end of the allowed interval that starts at g = 0; above it
    the coupling is excluded at the result's CL), islands of allowed couplings above it (the
    amplitude-flip region of a destructively interfering Z') as shaded bars.  Returns the Axes."""
    d = _d(result)
    with style():
        ax = new_axes(ax, figsize=(6.4, 4.8))
        colours = [c["color"] for c in __import__("matplotlib").rcParams["axes.prop_cycle"]]
        for k, c in enumerate(d["curves"]):
            col = colours[k % len(colours)]
            m = np.asarray(c["masses"], float)
            up = np.asarray(c["upper"], float)
            combined = len(c["data"]) > 1
            # the combination of many data sets drawn beside each of them: "combined" says it all
            label = "combined" if combined and len(d["curves"]) > 2 else experiment_label(c["data"])
            ax.plot(m, up, color="k" if combined else col, lw=2.2 if combined else 1.4, label=label)
            for mi, iv in zip(m, c["intervals"], strict=True):
                for a, b in iv[1:]:
                    ax.plot([mi, mi], [max(a, 1e-30), b], color="k" if combined else col, lw=3, alpha=0.35)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(param_label(d["mass"]))
        ax.set_ylabel(param_label(d["coupling"]))
        ax.legend(loc="upper left", title=f"{100 * d['cl']:.4g} % CL upper limit (excluded above)", title_fontsize=8)
        if title:
            ax.set_title(_wrap(title))
    return ax


# -- file-writing wrappers (the command line and reproduce) -------------------------------------
def stacked_prediction(pred, path, title: str | None = None) -> str:
    """:func:`plot_prediction` written to ``path`` (the XENONnT data sets: their paper-style
    figures, :func:`cevnsfit.report.solar_plots.plot_xenonnt`)."""
    exp = _d(pred).get("experiment", "")
    if exp in ("xenonnt_er", "xenonnt_8b"):
        from .solar_plots import plot_xenonnt

        ax = plot_xenonnt(pred)
        return save(np.ravel(ax)[0] if isinstance(ax, np.ndarray) else ax, path)
    return save(plot_prediction(pred, title=title)[0, 0], path)


def contour_plot(results, path, labels=None, title: str = "") -> str:
    """:func:`plot_contour` written to ``path``."""
    return save(plot_contour(results, labels=labels, title=title), path)


def profile_plot(results, path, labels=None, title: str = "") -> str:
    """:func:`plot_profile` written to ``path``."""
    return save(plot_profile(results, labels=labels, title=title), path)


def exclusion_plot(result, path, title: str = "") -> str:
    """:func:`plot_exclusion` written to ``path``."""
    return save(plot_exclusion(result, title=title), path)


def comparison_plot(param: str, ours, others, path) -> str:
    """:func:`plot_comparison` written to ``path``."""
    return save(plot_comparison(param, ours, others), path)
