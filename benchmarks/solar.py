"""Solar-neutrino data sets: load, chi^2 and limit times, as ratios against floors measured in the
same run, and peak memory.

    CEVNSFIT_DATA=../shared/data python benchmarks/solar.py [--json FILE]

* release load: the 7 031 files of the XENONnT 8B release read with h5py into arrays (first load,
  into an empty cache directory) and read back from the cache (second load); floor: verifying
  the SHA-256 of those files, which every load does.  Target: second load < 1 s.
* one chi^2 of ``xenonnt_8b`` at fixed nuisances; floor: the bare numpy contraction of a recoil
  spectrum with the three runs' mono-energetic response (3 x 46 x 81).  Target < 1 ms.
* the combined mu_e limit (CsI + Ar + Dresden-II + XENONnT 8B + ER); floor: the same limit from
  the laboratory data alone.  Target < 10 s.
* peak resident memory of the process.  Target < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

import numpy as np


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cevnsfit-bench-")
    os.environ["CEVNSFIT_CACHE"] = tmp

    from cevnsfit import cache, data, experiments
    from cevnsfit.experiments import xenonnt_release as rel
    from cevnsfit.inference.analysis import Setup, limit
    from cevnsfit.physics.parameters import Params

    out = {}
    t_verify, _ = timed(data.verify, None, ("xenonnt_8b",))
    t_first, _ = timed(rel.release)
    rel.release.cache_clear()
    cache.code_fingerprint.cache_clear()
    t_second, r = timed(rel.release)
    out["release"] = {
        "verify_floor_s": t_verify,
        "first_load_s": t_first,
        "second_load_s": t_second,
        "second_over_floor": t_second / t_verify,
        "target_s": 1.0,
    }

    ds = experiments.load("xenonnt_8b")
    p, nuis = Params(), ds.nuisance_defaults()
    n = 2000
    t_chi2, _ = timed(lambda: [ds.chi2(p, nuis) for _ in range(n)])
    R = np.random.default_rng(0).random(46)
    mono = r["mono"][:, 3, 3]
    t_floor, _ = timed(lambda: [np.einsum("i,sib->sb", R, mono) for _ in range(n)])
    out["chi2_8b"] = {
        "per_eval_ms": 1e3 * t_chi2 / n,
        "floor_ms": 1e3 * t_floor / n,
        "ratio": t_chi2 / t_floor,
        "target_ms": 1.0,
    }

    lab = ("csi", "ar", "dresden2")
    for name in lab + ("xenonnt_er",):
        experiments.load(name)
    t_lab, lim_lab = timed(limit, Setup(lab), "mu_e")
    t_all, lim_all = timed(limit, Setup(lab + ("xenonnt_8b", "xenonnt_er")), "mu_e")
    out["combined_limit"] = {
        "laboratory_s": t_lab,
        "with_solar_s": t_all,
        "ratio": t_all / t_lab,
        "interval_lab": lim_lab["intervals"],
        "interval_all": lim_all["intervals"],
        "target_s": 10.0,
    }
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["load_avg"] = os.getloadavg()

    print(
        f"release: first load {t_first:.1f} s, second {t_second:.2f} s (verify floor {t_verify:.2f} s, "
        f"x{t_second / t_verify:.2f}); target < 1 s: {'met' if t_second < 1 else 'MISSED'}"
    )
    c = out["chi2_8b"]
    print(
        f"xenonnt_8b chi2: {c['per_eval_ms']:.3f} ms (numpy floor {c['floor_ms']:.4f} ms, x{c['ratio']:.0f}); "
        f"target < 1 ms: {'met' if c['per_eval_ms'] < 1 else 'MISSED'}"
    )
    c = out["combined_limit"]
    print(
        f"combined mu_e limit: {t_all:.1f} s with solar data, {t_lab:.1f} s without (x{c['ratio']:.1f}); "
        f"target < 10 s: {'met' if t_all < 10 else 'MISSED'}"
    )
    print(f"peak memory {out['peak_mb']:.0f} MB (target < 1024 MB); load average {out['load_avg']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
