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
        ax.plot(g, s["critical_delta_chi2"], "C0o-", ms=3, label=f"critical value ({res['n_toys']} toys each)")
        ax.axhline(res["wilks_delta_chi2"], color="C3", ls="--", label=f"Wilks {res['wilks_delta_chi2']:.2f}")
        for a, b in res["intervals"]:
            ax.axvspan(a, b, color="C0", alpha=0.08)
        top = max(2.5 * res["wilks_delta_chi2"], float(np.nanmax(s["critical_delta_chi2"])) * 1.3)
        ax.set_ylim(0, top)
        ax.set_ylabel(r"$\Delta\chi^2$")
        ax.set_title(f"Feldman-Cousins {res['cl']:.0%} CL: " +
                     " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["intervals"]) +
                     "; Wilks " + " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["wilks_intervals"]), fontsize=9)
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
        ax.set_title(f"{res['cl']:.0%} HPD " + " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res["hpd_intervals"]) +
                     f"; equal-tailed [{res['equal_tailed'][0]:.3g}, {res['equal_tailed'][1]:.3g}]", fontsize=9)
    ax.set_xlabel(x_label)
    ax.legend(fontsize=8)
    if own:
        fig.tight_layout()
        if path:
            fig.savefig(path, dpi=130)
            plt.close(fig)
    return ax


@styled
def region_plot(res: dict, path: str | None = None):
    """FC: the Feldman-Cousins and Wilks regions on the tested grid; Bayes: a corner plot (both
    marginals with their HPD intervals, and the 2D posterior with its HPD region)."""
    import matplotlib.pyplot as plt

    px, py = res["params"]
    ux, uy = res["units"]
    if res["method"] == "fc":
        fig, ax = plt.subplots(figsize=(5.6, 4.6))
        x, y = np.asarray(res["x"]), np.asarray(res["y"])
        d = np.asarray(res["delta_chi2"]) - np.asarray(res["critical_delta_chi2"])
        ax.contourf(x, y, np.asarray(res["delta_chi2"]), levels=20, cmap="Greys_r", alpha=0.5)
        ax.contour(x, y, d, levels=[0.0], colors="C0", linewidths=2)
        ax.contour(x, y, np.asarray(res["delta_chi2"]), levels=[res["wilks_delta_chi2"]], colors="C3",
                   linestyles="--")
        ax.plot([], [], "C0-", label=f"Feldman-Cousins {res['cl']:.0%} CL")
        ax.plot([], [], "C3--", label=f"Wilks ({res['wilks_delta_chi2']:.2f})")
        ax.plot(*res["best_fit"].values(), "k+", ms=10, label="best fit")
        ax.set_xlabel(_label(px, ux))
        ax.set_ylabel(_label(py, uy))
        ax.legend(fontsize=8)
    else:
        fig, axs = plt.subplots(2, 2, figsize=(6.0, 6.0))
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
        dens = np.asarray(res["density"])
        a = axs[1, 0]
        a.pcolormesh(xe, ye, dens, cmap="Greys", shading="flat")
        xc, yc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
        a.contour(xc, yc, dens, levels=[res["hpd_level"]], colors="C2")
        a.set_xlabel(_label(px, ux))
        a.set_ylabel(_label(py, uy))
        fig.suptitle(f"posterior, prior {res['prior']}: {res['cl']:.0%} HPD region", fontsize=10)
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig
