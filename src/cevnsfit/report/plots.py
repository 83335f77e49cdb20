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
