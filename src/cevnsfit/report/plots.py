"""Plots: predicted components stacked against the data, per observable axis."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = {"ss": "#bbbbbb", "background": "#bbbbbb", "brn": "#8c6d31", "delbrn": "#e7ba52",
           "nin": "#bd9e39", "es": "#6baed6", "cevns": "#d6616b"}
LABELS = {"ss": "steady state", "background": "background", "brn": "BRN", "delbrn": "delayed BRN",
          "nin": "NIN", "es": r"$\nu$–e ES", "cevns": "CEvNS"}


def _project(arr, shape, axis):
    a = np.asarray(arr).reshape(shape)
    other = tuple(i for i in range(len(shape)) if i != axis)
    return a.sum(axis=other) if other else a


def _wrap(title: str, width: int = 70) -> str:
    """Long titles (analysis descriptions) on several lines, so that none is cut at the frame."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


def stacked_prediction(dataset, components: dict, title: str, path: str, errors=None) -> None:
    """One panel per observable axis: components stacked (backgrounds first), data with errors.

    Counts are shown per bin divided by the bin width, so unequal bins read correctly."""
    shape = dataset.shape
    n_ax = len(dataset.axes)
    fig, axes = plt.subplots(1, n_ax, figsize=(5.2 * n_ax, 4.2), squeeze=False)
    order = [k for k in ("ss", "background", "brn", "delbrn", "nin", "es", "cevns") if k in components]
    for ax_i, (ax, axis) in enumerate(zip(axes[0], dataset.axes)):
        edges = axis.edges
        width = np.diff(edges)
        uniform = np.allclose(width, width[0])
        if uniform:   # equal bins: show counts per bin, in the data set's own units
            width = np.ones_like(width)
        bottom = np.zeros(len(edges) - 1)
        for k in order:
            v = _project(components[k], shape, ax_i) / width
            ax.stairs(bottom + v, edges, baseline=bottom, fill=True, color=COLOURS.get(k, None),
                      label=f"{LABELS.get(k, k)} ({np.sum(components[k]):.4g})", alpha=0.9)
            bottom = bottom + v
        ax.stairs(bottom, edges, color="k", lw=1.0)
        obs = _project(dataset.observed, shape, ax_i)
        if errors is None:
            err = np.sqrt(np.maximum(obs, 1.0))
        else:
            err = np.sqrt(_project(np.asarray(errors) ** 2, shape, ax_i))
        centres = 0.5 * (edges[1:] + edges[:-1])
        ax.errorbar(centres, obs / width, yerr=err / width, fmt="o", ms=3, color="k",
                    label=f"data ({np.sum(dataset.observed):.4g})")
        ax.set_xlabel(f"{axis.name} [{axis.unit}]" if axis.unit else axis.name)
        ax.set_ylabel("counts per bin" if uniform else f"counts / {axis.unit or 'unit'}")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def contour_plot(results: list[dict], path: str, labels: list[str] | None = None, title: str = "") -> None:
    """90 % CL (solid) and 1/2/3 sigma (dashed) contours of one or more 2D results."""
    fig, ax = plt.subplots(figsize=(5.5, 4.6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, res in enumerate(results):
        x, y, d = np.array(res["x"]), np.array(res["y"]), np.array(res["delta_chi2"])
        c = colours[k % len(colours)]
        lv = res["levels"]
        ax.contour(x, y, d, levels=[lv["1sigma"], lv["2sigma"], lv["3sigma"]], colors=[c], linestyles="dashed",
                   linewidths=0.8)
        ax.contour(x, y, d, levels=[lv["90%"]], colors=[c], linewidths=1.8)
        bf = res["best_fit"]
        ax.plot([bf[res["params"][0]]], [bf[res["params"][1]]], "+", color=c,
                label=(labels[k] if labels else ", ".join(res["options"]["data"])) + " (90% CL)")
    px, py = results[0]["params"]
    ux, uy = results[0]["units"]
    ax.set_xlabel(f"{px} [{ux}]" if ux else px)
    ax.set_ylabel(f"{py} [{uy}]" if uy else py)
    ax.legend(fontsize=8)
    ax.set_title(_wrap(title or "profiled Δχ²: 90% CL (solid), 1/2/3σ (dashed)"), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def profile_plot(results: list[dict], path: str, labels: list[str] | None = None, title: str = "") -> None:
    """Δχ² profiles of 1D limit results with the CL line."""
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for k, res in enumerate(results):
        g, d = np.array(res["scan"]["grid"]), np.array(res["scan"]["delta_chi2"])
        ax.plot(g, d, label=labels[k] if labels else ", ".join(res["options"]["data"]))
    ax.axhline(results[0]["delta_chi2"], color="k", ls=":", lw=1, label=f"{results[0]['cl']:.0%} CL")
    ax.set_ylim(0, max(3 * results[0]["delta_chi2"], 1.0))
    p, u = results[0]["param"], results[0]["unit"]
    ax.set_xlabel(f"{p} [{u}]" if u else p)
    ax.set_ylabel("Δχ²")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(_wrap(title), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def comparison_plot(param: str, ours: list[tuple[str, list]], others: list[tuple[str, float, float]], path: str) -> None:
    """Horizontal bars: our 90 % CL intervals (every disjoint piece) beside other experiments'."""
    rows = [(name, iv, "C3") for name, iv in ours] + [(name, [[lo, hi]], "0.5") for name, lo, hi in others]
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(rows) + 1.2))
    for k, (name, ivs, colour) in enumerate(rows):
        for a, b in ivs:
            ax.plot([a, b], [k, k], lw=6, color=colour, solid_capstyle="butt")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.invert_yaxis()
    from ..physics.parameters import UNITS
    ax.set_xlabel(f"{param} [{UNITS[param]}]" if UNITS[param] else param)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_title("90% CL: this work (red) and other experiments (grey)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
