"""The reactor-normalisation table of the reproduction record: per Dresden-II spectrum model and
flux normalisation, nu-bar per fission, total flux, flux above 1.8 MeV, predicted CEvNS events,
the preference of the data for CEvNS, and the Dresden-II limits (from the shipped analyses
``reactor_norm_<model>_<normalisation>``, run by ``cevnsfit reproduce``).

The normalisations (:mod:`cevnsfit.sources.reactor`): ``total`` -- every model scaled to
4.8e13 nu-bar/cm^2/s (the reference analyses' procedure); ``power`` -- fission rate from the
thermal power and the energy per fission x nu-bar per fission; ``fission`` -- 4.8e13 for the
fission nu-bar alone, capture nu-bar on top (the public code of Coloma et al. 2022).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

NAME = "reactor_norm_{model}_{norm}"


def cevns_preference(ds) -> tuple[float, float]:
    """Delta chi^2 of background only against background + SM CEvNS + ES (the reactor signal
    switched off, the flux prior not charged for it) and its p-value (Wilks, 1 dof)."""
    from scipy.stats import chi2 as chi2_dist

    from ..inference.fit import Likelihood

    lik = Likelihood([ds])
    with_signal = lik.fit()
    off = {f"{ds.name}.eta_flux": -1.0}
    without = lik.fit(fixed=off, start=off)
    d = without.chi2 - ds.penalty({"eta_flux": -1.0}) - with_signal.chi2
    return float(d), float(chi2_dist.sf(max(d, 0.0), 1))


def flux_rows(qf: str = "fef") -> list[dict]:
    """The spectrum side of the table, for every model and normalisation (Dresden-II, ``qf``)."""
    from .. import experiments
    from ..physics.parameters import Params
    from ..sources import reactor

    rows = []
    for model in reactor.MODELS:
        per = reactor.nu_per_fission(model)
        for norm in reactor.NORMALISATIONS:
            ds = experiments.load("dresden2", qf=qf, flux=model, reactor_norm=norm)
            sp = ds.spectrum
            e = sp.energies
            above = float(np.trapezoid(np.where(e >= 1.8, sp.density, 0.0), e))
            dchi2, p = cevns_preference(ds)
            rows.append(
                {
                    "model": model,
                    "normalisation": norm,
                    "nu_per_fission": per["total"],
                    "capture_per_fission": per["capture"],
                    "total_flux": sp.total(),
                    "flux_above_1.8": above,
                    "cevns_events": ds.totals(Params.sm())["cevns"] * ds.events_per_unit,
                    "cevns_dchi2": dchi2,
                    "cevns_p": p,
                }
            )
    return rows


def _limit(result: dict | None, param: str, cl: float) -> dict | None:
    if not result:
        return None
    for lim in result.get("limits", []):
        if lim["param"] == param and abs(lim["cl"] - cl) < 1e-3 and lim.get("method", "wilks") == "wilks":
            return lim
    return None


def table(results: list[dict], qf: str = "fef") -> list[dict]:
    """Rows of the full table: :func:`flux_rows` with the limits of the matching analyses."""
    by_name = {r["name"]: r for r in results}
    rows = flux_rows(qf)
    for row in rows:
        res = by_name.get(NAME.format(model=row["model"], norm=row["normalisation"]))
        for key, param, cl in (("mu_e", "mu_e", 0.9), ("r2_ee", "r2_ee", 0.9), ("sin2w", "sin2w", 0.6827)):
            lim = _limit(res, param, cl)
            row[key] = (
                None
                if lim is None
                else {
                    "intervals": lim["intervals"],
                    "best_fit": lim["best_fit"],
                    "expected_intervals": lim.get("expected_intervals"),
                }
            )
    return rows


def _iv(iv) -> str:
    return " ∪ ".join(f"[{a:.3g}, {b:.3g}]" for a, b in iv) if iv else "—"


def markdown(rows: list[dict]) -> str:
    head = (
        "| model | normalisation | ν̄/fission | Φ total [cm⁻²s⁻¹] | Φ(E > 1.8 MeV) | CEvNS events | "
        "CEvNS Δχ² (p) | \\|μ_νe\\| 90 % [1e-10 μ_B] (expected) | ⟨r²_νee⟩ 90 % [1e-32 cm²] (expected) | "
        "sin²θ_W (1σ) |"
    )
    out = [head, "|" + "---|" * 10]
    for r in rows:
        mu, r2, sw = r.get("mu_e"), r.get("r2_ee"), r.get("sin2w")
        mu_s = (
            "—"
            if not mu
            else f"< {max(b for _, b in mu['intervals']):.3g}"
            + (f" ({max(b for _, b in mu['expected_intervals']):.3g})" if mu.get("expected_intervals") else "")
        )
        r2_s = (
            "—"
            if not r2
            else _iv(r2["intervals"]) + (f" ({_iv(r2['expected_intervals'])})" if r2.get("expected_intervals") else "")
        )
        sw_s = "—" if not sw else f"{sw['best_fit']:.3f} {_iv(sw['intervals'])}"
        p = r["cevns_p"]
        out.append(
            f"| {r['model'].upper()} | {r['normalisation']} | {r['nu_per_fission']:.2f} | {r['total_flux']:.3e} | "
            f"{r['flux_above_1.8']:.3e} | {r['cevns_events']:.0f} | {r['cevns_dchi2']:.2f} "
            f"({p:.1e}) | {mu_s} | {r2_s} | {sw_s} |"
        )
    return "\n".join(out) + "\n"


def write(results: list[dict], outdir: Path) -> list[str]:
    """``reactor_normalisation.md`` and ``.json`` in ``outdir`` when ``results`` hold any of the
    reactor-normalisation analyses; the written paths."""
    if not any(r["name"].startswith("reactor_norm_") for r in results):
        return []
    rows = table(results)
    md, js = Path(outdir) / "reactor_normalisation.md", Path(outdir) / "reactor_normalisation.json"
    md.write_text(markdown(rows))
    js.write_text(json.dumps(rows, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x))
    return [str(md), str(js)]
