"""Coverage of Wilks and Feldman-Cousins 90 % CL intervals at several true values, for the docs
(docs/statistics.md): Dresden-II |mu_nu_e|, the CsI 2017 CEvNS normalisation, the combined
<r^2_nu_ee> (Wilks only unless --r2-toys is given: each of its fits is ~10x dearer).

    CEVNSFIT_DATA=../shared/data python scripts/coverage_study.py OUT.json [--pseudo M] [--toys K]
"""

import argparse
import json
import time

from cevnsfit.inference.analysis import Setup
from cevnsfit.inference.coverage import coverage


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pseudo", type=int, default=100)
    ap.add_argument("--toys", type=int, default=100)
    ap.add_argument("--r2-toys", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    cases = [
        ("Dresden-II |mu_nu_e|", Setup(("dresden2",)), "mu_e", (0.5, 2.0, 4.0), args.toys),
        (
            "CsI 2017 CEvNS normalisation",
            Setup(("csi2017",), csi2017_signal="free"),
            "csi2017.eta_cevns",
            (-0.9, -0.25, 0.2),
            args.toys,
        ),
        ("combined <r^2_nu_ee>", Setup(("csi", "ar", "dresden2")), "r2_ee", (-60.0, -5.0, 5.0), args.r2_toys),
    ]
    rows = []
    for label, setup, param, truths, toys in cases:
        if args.only and args.only not in label:
            continue
        for truth in truths:
            t = time.perf_counter()
            r = coverage(
                setup,
                param,
                truth,
                n_pseudo=args.pseudo,
                n_toys=toys,
                seed=17,
                backend="processes",
                n_workers=args.workers,
                chunk_size=5,
            )
            r["case"] = label
            r["wall_seconds"] = time.perf_counter() - t
            rows.append(r)
            print(json.dumps({k: r.get(k) for k in ("case", "truth", "wilks", "fc", "wall_seconds")}), flush=True)
            with open(args.out, "w") as fh:
                json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
