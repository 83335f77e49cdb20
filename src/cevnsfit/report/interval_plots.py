"""Plots of Feldman-Cousins and Bayesian results: critical values against Wilks, posteriors,
2D regions and a corner plot (matplotlib only; nothing is imported at module load)."""

from __future__ import annotations

import numpy as np

from .style import styled


def _label(param: str, unit: str) -> str:
    from ..physics.parameters import UNITS
    from .style import param_label

    if param in UNITS:
        return param_label(param)
    return f"{param} [{unit}]" if unit else param


@styled
def interval_plot(res: dict, path: str | None = None, ax=None):
    """FC: observed Delta chi^2 and the critical value of every tested point (with its Monte-Carlo
    68 % band) against Wilks' constant; Bayes: the posterior density with the HPD set shaded and
    the equal-tailed ends marked.  Returns the Axes (and writes ``path`` if given)."""
    import matplotlib.pyplot as plt

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.0, 4.2))
    x_label = _label(res["param"], res.get("unit", ""))
    if res["method"] == "fc":
        s = res["scan"]
        g = np.asarray(s["grid"])
        band = np.asarray(s["critical_band"])
        ax.plot(g, s["delta_chi2"], "k-", lw=1.5, label=r"observed $\Delta\chi^2$")
        ax.fill_between(g, band[:, 0], band[:, 1], color="C0", alpha=0.25, lw=0)
        if res.get("smoothing") and "critical_delta_chi2_raw" in s:
            ax.plot(
                g,
                s["critical_delta_chi2_raw"],
                "C0o",
                ms=3,
                mfc="none",
                label=f"critical value ({res['n_toys']} toys each)",
            )
            ax.plot(g, s["critical_delta_chi2"], "C0-", label="regularised (local-linear)")
        else:
            ax.plot(g, s["critical_delta_chi2"], "C0o-", ms=3, label=f"critical value ({res['n_toys']} toys each)")
        ax.axhline(res["wilks_delta_chi2"], color="C3", ls="--", label=f"Wilks {res['wilks_delta_chi2']:.2f}")
        for a, b in res["intervals"]:
            ax.axvspan(a, b, color="C0", alpha=0.08)
        top = max(2.5 * res["wilks_delta_chi2"], float(np.nanmax(s["critical_delta_chi2"])) * 1.3)
        ax.set_ylim(0, top)
        ax.set_ylabel(r"$\Delta\chi^2$")
        ax.set_title(
            f"Feldman-Cousins {res['cl']:.0%} CL: "
            + " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["intervals"])
            + "; Wilks "
            + " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["wilks_intervals"]),
            fontsize=9,
        )
    else:
        p = res["posterior"]
        e = np.asarray(p["edges"])
        c = 0.5 * (e[1:] + e[:-1])
        d = np.asarray(p["density"])
        ax.plot(c, d, "k-", lw=1.5, label=f"posterior (prior {res['prior']})")
        for a, b in res["hpd_intervals"]:
            m = (c >= a) & (c <= b)
            ax.fill_between(c[m], 0, d[m], color="C2", alpha=0.3, lw=0)
        for v in res["equal_tailed"]:
            ax.axvline(v, color="C1", ls=":", lw=1)
        ax.set_ylim(0, None)
        ax.set_ylabel("posterior density")
        ax.set_title(
            f"{res['cl']:.0%} HPD "
            + " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["hpd_intervals"])
            + f"; equal-tailed [{res['equal_tailed'][0]:.3g}, {res['equal_tailed'][1]:.3g}]",
            fontsize=9,
        )
    ax.set_xlabel(x_label)
    ax.legend(fontsize=8)
    if own:
        fig.tight_layout()
        if path:
            fig.savefig(path, dpi=130)
            plt.close(fig)
    return ax


@styled
def fc_region(res: dict, ax=None):
    """The Feldman-Cousins region (observed Delta chi^2 <= the critical value of each grid point)
    against the Wilks region (Delta chi^2 <= the 2-dof quantile) over the observed Delta chi^2 map;
    returns the Axes."""
    from .style import new_axes

    ax = new_axes(ax, figsize=(5.6, 4.6))
    px, py = res["params"]
    ux, uy = res["units"]
    x, y = np.asarray(res["x"]), np.asarray(res["y"])
    dchi = np.asarray(res["delta_chi2"])
    d = dchi - np.asarray(res["critical_delta_chi2"])
    ax.contourf(x, y, dchi, levels=20, cmap="Greys_r", alpha=0.5)
    ax.contour(x, y, d, levels=[0.0], colors="C0", linewidths=2)
    ax.contour(x, y, dchi, levels=[res["wilks_delta_chi2"]], colors="C3", linestyles="--")
    ax.plot([], [], "C0-", label=f"Feldman-Cousins {res['cl']:.0%} CL ({res.get('n_toys', '?')} toys per point)")
    ax.plot([], [], "C3--", label=f"Wilks ({res['wilks_delta_chi2']:.2f})")
    ax.plot(*[res["best_fit"][p] for p in (px, py)], "k+", ms=10, label="best fit")
    ax.set_xlabel(_label(px, ux))
    ax.set_ylabel(_label(py, uy))
    ax.legend(fontsize=8)
    return ax


