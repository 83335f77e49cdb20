"""Run analysis files and write the results: JSON per analysis, a summary table (Markdown, LaTeX,
JSON, CSV), Δχ² profile plots, 2D contour plots and comparison plots against other experiments."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from ..config import Analysis
from ..inference import methods as by_method
from ..inference.analysis import contour, limit

#: Other experiments' 90 % CL bounds in the package's units, as compiled by Atzori Corona et al.,
#: JHEP 09 (2022) 164 and JHEP 05 (2024) 271 (original references in docs/physics.md).
OTHER_BOUNDS = {
    "r2_ee": [("TEXONO", -4.2, 6.6), ("LSND", -5.94, 8.28), ("LAMPF", -7.12, 10.88), ("Krasnoyarsk", -7.3, 7.3)],
    "r2_mumu": [("BNL-E734", -5.7, 1.1), ("CHARM-II", -1.2, 1.2)],
    "mu_e": [("GEMMA", 0.0, 0.29), ("XENONnT (solar)", 0.0, 0.064)],
    "mu_mu": [("LSND", 0.0, 6.8)],
    "mu_nu": [("XENONnT SR0 ER (solar)", 0.0, 0.064)],
    "q_ee": [("LZ", -1.5e-13, 1.5e-13)],
    "q_mumu": [("LZ", -3.1e-13, 3.1e-13)],
}


#: shipped analyses that compare model choices (their sin^2 theta_W values stay off the running plot)
COMPARISONS = ("reactor_norm_", "csi_alone_")

CUP = r"$\cup$"
ENDROW = "\\\\"


#: the sections of the shipped analyses: the published analyses of the reference papers, and
#: those beyond them (new physics, solar neutrinos)
SECTIONS = ("papers", "beyond")


def select(analyses, only: str | None = None, section: str | None = None) -> list:
    """The analyses whose name contains ``only`` and that belong to ``section`` (None: any);
    ValueError for an unknown section or when nothing is left."""
    if section is not None and section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}; allowed: {', '.join(SECTIONS)}")
    out = [a for a in analyses if (not only or only in a.name) and (section is None or a.section == section)]
    if not out and (only or section):
        what = " and ".join(
            x for x in (f"matches {only!r}" if only else "", f"is in section {section!r}" if section else "") if x
        )
        raise ValueError(f"no shipped analysis {what}")
    return out


def run_analysis(a: Analysis, quick: bool = False, progress=None) -> dict:
    """Run every limit and contour of an analysis file. ``quick`` thins the scans (for CI).
    ``progress(text, advance)`` is told each step before (advance 0) and after (advance 1) it."""
    from ..provenance import metadata

    setup = a.setup()
    out = {
        "name": a.name,
        "description": a.description,
        "data": a.data,
        "model": a.model.model_dump(),
        "limits": [],
        "contours": [],
        "published": {k: v.model_dump() for k, v in a.published.items()},
        "section": a.section,
        "exclusions": [],
    }
    t0 = time.perf_counter()
    n_total = n_steps(a)
    k = 0
    for spec in a.limits:
        n = max(11, spec.points // 3) if quick else spec.points
        k += 1
        if progress:
            progress(f"limit on {spec.param} ({k}/{n_total}, {n} points)", 0)
        for method, prior in _runs(spec):
            try:
                if method == "wilks":
                    res = (
                        limit(
                            setup,
                            spec.param,
                            cl=spec.cl,
                            n_points=n,
                            scan_range=spec.range,
                            refine=not quick,
                            **a.fixed_free(spec),
                        )
                        if "." not in spec.param
                        else by_method.limit(
                            setup, spec.param, cl=spec.cl, n_points=n, scan_range=spec.range, **a.fixed_free(spec)
                        )
                    )
                    res.setdefault("method", "wilks")
                else:
                    res = by_method.limit(
                        setup,
                        spec.param,
                        method=method,
                        cl=spec.cl,
                        n_points=(12 if quick else None),
                        scan_range=spec.range,
                        toys=min(spec.toys, 50) if quick else spec.toys,
                        seed=spec.seed,
                        prior=prior or "flat",  # (used by Bayes only)
                        nlive=100 if quick else 500,
                        smooth=spec.smooth,
                        **a.fixed_free(spec),
                    )
            except Exception as e:  # one failed analysis must not lose the others: flag it
                res = failed_limit(spec, setup, e)
                res["method"] = method
            out["limits"].append(res)
        if progress:
            progress(f"limit on {spec.param} done", 1)
    for spec in a.contours:
        n = max(7, spec.points // 3) if quick else spec.points
        k += 1
        if progress:
            progress(f"contour {spec.params[0]} x {spec.params[1]} ({k}/{n_total}, {n}x{n} grid)", 0)
        for method, prior in _runs(spec):
            try:
                xr, yr = spec.ranges if spec.ranges else (None, None)
                if method == "wilks":
                    res = contour(
                        setup,
                        spec.params[0],
                        spec.params[1],
                        x_range=xr,
                        y_range=yr,
                        n=n,
                        scales=spec.scales,
                        **a.fixed_free(spec),
                    )
                    res.setdefault("method", "wilks")
                else:
                    res = by_method.contour(
                        setup,
                        spec.params[0],
                        spec.params[1],
                        method=method,
                        n=min(n, 7) if quick else None,
                        x_range=xr,
                        y_range=yr,
                        toys=min(spec.toys, 30) if quick else spec.toys,
                        seed=spec.seed,
                        prior=prior or "flat",  # (used by Bayes only)
                        nlive=100 if quick else 500,
                        smooth=spec.smooth,
                        **a.fixed_free(spec),
                    )
                out["contours"].append(res)
            except Exception as e:
                out.setdefault("errors", []).append(f"contour {spec.params} ({method}): {type(e).__name__}: {e}")
        if progress:
            progress(f"contour {spec.params[0]} x {spec.params[1]} done", 1)
    for spec in a.exclusions:
        k += 1
        n = max(8, spec.points // 4) if quick else spec.points
        if progress:
            progress(f"exclusion curve of {spec.coupling} ({k}/{n_total}, {n} masses)", 0)
        try:
            from ..inference.exclusion import exclusion

            out["exclusions"].append(
                exclusion(
                    setup,
                    spec.coupling,
                    np.geomspace(spec.masses[0], spec.masses[1], n),
                    cl=spec.cl,
                    fixed=dict(a.fixed) or None,
                    free=list(a.free) or None,
                    each=spec.each,
                )
            )
        except Exception as e:
            out.setdefault("errors", []).append(f"exclusion {spec.coupling}: {type(e).__name__}: {e}")
        if progress:
            progress(f"exclusion curve of {spec.coupling} done", 1)
    out["seconds"] = time.perf_counter() - t0
    out["meta"] = metadata({"quick": quick, **setup.options()})
    return out


def _runs(spec) -> list[tuple[str, str | None]]:
    """(method, prior) of every result a limit or contour entry asks for: one per method, and
    one per prior for Bayes."""
    out: list[tuple[str, str | None]] = []
    for m in spec.methods:
        out += [(m, p) for p in spec.priors] if m == "bayes" else [(m, None)]
    return out


def failed(result: dict) -> list[str]:
    """What failed in an analysis result (empty: nothing)."""
    out = [
        f"{result['name']}: {w}"
        for lim in result.get("limits", [])
        for w in lim.get("warnings", [])
        if w.startswith("FAILED")
    ]
    return out + [f"{result['name']}: {e}" for e in result.get("errors", [])]


def input_fingerprint(a: Analysis, quick: bool) -> str:
    """SHA-256 of everything an analysis result depends on: the package version and source code,
    the checksums of the data releases its data sets read, the analysis (as parsed from its file)
    and the quick flag.  A stored result with the same fingerprint is reused by ``reproduce``."""
    import hashlib

    from .. import __version__, cache, experiments

    sets = sorted({s for n in a.data for s in experiments.info(n).data_sets})
    blob = json.dumps(
        {
            "version": __version__,
            "code": cache.code_fingerprint(),
            "data": cache.data_fingerprint(sets),
            "analysis": a.model_dump(mode="json"),
            "quick": bool(quick),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def stored_results(outdir: Path) -> dict[str, dict]:
    """The analysis results present in ``outdir`` (``<name>.json`` files written by a run), by name."""
    out = {}
    for f in sorted(Path(outdir).glob("*.json")):
        try:
            d = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(d, dict) and "limits" in d and "contours" in d and d.get("name") == f.stem:
            out[d["name"]] = d
    return out


def write_result(outdir: Path, result: dict) -> Path:
    """Write one analysis result atomically (``<name>.json``)."""
    path = Path(outdir) / f"{result['name']}.json"
    tmp = path.with_name(f".{path.name}.tmp{__import__('os').getpid()}")
    tmp.write_text(json.dumps(result))
    tmp.replace(path)
    return path


def failed_limit(spec, setup, err: Exception) -> dict:
    """A limit entry recording a failure (shown as FAILED in every table)."""
    from ..physics.parameters import UNITS

    return {
        "param": spec.param,
        "unit": UNITS.get(spec.param, ""),
        "cl": spec.cl,
        "delta_chi2": None,
        "best_fit": float("nan"),
        "chi2_min": float("nan"),
        "intervals": [],
        "converged": False,
        "profiled": [],
        "options": setup.options(),
        "scan": {"grid": [], "delta_chi2": []},
        "warnings": [f"FAILED: {type(err).__name__}: {err}"],
        "seconds": 0.0,
    }


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"


def _intervals_str(iv) -> str:
    return " ∪ ".join(f"[{_fmt(a)}, {_fmt(b)}]" for a, b in iv) if iv else "none"


def _fixed_str(fixed: dict) -> str:
    """``r2_mumu = -0.48`` for the parameters an entry held fixed."""
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in (fixed or {}).items())


def summary_rows(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        for lim in r["limits"]:
            pub = r["published"].get(lim["param"])
            row = {
                "analysis": r["name"],
                "section": r.get("section", "papers"),
                "data": "+".join(r["data"]),
                "param": lim["param"],
                "unit": lim["unit"],
                "method": lim.get("method", "wilks") + (f" ({lim['prior']})" if lim.get("prior") else ""),
                "cl": lim["cl"],
                "best_fit": lim.get("best_fit", lim.get("mean", float("nan"))),
                "chi2_min": lim.get("chi2_min", float("nan")),
                "intervals": lim["intervals"],
                "profiled": lim.get("profiled", lim.get("sampled", [])),
                "fixed": (lim.get("options") or {}).get("fixed", {}),
                "expected_intervals": lim.get("expected_intervals"),
                "converged": lim.get("converged", True),
                "warnings": lim["warnings"],
                "published": pub["intervals"] if pub else None,
                "published_source": pub["source"] if pub else "",
                "options": lim.get("options") or {},
                "made_with": {k: (r.get("meta") or {}).get(k) for k in ("cevnsfit", "git_commit", "date")},
            }
            if pub and pub.get("intervals") and lim["intervals"]:
                ours = max(abs(b) for _, b in lim["intervals"])
                theirs = max(abs(b) for _, b in pub["intervals"])
                row["ratio_to_published"] = ours / theirs if theirs else None
            rows.append(row)
    return rows


def _made_with(rows: list[dict]) -> str:
    """'made with cevnsfit V (git C), results of D1 to D2; table written D' for a table's footer."""
    from ..provenance import metadata

    now = metadata()
    versions = sorted(
        {
            f"{m.get('cevnsfit')}" + (f" (git {m['git_commit'][:12]})" if m.get("git_commit") else "")
            for m in (r.get("made_with") or {} for r in rows)
            if m.get("cevnsfit")
        }
    )
    dates = sorted(m["date"] for m in (r.get("made_with") or {} for r in rows) if m.get("date"))
    out = f"made with cevnsfit {', '.join(versions) or now['cevnsfit']}"
    if dates:
        out += f", results of {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "")
    return out + f"; table written {now['date']}"


