"""cevnsfit benchmarks: speed and scaling, printed as a table.

    CEVNSFIT_DATA=../shared/data python benchmarks/run.py [--quick] [--reproduce] [--json FILE]

For each data set and for the combination: chi^2 evaluations per second at fixed parameters
(single and batched), one profiled fit, one 1D limit (100 scan points, nuisances profiled), a
50 x 50 contour, the template build; `cevnsfit reproduce` with --reproduce; peak memory; and how
the costs grow with the number of bins, scan points and free parameters.  Targets (README):
1D limit < 1 s per data set and < 5 s combined, 50 x 50 combined contour < 60 s, reproduce <
10 min; a missed target is reported with the factor by which it is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("CEVNSFIT_CACHE", "off")   # measure real template builds

from cevnsfit import experiments  # noqa: E402
from cevnsfit.inference.analysis import Setup, contour, limit  # noqa: E402
from cevnsfit.inference.fit import Likelihood  # noqa: E402
from cevnsfit.physics.parameters import Params  # noqa: E402

TARGETS = {"limit_single": 1.0, "limit_combined": 5.0, "contour_combined": 60.0, "reproduce": 600.0}


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return time.perf_counter() - t, out


def evals_per_second(ds, n=300):
    p = Params(mu_e=2.0, mu_mu=3.0)
    nuis = ds.nuisance_defaults()
    t, _ = timed(lambda: [ds.chi2(p, nuis) for _ in range(n)])
    vals = {"mu_e": np.linspace(0, 10, 2000), "mu_mu": np.linspace(0, 10, 2000)}
    tb, _ = timed(ds.chi2_batch, vals, nuis)
    return n / t, 2000 / tb


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller contour grid (projected to 50 x 50)")
    ap.add_argument("--reproduce", action="store_true", help="also time `cevnsfit reproduce`")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    out = {"sets": {}, "scaling": {}}
    rows = []
    for names in (("csi",), ("ar",), ("dresden2",), ("csi", "ar", "dresden2")):
        label = "+".join(names)
        experiments.load.cache_clear()
        t_build, dss = timed(lambda: [experiments.load(n) for n in names])
        single = batched = None
        if len(names) == 1:
            single, batched = evals_per_second(dss[0])
        lik = Likelihood(dss, poi=["mu_e"])
        t_fit, res = timed(lik.fit)
        t_lim, lim = timed(limit, Setup(names), "mu_e", n_points=100, refine=False)
        n_c = 12 if args.quick else 50
        t_con, con = timed(contour, Setup(names), "mu_e", "mu_mu" if "csi" in names or "ar" in names else "sin2w",
                           None, None, n_c)
        t_con50 = t_con * (50 * 50) / (n_c * n_c)
        rec = {"build_s": t_build, "chi2_per_s": single, "chi2_batched_per_s": batched, "fit_s": t_fit,
               "limit100_s": t_lim, "contour_s": t_con, "contour_points": n_c * n_c, "contour50_s": t_con50,
               "limit": lim["intervals"], "peak_mb": peak_mb()}
        out["sets"][label] = rec
        rows.append((label, rec))
    # scaling with the number of bins (Ar 2D = 120 bins vs 3D = 960 bins), scan points, parameters
    for grid in ("2d", "3d"):
        ds = experiments.load("ar", ar_grid=grid)
        s, _ = evals_per_second(ds, 200)
        out["scaling"][f"ar_{grid}_bins_{ds.observed.size}_chi2_per_s"] = s
    for npts in (25, 50, 100):
        t, _ = timed(limit, Setup(("csi",)), "mu_mu", n_points=npts, refine=False)
        out["scaling"][f"csi_limit_{npts}_points_s"] = t
    for k, fam in enumerate((["r2_ee"], ["r2_ee", "r2_emu"], ["r2_ee", "r2_emu", "r2_etau"])):
        dss = [experiments.load("dresden2")]
        lik = Likelihood(dss, poi=fam)
        t, _ = timed(lik.fit)
        out["scaling"][f"dresden2_fit_{len(fam)}_free_params_s"] = t
    if args.reproduce:
        t, proc = timed(subprocess.run, [sys.executable, "-m", "cevnsfit.cli", "reproduce", "--out", "bench_results"],
                        capture_output=True)
        out["reproduce_s"] = t
    out["peak_mb"] = peak_mb()

    print(f"{'data':24s} {'build':>7s} {'chi2/s':>9s} {'batched/s':>10s} {'fit':>7s} {'limit100':>9s} "
          f"{'contour50':>10s}")
    for label, r in rows:
        cs = f"{r['chi2_per_s']:.0f}" if r["chi2_per_s"] else "-"
        bs = f"{r['chi2_batched_per_s']:.0f}" if r["chi2_batched_per_s"] else "-"
        print(f"{label:24s} {r['build_s']:6.2f}s {cs:>9s} {bs:>10s} {r['fit_s']:6.2f}s {r['limit100_s']:8.2f}s "
              f"{r['contour50_s']:9.1f}s")
    print("\nscaling:")
    for k, v in out["scaling"].items():
        print(f"  {k:40s} {v:10.3f}")
    print(f"\npeak memory {out['peak_mb']:.0f} MB")
    print("\ntargets:")
    checks = [("1D limit, single data set (worst)", max(out["sets"][n]["limit100_s"] for n in ("csi", "ar", "dresden2")),
               TARGETS["limit_single"]),
              ("1D limit, combined", out["sets"]["csi+ar+dresden2"]["limit100_s"], TARGETS["limit_combined"]),
              ("50x50 contour, combined", out["sets"]["csi+ar+dresden2"]["contour50_s"], TARGETS["contour_combined"])]
    if "reproduce_s" in out:
        checks.append(("cevnsfit reproduce", out["reproduce_s"], TARGETS["reproduce"]))
    for name, got, target in checks:
        verdict = "met" if got <= target else f"MISSED by x{got / target:.1f}"
        print(f"  {name:36s} {got:8.2f} s  (target {target:.0f} s): {verdict}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
