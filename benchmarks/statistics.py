"""Feldman-Cousins and Bayesian timings, as ratios against a floor measured in the same run.

    CEVNSFIT_DATA=../shared/data python benchmarks/statistics.py [--toys N] [--points P] [--json FILE]

Floor: one Dresden-II chi^2 at fixed parameters, evaluated as the bare numpy arithmetic of the
model (template contraction + background + Gaussian chi^2; what a fit must do at least once per
step).  Reported: profiled fits per second, FC pseudo-experiments per second on the serial,
process (1 and 2 workers) and dask LocalCluster (2 workers) back-ends with the speed-ups over
serial and of 2 process workers over 1, whether all gave bitwise the same critical values, the
projected time of the issue's target (a 1D Dresden-II FC limit with 40 tested values x 2000 toys,
target < 300 s; ``--target`` runs it), and the wall time of Bayesian posteriors (1D
Dresden-II |mu_nu_e|; 2D CsI (|mu_nu_e|, |mu_nu_mu|), target < 120 s), the 2D one also with one
proposal at a time (queue_size=1: every likelihood call on its own) for the speed-up of the
batched evaluation.  The load average is recorded: on a shared machine timings scale with it.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from cevnsfit import experiments
from cevnsfit.inference.analysis import Setup
from cevnsfit.inference.fit import Likelihood


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return time.perf_counter() - t, out


def floor_seconds(ds, n=2000) -> float:
    """Bare numpy cost of one Dresden-II expectation + chi^2 (same array sizes)."""
    t = ds.nominal_templates("cevns").data if hasattr(ds, "nominal_templates") else None
    rng = np.random.default_rng(0)
    a = rng.random((1, t.shape[1])) if t is not None else rng.random((1, 14))
    b = t[0] if t is not None else rng.random((14, ds.observed.size))
    y, s = ds.observed, ds.observed_errors()
    t0 = time.perf_counter()
    for _ in range(n):
        e = a @ b + 1.0
        _ = np.sum(((e - y) / s) ** 2)
    return (time.perf_counter() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--toys", type=int, default=1000, help="toys per tested value in the FC timing")
    ap.add_argument("--points", type=int, default=4, help="tested values in the FC timing")
    ap.add_argument("--no-bayes", action="store_true", help="FC timings only")
    ap.add_argument(
        "--target",
        action="store_true",
        help="also run the target itself: Dresden-II mu_e, 40 tested values x 2000 toys, 2 processes",
    )
    ap.add_argument("--json")
    args = ap.parse_args()
    from cevnsfit.inference.bayes import bayes_contour, bayes_limit
    from cevnsfit.inference.feldman_cousins import fc_limit

    out = {"load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count()}
    ds = experiments.load("dresden2")
    out["floor_s"] = floor_seconds(ds)
    lik = Likelihood([ds], poi=["mu_e"])
    best = lik.fit()
    t, _ = timed(lambda: [lik.fit(start=best.values, fixed={"mu_e": 1.0 + 0.01 * i}) for i in range(50)])
    out["profiled_fits_per_s"] = 50 / t
    s = Setup(("dresden2",))
    grid = np.linspace(0.0, 3.0, args.points)
    n = args.points * args.toys
    ref = None
    for backend, workers in (("serial", 1), ("processes1", 1), ("processes", 2), ("dask", 2)):
        t, r = timed(
            fc_limit,
            s,
            "mu_e",
            n_toys=args.toys,
            grid=grid,
            seed=1,
            backend=backend.rstrip("1"),
            n_workers=workers,
            chunk_size=max(1, args.toys // 2),
        )
        out[f"fc_{backend}_s"] = t
        out[f"fc_{backend}_toys_per_s"] = n / t
        # the same seed gives bitwise the same critical values on every back-end and worker count
        crit = r["scan"]["critical_delta_chi2_raw"]
        out["fc_backends_identical"] = out.get("fc_backends_identical", True) and (ref is None or crit == ref)
        ref = crit
    out["dask_speedup"] = out["fc_serial_s"] / out["fc_dask_s"]
    out["processes_speedup"] = out["fc_serial_s"] / out["fc_processes_s"]
    out["processes_2_over_1_workers"] = out["fc_processes1_s"] / out["fc_processes_s"]
    out["dask_over_processes"] = out["fc_dask_s"] / out["fc_processes_s"]
    best_rate = max(out["fc_processes_toys_per_s"], out["fc_dask_toys_per_s"])
    out["fc_target_projected_s"] = 40 * 2000 / best_rate
    out["per_toy_over_floor"] = (1.0 / out["fc_serial_toys_per_s"]) / out["floor_s"]
    if args.target:
        t, r = timed(fc_limit, s, "mu_e", n_toys=2000, n_points=40, seed=0, backend="processes", n_workers=2)
        out["fc_target_s"] = t
        out["fc_target_intervals"] = r["intervals"]
    if args.no_bayes:
        _report(out, n, None)
        return
    t, r = timed(bayes_limit, s, "mu_e", nlive=500, seed=1)
    out["bayes_1d_dresden2_s"] = t
    out["bayes_1d_calls"] = r["n_calls"]
    out["bayes_call_over_floor"] = (t / r["n_calls"]) / out["floor_s"]
    t, r = timed(bayes_contour, Setup(("csi",)), "mu_e", "mu_mu", nlive=500, seed=1)
    out["bayes_2d_csi_s"] = t
    out["bayes_2d_calls"] = r["n_calls"]
    out["bayes_2d_queue_size"] = r["queue_size"]
    t, r = timed(bayes_contour, Setup(("csi",)), "mu_e", "mu_mu", nlive=500, seed=1, queue_size=1)
    out["bayes_2d_csi_serial_s"] = t
    out["bayes_2d_batching_speedup"] = t / out["bayes_2d_csi_s"]
    out["load_average_1min_end"] = os.getloadavg()[0]
    _report(out, n, args.json)


def _report(out, n, path):
    print(f"load average {out['load_average_1min']:.1f} on {out['cpus']} cores")
    print(f"floor (numpy model + chi2, Dresden-II): {out['floor_s'] * 1e6:.1f} us")
    print(f"profiled fits: {out['profiled_fits_per_s']:.0f} /s")
    for b, label in (
        ("serial", "serial"),
        ("processes1", "processes, 1 worker"),
        ("processes", "processes, 2"),
        ("dask", "dask LocalCluster, 2"),
    ):
        print(f"FC {label:22s}: {out[f'fc_{b}_toys_per_s']:.1f} toys/s ({n} toys in {out[f'fc_{b}_s']:.1f} s)")
    print(
        f"speed-up on 2 workers over serial: processes x{out['processes_speedup']:.2f}, dask x{out['dask_speedup']:.2f}"
        f"; processes 2 over 1 worker x{out['processes_2_over_1_workers']:.2f}; bitwise identical: "
        f"{out['fc_backends_identical']}"
    )
    print(f"one toy = {out['per_toy_over_floor']:.0f} x floor")
    v = out["fc_target_projected_s"]
    print(
        f"FC 40 x 2000 toys projected: {v:.0f} s (target 300 s): "
        + ("met" if v <= 300 else f"MISSED by x{v / 300:.1f}")
    )
    if "fc_target_s" in out:
        v = out["fc_target_s"]
        print(
            f"FC 40 x 2000 toys run (processes, 2): {v:.0f} s (target 300 s): "
            + ("met" if v <= 300 else f"MISSED by x{v / 300:.1f}")
            + f"; interval {out['fc_target_intervals']}"
        )
    if "bayes_2d_csi_s" in out:
        print(
            f"Bayes 1D Dresden-II: {out['bayes_1d_dresden2_s']:.1f} s ({out['bayes_1d_calls']} likelihood calls, "
            f"{out['bayes_call_over_floor']:.0f} x floor each)"
        )
        v = out["bayes_2d_csi_s"]
        print(
            f"Bayes 2D CsI (mu_e, mu_mu): {v:.1f} s (target 120 s): "
            + ("met" if v <= 120 else f"MISSED by x{v / 120:.1f}")
            + f"; one proposal at a time {out['bayes_2d_csi_serial_s']:.1f} s (batched x"
            f"{out['bayes_2d_batching_speedup']:.2f}, queue of {out['bayes_2d_queue_size']})"
        )
    if path:
        with open(path, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