def write_tables(rows: list[dict], outdir: Path) -> None:
    (outdir / "results.json").write_text(json.dumps(rows, indent=1))
    with open(outdir / "results.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "analysis",
                "data",
                "param",
                "unit",
                "method",
                "cl",
                "best_fit",
                "intervals",
                "expected",
                "profiled",
                "fixed",
                "converged",
                "published",
                "warnings",
            ]
        )
        for r in rows:
            w.writerow(
                [
                    r["analysis"],
                    r["data"],
                    r["param"],
                    r["unit"],
                    r["method"],
                    r["cl"],
                    r["best_fit"],
                    json.dumps(r["intervals"]),
                    json.dumps(r["expected_intervals"]) if r["expected_intervals"] else "",
                    " ".join(r["profiled"]),
                    json.dumps(r["fixed"]) if r["fixed"] else "",
                    r["converged"],
                    json.dumps(r["published"]) if r["published"] else "",
                    " | ".join(r["warnings"]),
                ]
            )
    head = [
        "| analysis | data | parameter | method | CL | best fit | allowed | expected | fixed | published | flags |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    md = [] if rows and all(r.get("section") == "beyond" for r in rows) else list(head)
    beyond = False
    for r in sorted(rows, key=lambda x: x.get("section", "papers") == "beyond"):
        if r.get("section") == "beyond" and not beyond:
            beyond = True
            md += [
                "",
                "## Beyond the papers",
                "",
                "Analyses no paper reproduced here has done (e.g. solar neutrinos at XENONnT combined with "
                "COHERENT and Dresden-II); published bounds of other experiments are in the comparison plots.",
                "",
            ] + head
        flags = []
        if not r["converged"]:
            flags.append("NOT CONVERGED")
        if any("edge" in w for w in r["warnings"]):
            flags.append("AT SCAN EDGE")
        if any(w.startswith("FAILED") for w in r["warnings"]):
            flags.append("FAILED")
        unit = f" [{r['unit']}]" if r["unit"] else ""
        md.append(
            f"| {r['analysis']} | {r['data']} | {r['param']}{unit} | {r['method']} | {r['cl']:.4g} | "
            f"{_fmt(r['best_fit'])} | "
            f"{_intervals_str(r['intervals'])} | "
            f"{_intervals_str(r['expected_intervals']) if r['expected_intervals'] else ''} | "
            f"{_fixed_str(r['fixed'])} | "
            f"{_intervals_str(r['published']) if r['published'] else ''} | "
            f"{', '.join(flags)} |"
        )
    made = _made_with(rows)
    md += ["", f"_{made}; the options of each analysis are in its file `<analysis>.json`._"]
    (outdir / "results.md").write_text("\n".join(md + exclusion_table(outdir)) + "\n")
    tex = [
        r"\begin{tabular}{llllllll}",
        r"\hline",
        r"analysis & data & parameter & method & CL & best fit & allowed & expected \\",
        r"\hline",
    ]
    for r in rows:
        mark = "" if r["converged"] and not any("edge" in w for w in r["warnings"]) else r"$^\dagger$"
        allowed = _intervals_str(r["intervals"]).replace("∪", CUP)
        tex.append(
            f"{r['analysis'].replace('_', '-')} & {r['data']} & {r['param'].replace('_', '-')} & "
            f"{r['method']} & {r['cl']:.3g} & {_fmt(r['best_fit'])} & {allowed}{mark} & "
            f"{_intervals_str(r['expected_intervals']).replace('∪', CUP) if r['expected_intervals'] else ''} " + ENDROW
        )
    tex += [r"\hline", r"\end{tabular}", r"% \dagger: fit not converged or interval at the scan edge", f"% {made}"]
    (outdir / "results.tex").write_text("\n".join(tex) + "\n")


def exclusion_table(outdir: Path) -> list[str]:
    """Markdown lines of the exclusion curves written by :func:`write_exclusions` (if any)."""
    f = Path(outdir) / "exclusions.json"
    if not f.is_file():
        return []
    rows = json.loads(f.read_text())
    if not rows:
        return []
    md = [
        "",
        "## Light-mediator exclusion curves (90 % CL upper limit on the coupling)",
        "",
        "| analysis | coupling | data | masses [MeV] "
        "| upper limit at 1 keV / 10 MeV / 1 GeV / 10 GeV | islands | time [s] |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = np.asarray(r["masses"])
        vals = []
        for target in (1e-3, 10.0, 1e3, 1e4):
            j = int(np.argmin(np.abs(np.log(m / target))))
            vals.append(_fmt(r["upper"][j]) if np.isfinite(r["upper"][j]) else "-")
        islands = sum(len(iv) > 1 for iv in r["intervals"])
        md.append(
            f"| {r['analysis']} | {r['coupling']} | {r['data']} | {_fmt(m[0])}-{_fmt(m[-1])} ({m.size}) | "
            f"{' / '.join(vals)} | {islands} masses | {r['seconds']:.1f} |"
        )
    return md


def write_exclusions(results: list[dict], outdir: Path) -> list[str]:
    """exclusions.json (one row per curve) and one log-log plot per exclusion (every data-set
    combination of the analysis side by side)."""
    from .plots import exclusion_plot

    rows, made = [], []
    pdir = Path(outdir) / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    for r in results:
        for ex in r.get("exclusions", []):
            for c in ex["curves"]:
                rows.append(
                    {
                        "analysis": r["name"],
                        "coupling": ex["coupling"],
                        "data": "+".join(c["data"]),
                        "masses": c["masses"],
                        "upper": c["upper"],
                        "intervals": c["intervals"],
                        "seconds": c["seconds"],
                        "cl": ex["cl"],
                    }
                )
            f = pdir / f"exclusion_{r['name']}_{ex['coupling']}.png"
            exclusion_plot(ex, str(f), title=r["description"])
            made.append(str(f))
    (Path(outdir) / "exclusions.json").write_text(json.dumps(rows, indent=1))
    return made


def write_analysis_plots(r: dict, outdir: Path) -> list[str]:
    """The plots of one analysis result (profiles, contours, FC/Bayes intervals) in OUTDIR/plots."""
    from .plots import contour_plot, profile_plot

    made: list[str] = []
    pdir = Path(outdir) / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    by_param: dict[str, list] = {}
    for lim in r["limits"]:
        if lim.get("method", "wilks") == "wilks":
            by_param.setdefault(lim["param"], []).append(lim)
        elif lim["intervals"]:  # FC critical values / Bayes posterior
            from .interval_plots import interval_plot

            tag = lim["method"] + (f"_{lim['prior']}" if lim.get("prior") else "")
            f = pdir / f"{tag}_{r['name']}_{lim['param']}.png"
            interval_plot(lim, str(f))
            made.append(str(f))
    for p, lims in by_param.items():
        lims = [x for x in lims if x["scan"]["grid"]]
        if not lims:
            continue
        f = pdir / f"profile_{r['name']}_{p}.png"
        profile_plot(lims[:1], str(f), [analysis_label(r)], title=r["description"])
        made.append(str(f))
    for c in r["contours"]:
        if c.get("method", "wilks") != "wilks":
            from .interval_plots import region_plot

            tag = c["method"] + (f"_{c['prior']}" if c.get("prior") else "")
            f = pdir / f"{tag}_{r['name']}_{c['params'][0]}_{c['params'][1]}.png"
            region_plot(c, str(f))
            made.append(str(f))
            continue
        f = pdir / f"contour_{r['name']}_{c['params'][0]}_{c['params'][1]}.png"
        contour_plot([c], str(f), [analysis_label(r)], title=r["description"])
        made.append(str(f))
    return made


def write_plots(results: list[dict], outdir: Path, plotted: dict | None = None) -> list[str]:
    """The plots of every result, and the comparison plots; ``plotted``: {analysis name: its
    plot files} of results whose plots are already drawn (by the worker that ran them)."""
    from .plots import comparison_plot

    plotted = plotted or {}
    made: list[str] = []
    pdir = outdir / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    for r in results:
        made += plotted[r["name"]] if r["name"] in plotted else write_analysis_plots(r, outdir)
    rows = summary_rows(results)
    labels = {r["name"]: analysis_label(r) for r in results}
    for p in OTHER_BOUNDS:
        ours = [
            (labels.get(r["analysis"], r["analysis"]), r["intervals"])
            for r in rows
            if r["param"] == p and abs(r["cl"] - 0.9) < 1e-9 and r["intervals"] and r["method"] == "wilks"
        ]
        if ours:
            f = pdir / f"comparison_{p}.png"
            comparison_plot(p, ours, OTHER_BOUNDS[p], str(f))
            made.append(str(f))
    return made


def analysis_label(r: dict) -> str:
    """How an analysis is named on comparison plots: its experiments and the model choices that
    tell it apart (quenching, flux, ES, transitions), e.g. 'Dresden-II (Fef, HMVE), CEvNS + ES'."""
    from .style import experiment_label

    m = r.get("model", {}) or {}
    bits = [
        str(m[k]).upper() if k == "flux" else str(m[k]).capitalize()
        for k in ("qf", "flux")
        if m.get(k) and ("dresden2" in r["data"])
    ]
    label = experiment_label(r["data"]) + (f" ({', '.join(bits)})" if bits else "")
    if m.get("es") is False:
        label += ", CEvNS only"
    elif m.get("es") is True:
        label += ", CEvNS + ES"
    if m.get("transitions"):
        label += ", transitions profiled"
    if m.get("momentum_dependent"):
        label += ", running radius"
    return label


def write_summary_plots(results: list[dict], outdir: Path) -> list[str]:
    """sin^2 theta_W values on the SM running curve; CEvNS rates against N."""
    from .. import experiments
    from .summary_plots import rate_vs_n, rate_vs_n_plot, sin2w_plot, typical_momentum

    made = []
    pdir = outdir / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    points = []
    for r in results:
        for lim in r["limits"]:
            if (
                lim["param"] != "sin2w"
                or abs(lim["cl"] - 0.6827) > 1e-3
                or not lim["intervals"]
                or lim.get("method", "wilks") != "wilks"
                or r["name"].startswith(COMPARISONS)
            ):
                continue
            iv = min(lim["intervals"], key=lambda ab: abs(0.5 * (ab[0] + ab[1]) - lim["best_fit"]))
            opts = {k: v for k, v in r["model"].items() if v is not None and k in experiments.all_options(r["data"])}
            setup_q = [
                typical_momentum(experiments.load(n, **experiments.split_options(r["data"], opts)[n]))
                for n in r["data"]
            ]
            points.append(
                {
                    "label": r["name"].replace("sin2w_", ""),
                    "q": float(np.exp(np.mean(np.log(setup_q)))),
                    "value": lim["best_fit"],
                    "low": iv[0],
                    "high": iv[1],
                }
            )
    if points:
        f = pdir / "sin2w_running.png"
        sin2w_plot(points, str(f))
        (outdir / "sin2w_points.json").write_text(json.dumps(points, indent=1))
        made.append(str(f))
    if any(n.startswith("xenonnt") for r in results for n in r["data"]):
        from .solar_plots import plot_survival
        from .style import save

        f = pdir / "solar_pee.png"
        save(plot_survival(), str(f))
        made.append(str(f))
    used = sorted({n for r in results for n in r["data"]})
    if used:
        rows = rate_vs_n([experiments.load(n) for n in used])
    if used and rows:
        f = pdir / "rate_vs_N.png"
        rate_vs_n_plot(rows, str(f))
        (outdir / "rate_vs_N.json").write_text(json.dumps(rows, indent=1))
        made.append(str(f))
    return made


def write_all(results: list[dict], outdir: Path, plotted: dict | None = None) -> dict:
    """Tables and plots of ``results`` (plots only of the analyses that did not fail; those in
    ``plotted`` are drawn already: see :func:`write_plots`)."""
    outdir.mkdir(parents=True, exist_ok=True)
    rows = summary_rows(results)
    ok = [r for r in results if not failed(r)]
    excl = write_exclusions(ok, outdir)
    write_tables(rows, outdir)
    plots = write_plots(ok, outdir, plotted) + write_summary_plots(ok, outdir) + excl
    from .csi_timing import write as write_csi_timing
    from .reactor_table import write as write_reactor_table

    tables = write_reactor_table(ok, outdir) + write_csi_timing(ok, outdir)
    return {"rows": rows, "plots": plots, "tables": tables}


def estimated_cost(a: Analysis) -> float:
    """Rough relative cost of an analysis (for scheduling): scan points x data sets x free
    parameters, contours by their grid size."""
    k = len(a.data) * (3 if a.model.transitions else 1)
    cost = 0.0
    for s in a.limits:
        cost += sum(s.points * k if m == "wilks" else 40 * s.toys * k if m == "fc" else 3000 * k for m, _ in _runs(s))
    for s in a.contours:
        cost += sum(
            3 * s.points**2 * k if m == "wilks" else 225 * s.toys * k if m == "fc" else 6000 * k for m, _ in _runs(s)
        )
    for s in a.exclusions:
        cost += 30 * s.points * k * (2 if s.each else 1)
    return cost


def n_steps(a: Analysis) -> int:
    return len(a.limits) + len(a.contours) + len(a.exclusions)


# -- running many analyses: worker processes, progress, resume ---------------------------------
_QUEUE = None


def _init_worker(queue) -> None:
    from ..runlog import ignore_sigint

    global _QUEUE
    _QUEUE = queue
    ignore_sigint()


def _steps_within(progress, send_detail, every: float = 0.5):
    """``(tell, listener)``: ``tell(text, advance)`` forwards the steps of :func:`run_analysis` to
    ``progress``; ``listener`` (for :func:`cevnsfit.inference.progress.listening`) sends where the
    current step is -- its stage and points done -- to ``send_detail(text)``, at most every
    ``every`` seconds unless the stage changes."""
    state: dict = {"text": "", "stage": None, "t": -1e9}

    def tell(text, advance):
        state["text"] = text
        progress(text, advance)

    def listener(stage, done, total):
        now = time.perf_counter()
        if stage == state["stage"] and now - state["t"] < every and done != total:
            return
        state["stage"], state["t"] = stage, now
        send_detail(f"{state['text']}: {stage}" + (f" {done}/{total}" if total else ""))

    return tell, listener


def _worker(a: Analysis, quick: bool, outdir: Path | None = None) -> tuple[dict, list[str] | None]:
    """Run an analysis in a worker and, with ``outdir``, draw its plots there (in parallel with
    the other workers rather than all at the end): (result, plot files or None)."""
    from ..inference.progress import listening

    def put(text, advance):
        if _QUEUE is not None:
            _QUEUE.put((a.name, text, advance))

    tell, listener = _steps_within(put, lambda text: put(text, None))
    with listening(listener):
        res = run_analysis(a, quick, progress=tell)
    return res, _plots_of(res, outdir)


def _plots_of(res: dict, outdir: Path | None) -> list[str] | None:
    """The plots of a finished analysis (None: not drawn -- failed, or no ``outdir``)."""
    if outdir is None or failed(res):
        return None
    return write_analysis_plots(res, outdir)


def run_many(analyses, outdir: Path, quick: bool = False, workers: int = 1, force: bool = False, progress=None) -> dict:
    """Run analyses, keep each result in ``outdir`` as soon as it is finished, and write the
    summary (tables, plots) of *every* result present in ``outdir``.

    A stored result whose :func:`input_fingerprint` matches is reused (``force``: recompute).
    ``workers`` > 1 runs analyses in worker processes, at most ``workers`` at a time (so that
    the progress display knows which are running); workers ignore SIGINT and are stopped by the
    caller (:func:`cevnsfit.runlog.stoppable`).  ``progress``: a :class:`cevnsfit.runlog.Progress`.
    Returns {"ran", "reused", "failed", "results", "rows", "plots"}."""
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from ..runlog import sigint_ignored

    outdir = Path(outdir)
    stored = stored_results(outdir)
    todo, reused = [], []
    fps = {}
    for a in analyses:
        fps[a.name] = input_fingerprint(a, quick)
        old = stored.get(a.name)
        if not force and old is not None and old.get("inputs") == fps[a.name] and not failed(old):
            reused.append(a.name)
            if progress:
                progress.skip(a.name, n_steps(a), note=f"reused (finished {old.get('finished', '?')})")
        else:
            todo.append(a)

    plotted: dict = {}

    def keep(a, res, plots=None):
        if plots is not None:
            plotted[a.name] = plots
        res["inputs"] = fps[a.name]
        res["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        write_result(outdir, res)
        if progress:
            bad = failed(res)
            progress.finish(a.name, n_steps(a), note="FAILED" if bad else f"finished in {res['seconds']:.0f} s")

    workers = max(1, min(workers, len(todo) or 1))
    if workers == 1:
        for a in todo:
            if progress:
                progress.start(a.name, n_steps(a))
            if progress:
                from ..inference.progress import listening

                tell, listener = _steps_within(
                    lambda t, adv, n=a.name: progress.step(n, t, adv), lambda t, n=a.name: progress.detail(n, t)
                )
                with listening(listener):
                    res = run_analysis(a, quick, progress=tell)
            else:
                res = run_analysis(a, quick)
            keep(a, res, _plots_of(res, outdir))
    elif todo:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        pending = sorted(todo, key=estimated_cost, reverse=True)  # heaviest first
        running: dict = {}
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(q,))
        try:
            while pending or running:
                while pending and len(running) < workers:
                    a = pending.pop(0)
                    with sigint_ignored():  # a worker spawned now inherits it: Ctrl-C is the parent's
                        running[pool.submit(_worker, a, quick, outdir)] = a
                    if progress:
                        progress.start(a.name, n_steps(a))
                done, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
                while True:
                    try:
                        name, text, adv = q.get_nowait()
                    except (queue_mod.Empty, OSError, ValueError):
                        break
                    if progress and adv is None:
                        progress.detail(name, text)
                    elif progress:
                        progress.step(name, text, adv)
                for f in done:
                    a = running.pop(f)
                    keep(a, *f.result())
        except BaseException:
            # stop now: the workers ignore SIGINT and would otherwise finish their analyses first
            from ..runlog import kill_children

            kill_children()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    present = stored_results(outdir)
    results = [present[n] for n in sorted(present)]
    summary = write_all(results, outdir, plotted)
    return {
        "ran": [a.name for a in todo],
        "reused": reused,
        "failed": [x for r in results if r["name"] in {a.name for a in analyses} for x in failed(r)],
        "results": results,
        **summary,
    }


def quantile(values, q):
    return float(np.quantile(np.asarray(values), q))