@styled
def fc_critical_map(res: dict, ax=None):
    """The critical Delta chi^2 of every grid point of a Feldman-Cousins region, coloured about
    Wilks' constant (blue: below, the FC region is tighter there; red: above), with the FC
    region's edge; returns the Axes."""
    from matplotlib.colors import TwoSlopeNorm

    from .style import new_axes

    ax = new_axes(ax, figsize=(5.8, 4.6))
    px, py = res["params"]
    ux, uy = res["units"]
    x, y = np.asarray(res["x"]), np.asarray(res["y"])
    crit = np.asarray(res["critical_delta_chi2"], float)
    w = float(res["wilks_delta_chi2"])
    lo, hi = float(np.nanmin(crit)), float(np.nanmax(crit))
    norm = TwoSlopeNorm(vcenter=w, vmin=min(lo, w - 1e-6), vmax=max(hi, w + 1e-6))
    m = ax.pcolormesh(x, y, crit, cmap="RdBu_r", norm=norm, shading="nearest")
    ax.figure.colorbar(m, ax=ax, label=rf"critical $\Delta\chi^2$ (Wilks {w:.2f})")
    d = np.asarray(res["delta_chi2"]) - crit
    ax.contour(x, y, d, levels=[0.0], colors="k", linewidths=1.5)
    ax.set_xlabel(_label(px, ux))
    ax.set_ylabel(_label(py, uy))
    ax.set_title(f"Feldman-Cousins critical values, {res['cl']:.0%} CL", fontsize=9)
    return ax


@styled
def posterior_2d(res: dict, ax=None):
    """The 2D posterior density (weighted histogram) with its highest-posterior-density region at
    the credibility level; returns the Axes."""
    from .style import new_axes

    ax = new_axes(ax, figsize=(5.4, 4.6))
    px, py = res["params"]
    ux, uy = res["units"]
    xe, ye = np.asarray(res["x_edges"]), np.asarray(res["y_edges"])
    dens = np.asarray(res["density"])
    ax.pcolormesh(xe, ye, dens, cmap="Greys", shading="flat")
    xc, yc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
    ax.contour(xc, yc, dens, levels=[res["hpd_level"]], colors="C2")
    ax.plot([], [], "C2-", label=f"{res['cl']:.0%} HPD region (prior {res['prior']})")
    ax.set_xlabel(_label(px, ux))
    ax.set_ylabel(_label(py, uy))
    ax.legend(fontsize=8)
    return ax


@styled
def corner(res: dict, fig=None):
    """Corner plot of a 2D posterior: both marginals with their HPD intervals shaded and the 2D
    posterior with its HPD region; returns the Figure."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(6.0, 6.0))
    axs = fig.subplots(2, 2)
    px, py = res["params"]
    ux, uy = res["units"]
    s = res["samples"]
    xs, ys, w = map(np.asarray, (s["x"], s["y"], s["w"]))
    xe, ye = np.asarray(res["x_edges"]), np.asarray(res["y_edges"])
    axs[0, 1].axis("off")
    for k, (v, e, p, u) in enumerate(((xs, xe, px, ux), (ys, ye, py, uy))):
        a = axs[0, 0] if k == 0 else axs[1, 1]
        a.hist(v, bins=e, weights=w, density=True, histtype="step", color="k")
        for lo, hi in res["marginals"][p]["hpd_intervals"]:
            a.axvspan(lo, hi, color="C2", alpha=0.2)
        a.set_yticks([])
        a.set_xlabel(_label(p, u))
    posterior_2d(res, ax=axs[1, 0])
    axs[1, 0].get_legend().remove()
    fig.suptitle(f"posterior, prior {res['prior']}: {res['cl']:.0%} HPD region", fontsize=10)
    fig.tight_layout()
    return fig


@styled
def region_plot(res: dict, path: str | None = None):
    """FC: the Feldman-Cousins and Wilks regions on the tested grid beside the map of critical
    values; Bayes: a corner plot.  Returns the Figure (and writes ``path`` if given)."""
    import matplotlib.pyplot as plt

    if res["method"] == "fc":
        fig, axs = plt.subplots(1, 2, figsize=(11.4, 4.6))
        fc_region(res, ax=axs[0])
        fc_critical_map(res, ax=axs[1])
        fig.tight_layout()
    else:
        fig = corner(res)
    if path:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig
