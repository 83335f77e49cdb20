"""The two CsI arrival-time models side by side, for the reproduction record: the SNS flux of the
data release (``timing: release``, the default) and the Gaussian POT-trace model
(``timing: model``).  For each: the timing offset fitted to the data (SM physics, every nuisance
profiled; and without its prior), and the predicted prompt (nu_mu) and delayed (nu_e + nubar_mu)
CEvNS events per time bin at the fitted nuisances."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

TIMINGS = ("release", "model")


def _offset_without_prior(ds) -> float:
    """The timing offset the data alone prefer (its Gaussian prior removed)."""
    from ..inference.fit import Likelihood

    free = copy.copy(ds)
    free.nuisances = tuple(
        replace(n, sigma=None, limits=(-1.0, 1.0)) if n.name == "t_offset" else n for n in ds.nuisances
    )
    return float(Likelihood([free]).fit().values[f"{ds.name}.t_offset"])


def comparison(steady_state: str = "flat") -> dict:
    """{timing: {"t_offset": fitted value, "t_offset_prior": (centre, sigma), "t_offset_data": without
    prior, "prompt": events per time bin, "delayed": ..., "chi2_min"}} and the time bin edges."""
    from .. import experiments
    from ..experiments.csi import TIME_EDGES
    from ..inference.fit import Likelihood
    from ..physics.parameters import Params

    out = {"time_edges_us": TIME_EDGES.tolist(), "steady_state": steady_state}
    for timing in TIMINGS:
        ds = experiments.load("csi", timing=timing, steady_state=steady_state)
        fit = Likelihood([ds]).fit()
        nuis = {k.split(".", 1)[1]: v for k, v in fit.values.items()}
        energy = ds.nominal_templates("cevns").per_component(Params.sm())  # (K, E)
        tp = ds.time_probabilities_batch([nuis["t_offset"]])[0]  # (K, T)
        per = (1.0 + nuis["eta_cevns"]) * energy.sum(axis=1)[:, None] * tp  # (K, T)
        species = [s.species for s in ds.spectra]
        prompt = sum(per[k] for k, s in enumerate(species) if s == "nu_mu")
        delayed = sum(per[k] for k, s in enumerate(species) if s != "nu_mu")
        t_off = next(n for n in ds.nuisances if n.name == "t_offset")
        out[timing] = {
            "t_offset": nuis["t_offset"],
            "t_offset_prior": [t_off.central, t_off.sigma],
            "t_offset_data": _offset_without_prior(ds),
            "chi2_min": fit.chi2,
            "prompt": prompt.tolist(),
            "delayed": delayed.tolist(),
        }
    return out


def markdown(c: dict) -> str:
    edges = c["time_edges_us"]
    lines = [
        "| | " + " | ".join(f"{t}: fitted offset [μs] (prior; data alone)" for t in TIMINGS) + " |",
        "|---|---|---|",
        "| offset | "
        + " | ".join(
            f"{c[t]['t_offset']:+.3f} ({c[t]['t_offset_prior'][0]:+.2f} ± "
            f"{c[t]['t_offset_prior'][1]:.2f}; {c[t]['t_offset_data']:+.3f})"
            for t in TIMINGS
        )
        + " |",
        "| χ²_min (99 bins) | " + " | ".join(f"{c[t]['chi2_min']:.1f}" for t in TIMINGS) + " |",
        "",
        "| t_rec [μs] | release: prompt | release: delayed | model: prompt | model: delayed |",
        "|---|---|---|---|---|",
    ]
    for i in range(len(edges) - 1):
        lines.append(
            f"| {edges[i]:g}–{edges[i + 1]:g} | "
            + " | ".join(f"{c[t][k][i]:.1f}" for t in TIMINGS for k in ("prompt", "delayed"))
            + " |"
        )
    lines.append(
        "| total | " + " | ".join(f"{np.sum(c[t][k]):.1f}" for t in TIMINGS for k in ("prompt", "delayed")) + " |"
    )
    return "\n".join(lines) + "\n"


def write(results: list[dict], outdir: Path) -> list[str]:
    """``csi_timing.md``/``.json`` in ``outdir`` when ``results`` involve CsI."""
    if not any("csi" in r.get("data", []) for r in results):
        return []
    c = comparison()
    md, js = Path(outdir) / "csi_timing.md", Path(outdir) / "csi_timing.json"
    md.write_text(markdown(c))
    js.write_text(json.dumps(c, indent=1))
    return [str(md), str(js)]
