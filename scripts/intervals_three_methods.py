"""Intervals by Wilks, Feldman-Cousins and Bayes for the analyses where they differ (for the
reproduction record), with the time each took.

    CEVNSFIT_DATA=../shared/data python scripts/intervals_three_methods.py OUT.json [--toys N] [--workers W]
"""

import argparse
import json
import time

from cevnsfit.inference import methods
from cevnsfit.inference.analysis import Setup

CASES = [
    ("Dresden-II |mu_nu_e| (Fef, CEvNS+ES)", Setup(("dresden2",)), "mu_e", ["flat", "flat-square"]),
    ("CsI 2017 CEvNS normalisation (free)", Setup(("csi2017",), csi2017_signal="free"), "csi2017.eta_cevns", ["flat"]),
    ("CsI 2021 |mu_nu_mu|", Setup(("csi",)), "mu_mu", ["flat", "flat-square"]),
    ("<r^2_nu_ee> Dresden-II", Setup(("dresden2",)), "r2_ee", ["flat"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--toys", type=int, default=500)
    ap.add_argument("--points", type=int, default=24)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default=None)
    ap.add_argument("--methods", default="wilks,fc,bayes", help="comma-separated subset of wilks,fc,bayes")
    args = ap.parse_args()
    rows = []
    for label, setup, param, priors in CASES:
        if args.only and args.only not in label:
            continue
        for method, prior in [("wilks", None), ("fc", None)] + [("bayes", p) for p in priors]:
            if method not in args.methods.split(","):
                continue
            t = time.perf_counter()
            kw = (
                dict(toys=args.toys, n_points=args.points, backend="processes", n_workers=args.workers)
                if method == "fc"
                else {}
            )
            res = methods.limit(setup, param, method=method, prior=prior or "flat", **kw)
            row = {
                "case": label,
                "param": param,
                "method": method,
                "prior": prior,
                "intervals": res["intervals"],
                "seconds": time.perf_counter() - t,
            }
            if method == "fc":
                row.update(
                    wilks_same_scan=res["wilks_intervals"],
                    n_toys=res["n_toys"],
                    points=len(res["scan"]["grid"]),
                    critical=res["scan"]["critical_delta_chi2"],
                    grid=res["scan"]["grid"],
                    delta=res["scan"]["delta_chi2"],
                    toys_failed=res["toys"]["toys_failed"],
                    critical_raw=res["scan"].get("critical_delta_chi2_raw"),
                    intervals_unsmoothed=res.get("intervals_unsmoothed"),
                )
            if method == "bayes":
                row.update(equal_tailed=res["equal_tailed"], upper=res["upper_limit"], n_calls=res["n_calls"])
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("case", "method", "prior", "intervals", "seconds")}), flush=True)
            with open(args.out, "w") as fh:
                json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
