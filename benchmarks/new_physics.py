"""Benchmarks of the new-physics menu (NSI, light mediators, neutron radii, sterile oscillations).

    CEVNSFIT_DATA=../shared/data python benchmarks/new_physics.py [--quick] [--json FILE]

Times, each with its ratio to a floor measured in the same run (one chi^2 evaluation of the
combined data sets at the SM point; the machine's load changes both alike):

* a template rebuild for a new value of each non-polynomial parameter (neutron radius, Z' mass,
  sterile Delta m^2) per data set;
* a 40-mass exclusion curve of the universal Z' and of the scalar, CsI + Ar + Dresden-II,
  nuisances profiled (target < 60 s), and with the three single-data-set curves;
* the same universal Z' curve with the solar data sets (+ XENONnT 8B CEvNS + XENONnT ER), combined
  alone and with the five single-data-set curves;
* a 50 x 50 (eps_u_ee, eps_d_ee) contour, combined (target < 60 s);
* a 1D neutron-radius limit (CsI, sin2w free) and a 30 x 30 sterile region (COHERENT).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("CEVNSFIT_CACHE", "off")

from cevnsfit import experiments
from cevnsfit.inference.analysis import Setup, contour, limit
from cevnsfit.inference.exclusion import exclusion
from cevnsfit.physics.parameters import Params

TARGETS = {"exclusion_40_combined": 60.0, "contour_50_nsi_combined": 60.0}
COMBINED = ("csi", "ar", "dresden2")
SOLAR = ("xenonnt_8b", "xenonnt_er")


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return time.perf_counter() - t, out


def floor(dss, n=200) -> float:
    """Seconds of one chi^2 evaluation of the data sets at the SM point (the unit of the ratios)."""
    p = Params()
    nuis = [d.nuisance_defaults() for d in dss]
    t, _ = timed(lambda: [sum(d.chi2(p, nv) for d, nv in zip(dss, nuis, strict=True)) for _ in range(n)])
    return t / n


def rebuild_times(ds) -> dict:
    """Seconds to predict at a new neutron radius, Z' mass and Delta m^2 (template rebuild
    included; each value met for the first time)."""
    rn = next(iter(ds.radius_parameters().values()))
    out = {}
    for label, p in (
        ("neutron radius", {rn: getattr(Params(), rn) + 0.137}),
        ("Z' mass", {"g_zp": 1e-5, "m_zp": 17.3}),
        ("sterile dm2", {"dm2_41": 3.7, "ue4sq": 0.1}),
    ):
        if not set(p) <= ds.parameters:  # the solar data sets refuse the sterile parameters
            continue
        t, _ = timed(ds.expected, Params.from_dict(p))
        t2, _ = timed(ds.expected, Params.from_dict(p))
        out[label] = {"first_s": t, "again_s": t2}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10 masses, 12 x 12 contour (projected to 40 / 50 x 50)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    out = {}
    dss = [experiments.load(n) for n in COMBINED]
    f0 = floor(dss)
    out["floor_chi2_eval_s"] = f0
    out["rebuild"] = {d.name: rebuild_times(d) for d in dss + [experiments.load(n) for n in SOLAR]}
    n_m = 10 if args.quick else 40
    masses = np.geomspace(1e-3, 1e4, n_m)
    for coupling in ("g_zp", "g_phi"):
        t, res = timed(exclusion, Setup(COMBINED), coupling, masses, each=False)
        out[f"exclusion_{n_m}_combined_{coupling}_s"] = t
        t_each, _res_each = timed(exclusion, Setup(COMBINED), coupling, masses, each=True)
        out[f"exclusion_{n_m}_each_and_combined_{coupling}_s"] = t_each
        out[f"exclusion_{coupling}_upper"] = res["curves"][-1]["upper"]
    out["exclusion_40_combined"] = out[f"exclusion_{n_m}_combined_g_zp_s"] * 40 / n_m
    t, res = timed(exclusion, Setup(COMBINED + SOLAR), "g_zp", masses, each=False)
    out[f"exclusion_{n_m}_combined_with_solar_g_zp_s"] = t
    t_each, _ = timed(exclusion, Setup(COMBINED + SOLAR), "g_zp", masses, each=True)
    out[f"exclusion_{n_m}_each_and_combined_with_solar_g_zp_s"] = t_each
    out["exclusion_with_solar_g_zp_upper"] = res["curves"][-1]["upper"]
    n_c = 12 if args.quick else 50
    t, _c = timed(contour, Setup(COMBINED), "eps_u_ee", "eps_d_ee", (-0.6, 1.0), (-0.6, 1.0), n_c)
    out["contour_50_nsi_combined"] = t * 2500 / n_c**2
    t, _r = timed(limit, Setup(("csi",), tie_csi_radius=True), "rn_cs", n_points=41, free=["sin2w"])
    out["limit_rn_csi_sin2w_free_s"] = t
    n_s = 10 if args.quick else 30
    t, _s = timed(
        contour, Setup(("csi", "ar")), "dm2_41", "umu4sq", (0.1, 1e4), (0.0, 0.5), n_s, scales=("log", "linear")
    )
    out[f"contour_{n_s}_sterile_coherent_s"] = t
    print(f"floor: one chi^2 evaluation of CsI + Ar + Dresden-II at the SM point = {1e3 * f0:.2f} ms")
    print(f"{'quantity':52s} {'seconds':>10s} {'/ floor':>10s} {'target':>8s}")
    for k, v in out.items():
        if isinstance(v, float) and k.endswith(("_s", "combined")) and k != "floor_chi2_eval_s":
            tgt = TARGETS.get(k)
            flag = "" if tgt is None else ("  ok" if v < tgt else f"  MISSED x{v / tgt:.1f}")
            print(f"{k:52s} {v:10.2f} {v / f0:10.0f} {'' if tgt is None else f'{tgt:8.0f}'}{flag}")
    for name, rb in out["rebuild"].items():
        for label, t in rb.items():
            print(
                f"rebuild {name:10s} {label:16s} first {1e3 * t['first_s']:7.1f} ms, again {1e3 * t['again_s']:6.1f} ms"
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
